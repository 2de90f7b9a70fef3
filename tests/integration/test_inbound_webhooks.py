"""Webhooks and the CDC back-stop, end to end: the emulator's signed notifications reach
ledgerbridge's endpoint, are stored, processed once, and land on the events feed."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from inboundkit import Harness, by_qbo, classic, open_harness
from pushkit import TENANT

from ledgerbridge.model import Customer, Invoice, Item, ItemLine
from ledgerbridge.store import Database

pytestmark = pytest.mark.anyio


class Lossy(httpx.AsyncBaseTransport):
    """The road webhooks travel, cut while ``lose`` is set (Intuit then retries later)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.lose = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.lose:
            raise httpx.ConnectError("the notification was lost", request=request)
        return await self.inner.handle_async_request(request)


@pytest.fixture(params=["classic", "cloudevents"])
async def harness(request: pytest.FixtureRequest, database: Database) -> AsyncIterator[Harness]:
    async with open_harness(database, webhook_format=request.param) as opened:
        yield opened


async def _pushed_customer(harness: Harness, app_id: str = "c-1", name: str = "Acme") -> str:
    """An app customer pushed to QBO; its QBO Id (the push's own webhook already handled)."""
    harness.world.put(Customer(id=app_id, name=name))
    await harness.world.pusher.push_dirty()
    await harness.flush()
    link = harness.world.link("customer", app_id)
    assert link is not None and link.qbo_id is not None
    return link.qbo_id


async def test_a_change_made_in_qbo_reaches_the_feed(harness: Harness) -> None:
    """A bookkeeper edits a customer the app pushed: the notification is verified, stored,
    processed, and the feed says what changed, as the app's record."""
    qbo_id = await _pushed_customer(harness)
    harness.ui_edit("Customer", qbo_id, {"Notes": "Pays by check", "CompanyName": "Acme LLC"})
    (report,) = await harness.flush()
    assert report.status == "processed"
    (event,) = harness.feed("qbo.changed")
    assert (event.record_type, event.app_id, event.qbo_id) == ("customer", "c-1", qbo_id)
    assert event.data["operation"] == "Update" and event.data["linked"] is True
    assert event.data["record"]["company_name"] == "Acme LLC"
    stored = harness.inbound.notification(report.notification_id)
    assert stored is not None and stored.status == "processed"


async def test_the_echo_of_our_own_write_is_ignored(harness: Harness) -> None:
    """The notification of ledgerbridge's own create and update publishes nothing."""
    harness.world.put(Customer(id="c-1", name="Acme"))
    await harness.world.pusher.push_dirty()
    (created,) = await harness.flush()
    harness.world.put(Customer(id="c-1", name="Acme", notes="changed in the app"))
    await harness.world.pusher.push_dirty()
    (updated,) = await harness.flush()
    assert created.tenants[TENANT].count("echo") == 1
    assert updated.tenants[TENANT].count("echo") == 1
    assert harness.feed() == []


async def test_a_replayed_notification_is_stored_once_and_applied_once(harness: Harness) -> None:
    """The same bytes posted twice are one notification; the same change in other bytes (a
    CloudEvents copy of a classic one) is applied once."""
    qbo_id = await _pushed_customer(harness)
    harness.ui_edit("Customer", qbo_id, {"Notes": "new terms"})
    body = classic(harness.realm_id, ("Customer", qbo_id, "Update"))
    first, again = await harness.post(body), await harness.post(body)
    assert (first.status_code, again.status_code) == (200, 200)
    assert len(set(harness.queued)) == 1
    reports = await harness.process_queued()
    assert [r.status for r in reports] == ["processed", "already processed"]
    await harness.flush()  # the emulator's own notification of the same edit
    assert len(harness.feed("qbo.changed")) == 1
    assert await harness.post(body) is not None
    assert harness.queued == []  # a processed notification is not queued again


