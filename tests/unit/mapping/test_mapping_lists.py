"""Customers, projects, vendors, items and inventory levels as QBO name-list payloads."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from mapkit import CUSTOMER, STOCK, Books

from ledgerbridge.mapping import (
    MappingError,
    QBORef,
    Refs,
    SkipRecordError,
    UnresolvedReferenceError,
    map_customer,
    map_inventory_level,
    map_item,
    map_project,
    map_vendor,
)
from ledgerbridge.model import (
    Address,
    Contact,
    Customer,
    InventoryLevel,
    Item,
    Project,
    TenantSettings,
    Vendor,
)

SUB_CUSTOMERS = TenantSettings(customer_object="sub_customer_per_project")


def full_customer() -> Customer:
    return Customer(
        id="c-9",
        name="Kessler: Tool & Die\t(North)",
        company_name="Kessler Tool & Die Inc.",
        contacts=(
            Contact(first_name="Bo", email="bo@kessler.example"),
            Contact(first_name="Ann", last_name="Kessler", phone="555-0100", primary=True),
        ),
        billing_address=Address(line1="1 Mill Rd", city="Dayton", region="OH", postal_code="45402"),
        shipping_address=Address(line1="Dock 4", line2="1 Mill Rd", city="Dayton", country="USA"),
        email="ap@kessler.example",
        notes="Net 30. " * 400,
    )


def test_customer_payload(settings: TenantSettings, books: Books) -> None:
    """Name cleaned, primary contact's names, own e-mail, contact's phone, both addresses."""
    payload = map_customer(full_customer(), settings=settings, refs=books.refs)
    assert payload["DisplayName"] == "Kessler - Tool & Die (North)"
    assert payload["CompanyName"] == "Kessler Tool & Die Inc."
    assert (payload["GivenName"], payload["FamilyName"]) == ("Ann", "Kessler")
    assert payload["PrimaryEmailAddr"] == {"Address": "ap@kessler.example"}
    assert payload["PrimaryPhone"] == {"FreeFormNumber": "555-0100"}
    assert payload["BillAddr"] == {
        "Line1": "1 Mill Rd",
        "City": "Dayton",
        "CountrySubDivisionCode": "OH",
        "PostalCode": "45402",
    }
    assert payload["ShipAddr"]["Country"] == "USA"
    assert len(payload["Notes"]) == 2000
    assert payload["Active"] is True
    stored = books.create("Customer", payload)
    assert stored["DisplayName"] == payload["DisplayName"]
    assert stored["Notes"] == payload["Notes"]


def test_minimal_customer_sends_only_what_it_has(settings: TenantSettings, books: Books) -> None:
    """No empty objects or nulls: QBO serializes only properties with values (1.6)."""
    payload = map_customer(Customer(id="c", name="Solo"), settings=settings, refs=books.refs)
    assert payload == {"DisplayName": "Solo", "Active": True}


def test_sub_customer_of_a_parent(settings: TenantSettings, books: Books) -> None:
    """parent_id becomes ParentRef with Job true; QBO builds Parent:Child."""
    record = Customer(id="c-3", name="Acme West Plant", parent_id=CUSTOMER)
    payload = map_customer(record, settings=settings, refs=books.refs)
    assert payload["Job"] is True
    assert payload["ParentRef"] == books.refs.customer(CUSTOMER).payload()
    stored = books.create("Customer", payload)
    assert stored["FullyQualifiedName"] == "Acme Fabrication:Acme West Plant"


def test_unresolved_parent_names_the_field(settings: TenantSettings) -> None:
    """A parent the engine has not resolved yet is an UnresolvedReferenceError on parent_id."""
    record = Customer(id="c-3", name="West", parent_id="c-unknown")
    with pytest.raises(UnresolvedReferenceError) as caught:
        map_customer(record, settings=settings, refs=Refs())
    assert (caught.value.field, caught.value.app_id) == ("parent_id", "c-unknown")


def test_inactive_customer(settings: TenantSettings, books: Books) -> None:
    """active false is sent as Active false."""
    record = Customer(id="c", name="Gone", active=False)
    assert map_customer(record, settings=settings, refs=books.refs)["Active"] is False


def test_project_as_sub_customer(books: Books) -> None:
    """In sub-customer mode a project is a Job billed with its parent, named after both."""
    customer = Customer(id=CUSTOMER, name="Acme Fabrication")
    project = Project(id="p-1", customer_id=CUSTOMER, name="Kitchen: remodel", stage="Closed - Won")
    payload = map_project(project, settings=SUB_CUSTOMERS, refs=books.refs, customer=customer)
    assert payload["DisplayName"] == "Acme Fabrication - Kitchen - remodel"
    assert (payload["Job"], payload["BillWithParent"]) == (True, True)
    stored = books.create("Customer", payload)
    assert stored["ParentRef"]["value"] == books.refs.customer(CUSTOMER).value


def test_same_project_name_under_two_customers_does_not_collide(books: Books) -> None:
    """Two customers' "Kitchen" projects get different DisplayNames (unique across QBO)."""
    for customer_id, name in ((CUSTOMER, "Acme Fabrication"), ("c-2", "Bolt Works")):
        customer = Customer(id=customer_id, name=name)
        project = Project(id=f"p-{customer_id}", customer_id=customer_id, name="Kitchen")
        books.create(
            "Customer",
            map_project(project, settings=SUB_CUSTOMERS, refs=books.refs, customer=customer),
        )


