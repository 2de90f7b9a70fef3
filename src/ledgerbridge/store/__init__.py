"""The store: ledgerbridge's own database (SQLAlchemy 2 + Alembic; SQLite or PostgreSQL).

It holds the tenants, their QBO connections with tokens encrypted at rest (Fernet), the
one-time OAuth states, and it refreshes a connection's tokens once at a time across threads
and processes (:meth:`ConnectionStore.refresh`). It imports nothing of ``ledgerbridge.qbo``:
the engine hands it a :data:`Refresher` and translates ``invalid_grant`` into
:class:`RefreshRejected`.

Typical wiring, at an entry point::

    database = Database(settings.database_url)
    database.migrate()
    store = ConnectionStore(database, TokenCipher(settings.token_keys))
"""

from ._connections import ConnectionStore
from ._crypto import TokenCipher
from ._database import Database
from ._errors import (
    ConnectionDisconnectedError,
    ConnectionNotFoundError,
    InvalidStateError,
    RefreshRejected,
    StateReplayError,
    StoreConfigurationError,
    StoreError,
    TenantExistsError,
    TenantNotFoundError,
    TokenDecryptError,
)
from ._records import (
    ConnectionRecord,
    ConnectionStatus,
    Environment,
    Refresher,
    TenantRecord,
    TokenGrant,
)

__all__ = [
    "ConnectionDisconnectedError",
    "ConnectionNotFoundError",
    "ConnectionRecord",
    "ConnectionStatus",
    "ConnectionStore",
    "Database",
    "Environment",
    "InvalidStateError",
    "RefreshRejected",
    "Refresher",
    "StateReplayError",
    "StoreConfigurationError",
    "StoreError",
    "TenantExistsError",
    "TenantNotFoundError",
    "TenantRecord",
    "TokenCipher",
    "TokenDecryptError",
    "TokenGrant",
]
