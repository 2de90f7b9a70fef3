"""Purchase orders, the bill a received order becomes, and vendor bills (QBO-REFERENCE.md 8.5)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from mapkit import HOURS, STOCK, VENDOR, Books

from ledgerbridge.mapping import (
    MappingError,
    QBORef,
    SkipRecordError,
    UnresolvedReferenceError,
    expected_total,
    map_bill,
    map_purchase_order,
    map_purchase_order_bill,
)
from ledgerbridge.model import Bill, PurchaseOrder, TenantSettings, Vendor, parse_record


def purchase_order(**changes: Any) -> PurchaseOrder:
    record = parse_record(
        {
            "type": "purchase_order",
            "id": "po-1",
            "vendor_id": VENDOR,
            "number": "1042",
            "order_date": "2026-03-01",
            "due_date": "2026-03-15",
            "lines": [
                {
                    "item_id": STOCK,
                    "description": "Bracket blanks",
                    "quantity": "40",
                    "unit_cost": "2.3375",
                },
                {"description": "Freight", "amount": "35.00"},
                {
                    "description": "Hazmat fee",
                    "amount": "12.50",
                    "account": "Legal & Professional Fees",
                },
                {"description": "Waived handling", "amount": "0"},
            ],
            "ship_to": {"line1": "Receiving, Dock 2", "city": "Dayton", "region": "OH"},
            "vendor_email": "orders@steel.example",
            "memo": "Please deliver mornings",
            "internal_reference": "Job 2231 / Ann",
            **changes,
        }
    )
    assert isinstance(record, PurchaseOrder)
    return record


def test_purchase_order_payload(settings: TenantSettings, books: Books) -> None:
    """Item-based and account-based lines, PO-{number}, dates, e-mail, ship-to, notes."""
    vendor = Vendor(
        id=VENDOR, name="Steel Supply Co", address={"line1": "9 Forge St", "city": "Akron"}
    )  # type: ignore[arg-type]
    record = purchase_order()
    payload = map_purchase_order(record, settings=settings, refs=books.refs, vendor=vendor)
    assert (payload["DocNumber"], payload["TxnDate"], payload["DueDate"]) == (
        "PO-1042",
        "2026-03-01",
        "2026-03-15",
    )
    assert payload["VendorRef"] == books.refs.vendor(VENDOR).payload()
    assert (
        payload["APAccountRef"] == books.refs.account("Accounts Payable (A/P)", field="x").payload()
    )
    assert payload["POEmail"] == {"Address": "orders@steel.example"}
    assert payload["VendorAddr"] == {"Line1": "9 Forge St", "City": "Akron"}
    assert payload["ShipAddr"] == {
        "Line1": "Receiving, Dock 2",
        "City": "Dayton",
        "CountrySubDivisionCode": "OH",
    }
    assert (payload["Memo"], payload["PrivateNote"]) == (
        "Please deliver mornings",
        "Job 2231 / Ann",
    )
    item, freight, fee = payload["Line"]
    assert item == {
        "Description": "Bracket blanks",
        "Amount": Decimal("93.50"),
        "DetailType": "ItemBasedExpenseLineDetail",
        "ItemBasedExpenseLineDetail": {
            "ItemRef": books.refs.item(STOCK).payload(),
            "Qty": Decimal("40"),
            "UnitPrice": Decimal("2.3375"),
        },
    }
    assert freight["AccountBasedExpenseLineDetail"] == {
        "AccountRef": books.refs.account("Uncategorized Expense", field="x").payload()
    }
    assert (
        fee["AccountBasedExpenseLineDetail"]["AccountRef"]
        == books.refs.account("Legal & Professional Fees", field="x").payload()
    )
    created = books.create("PurchaseOrder", payload)
    assert created["TotalAmt"] == record.total == expected_total(payload) == Decimal("141.00")
    assert created["POStatus"] == "Open"


def test_vendor_email_falls_back_to_the_vendor(settings: TenantSettings, books: Books) -> None:
    """Without an order e-mail, the vendor's own address is the PO e-mail."""
    vendor = Vendor(id=VENDOR, name="Steel", email="sales@steel.example")
    payload = map_purchase_order(
        purchase_order(vendor_email=None), settings=settings, refs=books.refs, vendor=vendor
    )
    assert payload["POEmail"] == {"Address": "sales@steel.example"}


def test_cost_line_account_must_be_resolved(settings: TenantSettings, books: Books) -> None:
    """A cost line's own account, unresolved, names lines[i].account."""
    record = purchase_order(lines=[{"description": "Duty", "amount": 5, "account": "Customs Duty"}])
    with pytest.raises(UnresolvedReferenceError) as caught:
        map_purchase_order(record, settings=settings, refs=books.refs)
    assert caught.value.field == "lines[0].account"


@pytest.mark.parametrize(
    "lines",
    [[], [{"description": "Nothing", "amount": 0}], [{"description": "Credit", "amount": "-5.00"}]],
)
def test_purchase_order_with_nothing_to_send_is_refused(
    settings: TenantSettings, books: Books, lines: list[dict[str, Any]]
) -> None:
    """No item lines and no positive cost line: a MappingError on lines, nothing sent."""
    with pytest.raises(MappingError) as caught:
        map_purchase_order(purchase_order(lines=lines), settings=settings, refs=books.refs)
    assert caught.value.field == "lines"
    assert "nothing to send to QuickBooks" in caught.value.user_message


