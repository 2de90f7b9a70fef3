"""Pushing records to QBO: resolution, linking, sparse updates, totals and failures.

Everything runs against the emulator (in-process, unthrottled) and a SQLite store in
``tmp_path``; write requests are counted in the emulator's request log.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pushkit import TENANT, World

from ledgerbridge.model import (
    Customer,
    Invoice,
    Item,
    ItemLine,
    SalesOrder,
    Vendor,
    content_hash,
)

pytestmark = pytest.mark.integration


def _customer(**changes: Any) -> Customer:
    return Customer(**{"id": "c1", "name": "Acme Tooling", "phone": "555-0100", **changes})


def _item(app_id: str = "i1", name: str = "Bracket") -> Item:
    return Item(id=app_id, name=name, kind="non_inventory", sales_price=Decimal("12.50"))


def _invoice(**changes: Any) -> Invoice:
    fields: dict[str, Any] = {
        "id": "inv1",
        "customer_id": "c1",
        "number": "1001",
        "invoice_date": date(2026, 3, 2),
        "lines": (ItemLine(item_id="i1", quantity=Decimal(3), unit_price=Decimal("12.50")),),
        **changes,
    }
    return Invoice(**fields)


@pytest.mark.anyio
async def test_a_customer_is_created_and_linked(world: World) -> None:
    """A new customer is created in QBO, linked, and marked clean."""
    world.put(_customer())
    result = await world.pusher.push("customer", "c1")
    assert result.outcome == "created"
    link = world.links.get(tenant_id=TENANT, record_type="customer", app_id="c1")
    assert link is not None and link.qbo_id == result.qbo_id and link.qbo_type == "Customer"
    assert link.pushed_hash == content_hash(_customer())
    assert world.records.dirty(tenant_id=TENANT) == []
    [created] = [c for c in world.objects("Customer") if c["DisplayName"] == "Acme Tooling"]
    assert created["Id"] == result.qbo_id


@pytest.mark.anyio
async def test_an_unchanged_record_sends_no_write(world: World) -> None:
    """Pushed again unchanged: zero write requests (and zero requests at all)."""
    world.put(_customer())
    await world.pusher.push("customer", "c1")
    before = len(list(world.emulator.request_log(world.realm_id)))
    world.records.mark_dirty(tenant_id=TENANT, record_type="customer", app_id="c1")
    result = await world.pusher.push("customer", "c1")
    report = await world.pusher.push_dirty()
    assert result.outcome == "unchanged"
    assert report.results == []
    assert len(list(world.emulator.request_log(world.realm_id))) == before


@pytest.mark.anyio
async def test_one_changed_field_is_one_sparse_update(world: World) -> None:
    """One field changed in the app: exactly one sparse update of the owned fields."""
    world.put(_customer())
    await world.pusher.push("customer", "c1")
    writes = len(world.writes())
    world.put(_customer(phone="555-0199"))
    report = await world.pusher.push_dirty()
    assert [r.outcome for r in report.results] == ["updated"]
    new_writes = world.writes()[writes:]
    assert len(new_writes) == 1
    [customer] = [c for c in world.objects("Customer") if c["DisplayName"] == "Acme Tooling"]
    assert customer["PrimaryPhone"]["FreeFormNumber"] == "555-0199"


@pytest.mark.anyio
async def test_a_bookkeepers_field_survives_the_next_push(world: World) -> None:
    """A field ledgerbridge does not own, set in QBO's UI, survives the app's next push."""
    world.put(_customer())
    result = await world.pusher.push("customer", "c1")
    assert result.qbo_id is not None
    world.emulator.ui_edit(
        world.realm_id, "Customer", result.qbo_id, {"PrintOnCheckName": "ACME TOOLING LLC"}
    )
    world.put(_customer(phone="555-0123"))
    assert (await world.pusher.push("customer", "c1")).outcome == "updated"
    customer = world.emulator.ledger(world.realm_id).read("Customer", result.qbo_id)
    assert customer["PrintOnCheckName"] == "ACME TOOLING LLC"
    assert customer["PrimaryPhone"]["FreeFormNumber"] == "555-0123"


@pytest.mark.anyio
async def test_a_stale_sync_token_is_reread_and_reapplied(world: World) -> None:
    """The link's SyncToken went stale after a UI edit: re-read, re-applied, linked again."""
    world.put(_customer())
    first = await world.pusher.push("customer", "c1")
    assert first.qbo_id is not None
    world.emulator.ui_edit(world.realm_id, "Customer", first.qbo_id, {"Notes": "VIP"})
    world.put(_customer(phone="555-0456"))
    result = await world.pusher.push("customer", "c1")
    assert result.outcome == "updated"
    customer = world.emulator.ledger(world.realm_id).read("Customer", first.qbo_id)
    link = world.links.get(tenant_id=TENANT, record_type="customer", app_id="c1")
    assert link is not None and link.sync_token == customer["SyncToken"]
    assert customer["PrimaryPhone"]["FreeFormNumber"] == "555-0456"


