"""Pushing transactions end to end: purchase orders, payments, credit memos, refunds, bills.

Everything runs through :class:`Pusher` against the in-process emulator and a SQLite store
in ``tmp_path`` (``pushkit``); results are checked in the emulator's books and the links.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pushkit import TENANT, World

from ledgerbridge.model import (
    Address,
    Application,
    Bill,
    CostLine,
    CreditMemo,
    Customer,
    Invoice,
    Item,
    ItemLine,
    Payment,
    PurchaseItemLine,
    PurchaseOrder,
    Refund,
    TenantSettings,
    Vendor,
)

pytestmark = pytest.mark.integration

PO_SETTINGS = TenantSettings(doc_number_templates={"purchase_order": "PO-{number}"})
REFUND_SETTINGS = TenantSettings(refund_account="Checking")


def _money(value: Any) -> Decimal:
    return Decimal(str(value))


def _vendor() -> Vendor:
    return Vendor(
        id="v1",
        name="Steel Supply Co",
        email="orders@steel.example",
        address=Address(line1="9 Mill St", city="Akron", region="OH", postal_code="44308"),
    )


def _items() -> list[Item]:
    return [
        Item(id="i1", name="Bar Stock", kind="non_inventory", purchase_cost=Decimal("4.25")),
        Item(id="i2", name="Bolt Kit", kind="non_inventory", purchase_cost=Decimal("9.90")),
    ]


def _purchase_order(**changes: Any) -> PurchaseOrder:
    fields: dict[str, Any] = {
        "id": "po1",
        "vendor_id": "v1",
        "number": "1042",
        "order_date": date(2026, 3, 3),
        "due_date": date(2026, 3, 17),
        "lines": (
            PurchaseItemLine(item_id="i1", quantity=Decimal(10), unit_cost=Decimal("4.25")),
            PurchaseItemLine(item_id="i2", quantity=Decimal(2), unit_cost=Decimal("9.90")),
            CostLine(description="Freight", amount=Decimal("35.00")),
        ),
        "ship_to": Address(line1="1 Shop Rd", city="Dayton", region="OH", postal_code="45402"),
        "memo": "Deliver to dock 2",
        "internal_reference": "Job 77",
        **changes,
    }
    return PurchaseOrder(**fields)


def _customer() -> Customer:
    return Customer(id="c1", name="Acme Tooling")


def _service() -> Item:
    return Item(id="s1", name="Machining", kind="service", sales_price=Decimal("100.00"))


def _invoice(app_id: str, number: str, hours: int) -> Invoice:
    return Invoice(
        id=app_id,
        customer_id="c1",
        number=number,
        invoice_date=date(2026, 3, 2),
        lines=(ItemLine(item_id="s1", quantity=Decimal(hours), unit_price=Decimal("100.00")),),
    )


async def _two_invoices(world: World) -> tuple[str, str]:
    """The customer, a service item and two invoices (100.00 and 200.00), pushed."""
    world.put(_customer())
    world.put(_service())
    world.put(_invoice("inv1", "1001", 1))
    world.put(_invoice("inv2", "1002", 2))
    first = await world.pusher.push("invoice", "inv1")
    second = await world.pusher.push("invoice", "inv2")
    assert first.outcome == "created" and first.qbo_id is not None, first.message
    assert second.outcome == "created" and second.qbo_id is not None, second.message
    return first.qbo_id, second.qbo_id


@pytest.mark.anyio
async def test_a_purchase_order_pushes_item_and_freight_lines_with_its_template(
    world: World,
) -> None:
    """A PO with item lines and freight: item- and account-based lines, DocNumber PO-1042."""
    world.with_settings(PO_SETTINGS)
    world.put(_vendor())
    for item in _items():
        world.put(item)
    world.put(_purchase_order())
    result = await world.pusher.push("purchase_order", "po1")
    assert result.outcome == "created", result.message
    assert result.qbo_id is not None
    po = world.read("PurchaseOrder", result.qbo_id)
    assert po["DocNumber"] == "PO-1042"
    assert _money(po["TotalAmt"]) == Decimal("97.30")
    vendor_link = world.link("vendor", "v1")
    assert vendor_link is not None and vendor_link.linked
    assert po["VendorRef"]["value"] == vendor_link.qbo_id
    item_lines = [li for li in po["Line"] if li["DetailType"] == "ItemBasedExpenseLineDetail"]
    cost_lines = [li for li in po["Line"] if li["DetailType"] == "AccountBasedExpenseLineDetail"]
    item_refs = []
    for app_id in ("i1", "i2"):
        link = world.link("item", app_id)
        assert link is not None and link.linked
        item_refs.append(link.qbo_id)
    assert [li["ItemBasedExpenseLineDetail"]["ItemRef"]["value"] for li in item_lines] == (
        item_refs
    )
    assert [_money(li["ItemBasedExpenseLineDetail"]["Qty"]) for li in item_lines] == [10, 2]
    assert [_money(li["Amount"]) for li in item_lines] == [Decimal("42.50"), Decimal("19.80")]
    [freight] = cost_lines
    assert _money(freight["Amount"]) == Decimal("35.00")
    account = world.read("Account", freight["AccountBasedExpenseLineDetail"]["AccountRef"]["value"])
    assert account["Name"] == PO_SETTINGS.po_cost_account
    assert po["PrivateNote"] == "Job 77"
    assert po["Memo"] == "Deliver to dock 2"
    assert po["DueDate"] == "2026-03-17"
    assert po["ShipAddr"]["City"] == "Dayton"
    # The order names no e-mail: the vendor's address and e-mail are the PO's.
    assert po["POEmail"]["Address"] == "orders@steel.example"
    assert po["VendorAddr"]["City"] == "Akron"
    link = world.link("purchase_order", "po1")
    assert link is not None and link.qbo_id == result.qbo_id and link.qbo_type == "PurchaseOrder"
    assert link.warning is None
    assert world.records.dirty(tenant_id=TENANT) == []


@pytest.mark.anyio
async def test_a_purchase_order_without_items_or_positive_cost_is_refused(world: World) -> None:
    """A PO with only a $0 cost line is refused with a clear message; nothing is sent."""
    world.put(_vendor())
    world.put(_purchase_order(lines=(CostLine(description="Freight", amount=Decimal(0)),)))
    writes = len(world.writes())
    result = await world.pusher.push("purchase_order", "po1")
    assert result.outcome == "failed"
    link = world.link("purchase_order", "po1")
    assert link is not None and link.last_result == "failed" and not link.linked
    assert link.last_message is not None
    assert "no item lines and no cost line above zero" in link.last_message
    assert world.objects("PurchaseOrder") == []
    assert world.writes()[writes:] == []
    dirty = {(r.record_type, r.app_id) for r in world.records.dirty(tenant_id=TENANT)}
    assert ("purchase_order", "po1") in dirty


@pytest.mark.anyio
async def test_a_payment_split_across_two_invoices_pays_both(world: World) -> None:
    """A payment applied to two invoices: one QBO Payment, both invoices' Balance at zero."""
    inv1, inv2 = await _two_invoices(world)
    world.put(
        Payment(
            id="p1",
            customer_id="c1",
            payment_date=date(2026, 3, 10),
            amount=Decimal("300.00"),
            method="Check",
            reference="5521",
            applications=(
                Application(invoice_id="inv1", amount=Decimal("100.00")),
                Application(invoice_id="inv2", amount=Decimal("200.00")),
            ),
        )
    )
    result = await world.pusher.push("payment", "p1")
    assert result.outcome == "created", result.message
    assert result.qbo_id is not None
    payment = world.read("Payment", result.qbo_id)
    assert _money(payment["TotalAmt"]) == Decimal("300.00")
    assert _money(payment.get("UnappliedAmt", 0)) == 0
    linked = {li["LinkedTxn"][0]["TxnId"]: _money(li["Amount"]) for li in payment["Line"]}
    assert linked == {inv1: Decimal("100.00"), inv2: Decimal("200.00")}
    assert _money(world.read("Invoice", inv1)["Balance"]) == 0
    assert _money(world.read("Invoice", inv2)["Balance"]) == 0
    link = world.link("payment", "p1")
    assert link is not None and link.qbo_id == result.qbo_id and link.warning is None


