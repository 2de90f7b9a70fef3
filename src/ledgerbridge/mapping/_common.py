"""Pieces every payload shares: references, addresses, DocNumbers, lines, discount and tax.

Shapes follow ``QBO-REFERENCE.md`` section 8 (8.1 common fields and limits, 8.2 line detail
types) and what the emulator validates (``docs/emulator.md``, "Server rules"). Money is
``Decimal``; dates are ISO ``YYYY-MM-DD`` text; absent values are left out (QBO serializes
only properties with values, 1.6).

Lines (8.2, 8.4):

- an item line is a ``SalesItemLineDetail`` (sales) or ``ItemBasedExpenseLineDetail``
  (purchases) with ``Qty``, ``UnitPrice`` and ``Amount = round_half_up(Qty x UnitPrice, 2)``
  computed per line, exactly as QBO checks it (6070) and sums it, so QBO's ``TotalAmt``
  equals the app's total to the cent;
- a miscellaneous charge is a ``SalesItemLineDetail`` on the tenant's ``charge_item`` with
  only an ``Amount`` (and its description): QBO counts ``DescriptionOnly`` lines as zero in
  the subtotal, so a charge must sit on an item to count in the total;
- a purchase cost line is an ``AccountBasedExpenseLineDetail`` on the line's account or the
  tenant's ``po_cost_account``; cost lines of zero are left out (they would add a line of
  nothing);
- the order-level discount is the one ``DiscountLineDetail`` QBO allows, percent-based
  (``PercentBased``, ``DiscountPercent``) or a fixed amount; the tax is
  ``TxnTaxDetail.TotalTax`` as the app computed it (the emulator, like QBO without automated
  sales tax, takes it as sent).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Final

from ledgerbridge.model import (
    Address,
    ChargeLine,
    CostLine,
    Discount,
    DocNumberType,
    ItemLine,
    PurchaseItemLine,
    TenantSettings,
)

from ._errors import MappingError
from ._names import NameKind, clip, qbo_name
from ._refs import QBORef, Refs

__all__ = [
    "DESCRIPTION_MAX",
    "DOC_NUMBER_MAX",
    "Payload",
    "address",
    "clean_name",
    "clipped",
    "customer_ref",
    "discount_line",
    "doc_number",
    "email",
    "iso",
    "phone",
    "purchase_lines",
    "sales_lines",
]

#: A QBO request body (JSON-ready, with ``Decimal`` money).
Payload = dict[str, Any]

DOC_NUMBER_MAX: Final = 21
DESCRIPTION_MAX: Final = 4000


def iso(day: date) -> str:
    """A date as QBO takes it: ``YYYY-MM-DD``."""
    return day.isoformat()


def clean_name(value: str, *, kind: NameKind, field: str) -> str:
    """:func:`qbo_name`, with a :class:`MappingError` naming the field when nothing is left."""
    try:
        return qbo_name(value, kind=kind)
    except ValueError as error:
        raise MappingError(f"{field}: {error}.", field=field) from None


def clipped(text: str | None, *, limit: int) -> str | None:
    """Optional free text cut to ``limit`` (:func:`clip`); ``None`` stays ``None``."""
    return clip(text, limit=limit) if text else None


def address(value: Address | None) -> Payload | None:
    """An ``Address`` as QBO's physical address (``BillAddr``, ``ShipAddr``, ``VendorAddr``)."""
    if value is None:
        return None
    out = {
        "Line1": value.line1,
        "Line2": value.line2,
        "Line3": value.line3,
        "City": value.city,
        "CountrySubDivisionCode": value.region,
        "PostalCode": value.postal_code,
        "Country": value.country,
    }
    kept = {k: v for k, v in out.items() if v}
    return kept or None


def email(value: str | None) -> Payload | None:
    """An e-mail address as QBO's ``EmailAddress``."""
    return {"Address": value} if value else None


def phone(value: str | None) -> Payload | None:
    """A phone number as QBO's ``TelephoneNumber``."""
    return {"FreeFormNumber": value} if value else None


