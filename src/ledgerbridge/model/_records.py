"""The canonical records a host app hands to ledgerbridge, one pydantic model per type.

Every record carries the app's own ``id`` (1 to 100 characters) and a ``type`` discriminator
(``"customer"``, ``"invoice"``...), so that one NDJSON file can mix types. Records are strict
(an unknown field is an error, not silently dropped) and frozen (sequences are tuples).

What is checked here is what makes a record meaningless whatever QuickBooks says: required
fields, amounts that cannot be negative, money in cents (``_money``), exactly one primary
contact, a payment that applies more than it brings, a due date before the document's date.
Limits QBO cannot work around are checked too, so that the app hears about them at intake:
e-mail addresses (100 characters, an ``@`` and a dot after it), phone numbers (30), address
parts (lines 500, city/region/country 255, postal code 30), SKUs (100) and document numbers
(21) (``QBO-REFERENCE.md`` sections 7.2, 7.4 and 8.1). Names, notes, memos and descriptions
may be longer than QBO allows: ``ledgerbridge.mapping`` cleans and shortens them by its
documented rules.

Totals follow QBO's arithmetic (section 8.4): each line's amount is ``Qty x UnitPrice``
rounded half-up to the cent, the subtotal is the sum of the lines, a percent discount is
rounded half-up on the subtotal, and the total is subtotal less discount plus tax.

A rule that involves several fields raises :class:`FieldValueError`, which names the field to
fix; ``parse_record`` and ``parse_ndjson`` report it under that field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Annotated, Any, Final, Literal, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    model_validator,
)

from ._money import (
    Money,
    NonNegativeMoney,
    Percent,
    PositiveMoney,
    Quantity,
    SignedQuantity,
    UnitPrice,
    round_money,
)

__all__ = [
    "RECORD_TYPES",
    "Address",
    "AnyRecord",
    "AppId",
    "Application",
    "Bill",
    "ChargeLine",
    "Contact",
    "CostLine",
    "CreditMemo",
    "Customer",
    "Discount",
    "FieldValueError",
    "InventoryLevel",
    "Invoice",
    "Item",
    "ItemLine",
    "Payment",
    "Project",
    "PurchaseItemLine",
    "PurchaseLine",
    "PurchaseOrder",
    "Record",
    "RecordType",
    "Refund",
    "SalesLine",
    "SalesOrder",
    "Vendor",
]

#: Longest free text accepted at intake (mapping shortens to QBO's limits).
_TEXT_MAX: Final = 10_000
#: What QBO accepts as an e-mail address: something, an @, and a dot in the domain (7.2).
_EMAIL: Final = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class FieldValueError(ValueError):
    """A rule across fields failed; ``field`` names the field to fix, relative to its model."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _blank_to_none(value: object) -> object:
    """An empty or all-blank string in an optional text field means "not given"."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _email(value: str | None) -> str | None:
    if value is not None and not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an e-mail address (it needs an @ and a domain)")
    return value


def _sized(limit: int) -> object:
    return StringConstraints(strip_whitespace=True, max_length=limit)


def _id_text(value: object) -> object:
    """Numeric ids (``"id": 42``) are read as text: ids are compared as strings."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


