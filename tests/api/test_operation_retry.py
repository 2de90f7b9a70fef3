"""A failed write as the API shows it (QBO's code, the shop owner's sentence, the intuit_tid
to quote), retrying it by its operation, and bad input on the operation and key routes:
each a problem document naming the field or the id, with nothing written."""

from __future__ import annotations

import pytest
from apikit import ADMIN, API, Api, Tenant, assert_problem, customer

pytestmark = pytest.mark.anyio


async def _failed_customer(api: Api) -> tuple[Tenant, str, dict[str, object]]:
    """A connected tenant whose one customer QBO refused (books closed, 6210)."""
    tenant = await api.tenant("shop", company="Shop Co")
    realm_id = api.services.runtime.connection(tenant.id).realm_id
    api.emulator.faults.arm("books_closed", count=1, realm_id=realm_id, path="/(batch|customer)$")
    assert (await api.put(tenant.id, tenant.key, customer("c0", "Customer 0"))).status_code == 200
    answer = await api.client.post(tenant.path("/sync"), json={}, headers=tenant.headers)
    assert answer.status_code == 202, answer.text
    await api.drain(tenant.id)
    failed = await api.client.get(
        tenant.path("/operations"), params={"status": "failed"}, headers=tenant.headers
    )
    [operation] = failed.json()
    return tenant, realm_id, operation


async def test_a_failed_operation_carries_qbos_code_the_sentence_and_the_intuit_tid(
    api: Api,
) -> None:
    """The operation of the refused write: error code 6210, a sentence for the shop owner,
    and the intuit_tid QBO answered with (the one in the emulator's request log)."""
    _, realm_id, operation = await _failed_customer(api)
    assert (operation["record_type"], operation["app_id"]) == ("customer", "c0")
    assert operation["status"] == "failed" and operation["action"] == "create"
    response = operation["response"]
    assert isinstance(response, dict)
    assert response["error_code"] == "6210" and response["qbo_id"] is None
    assert response["message"] and "clos" in response["message"].lower()
    tids = {entry["intuit_tid"] for entry in api.emulator.request_log(realm_id)}
    assert response["intuit_tid"] in tids


async def test_retrying_an_operation_pushes_its_record_again_once(api: Api) -> None:
    """After the fix, retry by operation id: a manual run of that record, a new operation
    that succeeds, and one customer in QBO."""
    tenant, realm_id, operation = await _failed_customer(api)
    retried = await api.client.post(
        tenant.path(f"/operations/{operation['id']}/retry"), headers=tenant.headers
    )
    assert retried.status_code == 202, retried.text
    run = retried.json()
    assert run["trigger"] == "manual" and run["status"] == "queued"
    assert [(r["type"], r["id"]) for r in run["records"]] == [("customer", "c0")]
    await api.drain(tenant.id)
    done = await api.client.get(tenant.path(f"/runs/{run['id']}"), headers=tenant.headers)
    assert done.json()["status"] == "succeeded", done.text
    ops = await api.client.get(
        tenant.path("/operations"),
        params={"record_type": "customer", "app_id": "c0"},
        headers=tenant.headers,
    )
    statuses = sorted(op["status"] for op in ops.json())
    assert statuses == ["failed", "succeeded"]
    record = await api.client.get(tenant.path("/records/customer/c0"), headers=tenant.headers)
    assert record.json()["sync_status"] == "ok"
    customers = api.emulator.company(realm_id).objects["Customer"].values()
    names = [c["DisplayName"] for c in customers]
    assert names.count("Customer 0") == 1


async def test_unknown_operations_are_404_naming_the_id(api: Api) -> None:
    """Reading or retrying an operation that does not exist (or is another tenant's): a
    problem whose ``instance`` is the address asked for."""
    tenant = await api.tenant("shop")
    for answer in (
        await api.client.get(tenant.path("/operations/no-such-op"), headers=tenant.headers),
        await api.client.post(tenant.path("/operations/no-such-op/retry"), headers=tenant.headers),
    ):
        assert "no-such-op" in assert_problem(answer, 404, "not-found")["instance"]


async def test_a_bad_operations_filter_is_422_naming_the_parameter(api: Api) -> None:
    """status must be one of the operation states; limit a number in range."""
    tenant = await api.tenant("shop")
    bad_status = await api.client.get(
        tenant.path("/operations"), params={"status": "exploded"}, headers=tenant.headers
    )
    assert assert_problem(bad_status, 422, "invalid-input")["errors"][0]["field"] == "status"
    bad_limit = await api.client.get(
        tenant.path("/operations"), params={"limit": 0}, headers=tenant.headers
    )
    assert assert_problem(bad_limit, 422, "invalid-input")["errors"][0]["field"] == "limit"


async def test_a_bad_errors_retry_body_is_422_and_queues_nothing(api: Api) -> None:
    """A group that is not a string, or a field the body does not have: 422 naming it, no run."""
    tenant = await api.tenant("shop", company="Shop Co")
    for body, field in (({"group": 5}, "group"), ({"groups": ["code-6210"]}, "groups")):
        answer = await api.client.post(
            tenant.path("/errors/retry"), json=body, headers=tenant.headers
        )
        assert assert_problem(answer, 422, "invalid-input")["errors"][0]["field"] == field
    runs = await api.client.get(tenant.path("/runs"), headers=tenant.headers)
    assert runs.json() == []


async def test_bad_key_management_requests_name_the_problem(api: Api) -> None:
    """A key name that is not a string or an unknown field: 422; rotating or revoking a key
    the tenant does not have: 404 saying so; the tenant's keys are as they were."""
    tenant = await api.tenant("shop")
    keys = f"{API}/tenants/{tenant.id}/api-keys"
    before = (await api.client.get(keys, headers=ADMIN)).json()
    for body, field in (({"name": ["x"]}, "name"), ({"name": "ok", "scope": "all"}, "scope")):
        answer = await api.client.post(keys, json=body, headers=ADMIN)
        assert assert_problem(answer, 422, "invalid-input")["errors"][0]["field"] == field
    rotate = await api.client.post(f"{keys}/no-such-key/rotate", headers=ADMIN)
    assert assert_problem(rotate, 404, "not-found")["detail"] == "This API key does not exist."
    revoke = await api.client.delete(f"{keys}/no-such-key", headers=ADMIN)
    assert assert_problem(revoke, 404, "not-found")["detail"] == "This API key does not exist."
    assert (await api.client.get(keys, headers=ADMIN)).json() == before
    assert (await api.client.get(tenant.path(), headers=tenant.headers)).status_code == 200
