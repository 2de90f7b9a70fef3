"""Jobs end to end: realm lanes, triggers, debounce, the sweeper, on real consumer threads.

The emulator is served over HTTP (``served``); each test's deployment keeps its store and
its SQLite job queue in ``tmp_path``. With ``LEDGERBRIDGE_TEST_REDIS_URL`` set, the lane and
debounce tests also run on Redis (the job queue and the rate governor's windows).
"""

from __future__ import annotations

import itertools
import logging
import os
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from jobkit import TENANT, Shop, consuming, customer, drain_here, open_shop, wait_until

from ledgerbridge.engine import (
    RunLogFilter,
    Selection,
    SweepReport,
    SyncRuntime,
    request_run,
    schedule_due,
    sweep,
)
from ledgerbridge.model import Customer, TenantSettings
from ledgerbridge.worker import EmbeddedConsumer, Jobs
from support import Served

pytestmark = pytest.mark.integration

REDIS_URL = os.environ.get("LEDGERBRIDGE_TEST_REDIS_URL")
AUTO_CUSTOMERS = TenantSettings(auto_sync=frozenset({"customer"}))
#: long enough ago for the sweeper to count a save's own auto-sync request lost
LOST = timedelta(minutes=1)


@pytest.fixture(params=["sqlite", "redis"])
def queue(request: pytest.FixtureRequest) -> dict[str, str]:
    """The job queue's settings: embedded SQLite, or Redis when a test server is given."""
    if request.param == "sqlite":
        return {}
    if not REDIS_URL:
        pytest.skip("set LEDGERBRIDGE_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/0) to run it")
    return {"redis_url": REDIS_URL}


@pytest.fixture
def shop(tmp_path: Path, served: Served) -> Iterator[Shop]:
    with open_shop(tmp_path, served) as opened:
        yield opened


def _all_finished(shop: Shop, count: int = 1, tenant: str = TENANT) -> bool:
    """Whether the tenant has ``count`` runs, all finished."""
    runs = shop.runs_of(tenant)
    return len(runs) == count and all(run.finished for run in runs)


def _huey_name() -> str:
    """A queue of the test's own (Redis is shared)."""
    return f"ledgerbridge-test-{uuid.uuid4().hex[:12]}"


def test_a_manual_sync_pushes_its_record_only_and_records_the_run(shop: Shop) -> None:
    """One record requested: that record is in QBO, the others stay dirty, the run says so."""
    realm_id = shop.connect(TENANT)
    shop.put_customers(TENANT, 3)
    with consuming(shop.settings) as jobs:
        run = jobs.request_sync(TENANT, "manual", Selection(records=(("customer", "c1"),)))
        assert run.status == "queued"
        wait_until(lambda: _all_finished(shop), timeout=20, what="the run")
    done = shop.runs_of(TENANT)[-1]
    assert (done.id, done.trigger, done.status) == (run.id, "manual", "succeeded")
    assert done.counts == {"created": 1}
    assert shop.names(realm_id)[f"{TENANT} customer 1"] == 1
    assert shop.dirty(TENANT) == 2


def test_two_workers_never_run_one_realm_at_once(
    tmp_path: Path, served: Served, queue: dict[str, str]
) -> None:
    """Two worker 'processes' (two consumers, two threads each), two tenants of one QBO
    company, twelve runs: the runs of the realm never overlap, and every record is in QBO
    exactly once."""
    served.emulator.configure(latency_ms=15)
    with open_shop(tmp_path, served, **queue) as shop:
        realm_id = shop.connect("north")
        shop.connect("south", realm_id)
        for tenant in ("north", "south"):
            shop.put_customers(tenant, 12)
        name = _huey_name()
        with (
            consuming(shop.settings, huey_name=name) as one,
            consuming(shop.settings, huey_name=name) as two,
        ):
            for n in range(0, 12, 2):
                for tenant, jobs in (("north", one), ("south", two)):
                    keys = (("customer", f"c{n}"), ("customer", f"c{n + 1}"))
                    jobs.request_sync(tenant, "bulk", Selection(records=keys))
            wait_until(
                lambda: all(run.finished for t in ("north", "south") for run in shop.runs_of(t)),
                timeout=60,
                what="twelve runs",
            )
        runs = sorted(
            (run for t in ("north", "south") for run in shop.runs_of(t)),
            key=lambda run: run.started_at or run.created_at,
        )
        assert len(runs) == 12 and {run.status for run in runs} == {"succeeded"}
        for before, after in itertools.pairwise(runs):
            assert before.finished_at is not None and after.started_at is not None
            assert after.started_at >= before.finished_at, (before, after)
        names = shop.names(realm_id)
        assert len(names) == 24 and set(names.values()) == {1}


