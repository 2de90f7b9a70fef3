"""The demo's check (``check_sync``) on a pushed machine shop, after QuickBooks changed under it.

A small machine shop is pushed to a fresh in-process emulator company (pushkit); each test
then changes the company the way a bookkeeper or another app would (an edit "in the QBO UI",
a deletion, a transaction entered by hand) and reads what the check says through the QBO
client. ``test_demo.py`` runs the same check from the command.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from pushkit import TENANT, World, open_world

from ledgerbridge.cli._demo_check import SyncCheck, check_sync
from ledgerbridge.dataset import machine_shop, machine_shop_settings
from ledgerbridge.engine import PO_BILL
from ledgerbridge.model import AnyRecord, Customer, Invoice, Payment, PurchaseOrder
from ledgerbridge.store import Database

pytestmark = pytest.mark.integration


class Shop:
    """The pushed records and the world they are in."""

    def __init__(self, world: World, records: list[AnyRecord]) -> None:
        self.world = world
        self.records = records

    def qbo_id(self, record_type: str, app_id: str) -> str:
        link = self.world.link(record_type, app_id)
        assert link is not None and link.qbo_id is not None, app_id
        return link.qbo_id

    async def check(self) -> SyncCheck:
        world = self.world
        return await check_sync(
            world.qbo, records=world.records, links=world.links, tenant_id=TENANT
        )

    def counts(self) -> Counter[str]:
        return Counter(record.type for record in self.records)


@pytest.fixture
async def shop(database: Database) -> AsyncIterator[Shop]:
    """A machine shop of 120 records pushed to a new company under its settings."""
    async with open_world(database, machine_shop_settings()) as world:
        records = machine_shop(120, seed=5)
        world.put_all(records)
        report = await world.pusher.push_dirty()
        assert not report.failed, report.failed
        yield Shop(world, records)


@pytest.mark.anyio
async def test_a_company_in_step_passes_with_a_row_per_type(shop: Shop) -> None:
    """Right after the push every row counts every record in QuickBooks, with no problem."""
    result = await shop.check()
    assert result.ok and result.problems == ()
    assert {row.record_type: (row.records, row.in_qbo) for row in result.rows} == {
        kind: (n, n) for kind, n in shop.counts().items()
    }


@pytest.mark.anyio
async def test_a_payment_changed_in_quickbooks_is_a_wrong_total(shop: Shop) -> None:
    """A payment whose amount a bookkeeper raised: its total and its unapplied credit are
    both named, and the payment counts once."""
    payment = next(p for p in shop.records if isinstance(p, Payment) and p.amount > 0)
    qbo_id = shop.qbo_id("payment", payment.id)
    raised = payment.amount + Decimal(5)
    shop.world.emulator.ui_edit(shop.world.realm_id, "Payment", qbo_id, {"TotalAmt": float(raised)})
    result = await shop.check()
    assert not result.ok and result.row("payment").wrong_totals == 1
    assert (
        f"payment {payment.id}: Payment {qbo_id} in QuickBooks totals {raised:.2f}, the app's "
        f"total is {payment.amount:.2f}"
    ) in result.problems
    assert any(
        p.startswith(f"payment {payment.id}: QuickBooks keeps {payment.credit + 5:.2f} unapplied")
        for p in result.problems
    ), result.problems


@pytest.mark.anyio
async def test_a_received_orders_bill_deleted_in_quickbooks_is_named(shop: Shop) -> None:
    """A received purchase order whose Bill was deleted in QuickBooks is a wrong total of
    the order, saying the bill is missing."""
    order = next(o for o in shop.records if isinstance(o, PurchaseOrder) and o.status != "ordered")
    bill = shop.world.read("Bill", shop.qbo_id(PO_BILL, order.id))
    await shop.world.qbo.bills.delete(bill["Id"], bill["SyncToken"])
    result = await shop.check()
    assert result.row("purchase_order").wrong_totals == 1
    assert f"purchase_order {order.id} is {order.status} but has no Bill in QuickBooks" in (
        result.problems
    )


@pytest.mark.anyio
async def test_an_invoice_no_record_links_is_a_duplicate(shop: Shop) -> None:
    """An invoice entered in QuickBooks that no record links counts as one too many."""
    customer = shop.world.objects("Customer")[0]
    made: dict[str, Any] = await shop.world.qbo.invoices.create(
        {
            "CustomerRef": {"value": customer["Id"]},
            "DocNumber": "BY-HAND-1",
            "Line": [
                {
                    "Amount": 10,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                }
            ],
        }
    )
    result = await shop.check()
    assert result.row("invoice").duplicates == 1 and not result.ok
    assert f"Invoice {made['Id']} (BY-HAND-1) is in QuickBooks but no record links it" in (
        result.problems
    )


@pytest.mark.anyio
async def test_an_invoice_deleted_in_quickbooks_is_not_in_qbo(shop: Shop) -> None:
    """A linked invoice deleted in QuickBooks is missing from "in QBO", with a sentence."""
    paid = {a.invoice_id for p in shop.records if isinstance(p, Payment) for a in p.applications}
    invoice = next(i for i in shop.records if isinstance(i, Invoice) and i.id not in paid)
    obj = shop.world.read("Invoice", shop.qbo_id("invoice", invoice.id))
    await shop.world.qbo.invoices.delete(obj["Id"], obj["SyncToken"])
    result = await shop.check()
    row = result.row("invoice")
    assert (row.records, row.in_qbo, row.failed) == (shop.counts()["invoice"], row.records - 1, 0)
    assert (row.synced, row.lost) == (row.records - 1, 1)  # linked, gone, nothing says why
    assert (
        f"invoice {invoice.id} is linked to Invoice {obj['Id']}, which QuickBooks does not hold"
    ) in result.problems


@pytest.mark.anyio
async def test_a_linked_record_whose_update_failed_counts_as_failed(shop: Shop) -> None:
    """A customer changed in the app whose update QuickBooks refused is in QuickBooks, but
    behind the app: failed, with the sync's sentence."""
    customer = next(c for c in shop.records if isinstance(c, Customer))
    shop.world.put(customer.model_copy(update={"notes": "Receiving moved to dock 2."}))
    shop.world.emulator.faults.arm("subscription_ended", realm_id=shop.world.realm_id)
    report = await shop.world.pusher.push_dirty()
    assert [r.outcome for r in report.results] == ["failed"]
    result = await shop.check()
    row = result.row("customer")
    assert (row.in_qbo, row.failed) == (row.records, 1) and not result.ok
    assert (row.synced, row.lost) == (row.records - 1, 0)  # failed visibly, not lost
    assert any(
        p.startswith(f"customer {customer.id}: its last sync did not finish (failed: ")
        for p in result.problems
    ), result.problems
