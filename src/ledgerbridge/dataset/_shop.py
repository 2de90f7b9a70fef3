"""What the generators share while they build one data set: the draws and what exists so far.

Each generator (``_parties``, ``_items``, ``_sales``, ``_purchases``, ``_money_in``) reads
the records made before it, so every reference it writes points at a record that exists, and
appends its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from ledgerbridge.model import (
    Address,
    Bill,
    CreditMemo,
    Customer,
    InventoryLevel,
    Invoice,
    Item,
    Payment,
    Project,
    PurchaseOrder,
    Refund,
    SalesOrder,
    Vendor,
)

from ._draw import Draw, name_key

#: The shop itself: where purchase orders ship to.
SHOP_ADDRESS: Final = Address(
    line1="1450 Foundry Rd",
    city="Rockford",
    region="IL",
    postal_code="61109",
    country="USA",
)


@dataclass
class Shop:
    """The records made so far, and what the generators remember about them."""

    draw: Draw
    customers: list[Customer] = field(default_factory=list)
    #: customer id -> how much business it brings (a few big customers, many small)
    weight: dict[str, float] = field(default_factory=dict)
    #: customer id -> its payment terms
    terms: dict[str, str] = field(default_factory=dict)
    #: customer id -> its sales-tax rate (absent: buys for resale, tax exempt)
    tax_rate: dict[str, Decimal] = field(default_factory=dict)
    #: customers that may receive documents (active ones)
    buyers: list[Customer] = field(default_factory=list)
    projects: list[Project] = field(default_factory=list)
    vendors: list[Vendor] = field(default_factory=list)
    #: role ("material", "processing"...) -> active vendors in that role
    vendor_roles: dict[str, list[Vendor]] = field(default_factory=dict)
    items: list[Item] = field(default_factory=list)
    #: group ("raw", "hardware", "part", "supply", "service", "processing") -> active items
    item_groups: dict[str, list[Item]] = field(default_factory=dict)
    sales_orders: list[SalesOrder] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)
    purchase_orders: list[PurchaseOrder] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    credit_memos: list[CreditMemo] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    bills: list[Bill] = field(default_factory=list)
    inventory_levels: list[InventoryLevel] = field(default_factory=list)
    #: names taken in QBO's shared customer/vendor namespace (:func:`name_key`)
    names: set[str] = field(default_factory=set)

    def claim(self, name: str) -> bool:
        """Take ``name`` if no customer, vendor or project has it yet."""
        key = name_key(name)
        if key in self.names:
            return False
        self.names.add(key)
        return True

    def items_of(self, *groups: str) -> list[Item]:
        """The active items of ``groups``, in the order they were made."""
        return [item for group in groups for item in self.item_groups.get(group, [])]

    def vendors_of(self, *roles: str) -> list[Vendor]:
        """The active vendors of ``roles``; every active vendor when none has those roles."""
        found = [vendor for role in roles for vendor in self.vendor_roles.get(role, [])]
        return found or [vendor for group in self.vendor_roles.values() for vendor in group]
