"""Engine rules of issue 5 that each take one setting or one field, against the emulator.

The shared name namespace (employees), the deposit account per payment method, tax-code
mapping, app-is-master inventory, the default accounts of non-inventory and service items,
an item's prices and description, reactivating inactive name-list records, a purchase
order's own e-mail, date and unit costs, a payment's reference, a customer's e-mail.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pushkit import World, money

from ledgerbridge.model import (
    Application,
    Contact,
    Customer,
    Invoice,
    Item,
    ItemLine,
    Payment,
    PurchaseItemLine,
    PurchaseOrder,
    TenantSettings,
    Vendor,
)

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

DAY = date(2026, 3, 2)


def _qbo(world: World, record_type: str, app_id: str, entity: str) -> dict[str, object]:
    link = world.link(record_type, app_id)
    assert link is not None and link.qbo_id is not None, (record_type, app_id)
    return world.read(entity, link.qbo_id)


def _account_name(world: World, ref: object) -> str:
    assert isinstance(ref, dict)
    return str(world.read("Account", ref["value"])["Name"])


def _sale(*, tax_code: str | None = None) -> list[object]:
    """A customer, a service and a $100 invoice of it."""
    line = ItemLine(item_id="s1", quantity=Decimal(1), unit_price=Decimal(100), tax_code=tax_code)
    return [
        Customer(id="c1", name="Acme Tooling"),
        Item(id="s1", name="Machining", kind="service", sales_price=Decimal(100)),
        Invoice(id="inv1", customer_id="c1", number="1001", invoice_date=DAY, lines=(line,)),
    ]


def _payment(app_id: str, method: str | None = None, reference: str | None = None) -> Payment:
    return Payment(
        id=app_id,
        customer_id="c1",
        payment_date=DAY,
        amount=Decimal(50),
        method=method,
        reference=reference,
        applications=(Application(invoice_id="inv1", amount=Decimal(50)),),
    )


# -- names ------------------------------------------------------------------------------------
async def test_a_vendor_named_like_a_qbo_employee_gets_the_vendor_suffix(world: World) -> None:
    """Employees share the customer/vendor namespace: the vendor becomes "Robin Hale
    (Vendor)" with a warning saying so; the employee is left as it was."""
    employee = await world.qbo.employees.create(
        {"GivenName": "Robin", "FamilyName": "Hale", "DisplayName": "Robin Hale"}
    )
    world.put(Vendor(id="v1", name="Robin Hale"))
    result = await world.pusher.push("vendor", "v1")
    assert result.outcome == "created", result.message
    assert [v["DisplayName"] for v in world.objects("Vendor")] == ["Robin Hale (Vendor)"]
    assert result.warning is not None and "'Robin Hale (Vendor)'" in result.warning
    assert world.read("Employee", employee["Id"])["DisplayName"] == "Robin Hale"

    # pushed again after a change: the same suffixed vendor, no third record
    world.put(Vendor(id="v1", name="Robin Hale", email="robin@hale.example"))
    assert (await world.pusher.push("vendor", "v1")).outcome == "updated"
    assert [v["DisplayName"] for v in world.objects("Vendor")] == ["Robin Hale (Vendor)"]


@pytest.mark.parametrize("entity", ["Vendor", "Item"])
async def test_an_inactive_qbo_record_of_the_same_name_is_linked_and_reactivated(
    world: World, entity: str
) -> None:
    """An inactive "Steel  co" in QBO; the app's "steel co" links to it (case and spaces
    ignored) and makes it active again, rather than creating a second one."""
    if entity == "Vendor":
        made = await world.qbo.vendors.create({"DisplayName": "Steel  co"})
        world.put(Vendor(id="x1", name="steel co"))
        record_type, resource = "vendor", world.qbo.vendors
    else:
        made = await world.qbo.items.create(
            {
                "Name": "Steel  co",
                "Type": "NonInventory",
                "IncomeAccountRef": {"value": world.account_id("Sales of Product Income")},
            }
        )
        world.put(Item(id="x1", name="steel co", kind="non_inventory"))
        record_type, resource = "item", world.qbo.items
    await resource.update(
        {"Id": made["Id"], "SyncToken": made["SyncToken"], "Active": False, "sparse": True}
    )
    assert world.read(entity, made["Id"])["Active"] is False

    result = await world.pusher.push(record_type, "x1")
    assert result.outcome == "linked" and result.qbo_id == made["Id"], result.message
    assert world.read(entity, made["Id"])["Active"] is True
    names = [o.get("DisplayName", o.get("Name")) for o in world.objects(entity)]
    assert sum(1 for name in names if str(name).casefold().startswith("steel")) == 1


