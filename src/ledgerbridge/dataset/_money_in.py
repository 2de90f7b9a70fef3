"""Payments received, credit memos and refunds.

Payments follow Syncro's list: most pay one invoice in full; some pay part of one (the rest
may come later), some split one check across several invoices of the same customer, a few
overpay (the remainder stays as the customer's credit), and a few are deposits applied to
nothing yet. An invoice is never paid beyond its total, and every payment is dated after the
invoices it pays. Credit memos return parts from an invoice or give store credit; refunds pay
back an overpayment or a returned part.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Final

from ledgerbridge.model import (
    Application,
    CreditMemo,
    Invoice,
    ItemLine,
    Payment,
    Refund,
    round_money,
)

from ._shop import Shop
from ._words import PAYMENT_METHODS

__all__ = ["make_credit_memos", "make_payments", "make_refunds"]

Payer = tuple[str, str | None]

_KINDS: Final = ("full", "partial", "split", "over", "deposit")
_KIND_WEIGHTS: Final = (68, 15, 10, 5, 2)


class _Receivables:
    """What each customer (and project) still owes, invoice by invoice, oldest first."""

    def __init__(self, invoices: Sequence[Invoice]) -> None:
        self.balance = {inv.id: inv.total for inv in invoices if inv.total > 0}
        self.last_paid = {inv.id: inv.invoice_date for inv in invoices}
        self.open: dict[Payer, list[Invoice]] = {}
        for invoice in invoices:
            if invoice.id in self.balance:
                key = (invoice.customer_id, invoice.project_id)
                self.open.setdefault(key, []).append(invoice)

    def payers(self) -> list[Payer]:
        return [payer for payer, invoices in self.open.items() if invoices]

    def pay(self, invoice: Invoice, amount: Decimal, day: date) -> Application:
        self.balance[invoice.id] -= amount
        self.last_paid[invoice.id] = day
        if self.balance[invoice.id] == 0:
            self.open[(invoice.customer_id, invoice.project_id)].remove(invoice)
        return Application(invoice_id=invoice.id, amount=amount)


def _method(shop: Shop) -> tuple[str, str | None]:
    """A payment method and its reference (check number, card authorization)."""
    draw = shop.draw
    method = draw.weighted([m for m, _ in PAYMENT_METHODS], [w for _, w in PAYMENT_METHODS])
    if method == "Check":
        return method, draw.digits(draw.between(4, 6))
    if method == "Cash":
        return method, None
    return method, f"AUTH {draw.digits(6)}"


def _payment(shop: Shop, owed: _Receivables, payer: Payer, kind: str) -> Payment:
    draw = shop.draw
    invoices = owed.open[payer]
    paid = invoices[: draw.between(2, 3)] if kind == "split" else invoices[:1]
    day = draw.after(max(owed.last_paid[inv.id] for inv in paid), 3, 45)
    amounts = [owed.balance[inv.id] for inv in paid]
    if kind == "partial" and amounts[0] > Decimal("0.01"):
        share = draw.between(25, 75)
        amounts[0] = max(round_money(amounts[0] * share / 100), Decimal("0.01"))
    applications = tuple(
        owed.pay(invoice, amount, day) for invoice, amount in zip(paid, amounts, strict=True)
    )
    extra = draw.money("5.00", "150.00") if kind == "over" else Decimal(0)
    method, reference = _method(shop)
    return Payment(
        id="draft",
        customer_id=payer[0],
        project_id=payer[1],
        payment_date=day,
        amount=sum((a.amount for a in applications), extra),
        method=method,
        reference=reference,
        applications=applications,
        memo="Overpaid - keep as credit" if extra else None,
    )


def _deposit(shop: Shop) -> Payment:
    """A deposit on a job, applied to nothing yet (all of it is credit)."""
    draw = shop.draw
    customer = draw.pick(shop.buyers)
    method, reference = _method(shop)
    return Payment(
        id="draft",
        customer_id=customer.id,
        payment_date=draw.day(120),
        amount=draw.money("100.00", "2500.00"),
        method=method,
        reference=reference,
        memo="Deposit on new job",
    )


def make_payments(shop: Shop, count: int) -> None:
    """``count`` payments (module docstring), oldest first."""
    draw = shop.draw
    owed = _Receivables(shop.invoices)
    drafts = []
    for _ in range(count):
        payers = owed.payers()
        kind = draw.weighted(_KINDS, _KIND_WEIGHTS) if payers else "deposit"
        if kind == "deposit":
            drafts.append(_deposit(shop))
            continue
        payer = draw.weighted(payers, [len(owed.open[p]) for p in payers])
        if kind == "split" and len(owed.open[payer]) < 2:
            kind = "full"
        drafts.append(_payment(shop, owed, payer, kind))
    drafts.sort(key=lambda payment: payment.payment_date)
    shop.payments.extend(
        payment.model_copy(update={"id": f"pay-{index:05d}"})
        for index, payment in enumerate(drafts, start=1)
    )


def _returned_line(shop: Shop, invoice: Invoice, goods: set[str]) -> ItemLine | None:
    """One of the invoice's lines of ``goods`` (items), for one to three pieces sent back."""
    draw = shop.draw
    lines = [
        line
        for line in invoice.lines
        if isinstance(line, ItemLine) and line.item_id in goods and line.unit_price > 0
    ]
    if not lines:
        return None
    line = draw.pick(lines)
    quantity = min(line.quantity, Decimal(draw.between(1, 3)))
    return line.model_copy(update={"quantity": quantity, "description": "Returned"})


