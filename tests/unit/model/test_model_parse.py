"""Reading records: one, a file of them, their JSON Schema and their content hash."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from modelkit import EXAMPLES, customer, invoice, payment, refusals

from ledgerbridge.model import (
    Customer,
    Invoice,
    Payment,
    RecordError,
    RecordValidationError,
    content_hash,
    parse_ndjson,
    parse_record,
    record_schema,
)


def test_missing_type_is_an_error_of_the_type_field() -> None:
    """A record without "type" is refused, and the message lists the types."""
    message = refusals({"id": "x", "name": "Acme"})["type"]
    assert message.startswith("type is required: one of customer, project, vendor")


def test_unknown_type_is_an_error_of_the_type_field() -> None:
    """An unknown type is named in the message."""
    assert "'estimate' is not a record type" in refusals({"type": "estimate", "id": "x"})["type"]


def test_validation_error_carries_every_field() -> None:
    """Several problems in one record are all reported, each with its field."""
    with pytest.raises(RecordValidationError) as caught:
        parse_record(invoice(customer_id="", invoice_date="soon", colour="red"))
    errors = caught.value.errors
    assert {e.field for e in errors} == {"customer_id", "invoice_date", "colour"}
    assert all(e.record_type == "invoice" and e.record_id == "inv-1" for e in errors)
    assert all(e.line == 0 for e in errors)


def test_mixed_ndjson_keeps_good_lines_and_reports_bad_ones() -> None:
    """A bad line never stops the others: good records kept in order, each bad line named."""
    lines = [
        json.dumps(customer()),
        "{not json",
        json.dumps(invoice(lines=[{"item_id": "a", "unit_price": "1.5", "quantity": -1}])),
        "",
        json.dumps({"type": "spaceship", "id": "s1"}),
        json.dumps(payment(amount="50", applications=[{"invoice_id": "i", "amount": 60}])),
        "[1, 2]",
        json.dumps(EXAMPLES["vendor"]),
    ]
    result = parse_ndjson(lines)
    assert [type(r).__name__ for r in result.records] == ["Customer", "Vendor"]
    assert result.refused_lines == (2, 3, 5, 6, 7)
    by_line = {e.line: e for e in result.errors}
    assert by_line[2].field is None and "not valid JSON" in by_line[2].message
    assert (by_line[3].record_type, by_line[3].record_id, by_line[3].field) == (
        "invoice",
        "inv-1",
        "lines[0].quantity",
    )
    assert by_line[5].field == "type"
    assert by_line[6].field == "applications"
    assert by_line[7].message == "Line 7 must hold a JSON object {...}."
    assert not result.ok


def test_ndjson_error_renders_as_one_line() -> None:
    """str(RecordError) says where and what."""
    error = parse_ndjson([json.dumps(customer(email="nope"))]).errors[0]
    assert str(error) == (
        "line 1 (customer c-1): email: 'nope' is not an e-mail address (it needs an @ and a "
        "domain)."
    )


def test_ndjson_numbers_are_decimals_not_floats() -> None:
    """JSON numbers are read with parse_float=Decimal: 0.1 + 0.2 stays exact."""
    text = (
        '{"type":"payment","id":"p","customer_id":"c","payment_date":"2026-03-01",'
        '"amount":0.30,"applications":[{"invoice_id":"a","amount":0.1},{"invoice_id":"b","amount":0.2}]}'
    )
    result = parse_ndjson([text])
    record = result.records[0]
    assert isinstance(record, Payment)
    assert record.credit == Decimal("0.00")


def test_ndjson_refuses_nan() -> None:
    """NaN is not JSON: the line is malformed."""
    result = parse_ndjson(['{"type":"payment","amount":NaN}'])
    assert "NaN is not a number JSON allows" in result.errors[0].message


def test_ndjson_skips_blank_lines_and_a_byte_order_mark() -> None:
    """Blank lines are not errors; a BOM on the first line is ignored."""
    result = parse_ndjson(["\ufeff" + json.dumps(customer()), "   ", "\n"])
    assert result.ok
    assert len(result.records) == 1


def test_ndjson_reads_a_file_object(tmp_path: Path) -> None:
    """A text file iterates as lines and can be passed as it is."""
    path = tmp_path / "records.jsonl"
    path.write_text("\n".join(json.dumps(obj) for obj in EXAMPLES.values()) + "\n")
    with path.open() as handle:
        result = parse_ndjson(handle)
    assert result.ok
    assert len(result.records) == len(EXAMPLES)


def test_record_error_line_zero_outside_files() -> None:
    """A RecordError from parse_record has line 0 and renders as "record"."""
    error = RecordError(0, "customer", "c", "name", "name must not be empty.")
    assert str(error) == "record (customer c): name must not be empty."


def test_schema_is_a_discriminated_union_of_every_type() -> None:
    """The schema names every type under the "type" discriminator."""
    schema = record_schema()
    assert schema["$schema"].endswith("2020-12/schema")
    assert schema["discriminator"]["propertyName"] == "type"
    assert set(schema["discriminator"]["mapping"]) == set(EXAMPLES)
    json.dumps(schema)  # serializable as it is


def test_schema_shows_money_as_number_or_string() -> None:
    """A money field accepts a JSON number or a numeric string."""
    payment_schema = record_schema()["$defs"]["Payment"]
    kinds = {option["type"] for option in payment_schema["properties"]["amount"]["anyOf"]}
    assert kinds == {"number", "string"}
    assert "amount" in payment_schema["required"]


def test_content_hash_is_sha256_hex() -> None:
    """64 lower-case hex digits."""
    digest = content_hash(Customer(id="c", name="Acme"))
    assert len(digest) == 64
    assert int(digest, 16) >= 0


def test_content_hash_ignores_number_spelling_and_key_order() -> None:
    """1.5 and 1.50, keys in any order, default fields given or not: one hash."""
    first = parse_record(invoice(lines=[{"item_id": "a", "unit_price": "1.5"}]))
    second = parse_record(
        {
            "lines": [{"unit_price": 1.50, "quantity": 1, "item_id": "a", "kind": "item"}],
            "tax": 0,
            "invoice_date": "2026-03-02",
            "customer_id": "c-1",
            "id": "inv-1",
            "type": "invoice",
        }
    )
    assert content_hash(first) == content_hash(second)


def test_content_hash_changes_with_content() -> None:
    """Any change of a field changes the hash."""
    record = parse_record(invoice())
    assert isinstance(record, Invoice)
    changed = record.model_copy(update={"memo": "Thanks!"})
    assert content_hash(record) != content_hash(changed)


def test_content_hash_tells_types_apart() -> None:
    """Two records of different types never share a hash."""
    vendor = parse_record({"type": "vendor", "id": "x", "name": "Acme"})
    client = parse_record({"type": "customer", "id": "x", "name": "Acme"})
    assert content_hash(vendor) != content_hash(client)


def test_schema_uses_only_json_schema_bounds() -> None:
    """Bounds appear as minimum/maximum, never as pydantic's ge/gt/le names."""
    text = json.dumps(record_schema())
    assert not any(f'"{word}":' in text for word in ("ge", "gt", "le", "lt"))
    quantity = record_schema()["$defs"]["ItemLine"]["properties"]["quantity"]["anyOf"][0]
    assert quantity == {"minimum": 0.0, "type": "number"}
