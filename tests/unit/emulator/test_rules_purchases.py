"""Purchase orders, bills and inventory adjustments, provoked over HTTP (QBO-REFERENCE.md 8.5)."""

from __future__ import annotations

from typing import Any

import pytest
from emukit import (
    ADVERTISING,
    BUSINESS,
    FREIGHT,
    INVENTORY_ASSET,
    REQUIRED,
    SHRINKAGE,
    Realm,
    amounts,
    delete,
    expense_line,
    fault_of,
    item_expense_line,
    ok,
    qty_on_hand,
    read,
    ref,
    sparse,
)

Obj = dict[str, Any]


def purchase_order(realm: Realm, vendor: Obj, *lines: Obj, **fields: Any) -> Obj:
    return realm.create(
        "PurchaseOrder", {"VendorRef": ref(vendor["Id"]), "Line": list(lines), **fields}
    )


def bill(realm: Realm, vendor: Obj, *lines: Obj, **fields: Any) -> Obj:
    return realm.create("Bill", {"VendorRef": ref(vendor["Id"]), "Line": list(lines), **fields})


def adjustment(realm: Realm, item: Obj, qty_diff: object) -> Obj:
    line = {
        "DetailType": "ItemAdjustmentLineDetail",
        "ItemAdjustmentLineDetail": {"ItemRef": ref(item["Id"]), "QtyDiff": qty_diff},
    }
    body = {"AdjustAccountRef": ref(SHRINKAGE), "Line": [line]}
    return realm.create("InventoryAdjustment", body)


# -- 13. purchase orders and bills ---------------------------------------------------------


def test_purchase_order_with_item_and_account_lines(realm: Realm, steel: Obj, bracket: Obj) -> None:
    """A PO takes item-based and account-based expense lines; TotalAmt is their sum; Open."""
    po = purchase_order(
        realm,
        steel,
        item_expense_line(60, bracket["Id"], 5, 12),
        expense_line("12.50", FREIGHT),
    )
    assert amounts(po, "TotalAmt") == (72.5,)
    assert po["POStatus"] == "Open"
    assert [line["Id"] for line in po["Line"]] == ["1", "2"]
    assert po["APAccountRef"] == {"value": "2", "name": "Accounts Payable (A/P)"}
    assert po["Line"][1]["AccountBasedExpenseLineDetail"]["AccountRef"]["name"] == (
        "Shipping, Freight & Delivery"
    )
    assert qty_on_hand(realm, bracket["Id"]) == 10


def test_purchase_orders_are_auto_numbered(realm: Realm, steel: Obj) -> None:
    """POs without DocNumber are numbered 1001, 1002... in their own sequence."""
    first = purchase_order(realm, steel, expense_line(10))
    second = purchase_order(realm, steel, expense_line(10))
    assert (first["DocNumber"], second["DocNumber"]) == ("1001", "1002")


def test_purchase_order_without_vendor_is_2020(realm: Realm) -> None:
    """A purchase order needs a VendorRef."""
    fault = fault_of(realm.post("purchaseorder", {"Line": [expense_line(10)]}))
    assert fault == (
        400,
        "2020",
        REQUIRED,
        "Required parameter VendorRef is missing in the request",
        "VendorRef",
    )


@pytest.mark.parametrize("entity", ["PurchaseOrder", "Bill"])
def test_purchase_form_without_lines_is_2020(realm: Realm, steel: Obj, entity: str) -> None:
    """A purchase order or a bill needs lines."""
    fault = fault_of(realm.post(entity.lower(), {"VendorRef": ref(steel["Id"])}))
    assert fault[:3] == (400, "2020", REQUIRED)
    assert fault.element == "Line"


def test_account_line_without_account_is_2020(realm: Realm, steel: Obj) -> None:
    """An AccountBasedExpenseLineDetail needs its AccountRef."""
    line = {
        "Amount": 5,
        "DetailType": "AccountBasedExpenseLineDetail",
        "AccountBasedExpenseLineDetail": {},
    }
    fault = fault_of(realm.post("bill", {"VendorRef": ref(steel["Id"]), "Line": [line]}))
    assert fault[:3] == (400, "2020", REQUIRED)


def test_purchase_line_amount_must_match_qty_times_price(
    realm: Realm, steel: Obj, bracket: Obj
) -> None:
    """Item-based expense lines follow the Qty x UnitPrice rule too (6070)."""
    line = item_expense_line(50, bracket["Id"], 5, 12)
    fault = fault_of(realm.post("bill", {"VendorRef": ref(steel["Id"]), "Line": [line]}))
    assert fault[:2] == (400, "6070")


def test_ap_account_is_kept_whatever_its_type(realm: Realm, steel: Obj) -> None:
    """APAccountRef is stored as sent: live QBO accepts any account there (pyqb's own tests)."""
    body = {
        "VendorRef": ref(steel["Id"]),
        "Line": [expense_line(5)],
        "APAccountRef": ref(ADVERTISING),
    }
    response = realm.post("purchaseorder", body)
    assert response.status_code == 200, response.text
    assert response.json()["PurchaseOrder"]["APAccountRef"]["value"] == ADVERTISING


def test_ap_account_must_exist(realm: Realm, steel: Obj) -> None:
    """APAccountRef naming no account is an invalid reference (2500)."""
    body = {"VendorRef": ref(steel["Id"]), "Line": [expense_line(5)], "APAccountRef": ref("999")}
    assert fault_of(realm.post("bill", body))[:2] == (400, "2500")


