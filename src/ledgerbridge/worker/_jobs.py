"""The job queue: Huey with ledgerbridge's tasks, and the runtime they run on.

One code path for both deployments (``docs/jobs.md``): :func:`make_huey` picks Huey's SQLite
storage in the data directory by default, or Redis when ``LEDGERBRIDGE_REDIS_URL`` is set,
and every process (``serve``, ``worker``, the CLI that enqueues) builds the same
:class:`Jobs`, so that task names match.

Huey carries *kicks* only: ``sync_lane(tenant)`` says "this tenant's lane may have work".
What to do is in the store: a run is recorded before its kick is enqueued, and the lane runs
whatever is queued (``ledgerbridge.engine.drain_lane``). Huey takes a task off the queue when
a worker starts it, so a worker killed mid-task loses the task; it loses nothing else: the
run stays queued or running in the store, its lane lease expires, and the sweeper kicks the
lane again.

Tasks: ``sync_lane(tenant)``, ``process_webhook(notification_id)`` (the web app stored a QBO
webhook notification), ``import_from_qbo(tenant)`` (customers and items at setup). Periodic
tasks (every consumer's scheduler enqueues them; a lease in the store lets one worker of the
cluster run each per period): the sweeper and the schedules every minute, the token refresh
every ten minutes, the CDC back-stop (with the webhook notifications whose job was lost)
every five, the pruning of old runs hourly.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Coroutine, Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any, Final, TypeVar

import httpx
from huey import RedisHuey, SqliteHuey, crontab  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url

from ledgerbridge.engine import (
    LaneReport,
    Selection,
    SweepReport,
    SyncError,
    SyncRuntime,
    drain_lane,
    poll_changes,
    refresh_connections,
    request_auto_sync,
    request_run,
    schedule_due,
    sweep,
)
from ledgerbridge.settings import Settings
from ledgerbridge.store import Database, RunRecord, RunTrigger

__all__ = ["JOBS_FILE", "Jobs", "jobs_path", "make_huey"]

_log = logging.getLogger("ledgerbridge.worker")

#: the SQLite file of the embedded job queue, in the data directory
JOBS_FILE: Final = "ledgerbridge-jobs.db"
#: how long finished runs are kept
RUN_RETENTION: Final = timedelta(days=14)

_T = TypeVar("_T")


def jobs_path(settings: Settings) -> Path:
    """Where the embedded queue lives: beside the SQLite database (the data directory),
    or in the working directory when the database is PostgreSQL."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        return Path(url.database).expanduser().resolve().parent / JOBS_FILE
    return Path.cwd() / JOBS_FILE


def make_huey(settings: Settings, *, name: str = "ledgerbridge") -> Any:
    """Huey on Redis (``LEDGERBRIDGE_REDIS_URL``), else on SQLite in the data directory.

    Results are not stored: a task's outcome is its run's row in the store.
    """
    if settings.redis_url:
        return RedisHuey(name, url=settings.redis_url, results=False, utc=True)
    return SqliteHuey(name, filename=str(jobs_path(settings)), results=False, utc=True)


class _Loop:
    """One event loop in a thread of its own, shared by every task of the process.

    The runtime's rate governor keeps each realm's windows in this loop; a loop per task
    would forget them between runs (and asyncio objects belong to one loop).
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="ledgerbridge-sync-loop", daemon=True
        )
        self._thread.start()

    def call(self, coroutine: Coroutine[Any, Any, _T]) -> _T:
        """Run ``coroutine`` on the loop and wait for its result (from any other thread)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()


async def _shutdown(runtime: SyncRuntime) -> None:
    """Cancel what still runs on the loop (a run cut short stays ``running``: the next worker
    to take its lane resumes it; finishing it here, with the pools closing under it, would
    record failures QuickBooks never made), then close the runtime."""
    running = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in running:
        task.cancel()
    await asyncio.gather(*running, return_exceptions=True)
    await runtime.aclose()


