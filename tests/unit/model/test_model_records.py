"""The canonical records: fields, defaults and the rules that make a record meaningless."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from modelkit import EXAMPLES, customer, invoice, payment, purchase_order, refusals, sales_order
from pydantic import ValidationError

from ledgerbridge.model import (
    RECORD_TYPES,
    ChargeLine,
    CostLine,
    CreditMemo,
    Customer,
    InventoryLevel,
    Invoice,
    ItemLine,
    Payment,
    PurchaseItemLine,
    PurchaseOrder,
    Refund,
    SalesOrder,
    parse_record,
)


@pytest.mark.parametrize("record_type", sorted(EXAMPLES))
def test_every_type_parses_to_its_model(record_type: str) -> None:
    """Each example becomes the model its type names, and keeps its app id."""
    record = parse_record(EXAMPLES[record_type])
    assert type(record) is RECORD_TYPES[record_type]
    assert record.type == record_type
    assert record.id == EXAMPLES[record_type]["id"]


def test_every_type_has_an_example() -> None:
    """The examples cover the twelve record types."""
    assert set(EXAMPLES) == set(RECORD_TYPES)
    assert len(RECORD_TYPES) == 12


def test_records_are_frozen() -> None:
    """A record cannot be changed after validation; model_copy makes a new one."""
    record = Customer(id="c", name="Acme")
    with pytest.raises(ValidationError):
        record.name = "Other"  # type: ignore[misc]
    assert record.model_copy(update={"name": "Other"}).name == "Other"


def test_unknown_fields_are_refused() -> None:
    """extra="forbid": a misspelt field is an error, not silently dropped."""
    assert refusals(customer(nmae="x"))["nmae"] == (
        "nmae is not a known field of customer records."
    )


@pytest.mark.parametrize("bad_id", ["", "x" * 101])
def test_ids_are_one_to_a_hundred_characters(bad_id: str) -> None:
    """The app's id is required and at most 100 characters."""
    assert "id" in refusals(customer(id=bad_id))


def test_numeric_ids_are_read_as_text() -> None:
    """Apps with integer ids can send them as JSON numbers."""
    assert parse_record(customer(id=42, parent_id=7)).id == "42"


def test_blank_optional_text_counts_as_absent() -> None:
    """An empty e-mail or phone is "not given", not an invalid value."""
    record = parse_record(customer(email="  ", phone="", notes=""))
    assert isinstance(record, Customer)
    assert (record.email, record.phone, record.notes) == (None, None, None)


def test_names_are_trimmed_and_may_not_be_blank() -> None:
    """Surrounding spaces go; a name of spaces only is refused."""
    assert parse_record(customer(name="  Acme  ")).name == "Acme"  # type: ignore[union-attr]
    assert refusals(customer(name="   "))["name"] == "name must not be empty."


# -- customers --------------------------------------------------------------------------------


def test_customer_with_one_primary_contact() -> None:
    """The primary contact is found among several."""
    record = parse_record(
        customer(
            contacts=[
                {"first_name": "Bo", "email": "bo@acme.com"},
                {"first_name": "Ann", "last_name": "Lee", "primary": True},
            ]
        )
    )
    assert isinstance(record, Customer)
    assert record.primary_contact is not None
    assert record.primary_contact.first_name == "Ann"


@pytest.mark.parametrize("flags", [[False, False], [True, True]])
def test_contacts_need_exactly_one_primary(flags: list[bool]) -> None:
    """None or two primary contacts is refused on the contacts field."""
    contacts = [{"first_name": f"P{i}", "primary": flag} for i, flag in enumerate(flags)]
    message = refusals(customer(contacts=contacts))["contacts"]
    assert "exactly one contact must be primary" in message


def test_contact_needs_something_to_show() -> None:
    """A contact with no name, e-mail or phone is refused."""
    assert "contacts[0].first_name" in refusals(customer(contacts=[{"primary": True}]))


def test_customer_cannot_be_its_own_parent() -> None:
    """parent_id equal to id is refused."""
    assert "own parent" in refusals(customer(parent_id="c-1"))["parent_id"]


