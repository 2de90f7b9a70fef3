"""``ledgerbridge worker``, ``serve``, ``sync`` and ``runs``: the jobs from the command line.

``worker`` consumes the job queue in the foreground (any number of them, on any number of
machines, with Redis); ``serve`` runs the web server with consumer threads in the same
process (the embedded default); ``sync`` requests a run (and with ``--wait`` runs it here,
in its realm lane); ``runs`` lists a tenant's runs. ``docs/jobs.md`` explains the rest.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
from datetime import UTC, datetime
from typing import Annotated, Any, Final

import typer
from fastapi import FastAPI
from rich.console import Console
from rich.table import Table

from ledgerbridge.engine import (
    PUSH_ORDER,
    PushReport,
    RunLogFilter,
    Selection,
    SyncRuntime,
    drain_lane,
    request_run,
)
from ledgerbridge.settings import Settings
from ledgerbridge.store import Database, RunRecord, RunStore, RunTrigger
from ledgerbridge.web import Services, create_app
from ledgerbridge.worker import EmbeddedConsumer, Jobs, run_consumer

from ._access_log import uvicorn_config
from ._common import EXIT_REJECTED, fail, guarded, open_database, settings_once

__all__ = ["auto_sync_after_import", "runs", "serve", "sync", "worker"]

#: every log line of a run names it (RunLogFilter)
LOG_FORMAT: Final = "%(asctime)s %(levelname)-7s %(name)s [%(run)s] %(message)s"
#: how many failed records ``sync --wait`` lists before "and N more"
_SHOWN_FAILURES: Final = 20
#: how much of a run's id ``runs`` shows (unique in practice: 48 random bits)
_SHORT_ID: Final = 12
_WORKERS_HELP: Final = "Consumer threads: lanes run side by side, one per QBO company."


def _configure_logging() -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(RunLogFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    # one line per QBO request is the debugging level, not the worker's
    logging.getLogger("httpx").setLevel(logging.WARNING)


def _freeze_start_up() -> None:
    """Keep what start-up made (modules, the ORM's mappers, the web app) out of the garbage
    collector's full passes: it lives as long as the process, and a sync of thousands of
    records would otherwise have it walked again on each one."""
    gc.collect()
    gc.freeze()


def worker(
    workers: Annotated[int, typer.Option("--workers", min=1, help=_WORKERS_HELP)] = 2,
) -> None:
    """Run job workers: sync lanes, the sweeper, schedules, token refresh (until Ctrl-C)."""
    settings = settings_once()
    _configure_logging()
    with guarded(), open_database(settings) as database:
        jobs = Jobs(settings, database=database)
        _freeze_start_up()
        try:
            # what a worker killed earlier left behind, without waiting for the minute
            jobs.sweep_now()
            run_consumer(jobs, workers=workers)
        finally:
            jobs.close()


def _web_app(settings: Settings, jobs: Jobs, database: Database) -> FastAPI:
    """The web app (REST API, console, OAuth callback, ``/healthz``, ``/metrics``) on this
    process's services, with QuickBooks' webhook notifications handed to the job queue."""
    services = Services.build(settings, jobs, queue_size=jobs.huey.pending_count, database=database)
    return create_app(
        notifications=services.runtime.inbound_store,
        on_notification=jobs.webhook_received,
        webhook_verifier=settings.qbo_webhook_verifier,
        services=services,
    )


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            "--workers", min=0, help=f"{_WORKERS_HELP} 0: none (run `ledgerbridge worker`)."
        ),
    ] = 2,
) -> None:
    """Serve the REST API, the console and QuickBooks webhooks, with job workers in the same
    process by default."""
    import uvicorn

    settings = settings_once()
    _configure_logging()
    with guarded(), open_database(settings) as database:
        jobs = Jobs(settings, database=database)
        consumer = EmbeddedConsumer(jobs, workers=workers) if workers else None
        server = uvicorn.Server(
            uvicorn_config(_web_app(settings, jobs, database), host=host, port=port)
        )
        _freeze_start_up()
        try:
            if consumer is not None:
                jobs.sweep_now()
                consumer.start()
            server.run()
        finally:
            if consumer is not None:
                consumer.stop()
            jobs.close()


def _selection(types: list[str], records: list[str]) -> Selection:
    """The selection of ``sync``'s options, or exit 2 saying what is wrong."""
    keys: list[tuple[str, str]] = []
    for given in records:
        record_type, sep, app_id = given.partition(":")
        if not sep or not record_type or not app_id:
            fail(f"--record takes TYPE:ID (e.g. invoice:INV-1042), not {given!r}.")
        keys.append((record_type, app_id))
    if types and keys:
        fail("Give --type or --record, not both.")
    try:
        if keys:
            return Selection(records=tuple(keys))
        return Selection(record_types=frozenset(types) if types else None)
    except ValueError as exc:
        fail(f"{exc}.")


def sync(
    tenant: Annotated[str, typer.Option("--tenant", help="The shop whose records to push.")],
    types: Annotated[
        list[str] | None,
        typer.Option(
            "--type", metavar="TYPE", help=f"Only dirty records of TYPE ({', '.join(PUSH_ORDER)})."
        ),
    ] = None,
    records: Annotated[
        list[str] | None,
        typer.Option("--record", metavar="TYPE:ID", help="This record, changed or not."),
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Run it here and print what it did.")
    ] = False,
) -> None:
    """Push a tenant's dirty records to QuickBooks (or the ones named).

    One --record is a manual sync; anything else is a bulk sync (at setup: `--type customer
    --type item` exports every customer and product).
    """
    selection = _selection(types or [], records or [])
    trigger: RunTrigger = "manual" if selection.records and len(selection.records) == 1 else "bulk"
    settings = settings_once()
    with guarded(), open_database(settings) as database:
        if not wait:
            jobs = Jobs(settings, database=database)
            try:
                run = jobs.request_sync(tenant, trigger, selection)
            finally:
                jobs.close()
            typer.echo(
                f"Queued run {run.id} ({trigger}): {selection.describe()}. A worker runs it "
                f"(`ledgerbridge serve` or `ledgerbridge worker`); see `ledgerbridge runs "
                f"--tenant {tenant}`."
            )
            return
        run, report = asyncio.run(
            _run_here(SyncRuntime(settings, database=database), tenant, trigger, selection)
        )
    _print_run(run, report)
    if run.status != "succeeded":
        raise typer.Exit(EXIT_REJECTED)


async def _run_here(
    runtime: SyncRuntime, tenant: str, trigger: RunTrigger, selection: Selection
) -> tuple[RunRecord, PushReport | None]:
    """Request the run and drain its lane in this process; if another worker holds the lane,
    wait for that worker to run it."""
    console = Console(stderr=True)
    try:
        run = request_run(runtime, tenant, trigger, selection).run
        with console.status(f"Run {run.id} ({trigger}): {selection.describe()}..."):
            lane = await drain_lane(runtime, tenant)
            current = runtime.runs.get(tenant_id=tenant, run_id=run.id)
            while current is not None and not current.finished:
                await asyncio.sleep(0.5)  # another worker holds the lane and runs it
                current = runtime.runs.get(tenant_id=tenant, run_id=run.id)
        assert current is not None
        return current, lane.reports.get(run.id)
    finally:
        await runtime.aclose()


def _print_run(run: RunRecord, report: PushReport | None) -> None:
    console = Console(soft_wrap=True)
    table = Table("outcome", "records", title=f"Run {run.id} ({run.trigger}): {run.status}")
    for outcome, count in sorted(run.counts.items()):
        table.add_row(outcome, str(count))
    if run.counts:
        console.print(table)
    else:
        console.print(f"Run {run.id} ({run.trigger}): {run.status}; no record to push.")
    if run.error:
        console.print(f"[bold]{run.error}[/]")
    failed = [] if report is None else [r for r in report.results if not r.ok and r.message]
    for result in failed[:_SHOWN_FAILURES]:
        console.print(f"{result.outcome}: {result.record_type} {result.app_id}: {result.message}")
    if len(failed) > _SHOWN_FAILURES:
        console.print(f"... and {len(failed) - _SHOWN_FAILURES} more (see the console).")


def runs(
    tenant: Annotated[str, typer.Option("--tenant", help="The shop whose runs to list.")],
    limit: Annotated[int, typer.Option(min=1, help="How many, newest first.")] = 20,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per run (full ids), for scripts.")
    ] = False,
) -> None:
    """List a tenant's sync runs, newest first (ids shortened; the log has them whole)."""
    settings = settings_once()
    with guarded(), open_database(settings) as database:
        found = RunStore(database).list(tenant_id=tenant, limit=limit)
    if as_json:
        for run in found:
            typer.echo(json.dumps(_run_json(run)))
        return
    if not found:
        typer.echo(f"Tenant {tenant!r} has no sync runs.")
        return
    table = Table()
    for name in ("run", "trigger", "status", "selection", "outcomes", "requested", "took"):
        # words that must stay whole do; the selection and the outcomes wrap
        table.add_column(name, no_wrap=name not in ("selection", "outcomes"))
    for run in found:
        table.add_row(
            run.id[:_SHORT_ID],
            run.trigger,
            run.status,
            Selection.of(run).describe(),
            ", ".join(f"{n} {outcome}" for outcome, n in sorted(run.counts.items())),
            run.created_at.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
            _took(run),
        )
    Console(soft_wrap=True).print(table)
    for run in found:
        if run.error:
            typer.echo(f"{run.id[:_SHORT_ID]}: {run.error}")


def _run_json(run: RunRecord) -> dict[str, Any]:
    return {
        "id": run.id,
        "trigger": run.trigger,
        "status": run.status,
        "record_types": None if run.record_types is None else sorted(run.record_types),
        "records": None if run.records is None else [list(key) for key in run.records],
        "counts": dict(run.counts),
        "error": run.error,
        "attempts": run.attempts,
        **{
            name: None if moment is None else moment.isoformat()
            for name, moment in (
                ("created_at", run.created_at),
                ("started_at", run.started_at),
                ("finished_at", run.finished_at),
            )
        },
    }


def _took(run: RunRecord) -> str:
    if run.started_at is None:
        return ""
    end = run.finished_at or datetime.now(UTC)
    return f"{(end - run.started_at).total_seconds():.1f} s"


def auto_sync_after_import(
    settings: Settings, database: Database, tenant: str, keys: list[tuple[str, str]]
) -> RunRecord | None:
    """``records import``'s hook: the records it changed auto-sync if the tenant says so."""
    if not keys:
        return None
    jobs = Jobs(settings, database=database)
    try:
        return jobs.records_saved(tenant, keys)
    finally:
        jobs.close()
