"""Webhook delivery (QBO-REFERENCE.md section 9) against a real HTTP receiver on loopback."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn
from quickbooks.client import QuickBooks
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ledgerbridge.emulator._ledger import Change
from ledgerbridge.emulator._oauth import App
from ledgerbridge.emulator._webhooks import (
    WEBHOOK_ENTITIES,
    WebhookDispatcher,
    retry_delay,
    webhook_signature,
)
from support import free_port

pytestmark = pytest.mark.anyio

TOKEN = "3f9a1c52-8d7e-4b6a-9c0d-webhook-verifier"
REALM = "9130350000000001"
OTHER_REALM = "9130350000000002"
PACIFIC = "2026-11-21T18:02:03-08:00"
PACIFIC_UTC = "2026-11-22T02:02:03.000Z"
NOT_ANNOUNCED = ("InventoryAdjustment", "TaxCode", "CompanyInfo")


# --------------------------------------------------------------------------------------------
# The receiver: a Starlette app on a loopback port that checks signatures independently


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    verified: bool

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """Records every POST; answers from a per-path script (status, or seconds to stall)."""

    def __init__(self) -> None:
        self.base = ""
        self.hits: list[Hit] = []
        self.scripts: dict[str, deque[int | float]] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self.hits.clear()
            self.scripts.clear()

    def url(self, name: str) -> str:
        return f"{self.base}/{name}"

    def script(self, name: str, *actions: int | float) -> None:
        """Answer the next requests to ``/name`` with these statuses (int) or stalls (float)."""
        with self._lock:
            self.scripts[f"/{name}"] = deque(actions)

    def to(self, name: str) -> list[Hit]:
        with self._lock:
            return [hit for hit in self.hits if hit.path == f"/{name}"]

    async def hook(self, request: Request) -> Response:
        body = await request.body()
        expected = base64.b64encode(hmac.new(TOKEN.encode(), body, hashlib.sha256).digest())
        signature = request.headers.get("intuit-signature", "").encode()
        verified = hmac.compare_digest(expected, signature)
        with self._lock:
            self.hits.append(
                Hit(request.url.path, dict(request.headers), body, time.monotonic(), verified)
            )
            script = self.scripts.get(request.url.path)
            action: int | float = script.popleft() if script else 200
        if isinstance(action, float):
            await asyncio.sleep(action)
            action = 200
        return Response(status_code=action if verified else 401)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/{name}", self.hook, methods=["POST"])])


@pytest.fixture(scope="module")
def server() -> Iterator[Receiver]:
    receiver = Receiver()
    port = free_port()
    config = uvicorn.Config(receiver.app(), host="127.0.0.1", port=port, log_level="warning")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the webhook receiver did not start")
        time.sleep(0.01)
    receiver.base = f"http://127.0.0.1:{port}"
    try:
        yield receiver
    finally:
        uv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def receiver(server: Receiver) -> Receiver:
    server.reset()
    return server


# --------------------------------------------------------------------------------------------
# Helpers


def app(
    receiver: Receiver,
    name: str = "hook",
    *,
    fmt: str = "classic",
    token: str | None = TOKEN,
    url: str | None = "",
) -> App:
    return App(
        client_id=f"client-{name}",
        client_secret="secret",
        redirect_uris=("https://app.example/callback",),
        webhook_url=receiver.url(name) if url == "" else url,
        verifier_token=token,
        webhook_format=fmt,
    )


def change(
    entity: str = "Customer",
    id: str = "1",
    operation: str = "Create",
    *,
    realm: str = REALM,
    at: str = PACIFIC,
    deleted_id: str | None = None,
) -> Change:
    return Change(realm, entity, id, operation, at, deleted_id)


def dispatcher(
    apps: Sequence[App] | Mapping[str, Sequence[App]],
    *,
    delay: float = 3600.0,
    scale: float = 1.0,
    ack_timeout: float = 3.0,
    max_attempts: int = 12,
) -> WebhookDispatcher:
    def subscribers(realm_id: str) -> Sequence[App]:
        return apps.get(realm_id, []) if isinstance(apps, Mapping) else apps

    return WebhookDispatcher(
        subscribers=subscribers,
        delay=lambda: delay,
        time_scale=lambda: scale,
        ack_timeout=ack_timeout,
        max_attempts=max_attempts,
    )


@asynccontextmanager
async def running(
    apps: Sequence[App] | Mapping[str, Sequence[App]], **options: Any
) -> AsyncIterator[WebhookDispatcher]:
    hooks = dispatcher(apps, **options)
    try:
        yield hooks
    finally:
        await hooks.aclose()


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the webhook")
        await asyncio.sleep(0.005)


def entities(hit: Hit) -> list[tuple[str, str, str, str]]:
    return [
        (note["realmId"], e["name"], e["id"], e["operation"])
        for note in hit.json()["eventNotifications"]
        for e in note["dataChangeEvent"]["entities"]
    ]


# --------------------------------------------------------------------------------------------
# Signature


def test_signature_reproduces_the_dotnet_test_vector() -> None:
    """The .NET SDK fixture body and token give Intuit's published signature (section 9.4)."""
    body = (
        b'{"eventNotifications":[{"realmId":"1269959970","dataChangeEvent":{"entities":['
        b'{"name":"Vendor","id":"40","operation":"Update","lastUpdated":"2016-10-05T03:09:04.000Z"},'
        b'{"name":"Customer","id":"43","operation":"Create","lastUpdated":"2016-10-05T03:07:04.000Z"}'
        b"]}}]}"
    )
    signature = webhook_signature(body, "00faeec4-08d0-4996-bb37-698ae19f0149")
    assert signature == "6q+xGyMirJupwKTh2/WBl2NcdxzxqdIbk3sneKTxLWM="