@pytest.mark.anyio
async def test_an_existing_customer_with_the_same_name_is_linked_not_duplicated(
    world: World,
) -> None:
    """A QBO customer named alike (other case and spacing) is linked, not duplicated."""
    existing = await world.qbo.customers.create({"DisplayName": "ACME   tooling"})
    world.put(_customer())
    result = await world.pusher.push("customer", "c1")
    assert result.outcome == "linked"
    assert result.qbo_id == existing["Id"]
    assert len(world.objects("Customer")) == 1


@pytest.mark.anyio
async def test_an_inactive_match_is_reactivated(world: World) -> None:
    """A deactivated QBO customer ("<name> (deleted)") is found and reactivated."""
    existing = await world.qbo.customers.create({"DisplayName": "Acme Tooling"})
    await world.qbo.customers.deactivate(existing["Id"], existing["SyncToken"])
    world.put(_customer())
    result = await world.pusher.push("customer", "c1")
    assert result.outcome == "linked" and result.qbo_id == existing["Id"]
    customer = world.emulator.ledger(world.realm_id).read("Customer", existing["Id"])
    assert customer["Active"] is True
    assert customer["DisplayName"] == "Acme Tooling"
    assert len(world.objects("Customer")) == 1


@pytest.mark.anyio
async def test_a_vendor_named_like_a_customer_gets_the_suffix_rule(world: World) -> None:
    """A vendor named like a customer: created as "<name> (Vendor)" with a warning, no 6240."""
    world.put(_customer())
    await world.pusher.push("customer", "c1")
    world.put(Vendor(id="v1", name="Acme Tooling"))
    result = await world.pusher.push("vendor", "v1")
    assert result.outcome == "created"
    assert result.warning is not None and "Acme Tooling (Vendor)" in result.warning
    [vendor] = world.objects("Vendor")
    assert vendor["DisplayName"] == "Acme Tooling (Vendor)"
    link = world.links.get(tenant_id=TENANT, record_type="vendor", app_id="v1")
    assert link is not None and link.warning == result.warning
    # Unlinked, it is found again by its suffixed name rather than created twice.
    world.links.unlink(tenant_id=TENANT, record_type="vendor", app_id="v1")
    world.records.mark_dirty(tenant_id=TENANT, record_type="vendor", app_id="v1")
    again = await world.pusher.push("vendor", "v1")
    assert again.outcome == "linked" and again.qbo_id == vendor["Id"]


@pytest.mark.anyio
async def test_an_invoice_pushes_its_unpushed_customer_and_items_first(world: World) -> None:
    """An invoice whose customer and item were never pushed: they are pushed first."""
    world.put(_customer())
    world.put(_item())
    world.put(_invoice())
    result = await world.pusher.push("invoice", "inv1")
    assert result.outcome == "created", result.message
    for record_type, app_id in (("customer", "c1"), ("item", "i1")):
        link = world.links.get(tenant_id=TENANT, record_type=record_type, app_id=app_id)
        assert link is not None and link.linked
    [invoice] = world.objects("Invoice")
    customer = world.links.get(tenant_id=TENANT, record_type="customer", app_id="c1")
    assert customer is not None
    assert invoice["CustomerRef"]["value"] == customer.qbo_id
    assert Decimal(str(invoice["TotalAmt"])) == Decimal("37.50")
    link = world.links.get(tenant_id=TENANT, record_type="invoice", app_id="inv1")
    assert link is not None and link.warning is None
    assert world.records.dirty(tenant_id=TENANT) == []


