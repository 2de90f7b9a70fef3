"""The store's values: what goes in (``TokenGrant``, ``RecordInput``) and what comes out.

Frozen dataclasses, so that nothing outside ``store`` holds a live SQLAlchemy row. Token
fields are left out of ``repr``: records get logged, tokens must not be.

The sync values carry the host app's records and the tenant settings as JSON documents
(``dict``), not as ``ledgerbridge.model`` objects: the engine validates and converts, the store
keeps what it is given. Keep money in them as strings (pydantic's JSON mode writes ``Decimal``
so); a JSON number comes back as a ``float``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeAlias

__all__ = [
    "ConnectionRecord",
    "ConnectionStatus",
    "Environment",
    "JSONDocument",
    "LinkRecord",
    "LinkResult",
    "OperationAction",
    "OperationRecord",
    "OperationStatus",
    "OperationTrigger",
    "PutOutcome",
    "PutResult",
    "RecordCounts",
    "RecordInput",
    "Refresher",
    "SettingsVersion",
    "StoredRecord",
    "TenantRecord",
    "TokenGrant",
    "utcnow",
]

Environment: TypeAlias = Literal["production", "sandbox", "emulator"]
ConnectionStatus: TypeAlias = Literal["connected", "disconnected", "expiring"]


def _require_aware(name: str, value: datetime | None) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{name} must be timezone-aware")


@dataclass(frozen=True)
class TokenGrant:
    """A token pair as the OAuth client received it: the store's own view, no qbo import.

    Expiries are absolute (the client turns ``expires_in`` into a moment when the answer
    arrives), so that a record read an hour later still knows when its token dies.
    """

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    access_expires_at: datetime
    #: Intuit's rolling 100 days, extended by every refresh
    refresh_expires_at: datetime
    #: Intuit's absolute 5-year cap, when the token endpoint says it
    hard_expires_at: datetime | None = None

    def __post_init__(self) -> None:
        _require_aware("access_expires_at", self.access_expires_at)
        _require_aware("refresh_expires_at", self.refresh_expires_at)
        _require_aware("hard_expires_at", self.hard_expires_at)


#: ``refresh_token -> new pair``. Raises :class:`RefreshRejected` when QuickBooks answers
#: ``invalid_grant``; any other exception means "unknown, try again later".
Refresher: TypeAlias = Callable[[str], Awaitable[TokenGrant]]


@dataclass(frozen=True)
class TenantRecord:
    """One shop of the host app."""

    id: str
    name: str
    created_at: datetime


@dataclass(frozen=True)
class ConnectionRecord:
    """A tenant's QBO connection with its tokens decrypted (and kept out of ``repr``)."""

    id: str
    tenant_id: str
    environment: Environment
    realm_id: str
    company_name: str
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    access_expires_at: datetime
    refresh_expires_at: datetime
    hard_expires_at: datetime | None
    status: ConnectionStatus
    #: why the connection is disconnected or expiring, in words for the shop owner
    status_reason: str | None
    connected_at: datetime
    last_refresh_at: datetime | None
    updated_at: datetime

    @property
    def grant(self) -> TokenGrant:
        """The token pair alone."""
        return TokenGrant(
            access_token=self.access_token,
            refresh_token=self.refresh_token,
            access_expires_at=self.access_expires_at,
            refresh_expires_at=self.refresh_expires_at,
            hard_expires_at=self.hard_expires_at,
        )


# -- sync ---------------------------------------------------------------------------------------
#: a JSON object as ``json.loads`` gives it: what the store keeps of records and settings
JSONDocument: TypeAlias = dict[str, Any]
#: what :meth:`RecordStore.put` did: a new record, a new content hash (or a deleted record
#: sent again), or the same hash as stored (nothing to push)
PutOutcome: TypeAlias = Literal["created", "changed", "unchanged"]
LinkResult: TypeAlias = Literal["ok", "failed", "skipped", "waiting", "deleted", "voided"]
OperationAction: TypeAlias = Literal[
    "create", "update", "void", "delete", "reattach", "reactivate", "inventory_adjust"
]
OperationStatus: TypeAlias = Literal["queued", "running", "succeeded", "failed", "skipped"]
OperationTrigger: TypeAlias = Literal["manual", "bulk", "auto", "scheduled", "inbound"]


def utcnow() -> datetime:
    """The stores' default clock: now, timezone-aware UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class RecordInput:
    """One record of a bulk import (:meth:`RecordStore.put_many`), already validated."""

    record_type: str
    app_id: str
    payload: JSONDocument
    #: the hash of the canonical record, as the engine computes it; equal hash, equal record
    content_hash: str


@dataclass(frozen=True)
class PutResult:
    """What a put did to one record."""

    record_type: str
    app_id: str
    outcome: PutOutcome
    content_hash: str
    #: whether the record now waits to be pushed (an unchanged one may still be dirty)
    dirty: bool


@dataclass(frozen=True)
class StoredRecord:
    """A record as the store holds it."""

    tenant_id: str
    record_type: str
    app_id: str
    payload: JSONDocument
    content_hash: str
    #: the last time the host app sent it (changed or not)
    received_at: datetime
    #: the first time the host app sent it, kept through every later put: what dates a
    #: record whose canonical model carries no creation time (the sync start date gate)
    first_received_at: datetime
    #: the last time its content or its deletion changed
    updated_at: datetime
    #: set when the host app deleted it; the engine voids or deletes its QBO object
    deleted_at: datetime | None
    dirty: bool

    @property
    def deleted(self) -> bool:
        """Whether the host app deleted it."""
        return self.deleted_at is not None


@dataclass(frozen=True)
class RecordCounts:
    """How many records of one type a tenant has, for the console."""

    #: every stored record, deleted ones included
    total: int
    #: waiting to be pushed (deleted ones whose deletion is not pushed yet included)
    dirty: int
    deleted: int


@dataclass(frozen=True)
class LinkRecord:
    """An app record's QBO object (if it has one) and how its last sync went."""

    tenant_id: str
    record_type: str
    app_id: str
    qbo_type: str | None
    qbo_id: str | None
    sync_token: str | None
    #: the content hash last pushed: equal to the record's, nothing to send
    pushed_hash: str | None
    last_result: LinkResult
    last_error_code: str | None
    #: a sentence for the shop owner
    last_message: str | None
    last_intuit_tid: str | None
    #: a problem that did not fail the push (e.g. QBO's total differs from the app's)
    warning: str | None
    updated_at: datetime

    @property
    def linked(self) -> bool:
        """Whether the record has a QBO object."""
        return self.qbo_id is not None


@dataclass(frozen=True)
class SettingsVersion:
    """One saved version of a tenant's settings (version 1 is the first save)."""

    tenant_id: str
    version: int
    document: JSONDocument
    created_at: datetime
    created_by: str | None


@dataclass(frozen=True)
class OperationRecord:
    """One write to QBO and how it went (see ``_operations.py`` for the life cycle)."""

    id: str
    tenant_id: str
    realm_id: str
    record_type: str
    app_id: str
    qbo_type: str
    action: OperationAction
    status: OperationStatus
    #: QBO's ``requestid``, the same on every attempt: QBO answers a repeat with the first
    #: answer instead of writing twice
    request_id: str
    trigger: OperationTrigger
    run_id: str | None
    payload: JSONDocument | None
    qbo_id: str | None
    sync_token: str | None
    intuit_tid: str | None
    error_code: str | None
    #: a sentence for the shop owner
    message: str | None
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        """Whether it succeeded, failed or was skipped (no further attempt)."""
        return self.status not in ("queued", "running")