async def test_python_quickbooks_accepts_the_signature(receiver: Receiver) -> None:
    """python-quickbooks' validate_webhook_signature verifies what the receiver got."""
    async with running([app(receiver)]) as hooks:
        hooks.record(change())
        await hooks.flush()
    (hit,) = receiver.to("hook")
    signature = hit.headers["intuit-signature"]
    client = QuickBooks(minorversion=75)
    assert client.validate_webhook_signature(hit.body.decode("utf-8"), signature, TOKEN)
    assert not client.validate_webhook_signature(hit.body.decode() + " ", signature, TOKEN)


def test_retry_schedule_is_intuits() -> None:
    """10 s, 20 s, 30 s, 5 min, 20 min, 2 h, 4 h, 6 h, then every 6 h."""
    waits = [retry_delay(n) for n in range(1, 12)]
    assert waits == [10, 20, 30, 300, 1200, 7200, 14400, 21600, 21600, 21600, 21600]


# --------------------------------------------------------------------------------------------
# Payloads


async def test_classic_payload_groups_realms_into_one_post(receiver: Receiver) -> None:
    """Changes of two realms inside one window go out as one signed POST, one entry per realm."""
    async with running([app(receiver)], delay=0.05) as hooks:
        hooks.record(change("Customer", "1", "Create"))
        hooks.record(change("Item", "5", "Update", realm=OTHER_REALM))
        hooks.record(change("Invoice", "130", "Create"))
        hooks.record(change("Vendor", "7", "Delete", realm=OTHER_REALM))
        hooks.record(change("Invoice", "131", "Void"))
        assert hooks.pending() == 5
        await until(lambda: len(receiver.hits) == 1)
        await asyncio.sleep(0.1)
        log = hooks.deliveries()
        assert hooks.pending() == 0
    (hit,) = receiver.hits
    assert hit.verified
    assert hit.headers["content-type"] == "application/json"
    body = hit.json()
    assert [note["realmId"] for note in body["eventNotifications"]] == [REALM, OTHER_REALM]
    assert entities(hit) == [
        (REALM, "Customer", "1", "Create"),
        (REALM, "Invoice", "130", "Create"),
        (REALM, "Invoice", "131", "Void"),
        (OTHER_REALM, "Item", "5", "Update"),
        (OTHER_REALM, "Vendor", "7", "Delete"),
    ]
    first = body["eventNotifications"][0]["dataChangeEvent"]["entities"][0]
    assert first == {
        "name": "Customer",
        "id": "1",
        "operation": "Create",
        "lastUpdated": PACIFIC_UTC,
    }
    assert hit.body == json.dumps(body, separators=(",", ":")).encode()
    (entry,) = log
    assert entry["time"].endswith("Z")
    del entry["time"]
    assert entry == {
        "client_id": "client-hook",
        "url": receiver.url("hook"),
        "format": "classic",
        "attempt": 1,
        "status": 200,
        "error": None,
        "events": 5,
        "realm_ids": [REALM, OTHER_REALM],
        "delivered": True,
    }
    assert TOKEN not in json.dumps(log)


