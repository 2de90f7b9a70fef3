"""Inbound sync: what comes back from QBO, by import, webhook and CDC (docs/inbound.md).

:class:`InboundSync` is what the jobs call, one method per job:

* :meth:`~InboundSync.import_from_qbo` at setup: QBO's customers and items, linked to the
  app's records of the same name or stored as QBO-owned records and published
  (``_inbound_import.py``). Paged queries of 1,000, never a read per record.
* :meth:`~InboundSync.process_notification`: a webhook notification the endpoint stored.
  Per realm, the tenants connected to it (an unknown realm is logged and ignored); per
  tenant, the changed objects of the watched entities are read with one query per entity
  (``Id IN (...)``), then applied by the rules of ``_inbound_changes.py`` (once, never our
  own echo). A notification that cannot be applied is marked failed with the reason: the CDC
  back-stop applies its changes at the next poll, so nothing is lost.
* :meth:`~InboundSync.poll_changes`: the CDC back-stop. From the connection's bookmark
  (the first poll only sets it: now), one CDC request for every watched entity; changes are
  applied like webhooks, and the bookmark moves only after they are: to the newest change
  when QBO capped the answer at 1,000 objects (then CDC is asked again), else to the start
  of the poll less a safety margin (QBO's clock may lag ours; re-reading a few minutes costs
  nothing, versions already processed are skipped). A bookmark older than QBO's 30-day CDC
  window (29 days, to be safe) cannot be served by CDC: the name lists are re-read in full
  and the transactions changed since the bookmark are queried, which is logged as a warning.
  (Deletions in that gap are not visible to queries; only CDC reports them.)
* :meth:`~InboundSync.process_pending`: the sweeper, for notifications whose job was lost.

The tenant's settings, connection and QBO client come from a :class:`TenantAccess` (the sync
runtime of the process), so that webhooks, polls and pushes share one rate governor.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal, Protocol

from ledgerbridge._errors import LedgerbridgeError
from ledgerbridge.model import TenantSettings
from ledgerbridge.qbo import (
    MAX_RESULTS,
    EntityChange,
    QBOClient,
    QBOError,
    Query,
    WebhookPayloadError,
    parse_notification,
    select,
)
from ledgerbridge.store import ConnectionRecord, InboundStore, RecordStore

from ._inbound_changes import (
    NAME_LISTS,
    WATCHED,
    ChangeApplier,
    InboundReport,
    Observed,
    operation_of,
)
from ._inbound_import import Importer

__all__ = [
    "CDC_LOOK_BACK",
    "InboundSync",
    "NotificationReport",
    "PollReport",
    "TenantAccess",
]

_log = logging.getLogger("ledgerbridge.inbound")

#: How far back QBO's CDC looks (QBO-REFERENCE.md section 11).
CDC_LOOK_BACK: Final = timedelta(days=30)
#: A bookmark older than this is re-scanned by queries instead of CDC.
_RESCAN_AFTER: Final = timedelta(days=29)
#: The most objects one CDC answer holds; a full answer means "ask again from the newest".
_CDC_CAP: Final = 1000
#: Ids per ``Id IN (...)`` read.
_READ_CHUNK: Final = 200
#: entity -> the QBOClient namespace that reads it
_NAMESPACES: Final[Mapping[str, str]] = {
    "Customer": "customers",
    "Vendor": "vendors",
    "Item": "items",
    "Estimate": "estimates",
    "Invoice": "invoices",
    "PurchaseOrder": "purchase_orders",
    "Payment": "payments",
    "CreditMemo": "credit_memos",
    "RefundReceipt": "refund_receipts",
    "Bill": "bills",
}


class TenantAccess(Protocol):
    """A tenant's settings, live connection and QBO client (the process's sync runtime).

    ``connection`` raises a :class:`LedgerbridgeError` saying what to do when the tenant has
    no live connection; ``qbo`` opens a client through the process's rate governor.
    """

    def tenant_settings(self, tenant_id: str) -> TenantSettings: ...

    def connection(self, tenant_id: str) -> ConnectionRecord: ...

    def qbo(self, tenant_id: str) -> AbstractAsyncContextManager[QBOClient]: ...


@dataclass
class PollReport(InboundReport):
    """What a CDC poll did."""

    #: the first poll of the connection only sets the bookmark
    first_run: bool = False
    #: the bookmark was too old for CDC: queries re-read the watched entities
    rescanned: bool = False
    #: where the next poll starts
    bookmark: datetime | None = None


@dataclass
class NotificationReport:
    """What processing one webhook notification did."""

    notification_id: int
    status: Literal["processed", "failed", "already processed", "missing"]
    tenants: dict[str, InboundReport] = field(default_factory=dict)
    #: realms no tenant is connected to (their changes were ignored)
    ignored_realms: list[str] = field(default_factory=list)
    error: str | None = None


class InboundSync:
    """The inbound jobs of one process (module docstring)."""

    def __init__(
        self,
        *,
        access: TenantAccess,
        records: RecordStore,
        inbound: InboundStore,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        cdc_margin: timedelta = timedelta(minutes=5),
    ) -> None:
        """
        :param cdc_margin: how far before the start of a poll the next one starts (QBO's
            clock may lag ours; the overlap is re-read and skipped)
        :param clock: the current time, timezone-aware (tests move it)
        """
        self._access = access
        self._records = records
        self._inbound = inbound
        self._clock = clock
        self._margin = cdc_margin

    # -- the initial import -------------------------------------------------------------------
    async def import_from_qbo(self, tenant_id: str) -> InboundReport:
        """Import the company's customers and items for the tenant (``_inbound_import``).

        Also starts the CDC bookmark at the import, if the connection has none, so that the
        back-stop catches what changes in QBO from then on.
        """
        started = self._clock()
        connection = self._access.connection(tenant_id)
        report = InboundReport(tenant_id)
        applier = self._applier(tenant_id, report)
        async with self._access.qbo(tenant_id) as qbo:
            customers = [row async for row in qbo.customers.iterate()]
            items = [row async for row in qbo.items.iterate()]
        importer = Importer(tenant_id=tenant_id, inbound=self._inbound, report=report)
        applier.commit(importer.customers(customers))
        applier.commit(importer.items(items))
        if self._inbound.bookmark(connection.id) is None:
            self._save_bookmark(connection, started - self._margin)
        _log.info(
            "import from QBO for tenant %s: %d customers and %d items read; %s",
            tenant_id,
            len(customers),
            len(items),
            _counts(report),
        )
        return report

    # -- webhooks -----------------------------------------------------------------------------
    async def process_notification(self, notification_id: int) -> NotificationReport:
        """Apply a stored webhook notification (module docstring); never raises for what
        QBO or the notification did wrong, the report and the stored status say it."""
        stored = self._inbound.notification(notification_id)
        if stored is None:
            _log.error("webhook notification %s does not exist", notification_id)
            return NotificationReport(notification_id, "missing")
        if stored.status == "processed":
            return NotificationReport(notification_id, "already processed")
        try:
            changes = parse_notification(stored.body)
        except WebhookPayloadError as error:
            _log.error("webhook notification %s is unreadable: %s", notification_id, error)
            self._inbound.finish(notification_id, error=str(error))
            return NotificationReport(notification_id, "failed", error=str(error))
        report = NotificationReport(notification_id, "processed")
        errors: list[str] = []
        for realm_id, realm_changes in _by_realm(changes).items():
            tenants = self._tenants_of(realm_id)
            if not tenants:
                _log.warning(
                    "webhook notification %s: realm %s is not connected to any tenant here; "
                    "its %d change(s) are ignored",
                    notification_id,
                    realm_id,
                    len(realm_changes),
                )
                report.ignored_realms.append(realm_id)
            for tenant_id in tenants:
                try:
                    report.tenants[tenant_id] = await self._observe(tenant_id, realm_changes)
                except (QBOError, LedgerbridgeError) as error:
                    _log.warning(
                        "webhook notification %s for tenant %s not applied (the CDC poll will "
                        "catch it up): %s",
                        notification_id,
                        tenant_id,
                        error,
                    )
                    errors.append(f"tenant {tenant_id}: {error}")
        report.error = "; ".join(errors) or None
        report.status = "failed" if errors else "processed"
        self._inbound.finish(notification_id, error=report.error)
        return report

    async def process_pending(
        self, *, older_than: timedelta = timedelta(minutes=1), limit: int = 100
    ) -> list[NotificationReport]:
        """Process the notifications still waiting after ``older_than`` (their job was lost)."""
        due = self._clock() - older_than
        ids = self._inbound.pending(limit=limit, received_before=due)
        return [await self.process_notification(notification_id) for notification_id in ids]

    # -- CDC ----------------------------------------------------------------------------------
    async def poll_changes(self, tenant_id: str) -> PollReport:
        """One CDC poll of the tenant's company (module docstring)."""
        now = self._clock()
        connection = self._access.connection(tenant_id)
        report = PollReport(tenant_id)
        bookmark = self._inbound.bookmark(connection.id)
        if bookmark is None or bookmark.realm_id != connection.realm_id:
            report.first_run = True
            report.bookmark = self._save_bookmark(connection, now)
            return report
        since = bookmark.changed_since
        applier = self._applier(tenant_id, report)
        async with self._access.qbo(tenant_id) as qbo:
            if now - since > _RESCAN_AFTER:
                _log.warning(
                    "CDC bookmark of tenant %s is from %s, beyond QBO's 30-day CDC window: "
                    "re-reading the name lists and the transactions changed since",
                    tenant_id,
                    since.isoformat(),
                )
                await _rescan(qbo, applier, since)
                report.rescanned = True
                report.bookmark = self._save_bookmark(connection, now - self._margin)
                return report
            report.bookmark = await self._cdc(qbo, applier, connection, since, now)
        _log.info("CDC poll for tenant %s: %s", tenant_id, _counts(report))
        return report

    async def _cdc(
        self,
        qbo: QBOClient,
        applier: ChangeApplier,
        connection: ConnectionRecord,
        since: datetime,
        now: datetime,
    ) -> datetime:
        """CDC from ``since`` until an answer is not capped; returns the new bookmark."""
        while True:
            changed = [
                (entity, obj)
                for entity, objects in (await qbo.cdc(WATCHED, since)).items()
                for obj in objects
            ]
            applier.apply([_observed(entity, obj) for entity, obj in changed])
            if len(changed) < _CDC_CAP:
                return self._save_bookmark(connection, max(since, now - self._margin))
            times = [moment for _, obj in changed if (moment := _updated(obj)) is not None]
            newest = max(times, default=None)
            if newest is None or newest <= since:
                # a thousand changes within one second: CDC cannot page past them
                _log.warning(
                    "CDC for tenant %s returned %d changes at %s: re-reading by query",
                    connection.tenant_id,
                    len(changed),
                    since.isoformat(),
                )
                await _rescan(qbo, applier, since)
                return self._save_bookmark(connection, now - self._margin)
            since = self._save_bookmark(connection, newest)

    # -- helpers ------------------------------------------------------------------------------
    def _applier(self, tenant_id: str, report: InboundReport) -> ChangeApplier:
        return ChangeApplier(
            tenant_id=tenant_id,
            settings=self._access.tenant_settings(tenant_id),
            records=self._records,
            inbound=self._inbound,
            report=report,
        )

    def _tenants_of(self, realm_id: str) -> list[str]:
        """The tenants whose live connection (in this deployment) is to ``realm_id``."""
        tenants: list[str] = []
        for candidate in self._inbound.realm_connections(realm_id):
            try:
                connection = self._access.connection(candidate.tenant_id)
            except LedgerbridgeError as error:
                _log.info(
                    "tenant %s skipped for realm %s: %s", candidate.tenant_id, realm_id, error
                )
                continue
            if connection.realm_id == realm_id and connection.tenant_id not in tenants:
                tenants.append(connection.tenant_id)
        return tenants

    async def _observe(self, tenant_id: str, changes: Sequence[EntityChange]) -> InboundReport:
        """Read what ``changes`` name in the tenant's company, and apply it."""
        report = InboundReport(tenant_id)
        applier = self._applier(tenant_id, report)
        async with self._access.qbo(tenant_id) as qbo:
            observed = await _read(qbo, changes, report)
        applier.apply(observed)
        return report

    def _save_bookmark(self, connection: ConnectionRecord, moment: datetime) -> datetime:
        return self._inbound.save_bookmark(
            connection_id=connection.id,
            tenant_id=connection.tenant_id,
            realm_id=connection.realm_id,
            changed_since=moment,
        )


