"""Connections to QuickBooks: connecting, the token source, and keeping tokens fresh.

The refresh rules of ``QBO-REFERENCE.md`` section 10.5 meet here: a token is refreshed
proactively a few minutes before it expires and after any 401, always through
:meth:`ledgerbridge.store.ConnectionStore.refresh`, which lets one refresh run at a time
across threads and processes and commits the rotated refresh token before the new access
token is used. ``invalid_grant`` becomes :class:`~ledgerbridge.store.RefreshRejected`: the
store marks the connection disconnected with the reason, and every later call raises
:class:`~ledgerbridge.store.ConnectionDisconnectedError` until the shop reconnects; nothing
queued is dropped, it waits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx

from ledgerbridge._errors import LedgerbridgeError
from ledgerbridge.qbo import (
    ACCOUNTING_SCOPE,
    InvalidGrantError,
    OAuthClient,
    QBOClient,
    QBOError,
    RetryPolicy,
    TokenSet,
    issue_state,
    verify_state,
)
from ledgerbridge.store import (
    ConnectionDisconnectedError,
    ConnectionNotFoundError,
    ConnectionRecord,
    ConnectionStore,
    Environment,
    Refresher,
    RefreshRejected,
    StoreError,
    TokenGrant,
)

__all__ = [
    "ConnectError",
    "ConnectFlow",
    "ConnectionTokens",
    "FreshnessReport",
    "grant_of",
    "keep_connections_fresh",
]

_log = logging.getLogger("ledgerbridge.engine")

#: Refresh this long before the access token dies (Intuit's hour; section 10.5 says ~55 min).
DEFAULT_LEEWAY = timedelta(minutes=5)


def grant_of(tokens: TokenSet) -> TokenGrant:
    """The store's view of a token pair the OAuth client received."""
    return TokenGrant(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        access_expires_at=tokens.access_expires_at,
        refresh_expires_at=tokens.refresh_expires_at,
        hard_expires_at=tokens.hard_expires_at,
    )


def _refresher(oauth: OAuthClient) -> Refresher:
    """The store's Refresher over ``oauth``: ``invalid_grant`` means the shop must reconnect."""

    async def refresh(refresh_token: str) -> TokenGrant:
        try:
            tokens = await oauth.refresh(refresh_token)
        except InvalidGrantError as exc:
            raise RefreshRejected(
                "QuickBooks refused the refresh token (invalid_grant): reconnect the company."
            ) from exc
        return grant_of(tokens)

    return refresh


class ConnectionTokens:
    """A :class:`~ledgerbridge.qbo.TokenSource` for one stored connection.

    The stored record is read again at most every ``reread`` seconds (default 5): a bulk push
    sends hundreds of requests a minute, and reading and decrypting the tokens for each cost
    more than the request itself. A refresh by another process is seen at the next read (the
    access token it replaced stays valid until it expires, and a 401 asks the store at once);
    so is a disconnect.
    """

    def __init__(
        self,
        store: ConnectionStore,
        oauth: OAuthClient,
        connection_id: str,
        *,
        leeway: timedelta = DEFAULT_LEEWAY,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        reread: timedelta = timedelta(seconds=5),
    ) -> None:
        self._store = store
        self._oauth = oauth
        self._id = connection_id
        self._leeway = leeway
        self._clock = clock
        self._reread = reread
        self._read: tuple[datetime, ConnectionRecord] | None = None

    async def access_token(self) -> str:
        """The stored access token, refreshed first when it is about to expire."""
        record = self._current()
        if record.access_expires_at - self._clock() <= self._leeway:
            record = await self._refresh(record.access_token)
        return record.access_token

    async def refreshed(self, rejected: str) -> str:
        """A new access token after QuickBooks answered 401 to ``rejected``."""
        return (await self._refresh(rejected)).access_token

    def _current(self) -> ConnectionRecord:
        now = self._clock()
        if self._read is not None and now - self._read[0] < self._reread:
            return self._read[1]
        record = self._store.by_id(self._id)
        if record is None:
            raise ConnectionNotFoundError(f"connection {self._id} does not exist")
        if record.status == "disconnected":
            raise ConnectionDisconnectedError(record.id, record.status_reason)
        self._read = (now, record)
        return record

    async def _refresh(self, rejected: str) -> ConnectionRecord:
        self._read = None
        record = await self._store.refresh(
            self._id, rejected_access_token=rejected, refresher=_refresher(self._oauth)
        )
        self._read = (self._clock(), record)
        return record


@dataclass(frozen=True)
class FreshnessReport:
    """What one run of the keep-fresh job did."""

    refreshed: list[str] = field(default_factory=list)
    disconnected: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