@pytest.mark.anyio
async def test_a_payment_remainder_is_left_as_credit(world: World) -> None:
    """An overpayment: applied part lowers the invoice's Balance, the rest is UnappliedAmt."""
    inv1, inv2 = await _two_invoices(world)
    world.put(
        Payment(
            id="p1",
            customer_id="c1",
            payment_date=date(2026, 3, 10),
            amount=Decimal("250.00"),
            applications=(Application(invoice_id="inv2", amount=Decimal("150.00")),),
        )
    )
    result = await world.pusher.push("payment", "p1")
    assert result.outcome == "created", result.message
    assert result.qbo_id is not None
    payment = world.read("Payment", result.qbo_id)
    assert _money(payment["TotalAmt"]) == Decimal("250.00")
    assert _money(payment["UnappliedAmt"]) == Decimal("100.00")
    assert _money(world.read("Invoice", inv2)["Balance"]) == Decimal("50.00")
    assert _money(world.read("Invoice", inv1)["Balance"]) == Decimal("100.00")
    link = world.link("payment", "p1")
    assert link is not None and link.linked and link.warning is None


@pytest.mark.anyio
async def test_a_credit_memo_is_pushed_with_its_customer_and_items(world: World) -> None:
    """A credit memo for returned work becomes a QBO CreditMemo, its parts pushed first."""
    world.put(_customer())
    world.put(_service())
    world.put(
        CreditMemo(
            id="cm1",
            customer_id="c1",
            number="CM-5",
            credit_date=date(2026, 3, 12),
            lines=(ItemLine(item_id="s1", quantity=Decimal(1), unit_price=Decimal("100.00")),),
            memo="Rework credit",
        )
    )
    result = await world.pusher.push("credit_memo", "cm1")
    assert result.outcome == "created", result.message
    assert result.qbo_id is not None
    memo = world.read("CreditMemo", result.qbo_id)
    assert memo["DocNumber"] == "CM-5"
    assert _money(memo["TotalAmt"]) == Decimal("100.00")
    customer = world.link("customer", "c1")
    assert customer is not None and memo["CustomerRef"]["value"] == customer.qbo_id
    link = world.link("credit_memo", "cm1")
    assert link is not None and link.qbo_type == "CreditMemo" and link.warning is None


