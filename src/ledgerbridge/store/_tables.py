"""The store's tables, as SQLAlchemy 2 typed declarative models.

Rows never leave the ``store`` package: repositories turn them into frozen dataclasses
(``_records.py``), decrypting tokens on the way out.

Every row carries its tenant, and every repository query that a tenant can reach filters on
it. Datetimes are timezone-aware UTC everywhere: :class:`UTCDateTime` stores them as UTC and
hands them back aware, also on SQLite, whose ``DATETIME`` has no time zone.

The sync tables (``records``, ``links``, ``tenant_settings``, ``operations``) key their rows
by the host app's own ids: ``(tenant_id, record_type, app_id)`` is the primary key of a record
and of its link, because every lookup the engine makes is by that triple and a surrogate key
would only add a join. Links and operations do not carry a foreign key to ``records``: the
engine also links things the host app never sends as records (QBO payment methods, terms,
tax codes), and an operation must survive whatever happens to its record.

The Alembic migrations in ``migrations/versions`` create exactly these tables; a test compares
the two so that they cannot drift apart.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, Final

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "ENVIRONMENTS",
    "LINK_RESULTS",
    "OPEN_OPERATION_STATUSES",
    "OPERATION_ACTIONS",
    "OPERATION_STATUSES",
    "OPERATION_TRIGGERS",
    "STATUSES",
    "AppRecord",
    "Base",
    "Connection",
    "Link",
    "OAuthState",
    "Operation",
    "SettingsDocument",
    "Tenant",
    "UTCDateTime",
]

#: the QBO environments a tenant may connect, at most one connection each
ENVIRONMENTS: Final = ("production", "sandbox", "emulator")
#: connected: tokens work; expiring: they work, but Intuit's 5-year cap is near (reconnect
#: soon); disconnected: QuickBooks refused the refresh token or the owner disconnected
STATUSES: Final = ("connected", "disconnected", "expiring")
#: the outcome of a record's last sync: ok (QBO has what was pushed), failed (fix and retry),
#: skipped (not eligible: a setting excludes it), waiting (for something the owner must set up),
#: deleted / voided (the app deleted the record and its QBO object was deleted / voided)
LINK_RESULTS: Final = ("ok", "failed", "skipped", "waiting", "deleted", "voided")
#: what one operation does in QBO; checked in Python, not by the database, so that a new kind
#: of write is one line here instead of a table rebuild on SQLite
OPERATION_ACTIONS: Final = (
    "create",
    "update",
    "void",
    "delete",
    "reattach",
    "reactivate",
    "inventory_adjust",
)
#: an operation's life: queued -> running -> succeeded | failed | skipped (see _operations.py)
OPERATION_STATUSES: Final = ("queued", "running", "succeeded", "failed", "skipped")
#: the statuses of an operation that is not finished: at most one per record (a partial
#: unique index), so that a crash can never leave two writes of one record with two requestids
OPEN_OPERATION_STATUSES: Final = ("queued", "running")
#: who asked for the write
OPERATION_TRIGGERS: Final = ("manual", "bulk", "auto", "scheduled", "inbound")

#: Constraint names are fixed by convention so that the migrations and the models name them
#: the same way on every database (Alembic needs names to alter or drop them later).
NAMING_CONVENTION: Final = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database.

    PostgreSQL keeps the zone (``timestamptz``); SQLite does not, so the value is stored as
    naive UTC and made aware again when read. Naive datetimes are refused on the way in:
    guessing their zone is how token expiries end up an hour off.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("the store only takes timezone-aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """The declarative base of every ledgerbridge table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


def _one_of(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


class Tenant(Base):
    """One shop of the host app."""

    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]


