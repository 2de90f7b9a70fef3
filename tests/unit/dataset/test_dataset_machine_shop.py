"""The generated machine shop: deterministic, in proportion, every reference valid, totals
consistent, every record valid, and settings that fit a new QBO company."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import pytest

from ledgerbridge.dataset import (
    HISTORY,
    MACHINE_SHOP_START,
    MIN_RECORDS,
    machine_shop,
    machine_shop_counts,
    machine_shop_settings,
)
from ledgerbridge.emulator import Emulator
from ledgerbridge.model import (
    RECORD_TYPES,
    AnyRecord,
    Bill,
    ChargeLine,
    CostLine,
    CreditMemo,
    Customer,
    InventoryLevel,
    Invoice,
    Item,
    ItemLine,
    Payment,
    Project,
    PurchaseItemLine,
    PurchaseOrder,
    Refund,
    SalesOrder,
    Vendor,
    parse_ndjson,
)

R = TypeVar("R", bound=AnyRecord)

#: the order the brief asks records in: name lists, then documents, then money and stock
ORDER = (
    "customer",
    "project",
    "vendor",
    "item",
    "sales_order",
    "invoice",
    "purchase_order",
    "payment",
    "credit_memo",
    "refund",
    "bill",
    "inventory_level",
)


@pytest.fixture(scope="module")
def shop() -> list[AnyRecord]:
    """The default data set: 2000 records, seed 1."""
    return machine_shop()


def of(records: list[AnyRecord], kind: type[R]) -> list[R]:
    return [record for record in records if isinstance(record, kind)]


def by_id(records: list[AnyRecord], kind: type[R]) -> dict[str, R]:
    return {record.id: record for record in of(records, kind)}


# -- determinism and size ---------------------------------------------------------------------
def test_the_same_seed_gives_the_same_records() -> None:
    """Same seed, same records (whatever the day); another seed, other records."""
    first = machine_shop(300, seed=5)
    assert machine_shop(300, seed=5, start=MACHINE_SHOP_START) == first
    assert machine_shop(300, seed=6) != first


def test_another_start_moves_the_dates_not_the_records() -> None:
    """``start`` shifts every date; names and amounts stay those of the seed."""
    moved = machine_shop(200, start=date(2025, 12, 31))
    usual = machine_shop(200)
    assert [r.id for r in moved] == [r.id for r in usual]
    assert max(i.invoice_date for i in of(moved, Invoice)) <= date(2025, 12, 31)


@pytest.mark.parametrize("records", [MIN_RECORDS, 600, 2000, 5000])
def test_the_counts_add_up_to_what_was_asked(records: int) -> None:
    """Exactly ``records`` records, in the planned numbers per type."""
    made = machine_shop(records, seed=2)
    assert len(made) == records
    counts = Counter(record.type for record in made)
    assert counts == {kind: count for kind, count in machine_shop_counts(records).items() if count}


def test_two_thousand_records_have_a_job_shops_proportions(shop: list[AnyRecord]) -> None:
    """The brief's numbers for 2000 records."""
    counts = Counter(record.type for record in shop)
    assert counts == {
        "customer": 250,
        "project": 40,
        "vendor": 60,
        "item": 250,
        "sales_order": 350,
        "invoice": 400,
        "purchase_order": 150,
        "payment": 350,
        "credit_memo": 15,
        "refund": 8,
        "bill": 50,
        "inventory_level": 77,
    }


def test_too_few_records_is_refused_with_the_minimum() -> None:
    """Below the minimum there is no shop to make; the error says the minimum."""
    with pytest.raises(ValueError, match=f"at least {MIN_RECORDS}"):
        machine_shop(MIN_RECORDS - 1)


# -- validity and references ------------------------------------------------------------------
def test_every_record_survives_ndjson_and_validation(shop: list[AnyRecord]) -> None:
    """Written as NDJSON and read back, every record validates and is unchanged."""
    lines = [record.model_dump_json(exclude_none=True) for record in shop]
    result = parse_ndjson(lines)
    assert result.errors == ()
    assert list(result.records) == shop


def test_records_come_in_dependency_order_with_unique_ids(shop: list[AnyRecord]) -> None:
    """Types in the brief's order, ids unique within each type, parents before children."""
    types = [record.type for record in shop]
    assert sorted(types, key=ORDER.index) == types
    assert set(ORDER) == set(RECORD_TYPES)
    assert len({(r.type, r.id) for r in shop}) == len(shop)
    seen: set[str] = set()
    for customer in of(shop, Customer):
        assert customer.parent_id is None or customer.parent_id in seen
        seen.add(customer.id)


def references(record: AnyRecord) -> Iterator[tuple[str, str]]:
    """(record type, app id) of everything ``record`` refers to."""
    for name, kind in (
        ("customer_id", "customer"),
        ("parent_id", "customer"),
        ("project_id", "project"),
        ("vendor_id", "vendor"),
        ("item_id", "item"),
        ("purchase_order_id", "purchase_order"),
    ):
        value = getattr(record, name, None)
        if value is not None:
            yield kind, value
    for line in getattr(record, "lines", ()):
        if isinstance(line, (ItemLine, PurchaseItemLine)):
            yield "item", line.item_id
    for so_id in getattr(record, "sales_order_ids", ()):
        yield "sales_order", so_id
    for application in getattr(record, "applications", ()):
        yield "invoice", application.invoice_id


