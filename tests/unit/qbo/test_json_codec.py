"""The JSON codec of request and response bodies: money stays Decimal, digit for digit."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from ledgerbridge.qbo._json import dumps, loads


def test_decimals_go_out_as_their_digits() -> None:
    """No float in between: 17 significant digits survive, trailing zeros too."""
    body = {"Amount": Decimal("12345678901234.5678"), "Rate": Decimal("0.10"), "Qty": 3}
    assert dumps(body) == b'{"Amount":12345678901234.5678,"Rate":0.10,"Qty":3}'


def test_exponent_decimals_are_plain_numbers() -> None:
    assert dumps([Decimal("1E+3"), Decimal("1E-7"), Decimal("-0")]) == b"[1000,0.0000001,-0]"


def test_output_is_valid_json_with_unicode_and_escapes() -> None:
    document = {
        "DisplayName": 'Zürich "Ünïcode" \\ O\'Brien\n',
        "Active": True,
        "Missing": None,
        "Lines": ({"Id": "1"}, []),
        "TxnDate": date(2026, 1, 2),
        "When": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    }
    raw = dumps(document)
    assert "Zürich".encode() in raw  # UTF-8, not \u escapes
    assert json.loads(raw) == {
        "DisplayName": 'Zürich "Ünïcode" \\ O\'Brien\n',
        "Active": True,
        "Missing": None,
        "Lines": [{"Id": "1"}, []],
        "TxnDate": "2026-01-02",
        "When": "2026-01-02T03:04:05+00:00",
    }


@pytest.mark.parametrize(
    ("value", "error", "where"),
    [
        ({"Line": [{"Amount": 1.5}]}, TypeError, r"\$\.Line\[0\]\.Amount"),
        ({"Amount": Decimal("NaN")}, ValueError, r"\$\.Amount"),
        ({1: "x"}, TypeError, "keys"),
        ({"Blob": b"bytes"}, TypeError, "bytes"),
        ({"Set": {1}}, TypeError, "set"),
    ],
)
def test_what_json_cannot_say_exactly_is_refused(
    value: object, error: type[Exception], where: str
) -> None:
    """A float is refused, not rounded; the message names where it is in the body."""
    with pytest.raises(error, match=where):
        dumps(value)


def test_loads_reads_fractions_as_decimal() -> None:
    document = loads(b'{"TotalAmt":100.10,"Qty":2,"Rate":1e-2}')
    assert document == {"TotalAmt": Decimal("100.10"), "Qty": 2, "Rate": Decimal("0.01")}
    assert isinstance(document["TotalAmt"], Decimal) and isinstance(document["Qty"], int)
