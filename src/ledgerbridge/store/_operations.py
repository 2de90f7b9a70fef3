"""Operations: the engine's durable write log, one row per write to QBO.

An operation is stored *before* its request is sent, with the ``requestid`` it will carry. QBO
answers a request whose ``requestid`` it has seen with the first answer instead of writing
again, so an operation retried with its own ``requestid`` (after a timeout, a 5xx, a crash) can
never create an object twice. The ``requestid`` is therefore made once, by :meth:`create`, and
never changed.

Life cycle::

    create ──> queued ──start──> running ──succeed──> succeeded
                 │  ^               │ │
                 │  └───requeue─────┘ └──fail / skip──> failed / skipped
                 └──────────fail / skip───────────────> failed / skipped

* ``start``: an attempt begins (``attempts`` + 1); it may record the body it sends.
* ``requeue``: the attempt ended without a definite answer (throttled, a 5xx, a timeout, the
  worker died): the operation waits for another attempt with the same ``requestid``.
* ``succeed``: QBO answered with the object; its Id and SyncToken are kept.
* ``fail``: a definite refusal (validation, a closed period, ...), or a mapping that refused
  before anything was sent. A retry after the data is fixed sends another body and is a new
  operation with a new ``requestid``: reusing the old one would make QBO replay the refusal.
* ``skip``: nothing to send after all (not eligible, unchanged, already applied).

Anything else raises :class:`InvalidTransitionError`: an engine that records steps out of order
has a bug that must not be papered over. Each transition locks the row (``FOR UPDATE`` on
PostgreSQL, the write lock on SQLite), so of two workers starting one operation one wins.

A record has at most one unfinished (queued or running) operation, which a partial unique
index enforces: :meth:`create` raises :class:`OperationPendingError` while one is open, and
:meth:`open_for` finds it, so that after a crash the engine resumes it with its ``requestid``.

In bulk. The bulk push plans a whole wave of writes and sends it at once, many per batch
request; one transaction per write would cost more than the write. :meth:`create_many`
stores a wave's operations in one transaction, started at once when asked (``start=True``:
they are sent right away, so after a crash each counts as possibly sent and is looked up in
QBO, by DocNumber or name, before it is sent again); :meth:`finish_many` applies many
outcomes (succeed, fail, skip or requeue, with the same transition rules) in one transaction;
:meth:`open_of` finds every unfinished operation of a tenant in one query, and
:meth:`restart_many` begins another attempt of those (a running one is requeued and started
again in the same transaction), each with its own ``requestid``.
"""

from __future__ import annotations

import builtins
import os
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Final, Literal, cast

from sqlalchemy import Table, and_, bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ._database import Database
from ._errors import (
    InvalidTransitionError,
    OperationNotFoundError,
    OperationPendingError,
    TenantNotFoundError,
)
from ._records import (
    JSONDocument,
    OperationAction,
    OperationRecord,
    OperationStatus,
    OperationTrigger,
    utcnow,
)
from ._tables import (
    OPEN_OPERATION_STATUSES,
    OPERATION_ACTIONS,
    OPERATION_TRIGGERS,
    Operation,
    Tenant,
)

__all__ = ["OperationOutcome", "OperationStore", "PlannedOperation"]

#: for each status, the statuses an operation may reach it from
_ALLOWED_FROM: Final[dict[OperationStatus, tuple[OperationStatus, ...]]] = {
    "running": ("queued",),
    "queued": ("running",),
    "succeeded": ("running",),
    "failed": ("queued", "running"),
    "skipped": ("queued", "running"),
}

#: the fields of an OperationRecord, each a column of the same name
_RECORD_FIELDS: Final = tuple(f.name for f in fields(OperationRecord))
#: the operations table itself, for inserts that build no ORM objects
_OPERATIONS: Final = cast(Table, Operation.__table__)
#: values per ``IN (...)``: well under SQLite's and PostgreSQL's bound-parameter limits
_IN_CHUNK: Final = 500
#: keys per ``IN (...)``: far below SQLite's and PostgreSQL's limits on bound parameters
_CHUNK: Final = 500


