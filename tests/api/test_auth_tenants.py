"""Authentication (admin key, tenant keys, 401 / 403 / 404) and the tenant and key routes."""

from __future__ import annotations

from pathlib import Path

import pytest
from apikit import ADMIN, ADMIN_KEY, API, Api, assert_problem, bearer, open_api

from ledgerbridge.settings import Settings, SettingsError, load_settings

pytestmark = pytest.mark.anyio


async def test_no_key_is_401_with_a_bearer_challenge(api: Api) -> None:
    """Without Authorization every API route answers 401 and says how to authenticate."""
    answer = await api.client.get(f"{API}/tenants")
    assert_problem(answer, 401, "unauthorized")
    assert answer.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "authorization",
    ["Bearer wrong", "Bearer lbk_0123456789abcdef_" + "A" * 43, "Basic YWRtaW46YWRtaW4=", "Bearer"],
)
async def test_wrong_keys_are_401(api: Api, authorization: str) -> None:
    """A malformed, unknown or non-Bearer credential is refused, not treated as anonymous."""
    answer = await api.client.get(f"{API}/tenants", headers={"Authorization": authorization})
    assert_problem(answer, 401, "unauthorized")


async def test_a_tenant_key_cannot_use_admin_routes(api: Api) -> None:
    """Creating tenants and managing keys takes the admin key: a tenant key gets 403."""
    shop = await api.tenant("shop")
    answer = await api.client.post(
        f"{API}/tenants", json={"id": "other", "name": "Other"}, headers=shop.headers
    )
    assert_problem(answer, 403, "forbidden")
    assert_problem(
        await api.client.get(shop.path("/api-keys"), headers=shop.headers), 403, "forbidden"
    )


async def test_another_tenants_key_gets_404_like_a_missing_tenant(api: Api) -> None:
    """A key of tenant A on tenant B's address answers exactly as for a tenant that does not
    exist: ids do not leak."""
    a, b = await api.tenant("shop-a"), await api.tenant("shop-b")
    other = await api.client.get(b.path(), headers=a.headers)
    missing = await api.client.get(f"{API}/tenants/no-such-shop", headers=a.headers)
    assert_problem(other, 404, "not-found")
    assert_problem(missing, 404, "not-found")
    assert other.json()["detail"] == missing.json()["detail"]
    assert (await api.client.get(a.path(), headers=a.headers)).json()["id"] == "shop-a"


async def test_admin_routes_answer_401_when_no_admin_key_is_configured(tmp_path: Path) -> None:
    """Without LEDGERBRIDGE_ADMIN_KEY nothing is an admin key, not even an empty string."""
    async with open_api(tmp_path, admin_key=None) as api:
        answer = await api.client.get(f"{API}/tenants", headers=ADMIN)
        assert_problem(answer, 401, "unauthorized")


async def test_create_tenant_returns_its_first_key_once(api: Api) -> None:
    """The key is in the creation answer, works, and is never listed again."""
    created = await api.client.post(
        f"{API}/tenants", json={"id": "precision-parts", "name": "Precision Parts"}, headers=ADMIN
    )
    assert created.status_code == 201
    body = created.json()
    key = body["api_key"]["key"]
    assert key.startswith(body["api_key"]["api_key"]["prefix"] + "_")
    assert body["tenant"] == {
        "id": "precision-parts",
        "name": "Precision Parts",
        "created_at": body["tenant"]["created_at"],
    }
    mine = await api.client.get(f"{API}/tenants/precision-parts", headers=bearer(key))
    assert mine.status_code == 200
    listed = await api.client.get(f"{API}/tenants/precision-parts/api-keys", headers=ADMIN)
    assert key not in listed.text and listed.json()[0]["active"] is True


async def test_duplicate_and_invalid_tenants_are_refused(api: Api) -> None:
    """A taken id is 409; a malformed id or a missing name is 422 naming the field."""
    await api.tenant("shop")
    duplicate = await api.client.post(
        f"{API}/tenants", json={"id": "shop", "name": "Again"}, headers=ADMIN
    )
    assert_problem(duplicate, 409, "conflict")
    bad = await api.client.post(f"{API}/tenants", json={"id": "no spaces/", "x": 1}, headers=ADMIN)
    fields = {e["field"] for e in assert_problem(bad, 422, "invalid-input")["errors"]}
    assert fields == {"id", "name", "x"}