async def test_a_forged_notification_is_refused_and_stores_nothing(harness: Harness) -> None:
    """A body signed with another key is refused with 401 before anything reads it."""
    body = classic(harness.realm_id, ("Customer", "1", "Update"))
    response = await harness.post(body, signature="bm90IHRoZSByaWdodCBzaWduYXR1cmU=")
    assert response.status_code == 401
    assert harness.queued == [] and harness.inbound.pending() == []


async def test_a_notification_for_an_unknown_realm_is_ignored_and_logged(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """A realm no tenant is connected to is logged and its changes are not applied."""
    await harness.post(classic("9999999999", ("Customer", "1", "Create")))
    with caplog.at_level(logging.WARNING, logger="ledgerbridge.inbound"):
        (report,) = await harness.process_queued()
    assert report.ignored_realms == ["9999999999"] and report.tenants == {}
    assert "realm 9999999999 is not connected to any tenant" in caplog.text
    assert harness.feed() == []


async def test_a_disconnected_tenant_gets_nothing(harness: Harness) -> None:
    """Once the company is disconnected, its notifications are not applied to the tenant."""
    qbo_id = await _pushed_customer(harness)
    connection = harness.access.connection(TENANT)
    harness.connections.disconnect(connection.id, reason="the owner disconnected")
    harness.ui_edit("Customer", qbo_id, {"Notes": "after the disconnect"})
    (report,) = await harness.flush()
    assert report.ignored_realms == [harness.realm_id]
    assert harness.feed() == []


async def test_a_deleted_transaction_and_a_merge_are_published(harness: Harness) -> None:
    """A transaction deleted in QBO and a customer merged into another are announced with
    the app records they concern."""
    kept_id = await _pushed_customer(harness, "c-1", "Acme")
    gone_id = await _pushed_customer(harness, "c-2", "Acme Corp")
    harness.world.put(
        Invoice(
            id="inv-1",
            customer_id="c-1",
            invoice_date=datetime.now(UTC).date(),
            lines=(ItemLine(item_id="i-1", unit_price=Decimal(10)),),
        )
    )
    harness.world.put(Item(id="i-1", name="Widget", kind="service"))
    await harness.world.pusher.push_dirty()
    await harness.flush()
    invoice = harness.world.link("invoice", "inv-1")
    assert invoice is not None and invoice.qbo_id is not None
    ledger = harness.world.emulator.ledger(harness.realm_id)
    current = ledger.read("Invoice", invoice.qbo_id)
    ledger.delete("Invoice", {"Id": invoice.qbo_id, "SyncToken": current["SyncToken"]})
    ledger.merge("Customer", gone_id, kept_id)
    await harness.flush()
    (deleted,) = by_qbo(harness.feed("qbo.changed"), "Invoice", invoice.qbo_id)
    assert deleted.app_id == "inv-1" and deleted.data["operation"] == "Delete"
    (merged,) = by_qbo(harness.feed("qbo.changed"), "Customer", gone_id)
    assert merged.app_id == "c-2" and merged.data["operation"] == "Merge"
    into = {"qbo_id": kept_id, "record_type": "customer", "app_id": "c-1"}
    assert merged.data["merged_into"] == into


async def test_cdc_catches_a_change_the_webhook_missed(database: Database) -> None:
    """While notifications are lost, the CDC poll brings the change in; when the webhook
    finally arrives, it changes nothing (the version was applied)."""
    lossy: list[Lossy] = []

    def wrap(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        lossy.append(Lossy(inner))
        return lossy[0]

    async with open_harness(database, wrap_dispatch=wrap) as harness:
        qbo_id = await _pushed_customer(harness)
        first = await harness.sync.poll_changes(TENANT)
        assert first.first_run
        lossy[0].lose = True
        harness.ui_edit("Customer", qbo_id, {"Notes": "missed by the webhook"})
        assert await harness.flush() == []  # nothing reached the endpoint
        report = await harness.sync.poll_changes(TENANT)
        (event,) = by_qbo(harness.feed("qbo.changed"), "Customer", qbo_id)
        assert event.app_id == "c-1" and event.data["record"]["name"] == "Acme"
        assert report.bookmark is not None
        lossy[0].lose = False
        (late,) = await harness.flush()
        assert late.tenants[TENANT].count("stale") == 1
        assert len(by_qbo(harness.feed("qbo.changed"), "Customer", qbo_id)) == 1


async def test_cdc_pages_past_its_cap_and_moves_the_bookmark(harness: Harness) -> None:
    """1,200 changes (CDC answers at most 1,000) are all applied, once, in two CDC calls."""
    await harness.sync.poll_changes(TENANT)
    emulator = harness.world.emulator
    ledger = emulator.ledger(harness.realm_id)
    for number in range(1200):
        ledger.create("Customer", {"DisplayName": f"Walk-in {number:04d}"})
        if number % 100 == 99:
            emulator.clock.advance(1)  # QBO's timestamps have whole seconds
    before = len(list(emulator.request_log(harness.realm_id)))
    report = await harness.sync.poll_changes(TENANT)
    cdc_calls = [
        r for r in list(emulator.request_log(harness.realm_id))[before:] if "/cdc" in r["path"]
    ]
    assert len(cdc_calls) == 2
    walk_ins = [e for e in harness.feed("qbo.changed") if e.qbo_type == "Customer"]
    assert len(walk_ins) == 1200 and len({e.qbo_id for e in walk_ins}) == 1200
    again = await harness.sync.poll_changes(TENANT)
    assert again.count("qbo.changed") == 0 and report.bookmark is not None


async def test_a_bookmark_older_than_30_days_rescans_by_query(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """CDC looks back 30 days: an older bookmark re-reads by query instead, and says so."""
    qbo_id = await _pushed_customer(harness)
    connection = harness.access.connection(TENANT)
    harness.inbound.save_bookmark(
        connection_id=connection.id,
        tenant_id=TENANT,
        realm_id=harness.realm_id,
        changed_since=datetime.now(UTC) - timedelta(days=31),
    )
    harness.ui_edit("Customer", qbo_id, {"Notes": "while ledgerbridge was down"})
    with caplog.at_level(logging.WARNING, logger="ledgerbridge.inbound"):
        report = await harness.sync.poll_changes(TENANT)
    assert report.rescanned and "beyond QBO's 30-day CDC window" in caplog.text
    (event,) = [e for e in harness.feed("qbo.changed") if e.app_id == "c-1"]
    assert event.data["record"]["name"] == "Acme"
    bookmark = harness.inbound.bookmark(connection.id)
    assert bookmark is not None and bookmark.changed_since > datetime.now(UTC) - timedelta(hours=1)


async def test_a_signed_notification_that_is_not_intuits_format_fails_visibly(
    harness: Harness,
) -> None:
    """Signed but unreadable: stored, then marked failed with the reason, nothing applied."""
    assert (await harness.post(b'{"something": "else"}')).status_code == 200
    (report,) = await harness.process_queued()
    assert report.status == "failed" and "eventNotifications" in (report.error or "")
    stored = harness.inbound.notification(report.notification_id)
    assert stored is not None and stored.status == "failed" and stored.error == report.error


async def test_the_sweeper_processes_notifications_whose_job_was_lost(harness: Harness) -> None:
    """A stored notification nobody processed is picked up by process_pending."""
    qbo_id = await _pushed_customer(harness)
    harness.ui_edit("Customer", qbo_id, {"Notes": "job lost"})
    await harness.world.emulator.webhooks.flush()
    harness.queued.clear()  # the job queue lost it
    assert await harness.sync.process_pending(older_than=timedelta(minutes=1)) == []
    harness.clock.advance(timedelta(minutes=2))
    (report,) = await harness.sync.process_pending(older_than=timedelta(minutes=1))
    assert report.status == "processed"
    assert len(by_qbo(harness.feed("qbo.changed"), "Customer", qbo_id)) == 1
