"""The console in a real browser, as a shop owner uses it: one session, start to finish.

Log in; connect through the emulator's consent page; change a setting; push a record and
watch its status change; provoke an error through the emulator's fault API and retry it from
the error queue; sync everything and watch the run's progress; read the dashboard. Each step
leaves a screenshot of its page when ``LEDGERBRIDGE_SCREENSHOTS`` names a directory
(``make screenshots``).

The deployment is served for real (the emulator and the web app on loopback ports, job
consumer threads running the syncs); Chromium is Debian's (``browserkit``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browserkit import (
    COMPANY,
    MISSING,
    TENANT,
    USER,
    Deployment,
    chromium,
    screenshot,
    served_deployment,
)

from console.consolekit import PASSWORD

pytestmark = [pytest.mark.integration, pytest.mark.skipif(MISSING is not None, reason=str(MISSING))]

#: how long a step may take to show its result (a sync runs on a consumer thread)
WAIT_MS = 15_000


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    with served_deployment(tmp_path_factory.mktemp("console")) as served:
        yield served


@pytest.fixture(scope="module")
def page(deployment: Deployment) -> Iterator[Any]:
    """One browser page for the whole flow (steps run in order, each on the last one's
    state)."""
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 860})
        context.set_default_timeout(WAIT_MS)
        yield context.new_page()
        context.close()


def _status(page: Any, app_id: str) -> Any:
    return page.locator(f'tr[data-record="{app_id}"] [data-testid="status"]')


def test_1_log_in(page: Any, deployment: Deployment) -> None:
    """A wrong password is refused with a sentence; the right one opens the shop's console."""
    page.goto(f"{deployment.console}/t/{TENANT}/records")
    assert "/console/login" in page.url
    screenshot(page, "01-login")
    page.fill("#username", USER)
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    assert page.get_by_role("alert").inner_text().startswith("The user name or the password")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(rf"/console/t/{TENANT}/records/customer$"))


def test_2_connect_through_the_consent_page(page: Any, deployment: Deployment) -> None:
    """Connect sends the browser to Intuit's (the emulator's) consent page; choosing the
    company and Connect brings it back connected, with the company's name."""
    page.goto(f"{deployment.console}/t/{TENANT}/integrations")
    page.get_by_role("button", name="Connect to QuickBooks").click()
    page.wait_for_url(re.compile(r"/connect/oauth2"))
    assert "wants to connect to your QuickBooks company" in page.content()
    page.get_by_label(re.compile(COMPANY)).check()
    page.get_by_role("button", name="Connect", exact=True).click()
    page.wait_for_url(re.compile(rf"/console/t/{TENANT}/integrations"))
    assert page.get_by_test_id("company-name").inner_text() == COMPANY
    assert "Integration is on" in page.inner_text("main")
    screenshot(page, "02-integrations")


def test_3_change_a_setting(page: Any) -> None:
    """The refund account drop-down lists the company's bank accounts; saving it makes a new
    settings version, shown after the save."""
    page.get_by_role("link", name="Settings").click()
    refund = page.locator("#f-refund_account")
    assert "Checking" in refund.inner_text()
    refund.select_option("Checking")
    page.get_by_role("button", name="Check and save").click()
    assert "Settings saved as version 1" in page.get_by_role("status").first.inner_text()
    assert page.locator("#f-refund_account").input_value() == "Checking"
    screenshot(page, "03-settings")


def test_4_push_a_record_and_watch_its_status(page: Any) -> None:
    """Push on one customer: the row says it waits, then (without a reload) that it is
    synced, with its QuickBooks Id."""
    page.get_by_role("link", name="Records").click()
    row = page.locator("#records-body tr").first
    app_id = row.get_attribute("data-record")
    assert "waiting to sync" in _status(page, app_id).inner_text()
    row.get_by_role("button", name="Push").click()
    status = _status(page, app_id)
    # generous: in CI, pushes that coincided with the periodic jobs (minute :00, :20) have
    # taken more than 15 s twice (not understood yet); here it takes about 2 s
    status.filter(has_text="synced").wait_for(timeout=45_000)
    assert re.search(r"Customer \d+", row.inner_text())
    screenshot(page, "04-records")


def test_5_an_error_from_quickbooks_is_shown_and_retried(page: Any, deployment: Deployment) -> None:
    """QuickBooks refuses an invoice (books closed, by the emulator's fault API): the error
    queue groups it with what to do and the intuit_tid; Retry all sends it again."""
    deployment.fault(kind="books_closed", method="POST", path="/invoice$", count=1)
    page.goto(page.url.rsplit("/records/", 1)[0] + "/records/invoice")
    app_id = page.locator("#records-body tr").first.get_attribute("data-record")
    page.locator(f'tr[data-record="{app_id}"]').get_by_role("button", name="Push").click()
    _status(page, app_id).filter(has_text="failed").wait_for(timeout=45_000)
    page.get_by_role("link", name=re.compile("Error queue")).click()
    group = page.locator("[data-group]").first
    assert "6210" in group.inner_text()
    assert "What to do" in group.inner_text()
    assert group.locator(".tid").count() >= 1
    screenshot(page, "05-errors")
    page.get_by_role("button", name=re.compile(r"Retry all")).click()
    page.get_by_role("link", name="Records").click()
    page.goto(page.url.rsplit("/records/", 1)[0] + "/records/invoice")
    _status(page, app_id).filter(has_text="synced").wait_for(timeout=45_000)
    page.get_by_role("link", name=re.compile("Error queue")).click()
    assert "Nothing is waiting" in page.inner_text("main")


def test_6_a_bulk_sync_shows_its_progress(page: Any, deployment: Deployment) -> None:
    """Sync everything: the Activity page shows the run live (htmx), then its counts."""
    # slow enough to see the run going on a loaded machine: a batch of 30 takes 3.1 s
    deployment.configure_emulator(latency_ms=100, batch_item_latency_ms=100)
    page.get_by_role("link", name="Activity").click()
    page.get_by_role("button", name="Sync everything pending").click()
    live = page.locator(".run-live").first
    try:
        live.get_by_text(re.compile(r"^[1-9]\d* of \d+ done")).wait_for(timeout=30_000)
    except Exception as error:  # say what the page showed instead
        raise AssertionError(
            f"no progress shown; the page said: {page.inner_text('main')}"
        ) from error
    screenshot(page, "06-activity")
    live.wait_for(state="detached", timeout=90_000)
    deployment.configure_emulator(latency_ms=0, batch_item_latency_ms=0)
    first = page.locator("#runs tbody tr").first
    assert "bulk" in first.inner_text()
    assert first.locator(".pill").inner_text() in ("succeeded", "partial")


def test_7_dashboard(page: Any) -> None:
    """The dashboard draws writes per minute against the ceiling, and what waits."""
    page.get_by_role("link", name="Dashboard").click()
    chart = page.locator("svg.chart-columns")
    assert "QuickBooks' limit" in chart.inner_html()
    assert int(page.locator(".stat .value").first.inner_text()) > 0
    screenshot(page, "07-dashboard")


def test_screenshots_are_where_make_screenshots_puts_them() -> None:
    """``make screenshots`` writes every page's picture (nothing to check without it)."""
    from browserkit import SCREENSHOTS

    if not SCREENSHOTS:
        pytest.skip("LEDGERBRIDGE_SCREENSHOTS is not set (make screenshots sets it)")
    names = sorted(p.name for p in Path(SCREENSHOTS).glob("0*.png"))
    assert len(names) == 7, names
