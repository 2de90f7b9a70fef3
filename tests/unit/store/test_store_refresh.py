"""Single-flight refresh: one refresher call per rotation, the rest reuse what it stored."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import timedelta

import pytest
from storekit import TENANT, Clock, CountingRefresher, make_grant, rejecting

from ledgerbridge.store import (
    ConnectionDisconnectedError,
    ConnectionNotFoundError,
    ConnectionRecord,
    ConnectionStore,
    Database,
    TokenCipher,
    TokenGrant,
)

pytestmark = pytest.mark.anyio

REASON = "QuickBooks refused the refresh token (invalid_grant): reconnect the company"


@pytest.fixture
def connection(store: ConnectionStore, clock: Clock) -> ConnectionRecord:
    return store.save_connection(
        tenant_id=TENANT,
        environment="sandbox",
        realm_id="9130357766291734",
        company_name="Acme Machine Shop",
        grant=make_grant("initial", now=clock.now),
    )


async def test_twenty_concurrent_refreshes_call_the_refresher_once(
    store: ConnectionStore, connection: ConnectionRecord
) -> None:
    """20 tasks that saw the same 401 get one new pair, from one refresher call."""
    refresher = CountingRefresher()
    results = await asyncio.gather(
        *(
            store.refresh(
                connection.id,
                rejected_access_token=connection.access_token,
                refresher=refresher,
            )
            for _ in range(20)
        )
    )
    assert refresher.received == [connection.refresh_token]
    assert {(r.access_token, r.refresh_token) for r in results} == {
        ("access-refreshed1-Zq8vT3", "refresh-refreshed1-Lp4nW7")
    }
    stored = store.by_id(connection.id)
    assert stored is not None
    assert stored.refresh_token == "refresh-refreshed1-Lp4nW7"
    assert stored.last_refresh_at is not None and stored.status == "connected"


async def test_refreshes_from_threads_with_their_own_loops_call_the_refresher_once(
    store: ConnectionStore, connection: ConnectionRecord
) -> None:
    """Eight threads, each with its own event loop, share one refresh through the database."""
    refresher = CountingRefresher(delay=0.2)
    results: list[ConnectionRecord] = []
    start = threading.Barrier(8)

    def worker() -> None:
        start.wait()
        results.append(
            asyncio.run(
                store.refresh(
                    connection.id,
                    rejected_access_token=connection.access_token,
                    refresher=refresher,
                )
            )
        )

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        await asyncio.to_thread(thread.join, 30)
    assert refresher.calls == 1
    assert len(results) == 8
    assert {r.refresh_token for r in results} == {"refresh-refreshed1-Lp4nW7"}


async def test_a_fresh_token_is_not_refreshed_proactively(
    store: ConnectionStore, connection: ConnectionRecord
) -> None:
    """With no rejected token, a token that lives past the leeway is returned as it is."""
    refresher = CountingRefresher()
    same = await store.refresh(connection.id, rejected_access_token=None, refresher=refresher)
    assert refresher.calls == 0
    assert same == connection


async def test_a_token_inside_the_leeway_is_refreshed_proactively(
    store: ConnectionStore, connection: ConnectionRecord, clock: Clock
) -> None:
    """59 minutes and 30 seconds in, the token has less than the 60 s leeway left."""
    clock.advance(timedelta(minutes=59, seconds=30))
    refresher = CountingRefresher()
    new = await store.refresh(connection.id, rejected_access_token=None, refresher=refresher)
    assert refresher.calls == 1
    assert new.access_token == "access-refreshed1-Zq8vT3"
    assert new.last_refresh_at == clock.now


async def test_a_token_someone_else_already_replaced_is_returned(
    store: ConnectionStore, connection: ConnectionRecord
) -> None:
    """A caller rejected with an old token gets the current one, without a refresh."""
    refresher = CountingRefresher()
    first = await store.refresh(
        connection.id, rejected_access_token=connection.access_token, refresher=refresher
    )
    again = await store.refresh(
        connection.id, rejected_access_token=connection.access_token, refresher=refresher
    )
    assert refresher.calls == 1
    assert again == first


async def test_invalid_grant_disconnects_and_later_calls_do_not_refresh(
    store: ConnectionStore, connection: ConnectionRecord
) -> None:
    """RefreshRejected marks the connection disconnected with the reason, committed; later
    callers get ConnectionDisconnectedError without a call to Intuit."""
    refresher = rejecting()
    with pytest.raises(ConnectionDisconnectedError) as caught:
        await store.refresh(
            connection.id, rejected_access_token=connection.access_token, refresher=refresher
        )
    assert caught.value.reason == REASON
    assert "reconnect" in caught.value.user_message
    stored = store.by_id(connection.id)
    assert stored is not None
    assert (stored.status, stored.status_reason) == ("disconnected", REASON)
    assert stored.refresh_token == connection.refresh_token  # nothing is lost

    later = CountingRefresher()
    with pytest.raises(ConnectionDisconnectedError, match="invalid_grant"):
        await store.refresh(connection.id, rejected_access_token=None, refresher=later)
    assert later.calls == 0
    assert refresher.calls == 1


async def test_concurrent_callers_of_a_rejected_refresh_all_see_disconnected(
    store: ConnectionStore, connection: ConnectionRecord
) -> None:
    """Ten callers, one refresh attempt, ten ConnectionDisconnectedErrors."""
    refresher = rejecting()
    outcomes = await asyncio.gather(
        *(
            store.refresh(
                connection.id,
                rejected_access_token=connection.access_token,
                refresher=refresher,
            )
            for _ in range(10)
        ),
        return_exceptions=True,
    )
    assert refresher.calls == 1
    assert all(isinstance(o, ConnectionDisconnectedError) for o in outcomes)


async def test_any_other_refresher_error_changes_nothing(
    store: ConnectionStore, connection: ConnectionRecord
) -> None:
    """A transient failure (a timeout to Intuit) rolls back and is re-raised; a retry works."""
    failing = CountingRefresher(fail=ConnectionResetError("connection reset by peer"))
    with pytest.raises(ConnectionResetError):
        await store.refresh(
            connection.id, rejected_access_token=connection.access_token, refresher=failing
        )
    assert store.by_id(connection.id) == connection

    working = CountingRefresher()
    new = await store.refresh(
        connection.id, rejected_access_token=connection.access_token, refresher=working
    )
    assert working.received == [connection.refresh_token]
    assert new.access_token == "access-refreshed1-Zq8vT3"


async def test_a_disconnected_connection_is_not_refreshed(
    store: ConnectionStore, connection: ConnectionRecord
) -> None:
    """After the owner disconnected, refresh raises with the owner's reason."""
    store.disconnect(connection.id, reason="Disconnected from the console")
    refresher = CountingRefresher()
    with pytest.raises(ConnectionDisconnectedError, match="from the console"):
        await store.refresh(
            connection.id, rejected_access_token=connection.access_token, refresher=refresher
        )
    assert refresher.calls == 0


