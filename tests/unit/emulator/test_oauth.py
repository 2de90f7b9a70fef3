"""The emulator's OAuth 2.0 / OpenID server (QBO-REFERENCE.md section 10)."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import uvicorn
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from joserfc import jwt
from joserfc.jwk import KeySet
from starlette.applications import Starlette
from starlette.testclient import TestClient

from ledgerbridge.emulator._clock import Clock
from ledgerbridge.emulator._faults import FaultError
from ledgerbridge.emulator._oauth import (
    ACCOUNTING_SCOPE,
    INTUIT_ISSUER,
    OAuthError,
    OAuthServer,
    oauth_routes,
)

CLIENT_ID = "ABclientEmulator01"
CLIENT_SECRET = "secretEmulator01"
OTHER_ID = "ABclientOther02"
OTHER_SECRET = "secretOther02"
REDIRECT = "https://app.example/callback"
OPENID = f"{ACCOUNTING_SCOPE} openid"
EPOCH = 1_700_000_000.0
FIRST_REALM = "9130350000000001"


class Companies:
    """A CompanyDirectory kept in a list, newest last."""

    def __init__(self, *initial: tuple[str, str]) -> None:
        self.items = list(initial)

    def companies(self) -> list[tuple[str, str]]:
        return list(self.items)

    def create_company(self, name: str | None) -> str:
        realm_id = str(9130350000000001 + len(self.items))
        self.items.append((realm_id, name or f"Company {len(self.items) + 1}"))
        return realm_id


@dataclass
class Env:
    clock: Clock
    server: OAuthServer
    companies: Companies
    client: TestClient
    auto: list[bool]


def make_env(companies: Companies, **ttls: float) -> Iterator[Env]:
    clock = Clock(source=lambda: EPOCH)
    server = OAuthServer(clock, **ttls)
    server.register_app(CLIENT_ID, CLIENT_SECRET, [REDIRECT, "http://localhost:8000/cb"])
    server.register_app(OTHER_ID, OTHER_SECRET, [REDIRECT])
    auto = [False]
    app = Starlette(routes=oauth_routes(server, companies, auto_approve=lambda: auto[0]))
    with TestClient(app, base_url="http://emu.test:8080", follow_redirects=False) as client:
        yield Env(clock, server, companies, client, auto)


@pytest.fixture
def env() -> Iterator[Env]:
    yield from make_env(Companies((FIRST_REALM, "Acme Plumbing")))


def basic(client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET) -> dict[str, str]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def auth_params(scope: str = OPENID, state: str = "st4te", **extra: str) -> dict[str, str]:
    return {
        "client_id": CLIENT_ID,
        "response_type": "code",
        "scope": scope,
        "redirect_uri": REDIRECT,
        "state": state,
        **extra,
    }


def redirect_query(response: httpx.Response, base: str = REDIRECT) -> dict[str, str]:
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(base + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def authorize(env: Env, scope: str = OPENID, realm_id: str = FIRST_REALM) -> dict[str, str]:
    """Give consent on the page and return the callback parameters."""
    form = {**auth_params(scope), "realm_id": realm_id, "action": "connect"}
    return redirect_query(env.client.post("/connect/oauth2", data=form))


def exchange(env: Env, code: str, redirect_uri: str = REDIRECT, **headers: str) -> httpx.Response:
    body = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    return env.client.post("/oauth2/v1/tokens/bearer", data=body, headers={**basic(), **headers})


def refresh(env: Env, token: str) -> httpx.Response:
    body = {"grant_type": "refresh_token", "refresh_token": token}
    return env.client.post("/oauth2/v1/tokens/bearer", data=body, headers=basic())


def connect(env: Env, scope: str = OPENID) -> dict[str, Any]:
    """Authorize and exchange the code; the token JSON."""
    response = exchange(env, authorize(env, scope)["code"])
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# ------------------------------------------------------------------------------------ discovery


@pytest.mark.parametrize(
    "path",
    [
        "/.well-known/openid_sandbox_configuration",
        "/.well-known/openid_sandbox_configuration/",
        "/.well-known/openid_configuration",
        "/.well-known/openid_configuration/",
    ],
)
def test_discovery_points_at_request_base_url(env: Env, path: str) -> None:
    """Both discovery paths, with and without slash, answer 200 naming the emulator's URLs."""
    response = env.client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    doc = response.json()
    base = "http://emu.test:8080"
    assert doc["issuer"] == INTUIT_ISSUER
    assert doc["authorization_endpoint"] == f"{base}/connect/oauth2"
    assert doc["token_endpoint"] == f"{base}/oauth2/v1/tokens/bearer"
    assert doc["revocation_endpoint"] == f"{base}/v2/oauth2/tokens/revoke"
    assert doc["userinfo_endpoint"] == f"{base}/v1/openid_connect/userinfo"
    assert doc["jwks_uri"] == f"{base}/op/v1/jwks"
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert doc["token_endpoint_auth_methods_supported"] == [
        "client_secret_post",
        "client_secret_basic",
    ]
    for key in ("response_types_supported", "subject_types_supported", "scopes_supported"):
        assert doc[key]
    assert "realmid" in doc["claims_supported"]