@pytest.mark.anyio
async def test_a_store_credit_memo_uses_the_charge_item(world: World) -> None:
    """Store credit given as an amount is one line on the charge item ("Services")."""
    world.put(_customer())
    world.put(
        CreditMemo(
            id="cm2",
            customer_id="c1",
            credit_date=date(2026, 3, 12),
            store_credit=True,
            amount=Decimal("25.00"),
        )
    )
    result = await world.pusher.push("credit_memo", "cm2")
    assert result.outcome == "created", result.message
    assert result.qbo_id is not None
    memo = world.read("CreditMemo", result.qbo_id)
    assert _money(memo["TotalAmt"]) == Decimal("25.00")
    [line] = [li for li in memo["Line"] if li["DetailType"] == "SalesItemLineDetail"]
    item = world.read("Item", line["SalesItemLineDetail"]["ItemRef"]["value"])
    assert item["Name"] == "Services"


@pytest.mark.anyio
async def test_a_refund_is_a_refund_receipt_from_the_refund_account(world: World) -> None:
    """A refund becomes a RefundReceipt paid from the settings' refund account."""
    world.with_settings(REFUND_SETTINGS)
    world.put(_customer())
    world.put(
        Refund(
            id="r1",
            customer_id="c1",
            number="R-9",
            refund_date=date(2026, 3, 14),
            amount=Decimal("40.00"),
            method="Check",
            reference="7001",
        )
    )
    result = await world.pusher.push("refund", "r1")
    assert result.outcome == "created", result.message
    assert result.qbo_id is not None
    receipt = world.read("RefundReceipt", result.qbo_id)
    assert _money(receipt["TotalAmt"]) == Decimal("40.00")
    assert receipt["DocNumber"] == "R-9"
    account = world.read("Account", receipt["DepositToAccountRef"]["value"])
    assert account["Name"] == "Checking"
    method = world.read("PaymentMethod", receipt["PaymentMethodRef"]["value"])
    assert method["Name"] == "Check"
    link = world.link("refund", "r1")
    assert link is not None and link.qbo_type == "RefundReceipt" and link.warning is None


@pytest.mark.anyio
async def test_a_refund_waits_until_the_refund_account_is_set(world: World) -> None:
    """Without a refund account the refund waits with a clear message; nothing is sent."""
    world.put(_customer())
    world.put(
        Refund(id="r1", customer_id="c1", refund_date=date(2026, 3, 14), amount=Decimal("40.00"))
    )
    result = await world.pusher.push("refund", "r1")
    assert result.outcome == "waiting"
    link = world.link("refund", "r1")
    assert link is not None and link.last_result == "waiting" and not link.linked
    assert link.last_message is not None
    assert "refund account is not set" in link.last_message.lower()
    assert world.objects("RefundReceipt") == []
    dirty = {(r.record_type, r.app_id) for r in world.records.dirty(tenant_id=TENANT)}
    assert ("refund", "r1") in dirty
    # Once the account is set, the same record goes through.
    world.with_settings(REFUND_SETTINGS)
    report = await world.pusher.push_dirty()
    outcomes = {(r.record_type, r.app_id): r.outcome for r in report.results}
    assert outcomes[("refund", "r1")] == "created"
    assert len(world.objects("RefundReceipt")) == 1


