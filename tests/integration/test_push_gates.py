"""The pusher applies the tenant settings' eligibility gates and checks the refund account."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from pushkit import World

from ledgerbridge.model import Customer, Invoice, Item, ItemLine, Project, Refund, TenantSettings

pytestmark = [pytest.mark.integration, pytest.mark.anyio]


def _invoice(app_id: str, number: str, day: date) -> Invoice:
    return Invoice(
        id=app_id,
        customer_id="c1",
        number=number,
        invoice_date=day,
        lines=(ItemLine(item_id="s1", quantity=Decimal(2), unit_price=Decimal("100.00")),),
    )


def _basics(world: World) -> None:
    world.put(Customer(id="c1", name="Acme Tooling"))
    world.put(Item(id="s1", name="Machining", kind="service", sales_price=Decimal("100.00")))


async def test_a_disabled_type_is_skipped_and_nothing_is_sent(world: World) -> None:
    """A record whose type is not enabled is skipped, marked clean, and sends nothing."""
    _basics(world)
    world.with_settings(TenantSettings(enabled_types=frozenset({"item"})))
    result = await world.pusher.push("customer", "c1")
    assert result.outcome == "skipped"
    assert result.message is not None and "customer records are not enabled" in result.message
    link = world.link("customer", "c1")
    assert link is not None and link.last_result == "skipped" and link.qbo_id is None
    assert world.writes() == []
    assert world.objects("Customer") == []
    dirty = {(r.record_type, r.app_id) for r in world.records.dirty(tenant_id="machine-shop")}
    assert ("customer", "c1") not in dirty


async def test_an_invoice_before_the_start_date_is_skipped_a_later_one_pushed(
    world: World,
) -> None:
    """An invoice dated before the sync start date is skipped; a later one is pushed."""
    _basics(world)
    world.put(_invoice("inv-old", "1001", date(2026, 2, 27)))
    world.put(_invoice("inv-new", "1002", date(2026, 3, 2)))
    world.with_settings(TenantSettings(sync_start_date=date(2026, 3, 1)))
    report = await world.pusher.push_dirty()
    outcomes = {(r.record_type, r.app_id): r for r in report.results}
    old = outcomes[("invoice", "inv-old")]
    assert old.outcome == "skipped" and old.qbo_id is None
    assert old.message is not None and "before the sync start date 2026-03-01" in old.message
    assert outcomes[("invoice", "inv-new")].outcome == "created"
    assert [i["DocNumber"] for i in world.objects("Invoice")] == ["1002"]
    link = world.link("invoice", "inv-old")
    assert link is not None and link.last_result == "skipped"


async def test_a_project_is_pushed_once_it_reaches_the_trigger_stage(world: World) -> None:
    """A project in another stage is skipped; at the trigger stage it becomes a sub-customer."""
    _basics(world)
    settings = TenantSettings(
        customer_object="sub_customer_per_project", project_stage_trigger="Closed - Won"
    )
    world.with_settings(settings)
    assert (await world.pusher.push("customer", "c1")).outcome == "created"
    world.put(Project(id="p1", customer_id="c1", name="Gearbox", stage="Quoted"))
    before = len(world.emulator.request_log(world.realm_id))
    result = await world.pusher.push("project", "p1")
    assert result.outcome == "skipped"
    assert result.message is not None and "'Closed - Won'" in result.message
    assert world.writes() and len(world.emulator.request_log(world.realm_id)) == before
    assert len(world.objects("Customer")) == 1

    world.put(Project(id="p1", customer_id="c1", name="Gearbox", stage="closed - won"))
    result = await world.pusher.push("project", "p1")
    assert result.outcome == "created" and result.qbo_id is not None
    assert world.read("Customer", result.qbo_id)["Job"] is True


async def test_a_linked_customer_is_updated_after_the_start_date_moves_past_it(
    world: World,
) -> None:
    """A linked customer ignores the start date; an unlinked one from before it is skipped."""
    _basics(world)
    world.put(Customer(id="c2", name="Beta Castings"))
    assert (await world.pusher.push("customer", "c1")).outcome == "created"
    world.with_settings(TenantSettings(sync_start_date=date.today() + timedelta(days=30)))
    world.put(Customer(id="c1", name="Acme Tooling", phone="555-0100"))
    result = await world.pusher.push("customer", "c1")
    assert result.outcome == "updated" and result.qbo_id is not None
    assert world.read("Customer", result.qbo_id)["PrimaryPhone"]["FreeFormNumber"] == "555-0100"
    writes = len(world.writes())
    skipped = await world.pusher.push("customer", "c2")
    assert skipped.outcome == "skipped"
    assert skipped.message is not None and "before the sync start date" in skipped.message
    assert len(world.writes()) == writes


async def test_a_refund_with_a_non_cash_refund_account_waits(world: World) -> None:
    """A refund account that is not Bank or Other Current Asset makes the refund wait."""
    world.put(Customer(id="c1", name="Acme Tooling"))
    world.put(
        Refund(id="r1", customer_id="c1", refund_date=date(2026, 3, 14), amount=Decimal("40"))
    )
    world.with_settings(TenantSettings(refund_account="Services"))
    result = await world.pusher.push("refund", "r1")
    assert result.outcome == "waiting"
    assert result.message is not None
    assert "'Services'" in result.message and "'Income'" in result.message
    assert not [w for w in world.writes() if "refundreceipt" in w["path"].lower()]
    assert world.objects("RefundReceipt") == []
    link = world.link("refund", "r1")
    assert link is not None and link.last_result == "waiting"
    dirty = {(r.record_type, r.app_id) for r in world.records.dirty(tenant_id="machine-shop")}
    assert ("refund", "r1") in dirty

    world.with_settings(TenantSettings(refund_account="Checking"))
    assert (await world.pusher.push("refund", "r1")).outcome == "created"