# ------------------------------------------------------------------------------ authorization


def test_consent_page_lists_companies(env: Env) -> None:
    """The consent page is titled like Intuit's, lists companies escaped, and posts back."""
    env.companies.items.append(("9130350000000002", "<Bob's> & Sons"))
    response = env.client.get("/connect/oauth2", params=auth_params(state='"><script>'))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert f"<title>{CLIENT_ID} wants to connect to your QuickBooks company</title>" in page
    assert "Acme Plumbing" in page
    assert "&lt;Bob&#x27;s&gt; &amp; Sons" in page
    assert "<script>" not in page
    assert 'value="9130350000000002" checked' in page
    assert "Create a new company" in page
    assert 'name="new_company_name"' in page
    assert 'action="http://emu.test:8080/connect/oauth2"' in page
    assert 'value="connect"' in page
    assert 'value="cancel"' in page
    assert "http://" not in page.replace("http://emu.test:8080/connect/oauth2", "")


def test_consent_connect_redirects_with_code_state_realm(env: Env) -> None:
    """Connecting redirects to the registered URI with code, state and realmId."""
    query = authorize(env)
    assert query["state"] == "st4te"
    assert query["realmId"] == FIRST_REALM
    assert query["code"]


def test_consent_creates_new_company(env: Env) -> None:
    """Choosing "Create a new company" creates it and connects to it."""
    form = {**auth_params(), "realm_id": "__new__", "new_company_name": "Fresh Co"}
    query = redirect_query(env.client.post("/connect/oauth2", data={**form, "action": "connect"}))
    assert env.companies.items[-1] == (query["realmId"], "Fresh Co")
    assert query["realmId"] != FIRST_REALM


def test_consent_cancel_returns_access_denied(env: Env) -> None:
    """Cancel redirects with error=access_denied and the state, and issues no code."""
    form = {**auth_params(), "realm_id": FIRST_REALM, "action": "cancel"}
    query = redirect_query(env.client.post("/connect/oauth2", data=form))
    assert query == {"error": "access_denied", "state": "st4te"}


def test_redirect_keeps_existing_query_of_redirect_uri(env: Env) -> None:
    """A registered redirect_uri with its own query keeps it when code is appended."""
    env.server.register_app(CLIENT_ID, CLIENT_SECRET, ["https://app.example/cb?tenant=7"])
    env.auto[0] = True
    params = auth_params(redirect_uri="https://app.example/cb?tenant=7")
    query = redirect_query(
        env.client.get("/connect/oauth2", params=params), "https://app.example/cb"
    )
    assert query["tenant"] == "7"
    assert query["code"]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"client_id": "nobody"}, "No app is registered"),
        ({"redirect_uri": "https://evil.example/cb"}, "is not registered"),
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_bad_client_or_redirect_refused_without_redirect(
    env: Env, override: dict[str, str], message: str, method: str
) -> None:
    """An unknown client or unregistered redirect_uri gets an HTML 400, never a redirect."""
    env.auto[0] = True
    params = {**auth_params(), **override}
    if method == "GET":
        response = env.client.get("/connect/oauth2", params=params)
    else:
        response = env.client.post("/connect/oauth2", data={**params, "action": "connect"})
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert message in response.text