async def test_an_unknown_connection_is_an_error(store: ConnectionStore) -> None:
    """No row, no refresh."""
    with pytest.raises(ConnectionNotFoundError):
        await store.refresh("no-such-id", rejected_access_token=None, refresher=rejecting())


async def test_a_cancelled_caller_does_not_lose_the_rotated_token(
    store: ConnectionStore, connection: ConnectionRecord
) -> None:
    """Cancelling the caller mid-call still stores what Intuit answered: the old refresh
    token may already be dead."""
    refresher = CountingRefresher(delay=0.3)
    caller = asyncio.create_task(
        store.refresh(
            connection.id, rejected_access_token=connection.access_token, refresher=refresher
        )
    )
    while refresher.calls == 0:
        await asyncio.sleep(0.01)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    # the next caller queues behind the refresh still in flight, and gets its result
    follower = CountingRefresher()
    new = await store.refresh(
        connection.id, rejected_access_token=connection.access_token, refresher=follower
    )
    assert follower.calls == 0
    assert new.refresh_token == "refresh-refreshed1-Lp4nW7"


async def test_a_refresher_that_hangs_is_given_up_without_changes(
    database: Database, cipher: TokenCipher, clock: Clock, connection: ConnectionRecord
) -> None:
    """The lock is not held forever: past ``refresh_timeout`` the refresh fails, unchanged."""
    impatient = ConnectionStore(
        database, cipher, clock=clock, refresh_timeout=timedelta(seconds=0.2)
    )
    with pytest.raises(TimeoutError, match="nothing was stored"):
        await impatient.refresh(
            connection.id,
            rejected_access_token=connection.access_token,
            refresher=CountingRefresher(delay=5),
        )
    assert impatient.by_id(connection.id) == connection


class _Started:
    """A refresher that says when its call is out, then waits to be let go."""

    def __init__(self) -> None:
        self.out = asyncio.Event()
        self.go = asyncio.Event()

    async def __call__(self, refresh_token: str) -> TokenGrant:
        self.out.set()
        await self.go.wait()
        return make_grant("refreshed-late")


async def test_a_write_from_the_event_loop_does_not_wait_for_a_refresh_in_flight(
    store: ConnectionStore, connection: ConnectionRecord
) -> None:
    """The engine writes synchronously on the loop that runs the refresher: were the database
    locked across the call to Intuit (SQLite's write lock), that write would block the loop,
    the refresher could never finish, and both would wait until the timeout."""
    refresher = _Started()
    refresh = asyncio.ensure_future(
        store.refresh(
            connection.id, rejected_access_token=connection.access_token, refresher=refresher
        )
    )
    await refresher.out.wait()
    started = time.monotonic()
    store.create_tenant(tenant_id="t-during", name="Written while the refresh is out")  # blocks
    assert time.monotonic() - started < 5
    refresher.go.set()
    assert (await refresh).access_token == make_grant("refreshed-late").access_token


async def test_a_reconnect_while_the_refresh_is_out_wins(
    store: ConnectionStore, connection: ConnectionRecord, clock: Clock
) -> None:
    """Consent given again during the call: its pair is what stays stored. (PostgreSQL: the
    reconnect waits for the row lock and writes after; SQLite: it writes at once, and the
    refresh, finding a pair it did not send, drops its late grant.)"""
    refresher = _Started()
    refresh = asyncio.ensure_future(
        store.refresh(
            connection.id, rejected_access_token=connection.access_token, refresher=refresher
        )
    )
    await refresher.out.wait()
    reconnect = asyncio.ensure_future(
        asyncio.to_thread(
            store.save_connection,
            tenant_id=TENANT,
            environment="sandbox",
            realm_id="9130357766291734",
            company_name="Acme Machine Shop",
            grant=make_grant("reconnected", now=clock.now),
        )
    )
    await asyncio.sleep(0.3)
    refresher.go.set()
    await refresh
    reconnected = await reconnect
    stored = store.by_id(connection.id)
    assert stored is not None and stored.refresh_token == reconnected.refresh_token
