"""What comes back from QBO: webhook notifications, processed versions, bookmarks, QBO-owned
records, and the one transaction that applies a change.

Notifications
=============

:meth:`InboundStore.receive` keeps a notification's signed bytes exactly as received, before
anything parses them, under a unique SHA-256 of the body: Intuit re-sends a notification it
thinks was not acknowledged byte for byte, so a replay finds the stored one instead of adding
another. Processing marks it ``processed`` or ``failed`` (with the reason);
:meth:`InboundStore.pending` lists what still waits (the sweeper's question).

Applying a change
=================

:meth:`InboundStore.apply` writes everything one QBO change implies in one transaction:

* the **version** of the QBO object processed (``inbound_versions``): a change at a version
  already processed (the same ``SyncToken`` or an older one, or an object already known
  deleted) is ``stale`` and nothing else of it is written, so a webhook, its replay and the
  CDC back-stop that all see one change apply it once, even at the same moment (the primary
  key settles a race on PostgreSQL; the second attempt then finds the version);
* a **QBO-owned record** (``qbo_owned_records``): a record that came from QBO (a customer or
  item imported at setup, a payment made in QBO) is stored in ``records`` *clean* with its
  ``link`` *ok* at the content hash stored, so the pusher has nothing to send for it. Once the
  host app has put another version of that record (its hash differs from the one stored
  here, or it is dirty) the app has taken it over: QBO's later versions no longer overwrite
  it (outcome ``adopted``), the events still say what changed in QBO. An app record that
  already uses the app id raises :class:`OwnedRecordConflictError`;
* a **link by name** of an app record to the QBO object (the initial import's matching),
  with :meth:`LinkStore.relink`'s meaning: linked, waiting for the next push to update it;
* the **events** that tell the host app (``_events.append_events``).

A QBO object linked to another app record raises :class:`LinkConflictError`, as everywhere.
"""

from __future__ import annotations

import builtins
import hashlib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final, Literal, TypeAlias, TypeVar, cast

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ._database import Database
from ._errors import LinkConflictError, StoreError
from ._events import NewEvent, append_events
from ._links import _record as _link_record
from ._records import (
    ConnectionStatus,
    Environment,
    JSONDocument,
    LinkRecord,
    LinkResult,
    utcnow,
)
from ._tables import (
    AppRecord,
    CDCBookmark,
    Connection,
    InboundVersion,
    Link,
    Operation,
    QBOOwnedRecord,
    WebhookNotification,
)

__all__ = [
    "AppName",
    "ApplyOutcome",
    "Bookmark",
    "InboundChange",
    "InboundStore",
    "LinkMatch",
    "NotificationStatus",
    "ObjectVersion",
    "OwnedRecord",
    "OwnedRecordConflictError",
    "OwnedWrite",
    "RealmConnection",
    "ReceivedNotification",
    "StoredNotification",
]

NotificationStatus: TypeAlias = Literal["received", "processed", "failed"]
#: applied: written; stale: this version (or a newer one) was processed before, nothing
#: written; adopted: the events were written, the record not (the host app took it over)
ApplyOutcome: TypeAlias = Literal["applied", "stale", "adopted"]
#: app ids per ``IN (...)``
_CHUNK: Final = 500
_Row = TypeVar("_Row", InboundVersion, AppRecord, QBOOwnedRecord, Link)


class OwnedRecordConflictError(StoreError):
    """A record from QBO would take an app id that one of the host app's records has."""

    user_message = (
        "A record imported from QuickBooks would overwrite one of the app's records with the "
        "same id; rename the app's record or unlink it."
    )


# -- values ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReceivedNotification:
    """What :meth:`InboundStore.receive` did: the notification's id, and whether the same
    bytes had been received before (``duplicate``; ``status`` is then the first one's)."""

    id: int
    duplicate: bool
    status: NotificationStatus


@dataclass(frozen=True)
class StoredNotification:
    """A webhook notification as stored (the body as received, signed bytes)."""

    id: int
    body: bytes = field(repr=False)
    received_at: datetime
    status: NotificationStatus
    attempts: int
    processed_at: datetime | None
    error: str | None


@dataclass(frozen=True)
class RealmConnection:
    """A tenant's connection to a QBO company, as webhooks find it: by realm id."""

    connection_id: str
    tenant_id: str
    environment: Environment
    realm_id: str
    status: ConnectionStatus


