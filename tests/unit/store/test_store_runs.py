"""Runs and leases: requests, coalescing, the lane's lease, and no run left stranded."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from storekit import OTHER_TENANT, TENANT, Clock

from ledgerbridge.store import (
    ConnectionStore,
    Database,
    LeaseLostError,
    RecordStore,
    RunStore,
    TenantNotFoundError,
)

LANE = "lane:emulator:9130357766291734"
TTL = timedelta(seconds=30)


@pytest.fixture
def runs(store: ConnectionStore, database: Database, clock: Clock) -> RunStore:
    """A run store over the two tenants of ``store``, on the test's clock."""
    return RunStore(database, clock=clock)


def test_a_request_is_stored_queued_with_its_selection(runs: RunStore) -> None:
    """A manual run of one record: queued, due now, its record named, nothing counted."""
    request = runs.request(
        tenant_id=TENANT, lane=LANE, trigger="manual", records=[("invoice", "INV-1")]
    )
    run = request.run
    assert request.created
    assert (run.status, run.trigger, run.lane) == ("queued", "manual", LANE)
    assert run.records == (("invoice", "INV-1"),)
    assert run.record_types is None
    assert run.due_at == run.created_at
    assert run.counts == {}
    assert runs.get(tenant_id=TENANT, run_id=run.id) == run
    assert runs.get(tenant_id=OTHER_TENANT, run_id=run.id) is None


def test_bad_requests_are_refused_with_the_reason(runs: RunStore) -> None:
    """An unknown trigger, both selections at once, a lone string, an unknown tenant."""
    with pytest.raises(ValueError, match="trigger must be one of"):
        runs.request(tenant_id=TENANT, lane=LANE, trigger="inbound")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not both"):
        runs.request(
            tenant_id=TENANT,
            lane=LANE,
            trigger="bulk",
            record_types=["customer"],
            records=[("customer", "C1")],
        )
    with pytest.raises(TypeError, match="not one string"):
        runs.request(tenant_id=TENANT, lane=LANE, trigger="bulk", record_types="customer")
    with pytest.raises(TenantNotFoundError):
        runs.request(tenant_id="nobody", lane=LANE, trigger="bulk")


def test_auto_requests_join_the_queued_run_until_it_starts(runs: RunStore) -> None:
    """The debounce: requests before the start join one run (types merged); after, a new one."""
    first = runs.request(
        tenant_id=TENANT,
        lane=LANE,
        trigger="auto",
        record_types=["invoice"],
        due_in=timedelta(seconds=0.3),
    )
    joined = runs.request(tenant_id=TENANT, lane=LANE, trigger="auto", record_types=["customer"])
    assert first.created and not joined.created
    assert joined.run.id == first.run.id
    assert joined.run.record_types == {"invoice", "customer"}
    assert joined.run.due_at == first.run.created_at + timedelta(seconds=0.3)
    other = runs.request(tenant_id=OTHER_TENANT, lane=LANE, trigger="auto")
    assert other.created  # per tenant

    grant = runs.take_lease(LANE, holder="test", ttl=TTL)
    assert grant is not None
    runs.start(first.run.id, grant.token)
    after = runs.request(tenant_id=TENANT, lane=LANE, trigger="auto", record_types=["invoice"])
    assert after.created and after.run.id != first.run.id


def test_manual_and_bulk_requests_never_join(runs: RunStore) -> None:
    """Each manual or bulk request is a run of its own."""
    ids = {
        runs.request(tenant_id=TENANT, lane=LANE, trigger=trigger).run.id
        for trigger in ("manual", "manual", "bulk", "bulk")
    }
    assert len(ids) == 4


def test_a_live_lease_is_exclusive_and_renewable(runs: RunStore, clock: Clock) -> None:
    """A second taker is refused while the lease lives; renewing keeps it alive."""
    grant = runs.take_lease(LANE, holder="worker-1", ttl=TTL)
    assert grant is not None
    assert runs.take_lease(LANE, holder="worker-2", ttl=TTL) is None
    assert runs.lease_holder(LANE) == "worker-1"
    clock.advance(timedelta(seconds=20))
    assert runs.renew_lease(LANE, grant.token, ttl=TTL)
    clock.advance(timedelta(seconds=20))  # 40 s after the take, 20 s after the renewal
    assert runs.take_lease(LANE, holder="worker-2", ttl=TTL) is None


def test_an_expired_lease_is_taken_over_and_its_running_run_resumed(
    runs: RunStore, clock: Clock
) -> None:
    """A dead holder's running run goes back to queued; the dead one can no longer finish it."""
    dead = runs.take_lease(LANE, holder="worker-1", ttl=TTL)
    assert dead is not None
    run = runs.request(tenant_id=TENANT, lane=LANE, trigger="bulk").run
    runs.start(run.id, dead.token)
    clock.advance(TTL + timedelta(seconds=1))
    assert runs.lease_holder(LANE) is None
    assert runs.stalled_lanes() == {LANE: TENANT}

    fresh = runs.take_lease(LANE, holder="worker-2", ttl=TTL)
    assert fresh is not None
    assert fresh.resumed == (run.id,)
    resumed = runs.get(tenant_id=TENANT, run_id=run.id)
    assert resumed is not None and resumed.status == "queued" and resumed.attempts == 1
    assert not runs.renew_lease(LANE, dead.token, ttl=TTL)
    with pytest.raises(LeaseLostError):
        runs.finish(run.id, dead.token, status="succeeded", counts={})
    with pytest.raises(LeaseLostError):
        runs.next_or_release(LANE, dead.token)

    again = runs.start(run.id, fresh.token)
    assert again.attempts == 2
    done = runs.finish(run.id, fresh.token, status="partial", counts={"created": 3, "failed": 1})
    assert done.finished and done.counts == {"created": 3, "failed": 1}