#: the debounce window of the test below: wider than the 0.3 s default, so that the saves of
#: a loaded machine (a CI runner, SQLite's write lock) still fall in it
WINDOW = 3.0


def test_saves_within_the_debounce_window_are_one_auto_run(
    tmp_path: Path, served: Served, queue: dict[str, str]
) -> None:
    """Ten saves in about 0.2 s: one auto run, started after the last save, pushing all ten;
    a save after it started is a run of its own. (The window is wider than the 0.3 s
    default, so that a loaded machine's slower saves still fall in it.)"""
    with open_shop(tmp_path, served, auto_sync_debounce_seconds=WINDOW, **queue) as shop:
        realm_id = shop.connect(TENANT)
        shop.configure(TENANT, AUTO_CUSTOMERS)
        with consuming(shop.settings, huey_name=_huey_name()) as jobs:
            first_save = time.time()
            for n in range(10):
                key = shop.put(TENANT, customer(f"c{n}", f"Burst {n}"))
                auto = jobs.records_saved(TENANT, [key])
                assert auto is not None and auto.trigger == "auto"
                last_save = time.time()
                time.sleep(0.01)
            assert last_save - first_save < WINDOW, "the saves were slower than the window"
            wait_until(lambda: _all_finished(shop), timeout=20, what="the auto-sync")
            runs = shop.runs_of(TENANT)
            assert [(run.trigger, run.status) for run in runs] == [("auto", "succeeded")]
            assert runs[0].counts == {"created": 10}
            assert runs[0].started_at is not None
            assert last_save <= runs[0].started_at.timestamp() < first_save + WINDOW + 5

            shop.put(TENANT, customer("late", "Late save"))
            jobs.records_saved(TENANT, [("customer", "late")])
            wait_until(lambda: _all_finished(shop, 2), timeout=20, what="the second run")
        assert [run.trigger for run in shop.runs_of(TENANT)] == ["auto", "auto"]
        assert sum(shop.names(realm_id).values()) == 11


def test_records_saved_ignores_types_that_do_not_auto_sync(shop: Shop) -> None:
    """Auto-sync is per type and per tenant: an invoice save of a customers-only tenant, or
    any save of a tenant without auto-sync, queues nothing."""
    shop.connect(TENANT)
    shop.connect("manual-only")
    shop.configure(TENANT, AUTO_CUSTOMERS)
    with consuming(shop.settings) as jobs:
        assert jobs.records_saved(TENANT, [("invoice", "inv1")]) is None
        assert jobs.records_saved("manual-only", [("customer", "c1")]) is None
        assert jobs.records_saved(TENANT, []) is None
    assert shop.runs_of(TENANT) == [] and shop.runs_of("manual-only") == []


def test_work_saved_while_the_lane_runs_is_run_before_it_lets_go(
    tmp_path: Path, served: Served
) -> None:
    """Saves arriving during a long run: the lane is busy, their kick finds it taken, and
    the holder runs their auto run before it lets go; no sweeper needed."""
    served.emulator.configure(latency_ms=25)
    with open_shop(tmp_path, served, auto_sync_debounce_seconds=0.0) as shop:
        realm_id = shop.connect(TENANT)
        shop.put_customers(TENANT, 15)
        with consuming(shop.settings) as jobs:
            jobs.request_sync(TENANT, "bulk")
            wait_until(
                lambda: shop.runs_of(TENANT)[0].status == "running", timeout=20, what="start"
            )
            # now (not before: the sweeper would take the fifteen at the consumer's start)
            shop.configure(TENANT, AUTO_CUSTOMERS)
            for n in range(3):
                key = shop.put(TENANT, customer(f"new{n}", f"Saved meanwhile {n}"))
                jobs.records_saved(TENANT, [key])
            wait_until(
                lambda: all(run.finished for run in shop.runs_of(TENANT)),
                timeout=30,
                what="both runs",
            )
        runs = shop.runs_of(TENANT)
        assert [run.trigger for run in runs] == ["bulk", "auto"]
        assert runs[1].started_at is not None and runs[0].finished_at is not None
        assert runs[1].started_at >= runs[0].finished_at
        assert shop.dirty(TENANT) == 0
        assert sum(shop.names(realm_id).values()) == 18