async def test_duplicates_collapse_to_the_latest_last_updated(receiver: Receiver) -> None:
    """The same realm, entity, id and operation twice in a window is one event, newest time."""
    async with running([app(receiver)]) as hooks:
        hooks.record(change("Customer", "1", "Update", at="2026-11-21T18:02:03-08:00"))
        hooks.record(change("Customer", "1", "Update", at="2026-11-21T18:05:00-08:00"))
        hooks.record(change("Customer", "1", "Update", at="2026-11-21T18:04:00-08:00"))
        hooks.record(change("Customer", "1", "Create"))
        hooks.record(change("Customer", "1", "Update", realm=OTHER_REALM))
        assert hooks.pending() == 3
        await hooks.flush()
    (hit,) = receiver.hits
    assert entities(hit) == [
        (REALM, "Customer", "1", "Update"),
        (REALM, "Customer", "1", "Create"),
        (OTHER_REALM, "Customer", "1", "Update"),
    ]
    update = hit.json()["eventNotifications"][0]["dataChangeEvent"]["entities"][0]
    assert update["lastUpdated"] == "2026-11-22T02:05:00.000Z"


async def test_cloudevents_payload_shape(receiver: Receiver) -> None:
    """A JSON array with one CloudEvent per change: verbs, unique UUID ids, account and entity."""
    subscriber = app(receiver, "ce", fmt="cloudevents")
    async with running([subscriber]) as hooks:
        hooks.record(change("Customer", "1", "Create"))
        hooks.record(change("Invoice", "130", "Update"))
        hooks.record(change("Vendor", "7", "Delete"))
        hooks.record(change("Invoice", "131", "Void"))
        hooks.record(change("PaymentMethod", "3", "Create", realm=OTHER_REALM))
        await hooks.flush()
        (entry,) = hooks.deliveries()
    (hit,) = receiver.to("ce")
    assert hit.verified
    events = hit.json()
    assert isinstance(events, list)
    assert [e["type"] for e in events] == [
        "qbo.customer.created.v1",
        "qbo.invoice.updated.v1",
        "qbo.vendor.deleted.v1",
        "qbo.invoice.voided.v1",
        "qbo.paymentmethod.created.v1",
    ]
    assert len({e["id"] for e in events}) == 5
    assert all(uuid.UUID(e["id"]).version == 4 for e in events)
    digest = base64.b64encode(hashlib.sha256(b"client-ce").digest()).decode()
    first = events[0]
    assert first == {
        "specversion": "1.0",
        "id": first["id"],
        "source": f"intuit.{digest}",
        "type": "qbo.customer.created.v1",
        "datacontenttype": "application/json",
        "time": PACIFIC_UTC,
        "intuitentityid": "1",
        "intuitaccountid": REALM,
        "data": {},
    }
    assert [e["intuitaccountid"] for e in events] == [REALM] * 4 + [OTHER_REALM]
    assert (entry["format"], entry["events"], entry["realm_ids"]) == (
        "cloudevents",
        5,
        [REALM, OTHER_REALM],
    )


