"""Deletions: what a record the host app deleted becomes in QBO, pushed once.

Name lists are made inactive, invoices and payments voided, other transactions deleted
(``engine/_push_removal.py``); QBO's refusals reach the shop owner as sentences.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pushkit import TENANT, World, money

from ledgerbridge.model import (
    Application,
    Bill,
    CreditMemo,
    Customer,
    InventoryLevel,
    Invoice,
    Item,
    ItemLine,
    Payment,
    PurchaseItemLine,
    PurchaseOrder,
    Refund,
    SalesOrder,
    TenantSettings,
    Vendor,
)
from ledgerbridge.qbo import NotFoundError

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

DAY = date(2026, 3, 2)
NOON = datetime(2026, 3, 2, 12, tzinfo=UTC)


def _line(hours: int = 2) -> ItemLine:
    return ItemLine(item_id="s1", quantity=Decimal(hours), unit_price=Decimal("100.00"))


def _invoice(hours: int = 2) -> Invoice:
    return Invoice(
        id="inv1", customer_id="c1", number="1001", invoice_date=DAY, lines=(_line(hours),)
    )


def _basics(world: World) -> None:
    world.put(Customer(id="c1", name="Acme Tooling"))
    world.put(Item(id="s1", name="Machining", kind="service", sales_price=Decimal("100.00")))


async def _pushed(world: World, record_type: str, app_id: str) -> str:
    result = await world.pusher.push(record_type, app_id)
    assert result.outcome == "created" and result.qbo_id is not None, result.message
    return result.qbo_id


async def test_a_deleted_customer_is_made_inactive_once(world: World) -> None:
    """A linked customer the app deleted becomes inactive in QBO; the deletion is sent once."""
    _basics(world)
    qbo_id = await _pushed(world, "customer", "c1")
    world.delete("customer", "c1")
    result = await world.pusher.push("customer", "c1")
    assert result.outcome == "deleted" and result.ok and result.qbo_id == qbo_id
    customer = world.read("Customer", qbo_id)
    assert customer["Active"] is False and customer["DisplayName"] == "Acme Tooling (deleted)"
    link = world.link("customer", "c1")
    assert link is not None and link.last_result == "deleted" and link.qbo_id == qbo_id
    assert link.last_message is not None and "made inactive in QuickBooks" in link.last_message
    assert ("customer", "c1") not in world.dirty()

    writes = len(world.writes())
    world.records.mark_dirty(tenant_id=TENANT, record_type="customer", app_id="c1")
    again = await world.pusher.push("customer", "c1")
    assert again.outcome == "deleted"
    assert world.writes()[writes:] == []
    assert ("customer", "c1") not in world.dirty()


async def test_a_customer_with_an_open_balance_is_not_made_inactive(world: World) -> None:
    """QBO refuses to deactivate a customer who owes money: a sentence says what to do."""
    _basics(world)
    world.put(_invoice())
    await _pushed(world, "invoice", "inv1")
    world.delete("customer", "c1")
    result = await world.pusher.push("customer", "c1")
    assert result.outcome == "failed"
    assert result.message is not None
    assert result.message.startswith("QuickBooks refused to make this customer inactive:")
    assert "non-zero balance" in result.message and "Settle its open balance" in result.message
    link = world.link("customer", "c1")
    assert link is not None and link.last_result == "failed" and link.qbo_id is not None
    assert world.read("Customer", link.qbo_id)["Active"] is True
    assert ("customer", "c1") in world.dirty()


async def test_a_deleted_invoice_is_voided_keeping_its_number(world: World) -> None:
    """An invoice the app deleted is voided: number kept, amounts zero, link says voided."""
    _basics(world)
    world.put(_invoice())
    qbo_id = await _pushed(world, "invoice", "inv1")
    world.delete("invoice", "inv1")
    result = await world.pusher.push("invoice", "inv1")
    assert result.outcome == "voided" and result.ok
    invoice = world.read("Invoice", qbo_id)
    assert invoice["DocNumber"] == "1001"
    assert money(invoice["TotalAmt"]) == 0 and money(invoice["Balance"]) == 0
    assert invoice["PrivateNote"].startswith("Voided")
    link = world.link("invoice", "inv1")
    assert link is not None and link.last_result == "voided"
    assert link.sync_token == invoice["SyncToken"]


async def test_an_invoice_edited_in_quickbooks_is_voided_with_its_new_sync_token(
    world: World,
) -> None:
    """A bookkeeper's edit made the link's SyncToken stale: re-read, then voided."""
    _basics(world)
    world.put(_invoice())
    qbo_id = await _pushed(world, "invoice", "inv1")
    world.emulator.ui_edit(world.realm_id, "Invoice", qbo_id, {"AllowOnlineACHPayment": True})
    world.delete("invoice", "inv1")
    result = await world.pusher.push("invoice", "inv1")
    assert result.outcome == "voided", result.message
    assert money(world.read("Invoice", qbo_id)["TotalAmt"]) == 0


async def test_a_paid_invoice_is_not_voided_and_says_why(world: World) -> None:
    """QBO refuses to void an invoice with a payment applied; the record stays queued."""
    _basics(world)
    world.put(_invoice())
    world.put(
        Payment(
            id="p1",
            customer_id="c1",
            payment_date=DAY,
            amount=Decimal("200.00"),
            applications=(Application(invoice_id="inv1", amount=Decimal("200.00")),),
        )
    )
    invoice_id = await _pushed(world, "invoice", "inv1")
    await _pushed(world, "payment", "p1")
    world.delete("invoice", "inv1")
    result = await world.pusher.push("invoice", "inv1")
    assert result.outcome == "failed"
    assert result.message is not None
    assert result.message.startswith("QuickBooks refused to void this invoice:")
    assert "Unlink the payments applied to it" in result.message
    assert money(world.read("Invoice", invoice_id)["TotalAmt"]) == Decimal("200.00")
    assert ("invoice", "inv1") in world.dirty()

    # voiding the payment first (the app deleted it too) lets the invoice be voided
    world.delete("payment", "p1")
    report = await world.pusher.push_dirty()
    assert [(r.record_type, r.outcome) for r in report.results] == [
        ("invoice", "failed"),
        ("payment", "voided"),
    ]
    assert (await world.pusher.push("invoice", "inv1")).outcome == "voided"


async def test_a_deleted_payment_is_voided_and_reopens_its_invoice(world: World) -> None:
    """A payment the app deleted is voided: its invoice is open again in QBO."""
    _basics(world)
    world.put(_invoice())
    world.put(
        Payment(
            id="p1",
            customer_id="c1",
            payment_date=DAY,
            amount=Decimal("150.00"),
            applications=(Application(invoice_id="inv1", amount=Decimal("150.00")),),
        )
    )
    invoice_id = await _pushed(world, "invoice", "inv1")
    payment_id = await _pushed(world, "payment", "p1")
    assert money(world.read("Invoice", invoice_id)["Balance"]) == Decimal("50.00")
    world.delete("payment", "p1")
    result = await world.pusher.push("payment", "p1")
    assert result.outcome == "voided"
    assert money(world.read("Payment", payment_id)["TotalAmt"]) == 0
    assert money(world.read("Invoice", invoice_id)["Balance"]) == Decimal("200.00")


def _sales_order(world: World) -> str:
    world.put(SalesOrder(id="so1", customer_id="c1", order_date=DAY, lines=(_line(),)))
    return "so1"


def _credit_memo(world: World) -> str:
    world.put(CreditMemo(id="cm1", customer_id="c1", credit_date=DAY, lines=(_line(1),)))
    return "cm1"


def _refund(world: World) -> str:
    world.put(Refund(id="r1", customer_id="c1", refund_date=DAY, amount=Decimal("40")))
    return "r1"


def _purchase(world: World) -> PurchaseItemLine:
    """The vendor and item of a purchase, stored; one line of four bars."""
    world.put(Vendor(id="v1", name="Steel Supply Co"))
    world.put(Item(id="i1", name="Bar Stock", kind="non_inventory"))
    return PurchaseItemLine(item_id="i1", quantity=Decimal(4), unit_cost=Decimal("4.25"))


def _purchase_order(world: World) -> str:
    line = _purchase(world)
    world.put(PurchaseOrder(id="po1", vendor_id="v1", number="1042", order_date=DAY, lines=(line,)))
    return "po1"


def _bill(world: World) -> str:
    line = _purchase(world)
    world.put(Bill(id="b1", vendor_id="v1", number="INV-88", bill_date=DAY, lines=(line,)))
    return "b1"


#: record type -> (QBO entity, client namespace, puts the record and returns its app id)
_DELETED: dict[str, tuple[str, str, Callable[[World], str]]] = {
    "sales_order": ("Estimate", "estimates", _sales_order),
    "credit_memo": ("CreditMemo", "credit_memos", _credit_memo),
    "refund": ("RefundReceipt", "refund_receipts", _refund),
    "purchase_order": ("PurchaseOrder", "purchase_orders", _purchase_order),
    "bill": ("Bill", "bills", _bill),
}


@pytest.mark.parametrize("record_type", sorted(_DELETED))
async def test_other_deleted_transactions_are_deleted_in_quickbooks(
    world: World, record_type: str
) -> None:
    """Estimates, credit memos, refunds, purchase orders and bills are deleted for good."""
    entity, namespace, put = _DELETED[record_type]
    world.with_settings(TenantSettings(refund_account="Checking"))
    _basics(world)
    app_id = put(world)
    qbo_id = await _pushed(world, record_type, app_id)
    world.delete(record_type, app_id)
    result = await world.pusher.push(record_type, app_id)
    assert result.outcome == "deleted", result.message
    with pytest.raises(NotFoundError):
        await getattr(world.qbo, namespace).read(qbo_id)
    link = world.link(record_type, app_id)
    assert link is not None and link.last_result == "deleted"
    assert link.last_message == f"Deleted in the app; deleted in QuickBooks ({entity} {qbo_id})."
    assert (record_type, app_id) not in world.dirty()


async def test_a_deleted_record_never_sent_is_skipped_without_a_request(world: World) -> None:
    """Deleted before it reached QBO: nothing to send; skipped with a sentence, clean."""
    _basics(world)
    world.delete("customer", "c1")
    result = await world.pusher.push("customer", "c1")
    assert result.outcome == "skipped"
    assert result.message == (
        "Deleted in the app before it reached QuickBooks: there is nothing to delete there."
    )
    assert world.emulator.request_log(world.realm_id) == []
    assert ("customer", "c1") not in world.dirty()


async def test_a_deleted_inventory_level_changes_nothing_in_quickbooks(world: World) -> None:
    """A level is a count at one moment: deleting it sends nothing, even when linked."""
    world.put(Item(id="i1", name="Bar Stock", kind="inventory", quantity_on_hand=Decimal(5)))
    world.put(InventoryLevel(id="l1", item_id="i1", quantity_on_hand=Decimal(8), as_of=NOON))
    assert (await world.pusher.push("inventory_level", "l1")).outcome == "created"
    writes = len(world.writes())
    world.delete("inventory_level", "l1")
    result = await world.pusher.push("inventory_level", "l1")
    assert result.outcome == "skipped"
    assert result.message is not None and "nothing changes in QuickBooks" in result.message
    assert world.writes()[writes:] == []
    assert ("inventory_level", "l1") not in world.dirty()


async def test_a_transaction_already_deleted_in_quickbooks_counts_as_deleted(
    world: World,
) -> None:
    """A bookkeeper deleted the estimate in QBO first: the app's deletion is done."""
    _basics(world)
    qbo_id = await _pushed(world, "sales_order", _sales_order(world))
    estimate = world.read("Estimate", qbo_id)
    world.emulator.ledger(world.realm_id).delete(
        "Estimate", {"Id": qbo_id, "SyncToken": estimate["SyncToken"]}
    )
    world.delete("sales_order", "so1")
    result = await world.pusher.push("sales_order", "so1")
    assert result.outcome == "deleted"
    assert result.message == f"Deleted in the app; QuickBooks Estimate {qbo_id} was already gone."


