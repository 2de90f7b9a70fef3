"""Links: which QBO object each app record is, and how its last sync went.

A link holds what the engine needs to write a record again without asking QBO first: the QBO
type and Id, the last ``SyncToken`` (an update must carry it), and the content hash last pushed
(equal to the record's hash: nothing to send). It also holds what the console shows per
record: the last result, QBO's error code and ``intuit_tid``, a sentence for the shop owner,
and a warning such as a total that QBO computed differently.

The rule: one QBO object belongs to one app record (a unique constraint on
``(tenant_id, qbo_type, qbo_id)``). Two app records on one QBO invoice would overwrite each
other on every push. :meth:`LinkStore.save` and :meth:`LinkStore.relink` check it first and
raise :class:`LinkConflictError` naming the record that holds the object; the constraint
catches what a concurrent writer slips past the check.

:meth:`LinkStore.save` records a successful push and never moves a linked record to another
QBO object: that is what :meth:`LinkStore.relink` is for, so that an engine bug cannot quietly
re-point a record (and leave its first QBO object orphaned).

The bulk push records a whole batch request at once: :meth:`LinkStore.save_many` applies the
rules of ``save`` to many records in one transaction (all or none), and
:meth:`LinkStore.of_types` reads every link of some record types in one query, so that the
engine builds its references without a query per record.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, cast

from sqlalchemy import Table, and_, bindparam, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ._database import Database
from ._errors import LinkConflictError, TenantNotFoundError
from ._records import LinkRecord, LinkResult, utcnow
from ._tables import LINK_RESULTS, Link, Tenant

__all__ = ["LinkSave", "LinkStore"]

#: the results of a write that reached QBO (:meth:`LinkStore.save`): ``deleted`` and
#: ``voided`` when the write deleted or voided the object of a record the app deleted
_WRITTEN: Final = ("ok", "deleted", "voided")
#: the results :meth:`LinkStore.record_failure` takes
_NOT_OK: Final = tuple(result for result in LINK_RESULTS if result not in _WRITTEN)
#: keys per ``IN (...)``: far below SQLite's and PostgreSQL's limits on bound parameters
_CHUNK: Final = 500


@dataclass(frozen=True)
class LinkSave:
    """One successful push for :meth:`LinkStore.save_many`: the arguments of
    :meth:`LinkStore.save` for one record."""

    record_type: str
    app_id: str
    qbo_type: str
    qbo_id: str
    sync_token: str
    pushed_hash: str
    intuit_tid: str | None = None
    message: str | None = None
    warning: str | None = None
    result: LinkResult = "ok"

    def __post_init__(self) -> None:
        if self.result not in _WRITTEN:
            raise ValueError(f"result must be one of {_WRITTEN}, not {self.result!r}")


class LinkStore:
    """The repository of links. Every call takes the tenant and filters on it."""

    def __init__(self, database: Database, *, clock: Callable[[], datetime] = utcnow) -> None:
        """
        :param clock: the current time, timezone-aware (tests move it)
        """
        self._db = database
        self._clock = clock

    # -- reads --------------------------------------------------------------------------------
    def get(self, *, tenant_id: str, record_type: str, app_id: str) -> LinkRecord | None:
        """The record's link (with or without a QBO object), or ``None``."""
        with self._db.session() as session:
            row = session.get(Link, (tenant_id, record_type, app_id))
            return None if row is None else _record(row)

    def by_qbo(self, *, tenant_id: str, qbo_type: str, qbo_id: str) -> LinkRecord | None:
        """The link of this QBO object (webhooks and CDC arrive by QBO Id), or ``None``."""
        with self._db.session() as session:
            row = _holder(session, tenant_id, qbo_type, qbo_id)
            return None if row is None else _record(row)

    def list(
        self,
        *,
        tenant_id: str,
        record_type: str | None = None,
        result: LinkResult | None = None,
        limit: int | None = None,
        after: tuple[str, str] | None = None,
    ) -> builtins.list[LinkRecord]:
        """Links in (type, app id) order, optionally of one type or one last result (the
        console's error queue is ``result="failed"``). ``after`` is the ``(record_type,
        app_id)`` of the last link of the previous page."""
        query = select(Link).where(Link.tenant_id == tenant_id)
        if record_type is not None:
            query = query.where(Link.record_type == record_type)
        if result is not None:
            query = query.where(Link.last_result == result)
        if after is not None:
            after_type, after_id = after
            query = query.where(
                or_(
                    Link.record_type > after_type,
                    and_(Link.record_type == after_type, Link.app_id > after_id),
                )
            )
        query = query.order_by(Link.record_type, Link.app_id)
        if limit is not None:
            query = query.limit(limit)
        with self._db.session() as session:
            return [_record(row) for row in session.scalars(query)]

    def of_types(
        self, *, tenant_id: str, record_types: Collection[str]
    ) -> dict[tuple[str, str], LinkRecord]:
        """Every link of these record types, by ``(record_type, app_id)``: one query."""
        if isinstance(record_types, str):
            raise TypeError("record_types is a collection of types, not one string")
        query = select(Link).where(
            Link.tenant_id == tenant_id, Link.record_type.in_(sorted(record_types))
        )
        with self._db.session() as session:
            return {(row.record_type, row.app_id): _record(row) for row in session.scalars(query)}

    # -- writes -------------------------------------------------------------------------------
    def save_many(self, *, tenant_id: str, saves: Sequence[LinkSave]) -> builtins.list[LinkRecord]:
        """:meth:`save` for many records in one transaction: all are saved, or none.

        One result per save, in order. Raises :class:`LinkConflictError` (and saves nothing)
        if any QBO object belongs to another app record, is claimed twice in ``saves``, or a
        record is linked to another QBO object; the caller may then save one by one to learn
        which.
        """

        for attempt in range(2):
            try:
                with self._db.transaction() as session:
                    return self._save_many(session, tenant_id, saves)
            except IntegrityError:
                if attempt:  # a concurrent first link won the insert; the retry decides
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def save(
        self,
        *,
        tenant_id: str,
        record_type: str,
        app_id: str,
        qbo_type: str,
        qbo_id: str,
        sync_token: str,
        pushed_hash: str,
        intuit_tid: str | None = None,
        message: str | None = None,
        warning: str | None = None,
        result: LinkResult = "ok",
    ) -> LinkRecord:
        """Record a successful push: the QBO object, its new SyncToken, the hash pushed.

        ``result`` is ``ok``, or ``deleted`` / ``voided`` for a pushed deletion.

        Creates the link or updates it; clears the last error; replaces the warning (a push
        without one clears it: it was about the previous push). Raises
        :class:`LinkConflictError` if the QBO object belongs to another app record, or if
        this record is linked to another QBO object (use :meth:`relink`).
        """

        save = LinkSave(
            record_type=record_type,
            app_id=app_id,
            qbo_type=qbo_type,
            qbo_id=qbo_id,
            sync_token=sync_token,
            pushed_hash=pushed_hash,
            intuit_tid=intuit_tid,
            message=message,
            warning=warning,
            result=result,
        )

        def write(session: Session) -> Link:
            row = self._row(session, tenant_id, record_type, app_id)
            self._claim(session, row, qbo_type, qbo_id)
            key = (record_type, app_id)
            _check_same_object(tenant_id, key, (row.qbo_type, row.qbo_id), qbo_type, qbo_id)
            _apply(row, save)
            return row

        return self._write(write)

    def record_failure(
        self,
        *,
        tenant_id: str,
        record_type: str,
        app_id: str,
        message: str,
        error_code: str | None = None,
        intuit_tid: str | None = None,
        result: LinkResult = "failed",
    ) -> LinkRecord:
        """Record a sync that did not reach QBO or was refused: ``failed`` (fix the data and
        retry), ``skipped`` (a setting excludes it) or ``waiting`` (for something the owner
        must set up, e.g. the refund account).

        ``message`` is the sentence the console shows. The QBO object, SyncToken, pushed hash
        and warning stay: QBO still has what the last successful push sent.
        """
        if result not in _NOT_OK:
            raise ValueError(f"result must be one of {_NOT_OK}, not {result!r}: save() is ok")

        def write(session: Session) -> Link:
            row = self._row(session, tenant_id, record_type, app_id)
            row.last_result = result
            row.last_error_code = error_code
            row.last_message = message
            row.last_intuit_tid = intuit_tid
            return row

        return self._write(write)

    def relink(
        self,
        *,
        tenant_id: str,
        record_type: str,
        app_id: str,
        qbo_type: str,
        qbo_id: str,
        sync_token: str | None = None,
        message: str | None = None,
    ) -> LinkRecord:
        """Point the record at another QBO object (or at one for the first time).

        For the console ("this is the right QBO customer") and for the engine when it
        re-attaches a record to a QBO transaction found by DocNumber. The pushed hash is
        cleared, so that the next push updates the object whatever the record's hash; the
        link waits for that push. To make it happen without a change in the app, also call
        :meth:`RecordStore.mark_dirty`. Raises :class:`LinkConflictError` if the QBO object
        belongs to another app record: unlink that one first.
        """

        def write(session: Session) -> Link:
            row = self._row(session, tenant_id, record_type, app_id)
            self._claim(session, row, qbo_type, qbo_id)
            row.qbo_type = qbo_type
            row.qbo_id = qbo_id
            row.sync_token = sync_token
            row.pushed_hash = None
            row.last_result = "waiting"
            row.last_error_code = None
            row.last_message = message or (
                f"Linked to QuickBooks {qbo_type} {qbo_id}; the next sync updates it."
            )
            row.last_intuit_tid = None
            row.warning = None
            return row

        return self._write(write)

    def unlink(self, *, tenant_id: str, record_type: str, app_id: str) -> bool:
        """Forget the record's link; ``True`` if there was one.

        The QBO object is left alone. The record's next push looks for its QBO object again
        (by DocNumber or name) before it creates one.
        """
        with self._db.transaction() as session:
            removed = (
                session.connection()
                .execute(
                    delete(Link).where(
                        Link.tenant_id == tenant_id,
                        Link.record_type == record_type,
                        Link.app_id == app_id,
                    )
                )
                .rowcount
            )
        return removed == 1

    def forget_sync_tokens(self, *, tenant_id: str, qbo_type: str, qbo_ids: Sequence[str]) -> int:
        """Forget the SyncToken of the links to these QBO objects (another write changed them
        in QBO, e.g. a payment its invoices): their next update reads the token first instead
        of being refused as stale. How many links there were."""
        if not qbo_ids:
            return 0
        with self._db.transaction() as session:
            changed = (
                session.connection()
                .execute(
                    update(Link)
                    .where(
                        Link.tenant_id == tenant_id,
                        Link.qbo_type == qbo_type,
                        Link.qbo_id.in_(list(qbo_ids)),
                    )
                    .values(sync_token=None)
                )
                .rowcount
            )
        return int(changed)

    # -- internals ----------------------------------------------------------------------------
    def _write(self, write: Callable[[Session], Link]) -> LinkRecord:
        """Run ``write`` in a transaction, once more if a concurrent writer won an insert."""
        for attempt in range(2):
            try:
                with self._db.transaction() as session:
                    row = write(session)
                    row.updated_at = self._clock()
                    session.flush()
                    record = _record(row)
            except IntegrityError:
                # PostgreSQL: a concurrent first link of this record, or of this QBO object;
                # the second attempt sees it and decides (update, or LinkConflictError)
                if attempt:
                    raise
                continue
            return record
        raise AssertionError("unreachable")  # pragma: no cover

    def _save_many(
        self, session: Session, tenant_id: str, saves: Sequence[LinkSave]
    ) -> builtins.list[LinkRecord]:
        """:meth:`save_many` inside its transaction, in SQL statements of many rows each (no
        ORM objects: a bulk push saves thousands of links)."""
        objects = _objects_of(session, tenant_id, saves)
        holders = _holders_of(session, tenant_id, saves)
        keys = {(save.record_type, save.app_id) for save in saves}
        if len(objects) < len(keys) and session.get(Tenant, tenant_id) is None:
            raise TenantNotFoundError(f"no tenant {tenant_id!r}")
        now = self._clock()
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        for save in saves:
            key = (save.record_type, save.app_id)
            holder = holders.get((save.qbo_type, save.qbo_id))
            if holder is not None and holder != key:
                raise _held_by(tenant_id, key, holder, save.qbo_type, save.qbo_id)
            if key in objects:
                _check_same_object(tenant_id, key, objects[key], save.qbo_type, save.qbo_id)
            holders[save.qbo_type, save.qbo_id] = key
            rows[key] = _values(tenant_id, save, now)
        inserts = [row for key, row in rows.items() if key not in objects]
        updates = [row for key, row in rows.items() if key in objects]
        if inserts:  # Core, not the ORM's bulk insert (which builds its unit of work)
            session.connection().execute(insert(_LINKS), inserts)
        if updates:
            session.connection().execute(_UPDATE, [_bound(row) for row in updates])
        return [_link_record(rows[save.record_type, save.app_id]) for save in saves]

    @staticmethod
    def _row(session: Session, tenant_id: str, record_type: str, app_id: str) -> Link:
        """The record's link, locked; a new one (not linked, not flushed) if it has none."""
        row = session.scalars(
            select(Link)
            .where(
                Link.tenant_id == tenant_id,
                Link.record_type == record_type,
                Link.app_id == app_id,
            )
            .with_for_update()
        ).one_or_none()
        if row is not None:
            return row
        if session.get(Tenant, tenant_id) is None:
            raise TenantNotFoundError(f"no tenant {tenant_id!r}")
        row = Link(tenant_id=tenant_id, record_type=record_type, app_id=app_id)
        session.add(row)
        return row

    @staticmethod
    def _claim(session: Session, row: Link, qbo_type: str, qbo_id: str) -> None:
        """Refuse a QBO object that another app record of the tenant holds."""
        with session.no_autoflush:  # the new row, half filled in, must not be inserted yet
            holder = _holder(session, row.tenant_id, qbo_type, qbo_id)
        if holder is not None and holder is not row:
            raise _held_by(
                row.tenant_id,
                (row.record_type, row.app_id),
                (holder.record_type, holder.app_id),
                qbo_type,
                qbo_id,
            )