async def test_a_customer_sends_its_email_and_its_primary_contacts_name(world: World) -> None:
    """The customer's own e-mail wins over the contact's; the primary contact gives the
    person's names; without an e-mail of its own the primary contact's is used."""
    contacts = (
        Contact(first_name="Ann", last_name="Other", email="ann@acme.example"),
        Contact(first_name="Dana", last_name="Reyes", email="dana@acme.example", primary=True),
    )
    world.put_all(
        [
            Customer(id="c1", name="Acme Tooling", email="ap@acme.example", contacts=contacts),
            Customer(id="c2", name="Borealis Fab", contacts=contacts),
        ]
    )
    await world.pusher.push_dirty()
    acme = _qbo(world, "customer", "c1", "Customer")
    assert acme["PrimaryEmailAddr"] == {"Address": "ap@acme.example"}
    assert (acme["GivenName"], acme["FamilyName"]) == ("Dana", "Reyes")
    borealis = _qbo(world, "customer", "c2", "Customer")
    assert borealis["PrimaryEmailAddr"] == {"Address": "dana@acme.example"}


# -- items ------------------------------------------------------------------------------------
async def test_an_item_sends_its_prices_and_description(world: World) -> None:
    """Sales price -> UnitPrice, purchase cost -> PurchaseCost, description -> Description."""
    world.put(
        Item(
            id="i1",
            name="Hex Bolt M8",
            kind="non_inventory",
            description="Grade 8.8, zinc plated",
            sales_price=Decimal("0.85"),
            purchase_cost=Decimal("0.31"),
        )
    )
    result = await world.pusher.push("item", "i1")
    item = world.read("Item", str(result.qbo_id))
    assert money(item["UnitPrice"]) == Decimal("0.85")
    assert money(item["PurchaseCost"]) == Decimal("0.31")
    assert item["Description"] == "Grade 8.8, zinc plated"


@pytest.mark.parametrize(
    ("kind", "qbo_type"), [("non_inventory", "NonInventory"), ("service", "Service")]
)
async def test_non_inventory_and_service_items_take_the_default_accounts(
    world: World, kind: str, qbo_type: str
) -> None:
    """The tenant's default income and expense accounts, by name."""
    world.with_settings(
        TenantSettings(default_income_account="Services", default_expense_account="Rent or Lease")
    )
    world.put(Item.model_validate({"id": "i1", "name": "Deburring", "kind": kind}))
    result = await world.pusher.push("item", "i1")
    item = world.read("Item", str(result.qbo_id))
    assert item["Type"] == qbo_type
    assert _account_name(world, item["IncomeAccountRef"]) == "Services"
    assert _account_name(world, item["ExpenseAccountRef"]) == "Rent or Lease"
    assert item.get("AssetAccountRef") is None


async def test_app_master_mode_sends_inventory_items_as_non_inventory(world: World) -> None:
    """The app is the inventory master: no quantity, no asset account, so QBO books no
    second cost of goods sold; the default accounts apply."""
    world.with_settings(TenantSettings(inventory_mode="app_master"))
    world.put(
        Item(
            id="i1",
            name="Bar Stock 1018",
            kind="inventory",
            quantity_on_hand=Decimal(5),
            purchase_cost=Decimal("3.10"),
            sales_price=Decimal(9),
        )
    )
    result = await world.pusher.push("item", "i1")
    item = world.read("Item", str(result.qbo_id))
    assert item["Type"] == "NonInventory"
    assert not item.get("TrackQtyOnHand") and item.get("QtyOnHand") is None
    assert item.get("AssetAccountRef") is None
    assert _account_name(world, item["IncomeAccountRef"]) == "Sales of Product Income"
    assert _account_name(world, item["ExpenseAccountRef"]) == "Cost of Goods Sold"
    assert money(item["PurchaseCost"]) == Decimal("3.10")


