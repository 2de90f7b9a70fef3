"""Owned fields and sparse updates: what a bookkeeper adds in QBO survives (4.2)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from mapkit import CUSTOMER, SERVICE, STOCK, VENDOR, Books

from ledgerbridge.mapping import (
    CREATE_ONLY_FIELDS,
    OWNED_FIELDS,
    QBO_ENTITY,
    Payload,
    QBORef,
    map_bill,
    map_credit_memo,
    map_customer,
    map_inventory_level,
    map_invoice,
    map_item,
    map_payment,
    map_project,
    map_purchase_order,
    map_purchase_order_bill,
    map_refund,
    map_sales_order,
    map_vendor,
    owned_fields,
    sparse_update,
)
from ledgerbridge.model import (
    RECORD_TYPES,
    Address,
    Bill,
    Contact,
    CreditMemo,
    Customer,
    InventoryLevel,
    Invoice,
    Item,
    Payment,
    Project,
    PurchaseOrder,
    Refund,
    SalesOrder,
    TenantSettings,
    parse_record,
)


def every_payload(books: Books) -> list[tuple[str, Payload]]:
    """One fully populated payload of every mapper, with its QBO entity."""
    settings = TenantSettings(
        refund_account="Checking",
        sync_start_date=date(2026, 1, 1),
        customer_object="sub_customer_per_project",
    )
    books.add("purchase_orders", "po", QBORef("7"))
    books.add("invoices", "inv", QBORef("8"))
    books.add("estimates", "so", QBORef("9"))
    books.add("projects", "p", QBORef("10"))
    refs = books.refs
    address = Address(line1="1 Main", city="Dayton")
    customer = Customer(
        id="c",
        name="Acme",
        company_name="Acme Inc",
        contacts=(Contact(first_name="A", last_name="B", primary=True),),
        billing_address=address,
        shipping_address=address,
        email="a@b.co",
        phone="1",
        notes="n",
        parent_id=CUSTOMER,
    )
    lines = (
        {"item_id": SERVICE, "unit_price": 5, "description": "d"},
        {"description": "fee", "amount": 1},
    )
    sales: dict[str, object] = {
        "customer_id": CUSTOMER,
        "number": "1",
        "lines": lines,
        "discount": {"percent": 5},
        "tax": 1,
        "memo": "m",
        "due_date": "2026-04-01",
    }
    undated = {k: v for k, v in sales.items() if k != "due_date"}
    purchase = {
        "vendor_id": VENDOR,
        "number": "2",
        "lines": [{"item_id": STOCK, "unit_cost": 1}, {"description": "f", "amount": 2}],
    }
    records = {
        "sales_order": SalesOrder.model_validate({**sales, "id": "so", "order_date": "2026-03-01"}),
        "invoice": Invoice.model_validate(
            {
                **sales,
                "id": "inv",
                "invoice_date": "2026-03-01",
                "terms": "Net 30",
                "sales_order_ids": ["so"],
            }
        ),
        "purchase_order": PurchaseOrder.model_validate(
            {
                **purchase,
                "id": "po",
                "order_date": "2026-03-01",
                "due_date": "2026-03-09",
                "ship_to": {"line1": "x"},
                "vendor_email": "v@x.co",
                "memo": "m",
                "internal_reference": "r",
                "status": "received",
            }
        ),
    }
    out: list[tuple[str, Payload]] = [
        ("Customer", map_customer(customer, settings=settings, refs=refs)),
        (
            "Customer",
            map_project(
                Project(id="p", customer_id=CUSTOMER, name="K"),
                settings=settings,
                refs=refs,
                customer=Customer(id=CUSTOMER, name="Acme"),
            ),
        ),
        (
            "Vendor",
            map_vendor(
                parse_record(
                    {
                        "type": "vendor",
                        "id": "v",
                        "name": "V",
                        "company_name": "V Inc",
                        "address": {"line1": "x"},
                        "email": "v@x.co",
                        "phone": "2",
                    }
                ),  # type: ignore[arg-type]
                settings=settings,
                refs=refs,
            ),
        ),
        (
            "Item",
            map_item(
                Item(
                    id="i",
                    name="I",
                    sku="S",
                    kind="inventory",
                    description="d",
                    sales_price=Decimal(1),
                    purchase_cost=Decimal(1),
                    quantity_on_hand=Decimal(1),
                ),
                settings=settings,
                refs=refs,
            ),
        ),
        (
            "InventoryAdjustment",
            map_inventory_level(
                InventoryLevel(
                    id="l", item_id=STOCK, quantity_on_hand=Decimal(1), as_of=datetime(2026, 3, 1)
                ),
                settings=settings,
                refs=refs,
                qbo_quantity=Decimal(0),
            ),
        ),
        ("Estimate", map_sales_order(records["sales_order"], settings=settings, refs=refs)),  # type: ignore[arg-type]
        ("Invoice", map_invoice(records["invoice"], settings=settings, refs=refs)),  # type: ignore[arg-type]
        (
            "CreditMemo",
            map_credit_memo(
                CreditMemo.model_validate(
                    {**undated, "id": "cm", "credit_date": "2026-03-01", "store_credit": True}
                ),
                settings=settings,
                refs=refs,
            ),
        ),
        (
            "RefundReceipt",
            map_refund(
                Refund(
                    id="r",
                    customer_id=CUSTOMER,
                    refund_date=date(2026, 3, 1),
                    amount=Decimal(1),
                    method="Cash",
                    reference="x",
                    memo="m",
                ),
                settings=settings,
                refs=refs,
            ),
        ),
        (
            "Payment",
            map_payment(
                Payment.model_validate(
                    {
                        "id": "pay",
                        "customer_id": CUSTOMER,
                        "payment_date": "2026-03-01",
                        "amount": 5,
                        "method": "Cash",
                        "reference": "1",
                        "memo": "m",
                        "applications": [{"invoice_id": "inv", "amount": 1}],
                    }
                ),
                settings=settings,
                refs=refs,
            ),
        ),
        (
            "PurchaseOrder",
            map_purchase_order(records["purchase_order"], settings=settings, refs=refs),
        ),  # type: ignore[arg-type]
        ("Bill", map_purchase_order_bill(records["purchase_order"], settings=settings, refs=refs)),  # type: ignore[arg-type]
        (
            "Bill",
            map_bill(
                Bill.model_validate(
                    {
                        **purchase,
                        "id": "b",
                        "bill_date": "2026-03-01",
                        "due_date": "2026-03-09",
                        "purchase_order_id": "po",
                        "memo": "m",
                    }
                ),
                settings=settings,
                refs=refs,
            ),
        ),
    ]
    return out


def test_every_payload_field_is_owned_or_create_only(books: Books) -> None:
    """A mapper never sends a field that updates would then neither own nor leave alone."""
    for entity, payload in every_payload(books):
        allowed = owned_fields(entity) | CREATE_ONLY_FIELDS.get(entity, frozenset())
        assert set(payload) <= allowed, (entity, set(payload) - allowed)


def test_every_record_type_has_an_entity_with_owned_fields() -> None:
    """Each record type maps to a QBO entity whose owned fields are known."""
    assert set(QBO_ENTITY) == set(RECORD_TYPES)
    assert set(QBO_ENTITY.values()) <= set(OWNED_FIELDS)


def test_owned_fields_of_an_unknown_entity() -> None:
    """Entities ledgerbridge never writes are refused."""
    with pytest.raises(ValueError, match="JournalEntry"):
        owned_fields("JournalEntry")


def test_server_and_bookkeeper_fields_are_not_owned() -> None:
    """Totals, balances, terms a bookkeeper set and estimate status are never sent on update."""
    assert "SalesTermRef" not in owned_fields("Customer")
    assert not {"TotalAmt", "Balance", "ClassRef"} & owned_fields("Invoice")
    assert "TxnStatus" not in owned_fields("Estimate")
    assert "QtyOnHand" not in owned_fields("Item")


def test_sparse_update_sends_only_owned_fields() -> None:
    """Id, SyncToken, sparse true, and the owned part of the payload."""
    payload = {"DisplayName": "Acme", "Balance": Decimal(5), "Notes": "n"}
    assert sparse_update("Customer", payload, qbo_id="58", sync_token="3") == {
        "Id": "58",
        "SyncToken": "3",
        "sparse": True,
        "DisplayName": "Acme",
        "Notes": "n",
    }


def test_bookkeeper_additions_survive_an_update(books: Books) -> None:
    """Terms and a phone a bookkeeper set in QBO stay when the app changes the notes."""
    settings = TenantSettings()
    record = Customer(id="c-7", name="Kessler Tool", notes="old")
    created = books.create("Customer", map_customer(record, settings=settings, refs=books.refs))
    edited = books.emulator.ui_edit(
        books.realm_id,
        "Customer",
        created["Id"],
        {"SalesTermRef": {"value": "2"}, "AlternatePhone": {"FreeFormNumber": "555-0000"}},
    )
    changed = record.model_copy(update={"notes": "new"})
    body = sparse_update(
        "Customer",
        map_customer(changed, settings=settings, refs=books.refs),
        qbo_id=created["Id"],
        sync_token=edited["SyncToken"],
    )
    updated = books.ledger.update("Customer", body)
    assert updated["Notes"] == "new"
    assert updated["SalesTermRef"]["value"] == "2"
    assert updated["AlternatePhone"] == {"FreeFormNumber": "555-0000"}


def test_invoiced_estimate_stays_closed_after_an_update(books: Books) -> None:
    """Re-sending a sales order never reopens the estimate its invoice closed."""
    settings = TenantSettings()
    order = SalesOrder.model_validate(
        {
            "id": "so",
            "customer_id": CUSTOMER,
            "order_date": "2026-03-01",
            "lines": [{"item_id": SERVICE, "unit_price": 10}],
        }
    )
    estimate = books.create("Estimate", map_sales_order(order, settings=settings, refs=books.refs))
    books.add("estimates", "so", QBORef(estimate["Id"]))
    invoice = Invoice.model_validate(
        {
            "id": "inv",
            "customer_id": CUSTOMER,
            "invoice_date": "2026-03-02",
            "lines": [{"item_id": SERVICE, "unit_price": 10}],
            "sales_order_ids": ["so"],
        }
    )
    books.create("Invoice", map_invoice(invoice, settings=settings, refs=books.refs))
    current = books.read("Estimate", estimate["Id"])
    changed = order.model_copy(update={"memo": "updated"})
    body = sparse_update(
        "Estimate",
        map_sales_order(changed, settings=settings, refs=books.refs),
        qbo_id=estimate["Id"],
        sync_token=current["SyncToken"],
    )
    updated = books.ledger.update("Estimate", body)
    assert updated["CustomerMemo"] == {"value": "updated"}
    assert updated["TxnStatus"] == "Closed"


def test_unchanged_sparse_update_changes_nothing(books: Books) -> None:
    """Sending the same owned fields again keeps QBO's SyncToken (no-op write, 4.1)."""
    settings = TenantSettings()
    record = Customer(id="c-8", name="Same Co", email="a@same.co")
    payload = map_customer(record, settings=settings, refs=books.refs)
    created = books.create("Customer", payload)
    again = books.ledger.update(
        "Customer", sparse_update("Customer", payload, qbo_id=created["Id"], sync_token="0")
    )
    assert again["SyncToken"] == "0"
