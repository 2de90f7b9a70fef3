"""Webhook delivery: Intuit's change notifications, POSTed to each connected app.

Follows ``shared/QBO-REFERENCE.md`` section 9: 9.1 delivery basics (only connected companies,
aggregation window, HTTP 2xx within 3 seconds as the acknowledgement, the retry schedule 10 s,
20 s, 30 s, 5 min, 20 min, 2 h, 4 h, 6 h then every 6 h, and blocking: "you may not receive
subsequent events until you correctly acknowledge the first"), 9.2 the classic
``eventNotifications`` payload, 9.3 the CloudEvents payload and 9.4 the ``intuit-signature``
header (Base64 of HMAC-SHA256 over the raw body, keyed with the app's verifier token).

:class:`WebhookDispatcher` is fed :class:`~ledgerbridge.emulator._ledger.Change` records by the
write path and delivers them from one background asyncio task per dispatcher. Every duration is
divided by the emulator's time scale so retries that take hours at Intuit take moments here.

Emulator assumptions where Intuit's behaviour is not verified:

* CloudEvents ``type`` verbs: only ``created`` appears in Intuit's sources
  (``qbo.account.created.v1``); ``updated``, ``deleted``, ``voided`` and ``merged`` are the
  natural counterparts (UNVERIFIED). A Merge carries ``{"deletedId": ...}`` in ``data``
  (UNVERIFIED; classic payloads put ``deletedId`` on the entity, as documented).
* CloudEvents ``source`` is ``intuit.`` + Base64(SHA-256(client_id)); Intuit's sample has that
  shape (a 44-character Base64 digest) but what it hashes is not documented (UNVERIFIED).
* CloudEvents ``time`` and classic ``lastUpdated`` are the change's own ``last_updated`` in UTC
  with milliseconds and ``Z`` (the 2025 Intuit samples), not the moment of sending, because the
  best-practice guide makes that timestamp the source of truth for ordering.
* One POST carries every event of the app's window, from any number of companies (classic: one
  ``eventNotifications`` entry per realm). Intuit says classic notifications "currently" carry
  one realm each; the format allows many, so the emulator exercises the general case.
* Duplicate events within a window (same realm, entity, id and operation) collapse into one with
  the latest ``lastUpdated``.
* A retried batch is re-sent byte for byte (same CloudEvents ids), so receivers can de-duplicate.
* The acknowledgement timeout (3 s) is real time and is not divided by the time scale: it models
  the receiver's HTTP behaviour, not QBO's schedule.
* An app whose webhook URL or verifier token disappears while a batch waits loses that batch.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import httpx

from ledgerbridge.emulator._ledger import Change
from ledgerbridge.emulator._oauth import App

__all__ = [
    "RETRY_SCHEDULE",
    "WEBHOOK_ENTITIES",
    "WebhookDispatcher",
    "classic_payload",
    "cloudevents_payload",
    "retry_delay",
    "webhook_signature",
]

#: Entities announced: Intuit's supported list (section 9.1) intersected with what the emulator
#: serves. InventoryAdjustment, TaxCode and CompanyInfo changes are not webhook events.
WEBHOOK_ENTITIES: Final = frozenset(
    {
        "Account",
        "Bill",
        "Class",
        "CreditMemo",
        "Customer",
        "Department",
        "Employee",
        "Estimate",
        "Invoice",
        "Item",
        "Payment",
        "PaymentMethod",
        "Preferences",
        "PurchaseOrder",
        "RefundReceipt",
        "SalesReceipt",
        "Term",
        "Vendor",
    }
)

#: Seconds to wait after the 1st, 2nd, ... failed attempt; the last value repeats (section 9.1).
RETRY_SCHEDULE: Final = (10.0, 20.0, 30.0, 300.0, 1_200.0, 7_200.0, 14_400.0, 21_600.0)

# CloudEvents verbs by Intuit operation name; only "created" is confirmed (module docstring).
_VERBS: Final = {
    "Create": "created",
    "Update": "updated",
    "Delete": "deleted",
    "Void": "voided",
    "Merge": "merged",
}

_LOG_SIZE: Final = 1000
_NO_TOKEN: Final = "no verifier token"
_NO_URL: Final = "no webhook url"

# (realm_id, entity, id, operation): what makes two events in one window the same event
_EventKey = tuple[str, str, str, str]


# --------------------------------------------------------------------------------------------
# Payloads and signature


def webhook_signature(body: bytes, verifier_token: str) -> str:
    """The ``intuit-signature`` header: Base64(HMAC-SHA256(verifier token, raw body))."""
    digest = hmac.new(verifier_token.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def retry_delay(failures: int) -> float:
    """Intuit's wait in (unscaled) seconds after the given number of failed attempts."""
    return RETRY_SCHEDULE[min(max(failures, 1), len(RETRY_SCHEDULE)) - 1]


