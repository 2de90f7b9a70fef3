"""Payments made in QBO come back to the app (Syncro's "Sync Payments FROM QuickBooks"), and
the direction guard keeps payments from syncing both ways."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from inboundkit import Harness, open_harness
from pushkit import TENANT
from pydantic import ValidationError

from ledgerbridge.model import (
    Customer,
    Invoice,
    Item,
    ItemLine,
    Payment,
    PaymentMethodSetting,
    TenantSettings,
)
from ledgerbridge.store import Database

pytestmark = pytest.mark.anyio

FROM_QBO = TenantSettings(
    payment_direction="qbo_to_app",
    payment_methods={"Cheque": PaymentMethodSetting(qbo_method="Check")},
)


@pytest.fixture
async def harness(database: Database) -> AsyncIterator[Harness]:
    """A tenant whose payments come from QBO, with a customer and two invoices pushed."""
    async with open_harness(database, settings=FROM_QBO) as opened:
        today = datetime.now(UTC).date()
        opened.world.put(Customer(id="c-1", name="Ocean Pumps"))
        opened.world.put(Item(id="i-1", name="Impeller", kind="service"))
        for app_id, price in (("inv-1", 100), ("inv-2", 50)):
            line = ItemLine(item_id="i-1", unit_price=Decimal(price))
            opened.world.put(
                Invoice(id=app_id, customer_id="c-1", invoice_date=today, lines=(line,))
            )
        await opened.world.pusher.push_dirty()
        await opened.flush()
        yield opened


def _qbo_id(harness: Harness, record_type: str, app_id: str) -> str:
    link = harness.world.link(record_type, app_id)
    assert link is not None and link.qbo_id is not None
    return link.qbo_id


def _pay(harness: Harness, customer: str, total: str, *lines: tuple[str, str]) -> dict[str, Any]:
    """A payment entered in QuickBooks, by check no. 1042, paying invoices by QBO Id."""
    check = next(m for m in harness.world.objects("PaymentMethod") if m["Name"] == "Check")
    return harness.create_in_qbo(
        "Payment",
        {
            "CustomerRef": {"value": customer},
            "TotalAmt": Decimal(total),
            "PaymentMethodRef": {"value": check["Id"]},
            "PaymentRefNum": "1042",
            "Line": [
                {
                    "Amount": Decimal(amount),
                    "LinkedTxn": [{"TxnId": invoice, "TxnType": "Invoice"}],
                }
                for invoice, amount in lines
            ],
        },
    )


async def test_a_payment_made_in_qbo_comes_back_applied_to_the_app_invoices(
    harness: Harness,
) -> None:
    """The payment becomes the app's payment on its invoices, with the app's method name;
    it is stored (clean, linked) and published, and nothing is pushed back."""
    paid = _pay(
        harness,
        _qbo_id(harness, "customer", "c-1"),
        "130.00",
        (_qbo_id(harness, "invoice", "inv-1"), "100.00"),
        (_qbo_id(harness, "invoice", "inv-2"), "30.00"),
    )
    writes = len(harness.world.writes())
    await harness.flush()
    (event,) = harness.feed("payment.received")
    app_id = f"qbo-payment-{paid['Id']}"
    assert (event.app_id, event.qbo_id) == (app_id, paid["Id"])
    payment = Payment.model_validate(event.data["payment"])
    assert payment.customer_id == "c-1" and payment.method == "Cheque"
    assert payment.reference == "1042" and payment.amount == Decimal("130.00")
    applied = {(a.invoice_id, a.amount) for a in payment.applications}
    assert applied == {("inv-1", Decimal("100.00")), ("inv-2", Decimal("30.00"))}
    assert event.data["unmatched"] == []
    stored = harness.world.records.get(tenant_id=TENANT, record_type="payment", app_id=app_id)
    assert stored is not None and not stored.dirty
    link = harness.world.link("payment", app_id)
    assert link is not None and (link.qbo_id, link.last_result) == (paid["Id"], "ok")
    assert (await harness.world.pusher.push_dirty()).results == []
    assert len(harness.world.writes()) == writes


async def test_a_line_on_an_invoice_the_app_does_not_know_is_reported(harness: Harness) -> None:
    """A payment split over an app invoice and one made in QBO: the app's payment applies
    the first, and the event names the other."""
    customer = _qbo_id(harness, "customer", "c-1")
    line = {"Amount": 40, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {}}
    stranger = harness.create_in_qbo(
        "Invoice", {"CustomerRef": {"value": customer}, "Line": [line]}
    )
    _pay(
        harness,
        customer,
        "90.00",
        (_qbo_id(harness, "invoice", "inv-2"), "50.00"),
        (stranger["Id"], "40.00"),
    )
    await harness.flush()
    (event,) = harness.feed("payment.received")
    assert [a["invoice_id"] for a in event.data["payment"]["applications"]] == ["inv-2"]
    (unmatched,) = event.data["unmatched"]
    assert (unmatched["txn_id"], unmatched["amount"]) == (stranger["Id"], "40.00")
    assert "not linked" in unmatched["reason"]


async def test_a_payment_of_a_customer_the_app_does_not_know_is_not_stored(
    harness: Harness,
) -> None:
    """Nothing in the payment is the app's: it is published as unmatched, not stored."""
    walk_in = harness.create_in_qbo("Customer", {"DisplayName": "Walk-in"})
    paid = _pay(harness, walk_in["Id"], "25.00")
    await harness.flush()
    (event,) = harness.feed("payment.unmatched")
    assert event.qbo_id == paid["Id"] and "not linked" in event.data["reason"]
    app_id = f"qbo-payment-{paid['Id']}"
    assert harness.world.records.get(tenant_id=TENANT, record_type="payment", app_id=app_id) is None