# -- money in ---------------------------------------------------------------------------------
async def test_payments_are_deposited_per_method_else_to_undeposited_funds(world: World) -> None:
    """Cash is mapped to Checking (matched ignoring case); a check is not mapped and goes
    to Undeposited Funds, QBO's own default for receipts to be banked together."""
    world.with_settings(TenantSettings(deposit_accounts={"Cash": "Checking"}))
    world.put_all([*_sale(), _payment("p1", "Check"), _payment("p2", "cash")])
    report = await world.pusher.push_dirty()
    assert {r.outcome for r in report.results} == {"created"}, report.results
    check = _qbo(world, "payment", "p1", "Payment")
    cash = _qbo(world, "payment", "p2", "Payment")
    assert _account_name(world, check["DepositToAccountRef"]) == "Undeposited Funds"
    assert _account_name(world, cash["DepositToAccountRef"]) == "Checking"


async def test_a_payments_reference_is_its_qbo_reference_number(world: World) -> None:
    """The check number or processor reference -> PaymentRefNum."""
    world.put_all([*_sale(), _payment("p1", reference="5521")])
    await world.pusher.push_dirty()
    assert _qbo(world, "payment", "p1", "Payment")["PaymentRefNum"] == "5521"


async def test_an_app_tax_code_is_sent_as_the_qbo_code_it_maps_to(world: World) -> None:
    """tax_codes maps the app's "STATE" to QBO's TAX; the invoice line carries TAX."""
    world.with_settings(TenantSettings(tax_codes={"STATE": "TAX"}))
    world.put_all(_sale(tax_code="STATE"))
    result = await world.pusher.push("invoice", "inv1")
    assert result.outcome == "created", result.message
    [line] = [
        line
        for line in world.read("Invoice", str(result.qbo_id))["Line"]
        if line["DetailType"] == "SalesItemLineDetail"
    ]
    assert line["SalesItemLineDetail"]["TaxCodeRef"]["value"] == "TAX"


async def test_an_unmapped_tax_code_qbo_lacks_fails_the_invoice_naming_it(world: World) -> None:
    """ "COUNTY" is neither mapped nor a QBO tax code: the invoice fails with a sentence that
    names it and what to do, and nothing is written for it."""
    world.put_all(_sale(tax_code="COUNTY"))
    result = await world.pusher.push("invoice", "inv1")
    assert result.outcome == "failed"
    assert result.message is not None
    assert result.message.startswith("QuickBooks has no tax code named 'COUNTY'; create it")
    assert world.objects("Invoice") == []


# -- money out --------------------------------------------------------------------------------
async def test_a_purchase_order_sends_its_own_email_date_and_unit_costs(world: World) -> None:
    """The order's vendor_email wins over the vendor's; order_date -> TxnDate; each item
    line's unit cost, quantity and amount."""
    world.put_all(
        [
            Vendor(id="v1", name="Ryerson Steel", email="sales@ryerson.example"),
            Item(id="i1", name="Bar Stock 1018", kind="non_inventory"),
            PurchaseOrder(
                id="po1",
                vendor_id="v1",
                order_date=date(2026, 3, 3),
                vendor_email="orders@ryerson.example",
                lines=(
                    PurchaseItemLine(item_id="i1", quantity=Decimal(3), unit_cost=Decimal("2.5")),
                ),
            ),
        ]
    )
    result = await world.pusher.push("purchase_order", "po1")
    assert result.outcome == "created", result.message
    order = world.read("PurchaseOrder", str(result.qbo_id))
    assert order["POEmail"] == {"Address": "orders@ryerson.example"}
    assert order["TxnDate"] == "2026-03-03"
    [line] = order["Line"]
    detail = line["ItemBasedExpenseLineDetail"]
    assert (money(detail["UnitPrice"]), money(detail["Qty"])) == (Decimal("2.5"), Decimal(3))
    assert money(line["Amount"]) == Decimal("7.50")
