"""expected_total: what QBO computes as TotalAmt, checked against the emulator (8.4)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from mapkit import CUSTOMER, SERVICE, VENDOR, Books, open_books

from ledgerbridge.mapping import expected_total, map_invoice, map_purchase_order
from ledgerbridge.model import (
    ChargeLine,
    CostLine,
    Discount,
    Invoice,
    ItemLine,
    PurchaseItemLine,
    PurchaseOrder,
    TenantSettings,
)

TENANT = TenantSettings(sync_zero_invoices=True)

quantities = st.decimals(min_value=0, max_value=1000, places=4)
unit_prices = st.decimals(min_value=0, max_value=10_000, places=4)
cents = st.decimals(min_value=0, max_value=5_000, places=2)
adjustments = st.decimals(min_value=-200, max_value=2_000, places=2)
item_lines = st.builds(
    ItemLine,
    item_id=st.just(SERVICE),
    quantity=quantities,
    unit_price=unit_prices,
    taxable=st.booleans(),
)
charge_lines = st.builds(ChargeLine, description=st.just("Charge"), amount=adjustments)
sales_lines = st.lists(st.one_of(item_lines, item_lines, charge_lines), min_size=1, max_size=8)


@pytest.fixture(scope="module")
def shared_books() -> Books:
    """One company for every generated example (hypothesis re-runs the test body)."""
    return open_books()


def test_sums_item_lines_less_discount_plus_tax() -> None:
    """Lines rounded to cents, percent discount rounded, tax added; DescriptionOnly counts 0."""
    payload = {
        "Line": [
            {"Amount": "10.005", "DetailType": "SalesItemLineDetail"},
            {"Amount": Decimal("5"), "DetailType": "SalesItemLineDetail"},
            {"Amount": 99, "DetailType": "DescriptionOnly"},
            {
                "Amount": 0,
                "DetailType": "DiscountLineDetail",
                "DiscountLineDetail": {"PercentBased": True, "DiscountPercent": "12.5"},
            },
        ],
        "TxnTaxDetail": {"TotalTax": "1.20"},
    }
    # 10.01 + 5.00 = 15.01; 12.5 % = 1.87625 -> 1.88; 15.01 - 1.88 + 1.20 = 14.33
    assert expected_total(payload) == Decimal("14.33")


def test_fixed_discount_and_no_tax() -> None:
    """A fixed discount takes its Amount; no TxnTaxDetail is no tax."""
    payload = {
        "Line": [
            {"Amount": Decimal("40"), "DetailType": "SalesItemLineDetail"},
            {
                "Amount": Decimal("2.50"),
                "DetailType": "DiscountLineDetail",
                "DiscountLineDetail": {"PercentBased": False},
            },
        ]
    }
    assert expected_total(payload) == Decimal("37.50")


def test_purchase_lines_sum() -> None:
    """Item- and account-based expense lines add up."""
    payload = {
        "Line": [
            {"Amount": Decimal("93.50"), "DetailType": "ItemBasedExpenseLineDetail"},
            {"Amount": Decimal("35.00"), "DetailType": "AccountBasedExpenseLineDetail"},
        ]
    }
    assert expected_total(payload) == Decimal("128.50")


def test_payment_totals_its_own_amount() -> None:
    """A payload without detail lines (a Payment) totals TotalAmt."""
    payload = {"TotalAmt": Decimal("150"), "Line": [{"Amount": Decimal("60"), "LinkedTxn": []}]}
    assert expected_total(payload) == Decimal("150.00")


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=sales_lines,
    discount=st.one_of(
        st.none(),
        st.builds(Discount, percent=st.decimals(min_value=0, max_value=100, places=2)),
        st.builds(Discount, amount=cents),
    ),
    tax=cents,
)
def test_invoice_total_matches_the_emulator(
    shared_books: Books, lines: list[ItemLine | ChargeLine], discount: Discount | None, tax: Decimal
) -> None:
    """For random lines, discounts and tax: model total = expected_total = QBO's TotalAmt."""
    subtotal = sum((line.amount for line in lines), Decimal(0))
    assume(subtotal >= 0)
    assume(discount is None or discount.of(subtotal) <= subtotal)
    record = Invoice(
        id="inv",
        customer_id=CUSTOMER,
        invoice_date=date(2026, 3, 2),
        lines=tuple(lines),
        discount=discount,
        tax=tax,
    )
    payload = map_invoice(record, settings=TENANT, refs=shared_books.refs)
    qbo_total = shared_books.create("Invoice", payload)["TotalAmt"]
    assert expected_total(payload) == qbo_total == record.total


@settings(
    max_examples=75, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=st.lists(
        st.one_of(
            st.builds(
                PurchaseItemLine,
                item_id=st.just(SERVICE),
                quantity=quantities,
                unit_cost=unit_prices,
            ),
            st.builds(
                CostLine, description=st.just("Freight"), amount=cents.filter(lambda a: a > 0)
            ),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_purchase_order_total_matches_the_emulator(
    shared_books: Books, lines: list[PurchaseItemLine | CostLine]
) -> None:
    """For random item and cost lines: model total = expected_total = QBO's TotalAmt."""
    record = PurchaseOrder(
        id="po", vendor_id=VENDOR, order_date=date(2026, 3, 1), lines=tuple(lines)
    )
    payload = map_purchase_order(record, settings=TENANT, refs=shared_books.refs)
    qbo_total = shared_books.create("PurchaseOrder", payload)["TotalAmt"]
    assert expected_total(payload) == qbo_total == record.total
