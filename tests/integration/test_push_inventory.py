"""Inventory levels: an InventoryAdjustment that moves QBO's quantity on hand to the app's."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal

import pytest
from pushkit import TENANT, World, money

from ledgerbridge.engine import PUSH_ORDER
from ledgerbridge.model import InventoryLevel, Item, TenantSettings

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


def test_inventory_levels_are_pushed_after_items() -> None:
    """push_dirty sends levels right after the items they count."""
    assert PUSH_ORDER.index("inventory_level") == PUSH_ORDER.index("item") + 1


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
