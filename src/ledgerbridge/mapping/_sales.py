"""Sales documents: sales orders (Estimates), invoices, credit memos, refunds.

``QBO-REFERENCE.md`` section 8 (8.1 fields and limits: DocNumber 21, CustomerMemo 1000,
PrivateNote 4000; 8.4 totals; 8.5 per-entity rules) and StartProto's page (sales orders sync
as *Accepted* Estimates, lines include miscellaneous charges).

Rules chosen here:

- **Memo**: a sales document's ``memo`` is shown to the customer (``CustomerMemo``, cut to
  1000 characters); ``PrivateNote`` is ledgerbridge's note for the bookkeeper.
- **Several sales orders on one invoice**: QBO lets an invoice link one Estimate (8.5; the
  emulator refuses two). The invoice links the estimate of its *first* sales order, which
  QBO then closes and shows as linked; every sales order it bills is listed in
  ``PrivateNote`` ("Bills sales orders 1001, 1002."), and :func:`other_estimates` names the
  remaining estimates, which the engine closes with :func:`close_estimate`. Linking one is
  better than linking none: the common single-order case gets QBO's real link, and the
  others are closed rather than left looking unbilled. Taxes and discounts stay right because
  the invoice carries its own lines, discount and tax; nothing is copied from the estimates
  (which is what breaks multi-order invoices elsewhere). When sales orders are not enabled
  for the tenant there are no estimates: nothing is linked and the note lists the app's ids.
- **$0 invoices** are skipped (:class:`SkipRecordError`) unless ``sync_zero_invoices``.
- **Refunds** are RefundReceipts paid from ``refund_account``; without it the refund waits
  (:class:`SettingRequiredError`). A refund without lines is one line of its amount on the
  charge item.
- **Store credit** given as an amount is one line on the charge item described
  "Store credit"; every store-credit memo says so in ``PrivateNote``. A credit memo's
  ``RemainingCredit`` in QBO is the customer's store credit, applied by later payments.
"""

from __future__ import annotations

from decimal import Decimal

from ledgerbridge.model import (
    ChargeLine,
    CreditMemo,
    Invoice,
    Refund,
    SalesOrder,
    TenantSettings,
)

from ._common import (
    Payload,
    clipped,
    customer_ref,
    discount_line,
    doc_number,
    iso,
    sales_lines,
)
from ._errors import SettingRequiredError, SkipRecordError
from ._names import clip
from ._refs import QBORef, Refs

__all__ = [
    "CUSTOMER_MEMO_MAX",
    "PRIVATE_NOTE_MAX",
    "close_estimate",
    "map_credit_memo",
    "map_invoice",
    "map_refund",
    "map_sales_order",
    "other_estimates",
]

CUSTOMER_MEMO_MAX = 1000
PRIVATE_NOTE_MAX = 4000


def _body(
    record: SalesOrder | Invoice | CreditMemo, *, settings: TenantSettings, refs: Refs
) -> Payload:
    """Lines, discount and tax of a sales document."""
    lines = sales_lines(record.lines, settings=settings, refs=refs)
    discount = discount_line(record.discount, record.subtotal)
    if discount is not None:
        lines.append(discount)
    return {"Line": lines, "TxnTaxDetail": {"TotalTax": record.tax}}


def _memo(text: str | None) -> Payload | None:
    return {"value": clip(text, limit=CUSTOMER_MEMO_MAX)} if text else None


def _drop_empty(payload: Payload) -> Payload:
    return {k: v for k, v in payload.items() if v is not None}


def map_sales_order(record: SalesOrder, *, settings: TenantSettings, refs: Refs) -> Payload:
    """A sales order as a QBO Estimate with ``TxnStatus: "Accepted"``."""
    return _drop_empty(
        {
            "CustomerRef": customer_ref(
                record.customer_id, record.project_id, settings=settings, refs=refs
            ).payload(),
            "DocNumber": doc_number(settings, "sales_order", record.number),
            "TxnDate": iso(record.order_date),
            "DueDate": iso(record.due_date) if record.due_date else None,
            "TxnStatus": "Accepted",
            "AcceptedDate": iso(record.order_date),
            **_body(record, settings=settings, refs=refs),
            "CustomerMemo": _memo(record.memo),
        }
    )


def _estimates(record: Invoice, *, settings: TenantSettings, refs: Refs) -> list[QBORef]:
    if "sales_order" not in settings.enabled_types:
        return []
    return [
        refs.estimate(so_id, field=f"sales_order_ids[{index}]")
        for index, so_id in enumerate(record.sales_order_ids)
    ]


