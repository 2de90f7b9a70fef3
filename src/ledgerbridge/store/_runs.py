"""Sync runs and leases: the durable side of the jobs (``ledgerbridge.worker``).

Runs
====

A run is written when it is requested (``queued``), before any job is enqueued: a job lost
with a killed worker then loses nothing, because the sweeper finds the queued run. A run
belongs to a *lane*: the lease name of the QBO company its tenant is connected to. The worker
holding a lane's lease runs the lane's queued runs one after the other, due first::

    request ──> queued ──start──> running ──finish──> succeeded | partial | failed
                  ^                  │
                  └──────────────────┘ its worker died: whoever takes the lane next requeues it

Auto, scheduled and sweeper runs *coalesce*: while one of them is queued and not yet started,
a second request of the same tenant and trigger joins it instead of adding a run (a partial
unique index guards this on PostgreSQL too). That is the debounce of auto-sync: saves made
before the run is due all land in it.

Leases
======

A lease is a named row held by one worker (a token made at each acquisition) until it
expires; the holder renews it while it works. A worker killed while holding one needs no
clean-up: when the lease expires, the next worker takes it, and takes over the runs the dead
one had started (they go back to ``queued``, and run again: pushing is idempotent).

A lane must never be released while a run waits in it, or that run would wait for the
sweeper. :meth:`RunStore.next_or_release` therefore looks for the next run and releases the
lease in one write transaction, and :meth:`RunStore.request` locks the lease row when it adds
a run: the two are serialized (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: the row lock), so a
run is either seen by the lane before it lets go, or added after it let go, in which case
the requester's kick finds the lane free.
"""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final, Literal, TypeAlias, get_args

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ._database import Database
from ._errors import StoreError, TenantNotFoundError
from ._records import Environment, utcnow
from ._tables import (
    COALESCING_TRIGGERS,
    AppRecord,
    Connection,
    Lease,
    Run,
    Tenant,
)

__all__ = [
    "LeaseGrant",
    "LeaseLostError",
    "RunNotFoundError",
    "RunRecord",
    "RunRequest",
    "RunStatus",
    "RunStore",
    "RunTrigger",
]

RunTrigger: TypeAlias = Literal["manual", "bulk", "auto", "scheduled", "sweeper"]
RunStatus: TypeAlias = Literal["queued", "running", "succeeded", "partial", "failed"]
_TRIGGERS: Final = frozenset(get_args(RunTrigger))
_FINISHED: Final = ("succeeded", "partial", "failed")
_OPEN: Final = ("queued", "running")


class RunNotFoundError(StoreError):
    """No run has this id (for this tenant)."""


class LeaseLostError(StoreError):
    """The lease expired and another worker took it: stop, the other one carries on."""

    user_message = "Another worker took over this sync; it carries on from here."


@dataclass(frozen=True)
class RunRecord:
    """A sync run as the store holds it."""

    id: str
    tenant_id: str
    lane: str
    trigger: RunTrigger
    status: RunStatus
    #: push the dirty records of these types (``None``: of every type) ...
    record_types: frozenset[str] | None
    #: ... or exactly these ``(record_type, app_id)`` records
    records: tuple[tuple[str, str], ...] | None
    counts: Mapping[str, int]
    error: str | None
    attempts: int
    created_at: datetime
    due_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        """Whether the run has ended (succeeded, partial or failed)."""
        return self.status in _FINISHED


@dataclass(frozen=True)
class RunRequest:
    """What :meth:`RunStore.request` did: a new run, or a queued one the request joined."""

    run: RunRecord
    created: bool


@dataclass(frozen=True)
class LeaseGrant:
    """A lease just taken: its token, and the runs of a dead holder put back in the queue."""

    token: str
    resumed: tuple[str, ...] = field(default=())


