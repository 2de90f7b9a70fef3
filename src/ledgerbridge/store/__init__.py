"""The store: ledgerbridge's own database (SQLAlchemy 2 + Alembic; SQLite or PostgreSQL).

It holds the tenants, their QBO connections with tokens encrypted at rest (Fernet), the
one-time OAuth states, and it refreshes a connection's tokens once at a time across threads
and processes (:meth:`ConnectionStore.refresh`). It imports nothing of ``ledgerbridge.qbo``:
the engine hands it a :data:`Refresher` and translates ``invalid_grant`` into
:class:`RefreshRejected`.

For the sync engine it holds the host app's records as JSON documents with a content hash
(:class:`RecordStore`: a changed hash marks a record dirty), their links to QBO objects
(:class:`LinkStore`: one QBO object per app record), the tenant settings in versions saved
with optimistic concurrency (:class:`SettingsStore`), and the durable write log
(:class:`OperationStore`: each write's ``requestid`` made once and reused on every retry).
Records and settings stay JSON here; ``ledgerbridge.model`` validates them and the engine
converts.

Typical wiring, at an entry point::

    database = Database(settings.database_url)
    database.migrate()
    store = ConnectionStore(database, TokenCipher(settings.token_keys))
    records, links = RecordStore(database), LinkStore(database)
    tenant_settings, operations = SettingsStore(database), OperationStore(database)
"""

from ._access import (
    API_KEY_PREFIX,
    AccessStore,
    ApiKeyNotFoundError,
    ApiKeyRecord,
    ConsoleUserRecord,
    IssuedKey,
    UserExistsError,
    UserNotFoundError,
    hash_password,
    verify_password,
)
from ._activity import ActivityStore, FailureGroup, StoreFigures
from ._connections import RECONNECT_WARNING, ConnectionStore
from ._crypto import TokenCipher
from ._database import Database
from ._errors import (
    ConnectionDisconnectedError,
    ConnectionNotFoundError,
    InvalidStateError,
    InvalidTransitionError,
    LinkConflictError,
    OperationNotFoundError,
    OperationPendingError,
    RecordNotFoundError,
    RefreshRejected,
    SettingsConflictError,
    StateReplayError,
    StoreConfigurationError,
    StoreError,
    TenantExistsError,
    TenantNotFoundError,
    TokenDecryptError,
)
from ._events import (
    DeliveryLease,
    EventEndpointRecord,
    EventRecord,
    EventStore,
    NewEvent,
)
from ._inbound import (
    ApplyOutcome,
    AppName,
    Bookmark,
    InboundChange,
    InboundStore,
    LinkMatch,
    NotificationStatus,
    ObjectVersion,
    OwnedRecord,
    OwnedRecordConflictError,
    OwnedWrite,
    RealmConnection,
    ReceivedNotification,
    StoredNotification,
)
from ._intake import RecordStore
from ._links import LinkSave, LinkStore
from ._operations import OperationOutcome, OperationStore, PlannedOperation
from ._records import (
    ConnectionRecord,
    ConnectionStatus,
    Environment,
    JSONDocument,
    LinkRecord,
    LinkResult,
    OperationAction,
    OperationRecord,
    OperationStatus,
    OperationTrigger,
    PutOutcome,
    PutResult,
    RecordCounts,
    RecordInput,
    Refresher,
    SettingsVersion,
    StoredRecord,
    TenantRecord,
    TokenGrant,
)
from ._runs import (
    LeaseGrant,
    LeaseLostError,
    RunNotFoundError,
    RunRecord,
    RunRequest,
    RunStatus,
    RunStore,
    RunTrigger,
)
from ._settings import SettingsStore

__all__ = [
    "API_KEY_PREFIX",
    "RECONNECT_WARNING",
    "AccessStore",
    "ActivityStore",
    "ApiKeyNotFoundError",
    "ApiKeyRecord",
    "AppName",
    "ApplyOutcome",
    "Bookmark",
    "ConnectionDisconnectedError",
    "ConnectionNotFoundError",
    "ConnectionRecord",
    "ConnectionStatus",
    "ConnectionStore",
    "ConsoleUserRecord",
    "Database",
    "DeliveryLease",
    "Environment",
    "EventEndpointRecord",
    "EventRecord",
    "EventStore",
    "FailureGroup",
    "InboundChange",
    "InboundStore",
    "InvalidStateError",
    "InvalidTransitionError",
    "IssuedKey",
    "JSONDocument",
    "LeaseGrant",
    "LeaseLostError",
    "LinkConflictError",
    "LinkMatch",
    "LinkRecord",
    "LinkResult",
    "LinkSave",
    "LinkStore",
    "NewEvent",
    "NotificationStatus",
    "ObjectVersion",
    "OperationAction",
    "OperationNotFoundError",
    "OperationOutcome",
    "OperationPendingError",
    "OperationRecord",
    "OperationStatus",
    "OperationStore",
    "OperationTrigger",
    "OwnedRecord",
    "OwnedRecordConflictError",
    "OwnedWrite",
    "PlannedOperation",
    "PutOutcome",
    "PutResult",
    "RealmConnection",
    "ReceivedNotification",
    "RecordCounts",
    "RecordInput",
    "RecordNotFoundError",
    "RecordStore",
    "RefreshRejected",
    "Refresher",
    "RunNotFoundError",
    "RunRecord",
    "RunRequest",
    "RunStatus",
    "RunStore",
    "RunTrigger",
    "SettingsConflictError",
    "SettingsStore",
    "SettingsVersion",
    "StateReplayError",
    "StoreConfigurationError",
    "StoreError",
    "StoreFigures",
    "StoredNotification",
    "StoredRecord",
    "TenantExistsError",
    "TenantNotFoundError",
    "TenantRecord",
    "TokenCipher",
    "TokenDecryptError",
    "TokenGrant",
    "UserExistsError",
    "UserNotFoundError",
    "hash_password",
    "verify_password",
]
