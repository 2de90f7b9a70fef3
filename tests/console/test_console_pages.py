"""What each console page shows and does, against the emulator (runs drained by the test).

Integrations (connect through the consent page, the OAuth state bound to the browser,
Enable / Disable, Disconnect, Reconnect), Settings (the company's lists in the drop-downs,
problems at their fields, nothing saved until they are fixed, someone else's save not
overwritten), Records (push, bulk, skip, relink), the Error queue (grouped, what to do, the
intuit_tid, retry) and Activity and the Dashboard.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from consolekit import Console, csrf_of

from ledgerbridge.model import Customer, Invoice, Item, ItemLine

pytestmark = pytest.mark.anyio

SHOP = "/t/shop"


async def _shop(console: Console, *, connect: bool = True) -> str:
    """The tenant ``shop`` with its owner logged in, connected through the console."""
    key = await console.shop("shop")
    await console.login("shop-owner")
    if connect:
        page = await console.connect("shop", "Shop Company")
        assert "Connected to Shop Company." in page.text
    return key


async def _put(console: Console, key: str, *records: Any) -> None:
    for record in records:
        answer = await console.api.put("shop", key, record.model_dump(mode="json"))
        assert answer.status_code in (200, 201), answer.text


def _field(page: str, name: str) -> str:
    """The HTML of one settings field (its input and its messages), up to the next one."""
    found = re.search(rf'id="field-{name}">(.*?)(?:<div class="field|</section>)', page, re.S)
    assert found is not None, name
    return found.group(1)


async def test_connect_shows_the_company_and_the_connection(console: Console) -> None:
    """After the consent page the Integrations page names the company, its environment and
    says the integration is on; the connection is stored for the tenant."""
    await _shop(console)
    page = await console.get(f"{SHOP}/integrations")
    assert "Shop Company" in page.text and "emulator" in page.text
    assert "Integration is on" in page.text
    services = console.api.services
    stored = services.runtime.connections.get(tenant_id="shop", environment="emulator")
    assert stored is not None and stored.company_name == "Shop Company"


async def test_a_callback_in_another_browser_does_not_connect(console: Console) -> None:
    """The state is bound to the session that clicked Connect: the same callback opened by
    another browser is refused (and leaves the flow to the first browser)."""
    await _shop(console, connect=False)
    console.api.emulator.create_company("Shop Company")
    started = await console.submit(f"{SHOP}/integrations", f"{SHOP}/integrations/connect")
    callback = await console.api.consent(started.headers["location"])
    async with console.another_browser():
        refused = await console.client.get(callback)
        assert refused.status_code in (303, 400)
        assert "connect=failed" in refused.headers.get("location", "connect=failed")
    assert (
        console.api.services.runtime.connections.get(tenant_id="shop", environment="emulator")
        is None
    )
    back = await console.follow(await console.client.get(callback))
    assert "Connected to Shop Company." in back.text


async def test_disable_holds_records_back_and_enable_lets_them_go(console: Console) -> None:
    """Disable: "Integration is off", and a push is refused saying why; Enable: it runs."""
    key = await _shop(console)
    await _put(console, key, Customer(id="c1", name="Acme Tooling"))
    off = await console.follow(
        await console.submit(
            f"{SHOP}/integrations", f"{SHOP}/integrations/sync", {"enabled": "false"}
        )
    )
    assert "Integration is off" in off.text
    assert console.settings("shop").sync_enabled is False
    refused = await console.follow(
        await console.submit(f"{SHOP}/records/customer", f"{SHOP}/records/customer/c1/push")
    )
    assert "Sync is off for this shop" in refused.text
    assert console.api.services.runtime.runs.list(tenant_id="shop") == []
    await console.submit(f"{SHOP}/integrations", f"{SHOP}/integrations/sync", {"enabled": "true"})
    pushed = await console.follow(
        await console.submit(f"{SHOP}/records/customer", f"{SHOP}/records/customer/c1/push")
    )
    assert "Sync requested (manual run)" in pushed.text


async def test_disconnect_says_why_and_reconnect_restores(console: Console) -> None:
    """Disconnect shows the reason and a Reconnect button; Reconnect goes through the
    consent page again and the connection is live."""
    await _shop(console)
    page = await console.follow(
        await console.submit(f"{SHOP}/integrations", f"{SHOP}/integrations/disconnect")
    )
    assert "Disconnected from Shop Company" in page.text
    assert "Disconnected by shop-owner" in page.text
    assert ">Reconnect</button>" in page.text
    again = await console.connect("shop", "Shop Company 2")
    assert "Integration is on" in again.text


async def test_settings_list_the_companys_accounts_and_refuse_what_it_lacks(
    console: Console,
) -> None:
    """The refund account drop-down offers the company's bank accounts; a name QuickBooks
    lacks is refused at its field with the closest choices, and nothing is saved; a good one
    is saved as version 1 by the user."""
    await _shop(console)
    page = await console.get(f"{SHOP}/settings")
    assert '<option value="Checking">Checking</option>' in _field(page.text, "refund_account")
    form = _settings_form(page.text)
    form["refund_account"] = "Chequeing"
    refused = await console.client.post(f"/console{SHOP}/settings", data=form)
    assert refused.status_code == 422
    field = _field(refused.text, "refund_account")
    assert "QuickBooks has no account named &#39;Chequeing&#39;" in field
    assert "Checking" in field
    assert console.api.services.runtime.settings_store.current(tenant_id="shop") is None
    form["refund_account"] = "Checking"
    form["doc_number_templates.purchase_order"] = "PO-{number}"
    saved = await console.follow(await console.client.post(f"/console{SHOP}/settings", data=form))
    assert "Settings saved as version 1" in saved.text
    assert console.settings("shop").refund_account == "Checking"
    assert console.settings("shop").doc_number_templates == {"purchase_order": "PO-{number}"}
    version = console.api.services.runtime.settings_store.current(tenant_id="shop")
    assert version is not None and version.created_by == "shop-owner"


async def test_a_malformed_setting_is_named_at_its_field(console: Console) -> None:
    """A DocNumber template without {number} and a schedule that is not a number: each is
    refused at its own field."""
    await _shop(console)
    form = _settings_form((await console.get(f"{SHOP}/settings")).text)
    form["doc_number_templates.invoice"] = "INV-"
    form["schedule_minutes"] = "soon"
    refused = await console.client.post(f"/console{SHOP}/settings", data=form)
    assert refused.status_code == 422
    assert "{number}" in _field(refused.text, "doc_number_templates")
    assert "not a whole number" in _field(refused.text, "schedule_minutes")
    assert console.api.services.runtime.settings_store.current(tenant_id="shop") is None


async def test_a_save_on_an_old_version_does_not_overwrite_a_newer_one(console: Console) -> None:
    """Two people edit the settings; the second save is refused and says so."""
    await _shop(console)
    first = _settings_form((await console.get(f"{SHOP}/settings")).text)
    second = dict(first)
    first["sync_zero_invoices"] = "true"
    await console.client.post(f"/console{SHOP}/settings", data=first)
    second["refund_account"] = "Checking"
    page = await console.follow(await console.client.post(f"/console{SHOP}/settings", data=second))
    assert "Someone saved the settings while you were editing them" in page.text
    assert console.settings("shop").refund_account is None
    assert console.settings("shop").sync_zero_invoices is True


async def test_settings_without_a_connection_say_so_and_still_save(console: Console) -> None:
    """Not connected: the page says the lists cannot be read, the inputs are plain text, and
    a save is checked for shape only."""
    await _shop(console, connect=False)
    page = await console.get(f"{SHOP}/settings")
    assert "QuickBooks is not connected, so the drop-downs" in page.text
    form = _settings_form(page.text)
    form["refund_account"] = "Petty Cash"
    saved = await console.follow(await console.client.post(f"/console{SHOP}/settings", data=form))
    assert "They were not checked against QuickBooks" in saved.text
    assert console.settings("shop").refund_account == "Petty Cash"


async def test_push_then_the_row_shows_synced_with_its_quickbooks_id(console: Console) -> None:
    """A pushed record is a manual run; once it ran, its row says synced and names its
    QuickBooks object; the others still wait."""
    key = await _shop(console)
    await _put(
        console, key, Customer(id="c1", name="Acme Tooling"), Customer(id="c2", name="Bolt & Nut")
    )
    page = await console.get(f"{SHOP}/records/customer")
    assert "waiting to sync" in _row(page.text, "c1") and "waiting to sync" in _row(page.text, "c2")
    await console.submit(f"{SHOP}/records/customer", f"{SHOP}/records/customer/c1/push")
    (run,) = console.api.services.runtime.runs.list(tenant_id="shop")
    assert (run.trigger, run.records) == ("manual", (("customer", "c1"),))
    live = await console.get(f"{SHOP}/records/customer")
    assert 'hx-trigger="every 1s"' in live.text  # the table follows the open run
    await console.api.drain("shop")
    page = await console.get(f"{SHOP}/records/customer")
    row = _row(page.text, "c1")
    assert "synced" in row and re.search(r"Customer\s+<span class=\"mono\">\d+</span>", row)
    assert "waiting to sync" in _row(page.text, "c2")
    assert 'hx-trigger="every 1s"' not in page.text


async def test_bulk_actions_push_and_skip_a_selection(console: Console) -> None:
    """Push selected is one bulk run of the chosen records; Skip selected leaves them out."""
    key = await _shop(console)
    await _put(console, key, *(Customer(id=f"c{n}", name=f"Customer {n}") for n in range(3)))
    page = f"{SHOP}/records/customer"
    await console.submit(page, f"{page}/bulk", {"action": "push", "selected": ["c0", "c1"]})
    (run,) = console.api.services.runtime.runs.list(tenant_id="shop")
    assert run.trigger == "bulk" and set(run.records or ()) == {
        ("customer", "c0"),
        ("customer", "c1"),
    }
    skipped = await console.follow(
        await console.submit(page, f"{page}/bulk", {"action": "skip", "selected": ["c2"]})
    )
    assert "Skipped 1 record." in skipped.text
    assert "skipped" in _row(skipped.text, "c2")
    nothing = await console.follow(await console.submit(page, f"{page}/bulk", {"action": "push"}))
    assert "Select at least one record first." in nothing.text


async def test_relink_checks_the_object_in_quickbooks(console: Console) -> None:
    """Relink to an Id QuickBooks lacks: refused at the field; to a customer someone made in
    QuickBooks: linked, and the push updates that customer instead of making another."""
    key = await _shop(console)
    await _put(console, key, Customer(id="c1", name="Acme Tooling"))
    realm = console.api.services.runtime.connections.get(tenant_id="shop", environment="emulator")
    assert realm is not None
    made = console.api.emulator.ledger(realm.realm_id).create("Customer", {"DisplayName": "ACME"})
    path = f"{SHOP}/records/customer/c1/relink"
    refused = await console.submit(path, path, {"qbo_id": "999"})
    assert refused.status_code == 422
    assert "QuickBooks has no Customer with Id 999." in refused.text
    linked = await console.follow(await console.submit(path, path, {"qbo_id": made["Id"]}))
    assert f"Linked c1 to QuickBooks Id {made['Id']}" in linked.text
    await console.api.drain("shop")
    customers = console.api.emulator.company(realm.realm_id).objects["Customer"]
    assert customers[made["Id"]]["DisplayName"] == "Acme Tooling"
    assert [c["DisplayName"] for c in customers.values()].count("Acme Tooling") == 1


async def test_the_error_queue_groups_says_what_to_do_and_retries(console: Console) -> None:
    """QuickBooks refuses an invoice (books closed): the queue shows one group with QBO's
    code, what to do and the intuit_tid, and the navigation counts it; Retry all sends it
    again and the queue empties."""
    key = await _shop(console)
    await _put(
        console,
        key,
        Customer(id="c1", name="Acme Tooling"),
        Item(id="i1", name="Bracket", kind="service", sales_price=Decimal("12.50")),
        Invoice(
            id="inv1",
            customer_id="c1",
            number="1001",
            invoice_date=date(2026, 1, 5),
            lines=(ItemLine(item_id="i1", unit_price=Decimal("12.50")),),
        ),
    )
    console.api.emulator.faults.arm("books_closed", method="POST", path="/invoice$")
    await console.submit(f"{SHOP}/records/invoice", f"{SHOP}/records/invoice/inv1/push")
    await console.api.drain("shop")
    queue = await console.get(f"{SHOP}/errors")
    assert queue.text.count('data-group="') == 1
    assert "QuickBooks error 6210" in queue.text
    assert "move the closing date in QuickBooks" in queue.text
    link = console.api.services.runtime.links.get(
        tenant_id="shop", record_type="invoice", app_id="inv1"
    )
    assert link is not None and link.last_intuit_tid
    assert link.last_intuit_tid in queue.text
    assert re.search(r'Error queue <span class="pill failed">1</span>', queue.text)
    retried = await console.follow(await console.submit(f"{SHOP}/errors", f"{SHOP}/errors/retry"))
    assert "Sync requested (manual run)" in retried.text
    await console.api.drain("shop")
    assert "Nothing is waiting" in (await console.get(f"{SHOP}/errors")).text
    assert "synced" in _row((await console.get(f"{SHOP}/records/invoice")).text, "inv1")


async def test_activity_and_dashboard_show_the_runs_and_the_writes(console: Console) -> None:
    """Activity: a queued run live with its trigger, then in the list with its counts; the
    dashboard draws the minute's writes and the ceiling, and the backlog empties."""
    key = await _shop(console)
    await _put(console, key, *(Customer(id=f"c{n}", name=f"Customer {n}") for n in range(4)))
    before = await console.get(f"{SHOP}/dashboard")
    assert "Records waiting per type: Customers 4" in before.text
    await console.submit(f"{SHOP}/activity", f"{SHOP}/activity/sync")
    live = await console.get(f"{SHOP}/activity/live")
    assert 'class="card run-live"' in live.text and "Everything waiting" in live.text
    assert 'hx-trigger="every 1s"' in live.text
    await console.api.drain("shop")
    page = await console.get(f"{SHOP}/activity")
    assert "run-live" not in page.text and 'hx-trigger="every 5s"' in page.text
    row = re.search(r'<tr data-run="[^"]+">(.*?)</tr>', page.text, re.S)
    assert row is not None and "bulk" in row.group(1) and "succeeded" in row.group(1)
    board = await console.get(f"{SHOP}/dashboard")
    assert "QuickBooks&#39; limit" in board.text or "QuickBooks' limit" in board.text
    assert re.search(r"<title>\d\d:\d\d succeeded: 4</title>", board.text)
    assert "Nothing waits" in board.text


def _row(page: str, app_id: str) -> str:
    found = re.search(rf'<tr id="record-{app_id}".*?</tr>', page, re.S)
    assert found is not None, app_id
    return found.group(0)


def _settings_form(page: str) -> dict[str, Any]:
    """The settings form's fields as the page fills them (what a browser would post)."""
    data: dict[str, Any] = {"csrf_token": csrf_of(page)}
    version = re.search(r'name="expected_version" value="([^"]*)"', page)
    data["expected_version"] = version.group(1) if version else ""
    for name in ("enabled_types",):
        data[name] = re.findall(rf'name="{name}" value="([^"]+)" checked', page)
    for name, value in re.findall(
        r'<select name="([a-z_]+)" id="f-[a-z_]+">.*?<option value="([^"]*)" selected', page, re.S
    ):
        data[name] = value
    for name, value in re.findall(
        r'<input type="text" id="f-[^"]+" name="([a-z_]+)" value="([^"]*)"', page
    ):
        data[name] = value
    return data
