"""A tenant's sync activity: request a sync, runs, operations, the error queue, events."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from ledgerbridge.web import _service as service
from ledgerbridge.web._service import Services

from ._auth import Authenticator, Caller
from ._problems import problem_responses
from ._schemas import ErrorGroupOut, EventsOut, OperationOut, RetryIn, RunOut, SyncIn

__all__ = ["activity_routes"]

RunStatus = Literal["queued", "running", "succeeded", "partial", "failed"]
RunTrigger = Literal["manual", "bulk", "auto", "scheduled", "sweeper"]
OperationStatus = Literal["queued", "running", "succeeded", "failed", "skipped"]
#: the most events one read returns (``EventStore.read``'s limit)
_MAX_EVENTS = 1000


def activity_routes(services: Services, auth: Authenticator) -> APIRouter:
    """``/tenants/{id}/sync``, ``runs``, ``operations``, ``errors``, ``events``."""
    router = APIRouter(prefix="/tenants/{tenant_id}", responses=problem_responses(401, 404, 422))
    Tenant = Annotated[Caller, Depends(auth.tenant)]

    @router.post("/sync", status_code=202, tags=["sync"], responses=problem_responses(409))
    def sync(tenant_id: str, body: SyncIn, _: Tenant) -> RunOut:
        """Push records now: the named ones (dirty or not), else the dirty ones of the types
        named, else every dirty record. The run is queued (202); follow it at its address."""
        run = service.request_sync(
            services,
            tenant_id,
            records=None if body.records is None else [(k.type, k.id) for k in body.records],
            record_types=body.record_types,
        )
        return RunOut.of(run)

    @router.get("/runs", tags=["sync"])
    def runs(
        tenant_id: str,
        _: Tenant,
        status: RunStatus | None = None,
        trigger: RunTrigger | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        before: Annotated[str | None, Query(max_length=64, description="Last run id.")] = None,
    ) -> list[RunOut]:
        """Runs, newest first, of a status and trigger if asked; page with ``before``."""
        found = service.runs(
            services, tenant_id, status=status, trigger=trigger, limit=limit, before=before
        )
        return [RunOut.of(run) for run in found]

    @router.get("/runs/{run_id}", tags=["sync"])
    def run(tenant_id: str, run_id: str, _: Tenant) -> RunOut:
        """The run, its counts per outcome and its progress."""
        progress = service.run_progress(services, tenant_id, run_id)
        return RunOut.of(progress.run, progress)

    @router.get("/operations", tags=["sync"])
    def operations(
        tenant_id: str,
        _: Tenant,
        status: OperationStatus | None = None,
        record_type: Annotated[str | None, Query(max_length=64)] = None,
        app_id: Annotated[str | None, Query(max_length=100)] = None,
        run_id: Annotated[str | None, Query(max_length=64)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        before: Annotated[str | None, Query(max_length=64, description="Last id seen.")] = None,
    ) -> list[OperationOut]:
        """Writes to QBO, newest first: each with its trigger, request, response, QBO id,
        intuit_tid, error code and message."""
        found = service.operations(
            services,
            tenant_id,
            status=status,
            record_type=record_type,
            app_id=app_id,
            run_id=run_id,
            limit=limit,
            before=before,
        )
        return [OperationOut.of(op) for op in found]

    @router.get("/operations/{operation_id}", tags=["sync"])
    def operation(tenant_id: str, operation_id: str, _: Tenant) -> OperationOut:
        """One write to QBO."""
        return OperationOut.of(service.operation(services, tenant_id, operation_id))

    @router.post(
        "/operations/{operation_id}/retry",
        status_code=202,
        tags=["sync"],
        responses=problem_responses(409),
    )
    def retry_operation(tenant_id: str, operation_id: str, _: Tenant) -> RunOut:
        """Push the operation's record again (a new write; the run is returned)."""
        return RunOut.of(service.retry_operation(services, tenant_id, operation_id))

    @router.get("/errors", tags=["errors"])
    def errors(tenant_id: str, _: Tenant) -> list[ErrorGroupOut]:
        """Failed records grouped by cause, each group with what to do and the intuit_tids
        to quote to Intuit support; the largest group first."""
        return [ErrorGroupOut.of(g) for g in service.error_groups(services, tenant_id)]

    @router.post(
        "/errors/retry", status_code=202, tags=["errors"], responses=problem_responses(409)
    )
    def retry_errors(tenant_id: str, body: RetryIn, _: Tenant) -> RunOut:
        """Push every failed record of a group (or every failed record) again, in one run."""
        return RunOut.of(service.retry_group(services, tenant_id, body.group))

    @router.get("/events", tags=["events"])
    def events(
        tenant_id: str,
        _: Tenant,
        after: Annotated[int, Query(ge=0, le=2**62, description="The cursor: last id read.")] = 0,
        limit: Annotated[int, Query(ge=1, le=_MAX_EVENTS)] = 100,
    ) -> EventsOut:
        """The events feed, oldest first after the cursor: what came in from QBO and what
        each sync did (docs/inbound.md)."""
        found = service.read_events(services, tenant_id, after=after, limit=limit)
        return EventsOut.of(found, after)

    return router
