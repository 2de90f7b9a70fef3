"""Money as Decimal: conversion, cents, and QBO's half-up rounding (QBO-REFERENCE.md 8.4)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from modelkit import invoice, payment, refusals

from ledgerbridge.model import Invoice, Payment, parse_record, round_money, to_decimal


def test_floats_convert_through_their_shortest_text() -> None:
    """0.1 becomes Decimal("0.1"), not the binary float's 55 digits."""
    assert to_decimal(0.1) == Decimal("0.1")
    assert to_decimal(1234.56) == Decimal("1234.56")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (7, Decimal(7)),
        ("12.50", Decimal("12.50")),
        (" 3 ", Decimal(3)),
        (Decimal("2.5"), Decimal("2.5")),
    ],
)
def test_numbers_and_numeric_strings_are_accepted(given: object, expected: Decimal) -> None:
    """Ints, numeric strings and Decimals all read as the same Decimal."""
    assert to_decimal(given) == expected


@pytest.mark.parametrize("given", [True, "twelve", "NaN", "Infinity", None, [1]])
def test_non_numbers_are_refused(given: object) -> None:
    """Booleans, text, NaN, infinities and other types are not numbers."""
    with pytest.raises(ValueError, match="must be"):
        to_decimal(given)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.005", "0.01"),
        ("0.015", "0.02"),
        ("2.675", "2.68"),
        ("-0.005", "-0.01"),
        ("1.004", "1.00"),
    ],
)
def test_round_money_is_half_up_to_the_cent(value: str, expected: str) -> None:
    """Half a cent rounds away from zero, as QBO rounds Qty x UnitPrice."""
    assert round_money(Decimal(value)) == Decimal(expected)


def test_money_fields_take_floats_exactly() -> None:
    """A JSON float amount is read through its text, so 0.1 + 0.2 style drift cannot creep in."""
    record = parse_record(payment(amount=100.1))
    assert isinstance(record, Payment)
    assert record.amount == Decimal("100.10")


def test_sub_cent_amounts_are_refused_not_rounded() -> None:
    """An amount of money with more than two decimal places names its field."""
    problems = refusals(payment(amount="10.005"))
    assert "at most two decimal places" in problems["amount"]


def test_trailing_zeros_are_not_extra_places() -> None:
    """10.000 is ten dollars: it is accepted and stored as 10.00."""
    record = parse_record(payment(amount="10.000"))
    assert isinstance(record, Payment)
    assert str(record.amount) == "10.00"


def test_quantities_and_prices_may_have_more_places() -> None:
    """Quantities and unit prices keep their decimals; the line amount is rounded per line."""
    record = parse_record(
        invoice(lines=[{"item_id": "x", "quantity": "1.3333", "unit_price": "2.0049"}])
    )
    assert isinstance(record, Invoice)
    line = record.lines[0]
    assert (line.quantity, line.unit_price) == (Decimal("1.3333"), Decimal("2.0049"))
    assert line.amount == Decimal("2.67")  # 2.67313317 -> 2.67


def test_negative_money_is_refused_where_it_makes_no_sense() -> None:
    """A payment amount cannot be negative; the message says so and names the field."""
    assert refusals(payment(amount=-5))["amount"] == "amount must not be negative (got -5)."


def test_boolean_is_not_an_amount() -> None:
    """true is not a number even though Python would treat it as 1."""
    assert "true or false" in refusals(payment(amount=True))["amount"]
