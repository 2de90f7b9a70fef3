"""Sync runs: the runtime a process holds, realm lanes, triggers, and the sweeper.

A *run* is one request to push some of a tenant's records (``docs/jobs.md``): the dirty
records of some types, or named records. It is stored ``queued`` when it is requested
(:func:`request_run`), with its trigger (manual, bulk, auto, scheduled, sweeper), and runs in
its tenant's *realm lane*: one worker at a time per QBO company, cluster-wide, because Intuit
throttles per company and because two writers of one company would race on SyncTokens and
names.

:func:`drain_lane` is what a job runs: it takes the lane's lease in the store (a row that
expires unless renewed, so a killed worker's lane is free again after
``lane_lease_seconds``), then runs the lane's queued runs, due first, until none is left, and
lets go in the same transaction that found none (:meth:`RunStore.next_or_release`): a run
requested while the lane was ending is never stranded. A lane that finds the lease taken
returns at once: the holder runs the new run before it lets go.

Auto-sync on save (:func:`request_auto_sync`) queues an ``auto`` run due a debounce window
later; saves until then join it, so a burst of saves is one run. :func:`sweep` is the
back-stop every minute: lanes with queued or running runs and no live lease (a lost job, a
dead worker) are kicked again, and dirty auto-sync records that changed after the last run
that drained them get a ``sweeper`` run. :func:`schedule_due` requests the ``scheduled`` runs.

Every log line of a run names it: ours say ``run <id> (<trigger>)``, and
:class:`RunLogFilter` gives any record logged while a run is executing (the pusher's too) the
attributes ``run_id``, ``trigger`` and ``run`` for the handler's format.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import socket
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final, Literal

import httpx
from pydantic import ValidationError

from ledgerbridge._errors import LedgerbridgeError
from ledgerbridge.model import TenantSettings
from ledgerbridge.qbo import Governor, OAuthClient, QBOClient, QBOLimits, environment
from ledgerbridge.settings import Settings
from ledgerbridge.store import (
    RECONNECT_WARNING,
    ConnectionRecord,
    ConnectionStore,
    Database,
    Environment,
    InboundStore,
    LeaseLostError,
    LinkStore,
    OperationStore,
    OperationTrigger,
    RecordStore,
    RunRecord,
    RunRequest,
    RunStore,
    RunTrigger,
    SettingsStore,
    TokenCipher,
)

from ._bulk import BulkPusher
from ._connections import ConnectionTokens, FreshnessReport, keep_connections_fresh
from ._inbound import InboundSync, PollReport
from ._memo import CompanyMemo
from ._push import PUSH_ORDER, PushReport

__all__ = [
    "LaneReport",
    "NotConnectedError",
    "RunLogFilter",
    "Selection",
    "SweepReport",
    "SyncDisabledError",
    "SyncError",
    "SyncRuntime",
    "SyncSetupError",
    "drain_lane",
    "lane_name",
    "poll_changes",
    "refresh_connections",
    "request_auto_sync",
    "request_run",
    "schedule_due",
    "sweep",
]

_log = logging.getLogger("ledgerbridge.sync")

#: the operation log's word for each run trigger (the sweeper catches up on auto-sync work)
_OPERATION_TRIGGERS: Final[Mapping[RunTrigger, OperationTrigger]] = {
    "manual": "manual",
    "bulk": "bulk",
    "auto": "auto",
    "scheduled": "scheduled",
    "sweeper": "auto",
}

#: the run being executed in this task, for :class:`RunLogFilter`
_CURRENT: contextvars.ContextVar[RunRecord | None] = contextvars.ContextVar(
    "ledgerbridge_run", default=None
)


class SyncError(LedgerbridgeError):
    """A sync cannot be requested or run as asked."""

    user_message = "ledgerbridge cannot run this sync; the log has the details."


class NotConnectedError(SyncError):
    """The tenant has no live QuickBooks connection in this deployment's environment."""


class SyncSetupError(SyncError):
    """The deployment lacks a setting a sync needs (the secret key, the app's keys)."""


class SyncDisabledError(SyncError):
    """The tenant turned sync off (``TenantSettings.sync_enabled``): records wait."""

    user_message = (
        "Sync is off for this shop: records wait until it is turned on again (Integrations)."
    )


