"""Properties of mapping over generated input (hypothesis), checked against the emulator.

Totals: for generated sales orders, invoices, credit memos and purchase orders, with
quantities and prices of up to five decimals, percent or fixed discounts and tax, the
``TotalAmt`` the emulator computes (QBO's per-line half-up rounding, ``QBO-REFERENCE.md``
8.4) equals :func:`expected_total` of the payload and the record's own total, to the cent.

Names: the rules of ``ledgerbridge.mapping._names`` (its docstring, ``docs/sync-rules.md``)
hold for names with quotes, backslashes, colons, Unicode, control characters and over-long
values, and the emulator stores every name and memo mapping produces without a validation
fault. ``test_mapping_totals.py`` and ``test_mapping_names.py`` have the worked examples.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from mapkit import CUSTOMER, HOURS, SERVICE, VENDOR, Books, open_books

from ledgerbridge.mapping import (
    NameKind,
    clip,
    expected_total,
    map_credit_memo,
    map_customer,
    map_invoice,
    map_item,
    map_purchase_order,
    map_sales_order,
    map_vendor,
    normalize_name,
    qbo_name,
    strip_deleted_suffix,
)
from ledgerbridge.mapping._names import NAME_LIMITS
from ledgerbridge.model import (
    ChargeLine,
    CostLine,
    CreditMemo,
    Customer,
    Discount,
    Invoice,
    Item,
    ItemLine,
    PurchaseItemLine,
    PurchaseOrder,
    SalesOrder,
    TenantSettings,
    Vendor,
)

TENANT = TenantSettings(sync_zero_invoices=True)
DAY = date(2026, 3, 2)
#: enough examples to find a rounding edge, few enough for ``make test``
SOME = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# -- strategies -------------------------------------------------------------------------------

quantities = st.decimals(min_value=0, max_value=500, places=5)
unit_prices = st.decimals(min_value=0, max_value=5_000, places=5)
cents = st.decimals(min_value=0, max_value=2_000, places=2)
#: characters that break naive escaping, joining or counting
awkward = st.sampled_from(
    ['"', "'", "\\", ":", " : ", "\t", "\n", "\r", "\x00", "\x1f", "\u2028", "\u00a0", "&", "%"]
)
unicode_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=40
)
awkward_text = st.lists(st.one_of(awkward, unicode_text), min_size=1, max_size=12).map("".join)
#: short names, and names past every limit (display names are the longest, 500)
names = st.one_of(
    awkward_text,
    st.tuples(awkward_text, st.integers(min_value=501, max_value=900)).map(
        lambda pair: (pair[0] + "x" * pair[1])[: pair[1]]
    ),
)
kinds = st.sampled_from(sorted(NAME_LIMITS))
descriptions = st.one_of(st.none(), awkward_text)


def _sales_line() -> st.SearchStrategy[ItemLine | ChargeLine]:
    item = st.builds(
        ItemLine,
        item_id=st.sampled_from([SERVICE, HOURS]),
        description=descriptions,
        quantity=quantities,
        unit_price=unit_prices,
        taxable=st.booleans(),
    )
    charge = st.builds(
        ChargeLine,
        description=st.just("Rush fee"),
        amount=st.decimals(min_value=-100, max_value=1_000, places=2),
    )
    return st.one_of(item, item, charge)


sales_lines = st.lists(_sales_line(), min_size=1, max_size=6)
discounts = st.one_of(
    st.none(),
    st.builds(Discount, percent=st.decimals(min_value=0, max_value=100, places=3)),
    st.builds(Discount, amount=cents),
)


@pytest.fixture(scope="module")
def shared_books() -> Books:
    """One company for every generated document (documents have no unique names)."""
    return open_books()


def _acceptable(lines: list[ItemLine | ChargeLine], discount: Discount | None) -> None:
    """Skip what the model refuses anyway: a negative document, a discount over it."""
    subtotal = sum((line.amount for line in lines), Decimal(0))
    assume(subtotal >= 0)
    assume(discount is None or discount.of(subtotal) <= subtotal)


def _same_total(books: Books, entity: str, payload: dict[str, Any], total: Decimal) -> None:
    """QBO's TotalAmt (the emulator's), expected_total and the app's total agree."""
    stored = books.create(entity, payload)
    assert Decimal(str(stored["TotalAmt"])) == expected_total(payload) == total


# -- totals -----------------------------------------------------------------------------------


#: a sales document type -> (its model and date field, its mapper, the QBO entity)
SALES_DOCUMENTS: dict[str, tuple[Any, str, Any, str]] = {
    "sales_order": (SalesOrder, "order_date", map_sales_order, "Estimate"),
    "invoice": (Invoice, "invoice_date", map_invoice, "Invoice"),
    "credit_memo": (CreditMemo, "credit_date", map_credit_memo, "CreditMemo"),
}


@pytest.mark.parametrize("kind", sorted(SALES_DOCUMENTS))
@SOME
@given(lines=sales_lines, discount=discounts, tax=cents, memo=descriptions)
def test_a_sales_documents_total_is_qbos_to_the_cent(
    shared_books: Books,
    kind: str,
    lines: list[ItemLine | ChargeLine],
    discount: Discount | None,
    tax: Decimal,
    memo: str | None,
) -> None:
    """A sales order (an Estimate), an invoice or a credit memo with 5-decimal quantities and
    prices, any discount and tax, totals in QBO exactly as the app computed it."""
    _acceptable(lines, discount)
    model, date_field, mapper, entity = SALES_DOCUMENTS[kind]
    record = model(
        id="doc",
        customer_id=CUSTOMER,
        lines=tuple(lines),
        discount=discount,
        tax=tax,
        memo=memo,
        **{date_field: DAY},
    )
    payload = mapper(record, settings=TENANT, refs=shared_books.refs)
    _same_total(shared_books, entity, payload, record.total)