def test_project_is_skipped_in_customer_mode(settings: TenantSettings, books: Books) -> None:
    """With one QBO customer per app customer, a project is not sent."""
    customer = Customer(id=CUSTOMER, name="Acme")
    project = Project(id="p-1", customer_id=CUSTOMER, name="Kitchen")
    with pytest.raises(SkipRecordError, match="not sent as sub-customers"):
        map_project(project, settings=settings, refs=books.refs, customer=customer)


def test_project_needs_its_own_customer(books: Books) -> None:
    """Passing another customer's record is a programming error."""
    with pytest.raises(ValueError, match="not the project's"):
        map_project(
            Project(id="p", customer_id=CUSTOMER, name="K"),
            settings=SUB_CUSTOMERS,
            refs=books.refs,
            customer=Customer(id="other", name="Other"),
        )


def test_vendor_payload(settings: TenantSettings, books: Books) -> None:
    """Vendor name, company, address as BillAddr, e-mail and phone."""
    record = Vendor(
        id="v-9",
        name="Ferro:Metals\n",
        company_name="Ferro Metals LLC",
        address=Address(line1="9 Forge St", city="Akron"),
        email="sales@ferro.example",
        phone="555-0199",
    )
    payload = map_vendor(record, settings=settings, refs=books.refs)
    assert payload == {
        "DisplayName": "Ferro-Metals",
        "CompanyName": "Ferro Metals LLC",
        "PrimaryEmailAddr": {"Address": "sales@ferro.example"},
        "PrimaryPhone": {"FreeFormNumber": "555-0199"},
        "BillAddr": {"Line1": "9 Forge St", "City": "Akron"},
        "Active": True,
    }
    books.create("Vendor", payload)


def test_vendor_and_customer_share_qbo_names(settings: TenantSettings, books: Books) -> None:
    """The same cleaning applies to both, so a collision (6240) is the engine's to resolve."""
    vendor = map_vendor(
        Vendor(id="v", name="Acme  Fabrication"), settings=settings, refs=books.refs
    )
    assert vendor["DisplayName"] == "Acme Fabrication"


def test_service_item(settings: TenantSettings, books: Books) -> None:
    """A service: income and expense accounts from the defaults, price and cost."""
    record = Item(
        id="weld",
        name="Welding: TIG",
        sku="SVC-TIG",
        kind="service",
        description="TIG welding per hour",
        sales_price=Decimal("85"),
        purchase_cost=Decimal("40.5"),
    )
    payload = map_item(record, settings=settings, refs=books.refs)
    assert payload["Type"] == "Service"
    assert payload["Name"] == "Welding - TIG"
    assert (
        payload["IncomeAccountRef"]
        == books.refs.account("Sales of Product Income", field="x").payload()
    )
    assert (
        payload["ExpenseAccountRef"]
        == books.refs.account("Cost of Goods Sold", field="x").payload()
    )
    assert (payload["UnitPrice"], payload["PurchaseCost"], payload["Sku"]) == (
        Decimal("85"),
        Decimal("40.5"),
        "SVC-TIG",
    )
    assert "TrackQtyOnHand" not in payload
    books.create("Item", payload)


def test_inventory_item_tracked_by_qbo(settings: TenantSettings, books: Books) -> None:
    """Inventory with TrackQtyOnHand, QtyOnHand, InvStartDate and the three accounts."""
    record = Item(
        id="plate", name="Steel plate", kind="inventory", quantity_on_hand=Decimal("12.5")
    )
    payload = map_item(record, settings=settings, refs=books.refs, inv_start_date=date(2026, 3, 1))
    assert payload["Type"] == "Inventory"
    assert (payload["TrackQtyOnHand"], payload["QtyOnHand"], payload["InvStartDate"]) == (
        True,
        Decimal("12.5"),
        "2026-03-01",
    )
    assert payload["AssetAccountRef"] == books.refs.account("Inventory Asset", field="x").payload()
    stored = books.create("Item", payload)
    assert stored["QtyOnHand"] == Decimal("12.5")


def test_inventory_start_date_defaults_to_sync_start(
    settings: TenantSettings, books: Books
) -> None:
    """Without inv_start_date the tenant's sync start date dates the opening quantity."""
    record = Item(id="plate", name="Plate", kind="inventory")
    payload = map_item(record, settings=settings, refs=books.refs)
    assert (payload["InvStartDate"], payload["QtyOnHand"]) == ("2026-01-01", Decimal(0))