def _held_by(
    tenant_id: str, key: tuple[str, str], holder: tuple[str, str], qbo_type: str, qbo_id: str
) -> LinkConflictError:
    record_type, app_id = key
    holder_type, holder_id = holder
    return LinkConflictError(
        f"QBO {qbo_type} {qbo_id} of tenant {tenant_id!r} is linked to "
        f"{holder_type} {holder_id!r}, not to {record_type} {app_id!r}",
        qbo_type=qbo_type,
        qbo_id=qbo_id,
        linked_to=holder,
        user_message=(
            f"QuickBooks {qbo_type} {qbo_id} is already linked to {holder_type} "
            f"{holder_id}; unlink that one first."
        ),
    )


def _check_same_object(
    tenant_id: str,
    key: tuple[str, str],
    current: tuple[str | None, str | None],
    qbo_type: str,
    qbo_id: str,
) -> None:
    """A linked record is saved on its own QBO object only (:meth:`LinkStore.relink` moves)."""
    current_type, current_id = current
    if current_id is not None and (current_type, current_id) != (qbo_type, qbo_id):
        record_type, app_id = key
        raise LinkConflictError(
            f"{record_type} {app_id!r} of tenant {tenant_id!r} is linked to "
            f"{current_type} {current_id}, not {qbo_type} {qbo_id}: relink it to change its "
            "QBO object",
            qbo_type=qbo_type,
            qbo_id=qbo_id,
            linked_to=None,
            user_message=(
                f"This record is linked to QuickBooks {current_type} {current_id}; "
                "relink it to use another one."
            ),
        )