def classic_payload(changes: Iterable[Change]) -> dict[str, Any]:
    """``{"eventNotifications": [...]}`` with one entry per realm, in order of first change."""
    by_realm: dict[str, list[dict[str, str]]] = {}
    for change in changes:
        entity = {
            "name": change.entity,
            "id": change.id,
            "operation": change.operation,
            "lastUpdated": _utc_text(change.last_updated),
        }
        if change.operation == "Merge" and change.deleted_id is not None:
            entity["deletedId"] = change.deleted_id
        by_realm.setdefault(change.realm_id, []).append(entity)
    return {
        "eventNotifications": [
            {"realmId": realm_id, "dataChangeEvent": {"entities": entities}}
            for realm_id, entities in by_realm.items()
        ]
    }


def cloudevents_payload(client_id: str, changes: Iterable[Change]) -> list[dict[str, Any]]:
    """The CloudEvents array: one event per change, each with a fresh UUID4 ``id``."""
    digest = hashlib.sha256(client_id.encode("utf-8")).digest()
    source = "intuit." + base64.b64encode(digest).decode("ascii")
    events: list[dict[str, Any]] = []
    for change in changes:
        verb = _VERBS.get(change.operation, change.operation.lower())
        data: dict[str, str] = {}
        if change.operation == "Merge" and change.deleted_id is not None:
            data["deletedId"] = change.deleted_id
        events.append(
            {
                "specversion": "1.0",
                "id": str(uuid.uuid4()),
                "source": source,
                "type": f"qbo.{change.entity.lower()}.{verb}.v1",
                "datacontenttype": "application/json",
                "time": _utc_text(change.last_updated),
                "intuitentityid": change.id,
                "intuitaccountid": change.realm_id,
                "data": data,
            }
        )
    return events


def _instant(text: str) -> datetime | None:
    """The moment a QBO timestamp names; naive text is taken as UTC, garbage as unknown."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _utc_text(text: str) -> str:
    """``2026-11-21T18:02:03-08:00`` -> ``2026-11-22T02:02:03.000Z`` (unparsable text as is)."""
    moment = _instant(text)
    if moment is None:
        return text
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _encode(payload: object) -> bytes:
    # Compact separators, as Intuit sends; the signature covers exactly these bytes.
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


# --------------------------------------------------------------------------------------------
# Dispatcher state


@dataclass
class _Batch:
    """One POST: its body is fixed when sealed so retries resend identical bytes."""

    body: bytes
    fmt: str
    events: int
    realm_ids: list[str]
    attempts: int = 0
    #: event-loop time of the next attempt
    due: float = 0.0


@dataclass
class _Outbox:
    """Per app: the batch at the head of the line and the events collecting behind it."""

    app: App
    waiting: dict[_EventKey, Change] = field(default_factory=dict)
    #: when the open aggregation window closes (loop time); None while nothing waits
    window_due: float | None = None
    head: _Batch | None = None

    def next_due(self) -> float | None:
        # Blocking: while a head batch exists, the waiting events are not due on their own.
        if self.head is not None:
            return self.head.due
        if self.waiting:
            return self.window_due
        return None


class _LoopState:
    """Everything tied to one event loop: asyncio primitives and the HTTP client's pool."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.wake = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.client: httpx.AsyncClient | None = None
        self.locks: dict[str, asyncio.Lock] = {}
        #: apps with a worker scheduled or running, so the scheduler never starts two
        self.busy: set[str] = set()
        self.workers: set[asyncio.Task[None]] = set()

    def lock(self, client_id: str) -> asyncio.Lock:
        """The app's delivery lock: the worker and flush() never send for one app at once."""
        lock = self.locks.get(client_id)
        if lock is None:
            lock = self.locks[client_id] = asyncio.Lock()
        return lock


# --------------------------------------------------------------------------------------------
# Dispatcher


