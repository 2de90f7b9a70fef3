"""Connecting a company and keeping it connected: the engine's glue of OAuth, store and client.

Everything runs against the emulator (OAuth server and Accounting API, in-process) and a
SQLite store in ``tmp_path``: the whole authorization-code flow, the bad callbacks the issue
lists (forged or replayed state, missing realm, wrong client secret, a failing token
endpoint, an unknown environment), and the token source's refresh rules under the
emulator's faults.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography.fernet import Fernet

from ledgerbridge.emulator import Emulator, EmulatorConfig, create_app
from ledgerbridge.engine import ConnectError, ConnectFlow, ConnectionTokens, keep_connections_fresh
from ledgerbridge.qbo import (
    InvalidClientError,
    InvalidEnvironmentError,
    InvalidStateError,
    OAuthClient,
    QBOClient,
    RetryPolicy,
    ServerError,
    environment,
)
from ledgerbridge.store import (
    ConnectionDisconnectedError,
    ConnectionRecord,
    ConnectionStore,
    Database,
    StateReplayError,
    TokenCipher,
)
from support import UNTHROTTLED

pytestmark = pytest.mark.integration

BASE = "http://qbo.test"
CLIENT_ID, CLIENT_SECRET, REDIRECT = "engine-app", "engine-secret", "http://app.test/callback"
TENANT = "precision-parts"
STATE_SECRET = b"state-secret-for-tests-0123456789"
FAST = RetryPolicy(max_attempts=3, throttle_wait=0.01, backoff_base=0.01, backoff_cap=0.02)


@pytest.fixture
def emulator() -> Emulator:
    emu = Emulator(EmulatorConfig(auto_approve=True, limits=UNTHROTTLED))
    emu.oauth.register_app(CLIENT_ID, CLIENT_SECRET, [REDIRECT])
    emu.create_company("Precision Parts Co")
    return emu


@pytest.fixture
def transport(emulator: Emulator) -> httpx.ASGITransport:
    return httpx.ASGITransport(app=create_app(emulator))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ConnectionStore]:
    database = Database(f"sqlite:///{tmp_path / 'ledgerbridge.db'}")
    database.migrate()
    connections = ConnectionStore(database, TokenCipher(Fernet.generate_key()))
    connections.create_tenant(tenant_id=TENANT, name="Precision Parts")
    yield connections
    database.dispose()


def _oauth(transport: httpx.ASGITransport, secret: str = CLIENT_SECRET) -> OAuthClient:
    return OAuthClient(
        client_id=CLIENT_ID,
        client_secret=secret,
        redirect_uri=REDIRECT,
        environment=environment("emulator", emulator_url=BASE),
        transport=transport,
    )


@pytest.fixture
async def oauth(transport: httpx.ASGITransport) -> AsyncIterator[OAuthClient]:
    async with _oauth(transport) as client:
        yield client


def _flow(
    store: ConnectionStore, oauth: OAuthClient, transport: httpx.ASGITransport
) -> ConnectFlow:
    return ConnectFlow(
        store,
        oauth,
        environment="emulator",
        api_base=f"{BASE}/v3",
        state_secret=STATE_SECRET,
        api_transport=transport,
    )


async def _consent(url: str, transport: httpx.ASGITransport) -> dict[str, str]:
    """Follow the consent page (auto-approved) to the callback's query parameters."""
    async with httpx.AsyncClient(transport=transport) as browser:
        answer = await browser.get(url)
    assert answer.status_code in (302, 303), answer.text
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    return {key: values[0] for key, values in query.items()}


async def _connect(
    store: ConnectionStore, oauth: OAuthClient, transport: httpx.ASGITransport
) -> ConnectionRecord:
    flow = _flow(store, oauth, transport)
    callback = await _consent(await flow.begin(TENANT), transport)
    return await flow.complete(
        TENANT, code=callback["code"], state=callback["state"], realm_id=callback["realmId"]
    )


def _client(
    record: ConnectionRecord, tokens: ConnectionTokens, transport: httpx.ASGITransport
) -> QBOClient:
    """A QBO client for the stored connection, with quick retries."""
    return QBOClient(
        record.realm_id, base_url=f"{BASE}/v3", tokens=tokens, transport=transport, retry=FAST
    )


