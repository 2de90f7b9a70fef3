"""A received or finished purchase order also becomes a Bill linked to it, exactly once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pushkit import TENANT, World, money

from ledgerbridge.model import (
    Bill,
    CostLine,
    Item,
    PurchaseItemLine,
    PurchaseOrder,
    TenantSettings,
    Vendor,
)

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

PO_SETTINGS = TenantSettings(doc_number_templates={"purchase_order": "PO-{number}"})
#: the record type of a received order's bill link (stored: a test pins the value)
PO_BILL = "purchase_order_bill"
_BILL_FAILED = "The purchase order is in QuickBooks, but its bill could not be written: "


def _order(world: World, **changes: Any) -> None:
    """The vendor, two items and an order of 97.30 (with freight), stored."""
    world.put(Vendor(id="v1", name="Steel Supply Co"))
    world.put(Item(id="i1", name="Bar Stock", kind="non_inventory"))
    world.put(Item(id="i2", name="Bolt Kit", kind="non_inventory"))
    fields: dict[str, Any] = {
        "id": "po1",
        "vendor_id": "v1",
        "number": "1042",
        "order_date": date(2026, 3, 3),
        "lines": (
            PurchaseItemLine(item_id="i1", quantity=Decimal(10), unit_cost=Decimal("4.25")),
            PurchaseItemLine(item_id="i2", quantity=Decimal(2), unit_cost=Decimal("9.90")),
            CostLine(description="Freight", amount=Decimal("35.00")),
        ),
        "internal_reference": "Job 77",
        **changes,
    }
    world.put(PurchaseOrder(**fields))


async def _push(world: World) -> str:
    result = await world.pusher.push("purchase_order", "po1")
    assert result.ok and result.qbo_id is not None, result.message
    return result.qbo_id


def _bill_id(world: World) -> str:
    link = world.link(PO_BILL, "po1")
    assert link is not None and link.qbo_type == "Bill" and link.qbo_id is not None
    return link.qbo_id


@pytest.mark.parametrize("status", ["received", "finished"])
async def test_a_received_order_becomes_one_bill_linked_to_it(world: World, status: str) -> None:
    """The bill copies the order (lines linked line by line), closes it, and is sent once."""
    world.with_settings(PO_SETTINGS)
    _order(world, status=status, received_date=date(2026, 3, 9))
    po_id = await _push(world)
    bill = world.read("Bill", _bill_id(world))
    order = world.read("PurchaseOrder", po_id)
    assert bill["LinkedTxn"] == [{"TxnId": po_id, "TxnType": "PurchaseOrder"}]
    assert money(bill["TotalAmt"]) == Decimal("97.30")
    assert (bill["DocNumber"], bill["TxnDate"], bill["PrivateNote"]) == (
        "PO-1042",
        "2026-03-09",
        "Job 77",
    )
    assert bill["VendorRef"]["value"] == order["VendorRef"]["value"]
    assert [line["LinkedTxn"][0]["TxnLineId"] for line in bill["Line"]] == [
        line["Id"] for line in order["Line"]
    ]
    assert order["POStatus"] == "Closed"
    assert {"TxnId": bill["Id"], "TxnType": "Bill"} in order["LinkedTxn"]
    assert world.dirty() == set()

    writes = len(world.writes())
    world.records.mark_dirty(tenant_id=TENANT, record_type="purchase_order", app_id="po1")
    assert (await world.pusher.push("purchase_order", "po1")).outcome == "unchanged"
    assert world.writes()[writes:] == []
    assert len(world.objects("Bill")) == 1


async def test_an_order_received_later_gets_its_bill_and_later_changes_update_it(
    world: World,
) -> None:
    """Ordered: no bill. Received: one bill. Changed again: the same bill, updated."""
    _order(world)
    await _push(world)
    assert world.objects("Bill") == [] and world.link(PO_BILL, "po1") is None

    _order(world, status="received")
    assert (await world.pusher.push("purchase_order", "po1")).outcome == "updated"
    bill_id = _bill_id(world)

    freight = CostLine(description="Freight", amount=Decimal("40.00"))
    item = PurchaseItemLine(item_id="i1", quantity=Decimal(10), unit_cost=Decimal("4.25"))
    _order(world, status="received", lines=(item, freight))
    writes = len(world.writes())
    assert (await world.pusher.push("purchase_order", "po1")).outcome == "updated"
    assert world.write_paths(writes) == ["purchaseorder", "bill"]
    assert [b["Id"] for b in world.objects("Bill")] == [bill_id]
    assert money(world.read("Bill", bill_id)["TotalAmt"]) == Decimal("82.50")


async def test_a_lost_bill_link_is_reattached_not_duplicated(world: World) -> None:
    """The bill QBO shows linked to the order is linked again and updated, not created."""
    _order(world, status="received")
    await _push(world)
    bill_id = _bill_id(world)
    world.links.unlink(tenant_id=TENANT, record_type=PO_BILL, app_id="po1")
    world.records.mark_dirty(tenant_id=TENANT, record_type="purchase_order", app_id="po1")
    writes = len(world.writes())
    result = await world.pusher.push("purchase_order", "po1")
    assert result.outcome == "unchanged"
    assert world.write_paths(writes) == ["bill"]
    assert _bill_id(world) == bill_id and len(world.objects("Bill")) == 1


async def test_an_order_back_to_ordered_leaves_its_bill_with_a_warning(world: World) -> None:
    """Set back to ordered: the bill stays as it was, and the order's link says so."""
    _order(world, status="received")
    await _push(world)
    bill_id = _bill_id(world)
    _order(world, status="ordered", memo="Backorder")
    result = await world.pusher.push("purchase_order", "po1")
    assert result.outcome == "updated"
    assert result.warning is not None
    assert result.warning.startswith(
        "The purchase order is back to ordered, but QuickBooks still has the bill it became "
        f"(Bill {bill_id})."
    )
    link = world.link("purchase_order", "po1")
    assert link is not None and link.warning == result.warning
    assert money(world.read("Bill", bill_id)["TotalAmt"]) == Decimal("97.30")
    assert len(world.objects("Bill")) == 1


