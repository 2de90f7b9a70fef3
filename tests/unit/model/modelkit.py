"""Small valid records for the model tests, as the JSON objects a host app would send."""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]


def customer(**changes: Any) -> Obj:
    return {"type": "customer", "id": "c-1", "name": "Acme Fabrication", **changes}


def invoice(**changes: Any) -> Obj:
    return {
        "type": "invoice",
        "id": "inv-1",
        "customer_id": "c-1",
        "invoice_date": "2026-03-02",
        "lines": [{"item_id": "bracket", "quantity": "3", "unit_price": "12.50"}],
        **changes,
    }


def sales_order(**changes: Any) -> Obj:
    return {
        "type": "sales_order",
        "id": "so-1",
        "customer_id": "c-1",
        "order_date": "2026-03-01",
        "lines": [{"item_id": "bracket", "quantity": 2, "unit_price": 10}],
        **changes,
    }


def payment(**changes: Any) -> Obj:
    return {
        "type": "payment",
        "id": "pay-1",
        "customer_id": "c-1",
        "payment_date": "2026-03-05",
        "amount": "100.00",
        **changes,
    }


def purchase_order(**changes: Any) -> Obj:
    return {
        "type": "purchase_order",
        "id": "po-1",
        "vendor_id": "v-1",
        "order_date": "2026-03-01",
        "lines": [{"item_id": "bracket", "quantity": 10, "unit_cost": "4.25"}],
        **changes,
    }


#: One valid example of every record type.
EXAMPLES: dict[str, Obj] = {
    "customer": customer(),
    "project": {"type": "project", "id": "p-1", "customer_id": "c-1", "name": "Kitchen"},
    "vendor": {"type": "vendor", "id": "v-1", "name": "Steel Supply Co"},
    "item": {"type": "item", "id": "bracket", "name": "Bracket", "kind": "inventory"},
    "sales_order": sales_order(),
    "invoice": invoice(),
    "purchase_order": purchase_order(),
    "bill": {
        "type": "bill",
        "id": "b-1",
        "vendor_id": "v-1",
        "bill_date": "2026-03-03",
        "lines": [{"description": "Freight", "amount": "40.00"}],
    },
    "payment": payment(),
    "refund": {
        "type": "refund",
        "id": "r-1",
        "customer_id": "c-1",
        "refund_date": "2026-03-06",
        "amount": "20.00",
    },
    "credit_memo": {
        "type": "credit_memo",
        "id": "cm-1",
        "customer_id": "c-1",
        "credit_date": "2026-03-06",
        "lines": [{"item_id": "bracket", "unit_price": "12.50"}],
    },
    "inventory_level": {
        "type": "inventory_level",
        "id": "lvl-1",
        "item_id": "bracket",
        "quantity_on_hand": "42.5",
        "as_of": "2026-03-06T10:00:00Z",
    },
}


def refusals(obj: Obj) -> dict[str | None, str]:
    """The fields ``parse_record`` refuses in ``obj``, with their messages."""
    from ledgerbridge.model import RecordValidationError, parse_record

    try:
        parse_record(obj)
    except RecordValidationError as error:
        return {e.field: e.message for e in error.errors}
    raise AssertionError(f"the record was accepted: {obj}")
