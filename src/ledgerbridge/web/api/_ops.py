"""``/healthz`` (the database and the job queue answer?) and ``/metrics`` (Prometheus).

``/metrics`` reads its figures from the store when scraped, so that one scrape of any web
process covers every worker of the deployment, on any machine: the write log's operations
by outcome, the write requests sent to QuickBooks (every attempt of every operation), the
backlog of records waiting per tenant and type, the open runs per tenant, and the jobs
waiting in the queue. It answers the admin key only (tenant ids are in the labels).
"""

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool

from ledgerbridge.web import _service as service
from ledgerbridge.web._service import Services

from ._auth import Authenticator, Caller
from ._problems import problem_responses

__all__ = ["ops_routes"]

_FINISHED = ("succeeded", "failed", "skipped")


class _StoreCollector(Collector):
    """The figures of the module docstring, read at each scrape."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def collect(self) -> Iterator[Any]:
        figures = service.metrics_figures(self._services)
        health = service.health(self._services)
        done = CounterMetricFamily(
            "ledgerbridge_operations",
            "Writes to QuickBooks that finished, by outcome (from the write log).",
            labels=["outcome"],
        )
        for outcome in _FINISHED:
            done.add_metric([outcome], figures.operations.get(outcome, 0))
        yield done
        open_ops = GaugeMetricFamily(
            "ledgerbridge_operations_open", "Writes queued or running.", labels=["status"]
        )
        for status in ("queued", "running"):
            open_ops.add_metric([status], figures.operations.get(status, 0))
        yield open_ops
        yield CounterMetricFamily(
            "ledgerbridge_qbo_write_requests",
            "Write requests sent to QuickBooks: every attempt of every operation.",
            value=figures.write_requests,
        )
        backlog = GaugeMetricFamily(
            "ledgerbridge_backlog_records",
            "Records waiting to be pushed, per tenant and record type.",
            labels=["tenant", "record_type"],
        )
        for (tenant, record_type), count in sorted(figures.backlog.items()):
            backlog.add_metric([tenant, record_type], count)
        yield backlog
        runs = GaugeMetricFamily(
            "ledgerbridge_runs_open", "Sync runs queued or running.", labels=["tenant", "status"]
        )
        for (tenant, status), count in sorted(figures.open_runs.items()):
            runs.add_metric([tenant, status], count)
        yield runs
        queue = GaugeMetricFamily("ledgerbridge_job_queue_pending", "Jobs waiting in the queue.")
        queue.add_metric([], health.queue_size if health.queue_size is not None else float("nan"))
        yield queue
        up = GaugeMetricFamily(
            "ledgerbridge_up", "Whether a component answers (1) or not (0).", labels=["component"]
        )
        up.add_metric(["database"], 0 if health.database else 1)
        up.add_metric(["job_queue"], 0 if health.queue else 1)
        yield up


def ops_routes(services: Services, auth: Authenticator) -> APIRouter:
    """``/healthz`` and ``/metrics``."""
    router = APIRouter(tags=["operations"])
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_StoreCollector(services))
    Admin = Annotated[Caller, Depends(auth.admin)]

    @router.get(
        "/healthz",
        responses={503: {"description": "The database or the job queue does not answer."}},
    )
    async def healthz() -> JSONResponse:
        """Whether the database and the job queue answer: 200, or 503 saying which not."""
        health = await run_in_threadpool(service.health, services)
        body = {
            "status": "ok" if health.ok else "unavailable",
            "jobs": "redis" if services.runtime.settings.redis_url else "sqlite",
            "database": health.database or "ok",
            "job_queue": health.queue or "ok",
            "queued_jobs": health.queue_size,
        }
        return JSONResponse(body, status_code=200 if health.ok else 503)

    @router.get(
        "/metrics",
        response_class=Response,
        responses={
            200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus' text format."},
            **problem_responses(401, 403),
        },
    )
    async def metrics(_: Admin) -> Response:
        """The figures of the whole deployment in Prometheus' text format (admin key)."""
        text = await run_in_threadpool(generate_latest, registry)
        return Response(text, media_type=CONTENT_TYPE_LATEST)

    return router