async def test_merge_carries_deleted_id_in_both_formats(receiver: Receiver) -> None:
    """Classic entities get deletedId; CloudEvents get type merged and data.deletedId."""
    apps = [app(receiver, "classic"), app(receiver, "ce", fmt="cloudevents")]
    async with running(apps) as hooks:
        hooks.record(change("Customer", "12", "Merge", deleted_id="9"))
        await hooks.flush()
    (classic,) = receiver.to("classic")
    (merged,) = classic.json()["eventNotifications"][0]["dataChangeEvent"]["entities"]
    assert merged == {
        "name": "Customer",
        "id": "12",
        "operation": "Merge",
        "lastUpdated": PACIFIC_UTC,
        "deletedId": "9",
    }
    (cloud,) = receiver.to("ce")
    (event,) = cloud.json()
    assert event["type"] == "qbo.customer.merged.v1"
    assert (event["intuitentityid"], event["data"]) == ("12", {"deletedId": "9"})


# --------------------------------------------------------------------------------------------
# Who is notified


async def test_entities_outside_the_list_are_ignored(receiver: Receiver) -> None:
    """InventoryAdjustment, TaxCode and CompanyInfo changes are never announced."""
    assert not WEBHOOK_ENTITIES.intersection(NOT_ANNOUNCED)
    async with running([app(receiver)]) as hooks:
        for entity in NOT_ANNOUNCED:
            hooks.record(change(entity, "1", "Update"))
        assert hooks.pending() == 0
        await hooks.flush()
        hooks.record(change("Term", "2", "Update"))
        await hooks.flush()
        assert hooks.deliveries()[-1]["events"] == 1
    (hit,) = receiver.hits
    assert entities(hit) == [(REALM, "Term", "2", "Update")]


async def test_only_the_realms_subscribers_are_notified(receiver: Receiver) -> None:
    """Each app hears about the companies connected to it and no others."""
    apps = {REALM: [app(receiver, "one")], OTHER_REALM: [app(receiver, "two")]}
    async with running(apps) as hooks:
        hooks.record(change("Customer", "1", "Create"))
        hooks.record(change("Vendor", "2", "Create", realm=OTHER_REALM))
        await hooks.flush()
    assert [entities(hit) for hit in receiver.to("one")] == [[(REALM, "Customer", "1", "Create")]]
    assert [entities(hit) for hit in receiver.to("two")] == [
        [(OTHER_REALM, "Vendor", "2", "Create")]
    ]


async def test_apps_without_url_or_verifier_token(receiver: Receiver) -> None:
    """No URL: nothing to do. No verifier token: skipped and logged, since it cannot be signed."""
    apps = [
        app(receiver, "nourl", url=None),
        app(receiver, "notoken", token=None),
        app(receiver, "good"),
    ]
    async with running(apps) as hooks:
        hooks.record(change())
        assert hooks.pending() == 1
        (skipped,) = hooks.deliveries()
        await hooks.flush()
    assert (skipped["client_id"], skipped["attempt"], skipped["delivered"]) == (
        "client-notoken",
        0,
        False,
    )
    assert skipped["error"] == "no verifier token"
    assert [hit.path for hit in receiver.hits] == ["/good"]


def test_delivery_log_keeps_the_last_thousand(receiver: Receiver) -> None:
    """deliveries() is bounded to the newest 1000 entries."""
    hooks = dispatcher([app(receiver, "notoken", token=None)])
    for n in range(1005):
        hooks.record(change(id=str(n)))
    log = hooks.deliveries()
    assert len(log) == 1000
    assert log[0]["realm_ids"] == [REALM]
    assert receiver.hits == []


# --------------------------------------------------------------------------------------------
# Timing: aggregation, flush, background task


