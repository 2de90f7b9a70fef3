"""Payments: money received from a customer, applied to invoices (and credit memos).

Reference section 8.5: ``TotalAmt`` and ``CustomerRef`` are required; each line applies an
amount to one linked Invoice or CreditMemo; what is not applied is ``UnappliedAmt`` (a payment
with no lines is all credit). Applying lowers the invoice's Balance and adds a ``Payment``
LinkedTxn to it; deleting or voiding the payment gives it back.
"""

from __future__ import annotations

from decimal import Decimal

from . import _faults
from ._company import Obj
from ._lines import adjust_balance
from ._payload import money, to_decimal
from ._rules import Context, Rules, ref_id

__all__ = ["PaymentRules"]

_APPLIES_TO = ("Invoice", "CreditMemo")


class PaymentRules(Rules):
    def prepare(self, ctx: Context, entity: str, new: Obj, old: Obj | None) -> None:
        if not new.get("CustomerRef"):
            raise _faults.required_param("CustomerRef")
        if "TotalAmt" not in new:
            raise _faults.required_param("TotalAmt")
        total = money(new["TotalAmt"])
        if total < 0:
            raise _faults.business_validation("A payment amount can't be negative.", "TotalAmt")
        new["TotalAmt"] = total
        customer_id = ref_id(new, "CustomerRef")
        before = _applications(old) if old is not None else {}
        lines: list[Obj] = []
        applied = Decimal(0)
        for raw in new.get("Line") or []:
            if not isinstance(raw, dict):
                raise _faults.unsupported_property("Line", entity, 0)
            amount = money(to_decimal(raw.get("Amount", 0), entity=entity, name="Amount"))
            links = raw.get("LinkedTxn") or []
            if len(links) != 1 or not isinstance(links[0], dict):
                raise _faults.business_validation(
                    "Each payment line must link exactly one invoice or credit memo.", "LinkedTxn"
                )
            txn_type, txn_id = str(links[0].get("TxnType")), str(links[0].get("TxnId"))
            if txn_type not in _APPLIES_TO:
                raise _faults.business_validation(
                    f"A payment can't be applied to a {txn_type} in this emulator.", "LinkedTxn"
                )
            target = ctx.company.get(txn_type, txn_id)
            if target is None:
                raise _faults.business_validation(
                    f"The entity {txn_type} {txn_id} that you are trying to link does not exist."
                )
            if ref_id(target, "CustomerRef") != customer_id:
                raise _faults.business_validation(
                    f"{txn_type} {txn_id} belongs to another customer.", "LinkedTxn"
                )
            open_amount = Decimal(target["Balance"]) + before.get((txn_type, txn_id), Decimal(0))
            if amount > open_amount:
                raise _faults.business_validation(
                    f"The amount applied to {txn_type} {txn_id} ({amount}) is more than its open "
                    f"balance ({open_amount}).",
                    "Line.Amount",
                )
            applied += amount if txn_type == "Invoice" else -amount
            lines.append({"Amount": amount, "LinkedTxn": [{"TxnId": txn_id, "TxnType": txn_type}]})
        if applied > total:
            raise _faults.business_validation(
                "The payment amount must be at least the total applied to invoices less credits.",
                "TotalAmt",
            )
        new["Line"] = lines
        new["UnappliedAmt"] = money(total - applied)
        new.setdefault("TxnDate", ctx.today())
        new.setdefault("CurrencyRef", {"value": "USD", "name": "United States Dollar"})
        if "DepositToAccountRef" not in new:
            new["DepositToAccountRef"] = ctx.company.default_account_ref("UndepositedFunds")
        new.setdefault("ProcessPayment", False)

    def apply(self, ctx: Context, entity: str, obj: Obj, sign: int) -> None:
        for (txn_type, txn_id), amount in _applications(obj).items():
            target = ctx.company.get(txn_type, txn_id)
            if target is None:
                continue
            ctx.changing(txn_type, target)
            target["Balance"] = money(Decimal(target["Balance"]) - sign * amount)
            if txn_type == "CreditMemo":
                target["RemainingCredit"] = target["Balance"]
            link = {"TxnId": obj["Id"], "TxnType": "Payment"}
            links = [x for x in target.get("LinkedTxn", []) if x != link]
            if sign > 0:
                links.append(link)
            target["LinkedTxn"] = links
        adjust_balance(ctx, "Customer", obj.get("CustomerRef"), -sign * obj["TotalAmt"])

    def void(self, ctx: Context, entity: str, obj: Obj) -> None:
        obj["TotalAmt"] = Decimal(0)
        obj["UnappliedAmt"] = Decimal(0)
        obj["Line"] = []
        note = obj.get("PrivateNote")
        obj["PrivateNote"] = f"Voided - {note}" if note else "Voided"


def _applications(payment: Obj) -> dict[tuple[str, str], Decimal]:
    out: dict[tuple[str, str], Decimal] = {}
    for line in payment.get("Line", []):
        link = line["LinkedTxn"][0]
        key = (link["TxnType"], link["TxnId"])
        out[key] = out.get(key, Decimal(0)) + line["Amount"]
    return out