def test_bill_linking_a_purchase_order_closes_it(realm: Realm, steel: Obj) -> None:
    """A bill that links a PO closes it (POStatus Closed) and the PO links the bill back."""
    po = purchase_order(realm, steel, expense_line(10))
    link = [{"TxnId": po["Id"], "TxnType": "PurchaseOrder"}]
    created = bill(realm, steel, expense_line(10), LinkedTxn=link)
    assert created["LinkedTxn"] == link
    closed = read(realm, "PurchaseOrder", po["Id"])
    assert closed["POStatus"] == "Closed"
    assert closed["LinkedTxn"] == [{"TxnId": created["Id"], "TxnType": "Bill"}]
    assert closed["SyncToken"] == "1"


def test_deleting_the_bill_reopens_the_purchase_order(realm: Realm, steel: Obj) -> None:
    """Deleting the linking bill sets the PO back to Open."""
    po = purchase_order(realm, steel, expense_line(10))
    created = bill(
        realm, steel, expense_line(10), LinkedTxn=[{"TxnId": po["Id"], "TxnType": "PurchaseOrder"}]
    )
    ok(delete(realm, "Bill", created), "Bill")
    reopened = read(realm, "PurchaseOrder", po["Id"])
    assert (reopened["POStatus"], reopened["LinkedTxn"]) == ("Open", [])


def test_linked_purchase_order_cannot_be_deleted(realm: Realm, steel: Obj) -> None:
    """A PO a bill links is refused delete (6000)."""
    po = purchase_order(realm, steel, expense_line(10))
    bill(
        realm, steel, expense_line(10), LinkedTxn=[{"TxnId": po["Id"], "TxnType": "PurchaseOrder"}]
    )
    fault = fault_of(delete(realm, "PurchaseOrder", read(realm, "PurchaseOrder", po["Id"])))
    assert fault[:3] == (400, "6000", BUSINESS)


def test_linking_a_missing_purchase_order_is_6000(realm: Realm, steel: Obj) -> None:
    """A bill linking PurchaseOrder 75 that does not exist: 6000 naming it."""
    body = {
        "VendorRef": ref(steel["Id"]),
        "Line": [expense_line(10)],
        "LinkedTxn": [{"TxnId": "75", "TxnType": "PurchaseOrder"}],
    }
    fault = fault_of(realm.post("bill", body))
    assert fault[:4] == (
        400,
        "6000",
        BUSINESS,
        "Business Validation Error: The entity PurchaseOrder 75 that you are trying to link does "
        "not exist.",
    )


def test_bill_balance_and_vendor_balance(realm: Realm, steel: Obj) -> None:
    """A bill is open for its whole total, and the vendor's Balance (owed to it) grows by it."""
    created = bill(realm, steel, expense_line(40), expense_line(2))
    assert amounts(created, "TotalAmt", "Balance") == (42, 42)
    assert amounts(read(realm, "Vendor", steel["Id"]), "Balance") == (42,)


# -- 10. quantities moved by bills and adjustments -----------------------------------------


def test_bill_brings_stock_in_and_delete_takes_it_back(
    realm: Realm, steel: Obj, bracket: Obj
) -> None:
    """An item-based bill line adds its Qty to QtyOnHand; deleting the bill removes it."""
    created = bill(realm, steel, item_expense_line(60, bracket["Id"], 5, 12))
    assert qty_on_hand(realm, bracket["Id"]) == 15
    ok(delete(realm, "Bill", created), "Bill")
    assert qty_on_hand(realm, bracket["Id"]) == 10


def test_bill_update_moves_the_difference(realm: Realm, steel: Obj, bracket: Obj) -> None:
    """Changing a bill line from 5 to 2 units leaves 12 on hand."""
    created = bill(realm, steel, item_expense_line(60, bracket["Id"], 5, 12))
    line = {**created["Line"][0], "Amount": 24}
    line["ItemBasedExpenseLineDetail"] = {**line["ItemBasedExpenseLineDetail"], "Qty": 2}
    ok(sparse(realm, "Bill", created, Line=[line]), "Bill")
    assert qty_on_hand(realm, bracket["Id"]) == 12


@pytest.mark.parametrize("qty_diff", [5, -2, "1.5"])
def test_inventory_adjustment_moves_qty_diff(realm: Realm, bracket: Obj, qty_diff: object) -> None:
    """An InventoryAdjustment adds its QtyDiff; deleting it takes the change back."""
    created = adjustment(realm, bracket, qty_diff)
    assert float(qty_on_hand(realm, bracket["Id"])) == 10 + float(str(qty_diff))
    ok(delete(realm, "InventoryAdjustment", created), "InventoryAdjustment")
    assert qty_on_hand(realm, bracket["Id"]) == 10


def test_adjusting_a_service_item_is_6000(realm: Realm) -> None:
    """Only inventory items have a quantity to adjust."""
    line = {
        "DetailType": "ItemAdjustmentLineDetail",
        "ItemAdjustmentLineDetail": {"ItemRef": ref("1"), "QtyDiff": 1},
    }
    body = {"AdjustAccountRef": ref(SHRINKAGE), "Line": [line]}
    assert fault_of(realm.post("inventoryadjustment", body))[:3] == (400, "6000", BUSINESS)


def test_inventory_item_accounts_must_fit(realm: Realm) -> None:
    """An inventory item's AssetAccountRef must be an Other Current Asset account (6000)."""
    body = {
        "Name": "Widget",
        "Type": "Inventory",
        "QtyOnHand": 1,
        "InvStartDate": "2024-01-01",
        "IncomeAccountRef": ref("5"),
        "ExpenseAccountRef": ref("8"),
        "AssetAccountRef": ref(ADVERTISING),
    }
    assert fault_of(realm.post("item", body))[:3] == (400, "6000", BUSINESS)
    body["AssetAccountRef"] = ref(INVENTORY_ASSET)
    assert realm.create("Item", body)["TrackQtyOnHand"] is True