async def test_aggregation_window_is_respected(receiver: Receiver) -> None:
    """Nothing is sent before the window closes; everything recorded in it goes in one POST."""
    async with running([app(receiver)], delay=0.3) as hooks:
        opened = time.monotonic()
        hooks.record(change("Customer", "1", "Create"))
        await asyncio.sleep(0.1)
        hooks.record(change("Customer", "2", "Create"))
        await asyncio.sleep(0.1)
        assert receiver.hits == []
        await until(lambda: len(receiver.hits) == 1, timeout=3)
        await asyncio.sleep(0.1)
    (hit,) = receiver.hits
    assert hit.at - opened >= 0.29
    assert [e[2] for e in entities(hit)] == ["1", "2"]


async def test_flush_delivers_immediately(receiver: Receiver) -> None:
    """flush() ignores a long aggregation window and sends at once."""
    async with running([app(receiver)], delay=3600) as hooks:
        hooks.record(change())
        await asyncio.sleep(0.05)
        assert receiver.hits == []
        await hooks.flush()
        assert len(receiver.hits) == 1
        assert hooks.pending() == 0


def test_records_without_a_loop_wait_for_flush(receiver: Receiver) -> None:
    """With no event loop running, record() only queues; a later flush() delivers."""
    hooks = dispatcher([app(receiver)], delay=0)
    hooks.record(change())
    time.sleep(0.05)
    assert hooks.pending() == 1
    assert receiver.hits == []

    async def deliver() -> None:
        await hooks.flush()
        await hooks.aclose()

    asyncio.run(deliver())
    assert hooks.pending() == 0
    assert [entities(hit) for hit in receiver.hits] == [[(REALM, "Customer", "1", "Create")]]


async def test_record_from_a_worker_thread_wakes_the_loop(receiver: Receiver) -> None:
    """A change recorded off the loop's thread is delivered by the running background task."""
    async with running([app(receiver)], delay=0) as hooks:
        hooks.record(change("Customer", "1", "Create"))
        await until(lambda: len(receiver.hits) == 1)
        await asyncio.to_thread(hooks.record, change("Customer", "2", "Create"))
        await until(lambda: len(receiver.hits) == 2)
    assert entities(receiver.hits[1]) == [(REALM, "Customer", "2", "Create")]


async def test_aclose_stops_the_background_task(receiver: Receiver) -> None:
    """After aclose() no task is left behind, nothing is sent, and record() is ignored."""
    before = {task for task in asyncio.all_tasks() if not task.done()}
    hooks = dispatcher([app(receiver)], delay=0.2)
    hooks.record(change())
    assert len(asyncio.all_tasks()) > len(before)
    await hooks.aclose()
    assert {task for task in asyncio.all_tasks() if not task.done()} == before
    hooks.record(change("Customer", "2", "Create"))
    await asyncio.sleep(0.3)
    assert receiver.hits == []
    assert {task for task in asyncio.all_tasks() if not task.done()} == before


# --------------------------------------------------------------------------------------------
# Failures, retries, blocking


async def test_retries_follow_the_scaled_schedule(receiver: Receiver) -> None:
    """Two 500s then 200: delivered on attempt 3, after 10 ms and 20 ms waits at scale 1000."""
    receiver.script("hook", 500, 500)
    async with running([app(receiver)], delay=0, scale=1000) as hooks:
        hooks.record(change())
        await until(lambda: any(d["delivered"] for d in hooks.deliveries()))
        log = hooks.deliveries()
        assert hooks.pending() == 0
    assert [(d["attempt"], d["status"], d["error"], d["delivered"]) for d in log] == [
        (1, 500, "HTTP 500", False),
        (2, 500, "HTTP 500", False),
        (3, 200, None, True),
    ]
    first, second, third = receiver.hits
    assert first.body == second.body == third.body
    assert 0.009 <= second.at - first.at < 1
    assert 0.019 <= third.at - second.at < 1


