"""The behaviours the five product pages in ``shared/seeds/`` describe, one test each.

Each test is named after the page and the behaviour (``docs/seeds.md`` lists every row and
the test that proves it); ``gap`` in a name marks something the page says its product cannot
do and ledgerbridge does. Everything runs through :class:`Pusher` against the in-process
emulator (``pushkit``; fixtures in ``conftest.py``) and is checked in the emulator's books.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from pushkit import TENANT, World, money

from ledgerbridge.model import (
    Address,
    Application,
    ChargeLine,
    Contact,
    CostLine,
    Customer,
    Discount,
    InventoryLevel,
    Invoice,
    Item,
    ItemLine,
    Payment,
    PaymentMethodSetting,
    Project,
    PurchaseItemLine,
    PurchaseOrder,
    SalesOrder,
    TenantSettings,
    Vendor,
)

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

DAY = date(2026, 3, 2)


# -- records ----------------------------------------------------------------------------------
def _customer(**changes: Any) -> Customer:
    return Customer(**{"id": "c1", "name": "Northwind Fabrication", **changes})


def _part(app_id: str = "p1", name: str = "Flange", **changes: Any) -> Item:
    fields = {"id": app_id, "name": name, "kind": "non_inventory", "sales_price": "20.00"}
    return Item(**{**fields, **changes})


def _machining() -> Item:
    return Item(id="svc", name="CNC Machining", kind="service", sales_price=Decimal("100.00"))


def _invoice(app_id: str = "inv1", number: str = "2001", **changes: Any) -> Invoice:
    fields: dict[str, Any] = {
        "id": app_id,
        "customer_id": "c1",
        "number": number,
        "invoice_date": DAY,
        "lines": (ItemLine(item_id="svc", quantity=Decimal(3), unit_price=Decimal("100.00")),),
    }
    return Invoice(**{**fields, **changes})


def _payment(app_id: str, amount: str, *applied: tuple[str, str], **changes: Any) -> Payment:
    applications = tuple(Application(invoice_id=i, amount=Decimal(a)) for i, a in applied)
    fields: dict[str, Any] = {
        "id": app_id,
        "customer_id": "c1",
        "payment_date": date(2026, 3, 9),
        "amount": Decimal(amount),
        "applications": applications,
    }
    return Payment(**{**fields, **changes})


def _supplier(name: str = "Steel Supply Co") -> Vendor:
    return Vendor(id="v1", name=name, email="orders@steel.example")


def _order(app_id: str = "po1", number: str = "1042", **changes: Any) -> PurchaseOrder:
    fields: dict[str, Any] = {
        "id": app_id,
        "vendor_id": "v1",
        "number": number,
        "order_date": DAY,
        "lines": (PurchaseItemLine(item_id="p1", quantity=Decimal(8), unit_cost=Decimal("6.50")),),
    }
    return PurchaseOrder(**{**fields, **changes})


# -- helpers ----------------------------------------------------------------------------------
async def _pushed(world: World, record_type: str, app_id: str) -> dict[str, Any]:
    """Push one record, expect it written, and return its QBO object."""
    result = await world.pusher.push(record_type, app_id)
    assert result.ok and result.qbo_id is not None, result.message
    link = world.link(record_type, app_id)
    assert link is not None and link.qbo_type is not None
    return world.read(link.qbo_type, result.qbo_id)


def _qbo_id(world: World, record_type: str, app_id: str) -> str:
    link = world.link(record_type, app_id)
    assert link is not None and link.qbo_id is not None, (record_type, app_id)
    return link.qbo_id


def _named(world: World, entity: str, name: str) -> list[dict[str, Any]]:
    field = "DisplayName" if entity in ("Customer", "Vendor") else "Name"
    return [o for o in world.objects(entity) if o.get(field) == name]


async def _invoice_in_qbo(world: World, hours: int = 3) -> str:
    """The customer, the machining service and invoice inv1 (hours x 100.00), pushed."""
    lines = (ItemLine(item_id="svc", quantity=Decimal(hours), unit_price=Decimal("100.00")),)
    world.put_all([_customer(), _machining(), _invoice(lines=lines)])
    return str((await _pushed(world, "invoice", "inv1"))["Id"])


# -- StartProto -------------------------------------------------------------------------------
async def test_startproto_customer_pushes_name_addresses_notes_and_primary_contact(
    world: World,
) -> None:
    """Company name, billing and shipping address, notes (and the primary contact's name)."""
    billing = Address(line1="12 Foundry Way", city="Toledo", region="OH", postal_code="43604")
    shipping = Address(line1="Dock 4, 80 Rail St", city="Toledo", region="OH")
    contacts = (
        Contact(first_name="Lee", last_name="Park"),
        Contact(first_name="Dana", last_name="Reyes", primary=True),
    )
    customer = _customer(
        billing_address=billing, shipping_address=shipping, notes="Net 30", contacts=contacts
    )
    world.put(customer)
    qbo = await _pushed(world, "customer", "c1")
    assert qbo["DisplayName"] == "Northwind Fabrication"
    assert (qbo["BillAddr"]["Line1"], qbo["BillAddr"]["PostalCode"]) == ("12 Foundry Way", "43604")
    assert qbo["ShipAddr"]["Line1"] == "Dock 4, 80 Rail St"
    assert qbo["Notes"] == "Net 30"
    assert (qbo["GivenName"], qbo["FamilyName"]) == ("Dana", "Reyes")


async def test_startproto_part_becomes_an_item_with_sku_type_and_quantity(world: World) -> None:
    """Part name, number (SKU), type, and the quantity on hand of an inventory part."""
    world.put_all(
        [
            _part(kind="inventory", sku="FL-100", quantity_on_hand=Decimal(12)),
            _part("p2", "Cutting Fluid", sku="CF-5"),
        ]
    )
    tracked = await _pushed(world, "item", "p1")
    assert (tracked["Name"], tracked["Sku"], tracked["Type"]) == ("Flange", "FL-100", "Inventory")
    assert tracked["TrackQtyOnHand"] is True and money(tracked["QtyOnHand"]) == 12
    untracked = await _pushed(world, "item", "p2")
    assert (untracked["Sku"], untracked["Type"]) == ("CF-5", "NonInventory")


async def test_startproto_inventory_item_uses_the_tenants_income_cogs_and_asset_accounts(
    world: World,
) -> None:
    """The GL accounts chosen for inventory items are the QBO item's accounts."""
    income = await world.qbo.accounts.create({"Name": "Part Sales", "AccountType": "Income"})
    cogs = await world.qbo.accounts.create(
        {"Name": "Parts Cost", "AccountType": "Cost of Goods Sold"}
    )
    asset = await world.qbo.accounts.create(
        {"Name": "Parts Stock", "AccountType": "Other Current Asset", "AccountSubType": "Inventory"}
    )
    world.with_settings(
        TenantSettings(
            inventory_income_account="Part Sales",
            inventory_cogs_account="Parts Cost",
            inventory_asset_account="Parts Stock",
        )
    )
    world.put(_part(kind="inventory", quantity_on_hand=Decimal(5)))
    item = await _pushed(world, "item", "p1")
    assert item["IncomeAccountRef"]["value"] == income["Id"]
    assert item["ExpenseAccountRef"]["value"] == cogs["Id"]
    assert item["AssetAccountRef"]["value"] == asset["Id"]


async def test_startproto_sales_order_syncs_as_accepted_estimate_with_parts_services_and_charges(
    world: World,
) -> None:
    """Pushing only the sales order: customer and items go first, then an Accepted Estimate
    with a part line, a service line and a miscellaneous charge on the charge item."""
    order = SalesOrder(
        id="so1",
        customer_id="c1",
        number="SO-88",
        order_date=DAY,
        lines=(
            ItemLine(item_id="p1", quantity=Decimal(4), unit_price=Decimal("20.00")),
            ItemLine(item_id="svc", quantity=Decimal(2), unit_price=Decimal("100.00")),
            ChargeLine(description="Rush fee", amount=Decimal("35.00")),
        ),
    )
    world.put_all([_customer(), _part(), _machining(), order])
    estimate = await _pushed(world, "sales_order", "so1")
    assert estimate["TxnStatus"] == "Accepted" and estimate["DocNumber"] == "SO-88"
    assert estimate["CustomerRef"]["value"] == _qbo_id(world, "customer", "c1")
    details = [li["SalesItemLineDetail"] for li in estimate["Line"] if "SalesItemLineDetail" in li]
    services = _named(world, "Item", "Services")
    assert [d["ItemRef"]["value"] for d in details] == [
        _qbo_id(world, "item", "p1"),
        _qbo_id(world, "item", "svc"),
        services[0]["Id"],
    ]
    assert money(estimate["TotalAmt"]) == Decimal("315.00")


async def test_startproto_invoice_syncs_its_lines_and_links_its_sales_orders_estimate(
    world: World,
) -> None:
    """A single-order invoice: its own lines, linked to (and closing) the order's Estimate."""
    order = SalesOrder(
        id="so1",
        customer_id="c1",
        number="SO-90",
        order_date=DAY,
        lines=(ItemLine(item_id="svc", quantity=Decimal(3), unit_price=Decimal("100.00")),),
    )
    charge = ChargeLine(description="Deburring", amount=Decimal("15.00"))
    invoice = _invoice(sales_order_ids=("so1",), lines=(*order.lines, charge))
    world.put_all([_customer(), _machining(), order, invoice])
    qbo = await _pushed(world, "invoice", "inv1")
    estimate_id = _qbo_id(world, "sales_order", "so1")
    assert qbo["LinkedTxn"] == [{"TxnId": estimate_id, "TxnType": "Estimate"}]
    assert world.read("Estimate", estimate_id)["TxnStatus"] == "Closed"
    assert money(qbo["TotalAmt"]) == Decimal("315.00")


async def test_startproto_gap_invoice_billing_several_sales_orders_keeps_tax_and_discount(
    world: World,
) -> None:
    """StartProto cannot invoice several sales orders; here both estimates close and QBO's
    total (lines, 10 % discount, tax) equals the app's, with no warning."""
    orders = [
        SalesOrder(
            id=f"so{n}",
            customer_id="c1",
            number=f"SO-{n}",
            order_date=DAY,
            lines=(ItemLine(item_id="svc", quantity=Decimal(n), unit_price=Decimal("100.00")),),
        )
        for n in (1, 2)
    ]
    invoice = _invoice(
        sales_order_ids=("so1", "so2"),
        discount=Discount(percent=Decimal(10)),
        tax=Decimal("18.90"),
    )
    world.put_all([_customer(), _machining(), *orders, invoice])
    qbo = await _pushed(world, "invoice", "inv1")
    assert invoice.total == Decimal("288.90")
    assert money(qbo["TotalAmt"]) == invoice.total
    for so_id in ("so1", "so2"):
        assert world.read("Estimate", _qbo_id(world, "sales_order", so_id))["TxnStatus"] == "Closed"
    assert qbo["PrivateNote"].startswith("Bills sales orders ")
    link = world.link("invoice", "inv1")
    assert link is not None and link.warning is None


async def test_startproto_gap_a_vendor_matched_by_name_keeps_its_link_when_renamed(
    world: World,
) -> None:
    """StartProto matches vendors by name on every push and breaks on a rename; here the
    vendor is matched by name once, then linked: a rename updates the same QBO vendor."""
    existing = await world.qbo.vendors.create({"DisplayName": "STEEL SUPPLY CO"})
    world.put_all([_supplier(), _part(), _order()])
    po = await _pushed(world, "purchase_order", "po1")
    assert po["VendorRef"]["value"] == existing["Id"]
    world.put(_supplier("Steel Supply Company"))
    world.put(_order("po2", "1043"))
    report = await world.pusher.push_dirty()
    assert all(r.ok for r in report.results), [r.message for r in report.results]
    [vendor] = world.objects("Vendor")
    assert (vendor["Id"], vendor["DisplayName"]) == (existing["Id"], "Steel Supply Company")
    second = world.read("PurchaseOrder", _qbo_id(world, "purchase_order", "po2"))
    assert second["VendorRef"]["value"] == existing["Id"]


# -- BPro -------------------------------------------------------------------------------------
async def test_bpro_start_date_gates_invoices_and_payments_but_not_products(world: World) -> None:
    """Invoices and payments dated before the sync start date are not synced; products
    (with their category) and vendors are, whatever the date."""
    world.with_settings(TenantSettings(sync_start_date=date(2026, 3, 1)))
    old = date(2026, 2, 20)
    world.put_all(
        [
            _customer(),
            _machining(),
            _invoice(invoice_date=old),
            _payment("pay1", "50.00", payment_date=old),
            _part(category="Fittings"),
            _supplier(),
        ]
    )
    for record_type, app_id in (("invoice", "inv1"), ("payment", "pay1")):
        result = await world.pusher.push(record_type, app_id)
        assert result.outcome == "skipped" and result.message is not None
        assert "before the sync start date 2026-03-01" in result.message
    assert world.writes() == []
    assert (await world.pusher.push("item", "p1")).outcome == "created"
    assert (await world.pusher.push("vendor", "v1")).outcome == "created"
    assert world.objects("Invoice") == [] and world.objects("Payment") == []


async def test_bpro_product_category_syncs_with_its_product(world: World) -> None:
    """A product's category becomes a QBO Category, created once, with the item under it."""
    world.put_all([_part(category="Fittings"), _part("p2", "Elbow", category="fittings")])
    first = await _pushed(world, "item", "p1")
    second = await _pushed(world, "item", "p2")
    [category] = [i for i in world.objects("Item") if i["Type"] == "Category"]
    assert category["Name"] == "Fittings"
    for item in (first, second):
        assert item["SubItem"] is True and item["ParentRef"]["value"] == category["Id"]


async def test_bpro_payment_with_an_unchecked_method_is_not_synced(world: World) -> None:
    """A payment method switched off (paid through a processor that posts to QBO itself)
    keeps its payments out of QBO; other methods' payments go."""
    settings = TenantSettings(payment_methods={"Stripe": PaymentMethodSetting(sync=False)})
    invoice_id = await _invoice_in_qbo(world)
    world.with_settings(settings)
    world.put_all(
        [
            _payment("pay1", "100.00", ("inv1", "100.00"), method="stripe"),
            _payment("pay2", "100.00", ("inv1", "100.00"), method="Cash"),
        ]
    )
    skipped = await world.pusher.push("payment", "pay1")
    assert skipped.outcome == "skipped" and skipped.message is not None
    assert "'stripe' are set not to sync" in skipped.message
    assert (await world.pusher.push("payment", "pay2")).outcome == "created"
    [payment] = world.objects("Payment")
    assert world.read("PaymentMethod", payment["PaymentMethodRef"]["value"])["Name"] == "Cash"
    assert money(world.read("Invoice", invoice_id)["Balance"]) == Decimal("200.00")


async def test_bpro_gap_payment_method_maps_to_a_differently_named_qbo_method(
    world: World,
) -> None:
    """BPro needs QBO methods named exactly as its own; here "Card" maps to QBO's "Visa"."""
    world.with_settings(
        TenantSettings(payment_methods={"Card": PaymentMethodSetting(qbo_method="Visa")})
    )
    await _invoice_in_qbo(world)
    world.put(_payment("pay1", "300.00", ("inv1", "300.00"), method="card"))
    payment = await _pushed(world, "payment", "pay1")
    assert world.read("PaymentMethod", payment["PaymentMethodRef"]["value"])["Name"] == "Visa"


async def test_bpro_missing_payment_method_is_a_clear_error_when_creation_is_off(
    world: World,
) -> None:
    """A method QBO lacks, with create_missing_payment_methods off: failed, the method named,
    no payment written."""
    await _invoice_in_qbo(world)
    world.put(_payment("pay1", "300.00", ("inv1", "300.00"), method="Zelle"))
    result = await world.pusher.push("payment", "pay1")
    assert result.outcome == "failed" and result.message is not None
    assert "'Zelle'" in result.message and "payment method" in result.message
    assert world.objects("Payment") == []
    assert _named(world, "PaymentMethod", "Zelle") == []


async def test_bpro_invoice_terms_resolve_to_the_qbo_term(world: World) -> None:
    """The app's sales terms are the QBO Term of that name."""
    await _invoice_in_qbo(world)
    world.put(_invoice(terms="net 15"))
    invoice = await _pushed(world, "invoice", "inv1")
    assert world.read("Term", invoice["SalesTermRef"]["value"])["Name"] == "Net 15"


# -- ProLine ----------------------------------------------------------------------------------
async def test_proline_customer_mode_bills_a_projects_invoice_to_its_customer(
    world: World,
) -> None:
    """customer_object "customer": one QBO customer per app customer; projects are not
    sent, and a project's invoice goes to the customer."""
    project = Project(id="pr1", customer_id="c1", name="Gearbox", stage="Closed - Won")
    world.put_all([_customer(), _machining(), project, _invoice(project_id="pr1")])
    skipped = await world.pusher.push("project", "pr1")
    assert skipped.outcome == "skipped"
    invoice = await _pushed(world, "invoice", "inv1")
    assert invoice["CustomerRef"]["value"] == _qbo_id(world, "customer", "c1")
    assert len(world.objects("Customer")) == 1


async def test_proline_sub_customer_mode_creates_the_invoice_under_the_project(
    world: World,
) -> None:
    """customer_object "sub_customer_per_project": the invoice lands on the project's
    sub-customer, created (under its customer) on the way."""
    world.with_settings(TenantSettings(customer_object="sub_customer_per_project"))
    project = Project(id="pr1", customer_id="c1", name="Gearbox", stage="Closed - Won")
    world.put_all([_customer(), _machining(), project, _invoice(project_id="pr1")])
    invoice = await _pushed(world, "invoice", "inv1")
    sub_customer = world.read("Customer", invoice["CustomerRef"]["value"])
    assert sub_customer["Job"] is True
    assert sub_customer["ParentRef"]["value"] == _qbo_id(world, "customer", "c1")
    assert sub_customer["Id"] == _qbo_id(world, "project", "pr1")


async def test_proline_full_payment_marks_the_invoice_paid(world: World) -> None:
    """A payment of the invoice's amount, linked to it: QBO shows the invoice paid."""
    invoice_id = await _invoice_in_qbo(world)
    world.put(_payment("pay1", "300.00", ("inv1", "300.00")))
    payment = await _pushed(world, "payment", "pay1")
    assert payment["Line"][0]["LinkedTxn"] == [{"TxnId": invoice_id, "TxnType": "Invoice"}]
    assert money(world.read("Invoice", invoice_id)["Balance"]) == 0


async def test_proline_payments_can_carry_one_payment_method_naming_their_source(
    world: World,
) -> None:
    """Every app method mapped to one QBO method ("ProLine") marks where payments came from."""
    source = await world.qbo.payment_methods.create({"Name": "ProLine"})
    methods = {m: PaymentMethodSetting(qbo_method="ProLine") for m in ("Card", "Check")}
    world.with_settings(TenantSettings(payment_methods=methods))
    await _invoice_in_qbo(world)
    world.put_all(
        [
            _payment("pay1", "100.00", ("inv1", "100.00"), method="Card"),
            _payment("pay2", "200.00", ("inv1", "200.00"), method="Check"),
        ]
    )
    report = await world.pusher.push_dirty()
    assert [r.outcome for r in report.results] == ["created", "created"]
    assert {p["PaymentMethodRef"]["value"] for p in world.objects("Payment")} == {source["Id"]}


# -- Syncro -----------------------------------------------------------------------------------
async def test_syncro_payments_from_qbo_mode_pushes_no_app_payment(world: World) -> None:
    """payment_direction "qbo_to_app": the app's payments are never pushed (both directions
    at once would record every payment twice)."""
    await _invoice_in_qbo(world)
    world.with_settings(TenantSettings(payment_direction="qbo_to_app"))
    world.put(_payment("pay1", "300.00", ("inv1", "300.00")))
    result = await world.pusher.push("payment", "pay1")
    assert result.outcome == "skipped" and result.message is not None
    assert "from QuickBooks to the app" in result.message
    assert world.objects("Payment") == []


async def test_syncro_gap_a_child_customer_becomes_a_qbo_sub_customer(world: World) -> None:
    """Syncro syncs parent customers only; a child customer here is a QBO sub-customer."""
    world.put_all([_customer(), Customer(id="c2", name="Northwind Plant 2", parent_id="c1")])
    child = await _pushed(world, "customer", "c2")
    assert child["Job"] is True
    assert child["ParentRef"]["value"] == _qbo_id(world, "customer", "c1")


async def test_syncro_gap_a_changed_customer_syncs_on_its_own_before_its_invoice(
    world: World,
) -> None:
    """Syncro sends a customer's changes only with an invoice; here the customer is updated
    on its own, and before the invoice that refers to it."""
    await _invoice_in_qbo(world)
    world.put_all([_customer(phone="555-0142"), _invoice(memo="Thank you")])
    report = await world.pusher.push_dirty()
    assert [(r.record_type, r.outcome) for r in report.results] == [
        ("customer", "updated"),
        ("invoice", "updated"),
    ]
    customer = world.read("Customer", _qbo_id(world, "customer", "c1"))
    assert customer["PrimaryPhone"]["FreeFormNumber"] == "555-0142"


async def test_syncro_zero_invoice_syncs_only_when_enabled(world: World) -> None:
    """A $0 invoice is skipped unless sync_zero_invoices is on."""
    free = (ItemLine(item_id="svc", quantity=Decimal(1), unit_price=Decimal(0)),)
    world.put_all([_customer(), _machining(), _invoice(lines=free)])
    skipped = await world.pusher.push("invoice", "inv1")
    assert skipped.outcome == "skipped" and world.objects("Invoice") == []
    world.with_settings(TenantSettings(sync_zero_invoices=True))
    world.records.mark_dirty(tenant_id=TENANT, record_type="invoice", app_id="inv1")
    invoice = await _pushed(world, "invoice", "inv1")
    assert money(invoice["TotalAmt"]) == 0


async def test_syncro_an_updated_product_updates_its_item(world: World) -> None:
    """A product changed in the app: one sparse update of the same QBO item."""
    world.put(_part())
    first = await _pushed(world, "item", "p1")
    writes = len(world.writes())
    world.put(_part(sales_price="24.00"))
    updated = await _pushed(world, "item", "p1")
    assert updated["Id"] == first["Id"] and money(updated["UnitPrice"]) == Decimal("24.00")
    assert len(world.writes()) == writes + 1


async def test_syncro_changed_invoice_and_payment_dates_update_qbo(world: World) -> None:
    """What Syncro's "Force Update" re-sends: a changed date updates the QBO document."""
    await _invoice_in_qbo(world)
    world.put(_payment("pay1", "300.00", ("inv1", "300.00")))
    await _pushed(world, "payment", "pay1")
    world.put_all(
        [
            _invoice(invoice_date=date(2026, 3, 4)),
            _payment("pay1", "300.00", ("inv1", "300.00"), payment_date=date(2026, 3, 11)),
        ]
    )
    report = await world.pusher.push_dirty()
    assert [r.outcome for r in report.results] == ["updated", "updated"]
    assert world.read("Invoice", _qbo_id(world, "invoice", "inv1"))["TxnDate"] == "2026-03-04"
    assert world.read("Payment", _qbo_id(world, "payment", "pay1"))["TxnDate"] == "2026-03-11"


async def test_syncro_partial_payments_complete_an_invoice(world: World) -> None:
    """Two payments complete one invoice: the Balance drops with each."""
    invoice_id = await _invoice_in_qbo(world)
    world.put(_payment("pay1", "120.00", ("inv1", "120.00")))
    await _pushed(world, "payment", "pay1")
    assert money(world.read("Invoice", invoice_id)["Balance"]) == Decimal("180.00")
    world.put(_payment("pay2", "180.00", ("inv1", "180.00"), payment_date=date(2026, 3, 20)))
    await _pushed(world, "payment", "pay2")
    assert money(world.read("Invoice", invoice_id)["Balance"]) == 0


async def test_syncro_overpayment_beyond_the_invoice_leaves_credit(world: World) -> None:
    """A payment greater than the invoice, applied to it in full: the invoice is paid and
    the excess stays with the customer as credit (never over-applied)."""
    invoice_id = await _invoice_in_qbo(world, hours=1)
    world.put(_payment("pay1", "150.00", ("inv1", "150.00")))
    payment = await _pushed(world, "payment", "pay1")
    assert [money(li["Amount"]) for li in payment["Line"]] == [Decimal("100.00")]
    assert money(payment["UnappliedAmt"]) == Decimal("50.00")
    assert money(world.read("Invoice", invoice_id)["Balance"]) == 0


# -- Inventory Mate ---------------------------------------------------------------------------
async def test_inventory_mate_items_linked_by_name_not_duplicated(world: World) -> None:
    """A PO's product that QBO already has (other case) is linked, not created again."""
    expense = _named(world, "Account", "Cost of Goods Sold")[0]["Id"]
    existing = await world.qbo.items.create(
        {"Name": "FLANGE", "Type": "NonInventory", "ExpenseAccountRef": {"value": expense}}
    )
    world.put_all([_supplier(), _part(), _order()])
    po = await _pushed(world, "purchase_order", "po1")
    [line] = po["Line"]
    assert line["ItemBasedExpenseLineDetail"]["ItemRef"]["value"] == existing["Id"]
    assert _qbo_id(world, "item", "p1") == existing["Id"]
    assert [i["Id"] for i in world.objects("Item") if i["Name"].lower() == "flange"] == [
        existing["Id"]
    ]


async def test_inventory_mate_saved_po_updates_the_same_qbo_purchase_order(world: World) -> None:
    """The link is kept: saving the PO again updates that QBO PO (SyncToken rules)."""
    world.with_settings(TenantSettings(doc_number_templates={"purchase_order": "PO-{number}"}))
    world.put_all([_supplier(), _part(), _order()])
    first = await _pushed(world, "purchase_order", "po1")
    world.put(_order(memo="Call before delivery"))
    result = await world.pusher.push("purchase_order", "po1")
    assert result.outcome == "updated" and result.qbo_id == first["Id"]
    [po] = world.objects("PurchaseOrder")
    assert (po["DocNumber"], po["Memo"]) == ("PO-1042", "Call before delivery")
    assert int(po["SyncToken"]) == int(first["SyncToken"]) + 1


async def test_inventory_mate_unlinked_po_with_a_known_docnumber_is_reattached(
    world: World,
) -> None:
    """The link lost, a QBO PO with the same DocNumber is re-attached and updated."""
    world.with_settings(TenantSettings(doc_number_templates={"purchase_order": "PO-{number}"}))
    world.put_all([_supplier(), _part(), _order()])
    first = await _pushed(world, "purchase_order", "po1")
    world.links.unlink(tenant_id=TENANT, record_type="purchase_order", app_id="po1")
    world.put(_order(memo="Re-sent"))
    result = await world.pusher.push("purchase_order", "po1")
    assert result.outcome == "linked" and result.qbo_id == first["Id"]
    [po] = world.objects("PurchaseOrder")
    assert po["Memo"] == "Re-sent"


async def test_inventory_mate_cost_line_posts_to_its_own_or_the_default_expense_account(
    world: World,
) -> None:
    """Cost rows are account-based lines: on the account they name, else po_cost_account."""
    lines = (
        PurchaseItemLine(item_id="p1", quantity=Decimal(2), unit_cost=Decimal("6.50")),
        CostLine(
            description="Freight", amount=Decimal("40.00"), account="Shipping, Freight & Delivery"
        ),
        CostLine(description="Hazmat fee", amount=Decimal("12.00")),
    )
    world.put_all([_supplier(), _part(), _order(lines=lines)])
    po = await _pushed(world, "purchase_order", "po1")
    accounts = [
        world.read("Account", li["AccountBasedExpenseLineDetail"]["AccountRef"]["value"])["Name"]
        for li in po["Line"]
        if li["DetailType"] == "AccountBasedExpenseLineDetail"
    ]
    assert accounts == ["Shipping, Freight & Delivery", "Uncategorized Expense"]
    assert money(po["TotalAmt"]) == Decimal("65.00")


# -- inventory levels, bills of received orders, payment methods, creation times ------------
async def test_startproto_inventory_level_change_is_an_inventory_adjustment(world: World) -> None:
    """A new quantity on hand in the app reaches QBO as an InventoryAdjustment of the
    difference, once."""
    # the start date is the item's inventory start date, before the level's date
    world.with_settings(TenantSettings(sync_start_date=date(2026, 1, 1)))
    world.put(_part(kind="inventory", quantity_on_hand=Decimal(12)))
    await _pushed(world, "item", "p1")
    as_of = datetime(2026, 3, 5, 17, tzinfo=UTC)
    world.put(InventoryLevel(id="lv1", item_id="p1", quantity_on_hand=Decimal(9), as_of=as_of))
    adjustment = await _pushed(world, "inventory_level", "lv1")
    [line] = adjustment["Line"]
    assert money(line["ItemAdjustmentLineDetail"]["QtyDiff"]) == -3
    assert money(world.read("Item", _qbo_id(world, "item", "p1"))["QtyOnHand"]) == 9
    world.records.mark_dirty(tenant_id=TENANT, record_type="inventory_level", app_id="lv1")
    await world.pusher.push_dirty()
    assert len(world.objects("InventoryAdjustment")) == 1


async def test_syncro_finished_purchase_order_becomes_a_linked_bill(world: World) -> None:
    """Ordered: no bill. Marked finished: one Bill linked to the PO, written once."""
    world.put_all([_supplier(), _part(), _order()])
    po_id = str((await _pushed(world, "purchase_order", "po1"))["Id"])
    assert world.objects("Bill") == []
    world.put(_order(status="finished"))
    await world.pusher.push_dirty()
    world.records.mark_dirty(tenant_id=TENANT, record_type="purchase_order", app_id="po1")
    await world.pusher.push_dirty()
    [bill] = world.objects("Bill")
    assert bill["LinkedTxn"] == [{"TxnId": po_id, "TxnType": "PurchaseOrder"}]
    assert money(bill["TotalAmt"]) == Decimal("52.00")


async def test_inventory_mate_gap_received_purchase_order_becomes_an_open_bill_that_closes_the_po(
    world: World,
) -> None:
    """What Inventory Mate leaves to "Copy to Bill" in QBO: an open Bill in Accounts Payable
    for the received order, and the order closed."""
    received = _order(status="received", received_date=date(2026, 3, 6))
    world.put_all([_supplier(), _part(), received])
    po_id = str((await _pushed(world, "purchase_order", "po1"))["Id"])
    [bill] = world.objects("Bill")
    assert money(bill["Balance"]) == money(bill["TotalAmt"]) == Decimal("52.00")
    assert world.read("Account", bill["APAccountRef"]["value"])["AccountType"] == (
        "Accounts Payable"
    )
    assert bill["TxnDate"] == "2026-03-06"
    assert world.read("PurchaseOrder", po_id)["POStatus"] == "Closed"


async def test_bpro_gap_missing_payment_method_is_created_when_allowed(world: World) -> None:
    """BPro asks for payment methods to be made by hand in QBO; with
    create_missing_payment_methods the first payment creates it, the next reuses it."""
    world.with_settings(TenantSettings(create_missing_payment_methods=True))
    await _invoice_in_qbo(world)
    world.put_all(
        [
            _payment("pay1", "100.00", ("inv1", "100.00"), method="Zelle"),
            _payment("pay2", "200.00", ("inv1", "200.00"), method="zelle"),
        ]
    )
    report = await world.pusher.push_dirty()
    assert [r.outcome for r in report.results] == ["created", "created"], report.failed
    [method] = _named(world, "PaymentMethod", "Zelle")
    assert {p["PaymentMethodRef"]["value"] for p in world.objects("Payment")} == {method["Id"]}


async def test_bpro_customer_and_job_created_before_the_start_date_are_not_synced(
    world: World,
) -> None:
    """Customers and jobs (projects) the app created before the sync start date are not
    synced on their own; one created on or after it is."""
    world.with_settings(
        TenantSettings(sync_start_date=date(2026, 3, 1), customer_object="sub_customer_per_project")
    )
    before, after = datetime(2026, 2, 27, 9, tzinfo=UTC), datetime(2026, 3, 1, 9, tzinfo=UTC)
    world.put_all(
        [
            _customer(created_at=before),
            Customer(id="c2", name="Fresh Tooling", created_at=after),
            Project(id="pr1", customer_id="c2", name="Gearbox", created_at=before),
        ]
    )
    for record_type, app_id in (("customer", "c1"), ("project", "pr1")):
        skipped = await world.pusher.push(record_type, app_id)
        assert skipped.outcome == "skipped" and skipped.message is not None
        assert "before the sync start date 2026-03-01" in skipped.message
    assert (await world.pusher.push("customer", "c2")).outcome == "created"
    assert [c["DisplayName"] for c in world.objects("Customer")] == ["Fresh Tooling"]
