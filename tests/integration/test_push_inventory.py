"""Inventory levels: an InventoryAdjustment that moves QBO's quantity on hand to the app's."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Literal

import pytest
from pushkit import TENANT, World, bulk_pusher, money

from ledgerbridge.engine import PUSH_ORDER, WAVES
from ledgerbridge.model import (
    Customer,
    InventoryLevel,
    Invoice,
    Item,
    ItemLine,
    TenantSettings,
)
from ledgerbridge.store import Database

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

NOON = datetime(2026, 3, 2, 12, tzinfo=UTC)


def _bar_stock(world: World, *, kind: Literal["inventory", "non_inventory"] = "inventory") -> None:
    world.put(Item(id="i1", name="Bar Stock", kind=kind, quantity_on_hand=Decimal(10)))


def _level(world: World, quantity: str, app_id: str = "l1") -> None:
    world.put(
        InventoryLevel(id=app_id, item_id="i1", quantity_on_hand=Decimal(quantity), as_of=NOON)
    )


def _on_hand(world: World) -> Decimal:
    link = world.link("item", "i1")
    assert link is not None and link.qbo_id is not None
    return money(world.read("Item", link.qbo_id)["QtyOnHand"])


def _adjustments(world: World) -> list[Decimal]:
    return [
        money(line["ItemAdjustmentLineDetail"]["QtyDiff"])
        for adjustment in world.objects("InventoryAdjustment")
        for line in adjustment["Line"]
    ]


def test_inventory_levels_are_pushed_last_in_both_paths() -> None:
    """Counts go after every transaction that moves QBO's quantities, alone in the last wave."""
    assert PUSH_ORDER[-1] == "inventory_level"
    assert WAVES[-1] == ("inventory_level",)


async def test_a_level_adjusts_quantity_by_the_difference(world: World) -> None:
    """An unlinked item is created first (10 on hand); the level 25 is an adjustment of +15."""
    _bar_stock(world)
    _level(world, "25.5")
    result = await world.pusher.push("inventory_level", "l1")
    assert result.outcome == "created" and result.qbo_id is not None, result.message
    assert world.write_paths() == ["item", "inventoryadjustment"]
    assert _on_hand(world) == Decimal("25.5")
    adjustment = world.read("InventoryAdjustment", result.qbo_id)
    assert adjustment["TxnDate"] == "2026-03-02"
    account = world.read("Account", adjustment["AdjustAccountRef"]["value"])
    assert account["Name"] == "Inventory Shrinkage"
    link = world.link("inventory_level", "l1")
    assert link is not None and link.qbo_type == "InventoryAdjustment"
    assert link.qbo_id == result.qbo_id
    assert world.dirty() == set()


async def test_the_same_level_pushed_again_never_adjusts_twice(world: World) -> None:
    """Again with the same hash: no request. Link lost after the write: QBO's quantity is
    read again, the difference is zero, and nothing is sent."""
    _bar_stock(world)
    _level(world, "25")
    assert (await world.pusher.push("inventory_level", "l1")).outcome == "created"
    writes = len(world.writes())
    world.records.mark_dirty(tenant_id=TENANT, record_type="inventory_level", app_id="l1")
    assert (await world.pusher.push("inventory_level", "l1")).outcome == "unchanged"
    assert world.writes()[writes:] == []

    # as if the process died between QBO's answer and saving the link
    world.links.unlink(tenant_id=TENANT, record_type="inventory_level", app_id="l1")
    world.records.mark_dirty(tenant_id=TENANT, record_type="inventory_level", app_id="l1")
    result = await world.pusher.push("inventory_level", "l1")
    assert result.outcome == "skipped"
    assert result.message == ("QuickBooks already has 25 on hand for this item: nothing to adjust.")
    assert world.writes()[writes:] == []
    assert _adjustments(world) == [Decimal(15)]