@dataclass(frozen=True)
class Selection:
    """What a run pushes: named records (dirty or not), else the dirty records of
    ``record_types`` (``None``: of every type)."""

    record_types: frozenset[str] | None = None
    records: tuple[tuple[str, str], ...] | None = None

    def __post_init__(self) -> None:
        if self.record_types is not None and self.records is not None:
            raise ValueError("a selection names record types or records, not both")
        unknown = sorted({*(self.record_types or ()), *(t for t, _ in self.records or ())})
        unknown = [t for t in unknown if t not in PUSH_ORDER]
        if unknown:
            raise ValueError(
                f"records of type {', '.join(map(repr, unknown))} are not pushed to QuickBooks; "
                f"choose among {', '.join(PUSH_ORDER)}"
            )

    @classmethod
    def of(cls, run: RunRecord) -> Selection:
        """The selection a stored run was requested with."""
        return cls(record_types=run.record_types, records=run.records)

    def describe(self) -> str:
        """A few words for the log and the CLI."""
        if self.records is not None:
            shown = ", ".join(f"{t}:{i}" for t, i in self.records[:5])
            more = f" and {len(self.records) - 5} more" if len(self.records) > 5 else ""
            return f"records {shown}{more}"
        if self.record_types is None:
            return "every dirty record"
        return f"dirty {', '.join(sorted(self.record_types))} records"


@dataclass(frozen=True)
class LaneReport:
    """What one :func:`drain_lane` call did."""

    lane: str
    #: another worker held the lane: it runs whatever is queued before it lets go
    busy: bool = False
    #: the runs executed, in order, as they finished
    runs: tuple[RunRecord, ...] = ()
    #: the push report of each executed run, by run id
    reports: Mapping[str, PushReport] = field(default_factory=dict)
    #: the worker is stopping: the lane was let go with runs still queued (kick it again)
    handed_over: bool = False


class RunLogFilter(logging.Filter):
    """Tags every log record made while a run executes with ``run_id``, ``trigger`` and
    ``run`` (``"<id> <trigger>"``, or ``"-"`` outside runs); attach it to a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        run = _CURRENT.get()
        record.run_id = run.id if run else "-"
        record.trigger = run.trigger if run else "-"
        record.run = f"{run.id} {run.trigger}" if run else "-"
        return True


def lane_name(connection: ConnectionRecord) -> str:
    """The lease name of the realm lane of a connection's QBO company."""
    return f"lane:{connection.environment}:{connection.realm_id}"