@dataclass(frozen=True)
class PlannedOperation:
    """One write of a wave, for :meth:`OperationStore.create_many`."""

    record_type: str
    app_id: str
    qbo_type: str
    action: OperationAction
    payload: JSONDocument | None = None


@dataclass(frozen=True)
class OperationOutcome:
    """How one operation ended, for :meth:`OperationStore.finish_many`: ``succeeded`` (with
    the QBO object), ``failed``, ``skipped``, or ``queued`` again (no definite answer)."""

    operation_id: str
    status: Literal["succeeded", "failed", "skipped", "queued"]
    qbo_id: str | None = None
    sync_token: str | None = None
    intuit_tid: str | None = None
    error_code: str | None = None
    message: str | None = None

    def __post_init__(self) -> None:
        if self.status == "succeeded" and not self.qbo_id:
            raise ValueError("a succeeded operation names its QBO object (qbo_id)")
        if self.status in ("failed", "skipped") and not self.message:
            raise ValueError(f"a {self.status} operation says why (message)")


class OperationStore:
    """The repository of operations. Every call takes the tenant and filters on it."""

    def __init__(self, database: Database, *, clock: Callable[[], datetime] = utcnow) -> None:
        """
        :param clock: the current time, timezone-aware (tests move it)
        """
        self._db = database
        self._clock = clock

    # -- create -------------------------------------------------------------------------------
    def create(
        self,
        *,
        tenant_id: str,
        realm_id: str,
        record_type: str,
        app_id: str,
        qbo_type: str,
        action: OperationAction,
        trigger: OperationTrigger,
        run_id: str | None = None,
        payload: JSONDocument | None = None,
    ) -> OperationRecord:
        """Queue a write, with its ``requestid`` made here once for all its attempts.

        ``realm_id`` pins it to the company it was planned for: after a reconnect to another
        company it must not be sent there. Raises :class:`OperationPendingError` if the record
        has an unfinished operation (resume that one: :meth:`open_for`), and
        :class:`TenantNotFoundError` for an unknown tenant.
        """
        if action not in OPERATION_ACTIONS:
            raise ValueError(f"action must be one of {OPERATION_ACTIONS}, not {action!r}")
        if trigger not in OPERATION_TRIGGERS:
            raise ValueError(f"trigger must be one of {OPERATION_TRIGGERS}, not {trigger!r}")
        try:
            with self._db.transaction() as session:
                if session.get(Tenant, tenant_id) is None:
                    raise TenantNotFoundError(f"no tenant {tenant_id!r}")
                pending = _open(session, tenant_id, record_type, app_id)
                if pending is not None:
                    raise _pending(pending.id, record_type, app_id)
                row = Operation(
                    id=uuid.uuid4().hex,
                    tenant_id=tenant_id,
                    realm_id=realm_id,
                    record_type=record_type,
                    app_id=app_id,
                    qbo_type=qbo_type,
                    action=action,
                    status="queued",
                    request_id=uuid.uuid4().hex,
                    trigger=trigger,
                    run_id=run_id,
                    payload=payload,
                    attempts=0,
                    created_at=self._clock(),
                )
                session.add(row)
                session.flush()
                record = _record(row)
        except IntegrityError:
            # PostgreSQL: a concurrent create for this record passed the check first; the
            # partial unique index refused the second
            pending_record = self.open_for(
                tenant_id=tenant_id, record_type=record_type, app_id=app_id
            )
            raise _pending(
                None if pending_record is None else pending_record.id, record_type, app_id
            ) from None
        return record

    def create_many(
        self,
        *,
        tenant_id: str,
        realm_id: str,
        trigger: OperationTrigger,
        operations: Sequence[PlannedOperation],
        run_id: str | None = None,
        start: bool = False,
    ) -> builtins.list[OperationRecord]:
        """:meth:`create` for a wave of writes in one transaction, all or none; with
        ``start`` each is started too (running, first attempt). One result per operation.

        Raises :class:`OperationPendingError` if any record has an unfinished operation, or
        appears twice (resume those: :meth:`open_of`).
        """
        if trigger not in OPERATION_TRIGGERS:
            raise ValueError(f"trigger must be one of {OPERATION_TRIGGERS}, not {trigger!r}")
        for planned in operations:
            if planned.action not in OPERATION_ACTIONS:
                raise ValueError(
                    f"action must be one of {OPERATION_ACTIONS}, not {planned.action!r}"
                )
        keys = [(planned.record_type, planned.app_id) for planned in operations]
        if len(set(keys)) != len(keys):
            record_type, app_id = next(k for k in keys if keys.count(k) > 1)
            raise _pending(None, record_type, app_id)
        if not operations:
            return []
        now = self._clock()
        ids = _new_ids(2 * len(operations))
        rows: list[dict[str, Any]] = [
            {
                "id": ids[2 * n],
                "tenant_id": tenant_id,
                "realm_id": realm_id,
                "record_type": planned.record_type,
                "app_id": planned.app_id,
                "qbo_type": planned.qbo_type,
                "action": planned.action,
                "status": "running" if start else "queued",
                "request_id": ids[2 * n + 1],
                "trigger": trigger,
                "run_id": run_id,
                "payload": planned.payload,
                "attempts": 1 if start else 0,
                "created_at": now,
                "started_at": now if start else None,
            }
            for n, planned in enumerate(operations)
        ]
        try:
            with self._db.transaction() as session:
                if session.get(Tenant, tenant_id) is None:
                    raise TenantNotFoundError(f"no tenant {tenant_id!r}")
                pending = _open_ids(session, tenant_id, keys)
                clash = next((key for key in keys if key in pending), None)
                if clash is not None:
                    raise _pending(pending[clash], *clash)
                # Core, not the ORM's bulk insert: thousands of rows, no objects wanted
                session.connection().execute(insert(_OPERATIONS), rows)
        except IntegrityError:
            # PostgreSQL: a concurrent create for one of these records passed the check first
            raise _pending(None, *keys[0]) from None
        return [_record_of(row) for row in rows]

    def finish_many(self, *, tenant_id: str, outcomes: Sequence[OperationOutcome]) -> None:
        """Apply many outcomes in one transaction, all or none, each checked as
        :meth:`succeed`, :meth:`fail`, :meth:`skip` or :meth:`requeue` check theirs."""
        if not outcomes:
            return
        now = self._clock()
        ids = [outcome.operation_id for outcome in outcomes]
        with self._db.transaction() as session:
            statuses = _locked_statuses(session, tenant_id, ids)
            groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for outcome in outcomes:
                current = statuses.get(outcome.operation_id)
                if current is None:
                    raise OperationNotFoundError(
                        f"tenant {tenant_id!r} has no operation {outcome.operation_id}"
                    )
                allowed = _ALLOWED_FROM[outcome.status]
                if current not in allowed:
                    raise InvalidTransitionError(
                        outcome.operation_id,
                        current=current,
                        target=outcome.status,
                        allowed=allowed,
                    )
                statuses[outcome.operation_id] = outcome.status
                values = _outcome_values(outcome, now)
                groups.setdefault(tuple(sorted(values)), []).append(values)
            for columns, rows in groups.items():
                statement = (
                    update(Operation)
                    .where(
                        Operation.tenant_id == bindparam("k_tenant"),
                        Operation.id == bindparam("k_id"),
                    )
                    .values(
                        {name: bindparam(name) for name in columns if not name.startswith("k_")}
                    )
                )
                params = [{**row, "k_tenant": tenant_id} for row in rows]
                session.connection().execute(statement, params)

    def restart_many(self, *, tenant_id: str, operation_ids: Sequence[str]) -> None:
        """Another attempt of unfinished operations, in one transaction: a queued one is
        started, a running one (cut short by a crash) requeued and started again; each keeps
        its ``requestid``. Raises :class:`InvalidTransitionError` for a finished one."""
        if not operation_ids:
            return
        now = self._clock()
        with self._db.transaction() as session:
            rows = _locked_rows(session, tenant_id, operation_ids)
            for operation_id in operation_ids:
                row = rows.get(operation_id)
                if row is None:
                    raise OperationNotFoundError(
                        f"tenant {tenant_id!r} has no operation {operation_id}"
                    )
                if row.status not in OPEN_OPERATION_STATUSES:
                    raise InvalidTransitionError(
                        row.id, current=row.status, target="running", allowed=("queued",)
                    )
                row.status = "running"
                row.attempts += 1
                row.started_at = now

    # -- transitions --------------------------------------------------------------------------
    def start(
        self, *, tenant_id: str, operation_id: str, payload: JSONDocument | None = None
    ) -> OperationRecord:
        """queued → running: an attempt begins; ``payload``, if given, is the body it sends."""
        now = self._clock()

        def change(row: Operation) -> None:
            row.attempts += 1
            row.started_at = now
            if payload is not None:
                row.payload = payload

        return self._move(tenant_id, operation_id, "running", change)

    def requeue(
        self,
        *,
        tenant_id: str,
        operation_id: str,
        message: str | None = None,
        error_code: str | None = None,
        intuit_tid: str | None = None,
    ) -> OperationRecord:
        """running → queued: no definite answer; the next attempt reuses the ``requestid``.

        The message (e.g. "QuickBooks is busy; trying again in a minute") and error code are
        kept for the console until the operation finishes.
        """

        def change(row: Operation) -> None:
            row.message = message
            row.error_code = error_code
            row.intuit_tid = intuit_tid

        return self._move(tenant_id, operation_id, "queued", change)

    def succeed(
        self,
        *,
        tenant_id: str,
        operation_id: str,
        qbo_id: str,
        sync_token: str | None = None,
        intuit_tid: str | None = None,
        message: str | None = None,
    ) -> OperationRecord:
        """running → succeeded, with the QBO object's Id and SyncToken as QBO answered."""
        now = self._clock()

        def change(row: Operation) -> None:
            row.qbo_id = qbo_id
            row.sync_token = sync_token
            row.intuit_tid = intuit_tid
            row.error_code = None
            row.message = message
            row.finished_at = now

        return self._move(tenant_id, operation_id, "succeeded", change)

    def fail(
        self,
        *,
        tenant_id: str,
        operation_id: str,
        message: str,
        error_code: str | None = None,
        intuit_tid: str | None = None,
    ) -> OperationRecord:
        """queued or running → failed: a definite refusal; ``message`` says what to fix."""
        now = self._clock()

        def change(row: Operation) -> None:
            row.message = message
            row.error_code = error_code
            row.intuit_tid = intuit_tid
            row.finished_at = now

        return self._move(tenant_id, operation_id, "failed", change)

    def skip(self, *, tenant_id: str, operation_id: str, message: str) -> OperationRecord:
        """queued or running → skipped: nothing to send after all; ``message`` says why."""
        now = self._clock()

        def change(row: Operation) -> None:
            row.message = message
            row.finished_at = now

        return self._move(tenant_id, operation_id, "skipped", change)

    # -- reads --------------------------------------------------------------------------------
    def get(self, *, tenant_id: str, operation_id: str) -> OperationRecord | None:
        """The operation, or ``None`` (also for another tenant's)."""
        with self._db.session() as session:
            row = _find(session, tenant_id, operation_id)
            return None if row is None else _record(row)

    def open_for(self, *, tenant_id: str, record_type: str, app_id: str) -> OperationRecord | None:
        """The record's unfinished (queued or running) operation, or ``None``.

        A running one found at start-up was cut short by a crash: look in QBO for its outcome,
        then ``succeed`` it or ``requeue`` and ``start`` it again, with its own ``requestid``.
        """
        with self._db.session() as session:
            row = _open(session, tenant_id, record_type, app_id)
            return None if row is None else _record(row)

    def open_of(
        self, *, tenant_id: str, record_types: Collection[str] | None = None
    ) -> dict[tuple[str, str], OperationRecord]:
        """Every unfinished operation of the tenant (of these record types), by
        ``(record_type, app_id)``: what a crash left behind, for the resume."""
        if isinstance(record_types, str):
            raise TypeError("record_types is a collection of types, not one string")
        with self._db.session() as session:
            found = _open_of(session, tenant_id, record_types)
            return {key: _record(row) for key, row in found.items()}

    def list(
        self,
        *,
        tenant_id: str,
        status: OperationStatus | None = None,
        record_type: str | None = None,
        app_id: str | None = None,
        run_id: str | None = None,
        limit: int = 100,
        before: str | None = None,
    ) -> builtins.list[OperationRecord]:
        """Operations, newest first, filtered by whichever arguments are given.

        ``before`` is the id of the last operation of the previous page; raises
        :class:`OperationNotFoundError` if the tenant has no such operation.
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        query = select(Operation).where(Operation.tenant_id == tenant_id)
        if status is not None:
            query = query.where(Operation.status == status)
        if record_type is not None:
            query = query.where(Operation.record_type == record_type)
        if app_id is not None:
            query = query.where(Operation.app_id == app_id)
        if run_id is not None:
            query = query.where(Operation.run_id == run_id)
        with self._db.session() as session:
            if before is not None:
                cursor = _find(session, tenant_id, before)
                if cursor is None:
                    raise OperationNotFoundError(f"tenant {tenant_id!r} has no operation {before}")
                # (created_at, id) is a total order: equal timestamps do not lose rows
                query = query.where(
                    or_(
                        Operation.created_at < cursor.created_at,
                        and_(Operation.created_at == cursor.created_at, Operation.id < cursor.id),
                    )
                )
            query = query.order_by(Operation.created_at.desc(), Operation.id.desc()).limit(limit)
            return [_record(row) for row in session.scalars(query)]

    # -- internals ----------------------------------------------------------------------------
    def _move(
        self,
        tenant_id: str,
        operation_id: str,
        target: OperationStatus,
        change: Callable[[Operation], None],
    ) -> OperationRecord:
        """Lock the row, check the transition, apply ``change``; one transaction."""
        allowed = _ALLOWED_FROM[target]
        with self._db.transaction() as session:
            row = session.scalars(
                select(Operation)
                .where(Operation.id == operation_id, Operation.tenant_id == tenant_id)
                .with_for_update()
            ).one_or_none()
            if row is None:
                raise OperationNotFoundError(
                    f"tenant {tenant_id!r} has no operation {operation_id}"
                )
            if row.status not in allowed:
                raise InvalidTransitionError(
                    operation_id, current=row.status, target=target, allowed=allowed
                )
            row.status = target
            change(row)
            session.flush()
            return _record(row)


def _find(session: Session, tenant_id: str, operation_id: str) -> Operation | None:
    return session.scalars(
        select(Operation).where(Operation.id == operation_id, Operation.tenant_id == tenant_id)
    ).one_or_none()


def _open(session: Session, tenant_id: str, record_type: str, app_id: str) -> Operation | None:
    return session.scalars(
        select(Operation).where(
            Operation.tenant_id == tenant_id,
            Operation.record_type == record_type,
            Operation.app_id == app_id,
            Operation.status.in_(OPEN_OPERATION_STATUSES),
        )
    ).one_or_none()


def _locked_rows(
    session: Session, tenant_id: str, operation_ids: Sequence[str]
) -> dict[str, Operation]:
    """The tenant's operations of these ids, locked, by id."""
    rows: dict[str, Operation] = {}
    ids = list(operation_ids)
    for start in range(0, len(ids), _CHUNK):
        query = (
            select(Operation)
            .where(Operation.tenant_id == tenant_id, Operation.id.in_(ids[start : start + _CHUNK]))
            .with_for_update()
        )
        rows.update((row.id, row) for row in session.scalars(query))
    return rows


