"""Durability: a ``ledgerbridge worker`` killed with SIGKILL mid-sync loses and doubles nothing.

A bulk sync of customers, items and invoices runs in a worker subprocess against the emulator
served over HTTP. The worker is killed three times, each time while one of its writes is in
the emulator's hands (the emulator finishes it after the worker died: the write is in QBO,
the worker never heard), and restarted after its lane's lease expired. The run resumes:
dirty records stay dirty until pushed, the restarted worker's sweep kicks the lane, and a
write whose answer was lost is replayed by its ``requestid`` or found by name or DocNumber,
never created again. At the end every record is in QBO exactly once.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from jobkit import TENANT, Shop, customer, open_shop, start_ledgerbridge, wait_until
from starlette.types import ASGIApp, Receive, Scope, Send

from faults.faultkit import judge
from ledgerbridge.dataset import machine_shop, machine_shop_settings
from ledgerbridge.emulator import Emulator, EmulatorConfig, create_app
from ledgerbridge.model import Invoice, Item, ItemLine
from ledgerbridge.worker import Jobs
from support import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, UNTHROTTLED, Served, serve_in_thread

pytestmark = pytest.mark.integration

CUSTOMERS, ITEMS, INVOICES = 60, 30, 90
TOTAL = CUSTOMERS + ITEMS + INVOICES
ENTITIES = ("Customer", "Item", "Invoice")
LEASE_SECONDS = 2.0
#: the mixed data set of the random-kill test
MACHINE_SHOP_RECORDS = 300


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
        process = start_ledgerbridge(shop.settings, "worker", "--workers", "2", output=out)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def _kill_and_finish(
    shop: Shop,
    log: Path,
    writes: InFlightWrites,
    points: list[float],
    progress: Callable[[], float],
) -> str:
    """Request a bulk run; for each point, start a worker, SIGKILL it with a write in flight
    once ``progress()`` (the share of the records in QBO) reaches the point, and wait out its
    lane's lease; then let a last worker finish the run. Returns the run's id."""
    jobs = Jobs(shop.settings)
    try:
        run = jobs.request_sync(TENANT, "bulk")
    finally:
        jobs.close()
    try:
        for point in points:
            with _worker(shop, log) as process:
                wait_until(
                    lambda p=point: writes.count > 0 and progress() >= p,  # type: ignore[misc]
                    timeout=90,
                    what=f"a write in flight with {point:.0%} of the records in QBO",
                )
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)
            current = shop.runs.get(tenant_id=TENANT, run_id=run.id)
            assert current is not None and current.status == "running"
            time.sleep(LEASE_SECONDS + 0.5)  # its lane's lease expires
        with _worker(shop, log):
            wait_until(
                lambda: (
                    (r := shop.runs.get(tenant_id=TENANT, run_id=run.id)) is not None and r.finished
                ),
                timeout=120,
                what="the run's end",
            )
    except AssertionError:
        print(log.read_text(errors="replace")[-5000:])
        raise
    return run.id


class InFlightWrites:
    """The emulator's ASGI app, counting the data-API writes it is serving right now."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.count = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        write = (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and "/v3/company/" in path
            and not path.endswith("/query")
        )
        self.count += write
        try:
            await self.app(scope, receive, send)
        finally:
            self.count -= write


@pytest.fixture
def emulator_writes() -> Iterator[tuple[Served, InFlightWrites]]:
    """The emulator on a loopback port, slow enough that a write is in flight a while."""
    emulator = Emulator(EmulatorConfig(limits=UNTHROTTLED, latency_ms=20, batch_item_latency_ms=10))
    emulator.oauth.register_app(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI])
    counted = InFlightWrites(create_app(emulator))
    with serve_in_thread(counted) as url:
        yield Served(emulator, url), counted


def test_a_worker_killed_mid_sync_three_times_leaves_every_record_in_qbo_once(
    tmp_path: Path, emulator_writes: tuple[Served, InFlightWrites]
) -> None:
    """SIGKILL during a write, at the start, about a third and about half of the run;
    restart after the lease expired; finish."""
    served, writes = emulator_writes
    log = tmp_path / "worker.log"
    with open_shop(tmp_path, served, lane_lease_seconds=LEASE_SECONDS) as shop:
        realm_id = shop.connect(TENANT)
        # a new company has a few objects of its own (the Services and Hours items)
        before = {entity: shop.names(realm_id, entity) for entity in ENTITIES}
        _records(shop)
        run_id = _kill_and_finish(
            shop, log, writes, [0.0, 0.3, 0.5], lambda: _in_qbo(shop, realm_id) / TOTAL
        )
        done = shop.runs.get(tenant_id=TENANT, run_id=run_id)
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


def test_a_worker_killed_at_random_points_of_a_machine_shop_sync_leaves_it_in_qbo_once(
    tmp_path: Path, emulator_writes: tuple[Served, InFlightWrites]
) -> None:
    """The mixed data set (estimates, orders, payments, inventory...): SIGKILL three times at
    random points with a write in flight, restart, finish; ``demo --check`` finds every
    record in QBO once with the app's totals."""
    served, writes = emulator_writes
    log = tmp_path / "worker.log"
    # LEDGERBRIDGE_CRASH_SEED replays a run's kill points (the test prints its seed)
    seed = int(os.environ.get("LEDGERBRIDGE_CRASH_SEED") or random.randrange(1 << 30))
    draw = random.Random(seed)
    points = sorted(draw.uniform(0.05, 0.8) for _ in range(3))
    if os.environ.get("LEDGERBRIDGE_CRASH_POINTS"):  # or names them: "0.71,0.71,0.71"
        points = [float(p) for p in os.environ["LEDGERBRIDGE_CRASH_POINTS"].split(",")]
    print(f"killed at {[f'{p:.0%}' for p in points]} (seed {seed})")
    with open_shop(tmp_path, served, lane_lease_seconds=LEASE_SECONDS) as shop:
        realm_id = shop.connect(TENANT)
        shop.configure(TENANT, machine_shop_settings())
        records = machine_shop(MACHINE_SHOP_RECORDS)
        for record in records:
            shop.put(TENANT, record)
        base = sum(map(len, shop.emulator.company(realm_id).objects.values()))

        def in_qbo() -> int:
            return sum(map(len, shop.emulator.company(realm_id).objects.values())) - base

        _kill_and_finish(shop, log, writes, points, lambda: in_qbo() / len(records))
        check = judge(shop.settings)
        assert check.ok, check.problems[:10]