@pytest.mark.parametrize("email", ["ann", "ann@acme", "ann @acme.com", "@acme.com"])
def test_email_needs_an_at_and_a_domain(email: str) -> None:
    """QBO refuses addresses without @ and a dotted domain; intake refuses them first."""
    assert "not an e-mail address" in refusals(customer(email=email))["email"]


def test_limits_qbo_cannot_shorten_are_checked_at_intake() -> None:
    """Phone 30, postal code 30, address lines 500, e-mail 100: each names its field."""
    problems = refusals(
        customer(
            phone="1" * 31,
            email="a" * 95 + "@b.com",
            billing_address={"line1": "x" * 501, "postal_code": "9" * 31},
        )
    )
    assert problems["phone"] == "phone must be at most 30 characters (got 31)."
    assert "at most 100" in problems["email"]
    assert "at most 500" in problems["billing_address.line1"]
    assert "at most 30" in problems["billing_address.postal_code"]


def test_long_names_and_notes_are_left_to_mapping() -> None:
    """Names and notes longer than QBO's limits are accepted: mapping shortens them."""
    record = parse_record(customer(name="N" * 800, notes="n" * 3000))
    assert isinstance(record, Customer)
    assert len(record.name) == 800


# -- sales documents --------------------------------------------------------------------------


def test_line_kind_is_inferred() -> None:
    """Without "kind", an item_id makes an item line and an amount alone a charge line."""
    record = parse_record(
        invoice(
            lines=[
                {"item_id": "x", "unit_price": "5"},
                {"description": "Setup fee", "amount": "25.00"},
            ]
        )
    )
    assert isinstance(record, Invoice)
    assert isinstance(record.lines[0], ItemLine)
    assert isinstance(record.lines[1], ChargeLine)
    assert record.lines[0].quantity == 1


def test_unknown_line_kind_names_the_kind_field() -> None:
    """A kind that is neither item nor charge is reported on lines[i].kind."""
    problems = refusals(invoice(lines=[{"kind": "gift", "amount": 1}]))
    assert (
        problems["lines[0].kind"] == "lines[0].kind must be one of 'item', 'charge' (got 'gift')."
    )


def test_line_errors_name_the_line() -> None:
    """A bad quantity on the second line is reported as lines[1].quantity."""
    problems = refusals(
        invoice(
            lines=[
                {"item_id": "a", "unit_price": 1},
                {"item_id": "b", "unit_price": 1, "quantity": -2},
            ]
        )
    )
    assert problems == {"lines[1].quantity": "lines[1].quantity must not be negative (got -2)."}


def test_documents_need_lines() -> None:
    """An invoice without lines is refused on lines (and only that is said)."""
    assert refusals(invoice(lines=[])) == {"lines": "lines needs at least 1 entry."}


def test_totals_round_each_line_then_discount_then_tax() -> None:
    """Subtotal of rounded lines, percent discount rounded half-up, plus tax (QBO 8.4)."""
    record = parse_record(
        invoice(
            lines=[
                {"item_id": "a", "quantity": "3", "unit_price": "0.335"},  # 1.005 -> 1.01
                {"item_id": "b", "quantity": "1", "unit_price": "0.125"},  # 0.125 -> 0.13
                {"description": "Fee", "amount": "10.00"},
            ],
            discount={"percent": "12.5"},  # 11.14 x 12.5% = 1.3925 -> 1.39
            tax="0.78",
        )
    )
    assert isinstance(record, Invoice)
    assert (record.subtotal, record.discount_total, record.total) == (
        Decimal("11.14"),
        Decimal("1.39"),
        Decimal("10.53"),
    )


def test_discount_is_a_percent_or_an_amount() -> None:
    """Both or neither is refused, inside the discount field."""
    assert "either a percent or an amount" in refusals(invoice(discount={}))["discount.percent"]
    both = refusals(invoice(discount={"percent": 5, "amount": 1}))
    assert "discount.percent" in both


