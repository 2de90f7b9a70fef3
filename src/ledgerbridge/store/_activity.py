"""Activity: the questions the API, the console and ``/metrics`` ask across the sync tables.

Read-only, and each one query (or one per group), so that a page or a scrape costs the
database the same whatever the number of records: runs filtered by status and trigger, a
run's progress from its operations, the error queue grouped by cause, and the figures
``/metrics`` exposes for every tenant at once.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final, cast

from sqlalchemy import and_, func, or_, select

from ._database import Database
from ._errors import StoreError
from ._links import _record as _link
from ._records import LinkRecord, OperationStatus
from ._runs import RunRecord, RunStatus, RunTrigger
from ._runs import _record as _run_record
from ._tables import AppRecord, Link, Operation, Run

__all__ = ["ActivityStore", "FailureGroup", "StoreFigures"]

#: records a failure group lists (the count says how many there are in all)
_GROUP_SAMPLE: Final = 20


@dataclass(frozen=True)
class FailureGroup:
    """Failed records that share a cause: QBO's error code, or (without one) the message."""

    error_code: str | None
    #: the message of the group's newest failure (every one, when there is no code)
    message: str
    count: int
    #: up to 20 of its records, newest failure first
    records: tuple[LinkRecord, ...]


@dataclass(frozen=True)
class StoreFigures:
    """What ``/metrics`` exposes, for every tenant at once."""

    #: operation status -> how many operations have it
    operations: Mapping[str, int]
    #: attempts of every operation: the write requests sent to QBO
    write_requests: int
    #: (tenant, record type) -> records waiting to be pushed
    backlog: Mapping[tuple[str, str], int]
    #: (tenant, run status) -> runs queued or running
    open_runs: Mapping[tuple[str, str], int]