def map_invoice(record: Invoice, *, settings: TenantSettings, refs: Refs) -> Payload:
    """An invoice as a QBO Invoice linked to its first sales order's Estimate.

    Raises :class:`SkipRecordError` for a $0 invoice unless the tenant syncs them.
    """
    if record.total == 0 and not settings.sync_zero_invoices:
        raise SkipRecordError(
            "The invoice total is $0 and this tenant does not sync $0 invoices "
            "(sync_zero_invoices)."
        )
    estimates = _estimates(record, settings=settings, refs=refs)
    note = None
    if len(record.sales_order_ids) > 1:
        names = [
            (estimates[i].name or so_id) if estimates else so_id
            for i, so_id in enumerate(record.sales_order_ids)
        ]
        note = f"Bills sales orders {', '.join(names)}."
    return _drop_empty(
        {
            "CustomerRef": customer_ref(
                record.customer_id, record.project_id, settings=settings, refs=refs
            ).payload(),
            "DocNumber": doc_number(settings, "invoice", record.number),
            "TxnDate": iso(record.invoice_date),
            "DueDate": iso(record.due_date) if record.due_date else None,
            "SalesTermRef": refs.term(record.terms).payload() if record.terms else None,
            **_body(record, settings=settings, refs=refs),
            "LinkedTxn": (
                [{"TxnId": estimates[0].value, "TxnType": "Estimate"}] if estimates else None
            ),
            "CustomerMemo": _memo(record.memo),
            "PrivateNote": clipped(note, limit=PRIVATE_NOTE_MAX),
        }
    )


def other_estimates(record: Invoice, *, settings: TenantSettings, refs: Refs) -> list[QBORef]:
    """The estimates of the invoice's second and later sales orders, which QBO cannot link:
    the engine closes each with :func:`close_estimate` once the invoice is written."""
    return _estimates(record, settings=settings, refs=refs)[1:]


def close_estimate(*, qbo_id: str, sync_token: str) -> Payload:
    """A sparse update marking an estimate Closed (it was billed by a multi-order invoice)."""
    return {"Id": qbo_id, "SyncToken": sync_token, "sparse": True, "TxnStatus": "Closed"}


def map_credit_memo(record: CreditMemo, *, settings: TenantSettings, refs: Refs) -> Payload:
    """A credit memo (returned lines, or store credit) as a QBO CreditMemo."""
    if record.amount is not None:
        charge = ChargeLine(description="Store credit", amount=record.amount)
        body: Payload = {
            "Line": sales_lines([charge], settings=settings, refs=refs),
            "TxnTaxDetail": {"TotalTax": record.tax},
        }
    else:
        body = _body(record, settings=settings, refs=refs)
    return _drop_empty(
        {
            "CustomerRef": customer_ref(
                record.customer_id, record.project_id, settings=settings, refs=refs
            ).payload(),
            "DocNumber": doc_number(settings, "credit_memo", record.number),
            "TxnDate": iso(record.credit_date),
            **body,
            "CustomerMemo": _memo(record.memo),
            "PrivateNote": "Store credit." if record.store_credit else None,
        }
    )


def map_refund(record: Refund, *, settings: TenantSettings, refs: Refs) -> Payload:
    """A refund as a QBO RefundReceipt paid from the tenant's refund account.

    Raises :class:`SettingRequiredError` while ``refund_account`` is not set: the refund
    waits for it.
    """
    if settings.refund_account is None:
        raise SettingRequiredError(
            "refund_account",
            "The refund account is not set: refunds wait until the tenant chooses the "
            "QuickBooks bank or cash account they are paid from (refund_account).",
        )
    lines = record.lines or (ChargeLine(description="Refund", amount=record.amount),)
    method = record.method
    return _drop_empty(
        {
            "CustomerRef": customer_ref(
                record.customer_id, record.project_id, settings=settings, refs=refs
            ).payload(),
            "DocNumber": doc_number(settings, "refund", record.number),
            "TxnDate": iso(record.refund_date),
            "DepositToAccountRef": refs.account(
                settings.refund_account, field="refund_account"
            ).payload(),
            "PaymentMethodRef": (
                refs.payment_method(settings.qbo_payment_method(method)).payload()
                if method
                else None
            ),
            "PaymentRefNum": record.reference,
            "Line": sales_lines(lines, settings=settings, refs=refs),
            "TxnTaxDetail": {"TotalTax": Decimal(0)},
            "PrivateNote": clipped(record.memo, limit=PRIVATE_NOTE_MAX),
        }
    )