def test_every_reference_resolves_to_an_earlier_record(shop: list[AnyRecord]) -> None:
    """Each id a record names belongs to a record of that type that comes before it."""
    seen: set[tuple[str, str]] = set()
    for record in shop:
        missing = [ref for ref in references(record) if ref not in seen]
        assert missing == [], record.id
        seen.add((record.type, record.id))


def test_documents_belong_to_their_projects_customer(shop: list[AnyRecord]) -> None:
    """A project's documents are its customer's; what an invoice bills and a payment pays
    belongs to the same customer and project; nobody inactive buys or sells."""
    projects = by_id(shop, Project)
    orders, invoices = by_id(shop, SalesOrder), by_id(shop, Invoice)
    active = {c.id for c in of(shop, Customer) if c.active}
    for record in [*orders.values(), *invoices.values(), *of(shop, Payment)]:
        assert record.customer_id in active
        if record.project_id is not None:
            assert projects[record.project_id].customer_id == record.customer_id
    payer = {inv.id: (inv.customer_id, inv.project_id) for inv in invoices.values()}
    for invoice in invoices.values():
        for so_id in invoice.sales_order_ids:
            assert (orders[so_id].customer_id, orders[so_id].project_id) == payer[invoice.id]
    for payment in of(shop, Payment):
        for application in payment.applications:
            assert payer[application.invoice_id] == (payment.customer_id, payment.project_id)
    vendors = {v.id for v in of(shop, Vendor) if v.active}
    assert all(p.vendor_id in vendors for p in [*of(shop, PurchaseOrder), *of(shop, Bill)])


# -- money ------------------------------------------------------------------------------------
def amounts(document: Any) -> Iterator[tuple[str, str]]:
    """Every money field of a JSON record: (key, text)."""
    if isinstance(document, dict):
        for key, value in document.items():
            if key in ("amount", "tax") and value is not None:
                yield key, value
            else:
                yield from amounts(value)
    elif isinstance(document, list):
        for value in document:
            yield from amounts(value)


def test_money_is_in_cents_and_totals_are_never_negative(shop: list[AnyRecord]) -> None:
    """Every amount and tax has exactly two decimals; no document total is negative."""
    for record in shop:
        for key, text in amounts(json.loads(record.model_dump_json())):
            assert Decimal(text).as_tuple().exponent == -2, (record.id, key, text)
        total = getattr(record, "total", None)
        assert total is None or total >= 0, record.id


def test_an_invoice_totals_what_it_bills_and_is_never_overpaid(shop: list[AnyRecord]) -> None:
    """An invoice of sales orders totals exactly their totals; applications never exceed an
    invoice's total, and a payment never applies more than it brings."""
    orders = by_id(shop, SalesOrder)
    for invoice in of(shop, Invoice):
        if invoice.sales_order_ids:
            assert invoice.total == sum(orders[s].total for s in invoice.sales_order_ids)
    applied: Counter[str] = Counter()
    for payment in of(shop, Payment):
        assert payment.applied <= payment.amount
        for application in payment.applications:
            applied[application.invoice_id] += application.amount
    invoices = by_id(shop, Invoice)
    assert all(amount <= invoices[i].total for i, amount in applied.items())


def test_the_shop_has_every_case_the_sync_must_handle(shop: list[AnyRecord]) -> None:
    """Multi-order, discounted, taxed and $0 invoices; full, partial, split, over- and
    unapplied payments; received, finished and open POs with freight; store credit."""
    invoices = of(shop, Invoice)
    assert sum(len(i.sales_order_ids) == 2 for i in invoices) >= 20
    assert sum(i.discount is not None for i in invoices) >= 20
    assert sum(i.tax > 0 for i in invoices) >= 20
    assert 1 <= sum(i.total == 0 for i in invoices) <= 10
    charges = [line for i in invoices for line in i.lines if isinstance(line, ChargeLine)]
    assert any(line.amount < 0 for line in charges)  # a courtesy adjustment
    totals = {i.id: i.total for i in invoices}
    payments = of(shop, Payment)
    assert any(len(p.applications) > 1 for p in payments)
    assert any(p.credit > 0 and p.applications for p in payments)
    assert any(not p.applications for p in payments)
    assert any(a.amount < totals[a.invoice_id] for p in payments for a in p.applications)
    assert sum(totals[a.invoice_id] == a.amount for p in payments for a in p.applications) > 200
    orders = of(shop, PurchaseOrder)
    assert {o.status for o in orders} == {"ordered", "received", "finished"}
    assert any(isinstance(line, CostLine) for o in orders for line in o.lines)
    assert any(m.store_credit for m in of(shop, CreditMemo))
    assert any(r.lines for r in of(shop, Refund)) and any(not r.lines for r in of(shop, Refund))


