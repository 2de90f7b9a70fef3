"""The Error queue, the Activity page (runs, live progress) and the Dashboard (charts).

The error queue groups failed records by cause (``service.error_groups``): QuickBooks' error
code, or our own message when the record never reached QuickBooks; each group says what to
do, lists the ``intuit_tid`` values Intuit support asks for, and retries as one run.

Activity lists runs with their trigger; a run that is queued or running is shown with a
progress bar that htmx refreshes every second (``GET .../activity/live`` returns the page's
live part only). Progress counts the run's writes by outcome; for a run over whole types the
total is what is done plus what still waits, so it firms up as the run goes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ledgerbridge.engine import Selection
from ledgerbridge.store import RunRecord
from ledgerbridge.web import _service as service

from ._charts import Bar, Column, Series, bars, columns
from ._frame import TenantPage, act, render, run_started, services_of, tenant_page
from ._settings_form import type_label

__all__ = ["activity_router"]

Page = Annotated[TenantPage, Depends(tenant_page)]
#: runs the Activity page lists
RUN_LIMIT: Final = 30
#: minutes the dashboard covers
WINDOW: Final = 30
_OUTCOMES: Final = (
    Series("succeeded", "succeeded"),
    Series("failed", "failed"),
    Series("skipped", "skipped"),
)
_DONE: Final = ("succeeded", "failed", "skipped")


@dataclass(frozen=True)
class LiveRun:
    """A queued or running run and how far it got."""

    run: RunRecord
    what: str
    succeeded: int
    failed: int
    skipped: int
    total: int
    rate: int | None

    @property
    def finished(self) -> int:
        return self.succeeded + self.failed + self.skipped

    def percent(self, outcome: str) -> float:
        return round(100 * getattr(self, outcome) / self.total, 1) if self.total else 0.0


@dataclass(frozen=True)
class RunLine:
    """A run as the table lists it."""

    id: str
    trigger: str
    status: str
    what: str
    error: str | None
    synced: int
    failed: int
    skipped: int
    took: str | None
    created_at: datetime
    started_at: datetime | None


def _what(run: RunRecord) -> str:
    selection = Selection.of(run)
    if selection.records is not None:
        if len(selection.records) == 1:
            record_type, app_id = selection.records[0]
            return f"{type_label(record_type).rstrip('s')} {app_id}"
        return f"{len(selection.records)} chosen records"
    if selection.record_types is None:
        return "Everything waiting"
    return "Waiting " + ", ".join(type_label(t).lower() for t in sorted(selection.record_types))


def _took(run: RunRecord) -> str | None:
    if run.started_at is None or run.finished_at is None:
        return None
    seconds = (run.finished_at - run.started_at).total_seconds()
    return f"{seconds:.1f} s" if seconds < 60 else f"{seconds / 60:.1f} min"


def _line(run: RunRecord) -> RunLine:
    counts = run.counts
    synced = sum(n for outcome, n in counts.items() if outcome not in ("failed", "skipped"))
    return RunLine(
        id=run.id,
        trigger=run.trigger,
        status=run.status,
        what=_what(run),
        error=run.error,
        synced=synced,
        failed=counts.get("failed", 0),
        skipped=counts.get("skipped", 0),
        took=_took(run),
        created_at=run.created_at,
        started_at=run.started_at,
    )


def _live(progress: service.RunProgress, waiting: int) -> LiveRun:
    """A run's progress; ``waiting``: records of its types still waiting to be pushed."""
    ops = progress.operations
    done = {outcome: int(ops.get(outcome, 0)) for outcome in _DONE}
    total = progress.records_total
    if total is None:
        # whole types: what went out plus what still waits (failed records wait too)
        total = done["succeeded"] + done["skipped"] + waiting
    run = progress.run
    rate = None
    if run.started_at is not None:
        minutes = (datetime.now(UTC) - run.started_at) / timedelta(minutes=1)
        finished = sum(done.values())
        rate = round(finished / minutes) if minutes > 0.05 and finished else None
    return LiveRun(run, _what(run), done["succeeded"], done["failed"], done["skipped"], total, rate)


def _activity_context(request: Request, page: TenantPage) -> dict[str, Any]:
    services = services_of(request)
    open_runs = service.open_runs(services, page.id)
    counts = service.record_counts(services, page.id) if open_runs else {}
    live = []
    for progress in open_runs:
        types = progress.run.record_types
        waiting = sum(c.dirty for t, c in counts.items() if types is None or t in types)
        live.append(_live(progress, waiting))
    runs = service.runs(services, page.id, limit=RUN_LIMIT)
    return {"title": "Activity", "live": live, "runs": [_line(run) for run in runs]}