@dataclass(frozen=True)
class Bookmark:
    """Where a connection's CDC back-stop resumes."""

    connection_id: str
    tenant_id: str
    realm_id: str
    changed_since: datetime
    updated_at: datetime


@dataclass(frozen=True)
class OwnedRecord:
    """A record that came from QBO, and the content hash ledgerbridge stored for it."""

    tenant_id: str
    record_type: str
    app_id: str
    qbo_type: str
    qbo_id: str
    content_hash: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class AppName:
    """An app record's name, for matching QBO records by name at import."""

    app_id: str
    name: str
    #: whether it is linked to a QBO object already (then it is not a candidate)
    linked: bool


@dataclass(frozen=True)
class ObjectVersion:
    """A version of a QBO object: its ``SyncToken``, or deleted (merged away, deleted)."""

    qbo_type: str
    qbo_id: str
    sync_token: str | None
    deleted: bool = False

    def __post_init__(self) -> None:
        if self.deleted == (self.sync_token is not None):
            raise ValueError("a version has a sync_token, or is deleted, not both")

    def supersedes(self, known: ObjectVersion) -> bool:
        """Whether this version comes after ``known`` (SyncTokens count up; deletion is
        final)."""
        if known.deleted:
            return False
        if self.deleted:
            return True
        new, old = str(self.sync_token), str(known.sync_token)
        try:
            return int(new) > int(old)
        except ValueError:  # not a number (never seen from QBO): any other token is news
            return new != old


@dataclass(frozen=True)
class OwnedWrite:
    """The QBO object's version as a record of the host app's kind (payload: canonical JSON).

    ``deleted``: QBO deleted or voided the object; the record is marked deleted *and clean*
    (there is nothing to delete in QBO), its link says ``deleted`` or ``voided``.
    """

    record_type: str
    app_id: str
    payload: JSONDocument
    content_hash: str
    deleted: bool = False
    link_result: LinkResult = "ok"
    #: the sentence the console shows on the link
    message: str | None = None


@dataclass(frozen=True)
class LinkMatch:
    """Link an app record to the QBO object (found by name); the next push updates it."""

    record_type: str
    app_id: str
    message: str


@dataclass(frozen=True)
class InboundChange:
    """Everything one QBO change implies, written atomically by :meth:`InboundStore.apply`."""

    version: ObjectVersion
    events: tuple[NewEvent, ...] = ()
    owned: OwnedWrite | None = None
    match: LinkMatch | None = None