@pytest.mark.anyio
async def test_a_sales_order_becomes_an_accepted_estimate(world: World) -> None:
    """A sales order is an Estimate with TxnStatus Accepted, its parts pushed first."""
    world.put(_customer())
    world.put(_item())
    world.put(
        SalesOrder(
            id="so1",
            customer_id="c1",
            number="SO-7",
            order_date=date(2026, 3, 1),
            lines=(ItemLine(item_id="i1", quantity=Decimal(2), unit_price=Decimal("12.50")),),
        )
    )
    report = await world.pusher.push_dirty()
    assert [r.outcome for r in report.results] == ["created", "created", "created"]
    [estimate] = world.objects("Estimate")
    assert estimate["TxnStatus"] == "Accepted"
    assert estimate["DocNumber"] == "SO-7"


@pytest.mark.anyio
async def test_an_unlinked_invoice_with_a_known_docnumber_is_reattached(world: World) -> None:
    """An unlinked invoice whose DocNumber is already in QBO is re-attached, not duplicated."""
    world.put(_customer())
    world.put(_item())
    world.put(_invoice())
    first = await world.pusher.push("invoice", "inv1")
    world.links.unlink(tenant_id=TENANT, record_type="invoice", app_id="inv1")
    world.put(_invoice(memo="Thanks for your order"))
    result = await world.pusher.push("invoice", "inv1")
    assert result.outcome == "linked" and result.qbo_id == first.qbo_id
    [invoice] = world.objects("Invoice")
    assert invoice["CustomerMemo"]["value"] == "Thanks for your order"


@pytest.mark.anyio
async def test_a_linked_invoice_update_keeps_a_bookkeepers_field(world: World) -> None:
    """An invoice update is sparse: a field a bookkeeper set in QBO survives it."""
    world.put(_customer())
    world.put(_item())
    world.put(_invoice())
    first = await world.pusher.push("invoice", "inv1")
    assert first.qbo_id is not None
    world.emulator.ui_edit(world.realm_id, "Invoice", first.qbo_id, {"AllowOnlineACHPayment": True})
    world.put(_invoice(memo="Net 30 please"))
    writes = len(world.writes())
    assert (await world.pusher.push("invoice", "inv1")).outcome == "updated"
    # The UI edit made the link's SyncToken stale: one refused write, one re-applied.
    new_writes = world.writes()[writes:]
    assert [w["status"] == 200 for w in new_writes] == [False, True]
    invoice = world.emulator.ledger(world.realm_id).read("Invoice", first.qbo_id)
    assert invoice["AllowOnlineACHPayment"] is True


@pytest.mark.anyio
async def test_a_failing_record_is_recorded_and_the_others_still_push(world: World) -> None:
    """An invoice whose customer was never received fails on its link; the rest push."""
    world.put(_customer())
    world.put(_item())
    world.put(_invoice(id="bad", customer_id="nobody", number="1002"))
    world.put(_invoice())
    report = await world.pusher.push_dirty()
    outcomes = {(r.record_type, r.app_id): r.outcome for r in report.results}
    assert outcomes[("invoice", "bad")] == "failed"
    assert outcomes[("invoice", "inv1")] == "created"
    assert outcomes[("customer", "c1")] == "created"
    link = world.links.get(tenant_id=TENANT, record_type="invoice", app_id="bad")
    assert link is not None and link.last_result == "failed"
    assert link.last_message is not None and "nobody" in link.last_message
    dirty = world.records.dirty(tenant_id=TENANT)
    assert [(r.record_type, r.app_id) for r in dirty] == [("invoice", "bad")]


@pytest.mark.anyio
async def test_a_qbo_refusal_is_recorded_with_its_code_and_tid(world: World) -> None:
    """A QBO error is recorded on the link with its sentence, code and intuit_tid."""
    world.put(_customer())
    world.put(_item())
    item = await world.pusher.push("item", "i1")
    assert item.qbo_id is not None
    world.emulator.ui_edit(world.realm_id, "Item", item.qbo_id, {"Active": False})
    world.put(_invoice())
    result = await world.pusher.push("invoice", "inv1")
    assert result.outcome == "failed"
    link = world.links.get(tenant_id=TENANT, record_type="invoice", app_id="inv1")
    assert link is not None and link.last_result == "failed" and not link.linked
    assert link.last_error_code == result.error_code and link.last_error_code is not None
    assert link.last_intuit_tid is not None and link.last_message
    assert world.objects("Invoice") == []
