"""Canonical records and tenant settings: what a host app hands to ledgerbridge.

Pydantic v2 models, strict and frozen, with money as ``Decimal`` (never float). This layer
imports nothing else of ledgerbridge (``ARCHITECTURE.md``, layers).

- Records (:data:`Record`, one class per ``type``): customers, projects, vendors, items,
  sales orders, invoices, purchase orders, bills, payments, refunds, credit memos, inventory
  levels. :func:`parse_record` validates one, :func:`parse_ndjson` a file of them (bad lines
  are reported, good ones kept), :func:`record_schema` publishes their JSON Schema and
  :func:`content_hash` tells when one changed.
- :class:`TenantSettings`: what syncs, when, and how (``settings_schema``).
"""

from ._money import CENT, round_money, to_decimal
from ._parse import (
    ImportResult,
    RecordError,
    RecordValidationError,
    content_hash,
    parse_ndjson,
    parse_record,
    record_schema,
)
from ._records import (
    RECORD_TYPES,
    Address,
    AnyRecord,
    AppId,
    Application,
    Bill,
    ChargeLine,
    Contact,
    CostLine,
    CreditMemo,
    Customer,
    Discount,
    FieldValueError,
    InventoryLevel,
    Invoice,
    Item,
    ItemLine,
    Payment,
    Project,
    PurchaseItemLine,
    PurchaseLine,
    PurchaseOrder,
    Record,
    RecordType,
    Refund,
    SalesLine,
    SalesOrder,
    Vendor,
)
from ._settings import (
    ALL_RECORD_TYPES,
    DEFAULT_DEPOSIT_ACCOUNT,
    DocNumberType,
    PaymentMethodSetting,
    TenantSettings,
    render_doc_number,
    settings_schema,
)

__all__ = [
    "ALL_RECORD_TYPES",
    "CENT",
    "DEFAULT_DEPOSIT_ACCOUNT",
    "RECORD_TYPES",
    "Address",
    "AnyRecord",
    "AppId",
    "Application",
    "Bill",
    "ChargeLine",
    "Contact",
    "CostLine",
    "CreditMemo",
    "Customer",
    "Discount",
    "DocNumberType",
    "FieldValueError",
    "ImportResult",
    "InventoryLevel",
    "Invoice",
    "Item",
    "ItemLine",
    "Payment",
    "PaymentMethodSetting",
    "Project",
    "PurchaseItemLine",
    "PurchaseLine",
    "PurchaseOrder",
    "Record",
    "RecordError",
    "RecordType",
    "RecordValidationError",
    "Refund",
    "SalesLine",
    "SalesOrder",
    "TenantSettings",
    "Vendor",
    "content_hash",
    "parse_ndjson",
    "parse_record",
    "record_schema",
    "render_doc_number",
    "round_money",
    "settings_schema",
    "to_decimal",
]