# -- the store ------------------------------------------------------------------------------
class InboundStore:
    """The repository of the inbound sync (module docstring)."""

    def __init__(self, database: Database, *, clock: Callable[[], datetime] = utcnow) -> None:
        """
        :param clock: the current time, timezone-aware (tests move it)
        """
        self._db = database
        self._clock = clock

    # -- notifications ------------------------------------------------------------------------
    def receive(self, body: bytes) -> ReceivedNotification:
        """Store a (verified) notification's raw bytes, once."""
        digest = hashlib.sha256(body).hexdigest()
        try:
            with self._db.transaction() as session:
                known = _by_digest(session, digest)
                if known is not None:
                    return _received(known, duplicate=True)
                row = WebhookNotification(
                    body=body,
                    body_sha256=digest,
                    received_at=self._clock(),
                    status="received",
                    attempts=0,
                )
                session.add(row)
                session.flush()
                return _received(row, duplicate=False)
        except IntegrityError:
            # PostgreSQL: the same bytes arrived twice at once; the other insert won
            with self._db.session() as session:
                known = _by_digest(session, digest)
                assert known is not None
                return _received(known, duplicate=True)

    def notification(self, notification_id: int) -> StoredNotification | None:
        """A stored notification, or ``None``."""
        with self._db.session() as session:
            row = session.get(WebhookNotification, notification_id)
            return None if row is None else _notification(row)

    def pending(
        self, *, limit: int = 100, received_before: datetime | None = None
    ) -> builtins.list[int]:
        """Ids of notifications not processed yet, oldest first (optionally only those
        received before a moment: the sweeper leaves fresh ones to their own job)."""
        query = select(WebhookNotification.id).where(WebhookNotification.status == "received")
        if received_before is not None:
            query = query.where(WebhookNotification.received_at < received_before)
        query = query.order_by(WebhookNotification.id).limit(limit)
        with self._db.session() as session:
            return list(session.scalars(query))

    def finish(self, notification_id: int, *, error: str | None = None) -> None:
        """Mark a notification processed, or failed with the reason (``error``)."""
        with self._db.transaction() as session:
            session.execute(
                update(WebhookNotification)
                .where(WebhookNotification.id == notification_id)
                .values(
                    status="failed" if error else "processed",
                    error=error,
                    attempts=WebhookNotification.attempts + 1,
                    processed_at=self._clock(),
                )
            )

    def prune(self, *, older_than: timedelta) -> int:
        """Forget processed and failed notifications received more than ``older_than`` ago
        (the versions they applied stay: they are what keeps a late replay from applying a
        change twice); returns how many."""
        if older_than <= timedelta(0):
            raise ValueError("older_than must be positive")
        cutoff = self._clock() - older_than
        with self._db.transaction() as session:
            removed = (
                session.connection()
                .execute(
                    delete(WebhookNotification).where(
                        WebhookNotification.status != "received",
                        WebhookNotification.received_at < cutoff,
                    )
                )
                .rowcount
            )
        return int(removed)

    # -- connections and bookmarks ------------------------------------------------------------
    def realm_connections(self, realm_id: str) -> builtins.list[RealmConnection]:
        """The connections to this QBO company, of any tenant (usually one)."""
        query = (
            select(Connection)
            .where(Connection.realm_id == realm_id)
            .order_by(Connection.tenant_id, Connection.environment)
        )
        with self._db.session() as session:
            return [
                RealmConnection(
                    connection_id=row.id,
                    tenant_id=row.tenant_id,
                    environment=cast(Environment, row.environment),
                    realm_id=row.realm_id,
                    status=cast(ConnectionStatus, row.status),
                )
                for row in session.scalars(query)
            ]

    def bookmark(self, connection_id: str) -> Bookmark | None:
        """Where the connection's CDC resumes, or ``None`` before its first poll."""
        with self._db.session() as session:
            row = session.get(CDCBookmark, connection_id)
            if row is None:
                return None
            return Bookmark(
                connection_id=row.connection_id,
                tenant_id=row.tenant_id,
                realm_id=row.realm_id,
                changed_since=row.changed_since,
                updated_at=row.updated_at,
            )

    def save_bookmark(
        self, *, connection_id: str, tenant_id: str, realm_id: str, changed_since: datetime
    ) -> datetime:
        """Move the bookmark to ``changed_since``, never backwards for the same company (a
        slow poll that finishes after a faster one must not undo it); returns where it is."""
        now = self._clock()
        with self._db.transaction() as session:
            row = session.get(CDCBookmark, connection_id, with_for_update=True)
            if row is None:
                row = CDCBookmark(connection_id=connection_id)
                session.add(row)
            elif row.realm_id == realm_id and row.changed_since >= changed_since:
                return row.changed_since
            row.tenant_id = tenant_id
            row.realm_id = realm_id
            row.changed_since = changed_since
            row.updated_at = now
            return changed_since

    # -- reads for the engine -----------------------------------------------------------------
    def processed(
        self, *, tenant_id: str, qbo_type: str, qbo_ids: Collection[str]
    ) -> dict[str, ObjectVersion]:
        """The versions already processed of these objects (those never seen are absent)."""
        ordered = sorted(set(qbo_ids))
        found: dict[str, ObjectVersion] = {}
        with self._db.session() as session:
            for start in range(0, len(ordered), _CHUNK):
                rows = session.scalars(
                    select(InboundVersion).where(
                        InboundVersion.tenant_id == tenant_id,
                        InboundVersion.qbo_type == qbo_type,
                        InboundVersion.qbo_id.in_(ordered[start : start + _CHUNK]),
                    )
                )
                for row in rows:
                    found[row.qbo_id] = _version(row)
        return found

    def links(
        self, *, tenant_id: str, qbo_type: str, qbo_ids: Collection[str]
    ) -> dict[str, LinkRecord]:
        """The links of these QBO objects, by QBO Id (unlinked ones absent): one query a
        chunk, where :meth:`LinkStore.by_qbo` takes one per object."""
        ordered = sorted(set(qbo_ids))
        found: dict[str, LinkRecord] = {}
        with self._db.session() as session:
            for start in range(0, len(ordered), _CHUNK):
                rows = session.scalars(
                    select(Link).where(
                        Link.tenant_id == tenant_id,
                        Link.qbo_type == qbo_type,
                        Link.qbo_id.in_(ordered[start : start + _CHUNK]),
                    )
                )
                for row in rows:
                    found[str(row.qbo_id)] = _link_record(row)
        return found

    def wrote(self, *, tenant_id: str, qbo_type: str, qbo_id: str, sync_token: str) -> bool:
        """Whether ledgerbridge's write log has a write of this very version of the object
        (its echo must not come back as a change made in QBO)."""
        query = (
            select(Operation.id)
            .where(
                Operation.tenant_id == tenant_id,
                Operation.qbo_type == qbo_type,
                Operation.qbo_id == qbo_id,
                Operation.sync_token == sync_token,
                Operation.status == "succeeded",
            )
            .limit(1)
        )
        with self._db.session() as session:
            return session.execute(query).first() is not None

    def owned(self, *, tenant_id: str, record_type: str, app_id: str) -> OwnedRecord | None:
        """The record's QBO-owned mark, or ``None`` for the host app's own records."""
        with self._db.session() as session:
            row = session.get(QBOOwnedRecord, (tenant_id, record_type, app_id))
            return None if row is None else _owned(row)

    def app_names(self, *, tenant_id: str, record_type: str) -> builtins.list[AppName]:
        """The names of the tenant's records of a type (deleted ones left out), in app id
        order, with whether each is linked already."""
        query = (
            select(AppRecord.app_id, AppRecord.payload, Link.qbo_id)
            .outerjoin(
                Link,
                (Link.tenant_id == AppRecord.tenant_id)
                & (Link.record_type == AppRecord.record_type)
                & (Link.app_id == AppRecord.app_id),
            )
            .where(
                AppRecord.tenant_id == tenant_id,
                AppRecord.record_type == record_type,
                AppRecord.deleted_at.is_(None),
            )
            .order_by(AppRecord.app_id)
        )
        with self._db.session() as session:
            return [
                AppName(app_id=app_id, name=payload["name"], linked=qbo_id is not None)
                for app_id, payload, qbo_id in session.execute(query)
                if isinstance(payload.get("name"), str)
            ]

    # -- the atomic write ---------------------------------------------------------------------
    def apply(
        self, *, tenant_id: str, changes: Sequence[InboundChange]
    ) -> builtins.list[ApplyOutcome]:
        """Apply ``changes`` in one transaction (module docstring); one outcome each.

        All or nothing: a :class:`LinkConflictError` or :class:`OwnedRecordConflictError`
        rolls back the whole call (apply the changes one by one to isolate the culprit).
        """
        for attempt in range(2):
            try:
                with self._db.transaction() as session:
                    return self._apply(session, tenant_id, changes)
            except IntegrityError:
                # PostgreSQL: a concurrent apply inserted one of these versions or records
                # first; the second attempt sees it and decides
                if attempt:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _apply(
        self, session: Session, tenant_id: str, changes: Sequence[InboundChange]
    ) -> builtins.list[ApplyOutcome]:
        now = self._clock()
        outcomes: list[ApplyOutcome] = []
        events: list[NewEvent] = []
        with session.no_autoflush:
            chunk = _Chunk.load(session, tenant_id, changes, now)
            for change in changes:
                if not chunk.advance(change.version):
                    outcomes.append("stale")
                    continue
                outcome: ApplyOutcome = "applied"
                if change.match is not None:
                    chunk.match(change.version, change.match)
                if change.owned is not None and not chunk.own(change.version, change.owned):
                    outcome = "adopted"
                events.extend(change.events)
                outcomes.append(outcome)
        session.flush()
        append_events(session, tenant_id, events, now=now)
        return outcomes