async def test_a_bill_that_fails_leaves_the_order_dirty_and_is_written_alone_later(
    world: World,
) -> None:
    """QBO fails the bill: the order (in QBO) waits; the next push writes only the bill."""
    _order(world, status="received")
    world.emulator.faults.arm("http_500", count=2, realm_id=world.realm_id, path="/bill$")
    result = await world.pusher.push("purchase_order", "po1")
    assert result.outcome == "failed" and result.qbo_id is not None
    assert result.message is not None and result.message.startswith(_BILL_FAILED)
    link = world.link("purchase_order", "po1")
    assert link is not None and link.last_result == "failed" and link.qbo_id == result.qbo_id
    assert ("purchase_order", "po1") in world.dirty()
    assert world.objects("Bill") == []

    writes = len(world.writes())
    report = await world.pusher.push_dirty()
    assert [(r.record_type, r.outcome) for r in report.results] == [("purchase_order", "unchanged")]
    assert world.write_paths(writes) == ["bill"]
    link = world.link("purchase_order", "po1")
    assert link is not None and link.last_result == "ok" and link.last_message is None
    assert world.dirty() == set()


async def test_an_order_the_app_bills_itself_is_not_billed_twice(world: World) -> None:
    """An app bill already bills the order in QBO: no second bill, a sentence instead."""
    _order(world)
    await _push(world)
    line = PurchaseItemLine(item_id="i1", quantity=Decimal(10), unit_cost=Decimal("4.25"))
    world.put(
        Bill(
            id="b1",
            vendor_id="v1",
            bill_date=date(2026, 3, 9),
            lines=(line,),
            purchase_order_id="po1",
        )
    )
    bill = await world.pusher.push("bill", "b1")
    assert bill.outcome == "created", bill.message
    _order(world, status="received")
    result = await world.pusher.push("purchase_order", "po1")
    assert result.outcome == "failed"
    assert result.message == (
        f"{_BILL_FAILED}QuickBooks Bill {bill.qbo_id} already bills this purchase order, and "
        "it is the app's bill 'b1'; ledgerbridge does not bill the order a second time."
    )
    assert len(world.objects("Bill")) == 1


async def test_a_deleted_received_order_deletes_its_bill_first(world: World) -> None:
    """QBO refuses to delete an order a bill links: the order's own bill goes first."""
    _order(world, status="received")
    po_id = await _push(world)
    bill_id = _bill_id(world)
    world.delete("purchase_order", "po1")
    result = await world.pusher.push("purchase_order", "po1")
    assert result.outcome == "deleted", result.message
    assert world.objects("Bill") == [] and world.objects("PurchaseOrder") == []
    bill_link = world.link(PO_BILL, "po1")
    assert bill_link is not None and bill_link.last_result == "deleted"
    assert bill_link.qbo_id == bill_id
    assert world.write_paths()[-2:] == ["bill", "purchaseorder"]
    assert po_id == result.qbo_id

    # restored in the app: a new order and a new bill
    _order(world, status="received")
    assert (await world.pusher.push("purchase_order", "po1")).outcome == "created"
    assert _bill_id(world) != bill_id and len(world.objects("Bill")) == 1
