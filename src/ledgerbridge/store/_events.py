"""The events feed: what came in from QBO and what each sync did, per tenant, in order.

The feed is append-only. Each tenant's events are numbered 1, 2, 3... (``seq``) without gaps
and in commit order, so a reader that remembers the last ``seq`` it saw (the cursor) and asks
for what comes after it never misses an event and never sees one twice:

* An append locks the tenant's row (``FOR NO KEY UPDATE`` on PostgreSQL, which does not
  block the foreign-key checks of other inserts; SQLite's ``BEGIN IMMEDIATE`` serializes every
  writer anyway) and numbers its events after the highest stored. Two appends of one tenant
  therefore commit one after the other, and a number is visible only once every smaller one
  is. A database sequence would not give this: ids are handed out before commit, and a reader
  could pass id 7 while id 6 is still uncommitted.
* :func:`append_events` runs inside a caller's transaction too, so that the inbound sync
  stores a record and publishes its event atomically (``_inbound.py``).

Pushing the feed to the host app (``event_endpoints``): one URL and HMAC secret per tenant,
the secret Fernet-encrypted with the tokens' key (:class:`TokenCipher`), and the delivery
state: the last ``seq`` the host app acknowledged, failed attempts, when to try again, and a
lease so that one deliverer at a time sends a tenant's events (two would send them out of
order). The engine's ``deliver_events`` drives it.
"""

from __future__ import annotations

import builtins
import json
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import urlsplit

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from ._crypto import TokenCipher
from ._database import Database
from ._errors import StoreConfigurationError, TenantNotFoundError
from ._records import JSONDocument, utcnow
from ._tables import EventEndpoint, FeedEvent, Tenant

__all__ = [
    "DeliveryLease",
    "EventEndpointRecord",
    "EventRecord",
    "EventStore",
    "NewEvent",
    "append_events",
]

#: the most events one read returns
MAX_READ: Final = 1000


@dataclass(frozen=True)
class NewEvent:
    """An event to append. ``data`` is JSON (money as strings, as pydantic's JSON mode
    writes it): it goes to the host app as it is."""

    kind: str
    record_type: str | None = None
    app_id: str | None = None
    qbo_type: str | None = None
    qbo_id: str | None = None
    data: JSONDocument = field(default_factory=dict)


@dataclass(frozen=True)
class EventRecord:
    """One event of the feed; ``seq`` is its cursor."""

    tenant_id: str
    seq: int
    kind: str
    record_type: str | None
    app_id: str | None
    qbo_type: str | None
    qbo_id: str | None
    data: JSONDocument
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        """The event as the host app receives it (docs/inbound.md, "Events feed")."""
        return {
            "id": self.seq,
            "kind": self.kind,
            "created_at": self.created_at.isoformat(),
            "record_type": self.record_type,
            "app_id": self.app_id,
            "qbo_type": self.qbo_type,
            "qbo_id": self.qbo_id,
            "data": self.data,
        }


@dataclass(frozen=True)
class EventEndpointRecord:
    """A tenant's event endpoint and how delivery stands (the secret kept out of ``repr``)."""

    tenant_id: str
    url: str
    secret: str = field(repr=False)
    delivered_seq: int
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    updated_at: datetime


@dataclass(frozen=True)
class DeliveryLease:
    """The right to deliver a tenant's events until ``until``; ``delivered_seq`` and
    ``attempts`` as they stood when it was granted."""

    tenant_id: str
    token: str
    until: datetime
    url: str
    secret: str = field(repr=False)
    delivered_seq: int
    attempts: int


def append_events(
    session: Session, tenant_id: str, events: Sequence[NewEvent], *, now: datetime
) -> list[EventRecord]:
    """Append ``events`` in the caller's write transaction, numbered after the last one.

    Takes the tenant's lock (module docstring) and holds it until the transaction ends.
    Raises :class:`TenantNotFoundError` for an unknown tenant and ``TypeError`` for data that
    is not JSON.
    """
    if not events:
        return []
    for event in events:
        _check(event)
    locked = session.execute(
        select(Tenant.id).where(Tenant.id == tenant_id).with_for_update(key_share=True)
    ).scalar_one_or_none()
    if locked is None:
        raise TenantNotFoundError(f"no tenant {tenant_id!r}")
    last = session.execute(
        select(func.max(FeedEvent.seq)).where(FeedEvent.tenant_id == tenant_id)
    ).scalar_one()
    rows = [
        FeedEvent(
            tenant_id=tenant_id,
            seq=(last or 0) + number,
            kind=event.kind,
            record_type=event.record_type,
            app_id=event.app_id,
            qbo_type=event.qbo_type,
            qbo_id=event.qbo_id,
            data=event.data,
            created_at=now,
        )
        for number, event in enumerate(events, start=1)
    ]
    session.add_all(rows)
    session.flush()
    return [_record(row) for row in rows]


