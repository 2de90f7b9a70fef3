"""The console's smaller actions and signs, against the emulator (runs drained by the test).

The refresh-token and five-year-cap banners; retry and skip of one record, retry of a
selection and sync of a whole type; the dashboard's errors-by-code chart; the payment-method
and tax-code drop-downs filled from the company; links to a record's page in QuickBooks.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from consolekit import Console

from ledgerbridge.model import Customer, Vendor
from ledgerbridge.store import TokenGrant
from ledgerbridge.web import _service as service
from ledgerbridge.web.console._records import row_of

pytestmark = pytest.mark.anyio

SHOP = "/t/shop"
CUSTOMERS = f"{SHOP}/records/customer"
#: the API tests' deployment runs the emulator's clock 60 times faster than the wall's
SCALE = 60


async def _shop(console: Console) -> tuple[str, str]:
    """The tenant ``shop``, its owner logged in, connected; its key and realm id."""
    key = await console.shop("shop")
    await console.login("shop-owner")
    await console.connect("shop", "Shop Company")
    connection = console.api.services.runtime.connections.get(
        tenant_id="shop", environment="emulator"
    )
    assert connection is not None
    return key, connection.realm_id


async def _put(console: Console, key: str, *records: Any) -> None:
    for record in records:
        answer = await console.api.put("shop", key, record.model_dump(mode="json"))
        assert answer.status_code in (200, 201), answer.text


def _row(page: str, app_id: str) -> str:
    found = re.search(rf'<tr id="record-{app_id}".*?</tr>', page, re.S)
    assert found is not None, app_id
    return found.group(0)


def _names(console: Console, realm_id: str, entity: str = "Customer") -> list[str]:
    objects = console.api.emulator.company(realm_id).objects[entity].values()
    return [str(o.get("DisplayName", o.get("Name"))) for o in objects]


def _regrant(console: Console, realm_id: str, *, refresh: timedelta, cap: timedelta) -> None:
    """Store the connection again with tokens that end ``refresh`` and ``cap`` from now
    (company time: divided by the deployment's time scale)."""
    now = datetime.now(UTC)
    console.api.services.runtime.connections.save_connection(
        tenant_id="shop",
        environment="emulator",
        realm_id=realm_id,
        company_name="Shop Company",
        grant=TokenGrant(
            access_token="access",
            refresh_token="refresh",
            access_expires_at=now + timedelta(minutes=50),
            refresh_expires_at=now + refresh / SCALE,
            hard_expires_at=now + cap / SCALE,
        ),
    )


# -- banners ----------------------------------------------------------------------------------
async def test_a_refresh_token_near_its_end_shows_a_banner_far_from_it_none(
    console: Console,
) -> None:
    """Five company days of refresh token left: the Integrations page says so; a hundred
    days left: no banner."""
    _, realm_id = await _shop(console)
    _regrant(console, realm_id, refresh=timedelta(days=5, hours=1), cap=timedelta(days=1800))
    page = await console.get(f"{SHOP}/integrations")
    assert "The refresh token expires in 5 days." in page.text
    _regrant(console, realm_id, refresh=timedelta(days=100), cap=timedelta(days=1800))
    page = await console.get(f"{SHOP}/integrations")
    assert "refresh token expires in" not in page.text and "Reconnect soon" not in page.text


async def test_a_connection_near_intuits_five_year_cap_is_expiring(console: Console) -> None:
    """Ten company days before the cap: state ``expiring`` in the API, and the console
    asks for a reconnect naming the date."""
    key, realm_id = await _shop(console)
    _regrant(console, realm_id, refresh=timedelta(days=100), cap=timedelta(days=10))
    status = await console.api.client.get(
        "/api/v1/tenants/shop/connection", headers={"Authorization": f"Bearer {key}"}
    )
    assert status.json()["state"] == "expiring", status.text
    page = await console.get(f"{SHOP}/integrations")
    assert "Reconnect soon." in page.text
    assert "Intuit&#39;s 5-year limit" in page.text or "Intuit's 5-year limit" in page.text


# -- record actions ---------------------------------------------------------------------------
async def test_retry_of_one_failed_record_syncs_it(console: Console) -> None:
    """QuickBooks refuses the customer once; its row says failed with QBO's code; Retry
    sends it again and it is synced, once."""
    key, realm_id = await _shop(console)
    await _put(console, key, Customer(id="c1", name="Acme Tooling"))
    console.api.emulator.faults.arm("books_closed", count=1, realm_id=realm_id, path="/customer$")
    await console.submit(CUSTOMERS, f"{CUSTOMERS}/c1/push")
    await console.api.drain("shop")
    failed = _row((await console.get(CUSTOMERS)).text, "c1")
    assert "failed" in failed and "6210" in failed
    retried = await console.follow(await console.submit(CUSTOMERS, f"{CUSTOMERS}/c1/retry"))
    assert "Sync requested (manual run)" in retried.text
    await console.api.drain("shop")
    assert "synced" in _row((await console.get(CUSTOMERS)).text, "c1")
    assert _names(console, realm_id).count("Acme Tooling") == 1


async def test_skip_of_one_record_leaves_it_out_until_it_changes(console: Console) -> None:
    """Skip: the row says skipped, a sync of everything sends nothing for it; the app
    changes it and it waits to sync again."""
    key, realm_id = await _shop(console)
    await _put(console, key, Customer(id="c1", name="Acme Tooling"))
    skipped = await console.follow(await console.submit(CUSTOMERS, f"{CUSTOMERS}/c1/skip"))
    assert "Skipped 1 record." in skipped.text and "skipped" in _row(skipped.text, "c1")
    await console.submit(f"{SHOP}/activity", f"{SHOP}/activity/sync")
    await console.api.drain("shop")
    assert "Acme Tooling" not in _names(console, realm_id)
    await _put(console, key, Customer(id="c1", name="Acme Tooling Inc"))
    assert "waiting to sync" in _row((await console.get(CUSTOMERS)).text, "c1")


async def test_retry_of_a_selection_is_one_run_of_those_records(console: Console) -> None:
    """Two customers QuickBooks refused, one that never went: Retry selected on the two is
    one manual run of exactly them, and both are synced."""
    key, realm_id = await _shop(console)
    await _put(console, key, *(Customer(id=f"c{n}", name=f"Customer {n}") for n in range(3)))
    console.api.emulator.faults.arm(
        "books_closed", count=2, realm_id=realm_id, path="/(batch|customer)$"
    )
    await console.submit(
        CUSTOMERS, f"{CUSTOMERS}/bulk", {"action": "push", "selected": ["c0", "c1"]}
    )
    await console.api.drain("shop")
    await console.submit(
        CUSTOMERS, f"{CUSTOMERS}/bulk", {"action": "retry", "selected": ["c0", "c1"]}
    )
    latest = console.api.services.runtime.runs.list(tenant_id="shop")[0]
    assert latest.status == "queued" and set(latest.records or ()) == {
        ("customer", "c0"),
        ("customer", "c1"),
    }
    await console.api.drain("shop")
    page = (await console.get(CUSTOMERS)).text
    assert "synced" in _row(page, "c0") and "synced" in _row(page, "c1")
    assert "waiting to sync" in _row(page, "c2")


async def test_sync_of_a_type_sends_its_waiting_records_only(console: Console) -> None:
    """Sync customers: a bulk run of that type; the customers go, the vendor waits."""
    key, realm_id = await _shop(console)
    await _put(
        console,
        key,
        Customer(id="c1", name="Acme Tooling"),
        Customer(id="c2", name="Bolt & Nut"),
        Vendor(id="v1", name="Ryerson Steel"),
    )
    started = await console.follow(await console.submit(CUSTOMERS, f"{CUSTOMERS}/sync"))
    assert "Sync requested" in started.text
    [run] = console.api.services.runtime.runs.list(tenant_id="shop")
    assert run.record_types == frozenset({"customer"}) and run.records is None
    await console.api.drain("shop")
    assert sorted(_names(console, realm_id)) == ["Acme Tooling", "Bolt & Nut"]
    assert _names(console, realm_id, "Vendor") == []
    vendors = (await console.get(f"{SHOP}/records/vendor")).text
    assert "waiting to sync" in _row(vendors, "v1")


# -- dashboard and settings -------------------------------------------------------------------
async def test_the_dashboard_charts_failed_writes_by_error_code(console: Console) -> None:
    """Two customers refused with 6210: the chart's bar says QuickBooks 6210, 2."""
    key, realm_id = await _shop(console)
    await _put(console, key, *(Customer(id=f"c{n}", name=f"Customer {n}") for n in range(2)))
    console.api.emulator.faults.arm(
        "books_closed", count=2, realm_id=realm_id, path="/(batch|customer)$"
    )
    await console.submit(f"{SHOP}/activity", f"{SHOP}/activity/sync")
    await console.api.drain("shop")
    board = (await console.get(f"{SHOP}/dashboard")).text
    assert 'aria-label="Failed writes by error code: QuickBooks 6210 2"' in board


async def test_payment_method_and_tax_code_drop_downs_list_the_companys(
    console: Console,
) -> None:
    """The QuickBooks columns offer the company's payment methods and tax codes; a method
    added in QuickBooks is offered on the next visit."""
    _, realm_id = await _shop(console)
    page = (await console.get(f"{SHOP}/settings")).text
    methods = re.search(r'<select name="payment_methods.qbo">(.*?)</select>', page, re.S)
    taxes = re.search(r'<select name="tax_codes.value">(.*?)</select>', page, re.S)
    assert methods is not None and taxes is not None
    offered = re.findall(r'<option value="([^"]+)"', methods.group(1))
    assert offered == ["American Express", "Cash", "Check", "MasterCard", "Visa"]
    assert re.findall(r'<option value="([^"]+)"', taxes.group(1)) == ["NON", "TAX"]
    console.api.emulator.ledger(realm_id).create("PaymentMethod", {"Name": "Wire Transfer"})
    again = (await console.get(f"{SHOP}/settings")).text
    assert '<option value="Wire Transfer">Wire Transfer</option>' in again


@pytest.mark.parametrize(
    ("environment", "url"),
    [
        ("sandbox", "https://app.sandbox.qbo.intuit.com/app/customerdetail?nameId="),
        ("production", "https://app.qbo.intuit.com/app/customerdetail?nameId="),
        ("emulator", None),
    ],
)
async def test_a_synced_record_links_to_its_page_in_quickbooks(
    console: Console, environment: str, url: str | None
) -> None:
    """Sandbox and production companies get a link to QuickBooks' own page of the object;
    the emulator has no such page."""
    key, _ = await _shop(console)
    await _put(console, key, Customer(id="c1", name="Acme Tooling"))
    await console.submit(CUSTOMERS, f"{CUSTOMERS}/c1/push")
    await console.api.drain("shop")
    view = service.record(console.api.services, "shop", "customer", "c1")
    row = row_of(view, environment)
    assert row.qbo_id is not None
    assert row.qbo_url == (None if url is None else f"{url}{row.qbo_id}")
