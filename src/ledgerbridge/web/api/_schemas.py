"""The API's bodies: pydantic models (they make the OpenAPI document) and the conversions
from the service's values. Money stays as the records hold it (strings of cents)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ledgerbridge.engine import SettingsCheck
from ledgerbridge.model import TenantSettings
from ledgerbridge.store import (
    ApiKeyRecord,
    ConnectionRecord,
    EventRecord,
    IssuedKey,
    LinkRecord,
    OperationRecord,
    RunRecord,
    TenantRecord,
)
from ledgerbridge.web._service import (
    ConnectionView,
    ErrorGroup,
    ImportOutcome,
    RecordView,
    RunProgress,
)

__all__ = [
    "ApiKeyOut",
    "ConnectStart",
    "ConnectionOut",
    "DisconnectOut",
    "ErrorGroupOut",
    "EventsOut",
    "ImportOut",
    "IssuedKeyOut",
    "KeyCreate",
    "OperationOut",
    "RecordKey",
    "RecordOut",
    "RecordPutOut",
    "RelinkIn",
    "RetryIn",
    "RunOut",
    "SettingsCheckIn",
    "SettingsCheckOut",
    "SettingsOut",
    "SettingsSave",
    "SyncIn",
    "TenantCreate",
    "TenantCreated",
    "TenantOut",
]

_Strict = ConfigDict(extra="forbid")
#: a tenant id: what the host app calls the shop
TenantId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
_Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
_KeyName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
_Id = Annotated[str, StringConstraints(min_length=1, max_length=100)]


# -- tenants and keys -----------------------------------------------------------------------------
class TenantCreate(BaseModel):
    model_config = _Strict
    id: TenantId = Field(description="The host app's id of the shop: letters, digits, . _ -.")
    name: _Name


class TenantOut(BaseModel):
    id: str
    name: str
    created_at: datetime

    @classmethod
    def of(cls, record: TenantRecord) -> TenantOut:
        return cls(id=record.id, name=record.name, created_at=record.created_at)


class KeyCreate(BaseModel):
    model_config = _Strict
    name: _KeyName = "default"


class ApiKeyOut(BaseModel):
    id: str
    prefix: str = Field(description="The key's first characters, to tell keys apart.")
    name: str
    active: bool
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, record: ApiKeyRecord) -> ApiKeyOut:
        return cls(
            id=record.id,
            prefix=record.prefix,
            name=record.name,
            active=record.active,
            created_at=record.created_at,
            revoked_at=record.revoked_at,
        )


class IssuedKeyOut(BaseModel):
    api_key: ApiKeyOut
    key: str = Field(description="The key itself: shown this once, store it now.")

    @classmethod
    def of(cls, issued: IssuedKey) -> IssuedKeyOut:
        return cls(api_key=ApiKeyOut.of(issued.record), key=issued.key)


class TenantCreated(BaseModel):
    tenant: TenantOut
    api_key: IssuedKeyOut


# -- connection -----------------------------------------------------------------------------------
class ConnectStart(BaseModel):
    authorization_url: str = Field(
        description="Send the shop owner's browser here (Intuit's consent page)."
    )


class ConnectionOut(BaseModel):
    state: Literal["connected", "expiring", "disconnected", "not_connected"]
    environment: str
    company_name: str | None = None
    realm_id: str | None = None
    connected_at: datetime | None = None
    refresh_token_expires_at: datetime | None = None
    reconnect_by: datetime | None = Field(
        default=None, description="Intuit's 5-year limit: reconnect before it."
    )
    reason: str | None = Field(
        default=None, description="Why it is disconnected or expiring, for the shop owner."
    )

    @classmethod
    def of(cls, view: ConnectionView) -> ConnectionOut:
        found: ConnectionRecord | None = view.connection
        if found is None:
            return cls(state=view.state, environment=view.environment, reason=view.reason)
        return cls(
            state=view.state,
            environment=view.environment,
            company_name=found.company_name,
            realm_id=found.realm_id,
            connected_at=found.connected_at,
            refresh_token_expires_at=found.refresh_expires_at,
            reconnect_by=found.hard_expires_at,
            reason=view.reason,
        )


class DisconnectOut(BaseModel):
    connection: ConnectionOut
    revoked: bool = Field(description="Whether Intuit confirmed the tokens are revoked.")


# -- settings -------------------------------------------------------------------------------------
class SettingsOut(BaseModel):
    version: int | None = Field(description="The saved version in force; null: the defaults.")
    saved_at: datetime | None = None
    saved_by: str | None = None
    settings: dict[str, Any]


class SettingsCheckIn(BaseModel):
    model_config = _Strict
    settings: TenantSettings | None = Field(
        default=None, description="The settings to check; omitted: the ones in force."
    )


class SettingProblemOut(BaseModel):
    field: str = Field(description='Where the value sits, e.g. `payment_methods["Card"]`.')
    severity: Literal["error", "warning"]
    value: str
    message: str
    suggestions: list[str]


class SettingsCheckOut(BaseModel):
    ok: bool = Field(description="Whether every setting can be used (warnings allowed).")
    problems: list[SettingProblemOut]
    choices: dict[str, list[str]] = Field(description="QBO list -> its active names.")
    options: dict[str, list[str]] = Field(description="Setting -> the names that fit it.")

    @classmethod
    def of(cls, check: SettingsCheck) -> SettingsCheckOut:
        return cls(
            ok=check.ok,
            problems=[
                SettingProblemOut(
                    field=p.location,
                    severity=p.severity,
                    value=p.value,
                    message=p.message,
                    suggestions=list(p.suggestions),
                )
                for p in check.problems
            ],
            choices={kind: list(names) for kind, names in check.choices.items()},
            options={name: list(names) for name, names in check.options.items()},
        )


class SettingsSave(BaseModel):
    model_config = _Strict
    settings: TenantSettings
    expected_version: int | None = Field(
        ge=1, description="The version the edit started from; null when none was saved yet."
    )


# -- records --------------------------------------------------------------------------------------
class LinkOut(BaseModel):
    qbo_type: str | None
    qbo_id: str | None
    sync_token: str | None
    last_result: str
    error_code: str | None
    message: str | None
    intuit_tid: str | None
    warning: str | None
    updated_at: datetime

    @classmethod
    def of(cls, link: LinkRecord) -> LinkOut:
        return cls(
            qbo_type=link.qbo_type,
            qbo_id=link.qbo_id,
            sync_token=link.sync_token,
            last_result=link.last_result,
            error_code=link.last_error_code,
            message=link.last_message,
            intuit_tid=link.last_intuit_tid,
            warning=link.warning,
            updated_at=link.updated_at,
        )


class RunOut(BaseModel):
    id: str
    trigger: str
    status: str
    record_types: list[str] | None
    records: list[RecordKey] | None
    counts: dict[str, int] = Field(description="Push outcome -> records (a finished run).")
    error: str | None
    attempts: int
    created_at: datetime
    due_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    progress: RunProgressOut | None = None

    @classmethod
    def of(cls, run: RunRecord, progress: RunProgress | None = None) -> RunOut:
        return cls(
            id=run.id,
            trigger=run.trigger,
            status=run.status,
            record_types=None if run.record_types is None else sorted(run.record_types),
            records=None
            if run.records is None
            else [RecordKey(type=t, id=i) for t, i in run.records],
            counts=dict(run.counts),
            error=run.error,
            attempts=run.attempts,
            created_at=run.created_at,
            due_at=run.due_at,
            started_at=run.started_at,
            finished_at=run.finished_at,
            progress=None if progress is None else RunProgressOut.of(progress),
        )


class RunProgressOut(BaseModel):
    done: int = Field(description="Records finished so far.")
    total: int | None = Field(description="Records in the run, when known.")
    operations: dict[str, int] = Field(description="Write status -> writes of this run.")

    @classmethod
    def of(cls, progress: RunProgress) -> RunProgressOut:
        return cls(
            done=progress.records_done,
            total=progress.records_total,
            operations={str(status): n for status, n in progress.operations.items()},
        )


class RecordKey(BaseModel):
    model_config = _Strict
    type: _Id
    id: _Id


class RecordPutOut(BaseModel):
    record_type: str
    app_id: str
    outcome: Literal["created", "changed", "unchanged"]
    dirty: bool = Field(description="Whether it waits to be pushed.")
    content_hash: str
    auto_sync_run: RunOut | None = Field(description="The auto-sync run it goes out with.")


class RecordOut(BaseModel):
    record_type: str
    app_id: str
    sync_status: str = Field(
        description="pending, ok, failed, skipped, waiting, deleted or voided."
    )
    dirty: bool
    deleted_at: datetime | None
    received_at: datetime
    updated_at: datetime
    record: dict[str, Any]
    link: LinkOut | None

    @classmethod
    def of(cls, view: RecordView) -> RecordOut:
        stored = view.record
        return cls(
            record_type=stored.record_type,
            app_id=stored.app_id,
            sync_status=view.sync_status,
            dirty=stored.dirty,
            deleted_at=stored.deleted_at,
            received_at=stored.received_at,
            updated_at=stored.updated_at,
            record=stored.payload,
            link=None if view.link is None else LinkOut.of(view.link),
        )


class ImportLineOut(BaseModel):
    line: int
    type: str | None
    id: str | None
    outcome: Literal["created", "changed", "unchanged", "rejected"]
    errors: list[dict[str, str]] | None = None


class ImportOut(BaseModel):
    accepted: int
    rejected: int
    created: int
    changed: int
    unchanged: int
    lines: list[ImportLineOut]
    auto_sync_run: RunOut | None

    @classmethod
    def of(cls, outcome: ImportOutcome) -> ImportOut:
        counts = outcome.counts
        return cls(
            accepted=sum(n for kind, n in counts.items() if kind != "rejected"),
            rejected=counts["rejected"],
            created=counts["created"],
            changed=counts["changed"],
            unchanged=counts["unchanged"],
            lines=[
                ImportLineOut(
                    line=line.line,
                    type=line.record_type,
                    id=line.app_id,
                    outcome=line.outcome or "rejected",  # type: ignore[arg-type]
                    errors=[{"field": p.field, "message": p.message} for p in line.problems]
                    or None,
                )
                for line in outcome.lines
            ],
            auto_sync_run=None if outcome.auto_sync is None else RunOut.of(outcome.auto_sync),
        )


class RelinkIn(BaseModel):
    model_config = _Strict
    qbo_id: Annotated[str, StringConstraints(min_length=1, max_length=32)] = Field(
        description="The Id of the QuickBooks object (of the record type's entity)."
    )


# -- sync -----------------------------------------------------------------------------------------
class SyncIn(BaseModel):
    """Records (pushed dirty or not), or record types (their dirty records), or neither
    (every dirty record)."""

    model_config = _Strict
    records: list[RecordKey] | None = Field(default=None, min_length=1, max_length=10_000)
    record_types: list[_Id] | None = Field(default=None, min_length=1, max_length=50)


class RetryIn(BaseModel):
    model_config = _Strict
    group: str | None = Field(
        default=None, description="An error group's key; omitted: every failed record."
    )


class OperationOut(BaseModel):
    id: str
    run_id: str | None
    trigger: str
    record_type: str
    app_id: str
    qbo_type: str
    action: str
    status: str
    request_id: str = Field(description="QBO's requestid, the same on every attempt.")
    attempts: int
    request: dict[str, Any] | None = Field(description="The body sent (last attempt).")
    response: OperationResponseOut | None = Field(
        description="What QuickBooks answered; null before any answer."
    )
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, op: OperationRecord) -> OperationOut:
        answered = op.finished or op.qbo_id is not None or op.intuit_tid is not None
        return cls(
            id=op.id,
            run_id=op.run_id,
            trigger=op.trigger,
            record_type=op.record_type,
            app_id=op.app_id,
            qbo_type=op.qbo_type,
            action=op.action,
            status=op.status,
            request_id=op.request_id,
            attempts=op.attempts,
            request=op.payload,
            response=OperationResponseOut(
                qbo_id=op.qbo_id,
                sync_token=op.sync_token,
                intuit_tid=op.intuit_tid,
                error_code=op.error_code,
                message=op.message,
            )
            if answered
            else None,
            created_at=op.created_at,
            started_at=op.started_at,
            finished_at=op.finished_at,
        )


class OperationResponseOut(BaseModel):
    qbo_id: str | None
    sync_token: str | None
    intuit_tid: str | None = Field(description="Quote it to Intuit support.")
    error_code: str | None
    message: str | None = Field(description="A sentence for the shop owner.")


class ErrorRecordOut(BaseModel):
    type: str
    id: str
    message: str | None
    intuit_tid: str | None
    qbo_id: str | None


class ErrorGroupOut(BaseModel):
    key: str
    error_code: str | None
    action: str = Field(description="fix_data, resolve, reconnect, stop or retry.")
    what_to_do: str
    message: str
    count: int
    intuit_tids: list[str]
    records: list[ErrorRecordOut] = Field(description="Up to 20, newest first.")

    @classmethod
    def of(cls, group: ErrorGroup) -> ErrorGroupOut:
        return cls(
            key=group.key,
            error_code=group.error_code,
            action=group.action,
            what_to_do=group.what_to_do,
            message=group.message,
            count=group.count,
            intuit_tids=list(group.intuit_tids),
            records=[
                ErrorRecordOut(
                    type=r.record_type,
                    id=r.app_id,
                    message=r.last_message,
                    intuit_tid=r.last_intuit_tid,
                    qbo_id=r.qbo_id,
                )
                for r in group.records
            ],
        )


class EventsOut(BaseModel):
    events: list[dict[str, Any]]
    next_cursor: int = Field(description="Pass as `after` to read on.")

    @classmethod
    def of(cls, events: list[EventRecord], after: int) -> EventsOut:
        return cls(
            events=[event.as_json() for event in events],
            next_cursor=events[-1].seq if events else after,
        )


def settings_out(settings: TenantSettings, saved: Any) -> SettingsOut:
    """The settings in force and the version they come from."""
    document: Mapping[str, Any] = settings.model_dump(mode="json")
    if saved is None:
        return SettingsOut(version=None, settings=dict(document))
    return SettingsOut(
        version=saved.version,
        saved_at=saved.created_at,
        saved_by=saved.created_by,
        settings=dict(document),
    )


RunOut.model_rebuild()
OperationOut.model_rebuild()