#: The host app's own identifier of a record: 1 to 100 characters (a JSON number is read as
#: its digits).
AppId = Annotated[str, StringConstraints(min_length=1, max_length=100), BeforeValidator(_id_text)]
#: A required name or label: surrounding white space is dropped and it may not be empty.
_Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=_TEXT_MAX)]
#: Optional free text; an empty or blank string counts as absent. The sized variants are QBO
#: limits that cannot be shortened without corrupting the value (7.2, 7.4, 8.1).
_Text = Annotated[Annotated[str, _sized(_TEXT_MAX)] | None, BeforeValidator(_blank_to_none)]
_Text500 = Annotated[Annotated[str, _sized(500)] | None, BeforeValidator(_blank_to_none)]
_Text255 = Annotated[Annotated[str, _sized(255)] | None, BeforeValidator(_blank_to_none)]
_Text100 = Annotated[Annotated[str, _sized(100)] | None, BeforeValidator(_blank_to_none)]
_Text30 = Annotated[Annotated[str, _sized(30)] | None, BeforeValidator(_blank_to_none)]
#: A document number as the app shows it; QBO's DocNumber holds 21 characters (8.1).
_Text21 = Annotated[Annotated[str, _sized(21)] | None, BeforeValidator(_blank_to_none)]
_Email = Annotated[
    Annotated[str, _sized(100)] | None,
    BeforeValidator(_blank_to_none),
    AfterValidator(_email),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Address(_Strict):
    """A postal address (QBO ``BillAddr``/``ShipAddr``/``VendorAddr``; 7.2 limits)."""

    line1: _Text500 = None
    line2: _Text500 = None
    line3: _Text500 = None
    city: _Text255 = None
    #: state, province or county (QBO ``CountrySubDivisionCode``)
    region: _Text255 = None
    postal_code: _Text30 = None
    country: _Text255 = None


class Contact(_Strict):
    """A person at a customer; the primary one fills QBO's GivenName and FamilyName."""

    first_name: _Text = None
    last_name: _Text = None
    email: _Email = None
    phone: _Text30 = None
    primary: bool = False

    @model_validator(mode="after")
    def _something(self) -> Self:
        if not (self.first_name or self.last_name or self.email or self.phone):
            raise FieldValueError(
                "first_name", "a contact needs a first name, a last name, an e-mail or a phone"
            )
        return self


# -- name lists -------------------------------------------------------------------------------


class Customer(_Strict):
    """A customer (QBO Customer). ``parent_id`` makes it a sub-customer of another one."""

    type: Literal["customer"] = "customer"
    id: AppId
    name: _Name
    company_name: _Text = None
    #: people at the customer; when there are any, exactly one is ``primary``
    contacts: tuple[Contact, ...] = ()
    billing_address: Address | None = None
    shipping_address: Address | None = None
    email: _Email = None
    phone: _Text30 = None
    notes: _Text = None
    active: bool = True
    parent_id: AppId | None = None
    #: when the app created it (timezone-aware), for the sync start date; when absent, the
    #: moment ledgerbridge first received it stands in
    created_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _rules(self) -> Self:
        if self.contacts:
            primary = [c for c in self.contacts if c.primary]
            if len(primary) != 1:
                raise FieldValueError(
                    "contacts",
                    f"exactly one contact must be primary (found {len(primary)} of "
                    f"{len(self.contacts)})",
                )
        if self.parent_id is not None and self.parent_id == self.id:
            raise FieldValueError("parent_id", "a customer cannot be its own parent")
        return self

    @property
    def primary_contact(self) -> Contact | None:
        """The primary contact, if the customer has contacts."""
        return next((c for c in self.contacts if c.primary), None)


class Project(_Strict):
    """A customer's project or job (QBO sub-customer when the tenant says so)."""

    type: Literal["project"] = "project"
    id: AppId
    customer_id: AppId
    name: _Name
    #: the app's pipeline stage, compared with the tenant's ``project_stage_trigger``
    stage: _Text = None
    #: when the app created it (timezone-aware), for the sync start date (as for customers)
    created_at: AwareDatetime | None = None


class Vendor(_Strict):
    """A supplier (QBO Vendor)."""

    type: Literal["vendor"] = "vendor"
    id: AppId
    name: _Name
    company_name: _Text = None
    address: Address | None = None
    email: _Email = None
    phone: _Text30 = None
    active: bool = True


class Item(_Strict):
    """A part, product or service (QBO Item)."""

    type: Literal["item"] = "item"
    id: AppId
    name: _Name
    sku: _Text100 = None
    kind: Literal["inventory", "non_inventory", "service"]
    description: _Text = None
    sales_price: UnitPrice | None = None
    purchase_cost: UnitPrice | None = None
    #: for inventory items: the app's count; when QBO tracks quantities, QBO's quantity on
    #: hand is moved to it whenever the item is sent (``None``: QBO's is left alone)
    quantity_on_hand: SignedQuantity | None = None
    category: _Text = None
    active: bool = True


# -- lines ------------------------------------------------------------------------------------


class ItemLine(_Strict):
    """A sales line for an item or service: ``quantity`` x ``unit_price``."""

    kind: Literal["item"] = "item"
    item_id: AppId
    description: _Text = None
    quantity: Quantity = Decimal(1)
    unit_price: UnitPrice
    taxable: bool = False
    #: the app's tax code, translated by the tenant's ``tax_codes``; wins over ``taxable``
    tax_code: _Text100 = None

    @property
    def amount(self) -> Decimal:
        """``quantity x unit_price`` rounded half-up to the cent, as QBO computes it."""
        return round_money(self.quantity * self.unit_price)


class ChargeLine(_Strict):
    """A miscellaneous charge (setup fee, rush fee, freight billed): a description and amount.

    The amount may be negative (an adjustment); the document's total may not.
    """

    kind: Literal["charge"] = "charge"
    description: _Name
    amount: Money
    taxable: bool = False
    tax_code: _Text100 = None


def _line_kind(default_with_amount: str) -> Any:
    def kind(value: object) -> str | None:
        if isinstance(value, dict):
            given = value.get("kind")
            if given is not None:
                return str(given)
            # Without "kind": an amount and no item is a charge/cost line, anything else an
            # item line (whose missing fields are then reported by name).
            if "amount" in value and "item_id" not in value:
                return default_with_amount
            return "item"
        return getattr(value, "kind", None)

    return kind


#: A sales line: an item line (``kind: "item"``, the default) or a charge line
#: (``kind: "charge"``; a line with an ``amount`` and no ``item_id`` is one).
SalesLine = Annotated[
    Annotated[ItemLine, Tag("item")] | Annotated[ChargeLine, Tag("charge")],
    Discriminator(_line_kind("charge")),
]


class PurchaseItemLine(_Strict):
    """A purchase line for an item: ``quantity`` x ``unit_cost``."""

    kind: Literal["item"] = "item"
    item_id: AppId
    description: _Text = None
    quantity: Quantity = Decimal(1)
    unit_cost: UnitPrice

    @property
    def amount(self) -> Decimal:
        """``quantity x unit_cost`` rounded half-up to the cent, as QBO computes it."""
        return round_money(self.quantity * self.unit_cost)


class CostLine(_Strict):
    """An additional cost on a purchase (freight, fees, adjustments) booked to an account."""

    kind: Literal["cost"] = "cost"
    description: _Name
    amount: Money
    #: a QBO expense account name or Id; the tenant's ``po_cost_account`` when absent
    account: _Text100 = None


#: A purchase line: an item line (``kind: "item"``, the default) or a cost line
#: (``kind: "cost"``; a line with an ``amount`` and no ``item_id`` is one).
PurchaseLine = Annotated[
    Annotated[PurchaseItemLine, Tag("item")] | Annotated[CostLine, Tag("cost")],
    Discriminator(_line_kind("cost")),
]


class Discount(_Strict):
    """An order-level discount: ``percent`` of the subtotal, or a fixed ``amount``."""

    percent: Percent | None = None
    amount: NonNegativeMoney | None = None

    @model_validator(mode="after")
    def _one(self) -> Self:
        if (self.percent is None) == (self.amount is None):
            raise FieldValueError("percent", "give either a percent or an amount, not both")
        return self

    def of(self, subtotal: Decimal) -> Decimal:
        """The discount on ``subtotal``: a percent is rounded half-up to the cent (8.4)."""
        if self.percent is not None:
            return round_money(subtotal * self.percent / 100)
        assert self.amount is not None
        return self.amount


def _sales_subtotal(lines: tuple[ItemLine | ChargeLine, ...]) -> Decimal:
    return sum((line.amount for line in lines), Decimal(0))


class _SalesDocument(_Strict):
    """What sales orders, invoices and credit memos share: lines, discount, tax, totals."""

    lines: tuple[SalesLine, ...] = ()
    discount: Discount | None = None
    #: the sales tax of the whole document, as the app computed it (QBO ``TotalTax``)
    tax: NonNegativeMoney = Decimal(0)

    @property
    def subtotal(self) -> Decimal:
        """The sum of the lines, each rounded to the cent."""
        return _sales_subtotal(self.lines)

    @property
    def discount_total(self) -> Decimal:
        """The discount in money (zero without one)."""
        return self.discount.of(self.subtotal) if self.discount else Decimal(0)

    @property
    def total(self) -> Decimal:
        """Subtotal less discount plus tax: what QBO's ``TotalAmt`` will be."""
        return self.subtotal - self.discount_total + self.tax

    def _check_totals(self) -> None:
        if self.subtotal < 0:
            raise FieldValueError(
                "lines", f"the lines add up to {self.subtotal}; a document cannot be negative"
            )
        if self.discount_total > self.subtotal:
            raise FieldValueError(
                "discount",
                f"the discount ({self.discount_total}) is more than the subtotal ({self.subtotal})",
            )


def _dates_in_order(first: date, first_name: str, due: date | None) -> None:
    if due is not None and due < first:
        raise FieldValueError("due_date", f"the due date {due} is before the {first_name} {first}")


# -- sales ------------------------------------------------------------------------------------


class SalesOrder(_SalesDocument):
    """A confirmed sales order (QBO Estimate with TxnStatus Accepted)."""

    type: Literal["sales_order"] = "sales_order"
    id: AppId
    customer_id: AppId
    project_id: AppId | None = None
    number: _Text21 = None
    order_date: date
    due_date: date | None = None
    lines: tuple[SalesLine, ...] = Field(min_length=1)
    memo: _Text = None

    @model_validator(mode="after")
    def _rules(self) -> Self:
        _dates_in_order(self.order_date, "order date", self.due_date)
        self._check_totals()
        return self


class Invoice(_SalesDocument):
    """An invoice (QBO Invoice), billing zero, one or several sales orders."""

    type: Literal["invoice"] = "invoice"
    id: AppId
    customer_id: AppId
    project_id: AppId | None = None
    number: _Text21 = None
    invoice_date: date
    due_date: date | None = None
    #: the app's payment terms (e.g. "Net 30"), resolved to a QBO Term
    terms: _Text100 = None
    lines: tuple[SalesLine, ...] = Field(min_length=1)
    #: the sales orders this invoice bills, in the app's order
    sales_order_ids: tuple[AppId, ...] = ()
    memo: _Text = None

    @model_validator(mode="after")
    def _rules(self) -> Self:
        _dates_in_order(self.invoice_date, "invoice date", self.due_date)
        if len(set(self.sales_order_ids)) != len(self.sales_order_ids):
            raise FieldValueError("sales_order_ids", "a sales order is listed twice")
        self._check_totals()
        return self


class CreditMemo(_SalesDocument):
    """A credit to a customer (QBO CreditMemo): returned lines, or store credit.

    Store credit (``store_credit: true``) may be given as a plain ``amount`` with no lines.
    """

    type: Literal["credit_memo"] = "credit_memo"
    id: AppId
    customer_id: AppId
    project_id: AppId | None = None
    number: _Text21 = None
    credit_date: date
    store_credit: bool = False
    #: store credit without lines
    amount: PositiveMoney | None = None
    memo: _Text = None

    @model_validator(mode="after")
    def _rules(self) -> Self:
        if self.amount is not None:
            if not self.store_credit:
                raise FieldValueError(
                    "amount", "an amount without lines is only for store credit (store_credit)"
                )
            if self.lines:
                raise FieldValueError("amount", "give either lines or an amount, not both")
            if self.discount is not None:
                raise FieldValueError("discount", "store credit given as an amount has no discount")
        elif not self.lines:
            raise FieldValueError(
                "lines", "a credit memo needs lines (or, for store credit, an amount)"
            )
        self._check_totals()
        return self

    @property
    def subtotal(self) -> Decimal:
        """The lines' sum, or the store-credit amount."""
        return self.amount if self.amount is not None else _sales_subtotal(self.lines)


# -- purchases --------------------------------------------------------------------------------


def _purchase_total(lines: tuple[PurchaseItemLine | CostLine, ...]) -> Decimal:
    return sum((line.amount for line in lines), Decimal(0))


class PurchaseOrder(_Strict):
    """A purchase order (QBO PurchaseOrder); received or finished, it becomes a Bill too."""

    type: Literal["purchase_order"] = "purchase_order"
    id: AppId
    vendor_id: AppId
    number: _Text21 = None
    order_date: date
    due_date: date | None = None
    #: item lines and cost lines (freight, fees); may be empty while the order is a draft
    lines: tuple[PurchaseLine, ...] = ()
    ship_to: Address | None = None
    vendor_email: _Email = None
    #: the message to the vendor (QBO ``Memo``)
    memo: _Text = None
    #: the shop's own note (QBO ``PrivateNote``)
    internal_reference: _Text = None
    status: Literal["ordered", "received", "finished"] = "ordered"
    #: when the goods arrived: the date of the Bill a received order becomes
    received_date: date | None = None

    @model_validator(mode="after")
    def _rules(self) -> Self:
        _dates_in_order(self.order_date, "order date", self.due_date)
        if self.received_date is not None and self.received_date < self.order_date:
            raise FieldValueError(
                "received_date",
                f"the received date {self.received_date} is before the order date "
                f"{self.order_date}",
            )
        return self

    @property
    def total(self) -> Decimal:
        """The sum of the lines, each rounded to the cent."""
        return _purchase_total(self.lines)


class Bill(_Strict):
    """A vendor's bill (QBO Bill), optionally for one of the shop's purchase orders."""

    type: Literal["bill"] = "bill"
    id: AppId
    vendor_id: AppId
    number: _Text21 = None
    bill_date: date
    due_date: date | None = None
    lines: tuple[PurchaseLine, ...] = Field(min_length=1)
    purchase_order_id: AppId | None = None
    memo: _Text = None

    @model_validator(mode="after")
    def _rules(self) -> Self:
        _dates_in_order(self.bill_date, "bill date", self.due_date)
        if self.total < 0:
            raise FieldValueError("lines", f"the lines add up to {self.total}; a bill cannot")
        return self

    @property
    def total(self) -> Decimal:
        """The sum of the lines, each rounded to the cent."""
        return _purchase_total(self.lines)


# -- money in and out -------------------------------------------------------------------------


class Application(_Strict):
    """The part of a payment applied to one invoice."""

    invoice_id: AppId
    amount: PositiveMoney


class Payment(_Strict):
    """Money received from a customer, applied to invoices; the remainder is credit."""

    type: Literal["payment"] = "payment"
    id: AppId
    customer_id: AppId
    #: the project whose sub-customer the paid invoices belong to (sub-customer mode)
    project_id: AppId | None = None
    payment_date: date
    amount: NonNegativeMoney
    #: the app's payment method ("Visa", "Check"), mapped by the tenant's payment methods
    method: _Text100 = None
    #: check number or processor reference (QBO ``PaymentRefNum``, 21 characters)
    reference: _Text21 = None
    applications: tuple[Application, ...] = ()
    memo: _Text = None

    @model_validator(mode="after")
    def _rules(self) -> Self:
        ids = [a.invoice_id for a in self.applications]
        if len(set(ids)) != len(ids):
            raise FieldValueError("applications", "an invoice is listed twice")
        if self.applied > self.amount:
            raise FieldValueError(
                "applications",
                f"the applications add up to {self.applied}, more than the payment amount "
                f"{self.amount}; the remainder (amount - applications) is credit and cannot be "
                "negative",
            )
        return self

    @property
    def applied(self) -> Decimal:
        """What the payment applies to invoices."""
        return sum((a.amount for a in self.applications), Decimal(0))

    @property
    def credit(self) -> Decimal:
        """What is left unapplied: the customer's credit (``amount - applications``)."""
        return self.amount - self.applied


class Refund(_Strict):
    """Money paid back to a customer (QBO RefundReceipt, from the tenant's refund account)."""

    type: Literal["refund"] = "refund"
    id: AppId
    customer_id: AppId
    project_id: AppId | None = None
    number: _Text21 = None
    refund_date: date
    amount: PositiveMoney
    method: _Text100 = None
    #: check number or processor reference (QBO ``PaymentRefNum``, 100 characters)
    reference: _Text100 = None
    memo: _Text = None
    #: what is refunded; without lines the refund is one line of ``amount``
    lines: tuple[SalesLine, ...] = ()

    @model_validator(mode="after")
    def _rules(self) -> Self:
        if self.lines:
            total = _sales_subtotal(self.lines)
            if total != self.amount:
                raise FieldValueError(
                    "lines", f"the lines add up to {total}, not the refund amount {self.amount}"
                )
        return self


class InventoryLevel(_Strict):
    """An item's quantity on hand in the app at a moment (QBO InventoryAdjustment)."""

    type: Literal["inventory_level"] = "inventory_level"
    id: AppId
    item_id: AppId
    quantity_on_hand: SignedQuantity
    as_of: datetime


#: The value of every record's ``type`` field.
RecordType = Literal[
    "customer",
    "project",
    "vendor",
    "item",
    "sales_order",
    "invoice",
    "purchase_order",
    "bill",
    "payment",
    "refund",
    "credit_memo",
    "inventory_level",
]

#: Any record (a plain union, for annotations).
AnyRecord = (
    Customer
    | Project
    | Vendor
    | Item
    | SalesOrder
    | Invoice
    | PurchaseOrder
    | Bill
    | Payment
    | Refund
    | CreditMemo
    | InventoryLevel
)
#: Any record, told apart by its ``type`` field (for pydantic: fields, ``TypeAdapter``).
Record = Annotated[AnyRecord, Field(discriminator="type")]

_CLASSES: Final = (
    Customer,
    Project,
    Vendor,
    Item,
    SalesOrder,
    Invoice,
    PurchaseOrder,
    Bill,
    Payment,
    Refund,
    CreditMemo,
    InventoryLevel,
)
#: Each record type's model, in dependency order (name lists before the documents using them).
RECORD_TYPES: Final[Mapping[str, type[AnyRecord]]] = MappingProxyType(
    {str(cls.model_fields["type"].default): cls for cls in _CLASSES}
)