async def keep_connections_fresh(
    store: ConnectionStore,
    oauth_for: Callable[[Environment], OAuthClient],
    *,
    within: timedelta = timedelta(hours=2),
) -> FreshnessReport:
    """Refresh every connection whose tokens expire within ``within`` (the hourly job).

    An access token lives an hour and a refresh token 100 days rolling; refreshing what is
    close to either keeps a quiet shop connected. A connection Intuit refuses is marked
    disconnected (the console then asks for Reconnect); any other failure is reported and
    tried again at the next run.
    """
    report = FreshnessReport()
    for record in store.expiring(within=within):
        if record.status == "disconnected":
            continue
        try:
            await store.refresh(
                record.id,
                rejected_access_token=record.access_token,
                refresher=_refresher(oauth_for(record.environment)),
            )
        except ConnectionDisconnectedError:
            report.disconnected.append(record.id)
        except (QBOError, StoreError) as exc:
            _log.warning("keeping connection %s fresh failed: %s", record.id, type(exc).__name__)
            report.failed[record.id] = exc.user_message
        else:
            report.refreshed.append(record.id)
    return report


class ConnectError(LedgerbridgeError):
    """The OAuth callback cannot complete a connection."""

    user_message = "QuickBooks did not complete the connection: click Connect to try again."


class _StaticTokens:
    """The token source of the connect flow's one CompanyInfo read, before anything is stored."""

    def __init__(self, access_token: str) -> None:
        self._token = access_token

    async def access_token(self) -> str:
        return self._token

    async def refreshed(self, rejected: str) -> str:
        return self._token


class ConnectFlow:
    """Intuit's authorization-code flow for one tenant, ending in a stored connection.

    ``begin`` returns the consent-page URL with a ``state`` bound to the caller (tenant,
    environment and, from the console, the browser session) and recorded for one use;
    ``complete`` checks the callback's state (forged, expired and replayed states are
    refused), exchanges the code, reads the company's name and only then stores the
    connection: a callback that fails at any step leaves no connection row behind.
    """

    def __init__(
        self,
        store: ConnectionStore,
        oauth: OAuthClient,
        *,
        environment: Environment,
        api_base: str,
        state_secret: bytes,
        scopes: Sequence[str] = (ACCOUNTING_SCOPE,),
        api_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._store = store
        self._oauth = oauth
        self._environment: Environment = environment
        self._api_base = api_base
        self._secret = state_secret
        self._scopes = tuple(scopes)
        self._transport = api_transport

    def _binding(self, tenant_id: str, session: str) -> str:
        return f"{tenant_id}\x1f{self._environment}\x1f{session}"

    async def begin(self, tenant_id: str, *, session: str = "") -> str:
        """The URL of Intuit's consent page for this tenant (and browser session)."""
        if self._store.get_tenant(tenant_id) is None:
            raise ConnectError(f"unknown tenant {tenant_id!r}")
        binding = self._binding(tenant_id, session)
        state = issue_state(binding, secret=self._secret)
        nonce = verify_state(state, binding, secret=self._secret)
        self._store.record_state(nonce=nonce, tenant_id=tenant_id, environment=self._environment)
        return await self._oauth.authorization_url(state, scopes=self._scopes)

    async def complete(
        self,
        tenant_id: str,
        *,
        code: str | None,
        state: str | None,
        realm_id: str | None,
        session: str = "",
        error: str | None = None,
    ) -> ConnectionRecord:
        """Finish the flow with the callback's query parameters; returns the connection."""
        if error:
            raise ConnectError(
                f"QuickBooks answered {error!r}",
                user_message="The connection to QuickBooks was cancelled or refused: click "
                "Connect to try again.",
            )
        if not state:
            raise ConnectError("the callback carries no state")
        nonce = verify_state(state, self._binding(tenant_id, session), secret=self._secret)
        self._store.consume_state(nonce=nonce, tenant_id=tenant_id, environment=self._environment)
        if not code:
            raise ConnectError("the callback carries no authorization code")
        if not realm_id or not realm_id.isdigit():
            raise ConnectError(
                f"the callback names no valid company (realmId {realm_id!r})",
                user_message="QuickBooks did not say which company was connected: click "
                "Connect and choose the company again.",
            )
        tokens = await self._oauth.exchange_code(code, realm_id=realm_id, scopes=self._scopes)
        company_name = await self._company_name(tokens, realm_id)
        return self._store.save_connection(
            tenant_id=tenant_id,
            environment=self._environment,
            realm_id=realm_id,
            company_name=company_name,
            grant=grant_of(tokens),
        )

    async def _company_name(self, tokens: TokenSet, realm_id: str) -> str:
        async with QBOClient(
            realm_id,
            base_url=self._api_base,
            tokens=_StaticTokens(tokens.access_token),
            retry=RetryPolicy(max_attempts=3, throttle_wait=5.0),
            transport=self._transport,
        ) as qbo:
            info = await qbo.company_info()
        return str(info.get("CompanyName") or info.get("LegalName") or realm_id)
