"""The contracts between the QBO client and the parts built beside it (docs/design/qbo-client.md).

:class:`QBOClient` needs a bearer token and, optionally, permission to send; it asks for both
through the two Protocols here, so that it imports neither the store nor the governor. The
engine's ``ConnectionTokens`` implements :class:`TokenSource`; the rate governor implements
:class:`RequestGate`. :class:`TokenSet` is what the OAuth client hands back.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

__all__ = ["RequestGate", "SentMark", "SlotUnused", "TokenSet", "TokenSource"]


@runtime_checkable
class TokenSource(Protocol):
    """Where :class:`QBOClient` gets its bearer token.

    ``access_token`` refreshes proactively near expiry (section 10.5: refresh at about
    55 minutes). ``refreshed`` is called after QBO refused ``rejected`` with a 401 (3200): it
    returns a token other than ``rejected``, refreshing once under a lock, or the one another
    caller already got; it raises :class:`InvalidGrantError` when Intuit refuses the refresh
    token (the connection then needs the user).
    """

    async def access_token(self) -> str: ...

    async def refreshed(self, rejected: str) -> str: ...


class SentMark(Protocol):
    """What a gate's slot may hand the client: :meth:`sent` is called the moment the
    request has left (its body written to the socket), when the transport tells."""

    def sent(self) -> None: ...


@runtime_checkable
class RequestGate(Protocol):
    """What :class:`QBOClient` asks before each request (the rate governor implements it).

    ``slot`` admits one request of the realm (a ``batch`` request counts against the batch
    limit too, section 5) and holds a concurrency slot while it runs; ``pause`` stops every
    request of the realm for ``seconds`` after a 429 (section 13.1). A slot may yield a
    :class:`SentMark`, which the client marks when the request has left.
    """

    def slot(
        self, realm_id: str, *, batch: bool = False
    ) -> AbstractAsyncContextManager[SentMark | None]: ...

    def pause(self, realm_id: str, seconds: float) -> None: ...


class SlotUnused(Exception):
    """Raised inside a gate's ``slot`` block when nothing was sent after all.

    :meth:`QBOClient.batch_when_admitted` picks its items only once the gate has admitted the
    request, so that they wait in the caller's queue rather than in the gate's; when there is
    nothing left to send it raises this, and a gate that knows it (the governor) gives the
    place back instead of counting a request that never left. A gate that does not know it
    lets it pass and counts the slot as used, which is merely conservative.
    """


@dataclass(frozen=True)
class TokenSet:
    """A token pair as Intuit's token endpoint returns it, with absolute expiry times (UTC).

    Section 10.3: the access token lives an hour; the refresh token rolls over 100 days and
    may carry a hard five-year cap (``x_refresh_token_hard_expires_in``) when Intuit says.
    """

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    access_expires_at: datetime
    refresh_expires_at: datetime
    hard_expires_at: datetime | None
    realm_id: str | None
    scope: str
    id_token: str | None = field(default=None, repr=False)

    def access_expires_within(self, seconds: float, *, now: datetime | None = None) -> bool:
        """Whether the access token expires within ``seconds`` (the refresh leeway).

        Section 10.5 refreshes proactively (at about 55 minutes of the hour): call it with
        the leeway, e.g. ``access_expires_within(300)``.
        """
        moment = datetime.now(UTC) if now is None else now
        return moment + timedelta(seconds=seconds) >= self.access_expires_at
