"""Transaction lines: numbering, amounts, and the quantities and balances they move."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from . import _faults
from ._company import DOC_NUMBER_GROUPS, Obj
from ._payload import money, to_decimal
from ._rules import Context

__all__ = [
    "adjust_balance",
    "check_doc_number",
    "index_doc_number",
    "line_amount",
    "move_quantity",
    "number_lines",
    "require_lines",
]


def require_lines(entity: str, new: Obj) -> list[Obj]:
    lines = new.get("Line")
    if not lines:
        raise _faults.required_param("Line")
    for line in lines:
        if not isinstance(line, dict):
            raise _faults.unsupported_property("Line", entity, 0)
        if not line.get("DetailType"):
            raise _faults.required_param("Line.DetailType")
    return list(lines)


def line_amount(entity: str, line: Obj, detail_name: str, *, required: bool = True) -> Decimal:
    """The line's Amount; with Qty and UnitPrice it must equal their product to the cent (6070).

    QBO rounds Qty x UnitPrice half-up to cents (section 8.4).
    """
    detail = line.get(detail_name)
    if not isinstance(detail, dict):
        detail = {}
        line[detail_name] = detail
    if "Amount" not in line or line["Amount"] in (None, ""):
        if required:
            raise _faults.required_param("Line.Amount")
        line["Amount"] = Decimal(0)
    amount = to_decimal(line["Amount"], entity=entity, name="Amount")
    for name in ("Qty", "UnitPrice", "QtyDiff"):
        if detail.get(name) not in (None, ""):
            detail[name] = to_decimal(detail[name], entity=entity, name=name)
        else:
            detail.pop(name, None)
    qty, price = detail.get("Qty"), detail.get("UnitPrice")
    # SDKs send Qty 0 and UnitPrice 0 by default with only an Amount (python-quickbooks does),
    # and QBO accepts that, so the product is checked only when both are given and non-zero.
    if qty and price and money(qty * price) != money(amount):
        raise _faults.amount_mismatch(f"{amount:,}")
    line["Amount"] = money(amount)
    return money(amount)


def number_lines(lines: list[Obj], old: Obj | None) -> None:
    """Give lines their Id and LineNum: a known Id keeps its line, others get new Ids."""
    old_ids = {str(line.get("Id")) for line in (old or {}).get("Line", []) if line.get("Id")}
    used = {int(i) for i in old_ids if i.isdigit()}
    next_id = max(used, default=0) + 1
    kept: set[str] = set()
    for number, line in enumerate(lines, start=1):
        line_id = str(line.get("Id") or "")
        if line_id in old_ids and line_id not in kept:
            kept.add(line_id)
        else:
            line["Id"] = str(next_id)
            next_id += 1
        line["LineNum"] = number
        for name in [k for k, v in line.items() if v in (None, "") or v == []]:
            if name != "LinkedTxn":
                del line[name]


def move_quantity(ctx: Context, item_ref: Any, delta: Decimal) -> None:
    """Change an inventory item's QtyOnHand (other item types have no quantity)."""
    if not isinstance(item_ref, dict) or delta == 0:
        return
    item = ctx.company.get("Item", str(item_ref.get("value")))
    if item is not None and item.get("Type") == "Inventory":
        item["QtyOnHand"] = Decimal(item.get("QtyOnHand", 0)) + delta


def adjust_balance(ctx: Context, entity: str, ref: Any, delta: Decimal) -> None:
    """Move a customer's (and its parents' BalanceWithJobs) or a vendor's open balance."""
    if not isinstance(ref, dict) or delta == 0:
        return
    obj = ctx.company.get(entity, str(ref.get("value")))
    if obj is None:
        return
    obj["Balance"] = money(Decimal(obj.get("Balance", 0)) + delta)
    if entity != "Customer":
        return
    while obj is not None:
        obj["BalanceWithJobs"] = money(Decimal(obj.get("BalanceWithJobs", 0)) + delta)
        parent = obj.get("ParentRef")
        obj = ctx.company.get("Customer", str(parent["value"])) if parent else None


def check_doc_number(ctx: Context, group: str, entity: str, new: Obj, *, auto: bool) -> None:
    """Auto-number when QBO would, and refuse a DocNumber already used in its group (6140)."""
    company = ctx.company
    counter_key = f"doc:{group}"
    doc = new.get("DocNumber")
    if not doc:
        prefs = company.get("Preferences", "1") or {}
        custom = prefs.get("SalesFormsPrefs", {}).get("CustomTxnNumbers", False)
        if auto and not custom:
            value = company.counters.get(counter_key, 1000) + 1
            company.counters[counter_key] = value
            new["DocNumber"] = str(value)
        return
    doc = str(doc)
    if doc.isdigit() and len(doc) < 10:
        company.counters[counter_key] = max(company.counters.get(counter_key, 1000), int(doc))
    if "allowduplicatedocnum" in ctx.include:
        return
    owner = company.doc_numbers.get(group, {}).get(doc)
    if owner is not None and owner != (entity, new.get("Id")):
        raise _faults.duplicate_doc_number(doc, _TXN_TYPE_LABEL.get(owner[0], owner[0]), owner[1])


def index_doc_number(ctx: Context, group: str, entity: str, obj: Obj, sign: int) -> None:
    """Keep the DocNumber index of ``group`` as ``obj`` is stored (+1) or taken back (-1).

    With ``include=allowduplicatedocnum`` several forms may hold one number. The index names
    the first holder; when that one goes, another holder takes its place, so the number stays
    taken (6140) while any form still carries it.
    """
    doc = obj.get("DocNumber")
    if not doc:
        return
    numbers = ctx.company.doc_numbers.setdefault(group, {})
    this = (entity, obj["Id"])
    if sign > 0:
        numbers.setdefault(doc, this)
        return
    if numbers.get(doc) != this:
        return
    del numbers[doc]
    for other in (name for name, g in DOC_NUMBER_GROUPS.items() if g == group):
        for holder in ctx.company.objects[other].values():
            if holder.get("DocNumber") == doc and (other, holder["Id"]) != this:
                numbers[doc] = (other, holder["Id"])
                return


_TXN_TYPE_LABEL = {
    "CreditMemo": "Credit Memo",
    "SalesReceipt": "Sales Receipt",
    "RefundReceipt": "Refund Receipt",
    "PurchaseOrder": "Purchase Order",
}
