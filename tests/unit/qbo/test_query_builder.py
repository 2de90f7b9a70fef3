"""The query builder: values rendered as QBO reads them, names that cannot inject SQL, and
tricky names found exactly through the emulator's query language."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from ledgerbridge.qbo import QBOClient, Query, ValidationError, select

TRICKY_NAMES = [
    "O'Brien",
    "Back\\slash",
    "Ends with a backslash\\",
    '"quotes"',
    "Zürich Ünïcode 東京",
    "50% off",
    "Quote then backslash '\\",
]
#: near misses that a sloppy escape would match instead
DECOYS = ["OBrien", "O\\'Brien", "Back\\\\slash", "Backslash", "quotes", "50 off", "50% offer"]


def test_select_star_with_paging() -> None:
    assert select("Customer").to_sql() == "SELECT * FROM Customer STARTPOSITION 1 MAXRESULTS 1000"
    assert (
        select("Invoice").to_sql(start_position=1001, max_results=5)
        == "SELECT * FROM Invoice STARTPOSITION 1001 MAXRESULTS 5"
    )


def test_conditions_join_with_and_in_order() -> None:
    query = (
        select("Invoice")
        .where("TotalAmt", ">=", Decimal("300.00"))
        .where_eq(CustomerRef="5")
        .where("TxnDate", "<", date(2024, 1, 31))
    )
    assert query.to_sql(max_results=10) == (
        "SELECT * FROM Invoice WHERE TotalAmt >= 300.00 AND CustomerRef = '5' "
        "AND TxnDate < '2024-01-31' STARTPOSITION 1 MAXRESULTS 10"
    )


def test_builder_is_immutable() -> None:
    """Each method returns a new query; the original is unchanged (safe to share)."""
    base = select("Customer")
    narrowed = base.where_eq(Active=True)
    assert base.conditions == () and len(narrowed.conditions) == 1


@pytest.mark.parametrize(
    ("value", "sql"),
    [
        ("O'Brien", "'O\\'Brien'"),
        ("a\\b", "'a\\\\b'"),
        ("ends\\", "'ends\\\\'"),
        ("Zürich", "'Zürich'"),
        (True, "true"),
        (False, "false"),
        (42, "42"),
        (Decimal("1861.07"), "1861.07"),
        (Decimal("1E+3"), "1000"),
        (Decimal("-0.50"), "-0.50"),
        (date(2025, 1, 2), "'2025-01-02'"),
        (
            datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-8))),
            "'2025-01-02T03:04:05-08:00'",
        ),
    ],
)
def test_value_rendering(value: Any, sql: str) -> None:
    assert select("Customer").where("X", "=", value).conditions[0].sql == f"X = {sql}"


def test_in_list_and_like() -> None:
    query = (
        select("Customer").where("Id", "IN", ["1", "2", "3"]).where("DisplayName", "LIKE", "Am%")
    )
    assert query.to_sql() == (
        "SELECT * FROM Customer WHERE Id IN ('1', '2', '3') AND DisplayName LIKE 'Am%' "
        "STARTPOSITION 1 MAXRESULTS 1000"
    )


def test_active_in_true_false() -> None:
    """The documented way to see inactive name-list records (section 3.1)."""
    sql = select("Vendor").where("Active", "IN", (True, False)).to_sql()
    assert "WHERE Active IN (true, false)" in sql


def test_order_by_and_count() -> None:
    query = select("Invoice").order_by("MetaData.LastUpdatedTime").order_by("Id", descending=True)
    assert query.to_sql() == (
        "SELECT * FROM Invoice ORDERBY MetaData.LastUpdatedTime ASC, Id DESC "
        "STARTPOSITION 1 MAXRESULTS 1000"
    )
    counted = query.where_eq(Balance=0).count()
    assert counted.to_sql() == "SELECT COUNT(*) FROM Invoice WHERE Balance = 0"


@pytest.mark.parametrize(
    "name",
    ["Display Name", "1Name", "Name;DROP", "Name'", "", "Name--", "MetaData.Last Updated", "a=b"],
)
def test_field_names_are_validated(name: str) -> None:
    """A field name is letters, digits, '_' and '.', starting with a letter: no injection."""
    with pytest.raises(ValueError, match="not a QBO name"):
        select("Customer").where(name, "=", "x")
    with pytest.raises(ValueError, match="not a QBO name"):
        select("Customer").order_by(name)


@pytest.mark.parametrize("entity", ["Customer WHERE 1", "Customer;", "", "9Customer"])
def test_entity_names_are_validated(entity: str) -> None:
    with pytest.raises(ValueError, match="not a QBO name"):
        select(entity)


@pytest.mark.parametrize("op", ["!=", "<>", "OR", "= 1 OR"])
def test_only_qbo_operators(op: str) -> None:
    with pytest.raises(ValueError, match="operator"):
        select("Customer").where("Id", op, "1")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("op", "value", "error"),
    [
        ("=", 1.5, TypeError),  # money is Decimal: a float is refused, not rounded
        ("=", None, TypeError),
        ("=", ["a"], TypeError),
        ("IN", "abc", TypeError),
        ("IN", [], ValueError),
        ("LIKE", 5, TypeError),
        ("=", Decimal("NaN"), ValueError),
        ("=", datetime(2025, 1, 1), ValueError),  # no time zone
    ],
)
def test_bad_values_are_refused(op: str, value: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        select("Customer").where("X", op, value)  # type: ignore[arg-type]


@pytest.mark.parametrize(("start", "size"), [(0, 10), (1, 0), (1, 1001)])
def test_paging_bounds(start: int, size: int) -> None:
    """STARTPOSITION is 1-based and MAXRESULTS at most 1000 (section 3.1)."""
    with pytest.raises(ValueError, match=r"start_position|max_results"):
        select("Customer").to_sql(start_position=start, max_results=size)


def test_a_query_cannot_be_built_around_validation() -> None:
    """Conditions are objects checked when made; raw text is not accepted."""
    with pytest.raises(TypeError):
        Query("Customer", conditions=("1 = 1",))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a QBO name"):
        Query("Customer", ordering=(("Id; DROP", False),))


# -- through the emulator ------------------------------------------------------------------------


@pytest.fixture
async def tricky(qbo: QBOClient) -> dict[str, str]:
    """Customers with names that break naive escaping, and their near misses; name -> Id."""
    ids = {}
    for name in TRICKY_NAMES + DECOYS:
        ids[name] = (await qbo.customers.create({"DisplayName": name}))["Id"]
    return ids


@pytest.mark.anyio
@pytest.mark.parametrize("name", TRICKY_NAMES)
async def test_tricky_names_round_trip(qbo: QBOClient, tricky: dict[str, str], name: str) -> None:
    """An equality query on each tricky name finds exactly that customer."""
    page = await qbo.customers.query(qbo.customers.select().where_eq(DisplayName=name))
    assert [row["Id"] for row in page.items] == [tricky[name]]
    assert page.items[0]["DisplayName"] == name


@pytest.mark.anyio
async def test_like_treats_only_percent_as_wildcard(qbo: QBOClient, tricky: dict[str, str]) -> None:
    page = await qbo.customers.query(qbo.customers.select().where("DisplayName", "LIKE", "50%"))
    assert sorted(row["DisplayName"] for row in page.items) == ["50 off", "50% off", "50% offer"]


@pytest.mark.anyio
async def test_injection_attempt_is_just_a_name(qbo: QBOClient, tricky: dict[str, str]) -> None:
    """A value written to escape its quotes matches nothing and breaks nothing."""
    sneaky = "x' AND DisplayName LIKE '%"
    assert (
        await qbo.customers.query(qbo.customers.select().where_eq(DisplayName=sneaky))
    ).items == []
    assert await qbo.customers.count(qbo.customers.select().where_eq(DisplayName=sneaky)) == 0


@pytest.mark.anyio
async def test_in_list_round_trip(qbo: QBOClient, tricky: dict[str, str]) -> None:
    wanted = ["O'Brien", "Back\\slash", "50% off"]
    query = qbo.customers.select().where("DisplayName", "IN", wanted)
    found = {row["Id"] async for row in qbo.customers.iterate(query)}
    assert found == {tricky[name] for name in wanted}


@pytest.mark.anyio
async def test_dates_and_numbers_round_trip(qbo: QBOClient) -> None:
    """Typed values compare as QBO compares them (numbers, dates, instants)."""
    customer = await qbo.customers.create({"DisplayName": "Typed"})
    for amount in ("100.00", "250.50", "999.99"):
        await qbo.invoices.create(
            {
                "CustomerRef": {"value": customer["Id"]},
                "TxnDate": "2026-11-02",
                "Line": [
                    {
                        "Amount": Decimal(amount),
                        "DetailType": "SalesItemLineDetail",
                        "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                    }
                ],
            }
        )
    query = (
        qbo.invoices.select()
        .where("TotalAmt", ">", Decimal("200"))
        .where("TxnDate", ">=", date(2026, 11, 1))
        .where("MetaData.CreateTime", ">=", datetime.now(UTC) - timedelta(days=1))
        .order_by("TotalAmt", descending=True)
    )
    page = await qbo.invoices.query(query)
    assert [row["TotalAmt"] for row in page.items] == [Decimal("999.99"), Decimal("250.50")]


@pytest.mark.anyio
async def test_a_query_for_another_entity_is_refused(qbo: QBOClient) -> None:
    with pytest.raises(ValueError, match="Vendor"):
        await qbo.customers.query(select("Vendor"))


@pytest.mark.anyio
async def test_qbo_refuses_an_unknown_entity(qbo: QBOClient) -> None:
    """A well-formed query on an entity QBO does not know is a 4001 ValidationError."""
    with pytest.raises(ValidationError) as caught:
        await qbo.query(select("Custmoer").to_sql())
    assert caught.value.code == "4001"