class SyncRuntime:
    """What one process needs to run syncs, built once from :class:`Settings`.

    It holds the database and every store, the OAuth app's client, one rate
    :class:`Governor` for the whole process (in memory, or shared through Redis with
    ``LEDGERBRIDGE_REDIS_URL``) and one HTTP connection pool. The async parts belong to the
    event loop that first uses them: a process keeps one loop for all its lanes (the
    governor's windows must outlive a run) and closes the runtime there (:meth:`aclose`).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        database: Database | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """``database``: share an open one (the caller disposes of it); ``transport``: mount
        the emulator in-process instead of HTTP (tests)."""
        self.settings = settings
        self._owns_database = database is None
        self.database = database or Database(settings.database_url)
        key = settings.secret_key
        cipher = TokenCipher(
            key.get_secret_value() if key is not None else TokenCipher.generate_key()
        )
        # Intuit's 5-year cap shrinks with an emulator's time scale, so does the warning
        warning = RECONNECT_WARNING / settings.qbo_time_scale
        self.connections = ConnectionStore(self.database, cipher, reconnect_warning=warning)
        self.records = RecordStore(self.database)
        self.links = LinkStore(self.database)
        self.settings_store = SettingsStore(self.database)
        self.operations = OperationStore(self.database)
        self.runs = RunStore(self.database)
        self.inbound_store = InboundStore(self.database)
        self.environment: Environment = settings.qbo_environment
        self._qbo_environment = environment(
            settings.qbo_environment, emulator_url=settings.emulator_url
        )
        self.governor = Governor(
            QBOLimits(time_scale=settings.qbo_time_scale),
            storage_uri=settings.redis_url or "memory://",
        )
        #: who holds this process's leases, for people reading the leases table
        self.holder = f"{socket.gethostname()}:{os.getpid()}"
        self.lease = timedelta(seconds=settings.lane_lease_seconds)
        self.debounce = timedelta(seconds=settings.auto_sync_debounce_seconds)
        self._transport = transport
        self._oauth: OAuthClient | None = None
        self._http: httpx.AsyncClient | None = None
        self._memos: dict[str, CompanyMemo] = {}

    # -- tenants ------------------------------------------------------------------------------
    def tenant_settings(self, tenant_id: str) -> TenantSettings:
        """The tenant's current settings (the defaults before the first save)."""
        current = self.settings_store.current(tenant_id=tenant_id)
        if current is None:
            return TenantSettings()
        try:
            return TenantSettings.model_validate(current.document)
        except ValidationError as exc:
            raise SyncError(
                f"the settings of tenant {tenant_id!r} (version {current.version}) are not "
                f"valid: {exc.errors()[0]['msg']}",
                user_message="The saved settings are not valid; open the settings page, fix "
                "them and save.",
            ) from None

    def connection(self, tenant_id: str) -> ConnectionRecord:
        """The tenant's live connection, or :class:`NotConnectedError` saying what to do."""
        record = self.connections.get(tenant_id=tenant_id, environment=self.environment)
        if record is None or record.status == "disconnected":
            state = "no" if record is None else "a disconnected"
            message = (
                f"Tenant {tenant_id!r} has {state} QuickBooks connection ({self.environment}): "
                "connect the company in the console first."
            )
            raise NotConnectedError(message, user_message=message)
        return record

    def lane_of(self, tenant_id: str) -> str:
        """The lane of the tenant's QBO company."""
        return lane_name(self.connection(tenant_id))

    def memo(self, realm_id: str) -> CompanyMemo:
        """What this process remembers of a company between its runs (lookups by name)."""
        return self._memos.setdefault(realm_id, CompanyMemo())

    def inbound(self) -> InboundSync:
        """The inbound jobs (webhooks, CDC, the import at setup) on this runtime."""
        return InboundSync(access=self, records=self.records, inbound=self.inbound_store)

    # -- async clients ------------------------------------------------------------------------
    def oauth(self) -> OAuthClient:
        """The app's OAuth client (refreshes tokens), made on first use."""
        if self._oauth is None:
            settings = self.settings
            if not (
                settings.qbo_client_id and settings.qbo_client_secret and settings.qbo_redirect_uri
            ):
                raise _setup_error(
                    "Set LEDGERBRIDGE_QBO_CLIENT_ID, LEDGERBRIDGE_QBO_CLIENT_SECRET and "
                    "LEDGERBRIDGE_QBO_REDIRECT_URI: syncing refreshes tokens with the app's keys."
                )
            self._oauth = OAuthClient(
                client_id=settings.qbo_client_id,
                client_secret=settings.qbo_client_secret.get_secret_value(),
                redirect_uri=settings.qbo_redirect_uri,
                environment=self._qbo_environment,
                transport=self._transport,
            )
        return self._oauth

    @asynccontextmanager
    async def qbo(self, tenant_id: str) -> AsyncIterator[QBOClient]:
        """A QBO client for the tenant's company, through the process's governor and pool."""
        if self.settings.secret_key is None:
            raise _setup_error(
                "LEDGERBRIDGE_SECRET_KEY is not set: the stored QuickBooks tokens cannot be "
                "read without the key that encrypted them."
            )
        connection = self.connection(tenant_id)
        tokens = ConnectionTokens(self.connections, self.oauth(), connection.id)
        if self._http is None:
            self._http = httpx.AsyncClient(transport=self._transport, timeout=30.0)
        async with QBOClient(
            connection.realm_id,
            base_url=self._qbo_environment.api_base,
            tokens=tokens,
            gate=self.governor,
            http=self._http,
        ) as client:
            yield client

    async def aclose(self) -> None:
        """Close the pools and the governor (on the loop that used them), then the database."""
        if self._http is not None:
            await self._http.aclose()
        if self._oauth is not None:
            await self._oauth.aclose()
        await self.governor.aclose()
        if self._owns_database:
            self.database.dispose()


def _setup_error(message: str) -> SyncSetupError:
    return SyncSetupError(message, user_message=message)


# -- requests -----------------------------------------------------------------------------------
def request_run(
    runtime: SyncRuntime,
    tenant_id: str,
    trigger: RunTrigger,
    selection: Selection = Selection(),
    *,
    due_in: timedelta = timedelta(0),
) -> RunRequest:
    """Queue a run in the tenant's lane (the caller then kicks the lane).

    Raises :class:`NotConnectedError` if the tenant has no live connection: nothing could run,
    and :class:`SyncDisabledError` if the tenant turned sync off.
    """
    _require_enabled(runtime, tenant_id)
    return runtime.runs.request(
        tenant_id=tenant_id,
        lane=runtime.lane_of(tenant_id),
        trigger=trigger,
        record_types=selection.record_types,
        records=selection.records,
        due_in=due_in,
    )