def _apply(row: Link, save: LinkSave) -> None:
    row.qbo_type = save.qbo_type
    row.qbo_id = save.qbo_id
    row.sync_token = save.sync_token
    row.pushed_hash = save.pushed_hash
    row.last_result = save.result
    row.last_error_code = None
    row.last_message = save.message
    row.last_intuit_tid = save.intuit_tid
    row.warning = save.warning


def _values(tenant_id: str, save: LinkSave, now: datetime) -> dict[str, Any]:
    """The columns of a link after a successful push (what :func:`_apply` sets, and more)."""
    return {
        "tenant_id": tenant_id,
        "record_type": save.record_type,
        "app_id": save.app_id,
        "qbo_type": save.qbo_type,
        "qbo_id": save.qbo_id,
        "sync_token": save.sync_token,
        "pushed_hash": save.pushed_hash,
        "last_result": save.result,
        "last_error_code": None,
        "last_message": save.message,
        "last_intuit_tid": save.intuit_tid,
        "warning": save.warning,
        "updated_at": now,
    }


#: the UPDATE of an existing link by :meth:`LinkStore.save_many` (executemany)
_LINKS: Final = cast(Table, Link.__table__)
_UPDATE: Final = (
    update(Link)
    .where(
        Link.tenant_id == bindparam("k_tenant"),
        Link.record_type == bindparam("k_type"),
        Link.app_id == bindparam("k_id"),
    )
    .values(
        {
            name: bindparam(name)
            for name in (
                "qbo_type",
                "qbo_id",
                "sync_token",
                "pushed_hash",
                "last_result",
                "last_error_code",
                "last_message",
                "last_intuit_tid",
                "warning",
                "updated_at",
            )
        }
    )
)