def _dashboard_context(request: Request, page: TenantPage) -> dict[str, Any]:
    board = service.dashboard(services_of(request), page.id, minutes=WINDOW)
    data = [
        Column(
            m.minute.strftime("%H:%M") if index % 5 == 0 else "",
            (m.succeeded, m.failed, m.skipped),
            title=m.minute.strftime("%H:%M"),
        )
        for index, m in enumerate(board.minutes)
    ]
    ceiling = board.write_ceiling
    per_minute = columns(
        data,
        _OUTCOMES,
        title="Writes to QuickBooks per minute by outcome",
        limit=ceiling,
        limit_label=f"QuickBooks' limit: {ceiling:,} writes a minute",
    )
    by_code = [Bar(_code_label(code), n, "failed") for code, n in board.errors_by_code]
    backlog = [Bar(type_label(kind), n, "backlog") for kind, n in board.backlog]
    return {
        "title": "Dashboard",
        "window": WINDOW,
        "per_minute": per_minute,
        "limit_note": "Intuit's per-company limit: 40 batches of 30 and 460 single writes a minute",
        "by_code": bars(by_code, title="Failed writes by error code") if by_code else None,
        "backlog": bars(backlog, title="Records waiting per type") if backlog else None,
        "backlog_total": sum(n for _, n in board.backlog),
        "totals": {outcome: sum(getattr(m, outcome) for m in board.minutes) for outcome in _DONE},
    }


def _code_label(code: str) -> str:
    return "before QuickBooks" if code == "none" else f"QuickBooks {code}"


def activity_router() -> APIRouter:
    router = APIRouter()

    @router.get("/t/{tenant_id}/errors")
    async def errors(request: Request, page: Page) -> Response:
        groups = await run_in_threadpool(service.error_groups, services_of(request), page.id)
        views = [_group(g) for g in groups]
        context = {
            "title": "Error queue",
            "groups": views,
            "total": sum(g["count"] for g in views),
        }
        return render(request, "errors.html", context, page=page, active="errors")

    @router.post("/t/{tenant_id}/errors/retry")
    async def retry(
        request: Request, page: Page, group: Annotated[str | None, Form(max_length=100)] = None
    ) -> Response:
        return await act(
            request,
            f"{page.base}/errors",
            lambda: run_started(service.retry_group(services_of(request), page.id, group or None)),
        )

    @router.get("/t/{tenant_id}/activity")
    async def activity(request: Request, page: Page) -> Response:
        context = await run_in_threadpool(_activity_context, request, page)
        return render(request, "activity.html", context, page=page, active="activity")

    @router.get("/t/{tenant_id}/activity/live")
    async def live(request: Request, page: Page) -> Response:
        context = await run_in_threadpool(_activity_context, request, page)
        return render(request, "_activity.html", context, page=page)

    @router.post("/t/{tenant_id}/activity/sync")
    async def sync_all(request: Request, page: Page) -> Response:
        return await act(
            request,
            f"{page.base}/activity",
            lambda: run_started(service.request_sync(services_of(request), page.id)),
        )

    @router.get("/t/{tenant_id}/dashboard")
    async def dashboard(request: Request, page: Page) -> Response:
        context = await run_in_threadpool(_dashboard_context, request, page)
        return render(request, "dashboard.html", context, page=page, active="dashboard")

    return router


def _group(group: service.ErrorGroup) -> dict[str, Any]:
    records = group.records
    return {
        "key": group.key,
        "code": group.error_code,
        "title": _group_title(group),
        "advice": group.what_to_do,
        "count": group.count,
        "types": sorted({type_label(r.record_type).lower() for r in records}),
        "latest": max((r.updated_at for r in records), default=None),
        "intuit_tids": group.intuit_tids,
        "members": [
            {
                "record_type": r.record_type,
                "app_id": r.app_id,
                "message": r.last_message or group.message,
                "intuit_tid": r.last_intuit_tid,
            }
            for r in records
        ],
    }


_TITLES: Final = {
    "fix_data": "QuickBooks refused the data",
    "resolve": "Conflicts with what QuickBooks holds",
    "reconnect": "The connection needs you",
    "stop": "The QuickBooks company refuses changes",
    "retry": "QuickBooks did not answer",
}


def _group_title(group: service.ErrorGroup) -> str:
    if group.error_code is None:
        return group.message
    return _TITLES.get(group.action, "QuickBooks refused the request")
