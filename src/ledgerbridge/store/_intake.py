"""Intake: the host app's records, stored as JSON documents with a content hash.

Dirty and clean
===============

A record is *dirty* when QBO may not have what it says. :meth:`RecordStore.put` marks it dirty
when its content hash is new or changed (an unchanged hash leaves the flag alone: sending the
same record twice costs QBO nothing); :meth:`RecordStore.delete` marks it dirty with a deletion
to push. The engine reads :meth:`RecordStore.dirty`, pushes, and then calls
:meth:`RecordStore.mark_clean` with the hash (and deletion state) it pushed.

``mark_clean`` is one conditional ``UPDATE``: it clears the flag only where the stored hash and
deletion state still are the ones pushed. A record the host app changed while the engine was
pushing it therefore stays dirty and is pushed again, and the change is never lost. On
PostgreSQL, ``put`` locks the row before it writes, so that a ``mark_clean`` running at the
same moment waits and then re-reads the row (``READ COMMITTED``); on SQLite every write holds
the database's write lock from its ``BEGIN IMMEDIATE``.

Bulk import
===========

:meth:`RecordStore.put_many` writes a whole import in one transaction: it reads the stored
hashes of the batch in chunks, then inserts and updates with one ``executemany`` each. Either
every record of the call is stored or none is; the caller validates the records first, so that
one bad record costs the file nothing but that record. (The store checks only that each payload
is a JSON object, before it opens the transaction.)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable
from datetime import datetime
from typing import Any, Final

from sqlalchemy import and_, bindparam, case, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ._database import Database
from ._errors import RecordNotFoundError, TenantNotFoundError
from ._records import (
    JSONDocument,
    PutOutcome,
    PutResult,
    RecordCounts,
    RecordInput,
    StoredRecord,
    utcnow,
)
from ._tables import AppRecord, Tenant

__all__ = ["RecordStore"]

#: app ids per ``IN (...)``: far below SQLite's and PostgreSQL's limits on bound parameters
_CHUNK: Final = 500


class RecordStore:
    """The repository of the host app's records. Every call takes the tenant and filters on it."""

    def __init__(self, database: Database, *, clock: Callable[[], datetime] = utcnow) -> None:
        """
        :param clock: the current time, timezone-aware (tests move it)
        """
        self._db = database
        self._clock = clock

    # -- writes from the host app -------------------------------------------------------------
    def put(
        self,
        *,
        tenant_id: str,
        record_type: str,
        app_id: str,
        payload: JSONDocument,
        content_hash: str,
    ) -> PutResult:
        """Store one record; it turns dirty if it is new, its hash changed, or it was deleted.

        Raises :class:`TenantNotFoundError` for an unknown tenant.
        """
        record = RecordInput(
            record_type=record_type, app_id=app_id, payload=payload, content_hash=content_hash
        )
        return self.put_many(tenant_id=tenant_id, records=[record])[0]

    def put_many(self, *, tenant_id: str, records: Iterable[RecordInput]) -> list[PutResult]:
        """Store a batch in one transaction, all or nothing; one result per record, in order.

        A record listed twice is stored as if put twice in that order (the second is
        ``unchanged`` or ``changed`` relative to the first).
        """
        batch = list(records)
        for record in batch:
            _check(record)
        for attempt in range(2):
            try:
                with self._db.transaction() as session:
                    if session.get(Tenant, tenant_id) is None:
                        raise TenantNotFoundError(f"no tenant {tenant_id!r}")
                    return self._put(session, tenant_id, batch)
            except IntegrityError:
                # PostgreSQL: a concurrent put inserted one of these records first; the
                # second attempt finds and locks it
                if attempt:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def delete(self, *, tenant_id: str, record_type: str, app_id: str) -> StoredRecord:
        """Mark the record deleted and dirty: the engine voids or deletes its QBO object.

        The row stays (soft delete), so that the link and the history stay readable. Deleting
        it again changes nothing. Raises :class:`RecordNotFoundError` for an unknown record.
        """
        now = self._clock()
        with self._db.transaction() as session:
            row = _locked(session, tenant_id, record_type, app_id)
            if row.deleted_at is None:
                row.deleted_at = now
                row.updated_at = now
                row.dirty = True
            return _stored(row)

    # -- the engine's side --------------------------------------------------------------------
    def mark_dirty(self, *, tenant_id: str, record_type: str, app_id: str) -> StoredRecord:
        """Queue the record for a push although it did not change ("sync again" in the
        console, or after relinking it to another QBO object)."""
        with self._db.transaction() as session:
            row = _locked(session, tenant_id, record_type, app_id)
            row.dirty = True
            return _stored(row)

    def mark_clean(
        self,
        *,
        tenant_id: str,
        record_type: str,
        app_id: str,
        content_hash: str,
        deleted: bool = False,
    ) -> bool:
        """Clear the dirty flag after a push of this hash (``deleted``: of the deletion).

        Only where the record is still what was pushed: a record changed, deleted or restored
        while it was being pushed stays dirty, and ``False`` is returned.
        """
        with self._db.transaction() as session:
            marked = (
                session.connection()
                .execute(
                    update(AppRecord)
                    .where(
                        *_key(tenant_id, record_type, app_id),
                        AppRecord.content_hash == content_hash,
                        AppRecord.deleted_at.is_not(None)
                        if deleted
                        else AppRecord.deleted_at.is_(None),
                    )
                    .values(dirty=False)
                )
                .rowcount
            )
        return marked == 1

    # -- reads --------------------------------------------------------------------------------
    def get(self, *, tenant_id: str, record_type: str, app_id: str) -> StoredRecord | None:
        """The record (a deleted one too: see ``deleted_at``), or ``None``."""
        with self._db.session() as session:
            row = session.get(AppRecord, (tenant_id, record_type, app_id))
            return None if row is None else _stored(row)

    def dirty(
        self,
        *,
        tenant_id: str,
        record_types: Collection[str] | None = None,
        limit: int = 500,
        after: tuple[str, str] | None = None,
    ) -> list[StoredRecord]:
        """Records waiting to be pushed, deleted ones included, in (type, app id) order.

        ``after`` is the ``(record_type, app_id)`` of the last record of the previous page:
        a record that keeps failing does not hide the ones behind it.
        """
        if isinstance(record_types, str):
            raise TypeError("record_types is a collection of types, not one string")
        if limit < 1:
            raise ValueError("limit must be at least 1")
        query = select(AppRecord).where(AppRecord.tenant_id == tenant_id, AppRecord.dirty)
        if record_types is not None:
            query = query.where(AppRecord.record_type.in_(sorted(record_types)))
        if after is not None:
            after_type, after_id = after
            query = query.where(
                or_(
                    AppRecord.record_type > after_type,
                    and_(AppRecord.record_type == after_type, AppRecord.app_id > after_id),
                )
            )
        query = query.order_by(AppRecord.record_type, AppRecord.app_id).limit(limit)
        with self._db.session() as session:
            return [_stored(row) for row in session.scalars(query)]

    def page(
        self,
        *,
        tenant_id: str,
        record_type: str,
        limit: int = 50,
        after: str | None = None,
    ) -> list[StoredRecord]:
        """The tenant's records of one type, dirty or not, in app id order (the console's
        Records page); ``after`` is the app id of the last record of the previous page."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        query = select(AppRecord).where(
            AppRecord.tenant_id == tenant_id, AppRecord.record_type == record_type
        )
        if after is not None:
            query = query.where(AppRecord.app_id > after)
        query = query.order_by(AppRecord.app_id).limit(limit)
        with self._db.session() as session:
            return [_stored(row) for row in session.scalars(query)]

    def counts(self, *, tenant_id: str) -> dict[str, RecordCounts]:
        """Per record type: how many records, how many dirty, how many deleted (the console)."""
        query = (
            select(
                AppRecord.record_type,
                func.count(),
                func.sum(case((AppRecord.dirty, 1), else_=0)),
                func.sum(case((AppRecord.deleted_at.is_not(None), 1), else_=0)),
            )
            .where(AppRecord.tenant_id == tenant_id)
            .group_by(AppRecord.record_type)
            .order_by(AppRecord.record_type)
        )
        with self._db.session() as session:
            return {
                record_type: RecordCounts(total=total, dirty=int(dirty), deleted=int(deleted))
                for record_type, total, dirty, deleted in session.execute(query)
            }

    # -- internals ----------------------------------------------------------------------------
    def _put(self, session: Session, tenant_id: str, batch: list[RecordInput]) -> list[PutResult]:
        now = self._clock()
        state = _stored_state(session, tenant_id, batch)
        inserts: dict[tuple[str, str], dict[str, Any]] = {}
        updates: dict[tuple[str, str], dict[str, Any]] = {}
        results: list[PutResult] = []
        for record in batch:
            key = (record.record_type, record.app_id)
            known = state.get(key)
            outcome: PutOutcome
            if known is None:
                outcome, dirty = "created", True
                inserts[key] = {
                    "tenant_id": tenant_id,
                    "record_type": record.record_type,
                    "app_id": record.app_id,
                    "payload": record.payload,
                    "content_hash": record.content_hash,
                    "received_at": now,
                    "first_received_at": now,
                    "updated_at": now,
                    "deleted_at": None,
                    "dirty": True,
                }
            else:
                content_hash, deleted, dirty = known
                # the row as it will be written: a pending insert, or an update by key
                row = inserts.get(key) or updates.setdefault(
                    key,
                    {"tenant_id": tenant_id, "record_type": key[0], "app_id": key[1]},
                )
                row["received_at"] = now
                if deleted or content_hash != record.content_hash:
                    outcome, dirty = "changed", True
                    row.update(
                        payload=record.payload,
                        content_hash=record.content_hash,
                        updated_at=now,
                        deleted_at=None,
                        dirty=True,
                    )
                else:
                    outcome = "unchanged"
            state[key] = (record.content_hash, False, dirty)
            results.append(
                PutResult(
                    record_type=record.record_type,
                    app_id=record.app_id,
                    outcome=outcome,
                    content_hash=record.content_hash,
                    dirty=dirty,
                )
            )
        if inserts:
            session.execute(insert(AppRecord), list(inserts.values()))
        # changed records: one UPDATE by primary key each (executemany); records received
        # again unchanged only get a new receipt time, the same for all: one UPDATE per chunk
        changed = [row for row in updates.values() if "content_hash" in row]
        if changed:
            session.execute(update(AppRecord), changed)
        received: dict[str, list[str]] = {}
        for row in updates.values():
            if "content_hash" not in row:
                received.setdefault(row["record_type"], []).append(row["app_id"])
        for record_type, unchanged in received.items():
            for start in range(0, len(unchanged), _CHUNK):
                session.execute(
                    update(AppRecord)
                    .where(
                        AppRecord.tenant_id == tenant_id,
                        AppRecord.record_type == record_type,
                        AppRecord.app_id.in_(unchanged[start : start + _CHUNK]),
                    )
                    .values(received_at=now)
                    .execution_options(synchronize_session=False)
                )
        return results

    def mark_clean_many(self, *, tenant_id: str, records: Iterable[tuple[str, str, str]]) -> None:
        """:meth:`mark_clean` for many pushed records in one transaction (the bulk push marks
        a whole batch request at once): ``(record_type, app_id, content_hash)`` each, pushed
        as records, not deletions. The same condition holds per record: one changed, deleted
        or restored while it was being pushed stays dirty.
        """
        keys = [
            {"b_tenant": tenant_id, "b_type": record_type, "b_id": app_id, "b_hash": pushed}
            for record_type, app_id, pushed in records
        ]
        if not keys:
            return
        statement = (
            update(AppRecord)
            .where(
                AppRecord.tenant_id == bindparam("b_tenant"),
                AppRecord.record_type == bindparam("b_type"),
                AppRecord.app_id == bindparam("b_id"),
                AppRecord.content_hash == bindparam("b_hash"),
                AppRecord.deleted_at.is_(None),
            )
            .values(dirty=False)
        )
        with self._db.transaction() as session:
            session.connection().execute(statement, keys)


def _stored_state(
    session: Session, tenant_id: str, batch: list[RecordInput]
) -> dict[tuple[str, str], tuple[str, bool, bool]]:
    """``(hash, deleted, dirty)`` of each record of the batch that is stored, its row locked.

    Rows are locked in one order (type, then app id), so that two imports that share records
    wait for each other instead of deadlocking (PostgreSQL).
    """
    state: dict[tuple[str, str], tuple[str, bool, bool]] = {}
    wanted: dict[str, set[str]] = {}
    for record in batch:
        wanted.setdefault(record.record_type, set()).add(record.app_id)
    for record_type in sorted(wanted):
        ordered = sorted(wanted[record_type])
        for start in range(0, len(ordered), _CHUNK):
            rows = session.execute(
                select(
                    AppRecord.app_id,
                    AppRecord.content_hash,
                    AppRecord.deleted_at,
                    AppRecord.dirty,
                )
                .where(
                    AppRecord.tenant_id == tenant_id,
                    AppRecord.record_type == record_type,
                    AppRecord.app_id.in_(ordered[start : start + _CHUNK]),
                )
                .order_by(AppRecord.app_id)
                .with_for_update()
            )
            for app_id, content_hash, deleted_at, dirty in rows:
                state[record_type, app_id] = (content_hash, deleted_at is not None, dirty)
    return state


def _check(record: RecordInput) -> None:
    """Refuse what would store a record nobody can find or push (a cheap guard)."""
    if not record.record_type or not record.app_id:
        raise ValueError(f"a record needs a record_type and an app_id, not {record!r}")
    if not isinstance(record.payload, dict):
        raise TypeError(
            f"the payload of {record.record_type} {record.app_id!r} must be a JSON object "
            f"(dict), not {type(record.payload).__name__}"
        )
    # here rather than in the driver: the error then names the record and reads the same on
    # SQLite and PostgreSQL (whose json type also refuses NaN, which json.dumps would write)
    try:
        json.dumps(record.payload, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"the payload of {record.record_type} {record.app_id!r} is not JSON ({exc}); "
            "money and dates go in as strings"
        ) from None
    if not record.content_hash:
        raise ValueError(f"{record.record_type} {record.app_id!r} has no content hash")


def _key(tenant_id: str, record_type: str, app_id: str) -> tuple[Any, ...]:
    return (
        AppRecord.tenant_id == tenant_id,
        AppRecord.record_type == record_type,
        AppRecord.app_id == app_id,
    )


def _locked(session: Session, tenant_id: str, record_type: str, app_id: str) -> AppRecord:
    """The row, locked until the transaction ends (PostgreSQL; SQLite locked at BEGIN)."""
    row = session.scalars(
        select(AppRecord).where(*_key(tenant_id, record_type, app_id)).with_for_update()
    ).one_or_none()
    if row is None:
        raise RecordNotFoundError(f"tenant {tenant_id!r} has no {record_type} {app_id!r}")
    return row


def _stored(row: AppRecord) -> StoredRecord:
    return StoredRecord(
        tenant_id=row.tenant_id,
        record_type=row.record_type,
        app_id=row.app_id,
        payload=row.payload,
        content_hash=row.content_hash,
        received_at=row.received_at,
        updated_at=row.updated_at,
        deleted_at=row.deleted_at,
        dirty=row.dirty,
        first_received_at=row.first_received_at,
    )