# -- the pieces of apply --------------------------------------------------------------------
_Key: TypeAlias = tuple[str, str]


class _Chunk:
    """The rows a chunk of changes touches, read (and locked) with one query per table and
    kind, then changed in memory and written by one flush."""

    def __init__(self, session: Session, tenant_id: str, now: datetime) -> None:
        self._session = session
        self._tenant = tenant_id
        self._now = now
        self.versions: dict[_Key, InboundVersion] = {}
        self.records: dict[_Key, AppRecord] = {}
        self.marks: dict[_Key, QBOOwnedRecord] = {}
        #: links by (record_type, app_id) and by (qbo_type, qbo_id)
        self.links: dict[_Key, Link] = {}
        self.holders: dict[_Key, Link] = {}

    @classmethod
    def load(
        cls, session: Session, tenant_id: str, changes: Sequence[InboundChange], now: datetime
    ) -> _Chunk:
        chunk = cls(session, tenant_id, now)
        objects = {(c.version.qbo_type, c.version.qbo_id) for c in changes}
        records = {(c.owned.record_type, c.owned.app_id) for c in changes if c.owned}
        records |= {(c.match.record_type, c.match.app_id) for c in changes if c.match}
        for version in _rows_of(session, InboundVersion, tenant_id, "qbo_type", "qbo_id", objects):
            chunk.versions[version.qbo_type, version.qbo_id] = version
        for record in _rows_of(session, AppRecord, tenant_id, "record_type", "app_id", records):
            chunk.records[record.record_type, record.app_id] = record
        for mark in _rows_of(session, QBOOwnedRecord, tenant_id, "record_type", "app_id", records):
            chunk.marks[mark.record_type, mark.app_id] = mark
        links = [*_rows_of(session, Link, tenant_id, "record_type", "app_id", records)]
        links += _rows_of(session, Link, tenant_id, "qbo_type", "qbo_id", objects)
        for link in links:
            chunk.links[link.record_type, link.app_id] = link
            if link.qbo_type is not None and link.qbo_id is not None:
                chunk.holders[link.qbo_type, link.qbo_id] = link
        return chunk

    def advance(self, version: ObjectVersion) -> bool:
        """Record ``version`` as processed; ``False`` if it (or a newer one) already was."""
        key = (version.qbo_type, version.qbo_id)
        row = self.versions.get(key)
        if row is not None and not version.supersedes(_version(row)):
            return False
        if row is None:
            row = InboundVersion(tenant_id=self._tenant, qbo_type=key[0], qbo_id=key[1])
            self._session.add(row)
            self.versions[key] = row
        row.sync_token = version.sync_token
        row.deleted = version.deleted
        row.processed_at = self._now
        return True

    def match(self, version: ObjectVersion, match: LinkMatch) -> None:
        """Link an app record by name (``LinkStore.relink``'s meaning)."""
        row = self._claimed_link(match.record_type, match.app_id, version)
        if row.qbo_id is not None and row.qbo_id != version.qbo_id:
            raise _conflict(version, (row.record_type, row.app_id), linked_elsewhere=True)
        self._point(row, version)
        row.pushed_hash = None
        row.last_result = "waiting"
        row.last_message = match.message

    def own(self, version: ObjectVersion, owned: OwnedWrite) -> bool:
        """Write the QBO-owned record, its link and its mark; ``False`` when the host app has
        taken the record over (nothing written)."""
        key = (owned.record_type, owned.app_id)
        record, mark = self.records.get(key), self.marks.get(key)
        if record is not None and mark is None:
            raise OwnedRecordConflictError(
                f"{key[0]} {key[1]!r} of tenant {self._tenant!r} is the app's own record; QBO "
                f"{version.qbo_type} {version.qbo_id} cannot be stored under its id"
            )
        if (
            record is not None
            and mark is not None
            and (record.dirty or record.content_hash != mark.content_hash)
        ):
            return False
        self._write_record(record, owned)
        if mark is None:
            mark = QBOOwnedRecord(
                tenant_id=self._tenant, record_type=key[0], app_id=key[1], created_at=self._now
            )
            self._session.add(mark)
            self.marks[key] = mark
        mark.qbo_type = version.qbo_type
        mark.qbo_id = version.qbo_id
        mark.content_hash = owned.content_hash
        mark.updated_at = self._now
        link = self._claimed_link(key[0], key[1], version)
        self._point(link, version)
        link.pushed_hash = owned.content_hash
        link.last_result = owned.link_result
        link.last_message = owned.message
        return True

    def _write_record(self, record: AppRecord | None, owned: OwnedWrite) -> None:
        """The record as QBO has it: clean (nothing to push), deleted when QBO's object is."""
        if record is None:
            record = AppRecord(
                tenant_id=self._tenant,
                record_type=owned.record_type,
                app_id=owned.app_id,
                first_received_at=self._now,
            )
            self._session.add(record)
            self.records[owned.record_type, owned.app_id] = record
        deletion_changes = (record.deleted_at is None) == owned.deleted
        if record.content_hash != owned.content_hash or deletion_changes:
            record.updated_at = self._now
        record.payload = owned.payload
        record.content_hash = owned.content_hash
        record.received_at = self._now
        record.deleted_at = (record.deleted_at or self._now) if owned.deleted else None
        record.dirty = False

    def _claimed_link(self, record_type: str, app_id: str, version: ObjectVersion) -> Link:
        """The record's link row (new if it has none), after checking that no other record
        of the tenant holds the QBO object."""
        holder = self.holders.get((version.qbo_type, version.qbo_id))
        if holder is not None and (holder.record_type, holder.app_id) != (record_type, app_id):
            raise _conflict(version, (holder.record_type, holder.app_id), linked_elsewhere=False)
        row = self.links.get((record_type, app_id))
        if row is None:
            row = Link(tenant_id=self._tenant, record_type=record_type, app_id=app_id)
            self._session.add(row)
            self.links[record_type, app_id] = row
        return row

    def _point(self, link: Link, version: ObjectVersion) -> None:
        """Point ``link`` at the QBO object of ``version`` and clear its last error."""
        link.qbo_type = version.qbo_type
        link.qbo_id = version.qbo_id
        if version.sync_token is not None:
            link.sync_token = version.sync_token
        link.last_error_code = None
        link.last_intuit_tid = None
        link.warning = None
        link.updated_at = self._now
        self.holders[version.qbo_type, version.qbo_id] = link


