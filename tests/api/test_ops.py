"""``/healthz``, ``/metrics``, the OpenAPI document, and problem documents for what the
routes do not serve."""

from __future__ import annotations

from pathlib import Path

import pytest
from apikit import ADMIN, API, Api, assert_problem, customer, open_api
from huey import RedisHuey  # type: ignore[import-untyped]

from support import free_port

pytestmark = pytest.mark.anyio


async def test_healthz_says_ok_when_database_and_queue_answer(api: Api) -> None:
    """200 with each component's state; no key needed (load balancers probe it)."""
    answer = await api.client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {
        "status": "ok",
        "jobs": "sqlite",
        "database": "ok",
        "job_queue": "ok",
        "queued_jobs": 0,
    }


async def test_healthz_is_503_when_the_job_queue_is_unreachable(tmp_path: Path) -> None:
    """A Redis queue nobody listens on: 503 naming the job queue, the database still ok."""
    async with open_api(tmp_path) as api:
        unreachable = RedisHuey("ledgerbridge", url=f"redis://127.0.0.1:{free_port()}/0")
        api.services.queue_size = unreachable.pending_count
        answer = await api.client.get("/healthz")
        assert answer.status_code == 503
        body = answer.json()
        assert body["status"] == "unavailable" and body["database"] == "ok"
        assert "job queue does not answer" in body["job_queue"]
        metrics = await api.client.get("/metrics", headers=ADMIN)
        assert 'ledgerbridge_up{component="job_queue"} 0.0' in metrics.text


async def test_metrics_count_outcomes_requests_and_backlog(api: Api) -> None:
    """Operations by outcome, write requests sent, and the backlog per tenant and type, in
    Prometheus' text format; the admin key only."""
    shop = await api.tenant("shop", company="Shop Co")
    for n in range(3):
        await api.put(shop.id, shop.key, customer(f"c{n}", f"Customer {n}"))
    before = (await api.client.get("/metrics", headers=ADMIN)).text
    assert 'ledgerbridge_backlog_records{record_type="customer",tenant="shop"} 3.0' in before
    await api.client.post(shop.path("/sync"), json={}, headers=shop.headers)
    assert (
        'ledgerbridge_runs_open{status="queued",tenant="shop"} 1.0'
        in (await api.client.get("/metrics", headers=ADMIN)).text
    )
    await api.drain(shop.id)
    after = await api.client.get("/metrics", headers=ADMIN)
    assert after.headers["content-type"].startswith("text/plain")
    assert 'ledgerbridge_operations_total{outcome="succeeded"} 3.0' in after.text
    assert "ledgerbridge_qbo_write_requests_total 3.0" in after.text
    assert "ledgerbridge_backlog_records{" not in after.text
    assert_problem(await api.client.get("/metrics"), 401, "unauthorized")
    assert_problem(await api.client.get("/metrics", headers=shop.headers), 403, "forbidden")


async def test_openapi_documents_the_api_with_problem_responses(api: Api) -> None:
    """``/openapi.json`` lists the API's routes, the bearer scheme, and problem bodies."""
    document = (await api.client.get("/openapi.json")).json()
    paths = document["paths"]
    assert f"{API}/tenants/{{tenant_id}}/records/{{record_type}}/{{app_id}}" in paths
    assert "/metrics" in paths and "/healthz" in paths
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    put = paths[f"{API}/tenants/{{tenant_id}}/settings"]["put"]
    assert "application/problem+json" in put["responses"]["422"]["content"]


async def test_unknown_api_paths_and_methods_are_problems(api: Api) -> None:
    """404 and 405 under /api/v1 are problem documents too."""
    assert_problem(await api.client.get(f"{API}/nothing-here", headers=ADMIN), 404, "http-404")
    wrong = await api.client.patch(f"{API}/tenants", headers=ADMIN)
    assert_problem(wrong, 405, "http-405")
