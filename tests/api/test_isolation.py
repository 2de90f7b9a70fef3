"""Tenant isolation, table-driven over every route under ``/api/v1/tenants/{tenant_id}``:
tenant A's key reads and changes nothing of tenant B, and answers exactly as for a tenant
that does not exist (so ids do not leak). The table is the app's own OpenAPI document: a new route
is covered the day it is added."""

from __future__ import annotations

import re
from typing import Any

import pytest
from apikit import ADMIN, API, Api, Tenant, customer

pytestmark = pytest.mark.anyio

PREFIX = f"{API}/tenants/{{tenant_id}}"
#: a valid body for each route that takes one, so that a refusal is never about the body
BODIES: dict[tuple[str, str], Any] = {
    ("PUT", "/settings"): {"settings": {}, "expected_version": None},
    ("POST", "/settings/check"): {},
    ("PUT", "/records/{record_type}/{app_id}"): {"name": "Changed By A"},
    ("POST", "/records"): '{"type": "customer", "id": "a-was-here", "name": "A"}',
    ("POST", "/records/{record_type}/{app_id}/relink"): {"qbo_id": "1"},
    ("POST", "/sync"): {},
    ("POST", "/errors/retry"): {},
    ("POST", "/api-keys"): {"name": "stolen"},
}


def tenant_routes(api: Api) -> list[tuple[str, str]]:
    """(method, path after the tenant prefix) of every tenant-scoped API route."""
    routes: list[tuple[str, str]] = []
    for path, operations in api.app.openapi()["paths"].items():
        if path.startswith(PREFIX):
            routes.extend((method.upper(), path[len(PREFIX) :]) for method in sorted(operations))
    assert len(routes) >= 20, routes  # the table is the app's routes, not an empty list
    return routes


async def victim(api: Api) -> tuple[Tenant, dict[str, str]]:
    """Tenant B, connected, with a record, a run, an operation, settings: the real ids of
    everything a route can name."""
    b = await api.tenant("shop-b", company="B Co")
    await api.put(b.id, b.key, customer("c0", "B's customer"))
    await api.client.post(b.path("/sync"), json={}, headers=b.headers)
    await api.drain(b.id)
    await api.client.put(
        b.path("/settings"),
        json={"settings": {"refund_account": "Checking"}, "expected_version": None},
        headers=b.headers,
    )
    run = (await api.client.get(b.path("/runs"), headers=b.headers)).json()[0]
    operation = (await api.client.get(b.path("/operations"), headers=b.headers)).json()[0]
    key = (await api.client.get(b.path("/api-keys"), headers=ADMIN)).json()[0]
    ids = {
        "record_type": "customer",
        "app_id": "c0",
        "run_id": run["id"],
        "operation_id": operation["id"],
        "key_id": key["id"],
    }
    return b, ids


def snapshot(api: Api, tenant_id: str) -> dict[str, Any]:
    """Everything of the tenant that a route could change."""
    runtime = api.services.runtime
    return {
        "records": [
            (r.app_id, r.content_hash, r.dirty, r.deleted_at)
            for r in runtime.records.dirty(tenant_id=tenant_id)
        ],
        "record": runtime.records.get(tenant_id=tenant_id, record_type="customer", app_id="c0"),
        "links": runtime.links.list(tenant_id=tenant_id),
        "settings": runtime.settings_store.history(tenant_id=tenant_id),
        "runs": api.services.activity.runs(tenant_id=tenant_id),
        "keys": api.services.access.keys(tenant_id=tenant_id),
        "connection": runtime.connections.get(tenant_id=tenant_id, environment="emulator"),
    }


async def call(
    api: Api, tenant: str, method: str, rest: str, ids: dict[str, str], key: Tenant
) -> Any:
    path = PREFIX.replace("{tenant_id}", tenant) + re.sub(
        r"\{(\w+)\}", lambda m: ids[m.group(1)], rest
    )
    body = BODIES.get((method, rest))
    if isinstance(body, str):
        return await api.client.request(
            method,
            path,
            content=body,
            headers={**key.headers, "Content-Type": "application/x-ndjson"},
        )
    return await api.client.request(method, path, json=body, headers=key.headers)


async def test_tenant_a_can_read_or_change_nothing_of_tenant_b(api: Api) -> None:
    """Every tenant route, with A's key on B's ids: the answer A gets for a tenant that does
    not exist (404, or 403 on admin routes), and B is exactly as before."""
    a = await api.tenant("shop-a", company="A Co")
    b, ids = await victim(api)
    routes = tenant_routes(api)
    before = snapshot(api, b.id)
    for method, rest in routes:
        on_b = await call(api, b.id, method, rest, ids, a)
        on_nobody = await call(api, "no-such-shop", method, rest, ids, a)
        assert on_b.status_code in (403, 404), (method, rest, on_b.text)
        assert (on_b.status_code, on_b.json()["detail"]) == (
            on_nobody.status_code,
            on_nobody.json()["detail"],
        ), (method, rest)
    assert snapshot(api, b.id) == before
    assert (
        api.services.runtime.records.get(
            tenant_id=a.id, record_type="customer", app_id="a-was-here"
        )
        is None
    )


async def test_the_same_requests_reach_b_with_bs_own_key(api: Api) -> None:
    """The table above can fail: with B's key the same requests are not refused as
    missing (so a route that forgot the tenant check would be caught)."""
    await api.tenant("shop-a")
    b, ids = await victim(api)
    for method, rest in tenant_routes(api):
        answer = await call(api, b.id, method, rest, ids, b)
        assert answer.status_code != 404, (method, rest, answer.text)