def _rows_of(
    session: Session,
    table: type[_Row],
    tenant_id: str,
    first: str,
    second: str,
    keys: Collection[_Key],
) -> list[_Row]:
    """The tenant's rows of ``table`` whose ``(first, second)`` columns are among ``keys``,
    locked (PostgreSQL), in a stable order so that concurrent appliers cannot deadlock."""
    found: list[_Row] = []
    by_first: dict[str, list[str]] = {}
    for a, b in keys:
        by_first.setdefault(a, []).append(b)
    for a in sorted(by_first):
        seconds = sorted(by_first[a])
        for start in range(0, len(seconds), _CHUNK):
            query = (
                select(table)
                .where(
                    getattr(table, "tenant_id") == tenant_id,  # noqa: B009 (any table)
                    getattr(table, first) == a,
                    getattr(table, second).in_(seconds[start : start + _CHUNK]),
                )
                .order_by(getattr(table, second))
                .with_for_update()
            )
            found.extend(session.scalars(query))
    return found


def _conflict(
    version: ObjectVersion, record: tuple[str, str], *, linked_elsewhere: bool
) -> LinkConflictError:
    what = f"QBO {version.qbo_type} {version.qbo_id}"
    if linked_elsewhere:
        message = f"{record[0]} {record[1]!r} is linked to another QBO object than {what}"
        return LinkConflictError(
            message, qbo_type=version.qbo_type, qbo_id=version.qbo_id, linked_to=None
        )
    return LinkConflictError(
        f"{what} is linked to {record[0]} {record[1]!r}",
        qbo_type=version.qbo_type,
        qbo_id=version.qbo_id,
        linked_to=record,
    )