def test_names_are_unique_and_awkward(shop: list[AnyRecord]) -> None:
    """Customer, vendor and item names never repeat, and some carry apostrophes,
    ampersands, accents and (sub-customers) colons."""
    people = [r.name.casefold() for r in [*of(shop, Customer), *of(shop, Vendor)]]
    assert len(set(people)) == len(people)
    items = [item.name.casefold() for item in of(shop, Item)]
    assert len(set(items)) == len(items)
    names = " ".join(c.name for c in of(shop, Customer))
    assert all(mark in names for mark in ("'", "&", ":"))
    assert any(not c.name.isascii() for c in of(shop, Customer))
    children = [c for c in of(shop, Customer) if c.parent_id]
    assert children and all(":" in c.name for c in children)


def test_items_mix_inventory_non_inventory_and_services(shop: list[AnyRecord]) -> None:
    """Inventory parts with decimal stock, non-inventory supplies, services; prices and
    costs; sub-cent prices for small hardware."""
    items = of(shop, Item)
    assert {i.kind for i in items} == {"inventory", "non_inventory", "service"}
    assert any(re.fullmatch(r"Aluminum \d{4} \w+ [\d.]+in", i.name) for i in items)
    assert any(i.name == "CNC machining hour" for i in items)
    stock = [i.quantity_on_hand for i in items if i.quantity_on_hand is not None]
    assert any(q != q.to_integral_value() for q in stock)
    assert any(i.sales_price is not None and i.sales_price.as_tuple().exponent < -2 for i in items)
    assert sum(i.category is not None for i in items) > len(items) / 2


def test_each_stock_count_changes_its_items_quantity(shop: list[AnyRecord]) -> None:
    """Counts come in time order, of active inventory items, and each differs from the
    item's previous figure (its quantity on hand, then its last count)."""
    items = by_id(shop, Item)
    levels = of(shop, InventoryLevel)
    assert [level.as_of for level in levels] == sorted(level.as_of for level in levels)
    books = {item.id: item.quantity_on_hand for item in items.values()}
    for level in levels:
        item = items[level.item_id]
        assert item.kind == "inventory" and item.active
        assert level.quantity_on_hand != books[item.id] and level.quantity_on_hand >= 0
        books[item.id] = level.quantity_on_hand


def test_every_date_falls_in_the_half_year_before_start(shop: list[AnyRecord]) -> None:
    """No date before ``start - HISTORY`` or after ``start``, but the due dates of recent
    invoices, which follow their terms."""
    first = MACHINE_SHOP_START - HISTORY
    for record in shop:
        for name, value in record:
            if isinstance(record, Invoice) and name == "due_date":
                continue
            if isinstance(value, datetime):
                value = value.date()
            if isinstance(value, date):
                assert first <= value <= MACHINE_SHOP_START, (record.id, name)
    assert all(level.as_of.tzinfo is not None for level in of(shop, InventoryLevel))


# -- settings ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def new_company() -> dict[str, dict[str, dict[str, Any]]]:
    """Name -> object of a new emulator company's accounts, payment methods and terms."""
    emulator = Emulator()
    objects = emulator.company(emulator.create_company("New")).objects
    return {
        entity: {obj["Name"]: obj for obj in objects[entity].values()}
        for entity in ("Account", "PaymentMethod", "Term")
    }


def test_the_settings_name_only_what_a_new_company_has(
    shop: list[AnyRecord], new_company: dict[str, dict[str, dict[str, Any]]]
) -> None:
    """Every payment method, account and term the data set or its settings name exists in
    a new QBO company; refunds come from a Bank account."""
    settings = machine_shop_settings()
    accounts = new_company["Account"]
    methods = {p.method for p in [*of(shop, Payment), *of(shop, Refund)] if p.method}
    assert {settings.qbo_payment_method(m) for m in methods} <= set(new_company["PaymentMethod"])
    assert methods <= set(settings.payment_methods)
    assert accounts[str(settings.refund_account)]["AccountType"] == "Bank"
    named = {
        settings.po_cost_account,
        settings.default_income_account,
        settings.default_expense_account,
        settings.inventory_income_account,
        settings.inventory_cogs_account,
        settings.inventory_asset_account,
        settings.payables_account,
        *settings.deposit_accounts.values(),
        *(settings.deposit_account(method) for method in methods),
    }
    lines = [line for doc in [*of(shop, PurchaseOrder), *of(shop, Bill)] for line in doc.lines]
    named |= {line.account for line in lines if isinstance(line, CostLine) and line.account}
    assert named <= set(accounts)
    assert {i.terms for i in of(shop, Invoice)} <= set(new_company["Term"])


def test_the_settings_sync_every_record(shop: list[AnyRecord]) -> None:
    """Under the machine-shop settings no record is skipped: every date is on or after the
    sync start, projects sync as sub-customers, $0 invoices sync."""
    settings = machine_shop_settings()
    assert [r.id for r in shop if settings.skip_reason(r) is not None] == []
    assert settings.customer_object == "sub_customer_per_project"
    assert settings.sync_zero_invoices
