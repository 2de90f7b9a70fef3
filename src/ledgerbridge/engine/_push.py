"""Pushing the host app's records to QBO: resolve, create or update, link, mark clean.

:class:`Pusher` writes one tenant's records to one QBO company (issue 5, "Linking and
dependencies"). For each record, in this order:

1. **Unchanged**: a linked record whose content hash equals the hash last pushed sends no
   request at all; it is only marked clean.
2. **References first**: the record is mapped (``ledgerbridge.mapping``); each reference the
   mapping reports unresolved (:class:`UnresolvedReferenceError`) is resolved and the record
   mapped again. App records (customers, projects, vendors, items, sales orders, invoices,
   purchase orders) resolve to their link, else are pushed now (nobody pre-syncs parts; a
   record the app deleted is not); QBO lists named by settings (accounts, payment methods,
   terms, tax codes, the charge item) are found by name; an item category is found by name
   or created. A payment method that QBO lacks is created when the tenant allows it
   (``create_missing_payment_methods``; card brands as CREDIT_CARD methods), else the record
   fails with a sentence naming the method and that setting. A payment's applications are
   capped at each invoice's QBO ``Balance``, read just before (``cap_applications``), so an
   invoice is never paid twice.
3. **Name lists** (customers, projects, vendors, items), when unlinked: a QBO record whose
   name matches after :func:`normalize_name` (inactive ones included, their " (deleted)"
   suffix stripped) is linked and updated (which reactivates it); else one is created.
   **Duplicate-name rule**: customers, vendors and employees share one namespace in QBO.
   When QBO refuses a name because another kind of record holds it (6240), the record is
   created as ``"<name> (Customer)"`` or ``"<name> (Vendor)"`` and the link carries a
   warning saying so; a later look-up by name matches that suffixed name too. A raw 6240
   never reaches the shop owner.
4. **Transactions**, when unlinked: a QBO transaction of the same type and DocNumber is
   re-attached (updated in place) instead of duplicated; else one is created.
5. **Updates** are sparse updates of the fields ledgerbridge owns
   (:func:`sparse_update`), so what a bookkeeper added in QBO survives. A stale SyncToken
   (5010) is re-read and the update re-applied once.
6. **Totals**: after a transaction is written, QBO's ``TotalAmt`` is compared with
   :func:`expected_total` of the payload and with the record's own total; a difference is
   stored as the link's warning.
7. **Failures** (a mapping error, a QBO error, a dependency that failed) are recorded on the
   link with the shop owner's sentence, QBO's code and ``intuit_tid``; the record stays
   dirty. :meth:`Pusher.push_dirty` goes on with the other records and never raises.

**Inventory levels** (``inventory_level``), when QBO tracks quantities
(``inventory_mode: qbo_tracks``): the item is resolved like any reference, its ``QtyOnHand``
read, and an InventoryAdjustment of the difference to the app's quantity created; a zero
difference sends nothing (skipped). Because the difference is taken from what QBO holds at
that moment, pushing the same level again never adjusts twice. The link follows the latest
adjustment (an adjustment is never updated: a new level is a new one). In ``app_master`` mode,
or for an item QBO does not track (not of type Inventory), the level is skipped with a
sentence saying so. An **item's own** ``quantity_on_hand`` is a count too: it is the
quantity an item is created with, and when an Inventory item is updated or matched by name
and QBO holds another quantity, an InventoryAdjustment of the difference follows the item's
write (:meth:`Pusher._count`; none when the app leaves ``quantity_on_hand`` out). Counts go
last in a run (:data:`PUSH_ORDER`, :meth:`Pusher.counted_later`), after the transactions
that move QBO's quantities, so that a count that includes this run's sales does not remove
them twice.

**Received purchase orders**: a purchase order with status ``received`` or ``finished`` is
also written as a Bill linked to it (``LinkedTxn``, each bill line linking its order line, as
QBO's "Copy to Bill" does). The bill's link is a second link of the order, of record type
``purchase_order_bill`` (:data:`PO_BILL`) and the order's app id, holding the order's content
hash: the bill is written once, updated when the order changes, and re-attached (a bill that
QBO shows linked to the order) rather than duplicated. Until the bill is written the order
stays dirty, and the next push writes only what is missing. An order set back to
``ordered`` leaves its bill alone, with a warning on the order's link.

**Deletions** (a record the app deleted): the QBO object of a linked record is made inactive
(name lists), voided (invoices, payments) or deleted (the other transactions); the rule per
type and its reasons are in ``_push_removal`` and ``docs/sync-rules.md``. A purchase order's
bill is deleted before the order. The link then says ``deleted`` or ``voided`` and the
record is clean; it is never sent twice. QBO's refusals (a customer with an open balance, an
invoice with payments applied) fail the record with a sentence saying what to do in QBO. A
deleted record that never reached QBO sends nothing and is skipped. A record the app sends
again after its deletion comes back: a deleted transaction is created anew, a voided one or
an inactive name-list record is updated in place (which reactivates it).

**Eligibility gates**: a record pushed on its own (:meth:`Pusher.push`,
:meth:`Pusher.push_dirty`) is first checked with :meth:`TenantSettings.skip_reason`: a type
that is not enabled, a customer, project, invoice or payment created before the sync start
date, a project not at the trigger stage (and the payment rules) make it ``skipped`` with
that sentence, marked clean, and nothing is sent. A linked record ignores the date and stage
rules. Invoices and payments are dated by their own date; customers and projects by their
``created_at`` (the app's creation time) when the app gives it, else by when ledgerbridge
first received them (``StoredRecord.first_received_at``, which a later put does not move).
A record resolved as another record's dependency is pushed whatever its eligibility. The
refund account must be a Bank or Other Current Asset account; another type makes the refund
wait. A deletion of a type that is not enabled is skipped too.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

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
    QBOClient,
    QBOError,
    select,
)
from ledgerbridge.store import LinkRecord, LinkStore, RecordStore, StoredRecord

from ._memo import CompanyMemo
from ._push_map import MapContext, map_record, mapping_failure
from ._push_names import match_or_create, update_named
from ._push_removal import REMOVAL, Remover
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
    Written,
    bill_left_behind,
    from_qbo,
    join_warnings,
    missing_payment_method,
    new_payment_method,
    paid_invoices,
    parse,
    po_line_ids,
    pushed,
    quantity,
    rows,
    total_warning,
    untracked_item,
    update_owned,
    written_link,
)

__all__ = ["PO_BILL", "PUSH_ORDER", "PushOutcome", "PushReport", "PushResult", "Pusher"]

logger = logging.getLogger(__name__)

#: The order :meth:`Pusher.push_dirty` pushes record types in: name lists before the
#: transactions that refer to them, orders before the invoices and bills that link them, and
#: stock counts last, once the run's invoices, credit memos and bills have moved QBO's
#: quantities (a count that already includes this run's sales then adjusts nothing twice).
PUSH_ORDER: Final[tuple[str, ...]] = (
    "customer",
    "project",
    "vendor",
    "item",
    "sales_order",
    "invoice",
    "purchase_order",
    "payment",
    "credit_memo",
    "refund",
    "bill",
    "inventory_level",
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
#: UnresolvedReferenceError.kind of a QBO list found by name -> (entity, Refs field)
_QBO_LISTS: Final[Mapping[str, tuple[str, str]]] = {
    "account": ("Account", "accounts"),
    "payment method": ("PaymentMethod", "payment_methods"),
    "term": ("Term", "terms"),
    "tax code": ("TaxCode", "tax_codes"),
}
_REF_FIELD: Final[Mapping[str, str]] = {
    "customer": "customers",
    "project": "projects",
    "vendor": "vendors",
    "item": "items",
    "sales_order": "estimates",
    "invoice": "invoices",
    "purchase_order": "purchase_orders",
}
#: the account types a refund may be paid from (QBO-REFERENCE.md 8.5, RefundReceipt)
_CASH_ACCOUNT_TYPES: Final = frozenset({"Bank", "Other Current Asset"})
#: resolving more references than this for one record means something loops
_MAX_RESOLUTIONS: Final = 200

#: maps a record with the references resolved so far (raises for the next one to resolve)
_Mapper = Callable[[Refs], Awaitable[Payload]]


class Pusher:
    """Pushes one tenant's records to its QBO company (module docstring)."""

    def __init__(
        self,
        *,
        tenant_id: str,
        qbo: QBOClient,
        records: RecordStore,
        links: LinkStore,
        settings: TenantSettings,
        memo: CompanyMemo | None = None,
    ) -> None:
        """``memo``: what the process remembers of the company between runs (QBO lists
        found by name); without one, the pusher remembers them for its own life."""
        self._tenant = tenant_id
        self._qbo = qbo
        self._records = records
        self._links = links
        self._settings = settings
        self._book = RecordBook(tenant_id, records, links)
        self._remover = Remover(self._book, qbo, settings)
        # QBO lists found by name: (entity, folded name) -> ref
        self._found: MutableMapping[tuple[str, str], QBORef] = {} if memo is None else memo.names
        # records being pushed right now (a reference cycle fails instead of recursing)
        self._active: set[tuple[str, str]] = set()

    # -- public -------------------------------------------------------------------------------
    async def push(self, record_type: str, app_id: str) -> PushResult:
        """Push one record, its unlinked references first; the result is also on its link.

        Raises only for a record that is not in the store or of a type not pushed.
        """
        if record_type not in ENTITY:
            raise ValueError(f"records of type {record_type!r} are not pushed to QuickBooks")
        stored = self._records.get(tenant_id=self._tenant, record_type=record_type, app_id=app_id)
        if stored is None:
            raise ValueError(f"no {record_type} {app_id!r} for tenant {self._tenant!r}")
        return await self._push_stored(stored, gated=True)

    async def push_dirty(self) -> PushReport:
        """Push every dirty record in :data:`PUSH_ORDER`; never raises.

        A linked item whose count may move QBO's quantity (:meth:`counted_later`) goes
        last, with the stock counts: the transactions need only its link.
        """
        report = PushReport()
        later: list[StoredRecord] = []
        for record_type in PUSH_ORDER:
            after: tuple[str, str] | None = None
            while True:
                page = self._records.dirty(
                    tenant_id=self._tenant, record_types=[record_type], limit=200, after=after
                )
                for stored in page:
                    if self.counted_later(stored):
                        later.append(stored)
                    else:
                        report.results.append(await self._push_safely(stored))
                if len(page) < 200:
                    break
                after = (page[-1].record_type, page[-1].app_id)
        for stored in later:
            report.results.append(await self._push_safely(stored))
        return report

    def counted_later(self, stored: StoredRecord) -> bool:
        """Whether ``stored`` is a linked inventory item whose ``quantity_on_hand`` QBO's
        quantity is moved to: pushed after the run's transactions (:data:`PUSH_ORDER`)."""
        if stored.record_type != "item" or stored.deleted:
            return False
        if self._settings.inventory_mode != "qbo_tracks":
            return False
        payload = stored.payload
        if payload.get("kind") != "inventory" or payload.get("quantity_on_hand") is None:
            return False
        link = self._link(stored.record_type, stored.app_id)
        return link is not None and link.linked

    async def push_stored(self, stored: StoredRecord) -> PushResult:
        """Push one stored record as :meth:`push_dirty` does (gates first); never raises.

        The bulk path (:class:`BulkPusher`) hands over the records it does not write itself.
        """
        return await self._push_safely(stored)

    # -- one record ---------------------------------------------------------------------------
    async def _push_safely(self, stored: StoredRecord) -> PushResult:
        try:
            return await self._push_stored(stored, gated=True)
        except Exception as error:  # push_dirty goes on with the other records
            logger.exception("push of %s %s failed", stored.record_type, stored.app_id)
            message = getattr(error, "user_message", None) or (
                "ledgerbridge could not send this record because of an internal error; "
                "the log has the details."
            )
            return self._book.fail(stored, PushFailed(str(message)))

    async def _push_stored(self, stored: StoredRecord, *, gated: bool = False) -> PushResult:
        """Push one stored record; ``gated``: apply the settings' eligibility rules first
        (a record pushed on its own, not as another record's dependency)."""
        if stored.deleted:
            return await self._remover.push(stored, gated=gated)
        key = (stored.record_type, stored.app_id)
        try:
            record = parse(stored)
            link = self._restored(stored, self._link(*key))
            reason = self.skip_reason(stored, record, link) if gated else None
        except PushFailed as failure:
            return self._book.fail(stored, failure)
        if reason is not None:
            return self._book.fail(stored, PushFailed(reason, result="skipped"))
        if link is not None and pushed(stored, link) and not self._bill_due(stored, record):
            self._book.mark_clean(stored)
            return PushResult(*key, "unchanged", qbo_id=link.qbo_id, warning=link.warning)
        if key in self._active:
            return self._book.fail(
                stored, PushFailed("This record refers to itself through others.")
            )
        self._active.add(key)
        try:
            result = await self._write_and_link(stored, record, link)
        except PushFailed as failure:
            return self._book.fail(stored, failure)
        except QBOError as error:
            return self._book.fail(stored, from_qbo(error))
        finally:
            self._active.discard(key)
        self._book.mark_clean(stored)
        return result

    def skip_reason(
        self, stored: StoredRecord, record: AnyRecord, link: LinkRecord | None
    ) -> str | None:
        """The sentence why the settings exclude this record, or ``None`` (the gates of a
        record pushed on its own, shared with the bulk path)."""
        # customers and projects: the app's creation time, else when first received;
        # invoices and payments: their own date (the settings' rule)
        created_at: datetime | None = None
        if isinstance(record, (Customer, Project)):
            created_at = record.created_at or stored.first_received_at
        linked = link is not None and link.linked
        reason = self._settings.skip_reason(record, created_at=created_at, linked=linked)
        if reason is None:
            return None
        return f"Not sent to QuickBooks: {reason}."

    async def _write_and_link(
        self, stored: StoredRecord, record: AnyRecord, link: LinkRecord | None
    ) -> PushResult:
        """Write and link the record's QBO object (unless only a received order's bill is
        missing), then the bill of a received purchase order."""
        key = (stored.record_type, stored.app_id)
        if isinstance(record, PurchaseOrder) and link is not None and pushed(stored, link):
            return await self._bill_only(stored, record, link)
        written = await self._write(stored, record, link)
        warning = join_warnings(written.warning, self._bill_left(record))
        saved = self._save(stored, link, written.obj, warning)
        if isinstance(record, PurchaseOrder) and self._bill_due(stored, record):
            warning = join_warnings(warning, await self._write_bill(stored, record, saved))
        return PushResult(*key, written.outcome, saved.qbo_id, warning=warning)

    async def _bill_only(
        self, stored: StoredRecord, record: PurchaseOrder, link: LinkRecord
    ) -> PushResult:
        """The order is in QBO already and only its bill is missing: write the bill."""
        bill_warning = await self._write_bill(stored, record, link)
        warning = join_warnings(link.warning, bill_warning)
        return PushResult(
            stored.record_type, stored.app_id, "unchanged", link.qbo_id, warning=warning
        )

    def _save(
        self,
        stored: StoredRecord,
        link: LinkRecord | None,
        obj: Mapping[str, Any],
        warning: str | None,
    ) -> LinkRecord:
        entity, qbo_id = ENTITY[stored.record_type][0], str(obj["Id"])
        if stored.record_type == "inventory_level" and link is not None and link.linked:
            # an adjustment is never updated: the level's link follows its latest adjustment
            self._links.relink(
                tenant_id=self._tenant,
                record_type=stored.record_type,
                app_id=stored.app_id,
                qbo_type=entity,
                qbo_id=qbo_id,
            )
        save = written_link(stored, obj, qbo_type=entity, warning=warning)
        saved = self._links.save_many(tenant_id=self._tenant, saves=[save])[0]
        if entity == "Payment":
            self._links.forget_sync_tokens(
                tenant_id=self._tenant, qbo_type="Invoice", qbo_ids=paid_invoices(obj)
            )
        return saved

    def _restored(self, stored: StoredRecord, link: LinkRecord | None) -> LinkRecord | None:
        """The link of a record the app sends again after deleting it.

        A transaction deleted in QBO is gone: its link (and a purchase order's bill link) is
        dropped, so that it is created anew. A voided transaction or an inactive name-list
        record keeps its link and is updated in place, which brings it back.
        """
        if link is None or link.last_result not in REMOVED:
            return link
        if REMOVAL.get(stored.record_type) != "delete":
            return link
        for record_type in (stored.record_type, PO_BILL):
            self._links.unlink(
                tenant_id=self._tenant, record_type=record_type, app_id=stored.app_id
            )
        return None

    async def _write(
        self, stored: StoredRecord, record: AnyRecord, link: LinkRecord | None
    ) -> Written:
        if isinstance(record, InventoryLevel):
            return await self._adjust(record)
        entity, _ = ENTITY[stored.record_type]
        payload = await self._map(lambda refs: self._map_once(record, refs))
        resource = self._resource(stored.record_type)
        if link is not None and link.linked and link.qbo_id is not None:
            if stored.record_type in _NAME_LISTS:
                written = await update_named(
                    stored, resource, entity, payload, link.qbo_id, link.sync_token, "updated"
                )
            else:
                obj = await update_owned(resource, entity, payload, link.qbo_id, link.sync_token)
                written = Written(obj, "updated")
        elif stored.record_type in _NAME_LISTS:
            written = await match_or_create(self._book, stored, resource, entity, payload)
        else:
            written = await self._attach_or_create(stored, resource, entity, payload)
        if isinstance(record, Item):
            await self._count(record, written.obj)
        if stored.record_type not in _NAME_LISTS:
            warning = total_warning(record, payload, written.obj)
            if warning:
                written = Written(written.obj, written.outcome, warning)
            if isinstance(record, Invoice):
                await self._close_other_estimates(record)
        return written

    # -- inventory levels ---------------------------------------------------------------------
    async def _adjust(self, record: InventoryLevel) -> Written:
        """An InventoryAdjustment that moves QBO's quantity on hand to the app's: the item's
        ``QtyOnHand`` is read first, so a level pushed twice adjusts once."""
        if self._settings.inventory_mode != "qbo_tracks":
            raise PushFailed(APP_MASTER, result="skipped")
        item_ref = await self._dependency("item", record.item_id, "item_id")
        item = await self._qbo.items.read(item_ref.value)
        if item.get("Type") != "Inventory":
            raise PushFailed(untracked_item(item, record.item_id), result="skipped")
        on_hand = quantity(item.get("QtyOnHand"))

        async def mapper(refs: Refs) -> Payload:
            return map_inventory_level(
                record, settings=self._settings, refs=refs, qbo_quantity=on_hand
            )

        payload = await self._map(mapper, seed={"items": {record.item_id: item_ref}})
        return Written(await self._qbo.inventory_adjustments.create(payload), "created")

    async def _count(self, record: Item, item: dict[str, Any]) -> None:
        """Move QBO's quantity on hand of an item just written to the app's
        ``quantity_on_hand`` by an InventoryAdjustment of the difference, when QBO tracks
        quantities, the item is an Inventory item there and the two differ (an item matched
        by name, or a linked one whose count changed). ``item`` is QBO's answer to the write,
        so no read is needed; it is brought up to date."""
        counted = record.quantity_on_hand
        if (
            counted is None
            or self._settings.inventory_mode != "qbo_tracks"
            or item.get("Type") != "Inventory"
            or quantity(item.get("QtyOnHand")) == counted
        ):
            return
        level = InventoryLevel(
            id=record.id, item_id=record.id, quantity_on_hand=counted, as_of=datetime.now(UTC)
        )
        on_hand = quantity(item.get("QtyOnHand"))

        async def mapper(refs: Refs) -> Payload:
            return map_inventory_level(
                level, settings=self._settings, refs=refs, qbo_quantity=on_hand
            )

        own_ref = QBORef(str(item["Id"]), item.get("Name"))
        payload = await self._map(mapper, seed={"items": {record.id: own_ref}})
        await self._qbo.inventory_adjustments.create(payload)
        item["QtyOnHand"] = counted

    # -- the bill of a received purchase order ------------------------------------------------
    def _bill_due(self, stored: StoredRecord, record: AnyRecord) -> bool:
        """Whether a received or finished order's bill is missing or older than the order."""
        if not isinstance(record, PurchaseOrder) or record.status == "ordered":
            return False
        bill = self._link(PO_BILL, record.id)
        return bill is None or not (bill.last_result == "ok" and pushed(stored, bill))

    def _bill_left(self, record: AnyRecord) -> str | None:
        """The warning of an order set back to ordered that has a bill in QBO."""
        if not isinstance(record, PurchaseOrder) or record.status != "ordered":
            return None
        bill = self._link(PO_BILL, record.id)
        if bill is None or bill.qbo_id is None or bill.last_result in REMOVED:
            return None
        return bill_left_behind(bill.qbo_id)

    async def _write_bill(
        self, stored: StoredRecord, record: PurchaseOrder, order_link: LinkRecord
    ) -> str | None:
        """Write the order's bill; its total warning. A failure fails the order, which stays
        dirty: the next push writes the bill only (the order's own link is saved)."""
        prefix = BILL_FAILED
        po_id = str(order_link.qbo_id)
        try:
            warning = await self._bill(stored, record, po_id)
            order = await self._qbo.purchase_orders.read(po_id)
        except PushFailed as failure:
            raise PushFailed(
                prefix + failure.user_message,
                code=failure.code,
                intuit_tid=failure.intuit_tid,
                result="waiting" if failure.result == "waiting" else "failed",
            ) from failure
        except QBOError as error:
            raise from_qbo(error, prefix) from error
        # the bill changed the order in QBO (LinkedTxn, POStatus): keep its new SyncToken;
        # this also ends a bill failure recorded on the order's link by an earlier push
        self._save(stored, order_link, order, order_link.warning)
        return warning

    async def _bill(self, stored: StoredRecord, record: PurchaseOrder, po_id: str) -> str | None:
        order = await self._qbo.purchase_orders.read(po_id)
        line_ids = po_line_ids(record, order)

        async def mapper(refs: Refs) -> Payload:
            return map_purchase_order_bill(
                record, settings=self._settings, refs=refs, po_line_ids=line_ids
            )

        payload = await self._map(mapper, seed={"purchase_orders": {record.id: QBORef(po_id)}})
        link = self._link(PO_BILL, record.id)
        if link is not None and link.qbo_id is not None and link.last_result not in REMOVED:
            obj = await update_owned(self._qbo.bills, "Bill", payload, link.qbo_id, link.sync_token)
        else:
            obj = await self._attach_bill(record, order, payload)
        warning = total_warning(record, payload, obj)
        bill = written_link(stored, obj, qbo_type="Bill", warning=warning, record_type=PO_BILL)
        self._links.save_many(tenant_id=self._tenant, saves=[bill])
        return warning

    async def _attach_bill(
        self, record: PurchaseOrder, order: Mapping[str, Any], payload: Payload
    ) -> dict[str, Any]:
        """Re-attach the bill QBO shows linked to the order, else create one. A bill that an
        app bill record holds means the app bills this order itself: refused, never doubled."""
        for txn in order.get("LinkedTxn") or []:
            if txn.get("TxnType") != "Bill":
                continue
            bill_id = str(txn["TxnId"])
            holder = self._book.holder("Bill", bill_id)
            if holder is None or (holder.record_type, holder.app_id) == (PO_BILL, record.id):
                return await update_owned(self._qbo.bills, "Bill", payload, bill_id, None)
            raise PushFailed(
                f"QuickBooks Bill {bill_id} already bills this purchase order, and it is the "
                f"app's {holder.record_type.replace('_', ' ')} {holder.app_id!r}; ledgerbridge "
                "does not bill the order a second time."
            )
        return await self._qbo.bills.create(payload)

    # -- mapping with references resolved -----------------------------------------------------
    async def _map(
        self, mapper: _Mapper, seed: Mapping[str, Mapping[str, QBORef]] | None = None
    ) -> Payload:
        """Map with ``mapper``, resolving each reference it reports missing (``seed``: the
        references known already)."""
        refs = {table: dict(known) for table, known in (seed or {}).items()}
        for _ in range(_MAX_RESOLUTIONS):
            try:
                return await mapper(Refs(**refs))
            except UnresolvedReferenceError as error:
                table, ref = await self._resolve(error)
                refs.setdefault(table, {})[error.app_id] = ref
            except (MappingError, SkipRecordError) as error:
                raise mapping_failure(error) from error
        raise PushFailed("This record refers to too many other records to resolve.")

    async def _map_once(self, record: AnyRecord, refs: Refs) -> Payload:
        """The shared mapping step (``_push_map``), with the context read for this record."""
        context = MapContext()
        if isinstance(record, Project):
            customer = self._records.get(
                tenant_id=self._tenant, record_type="customer", app_id=record.customer_id
            )
            parent = parse(customer) if customer is not None else None
            context = MapContext(parent=parent if isinstance(parent, Customer) else None)
        elif isinstance(record, PurchaseOrder):
            # The app's vendor gives the PO its vendor address and (when none) its e-mail.
            stored_vendor = self._records.get(
                tenant_id=self._tenant, record_type="vendor", app_id=record.vendor_id
            )
            vendor = parse(stored_vendor) if stored_vendor is not None else None
            context = MapContext(vendor=vendor if isinstance(vendor, Vendor) else None)
        elif isinstance(record, Payment) and all(
            a.invoice_id in refs.invoices for a in record.applications
        ):
            # (an invoice still to resolve: mapping raises for it first)
            context = MapContext(open_balances=await self._open_balances(record, refs))
        return map_record(record, settings=self._settings, refs=refs, context=context)

    async def _open_balances(self, record: Payment, refs: Refs) -> dict[str, Decimal]:
        """What each paid invoice has open to this payment: its QBO Balance, read now, plus
        what this payment (when already in QBO) applies to it, so nothing is applied twice."""
        already: dict[str, Decimal] = {}
        link = self._link("payment", record.id)
        if link is not None and link.linked and link.qbo_id is not None:
            current = await self._qbo.payments.read(link.qbo_id)
            for line in current.get("Line") or []:
                for txn in line.get("LinkedTxn") or []:
                    if txn.get("TxnType") == "Invoice":
                        key = str(txn["TxnId"])
                        already[key] = already.get(key, Decimal(0)) + to_decimal(line["Amount"])
        balances: dict[str, Decimal] = {}
        for application in record.applications:
            qbo_id = refs.invoices[application.invoice_id].value
            invoice = await self._qbo.invoices.read(qbo_id)
            balance = to_decimal(invoice.get("Balance", 0))
            balances[application.invoice_id] = balance + already.get(qbo_id, Decimal(0))
        return balances

    async def _resolve(self, error: UnresolvedReferenceError) -> tuple[str, QBORef]:
        """The Refs table and QBO reference of what ``error`` names."""
        record_type = None if _names_qbo_list(error) else _APP_KINDS.get(error.kind)
        if record_type is None:
            return await self.resolve_list(error)
        return _REF_FIELD[record_type], await self._dependency(
            record_type, error.app_id, error.field
        )

    async def resolve_list(self, error: UnresolvedReferenceError) -> tuple[str, QBORef]:
        """The Refs table and reference of a QBO list record a setting or a record names
        (an account, payment method, term, tax code, the charge item, an item category),
        found by name once per pusher: the one rule both push paths use."""
        kind, key = error.kind, error.app_id
        if kind == "account" and error.field == "refund_account":
            return "accounts", await self._refund_account(key)
        if kind == "item" and _names_qbo_list(error):
            return "qbo_items", await self._find_by_name("Item", "Name", key, what="item")
        if kind == "category":
            return "categories", await self.category(key)
        if kind == "payment method":
            method = await self._find_by_name(
                "PaymentMethod", "Name", key, what=kind, create=self._create_payment_method
            )
            return "payment_methods", method
        if kind in _QBO_LISTS:
            entity, table = _QBO_LISTS[kind]
            return table, await self._find_by_name(entity, "Name", key, what=kind)
        raise PushFailed(error.user_message)

    async def _dependency(self, record_type: str, app_id: str, field: str | None) -> QBORef:
        """The QBO object of an app record: its link, else the record pushed now."""
        link = self._link(record_type, app_id)
        if link is not None and link.qbo_id is not None and link.last_result not in REMOVED:
            return QBORef(link.qbo_id)
        stored = self._records.get(tenant_id=self._tenant, record_type=record_type, app_id=app_id)
        what = record_type.replace("_", " ")
        if stored is None:
            raise PushFailed(f"{field}: the {what} {app_id!r} has not been received from the app.")
        if stored.deleted:
            raise PushFailed(f"{field}: the {what} {app_id!r} was deleted in the app.")
        result = await self._push_stored(stored)
        if result.qbo_id is None:
            raise PushFailed(
                f"{field}: the {what} {app_id!r} could not be sent to QuickBooks first: "
                f"{result.message or 'see that record'}",
                code=result.error_code,
                intuit_tid=result.intuit_tid,
            )
        return QBORef(result.qbo_id)

    async def _find_by_name(
        self,
        entity: str,
        name_field: str,
        name: str,
        *,
        what: str,
        create: Callable[[str], Awaitable[dict[str, Any]]] | None = None,
    ) -> QBORef:
        """A QBO list record by name; when there is none, ``create`` makes it (else the
        record fails with a sentence naming the missing record)."""
        key = (entity, normalize_name(name))
        if key in self._found:
            return self._found[key]
        query = select(entity).where(name_field, "=", name)
        found = rows(await self._qbo.query(query.to_sql()), entity)
        if found:
            obj = found[0]
        elif create is not None:
            obj = await create(name)
        else:
            raise PushFailed(
                f"QuickBooks has no {what} named {name!r}; create it in QuickBooks or "
                "change the setting that names it."
            )
        ref = QBORef(str(obj["Id"]), name=str(obj.get(name_field, name)))
        self._found[key] = ref
        return ref

    async def _create_payment_method(self, name: str) -> dict[str, Any]:
        """A payment method QBO lacks, created when the tenant allows it."""
        if not self._settings.create_missing_payment_methods:
            raise PushFailed(missing_payment_method(name))
        return await self._qbo.payment_methods.create(new_payment_method(name))

    async def _refund_account(self, name: str) -> QBORef:
        """The refund account, which must be a cash-type account (Bank or Other Current
        Asset); another type makes the refund wait."""
        key = ("RefundAccount", normalize_name(name))
        if key in self._found:
            return self._found[key]
        query = select("Account").where("Name", "=", name)
        found = rows(await self._qbo.query(query.to_sql()), "Account")
        if not found:
            raise PushFailed(
                f"QuickBooks has no account named {name!r}; create it in QuickBooks or "
                "change the refund account setting (refund_account)."
            )
        account = found[0]
        account_type = str(account.get("AccountType") or "unknown")
        if account_type not in _CASH_ACCOUNT_TYPES:
            raise PushFailed(
                f"The refund account {str(account.get('Name', name))!r} is a {account_type!r} "
                "account; refunds are paid from a Bank or Other Current Asset account: choose "
                "one in the refund account setting (refund_account).",
                result="waiting",
            )
        ref = QBORef(str(account["Id"]), name=str(account.get("Name", name)))
        self._found[key] = ref
        return ref

    async def category(self, name: str) -> QBORef:
        """The QBO Category item of that name, found or created (and remembered)."""
        key = ("Category", normalize_name(name))
        if key in self._found:
            return self._found[key]
        query = select("Item").where("Name", "=", name).where("Type", "=", "Category")
        found = rows(await self._qbo.query(query.to_sql()), "Item")
        obj = (
            found[0] if found else await self._qbo.items.create({"Name": name, "Type": "Category"})
        )
        ref = QBORef(str(obj["Id"]), name=name)
        self._found[key] = ref
        return ref

    # -- transactions -------------------------------------------------------------------------
    async def _attach_or_create(
        self, stored: StoredRecord, resource: Namespace, entity: str, payload: Payload
    ) -> Written:
        doc_number = payload.get("DocNumber")
        if doc_number:
            query = resource.select().where("DocNumber", "=", str(doc_number))
            for row in (await resource.query(query)).items:
                holder = self._book.holder(entity, str(row["Id"]))
                if holder is None or holder.app_id == stored.app_id:
                    obj = await update_owned(
                        resource, entity, payload, str(row["Id"]), str(row["SyncToken"])
                    )
                    return Written(obj, "linked")
        return Written(await resource.create(payload), "created")

    async def _close_other_estimates(self, record: Invoice) -> None:
        refs: dict[str, QBORef] = {}
        # other_estimates resolves every sales order (it drops the first itself)
        for so_id in record.sales_order_ids:
            link = self._link("sales_order", so_id)
            if link is not None and link.qbo_id is not None:
                refs[so_id] = QBORef(link.qbo_id)
        try:
            estimates = other_estimates(record, settings=self._settings, refs=Refs(estimates=refs))
        except MappingError:
            return
        for estimate in estimates:
            current = await self._qbo.estimates.read(estimate.value)
            if current.get("TxnStatus") != "Closed":
                body = close_estimate(qbo_id=estimate.value, sync_token=str(current["SyncToken"]))
                await self._qbo.estimates.update(body)

    # -- helpers ------------------------------------------------------------------------------
    def _resource(self, record_type: str) -> Namespace:
        resource: Namespace = getattr(self._qbo, ENTITY[record_type][1])
        return resource

    def _link(self, record_type: str, app_id: str) -> LinkRecord | None:
        return self._book.link(record_type, app_id)


def _names_qbo_list(error: UnresolvedReferenceError) -> bool:
    """Whether the reference is to a QBO list record by name, not to an app record (the
    charge item is a QBO item that a setting names)."""
    return error.kind not in _APP_KINDS or (error.field or "").endswith("charge_item")