@pytest.mark.parametrize(
    ("override", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": ""}, "invalid_scope"),
    ],
)
def test_bad_response_type_or_scope_redirects_with_error(
    env: Env, override: dict[str, str], error: str
) -> None:
    """A wrong response_type or an empty scope is reported to the redirect_uri with state."""
    response = env.client.get("/connect/oauth2", params={**auth_params(), **override})
    assert redirect_query(response) == {"error": error, "state": "st4te"}


def test_auto_approve_picks_newest_company(env: Env) -> None:
    """With auto-approve the newest company is connected without a page."""
    env.companies.items.append(("9130350000000009", "Newest"))
    env.auto[0] = True
    query = redirect_query(env.client.get("/connect/oauth2", params=auth_params()))
    assert query["realmId"] == "9130350000000009"
    assert query["state"] == "st4te"
    assert exchange(env, query["code"]).status_code == 200


def test_auto_approve_creates_company_when_none() -> None:
    """With auto-approve and no company, one named "Sandbox Company US 1" is created."""
    for env in make_env(Companies()):
        env.auto[0] = True
        query = redirect_query(env.client.get("/connect/oauth2", params=auth_params()))
        assert env.companies.items == [(query["realmId"], "Sandbox Company US 1")]


def test_consent_page_without_companies_preselects_new(env: Env) -> None:
    """With no company the "Create a new company" choice is preselected."""
    env.companies.items.clear()
    page = env.client.get("/connect/oauth2", params=auth_params()).text
    assert 'value="__new__" checked' in page


# -------------------------------------------------------------------------------- token endpoint


def test_code_exchange_with_basic_auth(env: Env) -> None:
    """A code exchanged with Basic auth returns Intuit's token JSON and no-cache headers."""
    response = exchange(env, authorize(env, ACCOUNTING_SCOPE)["code"])
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache, no-store"
    assert response.headers["pragma"] == "no-cache"
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    body = response.json()
    assert set(body) == {
        "access_token",
        "refresh_token",
        "token_type",
        "expires_in",
        "x_refresh_token_expires_in",
    }
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["x_refresh_token_expires_in"] == 8726400
    grant = env.server.authenticate(body["access_token"], FIRST_REALM)
    assert (grant.client_id, grant.realm_id, grant.scope) == (
        CLIENT_ID,
        FIRST_REALM,
        ACCOUNTING_SCOPE,
    )


def test_code_exchange_with_client_secret_post(env: Env) -> None:
    """Client credentials in the form body (client_secret_post) are accepted."""
    code = authorize(env)["code"]
    body = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    response = env.client.post("/oauth2/v1/tokens/bearer", data=body)
    assert response.status_code == 200
    assert response.json()["access_token"]


def test_code_reuse_is_invalid_grant(env: Env) -> None:
    """A code works once; the second exchange is invalid_grant."""
    code = authorize(env)["code"]
    assert exchange(env, code).status_code == 200
    second = exchange(env, code)
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"


def test_code_with_wrong_redirect_uri_is_invalid_grant(env: Env) -> None:
    """A code exchanged with another (even registered) redirect_uri is invalid_grant."""
    code = authorize(env)["code"]
    response = exchange(env, code, redirect_uri="http://localhost:8000/cb")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert exchange(env, code).status_code == 200


