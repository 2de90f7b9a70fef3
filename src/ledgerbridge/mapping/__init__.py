"""Pure functions from a canonical record and the tenant's settings to a QBO payload.

``ledgerbridge.mapping`` sits above ``ledgerbridge.model`` and below the engine
(``ARCHITECTURE.md``). It reads nothing and writes nothing: the engine resolves every
reference first and passes the QBO Ids in a :class:`Refs`; mapping returns the JSON body of
the create (a ``dict`` with ``Decimal`` money) or raises an error saying what the engine does
next (``_errors``). Payloads follow ``QBO-REFERENCE.md`` sections 7 and 8 and what the
emulator accepts (``docs/emulator.md``).

===================  =====================  ==========================================
record               QBO entity             function
===================  =====================  ==========================================
customer             Customer               :func:`map_customer`
project              Customer (sub)         :func:`map_project`
vendor               Vendor                 :func:`map_vendor`
item                 Item                   :func:`map_item`
inventory_level      InventoryAdjustment    :func:`map_inventory_level`
sales_order          Estimate (Accepted)    :func:`map_sales_order`
invoice              Invoice                :func:`map_invoice`
credit_memo          CreditMemo             :func:`map_credit_memo`
refund               RefundReceipt          :func:`map_refund`
payment              Payment                :func:`map_payment`
purchase_order       PurchaseOrder (+ Bill) :func:`map_purchase_order`,
                                            :func:`map_purchase_order_bill`
bill                 Bill                   :func:`map_bill`
===================  =====================  ==========================================

:func:`expected_total` is what QBO's ``TotalAmt`` will be; :func:`owned_fields` and
:func:`sparse_update` make updates that leave a bookkeeper's additions alone.

The other direction (docs/inbound.md): :func:`customer_from_qbo`, :func:`item_from_qbo` and
:func:`payment_from_qbo` turn QBO objects into the app's records; :func:`qbo_app_id` names
the records that come from QBO.
"""

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from ._common import Payload
from ._errors import (
    MappingError,
    SettingRequiredError,
    SkipRecordError,
    UnresolvedReferenceError,
)
from ._inbound import (
    InboundPayment,
    UnmatchedApplication,
    app_payment_method,
    customer_from_qbo,
    is_voided_payment,
    item_from_qbo,
    payment_from_qbo,
    qbo_app_id,
    qbo_summary,
)
from ._lists import map_customer, map_inventory_level, map_item, map_project, map_vendor
from ._names import NameKind, clip, normalize_name, qbo_name, strip_deleted_suffix
from ._owned import CREATE_ONLY_FIELDS, OWNED_FIELDS, owned_fields, sparse_update
from ._payments import cap_applications, map_payment
from ._purchases import map_bill, map_purchase_order, map_purchase_order_bill
from ._refs import QBORef, Refs
from ._sales import (
    close_estimate,
    map_credit_memo,
    map_invoice,
    map_refund,
    map_sales_order,
    other_estimates,
)
from ._totals import expected_total

#: record ``type`` -> the QBO entity it is written as.
QBO_ENTITY: Final[Mapping[str, str]] = MappingProxyType(
    {
        "customer": "Customer",
        "project": "Customer",
        "vendor": "Vendor",
        "item": "Item",
        "inventory_level": "InventoryAdjustment",
        "sales_order": "Estimate",
        "invoice": "Invoice",
        "credit_memo": "CreditMemo",
        "refund": "RefundReceipt",
        "payment": "Payment",
        "purchase_order": "PurchaseOrder",
        "bill": "Bill",
    }
)

__all__ = [
    "CREATE_ONLY_FIELDS",
    "OWNED_FIELDS",
    "QBO_ENTITY",
    "InboundPayment",
    "MappingError",
    "NameKind",
    "Payload",
    "QBORef",
    "Refs",
    "SettingRequiredError",
    "SkipRecordError",
    "UnmatchedApplication",
    "UnresolvedReferenceError",
    "app_payment_method",
    "cap_applications",
    "clip",
    "close_estimate",
    "customer_from_qbo",
    "expected_total",
    "is_voided_payment",
    "item_from_qbo",
    "map_bill",
    "map_credit_memo",
    "map_customer",
    "map_inventory_level",
    "map_invoice",
    "map_item",
    "map_payment",
    "map_project",
    "map_purchase_order",
    "map_purchase_order_bill",
    "map_refund",
    "map_sales_order",
    "map_vendor",
    "normalize_name",
    "other_estimates",
    "owned_fields",
    "payment_from_qbo",
    "qbo_app_id",
    "qbo_name",
    "qbo_summary",
    "sparse_update",
    "strip_deleted_suffix",
]
