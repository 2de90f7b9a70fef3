"""``POST /webhooks/intuit``: signature before anything else, size limits, store once,
hand on, answer at once."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from ledgerbridge.qbo import sign_notification
from ledgerbridge.store import Database, InboundStore, ReceivedNotification
from ledgerbridge.web import WEBHOOK_PATH, create_app, webhook_router
from support import http_scope

pytestmark = pytest.mark.anyio

# QBO-REFERENCE.md 9.4: computed from the .NET SDK's test fixtures
VECTOR_TOKEN = "00faeec4-08d0-4996-bb37-698ae19f0149"
VECTOR_BODY = (
    b'{"eventNotifications":[{"realmId":"1269959970","dataChangeEvent":{"entities":[{"name":'
    b'"Vendor","id":"40","operation":"Update","lastUpdated":"2016-10-05T03:09:04.000Z"},'
    b'{"name":"Customer","id":"43","operation":"Create","lastUpdated":"2016-10-05T03:07:04.000Z"}'
    b"]}}]}"
)
VECTOR_SIGNATURE = "6q+xGyMirJupwKTh2/WBl2NcdxzxqdIbk3sneKTxLWM="


class Endpoint:
    """The web app over a fresh store, with the ids it handed on."""

    def __init__(self, database: Database, *, max_body: int = 4096) -> None:
        self.store = InboundStore(database)
        self.queued: list[int] = []
        self.fail_queue = False
        self.app = create_app(
            notifications=self.store,
            on_notification=self._queue,
            webhook_verifier=VECTOR_TOKEN,
            max_webhook_body=max_body,
        )

    def _queue(self, notification_id: int) -> None:
        if self.fail_queue:
            raise RuntimeError("the queue is down")
        self.queued.append(notification_id)

    async def post(self, body: bytes, signature: str | None = None) -> httpx.Response:
        headers = {"intuit-signature": signature} if signature is not None else {}
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://lb.test") as client:
            return await client.post(WEBHOOK_PATH, content=body, headers=headers)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'web.db'}")
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def endpoint(database: Database) -> Endpoint:
    return Endpoint(database)


async def test_intuits_own_signature_is_accepted_and_stored(endpoint: Endpoint) -> None:
    """Intuit's recorded example verifies; the raw bytes are stored and handed on."""
    response = await endpoint.post(VECTOR_BODY, VECTOR_SIGNATURE)
    assert response.status_code == 200
    (notification_id,) = endpoint.queued
    stored = endpoint.store.notification(notification_id)
    assert stored is not None and stored.body == VECTOR_BODY and stored.status == "received"