async def test_a_payment_changed_then_voided_in_qbo(harness: Harness) -> None:
    """A change follows the stored payment; a void marks it deleted (and clean: there is
    nothing to void in QBO), and the feed says both."""
    invoice = _qbo_id(harness, "invoice", "inv-1")
    paid = _pay(harness, _qbo_id(harness, "customer", "c-1"), "60.00", (invoice, "60.00"))
    await harness.flush()
    harness.ui_edit("Payment", paid["Id"], {"PrivateNote": "deposited Friday"})
    await harness.flush()
    (updated,) = harness.feed("payment.updated")
    assert updated.data["payment"]["memo"] == "deposited Friday"
    current = harness.world.read("Payment", paid["Id"])
    ledger = harness.world.emulator.ledger(harness.realm_id)
    ledger.void("Payment", {"Id": paid["Id"], "SyncToken": current["SyncToken"]})
    await harness.flush()
    (voided,) = harness.feed("payment.voided")
    app_id = f"qbo-payment-{paid['Id']}"
    stored = harness.world.records.get(tenant_id=TENANT, record_type="payment", app_id=app_id)
    assert voided.app_id == app_id
    assert stored is not None and stored.deleted and not stored.dirty
    link = harness.world.link("payment", app_id)
    assert link is not None and link.last_result == "voided"


async def test_a_payment_the_app_took_over_is_not_overwritten(harness: Harness) -> None:
    """Once the host app puts its own version of an imported payment, QBO's later changes
    are published but no longer written over it."""
    invoice = _qbo_id(harness, "invoice", "inv-2")
    paid = _pay(harness, _qbo_id(harness, "customer", "c-1"), "50.00", (invoice, "50.00"))
    await harness.flush()
    app_id = f"qbo-payment-{paid['Id']}"
    (received,) = harness.feed("payment.received")
    mine = Payment.model_validate({**received.data["payment"], "memo": "the app's memo"})
    harness.world.put(mine)
    harness.ui_edit("Payment", paid["Id"], {"PrivateNote": "QBO's memo"})
    (report,) = await harness.flush()
    assert report.tenants[TENANT].count("adopted") == 1
    stored = harness.world.records.get(tenant_id=TENANT, record_type="payment", app_id=app_id)
    assert stored is not None and stored.payload["memo"] == "the app's memo"
    assert len(harness.feed("payment.updated")) == 1


async def test_payments_stay_in_qbo_when_they_sync_from_the_app(harness: Harness) -> None:
    """With payments going app -> QBO, a payment made in QBO is not brought back."""
    harness.settle(TenantSettings())
    _pay(
        harness,
        _qbo_id(harness, "customer", "c-1"),
        "10.00",
        (_qbo_id(harness, "invoice", "inv-1"), "10.00"),
    )
    await harness.flush()
    assert harness.feed("payment.received") == [] and harness.feed("payment.unmatched") == []


async def test_the_direction_guard(harness: Harness) -> None:
    """Payments from QBO: the app's own payment is not pushed (it would be recorded twice);
    and a setting that would sync payments both ways does not validate."""
    harness.world.put(
        Payment(
            id="pay-1",
            customer_id="c-1",
            payment_date=datetime.now(UTC).date(),
            amount=Decimal("10.00"),
        )
    )
    report = await harness.world.pusher.push_dirty()
    (result,) = report.results
    assert result.outcome == "skipped"
    assert "from QuickBooks to the app" in (result.message or "")
    assert harness.world.objects("Payment") == []
    with pytest.raises(ValidationError, match="payment_direction"):
        TenantSettings.model_validate({"payment_direction": "both"})