def test_the_sweeper_runs_auto_sync_work_left_without_a_run(shop: Shop) -> None:
    """Dirty auto-sync records nobody queued a run for (a kick lost as a lane ended): the
    sweeper requests one, and the consumer runs it; the next sweep finds nothing to do."""
    realm_id = shop.connect(TENANT)
    shop.configure(TENANT, AUTO_CUSTOMERS)
    with consuming(shop.settings) as jobs:
        shop.put_customers(TENANT, 4, ago=LOST)  # records_saved never called
        jobs.sweep_now()
        wait_until(lambda: _all_finished(shop), timeout=20, what="the sweeper's run")
        assert jobs.sweep_now().requested == ()
    runs = shop.runs_of(TENANT)
    assert [(run.trigger, run.status) for run in runs] == [("sweeper", "succeeded")]
    assert sum(shop.names(realm_id).values()) == 4


def test_the_sweeper_kicks_a_lane_whose_kick_was_lost(shop: Shop) -> None:
    """A run recorded whose job never reached the queue: the sweeper kicks its lane."""
    shop.connect(TENANT)
    shop.put_customers(TENANT, 2)
    runtime = SyncRuntime(shop.settings, database=shop.database)
    lost = request_run(runtime, TENANT, "bulk").run  # and no kick
    with consuming(shop.settings) as jobs:
        assert TENANT in jobs.sweep_now().kicks
        wait_until(lambda: _all_finished(shop), timeout=20, what="the run")
    assert shop.runs_of(TENANT)[0].id == lost.id
    assert shop.dirty(TENANT) == 0


def test_the_sweeper_requests_again_only_after_a_new_change(shop: Shop) -> None:
    """A fresh save is left to its own auto-sync request; what a drain left dirty (a record
    that cannot be pushed) waits for its next change instead of a retry every minute; a
    disconnected tenant is left alone."""
    shop.connect(TENANT)
    shop.configure(TENANT, AUTO_CUSTOMERS)
    orphan = Customer(id="c1", name="Sub of nobody", parent_id="missing")
    shop.put(TENANT, orphan)
    runtime = SyncRuntime(shop.settings, database=shop.database)
    assert sweep(runtime).requested == ()  # its own auto-sync request may be on its way
    shop.put(TENANT, orphan.model_copy(update={"phone": "555-0199"}), ago=LOST)
    first = sweep(runtime)
    assert [run.trigger for run in first.requested] == ["sweeper"]
    assert first.kicks == {TENANT}
    assert sweep(runtime).requested == ()  # the queued run is open: nothing more
    drain_here(shop.settings, TENANT)
    assert [run.status for run in shop.runs_of(TENANT)] == ["failed"]
    assert shop.dirty(TENANT) == 1
    assert sweep(runtime) == SweepReport()
    shop.put(TENANT, orphan.model_copy(update={"phone": "555-0142"}))
    assert len(sweep(runtime, grace=timedelta(0)).requested) == 1

    connection = shop.connections.get(tenant_id=TENANT, environment="emulator")
    assert connection is not None
    shop.connections.disconnect(connection.id, reason="revoked in the test")
    assert sweep(runtime, grace=timedelta(0)) == SweepReport()


def test_schedules_request_a_run_once_per_period(shop: Shop) -> None:
    """schedule_minutes=5: a scheduled run now, none a minute later, another after five."""
    shop.connect(TENANT)
    shop.connect("unscheduled")
    shop.configure(TENANT, TenantSettings(schedule_minutes=5))
    runtime = SyncRuntime(shop.settings, database=shop.database)
    first = schedule_due(runtime)
    assert first.kicks == {TENANT}
    assert [(run.trigger, run.record_types) for run in first.requested] == [("scheduled", None)]
    requested_at = first.requested[0].created_at
    assert schedule_due(runtime, now=requested_at + timedelta(minutes=1)).kicks == set()
    later = schedule_due(runtime, now=requested_at + timedelta(minutes=5))
    assert later.kicks == {TENANT}  # joins the still-queued run rather than adding one
    assert len(shop.runs_of(TENANT)) == 1


