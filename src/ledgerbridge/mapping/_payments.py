"""Payments received: full, partial, split across invoices, overpaid (credit).

``QBO-REFERENCE.md`` section 8.5 (Payment): ``TotalAmt`` and ``CustomerRef`` required; one
``Line`` per invoice paid, each ``{"Amount", "LinkedTxn": [{"TxnId", "TxnType": "Invoice"}]}``;
what is not applied is ``UnappliedAmt``, the customer's credit; ``DepositToAccountRef``
defaults to Undeposited Funds; ``PaymentRefNum`` holds 21 characters (the emulator's limit).
Syncro's page lists the cases (overpayment, partial, split); BPro's the payment-method filter.

A payment is never applied twice: :func:`cap_applications` caps each application at what
the invoice still has open in QBO (its ``Balance``, read just before). Whatever exceeds it
stays on the payment as unapplied credit instead of being refused by QBO (6000) or, worse,
paying an invoice another payment (say, one recorded by a processor straight into QBO)
already paid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from ledgerbridge.model import Application, Payment, TenantSettings

from ._common import Payload, customer_ref, iso
from ._errors import MappingError, SkipRecordError
from ._names import clip
from ._refs import Refs

__all__ = ["cap_applications", "map_payment"]

_PRIVATE_NOTE_MAX = 4000


def cap_applications(
    applications: Sequence[Application], *, open_balances: Mapping[str, Decimal]
) -> tuple[Application, ...]:
    """Each application capped at its invoice's open balance; fully paid ones dropped.

    ``open_balances`` maps each app invoice id to what is open to *this* payment: the
    invoice's QBO ``Balance``, plus what this payment already applies to it when the payment
    is being updated (QBO's Balance already counts that part).
    """
    capped: list[Application] = []
    for index, application in enumerate(applications):
        balance = open_balances.get(application.invoice_id)
        if balance is None:
            raise MappingError(
                f"applications[{index}].invoice_id: the QuickBooks balance of invoice "
                f"{application.invoice_id!r} is not known, so the payment cannot be applied "
                "safely.",
                field=f"applications[{index}].invoice_id",
            )
        amount = min(application.amount, max(balance, Decimal(0)))
        if amount > 0:
            capped.append(application.model_copy(update={"amount": amount}))
    return tuple(capped)


def map_payment(
    record: Payment,
    *,
    settings: TenantSettings,
    refs: Refs,
    open_balances: Mapping[str, Decimal] | None = None,
) -> Payload:
    """A payment as a QBO Payment; given ``open_balances``, applications are capped first.

    Raises :class:`SkipRecordError` when payments sync from QBO to the app for this tenant,
    or when the payment's method is set not to sync.
    """
    if settings.payment_direction != "app_to_qbo":
        raise SkipRecordError(
            "Payments sync from QuickBooks to the app for this tenant: sending this one too "
            "would record it twice."
        )
    if not settings.method_syncs(record.method):
        raise SkipRecordError(
            f"Payments with the method {record.method!r} are set not to sync for this tenant."
        )
    applications: Sequence[Application] = record.applications
    if open_balances is not None:
        applications = cap_applications(applications, open_balances=open_balances)
    index_of = {a.invoice_id: i for i, a in enumerate(record.applications)}
    lines = [
        {
            "Amount": application.amount,
            "LinkedTxn": [
                {
                    "TxnId": refs.invoice(
                        application.invoice_id,
                        field=f"applications[{index_of[application.invoice_id]}].invoice_id",
                    ).value,
                    "TxnType": "Invoice",
                }
            ],
        }
        for application in applications
    ]
    payload: Payload = {
        "CustomerRef": customer_ref(
            record.customer_id, record.project_id, settings=settings, refs=refs
        ).payload(),
        "TxnDate": iso(record.payment_date),
        "TotalAmt": record.amount,
        "DepositToAccountRef": refs.account(
            settings.deposit_account(record.method), field="deposit_accounts"
        ).payload(),
        # Payment lines are all-or-nothing, even in a sparse update (4.2): always the full set.
        "Line": lines,
    }
    if record.method:
        payload["PaymentMethodRef"] = refs.payment_method(
            settings.qbo_payment_method(record.method)
        ).payload()
    if record.reference:
        payload["PaymentRefNum"] = record.reference
    if record.memo:
        payload["PrivateNote"] = clip(record.memo, limit=_PRIVATE_NOTE_MAX)
    return payload