def test_code_of_another_client_is_invalid_grant(env: Env) -> None:
    """A code presented by a different authenticated client is invalid_grant."""
    code = authorize(env)["code"]
    body = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    response = env.client.post(
        "/oauth2/v1/tokens/bearer", data=body, headers=basic(OTHER_ID, OTHER_SECRET)
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_code_expires_after_code_ttl(env: Env) -> None:
    """A code not exchanged within code_ttl seconds is invalid_grant."""
    code = authorize(env)["code"]
    env.clock.advance(601)
    assert exchange(env, code).json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "headers",
    [
        basic(CLIENT_ID, "wrong"),
        basic("nobody", CLIENT_SECRET),
        {"Authorization": "Basic !!notbase64"},
        {"Authorization": "Bearer abc"},
        {},
    ],
)
def test_bad_client_credentials_are_invalid_client(env: Env, headers: dict[str, str]) -> None:
    """Wrong, malformed or missing client credentials give 401 invalid_client with Basic."""
    code = authorize(env)["code"]
    body = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    response = env.client.post("/oauth2/v1/tokens/bearer", data=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"grant_type": "password", "username": "u"}, "unsupported_grant_type"),
        ({}, "invalid_request"),
        ({"grant_type": "authorization_code", "redirect_uri": REDIRECT}, "invalid_request"),
        ({"grant_type": "refresh_token"}, "invalid_request"),
    ],
)
def test_malformed_token_requests(env: Env, body: dict[str, str], error: str) -> None:
    """Unknown grant types and missing parameters are 400 with the RFC 6749 error code."""
    response = env.client.post("/oauth2/v1/tokens/bearer", data=body, headers=basic())
    assert response.status_code == 400
    assert response.json()["error"] == error


# -------------------------------------------------------------------------- refresh and expiry