@pytest.mark.anyio
async def test_connect_stores_the_company_and_its_tokens(
    store: ConnectionStore, oauth: OAuthClient, transport: httpx.ASGITransport
) -> None:
    """Connect → consent → callback: one connection row with the company's name."""
    record = await _connect(store, oauth, transport)
    assert store.by_id(record.id) == record
    assert record.company_name == "Precision Parts Co"
    assert record.status == "connected"
    async with _client(record, ConnectionTokens(store, oauth, record.id), transport) as qbo:
        assert (await qbo.company_info())["CompanyName"] == "Precision Parts Co"


@pytest.mark.anyio
async def test_a_replayed_callback_is_refused(
    store: ConnectionStore, oauth: OAuthClient, transport: httpx.ASGITransport
) -> None:
    """The same callback twice: the second is a replay, refused before any token exchange."""
    flow = _flow(store, oauth, transport)
    callback = await _consent(await flow.begin(TENANT), transport)
    params = {"code": callback["code"], "state": callback["state"], "realm_id": callback["realmId"]}
    await flow.complete(TENANT, **params)
    with pytest.raises(StateReplayError):
        await flow.complete(TENANT, **params)


@pytest.mark.anyio
async def test_a_forged_state_leaves_no_connection(
    store: ConnectionStore, oauth: OAuthClient, transport: httpx.ASGITransport
) -> None:
    """A tampered state, or one issued to another tenant, is refused; nothing is stored."""
    flow = _flow(store, oauth, transport)
    callback = await _consent(await flow.begin(TENANT), transport)
    forged = callback["state"][:-2] + ("AA" if not callback["state"].endswith("AA") else "BB")
    with pytest.raises(InvalidStateError):
        await flow.complete(
            TENANT, code=callback["code"], state=forged, realm_id=callback["realmId"]
        )
    store.create_tenant(tenant_id="intruder", name="Intruder")
    with pytest.raises(InvalidStateError):
        await flow.complete(
            "intruder", code=callback["code"], state=callback["state"], realm_id=callback["realmId"]
        )
    assert store.get(tenant_id=TENANT, environment="emulator") is None


@pytest.mark.anyio
async def test_a_callback_without_a_realm_leaves_no_connection(
    store: ConnectionStore, oauth: OAuthClient, transport: httpx.ASGITransport
) -> None:
    """No realmId on the callback: a clear error, and no connection row."""
    flow = _flow(store, oauth, transport)
    callback = await _consent(await flow.begin(TENANT), transport)
    with pytest.raises(ConnectError) as caught:
        await flow.complete(TENANT, code=callback["code"], state=callback["state"], realm_id=None)
    assert "which company" in caught.value.user_message
    assert store.get(tenant_id=TENANT, environment="emulator") is None


@pytest.mark.anyio
async def test_a_cancelled_consent_is_a_clear_error(
    store: ConnectionStore, oauth: OAuthClient, transport: httpx.ASGITransport
) -> None:
    """The user pressed Cancel (error=access_denied): nothing is stored."""
    flow = _flow(store, oauth, transport)
    await flow.begin(TENANT)
    with pytest.raises(ConnectError) as caught:
        await flow.complete(TENANT, code=None, state=None, realm_id=None, error="access_denied")
    assert "cancelled" in caught.value.user_message
    assert store.get(tenant_id=TENANT, environment="emulator") is None


@pytest.mark.anyio
async def test_a_wrong_client_secret_leaves_no_connection(
    store: ConnectionStore, transport: httpx.ASGITransport
) -> None:
    """A wrong client secret: the code exchange fails clearly, and nothing is stored."""
    async with _oauth(transport, secret="not-the-secret") as wrong:
        flow = _flow(store, wrong, transport)
        callback = await _consent(await flow.begin(TENANT), transport)
        with pytest.raises(InvalidClientError):
            await flow.complete(
                TENANT, code=callback["code"], state=callback["state"], realm_id=callback["realmId"]
            )
    assert store.get(tenant_id=TENANT, environment="emulator") is None