def _returns(shop: Shop) -> list[tuple[Invoice, ItemLine]]:
    """Invoices with goods that can come back, and a line of what comes back."""
    goods = {item.id for item in shop.items_of("part", "raw", "hardware")}
    found = []
    for invoice in shop.invoices:
        line = _returned_line(shop, invoice, goods)
        if line is not None:
            found.append((invoice, line))
    return found


def make_credit_memos(shop: Shop, count: int) -> None:
    """``count`` credit memos: parts returned from an invoice, or store credit."""
    draw = shop.draw
    returns = _returns(shop)
    drafts = []
    for _ in range(count):
        if returns and draw.chance(0.6):
            invoice, line = draw.pick(returns)
            rate = shop.tax_rate.get(invoice.customer_id)
            tax = round_money(line.amount * rate) if rate and line.taxable else Decimal(0)
            rma = draw.digits(5)
            fields: dict[str, object] = {"lines": (line,), "tax": tax, "memo": f"RMA {rma}"}
        else:
            invoice = draw.pick(shop.invoices)
            fields = {
                "store_credit": True,
                "amount": draw.money("25.00", "350.00"),
                "tax": Decimal("0.00"),
                "memo": f"Goodwill credit - late delivery, invoice {invoice.number}",
            }
        drafts.append(
            CreditMemo.model_validate(
                {
                    "id": "draft",
                    "customer_id": invoice.customer_id,
                    "project_id": invoice.project_id,
                    "credit_date": draw.after(invoice.invoice_date, 5, 40),
                    **fields,
                }
            )
        )
    drafts.sort(key=lambda memo: memo.credit_date)
    shop.credit_memos.extend(
        memo.model_copy(update={"id": f"cm-{index:05d}", "number": f"CM{1000 + index}"})
        for index, memo in enumerate(drafts, start=1)
    )


def make_refunds(shop: Shop, count: int) -> None:
    """``count`` refunds: overpayments paid back, else a returned part refunded."""
    draw = shop.draw
    overpaid = [p for p in shop.payments if p.applications and p.credit > 0]
    returns = _returns(shop)
    drafts = []
    for _ in range(count):
        method, reference = _method(shop)
        if overpaid and (draw.chance(0.5) or not returns):
            payment = overpaid.pop(draw.between(0, len(overpaid) - 1))
            fields: dict[str, object] = {
                "customer_id": payment.customer_id,
                "project_id": payment.project_id,
                "refund_date": draw.after(payment.payment_date, 2, 20),
                "amount": payment.credit,
                "memo": "Refund of overpayment",
            }
        elif returns:
            invoice, line = draw.pick(returns)
            line = line.model_copy(update={"taxable": False})
            fields = {
                "customer_id": invoice.customer_id,
                "project_id": invoice.project_id,
                "refund_date": draw.after(invoice.invoice_date, 5, 40),
                "amount": line.amount,
                "lines": (line,),
                "memo": f"Returned part, RMA {draw.digits(5)}",
            }
        else:
            break
        drafts.append(
            Refund.model_validate(
                {"id": "draft", "method": method, "reference": reference, **fields}
            )
        )
    drafts.sort(key=lambda refund: refund.refund_date)
    shop.refunds.extend(
        refund.model_copy(update={"id": f"rf-{index:05d}", "number": f"RF{1000 + index}"})
        for index, refund in enumerate(drafts, start=1)
    )