@pytest.mark.parametrize(
    "signature",
    [None, "", "not base64 at all!", sign_notification(VECTOR_BODY, "another-token")],
)
async def test_a_missing_or_wrong_signature_is_refused(
    endpoint: Endpoint, signature: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    """401, nothing stored, nothing handed on, and a log line without the signature."""
    with caplog.at_level(logging.WARNING, logger="ledgerbridge.web"):
        response = await endpoint.post(VECTOR_BODY, signature)
    assert response.status_code == 401
    assert endpoint.queued == [] and endpoint.store.pending() == []
    assert "intuit-signature does not match" in caplog.text
    if signature:
        assert signature not in caplog.text


async def test_the_signature_is_checked_before_the_body_is_parsed(endpoint: Endpoint) -> None:
    """Garbage with a wrong signature is a 401, not a parse error; signed garbage is stored
    as received (processing reports it)."""
    garbage = b"{not json"
    assert (await endpoint.post(garbage, "AAAA")).status_code == 401
    assert (
        await endpoint.post(garbage, sign_notification(garbage, VECTOR_TOKEN))
    ).status_code == 200


async def test_a_declared_oversized_body_is_refused_unread(database: Database) -> None:
    """A Content-Length over the limit is refused with 413 before one byte is read."""
    endpoint = Endpoint(database, max_body=1024)
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        raise AssertionError("the endpoint read the body of an oversized notification")

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    headers = [(b"content-length", b"10485760"), (b"intuit-signature", b"AAAA")]
    scope = http_scope("POST", WEBHOOK_PATH, headers=headers)
    await endpoint.app(scope, receive, send)
    assert messages[0]["status"] == 413
    assert endpoint.store.pending() == []


async def test_a_streamed_oversized_body_is_cut_off(database: Database) -> None:
    """Without a Content-Length, reading stops as soon as the limit is passed."""
    endpoint = Endpoint(database, max_body=4096)
    pulled: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        for number in range(100):
            pulled.append(number)
            yield b"x" * 1024

    transport = httpx.ASGITransport(app=endpoint.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://lb.test") as client:
        response = await client.post(WEBHOOK_PATH, content=chunks())
    assert response.status_code == 413
    assert len(pulled) <= 6 and endpoint.store.pending() == []


async def test_a_replay_is_stored_once(endpoint: Endpoint) -> None:
    """The same bytes twice: one notification; once processed, a replay is not handed on."""
    await endpoint.post(VECTOR_BODY, VECTOR_SIGNATURE)
    await endpoint.post(VECTOR_BODY, VECTOR_SIGNATURE)
    assert len(set(endpoint.queued)) == 1 and len(endpoint.store.pending()) == 1
    endpoint.store.finish(endpoint.queued[0])
    replay = await endpoint.post(VECTOR_BODY, VECTOR_SIGNATURE)
    assert replay.status_code == 200 and json.loads(replay.content)["status"] == "duplicate"
    assert len(endpoint.queued) == 2


async def test_the_answer_comes_at_once_even_if_the_queue_is_down(endpoint: Endpoint) -> None:
    """Storing is the acknowledgement: a failing queue still gets Intuit its 200 (well
    within Intuit's 3 seconds), and the notification waits for the sweeper."""
    endpoint.fail_queue = True
    started = time.perf_counter()
    response = await endpoint.post(VECTOR_BODY, VECTOR_SIGNATURE)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200 and elapsed < 1.0
    assert len(endpoint.store.pending()) == 1


async def test_without_a_verifier_token_there_is_no_endpoint(database: Database) -> None:
    """Nothing could verify a notification: the route is not served at all."""
    app: FastAPI = create_app(
        notifications=InboundStore(database), on_notification=print, webhook_verifier=None
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://lb.test") as client:
        response = await client.post(WEBHOOK_PATH, content=VECTOR_BODY)
    assert response.status_code == 404


async def test_only_post_is_served(endpoint: Endpoint) -> None:
    transport = httpx.ASGITransport(app=endpoint.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://lb.test") as client:
        assert (await client.get(WEBHOOK_PATH)).status_code == 405


class SlowStore(InboundStore):
    """A store whose first write waits, as SQLite's writer does while another holds the
    lock."""

    slow = True

    def receive(self, body: bytes) -> ReceivedNotification:
        if self.slow:
            self.slow = False
            time.sleep(0.5)
        return super().receive(body)


async def test_a_busy_database_gets_intuit_to_retry_instead_of_waiting(
    database: Database,
) -> None:
    """Storing is bounded: past the timeout the answer is 503 (Intuit retries), at once; the
    retry finds the notification stored if the late write landed, and queues it."""
    app = FastAPI()
    queued: list[int] = []
    store = SlowStore(database)
    app.include_router(
        webhook_router(
            verifier_token=VECTOR_TOKEN,
            notifications=store,
            on_notification=queued.append,
            store_timeout=0.1,
        )
    )
    transport = httpx.ASGITransport(app=app)
    headers = {"intuit-signature": VECTOR_SIGNATURE}
    async with httpx.AsyncClient(transport=transport, base_url="http://lb.test") as client:
        started = time.perf_counter()
        busy = await client.post(WEBHOOK_PATH, content=VECTOR_BODY, headers=headers)
        assert busy.status_code == 503 and time.perf_counter() - started < 0.4
        await asyncio.sleep(0.6)  # the late write lands
        retry = await client.post(WEBHOOK_PATH, content=VECTOR_BODY, headers=headers)
    assert retry.status_code == 200 and len(queued) == 1
    assert len(store.pending()) == 1