async def test_a_deletion_of_a_type_not_enabled_is_skipped(world: World) -> None:
    """The tenant no longer syncs invoices: their deletions are not sent either."""
    _basics(world)
    world.put(_invoice())
    qbo_id = await _pushed(world, "invoice", "inv1")
    world.delete("invoice", "inv1")
    world.with_settings(TenantSettings(enabled_types=frozenset({"customer", "item"})))
    result = await world.pusher.push("invoice", "inv1")
    assert result.outcome == "skipped"
    assert result.message == "Not sent to QuickBooks: invoice records are not enabled."
    assert money(world.read("Invoice", qbo_id)["TotalAmt"]) == Decimal("200.00")


async def test_a_voided_invoice_sent_again_is_restored_in_place(world: World) -> None:
    """The app undoes a deletion: the voided invoice gets its lines back, same QBO Id."""
    _basics(world)
    world.put(_invoice())
    qbo_id = await _pushed(world, "invoice", "inv1")
    world.delete("invoice", "inv1")
    assert (await world.pusher.push("invoice", "inv1")).outcome == "voided"
    world.put(_invoice(hours=3))
    result = await world.pusher.push("invoice", "inv1")
    assert result.outcome == "updated" and result.qbo_id == qbo_id, result.message
    assert money(world.read("Invoice", qbo_id)["TotalAmt"]) == Decimal("300.00")
    link = world.link("invoice", "inv1")
    assert link is not None and link.last_result == "ok"


