"""The inbound rules: what one QBO change means for the host app.

Webhooks, the CDC back-stop and a re-scan all end here, as :class:`Observed` objects (a QBO
object as read, or its deletion). :class:`ChangeApplier` turns each into the store's
:class:`~ledgerbridge.store.InboundChange` and writes them (``InboundStore.apply``: one
transaction per chunk, so a record and its event are stored together or not at all):

1. **Once.** A version already processed (the same ``SyncToken`` or an older one, an object
   already known deleted) is ``stale`` and ignored: a webhook, its replay and the CDC poll
   that sees the same change apply it once.
2. **Not our echo.** A version ledgerbridge wrote itself is ignored (QBO-REFERENCE.md 13.6):
   the link's ``SyncToken`` (saved by the pusher after each write) equals the object's, or
   the write log has a succeeded write of that version.
3. **Then by entity**:

   * **Payment**, when the tenant's payments go from QBO to the app
     (``payment_direction: qbo_to_app``, Syncro): a payment made in QBO becomes the app's
     payment ``qbo-payment-<Id>``, applied to the app invoices its lines pay; stored as a
     QBO-owned record and published as ``payment.received`` (``payment.updated`` when it
     changes again, ``payment.voided`` / ``payment.deleted``). Lines on invoices the app does
     not know are listed in the event's ``unmatched``; a payment whose customer the app does
     not know at all is published as ``payment.unmatched`` and not stored. With
     ``app_to_qbo`` a payment is like any other transaction (below).
   * **Customer and Item**: ``qbo.changed`` with the object as the app's record
     (``record``), linked or not. A record ledgerbridge imported from QBO and the host app
     has not changed since follows QBO (the stored record is updated).
   * **Other transactions** ledgerbridge linked (invoices, estimates, purchase orders...):
     ``qbo.changed`` with a summary (DocNumber, totals, balance); transactions the app does
     not know are ignored.
   * **Deleted** objects the app knows: ``qbo.changed`` with operation ``Delete``;
     **merged** records (``Merge``, QBO-REFERENCE.md 9.1): ``qbo.changed`` naming the record
     merged away and the one that stays.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from ledgerbridge.mapping import (
    MappingError,
    customer_from_qbo,
    is_voided_payment,
    item_from_qbo,
    payment_from_qbo,
    qbo_app_id,
    qbo_summary,
)
from ledgerbridge.model import AnyRecord, TenantSettings, content_hash
from ledgerbridge.store import (
    InboundChange,
    InboundStore,
    LinkConflictError,
    LinkRecord,
    LinkResult,
    NewEvent,
    ObjectVersion,
    OwnedRecordConflictError,
    OwnedWrite,
    RecordStore,
)

__all__ = [
    "NAME_LISTS",
    "WATCHED",
    "ChangeApplier",
    "InboundReport",
    "Observed",
    "operation_of",
    "owned_write",
]

_log = logging.getLogger("ledgerbridge.inbound")

#: The QBO entities inbound sync watches: what ledgerbridge links, and payments.
WATCHED: Final = (
    "Customer",
    "Vendor",
    "Item",
    "Estimate",
    "Invoice",
    "PurchaseOrder",
    "Payment",
    "CreditMemo",
    "RefundReceipt",
    "Bill",
)
#: Entities QBO never deletes (it makes them inactive, or merges them).
NAME_LISTS: Final = frozenset({"Customer", "Vendor", "Item"})
#: Changes per store transaction.
_CHUNK: Final = 200


@dataclass(frozen=True)
class Observed:
    """A QBO object as inbound sync saw it, or its deletion (``obj`` is ``None``)."""

    entity: str
    qbo_id: str
    obj: Mapping[str, Any] | None
    #: ``Create``, ``Update``, ``Delete``, ``Void``, ``Merge`` (webhooks; CDC infers it)
    operation: str
    #: a merge's merged-away record
    deleted_id: str | None = None


@dataclass
class InboundReport:
    """What an inbound run did for one tenant: counts by outcome and event kind."""

    tenant_id: str
    #: applied, stale, echo, ignored, adopted, failed, and one per event kind published
    counts: Counter[str] = field(default_factory=Counter)
    #: one sentence per object that could not be applied
    problems: list[str] = field(default_factory=list)

    def count(self, key: str) -> int:
        """How many objects (or events of a kind) had this outcome."""
        return self.counts[key]


def operation_of(obj: Mapping[str, Any]) -> str:
    """``Create`` or ``Update`` for an object CDC returned (CDC names no operation)."""
    if obj.get("status") == "Deleted":
        return "Delete"
    meta = obj.get("MetaData") or {}
    created, updated = meta.get("CreateTime"), meta.get("LastUpdatedTime")
    return "Create" if created is not None and created == updated else "Update"


class ChangeApplier:
    """Applies observed QBO changes for one tenant (module docstring)."""

    def __init__(
        self,
        *,
        tenant_id: str,
        settings: TenantSettings,
        records: RecordStore,
        inbound: InboundStore,
        report: InboundReport,
    ) -> None:
        self._tenant = tenant_id
        self._settings = settings
        self._records = records
        self._inbound = inbound
        self.report = report

    # -- public -------------------------------------------------------------------------------
    def apply(self, observed: Sequence[Observed]) -> None:
        """Apply every observed change (each object once, the last observation winning)."""
        latest = {(o.entity, o.qbo_id, o.deleted_id): o for o in observed}
        changes: list[InboundChange] = []
        for entity, group in _by_entity(list(latest.values())).items():
            ids = {o.qbo_id for o in group} | {o.deleted_id for o in group if o.deleted_id}
            known = self._inbound.processed(tenant_id=self._tenant, qbo_type=entity, qbo_ids=ids)
            links = self._inbound.links(tenant_id=self._tenant, qbo_type=entity, qbo_ids=ids)
            for item in group:
                change = self._change(item, known, links)
                if change is not None:
                    changes.append(change)
        self.commit(changes)

    def commit(self, changes: Sequence[InboundChange]) -> None:
        """Write ``changes`` in chunks; a conflicting one is reported and the rest written."""
        for start in range(0, len(changes), _CHUNK):
            chunk = changes[start : start + _CHUNK]
            try:
                self._count(chunk, self._inbound.apply(tenant_id=self._tenant, changes=chunk))
            except (LinkConflictError, OwnedRecordConflictError):
                for change in chunk:  # isolate the culprit, keep the others
                    self._commit_one(change)

    # -- one change ---------------------------------------------------------------------------
    def _change(
        self,
        observed: Observed,
        known: Mapping[str, ObjectVersion],
        links: Mapping[str, LinkRecord],
    ) -> InboundChange | None:
        if observed.operation == "Merge" and observed.deleted_id:
            return self._merged(observed, known, links)
        obj = observed.obj
        version = ObjectVersion(
            observed.entity,
            observed.qbo_id,
            None if obj is None else str(obj.get("SyncToken", "")),
            deleted=obj is None,
        )
        seen = known.get(observed.qbo_id)
        if seen is not None and not version.supersedes(seen):
            self.report.counts["stale"] += 1
            return None
        link = links.get(observed.qbo_id)
        if obj is None:
            return self._deleted(observed, version, link)
        if self._is_echo(version, link):
            self.report.counts["echo"] += 1
            return InboundChange(version)
        if observed.entity == "Payment" and self._settings.payment_direction == "qbo_to_app":
            return self._payment(observed, obj, version, link)
        if observed.entity in ("Customer", "Item"):
            return self._name_list(observed, obj, version, link)
        if link is None:
            self.report.counts["ignored"] += 1  # a QBO transaction the app does not know
            return None
        return InboundChange(version, (self._changed(observed, link, qbo_summary(obj)),))

    def _is_echo(self, version: ObjectVersion, link: LinkRecord | None) -> bool:
        """Whether ledgerbridge itself wrote this version of the object."""
        token = version.sync_token
        if token is None:
            return False
        if link is not None and link.sync_token == token:
            return True
        return self._inbound.wrote(
            tenant_id=self._tenant,
            qbo_type=version.qbo_type,
            qbo_id=version.qbo_id,
            sync_token=token,
        )

    # -- customers and items ------------------------------------------------------------------
    def _name_list(
        self,
        observed: Observed,
        obj: Mapping[str, Any],
        version: ObjectVersion,
        link: LinkRecord | None,
    ) -> InboundChange | None:
        record_type = "customer" if observed.entity == "Customer" else "item"
        if link is not None and link.record_type != record_type:  # a project's sub-customer
            return InboundChange(version, (self._changed(observed, link, qbo_summary(obj)),))
        app_id = link.app_id if link is not None else qbo_app_id(record_type, observed.qbo_id)
        error: str | None = None
        try:
            record = self._as_record(observed.entity, obj, app_id)
        except MappingError as failure:
            record, error = None, failure.user_message
        if record is None and error is None:
            self.report.counts["ignored"] += 1  # a Category or bundle: not an app record
            return None
        owned = link is not None and self._owned(link)
        event = self._changed(
            observed,
            link,
            qbo_summary(obj),
            owned=owned,
            record=None if record is None else record.model_dump(mode="json"),
            error=error,
        )
        write = None
        if owned and record is not None:
            write = owned_write(record, message="Updated from QuickBooks.")
        return InboundChange(version, (event,), owned=write)

    def _as_record(self, entity: str, obj: Mapping[str, Any], app_id: str) -> AnyRecord | None:
        if entity == "Item":
            parent = obj.get("ParentRef")
            category = (
                parent.get("name") if obj.get("SubItem") and isinstance(parent, dict) else None
            )
            return item_from_qbo(obj, app_id=app_id, category=category)
        parent_id = None
        parent = obj.get("ParentRef")
        if isinstance(parent, dict) and parent.get("value"):
            parent_id = self._customer_app_id(str(parent["value"]))
        return customer_from_qbo(obj, app_id=app_id, parent_id=parent_id)

    def _customer_app_id(self, qbo_id: str) -> str:
        """The app id of a QBO customer: its app record's, else the one importing it gives."""
        link = self._inbound.links(tenant_id=self._tenant, qbo_type="Customer", qbo_ids=[qbo_id])
        found = link.get(qbo_id)
        if found is not None and found.record_type == "customer":
            return found.app_id
        return qbo_app_id("customer", qbo_id)

    # -- payments (qbo_to_app) ----------------------------------------------------------------
    def _payment(
        self,
        observed: Observed,
        obj: Mapping[str, Any],
        version: ObjectVersion,
        link: LinkRecord | None,
    ) -> InboundChange | None:
        owned = link is not None and self._owned(link)
        if link is not None and not owned:  # a payment the app pushed: the app is its master
            return InboundChange(version, (self._changed(observed, link, qbo_summary(obj)),))
        if observed.operation == "Void" or is_voided_payment(obj):
            return self._payment_gone(observed, version, link, voided=True)
        app_id = qbo_app_id("payment", observed.qbo_id)
        invoices = self._app_invoices(obj)
        customer_id, project_id = self._payer(obj, invoices)
        summary = qbo_summary(obj)
        if customer_id is None:
            event = self._payment_unmatched(observed, summary, obj)
            return InboundChange(version, (event,))
        try:
            inbound = payment_from_qbo(
                obj,
                app_id=app_id,
                customer_id=customer_id,
                project_id=project_id,
                invoices={qbo_id: link.app_id for qbo_id, link in invoices.items()},
                settings=self._settings,
            )
        except MappingError as error:
            event = self._payment_unmatched(observed, summary, obj, reason=error.user_message)
            return InboundChange(version, (event,))
        kind = "payment.updated" if owned else "payment.received"
        data = {
            "payment": inbound.payment.model_dump(mode="json"),
            "unmatched": [line.as_json() for line in inbound.unmatched],
            "qbo": summary,
        }
        event = NewEvent(kind, "payment", app_id, observed.entity, observed.qbo_id, data)
        write = owned_write(inbound.payment, message="Received in QuickBooks.")
        return InboundChange(version, (event,), owned=write)

    def _app_invoices(self, obj: Mapping[str, Any]) -> dict[str, LinkRecord]:
        """The app invoices a QBO payment's lines pay, by QBO invoice Id."""
        ids = [
            str(txn.get("TxnId"))
            for line in obj.get("Line") or []
            for txn in line.get("LinkedTxn") or []
            if txn.get("TxnType") == "Invoice"
        ]
        if not ids:
            return {}
        found = self._inbound.links(tenant_id=self._tenant, qbo_type="Invoice", qbo_ids=ids)
        return {qbo_id: link for qbo_id, link in found.items() if link.record_type == "invoice"}

    def _payer(
        self, obj: Mapping[str, Any], invoices: Mapping[str, LinkRecord]
    ) -> tuple[str | None, str | None]:
        """``(customer_id, project_id)`` of a QBO payment in the app's ids: the customer's
        link (a project's sub-customer gives the project and its customer), else the first
        app invoice it pays."""
        ref = obj.get("CustomerRef")
        qbo_id = str(ref.get("value")) if isinstance(ref, dict) else ""
        links = self._inbound.links(tenant_id=self._tenant, qbo_type="Customer", qbo_ids=[qbo_id])
        link = links.get(qbo_id)
        if link is not None and link.record_type == "customer":
            return link.app_id, None
        if link is not None and link.record_type == "project":
            return self._parties("project", link.app_id, project_field="id")
        first = next(iter(invoices.values()), None)
        if first is not None:
            return self._parties("invoice", first.app_id, project_field="project_id")
        return None, None

    def _parties(
        self, record_type: str, app_id: str, *, project_field: str
    ) -> tuple[str | None, str | None]:
        stored = self._records.get(tenant_id=self._tenant, record_type=record_type, app_id=app_id)
        if stored is None:
            return None, None
        payload = {**stored.payload, "id": app_id}
        customer = payload.get("customer_id")
        project = payload.get(project_field)
        return (str(customer) if customer else None), (str(project) if project else None)

    def _payment_unmatched(
        self,
        observed: Observed,
        summary: dict[str, Any],
        obj: Mapping[str, Any],
        *,
        reason: str | None = None,
    ) -> NewEvent:
        lines = [
            {"txn_type": str(txn.get("TxnType")), "txn_id": str(txn.get("TxnId"))}
            for line in obj.get("Line") or []
            for txn in line.get("LinkedTxn") or []
        ]
        data = {
            "reason": reason
            or (
                "The payment's customer and invoices are not linked to any of the app's "
                "records; record it in the app by hand if it belongs there."
            ),
            "lines": lines,
            "qbo": summary,
        }
        return NewEvent(
            "payment.unmatched", "payment", None, observed.entity, observed.qbo_id, data
        )

    def _payment_gone(
        self,
        observed: Observed,
        version: ObjectVersion,
        link: LinkRecord | None,
        *,
        voided: bool,
    ) -> InboundChange | None:
        """A QBO-owned payment voided or deleted in QBO; a payment never seen is ignored."""
        if link is None:
            self.report.counts["ignored"] += 1
            return None
        stored = self._records.get(
            tenant_id=self._tenant, record_type="payment", app_id=link.app_id
        )
        verb: LinkResult = "voided" if voided else "deleted"
        event = NewEvent(
            f"payment.{verb}",
            "payment",
            link.app_id,
            observed.entity,
            observed.qbo_id,
            {"operation": observed.operation},
        )
        write = None
        if stored is not None:
            write = OwnedWrite(
                record_type="payment",
                app_id=link.app_id,
                payload=stored.payload,
                content_hash=stored.content_hash,
                deleted=True,
                link_result=verb,
                message=f"The payment was {verb} in QuickBooks.",
            )
        return InboundChange(version, (event,), owned=write)

    # -- deletions and merges -----------------------------------------------------------------
    def _deleted(
        self, observed: Observed, version: ObjectVersion, link: LinkRecord | None
    ) -> InboundChange | None:
        if link is None:
            self.report.counts["ignored"] += 1  # nothing the app knows is gone
            return None
        if observed.entity == "Payment" and self._owned(link):
            return self._payment_gone(observed, version, link, voided=False)
        event = self._changed(observed, link, {"Id": observed.qbo_id}, operation="Delete")
        return InboundChange(version, (event,))

    def _merged(
        self,
        observed: Observed,
        known: Mapping[str, ObjectVersion],
        links: Mapping[str, LinkRecord],
    ) -> InboundChange | None:
        """A merge: ``deleted_id`` is gone, its transactions now belong to ``qbo_id``."""
        assert observed.deleted_id is not None
        seen = known.get(observed.deleted_id)
        if seen is not None and seen.deleted:
            self.report.counts["stale"] += 1
            return None
        gone, kept = links.get(observed.deleted_id), links.get(observed.qbo_id)
        if gone is None and kept is None:
            self.report.counts["ignored"] += 1
            return None
        version = ObjectVersion(observed.entity, observed.deleted_id, None, deleted=True)
        merged_into = {
            "qbo_id": observed.qbo_id,
            "record_type": kept.record_type if kept else None,
            "app_id": kept.app_id if kept else None,
        }
        event = NewEvent(
            "qbo.changed",
            gone.record_type if gone else None,
            gone.app_id if gone else None,
            observed.entity,
            observed.deleted_id,
            {"operation": "Merge", "linked": gone is not None, "merged_into": merged_into},
        )
        return InboundChange(version, (event,))

    # -- helpers ------------------------------------------------------------------------------
    def _owned(self, link: LinkRecord) -> bool:
        mark = self._inbound.owned(
            tenant_id=self._tenant, record_type=link.record_type, app_id=link.app_id
        )
        return mark is not None

    def _changed(
        self,
        observed: Observed,
        link: LinkRecord | None,
        summary: Mapping[str, Any],
        *,
        operation: str | None = None,
        owned: bool = False,
        record: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> NewEvent:
        """The ``qbo.changed`` event of an object; ``record``: it as the app's record (or
        ``error``: why it cannot be one)."""
        default_type = {"Customer": "customer", "Item": "item"}.get(observed.entity)
        data: dict[str, Any] = {
            "operation": operation or observed.operation,
            "linked": link is not None,
            "owned": owned,
            "qbo": dict(summary),
        }
        if record is not None:
            data["record"] = record
        if error is not None:
            data["error"] = error
        return NewEvent(
            "qbo.changed",
            link.record_type if link else default_type,
            link.app_id if link else None,
            observed.entity,
            observed.qbo_id,
            data,
        )

    def _commit_one(self, change: InboundChange) -> None:
        try:
            self._count([change], self._inbound.apply(tenant_id=self._tenant, changes=[change]))
        except (LinkConflictError, OwnedRecordConflictError) as error:
            version = change.version
            message = f"QBO {version.qbo_type} {version.qbo_id}: {error.user_message}"
            _log.warning("inbound change not applied for tenant %s: %s", self._tenant, error)
            self.report.counts["failed"] += 1
            self.report.problems.append(message)

    def _count(self, changes: Sequence[InboundChange], outcomes: Sequence[str]) -> None:
        for change, outcome in zip(changes, outcomes, strict=True):
            self.report.counts[outcome] += 1
            if outcome != "stale":
                self.report.counts.update(event.kind for event in change.events)


def owned_write(record: AnyRecord, *, message: str) -> OwnedWrite:
    """The store's write of a record that came from QBO (canonical JSON and its hash)."""
    return OwnedWrite(
        record_type=record.type,
        app_id=record.id,
        payload=record.model_dump(mode="json"),
        content_hash=content_hash(record),
        message=message,
    )


def _by_entity(observed: Sequence[Observed]) -> dict[str, list[Observed]]:
    groups: dict[str, list[Observed]] = {}
    for item in observed:
        groups.setdefault(item.entity, []).append(item)
    return groups