class ActivityStore:
    """Read-only questions over runs, operations, links and records."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def runs(
        self,
        *,
        tenant_id: str,
        status: RunStatus | None = None,
        trigger: RunTrigger | None = None,
        limit: int = 50,
        before: str | None = None,
    ) -> builtins.list[RunRecord]:
        """The tenant's runs, newest first, of this status and trigger when given.

        ``before``: the id of the last run of the previous page; a :class:`StoreError` if the
        tenant has no such run.
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        query = select(Run).where(Run.tenant_id == tenant_id)
        if status is not None:
            query = query.where(Run.status == status)
        if trigger is not None:
            query = query.where(Run.trigger == trigger)
        with self._db.session() as session:
            if before is not None:
                cursor = session.get(Run, before)
                if cursor is None or cursor.tenant_id != tenant_id:
                    raise StoreError(f"tenant {tenant_id!r} has no run {before!r}")
                query = query.where(
                    or_(
                        Run.created_at < cursor.created_at,
                        and_(Run.created_at == cursor.created_at, Run.id < cursor.id),
                    )
                )
            query = query.order_by(Run.created_at.desc(), Run.id.desc()).limit(limit)
            return [_run_record(row) for row in session.scalars(query)]

    def run_operations(self, *, tenant_id: str, run_id: str) -> dict[OperationStatus, int]:
        """Operation status -> how many of the run's operations have it (its progress)."""
        query = (
            select(Operation.status, func.count())
            .where(Operation.tenant_id == tenant_id, Operation.run_id == run_id)
            .group_by(Operation.status)
        )
        with self._db.session() as session:
            rows = session.execute(query).all()
        return {cast(OperationStatus, status): count for status, count in rows}

    def failure_groups(self, *, tenant_id: str) -> builtins.list[FailureGroup]:
        """The tenant's failed records grouped by cause, the largest group first."""
        failed = and_(Link.tenant_id == tenant_id, Link.last_result == "failed")
        # one message per code (any: the newest record's is shown); PostgreSQL wants an
        # aggregate for a column the group does not name
        counted = (
            select(
                Link.last_error_code, func.max(func.coalesce(Link.last_message, "")), func.count()
            )
            .where(failed, Link.last_error_code.is_not(None))
            .group_by(Link.last_error_code)
        )
        uncoded = (
            select(Link.last_error_code, func.coalesce(Link.last_message, ""), func.count())
            .where(failed, Link.last_error_code.is_(None))
            .group_by(Link.last_error_code, Link.last_message)  # the code: always NULL here
        )
        groups: list[FailureGroup] = []
        with self._db.session() as session:
            for code, message, count in [*session.execute(counted), *session.execute(uncoded)]:
                member = (
                    Link.last_error_code == code
                    if code is not None
                    else and_(
                        Link.last_error_code.is_(None),
                        func.coalesce(Link.last_message, "") == message,
                    )
                )
                rows = session.scalars(
                    select(Link)
                    .where(failed, member)
                    .order_by(Link.updated_at.desc(), Link.record_type, Link.app_id)
                    .limit(_GROUP_SAMPLE)
                ).all()
                records = tuple(_link(row) for row in rows)
                newest = records[0].last_message if records else None
                groups.append(FailureGroup(code, newest or message, count, records))
        groups.sort(key=lambda group: (-group.count, group.error_code or "", group.message))
        return groups

    def failed_keys(
        self, *, tenant_id: str, error_code: str | None = None, message: str | None = None
    ) -> builtins.list[tuple[str, str]]:
        """``(record_type, app_id)`` of every failed record of a group (``error_code``; or,
        without a code, ``message``), or of every failed record when neither is given."""
        query = select(Link.record_type, Link.app_id).where(
            Link.tenant_id == tenant_id, Link.last_result == "failed"
        )
        if error_code is not None:
            query = query.where(Link.last_error_code == error_code)
        elif message is not None:
            query = query.where(Link.last_error_code.is_(None), Link.last_message == message)
        with self._db.session() as session:
            return [(t, i) for t, i in session.execute(query.order_by(Link.record_type))]

    def failed_count(self, *, tenant_id: str) -> int:
        """How many of the tenant's records failed their last sync (the error queue's size,
        on every console page)."""
        query = select(func.count()).where(
            Link.tenant_id == tenant_id, Link.last_result == "failed"
        )
        with self._db.session() as session:
            return int(session.scalar(query) or 0)

    def finished_operations(
        self, *, tenant_id: str, since: datetime
    ) -> builtins.list[tuple[datetime, OperationStatus, str | None]]:
        """``(finished_at, status, error_code)`` of the tenant's operations finished since
        ``since``, oldest first: the console's dashboard buckets them by minute (two columns
        and a code per write, whatever the database's date functions)."""
        query = (
            select(Operation.finished_at, Operation.status, Operation.error_code)
            .where(Operation.tenant_id == tenant_id, Operation.finished_at >= since)
            .order_by(Operation.finished_at)
        )
        with self._db.session() as session:
            rows = session.execute(query).all()
        return [(at, cast(OperationStatus, status), code) for at, status, code in rows if at]

    def figures(self) -> StoreFigures:
        """The figures of every tenant (``/metrics``), in four grouped queries."""
        with self._db.session() as session:
            by_status = select(Operation.status, func.count()).group_by(Operation.status)
            operations: dict[str, int] = {row[0]: row[1] for row in session.execute(by_status)}
            attempts = session.scalar(select(func.coalesce(func.sum(Operation.attempts), 0)))
            backlog = session.execute(
                select(AppRecord.tenant_id, AppRecord.record_type, func.count())
                .where(AppRecord.dirty)
                .group_by(AppRecord.tenant_id, AppRecord.record_type)
            ).all()
            open_runs = session.execute(
                select(Run.tenant_id, Run.status, func.count())
                .where(Run.status.in_(("queued", "running")))
                .group_by(Run.tenant_id, Run.status)
            ).all()
        return StoreFigures(
            operations=operations,
            write_requests=int(attempts or 0),
            backlog={(tenant, kind): count for tenant, kind, count in backlog},
            open_runs={(tenant, status): count for tenant, status, count in open_runs},
        )
