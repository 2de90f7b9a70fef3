"""Purchase forms: PurchaseOrder and Bill.

Reference section 8.5: both need ``VendorRef`` and lines, item-based
(``ItemBasedExpenseLineDetail``: an item, Qty, UnitPrice) or account-based
(``AccountBasedExpenseLineDetail``: an expense account, such as freight or fees). Bills owe the
vendor and bring inventory in; a bill that links a purchase order closes it.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from . import _faults
from ._company import DOC_NUMBER_GROUPS, Obj
from ._lines import (
    adjust_balance,
    check_doc_number,
    index_doc_number,
    line_amount,
    move_quantity,
    number_lines,
    require_lines,
)
from ._payload import money
from ._rules import Context, Rules, decimal_of, ref_id

__all__ = ["PurchaseRules"]

_ITEM_LINE = "ItemBasedExpenseLineDetail"
_ACCOUNT_LINE = "AccountBasedExpenseLineDetail"


class PurchaseRules(Rules):
    def prepare(self, ctx: Context, entity: str, new: Obj, old: Obj | None) -> None:
        if not new.get("VendorRef"):
            raise _faults.required_param("VendorRef")
        lines = []
        total = Decimal(0)
        for line in require_lines(entity, new):
            line = dict(line)
            kind = line["DetailType"]
            if kind == _ITEM_LINE:
                if not ref_id(line.get(kind) or {}, "ItemRef"):
                    raise _faults.required_param("Line.ItemBasedExpenseLineDetail.ItemRef")
            elif kind == _ACCOUNT_LINE:
                if not ref_id(line.get(kind) or {}, "AccountRef"):
                    raise _faults.required_param("Line.AccountBasedExpenseLineDetail.AccountRef")
            else:
                raise _faults.invalid_enumeration("Line.DetailType", kind)
            total += line_amount(entity, line, kind)
            lines.append(line)
        number_lines(lines, old)
        new["Line"] = lines
        new["TotalAmt"] = money(total)
        new.setdefault("TxnDate", ctx.today())
        new.setdefault("CurrencyRef", {"value": "USD", "name": "United States Dollar"})
        # The account type is not checked: python-quickbooks' own tests create purchase orders
        # against live QBO with the company's first account, whatever its type.
        if "APAccountRef" not in new:
            new["APAccountRef"] = ctx.company.default_account_ref("AccountsPayable")
        if entity == "PurchaseOrder":
            check_doc_number(ctx, DOC_NUMBER_GROUPS[entity], entity, new, auto=True)
            new["LinkedTxn"] = [
                link for link in (old or {}).get("LinkedTxn", []) if link["TxnType"] == "Bill"
            ]
            new.setdefault("POStatus", "Open")
            new.setdefault("EmailStatus", "NotSet")
        else:
            self._bill(ctx, new, old)

    @staticmethod
    def _bill(ctx: Context, new: Obj, old: Obj | None) -> None:
        links = []
        for link in new.get("LinkedTxn") or []:
            if not isinstance(link, dict) or link.get("TxnType") != "PurchaseOrder":
                raise _faults.business_validation(
                    "A bill can only link purchase orders.", "LinkedTxn"
                )
            po_id = str(link.get("TxnId"))
            po = ctx.company.get("PurchaseOrder", po_id)
            if po is None:
                raise _faults.business_validation(
                    f"The entity PurchaseOrder {po_id} that you are trying to link does not exist."
                )
            if ref_id(po, "VendorRef") != ref_id(new, "VendorRef"):
                raise _faults.business_validation(
                    f"PurchaseOrder {po_id} belongs to another vendor.", "LinkedTxn"
                )
            links.append({"TxnId": po_id, "TxnType": "PurchaseOrder"})
        new["LinkedTxn"] = links
        if "DueDate" not in new:
            vendor = ctx.company.get("Vendor", ref_id(new, "VendorRef") or "") or {}
            term_id = ref_id(new, "SalesTermRef") or ref_id(vendor, "TermRef")
            term = ctx.company.get("Term", term_id) if term_id else None
            days = int(term.get("DueDays", 0)) if term else 0
            new["DueDate"] = (date.fromisoformat(new["TxnDate"]) + timedelta(days=days)).isoformat()
        paid = decimal_of(old, "TotalAmt") - decimal_of(old, "Balance") if old else Decimal(0)
        new["Balance"] = money(new["TotalAmt"] - paid)

    def apply(self, ctx: Context, entity: str, obj: Obj, sign: int) -> None:
        group = DOC_NUMBER_GROUPS.get(entity)
        if group is not None:
            index_doc_number(ctx, group, entity, obj, sign)
        if entity != "Bill":
            return
        adjust_balance(ctx, "Vendor", obj.get("VendorRef"), sign * obj["Balance"])
        for line in obj["Line"]:
            detail = line.get(_ITEM_LINE)
            if detail and detail.get("Qty") is not None:
                move_quantity(ctx, detail.get("ItemRef"), sign * detail["Qty"])
        for link in obj.get("LinkedTxn", []):
            po = ctx.company.get("PurchaseOrder", link["TxnId"])
            if po is None:
                continue
            ctx.changing("PurchaseOrder", po)
            back = {"TxnId": obj["Id"], "TxnType": "Bill"}
            links = [x for x in po.get("LinkedTxn", []) if x != back]
            if sign > 0:
                links.append(back)
            po["LinkedTxn"] = links
            po["POStatus"] = "Closed" if links else "Open"

    def before_delete(self, ctx: Context, entity: str, obj: Obj) -> None:
        if entity == "PurchaseOrder" and obj.get("LinkedTxn"):
            bill = obj["LinkedTxn"][0]["TxnId"]
            raise _faults.business_validation(
                f"This purchase order is linked to Bill {bill}. Delete or unlink the bill first."
            )
