"""Name lists: customers, projects (sub-customers), vendors, items, and inventory levels.

``QBO-REFERENCE.md`` section 7: names cleaned by :func:`qbo_name` (7.1 to 7.5); Customer and
Vendor fields and limits (7.2, 7.3: Notes 2000); sub-customers are ``Job: true`` with a
``ParentRef`` (7.2); items (7.4): ``Service`` and ``NonInventory`` with income and expense
accounts, ``Inventory`` with ``TrackQtyOnHand``, ``QtyOnHand``, ``InvStartDate`` and the
income, COGS and asset accounts. Quantities then change by ``InventoryAdjustment``
(``QtyDiff``, ``docs/emulator.md``).

Rules chosen here:

- A customer's GivenName and FamilyName come from its primary contact; its e-mail and phone
  are its own, else the primary contact's.
- A project becomes a sub-customer only when ``customer_object`` is
  ``sub_customer_per_project``; its DisplayName is ``"<customer name> - <project name>"``:
  QBO DisplayNames are unique across all customers (7.1), and two customers' projects are
  often both called "Kitchen remodel"; the customer's name keeps them apart and lets
  name-matching find the right one. It is billed with its parent (``BillWithParent``).
- In ``app_master`` inventory mode an inventory item is a ``NonInventory`` item: QBO then
  tracks no quantity and posts no cost of goods on sale; buying it posts to the COGS account
  (periodic inventory), so COGS is counted once.
- An item's category is its QBO Category (``ParentRef`` to the Category item, ``SubItem``):
  BPro syncs "product categories" with products; the engine resolves or creates the
  Category item like any other reference.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ledgerbridge.model import Customer, InventoryLevel, Item, Project, TenantSettings, Vendor

from ._common import DESCRIPTION_MAX, Payload, address, clean_name, clipped, email, iso, phone
from ._errors import MappingError, SkipRecordError
from ._refs import Refs

__all__ = [
    "NOTES_MAX",
    "map_customer",
    "map_inventory_level",
    "map_item",
    "map_project",
    "map_vendor",
]

NOTES_MAX = 2000


def _drop_empty(payload: Payload) -> Payload:
    return {k: v for k, v in payload.items() if v is not None}


def map_customer(record: Customer, *, settings: TenantSettings, refs: Refs) -> Payload:
    """A customer as a QBO Customer (a sub-customer of its parent when it has one)."""
    contact = record.primary_contact
    where = f"contacts[{record.contacts.index(contact)}]" if contact else "contacts"
    payload: Payload = {
        "DisplayName": clean_name(record.name, kind="display_name", field="name"),
        "CompanyName": (
            clean_name(record.company_name, kind="company_name", field="company_name")
            if record.company_name
            else None
        ),
        "GivenName": (
            clean_name(contact.first_name, kind="person", field=f"{where}.first_name")
            if contact and contact.first_name
            else None
        ),
        "FamilyName": (
            clean_name(contact.last_name, kind="person", field=f"{where}.last_name")
            if contact and contact.last_name
            else None
        ),
        "PrimaryEmailAddr": email(record.email or (contact.email if contact else None)),
        "PrimaryPhone": phone(record.phone or (contact.phone if contact else None)),
        "BillAddr": address(record.billing_address),
        "ShipAddr": address(record.shipping_address),
        "Notes": clipped(record.notes, limit=NOTES_MAX),
        "Active": record.active,
    }
    if record.parent_id is not None:
        payload["ParentRef"] = refs.customer(record.parent_id, field="parent_id").payload()
        payload["Job"] = True
    return _drop_empty(payload)


def map_project(
    record: Project, *, settings: TenantSettings, refs: Refs, customer: Customer
) -> Payload:
    """A project as a QBO sub-customer of ``customer`` (its app customer record).

    Raises :class:`SkipRecordError` when the tenant keeps one QBO customer per app customer.
    """
    if customer.id != record.customer_id:
        raise ValueError(f"customer {customer.id!r} is not the project's ({record.customer_id!r})")
    if settings.customer_object != "sub_customer_per_project":
        raise SkipRecordError(
            "Projects are not sent as sub-customers for this tenant (customer_object is "
            "'customer'); their documents go to the project's customer."
        )
    return {
        "DisplayName": clean_name(
            f"{customer.name} - {record.name}", kind="display_name", field="name"
        ),
        "ParentRef": refs.customer(record.customer_id).payload(),
        "Job": True,
        "BillWithParent": True,
        "Active": True,
    }


def map_vendor(record: Vendor, *, settings: TenantSettings, refs: Refs) -> Payload:
    """A vendor as a QBO Vendor (its address is QBO's ``BillAddr``)."""
    return _drop_empty(
        {
            "DisplayName": clean_name(record.name, kind="display_name", field="name"),
            "CompanyName": (
                clean_name(record.company_name, kind="company_name", field="company_name")
                if record.company_name
                else None
            ),
            "PrimaryEmailAddr": email(record.email),
            "PrimaryPhone": phone(record.phone),
            "BillAddr": address(record.address),
            "Active": record.active,
        }
    )


def map_item(
    record: Item,
    *,
    settings: TenantSettings,
    refs: Refs,
    inv_start_date: date | None = None,
) -> Payload:
    """An item as a QBO Item: Service, NonInventory, or Inventory (module docstring).

    ``inv_start_date`` dates the opening quantity of an inventory item QBO tracks (the day
    the item is first sent); the tenant's ``sync_start_date`` when absent.
    """
    payload: Payload = {
        "Name": clean_name(record.name, kind="item", field="name"),
        "Sku": record.sku,
        "Description": clipped(record.description, limit=DESCRIPTION_MAX),
        "UnitPrice": record.sales_price,
        "PurchaseCost": record.purchase_cost,
        "Active": record.active,
    }
    if record.category is not None:
        # A category is a parent item of Type Category; QBO nests the item under it (7.4).
        payload["ParentRef"] = refs.category(record.category).payload()
        payload["SubItem"] = True
    tracked = record.kind == "inventory" and settings.inventory_mode == "qbo_tracks"
    if tracked:
        start = inv_start_date or settings.sync_start_date
        if start is None:
            raise MappingError(
                "inv_start_date: an inventory item needs the date of its opening quantity; "
                "pass inv_start_date or set the tenant's sync_start_date.",
                field="inv_start_date",
            )
        payload.update(
            Type="Inventory",
            TrackQtyOnHand=True,
            QtyOnHand=record.quantity_on_hand or Decimal(0),
            InvStartDate=iso(start),
            IncomeAccountRef=_account(settings, refs, "inventory_income_account"),
            ExpenseAccountRef=_account(settings, refs, "inventory_cogs_account"),
            AssetAccountRef=_account(settings, refs, "inventory_asset_account"),
        )
    elif record.kind == "inventory":  # app_master: QBO tracks nothing, COGS posts on purchase
        payload.update(
            Type="NonInventory",
            IncomeAccountRef=_account(settings, refs, "inventory_income_account"),
            ExpenseAccountRef=_account(settings, refs, "inventory_cogs_account"),
        )
    else:
        payload.update(
            Type="Service" if record.kind == "service" else "NonInventory",
            IncomeAccountRef=_account(settings, refs, "default_income_account"),
            ExpenseAccountRef=_account(settings, refs, "default_expense_account"),
        )
    return _drop_empty(payload)


def _account(settings: TenantSettings, refs: Refs, setting: str) -> Payload:
    name: str = getattr(settings, setting)
    return refs.account(name, field=setting).payload()


def map_inventory_level(
    record: InventoryLevel,
    *,
    settings: TenantSettings,
    refs: Refs,
    qbo_quantity: Decimal,
) -> Payload:
    """An inventory level as a QBO InventoryAdjustment of ``new - qbo_quantity``.

    ``qbo_quantity`` is the item's ``QtyOnHand`` in QBO now. Raises
    :class:`SkipRecordError` when QBO does not track quantities for this tenant or the
    quantity is already right.
    """
    if settings.inventory_mode != "qbo_tracks":
        raise SkipRecordError(
            "The app is the inventory master for this tenant: QuickBooks tracks no quantities."
        )
    difference = record.quantity_on_hand - qbo_quantity
    if difference == 0:
        raise SkipRecordError(
            f"QuickBooks already has {qbo_quantity} on hand for this item: nothing to adjust."
        )
    return {
        "TxnDate": iso(record.as_of.date()),
        "AdjustAccountRef": _account(settings, refs, "inventory_adjustment_account"),
        "Line": [
            {
                "DetailType": "ItemAdjustmentLineDetail",
                "ItemAdjustmentLineDetail": {
                    "ItemRef": refs.item(record.item_id).payload(),
                    "QtyDiff": difference,
                },
            }
        ],
    }