def request_auto_sync(
    runtime: SyncRuntime, tenant_id: str, keys: Iterable[tuple[str, str]]
) -> RunRequest | None:
    """After the app saved ``keys`` (``(record_type, app_id)``): queue the debounced auto run.

    ``None`` when nothing is due: none of the types auto-syncs for this tenant, or it is not
    connected (the sweeper picks the records up once it is). A request that joined a queued
    run has ``created`` false: that run's kick is on its way already.
    """
    settings = runtime.tenant_settings(tenant_id)
    auto = _auto_types(settings)
    if not auto or not any(record_type in auto for record_type, _ in keys):
        return None
    try:
        return request_run(
            runtime, tenant_id, "auto", Selection(record_types=auto), due_in=runtime.debounce
        )
    except NotConnectedError:
        _log.info("auto-sync of tenant %s waits for a QuickBooks connection", tenant_id)
        return None


def _require_enabled(runtime: SyncRuntime, tenant_id: str) -> None:
    if not runtime.tenant_settings(tenant_id).sync_enabled:
        raise SyncDisabledError(f"sync is off for tenant {tenant_id!r}")


def _auto_types(settings: TenantSettings) -> frozenset[str]:
    if not settings.sync_enabled:
        return frozenset()  # saves wait; the sweeper leaves them too
    return frozenset(t for t in settings.auto_sync & settings.enabled_types if t in PUSH_ORDER)


# -- the lane ----------------------------------------------------------------------------------
async def drain_lane(
    runtime: SyncRuntime, tenant_id: str, *, stopping: Callable[[], bool] = lambda: False
) -> LaneReport:
    """Run every queued run of the tenant's lane, if no other worker holds it (module docs).

    ``stopping`` is asked before each run: a worker shutting down finishes the run it is in
    and lets the lane go (``handed_over``), or a lane busy with a stream of saves would keep
    it running forever.
    """
    lane = runtime.lane_of(tenant_id)
    grant = runtime.runs.take_lease(lane, holder=runtime.holder, ttl=runtime.lease)
    if grant is None:
        _log.debug("lane %s is busy in another worker", lane)
        return LaneReport(lane, busy=True)
    for run_id in grant.resumed:
        _log.warning("run %s: its worker stopped; resuming it in lane %s", run_id, lane)
    finished: list[RunRecord] = []
    reports: dict[str, PushReport] = {}
    work = asyncio.create_task(_drain(runtime, lane, grant.token, finished, reports, stopping))
    beat = asyncio.create_task(_heartbeat(runtime, lane, grant.token))
    handed_over = False
    try:
        await asyncio.wait({work, beat}, return_when=asyncio.FIRST_COMPLETED)
        if not work.done():  # the heartbeat ended: the lease is lost
            work.cancel()
        with suppress(asyncio.CancelledError, LeaseLostError):
            handed_over = await work
    finally:
        beat.cancel()
        with suppress(asyncio.CancelledError):
            await beat
        if not work.done() or work.cancelled() or work.exception() is not None:
            work.cancel()
            # whatever went wrong, the next worker must not wait for the lease to expire
            runtime.runs.release_lease(lane, grant.token)
    return LaneReport(lane, runs=tuple(finished), reports=reports, handed_over=handed_over)


async def _drain(
    runtime: SyncRuntime,
    lane: str,
    token: str,
    finished: list[RunRecord],
    reports: dict[str, PushReport],
    stopping: Callable[[], bool],
) -> bool:
    """Run the lane's runs until none is left (``False``) or the worker stops (``True``)."""
    while (run := runtime.runs.next_or_release(lane, token)) is not None:
        if stopping():
            runtime.runs.release_lease(lane, token)
            _log.info("lane %s: let go with runs queued (this worker is stopping)", lane)
            return True
        wait = (run.due_at - datetime.now(UTC)).total_seconds()
        if wait > 0:  # the debounce window: saves until then join this run
            await asyncio.sleep(wait)
        done, report = await _execute(runtime, run, token)
        finished.append(done)
        if report is not None:
            reports[done.id] = report
    return False


