"""A tenant's records: put one, upload NDJSON, read, delete; and per record retry, skip,
relink."""

from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from ledgerbridge.web import _service as service
from ledgerbridge.web._service import FieldProblem, InvalidInputError, Services

from ._auth import Authenticator, Caller
from ._problems import ProblemError, problem_responses
from ._schemas import ImportOut, RecordOut, RecordPutOut, RelinkIn, RunOut

__all__ = ["MAX_UPLOAD_BYTES", "record_routes"]

#: the largest NDJSON upload, in bytes (split bigger imports)
MAX_UPLOAD_BYTES: Final = 32 * 1024 * 1024
_NDJSON: Final = "application/x-ndjson"

RecordType = Annotated[str, Path(min_length=1, max_length=64, description="e.g. invoice.")]
AppId = Annotated[str, Path(min_length=1, max_length=100, description="The app's own id.")]
LinkResult = Literal["ok", "failed", "skipped", "waiting", "deleted", "voided"]


def record_routes(services: Services, auth: Authenticator) -> APIRouter:
    """``/tenants/{id}/records...``."""
    router = APIRouter(
        prefix="/tenants/{tenant_id}/records",
        tags=["records"],
        responses=problem_responses(401, 404, 422),
    )
    Tenant = Annotated[Caller, Depends(auth.tenant)]

    @router.put("/{record_type}/{app_id}")
    def put_record(
        tenant_id: str,
        record_type: RecordType,
        app_id: AppId,
        body: Annotated[
            dict[str, Any],
            Body(description="The record (`ledgerbridge schema`); type and id may be left out."),
        ],
        _: Tenant,
    ) -> RecordPutOut:
        """Store one record by the app's id: validated, then pushed by the next sync (at
        once, after the debounce, when its type auto-syncs)."""
        put, run = service.put_record(services, tenant_id, record_type, app_id, body)
        return RecordPutOut(
            record_type=put.record_type,
            app_id=put.app_id,
            outcome=put.outcome,
            dirty=put.dirty,
            content_hash=put.content_hash,
            auto_sync_run=None if run is None else RunOut.of(run),
        )

    @router.post(
        "",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {_NDJSON: {"schema": {"type": "string"}}},
                "description": "One record per line (NDJSON).",
            }
        },
        responses=problem_responses(413, 415),
    )
    async def upload(tenant_id: str, request: Request, _: Tenant) -> ImportOut:
        """Upload records as NDJSON: every valid line is stored (one transaction), every
        invalid one is refused naming its line and fields; the answer has one result per
        line."""
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind not in (_NDJSON, "application/jsonl", "text/plain", ""):
            raise ProblemError(
                415, "unsupported-media-type", "Unsupported media type", f"Send {_NDJSON}."
            )
        body = await _read_at_most(request, MAX_UPLOAD_BYTES)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInputError(
                [FieldProblem("body", f"is not UTF-8 text (byte {exc.start}).")]
            ) from None
        outcome = await run_in_threadpool(
            service.import_records, services, tenant_id, text.split("\n")
        )
        return ImportOut.of(outcome)

    @router.get("")
    def list_records(
        tenant_id: str,
        _: Tenant,
        record_type: Annotated[str | None, Query(max_length=64)] = None,
        status: Annotated[LinkResult | None, Query(description="The last sync's result.")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        after: Annotated[
            str | None, Query(max_length=170, description="`type:id` of the last record seen.")
        ] = None,
    ) -> list[RecordOut]:
        """Records that a sync has tried, in (type, id) order, with their sync status."""
        cursor: tuple[str, str] | None = None
        if after is not None:
            kind, sep, app_id = after.partition(":")
            if not sep or not kind or not app_id:
                raise InvalidInputError([FieldProblem("after", "is `type:id`.")])
            cursor = (kind, app_id)
        views = service.list_records(
            services, tenant_id, record_type=record_type, result=status, limit=limit, after=cursor
        )
        return [RecordOut.of(view) for view in views]

    @router.get("/{record_type}/{app_id}")
    def get_record(tenant_id: str, record_type: RecordType, app_id: AppId, _: Tenant) -> RecordOut:
        """The record as stored, its sync status, QBO object and last error."""
        return RecordOut.of(service.record(services, tenant_id, record_type, app_id))

    @router.delete("/{record_type}/{app_id}")
    def delete_record(
        tenant_id: str, record_type: RecordType, app_id: AppId, _: Tenant
    ) -> RecordOut:
        """The app deleted the record: the next sync voids or deletes its QBO object."""
        service.delete_record(services, tenant_id, record_type, app_id)
        return RecordOut.of(service.record(services, tenant_id, record_type, app_id))

    @router.post("/{record_type}/{app_id}/retry", status_code=202, responses=problem_responses(409))
    def retry(tenant_id: str, record_type: RecordType, app_id: AppId, _: Tenant) -> RunOut:
        """Push the record again now (after a fix); the run is returned."""
        return RunOut.of(service.retry_records(services, tenant_id, [(record_type, app_id)]))

    @router.post("/{record_type}/{app_id}/skip", responses=problem_responses(409))
    def skip(tenant_id: str, record_type: RecordType, app_id: AppId, who: Tenant) -> RecordOut:
        """Leave the record out of syncing until it changes."""
        view = service.skip_record(services, tenant_id, record_type, app_id, by=who.label)
        return RecordOut.of(view)

    @router.post("/{record_type}/{app_id}/relink", responses=problem_responses(409, 502))
    async def relink(
        tenant_id: str, record_type: RecordType, app_id: AppId, body: RelinkIn, _: Tenant
    ) -> RecordOut:
        """Link the record to this QBO object: the next sync updates it instead of creating
        one (the object is looked up first when the company is connected)."""
        view = await service.relink_record(
            services, tenant_id, record_type, app_id, qbo_id=body.qbo_id
        )
        return RecordOut.of(view)

    return router


async def _read_at_most(request: Request, limit: int) -> bytes:
    """The body, or 413 as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> ProblemError:
    return ProblemError(
        413, "too-large", "Too large", f"Send at most {limit // (1024 * 1024)} MiB per upload."
    )
