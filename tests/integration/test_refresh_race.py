"""The done-means test of single-flight refresh: 8 processes, one connection, one refresh.

The emulator runs on a loopback port with ``refresh_token_grace_seconds=0``, so a superseded
refresh token dies the moment a new one is issued: any two refreshes with the same token give
``invalid_grant`` to the second. Eight processes open the same SQLite file and call
``ConnectionStore.refresh`` for the same connection at the same moment (a barrier releases
them); none may get ``invalid_grant``, the emulator must see exactly one refresh grant, and the
pair left in the database must work. The control run does the same without the store's lock
(each process posts the same refresh token itself) and must produce ``invalid_grant``: the
test can fail.

The store runs on a SQLite file (``BEGIN IMMEDIATE``); with ``LEDGERBRIDGE_TEST_POSTGRES_URL``
set (an empty PostgreSQL database the test may wipe) it runs on PostgreSQL too
(``SELECT ... FOR UPDATE``).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import queue
from collections import Counter
from datetime import UTC, datetime, timedelta
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import sqlalchemy as sa

from ledgerbridge.store import (
    ConnectionDisconnectedError,
    ConnectionStore,
    Database,
    RefreshRejected,
    TokenCipher,
    TokenGrant,
)

# The worker processes import this module; keep the emulator and uvicorn out of their way.
if TYPE_CHECKING:
    from ledgerbridge.emulator import Emulator
    from support import Served

pytestmark = pytest.mark.integration

WORKERS = 8
TOKEN_PATH = "/oauth2/v1/tokens/bearer"
TENANT = "acme"
POSTGRES_URL = os.environ.get("LEDGERBRIDGE_TEST_POSTGRES_URL", "")
#: seconds each refresher waits before posting (see EmulatorRefresher)
THINK = 0.5


class EmulatorRefresher:
    """A refresher as the engine's will be: ``grant_type=refresh_token`` with HTTP Basic auth,
    the JSON mapped to a TokenGrant, ``invalid_grant`` translated into RefreshRejected.

    ``think`` is a pause before the request: a slow token endpoint, so that the processes
    released together are all still in flight (or queued on the lock) when the first one
    posts, whatever the scheduler does.
    """

    def __init__(self, base_url: str, client: tuple[str, str], *, think: float = 0) -> None:
        self.base_url = base_url
        self.client = client
        self.think = think

    async def __call__(self, refresh_token: str) -> TokenGrant:
        await asyncio.sleep(self.think)
        async with httpx.AsyncClient(base_url=self.base_url, timeout=10) as http:
            response = await http.post(
                TOKEN_PATH,
                data={"grant_type": "refresh_token", "refresh_token": refresh_token},
                auth=self.client,
                headers={
                    "Accept": "application/json",
                    "x-include-refresh-token-hard-expires-in": "true",
                },
            )
        now = datetime.now(UTC)
        if response.status_code == 400 and response.json().get("error") == "invalid_grant":
            raise RefreshRejected(f"invalid_grant: {response.json().get('error_description')}")
        response.raise_for_status()
        body = response.json()
        return TokenGrant(
            access_token=body["access_token"],
            refresh_token=body["refresh_token"],
            access_expires_at=now + timedelta(seconds=body["expires_in"]),
            refresh_expires_at=now + timedelta(seconds=body["x_refresh_token_expires_in"]),
            hard_expires_at=now + timedelta(seconds=body["x_refresh_token_hard_expires_in"]),
        )


# -- the processes (module level: the "spawn" start method imports them by name) ----------------
def refresh_through_store(
    db_url: str,
    key: str,
    connection_id: str,
    rejected: str,
    base_url: str,
    client: tuple[str, str],
    start: Barrier,
    results: multiprocessing.Queue[tuple[str, str, str]],
) -> None:
    """One worker process: open the database, wait for the others, refresh through the store."""
    database = Database(db_url)
    store = ConnectionStore(database, TokenCipher(key))
    refresher = EmulatorRefresher(base_url, client, think=THINK)
    start.wait(timeout=30)
    try:
        record = asyncio.run(
            store.refresh(connection_id, rejected_access_token=rejected, refresher=refresher)
        )
        results.put(("ok", record.access_token, record.refresh_token))
    except ConnectionDisconnectedError as exc:
        results.put(("disconnected", str(exc), ""))
    except Exception as exc:
        results.put(("error", repr(exc), ""))
    finally:
        database.dispose()


def refresh_directly(
    refresh_token: str,
    base_url: str,
    client: tuple[str, str],
    start: Barrier,
    results: multiprocessing.Queue[tuple[str, str, str]],
) -> None:
    """The control: the same refresh token posted without the store's lock."""
    refresher = EmulatorRefresher(base_url, client, think=THINK)
    start.wait(timeout=30)
    try:
        grant = asyncio.run(refresher(refresh_token))
        results.put(("ok", grant.access_token, grant.refresh_token))
    except RefreshRejected:
        results.put(("invalid_grant", "", ""))
    except Exception as exc:
        results.put(("error", repr(exc), ""))


