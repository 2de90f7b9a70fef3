"""The store's errors, grouped by what the caller does next.

::

    LedgerbridgeError
    └── StoreError                       something in the store went wrong
        ├── StoreConfigurationError      fix the configuration: database URL, driver, key
        ├── TokenDecryptError            fix the key: a stored token does not decrypt
        ├── TenantNotFoundError          a programming or data error: no such tenant
        ├── TenantExistsError            the tenant id is taken
        ├── ConnectionNotFoundError      no such connection
        ├── ConnectionDisconnectedError  reconnect: the shop owner must authorize again
        ├── RefreshRejected              raised BY a refresher: QuickBooks said invalid_grant
        └── InvalidStateError            an OAuth callback with an unknown or expired state
            └── StateReplayError         an OAuth callback whose state was already used

No message of any of them contains a token, a key or a secret: they end up in logs.
"""

from __future__ import annotations

from ledgerbridge._errors import LedgerbridgeError

__all__ = [
    "ConnectionDisconnectedError",
    "ConnectionNotFoundError",
    "InvalidStateError",
    "RefreshRejected",
    "StateReplayError",
    "StoreConfigurationError",
    "StoreError",
    "TenantExistsError",
    "TenantNotFoundError",
    "TokenDecryptError",
]

#: what a connection's ``status_reason`` says after QuickBooks refused its refresh token
INVALID_GRANT_REASON = "QuickBooks refused the refresh token (invalid_grant): reconnect the company"


class StoreError(LedgerbridgeError):
    """Something went wrong in ledgerbridge's own database."""

    user_message = "ledgerbridge could not read or write its database; the log has the details."


class StoreConfigurationError(StoreError):
    """The store cannot start with this configuration (URL, database driver, encryption key)."""

    user_message = "ledgerbridge's database settings are not usable; the log says which one."


class TokenDecryptError(StoreError):
    """A stored token does not decrypt with any configured key.

    Either the key was changed without keeping the old one in the key list, or the row is
    corrupt. The message never includes the token.
    """

    user_message = (
        "ledgerbridge cannot read the stored QuickBooks tokens: the encryption key changed. "
        "Restore the previous key (or list it after the new one), or reconnect the company."
    )


class TenantNotFoundError(StoreError):
    """No tenant has this id."""

    user_message = "This shop is not known to ledgerbridge."


class TenantExistsError(StoreError):
    """A tenant with this id already exists."""

    user_message = "A shop with this id already exists."


class ConnectionNotFoundError(StoreError):
    """No QuickBooks connection has this id."""

    user_message = "This QuickBooks connection does not exist (any more); connect the company."


class ConnectionDisconnectedError(StoreError):
    """The connection is disconnected: no token will work until the owner reconnects.

    Work for the company waits (nothing is dropped); the console shows ``reason`` and a
    Reconnect button.
    """

    user_message = "QuickBooks is disconnected: reconnect the company to resume syncing."

    def __init__(self, connection_id: str, reason: str | None) -> None:
        self.connection_id = connection_id
        self.reason = reason or "disconnected"
        super().__init__(
            f"connection {connection_id} is disconnected: {self.reason}",
            user_message=f"QuickBooks is disconnected ({self.reason}).",
        )


class RefreshRejected(StoreError):
    """Raised by a :data:`Refresher` when QuickBooks answers ``invalid_grant``.

    The engine translates the OAuth client's error into this one so that the store, which
    imports nothing of ``ledgerbridge.qbo``, can tell "the owner must reconnect" from a
    transient failure. The store turns it into :class:`ConnectionDisconnectedError`. (It has
    no ``Error`` suffix because ``docs/design/qbo-client.md`` fixed the name for both sides.)
    """

    user_message = "QuickBooks refused the refresh token: reconnect the company."


class InvalidStateError(StoreError):
    """An OAuth callback carried a state this tenant never started, or one that expired."""

    user_message = "The QuickBooks authorization could not be matched; start Connect again."


class StateReplayError(InvalidStateError):
    """An OAuth callback carried a state that was already used (a replay or a double submit)."""

    user_message = "This QuickBooks authorization was already used; start Connect again."