# -- reading QBO ----------------------------------------------------------------------------
async def _read(
    qbo: QBOClient, changes: Sequence[EntityChange], report: InboundReport
) -> list[Observed]:
    """The objects ``changes`` name, read with one query per entity and chunk of ids.

    An object the query does not return was deleted (a transaction), or is a name-list
    record gone in a merge (announced separately) and is skipped.
    """
    latest: dict[tuple[str, str], EntityChange] = {}
    merges: list[Observed] = []
    for change in changes:
        if change.entity not in _NAMESPACES:
            report.counts["ignored"] += 1  # an entity ledgerbridge does not watch
        elif change.operation == "Merge" and change.deleted_id:
            merges.append(
                Observed(change.entity, change.id, None, "Merge", deleted_id=change.deleted_id)
            )
        else:
            latest[change.entity, change.id] = change
    wanted: dict[str, list[str]] = {}
    for entity, qbo_id in latest:
        wanted.setdefault(entity, []).append(qbo_id)
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for entity, ids in wanted.items():
        for start in range(0, len(ids), _READ_CHUNK):
            query = _by_ids(entity, ids[start : start + _READ_CHUNK])
            async for row in getattr(qbo, _NAMESPACES[entity]).iterate(query):
                found[entity, str(row["Id"])] = row
    observed = list(merges)
    for (entity, qbo_id), change in latest.items():
        obj = found.get((entity, qbo_id))
        if obj is not None:
            observed.append(Observed(entity, qbo_id, obj, change.operation))
        elif entity in NAME_LISTS:
            report.counts["ignored"] += 1
        else:
            observed.append(Observed(entity, qbo_id, None, "Delete"))
    return observed