def test_inventory_item_needs_a_start_date(books: Books) -> None:
    """No date at all is a MappingError naming inv_start_date."""
    with pytest.raises(MappingError) as caught:
        map_item(
            Item(id="p", name="P", kind="inventory"), settings=TenantSettings(), refs=books.refs
        )
    assert caught.value.field == "inv_start_date"


def test_app_master_inventory_is_non_inventory(books: Books) -> None:
    """When the app is inventory master, QBO gets a NonInventory item: no COGS twice."""
    settings = TenantSettings(inventory_mode="app_master")
    record = Item(id="plate", name="Plate", kind="inventory", quantity_on_hand=Decimal(5))
    payload = map_item(record, settings=settings, refs=books.refs)
    assert payload["Type"] == "NonInventory"
    assert not {"TrackQtyOnHand", "QtyOnHand", "InvStartDate", "AssetAccountRef"} & set(payload)
    assert (
        payload["ExpenseAccountRef"]
        == books.refs.account("Cost of Goods Sold", field="x").payload()
    )
    assert books.create("Item", payload)["TrackQtyOnHand"] is False


def test_item_accounts_must_be_resolved(settings: TenantSettings) -> None:
    """An account the engine did not resolve names the setting."""
    with pytest.raises(UnresolvedReferenceError) as caught:
        map_item(Item(id="s", name="S", kind="service"), settings=settings, refs=Refs())
    assert caught.value.field == "default_income_account"
    assert caught.value.app_id == "Sales of Product Income"


def test_inventory_level_adjusts_the_difference(settings: TenantSettings, books: Books) -> None:
    """QtyDiff = the app's quantity - QBO's current quantity."""
    level = InventoryLevel(
        id="l-1", item_id=STOCK, quantity_on_hand=Decimal("92.5"), as_of=datetime(2026, 3, 6, 9, 30)
    )
    current = books.read("Item", books.refs.item(STOCK).value)["QtyOnHand"]
    payload = map_inventory_level(level, settings=settings, refs=books.refs, qbo_quantity=current)
    line = payload["Line"][0]["ItemAdjustmentLineDetail"]
    assert line["QtyDiff"] == Decimal("-7.5")
    assert payload["TxnDate"] == "2026-03-06"
    books.create("InventoryAdjustment", payload)
    assert books.read("Item", books.refs.item(STOCK).value)["QtyOnHand"] == Decimal("92.5")


def test_inventory_level_unchanged_is_skipped(settings: TenantSettings, books: Books) -> None:
    """Nothing to adjust when QBO already has the quantity."""
    level = InventoryLevel(
        id="l", item_id=STOCK, quantity_on_hand=Decimal(100), as_of=datetime(2026, 3, 6)
    )
    with pytest.raises(SkipRecordError, match="nothing to adjust"):
        map_inventory_level(level, settings=settings, refs=books.refs, qbo_quantity=Decimal(100))


def test_inventory_level_in_app_master_mode_is_skipped(books: Books) -> None:
    """QBO tracks no quantities when the app is inventory master."""
    level = InventoryLevel(
        id="l", item_id=STOCK, quantity_on_hand=Decimal(1), as_of=datetime(2026, 3, 6)
    )
    with pytest.raises(SkipRecordError, match="inventory master"):
        map_inventory_level(
            level,
            settings=TenantSettings(inventory_mode="app_master"),
            refs=books.refs,
            qbo_quantity=Decimal(0),
        )


def test_item_category_nests_under_the_category_item(
    settings: TenantSettings, books: Books
) -> None:
    """A category is QBO's Category item: ParentRef with SubItem; QBO builds Category:Item."""
    category = books.create("Item", {"Name": "Hardware", "Type": "Category"})
    books.add("categories", "Hardware", QBORef(category["Id"], "Hardware"))
    record = Item(id="bolt", name="Hex bolt M8", kind="non_inventory", category="Hardware")
    payload = map_item(record, settings=settings, refs=books.refs)
    assert (payload["ParentRef"], payload["SubItem"]) == ({"value": category["Id"]}, True)
    assert books.create("Item", payload)["FullyQualifiedName"] == "Hardware:Hex bolt M8"
    with pytest.raises(UnresolvedReferenceError) as caught:
        map_item(
            record.model_copy(update={"category": "Fasteners"}), settings=settings, refs=books.refs
        )
    assert (caught.value.field, caught.value.kind) == ("category", "category")


def test_name_with_nothing_printable_names_the_field(
    settings: TenantSettings, books: Books
) -> None:
    """A name of control characters passes intake but cannot become a QBO name."""
    with pytest.raises(MappingError) as caught:
        map_customer(Customer(id="c", name="\x00\x07"), settings=settings, refs=books.refs)
    assert caught.value.field == "name"
    record = Customer(
        id="c",
        name="Ok",
        contacts=(Contact(first_name="x"), Contact(first_name="\x1b", primary=True)),
    )
    with pytest.raises(MappingError) as caught:
        map_customer(record, settings=settings, refs=books.refs)
    assert caught.value.field == "contacts[1].first_name"