def test_percent_is_between_0_and_100() -> None:
    """A 120 % discount is refused."""
    assert refusals(invoice(discount={"percent": 120}))["discount.percent"] == (
        "discount.percent must be at most 100 (got 120)."
    )


def test_discount_cannot_exceed_the_subtotal() -> None:
    """A $50 discount on a $37.50 invoice would make it negative."""
    assert "more than the subtotal" in refusals(invoice(discount={"amount": 50}))["discount"]


def test_charge_lines_may_be_negative_but_not_the_document() -> None:
    """An adjustment line is fine; lines adding up below zero are not."""
    ok = parse_record(
        invoice(lines=[{"item_id": "a", "unit_price": 10}, {"description": "Adj", "amount": -4}])
    )
    assert ok.total == Decimal("6.00")  # type: ignore[union-attr]
    assert "negative" in refusals(invoice(lines=[{"description": "Adj", "amount": -4}]))["lines"]


def test_due_date_cannot_precede_the_document() -> None:
    """An invoice due before it was issued is refused on due_date."""
    message = refusals(invoice(due_date="2026-03-01"))["due_date"]
    assert message == "due_date: the due date 2026-03-01 is before the invoice date 2026-03-02."


def test_dates_are_iso() -> None:
    """A date in another format names its field and shows the expected form."""
    assert "must be a date such as" in refusals(invoice(invoice_date="03/02/2026"))["invoice_date"]


def test_invoice_bills_several_sales_orders_once_each() -> None:
    """sales_order_ids keeps the app's order; the same one twice is refused."""
    record = parse_record(invoice(sales_order_ids=["so-2", "so-1"]))
    assert record.sales_order_ids == ("so-2", "so-1")  # type: ignore[union-attr]
    assert "twice" in refusals(invoice(sales_order_ids=["so-1", "so-1"]))["sales_order_ids"]


def test_sales_order_defaults() -> None:
    """A sales order needs no number, memo, discount or tax."""
    record = parse_record(sales_order())
    assert isinstance(record, SalesOrder)
    assert (record.number, record.discount, record.tax) == (None, None, Decimal(0))
    assert record.total == Decimal("20.00")


def test_document_number_is_at_most_21_characters() -> None:
    """QBO's DocNumber holds 21 characters; a longer app number is refused at intake."""
    assert "at most 21" in refusals(invoice(number="N" * 22))["number"]


def test_credit_memo_store_credit_as_an_amount() -> None:
    """Store credit may be a plain amount with no lines; its total is that amount."""
    record = parse_record(
        {
            "type": "credit_memo",
            "id": "cm",
            "customer_id": "c",
            "credit_date": "2026-03-01",
            "store_credit": True,
            "amount": "25.00",
        }
    )
    assert isinstance(record, CreditMemo)
    assert record.total == Decimal("25.00")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": "5.00"}, "amount"),
        (
            {"amount": "5.00", "store_credit": True, "lines": [{"item_id": "a", "unit_price": 1}]},
            "amount",
        ),
        ({}, "lines"),
    ],
)
def test_credit_memo_needs_lines_or_store_credit_amount(
    changes: dict[str, Any], field: str
) -> None:
    """An amount is only for store credit, never with lines; without either, lines is wrong."""
    obj = {
        "type": "credit_memo",
        "id": "cm",
        "customer_id": "c",
        "credit_date": "2026-03-01",
        **changes,
    }
    assert field in refusals(obj)


def test_refund_lines_must_add_up_to_its_amount() -> None:
    """Lines given with a refund must total its amount."""
    obj = {
        "type": "refund",
        "id": "r",
        "customer_id": "c",
        "refund_date": "2026-03-01",
        "amount": "10.00",
        "lines": [{"description": "Return", "amount": "9.99"}],
    }
    assert "not the refund amount" in refusals(obj)["lines"]
    obj["amount"] = "9.99"
    assert isinstance(parse_record(obj), Refund)


# -- purchases --------------------------------------------------------------------------------