@pytest.mark.anyio
async def test_a_bill_is_pushed_with_its_vendor_items_and_cost_lines(world: World) -> None:
    """A vendor bill becomes a QBO Bill with item- and account-based lines, vendor first."""
    world.put(_vendor())
    world.put(_items()[0])
    world.put(
        Bill(
            id="b1",
            vendor_id="v1",
            number="INV-3390",
            bill_date=date(2026, 3, 20),
            due_date=date(2026, 4, 19),
            lines=(
                PurchaseItemLine(item_id="i1", quantity=Decimal(4), unit_cost=Decimal("4.25")),
                CostLine(description="Fuel surcharge", amount=Decimal("7.50")),
            ),
            memo="Partial shipment",
        )
    )
    result = await world.pusher.push("bill", "b1")
    assert result.outcome == "created", result.message
    assert result.qbo_id is not None
    bill = world.read("Bill", result.qbo_id)
    assert bill["DocNumber"] == "INV-3390"
    assert _money(bill["TotalAmt"]) == Decimal("24.50")
    assert _money(bill["Balance"]) == Decimal("24.50")
    vendor = world.link("vendor", "v1")
    assert vendor is not None and bill["VendorRef"]["value"] == vendor.qbo_id
    kinds = sorted(li["DetailType"] for li in bill["Line"])
    assert kinds == ["AccountBasedExpenseLineDetail", "ItemBasedExpenseLineDetail"]
    link = world.link("bill", "b1")
    assert link is not None and link.qbo_type == "Bill" and link.warning is None
    assert world.records.dirty(tenant_id=TENANT) == []


@pytest.mark.anyio
async def test_a_payment_is_never_applied_twice_to_a_paid_invoice(world: World) -> None:
    """An invoice already paid in QBO: the app's payment keeps the money as credit instead."""
    inv1, inv2 = await _two_invoices(world)
    customer = world.link("customer", "c1")
    assert customer is not None and customer.qbo_id is not None
    await world.qbo.payments.create(
        {
            "CustomerRef": {"value": customer.qbo_id},
            "TotalAmt": "100.00",
            "Line": [{"Amount": "100.00", "LinkedTxn": [{"TxnId": inv1, "TxnType": "Invoice"}]}],
        }
    )
    world.put(
        Payment(
            id="p1",
            customer_id="c1",
            payment_date=date(2026, 3, 10),
            amount=Decimal("300.00"),
            applications=(
                Application(invoice_id="inv1", amount=Decimal("100.00")),
                Application(invoice_id="inv2", amount=Decimal("200.00")),
            ),
        )
    )
    result = await world.pusher.push("payment", "p1")
    assert result.outcome == "created", result.message
    assert result.qbo_id is not None
    payment = world.read("Payment", result.qbo_id)
    assert [li["LinkedTxn"][0]["TxnId"] for li in payment["Line"]] == [inv2]
    assert _money(payment["UnappliedAmt"]) == Decimal("100.00")
    assert _money(world.read("Invoice", inv1)["Balance"]) == 0
    assert _money(world.read("Invoice", inv2)["Balance"]) == 0


@pytest.mark.anyio
async def test_an_updated_payment_keeps_its_own_applications(world: World) -> None:
    """A linked payment changed in the app is updated; its own applications still count."""
    inv1, _ = await _two_invoices(world)
    payment = Payment(
        id="p1",
        customer_id="c1",
        payment_date=date(2026, 3, 10),
        amount=Decimal("100.00"),
        applications=(Application(invoice_id="inv1", amount=Decimal("100.00")),),
    )
    world.put(payment)
    first = await world.pusher.push("payment", "p1")
    assert first.outcome == "created" and first.qbo_id is not None, first.message
    world.put(payment.model_copy(update={"memo": "Paid at the counter"}))
    result = await world.pusher.push("payment", "p1")
    assert result.outcome == "updated", result.message
    updated = world.read("Payment", first.qbo_id)
    assert updated["PrivateNote"] == "Paid at the counter"
    assert [_money(li["Amount"]) for li in updated["Line"]] == [Decimal("100.00")]
    assert _money(updated.get("UnappliedAmt", 0)) == 0
    assert _money(world.read("Invoice", inv1)["Balance"]) == 0
