"""Durability: a ``ledgerbridge worker`` killed with SIGKILL mid-sync loses and doubles nothing.

A bulk sync of customers, items and invoices runs in a worker subprocess against the emulator
served over HTTP. The worker is killed three times at different points of the run and
restarted after its lane's lease expired; the run resumes (dirty records stay dirty until
pushed, the restarted worker's sweep kicks the lane, a name or DocNumber already in QBO is
linked, not created again). At the end every record is in QBO exactly once.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from jobkit import TENANT, Shop, customer, environ, open_shop, wait_until

from ledgerbridge.model import Invoice, Item, ItemLine
from ledgerbridge.worker import Jobs
from support import Served

pytestmark = pytest.mark.integration

CUSTOMERS, ITEMS, INVOICES = 40, 20, 60
TOTAL = CUSTOMERS + ITEMS + INVOICES
ENTITIES = ("Customer", "Item", "Invoice")
LEASE_SECONDS = 2.0
_MAIN = "import sys; from ledgerbridge.cli import main; sys.argv[0] = 'ledgerbridge'; main()"


def _records(shop: Shop) -> None:
    for n in range(CUSTOMERS):
        shop.put(TENANT, customer(f"c{n}", f"Crash customer {n}"))
    for n in range(ITEMS):
        shop.put(
            TENANT,
            Item(id=f"i{n}", name=f"Part {n}", kind="non_inventory", sales_price=Decimal("9.50")),
        )
    for n in range(INVOICES):
        line = ItemLine(item_id=f"i{n % ITEMS}", quantity=Decimal(2), unit_price=Decimal("9.50"))
        shop.put(
            TENANT,
            Invoice(
                id=f"inv{n}",
                customer_id=f"c{n % CUSTOMERS}",
                number=str(5000 + n),
                invoice_date=date(2026, 3, 2),
                lines=(line,),
            ),
        )


def _in_qbo(shop: Shop, realm_id: str) -> int:
    return sum(len(shop.emulator.company(realm_id).objects[entity]) for entity in ENTITIES)


@contextmanager
def _worker(shop: Shop, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``ledgerbridge worker`` in a subprocess; killed at the end if still alive."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", _MAIN, "worker", "--workers", "2"],
            env={**environ(shop.settings), "PATH": "/usr/bin:/bin"},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_a_worker_killed_mid_sync_three_times_leaves_every_record_in_qbo_once(
    tmp_path: Path, served: Served
) -> None:
    """SIGKILL at about a quarter, half and three quarters of the run; restart; finish."""
    served.emulator.configure(latency_ms=10)
    log = tmp_path / "worker.log"
    with open_shop(tmp_path, served, lane_lease_seconds=LEASE_SECONDS) as shop:
        realm_id = shop.connect(TENANT)
        # a new company has a few objects of its own (the Services and Hours items)
        before = {entity: shop.names(realm_id, entity) for entity in ENTITIES}
        _records(shop)
        jobs = Jobs(shop.settings)
        try:
            run = jobs.request_sync(TENANT, "bulk")
        finally:
            jobs.close()
        try:
            for fraction in (0.25, 0.5, 0.75):
                with _worker(shop, log) as process:
                    wait_until(
                        lambda f=fraction: _in_qbo(shop, realm_id) >= f * TOTAL,  # type: ignore[misc]
                        timeout=60,
                        what=f"{fraction:.0%} of the records in QBO",
                    )
                    process.send_signal(signal.SIGKILL)
                    process.wait(timeout=10)
                current = shop.runs.get(tenant_id=TENANT, run_id=run.id)
                assert current is not None and current.status == "running"
                time.sleep(LEASE_SECONDS + 0.5)  # its lane's lease expires
            with _worker(shop, log):
                wait_until(
                    lambda: (
                        (r := shop.runs.get(tenant_id=TENANT, run_id=run.id)) is not None
                        and r.finished
                    ),
                    timeout=90,
                    what="the run's end",
                )
        except AssertionError:
            print(log.read_text(errors="replace")[-5000:])
            raise
        done = shop.runs.get(tenant_id=TENANT, run_id=run.id)
        assert done is not None
        assert (done.status, done.attempts) == ("succeeded", 4)
        assert shop.dirty(TENANT) == 0
        expected = {
            "Customer": [f"Crash customer {n}" for n in range(CUSTOMERS)],
            "Item": [f"Part {n}" for n in range(ITEMS)],
            "Invoice": [str(5000 + n) for n in range(INVOICES)],
        }
        for entity, wanted in expected.items():
            added = shop.names(realm_id, entity) - before[entity]
            assert added == Counter(wanted), f"{entity}: {(added - Counter(wanted)).most_common(3)}"