def test_refresh_rotates_and_old_token_works_within_grace(env: Env) -> None:
    """Every refresh rotates; the superseded token still works in grace, returning the latest."""
    first = connect(env)
    env.clock.advance(3000)
    second = refresh(env, first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert second["x_refresh_token_expires_in"] == 8726400
    env.clock.advance(86_400 - 3001)
    again = refresh(env, first["refresh_token"])
    assert again.status_code == 200
    assert again.json()["refresh_token"] == second["refresh_token"]
    assert again.json()["access_token"] not in (first["access_token"], second["access_token"])
    env.server.authenticate(again.json()["access_token"], FIRST_REALM)


def test_superseded_refresh_token_fails_after_grace(env: Env) -> None:
    """After rotation_grace the superseded refresh token is invalid_grant; the latest works."""
    first = connect(env)
    second = refresh(env, first["refresh_token"]).json()
    env.clock.advance(86_400)
    failed = refresh(env, first["refresh_token"])
    assert failed.status_code == 400
    assert failed.json() == {
        "error": "invalid_grant",
        "error_description": "Incorrect or invalid refresh token",
    }
    assert refresh(env, second["refresh_token"]).status_code == 200


def test_refresh_token_expiry_is_rolling(env: Env) -> None:
    """A refresh token dies after refresh_token_ttl, but each refresh restarts the TTL."""
    first = connect(env)
    env.clock.advance(8_726_400 - 10)
    second = refresh(env, first["refresh_token"]).json()
    assert second["x_refresh_token_expires_in"] == 8_726_400
    env.clock.advance(8_726_400 - 10)
    third = refresh(env, second["refresh_token"])
    assert third.status_code == 200
    env.clock.advance(8_726_400)
    assert refresh(env, third.json()["refresh_token"]).json()["error"] == "invalid_grant"


def test_unknown_and_foreign_refresh_tokens_are_invalid_grant(env: Env) -> None:
    """A garbage refresh token, or one of another client, is invalid_grant."""
    tokens = connect(env)
    assert refresh(env, "garbage").json()["error"] == "invalid_grant"
    body = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    foreign = env.client.post(
        "/oauth2/v1/tokens/bearer", data=body, headers=basic(OTHER_ID, OTHER_SECRET)
    )
    assert foreign.json()["error"] == "invalid_grant"


def test_access_token_expiry_is_fault_3200(env: Env) -> None:
    """An access token older than access_token_ttl fails authenticate with 401 / 3200."""
    token = connect(env)["access_token"]
    env.server.authenticate(token, FIRST_REALM)
    env.clock.advance(3600)
    with pytest.raises(FaultError) as info:
        env.server.authenticate(token, FIRST_REALM)
    assert (info.value.status, info.value.code) == (401, "3200")
    assert info.value.errors[0].detail == f"Token expired: {token[:10]}..."
    assert "invalid_token" in info.value.headers["WWW-Authenticate"]


def test_garbage_access_token_is_fault_3200(env: Env) -> None:
    """An unknown access token fails authenticate with 401 / 3200 "Token invalid"."""
    with pytest.raises(FaultError) as info:
        env.server.authenticate("not-a-token", FIRST_REALM)
    assert (info.value.status, info.value.code) == (401, "3200")
    assert info.value.errors[0].detail == "Token invalid"


def test_access_token_of_other_realm_is_fault_3100(env: Env) -> None:
    """A valid token used for another company fails with 403 / 3100."""
    token = connect(env)["access_token"]
    with pytest.raises(FaultError) as info:
        env.server.authenticate(token, "9130350000000099")
    assert (info.value.status, info.value.code) == (403, "3100")


def test_token_without_accounting_scope_is_fault_3100(env: Env) -> None:
    """A token granted only openid cannot call the accounting data API (403 / 3100)."""
    token = connect(env, scope="openid email")["access_token"]
    with pytest.raises(FaultError) as info:
        env.server.authenticate(token, FIRST_REALM)
    assert info.value.code == "3100"
    assert env.server.authenticate(token, FIRST_REALM, required_scope=None).scope == "openid email"


def test_scaled_ttls_are_reported() -> None:
    """A time-scaled server reports its configured TTLs as integer seconds."""
    for env in make_env(
        Companies((FIRST_REALM, "Acme")), access_token_ttl=36, refresh_token_ttl=87264
    ):
        body = connect(env)
        assert (body["expires_in"], body["x_refresh_token_expires_in"]) == (36, 87264)
        env.clock.advance(36)
        with pytest.raises(FaultError):
            env.server.authenticate(body["access_token"], FIRST_REALM)


def test_hard_expiry_header(env: Env) -> None:
    """x-include-refresh-token-hard-expires-in: true adds the seconds to the 5-year expiry."""
    code = authorize(env)["code"]
    body = exchange(env, code, **{"x-include-refresh-token-hard-expires-in": "true"}).json()
    assert body["x_refresh_token_hard_expires_in"] == 5 * 365 * 86_400
    env.clock.advance(1000)
    plain = refresh(env, body["refresh_token"]).json()
    assert "x_refresh_token_hard_expires_in" not in plain
    headers = {**basic(), "x-include-refresh-token-hard-expires-in": "true"}
    form = {"grant_type": "refresh_token", "refresh_token": plain["refresh_token"]}
    again = env.client.post("/oauth2/v1/tokens/bearer", data=form, headers=headers).json()
    assert again["x_refresh_token_hard_expires_in"] == 5 * 365 * 86_400 - 1000


def test_hard_expiry_ends_the_grant() -> None:
    """No token outlives the grant's absolute expiry; refreshing after it is invalid_grant."""
    for env in make_env(Companies((FIRST_REALM, "Acme")), hard_expiry=5000):
        body = connect(env)
        env.clock.advance(4000)
        late = refresh(env, body["refresh_token"]).json()
        assert late["expires_in"] == 1000
        assert late["x_refresh_token_expires_in"] == 1000
        env.clock.advance(1000)
        assert refresh(env, late["refresh_token"]).json()["error"] == "invalid_grant"


# ------------------------------------------------------------------------------------- revoke


def revoke_json(env: Env, token: str, **headers: str) -> httpx.Response:
    return env.client.post(
        "/v2/oauth2/tokens/revoke",
        content=json.dumps({"token": token}),
        headers={**basic(), "Content-Type": "application/json", **headers},
    )


def test_revoke_refresh_token_via_json_kills_grant(env: Env) -> None:
    """Revoking the refresh token (intuitlib JSON body) invalidates all the grant's tokens."""
    first = connect(env)
    second = refresh(env, first["refresh_token"]).json()
    response = revoke_json(env, second["refresh_token"])
    assert response.status_code == 200
    assert response.content == b""
    for access in (first["access_token"], second["access_token"]):
        with pytest.raises(FaultError) as info:
            env.server.authenticate(access, FIRST_REALM)
        assert info.value.errors[0].detail == "Token revoked"
    for token in (first["refresh_token"], second["refresh_token"]):
        assert refresh(env, token).json()["error"] == "invalid_grant"


def test_revoke_access_token_via_form_kills_grant(env: Env) -> None:
    """Revoking an access token (node-quickbooks form body) disconnects the grant too."""
    tokens = connect(env)
    response = env.client.post(
        "/v2/oauth2/tokens/revoke", data={"token": tokens["access_token"]}, headers=basic()
    )
    assert response.status_code == 200
    assert refresh(env, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_revoke_unknown_or_revoked_token_is_200(env: Env) -> None:
    """Revoking an unknown or already revoked token succeeds (RFC 7009)."""
    tokens = connect(env)
    assert revoke_json(env, tokens["refresh_token"]).status_code == 200
    assert revoke_json(env, tokens["refresh_token"]).status_code == 200
    assert revoke_json(env, "never-issued").status_code == 200


def test_revoke_refuses_bad_client_and_missing_token(env: Env) -> None:
    """Revoke needs valid client credentials (401) and a token (400)."""
    tokens = connect(env)
    bad = revoke_json(
        env, tokens["refresh_token"], Authorization=basic(CLIENT_ID, "x")["Authorization"]
    )
    assert bad.status_code == 401
    assert bad.json()["error"] == "invalid_client"
    missing = env.client.post("/v2/oauth2/tokens/revoke", json={}, headers=basic())
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_request"
    env.server.authenticate(tokens["access_token"], FIRST_REALM)


def test_revoke_of_another_clients_token_is_refused(env: Env) -> None:
    """A client cannot revoke another client's grant."""
    tokens = connect(env)
    response = revoke_json(
        env, tokens["refresh_token"], Authorization=basic(OTHER_ID, OTHER_SECRET)["Authorization"]
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    env.server.authenticate(tokens["access_token"], FIRST_REALM)


# ------------------------------------------------------------------------- OpenID: id_token


def test_id_token_only_with_openid_scope(env: Env) -> None:
    """id_token is returned when openid was granted, on exchange and refresh, not otherwise."""
    assert "id_token" not in connect(env, scope=ACCOUNTING_SCOPE)
    with_openid = connect(env)
    assert with_openid["id_token"]
    assert refresh(env, with_openid["refresh_token"]).json()["id_token"]


def test_id_token_verifies_against_jwks(env: Env) -> None:
    """The id_token is RS256, its kid is in /op/v1/jwks, and its claims are Intuit's."""
    body = connect(env)
    jwks = env.client.get("/op/v1/jwks")
    assert jwks.status_code == 200
    key_set = KeySet.import_key_set(jwks.json())
    token = jwt.decode(body["id_token"], key_set, algorithms=["RS256"])
    assert token.header["alg"] == "RS256"
    assert token.header["kid"] == jwks.json()["keys"][0]["kid"]
    claims = token.claims
    assert claims["iss"] == INTUIT_ISSUER
    assert claims["aud"] == [CLIENT_ID]
    assert claims["realmid"] == FIRST_REALM
    assert claims["iat"] == int(EPOCH)
    assert claims["exp"] == int(EPOCH) + 3600
    assert claims["auth_time"] == int(EPOCH)
    assert claims["sub"]
    assert all("d" not in key for key in jwks.json()["keys"])


# ------------------------------------------------------------------------------------ userinfo


def test_userinfo_with_openid_scope(env: Env) -> None:
    """Userinfo answers with Intuit's claim names for the granted OpenID scopes."""
    token = connect(env, scope=f"{OPENID} email profile phone")["access_token"]
    response = env.client.get(
        "/v1/openid_connect/userinfo", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    info = response.json()
    assert info["email"] == "emulator@example.com"
    assert info["emailVerified"] is True
    assert (info["givenName"], info["familyName"]) == ("Emulator", "User")
    assert {"sub", "phoneNumber", "phoneNumberVerified"} <= set(info)
    id_claims = jwt.decode(connect(env)["id_token"], KeySet.import_key_set(env.server.jwks()))
    assert info["sub"] == id_claims.claims["sub"]


def test_userinfo_claims_follow_scopes(env: Env) -> None:
    """With openid alone, userinfo returns only the subject."""
    token = connect(env)["access_token"]
    assert env.server.userinfo(token) == {"sub": env.server.userinfo(token)["sub"]}


def test_userinfo_without_openid_scope_is_403(env: Env) -> None:
    """A token without openid is refused with 403 insufficient_scope."""
    token = connect(env, scope=ACCOUNTING_SCOPE)["access_token"]
    response = env.client.get(
        "/v1/openid_connect/userinfo", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"


@pytest.mark.parametrize("authorization", [None, "Bearer garbage", "Basic abc"])
def test_userinfo_without_valid_token_is_401(env: Env, authorization: str | None) -> None:
    """Userinfo without a valid Bearer token is 401 invalid_token."""
    headers = {"Authorization": authorization} if authorization else {}
    response = env.client.get("/v1/openid_connect/userinfo", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert response.headers["www-authenticate"].startswith("Bearer")


# ------------------------------------------------------------------------ logic-level behaviour


def test_reregistering_app_replaces_it(env: Env) -> None:
    """Registering a client_id again replaces its secret and redirect URIs."""
    env.server.register_app(CLIENT_ID, "new-secret", ["https://other.example/cb"])
    app = env.server.app(CLIENT_ID)
    assert app is not None
    assert app.redirect_uris == ("https://other.example/cb",)
    assert len(env.server.apps()) == 2
    with pytest.raises(OAuthError) as info:
        env.server.authenticate_client(CLIENT_ID, CLIENT_SECRET)
    assert (info.value.status, info.value.error) == (401, "invalid_client")


def test_issue_tokens_admin_shortcut(env: Env) -> None:
    """issue_tokens grants tokens without a browser and checks the client exists."""
    tokens = env.server.issue_tokens(CLIENT_ID, "42")
    assert env.server.authenticate(tokens.access_token, "42").scope == ACCOUNTING_SCOPE
    assert tokens.id_token is None
    assert "access_token=" not in repr(tokens)
    with pytest.raises(OAuthError):
        env.server.issue_tokens("nobody", "42")


def test_export_import_round_trip_keeps_tokens_valid(env: Env) -> None:
    """State exported to JSON and imported into a new server keeps apps, tokens and key."""
    tokens = connect(env)
    pending_code = authorize(env)["code"]
    state = json.loads(json.dumps(env.server.export_state()))
    restored = OAuthServer(env.clock)
    restored.import_state(state)
    assert restored.app(CLIENT_ID) == env.server.app(CLIENT_ID)
    assert restored.authenticate(tokens["access_token"], FIRST_REALM).client_id == CLIENT_ID
    assert restored.jwks() == env.server.jwks()
    renewed = restored.refresh(CLIENT_ID, tokens["refresh_token"])
    assert renewed.id_token is not None
    claims = jwt.decode(renewed.id_token, KeySet.import_key_set(env.server.jwks())).claims
    assert claims["realmid"] == FIRST_REALM
    assert restored.exchange_code(CLIENT_ID, pending_code, REDIRECT).realm_id == FIRST_REALM
    env.clock.advance(3600)
    with pytest.raises(FaultError):
        restored.authenticate(tokens["access_token"], FIRST_REALM)


def test_import_state_rejects_malformed_state(env: Env) -> None:
    """import_state refuses an unknown version or missing fields and keeps its state."""
    tokens = env.server.issue_tokens(CLIENT_ID, "42")
    with pytest.raises(ValueError, match="version"):
        env.server.import_state({"version": 99})
    with pytest.raises(ValueError, match="malformed"):
        env.server.import_state({"version": 1, "apps": []})
    env.server.authenticate(tokens.access_token, "42")


def test_long_dead_tokens_are_forgotten() -> None:
    """Tokens dead for longer than the grace period are dropped; live ones are kept."""
    for env in make_env(Companies((FIRST_REALM, "Acme")), rotation_grace=100):
        tokens = env.server.issue_tokens(CLIENT_ID, "42")
        latest = tokens.refresh_token
        for _ in range(30):
            env.clock.advance(3600)
            latest = env.server.refresh(CLIENT_ID, latest).refresh_token
        state = env.server.export_state()
        assert len(state["access_tokens"]) <= 2
        assert len(state["refresh_tokens"]) <= 2
        assert len(state["grants"]) == 1
        with pytest.raises(FaultError) as info:
            env.server.authenticate(tokens.access_token, "42")
        assert info.value.errors[0].detail == "Token invalid"
        assert env.server.refresh(CLIENT_ID, latest).realm_id == "42"


def test_oauth_error_json_shape() -> None:
    """OAuthError renders as Intuit's {"error", "error_description"} body."""
    error = OAuthError(400, "invalid_grant", "Token invalid")
    assert error.to_json() == {"error": "invalid_grant", "error_description": "Token invalid"}
    assert OAuthError(400, "invalid_grant").to_json() == {"error": "invalid_grant"}
    assert "invalid_grant" in str(error)


# ---------------------------------------------------------------- real intuit-oauth client


@pytest.fixture
def live_server() -> Iterator[tuple[str, OAuthServer]]:
    """The routes served by uvicorn on a free loopback port, in a background thread."""
    server = OAuthServer(Clock())
    server.register_app(CLIENT_ID, CLIENT_SECRET, [REDIRECT])
    companies = Companies((FIRST_REALM, "Acme Plumbing"))
    app = Starlette(routes=oauth_routes(server, companies, auto_approve=lambda: True))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    uv = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}", server
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.mark.integration
def test_intuitlib_auth_client_end_to_end(
    live_server: tuple[str, OAuthServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    """intuit-oauth's AuthClient runs the whole flow, validating the id_token via JWKS."""
    base, server = live_server
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    client = AuthClient(
        CLIENT_ID,
        CLIENT_SECRET,
        REDIRECT,
        environment=f"{base}/.well-known/openid_sandbox_configuration/",
    )
    assert client.token_endpoint == f"{base}/oauth2/v1/tokens/bearer"
    url = client.get_authorization_url([Scopes.ACCOUNTING, Scopes.OPENID])
    callback = httpx.get(url, follow_redirects=False)
    query = redirect_query(callback)
    assert query["state"] == client.state_token

    client.get_bearer_token(query["code"], realm_id=query["realmId"])
    assert client.realm_id == FIRST_REALM
    assert client.expires_in == 3600
    assert client.x_refresh_token_expires_in == 8726400
    # intuitlib stores the id_token only after validating iss, aud[0], exp and the signature.
    assert client.id_token is not None
    first_refresh = client.refresh_token
    server.authenticate(client.access_token, FIRST_REALM)

    client.refresh()
    assert client.refresh_token != first_refresh
    assert client.id_token is not None
    server.authenticate(client.access_token, FIRST_REALM)

    info = client.get_user_info()
    assert info.status_code == 200
    assert info.json()["sub"]

    access = client.access_token
    assert client.revoke() is True
    with pytest.raises(FaultError) as revoked:
        server.authenticate(access, FIRST_REALM)
    assert revoked.value.errors[0].detail == "Token revoked"
