"""The other direction: QBO objects as the host app's canonical records.

Pure functions, like the rest of ``ledgerbridge.mapping``: the engine reads the QBO object and
resolves what it refers to (the app ids of its customer and invoices, the name of its item
category); these functions only translate. What comes back, and from which seed page:

==============  ===============  ==============================================================
QBO object      record           fields
==============  ===============  ==============================================================
Customer        customer         DisplayName, CompanyName, addresses, e-mail, phone, notes,
                                 active, parent; the primary contact only when QBO has a
                                 GivenName (StartProto: "primary contact (if a first name is
                                 present in QuickBooks)")
Item            item             Name, Sku, Description, Type, UnitPrice as the selling price,
                                 PurchaseCost, QtyOnHand as the starting quantity of a tracked
                                 item, the parent Category (StartProto, BPro)
Payment         payment          TotalAmt, TxnDate, method, PaymentRefNum, PrivateNote, one
                                 application per invoice line whose invoice the app knows
                                 (Syncro's "Sync Payments FROM QuickBooks")
==============  ===============  ==============================================================

Rules chosen here:

- QBO's " (deleted)" suffix of inactive name-list records (``QBO-REFERENCE.md`` 4.3) is
  dropped from the name; ``active`` says it.
- Item types other than Inventory, NonInventory and Service (Category, Group bundles) are not
  records of the app: :func:`item_from_qbo` returns ``None``.
- A payment line applied to an invoice the app does not know, or to a credit memo, is not an
  application of the canonical payment: it is reported in :attr:`InboundPayment.unmatched`,
  so the host app hears about it instead of seeing a payment that adds up wrongly.
- A QBO payment method is named back with the app's own method name when the tenant's
  ``payment_methods`` setting maps an app method to it; else with QBO's name.
- A value the canonical model refuses (an e-mail address QBO let through, a reference longer
  than the app's 21 characters) raises :class:`MappingError` naming the QBO object and field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, TypeVar

from pydantic import BaseModel, ValidationError

from ledgerbridge.model import Customer, Item, Payment, TenantSettings, round_money, to_decimal

from ._errors import MappingError
from ._names import normalize_name, strip_deleted_suffix

__all__ = [
    "InboundPayment",
    "UnmatchedApplication",
    "app_payment_method",
    "customer_from_qbo",
    "is_voided_payment",
    "item_from_qbo",
    "payment_from_qbo",
    "qbo_app_id",
    "qbo_summary",
]

#: QBO item type -> the app's item kind; other types are not app records
_ITEM_KINDS: Final[Mapping[str, str]] = {
    "Inventory": "inventory",
    "NonInventory": "non_inventory",
    "Service": "service",
}
#: what :func:`qbo_summary` copies of any QBO object
_SUMMARY_FIELDS: Final = (
    "Id",
    "SyncToken",
    "DisplayName",
    "Name",
    "DocNumber",
    "TxnDate",
    "TotalAmt",
    "Balance",
    "Active",
    "PrivateNote",
)

_Model = TypeVar("_Model", bound=BaseModel)


@dataclass(frozen=True)
class UnmatchedApplication:
    """A payment line the canonical payment leaves out, and why."""

    #: the QBO transaction the line pays (an invoice the app does not know, a credit memo)
    txn_type: str
    txn_id: str
    amount: Decimal
    reason: str

    def as_json(self) -> dict[str, str]:
        """The line as an event's data carries it (money as text)."""
        return {
            "txn_type": self.txn_type,
            "txn_id": self.txn_id,
            "amount": str(self.amount),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class InboundPayment:
    """A QBO payment as the app's payment, and the lines it could not apply."""

    payment: Payment
    unmatched: tuple[UnmatchedApplication, ...]


def qbo_app_id(record_type: str, qbo_id: str) -> str:
    """The app id of a record that came from QBO: ``qbo-customer-58``, ``qbo-payment-77``.

    Derived from the QBO Id alone, so that importing the same object twice gives the same
    record; the ``qbo-`` prefix keeps it apart from the host app's own ids.
    """
    if not qbo_id:
        raise ValueError("a QBO Id is needed to name a record after it")
    return f"qbo-{record_type.replace('_', '-')}-{qbo_id}"


def customer_from_qbo(
    obj: Mapping[str, Any], *, app_id: str, parent_id: str | None = None
) -> Customer:
    """A QBO Customer as the app's customer (``parent_id``: the app id of its parent)."""
    email = _nested(obj, "PrimaryEmailAddr", "Address")
    phone = _nested(obj, "PrimaryPhone", "FreeFormNumber")
    given = _text(obj.get("GivenName"))
    contacts: list[dict[str, Any]] = []
    if given:
        contacts.append(
            {
                "first_name": given,
                "last_name": _text(obj.get("FamilyName")),
                "email": email,
                "phone": phone,
                "primary": True,
            }
        )
    fields = {
        "id": app_id,
        "name": strip_deleted_suffix(str(obj.get("DisplayName") or "")),
        "company_name": _text(obj.get("CompanyName")),
        "contacts": contacts,
        "billing_address": _address(obj.get("BillAddr")),
        "shipping_address": _address(obj.get("ShipAddr")),
        "email": email,
        "phone": phone,
        "notes": _text(obj.get("Notes")),
        "active": obj.get("Active", True) is not False,
        "parent_id": parent_id,
    }
    return _build(Customer, fields, obj, "Customer")


def item_from_qbo(
    obj: Mapping[str, Any], *, app_id: str, category: str | None = None
) -> Item | None:
    """A QBO Item as the app's item, or ``None`` for a Category or bundle (not app records).

    ``category`` is the name of its parent Category, when it has one.
    """
    kind = _ITEM_KINDS.get(str(obj.get("Type") or ""))
    if kind is None:
        return None
    tracked = kind == "inventory" and obj.get("TrackQtyOnHand") is True
    fields = {
        "id": app_id,
        "name": strip_deleted_suffix(str(obj.get("Name") or "")),
        "sku": _text(obj.get("Sku")),
        "kind": kind,
        "description": _text(obj.get("Description")),
        "sales_price": obj.get("UnitPrice"),
        "purchase_cost": obj.get("PurchaseCost"),
        "quantity_on_hand": obj.get("QtyOnHand") if tracked else None,
        "category": category,
        "active": obj.get("Active", True) is not False,
    }
    return _build(Item, fields, obj, "Item")


def payment_from_qbo(
    obj: Mapping[str, Any],
    *,
    app_id: str,
    customer_id: str,
    project_id: str | None = None,
    invoices: Mapping[str, str],
    settings: TenantSettings,
) -> InboundPayment:
    """A QBO Payment as the app's payment.

    ``invoices`` maps the QBO Ids of invoices the app knows to their app ids; the lines that
    pay any other transaction are :attr:`InboundPayment.unmatched`.
    """
    applications: dict[str, Decimal] = {}
    unmatched: list[UnmatchedApplication] = []
    for line in obj.get("Line") or []:
        amount = round_money(_money(line.get("Amount")) or Decimal(0))
        for txn in line.get("LinkedTxn") or []:
            txn_type, txn_id = str(txn.get("TxnType")), str(txn.get("TxnId"))
            if txn_type != "Invoice":
                reason = f"the payment applies a {txn_type}, which the app does not track"
                unmatched.append(UnmatchedApplication(txn_type, txn_id, amount, reason))
            elif txn_id not in invoices:
                reason = "the invoice is not linked to any of the app's invoices"
                unmatched.append(UnmatchedApplication(txn_type, txn_id, amount, reason))
            else:
                invoice = invoices[txn_id]
                applications[invoice] = applications.get(invoice, Decimal(0)) + amount
    method = _nested(obj, "PaymentMethodRef", "name")
    fields = {
        "id": app_id,
        "customer_id": customer_id,
        "project_id": project_id,
        "payment_date": obj.get("TxnDate"),
        "amount": obj.get("TotalAmt", 0),
        "method": app_payment_method(settings, method) if method else None,
        "reference": _text(obj.get("PaymentRefNum")),
        "applications": [
            {"invoice_id": invoice, "amount": amount}
            for invoice, amount in applications.items()
            if amount > 0
        ],
        "memo": _text(obj.get("PrivateNote")),
    }
    return InboundPayment(_build(Payment, fields, obj, "Payment"), tuple(unmatched))


def is_voided_payment(obj: Mapping[str, Any]) -> bool:
    """Whether a QBO payment was voided: QBO keeps it with a zero total and a ``PrivateNote``
    starting "Voided" (``QBO-REFERENCE.md`` 4.4)."""
    total = _money(obj.get("TotalAmt")) or Decimal(0)
    return total == 0 and str(obj.get("PrivateNote") or "").startswith("Voided")


def app_payment_method(settings: TenantSettings, qbo_method: str) -> str:
    """The app's name of a QBO payment method: the app method the tenant maps to it (case
    and spaces ignored), else QBO's name."""
    wanted = normalize_name(qbo_method)
    for app_method in settings.payment_methods:
        if normalize_name(settings.qbo_payment_method(app_method)) == wanted:
            return app_method
    return qbo_method


def qbo_summary(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A few fields of any QBO object, as JSON (money as text), for an event's data."""
    summary = {name: _json(obj[name]) for name in _SUMMARY_FIELDS if name in obj}
    updated = _nested(obj, "MetaData", "LastUpdatedTime")
    if updated:
        summary["LastUpdatedTime"] = updated
    customer = obj.get("CustomerRef")
    if isinstance(customer, dict) and "value" in customer:
        summary["CustomerRef"] = str(customer["value"])
    return summary


# -- helpers --------------------------------------------------------------------------------
def _build(
    model: type[_Model], fields: dict[str, Any], obj: Mapping[str, Any], entity: str
) -> _Model:
    try:
        return model.model_validate(fields)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "record"
        message = (
            f"QuickBooks {entity} {obj.get('Id', '?')} cannot become an app record: "
            f"{where}: {first['msg']}."
        )
        raise MappingError(message, field=where) from None


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _nested(obj: Mapping[str, Any], outer: str, inner: str) -> str | None:
    value = obj.get(outer)
    return _text(value.get(inner)) if isinstance(value, dict) else None


def _money(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    return to_decimal(value)


def _address(value: object) -> dict[str, str | None] | None:
    if not isinstance(value, dict):
        return None
    address = {
        "line1": _text(value.get("Line1")),
        "line2": _text(value.get("Line2")),
        "line3": _text(value.get("Line3")),
        "city": _text(value.get("City")),
        "region": _text(value.get("CountrySubDivisionCode")),
        "postal_code": _text(value.get("PostalCode")),
        "country": _text(value.get("Country")),
    }
    return address if any(address.values()) else None


def _json(value: object) -> object:
    """JSON for an event: the summary's numbers are money (TotalAmt, Balance), in cents."""
    if isinstance(value, Decimal):
        return str(round_money(value))
    return value