def _bound(row: dict[str, Any]) -> dict[str, Any]:
    key = {"k_tenant": row["tenant_id"], "k_type": row["record_type"], "k_id": row["app_id"]}
    return {**{k: v for k, v in row.items() if k not in _KEY_COLUMNS}, **key}


_KEY_COLUMNS: Final = frozenset({"tenant_id", "record_type", "app_id"})


def _link_record(row: dict[str, Any]) -> LinkRecord:
    return LinkRecord(**row)


def _objects_of(
    session: Session, tenant_id: str, saves: Sequence[LinkSave]
) -> dict[tuple[str, str], tuple[str | None, str | None]]:
    """The QBO object (or none) of each stored link of the records of ``saves``, locked."""
    wanted: dict[str, set[str]] = {}
    for save in saves:
        wanted.setdefault(save.record_type, set()).add(save.app_id)
    found: dict[tuple[str, str], tuple[str | None, str | None]] = {}
    for record_type in sorted(wanted):
        ordered = sorted(wanted[record_type])
        for start in range(0, len(ordered), _CHUNK):
            query = (
                select(Link.app_id, Link.qbo_type, Link.qbo_id)
                .where(
                    Link.tenant_id == tenant_id,
                    Link.record_type == record_type,
                    Link.app_id.in_(ordered[start : start + _CHUNK]),
                )
                .order_by(Link.app_id)
                .with_for_update()
            )
            for app_id, qbo_type, qbo_id in session.execute(query):
                found[record_type, app_id] = (qbo_type, qbo_id)
    return found