def test_every_log_line_of_a_run_names_the_run_and_its_trigger(shop: Shop) -> None:
    """Our lines say ``run <id> (<trigger>)``; any other line logged during the run (each
    HTTP request to QBO) carries the run's id and trigger for the log format."""
    shop.connect(TENANT)
    shop.put_customers(TENANT, 2)
    runtime = SyncRuntime(shop.settings, database=shop.database)
    run = request_run(runtime, TENANT, "bulk").run
    seen: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = seen.append  # type: ignore[method-assign]
    handler.addFilter(RunLogFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        drain_here(shop.settings, TENANT)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    ours = [r.getMessage() for r in seen if r.name == "ledgerbridge.sync"]
    assert ours and all(f"run {run.id} (bulk)" in message for message in ours)
    requests = [r for r in seen if r.name == "httpx"]
    assert len(requests) >= 2  # the customers looked up in bulk, then written in one batch
    assert {(r.run_id, r.trigger) for r in requests} == {(run.id, "bulk")}  # type: ignore[attr-defined]


def test_a_stopping_worker_hands_the_lane_over_after_its_current_run(
    tmp_path: Path, served: Served
) -> None:
    """Graceful stop (Ctrl-C) while a lane has three runs: the one in progress finishes,
    the others stay queued for the next worker, which runs them."""
    served.emulator.configure(latency_ms=250)  # a run takes a second or more
    with open_shop(tmp_path, served) as shop:
        shop.connect(TENANT)
        shop.put_customers(TENANT, 12)
        jobs = Jobs(shop.settings)
        consumer = EmbeddedConsumer(jobs, workers=1)
        consumer.start()
        try:
            for n in range(0, 12, 4):
                keys = tuple(("customer", f"c{m}") for m in range(n, n + 4))
                jobs.request_sync(TENANT, "bulk", Selection(records=keys))
            wait_until(
                lambda: shop.runs_of(TENANT)[0].status == "running", timeout=20, what="a run"
            )
        finally:
            consumer.stop()
            jobs.close()
        assert [run.status for run in shop.runs_of(TENANT)] == ["succeeded", "queued", "queued"]
        assert shop.runs.lease_holder(shop.runs_of(TENANT)[1].lane) is None
        with consuming(shop.settings):
            wait_until(lambda: _all_finished(shop, 3), timeout=30, what="the other runs")
        assert shop.dirty(TENANT) == 0


def test_a_worker_shut_down_mid_run_leaves_the_run_to_be_resumed(
    tmp_path: Path, served: Served
) -> None:
    """Immediate stop (SIGTERM) while a write hangs: the run is not recorded as failed; it
    stays running, its lane is let go, and the next worker resumes it."""
    with open_shop(tmp_path, served) as shop:
        realm_id = shop.connect(TENANT)
        shop.put_customers(TENANT, 30)
        # the first write hangs (no answer, nothing written): the run is surely mid-way
        served.emulator.faults.arm(
            "hang", realm_id=realm_id, method="POST", path=r"/(batch|customer)$", seconds=3
        )
        jobs = Jobs(shop.settings)
        consumer = EmbeddedConsumer(jobs, workers=1)
        consumer.start()
        try:
            run = jobs.request_sync(TENANT, "bulk")
            wait_until(lambda: not served.emulator.faults.rules(), timeout=20, what="the hang")
        finally:
            consumer.stop(graceful=False)
            jobs.close()
        cut = shop.runs.get(tenant_id=TENANT, run_id=run.id)
        assert cut is not None and cut.status == "running"
        assert shop.runs.lease_holder(cut.lane) is None
        with consuming(shop.settings) as fresh:
            assert TENANT in fresh.sweep_now().kicks
            wait_until(lambda: _all_finished(shop), timeout=30, what="the resumed run")
        done = shop.runs.get(tenant_id=TENANT, run_id=run.id)
        assert done is not None and (done.status, done.attempts) == ("succeeded", 2)
        assert sum(shop.names(realm_id).values()) == 30
