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
        ├── InvalidStateError            an OAuth callback with an unknown or expired state
        │   └── StateReplayError         an OAuth callback whose state was already used
        ├── RecordNotFoundError          no such app record
        ├── LinkConflictError            resolve: the QBO object belongs to another app record
        ├── SettingsConflictError        reload: someone saved the settings meanwhile
        ├── OperationNotFoundError       no such operation (for this tenant)
        ├── OperationPendingError        resume: the record has an unfinished operation
        └── InvalidTransitionError       a programming error: e.g. succeeding a queued operation

No message of any of them contains a token, a key or a secret: they end up in logs.
"""

from __future__ import annotations

from ledgerbridge._errors import LedgerbridgeError

__all__ = [
    "ConnectionDisconnectedError",
    "ConnectionNotFoundError",
    "InvalidStateError",
    "InvalidTransitionError",
    "LinkConflictError",
    "OperationNotFoundError",
    "OperationPendingError",
    "RecordNotFoundError",
    "RefreshRejected",
    "SettingsConflictError",
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


class RecordNotFoundError(StoreError):
    """The tenant has no record of this type with this app id."""

    user_message = "This record was never sent to ledgerbridge."


class LinkConflictError(StoreError):
    """A link would break the rule that one QBO object belongs to one app record.

    Either the QBO object is already linked to another app record (``linked_to`` names it),
    or :meth:`LinkStore.save` was asked to point a linked record at another QBO object,
    which takes :meth:`LinkStore.relink`.
    """

    user_message = (
        "This QuickBooks record is already linked to another record; unlink that one first."
    )

    def __init__(
        self,
        message: str,
        *,
        qbo_type: str,
        qbo_id: str,
        linked_to: tuple[str, str] | None,
        user_message: str | None = None,
    ) -> None:
        self.qbo_type = qbo_type
        self.qbo_id = qbo_id
        #: ``(record_type, app_id)`` of the record that holds the QBO object, if another does
        self.linked_to = linked_to
        super().__init__(message, user_message=user_message)


class SettingsConflictError(StoreError):
    """The settings were saved by someone else since the version the change was made on."""

    def __init__(
        self, tenant_id: str, *, expected_version: int | None, current_version: int | None
    ) -> None:
        self.tenant_id = tenant_id
        self.expected_version = expected_version
        self.current_version = current_version
        expected = "no settings" if expected_version is None else f"version {expected_version}"
        current = "no settings" if current_version is None else f"version {current_version}"
        super().__init__(
            f"the settings of tenant {tenant_id!r} were edited from {expected}, "
            f"but they are at {current} now",
            user_message=(
                f"Someone saved these settings while you were editing them (you edited "
                f"{expected}, the newest is {current}). Reload them and make your change again."
            ),
        )


class OperationNotFoundError(StoreError):
    """The tenant has no operation with this id."""

    user_message = "This sync operation does not exist."


class OperationPendingError(StoreError):
    """The record already has an unfinished (queued or running) operation.

    Resume that one (``operation_id``), with its ``requestid``, rather than writing the record
    a second time under a new one: QBO could end up with the object twice.
    """

    user_message = "This record is already being synced; wait for that sync to finish."

    def __init__(self, message: str, *, operation_id: str | None) -> None:
        self.operation_id = operation_id
        super().__init__(message)


class InvalidTransitionError(StoreError):
    """An operation was asked to move to a status its current status does not lead to."""

    user_message = "ledgerbridge tried to record a sync step out of order; the log has details."

    def __init__(
        self, operation_id: str, *, current: str, target: str, allowed: tuple[str, ...]
    ) -> None:
        self.operation_id = operation_id
        self.current = current
        self.target = target
        super().__init__(
            f"operation {operation_id} is {current}: it cannot become {target} "
            f"(only a {' or '.join(allowed)} operation can)"
        )
