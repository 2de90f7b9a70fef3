"""The mapping step both push paths share: a record and its references to a QBO body.

:func:`map_record` picks the ``ledgerbridge.mapping`` function of the record's type and calls
it with the references and the context the record needs besides (a project's customer, a
purchase order's vendor, a payment's open invoice balances). It reads nothing: the
per-record :class:`Pusher` gathers the context one record at a time (and resolves each
missing reference when mapping reports it), the :class:`BulkPusher` gathers it for a whole
wave at once. :func:`mapping_failure` turns what mapping refuses into what goes on the link.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from ledgerbridge.mapping import (
    MappingError,
    Payload,
    Refs,
    SettingRequiredError,
    SkipRecordError,
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
)

from ._push_support import PushFailed

__all__ = ["MapContext", "map_record", "mapping_failure"]


@dataclass(frozen=True)
class MapContext:
    """What a record's mapping needs besides its references."""

    #: a project's customer (a project becomes a sub-customer under it)
    parent: Customer | None = None
    #: a purchase order's vendor (its address, and its e-mail when the order has none)
    vendor: Vendor | None = None
    #: a payment's invoices: app invoice id -> what is open to this payment in QBO
    open_balances: Mapping[str, Decimal] | None = None


def map_record(
    record: AnyRecord, *, settings: TenantSettings, refs: Refs, context: MapContext
) -> Payload:
    """The QBO body of ``record``; raises mapping's errors (:class:`UnresolvedReferenceError`
    for the next reference to resolve) and :class:`PushFailed` for a missing context."""
    if isinstance(record, Customer):
        return map_customer(record, settings=settings, refs=refs)
    if isinstance(record, Project):
        if context.parent is None:
            raise PushFailed(
                f"customer_id: the customer {record.customer_id!r} has not been received."
            )
        return map_project(record, settings=settings, refs=refs, customer=context.parent)
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
        return map_purchase_order(record, settings=settings, refs=refs, vendor=context.vendor)
    if isinstance(record, Payment):
        return map_payment(
            record, settings=settings, refs=refs, open_balances=context.open_balances
        )
    if isinstance(record, CreditMemo):
        return map_credit_memo(record, settings=settings, refs=refs)
    if isinstance(record, Refund):
        return map_refund(record, settings=settings, refs=refs)
    if isinstance(record, Bill):
        return map_bill(record, settings=settings, refs=refs)
    raise PushFailed(f"Records of type {record.type!r} are not sent to QuickBooks yet.")


def mapping_failure(error: MappingError | SkipRecordError) -> PushFailed:
    """What mapping refused, as it goes on the link: a setting to set makes the record wait,
    a deliberate skip skips it, anything else fails it with mapping's sentence."""
    if isinstance(error, SettingRequiredError):
        return PushFailed(error.user_message, result="waiting")
    if isinstance(error, SkipRecordError):
        return PushFailed(error.user_message, result="skipped")
    return PushFailed(error.user_message)