async def test_timeout_counts_as_a_failed_attempt(receiver: Receiver) -> None:
    """A receiver that answers after ack_timeout has not acknowledged; the retry succeeds."""
    receiver.script("hook", 0.6)
    async with running([app(receiver)], delay=0, scale=1000, ack_timeout=0.2) as hooks:
        started = time.monotonic()
        hooks.record(change())
        await until(lambda: any(d["delivered"] for d in hooks.deliveries()))
        elapsed = time.monotonic() - started
        log = hooks.deliveries()
    assert [(d["attempt"], d["status"], d["delivered"]) for d in log] == [
        (1, None, False),
        (2, 200, True),
    ]
    assert "0.2 s" in log[0]["error"]
    assert elapsed < 0.55  # the stalled answer was not waited for
    assert len(receiver.hits) == 2


async def test_events_wait_behind_a_failing_batch(receiver: Receiver) -> None:
    """While the head batch is retried, newer events wait and follow in one later POST."""
    receiver.script("hook", 500, 500, 500)
    async with running([app(receiver)], delay=0, scale=200) as hooks:
        hooks.record(change("Customer", "1", "Create"))
        await until(lambda: len(receiver.hits) == 1)
        hooks.record(change("Customer", "2", "Create"))
        hooks.record(change("Vendor", "3", "Create"))
        assert hooks.pending() == 3
        await until(lambda: hooks.pending() == 0)
        log = hooks.deliveries()
    assert [entities(hit) for hit in receiver.hits] == [
        [(REALM, "Customer", "1", "Create")],
        [(REALM, "Customer", "1", "Create")],
        [(REALM, "Customer", "1", "Create")],
        [(REALM, "Customer", "1", "Create")],
        [(REALM, "Customer", "2", "Create"), (REALM, "Vendor", "3", "Create")],
    ]
    assert [(d["attempt"], d["events"], d["delivered"]) for d in log] == [
        (1, 1, False),
        (2, 1, False),
        (3, 1, False),
        (4, 1, True),
        (1, 2, True),
    ]


async def test_flush_keeps_blocking_behind_a_failing_head(receiver: Receiver) -> None:
    """flush() makes one attempt per batch but never overtakes an unacknowledged head."""
    receiver.script("hook", 500, 500)
    async with running([app(receiver)]) as hooks:
        hooks.record(change("Customer", "1", "Create"))
        await hooks.flush()
        hooks.record(change("Customer", "2", "Create"))
        await hooks.flush()
        assert hooks.pending() == 2
        await hooks.flush()
        assert hooks.pending() == 0
    assert [entities(hit)[0][2] for hit in receiver.hits] == ["1", "1", "1", "2"]


async def test_gives_up_after_max_attempts(receiver: Receiver) -> None:
    """After max_attempts failures the batch is dropped and the app is unblocked."""
    receiver.script("hook", 500, 500, 500)
    async with running([app(receiver)], delay=0, scale=1000, max_attempts=3) as hooks:
        hooks.record(change("Customer", "1", "Create"))
        await until(lambda: len(hooks.deliveries()) == 3)
        last = hooks.deliveries()[-1]
        assert hooks.pending() == 0
        hooks.record(change("Customer", "2", "Create"))
        await until(lambda: len(receiver.hits) == 4)
        await until(lambda: len(hooks.deliveries()) == 4)
        assert hooks.deliveries()[-1]["delivered"]
    assert (last["attempt"], last["status"], last["delivered"]) == (3, 500, False)
    assert last["error"] == "gave up after 3 attempts"
    assert entities(receiver.hits[-1]) == [(REALM, "Customer", "2", "Create")]


async def test_unreachable_app_does_not_hold_up_others(receiver: Receiver) -> None:
    """A connection error is a failed attempt for that app only; other apps are served."""
    dead = app(receiver, "dead", url=f"http://127.0.0.1:{free_port()}/hook")
    async with running([dead, app(receiver, "live")], delay=0, scale=1000) as hooks:
        hooks.record(change())
        await until(lambda: len(receiver.to("live")) == 1)
        await until(lambda: any(d["client_id"] == "client-dead" for d in hooks.deliveries()))
        failure = next(d for d in hooks.deliveries() if d["client_id"] == "client-dead")
        assert hooks.pending() == 1
    assert (failure["status"], failure["delivered"]) == (None, False)
    assert failure["error"].startswith("ConnectError")
