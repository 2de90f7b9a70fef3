"""The events feed, from the engine's side: sync results in, deliveries to the host app out.

:func:`publish_results` puts what a push did on the tenant's feed, one event per record that
changed anything: ``record.synced`` (created, updated, linked, deleted or voided in QBO),
``record.failed`` (with the sentence, QBO's code and ``intuit_tid``), ``record.skipped``,
``record.waiting``. An unchanged record is not news and publishes nothing.

:func:`deliver_events` pushes the feed to the tenant's endpoint (``EventStore.set_endpoint``):

* in order: events are sent in batches, oldest first, by one deliverer at a time (a lease in
  the store), and the next batch leaves only after the host app acknowledged the previous
  one with a 2xx;
* never lost: the delivery cursor moves only on that acknowledgement. A failure (no answer,
  a non-2xx) keeps the cursor, counts the attempt and waits before the next one, doubling
  from ``base`` up to ``cap`` (:class:`DeliveryBackoff`); calls before then return at once;
* at least once: a batch acknowledged but whose acknowledgement was not recorded (a crash in
  between) is sent again. Each event carries its ``id`` (the feed cursor): the host app
  skips ids it has seen.

Each POST is signed (:data:`SIGNATURE_HEADER`): ``t=<unix time>,v1=<hex HMAC-SHA256>`` over
``"<t>." + body`` with the endpoint's secret; :func:`verify_delivery` is the host app's check
(reject an old ``t`` to stop replays).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Literal

import httpx

from ledgerbridge.mapping import QBO_ENTITY
from ledgerbridge.store import (
    DeliveryLease,
    EventRecord,
    EventStore,
    NewEvent,
)

from ._push import PushReport, PushResult

__all__ = [
    "SIGNATURE_HEADER",
    "DeliveryBackoff",
    "DeliveryReport",
    "deliver_events",
    "publish_results",
    "sign_delivery",
    "verify_delivery",
]

_log = logging.getLogger("ledgerbridge.events")

#: The header that signs each delivery to the host app.
SIGNATURE_HEADER: Final = "ledgerbridge-signature"
#: push outcome -> event kind (unchanged: none)
_KINDS: Final[Mapping[str, str]] = {
    "created": "record.synced",
    "updated": "record.synced",
    "linked": "record.synced",
    "deleted": "record.synced",
    "voided": "record.synced",
    "failed": "record.failed",
    "skipped": "record.skipped",
    "waiting": "record.waiting",
}


@dataclass(frozen=True)
class DeliveryBackoff:
    """Waits between failed deliveries: ``base`` doubled per failure, at most ``cap``."""

    base: timedelta = timedelta(seconds=10)
    cap: timedelta = timedelta(hours=1)

    def delay(self, failures: int) -> timedelta:
        """The wait after the ``failures``-th failure in a row (1 is the first)."""
        return min(self.cap, self.base * (1 << min(max(failures - 1, 0), 30)))


@dataclass(frozen=True)
class DeliveryReport:
    """What one :func:`deliver_events` call did."""

    tenant_id: str
    #: delivered: caught up; failed: an attempt failed (retried later); idle: nothing to do
    #: now (no endpoint, another deliverer, not due yet); interrupted: the lease ran out
    status: Literal["delivered", "failed", "idle", "interrupted"]
    events: int = 0
    #: the last event the host app has acknowledged
    cursor: int | None = None
    error: str | None = None


def publish_results(
    events: EventStore,
    tenant_id: str,
    report: PushReport,
    *,
    run_id: str | None = None,
    trigger: str | None = None,
) -> int:
    """Publish what a push did (module docstring); returns how many events were added."""
    new = [
        _result_event(result, run_id=run_id, trigger=trigger)
        for result in report.results
        if result.outcome in _KINDS
    ]
    events.append(tenant_id=tenant_id, events=new)
    return len(new)


def _result_event(result: PushResult, *, run_id: str | None, trigger: str | None) -> NewEvent:
    data: dict[str, str | None] = {"outcome": result.outcome}
    optional = {
        "message": result.message,
        "warning": result.warning,
        "error_code": result.error_code,
        "intuit_tid": result.intuit_tid,
        "run_id": run_id,
        "trigger": trigger,
    }
    data.update({key: value for key, value in optional.items() if value is not None})
    return NewEvent(
        _KINDS[result.outcome],
        result.record_type,
        result.app_id,
        QBO_ENTITY.get(result.record_type),
        result.qbo_id,
        dict(data),
    )


async def deliver_events(
    tenant_id: str,
    *,
    events: EventStore,
    http: httpx.AsyncClient,
    batch_size: int = 100,
    lease: timedelta = timedelta(minutes=2),
    backoff: DeliveryBackoff = DeliveryBackoff(),
    timeout: float = 10.0,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> DeliveryReport:
    """Send the tenant's events not yet acknowledged to its endpoint (module docstring)."""
    held = events.claim_delivery(tenant_id=tenant_id, lease=lease)
    if held is None:
        return DeliveryReport(tenant_id, "idle")
    cursor, sent = held.delivered_seq, 0
    try:
        while True:
            batch = events.read(tenant_id=tenant_id, after=cursor, limit=batch_size)
            if not batch:
                return DeliveryReport(tenant_id, "delivered", sent, cursor)
            if clock() >= held.until - timedelta(seconds=timeout):
                return DeliveryReport(tenant_id, "interrupted", sent, cursor)
            error, status = await _post(http, held, batch, clock=clock, timeout=timeout)
            if error is not None:
                retry_at = clock() + backoff.delay(held.attempts + 1)
                events.delivery_failed(held, status=status, error=error, retry_at=retry_at)
                _log.warning(
                    "events of tenant %s not delivered (attempt %d, next at %s): %s",
                    tenant_id,
                    held.attempts + 1,
                    retry_at.isoformat(),
                    error,
                )
                return DeliveryReport(tenant_id, "failed", sent, cursor, error)
            assert status is not None
            if not events.delivered(held, through=batch[-1].seq, status=status):
                return DeliveryReport(tenant_id, "interrupted", sent, cursor)
            cursor, sent = batch[-1].seq, sent + len(batch)
    finally:
        events.release(held)


async def _post(
    http: httpx.AsyncClient,
    lease: DeliveryLease,
    batch: list[EventRecord],
    *,
    clock: Callable[[], datetime],
    timeout: float,
) -> tuple[str | None, int | None]:
    """POST one batch; ``(error, status)`` with ``error`` ``None`` on a 2xx."""
    body = json.dumps(
        {"tenant_id": lease.tenant_id, "events": [event.as_json() for event in batch]},
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign_delivery(body, lease.secret, timestamp=int(clock().timestamp())),
    }
    try:
        response = await http.post(lease.url, content=body, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__, None
    if not 200 <= response.status_code < 300:
        return f"the endpoint answered HTTP {response.status_code}", response.status_code
    return None, response.status_code


def sign_delivery(body: bytes, secret: str, *, timestamp: int) -> str:
    """The signature header of a delivery: ``t=<timestamp>,v1=<hex HMAC-SHA256>``."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify_delivery(
    body: bytes,
    header: str | None,
    secret: str,
    *,
    tolerance: timedelta = timedelta(minutes=5),
    now: datetime | None = None,
) -> bool:
    """The host app's check of a delivery: the signature matches ``body`` and is recent."""
    if not header:
        return False
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    moment = now or datetime.now(UTC)
    if abs(moment.timestamp() - timestamp) > tolerance.total_seconds():
        return False
    expected = sign_delivery(body, secret, timestamp=timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))
