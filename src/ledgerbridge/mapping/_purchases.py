"""Purchases: purchase orders, the bill a received order becomes, and vendor bills.

``QBO-REFERENCE.md`` section 8.5 (PurchaseOrder: ``APAccountRef``, ``VendorRef``, item- or
account-based lines, ``POEmail``, ``ShipAddr``, ``Memo`` 4000; Bill: ``LinkedTxn`` to a
PurchaseOrder closes it) and section 8.2 (line shapes); Inventory Mate's page (item lines
with quantity, unit cost and amount; cost lines on an expense account; vendor address and
e-mail; ship-to; due date; internal reference in ``PrivateNote``; ``PO-{number}``; "a PO
with no line items and no positive cost lines cannot be synced") and Syncro's (a PO marked
finished becomes a Bill).

Rules chosen here:

- A purchase order with no item line and no cost line above zero is refused
  (:class:`MappingError` on ``lines``): there is nothing to send, and nothing is sent.
- A received or finished order becomes a Bill with the same lines, dated ``received_date``
  (the order date when the app gives none), numbered like the order, linked to it
  (``LinkedTxn`` PurchaseOrder, which closes it in QBO). Given the order's QBO line Ids, each
  bill line also links its order line (``TxnLineId``), as QBO's own "Copy to Bill" does.
"""

from __future__ import annotations

from collections.abc import Sequence

from ledgerbridge.model import (
    Bill,
    CostLine,
    PurchaseItemLine,
    PurchaseOrder,
    TenantSettings,
    Vendor,
)

from ._common import Payload, address, clipped, doc_number, email, iso, purchase_lines
from ._errors import MappingError, SkipRecordError
from ._refs import Refs

__all__ = ["MEMO_MAX", "map_bill", "map_purchase_order", "map_purchase_order_bill"]

MEMO_MAX = 4000


def _drop_empty(payload: Payload) -> Payload:
    return {k: v for k, v in payload.items() if v is not None}


def _lines_to_send(
    record: PurchaseOrder | Bill, *, settings: TenantSettings, refs: Refs
) -> list[Payload]:
    has_items = any(isinstance(line, PurchaseItemLine) for line in record.lines)
    has_cost = any(isinstance(line, CostLine) and line.amount > 0 for line in record.lines)
    if not (has_items or has_cost):
        kind = "purchase order" if isinstance(record, PurchaseOrder) else "bill"
        raise MappingError(
            f"lines: the {kind} has no item lines and no cost line above zero, so there is "
            "nothing to send to QuickBooks; add a line.",
            field="lines",
        )
    return purchase_lines(record.lines, settings=settings, refs=refs)


def _payables(settings: TenantSettings, refs: Refs) -> Payload:
    return refs.account(settings.payables_account, field="payables_account").payload()


def map_purchase_order(
    record: PurchaseOrder,
    *,
    settings: TenantSettings,
    refs: Refs,
    vendor: Vendor | None = None,
) -> Payload:
    """A purchase order as a QBO PurchaseOrder.

    ``vendor`` (the app's vendor record) gives the vendor address and, when the order has
    none, the PO e-mail.
    """
    lines = _lines_to_send(record, settings=settings, refs=refs)
    vendor_email = record.vendor_email or (vendor.email if vendor else None)
    return _drop_empty(
        {
            "VendorRef": refs.vendor(record.vendor_id).payload(),
            "APAccountRef": _payables(settings, refs),
            "DocNumber": doc_number(settings, "purchase_order", record.number),
            "TxnDate": iso(record.order_date),
            "DueDate": iso(record.due_date) if record.due_date else None,
            "Line": lines,
            "VendorAddr": address(vendor.address) if vendor else None,
            "ShipAddr": address(record.ship_to),
            "POEmail": email(vendor_email),
            "Memo": clipped(record.memo, limit=MEMO_MAX),
            "PrivateNote": clipped(record.internal_reference, limit=MEMO_MAX),
        }
    )


def map_purchase_order_bill(
    record: PurchaseOrder,
    *,
    settings: TenantSettings,
    refs: Refs,
    po_line_ids: Sequence[str] | None = None,
) -> Payload:
    """The Bill a received or finished purchase order becomes, linked to its QBO order.

    ``po_line_ids`` are the Ids QBO gave the order's lines, in order. Raises
    :class:`SkipRecordError` while the order is only ordered.
    """
    if record.status == "ordered":
        raise SkipRecordError(
            "The purchase order is not received yet: it becomes a bill when it is received "
            "or finished."
        )
    order = refs.purchase_order(record.id, field="id")
    lines = _lines_to_send(record, settings=settings, refs=refs)
    if po_line_ids is not None:
        if len(po_line_ids) != len(lines):
            raise ValueError(
                f"po_line_ids has {len(po_line_ids)} Ids for the order's {len(lines)} lines"
            )
        for line, line_id in zip(lines, po_line_ids, strict=True):
            line["LinkedTxn"] = [
                {"TxnId": order.value, "TxnType": "PurchaseOrder", "TxnLineId": line_id}
            ]
    return _drop_empty(
        {
            "VendorRef": refs.vendor(record.vendor_id).payload(),
            "APAccountRef": _payables(settings, refs),
            "DocNumber": doc_number(settings, "purchase_order", record.number),
            "TxnDate": iso(record.received_date or record.order_date),
            "Line": lines,
            "LinkedTxn": [{"TxnId": order.value, "TxnType": "PurchaseOrder"}],
            "PrivateNote": clipped(record.internal_reference, limit=MEMO_MAX),
        }
    )


def map_bill(record: Bill, *, settings: TenantSettings, refs: Refs) -> Payload:
    """A vendor bill as a QBO Bill, linked to its purchase order when it names one."""
    lines = _lines_to_send(record, settings=settings, refs=refs)
    linked = None
    if record.purchase_order_id is not None:
        order = refs.purchase_order(record.purchase_order_id)
        linked = [{"TxnId": order.value, "TxnType": "PurchaseOrder"}]
    return _drop_empty(
        {
            "VendorRef": refs.vendor(record.vendor_id).payload(),
            "APAccountRef": _payables(settings, refs),
            "DocNumber": doc_number(settings, "bill", record.number),
            "TxnDate": iso(record.bill_date),
            "DueDate": iso(record.due_date) if record.due_date else None,
            "Line": lines,
            "LinkedTxn": linked,
            "PrivateNote": clipped(record.memo, limit=MEMO_MAX),
        }
    )