async def test_a_deleted_estimate_sent_again_is_created_anew(world: World) -> None:
    """A deleted transaction is gone from QBO: the restored sales order is a new estimate."""
    _basics(world)
    first = await _pushed(world, "sales_order", _sales_order(world))
    world.delete("sales_order", "so1")
    assert (await world.pusher.push("sales_order", "so1")).outcome == "deleted"
    _sales_order(world)
    result = await world.pusher.push("sales_order", "so1")
    assert result.outcome == "created" and result.qbo_id not in (None, first)
    assert len(world.objects("Estimate")) == 1


async def test_an_inactive_customer_sent_again_is_reactivated(world: World) -> None:
    """The app restores a deleted customer: the inactive QBO customer is active again."""
    _basics(world)
    qbo_id = await _pushed(world, "customer", "c1")
    world.delete("customer", "c1")
    assert (await world.pusher.push("customer", "c1")).outcome == "deleted"
    world.put(Customer(id="c1", name="Acme Tooling", phone="555-0100"))
    result = await world.pusher.push("customer", "c1")
    assert result.outcome == "updated" and result.qbo_id == qbo_id
    customer = world.read("Customer", qbo_id)
    assert customer["Active"] is True and customer["DisplayName"] == "Acme Tooling"


async def test_a_record_referring_to_a_deleted_one_fails_and_says_so(world: World) -> None:
    """An invoice whose item the app deleted (and QBO made inactive) is not sent."""
    _basics(world)
    await _pushed(world, "item", "s1")
    world.delete("item", "s1")
    assert (await world.pusher.push("item", "s1")).outcome == "deleted"
    world.put(_invoice())
    result = await world.pusher.push("invoice", "inv1")
    assert result.outcome == "failed"
    assert result.message == "lines[0].item_id: the item 's1' was deleted in the app."
    assert world.objects("Invoice") == []
