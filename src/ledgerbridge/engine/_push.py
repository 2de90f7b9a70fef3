"""Pushing the host app's records to QBO: resolve, create or update, link, mark clean.

:class:`Pusher` writes one tenant's records to one QBO company (issue 5, "Linking and
dependencies"). For each record, in this order:

1. **Unchanged**: a linked record whose content hash equals the hash last pushed sends no
   request at all; it is only marked clean.
2. **References first**: the record is mapped (``ledgerbridge.mapping``); each reference the
   mapping reports unresolved (:class:`UnresolvedReferenceError`) is resolved and the record
   mapped again. App records (customers, projects, vendors, items, sales orders, invoices,
   purchase orders) resolve to their link, else are pushed now (nobody pre-syncs parts);
   QBO lists named by settings (accounts, payment methods, terms, tax codes, the charge item)
   are found by name; an item category is found by name or created. A payment's
   applications are capped at each invoice's QBO ``Balance``, read just before
   (``cap_applications``), so an invoice is never paid twice.
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

**Eligibility gates**: a record pushed on its own (:meth:`Pusher.push`,
:meth:`Pusher.push_dirty`) is first checked with :meth:`TenantSettings.skip_reason`: a type
that is not enabled, a customer, project, invoice or payment created before the sync start
date, a project not at the trigger stage (and the payment rules) make it ``skipped`` with
that sentence, marked clean, and nothing is sent. A linked record ignores the date and stage
rules. Invoices and payments are dated by their own date; customers and projects, which have
none, by the store's ``received_at`` (the store keeps no creation time). A record resolved as
another record's dependency is pushed whatever its eligibility. The refund account must be a
Bank or Other Current Asset account; another type makes the refund wait.

Not handled yet: deletions (a deleted record stays dirty, reported as skipped), inventory
levels, and a received purchase order's Bill.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final, Literal, Protocol

from ledgerbridge._errors import LedgerbridgeError
from ledgerbridge.mapping import (
    MappingError,
    Payload,
    QBORef,
    Refs,
    SettingRequiredError,
    SkipRecordError,
    UnresolvedReferenceError,
    close_estimate,
    expected_total,
    map_bill,
    map_credit_memo,
    map_customer,
    map_invoice,
    map_item,
    map_payment,
    map_project,
    map_purchase_order,
    map_refund,
    map_sales_order,
    map_vendor,
    normalize_name,
    other_estimates,
    sparse_update,
    strip_deleted_suffix,
)
from ledgerbridge.model import (
    AnyRecord,
    Bill,
    CreditMemo,
    Customer,
    Invoice,
    Item,
    Payment,
    Project,
    PurchaseOrder,
    Refund,
    SalesOrder,
    TenantSettings,
    Vendor,
    parse_record,
    round_money,
    to_decimal,
)
from ledgerbridge.qbo import (
    DuplicateNameError,
    Page,
    QBOClient,
    QBOError,
    Query,
    StaleObjectError,
    select,
)
from ledgerbridge.store import LinkRecord, LinkStore, RecordStore, StoredRecord

__all__ = ["PUSH_ORDER", "PushOutcome", "PushReport", "PushResult", "Pusher"]

logger = logging.getLogger(__name__)

#: The order :meth:`Pusher.push_dirty` pushes record types in: name lists before the
#: transactions that refer to them, orders before the invoices and bills that link them.
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
)

PushOutcome = Literal["created", "updated", "linked", "unchanged", "skipped", "waiting", "failed"]

#: record type -> (QBO entity, client namespace attribute)
_ENTITY: Final[Mapping[str, tuple[str, str]]] = {
    "customer": ("Customer", "customers"),
    "project": ("Customer", "customers"),
    "vendor": ("Vendor", "vendors"),
    "item": ("Item", "items"),
    "sales_order": ("Estimate", "estimates"),
    "invoice": ("Invoice", "invoices"),
    "purchase_order": ("PurchaseOrder", "purchase_orders"),
    "payment": ("Payment", "payments"),
    "credit_memo": ("CreditMemo", "credit_memos"),
    "refund": ("RefundReceipt", "refund_receipts"),
    "bill": ("Bill", "bills"),
}
_NAME_LISTS: Final = frozenset({"customer", "project", "vendor", "item"})
#: what the duplicate-name rule appends, per record type
_KIND_SUFFIX: Final[Mapping[str, str]] = {
    "customer": " (Customer)",
    "project": " (Customer)",
    "vendor": " (Vendor)",
}
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


class _Namespace(Protocol):
    """What the pusher uses of a QBO client namespace (``qbo.customers``...)."""

    def select(self) -> Query: ...
    async def read(self, object_id: str) -> dict[str, Any]: ...
    async def query(self, query: Query | None = None) -> Page: ...
    def iterate(self, query: Query | None = None) -> AsyncIterator[dict[str, Any]]: ...
    async def create(self, body: Mapping[str, Any]) -> dict[str, Any]: ...
    async def update(self, body: Mapping[str, Any]) -> dict[str, Any]: ...


@dataclass(frozen=True)
class PushResult:
    """What a push did to one record."""

    record_type: str
    app_id: str
    outcome: PushOutcome
    qbo_id: str | None = None
    #: the sentence the console shows (why it failed, waits or was skipped)
    message: str | None = None
    #: a problem that did not fail the push (QBO's total differs, a renamed duplicate)
    warning: str | None = None
    error_code: str | None = None
    intuit_tid: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the record is now in QBO as the app has it."""
        return self.outcome in ("created", "updated", "linked", "unchanged")