def test_next_or_release_takes_runs_due_first_and_releases_when_none(
    runs: RunStore, clock: Clock
) -> None:
    """Due order across tenants of the lane; the lease is free once nothing is queued."""
    later = runs.request(
        tenant_id=TENANT, lane=LANE, trigger="auto", due_in=timedelta(seconds=5)
    ).run
    clock.advance(timedelta(seconds=1))
    sooner = runs.request(tenant_id=OTHER_TENANT, lane=LANE, trigger="manual").run
    grant = runs.take_lease(LANE, holder="worker", ttl=TTL)
    assert grant is not None
    order = []
    while (run := runs.next_or_release(LANE, grant.token)) is not None:
        order.append(run.id)
        runs.start(run.id, grant.token)
        runs.finish(run.id, grant.token, status="succeeded", counts={})
    assert order == [sooner.id, later.id]
    assert runs.lease_holder(LANE) is None
    assert not runs.has_open_runs(tenant_id=TENANT)


def test_a_run_requested_while_the_lane_ends_is_never_stranded(runs: RunStore) -> None:
    """Requests racing the lane's last look: each is run by the lane or finds it free.

    The requester 'kicks' like a job would: it takes the lease if free and drains. If the
    lane let go without seeing a run, that run would stay queued with nobody holding it.
    """
    stop = threading.Event()
    drained: list[str] = []
    lock = threading.Lock()

    def drain(holder: str) -> None:
        grant = runs.take_lease(LANE, holder=holder, ttl=TTL)
        if grant is None:
            return  # the holder runs whatever is queued before it lets go
        while (run := runs.next_or_release(LANE, grant.token)) is not None:
            runs.start(run.id, grant.token)
            runs.finish(run.id, grant.token, status="succeeded", counts={})
            with lock:
                drained.append(run.id)

    def kicker() -> None:
        while not stop.is_set():
            drain("kicker")

    background = threading.Thread(target=kicker)
    background.start()
    requested = []
    try:
        for _ in range(60):
            run = runs.request(tenant_id=TENANT, lane=LANE, trigger="manual").run
            requested.append(run.id)
            drain("requester")
    finally:
        stop.set()
        background.join()
    assert sorted(drained) == sorted(requested)
    assert runs.stalled_lanes() == {}


def test_the_sweepers_questions(runs: RunStore, database: Database, clock: Clock) -> None:
    """Dirty changes per tenant and type, finished drains since a moment, the last request."""
    records = RecordStore(database, clock=clock)
    records.put(tenant_id=TENANT, record_type="customer", app_id="C1", payload={}, content_hash="a")
    changed_at = clock.now
    clock.advance(timedelta(seconds=1))
    assert runs.dirty_changes() == {TENANT: {"customer": changed_at}}

    drain = runs.request(tenant_id=TENANT, lane=LANE, trigger="sweeper").run
    clock.advance(timedelta(seconds=1))
    named = runs.request(
        tenant_id=TENANT, lane=LANE, trigger="manual", records=[("customer", "C1")]
    ).run
    grant = runs.take_lease(LANE, holder="worker", ttl=TTL)
    assert grant is not None
    for run in (drain, named):
        runs.start(run.id, grant.token)
        runs.finish(run.id, grant.token, status="succeeded", counts={})
    assert [r.id for r in runs.drains_since(tenant_id=TENANT, since=changed_at)] == [drain.id]
    assert runs.drains_since(tenant_id=TENANT, since=clock.now + timedelta(seconds=1)) == []
    assert runs.last_requested(tenant_id=TENANT, trigger="sweeper") == drain.created_at
    assert runs.last_requested(tenant_id=TENANT, trigger="scheduled") is None
    assert [r.id for r in runs.list(tenant_id=TENANT)] == [named.id, drain.id]


def test_prune_deletes_only_old_finished_runs(runs: RunStore, clock: Clock) -> None:
    """Finished runs older than the horizon go; open ones stay whatever their age."""
    old = runs.request(tenant_id=TENANT, lane=LANE, trigger="bulk").run
    waiting = runs.request(tenant_id=TENANT, lane=LANE, trigger="manual").run
    grant = runs.take_lease(LANE, holder="worker", ttl=TTL)
    assert grant is not None
    runs.start(old.id, grant.token)
    runs.finish(old.id, grant.token, status="succeeded", counts={})
    clock.advance(timedelta(days=15))
    assert runs.prune(older_than=timedelta(days=14)) == 1
    assert [r.id for r in runs.list(tenant_id=TENANT)] == [waiting.id]