def _locked_statuses(
    session: Session, tenant_id: str, operation_ids: Sequence[str]
) -> dict[str, OperationStatus]:
    """The status of each of the tenant's operations of these ids, locked."""
    found: dict[str, OperationStatus] = {}
    ids = list(operation_ids)
    for start in range(0, len(ids), _CHUNK):
        query = (
            select(Operation.id, Operation.status)
            .where(Operation.tenant_id == tenant_id, Operation.id.in_(ids[start : start + _CHUNK]))
            .with_for_update()
        )
        for operation_id, status in session.execute(query):
            found[operation_id] = cast(OperationStatus, status)
    return found


def _outcome_values(outcome: OperationOutcome, now: datetime) -> dict[str, Any]:
    """The columns an outcome sets (``k_id``: the row's key)."""
    values: dict[str, Any] = {
        "k_id": outcome.operation_id,
        "status": outcome.status,
        "message": outcome.message,
        "error_code": outcome.error_code,
        "intuit_tid": outcome.intuit_tid,
    }
    if outcome.status == "succeeded":
        values["qbo_id"] = outcome.qbo_id
        values["sync_token"] = outcome.sync_token
    if outcome.status != "queued":
        values["finished_at"] = now
    return values


def _new_ids(count: int) -> list[str]:
    """``count`` random ids of 32 hex digits (128 bits, as ``uuid4().hex``), from one read of
    the system's random source instead of one per id: a bulk push makes thousands."""
    text = os.urandom(16 * count).hex()
    return [text[start : start + 32] for start in range(0, 32 * count, 32)]