@dataclass
class PushReport:
    """What :meth:`Pusher.push_dirty` did, one result per record, in push order."""

    results: list[PushResult] = field(default_factory=list)

    def count(self, outcome: PushOutcome) -> int:
        """How many records had this outcome."""
        return sum(1 for result in self.results if result.outcome == outcome)

    @property
    def failed(self) -> list[PushResult]:
        """The records that failed."""
        return [result for result in self.results if result.outcome == "failed"]


class _PushFailed(LedgerbridgeError):
    """The record cannot be pushed now; carries what to record on its link."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        intuit_tid: str | None = None,
        result: Literal["failed", "skipped", "waiting"] = "failed",
    ) -> None:
        super().__init__(message, user_message=message)
        self.code = code
        self.intuit_tid = intuit_tid
        self.result = result


@dataclass(frozen=True)
class _Written:
    """A QBO object after a write, and how it got there."""

    obj: dict[str, Any]
    outcome: PushOutcome
    warning: str | None = None


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
    ) -> None:
        self._tenant = tenant_id
        self._qbo = qbo
        self._records = records
        self._links = links
        self._settings = settings
        # QBO lists found by name during this pusher's life: (entity, folded name) -> ref
        self._found: dict[tuple[str, str], QBORef] = {}
        # records being pushed right now (a reference cycle fails instead of recursing)
        self._active: set[tuple[str, str]] = set()

    # -- public -------------------------------------------------------------------------------
    async def push(self, record_type: str, app_id: str) -> PushResult:
        """Push one record, its unlinked references first; the result is also on its link.

        Raises only for a record that is not in the store or of a type not pushed.
        """
        if record_type not in _ENTITY:
            raise ValueError(f"records of type {record_type!r} are not pushed to QuickBooks")
        stored = self._records.get(tenant_id=self._tenant, record_type=record_type, app_id=app_id)
        if stored is None:
            raise ValueError(f"no {record_type} {app_id!r} for tenant {self._tenant!r}")
        return await self._push_stored(stored, gated=True)

    async def push_dirty(self) -> PushReport:
        """Push every dirty record in :data:`PUSH_ORDER`; never raises."""
        report = PushReport()
        for record_type in PUSH_ORDER:
            after: tuple[str, str] | None = None
            while True:
                page = self._records.dirty(
                    tenant_id=self._tenant, record_types=[record_type], limit=200, after=after
                )
                for stored in page:
                    report.results.append(await self._push_safely(stored))
                if len(page) < 200:
                    break
                after = (page[-1].record_type, page[-1].app_id)
        return report

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
            return self._fail(stored, _PushFailed(str(message)))

    async def _push_stored(self, stored: StoredRecord, *, gated: bool = False) -> PushResult:
        """Push one stored record; ``gated``: apply the settings' eligibility rules first
        (a record pushed on its own, not as another record's dependency)."""
        key = (stored.record_type, stored.app_id)
        if stored.deleted:
            return PushResult(
                *key, "skipped", message="Deleting records in QuickBooks is not supported yet."
            )
        link = self._link(*key)
        if gated:
            try:
                reason = self._skip_reason(stored, link)
            except _PushFailed as failure:
                return self._fail(stored, failure)
            if reason is not None:
                return self._fail(stored, _PushFailed(reason, result="skipped"))
        if link is not None and link.linked and link.pushed_hash == stored.content_hash:
            self._mark_clean(stored)
            return PushResult(*key, "unchanged", qbo_id=link.qbo_id, warning=link.warning)
        if key in self._active:
            return self._fail(stored, _PushFailed("This record refers to itself through others."))
        self._active.add(key)
        try:
            written = await self._write(stored, link)
        except _PushFailed as failure:
            return self._fail(stored, failure)
        except QBOError as error:
            return self._fail(stored, _from_qbo(error))
        finally:
            self._active.discard(key)
        qbo_id = str(written.obj["Id"])
        self._links.save(
            tenant_id=self._tenant,
            record_type=stored.record_type,
            app_id=stored.app_id,
            qbo_type=_ENTITY[stored.record_type][0],
            qbo_id=qbo_id,
            sync_token=str(written.obj.get("SyncToken", "0")),
            pushed_hash=stored.content_hash,
            warning=written.warning,
        )
        self._mark_clean(stored)
        return PushResult(*key, written.outcome, qbo_id=qbo_id, warning=written.warning)

    def _skip_reason(self, stored: StoredRecord, link: LinkRecord | None) -> str | None:
        """The sentence why the settings exclude this record, or ``None``."""
        record = _parse(stored)
        # invoices and payments: their own date; customers and projects: when received
        created_at = None if isinstance(record, (Invoice, Payment)) else stored.received_at
        linked = link is not None and link.linked
        reason = self._settings.skip_reason(record, created_at=created_at, linked=linked)
        if reason is None:
            return None
        return f"Not sent to QuickBooks: {reason}."

    async def _write(self, stored: StoredRecord, link: LinkRecord | None) -> _Written:
        record = _parse(stored)
        entity, _ = _ENTITY[stored.record_type]
        payload = await self._map(record)
        resource = self._resource(stored.record_type)
        if link is not None and link.linked and link.qbo_id is not None:
            if stored.record_type in _NAME_LISTS:
                written = await self._update_named(
                    stored, resource, entity, payload, link.qbo_id, link.sync_token, "updated"
                )
            else:
                obj = await self._update(resource, entity, payload, link.qbo_id, link.sync_token)
                written = _Written(obj, "updated")
        elif stored.record_type in _NAME_LISTS:
            written = await self._match_or_create(stored, resource, entity, payload)
        else:
            written = await self._attach_or_create(stored, resource, entity, payload)
        if stored.record_type not in _NAME_LISTS:
            warning = _total_warning(record, payload, written.obj)
            if warning:
                written = _Written(written.obj, written.outcome, warning)
            if isinstance(record, Invoice):
                await self._close_other_estimates(record)
        return written

    # -- mapping with references resolved -----------------------------------------------------
    async def _map(self, record: AnyRecord) -> Payload:
        refs: dict[str, dict[str, QBORef]] = {}
        for _ in range(_MAX_RESOLUTIONS):
            try:
                return await self._map_once(record, Refs(**refs))
            except SettingRequiredError as error:
                raise _PushFailed(error.user_message, result="waiting") from error
            except UnresolvedReferenceError as error:
                table, ref = await self._resolve(error)
                refs.setdefault(table, {})[error.app_id] = ref
            except SkipRecordError as error:
                raise _PushFailed(error.user_message, result="skipped") from error
            except MappingError as error:
                raise _PushFailed(error.user_message) from error
        raise _PushFailed("This record refers to too many other records to resolve.")

    async def _map_once(self, record: AnyRecord, refs: Refs) -> Payload:
        settings = self._settings
        if isinstance(record, Customer):
            return map_customer(record, settings=settings, refs=refs)
        if isinstance(record, Project):
            customer = self._records.get(
                tenant_id=self._tenant, record_type="customer", app_id=record.customer_id
            )
            if customer is None:
                raise _PushFailed(
                    f"customer_id: the customer {record.customer_id!r} has not been received."
                )
            parent = _parse(customer)
            assert isinstance(parent, Customer)
            return map_project(record, settings=settings, refs=refs, customer=parent)
        if isinstance(record, Vendor):
            return map_vendor(record, settings=settings, refs=refs)
        if isinstance(record, Item):
            start = settings.sync_start_date or datetime.now(UTC).date()
            return map_item(record, settings=settings, refs=refs, inv_start_date=start)
        if isinstance(record, SalesOrder):
            return map_sales_order(record, settings=settings, refs=refs)
        if isinstance(record, Invoice):
            return map_invoice(record, settings=settings, refs=refs)
        if isinstance(record, PurchaseOrder):
            # The app's vendor gives the PO its vendor address and (when none) its e-mail.
            stored_vendor = self._records.get(
                tenant_id=self._tenant, record_type="vendor", app_id=record.vendor_id
            )
            vendor = _parse(stored_vendor) if stored_vendor is not None else None
            return map_purchase_order(
                record,
                settings=settings,
                refs=refs,
                vendor=vendor if isinstance(vendor, Vendor) else None,
            )
        if isinstance(record, Payment):
            if any(a.invoice_id not in refs.invoices for a in record.applications):
                # raises for the invoice (or other reference) still to resolve
                return map_payment(record, settings=settings, refs=refs)
            balances = await self._open_balances(record, refs)
            return map_payment(record, settings=settings, refs=refs, open_balances=balances)
        if isinstance(record, CreditMemo):
            return map_credit_memo(record, settings=settings, refs=refs)
        if isinstance(record, Refund):
            return map_refund(record, settings=settings, refs=refs)
        if isinstance(record, Bill):
            return map_bill(record, settings=settings, refs=refs)
        raise _PushFailed(f"Records of type {record.type!r} are not sent to QuickBooks yet.")

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
        kind, key = error.kind, error.app_id
        if kind == "account" and error.field == "refund_account":
            return "accounts", await self._refund_account(key)
        if kind == "item" and (error.field or "").endswith("charge_item"):
            return "qbo_items", await self._find_by_name("Item", "Name", key, what="item")
        if kind == "category":
            return "categories", await self._category(key)
        if kind in _QBO_LISTS:
            entity, table = _QBO_LISTS[kind]
            return table, await self._find_by_name(entity, "Name", key, what=kind)
        record_type = _APP_KINDS.get(kind)
        if record_type is None:
            raise _PushFailed(error.user_message)
        return _REF_FIELD[record_type], await self._dependency(record_type, key, error.field)

    async def _dependency(self, record_type: str, app_id: str, field: str | None) -> QBORef:
        """The QBO object of an app record: its link, else the record pushed now."""
        link = self._link(record_type, app_id)
        if link is not None and link.linked and link.qbo_id is not None:
            return QBORef(link.qbo_id)
        stored = self._records.get(tenant_id=self._tenant, record_type=record_type, app_id=app_id)
        what = record_type.replace("_", " ")
        if stored is None:
            raise _PushFailed(f"{field}: the {what} {app_id!r} has not been received from the app.")
        result = await self._push_stored(stored)
        if result.qbo_id is None:
            raise _PushFailed(
                f"{field}: the {what} {app_id!r} could not be sent to QuickBooks first: "
                f"{result.message or 'see that record'}",
                code=result.error_code,
                intuit_tid=result.intuit_tid,
            )
        return QBORef(result.qbo_id)

    async def _find_by_name(self, entity: str, name_field: str, name: str, *, what: str) -> QBORef:
        key = (entity, normalize_name(name))
        if key in self._found:
            return self._found[key]
        query = select(entity).where(name_field, "=", name)
        page = await self._qbo.query(query.to_sql())
        rows = _rows(page, entity)
        if not rows:
            raise _PushFailed(
                f"QuickBooks has no {what} named {name!r}; create it in QuickBooks or "
                "change the setting that names it."
            )
        ref = QBORef(str(rows[0]["Id"]), name=str(rows[0].get(name_field, name)))
        self._found[key] = ref
        return ref

    async def _refund_account(self, name: str) -> QBORef:
        """The refund account, which must be a cash-type account (Bank or Other Current
        Asset); another type makes the refund wait."""
        key = ("RefundAccount", normalize_name(name))
        if key in self._found:
            return self._found[key]
        query = select("Account").where("Name", "=", name)
        rows = _rows(await self._qbo.query(query.to_sql()), "Account")
        if not rows:
            raise _PushFailed(
                f"QuickBooks has no account named {name!r}; create it in QuickBooks or "
                "change the refund account setting (refund_account)."
            )
        account = rows[0]
        account_type = str(account.get("AccountType") or "unknown")
        if account_type not in _CASH_ACCOUNT_TYPES:
            raise _PushFailed(
                f"The refund account {str(account.get('Name', name))!r} is a {account_type!r} "
                "account; refunds are paid from a Bank or Other Current Asset account: choose "
                "one in the refund account setting (refund_account).",
                result="waiting",
            )
        ref = QBORef(str(account["Id"]), name=str(account.get("Name", name)))
        self._found[key] = ref
        return ref

    async def _category(self, name: str) -> QBORef:
        key = ("Category", normalize_name(name))
        if key in self._found:
            return self._found[key]
        query = select("Item").where("Name", "=", name).where("Type", "=", "Category")
        rows = _rows(await self._qbo.query(query.to_sql()), "Item")
        obj = rows[0] if rows else await self._qbo.items.create({"Name": name, "Type": "Category"})
        ref = QBORef(str(obj["Id"]), name=name)
        self._found[key] = ref
        return ref

    # -- name lists ---------------------------------------------------------------------------
    async def _match_or_create(
        self, stored: StoredRecord, resource: _Namespace, entity: str, payload: Payload
    ) -> _Written:
        name_field = "Name" if entity == "Item" else "DisplayName"
        name = str(payload[name_field])
        suffix = _KIND_SUFFIX.get(stored.record_type)
        wanted = {normalize_name(name)}
        if suffix:
            wanted.add(normalize_name(name + suffix))
        match = await self._match(resource, entity, name_field, name, wanted)
        if match is not None:
            return await self._update_named(
                stored,
                resource,
                entity,
                payload,
                str(match["Id"]),
                str(match["SyncToken"]),
                "linked",
            )
        try:
            return _Written(await resource.create(payload), "created")
        except DuplicateNameError as error:
            if suffix is None:
                raise _PushFailed(
                    f"QuickBooks already has a record named {name!r} that ledgerbridge cannot "
                    "link to this one; rename one of them.",
                    code=error.code,
                    intuit_tid=error.intuit_tid,
                ) from error
            renamed = name + suffix
            try:
                obj = await resource.create({**payload, name_field: renamed})
            except DuplicateNameError as again:
                raise _PushFailed(
                    _taken(name, renamed), code=again.code, intuit_tid=again.intuit_tid
                ) from again
            return _Written(obj, "created", _renamed(name, renamed))

    async def _update_named(
        self,
        stored: StoredRecord,
        resource: _Namespace,
        entity: str,
        payload: Payload,
        qbo_id: str,
        sync_token: str | None,
        outcome: PushOutcome,
    ) -> _Written:
        """An update of a name-list record; a name another kind of record holds gets the
        duplicate-name rule's suffix (module docstring)."""
        name_field = "Name" if entity == "Item" else "DisplayName"
        name = str(payload[name_field])
        suffix = _KIND_SUFFIX.get(stored.record_type)
        try:
            obj = await self._update(resource, entity, payload, qbo_id, sync_token)
            return _Written(obj, outcome)
        except DuplicateNameError as error:
            if suffix is None:
                raise _PushFailed(
                    f"Another QuickBooks item is already named {name!r}; rename one of them.",
                    code=error.code,
                    intuit_tid=error.intuit_tid,
                ) from error
            first = error
        renamed = name + suffix
        try:
            obj = await self._update(
                resource, entity, {**payload, name_field: renamed}, qbo_id, None
            )
        except DuplicateNameError as again:
            raise _PushFailed(
                _taken(name, renamed), code=again.code, intuit_tid=again.intuit_tid
            ) from first
        return _Written(obj, outcome, _renamed(name, renamed))

    async def _match(
        self,
        resource: _Namespace,
        entity: str,
        name_field: str,
        name: str,
        wanted: set[str],
    ) -> dict[str, Any] | None:
        """A QBO record of ``entity`` (inactive ones too) whose name matches, not yet linked
        to another app record."""
        first = name.split()[0] if name.split() else name
        pattern = first.replace("%", "") + "%"
        query = (
            resource.select()
            .where(name_field, "LIKE", pattern)
            .where("Active", "IN", [True, False])
        )
        async for row in resource.iterate(query):
            found = normalize_name(strip_deleted_suffix(str(row.get(name_field, ""))))
            if found not in wanted or (entity == "Item" and row.get("Type") == "Category"):
                continue
            holder = self._links.by_qbo(
                tenant_id=self._tenant, qbo_type=entity, qbo_id=str(row["Id"])
            )
            if holder is None:
                return row
        return None

    # -- transactions -------------------------------------------------------------------------
    async def _attach_or_create(
        self, stored: StoredRecord, resource: _Namespace, entity: str, payload: Payload
    ) -> _Written:
        doc_number = payload.get("DocNumber")
        if doc_number:
            query = resource.select().where("DocNumber", "=", str(doc_number))
            for row in (await resource.query(query)).items:
                holder = self._links.by_qbo(
                    tenant_id=self._tenant, qbo_type=entity, qbo_id=str(row["Id"])
                )
                if holder is None or holder.app_id == stored.app_id:
                    obj = await self._update(
                        resource, entity, payload, str(row["Id"]), str(row["SyncToken"])
                    )
                    return _Written(obj, "linked")
        return _Written(await resource.create(payload), "created")

    async def _close_other_estimates(self, record: Invoice) -> None:
        refs: dict[str, QBORef] = {}
        for so_id in record.sales_order_ids[1:]:
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

    # -- writes -------------------------------------------------------------------------------
    async def _update(
        self,
        resource: _Namespace,
        entity: str,
        payload: Payload,
        qbo_id: str,
        sync_token: str | None,
    ) -> dict[str, Any]:
        """A sparse update of the owned fields; a stale SyncToken is re-read and retried once."""
        if sync_token is None:
            sync_token = str((await resource.read(qbo_id))["SyncToken"])
        try:
            return await resource.update(
                sparse_update(entity, payload, qbo_id=qbo_id, sync_token=sync_token)
            )
        except StaleObjectError:
            current = await resource.read(qbo_id)
            body = sparse_update(
                entity, payload, qbo_id=qbo_id, sync_token=str(current["SyncToken"])
            )
            return await resource.update(body)

    # -- helpers ------------------------------------------------------------------------------
    def _resource(self, record_type: str) -> _Namespace:
        resource: _Namespace = getattr(self._qbo, _ENTITY[record_type][1])
        return resource

    def _link(self, record_type: str, app_id: str) -> LinkRecord | None:
        return self._links.get(tenant_id=self._tenant, record_type=record_type, app_id=app_id)

    def _mark_clean(self, stored: StoredRecord) -> None:
        self._records.mark_clean(
            tenant_id=self._tenant,
            record_type=stored.record_type,
            app_id=stored.app_id,
            content_hash=stored.content_hash,
        )

    def _fail(self, stored: StoredRecord, failure: _PushFailed) -> PushResult:
        link = self._links.record_failure(
            tenant_id=self._tenant,
            record_type=stored.record_type,
            app_id=stored.app_id,
            message=failure.user_message,
            error_code=failure.code,
            intuit_tid=failure.intuit_tid,
            result=failure.result,
        )
        if failure.result == "skipped":
            self._mark_clean(stored)
        outcome: PushOutcome = "failed" if failure.result == "failed" else failure.result
        return PushResult(
            stored.record_type,
            stored.app_id,
            outcome,
            qbo_id=link.qbo_id,
            message=failure.user_message,
            error_code=failure.code,
            intuit_tid=failure.intuit_tid,
        )


# -- module helpers ---------------------------------------------------------------------------
def _parse(stored: StoredRecord) -> AnyRecord:
    try:
        return parse_record({**stored.payload, "type": stored.record_type, "id": stored.app_id})
    except LedgerbridgeError as error:
        raise _PushFailed(error.user_message) from error
    except ValueError as error:
        raise _PushFailed(f"The stored record is not valid: {error}") from error


def _from_qbo(error: QBOError) -> _PushFailed:
    return _PushFailed(
        error.user_message,
        code=None if error.code is None else str(error.code),
        intuit_tid=error.intuit_tid,
    )


def _rows(response: Mapping[str, Any], entity: str) -> list[dict[str, Any]]:
    found = response.get(entity)
    if found is None:
        wanted = entity.lower()
        found = next((v for k, v in response.items() if k.lower() == wanted), [])
    return list(found) if isinstance(found, list) else []


def _taken(name: str, renamed: str) -> str:
    return (
        f"The name {name!r} is used in QuickBooks by another kind of record (customers, "
        f"vendors and employees share names), and so is {renamed!r}; rename one of them."
    )


def _renamed(name: str, renamed: str) -> str:
    return (
        f"The name {name!r} is used in QuickBooks by another kind of record (customers, "
        f"vendors and employees share names); this record is named {renamed!r} there."
    )


def _record_total(record: AnyRecord) -> Decimal | None:
    value = getattr(record, "total", None)
    return value if isinstance(value, Decimal) else None


def _total_warning(record: AnyRecord, payload: Payload, obj: Mapping[str, Any]) -> str | None:
    """A warning when QBO's TotalAmt differs from the payload's or the record's total."""
    if obj.get("TotalAmt") is None:
        return None
    qbo_total = round_money(to_decimal(obj["TotalAmt"]))
    expected = {round_money(expected_total(payload))}
    app_total = _record_total(record)
    if app_total is not None:
        expected.add(round_money(app_total))
    wrong = sorted(total for total in expected if total != qbo_total)
    if not wrong:
        return None
    return (
        f"QuickBooks computed a total of {qbo_total} but the app's total is "
        f"{wrong[0]}; check the lines, discount and tax of this record in QuickBooks."
    )
