"""The initial import at setup: QBO customers and items come into the app, linked not doubled."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from inboundkit import Harness, by_qbo, open_harness
from pushkit import TENANT

from ledgerbridge.model import Customer, Item
from ledgerbridge.store import Database

pytestmark = pytest.mark.anyio


@pytest.fixture
async def harness(database: Database) -> AsyncIterator[Harness]:
    async with open_harness(database) as opened:
        yield opened


def _seed_company(harness: Harness) -> dict[str, dict[str, object]]:
    """A company as a bookkeeper left it: customers, a sub-customer, items, a category."""
    qbo = harness.create_in_qbo
    acme = qbo("Customer", {"DisplayName": "ACME   Tooling", "CompanyName": "Acme Tooling LLC"})
    beta = qbo(
        "Customer",
        {
            "DisplayName": "Beta Fabrication",
            "GivenName": "Jane",
            "FamilyName": "Doe",
            "PrimaryEmailAddr": {"Address": "jane@beta.example"},
            "PrimaryPhone": {"FreeFormNumber": "555-0100"},
            "BillAddr": {"Line1": "1 Mill Rd", "City": "Dayton", "PostalCode": "45402"},
        },
    )
    gamma = qbo("Customer", {"DisplayName": "Gamma Works"})
    job = qbo(
        "Customer",
        {"DisplayName": "Gamma Works - Line 2", "Job": True, "ParentRef": {"value": gamma["Id"]}},
    )
    category = qbo("Item", {"Name": "Fasteners", "Type": "Category"})
    accounts = harness.world.objects("Account")
    income = next(a for a in accounts if a["Name"] == "Sales of Product Income")
    cogs = next(a for a in accounts if a["Name"] == "Cost of Goods Sold")
    asset = next(a for a in accounts if a["Name"] == "Inventory Asset")
    bolt = qbo(
        "Item",
        {
            "Name": "Hex Bolt M8",
            "Type": "Inventory",
            "Sku": "HB-M8",
            "UnitPrice": Decimal("0.35"),
            "PurchaseCost": Decimal("0.12"),
            "TrackQtyOnHand": True,
            "QtyOnHand": 1200,
            "InvStartDate": "2026-01-01",
            "IncomeAccountRef": {"value": income["Id"]},
            "ExpenseAccountRef": {"value": cogs["Id"]},
            "AssetAccountRef": {"value": asset["Id"]},
            "SubItem": True,
            "ParentRef": {"value": category["Id"]},
        },
    )
    return {"acme": acme, "beta": beta, "gamma": gamma, "job": job, "bolt": bolt}


async def test_import_links_matching_app_records_and_imports_the_rest(harness: Harness) -> None:
    """An app customer named like a QBO one is linked to it; the others become QBO-owned
    records with the primary contact, selling price and starting quantity, and are published."""
    qbo = _seed_company(harness)
    harness.world.put(Customer(id="c-1", name="Acme Tooling"))
    harness.world.put(Item(id="i-9", name="Hours", kind="service"))

    report = await harness.sync.import_from_qbo(TENANT)

    acme_link = harness.world.link("customer", "c-1")
    assert acme_link is not None and acme_link.qbo_id == qbo["acme"]["Id"]
    assert acme_link.last_result == "waiting"  # the next push updates QBO's record
    assert harness.world.link("item", "i-9") is not None
    beta_id = f"qbo-customer-{qbo['beta']['Id']}"
    beta = harness.world.records.get(tenant_id=TENANT, record_type="customer", app_id=beta_id)
    assert beta is not None and not beta.dirty
    imported = Customer.model_validate(beta.payload)
    contact = imported.primary_contact
    assert contact is not None
    assert (contact.first_name, contact.last_name) == ("Jane", "Doe")
    assert contact.email == "jane@beta.example"
    assert imported.billing_address is not None and imported.billing_address.city == "Dayton"
    job = harness.world.records.get(
        tenant_id=TENANT, record_type="customer", app_id=f"qbo-customer-{qbo['job']['Id']}"
    )
    assert job is not None and job.payload["parent_id"] == f"qbo-customer-{qbo['gamma']['Id']}"
    bolt = harness.world.records.get(
        tenant_id=TENANT, record_type="item", app_id=f"qbo-item-{qbo['bolt']['Id']}"
    )
    assert bolt is not None
    item = Item.model_validate(bolt.payload)
    assert (item.sales_price, item.quantity_on_hand) == (Decimal("0.35"), Decimal(1200))
    assert (item.kind, item.sku, item.category) == ("inventory", "HB-M8", "Fasteners")
    kinds = [event.kind for event in harness.feed()]
    assert kinds.count("customer.linked") == 1 and kinds.count("item.linked") == 1
    assert kinds.count("customer.imported") == 3  # Beta, Gamma, Gamma's job
    assert kinds.count("item.imported") == 2  # Services (every new company has it), the bolt
    (beta_event,) = by_qbo(harness.feed("customer.imported"), "Customer", str(qbo["beta"]["Id"]))
    assert beta_event.app_id == beta_id and beta_event.data["record"]["name"] == "Beta Fabrication"
    assert report.count("failed") == 0


async def test_imported_records_are_never_pushed_back(harness: Harness) -> None:
    """The import writes nothing to QBO, and a push afterwards sends nothing for what QBO
    owns (the imported records are clean and linked at their hash)."""
    _seed_company(harness)
    writes_before = len(harness.world.writes())
    await harness.sync.import_from_qbo(TENANT)
    pushed = await harness.world.pusher.push_dirty()
    assert len(harness.world.writes()) == writes_before
    assert pushed.results == []


async def test_import_twice_adds_nothing(harness: Harness) -> None:
    """A second import finds every record linked already: no new record, link or event."""
    _seed_company(harness)
    harness.world.put(Customer(id="c-1", name="Acme Tooling"))
    await harness.sync.import_from_qbo(TENANT)
    events = len(harness.feed())
    again = await harness.sync.import_from_qbo(TENANT)
    assert len(harness.feed()) == events
    assert again.count("already_linked") == 7  # 4 customers, the bolt, Services, Hours
    assert again.count("applied") == 0


async def test_two_app_records_of_one_name_link_once(harness: Harness) -> None:
    """Of two app customers named alike, the first by app id is linked; one QBO record is
    never linked twice."""
    qbo = _seed_company(harness)
    harness.world.put(Customer(id="c-2", name="acme tooling"))
    harness.world.put(Customer(id="c-1", name="Acme Tooling"))
    await harness.sync.import_from_qbo(TENANT)
    first, second = harness.world.link("customer", "c-1"), harness.world.link("customer", "c-2")
    assert first is not None and first.qbo_id == qbo["acme"]["Id"]
    assert second is None


async def test_import_pages_through_large_lists_with_queries_only(harness: Harness) -> None:
    """1,500 customers come in with paged queries (1,000 a page), never a read per record."""
    ledger = harness.world.emulator.ledger(harness.realm_id)
    for number in range(1500):
        ledger.create("Customer", {"DisplayName": f"Customer {number:04d}"})
    log_before = len(list(harness.world.emulator.request_log(harness.realm_id)))
    started = time.perf_counter()
    report = await harness.sync.import_from_qbo(TENANT)
    elapsed = time.perf_counter() - started
    requests = list(harness.world.emulator.request_log(harness.realm_id))[log_before:]
    assert all(request["path"].endswith("/query") for request in requests)
    assert len(requests) == 3  # customers: 1,000 + 500; items: one page
    assert report.count("customer.imported") == 1500
    assert elapsed < 30, f"the import of 1,500 customers took {elapsed:.1f} s"


async def test_import_starts_the_cdc_bookmark(harness: Harness) -> None:
    """After the import, the CDC back-stop resumes from the import, not from its first poll."""
    await harness.sync.import_from_qbo(TENANT)
    connection = harness.access.connection(TENANT)
    bookmark = harness.inbound.bookmark(connection.id)
    assert bookmark is not None and bookmark.realm_id == harness.realm_id
    created = harness.create_in_qbo("Customer", {"DisplayName": "Made After Setup"})
    report = await harness.sync.poll_changes(TENANT)
    assert not report.first_run
    assert [e.qbo_id for e in harness.feed("qbo.changed")] == [created["Id"]]