def test_a_single_positive_cost_line_is_enough(settings: TenantSettings, books: Books) -> None:
    """A PO of one freight charge is sent."""
    record = purchase_order(lines=[{"description": "Freight", "amount": "20.00"}])
    books.create("PurchaseOrder", map_purchase_order(record, settings=settings, refs=books.refs))


def test_received_order_becomes_a_linked_bill(settings: TenantSettings, books: Books) -> None:
    """Same lines, linked to the order (and line by line); QBO closes the order."""
    record = purchase_order()
    created = books.create(
        "PurchaseOrder", map_purchase_order(record, settings=settings, refs=books.refs)
    )
    books.add("purchase_orders", record.id, QBORef(created["Id"], created["DocNumber"]))
    received = record.model_copy(update={"status": "received", "received_date": record.due_date})
    line_ids = [line["Id"] for line in created["Line"]]
    payload = map_purchase_order_bill(
        received, settings=settings, refs=books.refs, po_line_ids=line_ids
    )
    assert payload["LinkedTxn"] == [{"TxnId": created["Id"], "TxnType": "PurchaseOrder"}]
    assert payload["Line"][0]["LinkedTxn"] == [
        {"TxnId": created["Id"], "TxnType": "PurchaseOrder", "TxnLineId": line_ids[0]}
    ]
    assert (payload["TxnDate"], payload["DocNumber"]) == ("2026-03-15", "PO-1042")
    before = books.read("Item", books.refs.item(STOCK).value)["QtyOnHand"]
    bill = books.create("Bill", payload)
    assert bill["TotalAmt"] == created["TotalAmt"]
    assert books.read("PurchaseOrder", created["Id"])["POStatus"] == "Closed"
    assert books.read("Item", books.refs.item(STOCK).value)["QtyOnHand"] == before + 40


def test_finished_order_without_a_received_date_bills_on_the_order_date(
    settings: TenantSettings, books: Books
) -> None:
    """A finished order with no received date: the bill is dated like the order."""
    books.add("purchase_orders", "po-1", QBORef("77"))
    payload = map_purchase_order_bill(
        purchase_order(status="finished"), settings=settings, refs=books.refs
    )
    assert payload["TxnDate"] == "2026-03-01"
    assert all("LinkedTxn" not in line for line in payload["Line"])


def test_ordered_purchase_order_is_not_billed(settings: TenantSettings, books: Books) -> None:
    """Only received or finished orders become bills."""
    with pytest.raises(SkipRecordError, match="not received yet"):
        map_purchase_order_bill(purchase_order(), settings=settings, refs=books.refs)


def test_bill_needs_the_order_in_qbo(settings: TenantSettings, books: Books) -> None:
    """The order must be in QBO before its bill: unresolved otherwise."""
    with pytest.raises(UnresolvedReferenceError) as caught:
        map_purchase_order_bill(
            purchase_order(status="received"), settings=settings, refs=books.refs
        )
    assert (caught.value.field, caught.value.kind) == ("id", "purchase order")


def test_po_line_ids_must_match_the_lines(settings: TenantSettings, books: Books) -> None:
    """A wrong number of order line Ids is a programming error."""
    books.add("purchase_orders", "po-1", QBORef("77"))
    with pytest.raises(ValueError, match="po_line_ids"):
        map_purchase_order_bill(
            purchase_order(status="received"), settings=settings, refs=books.refs, po_line_ids=["1"]
        )


def test_vendor_bill(settings: TenantSettings, books: Books) -> None:
    """A vendor bill with its number, dates, lines and memo; linked to its order if any."""
    record = parse_record(
        {
            "type": "bill",
            "id": "b-1",
            "vendor_id": VENDOR,
            "number": "SS-99812",
            "bill_date": "2026-03-12",
            "due_date": "2026-04-11",
            "lines": [
                {"item_id": HOURS, "quantity": "2.5", "unit_cost": "40"},
                {"description": "Freight", "amount": "18.40"},
            ],
            "memo": "Vendor invoice SS-99812",
        }
    )
    assert isinstance(record, Bill)
    payload = map_bill(record, settings=settings, refs=books.refs)
    assert (payload["DocNumber"], payload["DueDate"], payload["PrivateNote"]) == (
        "SS-99812",
        "2026-04-11",
        "Vendor invoice SS-99812",
    )
    assert "LinkedTxn" not in payload
    assert books.create("Bill", payload)["Balance"] == Decimal("118.40")


def test_vendor_bill_for_a_purchase_order(settings: TenantSettings, books: Books) -> None:
    """purchase_order_id links the bill to the order, which QBO closes."""
    created = books.create(
        "PurchaseOrder", map_purchase_order(purchase_order(), settings=settings, refs=books.refs)
    )
    books.add("purchase_orders", "po-1", QBORef(created["Id"]))
    record = parse_record(
        {
            "type": "bill",
            "id": "b-2",
            "vendor_id": VENDOR,
            "bill_date": "2026-03-12",
            "purchase_order_id": "po-1",
            "lines": [{"item_id": STOCK, "quantity": 40, "unit_cost": "2.3375"}],
        }
    )
    assert isinstance(record, Bill)
    payload = map_bill(record, settings=settings, refs=books.refs)
    assert payload["LinkedTxn"] == [{"TxnId": created["Id"], "TxnType": "PurchaseOrder"}]
    books.create("Bill", payload)
    assert books.read("PurchaseOrder", created["Id"])["POStatus"] == "Closed"