class WebhookDispatcher:
    """Aggregates changes per app, signs them and POSTs them with Intuit's retry schedule.

    ``subscribers`` maps a realm to the apps to notify; ``delay`` (the aggregation window, in
    already-scaled seconds) and ``time_scale`` (which divides the retry schedule) are called on
    each use because the emulator's configuration can change at run time. ``transport`` lets
    tests route the HTTP calls; ``wall_clock`` only stamps the ``time`` of log entries.
    Scheduling uses the event loop's monotonic clock.
    """

    def __init__(
        self,
        *,
        subscribers: Callable[[str], Sequence[App]],
        delay: Callable[[], float],
        time_scale: Callable[[], float],
        transport: httpx.AsyncBaseTransport | None = None,
        ack_timeout: float = 3.0,
        max_attempts: int = 12,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if ack_timeout <= 0:
            raise ValueError("ack_timeout must be positive")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._subscribers = subscribers
        self._delay = delay
        self._time_scale = time_scale
        self._transport = transport
        self._ack_timeout = ack_timeout
        self._max_attempts = max_attempts
        self._wall_clock = wall_clock
        # record() may run on a worker thread (sync handlers) while the loop delivers.
        self._lock = threading.Lock()
        self._outboxes: dict[str, _Outbox] = {}
        self._log: deque[dict[str, Any]] = deque(maxlen=_LOG_SIZE)
        self._state: _LoopState | None = None
        self._closed = False

    # -- public API ---------------------------------------------------------------------------

    def record(self, change: Change) -> None:
        """Queue a change for every subscribed app; never blocks and never sends by itself."""
        if self._closed or change.entity not in WEBHOOK_ENTITIES:
            return
        apps = {app.client_id: app for app in self._subscribers(change.realm_id)}
        apps = {key: app for key, app in apps.items() if app.webhook_url}
        if not apps:
            return
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        # The default loop's time() is time.monotonic(), so windows opened without a loop
        # compare correctly once a loop starts delivering.
        now = loop.time() if loop is not None else time.monotonic()
        key = (change.realm_id, change.entity, change.id, change.operation)
        with self._lock:
            for app in apps.values():
                if not app.verifier_token:
                    # Unsigned deliveries would be rejected by any correct receiver.
                    self._log_entry(
                        app,
                        app.webhook_format,
                        0,
                        None,
                        _NO_TOKEN,
                        1,
                        [change.realm_id],
                        delivered=False,
                    )
                    continue
                box = self._outboxes.get(app.client_id)
                if box is None:
                    box = self._outboxes[app.client_id] = _Outbox(app)
                box.app = app  # the portal settings may have changed since the last event
                if not box.waiting:
                    box.window_due = now + max(0.0, self._delay())
                previous = box.waiting.get(key)
                if previous is None or _newer_or_same(change, previous):
                    box.waiting[key] = change
        if loop is not None:
            self._poke(loop)
        else:
            self._poke_from_thread()

    async def flush(self) -> None:
        """Deliver everything pending now: one attempt per pending batch, in order, per app.

        The aggregation window and retry waits are ignored. A head batch that fails again keeps
        blocking its app (Intuit's rule), so the events behind it stay pending.
        """
        if self._closed:
            return
        state = self._bind(asyncio.get_running_loop())
        with self._lock:
            rounds = {
                client_id: (box.head is not None) + bool(box.waiting)
                for client_id, box in self._outboxes.items()
            }
        await asyncio.gather(
            *(self._flush_app(state, client_id, n) for client_id, n in rounds.items() if n)
        )
        self._ensure_task(state)  # failed heads still need their scheduled retries

    def deliveries(self) -> list[dict[str, Any]]:
        """The attempt log, newest last (the last 1000 entries)."""
        with self._lock:
            return [dict(entry, realm_ids=list(entry["realm_ids"])) for entry in self._log]

    def pending(self) -> int:
        """Events not yet acknowledged: in a batch being delivered or waiting behind one."""
        with self._lock:
            return sum(
                len(box.waiting) + (box.head.events if box.head is not None else 0)
                for box in self._outboxes.values()
            )

    async def aclose(self) -> None:
        """Stop the background task and any attempt in flight; close the HTTP client."""
        self._closed = True
        state, self._state = self._state, None
        if state is None:
            return
        tasks = [task for task in (state.task, *state.workers) if task is not None]
        try:
            current = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        if state.loop is not current:
            # Another loop owns the tasks: ask it to cancel them; its client dies with it.
            if not state.loop.is_closed():
                for task in tasks:
                    state.loop.call_soon_threadsafe(task.cancel)
            return
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if state.client is not None:
            await state.client.aclose()

    # -- scheduling ---------------------------------------------------------------------------

    def _bind(self, loop: asyncio.AbstractEventLoop) -> _LoopState:
        """The loop-bound state for this loop, replacing one left over from a finished loop."""
        state = self._state
        if state is None or state.loop is not loop:
            # asyncio primitives and pooled connections cannot cross loops; anything still
            # owned by the old loop died with it (asyncio.run cancels leftover tasks).
            state = self._state = _LoopState(loop)
        return state

    def _ensure_task(self, state: _LoopState) -> None:
        if not self._closed and (state.task is None or state.task.done()):
            state.task = state.loop.create_task(self._schedule(state), name="qbo-webhooks")

    def _poke(self, loop: asyncio.AbstractEventLoop) -> None:
        """On the loop's thread: make sure the scheduler runs and re-reads the due times."""
        if self._closed:
            return
        state = self._bind(loop)
        self._ensure_task(state)
        state.wake.set()

    def _poke_from_thread(self) -> None:
        """Called with no loop on this thread: wake a loop delivering on another thread, if any."""
        state = self._state
        if state is None or not state.loop.is_running():
            return  # nothing delivers right now: flush() or the next record() in a loop will
        # RuntimeError: the loop closed between the check and the call.
        with contextlib.suppress(RuntimeError):
            state.loop.call_soon_threadsafe(self._poke, state.loop)

    async def _schedule(self, state: _LoopState) -> None:
        """The background task: start a worker for every app with a batch due, then sleep."""
        loop = state.loop
        while not self._closed:
            # Clear before scanning so a record() during the scan still wakes the next wait.
            state.wake.clear()
            now = loop.time()
            ready: list[str] = []
            next_due: float | None = None
            with self._lock:
                for client_id, box in self._outboxes.items():
                    due = box.next_due()
                    if due is None or client_id in state.busy:
                        continue
                    if due <= now:
                        ready.append(client_id)
                    elif next_due is None or due < next_due:
                        next_due = due
            for client_id in ready:
                state.busy.add(client_id)
                worker = loop.create_task(self._serve(state, client_id))
                state.workers.add(worker)
                worker.add_done_callback(state.workers.discard)
            try:
                timeout = None if next_due is None else max(0.0, next_due - now)
                async with asyncio.timeout(timeout):
                    await state.wake.wait()
            except TimeoutError:
                pass

    async def _serve(self, state: _LoopState, client_id: str) -> None:
        """One app's worker: send its due batches strictly one after another."""
        try:
            async with state.lock(client_id):
                while not self._closed:
                    batch = self._take(client_id, state.loop.time(), force=False)
                    if batch is None:
                        break
                    await self._attempt(state, client_id, batch)
        except Exception as exc:
            # A bug here must neither kill the dispatcher nor make the scheduler spin.
            self._internal_error(state, client_id, exc)
        finally:
            state.busy.discard(client_id)
            state.wake.set()

    async def _flush_app(self, state: _LoopState, client_id: str, rounds: int) -> None:
        try:
            async with state.lock(client_id):
                for _ in range(rounds):
                    batch = self._take(client_id, state.loop.time(), force=True)
                    if batch is None or not await self._attempt(state, client_id, batch):
                        break
        except Exception as exc:
            self._internal_error(state, client_id, exc)

    def _take(self, client_id: str, now: float, *, force: bool) -> _Batch | None:
        """The app's head batch if it is due, sealing the waiting events into one if needed."""
        with self._lock:
            box = self._outboxes.get(client_id)
            if box is None:
                return None
            if box.head is None and box.waiting:
                if not force and (box.window_due is None or box.window_due > now):
                    return None
                box.head = self._seal(box, now)
            head = box.head
            if head is None or (not force and head.due > now):
                return None
            return head

    @staticmethod
    def _seal(box: _Outbox, now: float) -> _Batch:
        changes = list(box.waiting.values())
        box.waiting.clear()
        box.window_due = None
        fmt = box.app.webhook_format
        payload: object
        if fmt == "cloudevents":
            payload = cloudevents_payload(box.app.client_id, changes)
        else:
            payload = classic_payload(changes)
        realm_ids = list(dict.fromkeys(change.realm_id for change in changes))
        return _Batch(_encode(payload), fmt, len(changes), realm_ids, due=now)

    # -- delivery -----------------------------------------------------------------------------

    async def _attempt(self, state: _LoopState, client_id: str, batch: _Batch) -> bool:
        """POST the batch once; record the outcome; True if the app acknowledged it."""
        with self._lock:
            app = self._outboxes[client_id].app
        batch.attempts += 1
        status: int | None = None
        error: str | None = None
        url, token = app.webhook_url, app.verifier_token
        if not url or not token:
            # The app was reconfigured while the batch waited: Intuit would no longer send it.
            self._finish(client_id, app, batch, None, _NO_URL if not url else _NO_TOKEN, drop=True)
            return False
        headers = {
            "Content-Type": "application/json",
            "intuit-signature": webhook_signature(batch.body, token),
        }
        try:
            # asyncio.timeout bounds the whole exchange; httpx's own timeouts are per phase.
            async with asyncio.timeout(self._ack_timeout):
                response = await self._client(state).post(url, content=batch.body, headers=headers)
            status = response.status_code
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except (TimeoutError, httpx.TimeoutException):
            error = f"no acknowledgement within {self._ack_timeout:g} s"
        except Exception as exc:  # connection refused, bad URL, TLS...: all failed attempts
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        self._finish(client_id, app, batch, status, error, drop=None)
        return error is None

    def _finish(
        self,
        client_id: str,
        app: App,
        batch: _Batch,
        status: int | None,
        error: str | None,
        *,
        drop: bool | None,
    ) -> None:
        """Apply an attempt's outcome: dequeue, schedule the retry, or give up; log it.

        ``drop`` None lets the retry schedule decide what a failure means.
        """
        with self._lock:
            box = self._outboxes.get(client_id)
            delivered = error is None
            if error is not None and drop is None:
                if batch.attempts >= self._max_attempts:
                    error = f"gave up after {batch.attempts} attempts"
                    drop = True
                else:
                    drop = False
                    batch.due = self._loop_time() + self._scaled(retry_delay(batch.attempts))
            if (delivered or drop) and box is not None and box.head is batch:
                box.head = None
            self._log_entry(
                app,
                batch.fmt,
                batch.attempts,
                status,
                error,
                batch.events,
                batch.realm_ids,
                delivered=delivered,
            )

    def _internal_error(self, state: _LoopState, client_id: str, exc: Exception) -> None:
        """Log an unexpected error and push the app's head back so it is retried, not spun on."""
        with self._lock:
            box = self._outboxes.get(client_id)
            if box is None:
                return
            head = box.head
            if head is not None:
                head.due = state.loop.time() + self._scaled(retry_delay(head.attempts))
            self._log_entry(
                box.app,
                box.app.webhook_format,
                head.attempts if head is not None else 0,
                None,
                f"internal error: {type(exc).__name__}",
                head.events if head is not None else len(box.waiting),
                head.realm_ids if head is not None else [],
                delivered=False,
            )

    def _client(self, state: _LoopState) -> httpx.AsyncClient:
        if state.client is None:
            state.client = httpx.AsyncClient(
                transport=self._transport,
                # A little above the acknowledgement deadline, which asyncio.timeout enforces.
                timeout=httpx.Timeout(self._ack_timeout + 1.0),
                follow_redirects=False,  # Intuit needs a 2xx from the configured URL itself
                # Deliveries go to developers' own endpoints, often loopback: an environment
                # proxy would only get in the way.
                trust_env=False,
            )
        return state.client

    def _scaled(self, seconds: float) -> float:
        scale = self._time_scale()
        return seconds / scale if scale > 0 else seconds

    def _loop_time(self) -> float:
        try:
            return asyncio.get_running_loop().time()
        except RuntimeError:
            return time.monotonic()

    def _log_entry(
        self,
        app: App,
        fmt: str,
        attempt: int,
        status: int | None,
        error: str | None,
        events: int,
        realm_ids: list[str],
        *,
        delivered: bool,
    ) -> None:
        # Called with self._lock held. Never logs the verifier token or the body.
        moment = datetime.fromtimestamp(self._wall_clock(), UTC)
        self._log.append(
            {
                "client_id": app.client_id,
                "url": app.webhook_url,
                "format": fmt,
                "attempt": attempt,
                "status": status,
                "error": error,
                "events": events,
                "realm_ids": list(realm_ids),
                "time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "delivered": delivered,
            }
        )


def _newer_or_same(change: Change, previous: Change) -> bool:
    """Whether a duplicate event should replace the one already waiting (latest time wins)."""
    new, old = _instant(change.last_updated), _instant(previous.last_updated)
    if new is None or old is None:
        return True  # unparsable: the later record wins
    return new >= old