class Connection(Base):
    """A tenant's QBO connection (a realm) in one environment, with its encrypted tokens."""

    __tablename__ = "connections"
    __table_args__ = (
        UniqueConstraint("tenant_id", "environment"),
        CheckConstraint(_one_of("environment", ENVIRONMENTS), name="environment"),
        CheckConstraint(_one_of("status", STATUSES), name="status"),
        # webhooks and CDC arrive by realm id
        Index(None, "realm_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    environment: Mapped[str] = mapped_column(String(16))
    realm_id: Mapped[str] = mapped_column(String(32))
    company_name: Mapped[str] = mapped_column(String(255))
    #: Fernet tokens (``_crypto.TokenCipher``), never the clear token
    access_token: Mapped[bytes] = mapped_column(LargeBinary)
    refresh_token: Mapped[bytes] = mapped_column(LargeBinary)
    access_expires_at: Mapped[datetime]
    refresh_expires_at: Mapped[datetime]
    hard_expires_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16))
    status_reason: Mapped[str | None] = mapped_column(Text)
    connected_at: Mapped[datetime]
    last_refresh_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class OAuthState(Base):
    """An OAuth ``state`` handed to Intuit's consent page, usable once by its tenant."""

    __tablename__ = "oauth_states"

    nonce: Mapped[str] = mapped_column(String(128), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    environment: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class AppRecord(Base):
    """A record the host app handed over, as a JSON document with its content hash.

    ``dirty`` means QBO may not have what the record says: set when the hash changes or the
    record is deleted, cleared by the engine once it pushed exactly this hash.
    """

    __tablename__ = "records"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "record_type", "app_id"),
        # the planner's question: what is dirty, type by type, in app id order
        Index(None, "tenant_id", "dirty", "record_type", "app_id"),
    )

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    record_type: Mapped[str] = mapped_column(String(64))
    app_id: Mapped[str] = mapped_column(String(255))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(128))
    #: the last time the host app sent it (changed or not)
    received_at: Mapped[datetime]
    #: the first time the host app sent it: the record's creation time when the app gives none
    first_received_at: Mapped[datetime]
    #: the last time its content or its deletion changed
    updated_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]
    dirty: Mapped[bool]


class Link(Base):
    """An app record's QBO object, and how its last sync went.

    A record that never reached QBO (it failed, was skipped, or waits) has a row without a
    QBO object, so that the console shows why. One QBO object belongs to one app record.
    """

    __tablename__ = "links"
    __table_args__ = (
        PrimaryKeyConstraint("tenant_id", "record_type", "app_id"),
        # NULLs are distinct in a unique constraint (SQLite and PostgreSQL): many unlinked rows
        UniqueConstraint("tenant_id", "qbo_type", "qbo_id"),
        CheckConstraint(_one_of("last_result", LINK_RESULTS), name="last_result"),
        CheckConstraint("(qbo_type IS NULL) = (qbo_id IS NULL)", name="qbo_object"),
        # the console's error queue
        Index(None, "tenant_id", "last_result"),
    )

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    record_type: Mapped[str] = mapped_column(String(64))
    app_id: Mapped[str] = mapped_column(String(255))
    qbo_type: Mapped[str | None] = mapped_column(String(64))
    qbo_id: Mapped[str | None] = mapped_column(String(64))
    sync_token: Mapped[str | None] = mapped_column(String(32))
    #: the content hash of the record as last pushed; equal to the record's -> nothing to send
    pushed_hash: Mapped[str | None] = mapped_column(String(128))
    last_result: Mapped[str] = mapped_column(String(16))
    last_error_code: Mapped[str | None] = mapped_column(String(64))
    #: a sentence for the shop owner
    last_message: Mapped[str | None] = mapped_column(Text)
    last_intuit_tid: Mapped[str | None] = mapped_column(String(128))
    #: something wrong that did not fail the push, e.g. QBO's TotalAmt differs from the app's
    warning: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]


class SettingsDocument(Base):
    """One version of a tenant's settings; versions are only ever added."""

    __tablename__ = "tenant_settings"
    __table_args__ = (PrimaryKeyConstraint("tenant_id", "version"),)

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    version: Mapped[int]
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    #: who saved it (a console user, ``cli``), when known
    created_by: Mapped[str | None] = mapped_column(String(255))