async def _heartbeat(runtime: SyncRuntime, lane: str, token: str) -> None:
    """Renew the lease every third of its life; return when it is lost."""
    interval = runtime.lease.total_seconds() / 3
    while True:
        await asyncio.sleep(interval)
        if not runtime.runs.renew_lease(lane, token, ttl=runtime.lease):
            _log.error("lane %s: the lease was lost (another worker took over); stopping", lane)
            return


async def _execute(
    runtime: SyncRuntime, queued: RunRecord, token: str
) -> tuple[RunRecord, PushReport | None]:
    """Run one run under the lane's lease and store how it went."""
    run = runtime.runs.start(queued.id, token)
    selection = Selection.of(run)
    tag = _CURRENT.set(run)
    try:
        _log.info(
            "run %s (%s): tenant %s, %s, attempt %d",
            run.id,
            run.trigger,
            run.tenant_id,
            selection.describe(),
            run.attempts,
        )
        try:
            _require_enabled(runtime, run.tenant_id)  # turned off since it was requested
            if runtime.lane_of(run.tenant_id) != run.lane:
                raise SyncError(
                    "the tenant was reconnected to another QuickBooks company",
                    user_message="The company was reconnected to another QuickBooks company "
                    "since this sync was requested; request it again.",
                )
            async with runtime.qbo(run.tenant_id) as qbo:
                report = await push_selection(runtime, qbo, run)
        except LedgerbridgeError as error:
            _log.warning("run %s (%s) failed: %s", run.id, run.trigger, error.user_message)
            return _finish(runtime, run, token, "failed", Counter(), error.user_message), None
        counts: Counter[str] = Counter(result.outcome for result in report.results)
        status, error_text = _verdict(counts)
        done = _finish(runtime, run, token, status, counts, error_text)
        _log.info(
            "run %s (%s) %s: %s",
            run.id,
            run.trigger,
            status,
            ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "nothing to do",
        )
        return done, report
    except (LeaseLostError, asyncio.CancelledError):
        raise
    except Exception:
        _log.exception("run %s (%s) failed with an internal error", run.id, run.trigger)
        message = "ledgerbridge stopped this sync because of an internal error; the log has it."
        return _finish(runtime, run, token, "failed", Counter(), message), None
    finally:
        _CURRENT.reset(tag)


def _verdict(
    counts: Counter[str],
) -> tuple[Literal["succeeded", "partial", "failed"], str | None]:
    failed = counts["failed"]
    if not failed:
        return "succeeded", None
    done = sum(n for outcome, n in counts.items() if outcome != "failed")
    if done:
        return "partial", None
    return "failed", (
        f"{'The record' if failed == 1 else f'All {failed} records'} failed; the error queue "
        "says what to fix for each."
    )


def _finish(
    runtime: SyncRuntime,
    run: RunRecord,
    token: str,
    status: Literal["succeeded", "partial", "failed"],
    counts: Counter[str],
    error: str | None,
) -> RunRecord:
    return runtime.runs.finish(run.id, token, status=status, counts=dict(counts), error=error)


async def push_selection(runtime: SyncRuntime, qbo: QBOClient, run: RunRecord) -> PushReport:
    """Push what the run selected: the one place that picks the engine's pusher.

    :class:`BulkPusher` (waves, batch requests, each write an operation with its
    ``requestid``, tagged with the run and its trigger); it raises only when the company
    refuses everything (the connection is gone: the run fails and its records wait).
    """
    selection = Selection.of(run)
    pusher = BulkPusher(
        tenant_id=run.tenant_id,
        qbo=qbo,
        records=runtime.records,
        links=runtime.links,
        settings=runtime.tenant_settings(run.tenant_id),
        operations=runtime.operations,
        trigger=_OPERATION_TRIGGERS[run.trigger],
        run_id=run.id,
        memo=runtime.memo(qbo.realm_id),
    )
    return await pusher.run(record_types=selection.record_types, records=selection.records)


# -- the sweeper and the schedules ----------------------------------------------------------------
@dataclass(frozen=True)
class SweepReport:
    """The tenants whose lanes need a kick, and the runs the sweep requested."""

    kicks: frozenset[str] = frozenset()
    requested: tuple[RunRecord, ...] = ()


#: how far apart the clocks of the machines sharing a store may be: a drain that started
#: less than this after a change may not have seen it
CLOCK_SKEW: Final = timedelta(seconds=5)
#: the sweeper leaves alone changes younger than this: their save's own auto-sync request
#: is on its way (a run requested in between would take the records from the debounced run)
SWEEP_GRACE: Final = timedelta(seconds=10)


