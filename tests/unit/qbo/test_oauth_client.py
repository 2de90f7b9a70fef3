"""The OAuth client against the emulator's Intuit OAuth server (QBO-REFERENCE.md section 10).

Everything runs in-process: the emulator through ``httpx.ASGITransport``, and, for answers the
emulator never gives (malformed token bodies), a few-line Starlette app standing in for Intuit.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ledgerbridge.emulator import Emulator, create_app
from ledgerbridge.qbo._environments import environment
from ledgerbridge.qbo._errors import (
    AuthorizationError,
    InvalidGrantError,
    ReconnectError,
    ServerError,
    TransportError,
)
from ledgerbridge.qbo._oauth import (
    ACCOUNTING_SCOPE,
    InvalidClientError,
    MalformedOAuthResponseError,
    MalformedTokenResponseError,
    OAuthClient,
    OAuthProtocolError,
    TokenSet,
)
from support import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI

pytestmark = pytest.mark.anyio

BASE = "http://qbo.test"
DISCOVERY_PATH = "/.well-known/openid_sandbox_configuration/"
OPENID_EMAIL = (ACCOUNTING_SCOPE, "openid", "email")
STATE = "nonce123.1700000600.c2lnbmF0dXJl"
HOUR = timedelta(hours=1)


@pytest.fixture
def transport(emulator: Emulator) -> httpx.AsyncBaseTransport:
    """The emulator (conftest: auto-approve, the test app registered) served in-process."""
    return httpx.ASGITransport(app=create_app(emulator))


def client(transport: httpx.AsyncBaseTransport, *, secret: str = CLIENT_SECRET) -> OAuthClient:
    return OAuthClient(
        client_id=CLIENT_ID,
        client_secret=secret,
        redirect_uri=REDIRECT_URI,
        environment=environment("emulator", emulator_url=BASE),
        transport=transport,
    )


@pytest.fixture
async def oauth(transport: httpx.AsyncBaseTransport) -> AsyncIterator[OAuthClient]:
    async with client(transport) as oauth:
        yield oauth


async def consent(
    oauth: OAuthClient,
    transport: httpx.AsyncBaseTransport,
    scopes: tuple[str, ...] = (ACCOUNTING_SCOPE,),
) -> dict[str, str]:
    """Follow the authorization URL as a browser would; the callback's query parameters."""
    url = await oauth.authorization_url(STATE, scopes=scopes)
    async with httpx.AsyncClient(transport=transport) as browser:
        answer = await browser.get(url)
    assert answer.status_code == 302
    location = urlsplit(answer.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    return {k: v[0] for k, v in parse_qs(location.query).items()}


async def connect(
    oauth: OAuthClient,
    transport: httpx.AsyncBaseTransport,
    scopes: tuple[str, ...] = (ACCOUNTING_SCOPE,),
) -> TokenSet:
    callback = await consent(oauth, transport, scopes)
    return await oauth.exchange_code(callback["code"], realm_id=callback["realmId"], scopes=scopes)


def near(moment: datetime, expected: datetime, *, slack: float = 5) -> bool:
    return abs((moment - expected).total_seconds()) <= slack


# -------------------------------------------------------------------------------- the happy path


async def test_authorization_url_carries_the_request(
    oauth: OAuthClient, emulator: Emulator
) -> None:
    """The URL from the discovery document has client_id, code, scope, redirect and state."""
    url = await oauth.authorization_url(STATE, scopes=OPENID_EMAIL)
    await oauth.authorization_url("another-state")
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{BASE}/connect/oauth2"
    assert query == {
        "client_id": [CLIENT_ID],
        "response_type": ["code"],
        "scope": [" ".join(OPENID_EMAIL)],
        "redirect_uri": [REDIRECT_URI],
        "state": [STATE],
    }
    discovery = [r for r in emulator.request_log() if r["path"] == DISCOVERY_PATH]
    assert len(discovery) == 1, "the discovery document is fetched once per client"


async def test_consent_redirects_with_code_state_and_realm(
    oauth: OAuthClient, transport: httpx.AsyncBaseTransport
) -> None:
    """Following the URL (auto-approved) lands on the callback with code, state and realmId."""
    callback = await consent(oauth, transport)
    assert callback["state"] == STATE
    assert callback["code"]
    assert callback["realmId"].isdigit()


async def test_exchange_code_gives_absolute_expiries(
    oauth: OAuthClient, transport: httpx.AsyncBaseTransport
) -> None:
    """Lifetimes become aware UTC times: 1 hour, about 101 days, and the 5-year cap."""
    before = datetime.now(UTC)
    callback = await consent(oauth, transport)
    tokens = await oauth.exchange_code(callback["code"], realm_id=callback["realmId"])
    assert tokens.access_token and tokens.refresh_token
    assert tokens.access_expires_at.tzinfo is UTC
    assert near(tokens.access_expires_at, before + HOUR)
    assert near(tokens.refresh_expires_at, before + timedelta(seconds=8_726_400))
    assert tokens.hard_expires_at is not None, "the hard-expiry header was sent"
    assert near(tokens.hard_expires_at, before + timedelta(days=5 * 365))
    assert tokens.realm_id == callback["realmId"]
    assert tokens.scope == ACCOUNTING_SCOPE
    assert tokens.id_token is None  # no openid scope
    assert not tokens.access_expires_within(3500)
    assert tokens.access_expires_within(3700)


async def test_time_scaled_emulator_shortens_expiries(
    oauth: OAuthClient, transport: httpx.AsyncBaseTransport, emulator: Emulator
) -> None:
    """At time scale 60 the hour-long access token lives a minute, and the TokenSet says so."""
    emulator.configure(time_scale=60)
    before = datetime.now(UTC)
    tokens = await connect(oauth, transport)
    assert near(tokens.access_expires_at, before + timedelta(seconds=60))
    assert tokens.access_expires_within(120)
    assert not tokens.access_expires_within(0, now=before)


async def test_token_repr_hides_the_tokens(
    oauth: OAuthClient, transport: httpx.AsyncBaseTransport
) -> None:
    """A TokenSet can be logged or shown in a traceback without leaking a token."""
    tokens = await connect(oauth, transport, OPENID_EMAIL)
    assert tokens.id_token
    for secret in (tokens.access_token, tokens.refresh_token, tokens.id_token):
        assert secret not in repr(tokens)
    assert tokens.realm_id is not None and tokens.realm_id in repr(tokens)


async def test_refresh_rotates_the_refresh_token(
    oauth: OAuthClient, transport: httpx.AsyncBaseTransport
) -> None:
    """A refresh returns a new access token and a new refresh token (section 10.3)."""
    first = await connect(oauth, transport)
    second = await oauth.refresh(first.refresh_token, realm_id=first.realm_id)
    assert second.refresh_token != first.refresh_token
    assert second.access_token != first.access_token
    assert second.realm_id == first.realm_id
    assert second.refresh_expires_at >= first.refresh_expires_at
    third = await oauth.refresh(second.refresh_token)
    assert third.refresh_token not in (first.refresh_token, second.refresh_token)


async def test_superseded_refresh_token_without_grace_is_invalid_grant(
    oauth: OAuthClient, transport: httpx.AsyncBaseTransport, emulator: Emulator
) -> None:
    """Once rotated, the previous refresh token fails with invalid_grant (no grace left)."""
    emulator.configure(refresh_token_grace_seconds=0)
    first = await connect(oauth, transport)
    await oauth.refresh(first.refresh_token)
    with pytest.raises(InvalidGrantError) as info:
        await oauth.refresh(first.refresh_token)
    assert info.value.status == 400
    assert info.value.code == "invalid_grant"
    assert info.value.intuit_tid is not None
    assert "Reconnect" in info.value.user_message


async def test_superseded_refresh_token_within_grace_converges(
    oauth: OAuthClient, transport: httpx.AsyncBaseTransport
) -> None:
    """Inside Intuit's 24-hour grace the previous token still works and yields the latest."""
    first = await connect(oauth, transport)
    second = await oauth.refresh(first.refresh_token)
    again = await oauth.refresh(first.refresh_token)
    assert again.refresh_token == second.refresh_token


async def test_revoke_ends_the_connection(
    oauth: OAuthClient, transport: httpx.AsyncBaseTransport
) -> None:
    """After revoking the refresh token, refreshing raises InvalidGrantError."""
    tokens = await connect(oauth, transport)
    await oauth.revoke(tokens.refresh_token)
    with pytest.raises(InvalidGrantError):
        await oauth.refresh(tokens.refresh_token)
    await oauth.revoke(tokens.refresh_token)  # revoking again is not an error


async def test_code_is_single_use(oauth: OAuthClient, transport: httpx.AsyncBaseTransport) -> None:
    """A code exchanged twice is invalid_grant, with a sentence asking to connect again."""
    callback = await consent(oauth, transport)
    await oauth.exchange_code(callback["code"], realm_id=callback["realmId"])
    with pytest.raises(InvalidGrantError) as info:
        await oauth.exchange_code(callback["code"], realm_id=callback["realmId"])
    assert "Connect to QuickBooks again" in info.value.user_message


async def test_wrong_client_secret_is_invalid_client(
    transport: httpx.AsyncBaseTransport, emulator: Emulator
) -> None:
    """Bad app keys raise InvalidClientError (401) naming the settings to check."""
    async with client(transport, secret="not-the-secret") as oauth:
        callback = await consent(oauth, transport)
        with pytest.raises(InvalidClientError) as info:
            await oauth.exchange_code(callback["code"], realm_id=callback["realmId"])
    error = info.value
    assert isinstance(error, ReconnectError)
    assert error.status == 401
    assert error.code == "invalid_client"
    assert "LEDGERBRIDGE_QBO_CLIENT_SECRET" in error.user_message
    logged = [r["intuit_tid"] for r in emulator.request_log() if r["status"] == 401]
    assert error.intuit_tid == logged[-1]
    assert "not-the-secret" not in str(error)


async def test_userinfo_returns_the_granted_claims(
    oauth: OAuthClient, transport: httpx.AsyncBaseTransport
) -> None:
    """With openid and email granted, userinfo has the subject and the e-mail address."""
    tokens = await connect(oauth, transport, OPENID_EMAIL)
    assert tokens.scope == " ".join(OPENID_EMAIL)
    info = await oauth.userinfo(tokens.access_token)
    assert info["sub"]
    assert info["email"] == "emulator@example.com"
    assert "givenName" not in info  # profile was not asked for


async def test_userinfo_without_openid_is_refused(
    oauth: OAuthClient, transport: httpx.AsyncBaseTransport
) -> None:
    """Userinfo needs the openid scope: an accounting-only token gets AuthorizationError."""
    tokens = await connect(oauth, transport)
    with pytest.raises(AuthorizationError) as info:
        await oauth.userinfo(tokens.access_token)
    assert info.value.status == 403


async def test_tokens_and_secrets_never_reach_the_logs(
    oauth: OAuthClient, transport: httpx.AsyncBaseTransport, caplog: pytest.LogCaptureFixture
) -> None:
    """At DEBUG, a full connect, refresh and revoke logs no token, code or secret."""
    caplog.set_level(logging.DEBUG)
    callback = await consent(oauth, transport, OPENID_EMAIL)
    first = await oauth.exchange_code(callback["code"], realm_id=callback["realmId"])
    second = await oauth.refresh(first.refresh_token)
    await oauth.userinfo(second.access_token)
    await oauth.revoke(second.refresh_token)
    assert "intuit_tid" in caplog.text, "the client does log (so this test can fail)"
    secrets = [CLIENT_SECRET, callback["code"]]
    for tokens in (first, second):
        secrets += [tokens.access_token, tokens.refresh_token, tokens.id_token or ""]
    for secret in filter(None, secrets):
        assert secret not in caplog.text


# --------------------------------------------------------------------- a fake Intuit at the edge


class FakeIntuit:
    """Discovery plus a token endpoint answering whatever the test sets (malformed bodies)."""

    TID = "1-fake-tid"

    def __init__(self) -> None:
        self.answer: Response = JSONResponse({})
        self.seen: list[Request] = []
        self.discovery: dict[str, Any] = {
            name: f"{BASE}/{name}"
            for name in (
                "issuer",
                "authorization_endpoint",
                "revocation_endpoint",
                "userinfo_endpoint",
                "jwks_uri",
            )
        }
        self.discovery["token_endpoint"] = f"{BASE}/token"

    async def _discovery(self, request: Request) -> Response:
        return JSONResponse(self.discovery)

    async def _token(self, request: Request) -> Response:
        self.seen.append(request)
        self.answer.headers["intuit_tid"] = self.TID
        return self.answer

    def transport(self) -> httpx.AsyncBaseTransport:
        app = Starlette(
            routes=[
                Route(DISCOVERY_PATH, self._discovery),
                Route("/token", self._token, methods=["POST"]),
            ]
        )
        return httpx.ASGITransport(app=app)


GOOD = {
    "access_token": "at",
    "refresh_token": "rt",
    "token_type": "bearer",
    "expires_in": 3600,
    "x_refresh_token_expires_in": 8726400,
}


def without(name: str) -> dict[str, Any]:
    return {k: v for k, v in GOOD.items() if k != name}


@pytest.mark.parametrize(
    ("answer", "field", "words"),
    [
        (JSONResponse(without("access_token")), "access_token", "lacks"),
        (JSONResponse(without("refresh_token")), "refresh_token", "lacks"),
        (JSONResponse(without("expires_in")), "expires_in", "lacks"),
        (JSONResponse({**GOOD, "expires_in": "3600"}), "expires_in", "integer"),
        (JSONResponse({**GOOD, "access_token": 42}), "access_token", "string"),
        (JSONResponse({**GOOD, "token_type": "mac"}), "token_type", "bearer"),
        (Response("<html>Gateway says hi</html>", media_type="text/html"), None, "not JSON"),
        (JSONResponse([GOOD]), None, "not a JSON object"),
    ],
)
async def test_malformed_token_answers_name_the_problem(
    answer: Response, field: str | None, words: str
) -> None:
    """A 200 that is not a usable token answer raises MalformedTokenResponseError, retryable."""
    fake = FakeIntuit()
    fake.answer = answer
    async with client(fake.transport()) as oauth:
        with pytest.raises(MalformedTokenResponseError, match=words) as info:
            await oauth.refresh("some-refresh-token")
    assert info.value.field == field
    if field is not None:
        assert field in str(info.value)
    assert info.value.intuit_tid == FakeIntuit.TID
    assert isinstance(info.value, ServerError)  # retry: the same refresh token converges


async def test_token_requests_use_basic_auth_and_ask_for_the_hard_expiry() -> None:
    """Client credentials travel as HTTP Basic; the hard-expiry header is on; a good answer
    without the hard expiry leaves it None."""
    fake = FakeIntuit()
    fake.answer = JSONResponse(GOOD)
    async with client(fake.transport()) as oauth:
        tokens = await oauth.refresh("some-refresh-token")
    request = fake.seen[0]
    assert request.headers["authorization"].startswith("Basic ")
    assert request.headers["x-include-refresh-token-hard-expires-in"] == "true"
    assert tokens.hard_expires_at is None
    assert (tokens.access_token, tokens.refresh_token) == ("at", "rt")


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (Response("upstream down", status_code=503), ServerError),
        (JSONResponse({"error": "invalid_request"}, status_code=400), OAuthProtocolError),
        (Response("", status_code=401), InvalidClientError),
    ],
)
async def test_error_answers_map_to_the_taxonomy(answer: Response, error: type[Exception]) -> None:
    """Outages retry later; other OAuth errors and bare 401s need a person."""
    fake = FakeIntuit()
    fake.answer = answer
    async with client(fake.transport()) as oauth:
        with pytest.raises(error) as info:
            await oauth.refresh("some-refresh-token")
    assert getattr(info.value, "intuit_tid", None) == FakeIntuit.TID


async def test_discovery_document_without_an_endpoint_is_malformed() -> None:
    """A discovery document missing token_endpoint is refused, naming the field."""
    fake = FakeIntuit()
    del fake.discovery["token_endpoint"]
    async with client(fake.transport()) as oauth:
        with pytest.raises(MalformedOAuthResponseError, match="token_endpoint") as info:
            await oauth.authorization_url(STATE)
    assert info.value.field == "token_endpoint"


async def test_unreachable_server_is_a_transport_error() -> None:
    """No answer at all becomes the taxonomy's TransportError (retry later)."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with client(httpx.MockTransport(refuse)) as oauth:
        with pytest.raises(TransportError, match="ConnectError"):
            await oauth.authorization_url(STATE)