async def test_a_new_level_is_a_new_adjustment_from_what_quickbooks_holds(
    world: World,
) -> None:
    """The level changes to 22: a second adjustment of -3; the link follows it."""
    _bar_stock(world)
    _level(world, "25")
    first = await world.pusher.push("inventory_level", "l1")
    _level(world, "22")
    second = await world.pusher.push("inventory_level", "l1")
    assert second.outcome == "created" and second.qbo_id not in (None, first.qbo_id)
    assert _adjustments(world) == [Decimal(15), Decimal(-3)]
    assert _on_hand(world) == Decimal(22)
    link = world.link("inventory_level", "l1")
    assert link is not None and link.qbo_id == second.qbo_id and link.last_result == "ok"


async def test_a_level_equal_to_quickbooks_sends_nothing(world: World) -> None:
    """Another level record with the quantity QBO has already: skipped, no adjustment."""
    _bar_stock(world)
    await world.pusher.push("item", "i1")
    writes = len(world.writes())
    _level(world, "10", app_id="l2")
    result = await world.pusher.push("inventory_level", "l2")
    assert result.outcome == "skipped"
    assert world.writes()[writes:] == []
    assert ("inventory_level", "l2") not in world.dirty()


async def test_levels_are_skipped_when_the_app_is_the_inventory_master(world: World) -> None:
    """app_master: QBO tracks no quantity, so nothing is sent, not even the item."""
    world.with_settings(TenantSettings(inventory_mode="app_master"))
    _bar_stock(world)
    _level(world, "25")
    result = await world.pusher.push("inventory_level", "l1")
    assert result.outcome == "skipped"
    assert result.message is not None
    assert "inventory master" in result.message and "app_master" in result.message
    assert world.emulator.request_log(world.realm_id) == []


async def test_a_level_of_an_item_quickbooks_does_not_track_is_skipped(world: World) -> None:
    """A non-inventory item has no quantity in QBO: the level says so and sends nothing."""
    _bar_stock(world, kind="non_inventory")
    _level(world, "25")
    result = await world.pusher.push("inventory_level", "l1")
    assert result.outcome == "skipped"
    assert result.message == (
        "Not sent to QuickBooks: the item 'Bar Stock' is a NonInventory item there, and "
        "QuickBooks keeps quantities only for Inventory items."
    )
    assert world.write_paths() == ["item"]
    assert world.objects("InventoryAdjustment") == []


async def test_push_dirty_sends_the_item_then_its_level(world: World) -> None:
    """Both dirty: the item is created, then the level adjusts it once."""
    _bar_stock(world)
    _level(world, "4")
    report = await world.pusher.push_dirty()
    assert [(r.record_type, r.outcome) for r in report.results] == [
        ("item", "created"),
        ("inventory_level", "created"),
    ]
    assert _adjustments(world) == [Decimal(-6)]
    assert _on_hand(world) == Decimal(4)


# -- an item's own quantity_on_hand ----------------------------------------------------------
def _recount(world: World, quantity: str, **changes: object) -> None:
    world.put(
        Item(
            id="i1", name="Bar Stock", kind="inventory", quantity_on_hand=Decimal(quantity)
        ).model_copy(update=changes)
    )


async def test_a_linked_items_new_count_adjusts_quickbooks_by_the_difference(
    world: World,
) -> None:
    """The app counts 14 where it sent 10: the item's update, then an adjustment of +4."""
    _bar_stock(world)
    await world.pusher.push("item", "i1")
    writes = len(world.writes())
    _recount(world, "14")
    result = await world.pusher.push("item", "i1")
    assert result.outcome == "updated" and result.warning is None, result.message
    assert world.write_paths(writes) == ["item", "inventoryadjustment"]
    assert _adjustments(world) == [Decimal(4)]
    assert _on_hand(world) == Decimal(14)

    # the same count again, another field changed: the update only
    writes = len(world.writes())
    _recount(world, "14", sales_price=Decimal("12.50"))
    assert (await world.pusher.push("item", "i1")).outcome == "updated"
    assert world.write_paths(writes) == ["item"]
    assert _on_hand(world) == Decimal(14)