class Operation(Base):
    """One write to QBO, durable before it is sent: the engine's write log."""

    __tablename__ = "operations"
    __table_args__ = (
        UniqueConstraint("request_id"),
        CheckConstraint(_one_of("status", OPERATION_STATUSES), name="status"),
        CheckConstraint(_one_of("trigger", OPERATION_TRIGGERS), name="trigger"),
        Index(None, "tenant_id", "created_at"),
        Index(None, "tenant_id", "record_type", "app_id"),
        Index(None, "tenant_id", "status"),
        Index(None, "tenant_id", "run_id"),
        # at most one unfinished operation per record, enforced by the database
        Index(
            "uq_operations_open_record",
            "tenant_id",
            "record_type",
            "app_id",
            unique=True,
            sqlite_where=text(_one_of("status", OPEN_OPERATION_STATUSES)),
            postgresql_where=text(_one_of("status", OPEN_OPERATION_STATUSES)),
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    realm_id: Mapped[str] = mapped_column(String(32))
    record_type: Mapped[str] = mapped_column(String(64))
    app_id: Mapped[str] = mapped_column(String(255))
    qbo_type: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    #: QBO's ``requestid``: made once when the operation is created, sent on every attempt
    request_id: Mapped[str] = mapped_column(String(32))
    trigger: Mapped[str] = mapped_column(String(16))
    run_id: Mapped[str | None] = mapped_column(String(32))
    #: what was sent (the last attempt's body)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    qbo_id: Mapped[str | None] = mapped_column(String(64))
    sync_token: Mapped[str | None] = mapped_column(String(32))
    intuit_tid: Mapped[str | None] = mapped_column(String(128))
    error_code: Mapped[str | None] = mapped_column(String(64))
    #: a sentence for the shop owner
    message: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int]
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


#: who asked for a sync run; the log tags every line of the run with it
RUN_TRIGGERS: Final = ("manual", "bulk", "auto", "scheduled", "sweeper")
#: a run's life: queued -> running -> succeeded | partial | failed; running -> queued again
#: when the worker running it died (its lane's lease expired)
RUN_STATUSES: Final = ("queued", "running", "succeeded", "partial", "failed")
#: queued runs of these triggers (never started) coalesce: one per tenant and trigger
COALESCING_TRIGGERS: Final = ("auto", "scheduled", "sweeper")
_COALESCING = f"status = 'queued' AND attempts = 0 AND {_one_of('trigger', COALESCING_TRIGGERS)}"


class Run(Base):
    """One sync run: a request to push some of a tenant's records, and how it went.

    The row is written when the run is requested, before any job is enqueued, so that a job
    lost with its worker loses no request: the sweeper finds the queued run.
    """

    __tablename__ = "runs"
    __table_args__ = (
        CheckConstraint(_one_of("trigger", RUN_TRIGGERS), name="trigger"),
        CheckConstraint(_one_of("status", RUN_STATUSES), name="status"),
        # ledgerbridge runs --tenant T, newest first
        Index(None, "tenant_id", "created_at"),
        # the last scheduled run of a tenant
        Index(None, "tenant_id", "trigger", "created_at"),
        # the lane's question: what is queued here, due first
        Index(None, "lane", "status", "due_at"),
        # the sweeper's: which runs are open (few, among many finished ones)
        Index(None, "status", "lane"),
        # saves within the debounce window join the queued auto run instead of adding one
        Index(
            "uq_runs_queued_coalescing",
            "tenant_id",
            "trigger",
            unique=True,
            sqlite_where=text(_COALESCING),
            postgresql_where=text(_COALESCING),
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    #: the lease name of the realm lane that runs it (one QBO company)
    lane: Mapped[str] = mapped_column(String(128))
    trigger: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    #: push the dirty records of these types (NULL: of every type) ...
    record_types: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    #: ... or exactly these ``[record_type, app_id]`` records, dirty or not
    records: Mapped[list[list[str]] | None] = mapped_column(JSON(none_as_null=True))
    #: push outcome -> how many records had it
    counts: Mapped[dict[str, int]] = mapped_column(JSON)
    #: why the run failed as a whole, in words for the shop owner
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int]
    #: the token of the lane lease of the worker running it
    lease: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    #: not before: the end of the debounce window of an auto run
    due_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class Lease(Base):
    """A named lease, held by one worker until it expires: realm lanes, once-a-period jobs.

    A worker killed while holding one loses it when it expires; nothing needs to clean up.
    """

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    #: made anew at each acquisition; NULL when free
    token: Mapped[str | None] = mapped_column(String(32))
    #: host and process of the holder, for people reading the table
    holder: Mapped[str | None] = mapped_column(String(255))
    acquired_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]


# -- inbound (issue 6): what comes back from QBO, and the events feed -------------------------
#: a stored webhook notification: received (not processed yet), processed, or failed (the
#: error says why; a signed body that is not in Intuit's formats)
NOTIFICATION_STATUSES: Final = ("received", "processed", "failed")


class FeedEvent(Base):
    """One event of a tenant's feed: what came in from QBO, what each sync did.

    ``seq`` counts per tenant from 1, without gaps, in commit order (``_events.py`` takes a
    lock on the tenant to append), so that a reader's cursor never skips a late commit.
    """

    __tablename__ = "events"
    __table_args__ = (PrimaryKeyConstraint("tenant_id", "seq"),)

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    seq: Mapped[int] = mapped_column(autoincrement=False)
    #: e.g. customer.imported, payment.received, record.synced, qbo.changed (docs/inbound.md)
    kind: Mapped[str] = mapped_column(String(64))
    record_type: Mapped[str | None] = mapped_column(String(64))
    app_id: Mapped[str | None] = mapped_column(String(255))
    qbo_type: Mapped[str | None] = mapped_column(String(64))
    qbo_id: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]