class Jobs:
    """ledgerbridge's tasks on one Huey instance, and the runtime they run on.

    The runtime (:class:`~ledgerbridge.engine.SyncRuntime`) is made on first use; its async
    parts live on one event loop thread, started by the first task this process executes.
    A process that only enqueues (the CLI, the web app) never starts it.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        huey: Any = None,
        database: Database | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """``huey``: another instance than :func:`make_huey`'s (tests); ``database``: share an
        open one; ``transport``: mount the emulator in-process (tests)."""
        self.settings = settings
        self.huey = make_huey(settings) if huey is None else huey
        self._database = database
        self._transport = transport
        self._runtime: SyncRuntime | None = None
        self._loop: _Loop | None = None
        self._guard = threading.Lock()
        #: set when the consumer begins to stop: lanes hand over after their current run
        self._stopping = threading.Event()
        self._sync_lane = self.huey.task(name="sync_lane")(self._run_lane)
        self._webhook = self.huey.task(name="process_webhook")(self._process_webhook)
        self._import = self.huey.task(name="import_from_qbo")(self._import_from_qbo)
        for name, schedule, job in (
            ("sweeper", crontab(), self._sweep),
            ("scheduled_syncs", crontab(), self._schedules),
            ("token_refresh", crontab(minute="*/10"), self._refresh_tokens),
            ("cdc_backstop", crontab(minute="*/5"), self._cdc_backstop),
            ("prune_runs", crontab(minute="17"), self._prune),
        ):
            self.huey.periodic_task(schedule, name=name)(job)

    # -- what the app calls -------------------------------------------------------------------
    @property
    def runtime(self) -> SyncRuntime:
        """The process's runtime (made on first use)."""
        with self._guard:
            if self._runtime is None:
                self._runtime = SyncRuntime(
                    self.settings, database=self._database, transport=self._transport
                )
            return self._runtime

    def kick(self, tenant_id: str) -> None:
        """Enqueue the tenant's lane: a worker runs what is queued in it."""
        self._sync_lane(tenant_id)

    def request_sync(
        self, tenant_id: str, trigger: RunTrigger, selection: Selection | None = None
    ) -> RunRecord:
        """Record a run (``manual``, ``bulk``...) and kick its lane; the run is returned.

        Raises :class:`~ledgerbridge.engine.NotConnectedError` for a tenant without a live
        connection.
        """
        request = request_run(self.runtime, tenant_id, trigger, selection or Selection())
        self.kick(tenant_id)
        return request.run

    def records_saved(self, tenant_id: str, keys: Iterable[tuple[str, str]]) -> RunRecord | None:
        """After a put (the API, ``records import``): trigger auto-sync of what auto-syncs.

        Returns the auto run the records will go out with (``None``: none of them auto-syncs
        for this tenant, or it is not connected). Saves within the debounce window join one
        run; only the first enqueues a kick.
        """
        request = request_auto_sync(self.runtime, tenant_id, list(keys))
        if request is None:
            return None
        if request.created:
            self.kick(tenant_id)
        return request.run

    def webhook_received(self, notification_id: int) -> None:
        """The web app stored a QBO webhook notification: queue its processing (the CDC
        back-stop processes it if this job is lost)."""
        self._webhook(notification_id)

    def import_from_qbo(self, tenant_id: str) -> None:
        """Queue the import of the company's customers and items (at setup)."""
        self._import(tenant_id)

    def close(self) -> None:
        """Close the runtime (on its loop, if one was started)."""
        with self._guard:
            runtime, loop = self._runtime, self._loop
            self._runtime = self._loop = None
        if runtime is None:
            return
        if loop is None:
            # no async part was used: only the database may need closing
            if self._database is None:
                runtime.database.dispose()
            return
        loop.call(_shutdown(runtime))
        loop.stop()

    # -- tasks ----------------------------------------------------------------------------------
    def _call(self, job: Callable[[SyncRuntime], Coroutine[Any, Any, _T]]) -> _T:
        runtime = self.runtime
        with self._guard:
            if self._loop is None:
                self._loop = _Loop()
            loop = self._loop
        return loop.call(job(runtime))

    def _run_lane(self, tenant_id: str) -> None:
        """The ``sync_lane`` task: run what is queued in the tenant's lane."""
        stopping = self._stopping.is_set
        try:
            report: LaneReport = self._call(
                lambda runtime: drain_lane(runtime, tenant_id, stopping=stopping)
            )
        except SyncError as error:
            _log.warning("lane of tenant %s not run: %s", tenant_id, error.user_message)
            return
        if report.runs:
            _log.info("lane %s: %d run(s) done", report.lane, len(report.runs))
        if report.handed_over:  # another worker (or this one, restarted) carries on
            self.kick(tenant_id)

    def stop_lanes(self) -> None:
        """The consumer is stopping: each lane lets go after the run it is in."""
        self._stopping.set()

    def _once(self, name: str, period: timedelta) -> bool:
        """Whether this worker runs the periodic job ``name`` now (one per period and cluster:
        every consumer's scheduler enqueues it)."""
        lease = self.runtime.runs.take_lease(
            f"job:{name}", holder=self.runtime.holder, ttl=period - timedelta(seconds=5)
        )
        return lease is not None

    def _kick_all(self, report: SweepReport) -> None:
        for tenant_id in sorted(report.kicks):
            self.kick(tenant_id)

    def sweep_now(self) -> SweepReport:
        """Sweep at once (a worker starting up): kick lanes left with work, request runs for
        auto-sync work left behind."""
        report = sweep(self.runtime)
        self._kick_all(report)
        return report

    def _sweep(self) -> None:
        """Every minute: lanes left with work, auto-sync work left behind (``sweep``)."""
        if self._once("sweeper", timedelta(seconds=30)):
            self.sweep_now()

    def _schedules(self) -> None:
        """Every minute: the scheduled syncs that are due."""
        if self._once("scheduled_syncs", timedelta(minutes=1)):
            self._kick_all(schedule_due(self.runtime))

    def _refresh_tokens(self) -> None:
        """Every ten minutes: refresh the tokens that expire within two hours."""
        if not self._once("token_refresh", timedelta(minutes=10)):
            return
        report = self._call(refresh_connections)
        if report.refreshed or report.disconnected or report.failed:
            _log.info(
                "token refresh: %d refreshed, %d disconnected, %d failed",
                len(report.refreshed),
                len(report.disconnected),
                len(report.failed),
            )

    def _cdc_backstop(self) -> None:
        """Every five minutes: QBO's change feed for what webhooks missed, and the webhook
        notifications whose job was lost."""
        if self._once("cdc_backstop", timedelta(minutes=5)):
            self._call(poll_changes)

    def _process_webhook(self, notification_id: int) -> None:
        """The ``process_webhook`` task: apply a stored QBO webhook notification."""
        self._call(lambda runtime: runtime.inbound().process_notification(notification_id))

    def _import_from_qbo(self, tenant_id: str) -> None:
        """The ``import_from_qbo`` task: QBO's customers and items at setup."""
        try:
            self._call(lambda runtime: runtime.inbound().import_from_qbo(tenant_id))
        except SyncError as error:
            _log.warning("import for tenant %s not run: %s", tenant_id, error.user_message)

    def _prune(self) -> None:
        """Hourly: delete runs that finished more than two weeks ago."""
        if self._once("prune_runs", timedelta(hours=1)):
            pruned = self.runtime.runs.prune(older_than=RUN_RETENTION)
            if pruned:
                _log.info("pruned %d finished runs", pruned)
