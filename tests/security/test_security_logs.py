"""No secret reaches a log: a full run at DEBUG on every logger, grepped for every secret.

The run connects a tenant through the emulator's OAuth consent and callback, pushes records
with the tenant's API key, has an expired access token refreshed, receives a signed webhook
(and a forged one), logs a console user in (and one with a wrong password), and disconnects.
Then the captured text is searched for each access and refresh token, authorization code,
client secret, API key, admin key, console password, webhook verifier and the Fernet key.

The requests the test itself sends to ledgerbridge (the browser's and the API caller's, which
httpx logs with their URLs) are the client's logs, not ledgerbridge's, and are left out.

The second test serves the web app through uvicorn as ``ledgerbridge serve`` does and checks
its access log: the OAuth callback's ``code`` and ``state`` are redacted there.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from securitykit import capture_logs, emulator_secrets, leaks, push_customers, requests_to

from api.apikit import ADMIN_KEY, API, BASE, Api, bearer, open_api
from console.consolekit import PASSWORD, open_console
from ledgerbridge.cli._access_log import REDACTED, uvicorn_config
from ledgerbridge.qbo import sign_notification
from ledgerbridge.web import WEBHOOK_PATH, create_app
from support import free_port, serve_in_thread

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

VERIFIER = "c4e1f0a2-webhook-verifier-never-logged"
#: a typo of the real password is as secret as the password
WRONG_PASSWORD = "correct horse battery stable"
TENANT = "acme"


async def _connect(api: Api, key: str) -> tuple[str, str]:
    """Connect through the API, the consent page and the callback; the code and realm id."""
    api.emulator.create_company("Acme Co")
    address = f"{API}/tenants/{TENANT}/connection"
    started = await api.client.post(address, headers=bearer(key))
    assert started.status_code == 200, started.text
    callback = await api.consent(started.json()["authorization_url"])
    code = parse_qs(urlsplit(callback).query)["code"][0]
    finished = await api.client.get(callback)
    assert finished.status_code == 200, finished.text
    status = (await api.client.get(address, headers=bearer(key))).json()
    return code, str(status["realm_id"])


async def _webhooks(api: Api, realm_id: str) -> None:
    """A signed notification is taken, a forged one refused (both are logged)."""
    web = create_app(
        notifications=api.services.runtime.inbound_store,
        on_notification=lambda notification_id: None,
        webhook_verifier=VERIFIER,
        services=api.services,
    )
    body = json.dumps(
        {
            "eventNotifications": [
                {
                    "realmId": realm_id,
                    "dataChangeEvent": {
                        "entities": [
                            {
                                "name": "Customer",
                                "id": "1",
                                "operation": "Update",
                                "lastUpdated": "2026-03-02T10:00:00.000Z",
                            }
                        ]
                    },
                }
            ]
        }
    ).encode()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url=BASE) as http:
        signed = {"intuit-signature": sign_notification(body, VERIFIER)}
        assert (await http.post(WEBHOOK_PATH, content=body, headers=signed)).status_code == 200
        forged = {"intuit-signature": sign_notification(body, "not-the-verifier")}
        assert (await http.post(WEBHOOK_PATH, content=body, headers=forged)).status_code == 401


async def test_a_full_run_logs_no_token_key_password_or_secret(tmp_path: Path) -> None:
    """Connect, push, refresh, webhooks, API, console, disconnect: no secret in any log."""
    async with open_console(tmp_path) as console:
        api = console.api
        settings = api.services.runtime.settings
        assert settings.secret_key is not None
        secrets: dict[str, set[str]] = {
            "admin key": {ADMIN_KEY},
            "console password": {PASSWORD, WRONG_PASSWORD},
            "webhook verifier": {VERIFIER},
            "Fernet key": {settings.secret_key.get_secret_value()},
        }
        with capture_logs(ignore=requests_to(BASE)) as logs:
            key = await console.shop(TENANT)
            code, realm_id = await _connect(api, key)
            first = emulator_secrets(api.emulator)
            await push_customers(api, TENANT, key, realm_id, "c1", "c2")
            api.emulator.oauth.expire_access_tokens(realm_id)
            await push_customers(api, TENANT, key, realm_id, "c3")
            connection = api.services.runtime.connections.get(
                tenant_id=TENANT, environment="emulator"
            )
            assert connection is not None and connection.last_refresh_at is not None
            await _webhooks(api, realm_id)
            refused = await console.login(f"{TENANT}-owner", WRONG_PASSWORD)
            assert refused.status_code != 303
            assert (await console.login(f"{TENANT}-owner")).status_code == 303
            runs = await api.client.get(f"{API}/tenants/{TENANT}/runs", headers=bearer(key))
            assert runs.is_success, runs.text
            disconnected = await api.client.delete(
                f"{API}/tenants/{TENANT}/connection", headers=bearer(key)
            )
            assert disconnected.is_success, disconnected.text
        for kind, values in [*first.items(), *emulator_secrets(api.emulator).items()]:
            secrets.setdefault(kind, set()).update(values)
        secrets["authorization code"].add(code)
        secrets["API key"] = {key}
        secrets["access token"].add(connection.access_token)
        secrets["refresh token"].add(connection.refresh_token)
    # the capture saw ledgerbridge's own lines and its QBO requests (else it proves nothing)
    assert "httpx" in logs.loggers and any(n.startswith("ledgerbridge.") for n in logs.loggers)
    assert leaks(logs.text, secrets) == {}


async def test_the_access_log_of_serve_redacts_the_oauth_callbacks_code_and_state(
    tmp_path: Path,
) -> None:
    """Through uvicorn as ``serve`` configures it, the browser's return to the callback is
    logged with its path and status, and with ``[redacted]`` for the code and the state."""
    async with open_api(tmp_path) as api:
        key = await api.create_tenant(TENANT)
        api.emulator.create_company("Acme Co")
        address = f"{API}/tenants/{TENANT}/connection"
        started = await api.client.post(address, headers=bearer(key))
        callback = await api.consent(started.json()["authorization_url"])
        query = parse_qs(urlsplit(callback).query)
        port = free_port()
        config = uvicorn_config(api.app, host="127.0.0.1", port=port)
        with (
            capture_logs(ignore=requests_to(f"http://127.0.0.1:{port}")) as logs,
            serve_in_thread(api.app, config=config) as url,
        ):
            async with httpx.AsyncClient(base_url=url) as browser:
                answer = await browser.get(callback)
        assert answer.status_code == 200, answer.text
        status = await api.client.get(address, headers=bearer(key))
        assert status.json()["realm_id"] == query["realmId"][0]
    access = [line for line in logs.records if line.startswith("INFO uvicorn.access")]
    path = urlsplit(callback).path
    assert any(f"GET {path}?code={REDACTED}&state={REDACTED}&realmId=" in a for a in access)
    assert leaks(logs.text, {"code": query["code"], "state": query["state"]}) == {}
