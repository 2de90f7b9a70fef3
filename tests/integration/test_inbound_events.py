"""The events feed: sync results published, and pushed to the host app signed, in order,
never lost."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from inboundkit import Harness, open_harness
from pushkit import TENANT
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ledgerbridge.engine import (
    SIGNATURE_HEADER,
    DeliveryBackoff,
    deliver_events,
    publish_results,
    sign_delivery,
    verify_delivery,
)
from ledgerbridge.model import Customer, Invoice, ItemLine
from ledgerbridge.store import Database, NewEvent

pytestmark = pytest.mark.anyio

SECRET = "host-app-secret-0123456789abcdef"


@dataclass
class HostApp:
    """The host app's receiving end: checks the signature, keeps what it acknowledged."""

    fail_next: int = 0
    acknowledged: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0
    forged: int = 0

    def app(self) -> Starlette:
        async def receive(request: Request) -> Response:
            body = await request.body()
            self.attempts += 1
            await asyncio.sleep(0.01)  # the network: another deliverer may run meanwhile
            if not verify_delivery(body, request.headers.get(SIGNATURE_HEADER), SECRET):
                self.forged += 1
                return Response(status_code=401)
            if self.fail_next:
                self.fail_next -= 1
                return Response(status_code=503)
            self.acknowledged.extend(json.loads(body)["events"])
            return Response(status_code=204)

        return Starlette(routes=[Route("/events", receive, methods=["POST"])])

    @property
    def ids(self) -> list[int]:
        return [event["id"] for event in self.acknowledged]


@pytest.fixture
async def harness(database: Database) -> AsyncIterator[Harness]:
    async with open_harness(database) as opened:
        yield opened


@pytest.fixture
async def host(harness: Harness) -> AsyncIterator[tuple[HostApp, httpx.AsyncClient]]:
    receiver = HostApp()
    harness.events.set_endpoint(tenant_id=TENANT, url="http://host.test/events", secret=SECRET)
    transport = httpx.ASGITransport(app=receiver.app())
    async with httpx.AsyncClient(transport=transport) as http:
        yield receiver, http


def _append(harness: Harness, count: int) -> None:
    events = [NewEvent("qbo.changed", data={"n": number}) for number in range(count)]
    harness.events.append(tenant_id=TENANT, events=events)


async def test_sync_results_are_published(harness: Harness) -> None:
    """What a push did reaches the feed: synced records with their QBO Id, failed ones with
    the sentence; unchanged records publish nothing."""
    harness.world.put(Customer(id="c-1", name="Acme"))
    line = ItemLine(item_id="missing-item", unit_price=1)
    invoice = Invoice(id="inv-1", customer_id="c-1", invoice_date="2026-01-05", lines=(line,))
    harness.world.put(invoice)
    report = await harness.world.pusher.push_dirty()
    assert publish_results(harness.events, TENANT, report, run_id="r1", trigger="manual") == 2
    synced, failed = harness.feed("record.synced"), harness.feed("record.failed")
    assert [(e.app_id, e.qbo_type, e.data["outcome"]) for e in synced] == [
        ("c-1", "Customer", "created")
    ]
    assert synced[0].qbo_id is not None and synced[0].data["trigger"] == "manual"
    assert failed[0].app_id == "inv-1" and "missing-item" in failed[0].data["message"]
    again = await harness.world.pusher.push_dirty()
    publish_results(harness.events, TENANT, again)
    assert len(harness.feed("record.synced")) == 1


async def test_the_feed_is_read_with_a_cursor_per_tenant(harness: Harness) -> None:
    """Ids count 1, 2, 3... per tenant; a reader resumes after the last id it saw."""
    _append(harness, 5)
    first = harness.events.read(tenant_id=TENANT, limit=2)
    rest = harness.events.read(tenant_id=TENANT, after=first[-1].seq, limit=10)
    assert [e.seq for e in first + rest] == [1, 2, 3, 4, 5]
    assert harness.events.read(tenant_id="someone-else") == []


