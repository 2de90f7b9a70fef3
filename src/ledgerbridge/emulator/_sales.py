"""Sales forms: Estimate, Invoice, SalesReceipt, CreditMemo and RefundReceipt.

The server computes what the reference (section 8) says it computes: line Ids and numbers,
the SubTotal line, TotalAmt (subtotal less discount plus tax), Balance, TxnDate, DueDate from
terms, DocNumber, addresses copied from the customer, and default statuses. Invoices move
customer balances and inventory; linking an estimate closes it.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from . import _faults
from ._company import DEFAULT_TERMS_ID, DOC_NUMBER_GROUPS, Obj
from ._lines import (
    adjust_balance,
    check_doc_number,
    index_doc_number,
    line_amount,
    move_quantity,
    number_lines,
    require_lines,
)
from ._payload import money, to_decimal
from ._rules import Context, Rules, decimal_of, ref_id

__all__ = ["SalesRules"]

_LINE_TYPES = frozenset(
    {
        "SalesItemLineDetail",
        "GroupLineDetail",
        "DescriptionOnly",
        "DiscountLineDetail",
        "SubTotalLineDetail",
    }
)
#: LinkedTxn entries the server writes (payments applied); a client can't add or drop them.
_SERVER_LINKS = frozenset({"Payment", "ReceivePayment", "CreditMemo", "Invoice", "Deposit"})
_NEEDS_CUSTOMER = frozenset({"Estimate", "Invoice", "CreditMemo"})
#: +1: the form takes stock out (a sale); -1: it brings stock back (a return).
_STOCK_SIGN = {"Invoice": -1, "SalesReceipt": -1, "CreditMemo": 1, "RefundReceipt": 1}
_BANK_TYPES = ("Bank", "Other Current Asset")


class SalesRules(Rules):
    def prepare(self, ctx: Context, entity: str, new: Obj, old: Obj | None) -> None:
        if entity in _NEEDS_CUSTOMER and not new.get("CustomerRef"):
            raise _faults.required_param("CustomerRef")
        lines = require_lines(entity, new)
        new["Line"] = _sales_lines(ctx, entity, lines, old)
        # The server's SubTotal line sums the item and group lines only: DescriptionOnly lines
        # count 0 (section 8.4).
        subtotal = next(
            line["Amount"] for line in new["Line"] if line["DetailType"] == "SubTotalLineDetail"
        )
        discount = sum(
            (line["Amount"] for line in new["Line"] if line["DetailType"] == "DiscountLineDetail"),
            Decimal(0),
        )
        tax_detail = new.get("TxnTaxDetail") or {}
        tax = to_decimal(tax_detail.get("TotalTax", 0), entity=entity, name="TotalTax")
        new["TxnTaxDetail"] = {**tax_detail, "TotalTax": money(tax)}
        new["TotalAmt"] = money(subtotal - discount + tax)
        customer = ctx.company.get("Customer", ref_id(new, "CustomerRef") or "")
        self._defaults(ctx, entity, new, customer)
        group = DOC_NUMBER_GROUPS[entity]
        check_doc_number(ctx, group, entity, new, auto=True)
        if new.get("EmailStatus") == "NeedToSend" and not (new.get("BillEmail") or {}).get(
            "Address"
        ):
            raise _faults.business_validation(
                "Need to supply a BillEmail address when EmailStatus is NeedToSend.", "BillEmail"
            )
        {
            "Invoice": _invoice,
            "Estimate": _estimate,
            "SalesReceipt": _receipt,
            "RefundReceipt": _refund,
            "CreditMemo": _credit_memo,
        }[entity](ctx, new, old)

    @staticmethod
    def _defaults(ctx: Context, entity: str, new: Obj, customer: Obj | None) -> None:
        new.setdefault("TxnDate", ctx.today())
        new.setdefault("CurrencyRef", {"value": "USD", "name": "United States Dollar"})
        new.setdefault("ApplyTaxAfterDiscount", False)
        new.setdefault("PrintStatus", "NeedToPrint")
        new.setdefault("EmailStatus", "NotSet")
        new.setdefault("CustomField", [])
        if customer is not None:
            for name in ("BillAddr", "ShipAddr"):
                if name not in new and customer.get(name):
                    new[name] = dict(customer[name])

    def apply(self, ctx: Context, entity: str, obj: Obj, sign: int) -> None:
        index_doc_number(ctx, DOC_NUMBER_GROUPS[entity], entity, obj, sign)
        stock = _STOCK_SIGN.get(entity)
        if stock is not None:
            for line in obj["Line"]:
                detail = line.get("SalesItemLineDetail")
                if detail and detail.get("Qty") is not None:
                    move_quantity(ctx, detail.get("ItemRef"), sign * stock * detail["Qty"])
        if entity == "Invoice":
            total = decimal_of(obj, "TotalAmt") - decimal_of(obj, "Deposit")
            adjust_balance(ctx, "Customer", obj.get("CustomerRef"), sign * total)
            for link in obj.get("LinkedTxn", []):
                if link.get("TxnType") == "Estimate":
                    _link_estimate(ctx, obj, str(link["TxnId"]), sign)
        elif entity == "CreditMemo":
            adjust_balance(ctx, "Customer", obj.get("CustomerRef"), -sign * obj["TotalAmt"])

    def before_delete(self, ctx: Context, entity: str, obj: Obj) -> None:
        _refuse_if_paid(entity, obj, "delete")

    def void(self, ctx: Context, entity: str, obj: Obj) -> None:
        if entity not in ("Invoice", "SalesReceipt"):
            super().void(ctx, entity, obj)
        # A voided invoice has Balance 0, which payments still applied to it would contradict
        # (deleting the payment later would reopen a voided invoice): unlink them first, as
        # for a delete (section 8.5).
        _refuse_if_paid(entity, obj, "void")
        for line in obj["Line"]:
            line["Amount"] = Decimal(0)
            for detail_name in ("SalesItemLineDetail",):
                detail = line.get(detail_name)
                if detail and "Qty" in detail:
                    detail["Qty"] = Decimal(0)
        obj["TotalAmt"] = Decimal(0)
        obj["Balance"] = Decimal(0)
        obj["TxnTaxDetail"] = {**obj.get("TxnTaxDetail", {}), "TotalTax": Decimal(0)}
        note = obj.get("PrivateNote")
        obj["PrivateNote"] = f"Voided - {note}" if note else "Voided"
        if entity == "Invoice":
            obj["Deposit"] = Decimal(0)


def _refuse_if_paid(entity: str, obj: Obj, action: str) -> None:
    """Invoices and credit memos that payments link must be unlinked first (section 8.5)."""
    links = [link for link in obj.get("LinkedTxn", []) if link.get("TxnType") in _SERVER_LINKS]
    if links and entity in ("Invoice", "CreditMemo"):
        first = links[0]
        raise _faults.business_validation(
            f"This transaction is linked to {first['TxnType']} {first['TxnId']}. Unlink "
            f"the payments applied to it before you {action} it."
        )


def _sales_lines(ctx: Context, entity: str, lines: list[Obj], old: Obj | None) -> list[Obj]:
    out: list[Obj] = []
    subtotal = Decimal(0)
    for line in lines:
        kind = line["DetailType"]
        if kind not in _LINE_TYPES:
            raise _faults.invalid_enumeration("Line.DetailType", kind)
        if kind == "SubTotalLineDetail":
            continue  # the server writes its own
        line = dict(line)
        if kind == "SalesItemLineDetail":
            subtotal += line_amount(entity, line, kind)
            detail = line[kind]
            detail.setdefault("TaxCodeRef", {"value": "NON"})
            item = ctx.company.get("Item", ref_id(detail, "ItemRef") or "")
            if item is not None and item.get("Type") == "Category":
                raise _faults.business_validation(
                    "A category cannot be used on a transaction line.", "ItemRef"
                )
        elif kind == "GroupLineDetail":
            subtotal += line_amount(entity, line, kind, required=False)
        elif kind == "DescriptionOnly":
            line_amount(entity, line, "DescriptionLineDetail", required=False)
        out.append(line)
    for line in out:
        if line["DetailType"] != "DiscountLineDetail":
            continue
        detail = line.setdefault("DiscountLineDetail", {})
        if detail.get("PercentBased"):
            percent = to_decimal(
                detail.get("DiscountPercent", 0), entity=entity, name="DiscountPercent"
            )
            detail["DiscountPercent"] = percent
            line["Amount"] = money(subtotal * percent / 100)
        else:
            line_amount(entity, line, "DiscountLineDetail")
    if sum(1 for line in out if line["DetailType"] == "DiscountLineDetail") > 1:
        raise _faults.business_validation("Only one discount line is allowed.", "Line")
    number_lines(out, old)
    # QBO answers the SubTotal line after the item lines and before the discount (a
    # python-quickbooks integration test reads the discount as Line[2] of a one-item estimate).
    subtotal_line = {
        "Amount": money(subtotal),
        "DetailType": "SubTotalLineDetail",
        "SubTotalLineDetail": {},
    }
    discounts = [line for line in out if line["DetailType"] == "DiscountLineDetail"]
    return [line for line in out if line not in discounts] + [subtotal_line, *discounts]


def _kept_links(new: Obj, old: Obj | None) -> list[Obj]:
    """Client links (estimates) from the request, server links (payments) from the store."""
    client = [
        link
        for link in new.get("LinkedTxn", []) or []
        if isinstance(link, dict) and link.get("TxnType") not in _SERVER_LINKS
    ]
    server = [
        link for link in (old or {}).get("LinkedTxn", []) if link.get("TxnType") in _SERVER_LINKS
    ]
    return [
        {"TxnId": str(link["TxnId"]), "TxnType": str(link["TxnType"])} for link in client
    ] + server


def _applied(old: Obj | None) -> Decimal:
    """What payments (or credit applications) have taken off this form so far."""
    if old is None:
        return Decimal(0)
    return decimal_of(old, "TotalAmt") - decimal_of(old, "Deposit") - decimal_of(old, "Balance")


def _invoice(ctx: Context, new: Obj, old: Obj | None) -> None:
    new["LinkedTxn"] = _kept_links(new, old)
    estimates = [link for link in new["LinkedTxn"] if link["TxnType"] == "Estimate"]
    for link in new["LinkedTxn"]:
        if link["TxnType"] not in ("Estimate", *_SERVER_LINKS):
            raise _faults.business_validation(
                f"Linking a {link['TxnType']} to an invoice is not supported.", "LinkedTxn"
            )
    if len(estimates) > 1:
        raise _faults.business_validation("An invoice can link only one estimate.", "LinkedTxn")
    for link in estimates:
        estimate = ctx.company.get("Estimate", link["TxnId"])
        if estimate is None:
            raise _faults.business_validation(
                f"The entity Estimate {link['TxnId']} that you are trying to link does not exist."
            )
    new["Deposit"] = money(decimal_of(new, "Deposit"))
    new.setdefault("AllowIPNPayment", False)
    new.setdefault("AllowOnlinePayment", False)
    new.setdefault("AllowOnlineCreditCardPayment", False)
    new.setdefault("AllowOnlineACHPayment", False)
    _due_date(ctx, new)
    applied = _applied(old)
    balance = new["TotalAmt"] - new["Deposit"] - applied
    if balance < 0:
        raise _faults.business_validation(
            "The invoice total can't be less than the payments applied to it.", "TotalAmt"
        )
    new["Balance"] = money(balance)


def _due_date(ctx: Context, new: Obj) -> None:
    customer = ctx.company.get("Customer", ref_id(new, "CustomerRef") or "") or {}
    term_id = ref_id(new, "SalesTermRef") or ref_id(customer, "SalesTermRef")
    if term_id is None:
        prefs = ctx.company.get("Preferences", "1") or {}
        term_id = ref_id(prefs.get("SalesFormsPrefs", {}), "DefaultTerms") or DEFAULT_TERMS_ID
    term = ctx.company.get("Term", term_id)
    if term is not None:
        new.setdefault("SalesTermRef", {"value": term_id, "name": term["Name"]})
    if "DueDate" not in new:
        days = int(term.get("DueDays", 0)) if term else 0
        new["DueDate"] = (date.fromisoformat(new["TxnDate"]) + timedelta(days=days)).isoformat()


def _estimate(ctx: Context, new: Obj, old: Obj | None) -> None:
    new["LinkedTxn"] = _kept_links(new, old)
    if (
        old is not None
        and old.get("TxnStatus") == "Closed"
        and any(link["TxnType"] == "Invoice" for link in new["LinkedTxn"])
    ):
        new["TxnStatus"] = "Closed"  # an invoiced estimate stays closed
    new.setdefault("TxnStatus", "Pending")


def _receipt(ctx: Context, new: Obj, old: Obj | None) -> None:
    new["LinkedTxn"] = _kept_links(new, old)
    if "DepositToAccountRef" not in new:
        new["DepositToAccountRef"] = ctx.company.default_account_ref("UndepositedFunds")
    new["Balance"] = Decimal(0)


def _refund(ctx: Context, new: Obj, old: Obj | None) -> None:
    account_id = ref_id(new, "DepositToAccountRef")
    if account_id is None:
        raise _faults.required_param("DepositToAccountRef")
    account = ctx.company.get("Account", account_id) or {}
    if account.get("AccountType") not in _BANK_TYPES:
        raise _faults.business_validation(
            "The account a refund is paid from (DepositToAccountRef) must be a Bank or "
            "Other Current Asset account.",
            "DepositToAccountRef",
        )
    new["LinkedTxn"] = _kept_links(new, old)
    new["Balance"] = Decimal(0)


def _credit_memo(ctx: Context, new: Obj, old: Obj | None) -> None:
    new["LinkedTxn"] = _kept_links(new, old)
    applied = _applied(old)
    remaining = new["TotalAmt"] - applied
    if remaining < 0:
        raise _faults.business_validation(
            "The credit memo total can't be less than the credit already applied.", "TotalAmt"
        )
    new["RemainingCredit"] = money(remaining)
    new["Balance"] = money(remaining)


def _link_estimate(ctx: Context, invoice: Obj, estimate_id: str, sign: int) -> None:
    """An invoice that links an estimate closes it, and the estimate links back (13.)."""
    estimate = ctx.company.get("Estimate", estimate_id)
    if estimate is None:
        return
    ctx.changing("Estimate", estimate)
    back = {"TxnId": invoice["Id"], "TxnType": "Invoice"}
    links = [link for link in estimate.get("LinkedTxn", []) if link != back]
    if sign > 0:
        links.append(back)
        estimate["TxnStatus"] = "Closed"
    elif not any(link.get("TxnType") == "Invoice" for link in links):
        estimate["TxnStatus"] = "Accepted" if estimate.get("AcceptedDate") else "Pending"
    estimate["LinkedTxn"] = links
