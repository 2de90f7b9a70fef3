"""The machine-shop data set: how many records of each type, and the order they are made in."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from types import MappingProxyType
from typing import Final

from ledgerbridge.model import AnyRecord, RecordType

from ._draw import Draw
from ._items import make_items
from ._money_in import make_credit_memos, make_payments, make_refunds
from ._parties import make_customers, make_projects, make_vendors
from ._purchases import make_bills, make_inventory_levels, make_purchase_orders
from ._sales import make_invoices, make_sales_orders
from ._shop import Shop

__all__ = [
    "HISTORY",
    "MACHINE_SHOP_START",
    "MIN_RECORDS",
    "machine_shop",
    "machine_shop_counts",
]

#: The last day of the default data set: fixed, so that the same seed gives the same records
#: whatever the day it runs.
MACHINE_SHOP_START: Final = date(2026, 6, 30)
#: How far back the data set goes: no record is dated earlier than ``start - HISTORY``.
HISTORY: Final = timedelta(days=181)

#: Records of each type in 2000 (a job shop's half year); inventory levels take the rest.
_PER_2000: Final[Mapping[RecordType, int]] = MappingProxyType(
    {
        "customer": 250,
        "project": 40,
        "vendor": 60,
        "item": 250,
        "sales_order": 350,
        "invoice": 400,
        "purchase_order": 150,
        "payment": 350,
        "credit_memo": 15,
        "refund": 8,
        "bill": 50,
    }
)
#: Fewest records of a type, so that a small data set still has every relationship.
_AT_LEAST: Final[Mapping[RecordType, int]] = MappingProxyType(
    {"customer": 5, "vendor": 2, "item": 4, "sales_order": 2, "invoice": 2, "payment": 1}
)
#: The smallest data set :func:`machine_shop` makes.
MIN_RECORDS: Final = 50


def machine_shop_counts(records: int) -> dict[RecordType, int]:
    """How many records of each type a data set of ``records`` holds (they add up to it).

    Raises ``ValueError`` below :data:`MIN_RECORDS`.
    """
    if records < MIN_RECORDS:
        raise ValueError(
            f"records must be at least {MIN_RECORDS} (got {records}): a machine shop needs "
            "customers, vendors, items and documents that refer to them"
        )
    counts: dict[RecordType, int] = {
        kind: max(_AT_LEAST.get(kind, 0), round(records * share / 2000))
        for kind, share in _PER_2000.items()
    }
    counts["inventory_level"] = records - sum(counts.values())
    return counts


def machine_shop(
    records: int = 2000, *, seed: int = 1, start: date | None = None
) -> list[AnyRecord]:
    """A machine shop's records: ``records`` of them, the same ones for the same ``seed``.

    They cover the six months before ``start`` (:data:`MACHINE_SHOP_START` by default) and
    come in dependency order: customers, projects, vendors, items, sales orders, invoices,
    purchase orders, payments, credit memos, refunds, bills, inventory levels. Every
    reference points at a record of the set. Raises ``ValueError`` below :data:`MIN_RECORDS`.
    """
    counts = machine_shop_counts(records)
    shop = Shop(Draw(seed, start or MACHINE_SHOP_START))
    make_customers(shop, counts["customer"])
    make_projects(shop, counts["project"])
    make_vendors(shop, counts["vendor"])
    make_items(shop, counts["item"])
    make_sales_orders(shop, counts["sales_order"])
    make_invoices(shop, counts["invoice"])
    make_purchase_orders(shop, counts["purchase_order"])
    make_payments(shop, counts["payment"])
    make_credit_memos(shop, counts["credit_memo"])
    make_refunds(shop, counts["refund"])
    make_bills(shop, counts["bill"])
    make_inventory_levels(shop, counts["inventory_level"])
    return [
        *shop.customers,
        *shop.projects,
        *shop.vendors,
        *shop.items,
        *shop.sales_orders,
        *shop.invoices,
        *shop.purchase_orders,
        *shop.payments,
        *shop.credit_memos,
        *shop.refunds,
        *shop.bills,
        *shop.inventory_levels,
    ]