def _by_ids(entity: str, ids: Sequence[str]) -> Query:
    query = select(entity).where("Id", "IN", list(ids))
    if entity in NAME_LISTS:  # inactive records too (a deactivation is a change)
        query = query.where("Active", "IN", [True, False])
    return query


async def _rescan(qbo: QBOClient, applier: ChangeApplier, since: datetime) -> None:
    """What CDC cannot serve: every name-list record, and the transactions changed since."""
    for entity, namespace in _NAMESPACES.items():
        query = select(entity)
        if entity in NAME_LISTS:
            query = query.where("Active", "IN", [True, False])
        else:
            query = query.where("MetaData.LastUpdatedTime", ">=", since)
        batch: list[Observed] = []
        async for row in getattr(qbo, namespace).iterate(query):
            batch.append(_observed(entity, row))
            if len(batch) >= MAX_RESULTS:
                applier.apply(batch)
                batch = []
        applier.apply(batch)


def _observed(entity: str, obj: Mapping[str, Any]) -> Observed:
    """A CDC or query row as an observation (a deleted stub as a deletion)."""
    qbo_id = str(obj["Id"])
    if obj.get("status") == "Deleted":
        return Observed(entity, qbo_id, None, "Delete")
    return Observed(entity, qbo_id, obj, operation_of(obj))


def _updated(obj: Mapping[str, Any]) -> datetime | None:
    text = (obj.get("MetaData") or {}).get("LastUpdatedTime")
    try:
        return datetime.fromisoformat(str(text)) if text else None
    except ValueError:
        return None


def _by_realm(changes: Iterable[EntityChange]) -> dict[str, list[EntityChange]]:
    groups: dict[str, list[EntityChange]] = {}
    for change in changes:
        groups.setdefault(change.realm_id, []).append(change)
    return groups


def _counts(report: InboundReport) -> str:
    return ", ".join(f"{key} {value}" for key, value in sorted(report.counts.items())) or "nothing"
