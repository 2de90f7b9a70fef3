"""Scale-out: ``ledgerbridge worker`` processes sharing the work of many QBO companies.

Twenty tenants, each connected to a company of its own, each with two bulk runs queued: one
worker process syncs them all, then (with new records) three do. In both rounds the runs of
a company never overlap (one lane per realm, cluster-wide), every record is in QBO once,
and three workers run more lanes at once than one can: lanes of different companies run side
by side, so the throughput grows with the workers (the work is bound by QBO's answers, which
the emulator gives in 40 ms). How much faster is for ``benchmarks/`` (``multi_realm``); the
test prints the two times and asserts no speed.

On the embedded deployment (SQLite store, Huey on SQLite) always; on PostgreSQL and Redis
when ``LEDGERBRIDGE_TEST_POSTGRES_URL`` and ``LEDGERBRIDGE_TEST_REDIS_URL`` are set.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from jobkit import Shop, customer, open_shop, start_ledgerbridge, wait_until

from ledgerbridge.engine import Selection
from ledgerbridge.worker import Jobs
from support import Served

pytestmark = pytest.mark.integration

REALMS = 20
RUNS, PER_RUN = 2, 3
POSTGRES_URL = os.environ.get("LEDGERBRIDGE_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("LEDGERBRIDGE_TEST_REDIS_URL")
TENANTS = [f"shop-{n:02d}" for n in range(REALMS)]


@pytest.fixture(params=["sqlite", "postgresql+redis"])
def deployment(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The settings of the store and the job queue."""
    if request.param == "sqlite":
        return {}
    if not (POSTGRES_URL and REDIS_URL):
        pytest.skip("set LEDGERBRIDGE_TEST_POSTGRES_URL and LEDGERBRIDGE_TEST_REDIS_URL")
    return {"database_url": POSTGRES_URL, "redis_url": REDIS_URL}


def _workers(shop: Shop, count: int, logs: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``count`` worker processes and wait until each consumes."""
    for n in range(count):
        log = logs / f"worker-{n}.log"
        with log.open("ab") as out:
            yield start_ledgerbridge(shop.settings, "worker", "--workers", "2", output=out)
        wait_until(
            lambda log=log: "Huey consumer started" in log.read_text(errors="replace"),  # type: ignore[misc]
            timeout=30,
            what=f"worker {n}",
        )


def _most_at_once(runs: list[Any]) -> int:
    """The most runs that were running at one moment."""
    edges = sorted(edge for run in runs for edge in ((run.started_at, 1), (run.finished_at, -1)))
    running = most = 0
    for _, step in edges:  # at equal times an end (-1) sorts before a start
        running += step
        most = max(most, running)
    return most


def _round(shop: Shop, processes: int, prefix: str, logs: Path) -> float:
    """Queue two runs per tenant, let ``processes`` workers run them; seconds it took."""
    for tenant in TENANTS:
        for n in range(RUNS * PER_RUN):
            shop.put(tenant, customer(f"{prefix}{n}", f"{tenant} {prefix} {n}"))
    with ExitStack() as stack:
        for process in _workers(shop, processes, logs):
            stack.callback(process.wait, timeout=30)
            stack.callback(process.terminate)
        jobs = stack.enter_context(closing(Jobs(shop.settings)))
        started = time.monotonic()
        for run, tenant in itertools.product(range(RUNS), TENANTS):
            keys = tuple(("customer", f"{prefix}{run * PER_RUN + m}") for m in range(PER_RUN))
            jobs.request_sync(tenant, "bulk", Selection(records=keys))
        wait_until(
            lambda: all(r.finished for t in TENANTS for r in shop.runs_of(t)),
            timeout=180,
            what=f"the runs of {processes} worker(s)",
        )
        return time.monotonic() - started


def test_more_workers_go_faster_with_one_lane_per_realm(
    tmp_path: Path, served: Served, deployment: dict[str, Any]
) -> None:
    """1 then 3 worker processes, 20 realms: no overlap per realm, no duplicate, faster."""
    served.emulator.configure(latency_ms=40)
    with open_shop(tmp_path, served, **deployment) as shop:
        realms = {tenant: shop.connect(tenant) for tenant in TENANTS}
        one = _round(shop, 1, "a", tmp_path)
        between = datetime.now(UTC)
        three = _round(shop, 3, "b", tmp_path)
        for tenant, realm_id in realms.items():
            runs = sorted(shop.runs_of(tenant), key=lambda run: run.started_at or run.created_at)
            assert [run.status for run in runs] == ["succeeded"] * 2 * RUNS, tenant
            for before, after in itertools.pairwise(runs):
                assert before.finished_at is not None and after.started_at is not None
                assert after.started_at >= before.finished_at, tenant
            names = shop.names(realm_id)
            ours = {name: count for name, count in names.items() if name.startswith(tenant)}
            assert len(ours) == 2 * RUNS * PER_RUN and set(ours.values()) == {1}, tenant
        runs = [run for tenant in TENANTS for run in shop.runs_of(tenant)]
        alone = _most_at_once([run for run in runs if run.created_at < between])
        together = _most_at_once([run for run in runs if run.created_at >= between])
        print(
            f"1 worker: {one:.1f} s, at most {alone} runs at once; "
            f"3 workers: {three:.1f} s, at most {together} at once ({one / three:.1f}x)"
        )
        assert alone <= 2, "one worker of two threads ran more than two lanes at once"
        assert together > 2, "three workers ran no more lanes at once than one worker"