# -- the test -----------------------------------------------------------------------------------
def run_processes(target: Any, args: tuple[Any, ...]) -> list[tuple[str, str, str]]:
    """Start WORKERS spawned processes on ``target(*args, barrier, results)``; their outcomes."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(WORKERS)
    results: multiprocessing.Queue[tuple[str, str, str]] = context.Queue()
    processes = [
        context.Process(target=target, args=(*args, start, results)) for _ in range(WORKERS)
    ]
    for process in processes:
        process.start()
    outcomes = []
    try:
        for _ in processes:
            outcomes.append(results.get(timeout=30))
    except queue.Empty:
        pytest.fail(f"only {len(outcomes)} of {WORKERS} processes reported")
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
    return outcomes


def token_posts(emulator: Emulator) -> int:
    return sum(
        1
        for entry in emulator.request_log()
        if entry["method"] == "POST" and entry["path"] == TOKEN_PATH
    )


def initial_grant(emulator: Emulator, client_id: str, realm_id: str) -> TokenGrant:
    """A grant as if the owner had just connected the company."""
    issued = emulator.oauth.issue_tokens(client_id, realm_id)
    now = datetime.now(UTC)
    return TokenGrant(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        access_expires_at=now + timedelta(seconds=issued.expires_in),
        refresh_expires_at=now + timedelta(seconds=issued.x_refresh_token_expires_in),
        hard_expires_at=now + timedelta(seconds=issued.x_refresh_token_hard_expires_in),
    )


@pytest.fixture(params=["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL every process can open: a SQLite file, or the test PostgreSQL emptied."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledgerbridge.db'}"
    from ledgerbridge.store._tables import Base

    database = Database(POSTGRES_URL)
    Base.metadata.drop_all(database.engine)
    with database.engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    database.dispose()
    return POSTGRES_URL


def test_eight_processes_refresh_once_and_never_see_invalid_grant(
    served: Served, db_url: str
) -> None:
    """8 processes refreshing the same connection concurrently never produce invalid_grant and
    end with one valid token pair stored; without the store's lock they do get invalid_grant."""
    from support import CLIENT_ID, CLIENT_SECRET

    client = (CLIENT_ID, CLIENT_SECRET)
    emulator = served.emulator
    emulator.configure(refresh_token_grace_seconds=0)
    realm_id = emulator.create_company("Race Machine Shop")

    key = TokenCipher.generate_key()
    database = Database(db_url)
    database.migrate()
    store = ConnectionStore(database, TokenCipher(key))
    store.create_tenant(tenant_id=TENANT, name="Race Machine Shop")
    grant = initial_grant(emulator, CLIENT_ID, realm_id)
    connection = store.save_connection(
        tenant_id=TENANT,
        environment="emulator",
        realm_id=realm_id,
        company_name="Race Machine Shop",
        grant=grant,
    )

    # -- with the store's single-flight refresh
    before = token_posts(emulator)
    outcomes = run_processes(
        refresh_through_store, (db_url, key, connection.id, grant.access_token, served.url, client)
    )
    with_lock = token_posts(emulator) - before
    print(f"\nwith the store's lock: {Counter(o[0] for o in outcomes)}, {with_lock} token POST(s)")
    assert [kind for kind, _, _ in outcomes] == ["ok"] * WORKERS, outcomes
    assert with_lock == 1
    stored = store.by_id(connection.id)
    assert stored is not None and stored.status == "connected"
    assert stored.refresh_token != grant.refresh_token
    assert {(access, refresh) for _, access, refresh in outcomes} == {
        (stored.access_token, stored.refresh_token)
    }
    # the stored access token works against the data API ...
    info = httpx.get(
        f"{served.url}/v3/company/{realm_id}/companyinfo/{realm_id}",
        headers={"Authorization": f"Bearer {stored.access_token}", "Accept": "application/json"},
        params={"minorversion": "75"},
    )
    assert info.status_code == 200, info.text
    # ... and the stored refresh token refreshes once more
    again = asyncio.run(EmulatorRefresher(served.url, client)(stored.refresh_token))
    assert again.refresh_token
    database.dispose()

    # -- control: the same race without the lock must fail, or this test proves nothing
    before = token_posts(emulator)
    control = run_processes(
        refresh_directly,
        (initial_grant(emulator, CLIENT_ID, realm_id).refresh_token, served.url, client),
    )
    without_lock = token_posts(emulator) - before
    kinds = Counter(kind for kind, _, _ in control)
    print(f"without the lock: {kinds}, {without_lock} token POST(s)")
    assert without_lock == WORKERS
    assert kinds["invalid_grant"] >= 1, control
    assert kinds["ok"] >= 1 and kinds["error"] == 0, control