async def test_an_item_without_a_count_leaves_quickbooks_quantity_alone(world: World) -> None:
    """quantity_on_hand left out of an update: QBO keeps its 10, no adjustment."""
    _bar_stock(world)
    await world.pusher.push("item", "i1")
    world.put(Item(id="i1", name="Bar Stock", kind="inventory", sales_price=Decimal(9)))
    assert (await world.pusher.push("item", "i1")).outcome == "updated"
    assert world.objects("InventoryAdjustment") == []
    assert _on_hand(world) == Decimal(10)


async def test_an_items_count_moves_no_quantity_when_the_app_is_the_inventory_master(
    world: World,
) -> None:
    """app_master: the item is a NonInventory item in QBO; a new count adjusts nothing."""
    world.with_settings(TenantSettings(inventory_mode="app_master"))
    _bar_stock(world)
    await world.pusher.push("item", "i1")
    _recount(world, "14")
    assert (await world.pusher.push("item", "i1")).outcome == "updated"
    assert world.objects("InventoryAdjustment") == []


async def test_an_item_matched_by_name_takes_the_apps_count(world: World) -> None:
    """QBO has "bar  stock" with 3 on hand; the app's Bar Stock (10) links to it and
    QBO's quantity is adjusted by +7, in both push paths."""
    existing = await world.inventory_item_in_qbo("bar  stock", 3)
    _bar_stock(world)
    result = await world.pusher.push("item", "i1")
    assert result.outcome == "linked" and result.qbo_id == existing["Id"], result.message
    assert _adjustments(world) == [Decimal(7)]
    assert _on_hand(world) == Decimal(10)


def _sale_of_three(world: World) -> None:
    world.put_all(
        [
            Customer(id="c1", name="Acme Tooling"),
            Invoice(
                id="inv1",
                customer_id="c1",
                number="1001",
                invoice_date=date(2026, 3, 2),
                lines=(ItemLine(item_id="i1", quantity=Decimal(3), unit_price=Decimal(20)),),
            ),
        ]
    )


@pytest.mark.parametrize("path", ["per_record", "bulk"])
async def test_a_count_that_includes_the_runs_sales_does_not_remove_them_twice(
    world: World, database: Database, path: str
) -> None:
    """10 on hand in QBO; the app invoices 3 and counts 7, both in one run, by a new count
    of the item and by a stock count: QBO ends at 7 (the invoice takes 3, then nothing is
    left to adjust), not at 4."""
    _bar_stock(world)
    await world.pusher.push("item", "i1")
    _sale_of_three(world)
    _recount(world, "7")
    _level(world, "7")
    if path == "bulk":
        report = await bulk_pusher(world, database).run()
    else:
        report = await world.pusher.push_dirty()
    outcomes = {(r.record_type, r.app_id): r.outcome for r in report.results}
    assert outcomes[("invoice", "inv1")] == "created"
    assert outcomes[("item", "i1")] == "updated"
    assert outcomes[("inventory_level", "l1")] == "skipped"
    assert _on_hand(world) == Decimal(7)
    assert world.objects("InventoryAdjustment") == []
    assert world.dirty() == set()


async def test_the_bulk_path_adjusts_a_linked_items_new_count(
    world: World, database: Database
) -> None:
    """A resync where only the count changed: the item's update and its adjustment; the
    next resync sends nothing."""
    _bar_stock(world)
    await world.pusher.push("item", "i1")
    writes = len(world.writes())
    _recount(world, "12.5")
    report = await bulk_pusher(world, database).run()
    assert [(r.record_type, r.outcome) for r in report.results] == [("item", "updated")]
    assert world.write_paths(writes) == ["item", "inventoryadjustment"]
    assert _on_hand(world) == Decimal("12.5")
    writes = len(world.writes())
    again = await bulk_pusher(world, database).run()
    assert again.results == [] and world.write_paths(writes) == []