def test_purchase_order_lines_and_defaults() -> None:
    """Item lines and cost lines (kind inferred); status defaults to ordered."""
    record = parse_record(
        purchase_order(
            lines=[
                {"item_id": "a", "quantity": "2.5", "unit_cost": "3.333"},
                {"description": "Freight", "amount": "12.00", "account": "Freight In"},
            ]
        )
    )
    assert isinstance(record, PurchaseOrder)
    assert isinstance(record.lines[0], PurchaseItemLine)
    assert isinstance(record.lines[1], CostLine)
    assert record.status == "ordered"
    assert record.total == Decimal("20.33")  # 8.3325 -> 8.33, + 12.00


def test_purchase_order_may_be_a_draft_without_lines() -> None:
    """The model keeps an empty order; mapping refuses to send it."""
    assert parse_record(purchase_order(lines=[])).lines == ()  # type: ignore[union-attr]


def test_purchase_order_status_is_one_of_three() -> None:
    """ordered, received or finished."""
    message = refusals(purchase_order(status="shipped"))["status"]
    assert message.startswith("status must be one of 'ordered', 'received' or 'finished'")


def test_received_date_not_before_order() -> None:
    """A PO received before it was ordered is refused."""
    assert "received_date" in refusals(purchase_order(received_date="2026-02-01"))


def test_unknown_purchase_line_kind() -> None:
    """A purchase line kind that is neither item nor cost names lines[i].kind."""
    assert "lines[0].kind" in refusals(purchase_order(lines=[{"kind": "charge", "amount": 1}]))


# -- payments ---------------------------------------------------------------------------------


def test_payment_remainder_is_credit() -> None:
    """amount - applications is the customer's credit."""
    record = parse_record(
        payment(
            applications=[
                {"invoice_id": "i1", "amount": 60},
                {"invoice_id": "i2", "amount": "15.50"},
            ]
        )
    )
    assert isinstance(record, Payment)
    assert (record.applied, record.credit) == (Decimal("75.50"), Decimal("24.50"))


def test_payment_cannot_apply_more_than_it_brings() -> None:
    """A negative remainder is refused on applications."""
    message = refusals(payment(applications=[{"invoice_id": "i1", "amount": "100.01"}]))[
        "applications"
    ]
    assert "cannot be negative" in message


def test_payment_applications_are_positive_and_distinct() -> None:
    """A zero application and an invoice listed twice are refused."""
    assert (
        "more than zero"
        in refusals(payment(applications=[{"invoice_id": "i", "amount": 0}]))[
            "applications[0].amount"
        ]
    )
    twice = [{"invoice_id": "i", "amount": 1}, {"invoice_id": "i", "amount": 2}]
    assert "twice" in refusals(payment(applications=twice))["applications"]


def test_payment_reference_fits_qbo() -> None:
    """PaymentRefNum holds 21 characters."""
    assert "at most 21" in refusals(payment(reference="R" * 22))["reference"]


def test_zero_payment_with_no_applications_is_allowed() -> None:
    """A $0 payment is odd but not meaningless (it may only link credits)."""
    assert parse_record(payment(amount=0)).credit == 0  # type: ignore[union-attr]


def test_inventory_level_reads_iso_datetimes() -> None:
    """as_of is an ISO date-time; quantities may be decimal or negative (oversold)."""
    record = parse_record(
        {
            "type": "inventory_level",
            "id": "l",
            "item_id": "a",
            "quantity_on_hand": "-1.5",
            "as_of": "2026-03-06T10:00:00+00:00",
        }
    )
    assert isinstance(record, InventoryLevel)
    assert record.as_of == datetime(2026, 3, 6, 10, tzinfo=UTC)
    assert record.quantity_on_hand == Decimal("-1.5")


def test_python_construction_takes_the_same_rules() -> None:
    """Building a record in Python validates like parsing JSON does."""
    order = SalesOrder(
        id="so",
        customer_id="c",
        order_date=date(2026, 3, 1),
        lines=(ItemLine(item_id="a", unit_price=Decimal("2.50"), quantity=Decimal(2)),),
    )
    assert order.total == Decimal("5.00")
    with pytest.raises(ValidationError):
        SalesOrder(id="so", customer_id="c", order_date=date(2026, 3, 1), lines=())
