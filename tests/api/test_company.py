"""Connecting a company through the API and the OAuth callback, its status, disconnecting,
and the settings: read, check against the company's lists, save versioned."""

from __future__ import annotations

import httpx
import pytest
from apikit import API, Api, Tenant, assert_problem

from ledgerbridge.web._callback import CONNECT_BINDING_COOKIE, CONNECT_RETURN_COOKIE
from ledgerbridge.web._service import start_connect

pytestmark = pytest.mark.anyio


async def test_connect_through_the_consent_page_and_the_callback(api: Api) -> None:
    """Before: not connected, with what to do. After: the company, its environment and the
    refresh token's expiry."""
    tenant = await api.tenant("shop")
    before = await api.client.get(tenant.path("/connection"), headers=tenant.headers)
    assert before.json()["state"] == "not_connected" and "connect" in before.json()["reason"]
    realm_id = await api.connect(tenant.id, tenant.key, "Precision Parts Co")
    status = (await api.client.get(tenant.path("/connection"), headers=tenant.headers)).json()
    assert status["state"] == "connected" and status["reason"] is None
    assert (status["company_name"], status["realm_id"]) == ("Precision Parts Co", realm_id)
    assert status["environment"] == "emulator" and status["refresh_token_expires_at"]


async def test_the_callback_refuses_forged_and_replayed_states(api: Api) -> None:
    """A state altered, or used a second time, connects nothing; the page says to retry."""
    tenant = await api.tenant("shop")
    api.emulator.create_company("Shop Co")
    started = await api.client.post(tenant.path("/connection"), headers=tenant.headers)
    callback = await api.consent(started.json()["authorization_url"])
    forged = callback.replace("state=", "state=x")
    assert (await api.client.get(forged)).status_code == 400
    assert (await api.client.get(callback)).status_code == 200
    replayed = await api.client.get(callback)
    assert replayed.status_code == 400 and "Connect" in replayed.text
    refused = await api.client.get("/callback?error=access_denied&state=abc")
    assert refused.status_code == 400


async def test_a_console_flow_is_bound_to_its_browser(api: Api) -> None:
    """A state issued for one browser's binding cookie does not complete in another browser;
    with the cookie it completes and sends the browser back where the console asked."""
    await api.tenant("shop")
    api.emulator.create_company("Shop Co")
    url = await start_connect(api.services, "shop", session="browser-1")
    callback = await api.consent(url)
    assert (await api.client.get(callback)).status_code == 400
    api.client.cookies.set(CONNECT_BINDING_COOKIE, "browser-1")
    api.client.cookies.set(CONNECT_RETURN_COOKIE, "/console/shop")
    answer = await api.client.get(callback)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/shop?connect=done"


async def test_disconnect_revokes_and_work_waits(api: Api) -> None:
    """Disconnected with the reason; a sync request is then 409 saying to connect."""
    tenant = await api.tenant("shop", company="Shop Co")
    answer = await api.client.delete(tenant.path("/connection"), headers=tenant.headers)
    assert answer.status_code == 200
    assert answer.json()["revoked"] is True
    assert answer.json()["connection"]["state"] == "disconnected"
    assert "Disconnected by" in answer.json()["connection"]["reason"]
    sync = await api.client.post(tenant.path("/sync"), json={}, headers=tenant.headers)
    assert_problem(sync, 409, "not-connected")
    never = await api.tenant("other")
    missing = await api.client.delete(never.path("/connection"), headers=never.headers)
    assert_problem(missing, 404, "not-found")


async def test_settings_start_as_the_defaults(api: Api) -> None:
    """Before any save: version null and the defaults."""
    tenant = await api.tenant("shop")
    answer = await api.client.get(tenant.path("/settings"), headers=tenant.headers)
    assert answer.json()["version"] is None
    assert answer.json()["settings"]["inventory_mode"] == "qbo_tracks"


async def test_check_names_what_the_company_lacks_with_choices(api: Api) -> None:
    """An account the company does not have is an error with the closest names; the
    company's lists come back for drop-downs."""
    tenant = await api.tenant("shop", company="Shop Co")
    answer = await api.client.post(
        tenant.path("/settings/check"),
        json={"settings": {"refund_account": "Chequing"}},
        headers=tenant.headers,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["ok"] is False
    problem = next(p for p in body["problems"] if p["field"] == "refund_account")
    assert problem["severity"] == "error" and "Checking" in problem["suggestions"]
    assert "Checking" in body["choices"]["account"]
    unconnected = await api.tenant("other")
    refused = await api.client.post(
        unconnected.path("/settings/check"), json={}, headers=unconnected.headers
    )
    assert_problem(refused, 409, "not-connected")


async def test_save_is_versioned_and_refuses_what_the_company_lacks(api: Api) -> None:
    """A valid save is version 1, then 2 from 1; a stale expected version is 409; a
    setting QBO lacks is 422 naming it, and nothing is saved."""
    tenant = await api.tenant("shop", company="Shop Co")
    first = await save(api, tenant, {"refund_account": "Checking"}, None)
    assert first.status_code == 200, first.text
    assert first.json()["version"] == 1 and first.json()["saved_by"].startswith("API key")
    assert (await save(api, tenant, {"refund_account": "Undeposited Funds"}, 1)).json()[
        "version"
    ] == 2
    assert_problem(await save(api, tenant, {}, 1), 409, "edit-conflict")
    lacking = await save(api, tenant, {"refund_account": "Petty Cash Jar"}, 2)
    problem = assert_problem(lacking, 422, "invalid-input")
    assert [e["field"] for e in problem["errors"]] == ["settings.refund_account"]
    unchecked = await api.client.put(
        tenant.path("/settings"),
        params={"check": "false"},
        json={"settings": {"refund_account": "Petty Cash Jar"}, "expected_version": 2},
        headers=tenant.headers,
    )
    assert unchecked.json()["version"] == 3
    current = await api.client.get(tenant.path("/settings"), headers=tenant.headers)
    assert current.json()["settings"]["refund_account"] == "Petty Cash Jar"


async def test_settings_of_the_wrong_shape_are_422_naming_the_field(api: Api) -> None:
    """Pydantic's refusals are named by their path in the body; nothing is saved."""
    tenant = await api.tenant("shop")
    answer = await save(api, tenant, {"inventory_mode": "both", "colour": "blue"}, None)
    fields = {e["field"] for e in assert_problem(answer, 422, "invalid-input")["errors"]}
    assert fields == {"settings.inventory_mode", "settings.colour"}
    assert api.services.runtime.settings_store.current(tenant_id=tenant.id) is None


async def save(
    api: Api, tenant: Tenant, settings: dict[str, object], version: int | None
) -> httpx.Response:
    return await api.client.put(
        f"{API}/tenants/{tenant.id}/settings",
        json={"settings": settings, "expected_version": version},
        headers=tenant.headers,
    )


async def test_disconnect_stands_when_intuit_cannot_revoke(api: Api) -> None:
    """Intuit's revocation endpoint failing does not keep the company connected: it is
    disconnected all the same, and the answer says the tokens were not revoked."""
    tenant = await api.tenant("shop", company="Shop Co")
    api.emulator.faults.arm("http_500", count=5, path="/tokens/revoke$")
    answer = await api.client.delete(tenant.path("/connection"), headers=tenant.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["revoked"] is False
    assert answer.json()["connection"]["state"] == "disconnected"