class EventEndpoint(Base):
    """Where a tenant's events are pushed (the host app's URL), and how far delivery got."""

    __tablename__ = "event_endpoints"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    #: the HMAC key of the signature header, Fernet-encrypted like the tokens
    secret: Mapped[bytes] = mapped_column(LargeBinary)
    #: the last event the host app acknowledged (0: none)
    delivered_seq: Mapped[int]
    #: failed attempts since the last success (the backoff's exponent)
    attempts: Mapped[int]
    next_attempt_at: Mapped[datetime | None]
    #: one deliverer at a time: the lease's token and end
    lease_token: Mapped[str | None] = mapped_column(String(32))
    leased_until: Mapped[datetime | None]
    last_status: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]


class WebhookNotification(Base):
    """A webhook notification exactly as received (the signed bytes), before and after it is
    processed; the body's SHA-256 is unique, so a replayed notification is stored once."""

    __tablename__ = "webhook_notifications"
    __table_args__ = (
        UniqueConstraint("body_sha256"),
        CheckConstraint(_one_of("status", NOTIFICATION_STATUSES), name="status"),
        # the sweeper's question: what is still waiting, oldest first
        Index(None, "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    body_sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int]
    processed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class InboundVersion(Base):
    """The newest version of a QBO object the inbound sync has processed: a webhook and the
    CDC back-stop that both see one change apply it once."""

    __tablename__ = "inbound_versions"
    __table_args__ = (PrimaryKeyConstraint("tenant_id", "qbo_type", "qbo_id"),)

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    qbo_type: Mapped[str] = mapped_column(String(64))
    qbo_id: Mapped[str] = mapped_column(String(64))
    #: NULL once deleted (merged away, or a deleted transaction)
    sync_token: Mapped[str | None] = mapped_column(String(32))
    deleted: Mapped[bool]
    processed_at: Mapped[datetime]


class CDCBookmark(Base):
    """Where the CDC back-stop of a connection resumes: changes since this moment."""

    __tablename__ = "cdc_bookmarks"

    connection_id: Mapped[str] = mapped_column(ForeignKey("connections.id"), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    #: the company the bookmark is for: a reconnect to another company starts afresh
    realm_id: Mapped[str] = mapped_column(String(32))
    changed_since: Mapped[datetime]
    updated_at: Mapped[datetime]


class QBOOwnedRecord(Base):
    """A record that came from QBO (imported at setup, a payment made in QBO), not from the
    host app: stored with its link so that it is never pushed back."""

    __tablename__ = "qbo_owned_records"
    __table_args__ = (PrimaryKeyConstraint("tenant_id", "record_type", "app_id"),)

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    record_type: Mapped[str] = mapped_column(String(64))
    app_id: Mapped[str] = mapped_column(String(255))
    qbo_type: Mapped[str] = mapped_column(String(64))
    qbo_id: Mapped[str] = mapped_column(String(64))
    #: the hash ledgerbridge stored; once the record's differs, the host app has taken it over
    content_hash: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


# echo suppression asks the write log whether ledgerbridge wrote this version of an object
Index(None, Operation.tenant_id, Operation.qbo_type, Operation.qbo_id)