def sweep(runtime: SyncRuntime, *, grace: timedelta = SWEEP_GRACE) -> SweepReport:
    """The back-stop (module docstring): lanes left with work, auto-sync work left behind
    (changed more than ``grace`` ago)."""
    settled = datetime.now(UTC) - grace
    connected = runtime.runs.connected_realms(environment=runtime.environment)
    # a disconnected tenant's runs wait for the reconnect, not for a kick every minute
    kicks = {t for t in runtime.runs.stalled_lanes().values() if t in connected}
    requested: list[RunRecord] = []
    for tenant_id, changes in runtime.runs.dirty_changes().items():
        if tenant_id not in connected:
            continue
        try:
            auto = _auto_types(runtime.tenant_settings(tenant_id))
        except SyncError as error:
            _log.warning("sweeper: tenant %s skipped: %s", tenant_id, error)
            continue
        pending = {t: at for t, at in changes.items() if t in auto and at <= settled}
        if not pending or not _left_behind(runtime, tenant_id, pending):
            continue
        request = request_run(runtime, tenant_id, "sweeper", Selection(record_types=auto))
        if request.created:
            _log.info("sweeper: run %s (sweeper) for tenant %s", request.run.id, tenant_id)
            requested.append(request.run)
        kicks.add(tenant_id)
    return SweepReport(frozenset(kicks), tuple(requested))


def _left_behind(runtime: SyncRuntime, tenant_id: str, pending: Mapping[str, datetime]) -> bool:
    """Whether some type changed after the last finished run that drained it started, with
    no run of the tenant open to take it (a run that drained it saw the change: what it left
    dirty waits for the next change, a manual sync or the schedule)."""
    if runtime.runs.has_open_runs(tenant_id=tenant_id):
        return False
    drains = runtime.runs.drains_since(tenant_id=tenant_id, since=min(pending.values()))
    return any(
        not any(
            run.started_at is not None
            and run.started_at >= changed + CLOCK_SKEW
            and (run.record_types is None or record_type in run.record_types)
            for run in drains
        )
        for record_type, changed in pending.items()
    )


def schedule_due(runtime: SyncRuntime, *, now: datetime | None = None) -> SweepReport:
    """Request a ``scheduled`` run for every connected tenant whose schedule is due."""
    now = now or datetime.now(UTC)
    kicks: set[str] = set()
    requested: list[RunRecord] = []
    for tenant_id in runtime.runs.connected_realms(environment=runtime.environment):
        try:
            tenant_settings = runtime.tenant_settings(tenant_id)
            minutes = tenant_settings.schedule_minutes if tenant_settings.sync_enabled else None
        except SyncError as error:
            _log.warning("schedules: tenant %s skipped: %s", tenant_id, error)
            continue
        if minutes is None:
            continue
        last = runtime.runs.last_requested(tenant_id=tenant_id, trigger="scheduled")
        # a little early rather than a minute late: the check itself runs once a minute
        if last is not None and now - last < timedelta(minutes=minutes, seconds=-5):
            continue
        request = request_run(runtime, tenant_id, "scheduled")
        if request.created:
            requested.append(request.run)
        kicks.add(tenant_id)
    return SweepReport(frozenset(kicks), tuple(requested))


async def poll_changes(runtime: SyncRuntime) -> list[PollReport]:
    """The CDC back-stop: one poll of every connected tenant's company, then the webhook
    notifications whose job was lost. A tenant that fails is logged and skipped."""
    inbound = runtime.inbound()
    reports = []
    for tenant_id in runtime.runs.connected_realms(environment=runtime.environment):
        try:
            reports.append(await inbound.poll_changes(tenant_id))
        except LedgerbridgeError as error:
            _log.warning("CDC poll of tenant %s failed: %s", tenant_id, error.user_message)
    await inbound.process_pending()
    return reports


async def refresh_connections(runtime: SyncRuntime) -> FreshnessReport:
    """The periodic token refresh (:func:`keep_connections_fresh`) of this environment."""

    def oauth_for(env: Environment) -> OAuthClient:
        if env != runtime.environment:
            raise _setup_error(f"this deployment syncs {runtime.environment}, not {env}")
        return runtime.oauth()

    return await keep_connections_fresh(runtime.connections, oauth_for)