@SOME
@given(
    lines=st.lists(
        st.one_of(
            st.builds(
                PurchaseItemLine,
                item_id=st.sampled_from([SERVICE, HOURS]),
                description=descriptions,
                quantity=quantities,
                unit_cost=unit_prices,
            ),
            st.builds(
                CostLine, description=st.just("Freight"), amount=cents.filter(lambda a: a > 0)
            ),
        ),
        min_size=1,
        max_size=6,
    ),
    memo=descriptions,
)
def test_purchase_order_total_is_qbos_to_the_cent(
    shared_books: Books, lines: list[PurchaseItemLine | CostLine], memo: str | None
) -> None:
    """A purchase order with 5-decimal quantities and costs."""
    record = PurchaseOrder(
        id="po",
        vendor_id=VENDOR,
        order_date=DAY,
        lines=tuple(lines),
        memo=memo,
        internal_reference=memo,
    )
    payload = map_purchase_order(record, settings=TENANT, refs=shared_books.refs)
    _same_total(shared_books, "PurchaseOrder", payload, record.total)


# -- names: the documented rules --------------------------------------------------------------


def _is_clean(name: str, kind: NameKind) -> bool:
    """Nothing for qbo_name to change: NFC, no colon, no control or separator character,
    single inner spaces, trimmed, within the limit (and no double quote for accounts)."""
    return (
        name == unicodedata.normalize("NFC", name)
        and ":" not in name
        and not any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in name)
        and name == " ".join(name.split())
        and 0 < len(name) <= NAME_LIMITS[kind]
        and not (kind == "account" and '"' in name)
    )


@given(name=names, kind=kinds)
def test_qbo_name_follows_its_rules(name: str, kind: NameKind) -> None:
    """No colon or control character survives, the limit holds, a clean name (quotes,
    backslashes and any Unicode included) is kept as it is, and cleaning twice changes
    nothing more."""
    try:
        cleaned = qbo_name(name, kind=kind)
    except ValueError:
        assert all(c.isspace() or unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in name)
        return
    assert ":" not in cleaned
    assert not any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in cleaned)
    assert cleaned == " ".join(cleaned.split()) and 0 < len(cleaned) <= NAME_LIMITS[kind]
    assert qbo_name(cleaned, kind=kind) == cleaned
    if _is_clean(name, kind):
        assert cleaned == name


@given(name=names)
def test_a_cut_name_is_the_start_of_the_uncut_one(name: str) -> None:
    """Rule 5: shorter kinds take the first characters of the same cleaned name."""
    try:
        whole = qbo_name(name[:400], kind="display_name")
    except ValueError:
        return
    for kind in ("item", "payment_method"):
        assert qbo_name(name[:400], kind=kind) == whole[: NAME_LIMITS[kind]].rstrip()


@given(name=names, suffix=st.sampled_from([" (deleted)", " (deleted-1)", " (deleted-12)"]))
def test_a_renamed_inactive_record_still_matches(name: str, suffix: str) -> None:
    """What QBO makes of a name it deactivates, or a bookkeeper's change of case and spacing,
    compares equal to the app's name (the engine's matching rule)."""
    try:
        sent = qbo_name(name, kind="display_name")
    except ValueError:
        return
    wanted = normalize_name(sent)
    assert normalize_name(strip_deleted_suffix(sent + suffix)) == wanted
    retyped = "".join(c.swapcase() if c.isascii() else c for c in sent)
    assert normalize_name(f"  {retyped}\t") == wanted


@given(text=st.text(max_size=300), limit=st.integers(min_value=1, max_value=200))
def test_clip_keeps_short_text_and_marks_a_cut(text: str, limit: int) -> None:
    """Within the limit: unchanged. Over it: a prefix of the text and an ellipsis, within it."""
    clipped = clip(text, limit=limit)
    if len(text) <= limit:
        assert clipped == text
        return
    assert len(clipped) <= limit and clipped.endswith("\u2026")
    assert text.startswith(clipped[:-1])


# -- names: QBO takes what mapping makes ------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(name=names, company=names, notes=descriptions)
def test_qbo_stores_every_list_name_mapping_makes(
    name: str, company: str, notes: str | None
) -> None:
    """A customer, a vendor and an item named with awkward or over-long text are created in
    QBO without a fault (no 2050 "invalid string", no 6000 "too long"), as sent."""
    assume(qbo_name_or_none(name) is not None and qbo_name_or_none(company) is not None)
    books = open_books()  # a fresh company: generated names may collide after cleaning
    customer = map_customer(
        Customer(id="c", name=name, company_name=company, notes=notes),
        settings=TENANT,
        refs=books.refs,
    )
    # QBO names are unique across customers and vendors (6240): the vendor's differs
    vendor = map_vendor(Vendor(id="v", name=f"Vendor {name}"), settings=TENANT, refs=books.refs)
    item = map_item(Item(id="i", name=name, kind="service"), settings=TENANT, refs=books.refs)
    stored = books.create("Customer", customer)
    assert stored["DisplayName"] == customer["DisplayName"]
    assert stored.get("CompanyName") == customer.get("CompanyName")
    assert books.create("Vendor", vendor)["DisplayName"] == vendor["DisplayName"]
    assert books.create("Item", item)["Name"] == item["Name"]


def qbo_name_or_none(name: str) -> str | None:
    """The display name, or None when nothing printable is left (mapping refuses those)."""
    try:
        return qbo_name(name.strip(), kind="display_name")
    except ValueError:
        return None
