"""``ledgerbridge demo --check``: the whole product on a small shop, and the check failing
when QuickBooks does not hold what the app sent.

The first test runs the command as ``make demo`` users do (a subprocess: the emulator in a
process of its own, the web app and its worker, the OAuth redirect flow, the sync, the check).
The others start the same stack in-process (``DemoStack``, what the command runs), sync it,
then change the company through the emulator's doors (an edit "in the QBO UI" through its
admin API, an invoice entered twice through the Accounting API) or the app's (a record put
after the sync), and run the command's check-and-report step on that world.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console

from ledgerbridge.cli._common import EXIT_REJECTED
from ledgerbridge.cli._demo import DEFAULT_TIME_SCALE, report_check
from ledgerbridge.cli._demo_check import SyncCheck
from ledgerbridge.cli._demo_stack import DEMO_TENANT, DemoOptions, DemoShop, DemoStack
from ledgerbridge.model import Invoice

pytestmark = pytest.mark.integration

#: small enough to sync in seconds, big enough for every type and relationship of the shop
RECORDS = 80
COLUMNS = ("type", "records", "in QBO", "duplicates", "wrong totals", "failed")


def row_of(output: str, name: str) -> list[str]:
    """The cells of the table row whose first cell is ``name``."""
    for line in output.splitlines():
        cells = [cell.strip() for cell in re.split(r"[│┃|]", line) if cell.strip()]
        if cells and cells[0] == name:
            return cells[1:]
    raise AssertionError(f"no row {name!r} in:\n{output}")


def test_demo_check_syncs_a_shop_and_passes(tmp_path: Path) -> None:
    """`demo --check` starts everything, connects, syncs, finds every record in QuickBooks
    once with the right totals, prints the table and exits 0, within a minute."""
    started = time.monotonic()
    done = subprocess.run(
        [
            *(sys.executable, "-m", "ledgerbridge", "demo", "--check"),
            *("--records", str(RECORDS), "--port", "0", "--data-dir", str(tmp_path / "demo")),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "120"},
        check=False,
    )
    took = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "through Intuit's consent page and the OAuth callback" in out
    assert all(column in out for column in COLUMNS)
    assert row_of(out, "total") == [str(RECORDS), str(RECORDS), "0", "0", "0"]
    assert row_of(out, "invoice")[2:] == ["0", "0", "0"]
    assert "OK: every record is in QuickBooks exactly once" in out
    assert took < 60, f"the demo took {took:.0f} s"
    assert (tmp_path / "demo" / "ledgerbridge.db").exists()  # --data-dir keeps it


# -- the check against a changed world ------------------------------------------------------------
@dataclass
class Synced:
    """A started demo stack whose shop is synced, and the ways into its company."""

    stack: DemoStack
    shop: DemoShop

    def api(self, method: str, path: str, **request: Any) -> dict[str, Any]:
        """The REST API with the tenant's key."""
        answer = httpx.request(
            method,
            f"{self.stack.web_url}/api/v1/tenants/{DEMO_TENANT}{path}",
            headers={"Authorization": f"Bearer {self.shop.tenant_key}"},
            timeout=30,
            **request,
        )
        assert answer.is_success, answer.text
        return dict(answer.json())

    def qbo_id(self, record_type: str, app_id: str) -> str:
        return str(self.api("GET", f"/records/{record_type}/{app_id}")["link"]["qbo_id"])

    def emulator(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """The emulator's admin API."""
        answer = httpx.post(f"{self.stack.emulator_url}/_emulator/{path}", json=body, timeout=30)
        assert answer.is_success, answer.text
        return dict(answer.json())

    def quickbooks(self) -> httpx.Client:
        """The Accounting API of the shop's company, as another app of the company would
        call it (a token of the emulator's, not ledgerbridge's)."""
        token = self.emulator(
            "tokens", {"client_id": self.stack.client_id, "realm_id": self.shop.realm_id}
        )["access_token"]
        return httpx.Client(
            base_url=f"{self.stack.emulator_url}/v3/company/{self.shop.realm_id}",
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=30,
        )

    def invoices(self) -> list[Invoice]:
        return [r for r in self.shop.records if isinstance(r, Invoice)]

    def check(self) -> tuple[SyncCheck, int, str]:
        """The command's check and report on the world as it is now: the check, the exit code
        ``--check`` would give, and what it printed."""
        console = Console(record=True, width=120)
        result = self.stack.check()
        code = report_check(console, result, took=0.0)
        return result, code, console.export_text()


def patiently(qbo: httpx.Client, method: str, path: str, **request: Any) -> httpx.Response:
    """A request to QuickBooks that waits out Intuit's limits (the check just read the
    company at full speed with the same app), as any client must."""
    for _ in range(10):
        answer = qbo.request(method, path, **request)
        if answer.status_code != 429:
            assert answer.status_code == 200, answer.text
            return answer
        time.sleep(float(answer.headers.get("Retry-After", "1")))
    raise AssertionError(f"{method} {path} stayed throttled")


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synced]:
    """A demo stack with its shop synced, and checked clean before any test changes it."""
    options = DemoOptions(
        records=RECORDS,
        seed=11,
        time_scale=DEFAULT_TIME_SCALE,
        data_dir=tmp_path_factory.mktemp("demo-stack"),
        port=0,
    )
    with DemoStack(options) as stack:
        shop = stack.set_up()
        run = stack.sync(shop)
        assert run["status"] == "succeeded", run
        world = Synced(stack, shop)
        clean, code, _ = world.check()
        assert clean.ok and code == 0, clean.problems
        yield world


