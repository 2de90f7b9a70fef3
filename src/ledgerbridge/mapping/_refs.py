"""QBO Ids of what a payload refers to, resolved by the engine before mapping.

Mapping is pure: it never looks anything up in QBO. The engine resolves every reference a
record needs (existing link, else a QBO record whose name matches, else a new one;
``QBO-REFERENCE.md`` section 13.2 and 13.4) and hands the results over in a frozen
:class:`Refs`. App records (customers, projects, vendors, items, sales orders, invoices,
purchase orders) are keyed by their app id; QBO lists named in settings or records
(accounts, payment methods, terms, tax codes, the charge item, item categories) by that
name, exactly as the settings or record spell it. A missing key raises
:class:`UnresolvedReferenceError` naming the record's field, so the engine knows what to
resolve.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType

from ._errors import UnresolvedReferenceError

__all__ = ["QBORef", "Refs"]


@dataclass(frozen=True)
class QBORef:
    """A QBO reference: the object's Id (``value``) and, for messages, its name."""

    value: str
    name: str | None = None

    def payload(self) -> dict[str, str]:
        """The reference as QBO takes it on a write: only ``value`` is needed (1.6)."""
        return {"value": self.value}


def _frozen() -> Mapping[str, QBORef]:
    return MappingProxyType({})


@dataclass(frozen=True, kw_only=True)
class Refs:
    """Resolved QBO references, by app id or by the name a setting uses."""

    customers: Mapping[str, QBORef] = field(default_factory=_frozen)
    #: project app id -> its sub-customer (``customer_object: sub_customer_per_project``)
    projects: Mapping[str, QBORef] = field(default_factory=_frozen)
    vendors: Mapping[str, QBORef] = field(default_factory=_frozen)
    items: Mapping[str, QBORef] = field(default_factory=_frozen)
    #: sales order app id -> its Estimate (``name``: the estimate's DocNumber)
    estimates: Mapping[str, QBORef] = field(default_factory=_frozen)
    invoices: Mapping[str, QBORef] = field(default_factory=_frozen)
    purchase_orders: Mapping[str, QBORef] = field(default_factory=_frozen)
    #: account name (or Id) as the settings or a cost line give it -> the account
    accounts: Mapping[str, QBORef] = field(default_factory=_frozen)
    #: QBO payment method name -> the method
    payment_methods: Mapping[str, QBORef] = field(default_factory=_frozen)
    #: the app's terms ("Net 30") -> the QBO Term
    terms: Mapping[str, QBORef] = field(default_factory=_frozen)
    #: QBO tax code -> the code (US: "TAX" and "NON" need no entry)
    tax_codes: Mapping[str, QBORef] = field(default_factory=_frozen)
    #: QBO items named in settings (``charge_item``) -> the item
    qbo_items: Mapping[str, QBORef] = field(default_factory=_frozen)
    #: the app's item category name -> the QBO Category item
    categories: Mapping[str, QBORef] = field(default_factory=_frozen)

    def __post_init__(self) -> None:
        # A copy the caller cannot change afterwards: a Refs is a value.
        for spec in fields(self):
            object.__setattr__(self, spec.name, MappingProxyType(dict(getattr(self, spec.name))))

    @staticmethod
    def _get(table: Mapping[str, QBORef], key: str, field: str, kind: str) -> QBORef:
        ref = table.get(key)
        if ref is None:
            raise UnresolvedReferenceError(field, key, kind=kind)
        return ref

    def customer(self, app_id: str, *, field: str = "customer_id") -> QBORef:
        """The QBO Customer of an app customer."""
        return self._get(self.customers, app_id, field, "customer")

    def project(self, app_id: str, *, field: str = "project_id") -> QBORef:
        """The QBO sub-customer of an app project."""
        return self._get(self.projects, app_id, field, "project")

    def vendor(self, app_id: str, *, field: str = "vendor_id") -> QBORef:
        """The QBO Vendor of an app vendor."""
        return self._get(self.vendors, app_id, field, "vendor")

    def item(self, app_id: str, *, field: str = "item_id") -> QBORef:
        """The QBO Item of an app item."""
        return self._get(self.items, app_id, field, "item")

    def estimate(self, sales_order_id: str, *, field: str = "sales_order_ids") -> QBORef:
        """The QBO Estimate of an app sales order."""
        return self._get(self.estimates, sales_order_id, field, "sales order")

    def invoice(self, invoice_id: str, *, field: str = "invoice_id") -> QBORef:
        """The QBO Invoice of an app invoice."""
        return self._get(self.invoices, invoice_id, field, "invoice")

    def purchase_order(self, app_id: str, *, field: str = "purchase_order_id") -> QBORef:
        """The QBO PurchaseOrder of an app purchase order."""
        return self._get(self.purchase_orders, app_id, field, "purchase order")

    def account(self, name: str, *, field: str) -> QBORef:
        """The QBO Account a setting or a line names."""
        return self._get(self.accounts, name, field, "account")

    def payment_method(self, name: str, *, field: str = "method") -> QBORef:
        """The QBO PaymentMethod of that name."""
        return self._get(self.payment_methods, name, field, "payment method")

    def term(self, name: str, *, field: str = "terms") -> QBORef:
        """The QBO Term the app's terms map to."""
        return self._get(self.terms, name, field, "term")

    def tax_code(self, code: str, *, field: str = "tax_code") -> QBORef:
        """The QBO TaxCode; the US pseudo codes ``TAX`` and ``NON`` are their own Ids (7.6)."""
        if code in ("TAX", "NON") and code not in self.tax_codes:
            return QBORef(code)
        return self._get(self.tax_codes, code, field, "tax code")

    def category(self, name: str, *, field: str = "category") -> QBORef:
        """The QBO Category item an app category maps to."""
        return self._get(self.categories, name, field, "category")

    def qbo_item(self, name: str, *, field: str = "charge_item") -> QBORef:
        """A QBO item a setting names (the charge item)."""
        return self._get(self.qbo_items, name, field, "item")