# -- rows to values -------------------------------------------------------------------------
def _by_digest(session: Session, digest: str) -> WebhookNotification | None:
    return session.scalars(
        select(WebhookNotification).where(WebhookNotification.body_sha256 == digest)
    ).one_or_none()


def _received(row: WebhookNotification, *, duplicate: bool) -> ReceivedNotification:
    return ReceivedNotification(
        id=row.id, duplicate=duplicate, status=cast(NotificationStatus, row.status)
    )


def _notification(row: WebhookNotification) -> StoredNotification:
    return StoredNotification(
        id=row.id,
        body=row.body,
        received_at=row.received_at,
        status=cast(NotificationStatus, row.status),
        attempts=row.attempts,
        processed_at=row.processed_at,
        error=row.error,
    )


def _version(row: InboundVersion) -> ObjectVersion:
    return ObjectVersion(
        qbo_type=row.qbo_type, qbo_id=row.qbo_id, sync_token=row.sync_token, deleted=row.deleted
    )


def _owned(row: QBOOwnedRecord) -> OwnedRecord:
    return OwnedRecord(
        tenant_id=row.tenant_id,
        record_type=row.record_type,
        app_id=row.app_id,
        qbo_type=row.qbo_type,
        qbo_id=row.qbo_id,
        content_hash=row.content_hash,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