class RunStore:
    """The repository of sync runs and leases."""

    def __init__(self, database: Database, *, clock: Callable[[], datetime] = utcnow) -> None:
        """
        :param clock: the current time, timezone-aware (tests move it); leases expire by it,
            so the workers sharing a database need synchronised clocks
        """
        self._db = database
        self._clock = clock

    # -- requests -----------------------------------------------------------------------------
    def request(
        self,
        *,
        tenant_id: str,
        lane: str,
        trigger: RunTrigger,
        record_types: Collection[str] | None = None,
        records: Iterable[tuple[str, str]] | None = None,
        due_in: timedelta = timedelta(0),
    ) -> RunRequest:
        """Queue a run, or join the queued run of the same tenant and coalescing trigger.

        ``records`` names the records to push (dirty or not); else the dirty records of
        ``record_types`` (``None``: every type) are pushed. ``due_in`` delays the start (the
        debounce window). A joined run keeps its due time and takes the union of the types.
        Raises :class:`TenantNotFoundError` for an unknown tenant.
        """
        if trigger not in _TRIGGERS:
            raise ValueError(f"trigger must be one of {sorted(_TRIGGERS)}, not {trigger!r}")
        if isinstance(record_types, str):
            raise TypeError("record_types is a collection of types, not one string")
        wanted = None if records is None else [[str(t), str(i)] for t, i in records]
        if wanted is not None and record_types is not None:
            raise ValueError("give record_types or records, not both")
        types = None if record_types is None else sorted(set(record_types))
        for attempt in range(2):
            try:
                with self._db.transaction() as session:
                    return self._request(session, tenant_id, lane, trigger, types, wanted, due_in)
            except IntegrityError:
                # PostgreSQL: a concurrent request queued the coalescing run first; the
                # second attempt joins it
                if attempt:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _request(
        self,
        session: Session,
        tenant_id: str,
        lane: str,
        trigger: RunTrigger,
        types: list[str] | None,
        records: list[list[str]] | None,
        due_in: timedelta,
    ) -> RunRequest:
        if session.get(Tenant, tenant_id) is None:
            raise TenantNotFoundError(f"no tenant {tenant_id!r}")
        # serializes with the lane's next_or_release (module docstring)
        session.execute(select(Lease.name).where(Lease.name == lane).with_for_update())
        if records is None and trigger in COALESCING_TRIGGERS:
            queued = session.scalars(
                select(Run)
                .where(
                    Run.tenant_id == tenant_id,
                    Run.trigger == trigger,
                    Run.status == "queued",
                    Run.attempts == 0,
                )
                .with_for_update()
            ).one_or_none()
            if queued is not None:
                queued.record_types = (
                    None
                    if queued.record_types is None or types is None
                    else sorted({*queued.record_types, *types})
                )
                queued.lane = lane
                return RunRequest(_record(queued), created=False)
        now = self._clock()
        row = Run(
            id=uuid.uuid4().hex,
            tenant_id=tenant_id,
            lane=lane,
            trigger=trigger,
            status="queued",
            record_types=types,
            records=records,
            counts={},
            error=None,
            attempts=0,
            lease=None,
            created_at=now,
            due_at=now + due_in,
            started_at=None,
            finished_at=None,
        )
        session.add(row)
        session.flush()
        return RunRequest(_record(row), created=True)

    # -- the lane's side ----------------------------------------------------------------------
    def next_or_release(self, lane: str, token: str) -> RunRecord | None:
        """The lane's queued run due first; if there is none, the lease is released.

        One transaction, so that a run requested meanwhile is never stranded (module
        docstring). Raises :class:`LeaseLostError` if ``token`` no longer holds the lease.
        """
        with self._db.transaction() as session:
            lease = self._held(session, lane, token)
            row = session.scalars(
                select(Run)
                .where(Run.lane == lane, Run.status == "queued")
                .order_by(Run.due_at, Run.created_at, Run.id)
                .limit(1)
            ).one_or_none()
            if row is not None:
                return _record(row)
            lease.token = None
            lease.expires_at = None
            return None

    def start(self, run_id: str, token: str) -> RunRecord:
        """queued → running, under the lane's lease ``token``."""
        now = self._clock()
        with self._db.transaction() as session:
            row = self._run(session, run_id)
            self._held(session, row.lane, token)
            if row.status != "queued":
                raise ValueError(f"run {run_id} is {row.status}, not queued")
            row.status = "running"
            row.lease = token
            row.attempts += 1
            row.started_at = now
            return _record(row)

    def finish(
        self,
        run_id: str,
        token: str,
        *,
        status: Literal["succeeded", "partial", "failed"],
        counts: Mapping[str, int],
        error: str | None = None,
    ) -> RunRecord:
        """running → ``status``, with the counts per outcome and, for a failed run, why.

        Raises :class:`LeaseLostError` if the run is no longer this lease's: the worker that
        took the lane over runs it again.
        """
        if status not in _FINISHED:
            raise ValueError(f"a run finishes as one of {_FINISHED}, not {status!r}")
        now = self._clock()
        with self._db.transaction() as session:
            row = self._run(session, run_id)
            if row.status != "running" or row.lease != token:
                raise LeaseLostError(f"run {run_id} is no longer run under this lease")
            row.status = status
            row.counts = dict(counts)
            row.error = error
            row.lease = None
            row.finished_at = now
            return _record(row)

    # -- leases -------------------------------------------------------------------------------
    def take_lease(self, name: str, *, holder: str, ttl: timedelta) -> LeaseGrant | None:
        """Take the lease if it is free or expired; ``None`` while another holder has it.

        Runs that were running in a lane of that name belonged to a holder whose lease is
        gone: they go back to ``queued`` (``LeaseGrant.resumed``).
        """
        for attempt in range(2):
            try:
                with self._db.transaction() as session:
                    return self._take(session, name, holder, ttl)
            except IntegrityError:
                # PostgreSQL: a concurrent first acquisition inserted the row; look again
                if attempt:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _take(self, session: Session, name: str, holder: str, ttl: timedelta) -> LeaseGrant | None:
        now = self._clock()
        row = session.scalars(select(Lease).where(Lease.name == name).with_for_update()).first()
        if row is None:
            row = Lease(name=name)
            session.add(row)
        elif row.token is not None and row.expires_at is not None and row.expires_at > now:
            return None
        row.token = uuid.uuid4().hex
        row.holder = holder[:255]
        row.acquired_at = now
        row.expires_at = now + ttl
        session.flush()
        abandoned = session.scalars(
            select(Run.id).where(Run.lane == name, Run.status == "running")
        ).all()
        if abandoned:
            session.execute(
                update(Run)
                .where(Run.id.in_(abandoned))
                .values(status="queued", lease=None)
                .execution_options(synchronize_session=False)
            )
        return LeaseGrant(token=row.token, resumed=tuple(abandoned))

    def renew_lease(self, name: str, token: str, *, ttl: timedelta) -> bool:
        """Extend the lease by ``ttl`` from now; ``False`` if ``token`` lost it meanwhile."""
        now = self._clock()
        with self._db.transaction() as session:
            renewed = (
                session.connection()
                .execute(
                    update(Lease)
                    .where(Lease.name == name, Lease.token == token, Lease.expires_at > now)
                    .values(expires_at=now + ttl)
                )
                .rowcount
            )
        return renewed == 1

    def release_lease(self, name: str, token: str) -> None:
        """Let go of the lease (nothing happens if ``token`` no longer holds it)."""
        with self._db.transaction() as session:
            session.execute(
                update(Lease)
                .where(Lease.name == name, Lease.token == token)
                .values(token=None, expires_at=None)
            )

    def lease_holder(self, name: str) -> str | None:
        """Who holds the lease now (host and process), or ``None`` when it is free."""
        with self._db.session() as session:
            row = session.get(Lease, name)
            if row is None or row.token is None or row.expires_at is None:
                return None
            return row.holder if row.expires_at > self._clock() else None

    # -- reads --------------------------------------------------------------------------------
    def get(self, *, tenant_id: str, run_id: str) -> RunRecord | None:
        """The run, or ``None`` (also for another tenant's)."""
        with self._db.session() as session:
            row = session.get(Run, run_id)
            return None if row is None or row.tenant_id != tenant_id else _record(row)

    def list(self, *, tenant_id: str, limit: int = 50) -> builtins.list[RunRecord]:
        """The tenant's runs, newest first."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        query = (
            select(Run)
            .where(Run.tenant_id == tenant_id)
            .order_by(Run.created_at.desc(), Run.id)
            .limit(limit)
        )
        with self._db.session() as session:
            return [_record(row) for row in session.scalars(query)]

    def last_requested(self, *, tenant_id: str, trigger: RunTrigger) -> datetime | None:
        """When the tenant's newest run of ``trigger`` was requested (the schedules)."""
        with self._db.session() as session:
            return session.scalar(
                select(func.max(Run.created_at)).where(
                    Run.tenant_id == tenant_id, Run.trigger == trigger
                )
            )

    def has_open_runs(self, *, tenant_id: str) -> bool:
        """Whether the tenant has a queued or running run."""
        with self._db.session() as session:
            found = session.scalar(
                select(Run.id).where(Run.tenant_id == tenant_id, Run.status.in_(_OPEN)).limit(1)
            )
        return found is not None

    def drains_since(self, *, tenant_id: str, since: datetime) -> builtins.list[RunRecord]:
        """Finished runs of dirty records (no named records) started at or after ``since``."""
        query = select(Run).where(
            Run.tenant_id == tenant_id,
            Run.status.in_(_FINISHED),
            Run.records.is_(None),
            Run.started_at >= since,
        )
        with self._db.session() as session:
            return [_record(row) for row in session.scalars(query)]

    def prune(self, *, older_than: timedelta) -> int:
        """Delete the runs that finished more than ``older_than`` ago; returns how many."""
        horizon = self._clock() - older_than
        with self._db.transaction() as session:
            return (
                session.connection()
                .execute(delete(Run).where(Run.status.in_(_FINISHED), Run.finished_at < horizon))
                .rowcount
            )

    # -- the sweeper's questions --------------------------------------------------------------
    def stalled_lanes(self) -> dict[str, str]:
        """Lanes with queued or running runs and no live lease -> a tenant of such a run.

        Their kick was lost (the requester died before enqueueing it) or their worker died.
        """
        now = self._clock()
        live = select(Lease.name).where(Lease.token.is_not(None), Lease.expires_at > now)
        query = (
            select(Run.lane, func.min(Run.tenant_id))
            .where(Run.status.in_(_OPEN), Run.lane.not_in(live))
            .group_by(Run.lane)
        )
        with self._db.session() as session:
            return dict(session.execute(query).all())

    def dirty_changes(self) -> dict[str, dict[str, datetime]]:
        """tenant -> record type -> when its most recently changed dirty record changed."""
        query = (
            select(AppRecord.tenant_id, AppRecord.record_type, func.max(AppRecord.updated_at))
            .where(AppRecord.dirty)
            .group_by(AppRecord.tenant_id, AppRecord.record_type)
        )
        changes: dict[str, dict[str, datetime]] = {}
        with self._db.session() as session:
            for tenant_id, record_type, changed in session.execute(query):
                changes.setdefault(tenant_id, {})[record_type] = changed
        return changes

    def connected_realms(self, *, environment: Environment) -> dict[str, str]:
        """tenant -> realm id of every connection in ``environment`` that is not
        disconnected (a disconnected one waits for the shop owner, not for a job)."""
        query = select(Connection.tenant_id, Connection.realm_id).where(
            Connection.environment == environment, Connection.status != "disconnected"
        )
        with self._db.session() as session:
            return dict(session.execute(query).all())

    # -- internals ----------------------------------------------------------------------------
    def _held(self, session: Session, name: str, token: str) -> Lease:
        lease = session.scalars(
            select(Lease).where(Lease.name == name).with_for_update()
        ).one_or_none()
        now = self._clock()
        if (
            lease is None
            or lease.token != token
            or lease.expires_at is None
            or lease.expires_at <= now
        ):
            raise LeaseLostError(f"the lease {name!r} is no longer held by this worker")
        return lease

    @staticmethod
    def _run(session: Session, run_id: str) -> Run:
        row = session.scalars(select(Run).where(Run.id == run_id).with_for_update()).one_or_none()
        if row is None:
            raise RunNotFoundError(f"no run {run_id!r}")
        return row


def _record(row: Run) -> RunRecord:
    return RunRecord(
        id=row.id,
        tenant_id=row.tenant_id,
        lane=row.lane,
        trigger=row.trigger,  # type: ignore[arg-type]  # the CHECK constraint holds it
        status=row.status,  # type: ignore[arg-type]
        record_types=None if row.record_types is None else frozenset(row.record_types),
        records=None if row.records is None else tuple((t, i) for t, i in row.records),
        counts=dict(row.counts),
        error=row.error,
        attempts=row.attempts,
        created_at=row.created_at,
        due_at=row.due_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )
