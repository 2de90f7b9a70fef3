"""Sync through the API against the emulator: requests (one record, a selection, a type,
everything), runs with progress, operations, the error queue grouped by cause, retry, skip,
relink, and the events feed."""

from __future__ import annotations

import pytest
from apikit import Api, Tenant, assert_problem, customer

from ledgerbridge.store import NewEvent

pytestmark = pytest.mark.anyio


async def connected(api: Api) -> Tenant:
    return await api.tenant("shop", company="Shop Co")


async def put_customers(api: Api, tenant: Tenant, count: int) -> None:
    for n in range(count):
        answer = await api.put(tenant.id, tenant.key, customer(f"c{n}", f"Customer {n}"))
        assert answer.status_code == 200


async def sync(api: Api, tenant: Tenant, body: dict[str, object]) -> dict[str, object]:
    """Request a sync (202), run the lane here, and read the finished run back."""
    answer = await api.client.post(tenant.path("/sync"), json=body, headers=tenant.headers)
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "queued"
    await api.drain(tenant.id)
    done = await api.client.get(tenant.path(f"/runs/{answer.json()['id']}"), headers=tenant.headers)
    return dict(done.json())


async def test_sync_one_record_a_type_and_everything(api: Api) -> None:
    """One record is a manual run pushing just it; a type or everything is a bulk run of
    the dirty records; each finished run has its counts and full progress."""
    tenant = await connected(api)
    await put_customers(api, tenant, 3)
    one = await sync(api, tenant, {"records": [{"type": "customer", "id": "c1"}]})
    assert (one["trigger"], one["status"], one["counts"]) == ("manual", "succeeded", {"created": 1})
    assert one["progress"] == {"done": 1, "total": 1, "operations": {"succeeded": 1}}
    by_type = await sync(api, tenant, {"record_types": ["customer"]})
    assert (by_type["trigger"], by_type["counts"]) == ("bulk", {"created": 2})
    await api.put(tenant.id, tenant.key, {"type": "vendor", "id": "v1", "name": "Steel"})
    everything = await sync(api, tenant, {})
    assert everything["counts"] == {"created": 1}
    assert (
        len(
            api.emulator.company(api.services.runtime.connection(tenant.id).realm_id).objects[
                "Customer"
            ]
        )
        == 3
    )


async def test_sync_requests_are_validated(api: Api) -> None:
    """Unknown record types, both selections at once, or an empty list: 422 naming it."""
    tenant = await connected(api)
    for body, field in (
        ({"record_types": ["gadget"]}, "record_types"),
        ({"records": [{"type": "customer", "id": "c1"}], "record_types": ["item"]}, "records"),
        ({"records": []}, "records"),
        ({"everything": True}, "everything"),
    ):
        answer = await api.client.post(tenant.path("/sync"), json=body, headers=tenant.headers)
        problem = assert_problem(answer, 422, "invalid-input")
        assert problem["errors"][0]["field"] == field, problem


async def test_runs_filter_by_status_and_trigger(api: Api) -> None:
    """Runs list newest first, filtered; an unknown cursor or run is named or 404."""
    tenant = await connected(api)
    await put_customers(api, tenant, 1)
    await sync(api, tenant, {})
    queued = await api.client.post(
        tenant.path("/sync"),
        json={"records": [{"type": "customer", "id": "c0"}]},
        headers=tenant.headers,
    )
    runs = await api.client.get(tenant.path("/runs"), headers=tenant.headers)
    assert [r["status"] for r in runs.json()] == ["queued", "succeeded"]
    manual = await api.client.get(
        tenant.path("/runs"), params={"trigger": "manual"}, headers=tenant.headers
    )
    assert [r["id"] for r in manual.json()] == [queued.json()["id"]]
    done = await api.client.get(
        tenant.path("/runs"), params={"status": "succeeded"}, headers=tenant.headers
    )
    assert [r["trigger"] for r in done.json()] == ["bulk"]
    paged = await api.client.get(
        tenant.path("/runs"), params={"before": queued.json()["id"]}, headers=tenant.headers
    )
    assert [r["status"] for r in paged.json()] == ["succeeded"]
    bad = await api.client.get(
        tenant.path("/runs"), params={"before": "nope"}, headers=tenant.headers
    )
    assert assert_problem(bad, 422, "invalid-input")["errors"][0]["field"] == "before"
    assert_problem(
        await api.client.get(tenant.path("/runs/nope"), headers=tenant.headers), 404, "not-found"
    )


async def test_operations_carry_request_response_and_filter(api: Api) -> None:
    """Each write shows its trigger, the body sent, QBO's Id; filters narrow the list."""
    tenant = await connected(api)
    await put_customers(api, tenant, 2)
    run = await sync(api, tenant, {})
    ops = (await api.client.get(tenant.path("/operations"), headers=tenant.headers)).json()
    assert len(ops) == 2 and {op["run_id"] for op in ops} == {run["id"]}
    first = ops[0]
    assert first["trigger"] == "bulk" and first["action"] == "create"
    assert first["request"]["DisplayName"].startswith("Customer ")
    assert first["response"]["qbo_id"] and first["status"] == "succeeded"
    one = await api.client.get(
        tenant.path("/operations"),
        params={"record_type": "customer", "app_id": "c1"},
        headers=tenant.headers,
    )
    assert [op["app_id"] for op in one.json()] == ["c1"]
    none = await api.client.get(
        tenant.path("/operations"), params={"status": "failed"}, headers=tenant.headers
    )
    assert none.json() == []
    single = await api.client.get(tenant.path(f"/operations/{first['id']}"), headers=tenant.headers)
    assert single.json() == first


async def test_errors_are_grouped_by_cause_with_what_to_do(api: Api) -> None:
    """Books closed (QBO 6210) on two customers is one group with its advice and
    intuit_tid; retrying the group after the fix pushes them; an invoice of a customer the
    app never sent is a group of its own whose message says what to fix."""
    tenant = await connected(api)
    realm_id = api.services.runtime.connection(tenant.id).realm_id
    api.emulator.faults.arm(
        "books_closed", count=2, realm_id=realm_id, path="/(batch|customer)$"
    )  # the two customers go as one batch, or side by side as single writes
    await put_customers(api, tenant, 2)
    run = await sync(api, tenant, {})
    assert run["status"] == "failed" and "error queue" in str(run["error"])
    groups = (await api.client.get(tenant.path("/errors"), headers=tenant.headers)).json()
    assert [(g["key"], g["error_code"], g["count"], g["action"]) for g in groups] == [
        ("code-6210", "6210", 2, "stop")
    ]
    assert "move the closing date" in groups[0]["what_to_do"]
    assert groups[0]["intuit_tids"] and {r["id"] for r in groups[0]["records"]} == {"c0", "c1"}
    retried = await api.client.post(
        tenant.path("/errors/retry"), json={"group": "code-6210"}, headers=tenant.headers
    )
    assert retried.status_code == 202
    assert sorted(k["id"] for k in retried.json()["records"]) == ["c0", "c1"]
    await api.drain(tenant.id)
    assert (await api.client.get(tenant.path("/errors"), headers=tenant.headers)).json() == []
    await api.put(tenant.id, tenant.key, GHOST_INVOICE)
    await sync(api, tenant, {})
    [ghost] = (await api.client.get(tenant.path("/errors"), headers=tenant.headers)).json()
    assert ghost["error_code"] is None and ghost["key"].startswith("message-")
    assert ghost["action"] == "fix_data" and "ghost" in ghost["what_to_do"]
    unknown = await api.client.post(
        tenant.path("/errors/retry"), json={"group": "code-1"}, headers=tenant.headers
    )
    assert_problem(unknown, 404, "not-found")


GHOST_INVOICE = {
    "type": "invoice",
    "id": "INV-1",
    "customer_id": "ghost",
    "invoice_date": "2025-03-01",
    "lines": [{"kind": "charge", "description": "Setup", "amount": "10000"}],
}


