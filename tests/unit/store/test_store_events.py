"""The events feed: a gapless cursor per tenant, endpoints with encrypted secrets, leases."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from storekit import OTHER_TENANT, TENANT, Clock

from ledgerbridge.store import (
    ConnectionStore,
    Database,
    EventStore,
    NewEvent,
    StoreConfigurationError,
    TenantNotFoundError,
    TokenCipher,
)


@pytest.fixture
def events(
    store: ConnectionStore, database: Database, cipher: TokenCipher, clock: Clock
) -> EventStore:
    return EventStore(database, cipher=cipher, clock=clock)


def _some(count: int, kind: str = "qbo.changed") -> list[NewEvent]:
    return [NewEvent(kind, "customer", f"c-{n}", data={"n": n}) for n in range(count)]


def test_events_are_numbered_per_tenant_without_gaps(events: EventStore) -> None:
    """Each tenant counts from 1; reading after a cursor resumes exactly there."""
    events.append(tenant_id=TENANT, events=_some(3))
    events.append(tenant_id=OTHER_TENANT, events=_some(2))
    events.append(tenant_id=TENANT, events=_some(2))
    assert [e.seq for e in events.read(tenant_id=TENANT)] == [1, 2, 3, 4, 5]
    assert [e.seq for e in events.read(tenant_id=OTHER_TENANT)] == [1, 2]
    assert [e.data["n"] for e in events.read(tenant_id=TENANT, after=3)] == [0, 1]
    assert [e.seq for e in events.read(tenant_id=TENANT, after=1, limit=2)] == [2, 3]
    assert events.last_seq(tenant_id=TENANT) == 5


def test_concurrent_appends_neither_collide_nor_leave_gaps(events: EventStore) -> None:
    """Four writers at once: every number from 1 to 100 exactly once."""

    def write() -> None:
        for _ in range(25):
            events.append(tenant_id=TENANT, events=_some(1))

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seqs = [e.seq for e in events.read(tenant_id=TENANT, limit=1000)]
    assert seqs == list(range(1, 101))


def test_bad_events_are_refused_with_a_reason(events: EventStore) -> None:
    with pytest.raises(TypeError, match=r"qbo\.changed event is not JSON"):
        events.append(tenant_id=TENANT, events=[NewEvent("qbo.changed", data={"x": {1, 2}})])
    with pytest.raises(TenantNotFoundError):
        events.append(tenant_id="nobody", events=_some(1))
    with pytest.raises(ValueError, match="limit"):
        events.read(tenant_id=TENANT, limit=0)
    with pytest.raises(ValueError, match="cursor"):
        events.read(tenant_id=TENANT, after=-1)
    assert events.read(tenant_id=TENANT) == []


def test_an_endpoint_starts_after_the_events_already_in_the_feed(events: EventStore) -> None:
    """The host app reads the past with the cursor; pushing starts with what comes next."""
    events.append(tenant_id=TENANT, events=_some(3))
    secret = events.set_endpoint(tenant_id=TENANT, url="https://host.example/events")
    endpoint = events.endpoint(tenant_id=TENANT)
    assert endpoint is not None and endpoint.delivered_seq == 3
    assert endpoint.secret == secret and len(secret) >= 32 and secret not in repr(endpoint)
    assert events.with_endpoints() == [TENANT]
    assert events.remove_endpoint(tenant_id=TENANT)
    assert events.endpoint(tenant_id=TENANT) is None


def test_endpoints_need_the_cipher(database: Database, store: ConnectionStore) -> None:
    with pytest.raises(StoreConfigurationError, match="TokenCipher"):
        EventStore(database).set_endpoint(tenant_id=TENANT, url="https://host.example/e")


def test_one_lease_at_a_time_and_a_cursor_that_only_grows(events: EventStore, clock: Clock) -> None:
    events.set_endpoint(tenant_id=TENANT, url="https://host.example/e", secret="s" * 20)
    lease = events.claim_delivery(tenant_id=TENANT, lease=timedelta(minutes=1))
    assert lease is not None
    assert events.claim_delivery(tenant_id=TENANT, lease=timedelta(minutes=1)) is None
    assert events.delivered(lease, through=7, status=200)
    assert events.delivered(lease, through=5, status=200)  # a late, smaller one
    endpoint = events.endpoint(tenant_id=TENANT)
    assert endpoint is not None and endpoint.delivered_seq == 7
    clock.advance(timedelta(minutes=2))  # the holder died: its lease runs out
    taken = events.claim_delivery(tenant_id=TENANT, lease=timedelta(minutes=1))
    assert taken is not None and not events.delivered(lease, through=9, status=200)


def test_a_failure_waits_until_its_retry_time(events: EventStore, clock: Clock) -> None:
    events.set_endpoint(tenant_id=TENANT, url="https://host.example/e", secret="s" * 20)
    lease = events.claim_delivery(tenant_id=TENANT, lease=timedelta(minutes=1))
    assert lease is not None
    retry_at = clock() + timedelta(seconds=30)
    events.delivery_failed(lease, status=503, error="the endpoint answered 503", retry_at=retry_at)
    endpoint = events.endpoint(tenant_id=TENANT)
    assert endpoint is not None and (endpoint.attempts, endpoint.last_status) == (1, 503)
    assert events.claim_delivery(tenant_id=TENANT, lease=timedelta(minutes=1)) is None
    clock.advance(timedelta(seconds=31))
    again = events.claim_delivery(tenant_id=TENANT, lease=timedelta(minutes=1))
    assert again is not None and again.attempts == 1
