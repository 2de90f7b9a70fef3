"""Writes that change nothing keep SyncToken and LastUpdatedTime, for every family (4.1)."""

from __future__ import annotations

from typing import Any

import pytest
from emukit import (
    CHECKING,
    SHRINKAGE,
    Realm,
    applied,
    expense_line,
    inventory_body,
    item_expense_line,
    ok,
    read,
    ref,
    sales_line,
)

Obj = dict[str, Any]
KINDS = [
    "Customer",
    "sub-customer",
    "Vendor",
    "Item",
    "Account",
    "Invoice",
    "Estimate",
    "SalesReceipt",
    "CreditMemo",
    "RefundReceipt",
    "Payment",
    "PurchaseOrder",
    "Bill",
    "InventoryAdjustment",
]


def create_one(realm: Realm, acme: Obj, kind: str) -> tuple[str, Obj]:
    """Create an object of ``kind`` with computed fields; returns its entity and it, as read."""
    vendor = ref(realm.create("Vendor", {"DisplayName": "Steel Supply Co"})["Id"])
    gear = ref(realm.create("Item", inventory_body("Gear"))["Id"])
    sold = {"CustomerRef": ref(acme["Id"]), "Line": [sales_line(30, qty=3, price=10)]}
    adjusted = {
        "DetailType": "ItemAdjustmentLineDetail",
        "ItemAdjustmentLineDetail": {"ItemRef": gear, "QtyDiff": 2},
    }
    bodies: dict[str, tuple[str, Obj]] = {
        "Customer": ("Customer", {"DisplayName": "Solo Co", "Notes": "kept"}),
        "sub-customer": ("Customer", {"DisplayName": "Plant 2", "ParentRef": ref(acme["Id"])}),
        "Vendor": ("Vendor", {"DisplayName": "Bolt Co", "TermRef": ref("3")}),
        "Item": ("Item", inventory_body("Widget")),
        "Account": ("Account", {"Name": "Fees Billed", "AccountType": "Income"}),
        "Invoice": ("Invoice", {**sold, "LinkedTxn": []}),
        "Estimate": ("Estimate", sold),
        "SalesReceipt": ("SalesReceipt", sold),
        "CreditMemo": ("CreditMemo", sold),
        "RefundReceipt": ("RefundReceipt", {**sold, "DepositToAccountRef": ref(CHECKING)}),
        "Payment": (
            "Payment",
            {
                "CustomerRef": ref(acme["Id"]),
                "TotalAmt": 40,
                "Line": [applied(30, realm.create("Invoice", sold)["Id"])],
            },
        ),
        "PurchaseOrder": ("PurchaseOrder", {"VendorRef": vendor, "Line": [expense_line(5)]}),
        "Bill": (
            "Bill",
            {
                "VendorRef": vendor,
                "Line": [item_expense_line(10, gear["value"], 2, 5), expense_line(5)],
            },
        ),
        "InventoryAdjustment": (
            "InventoryAdjustment",
            {"AdjustAccountRef": ref(SHRINKAGE), "Line": [adjusted]},
        ),
    }
    entity, body = bodies[kind]
    return entity, read(realm, entity, realm.create(entity, body)["Id"])


@pytest.mark.parametrize("kind", KINDS)
def test_sparse_update_without_changes_is_a_no_op(realm: Realm, acme: Obj, kind: str) -> None:
    """A sparse update sending no field returns the object exactly as stored."""
    entity, created = create_one(realm, acme, kind)
    realm.emulator.clock.advance(60)
    body = {"Id": created["Id"], "SyncToken": created["SyncToken"], "sparse": True}
    assert ok(realm.post(entity.lower(), body), entity) == created


@pytest.mark.parametrize("kind", KINDS)
def test_resending_the_object_as_read_is_a_no_op(realm: Realm, acme: Obj, kind: str) -> None:
    """A full update sending back the object as read changes nothing."""
    entity, created = create_one(realm, acme, kind)
    realm.emulator.clock.advance(60)
    assert ok(realm.post(entity.lower(), created), entity) == created
    assert read(realm, entity, created["Id"])["SyncToken"] == "0"