async def test_retry_skip_and_relink_a_record(api: Api) -> None:
    """Retry queues a manual run of the record; skip leaves it out until it changes;
    relink points it at an existing QBO customer, which the next sync updates."""
    tenant = await connected(api)
    realm_id = api.services.runtime.connection(tenant.id).realm_id
    existing = api.emulator.ledger(realm_id)
    api.emulator.faults.arm("books_closed", count=1, realm_id=realm_id, path="/(batch|customer)$")
    await put_customers(api, tenant, 1)
    await sync(api, tenant, {})
    retry = await api.client.post(tenant.path("/records/customer/c0/retry"), headers=tenant.headers)
    assert retry.status_code == 202 and retry.json()["trigger"] == "manual"
    await api.drain(tenant.id)
    record = (
        await api.client.get(tenant.path("/records/customer/c0"), headers=tenant.headers)
    ).json()
    assert record["sync_status"] == "ok"
    await api.put(tenant.id, tenant.key, customer("c9", "Skipped Co"))
    skipped = await api.client.post(
        tenant.path("/records/customer/c9/skip"), headers=tenant.headers
    )
    assert skipped.json()["sync_status"] == "skipped" and skipped.json()["dirty"] is False
    assert "Skipped by API key" in skipped.json()["link"]["message"]
    qbo = existing.create("Customer", {"DisplayName": "Already In QuickBooks"})
    await api.put(tenant.id, tenant.key, customer("c5", "Already In QuickBooks Inc"))
    relinked = await api.client.post(
        tenant.path("/records/customer/c5/relink"),
        json={"qbo_id": qbo["Id"]},
        headers=tenant.headers,
    )
    assert relinked.status_code == 200, relinked.text
    assert (
        relinked.json()["link"]["qbo_id"] == qbo["Id"]
        and relinked.json()["sync_status"] == "pending"
    )
    await sync(api, tenant, {"records": [{"type": "customer", "id": "c5"}]})
    assert existing.read("Customer", qbo["Id"])["DisplayName"] == "Already In QuickBooks Inc"
    taken = await api.client.post(
        tenant.path("/records/customer/c9/relink"),
        json={"qbo_id": qbo["Id"]},
        headers=tenant.headers,
    )
    assert_problem(taken, 409, "link-conflict")
    missing = await api.client.post(
        tenant.path("/records/customer/c9/relink"), json={"qbo_id": "99999"}, headers=tenant.headers
    )
    assert assert_problem(missing, 422, "invalid-input")["errors"][0]["field"] == "qbo_id"


async def test_events_feed_reads_on_from_a_cursor(api: Api) -> None:
    """Events come oldest first after the cursor, and ``next_cursor`` continues."""
    tenant = await api.tenant("shop")
    api.services.events.append(
        tenant_id=tenant.id,
        events=[NewEvent(kind="payment.received", data={"n": n}) for n in range(3)],
    )
    first = await api.client.get(
        tenant.path("/events"), params={"limit": 2}, headers=tenant.headers
    )
    assert [e["data"]["n"] for e in first.json()["events"]] == [0, 1]
    rest = await api.client.get(
        tenant.path("/events"),
        params={"after": first.json()["next_cursor"]},
        headers=tenant.headers,
    )
    assert [e["data"]["n"] for e in rest.json()["events"]] == [2]
    assert rest.json()["next_cursor"] == 3
    negative = await api.client.get(
        tenant.path("/events"), params={"after": -1}, headers=tenant.headers
    )
    assert assert_problem(negative, 422, "invalid-input")["errors"][0]["field"] == "after"


async def test_a_put_of_an_auto_syncing_type_joins_the_debounced_auto_run(api: Api) -> None:
    """With customers set to auto-sync, puts answer with the auto run they go out with: the
    same run for saves within the debounce window; other types answer none."""
    tenant = await connected(api)
    saved = await api.client.put(
        tenant.path("/settings"),
        json={"settings": {"auto_sync": ["customer"]}, "expected_version": None},
        headers=tenant.headers,
    )
    assert saved.status_code == 200, saved.text
    first = await api.put(tenant.id, tenant.key, customer("c1", "Alice"))
    second = await api.put(tenant.id, tenant.key, customer("c2", "Bob"))
    run = first.json()["auto_sync_run"]
    assert run["trigger"] == "auto" and second.json()["auto_sync_run"]["id"] == run["id"]
    vendor = await api.put(tenant.id, tenant.key, {"type": "vendor", "id": "v1", "name": "Steel"})
    assert vendor.json()["auto_sync_run"] is None
    await api.drain(tenant.id)
    done = await api.client.get(tenant.path(f"/runs/{run['id']}"), headers=tenant.headers)
    assert done.json()["counts"] == {"created": 2}
