"""Authentication on every operation of the OpenAPI document, so that no route is missed.

Each operation the app publishes is called with no key, with a malformed key, with an
unknown tenant key and with a valid tenant key: the first three get 401 with a Bearer
challenge; the tenant key gets 403 on exactly the admin operations and is let through on the
others. Only the operations in :data:`PUBLIC` need no key. A new route is covered by
construction, and must be added to :data:`ADMIN_ONLY` or :data:`PUBLIC` if it is either.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from apikit import ADMIN, Api, Tenant, assert_problem

pytestmark = pytest.mark.anyio

#: the operations anyone may call, and why
PUBLIC = {
    ("GET", "/healthz"): "a load balancer's liveness probe: says ok or not, nothing else",
}
#: the operations only the admin key may call (a tenant key gets 403)
ADMIN_ONLY = {
    ("POST", "/api/v1/tenants"),
    ("GET", "/api/v1/tenants"),
    ("GET", "/api/v1/tenants/{tenant_id}/api-keys"),
    ("POST", "/api/v1/tenants/{tenant_id}/api-keys"),
    ("POST", "/api/v1/tenants/{tenant_id}/api-keys/{key_id}/rotate"),
    ("DELETE", "/api/v1/tenants/{tenant_id}/api-keys/{key_id}"),
    ("GET", "/api/v1/users"),
    ("POST", "/api/v1/users"),
    ("GET", "/metrics"),
}
#: a value for each path parameter
_VALUES = {
    "record_type": "customer",
    "app_id": "c1",
    "key_id": "k1",
    "run_id": "r1",
    "operation_id": "1",
}
_UNKNOWN_KEY = "lbk_0123456789abcdef_" + "A" * 43


async def _operations(api: Api) -> list[tuple[str, str]]:
    document = (await api.client.get("/openapi.json")).json()
    return sorted(
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    )


def _address(path: str, tenant_id: str) -> str:
    values = {**_VALUES, "tenant_id": tenant_id}
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


async def _call(
    api: Api, method: str, path: str, tenant_id: str, headers: dict[str, str]
) -> httpx.Response:
    body: dict[str, Any] = {"json": {}} if method in ("POST", "PUT") else {}
    return await api.client.request(method, _address(path, tenant_id), headers=headers, **body)


async def test_every_operation_is_public_or_authenticated(api: Api) -> None:
    """The lists above name real operations, and every operation is covered below."""
    operations = await _operations(api)
    assert len(operations) >= 30
    assert set(PUBLIC) <= set(operations)
    assert set(ADMIN_ONLY) <= set(operations)
    for operation in PUBLIC:
        answer = await api.client.request(operation[0], operation[1])
        assert answer.status_code == 200, (operation, answer.text)


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Basic YWRtaW46YWRtaW4=", "Bearer not-a-key", f"Bearer {_UNKNOWN_KEY}"],
    ids=["no key", "empty bearer", "basic", "malformed", "unknown key"],
)
async def test_every_operation_refuses_a_missing_or_wrong_key_with_401(
    api: Api, authorization: str | None
) -> None:
    """401, an RFC 9457 problem and a Bearer challenge, on every operation but PUBLIC."""
    await api.tenant("shop")
    headers = {} if authorization is None else {"Authorization": authorization}
    for method, path in await _operations(api):
        if (method, path) in PUBLIC:
            continue
        answer = await _call(api, method, path, "shop", headers)
        assert answer.status_code == 401, (method, path, answer.text)
        assert_problem(answer, 401, "unauthorized")
        assert answer.headers["www-authenticate"].startswith("Bearer"), (method, path)


async def test_a_tenant_key_gets_403_on_exactly_the_admin_operations(api: Api) -> None:
    """On its own tenant's addresses, a tenant key is refused with 403 on the admin
    operations and let through (whatever the answer then is) on every other."""
    shop = await api.tenant("shop")
    refused: set[tuple[str, str]] = set()
    for method, path in await _operations(api):
        if (method, path) in PUBLIC:
            continue
        answer = await _call(api, method, path, shop.id, shop.headers)
        assert answer.status_code != 401, (method, path, answer.text)
        if answer.status_code == 403:
            assert_problem(answer, 403, "forbidden")
            refused.add((method, path))
    assert refused == ADMIN_ONLY


async def test_the_admin_key_is_let_through_everywhere(api: Api) -> None:
    """The admin key is never refused (401 or 403), on any tenant's addresses."""
    shop: Tenant = await api.tenant("shop")
    for method, path in await _operations(api):
        answer = await _call(api, method, path, shop.id, ADMIN)
        assert answer.status_code not in (401, 403), (method, path, answer.text)