async def test_events_are_delivered_signed_in_order_in_batches(
    harness: Harness, host: tuple[HostApp, httpx.AsyncClient]
) -> None:
    """Every event reaches the host app once, in order, a batch per POST, each signed."""
    receiver, http = host
    _append(harness, 5)
    report = await deliver_events(
        TENANT, events=harness.events, http=http, batch_size=2, clock=harness.clock
    )
    assert (report.status, report.events, report.cursor) == ("delivered", 5, 5)
    assert receiver.ids == [1, 2, 3, 4, 5] and receiver.attempts == 3 and receiver.forged == 0
    idle = await deliver_events(TENANT, events=harness.events, http=http, clock=harness.clock)
    assert idle.events == 0 and receiver.attempts == 3


async def test_a_failed_delivery_is_retried_later_and_loses_nothing(
    harness: Harness, host: tuple[HostApp, httpx.AsyncClient]
) -> None:
    """A 503 keeps the cursor and waits (backoff); later the same events go, in order."""
    receiver, http = host
    _append(harness, 3)
    receiver.fail_next = 1
    backoff = DeliveryBackoff(base=timedelta(seconds=30))
    failed = await deliver_events(
        TENANT, events=harness.events, http=http, backoff=backoff, clock=harness.clock
    )
    assert failed.status == "failed" and "503" in (failed.error or "")
    endpoint = harness.events.endpoint(tenant_id=TENANT)
    assert endpoint is not None and (endpoint.delivered_seq, endpoint.attempts) == (0, 1)
    too_soon = await deliver_events(TENANT, events=harness.events, http=http, clock=harness.clock)
    assert too_soon.status == "idle"
    harness.clock.advance(timedelta(seconds=31))
    _append(harness, 1)
    done = await deliver_events(TENANT, events=harness.events, http=http, clock=harness.clock)
    assert done.status == "delivered" and receiver.ids == [1, 2, 3, 4]


async def test_one_deliverer_at_a_time(
    harness: Harness, host: tuple[HostApp, httpx.AsyncClient]
) -> None:
    """Two deliveries started together: one sends, the other finds the lease taken."""
    receiver, http = host
    _append(harness, 4)
    reports = await asyncio.gather(
        deliver_events(TENANT, events=harness.events, http=http, batch_size=1),
        deliver_events(TENANT, events=harness.events, http=http, batch_size=1),
    )
    assert sorted(r.status for r in reports) == ["delivered", "idle"]
    assert receiver.ids == [1, 2, 3, 4]


async def test_a_tampered_delivery_does_not_verify() -> None:
    """The host app's check refuses a changed body, another secret and an old timestamp."""
    body = b'{"events":[]}'
    now = int(time.time())
    header = sign_delivery(body, SECRET, timestamp=now)
    assert verify_delivery(body, header, SECRET)
    assert not verify_delivery(body + b" ", header, SECRET)
    assert not verify_delivery(body, header, "another-secret-0123456789")
    old = sign_delivery(body, SECRET, timestamp=now - 3600)
    assert not verify_delivery(body, old, SECRET)
    assert not verify_delivery(body, None, SECRET)


async def test_the_endpoint_secret_is_encrypted_at_rest(harness: Harness) -> None:
    """The stored secret is ciphertext; reading it back needs the key."""
    harness.events.set_endpoint(tenant_id=TENANT, url="https://host.example/hooks", secret=SECRET)
    with harness.database.engine.connect() as connection:
        raw = connection.exec_driver_sql("SELECT secret FROM event_endpoints").scalar_one()
    assert SECRET.encode() not in raw
    endpoint = harness.events.endpoint(tenant_id=TENANT)
    assert endpoint is not None and endpoint.secret == SECRET and SECRET not in repr(endpoint)
    with pytest.raises(ValueError, match="http"):
        harness.events.set_endpoint(tenant_id=TENANT, url="ftp://host.example/hooks")