class EventStore:
    """The repository of the events feed and its endpoints. Every call takes the tenant."""

    def __init__(
        self,
        database: Database,
        *,
        cipher: TokenCipher | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """
        :param cipher: encrypts endpoint secrets; needed only to set or read an endpoint
        :param clock: the current time, timezone-aware (tests move it)
        """
        self._db = database
        self._cipher = cipher
        self._clock = clock

    # -- the feed -----------------------------------------------------------------------------
    def append(self, *, tenant_id: str, events: Sequence[NewEvent]) -> list[EventRecord]:
        """Append events in one transaction; they get consecutive numbers, in the order given."""
        with self._db.transaction() as session:
            return append_events(session, tenant_id, events, now=self._clock())

    def read(self, *, tenant_id: str, after: int = 0, limit: int = 100) -> list[EventRecord]:
        """The tenant's events after the cursor ``after`` (0: from the start), oldest first."""
        if after < 0:
            raise ValueError("after is a cursor: 0 or the id of an event already read")
        if not 1 <= limit <= MAX_READ:
            raise ValueError(f"limit must be between 1 and {MAX_READ}")
        query = (
            select(FeedEvent)
            .where(FeedEvent.tenant_id == tenant_id, FeedEvent.seq > after)
            .order_by(FeedEvent.seq)
            .limit(limit)
        )
        with self._db.session() as session:
            return [_record(row) for row in session.scalars(query)]

    def last_seq(self, *, tenant_id: str) -> int:
        """The cursor of the tenant's newest event (0 when there is none)."""
        with self._db.session() as session:
            value = session.execute(
                select(func.max(FeedEvent.seq)).where(FeedEvent.tenant_id == tenant_id)
            ).scalar_one()
        return int(value or 0)

    # -- the endpoint -------------------------------------------------------------------------
    def set_endpoint(self, *, tenant_id: str, url: str, secret: str | None = None) -> str:
        """Push the tenant's events to ``url``, signed with ``secret`` (a new random one when
        not given); returns the secret, the only time it is handed out in clear.

        Delivery resumes where it stood: a changed URL gets the events not yet acknowledged,
        not the whole feed again. A new endpoint starts after the events already in the feed
        (the host app reads those with the cursor API).
        """
        cipher = self._require_cipher()
        _check_url(url)
        secret = secret or secrets.token_urlsafe(32)
        if len(secret) < 16:
            raise ValueError("an endpoint secret has at least 16 characters")
        now = self._clock()
        with self._db.transaction() as session:
            if session.get(Tenant, tenant_id) is None:
                raise TenantNotFoundError(f"no tenant {tenant_id!r}")
            row = session.get(EventEndpoint, tenant_id, with_for_update=True)
            if row is None:
                start = session.execute(
                    select(func.max(FeedEvent.seq)).where(FeedEvent.tenant_id == tenant_id)
                ).scalar_one()
                row = EventEndpoint(tenant_id=tenant_id, delivered_seq=start or 0, attempts=0)
                session.add(row)
            row.url = url
            row.secret = cipher.encrypt(secret)
            row.next_attempt_at = None
            row.attempts = 0
            row.updated_at = now
        return secret

    def remove_endpoint(self, *, tenant_id: str) -> bool:
        """Stop pushing the tenant's events; ``True`` if it had an endpoint."""
        with self._db.transaction() as session:
            row = session.get(EventEndpoint, tenant_id, with_for_update=True)
            if row is None:
                return False
            session.delete(row)
            return True

    def endpoint(self, *, tenant_id: str) -> EventEndpointRecord | None:
        """The tenant's endpoint with its secret decrypted, or ``None``."""
        cipher = self._require_cipher()
        with self._db.session() as session:
            row = session.get(EventEndpoint, tenant_id)
            if row is None:
                return None
            return EventEndpointRecord(
                tenant_id=row.tenant_id,
                url=row.url,
                secret=cipher.decrypt(row.secret),
                delivered_seq=row.delivered_seq,
                attempts=row.attempts,
                next_attempt_at=row.next_attempt_at,
                last_status=row.last_status,
                last_error=row.last_error,
                updated_at=row.updated_at,
            )

    def with_endpoints(self) -> builtins.list[str]:
        """The tenants that have an endpoint (the periodic delivery job's list)."""
        with self._db.session() as session:
            return list(session.scalars(select(EventEndpoint.tenant_id).order_by("tenant_id")))

    # -- delivery -----------------------------------------------------------------------------
    def claim_delivery(self, *, tenant_id: str, lease: timedelta) -> DeliveryLease | None:
        """The lease to deliver the tenant's events, or ``None``: no endpoint, another
        deliverer holds a lease that has not run out, or the next attempt is not due yet."""
        cipher = self._require_cipher()
        now = self._clock()
        with self._db.transaction() as session:
            row = session.get(EventEndpoint, tenant_id, with_for_update=True)
            if row is None:
                return None
            if row.leased_until is not None and row.leased_until > now:
                return None
            if row.next_attempt_at is not None and row.next_attempt_at > now:
                return None
            row.lease_token = uuid.uuid4().hex
            row.leased_until = now + lease
            return DeliveryLease(
                tenant_id=tenant_id,
                token=row.lease_token,
                until=row.leased_until,
                url=row.url,
                secret=cipher.decrypt(row.secret),
                delivered_seq=row.delivered_seq,
                attempts=row.attempts,
            )

    def delivered(self, lease: DeliveryLease, *, through: int, status: int) -> bool:
        """The host app acknowledged every event up to ``through``; ``False`` if the lease
        was lost meanwhile (the cursor is then left to the deliverer that holds it)."""
        return self._update_leased(
            lease,
            # never backwards: a cursor only grows
            delivered_seq=case(
                (EventEndpoint.delivered_seq < through, through),
                else_=EventEndpoint.delivered_seq,
            ),
            attempts=0,
            next_attempt_at=None,
            last_status=status,
            last_error=None,
        )

    def delivery_failed(
        self, lease: DeliveryLease, *, status: int | None, error: str, retry_at: datetime
    ) -> bool:
        """An attempt failed: count it, try again at ``retry_at``, give the lease back."""
        return self._update_leased(
            lease,
            attempts=EventEndpoint.attempts + 1,
            next_attempt_at=retry_at,
            last_status=status,
            last_error=error[:2000],
            lease_token=None,
            leased_until=None,
        )

    def release(self, lease: DeliveryLease) -> bool:
        """Give the lease back (the deliverer is done for now)."""
        return self._update_leased(lease, lease_token=None, leased_until=None)

    # -- internals ----------------------------------------------------------------------------
    def _update_leased(self, lease: DeliveryLease, **values: Any) -> bool:
        with self._db.transaction() as session:
            changed = (
                session.connection()
                .execute(
                    update(EventEndpoint)
                    .where(
                        EventEndpoint.tenant_id == lease.tenant_id,
                        EventEndpoint.lease_token == lease.token,
                    )
                    .values(updated_at=self._clock(), **values)
                )
                .rowcount
            )
        return changed == 1

    def _require_cipher(self) -> TokenCipher:
        if self._cipher is None:
            raise StoreConfigurationError(
                "event endpoints keep their secret encrypted: give EventStore the TokenCipher"
            )
        return self._cipher


def _check(event: NewEvent) -> None:
    if not event.kind:
        raise ValueError("an event needs a kind")
    if not isinstance(event.data, dict):
        raise TypeError(f"the data of a {event.kind} event must be a JSON object")
    try:
        json.dumps(event.data, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"the data of a {event.kind} event is not JSON ({exc}); money and dates go in as "
            "strings"
        ) from None


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"the events URL must be an http(s) URL, not {url!r}")


def _record(row: FeedEvent) -> EventRecord:
    return EventRecord(
        tenant_id=row.tenant_id,
        seq=row.seq,
        kind=row.kind,
        record_type=row.record_type,
        app_id=row.app_id,
        qbo_type=row.qbo_type,
        qbo_id=row.qbo_id,
        data=row.data,
        created_at=row.created_at,
    )
