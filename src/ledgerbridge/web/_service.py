"""What the REST API and the console do, written once: both call these functions.

Routes only translate: HTTP in, a call here, HTTP (or a page) out. Everything a person or a
host app can ask of ledgerbridge over the web is here, over one :class:`Services` object that
the entry point builds (``Services.build``) and hands to ``create_app``:

* tenants and their API keys; console users (``AccessStore``);
* connecting a company (Intuit's authorization-code flow, :func:`start_connect` /
  :func:`finish_connect`), its status, disconnecting;
* settings: read, check against the company's QBO lists, save as a new version;
* records: put one, import NDJSON, delete (the intake; auto-sync follows through the jobs);
* sync requests (runs, through the job queue), runs and operations, and the error queue
  grouped by cause with a sentence on what to do; retry, skip, relink;
* the events feed, health and the figures of ``/metrics``.

Bad input raises :class:`InvalidInputError` naming each field, before anything is written;
unknown things raise the store's ``...NotFoundError``; what cannot happen now (no
connection, an edit conflict) raises the store's or the engine's errors. The web layers map
them to answers (``api/_problems.py`` for the API).

Each write is one store transaction, and every check that can refuse a request runs before
the first write. Where a request makes two writes (relink, then queue the record again), the
first leaves nothing inconsistent if the second fails: the relinked record is pushed by the
next sync of it.

The web app runs on its own event loop (the server's), so it holds a :class:`SyncRuntime` of
its own for what it sends QuickBooks itself (the connect flow's token exchange, the settings
check, a relink's lookup); syncing is the workers' (``ledgerbridge.worker``).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal, Protocol

import httpx
from anyio import to_thread
from pydantic import SecretStr
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import text

from ledgerbridge._errors import LedgerbridgeError
from ledgerbridge.engine import (
    ConnectFlow,
    NotConnectedError,
    Selection,
    SettingsCheck,
    SyncRuntime,
    check_settings,
)
from ledgerbridge.mapping import QBO_ENTITY
from ledgerbridge.model import (
    RECORD_TYPES,
    RecordError,
    RecordValidationError,
    TenantSettings,
    content_hash,
    parse_ndjson,
    parse_record,
)
from ledgerbridge.qbo import (
    BATCH_MAX_ITEMS,
    Action,
    InvalidStateError,
    QBOLimits,
    environment,
    error_from_fault,
    select,
)
from ledgerbridge.settings import Settings
from ledgerbridge.store import (
    AccessStore,
    ActivityStore,
    ConnectionRecord,
    Database,
    EventRecord,
    EventStore,
    LinkRecord,
    OperationPendingError,
    OperationRecord,
    OperationStatus,
    PutResult,
    RecordCounts,
    RecordInput,
    RecordNotFoundError,
    RunRecord,
    RunStatus,
    RunTrigger,
    SettingsVersion,
    StoredRecord,
    StoreFigures,
    TenantRecord,
    TokenCipher,
)
from ledgerbridge.store import (
    InvalidStateError as StoreInvalidStateError,
)

__all__ = [
    "MAX_BULK_LINES",
    "ConnectionView",
    "ErrorGroup",
    "FieldProblem",
    "Health",
    "ImportLine",
    "ImportOutcome",
    "InvalidInputError",
    "JobQueue",
    "NotFoundError",
    "NothingToRetryError",
    "RecordView",
    "RunProgress",
    "Services",
    "SettingsView",
    "check_tenant_settings",
    "connection_status",
    "current_settings",
    "dashboard",
    "delete_record",
    "disconnect",
    "error_groups",
    "finish_connect",
    "health",
    "import_records",
    "list_records",
    "metrics_figures",
    "operation",
    "operations",
    "parse_settings",
    "put_record",
    "read_events",
    "record",
    "relink_record",
    "request_sync",
    "retry_group",
    "retry_operation",
    "retry_records",
    "run_progress",
    "runs",
    "save_settings",
    "skip_record",
    "start_connect",
    "tenant",
]

_log = logging.getLogger("ledgerbridge.web")

#: the most lines one NDJSON upload may hold (split bigger imports)
MAX_BULK_LINES: Final = 50_000
#: QBO entities that are name lists: inactive ones are found only when asked for
_NAME_LISTS: Final = frozenset({"Customer", "Vendor", "Item"})
_DOMAIN: Final = b"ledgerbridge.web.oauth-state.v1"


# -- errors -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FieldProblem:
    """One field of a request that cannot be used: where, and why in a sentence."""

    field: str
    message: str


class InvalidInputError(LedgerbridgeError):
    """The request names things that do not exist or holds values that cannot be used;
    ``problems`` says which fields and why. Nothing was written."""

    user_message = "Some fields of the request cannot be used; each is named with the reason."

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        self.problems = tuple(problems)
        text = "; ".join(f"{p.field}: {p.message}" for p in self.problems)
        super().__init__(text, user_message=text)


class NotFoundError(LedgerbridgeError):
    """The thing asked for does not exist (for this tenant)."""

    user_message = "There is nothing here."


class NothingToRetryError(LedgerbridgeError):
    """A retry found no failed record to push again."""

    user_message = "No record has failed: there is nothing to retry."


# -- wiring -------------------------------------------------------------------------------------
class JobQueue(Protocol):
    """What the web app asks of the job queue (``ledgerbridge.worker.Jobs`` is one)."""

    def request_sync(
        self, tenant_id: str, trigger: RunTrigger, selection: Selection | None = None
    ) -> RunRecord: ...

    def records_saved(
        self, tenant_id: str, keys: Iterable[tuple[str, str]]
    ) -> RunRecord | None: ...


@dataclass
class Services:
    """Everything the web app's operations use, made once by the entry point."""

    #: the web app's own runtime: the stores, and QBO clients for the requests it makes
    runtime: SyncRuntime
    jobs: JobQueue
    access: AccessStore
    activity: ActivityStore
    events: EventStore
    #: the REST API's admin key (``None``: the admin routes answer 401)
    admin_key: SecretStr | None
    #: signs the OAuth ``state`` values (derived from the secret key)
    state_secret: bytes
    #: how many jobs wait in the queue (raises when the queue cannot be reached)
    queue_size: Callable[[], int]
    #: mounts the emulator in-process (tests); ``None``: HTTP
    transport: httpx.AsyncBaseTransport | None = None

    @classmethod
    def build(
        cls,
        settings: Settings,
        jobs: JobQueue,
        *,
        queue_size: Callable[[], int],
        database: Database | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> Services:
        """The services of a deployment: ``jobs`` and ``queue_size`` from the job queue
        (``Jobs`` and ``jobs.huey.pending_count``), ``database`` shared when given."""
        runtime = SyncRuntime(settings, database=database, transport=transport)
        key = settings.secret_key
        cipher = TokenCipher(key.get_secret_value()) if key is not None else None
        return cls(
            runtime=runtime,
            jobs=jobs,
            access=AccessStore(runtime.database),
            activity=ActivityStore(runtime.database),
            events=EventStore(runtime.database, cipher=cipher),
            admin_key=settings.admin_key,
            state_secret=_state_secret(settings.secret_key),
            queue_size=queue_size,
            transport=transport,
        )

    async def aclose(self) -> None:
        """Close the runtime's clients (on the loop that used them) and its database."""
        await self.runtime.aclose()


def _state_secret(secret_key: SecretStr | None) -> bytes:
    """The HMAC key of OAuth states: derived from the secret key, so that every process of
    a deployment checks the states the others issued; random per process without one
    (development: a connect started before a restart must then be started again)."""
    if secret_key is None:
        return secrets.token_bytes(32)
    return hashlib.sha256(_DOMAIN + secret_key.get_secret_value().encode()).digest()


# -- tenants ------------------------------------------------------------------------------------
def tenant(services: Services, tenant_id: str) -> TenantRecord:
    """The tenant, or :class:`NotFoundError`."""
    found = services.runtime.connections.get_tenant(tenant_id)
    if found is None:
        raise NotFoundError(f"no tenant {tenant_id!r}")
    return found


# -- connection ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConnectionView:
    """A tenant's QuickBooks connection as people read it."""

    #: connected, expiring (reconnect before Intuit's 5-year cap), disconnected, or
    #: not_connected (never connected in this deployment's environment)
    state: Literal["connected", "expiring", "disconnected", "not_connected"]
    environment: str
    connection: ConnectionRecord | None = None

    @property
    def reason(self) -> str | None:
        """Why it is disconnected or expiring, in words for the shop owner."""
        if self.connection is None:
            return "QuickBooks is not connected yet: connect the company."
        return self.connection.status_reason


def _flow(services: Services) -> ConnectFlow:
    runtime = services.runtime
    settings = runtime.settings
    return ConnectFlow(
        runtime.connections,
        runtime.oauth(),
        environment=runtime.environment,
        api_base=environment(settings.qbo_environment, emulator_url=settings.emulator_url).api_base,
        state_secret=services.state_secret,
        api_transport=services.transport,
    )


async def start_connect(services: Services, tenant_id: str, *, session: str = "") -> str:
    """The URL of Intuit's consent page for the tenant, with a one-time ``state`` bound to
    it (and to ``session``: the browser's, when a console starts the flow)."""
    tenant(services, tenant_id)
    return await _flow(services).begin(tenant_id, session=session)


async def finish_connect(
    services: Services,
    *,
    state: str | None,
    code: str | None,
    realm_id: str | None,
    error: str | None = None,
    sessions: Sequence[str] = ("",),
) -> ConnectionRecord:
    """Complete the flow with the callback's query parameters; returns the connection.

    Intuit redirects every tenant to one URL, so the tenant is the one the state's nonce was
    recorded for. ``sessions`` are the bindings to try, in order (the browser's session
    first, then ``""`` for a flow the API started): a state verifies against the one it was
    issued for, and any other fails before anything is used up. Raises
    :class:`ledgerbridge.qbo.InvalidStateError` or the store's ``InvalidStateError`` for a
    forged, expired or replayed state, and ``ConnectError`` when QuickBooks refused.
    """
    owner = await to_thread.run_sync(services.access.state_owner, _nonce(state))
    if owner is None:
        raise StoreInvalidStateError("unknown OAuth state")
    flow = _flow(services)
    tried = list(dict.fromkeys(sessions)) or [""]
    for number, session in enumerate(tried, start=1):
        try:
            return await flow.complete(
                owner, code=code, state=state, realm_id=realm_id, session=session, error=error
            )
        except InvalidStateError:
            if number == len(tried):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _nonce(state: str | None) -> str:
    """The nonce of a state (``nonce.expires.signature``); checked properly by the flow."""
    return (state or "").split(".", 1)[0][:128]


def connection_status(services: Services, tenant_id: str) -> ConnectionView:
    """The tenant's connection in this deployment's environment."""
    tenant(services, tenant_id)
    runtime = services.runtime
    found = runtime.connections.get(tenant_id=tenant_id, environment=runtime.environment)
    if found is None:
        return ConnectionView("not_connected", runtime.environment)
    return ConnectionView(found.status, runtime.environment, found)


async def disconnect(services: Services, tenant_id: str, *, by: str) -> tuple[ConnectionView, bool]:
    """Disconnect the company: revoke the tokens at Intuit, mark the connection disconnected.

    Work waits (nothing is dropped) until a reconnect. The second value says whether Intuit
    confirmed the revocation; if it could not be reached, the connection is disconnected all
    the same and the tokens die on their own.
    """
    view = connection_status(services, tenant_id)
    if view.connection is None:
        raise NotFoundError(f"tenant {tenant_id!r} has no QuickBooks connection")
    record = view.connection
    revoked = False
    if record.status != "disconnected":
        try:
            await services.runtime.oauth().revoke(record.refresh_token)
            revoked = True
        except LedgerbridgeError as exc:
            _log.warning("revoking the tokens of connection %s failed: %s", record.id, exc)
    done = await to_thread.run_sync(
        lambda: services.runtime.connections.disconnect(
            record.id, reason=f"Disconnected by {by}: connect the company again to resume."
        )
    )
    return ConnectionView("disconnected", view.environment, done), revoked


# -- settings -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SettingsView:
    """The tenant's settings in force (the defaults before the first save)."""

    settings: TenantSettings
    saved: SettingsVersion | None


def current_settings(services: Services, tenant_id: str) -> SettingsView:
    """The settings in force and the version they come from."""
    tenant(services, tenant_id)
    runtime = services.runtime
    return SettingsView(
        runtime.tenant_settings(tenant_id), runtime.settings_store.current(tenant_id=tenant_id)
    )


def parse_settings(document: Mapping[str, Any], *, at: str = "settings") -> TenantSettings:
    """Validate a settings document; :class:`InvalidInputError` names every bad field."""
    try:
        return TenantSettings.model_validate(dict(document))
    except PydanticValidationError as exc:
        raise InvalidInputError(
            [
                FieldProblem(
                    ".".join([at, *(str(part) for part in error["loc"])]),
                    str(error["msg"]).rstrip(".") + ".",
                )
                for error in exc.errors()
            ]
        ) from None


async def check_tenant_settings(
    services: Services, tenant_id: str, settings: TenantSettings | None = None
) -> SettingsCheck:
    """Check ``settings`` (the ones in force when ``None``) against the company's lists.

    Raises ``NotConnectedError`` without a live connection, a ``QBOError`` when QuickBooks
    did not answer.
    """
    tenant(services, tenant_id)
    runtime = services.runtime
    wanted = settings or runtime.tenant_settings(tenant_id)
    async with runtime.qbo(tenant_id) as qbo:
        return await check_settings(qbo, wanted)


async def save_settings(
    services: Services,
    tenant_id: str,
    settings: TenantSettings,
    *,
    expected_version: int | None,
    check: bool = True,
    saved_by: str | None = None,
) -> SettingsVersion:
    """Save ``settings`` as the next version, after checking them against the company's
    lists when ``check`` and the tenant is connected: a setting QBO lacks is refused with
    :class:`InvalidInputError` naming it (warnings do not refuse). ``expected_version`` is
    the version the edit started from (``SettingsConflictError`` if another came first)."""
    tenant(services, tenant_id)
    if check and connection_status(services, tenant_id).state in ("connected", "expiring"):
        found = await check_tenant_settings(services, tenant_id, settings)
        if not found.ok:
            raise InvalidInputError(
                [FieldProblem(f"settings.{p.location}", p.message) for p in found.errors]
            )
    return await to_thread.run_sync(
        lambda: services.runtime.settings_store.save(
            tenant_id=tenant_id,
            document=settings.model_dump(mode="json"),
            expected_version=expected_version,
            created_by=saved_by,
        )
    )


# -- records ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RecordView:
    """A record, and how its sync stands (its link), with its open operation if any."""

    record: StoredRecord
    link: LinkRecord | None

    @property
    def sync_status(self) -> str:
        """pending (waits to be pushed), ok, failed, skipped, waiting, deleted or voided."""
        if self.record.dirty:
            return "pending"
        return "pending" if self.link is None else self.link.last_result


def _known_type(record_type: str, *, at: str = "record_type") -> None:
    if record_type not in RECORD_TYPES:
        raise InvalidInputError(
            [
                FieldProblem(
                    at,
                    f"{record_type!r} is not a record type: one of {', '.join(RECORD_TYPES)}.",
                )
            ]
        )


def put_record(
    services: Services,
    tenant_id: str,
    record_type: str,
    app_id: str,
    body: Mapping[str, Any],
) -> tuple[PutResult, RunRecord | None]:
    """Validate and store one record sent by the host app; auto-sync follows (the run it
    joins is returned, ``None`` when its type does not auto-sync)."""
    tenant(services, tenant_id)
    _known_type(record_type)
    document = dict(body)
    problems = [
        FieldProblem(name, f"{name} is {document[name]!r} but the URL says {value!r}.")
        for name, value in (("type", record_type), ("id", app_id))
        if name in document and document[name] != value
    ]
    if problems:
        raise InvalidInputError(problems)
    document.setdefault("type", record_type)
    document.setdefault("id", app_id)
    try:
        parsed = parse_record(document)
    except RecordValidationError as refused:
        raise InvalidInputError(_record_problems(refused.errors)) from None
    stored = services.runtime.records.put(
        tenant_id=tenant_id,
        record_type=parsed.type,
        app_id=parsed.id,
        payload=parsed.model_dump(mode="json"),
        content_hash=content_hash(parsed),
    )
    return stored, _auto_sync(services, tenant_id, [(parsed.type, parsed.id)])


def _record_problems(errors: Iterable[RecordError]) -> list[FieldProblem]:
    return [FieldProblem(error.field or "body", error.message) for error in errors]


def _auto_sync(
    services: Services, tenant_id: str, keys: Sequence[tuple[str, str]]
) -> RunRecord | None:
    """Tell the jobs what was saved; the records are stored whatever happens here (the
    sweeper requests their run if this one is lost)."""
    if not keys:
        return None
    try:
        return services.jobs.records_saved(tenant_id, keys)
    except LedgerbridgeError as exc:
        _log.warning("auto-sync of tenant %s not requested: %s", tenant_id, exc.user_message)
        return None


@dataclass(frozen=True)
class ImportLine:
    """The result of one line of an NDJSON upload: stored (``outcome``) or refused."""

    line: int
    record_type: str | None
    app_id: str | None
    outcome: str | None = None
    problems: tuple[FieldProblem, ...] = ()


@dataclass(frozen=True)
class ImportOutcome:
    """What an NDJSON upload stored and refused, line by line."""

    lines: tuple[ImportLine, ...]
    auto_sync: RunRecord | None

    @property
    def counts(self) -> Counter[str]:
        """outcome (created, changed, unchanged, rejected) -> lines."""
        return Counter(line.outcome or "rejected" for line in self.lines)


def import_records(services: Services, tenant_id: str, text_lines: Sequence[str]) -> ImportOutcome:
    """Store every valid line of an NDJSON upload in one transaction; refuse the others,
    each naming its line and fields. Raises :class:`InvalidInputError` for an upload of more
    than :data:`MAX_BULK_LINES` lines (nothing stored)."""
    tenant(services, tenant_id)
    if len(text_lines) > MAX_BULK_LINES:
        raise InvalidInputError(
            [FieldProblem("body", f"holds {len(text_lines)} lines; send at most {MAX_BULK_LINES}")]
        )
    parsed = parse_ndjson(text_lines)
    refused: dict[int, list[RecordError]] = {}
    for error in parsed.errors:
        refused.setdefault(error.line, []).append(error)
    stored = iter(
        services.runtime.records.put_many(
            tenant_id=tenant_id,
            records=[
                RecordInput(
                    record_type=record.type,
                    app_id=record.id,
                    payload=record.model_dump(mode="json"),
                    content_hash=content_hash(record),
                )
                for record in parsed.records
            ],
        )
    )
    results: list[ImportLine] = []
    for number, raw in enumerate(text_lines, start=1):
        if not (raw.lstrip("\ufeff") if number == 1 else raw).strip():
            continue  # parse_ndjson skips blank lines
        errors = refused.get(number)
        if errors:
            first = errors[0]
            results.append(
                ImportLine(
                    number,
                    first.record_type,
                    first.record_id,
                    None,
                    tuple(_record_problems(errors)),
                )
            )
            continue
        put = next(stored)
        results.append(ImportLine(number, put.record_type, put.app_id, put.outcome))
    keys = [(line.record_type or "", line.app_id or "") for line in results if line.outcome]
    return ImportOutcome(tuple(results), _auto_sync(services, tenant_id, keys))


def record(services: Services, tenant_id: str, record_type: str, app_id: str) -> RecordView:
    """The record and its sync status, or :class:`NotFoundError`."""
    tenant(services, tenant_id)
    runtime = services.runtime
    stored = runtime.records.get(tenant_id=tenant_id, record_type=record_type, app_id=app_id)
    if stored is None:
        raise NotFoundError(f"tenant {tenant_id!r} has no {record_type} {app_id!r}")
    link = runtime.links.get(tenant_id=tenant_id, record_type=record_type, app_id=app_id)
    return RecordView(stored, link)


def list_records(
    services: Services,
    tenant_id: str,
    *,
    record_type: str | None = None,
    result: Literal["ok", "failed", "skipped", "waiting", "deleted", "voided"] | None = None,
    limit: int = 100,
    after: tuple[str, str] | None = None,
) -> list[RecordView]:
    """The tenant's synced-or-tried records (those with a link), in (type, id) order,
    optionally of one type or one last result; ``after`` pages."""
    tenant(services, tenant_id)
    runtime = services.runtime
    links = runtime.links.list(
        tenant_id=tenant_id, record_type=record_type, result=result, limit=limit, after=after
    )
    views: list[RecordView] = []
    for link in links:
        stored = runtime.records.get(
            tenant_id=tenant_id, record_type=link.record_type, app_id=link.app_id
        )
        if stored is not None:  # links of QBO lists (payment methods...) have no record
            views.append(RecordView(stored, link))
    return views


def delete_record(
    services: Services, tenant_id: str, record_type: str, app_id: str
) -> tuple[StoredRecord, RunRecord | None]:
    """The host app deleted the record: its QBO object is voided or deleted by the next
    sync (docs/sync-rules.md). :class:`NotFoundError` for a record never sent."""
    tenant(services, tenant_id)
    try:
        stored = services.runtime.records.delete(
            tenant_id=tenant_id, record_type=record_type, app_id=app_id
        )
    except RecordNotFoundError:
        raise NotFoundError(f"tenant {tenant_id!r} has no {record_type} {app_id!r}") from None
    return stored, _auto_sync(services, tenant_id, [(record_type, app_id)])


# -- sync ---------------------------------------------------------------------------------------
def request_sync(
    services: Services,
    tenant_id: str,
    *,
    records: Sequence[tuple[str, str]] | None = None,
    record_types: Sequence[str] | None = None,
) -> RunRecord:
    """Queue a run: these records (dirty or not), else the dirty records of these types,
    else every dirty record. One record is a ``manual`` run, anything more ``bulk``.
    Raises ``NotConnectedError`` without a live connection."""
    tenant(services, tenant_id)
    if records is not None and record_types is not None:
        raise InvalidInputError(
            [FieldProblem("records", "give records or record_types, not both.")]
        )
    try:
        selection = Selection(
            record_types=None if record_types is None else frozenset(record_types),
            records=None if records is None else tuple(dict.fromkeys(records)),
        )
    except ValueError as exc:
        where = "records" if records is not None else "record_types"
        raise InvalidInputError([FieldProblem(where, f"{exc}.")]) from None
    if selection.records is not None and not selection.records:
        raise InvalidInputError([FieldProblem("records", "name at least one record.")])
    trigger: RunTrigger = (
        "manual" if selection.records is not None and len(selection.records) == 1 else "bulk"
    )
    return services.jobs.request_sync(tenant_id, trigger, selection)


def retry_records(services: Services, tenant_id: str, keys: Sequence[tuple[str, str]]) -> RunRecord:
    """Push these records again now (after a fix): one run. :class:`NotFoundError` for a
    record never sent."""
    for record_type, app_id in keys:
        record(services, tenant_id, record_type, app_id)
    return request_sync(services, tenant_id, records=keys)


def skip_record(
    services: Services, tenant_id: str, record_type: str, app_id: str, *, by: str
) -> RecordView:
    """Leave the record out of syncing until it changes: it stops failing in the queue.

    Refused with ``OperationPendingError`` while a write of it is under way.
    """
    view = record(services, tenant_id, record_type, app_id)
    runtime = services.runtime
    pending = runtime.operations.open_for(
        tenant_id=tenant_id, record_type=record_type, app_id=app_id
    )
    if pending is not None:
        raise OperationPendingError(
            f"{record_type} {app_id!r} is being synced", operation_id=pending.id
        )
    runtime.links.record_failure(
        tenant_id=tenant_id,
        record_type=record_type,
        app_id=app_id,
        message=f"Skipped by {by}: it is left out of syncing until it changes.",
        result="skipped",
    )
    stored = view.record
    runtime.records.mark_clean(
        tenant_id=tenant_id,
        record_type=record_type,
        app_id=app_id,
        content_hash=stored.content_hash,
        deleted=stored.deleted,
    )
    return record(services, tenant_id, record_type, app_id)


async def relink_record(
    services: Services, tenant_id: str, record_type: str, app_id: str, *, qbo_id: str
) -> RecordView:
    """Point the record at the QBO object ``qbo_id`` (of the record type's entity) and queue
    it: the next sync updates that object instead of creating one.

    When the tenant is connected, the object is looked up first: one QBO lacks (or has
    inactive) is refused naming ``qbo_id``. ``LinkConflictError`` if another record holds it.
    """
    view = record(services, tenant_id, record_type, app_id)
    entity = QBO_ENTITY.get(record_type)
    if entity is None:
        raise InvalidInputError(
            [FieldProblem("record_type", f"{record_type} records are not linked to QBO objects.")]
        )
    if not qbo_id.isdigit() or len(qbo_id) > 32:
        raise InvalidInputError([FieldProblem("qbo_id", "a QuickBooks Id is a number.")])
    if connection_status(services, tenant_id).state != "not_connected":
        await _check_object(services, tenant_id, entity, qbo_id)

    def write() -> RecordView:
        runtime = services.runtime
        runtime.links.relink(
            tenant_id=tenant_id,
            record_type=record_type,
            app_id=app_id,
            qbo_type=entity,
            qbo_id=qbo_id,
        )
        if not view.record.deleted:
            runtime.records.mark_dirty(tenant_id=tenant_id, record_type=record_type, app_id=app_id)
        return record(services, tenant_id, record_type, app_id)

    return await to_thread.run_sync(write)


async def _check_object(services: Services, tenant_id: str, entity: str, qbo_id: str) -> None:
    query = select(entity).where("Id", "=", qbo_id)
    if entity in _NAME_LISTS:
        query = query.where("Active", "IN", [True, False])
    try:
        async with services.runtime.qbo(tenant_id) as qbo:
            found = (await qbo.query(str(query))).get(entity) or []
    except NotConnectedError:
        return  # disconnected: the next push (after the reconnect) checks it
    if not found:
        raise InvalidInputError(
            [FieldProblem("qbo_id", f"QuickBooks has no {entity} with Id {qbo_id}.")]
        )
    if found[0].get("Active") is False:
        raise InvalidInputError(
            [FieldProblem("qbo_id", f"{entity} {qbo_id} is inactive in QuickBooks.")]
        )


# -- runs and operations --------------------------------------------------------------------------
@dataclass(frozen=True)
class RunProgress:
    """A run, and how far its writes got (operation status -> count)."""

    run: RunRecord
    operations: Mapping[OperationStatus, int]

    @property
    def records_total(self) -> int | None:
        """How many records the run pushes, when it named them (else known at the end)."""
        if self.run.records is not None:
            return len(self.run.records)
        if self.run.finished:
            return sum(self.run.counts.values())
        return None

    @property
    def records_done(self) -> int:
        """Records finished: the counts of a finished run, else writes that finished."""
        if self.run.finished:
            return sum(self.run.counts.values())
        return sum(n for status, n in self.operations.items() if status not in _OPEN)


_OPEN: Final = ("queued", "running")


def runs(
    services: Services,
    tenant_id: str,
    *,
    status: RunStatus | None = None,
    trigger: RunTrigger | None = None,
    limit: int = 50,
    before: str | None = None,
) -> list[RunRecord]:
    """The tenant's runs, newest first, filtered; ``before`` (a run id) pages."""
    tenant(services, tenant_id)
    if before is not None and services.runtime.runs.get(tenant_id=tenant_id, run_id=before) is None:
        raise InvalidInputError([FieldProblem("before", f"there is no run {before!r}.")])
    return services.activity.runs(
        tenant_id=tenant_id, status=status, trigger=trigger, limit=limit, before=before
    )


def run_progress(services: Services, tenant_id: str, run_id: str) -> RunProgress:
    """The run and its progress, or :class:`NotFoundError`."""
    tenant(services, tenant_id)
    found = services.runtime.runs.get(tenant_id=tenant_id, run_id=run_id)
    if found is None:
        raise NotFoundError(f"tenant {tenant_id!r} has no run {run_id!r}")
    return RunProgress(found, services.activity.run_operations(tenant_id=tenant_id, run_id=run_id))


def operations(
    services: Services,
    tenant_id: str,
    *,
    status: OperationStatus | None = None,
    record_type: str | None = None,
    app_id: str | None = None,
    run_id: str | None = None,
    limit: int = 100,
    before: str | None = None,
) -> list[OperationRecord]:
    """The tenant's writes to QBO, newest first, filtered; ``before`` (an id) pages."""
    tenant(services, tenant_id)
    store = services.runtime.operations
    if before is not None and store.get(tenant_id=tenant_id, operation_id=before) is None:
        raise InvalidInputError([FieldProblem("before", f"there is no operation {before!r}.")])
    return store.list(
        tenant_id=tenant_id,
        status=status,
        record_type=record_type,
        app_id=app_id,
        run_id=run_id,
        limit=limit,
        before=before,
    )


def operation(services: Services, tenant_id: str, operation_id: str) -> OperationRecord:
    """One operation, or :class:`NotFoundError`."""
    tenant(services, tenant_id)
    found = services.runtime.operations.get(tenant_id=tenant_id, operation_id=operation_id)
    if found is None:
        raise NotFoundError(f"tenant {tenant_id!r} has no operation {operation_id!r}")
    return found


def retry_operation(services: Services, tenant_id: str, operation_id: str) -> RunRecord:
    """Push the operation's record again (a new operation: a refused body is not resent)."""
    found = operation(services, tenant_id, operation_id)
    return retry_records(services, tenant_id, [(found.record_type, found.app_id)])


# -- the error queue ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ErrorGroup:
    """Failed records that share a cause, and what to do about it."""

    #: stable id of the group (``code-6240``, or ``message-<digest>`` without a code)
    key: str
    error_code: str | None
    #: what the next step is: fix_data, resolve, reconnect, stop (the owner acts in QBO)
    action: str
    #: a sentence on what to do
    what_to_do: str
    #: the newest failure's own message
    message: str
    count: int
    records: tuple[LinkRecord, ...]

    @property
    def intuit_tids(self) -> tuple[str, ...]:
        """The ``intuit_tid`` of the listed failures: what Intuit support asks for."""
        return tuple(dict.fromkeys(r.last_intuit_tid for r in self.records if r.last_intuit_tid))


def error_groups(services: Services, tenant_id: str) -> list[ErrorGroup]:
    """The tenant's failed records grouped by cause, the largest group first."""
    tenant(services, tenant_id)
    groups: list[ErrorGroup] = []
    for group in services.activity.failure_groups(tenant_id=tenant_id):
        if group.error_code is None:
            key = "message-" + hashlib.sha256(group.message.encode()).hexdigest()[:16]
            action, advice = Action.FIX_DATA.value, group.message
        else:
            key = f"code-{group.error_code}"
            kind = error_from_fault({"Error": [{"code": group.error_code}]}, status=400)
            action, advice = kind.action.value, kind.user_message
        groups.append(
            ErrorGroup(
                key, group.error_code, action, advice, group.message, group.count, group.records
            )
        )
    return groups


def retry_group(services: Services, tenant_id: str, key: str | None = None) -> RunRecord:
    """Push every failed record of the group ``key`` again (every failed record when
    ``None``), in one run: "retry all" after a fix."""
    if key is None:
        keys = services.activity.failed_keys(tenant_id=tenant_id)
    else:
        found = next((g for g in error_groups(services, tenant_id) if g.key == key), None)
        if found is None:
            raise NotFoundError(f"tenant {tenant_id!r} has no error group {key!r}")
        keys = services.activity.failed_keys(
            tenant_id=tenant_id,
            error_code=found.error_code,
            message=found.message if found.error_code is None else None,
        )
    if not keys:
        raise NothingToRetryError(f"tenant {tenant_id!r} has no failed record to retry")
    return request_sync(services, tenant_id, records=keys)


# -- events, health, metrics ----------------------------------------------------------------------
def read_events(
    services: Services, tenant_id: str, *, after: int = 0, limit: int = 100
) -> list[EventRecord]:
    """The tenant's events after the cursor ``after``, oldest first."""
    tenant(services, tenant_id)
    return services.events.read(tenant_id=tenant_id, after=after, limit=limit)


@dataclass(frozen=True)
class Health:
    """Whether the database and the job queue answer; a sentence for each that does not."""

    database: str | None
    queue: str | None
    queue_size: int | None

    @property
    def ok(self) -> bool:
        return self.database is None and self.queue is None


def health(services: Services) -> Health:
    """Ask the database and the job queue for a sign of life (never raises)."""
    database_problem: str | None = None
    queue_problem: str | None = None
    size: int | None = None
    try:
        with services.runtime.database.session() as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:  # any failure is the answer itself
        database_problem = f"the database does not answer ({type(exc).__name__})"
    try:
        size = int(services.queue_size())
    except Exception as exc:
        queue_problem = f"the job queue does not answer ({type(exc).__name__})"
    return Health(database_problem, queue_problem, size)


def metrics_figures(services: Services) -> StoreFigures:
    """The store's figures for ``/metrics`` (every tenant)."""
    return services.activity.figures()


# -- the console ----------------------------------------------------------------------------------
def record_counts(services: Services, tenant_id: str) -> dict[str, RecordCounts]:
    """Per record type: records, records waiting to be pushed, deleted ones."""
    tenant(services, tenant_id)
    return services.runtime.records.counts(tenant_id=tenant_id)


def error_count(services: Services, tenant_id: str) -> int:
    """How many records wait in the error queue."""
    tenant(services, tenant_id)
    return services.activity.failed_count(tenant_id=tenant_id)


def records_page(
    services: Services,
    tenant_id: str,
    record_type: str,
    *,
    limit: int = 50,
    after: str | None = None,
) -> list[RecordView]:
    """The tenant's records of one type, pushed or not (:func:`list_records` lists only the
    ones with a link), in app id order; ``after`` (an app id) pages."""
    tenant(services, tenant_id)
    _known_type(record_type)
    runtime = services.runtime
    stored = runtime.records.page(
        tenant_id=tenant_id, record_type=record_type, limit=limit, after=after
    )
    links = runtime.links.list(
        tenant_id=tenant_id,
        record_type=record_type,
        limit=limit,
        after=None if after is None else (record_type, after),
    )
    linked = {link.app_id: link for link in links}
    return [
        RecordView(
            record,
            linked.get(record.app_id)
            or runtime.links.get(
                tenant_id=tenant_id, record_type=record_type, app_id=record.app_id
            ),
        )
        for record in stored
    ]


async def set_sync_enabled(
    services: Services, tenant_id: str, enabled: bool, *, by: str
) -> SettingsVersion:
    """Turn the tenant's sync on or off (``TenantSettings.sync_enabled``), as a new settings
    version: off, nothing is sent and records wait; the connection stays."""
    view = current_settings(services, tenant_id)
    changed = view.settings.model_copy(update={"sync_enabled": enabled})
    return await save_settings(
        services,
        tenant_id,
        changed,
        expected_version=None if view.saved is None else view.saved.version,
        check=False,
        saved_by=by,
    )


def open_runs(services: Services, tenant_id: str) -> list[RunProgress]:
    """The tenant's queued and running runs with their progress, oldest first."""
    found = [
        *runs(services, tenant_id, status="running", limit=20),
        *runs(services, tenant_id, status="queued", limit=20),
    ]
    found.sort(key=lambda run: (run.created_at, run.id))
    return [
        RunProgress(run, services.activity.run_operations(tenant_id=tenant_id, run_id=run.id))
        for run in found
    ]


@dataclass(frozen=True)
class MinuteOutcomes:
    """Writes to QBO that finished in one minute, by outcome."""

    minute: datetime
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0


@dataclass(frozen=True)
class Dashboard:
    """The console's dashboard: recent writes per minute, errors by code, the backlog."""

    minutes: tuple[MinuteOutcomes, ...]
    #: QBO error code (``"none"`` for failures of ours, before QBO) -> failed writes
    errors_by_code: tuple[tuple[str, int], ...]
    #: record type -> records waiting to be pushed, the largest first
    backlog: tuple[tuple[str, int], ...]
    #: writes a minute one company can get through Intuit's limits as the governor applies
    #: them (batches of 30 and single writes; windows shrunk by the emulator's time scale)
    write_ceiling: int


def write_ceiling(limits: QBOLimits) -> int:
    """Writes a minute a company can get: ``batch_per_minute`` full batches plus the plain
    requests left of ``requests_per_minute`` (reference section 5), scaled by time."""
    plain = limits.requests_per_minute - limits.batch_per_minute
    per_minute = limits.batch_per_minute * BATCH_MAX_ITEMS + plain
    return round(per_minute * limits.time_scale)


def dashboard(
    services: Services, tenant_id: str, *, minutes: int = 30, now: datetime | None = None
) -> Dashboard:
    """The last ``minutes`` minutes of the tenant's writes, and what waits."""
    tenant(services, tenant_id)
    if not 1 <= minutes <= 24 * 60:
        raise InvalidInputError([FieldProblem("minutes", "choose 1 to 1440 minutes.")])
    end = (now or datetime.now(UTC)).replace(second=0, microsecond=0) + timedelta(minutes=1)
    start = end - timedelta(minutes=minutes)
    buckets: dict[datetime, Counter[str]] = {
        start + timedelta(minutes=n): Counter() for n in range(minutes)
    }
    codes: Counter[str] = Counter()
    for at, status, code in services.activity.finished_operations(tenant_id=tenant_id, since=start):
        bucket = buckets.get(at.astimezone(UTC).replace(second=0, microsecond=0))
        if bucket is not None:
            bucket[status] += 1
        if status == "failed":
            codes[code or "none"] += 1
    backlog = Counter(
        {kind: counts.dirty for kind, counts in record_counts(services, tenant_id).items()}
    )
    return Dashboard(
        minutes=tuple(
            MinuteOutcomes(minute, c["succeeded"], c["failed"], c["skipped"])
            for minute, c in buckets.items()
        ),
        errors_by_code=tuple(codes.most_common()),
        backlog=tuple((kind, n) for kind, n in backlog.most_common() if n),
        write_ceiling=write_ceiling(QBOLimits(time_scale=services.runtime.settings.qbo_time_scale)),
    )
