"""The store's values: what goes in (``TokenGrant``) and what comes out (records).

Frozen dataclasses, so that nothing outside ``store`` holds a live SQLAlchemy row. Token
fields are left out of ``repr``: records get logged, tokens must not be.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, TypeAlias

__all__ = [
    "ConnectionRecord",
    "ConnectionStatus",
    "Environment",
    "Refresher",
    "TenantRecord",
    "TokenGrant",
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