def _open_ids(
    session: Session, tenant_id: str, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], str]:
    """The ids of the unfinished operations of these records, by ``(record_type, app_id)``
    (two columns, not the rows with their payloads: a bulk push asks once per chunk)."""
    by_type: dict[str, list[str]] = {}
    for record_type, app_id in keys:
        by_type.setdefault(record_type, []).append(app_id)
    found: dict[tuple[str, str], str] = {}
    for record_type, app_ids in sorted(by_type.items()):
        for start in range(0, len(app_ids), _IN_CHUNK):
            query = select(Operation.app_id, Operation.id).where(
                Operation.tenant_id == tenant_id,
                Operation.record_type == record_type,
                Operation.app_id.in_(app_ids[start : start + _IN_CHUNK]),
                Operation.status.in_(OPEN_OPERATION_STATUSES),
            )
            found.update({(record_type, app_id): op_id for app_id, op_id in session.execute(query)})
    return found


def _open_of(
    session: Session, tenant_id: str, record_types: Collection[str] | None
) -> dict[tuple[str, str], Operation]:
    query = select(Operation).where(
        Operation.tenant_id == tenant_id, Operation.status.in_(OPEN_OPERATION_STATUSES)
    )
    if record_types is not None:
        query = query.where(Operation.record_type.in_(sorted(record_types)))
    return {(row.record_type, row.app_id): row for row in session.scalars(query)}


def _pending(operation_id: str | None, record_type: str, app_id: str) -> OperationPendingError:
    return OperationPendingError(
        f"{record_type} {app_id!r} has an unfinished operation {operation_id}: resume it",
        operation_id=operation_id,
    )


def _record_of(values: dict[str, Any]) -> OperationRecord:
    """The record of a row inserted from ``values`` (the columns it left out are null)."""
    every: dict[str, Any] = {name: values.get(name) for name in _RECORD_FIELDS}
    return OperationRecord(**every)


def _record(row: Operation) -> OperationRecord:
    return OperationRecord(
        id=row.id,
        tenant_id=row.tenant_id,
        realm_id=row.realm_id,
        record_type=row.record_type,
        app_id=row.app_id,
        qbo_type=row.qbo_type,
        action=cast(OperationAction, row.action),
        status=cast(OperationStatus, row.status),
        request_id=row.request_id,
        trigger=cast(OperationTrigger, row.trigger),
        run_id=row.run_id,
        payload=row.payload,
        qbo_id=row.qbo_id,
        sync_token=row.sync_token,
        intuit_tid=row.intuit_tid,
        error_code=row.error_code,
        message=row.message,
        attempts=row.attempts,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )
