"""The bulk push: a tenant's records written in dependency waves, at Intuit's ceiling.

:class:`Pusher` writes one record at a time and looks up what it needs as it goes: a
reference's link, a QBO list by name, a customer by name before creating one, a transaction
by DocNumber before creating it, an invoice's balance before paying it. Each look-up is a
request, and requests are what Intuit meters (500 a minute per company, 40 of them batch
requests of up to 30 operations, ``QBO-REFERENCE.md`` section 5). :class:`BulkPusher` pushes
the same records by the same rules in far fewer requests:

1. **Waves** (:data:`WAVES`): customers; projects (sub-customers); vendors and items; sales
   orders; invoices and purchase orders; payments, credit memos, refunds and bills (received
   orders' bills among them); last the stock counts, once the run's transactions have moved
   QBO's quantities: inventory levels, and the linked inventory items whose count may move
   QBO's quantity (:meth:`Pusher.counted_later`). A wave refers only to the waves before it;
   a record that refers to another record of its own wave (a sub-customer) waits for the
   wave's next round.
2. **Look-ups in bulk**, only what the records to write need: each QBO list record a
   setting or a record names (an account, a payment method, terms, the charge item, a
   category) once a run, by the per-record path's own rule (:meth:`Pusher.resolve_list`);
   every Customer, Vendor or Item of the company, inactive ones included (1,000 a query),
   once a run and only when a record of that list is unlinked (to match it by name); the
   transactions carrying the DocNumbers of the unlinked ones (``DocNumber IN (...)``, none
   at all when QBO held no transaction of that type before the run); the balances of the
   invoices the payments pay and the quantities of the items the stock counts count (``Id
   IN (...)``), kept current with what the run itself writes; the estimates a multi-order
   invoice closes. References come from the links, read once and kept current in memory.
3. **Writes** as one queue per wave, sent by the :class:`Dispatcher`: full batch requests
   while the minute's 40 last, single writes with the rest of the 500. Each write is an
   operation row (``OperationStore``), stored and started before anything is sent, with its
   ``requestid``; an operation a crash left open is started again with its ``requestid``,
   and its record, being still unlinked, is first looked for in QBO by name or DocNumber
   (point 2), so nothing is written twice.
4. **Results per request**: a batch request's links, clean marks and operation outcomes
   are stored in one transaction each; single writes are grouped the same way.
5. **One implementation of each rule**: the gates, the unchanged check, mapping, the name
   and DocNumber match rules, the totals warning, the sentences are the per-record path's
   (``_push_support``, ``_push_map``, ``_push_names``, :class:`Pusher`). What the bulk path
   does not do cleanly goes to :meth:`Pusher.push_stored` for that record: a deletion, a
   record sent again after its deletion, a linked inventory level or payment (their updates
   read QBO first), a linked inventory item whose count may have changed or an item matched
   by name whose count differs (an adjustment follows its update), an order whose bill is
   already in QBO, a reference that is not linked
   (Pusher pushes the dependency first), a payment method or category QBO lacks, a refund
   account of the wrong type, and any write QBO refused with a conflict to resolve (6240
   duplicate name, 5010 stale SyncToken, 610 missing object) or left uncertain. Other
   refusals fail the record, as the per-record path does.

:meth:`BulkPusher.run` returns the same :class:`PushReport` as :meth:`Pusher.push_dirty` (one
result per record, in push order) and never raises for a record. When the company refuses
everything (the connection is gone, the subscription ended) the records of the wave fail
with that sentence, no later wave is tried, and the error is raised.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final, Literal

from ledgerbridge.mapping import (
    MappingError,
    Payload,
    QBORef,
    Refs,
    SkipRecordError,
    UnresolvedReferenceError,
    close_estimate,
    map_inventory_level,
    map_purchase_order_bill,
    normalize_name,
    other_estimates,
    sparse_update,
    strip_deleted_suffix,
)
from ledgerbridge.model import (
    AnyRecord,
    Customer,
    InventoryLevel,
    Invoice,
    Item,
    Payment,
    Project,
    PurchaseOrder,
    TenantSettings,
    Vendor,
    to_decimal,
)
from ledgerbridge.qbo import (
    BATCH_MAX_ITEMS,
    BatchItem,
    QBOClient,
    QBOError,
    ResolveError,
    ServerError,
    UncertainOutcomeError,
    select,
)
from ledgerbridge.store import (
    LinkConflictError,
    LinkRecord,
    LinkSave,
    LinkStore,
    OperationAction,
    OperationOutcome,
    OperationRecord,
    OperationStore,
    OperationTrigger,
    PlannedOperation,
    RecordStore,
    StoredRecord,
)

from ._dispatch import Dispatcher, DispatchStats, Sent, Write, WriteQueue, refuses_everything
from ._in_doubt import FOUND_BY_CONTENT, find_written
from ._memo import CompanyMemo
from ._push import PUSH_ORDER, Pusher
from ._push_map import MapContext, map_record, mapping_failure
from ._push_names import name_field, name_matches, wanted_names
from ._push_support import (
    APP_MASTER,
    BILL_FAILED,
    ENTITY,
    PO_BILL,
    REMOVED,
    Namespace,
    PushFailed,
    PushOutcome,
    PushReport,
    PushResult,
    RecordBook,
    from_qbo,
    join_warnings,
    paid_invoices,
    parse,
    po_line_ids,
    pushed,
    quantity,
    rows,
    total_warning,
    untracked_item,
    written_link,
)

__all__ = ["WAVES", "BulkPusher", "BulkStats"]

logger = logging.getLogger(__name__)

#: The waves of a bulk push: each refers only to the ones before it (module docstring).
WAVES: Final[tuple[tuple[str, ...], ...]] = (
    ("customer",),
    ("project",),
    ("vendor", "item"),
    ("sales_order",),
    ("invoice", "purchase_order"),
    ("payment", "credit_memo", "refund", "bill"),
    ("inventory_level",),
)
_NAME_LISTS: Final = frozenset({"customer", "project", "vendor", "item"})
#: UnresolvedReferenceError.kind of an app record -> its record type
_APP_KINDS: Final[Mapping[str, str]] = {
    "customer": "customer",
    "project": "project",
    "vendor": "vendor",
    "item": "item",
    "sales order": "sales_order",
    "invoice": "invoice",
    "purchase order": "purchase_order",
}
#: record type -> the Refs table its links fill
_REF_TABLE: Final[Mapping[str, str]] = {
    "customer": "customers",
    "project": "projects",
    "vendor": "vendors",
    "item": "items",
    "sales_order": "estimates",
    "invoice": "invoices",
    "purchase_order": "purchase_orders",
}
#: QBO entity -> the client namespace that reads it
_NAMESPACES: Final[Mapping[str, str]] = {
    "Customer": "customers",
    "Vendor": "vendors",
    "Item": "items",
    "Invoice": "invoices",
    "Estimate": "estimates",
    "PurchaseOrder": "purchase_orders",
    "Payment": "payments",
    "InventoryAdjustment": "inventory_adjustments",
}
#: the sales forms whose DocNumber QBO refuses when another sales form holds it (6140,
#: ``QBO-REFERENCE.md`` 8.3); vendor documents are checked only if the company says so
_DOC_NUMBER_UNIQUE: Final = frozenset({"Estimate", "Invoice", "CreditMemo", "RefundReceipt"})
#: values per ``IN (...)`` query
_IN_CHUNK: Final = 200
#: writes whose results are stored together: a few batch requests' worth (each store
#: transaction costs a commit; a crash before one loses nothing, as the records still
#: unlinked are looked for in QBO by name or DocNumber before they are written again)
_FLUSH_EVERY: Final = 120
#: rounds of one wave: records waiting for another record of their wave go in the next
_ROUNDS: Final = 3
#: records planned at a time: the first chunk's writes go out while the next is planned
_PLAN_CHUNK: Final = 100
#: references one record may resolve; more means something loops
_MAX_RESOLUTIONS: Final = 20
_ACTIONS: Final[Mapping[str, OperationAction]] = {
    "created": "create",
    "updated": "update",
    "linked": "reattach",
}

_Kind = Literal["record", "bill", "close"]


@dataclass
class BulkStats:
    """What a bulk run sent, besides the per-record report."""

    batch_requests: int = 0
    plain_requests: int = 0
    #: writes QBO accepted, in batch requests and alone (the per-record path's not counted)
    writes: int = 0
    batched_writes: int = 0
    single_writes: int = 0
    #: records handed to the per-record path, by reason, and how many of them it wrote
    #: (each counted once, though it may have written a dependency or a bill too)
    fallbacks: dict[str, int] = field(default_factory=dict)
    alone_written: int = 0
    #: writes in doubt (no answer, or left open by a killed worker) found made in QBO
    found_in_doubt: int = 0

    @property
    def total_writes(self) -> int:
        """Writes QBO accepted: the bulk path's, and at least one per record the per-record
        path wrote."""
        return self.writes + self.alone_written

    def add(self, stats: DispatchStats) -> None:
        self.batch_requests += stats.batch_requests
        self.plain_requests += stats.plain_requests
        self.batched_writes += stats.batched_writes
        self.single_writes += stats.single_writes


@dataclass(frozen=True)
class _Plan:
    """One write: a record's own, a received order's bill, or an estimate a multi-order
    invoice closes (``kind``), with what its success means."""

    stored: StoredRecord
    record: AnyRecord
    entity: str
    payload: Payload
    item: BatchItem
    outcome: PushOutcome
    kind: _Kind = "record"
    #: invoice Id -> what this payment takes off its open balance
    applied: tuple[tuple[str, Decimal], ...] = ()
    #: a received purchase order: its bill follows, and only then is it clean
    bill_due: bool = False
    #: the record the operation log files the write under, when not ``stored`` (a closed
    #: estimate: its sales order)
    operation_of: tuple[str, str] | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.stored.record_type, self.stored.app_id)

    @property
    def operation_key(self) -> tuple[str, str]:
        """The record the operation log files this write under."""
        return self.operation_of or (self.link_type, self.stored.app_id)

    @property
    def link_type(self) -> str:
        return PO_BILL if self.kind == "bill" else self.stored.record_type


@dataclass
class _Order:
    """A received purchase order written by the run, waiting for its bill."""

    stored: StoredRecord
    record: PurchaseOrder
    obj: dict[str, Any]
    result: PushResult
    bill_warning: str | None = None
    billed: bool = False


class _Defer(Exception):
    """The record refers to a record of its own wave not written yet: next round."""


class _Fallback(Exception):
    """The per-record path pushes this record (module docstring, point 5)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class _Sending:
    """What one dispatch of a round has queued, and what came back."""

    fallbacks: list[StoredRecord]
    plans: list[_Plan] = field(default_factory=list)
    operations: list[OperationRecord] = field(default_factory=list)
    buffer: _Completed = field(default_factory=lambda: _Completed())
    failed: set[tuple[str, str]] = field(default_factory=set)
    #: writes without an answer, looked for in QBO once the dispatch is done (``_in_doubt``)
    in_doubt: list[tuple[_Plan, OperationRecord, Sent]] = field(default_factory=list)
    #: writes planned but not yet queued: fewer than a batch, until more are planned
    held: list[Write] = field(default_factory=list)


@dataclass
class _Completed:
    """Written records waiting to be stored together."""

    saves: list[LinkSave] = field(default_factory=list)
    clean: list[StoredRecord] = field(default_factory=list)
    outcomes: list[OperationOutcome] = field(default_factory=list)
    results: list[PushResult] = field(default_factory=list)
    #: invoices that written payments changed in QBO (their links' SyncTokens are stale)
    paid: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.outcomes)


class BulkPusher:
    """Pushes a tenant's records to its QBO company in bulk (module docstring)."""

    def __init__(
        self,
        *,
        tenant_id: str,
        qbo: QBOClient,
        records: RecordStore,
        links: LinkStore,
        settings: TenantSettings,
        operations: OperationStore,
        trigger: OperationTrigger = "bulk",
        run_id: str | None = None,
        in_flight: int = 10,
        memo: CompanyMemo | None = None,
    ) -> None:
        """``trigger`` and ``run_id`` tag every operation the run writes; ``in_flight`` is
        the governor's concurrency (Intuit's 10); ``memo`` what the process remembers of the
        company between runs (:class:`CompanyMemo`)."""
        self._tenant = tenant_id
        self._qbo = qbo
        self._records = records
        self._links = links
        self._settings = settings
        self._operations = operations
        self._trigger: OperationTrigger = trigger
        self._run_id = run_id
        self._in_flight = in_flight
        self._pusher = Pusher(
            tenant_id=tenant_id,
            qbo=qbo,
            records=records,
            links=links,
            settings=settings,
            memo=memo,
        )
        self._memo = memo or CompanyMemo()
        self._book = RecordBook(tenant_id, records, links)
        self.stats = BulkStats()
        self._report = PushReport()
        # links by (record_type, app_id) and the QBO objects they hold, kept current
        self._index: dict[tuple[str, str], LinkRecord] = {}
        self._holders: dict[tuple[str, str], tuple[str, str]] = {}
        # QBO objects the run matched to a record before its link is saved
        self._claimed: set[tuple[str, str]] = set()
        self._refs: Refs | None = None
        # app record references from the links: Refs table -> app id -> QBO object
        self._tables: dict[str, dict[str, QBORef]] = {table: {} for table in _REF_TABLE.values()}
        # QBO lists resolved by name: Refs table -> the name as spelled -> reference
        self._named: dict[str, dict[str, QBORef]] = {}
        # name lists by normalized name (inactive rows too), transactions by DocNumber
        self._by_name: dict[str, dict[str, list[dict[str, Any]]]] = {}
        self._by_doc: dict[str, dict[str, list[dict[str, Any]]]] = {}
        # entity -> whether QBO held any before the run wrote one (_any_before)
        self._counted: dict[str, bool] = {}
        # what the run knows of QBO objects it needs: invoice balances, items (quantities)
        self._balances: dict[str, Decimal] = {}
        self._items: dict[str, dict[str, Any]] = {}
        self._parsed: dict[tuple[str, str], AnyRecord] = {}
        self._open: dict[tuple[str, str], OperationRecord] = {}
        self._orders: dict[str, _Order] = {}
        self._blocking: QBOError | None = None
        # one batch of store writes at a time (SQLite has one writer)
        self._storing = asyncio.Lock()

    # -- public -------------------------------------------------------------------------------
    async def run(
        self,
        *,
        record_types: Collection[str] | None = None,
        records: Collection[tuple[str, str]] | None = None,
    ) -> PushReport:
        """Push the dirty records of ``record_types`` (every type when ``None``), or the
        named ``records`` (dirty or not, as :meth:`Pusher.push` does); one result each."""
        if records is not None and record_types is not None:
            raise ValueError("name record types or records, not both")
        unknown = sorted({*(record_types or ()), *(t for t, _ in records or ())} - set(ENTITY))
        if unknown:
            raise ValueError(f"records of type {', '.join(unknown)} are not pushed to QuickBooks")
        self._report = PushReport()
        selected = self._select(record_types, records)
        self._index = {}
        self._holders = {}
        stored_links = self._links.of_types(tenant_id=self._tenant, record_types=[*ENTITY, PO_BILL])
        for link in stored_links.values():
            self._remember(link)
        self._open = self._operations.open_of(tenant_id=self._tenant)
        await self._resume_in_doubt()
        # linked items whose count may move QBO's quantity wait for the stock counts' wave
        items = selected.get("item", [])
        counted = [self._pusher.counted_later(record) for record in items]
        if any(counted):
            selected["item"] = [r for r, later in zip(items, counted, strict=True) if not later]
            selected["inventory_level"] = [
                *selected.get("inventory_level", []),
                *(r for r, later in zip(items, counted, strict=True) if later),
            ]
        for wave in WAVES:
            if "inventory_level" in wave:
                self._items.clear()  # the run's transactions moved QBO's quantities: read again
            stored = [record for record_type in wave for record in selected.get(record_type, [])]
            if stored or self._orders:
                await self._wave(stored)
            if self._blocking is not None:
                raise self._blocking
        rank = {record_type: n for n, record_type in enumerate(PUSH_ORDER)}
        self._report.results.sort(key=lambda r: (rank.get(r.record_type, 99), r.app_id))
        return self._report

    # -- selection ----------------------------------------------------------------------------
    def _select(
        self,
        record_types: Collection[str] | None,
        named: Collection[tuple[str, str]] | None,
    ) -> dict[str, list[StoredRecord]]:
        """The stored records to push, by type."""
        selected: dict[str, list[StoredRecord]] = {}
        if named is not None:
            for record_type, app_id in dict.fromkeys(named):
                stored = self._records.get(
                    tenant_id=self._tenant, record_type=record_type, app_id=app_id
                )
                if stored is None:
                    message = f"No {record_type} {app_id!r} was received from the app."
                    result = PushResult(record_type, app_id, "failed", message=message)
                    self._report.results.append(result)
                else:
                    selected.setdefault(record_type, []).append(stored)
            return selected
        types = sorted(record_types) if record_types is not None else None
        after: tuple[str, str] | None = None
        while page := self._records.dirty(
            tenant_id=self._tenant, record_types=types, limit=1000, after=after
        ):
            for stored in page:
                selected.setdefault(stored.record_type, []).append(stored)
            after = (page[-1].record_type, page[-1].app_id)
        return selected

    # -- one wave -----------------------------------------------------------------------------
    async def _wave(self, stored: Sequence[StoredRecord]) -> None:
        pending = list(stored)
        fallbacks: list[StoredRecord] = []
        for round_ in range(_ROUNDS):
            self._refs = None  # the links saved since the last round are references now
            deferred = await self._round(pending, fallbacks, bills=round_ == 0)
            if self._blocking is not None:
                return
            await self._finish_orders(fallbacks)
            if not deferred:
                break
            pending = deferred
            if round_ == _ROUNDS - 1:
                fallbacks.extend(deferred)
        for record in fallbacks:
            await self._push_alone(record)

    async def _round(
        self, pending: Sequence[StoredRecord], fallbacks: list[StoredRecord], *, bills: bool
    ) -> list[StoredRecord]:
        """One round of a wave: the records planned a chunk at a time, each chunk queued for
        the dispatcher as soon as it is planned (so that planning the next one overlaps the
        requests of this one); the records that wait for the next round."""
        wave = {(record.record_type, record.app_id) for record in pending}
        sending = _Sending(fallbacks)
        queue = WriteQueue()
        dispatch = asyncio.create_task(self._dispatch(queue, sending))
        deferred: list[StoredRecord] = []
        try:
            plans = self._bill_plans(fallbacks) if bills else []
            for start in range(0, max(len(pending), 1), _PLAN_CHUNK):
                chunk = pending[start : start + _PLAN_CHUNK]
                planned, waiting = await self._plan(chunk, wave, fallbacks)
                plans.extend(planned)
                deferred.extend(waiting)
                plans = await self._close_estimates(plans, fallbacks)
                await self._enqueue(plans, queue, sending, whole_batches=True)
                plans = []
                if self._blocking is not None:
                    break
        finally:
            queue.put(sending.held)
            queue.close()
            await dispatch
        return deferred

    async def _plan(
        self,
        stored: Sequence[StoredRecord],
        wave: set[tuple[str, str]],
        fallbacks: list[StoredRecord],
    ) -> tuple[list[_Plan], list[StoredRecord]]:
        """Gate and map the records: their write plans, and the records that wait for the
        next round. Skips, failures and unchanged records are recorded here; QBO is asked
        for what mapping needs only when something is to be written."""
        gated: list[tuple[StoredRecord, AnyRecord]] = []
        unchanged: list[StoredRecord] = []
        for record in stored:
            try:
                parsed = self._gate(record)
            except _Fallback as fallback:
                self._fall_back(record, fallback.reason, fallbacks)
            except PushFailed as failure:
                self._report.results.append(self._book.fail(record, failure))
            else:
                if parsed is None:
                    unchanged.append(record)
                else:
                    gated.append((record, parsed))
        self._unchanged(unchanged)
        if not gated:
            return [], []
        await self._preload([record for record, _ in gated])
        mapped: list[tuple[StoredRecord, AnyRecord, Payload, tuple[tuple[str, Decimal], ...]]]
        mapped = []
        deferred: list[StoredRecord] = []
        for record, parsed in gated:
            try:
                payload, applied = await self._map(parsed, wave)
            except _Defer:
                deferred.append(record)
                continue
            except _Fallback as fallback:
                self._fall_back(record, fallback.reason, fallbacks)
                continue
            except PushFailed as failure:
                self._report.results.append(self._book.fail(record, failure))
                continue
            self._parsed[record.record_type, record.app_id] = parsed
            mapped.append((record, parsed, payload, applied))
        await self._preload_doc_numbers(mapped)
        plans: list[_Plan] = []
        for record, parsed, payload, applied in mapped:
            try:
                plans.append(self._write_plan(record, parsed, payload, applied))
            except _Fallback as fallback:
                self._restore_balances(applied)
                self._fall_back(record, fallback.reason, fallbacks)
        return plans, deferred

    def _gate(self, stored: StoredRecord) -> AnyRecord | None:
        """The parsed record to write, ``None`` when QBO has it already; raises
        :class:`PushFailed` (a gate skips it, it is invalid) or :class:`_Fallback`."""
        link = self._index.get((stored.record_type, stored.app_id))
        if stored.deleted:
            raise _Fallback("a deletion")
        if link is not None and link.last_result in REMOVED:
            raise _Fallback("a record sent again after its deletion")
        record = parse(stored)
        reason = self._pusher.skip_reason(stored, record, link)
        if reason is not None:
            raise PushFailed(reason, result="skipped")
        if isinstance(record, PurchaseOrder) and (PO_BILL, record.id) in self._index:
            raise _Fallback("a purchase order whose bill is in QuickBooks")
        if link is not None and pushed(stored, link):
            if isinstance(record, PurchaseOrder) and record.status != "ordered":
                raise _Fallback("a received purchase order without its bill")
            return None
        linked = link is not None and link.linked
        if linked and isinstance(record, (Payment, InventoryLevel)):
            raise _Fallback(f"a {stored.record_type.replace('_', ' ')} in QuickBooks already")
        if self._pusher.counted_later(stored):
            raise _Fallback("a linked inventory item whose count may have changed")
        return record

    def _unchanged(self, stored: Sequence[StoredRecord]) -> None:
        """Records QBO has as they are: marked clean together, no request."""
        if not stored:
            return
        self._records.mark_clean_many(
            tenant_id=self._tenant,
            records=[(s.record_type, s.app_id, s.content_hash) for s in stored],
        )
        for record in stored:
            link = self._index[record.record_type, record.app_id]
            self._report.results.append(
                PushResult(
                    record.record_type,
                    record.app_id,
                    "unchanged",
                    qbo_id=link.qbo_id,
                    warning=link.warning,
                )
            )

    def _fall_back(self, stored: StoredRecord, reason: str, fallbacks: list[StoredRecord]) -> None:
        self.stats.fallbacks[reason] = self.stats.fallbacks.get(reason, 0) + 1
        fallbacks.append(stored)

    # -- mapping with references from the links and the preloaded lists ----------------------
    async def _map(
        self, record: AnyRecord, wave: set[tuple[str, str]]
    ) -> tuple[Payload, tuple[tuple[str, Decimal], ...]]:
        """The record's body, and what it applies to invoices (a payment)."""
        for _ in range(_MAX_RESOLUTIONS):
            refs = self._current_refs()
            try:
                payload = self._map_once(record, refs)
            except UnresolvedReferenceError as error:
                await self._resolve(error, wave)
                continue
            except (MappingError, SkipRecordError) as error:
                raise mapping_failure(error) from error
            return payload, self._apply(record, payload)
        raise _Fallback("many references to resolve")

    def _map_once(self, record: AnyRecord, refs: Refs) -> Payload:
        if not isinstance(record, InventoryLevel):
            context = self._context(record, refs)
            return map_record(record, settings=self._settings, refs=refs, context=context)
        # an adjustment of the difference to what QBO holds now (Pusher._adjust's rule)
        if self._settings.inventory_mode != "qbo_tracks":
            raise PushFailed(APP_MASTER, result="skipped")
        item = self._items.get(refs.item(record.item_id).value)
        if item is None:
            raise _Fallback("an item whose quantity is unknown")
        if item.get("Type") != "Inventory":
            raise PushFailed(untracked_item(item, record.item_id), result="skipped")
        payload = map_inventory_level(
            record,
            settings=self._settings,
            refs=refs,
            qbo_quantity=quantity(item.get("QtyOnHand")),
        )
        item["QtyOnHand"] = record.quantity_on_hand  # what a second level of it sees
        return payload

    def _current_refs(self) -> Refs:
        """The references mapping uses: the links (as of the round's start) and the QBO
        lists resolved by name."""
        if self._refs is None:
            self._refs = Refs(**self._tables, **self._named)
        return self._refs

    async def _resolve(self, error: UnresolvedReferenceError, wave: set[tuple[str, str]]) -> None:
        """A QBO list record by name, by the per-record path's rule (and its cache:
        :meth:`Pusher.resolve_list`); a record of this wave defers the record; another app
        record that is not linked sends it to the per-record path (which pushes that first)."""
        charge_item = (error.field or "").endswith("charge_item")
        record_type = None if charge_item else _APP_KINDS.get(error.kind)
        if record_type is not None:
            if (record_type, error.app_id) in wave:
                raise _Defer
            raise _Fallback(f"a {error.kind} that is not linked yet")
        table, ref = await self._pusher.resolve_list(error)
        self._named.setdefault(table, {})[error.app_id] = ref
        self._refs = None

    def _context(self, record: AnyRecord, refs: Refs) -> MapContext:
        if isinstance(record, Project):
            parent = self._app_record("customer", record.customer_id)
            return MapContext(parent=parent if isinstance(parent, Customer) else None)
        if isinstance(record, PurchaseOrder):
            vendor = self._app_record("vendor", record.vendor_id)
            return MapContext(vendor=vendor if isinstance(vendor, Vendor) else None)
        if isinstance(record, Payment):
            if any(a.invoice_id not in refs.invoices for a in record.applications):
                return MapContext()  # mapping raises for the invoice to resolve
            balances: dict[str, Decimal] = {}
            for application in record.applications:
                balance = self._balances.get(refs.invoices[application.invoice_id].value)
                if balance is None:
                    raise _Fallback("an invoice whose balance is unknown")
                balances[application.invoice_id] = balance
            return MapContext(open_balances=balances)
        return MapContext()

    def _app_record(self, record_type: str, app_id: str) -> AnyRecord | None:
        known = self._parsed.get((record_type, app_id))
        if known is not None:
            return known
        stored = self._records.get(tenant_id=self._tenant, record_type=record_type, app_id=app_id)
        if stored is None:
            return None
        try:
            record = parse(stored)
        except PushFailed:
            return None
        self._parsed[record_type, app_id] = record
        return record

    def _apply(self, record: AnyRecord, payload: Payload) -> tuple[tuple[str, Decimal], ...]:
        """A payment's amounts, taken off the open balances the run keeps, so that the next
        payment of an invoice sees what is left, as a read from QBO would."""
        if not isinstance(record, Payment):
            return ()
        applied = [
            (str(txn["TxnId"]), to_decimal(line["Amount"]))
            for line in payload.get("Line") or []
            for txn in line.get("LinkedTxn") or []
            if txn.get("TxnType") == "Invoice"
        ]
        self._restore_balances((invoice_id, -amount) for invoice_id, amount in applied)
        return tuple(applied)

    def _restore_balances(self, applied: Iterable[tuple[str, Decimal]]) -> None:
        for invoice_id, amount in applied:
            self._balances[invoice_id] = self._balances.get(invoice_id, Decimal(0)) + amount

    # -- look-ups in bulk ---------------------------------------------------------------------
    async def _preload(self, stored: Sequence[StoredRecord]) -> None:
        """What the wave's records need from QBO (module docstring, point 2)."""
        types = {record.record_type for record in stored}
        unlinked = {
            record.record_type
            for record in stored
            if record.record_type in _NAME_LISTS and not self._linked(record)
        }
        for entity in sorted({ENTITY[record_type][0] for record_type in unlinked}):
            await self._name_list(entity)
        if "payment" in types:
            invoices = await self._by_ids("Invoice", self._linked_ids(stored, "payment"))
            for invoice in invoices.values():
                self._balance(invoice)
        if "inventory_level" in types:
            items = await self._by_ids("Item", self._linked_ids(stored, "inventory_level"))
            for item in items.values():
                self._item(item)

    async def _all(self, entity: str, *, inactive: bool = False) -> list[dict[str, Any]]:
        query = select(entity)
        if inactive:
            query = query.where("Active", "IN", [True, False])
        resource = getattr(self._qbo, _NAMESPACES[entity])
        return [row async for row in resource.iterate(query)]

    async def _name_list(self, entity: str) -> None:
        """Every record of a name list, inactive ones too, by normalized name; once a run
        (what the run creates is linked, and so never another record's match)."""
        if entity in self._by_name:
            return
        index: dict[str, list[dict[str, Any]]] = {}
        for row in await self._all(entity, inactive=True):
            name = normalize_name(strip_deleted_suffix(str(row.get(name_field(entity), ""))))
            index.setdefault(name, []).append(row)
        self._by_name[entity] = index

    def _linked(self, stored: StoredRecord) -> bool:
        link = self._index.get((stored.record_type, stored.app_id))
        return link is not None and link.linked

    def _linked_ids(self, stored: Sequence[StoredRecord], record_type: str) -> list[str]:
        """The QBO Ids of the invoices the wave's payments pay (``payment``), or of the
        items its inventory levels count (``inventory_level``)."""
        wanted: set[str] = set()
        for record in stored:
            if record.record_type != record_type or record.deleted:
                continue
            if record_type == "payment":
                targets = [
                    ("invoice", str(a.get("invoice_id")))
                    for a in record.payload.get("applications") or []
                ]
            else:
                targets = [("item", str(record.payload.get("item_id")))]
            for target in targets:
                link = self._index.get(target)
                if link is not None and link.qbo_id is not None:
                    wanted.add(link.qbo_id)
        known = self._balances if record_type == "payment" else self._items
        return sorted(wanted - set(known))

    async def _by_ids(self, entity: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """QBO objects by Id, ``IN (...)`` queries of a few hundred Ids."""
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), _IN_CHUNK):
            query = select(entity).where("Id", "IN", list(ids[start : start + _IN_CHUNK]))
            for row in rows(await self._qbo.query(query.to_sql()), entity):
                found[str(row["Id"])] = row
        return found

    def _balance(self, invoice: Mapping[str, Any]) -> None:
        if invoice.get("Balance") is not None:
            self._balances[str(invoice["Id"])] = to_decimal(invoice["Balance"])

    def _item(self, item: Mapping[str, Any]) -> None:
        self._items[str(item["Id"])] = dict(item)

    async def _preload_doc_numbers(
        self, mapped: Sequence[tuple[StoredRecord, AnyRecord, Payload, Any]]
    ) -> None:
        """The QBO transactions carrying the DocNumbers of the wave's unlinked ones."""
        wanted: dict[str, set[str]] = {}
        for stored, _, payload, _ in mapped:
            link = self._index.get((stored.record_type, stored.app_id))
            if stored.record_type in _NAME_LISTS or (link is not None and link.linked):
                continue
            entity = ENTITY[stored.record_type][0]
            if payload.get("DocNumber") and not self._refused_if_taken(entity):
                wanted.setdefault(entity, set()).add(str(payload["DocNumber"]))
        for entity, numbers in sorted(wanted.items()):
            if not await self._any_before(entity):
                continue  # nothing to re-attach to: every one the run finds was its own
            found = self._by_doc.setdefault(entity, {})
            ordered = sorted(number for number in numbers if number not in found)
            for number in ordered:
                found[number] = []
            for start in range(0, len(ordered), _IN_CHUNK):
                query = select(entity).where("DocNumber", "IN", ordered[start : start + _IN_CHUNK])
                for row in rows(await self._qbo.query(query.to_sql()), entity):
                    found.setdefault(str(row.get("DocNumber")), []).append(row)

    def _refused_if_taken(self, entity: str) -> bool:
        """Whether a new ``entity`` is created without looking its DocNumber up first: in an
        auto run (records the app has just saved, new ones mostly), for a sales form, which
        QBO refuses when its DocNumber is taken (6140). The refusal goes to the per-record
        path, which finds the holder by DocNumber and links it, as the look-up would have;
        the run of one new invoice saves the look-up's request. Other runs look up in bulk:
        an initial sync into a company with the shop's past documents would be refused one
        record at a time."""
        return self._trigger == "auto" and entity in _DOC_NUMBER_UNIQUE

    async def _any_before(self, entity: str) -> bool:
        """Whether QBO held any ``entity`` before the run wrote one (one ``COUNT(*)`` the
        first time a run asks, unless an earlier run learnt it did: :class:`CompanyMemo`; a
        new company's "none" saves the run every DocNumber look-up)."""
        if self._memo.held.get(entity):
            return True
        if entity not in self._counted:
            query = select(entity).count()
            response = await self._qbo.query(query.to_sql())
            self._counted[entity] = int(response.get("totalCount") or 0) > 0
            if self._counted[entity]:
                self._memo.held[entity] = True
        return self._counted[entity]

    # -- write plans --------------------------------------------------------------------------
    def _write_plan(
        self,
        stored: StoredRecord,
        record: AnyRecord,
        payload: Payload,
        applied: tuple[tuple[str, Decimal], ...],
    ) -> _Plan:
        """Update the linked object, else the matched one, else create: the per-record
        path's order."""
        entity = ENTITY[stored.record_type][0]
        bill_due = isinstance(record, PurchaseOrder) and record.status != "ordered"
        link = self._index.get((stored.record_type, stored.app_id))
        target: tuple[str, str, PushOutcome] | None = None
        if link is not None and link.qbo_id is not None:
            if link.sync_token is None:
                raise _Fallback("a link without its SyncToken")
            target = (link.qbo_id, link.sync_token, "updated")
        else:
            match = (
                self._name_match(stored, entity, payload)
                if stored.record_type in _NAME_LISTS
                else self._doc_number_match(stored, entity, payload)
            )
            if match is not None:
                if self._count_differs(record, match):
                    raise _Fallback("an item matched by name whose count differs")
                self._claimed.add((entity, str(match["Id"])))
                target = (str(match["Id"]), str(match["SyncToken"]), "linked")
        if target is None:
            item = BatchItem("create", entity, body=payload)
            outcome: PushOutcome = "created"
        else:
            qbo_id, sync_token, outcome = target
            body = sparse_update(entity, payload, qbo_id=qbo_id, sync_token=sync_token)
            item = BatchItem("update", entity, body=body)
        return _Plan(
            stored, record, entity, payload, item, outcome, applied=applied, bill_due=bill_due
        )

    def _count_differs(self, record: AnyRecord, match: Mapping[str, Any]) -> bool:
        """Whether linking ``record`` to ``match`` moves QBO's quantity on hand (an
        adjustment the per-record path makes after the item's update)."""
        return (
            isinstance(record, Item)
            and record.quantity_on_hand is not None
            and self._settings.inventory_mode == "qbo_tracks"
            and match.get("Type") == "Inventory"
            and quantity(match.get("QtyOnHand")) != record.quantity_on_hand
        )

    def _free(self, entity: str, row: Mapping[str, Any], app_id: str | None = None) -> bool:
        """Whether no other record holds or claimed this QBO object (``app_id``: this
        record holding it is fine)."""
        qbo_key = (entity, str(row["Id"]))
        if qbo_key in self._claimed:
            return False
        holder = self._holders.get(qbo_key)
        return holder is None or (app_id is not None and holder[1] == app_id)

    def _name_match(
        self, stored: StoredRecord, entity: str, payload: Payload
    ) -> Mapping[str, Any] | None:
        """The per-record path's match rule (``_push_names``) on the preloaded list."""
        wanted = wanted_names(stored.record_type, entity, payload)
        index = self._by_name.get(entity, {})
        for name in wanted:
            for row in index.get(name, []):
                if name_matches(row, entity, wanted) and self._free(entity, row):
                    return row
        return None

    def _doc_number_match(
        self, stored: StoredRecord, entity: str, payload: Payload
    ) -> Mapping[str, Any] | None:
        """The per-record path's re-attach rule: a transaction of the DocNumber that no other
        record holds (or this one does)."""
        doc_number = payload.get("DocNumber")
        if not doc_number:
            return None
        for row in self._by_doc.get(entity, {}).get(str(doc_number), []):
            if self._free(entity, row, stored.app_id):
                return row
        return None

    # -- side writes: received orders' bills, estimates of multi-order invoices ---------------
    def _bill_plans(self, fallbacks: list[StoredRecord]) -> list[_Plan]:
        """The bills of the received orders an earlier wave wrote (Pusher._bill's rule)."""
        plans: list[_Plan] = []
        for order in self._orders.values():
            if order.billed:
                continue
            bills = [
                str(txn["TxnId"])
                for txn in order.obj.get("LinkedTxn") or []
                if txn.get("TxnType") == "Bill"
            ]
            if bills:
                # billed by an earlier attempt whose link was lost: the per-record path
                # re-attaches that bill, and the attempt's open operation is closed with it
                self._fall_back(order.stored, "an order QuickBooks shows billed", fallbacks)
                order.billed = True
                left = self._open.pop((PO_BILL, order.stored.app_id), None)
                if left is not None:
                    self._operations.finish_many(
                        tenant_id=self._tenant,
                        outcomes=[OperationOutcome(left.id, "succeeded", qbo_id=bills[0])],
                    )
                continue
            line_ids = po_line_ids(order.record, order.obj)
            try:
                payload = map_purchase_order_bill(
                    order.record,
                    settings=self._settings,
                    refs=self._current_refs(),
                    po_line_ids=line_ids,
                )
            except (MappingError, SkipRecordError):
                self._fall_back(order.stored, "a bill to resolve", fallbacks)
                order.billed = True
                continue
            item = BatchItem("create", "Bill", body=payload)
            plans.append(
                _Plan(order.stored, order.record, "Bill", payload, item, "created", kind="bill")
            )
        return plans

    async def _finish_orders(self, fallbacks: list[StoredRecord]) -> None:
        """Billed orders: their new SyncToken (the bill changed them in QBO) on their link,
        their warning with the bill's, clean at last."""
        billed = {app_id: order for app_id, order in self._orders.items() if order.billed}
        if not billed:
            return
        ids = sorted(str(order.obj["Id"]) for order in billed.values())
        fresh = await self._by_ids("PurchaseOrder", ids)
        done = _Completed()
        for app_id, order in billed.items():
            del self._orders[app_id]
            current = fresh.get(str(order.obj["Id"]))
            if current is None:
                self._fall_back(order.stored, "an order QuickBooks did not return", fallbacks)
                continue
            warning = join_warnings(order.result.warning, order.bill_warning)
            done.saves.append(
                written_link(order.stored, current, qbo_type="PurchaseOrder", warning=warning)
            )
            done.clean.append(order.stored)
            result = order.result
            done.results.append(
                PushResult(*result_key(result), result.outcome, result.qbo_id, warning=warning)
            )
        await self._store(done)

    async def _close_estimates(
        self, plans: list[_Plan], fallbacks: list[StoredRecord]
    ) -> list[_Plan]:
        """Close the other estimates of the multi-order invoices about to be written
        (:func:`other_estimates`, :func:`close_estimate`), all at once, before the invoices;
        an invoice whose estimate cannot be closed fails, as on the per-record path."""
        wanted: dict[str, list[_Plan]] = {}
        for plan in plans:
            if plan.kind == "record" and isinstance(plan.record, Invoice):
                refs = self._current_refs()
                try:
                    estimates = other_estimates(plan.record, settings=self._settings, refs=refs)
                except MappingError:
                    continue
                for estimate in estimates:
                    wanted.setdefault(estimate.value, []).append(plan)
        if not wanted:
            return plans
        current = await self._by_ids("Estimate", sorted(wanted))
        closes: list[_Plan] = []
        for qbo_id, owners in wanted.items():
            found = current.get(qbo_id)
            if found is None or found.get("TxnStatus") == "Closed":
                continue
            body = close_estimate(qbo_id=qbo_id, sync_token=str(found["SyncToken"]))
            closes.append(
                _Plan(
                    owners[0].stored,
                    owners[0].record,
                    "Estimate",
                    body,
                    BatchItem("update", "Estimate", body=body),
                    "updated",
                    kind="close",
                    operation_of=self._holders.get(("Estimate", qbo_id)),
                )
            )
        failed: set[tuple[str, str]] = set()
        if closes:
            failed = await self._send(closes, fallbacks)
        kept = []
        for plan in plans:
            if plan.key in failed and plan.kind == "record":
                self._restore_balances(plan.applied)
            else:
                kept.append(plan)
        return kept

    # -- sending ------------------------------------------------------------------------------
    async def _send(
        self, plans: Sequence[_Plan], fallbacks: list[StoredRecord]
    ) -> set[tuple[str, str]]:
        """Dispatch these plans alone and store what came back; the keys of the records
        that failed or went to the per-record path."""
        sending = _Sending(fallbacks)
        queue = WriteQueue()
        await self._enqueue(plans, queue, sending)
        queue.close()
        await self._dispatch(queue, sending)
        return sending.failed

    async def _enqueue(
        self,
        plans: Sequence[_Plan],
        queue: WriteQueue,
        sending: _Sending,
        *,
        whole_batches: bool = False,
    ) -> None:
        """Store the plans' operations (in a worker thread), then queue their writes. With
        ``whole_batches`` (more is being planned) the writes past the last full batch wait in
        ``sending.held`` for the next call: queued, they would go out one request each."""
        if not plans:
            return
        async with self._storing:
            operations = await asyncio.to_thread(self._begin, plans)
        first = len(sending.plans)
        sending.plans.extend(plans)
        sending.operations.extend(operations)
        writes = sending.held + [
            Write(plan.item, first + index, request_id=operation.request_id)
            for index, (plan, operation) in enumerate(zip(plans, operations, strict=True))
        ]
        whole = len(writes) - len(writes) % BATCH_MAX_ITEMS if whole_batches else len(writes)
        sending.held = writes[whole:]
        queue.put(writes[:whole])

    async def _dispatch(self, queue: WriteQueue, sending: _Sending) -> None:
        """Send what the queue gets until it is closed; store the results as they come."""

        async def done(sent: Sequence[Sent]) -> None:
            for one in sent:
                index = one.write.key
                assert isinstance(index, int)
                plan, operation = sending.plans[index], sending.operations[index]
                if _in_doubt(plan, one):
                    sending.in_doubt.append((plan, operation, one))
                elif not self._settle(plan, operation, one, sending.buffer, sending.fallbacks):
                    sending.failed.add(plan.key)
            if len(sending.buffer) >= _FLUSH_EVERY:
                await self._store(sending.buffer)

        try:
            stats = await Dispatcher(self._qbo, in_flight=self._in_flight).run(queue, done)
            await self._settle_in_doubt(sending)
        finally:
            # what QBO answered is linked even when the run stops (a revoked connection):
            # an adjustment or a payment has no name or DocNumber to be found again by
            await self._store(sending.buffer)
        self.stats.add(stats)

    def _begin(self, plans: Sequence[_Plan]) -> list[OperationRecord]:
        """The plans' operations, stored and started before anything is sent; an operation a
        crash left open under the same record (a record's own write, a received order's bill,
        an estimate an invoice closes) is started again instead, with its ``requestid``."""
        resumed: dict[int, OperationRecord] = {}
        for index, plan in enumerate(plans):
            left = self._open.pop(plan.operation_key, None)
            if left is not None:
                resumed[index] = left
        created = iter(
            self._operations.create_many(
                tenant_id=self._tenant,
                realm_id=self._qbo.realm_id,
                trigger=self._trigger,
                run_id=self._run_id,
                start=True,
                operations=[
                    PlannedOperation(
                        *plan.operation_key,
                        plan.entity,
                        _ACTIONS[plan.outcome],
                        payload=None if plan.item.body is None else dict(plan.item.body),
                    )
                    for index, plan in enumerate(plans)
                    if index not in resumed
                ],
            )
        )
        self._operations.restart_many(
            tenant_id=self._tenant, operation_ids=[op.id for op in resumed.values()]
        )
        return [
            resumed[index] if index in resumed else next(created) for index in range(len(plans))
        ]

    def _settle(
        self,
        plan: _Plan,
        operation: OperationRecord,
        sent: Sent,
        buffer: _Completed,
        fallbacks: list[StoredRecord],
    ) -> bool:
        """One write's answer, set aside to be stored; whether it was written."""
        if sent.error is None and sent.value is not None:
            self._written(plan, operation, sent.value, buffer)
            return True
        error = sent.error
        assert error is not None
        self._restore_balances(plan.applied)
        buffer.outcomes.append(_failed(operation, error))
        if refuses_everything(error):
            self._blocking = self._blocking or error
            self._report.results.append(self._book.fail(plan.stored, from_qbo(error)))
        elif isinstance(error, (ResolveError, UncertainOutcomeError)):
            self._fall_back(plan.stored, f"QuickBooks answered {type(error).__name__}", fallbacks)
        else:
            prefix = BILL_FAILED if plan.kind == "bill" else ""
            self._report.results.append(self._book.fail(plan.stored, from_qbo(error, prefix)))
        if plan.kind == "bill":
            self._orders.pop(plan.stored.app_id, None)
        return False

    async def _settle_in_doubt(self, sending: _Sending) -> None:
        """The writes that got no answer: each one QBO made is taken as written; the others
        go the way of any uncertain write (the per-record path sends them again)."""
        for plan, operation, sent in sending.in_doubt:
            try:
                obj = await self._find_written(plan.entity, plan.item.body or {})
            except QBOError as error:
                # still in doubt: the operation stays open, so the next run looks again
                # before sending; the record fails for now (its applications stay taken)
                buffer = sending.buffer
                buffer.outcomes.append(OperationOutcome(operation.id, "queued"))
                self._report.results.append(self._book.fail(plan.stored, from_qbo(error)))
                sending.failed.add(plan.key)
                continue
            if obj is not None:
                self.stats.found_in_doubt += 1
                self._claimed.add((plan.entity, str(obj["Id"])))
                self._written(plan, operation, obj, sending.buffer)
            elif not self._settle(plan, operation, sent, sending.buffer, sending.fallbacks):
                sending.failed.add(plan.key)
        sending.in_doubt.clear()

    async def _find_written(self, entity: str, body: Mapping[str, Any]) -> dict[str, Any] | None:
        """The object a write in doubt made in QBO, if it did (``_in_doubt``)."""
        resource: Namespace = getattr(self._qbo, _NAMESPACES[entity])
        return await find_written(
            resource,
            entity,
            body,
            lambda qbo_id: (entity, qbo_id) in self._holders or (entity, qbo_id) in self._claimed,
        )

    async def _resume_in_doubt(self) -> None:
        """Before anything is planned: the creates of payments and adjustments a killed worker
        left open that QBO made are linked, and their operations closed; the record, now
        linked, is then pushed like any linked record (unchanged: nothing is sent). The
        other open operations are sent again with their ``requestid`` (``_begin``)."""
        found: list[tuple[StoredRecord, OperationRecord, dict[str, Any]]] = []
        for key, operation in list(self._open.items()):
            if (
                operation.action != "create"
                or operation.realm_id != self._qbo.realm_id  # sent to a company since left
                or operation.qbo_type not in FOUND_BY_CONTENT
                or not isinstance(operation.payload, Mapping)
                or operation.record_type not in ENTITY
            ):
                continue
            obj = await self._find_written(operation.qbo_type, operation.payload)
            stored = self._records.get(tenant_id=self._tenant, record_type=key[0], app_id=key[1])
            if obj is None or stored is None:
                continue
            self._claimed.add((operation.qbo_type, str(obj["Id"])))
            found.append((stored, operation, obj))
            del self._open[key]
        if not found:
            return
        self.stats.found_in_doubt += len(found)
        buffer = _Completed()
        for stored, operation, obj in found:
            buffer.saves.append(
                written_link(stored, obj, qbo_type=operation.qbo_type, warning=None)
            )
            buffer.outcomes.append(
                OperationOutcome(
                    operation.id,
                    "succeeded",
                    qbo_id=str(obj["Id"]),
                    sync_token=str(obj.get("SyncToken", "0")),
                )
            )
            if operation.qbo_type == "Payment":
                buffer.paid.extend(paid_invoices(obj))
        await self._store(buffer)

    def _written(
        self, plan: _Plan, operation: OperationRecord, obj: dict[str, Any], buffer: _Completed
    ) -> None:
        qbo_id, sync_token = str(obj["Id"]), str(obj.get("SyncToken", "0"))
        self.stats.writes += 1
        buffer.outcomes.append(
            OperationOutcome(operation.id, "succeeded", qbo_id=qbo_id, sync_token=sync_token)
        )
        if plan.kind == "close":
            return
        if plan.entity == "Invoice":
            self._balance(obj)
        elif plan.entity == "Payment":
            buffer.paid.extend(paid_invoices(obj))
        elif plan.entity == "Item":
            self._item(obj)
        warning = (
            None
            if plan.link_type in _NAME_LISTS
            else (total_warning(plan.record, plan.payload, obj))
        )
        save = written_link(
            plan.stored, obj, qbo_type=plan.entity, warning=warning, record_type=plan.link_type
        )
        buffer.saves.append(save)
        if plan.kind == "bill":
            order = self._orders[plan.stored.app_id]
            order.bill_warning, order.billed = warning, True
            return
        result = PushResult(*plan.key, plan.outcome, qbo_id=qbo_id, warning=warning)
        if plan.bill_due:
            assert isinstance(plan.record, PurchaseOrder)
            self._orders[plan.stored.app_id] = _Order(plan.stored, plan.record, obj, result)
            return
        buffer.clean.append(plan.stored)
        buffer.results.append(result)

    async def _store(self, buffer: _Completed) -> None:
        """Store completed writes (links, clean marks, operation outcomes) in a worker thread,
        one batch of them at a time, so that the requests go on meanwhile; then forget them."""
        taken = _Completed(
            saves=list(buffer.saves),
            clean=list(buffer.clean),
            outcomes=list(buffer.outcomes),
            results=list(buffer.results),
            paid=list(buffer.paid),
        )
        buffer.paid.clear()
        buffer.saves.clear()
        buffer.clean.clear()
        buffer.outcomes.clear()
        buffer.results.clear()
        if not len(taken) and not taken.saves:
            return
        async with self._storing:
            saved, refused = await asyncio.to_thread(self._persist, taken)
        for link in saved:
            self._remember(link)
        for stored, message in refused:
            self._report.results.append(self._book.fail(stored, PushFailed(message)))
        refused_keys = {(stored.record_type, stored.app_id) for stored, _ in refused}
        self._report.results.extend(
            r for r in taken.results if (r.record_type, r.app_id) not in refused_keys
        )

    def _persist(self, done: _Completed) -> tuple[list[LinkRecord], list[tuple[StoredRecord, str]]]:
        """The store writes of :meth:`_store` (in a worker thread): the links, saved all at
        once or, on a conflict, one by one; the records whose link was refused, with why."""
        saved: list[LinkRecord] = []
        refused: list[tuple[StoredRecord, str]] = []
        if done.saves:
            try:
                saved = self._links.save_many(tenant_id=self._tenant, saves=done.saves)
            except LinkConflictError:
                by_key = {(s.record_type, s.app_id): s for s in done.clean}
                for save in done.saves:
                    try:
                        saved.extend(self._links.save_many(tenant_id=self._tenant, saves=[save]))
                    except LinkConflictError as conflict:
                        stored = by_key.get((save.record_type, save.app_id))
                        if stored is not None:
                            refused.append((stored, conflict.user_message))
        refused_keys = {(stored.record_type, stored.app_id) for stored, _ in refused}
        clean = [s for s in done.clean if (s.record_type, s.app_id) not in refused_keys]
        if clean:
            self._records.mark_clean_many(
                tenant_id=self._tenant,
                records=[(s.record_type, s.app_id, s.content_hash) for s in clean],
            )
        self._operations.finish_many(tenant_id=self._tenant, outcomes=done.outcomes)
        self._links.forget_sync_tokens(
            tenant_id=self._tenant, qbo_type="Invoice", qbo_ids=done.paid
        )
        return saved, refused

    def _remember(self, link: LinkRecord) -> None:
        """A link saved by the run; the references of the next round see it (a round refers
        only to what earlier rounds and waves wrote)."""
        key = (link.record_type, link.app_id)
        self._index[key] = link
        if link.qbo_type is not None and link.qbo_id is not None:
            self._holders[link.qbo_type, link.qbo_id] = key
        table = _REF_TABLE.get(link.record_type)
        if table is not None:
            if link.qbo_id is not None and link.last_result not in REMOVED:
                self._tables[table][link.app_id] = QBORef(link.qbo_id)
            else:
                self._tables[table].pop(link.app_id, None)

    # -- the per-record path ------------------------------------------------------------------
    async def _push_alone(self, stored: StoredRecord) -> None:
        """Push one record with :class:`Pusher`, which looks up what it needs itself."""
        current = self._records.get(
            tenant_id=self._tenant, record_type=stored.record_type, app_id=stored.app_id
        )
        if current is None:
            return
        result = await self._pusher.push_stored(current)
        self._report.results.append(result)
        if result.outcome in ("created", "updated", "linked", "deleted", "voided"):
            self.stats.alone_written += 1
        for record_type in (stored.record_type, PO_BILL):
            link = self._links.get(
                tenant_id=self._tenant, record_type=record_type, app_id=stored.app_id
            )
            if link is not None:
                self._remember(link)


def result_key(result: PushResult) -> tuple[str, str]:
    return (result.record_type, result.app_id)


def _in_doubt(plan: _Plan, sent: Sent) -> bool:
    """Whether a write's outcome is to be looked for in QBO: a create of a payment or an
    adjustment that got no answer, or a server's error page after the client's retries
    (QBO may have committed it before its gateway gave up); the others are found again by
    name or DocNumber."""
    return (
        isinstance(sent.error, (UncertainOutcomeError, ServerError))
        and plan.kind == "record"
        and plan.outcome == "created"
        and plan.entity in FOUND_BY_CONTENT
    )


def _failed(operation: OperationRecord, error: QBOError) -> OperationOutcome:
    return OperationOutcome(
        operation.id,
        "failed",
        intuit_tid=error.intuit_tid,
        error_code=None if error.code is None else str(error.code),
        message=error.user_message,
    )