def _holders_of(
    session: Session, tenant_id: str, saves: Sequence[LinkSave]
) -> dict[tuple[str, str], tuple[str, str]]:
    """The records holding the QBO objects of ``saves``: (qbo_type, qbo_id) -> key."""
    wanted: dict[str, set[str]] = {}
    for save in saves:
        wanted.setdefault(save.qbo_type, set()).add(save.qbo_id)
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for qbo_type in sorted(wanted):
        ordered = sorted(wanted[qbo_type])
        for start in range(0, len(ordered), _CHUNK):
            query = select(Link.qbo_id, Link.record_type, Link.app_id).where(
                Link.tenant_id == tenant_id,
                Link.qbo_type == qbo_type,
                Link.qbo_id.in_(ordered[start : start + _CHUNK]),
            )
            for qbo_id, record_type, app_id in session.execute(query):
                found[qbo_type, str(qbo_id)] = (record_type, app_id)
    return found


def _holder(session: Session, tenant_id: str, qbo_type: str, qbo_id: str) -> Link | None:
    return session.scalars(
        select(Link).where(
            Link.tenant_id == tenant_id, Link.qbo_type == qbo_type, Link.qbo_id == qbo_id
        )
    ).one_or_none()


def _record(row: Link) -> LinkRecord:
    return LinkRecord(
        tenant_id=row.tenant_id,
        record_type=row.record_type,
        app_id=row.app_id,
        qbo_type=row.qbo_type,
        qbo_id=row.qbo_id,
        sync_token=row.sync_token,
        pushed_hash=row.pushed_hash,
        last_result=cast(LinkResult, row.last_result),
        last_error_code=row.last_error_code,
        last_message=row.last_message,
        last_intuit_tid=row.last_intuit_tid,
        warning=row.warning,
        updated_at=row.updated_at,
    )