async def test_list_tenants_pages_by_id(api: Api) -> None:
    """Tenants come in id order; ``after`` continues where a page ended."""
    for tenant_id in ("c-shop", "a-shop", "b-shop"):
        await api.tenant(tenant_id)
    first = await api.client.get(f"{API}/tenants", params={"limit": 2}, headers=ADMIN)
    assert [t["id"] for t in first.json()] == ["a-shop", "b-shop"]
    rest = await api.client.get(f"{API}/tenants", params={"after": "b-shop"}, headers=ADMIN)
    assert [t["id"] for t in rest.json()] == ["c-shop"]
    too_many = await api.client.get(f"{API}/tenants", params={"limit": 0}, headers=ADMIN)
    assert assert_problem(too_many, 422, "invalid-input")["errors"] == [
        {"field": "limit", "message": "Input should be greater than or equal to 1."}
    ]


async def test_rotate_replaces_a_key_and_revoke_ends_it(api: Api) -> None:
    """After a rotation the new key works and the old one is 401; a revoked key is 401;
    revoking it twice is 404."""
    shop = await api.tenant("shop")
    key_id = (await api.client.get(shop.path("/api-keys"), headers=ADMIN)).json()[0]["id"]
    rotated = await api.client.post(shop.path(f"/api-keys/{key_id}/rotate"), headers=ADMIN)
    assert rotated.status_code == 201
    new_key = rotated.json()["key"]
    assert (await api.client.get(shop.path(), headers=bearer(new_key))).status_code == 200
    assert_problem(await api.client.get(shop.path(), headers=shop.headers), 401, "unauthorized")
    new_id = rotated.json()["api_key"]["id"]
    revoked = await api.client.delete(shop.path(f"/api-keys/{new_id}"), headers=ADMIN)
    assert revoked.status_code == 204
    assert_problem(await api.client.get(shop.path(), headers=bearer(new_key)), 401, "unauthorized")
    again = await api.client.delete(shop.path(f"/api-keys/{new_id}"), headers=ADMIN)
    assert_problem(again, 404, "not-found")
    states = [
        k["active"] for k in (await api.client.get(shop.path("/api-keys"), headers=ADMIN)).json()
    ]
    assert states == [False, False]


async def test_issue_a_second_key(api: Api) -> None:
    """A second key works beside the first."""
    shop = await api.tenant("shop")
    issued = await api.client.post(shop.path("/api-keys"), json={"name": "ci"}, headers=ADMIN)
    assert issued.status_code == 201 and issued.json()["api_key"]["name"] == "ci"
    for key in (shop.key, issued.json()["key"]):
        assert (await api.client.get(shop.path(), headers=bearer(key))).status_code == 200


async def test_console_users_are_created_with_hashed_passwords(api: Api) -> None:
    """A console user is stored with an scrypt hash, can log in, and is listed without it."""
    await api.tenant("shop")
    made = await api.client.post(
        f"{API}/users",
        json={"username": "owner", "password": "correct horse battery", "tenants": ["shop"]},
        headers=ADMIN,
    )
    assert made.status_code == 201 and made.json() == {
        "username": "owner",
        "admin": False,
        "tenants": ["shop"],
    }
    assert api.services.access.verify_user("owner", "correct horse battery") is not None
    assert api.services.access.verify_user("owner", "wrong horse battery") is None
    listed = await api.client.get(f"{API}/users", headers=ADMIN)
    assert "correct horse" not in listed.text and "scrypt" not in listed.text
    unknown = await api.client.post(
        f"{API}/users",
        json={"username": "clerk", "password": "correct horse battery", "tenants": ["nope"]},
        headers=ADMIN,
    )
    assert [e["field"] for e in assert_problem(unknown, 422, "invalid-input")["errors"]] == [
        "tenants"
    ]


def test_a_short_admin_key_is_refused_at_start_up() -> None:
    """An admin key under 32 characters is a configuration error naming the variable."""
    with pytest.raises(SettingsError, match="LEDGERBRIDGE_ADMIN_KEY is too short"):
        load_settings_with(LEDGERBRIDGE_ADMIN_KEY="short")
    assert load_settings_with(LEDGERBRIDGE_ADMIN_KEY=ADMIN_KEY).admin_key is not None


def load_settings_with(**variables: str) -> Settings:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in variables.items():
            patch.setenv(name, value)
        return load_settings()