def doc_number(
    settings: TenantSettings, record_type: DocNumberType, number: str | None
) -> str | None:
    """The DocNumber from the tenant's template; over 21 characters is refused, never cut."""
    if number is None:
        return None
    result = settings.doc_number(record_type, number=number)
    if len(result) > DOC_NUMBER_MAX:
        raise MappingError(
            f"number: the document number {result!r} is {len(result)} characters long and "
            f"QuickBooks allows {DOC_NUMBER_MAX}; shorten the number or the "
            f"doc_number_templates[{record_type!r}] setting.",
            field="number",
        )
    return result


def customer_ref(
    customer_id: str, project_id: str | None, *, settings: TenantSettings, refs: Refs
) -> QBORef:
    """The customer a document is for: the project's sub-customer in that mode, else the
    customer (ProLine: invoices land "under the corresponding customer or project")."""
    if project_id is not None and settings.customer_object == "sub_customer_per_project":
        return refs.project(project_id)
    return refs.customer(customer_id)


def _tax_code_ref(
    line: ItemLine | ChargeLine, *, field: str, settings: TenantSettings, refs: Refs
) -> Payload:
    if line.tax_code is not None:
        return refs.tax_code(settings.tax_code(line.tax_code), field=f"{field}.tax_code").payload()
    return {"value": "TAX" if line.taxable else "NON"}


def sales_lines(
    lines: Sequence[ItemLine | ChargeLine],
    *,
    settings: TenantSettings,
    refs: Refs,
    field: str = "lines",
) -> list[Payload]:
    """Sales lines as ``SalesItemLineDetail`` lines (module docstring)."""
    out: list[Payload] = []
    for index, line in enumerate(lines):
        where = f"{field}[{index}]"
        detail: Payload
        if isinstance(line, ItemLine):
            detail = {
                "ItemRef": refs.item(line.item_id, field=f"{where}.item_id").payload(),
                "Qty": line.quantity,
                "UnitPrice": line.unit_price,
            }
        else:
            detail = {"ItemRef": refs.qbo_item(settings.charge_item, field="charge_item").payload()}
        detail["TaxCodeRef"] = _tax_code_ref(line, field=where, settings=settings, refs=refs)
        entry: Payload = {}
        if line.description:
            entry["Description"] = clip(line.description, limit=DESCRIPTION_MAX)
        entry["Amount"] = line.amount
        entry["DetailType"] = "SalesItemLineDetail"
        entry["SalesItemLineDetail"] = detail
        out.append(entry)
    return out


def discount_line(discount: Discount | None, subtotal: Decimal) -> Payload | None:
    """The document's ``DiscountLineDetail`` line; none for no discount or a zero one."""
    if discount is None:
        return None
    amount = discount.of(subtotal)
    if discount.percent is not None:
        if discount.percent == 0:
            return None
        detail: Payload = {"PercentBased": True, "DiscountPercent": discount.percent}
    else:
        if amount == 0:
            return None
        detail = {"PercentBased": False}
    return {"Amount": amount, "DetailType": "DiscountLineDetail", "DiscountLineDetail": detail}


def purchase_lines(
    lines: Sequence[PurchaseItemLine | CostLine],
    *,
    settings: TenantSettings,
    refs: Refs,
    field: str = "lines",
) -> list[Payload]:
    """Purchase lines: item-based and account-based expense lines (zero cost lines left out)."""
    out: list[Payload] = []
    for index, line in enumerate(lines):
        where = f"{field}[{index}]"
        entry: Payload = {}
        if line.description:
            entry["Description"] = clip(line.description, limit=DESCRIPTION_MAX)
        entry["Amount"] = line.amount
        if isinstance(line, PurchaseItemLine):
            entry["DetailType"] = "ItemBasedExpenseLineDetail"
            entry["ItemBasedExpenseLineDetail"] = {
                "ItemRef": refs.item(line.item_id, field=f"{where}.item_id").payload(),
                "Qty": line.quantity,
                "UnitPrice": line.unit_cost,
            }
        else:
            if line.amount == 0:
                continue
            if line.account is not None:
                account = refs.account(line.account, field=f"{where}.account")
            else:
                account = refs.account(settings.po_cost_account, field="po_cost_account")
            entry["DetailType"] = "AccountBasedExpenseLineDetail"
            entry["AccountBasedExpenseLineDetail"] = {"AccountRef": account.payload()}
        out.append(entry)
    return out