def test_a_total_changed_in_quickbooks_fails_the_check(synced: Synced) -> None:
    """An invoice whose total a bookkeeper changed in QuickBooks (tax added in the QBO UI) is
    a wrong total, named with both amounts; --check exits non-zero."""
    invoice = next(i for i in synced.invoices() if i.tax == 0 and i.total > 0)
    qbo_id = synced.qbo_id("invoice", invoice.id)
    synced.emulator(
        "ui-edit",
        {
            "realm_id": synced.shop.realm_id,
            "entity": "Invoice",
            "id": qbo_id,
            "changes": {"TxnTaxDetail": {"TotalTax": 1.23}},
        },
    )
    result, code, printed = synced.check()
    assert code == EXIT_REJECTED and not result.ok
    assert result.row("invoice").wrong_totals == 1
    assert row_of(printed, "invoice")[3] == "1"
    wrong = invoice.total + Decimal("1.23")
    assert (
        f"invoice {invoice.id}: Invoice {qbo_id} in QuickBooks totals {wrong:.2f}, the app's "
        f"total is {invoice.total:.2f}"
    ) in result.problems
    assert "FAILED" in printed


def test_an_invoice_entered_twice_in_quickbooks_is_a_duplicate(synced: Synced) -> None:
    """A second invoice with a record's DocNumber (entered again in QuickBooks) counts as a
    duplicate of that record."""
    invoice = synced.invoices()[-1]
    qbo_id = synced.qbo_id("invoice", invoice.id)
    with synced.quickbooks() as qbo:
        original = patiently(qbo, "GET", f"/invoice/{qbo_id}").json()["Invoice"]
        lines = [
            {key: line[key] for key in ("Amount", "DetailType", line["DetailType"])}
            for line in original["Line"]
            if line["DetailType"] == "SalesItemLineDetail"
        ]
        copy = {
            "CustomerRef": original["CustomerRef"],
            "DocNumber": original["DocNumber"],
            "Line": lines,
        }
        made = patiently(
            qbo, "POST", "/invoice", json=copy, params={"include": "allowduplicatedocnum"}
        )
    result, code, _ = synced.check()
    assert code == EXIT_REJECTED
    assert result.row("invoice").duplicates == 1
    copy_id = made.json()["Invoice"]["Id"]
    twice = f"invoice {invoice.id} is in QuickBooks more than once: Invoice {copy_id} also"
    assert any(problem.startswith(twice) for problem in result.problems), result.problems


def test_a_record_the_sync_never_pushed_fails_the_check(synced: Synced) -> None:
    """A customer the app put after the sync is not in QuickBooks: failed, with why."""
    synced.api("PUT", "/records/customer/C-LATE", json={"name": "Late Arrival Tooling"})
    result, code, _ = synced.check()
    assert code == EXIT_REJECTED
    row = result.row("customer")
    assert row.failed == 1 and row.records == row.in_qbo + 1
    assert "customer C-LATE is not in QuickBooks: the sync never pushed it" in result.problems