@pytest.mark.anyio
async def test_a_failing_token_endpoint_leaves_no_connection(
    emulator: Emulator,
    store: ConnectionStore,
    oauth: OAuthClient,
    transport: httpx.ASGITransport,
) -> None:
    """Intuit's token endpoint answers 500: a retryable error, and nothing is stored."""
    flow = _flow(store, oauth, transport)
    callback = await _consent(await flow.begin(TENANT), transport)
    emulator.faults.arm("http_500", path="/oauth2/v1/tokens/bearer")
    with pytest.raises(ServerError):
        await flow.complete(
            TENANT, code=callback["code"], state=callback["state"], realm_id=callback["realmId"]
        )
    assert store.get(tenant_id=TENANT, environment="emulator") is None


def test_an_unknown_environment_is_a_clear_error() -> None:
    """Only production, sandbox and emulator exist."""
    with pytest.raises(InvalidEnvironmentError, match="production"):
        environment("staging")


@pytest.mark.anyio
async def test_an_expired_access_token_is_refreshed_once_and_stored(
    emulator: Emulator,
    store: ConnectionStore,
    oauth: OAuthClient,
    transport: httpx.ASGITransport,
) -> None:
    """A 401 mid-run: one refresh, the rotated pair stored, the call succeeds."""
    before = await _connect(store, oauth, transport)
    emulator.faults.arm("access_token_expired", realm_id=before.realm_id)
    async with _client(before, ConnectionTokens(store, oauth, before.id), transport) as qbo:
        assert (await qbo.customers.create({"DisplayName": "After Refresh"}))["Id"]
    after = store.by_id(before.id)
    assert after is not None
    assert after.access_token != before.access_token
    assert after.refresh_token != before.refresh_token
    assert after.last_refresh_at is not None


@pytest.mark.anyio
async def test_tokens_are_refreshed_before_they_expire(
    store: ConnectionStore, oauth: OAuthClient, transport: httpx.ASGITransport
) -> None:
    """Inside the leeway the token source refreshes before using the token."""
    before = await _connect(store, oauth, transport)
    later = before.access_expires_at - timedelta(minutes=2)
    tokens = ConnectionTokens(store, oauth, before.id, clock=lambda: later)
    assert await tokens.access_token() != before.access_token
    steady = ConnectionTokens(store, oauth, before.id)
    assert await steady.access_token() == await steady.access_token()


@pytest.mark.anyio
async def test_a_revoked_connection_is_marked_disconnected_and_work_waits(
    emulator: Emulator,
    store: ConnectionStore,
    oauth: OAuthClient,
    transport: httpx.ASGITransport,
) -> None:
    """Refresh token revoked mid-run: the connection is disconnected with the reason shown."""
    record = await _connect(store, oauth, transport)
    emulator.faults.arm("refresh_token_revoked", realm_id=record.realm_id)
    tokens = ConnectionTokens(store, oauth, record.id)
    async with _client(record, tokens, transport) as qbo:
        with pytest.raises(ConnectionDisconnectedError):
            await qbo.customers.create({"DisplayName": "Never Written"})
    after = store.by_id(record.id)
    assert after is not None
    assert after.status == "disconnected"
    assert after.status_reason is not None
    assert "invalid_grant" in after.status_reason
    with pytest.raises(ConnectionDisconnectedError):
        await tokens.access_token()
    assert emulator.ledger(record.realm_id).query(
        "select count(*) from Customer where DisplayName = 'Never Written'"
    ) == {"totalCount": 0}


@pytest.mark.anyio
async def test_keep_fresh_refreshes_what_expires_and_reports_the_revoked(
    emulator: Emulator,
    store: ConnectionStore,
    oauth: OAuthClient,
    transport: httpx.ASGITransport,
) -> None:
    """The hourly job refreshes expiring connections and marks a revoked one disconnected."""
    record = await _connect(store, oauth, transport)
    report = await keep_connections_fresh(store, lambda env: oauth, within=timedelta(hours=2))
    assert report.refreshed == [record.id]
    emulator.oauth.revoke_company(record.realm_id)
    report = await keep_connections_fresh(store, lambda env: oauth, within=timedelta(hours=2))
    assert report.disconnected == [record.id]
    assert report.refreshed == []
    assert datetime.now(UTC) < record.refresh_expires_at
