"""The OAuth 2.0 client for Intuit: connect a company, exchange codes, refresh, revoke.

It follows ``shared/QBO-REFERENCE.md`` section 10 and leaves the protocol work to Authlib's
httpx integration (STYLE.md), adding only what is Intuit's own:

* every endpoint comes from the environment's discovery document (section 10.1), fetched once
  per :class:`OAuthClient`; production, sandbox and the emulator differ in nothing else;
* the client authenticates with HTTP Basic (section 10.3) at the token and revoke endpoints;
* token requests send ``x-include-refresh-token-hard-expires-in: true`` so that Intuit reports
  the five-year cap (section 10.3, "Hard-expiry field");
* relative lifetimes (``expires_in``, ``x_refresh_token_expires_in``,
  ``x_refresh_token_hard_expires_in``) become absolute UTC times in a :class:`TokenSet`,
  counted from the moment the request was sent, so that they err on the early side;
* answers are screened before Authlib parses them, so that every failure becomes an error of
  the taxonomy in :mod:`ledgerbridge.qbo._errors` carrying the HTTP status and Intuit's
  ``intuit_tid`` (section 10.5: "All token responses carry intuit_tid; log it").

Errors (added here to the taxonomy)::

    QBOError
    ├── ReconnectError
    │   ├── InvalidGrantError             invalid_grant: code or refresh token used, expired,
    │   │                                 revoked (section 10.3); from _errors
    │   ├── InvalidClientError            invalid_client (401): wrong client id or secret
    │   └── OAuthProtocolError            any other OAuth error code (invalid_request, ...)
    └── RetryLaterError
        ├── ServerError                   5xx, gateway pages; from _errors
        │   └── MalformedOAuthResponseError       a 200 whose body is unusable
        │       └── MalformedTokenResponseError   ... at the token endpoint; ``field`` names it
        ├── ThrottledError                429; from _errors
        └── TransportError                no answer; from _errors

A malformed token answer is retried rather than reported as a lost connection: a refresh may
have rotated the token server-side, and Intuit honours the previous refresh token for 24 hours
(section 10.3), so sending the same refresh token again converges.

No token, code or secret is ever logged or put into an error message; ``TokenSet``'s ``repr``
hides them.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Final, Self

import anyio
import authlib.deprecate  # type: ignore[import-untyped]  # noqa: F401  (first: see below)
import httpx

from ._environments import Environment
from ._errors import (
    AuthenticationError,
    AuthorizationError,
    FaultEntry,
    InvalidGrantError,
    QBOError,
    ReconnectError,
    ServerError,
    error_from_response,
    error_from_transport,
    intuit_tid_of,
)
from ._types import TokenSet

with warnings.catch_warnings():
    # Authlib 1.9 prefers the ``httpx2`` fork and warns once per process when it falls back on
    # httpx, the project's HTTP library; its fallback is what we use on purpose. (Authlib
    # installs an "always" filter for its warnings on import, hence ``authlib.deprecate`` above:
    # this narrower filter must come after it to win.)
    warnings.filterwarnings("ignore", message="The httpx module is deprecated")
    from authlib.integrations.httpx_client import (  # type: ignore[import-untyped]
        AsyncOAuth2Client,
    )

__all__ = [
    "ACCOUNTING_SCOPE",
    "InvalidClientError",
    "MalformedOAuthResponseError",
    "MalformedTokenResponseError",
    "OAuthClient",
    "OAuthProtocolError",
    "ProviderMetadata",
    "TokenSet",
]

_log = logging.getLogger(__name__)

#: The scope of the Accounting API (section 10.4).
ACCOUNTING_SCOPE: Final = "com.intuit.quickbooks.accounting"

# Section 10.3: sent on every token request so that Intuit adds x_refresh_token_hard_expires_in.
_HARD_EXPIRY_HEADER: Final = "x-include-refresh-token-hard-expires-in"
_TOKEN_HEADERS: Final[Mapping[str, str]] = {
    "Accept": "application/json",
    "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
    _HARD_EXPIRY_HEADER: "true",
}
# What the rest of the client reads from the discovery document (section 10.1).
_REQUIRED_METADATA: Final = (
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "revocation_endpoint",
    "userinfo_endpoint",
    "jwks_uri",
)


# --------------------------------------------------------------------------------------------
# Errors


class InvalidClientError(ReconnectError):
    """``invalid_client`` (HTTP 401): Intuit does not accept the app's client id or secret.

    Reconnecting alone cannot fix it: the operator must correct the app's keys first. It is a
    :class:`ReconnectError` because the worker does the same thing (stop the realm and wait for
    a person).
    """

    user_message = (
        "QuickBooks rejected ledgerbridge's app keys: check LEDGERBRIDGE_QBO_CLIENT_ID and "
        "LEDGERBRIDGE_QBO_CLIENT_SECRET against the app's keys in Intuit's developer portal, "
        "then reconnect."
    )


class OAuthProtocolError(ReconnectError):
    """Another OAuth error (``invalid_request``, ``unauthorized_client``, ``invalid_scope``...).

    These point at the app's configuration or at a bug, not at a passing problem; the realm
    waits for a person.
    """

    user_message = (
        "QuickBooks' sign-in service refused ledgerbridge's request: reconnect, and if it "
        "happens again report it with the intuit_tid from the log."
    )


class MalformedOAuthResponseError(ServerError):
    """An OAuth answer with a success status but an unusable body; ``field`` names the part.

    A :class:`ServerError` (retry later): the same request usually succeeds the next time.
    """

    def __init__(
        self,
        description: str,
        *,
        field: str | None = None,
        status: int | None = None,
        intuit_tid: str | None = None,
    ) -> None:
        self.field = field
        super().__init__(
            description,
            status=status,
            errors=[FaultEntry(None, description, None, field)],
            intuit_tid=intuit_tid,
        )


class MalformedTokenResponseError(MalformedOAuthResponseError):
    """The token endpoint answered 200 with a body that is not a usable token response."""


# --------------------------------------------------------------------------------------------
# Values


@dataclass(frozen=True)
class ProviderMetadata:
    """The endpoints of the discovery document (OpenID Connect Discovery; section 10.1)."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    revocation_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str


# --------------------------------------------------------------------------------------------
# The client


class OAuthClient:
    """Intuit's OAuth 2.0 endpoints for one app in one environment.

    Use it as an async context manager (it owns an HTTP connection pool). ``transport`` lets
    tests and the demo mount the emulator in-process (``httpx.ASGITransport``).
    """

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        environment: Environment,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        if not client_id or not client_secret:
            raise ValueError("client_id and client_secret are required")
        if not redirect_uri:
            raise ValueError("redirect_uri is required")
        self._environment = environment
        self._http: Any = AsyncOAuth2Client(
            client_id=client_id,
            client_secret=client_secret,
            redirect_uri=redirect_uri,
            # Section 10.3: Intuit's clients send the credentials as HTTP Basic.
            token_endpoint_auth_method="client_secret_basic",
            revocation_endpoint_auth_method="client_secret_basic",
            transport=transport,
            timeout=timeout,
            follow_redirects=False,
        )
        # Screen token answers before Authlib parses them (it would drop status and intuit_tid).
        self._http.register_compliance_hook("access_token_response", self._screen_token_response)
        self._http.register_compliance_hook("refresh_token_response", self._screen_token_response)
        self._metadata: ProviderMetadata | None = None
        self._metadata_lock = anyio.Lock()

    @property
    def environment(self) -> Environment:
        return self._environment

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    # ---------------------------------------------------------------- discovery

    async def metadata(self) -> ProviderMetadata:
        """The environment's endpoints, from its discovery document (fetched once, then kept).

        Section 10.1: the endpoints are the same for production and sandbox, but reading them
        from the document is what lets the emulator stand in anywhere.
        """
        async with self._metadata_lock:
            if self._metadata is None:
                self._metadata = await self._fetch_metadata()
            return self._metadata

    async def _fetch_metadata(self) -> ProviderMetadata:
        url = self._environment.discovery_url
        response = await self._send("GET", url, write=False, headers={"Accept": "application/json"})
        if response.status_code != 200:
            raise _error_for(response, what="The discovery document request", client_endpoint=False)
        document = _json_object(response, MalformedOAuthResponseError, "discovery document")
        values: dict[str, str] = {}
        for name in _REQUIRED_METADATA:
            value = document.get(name)
            if not isinstance(value, str) or not value:
                raise MalformedOAuthResponseError(
                    f"The discovery document at {url} has no {name}.",
                    field=name,
                    status=response.status_code,
                    intuit_tid=intuit_tid_of(response.headers),
                )
            values[name] = value
        _log.debug(
            "OAuth discovery document read from %s (intuit_tid %s)",
            url,
            intuit_tid_of(response.headers),
        )
        return ProviderMetadata(**values)

    # ---------------------------------------------------------------- authorization

    async def authorization_url(
        self, state: str, *, scopes: Sequence[str] = (ACCOUNTING_SCOPE,)
    ) -> str:
        """Where to send the user to connect a company (section 10.2).

        ``state`` comes from :func:`ledgerbridge.qbo._state.issue_state`, bound to the user's
        session; Intuit echoes it on the redirect together with ``code`` and ``realmId``.
        """
        if not state:
            raise ValueError("state is required: it protects the callback from CSRF")
        if isinstance(scopes, str) or not scopes:
            raise ValueError("scopes must be a non-empty sequence of scope names")
        metadata = await self.metadata()
        url, _ = self._http.create_authorization_url(
            metadata.authorization_endpoint, state=state, scope=" ".join(scopes)
        )
        return str(url)

    async def exchange_code(
        self, code: str, *, realm_id: str, scopes: Sequence[str] = (ACCOUNTING_SCOPE,)
    ) -> TokenSet:
        """Trade the callback's ``code`` for the first tokens of the connection (section 10.3).

        ``realm_id`` is the callback's ``realmId``. Intuit's token answers do not echo the
        scope, so ``scopes`` should be those asked for in :meth:`authorization_url` (Intuit
        grants all or nothing); a ``scope`` in the answer wins. A used or expired code raises
        :class:`InvalidGrantError`. The ``id_token`` (with ``openid``) is passed on unverified:
        ledgerbridge identifies the user through :meth:`userinfo`, over TLS, not through it.
        """
        if not code:
            raise ValueError("code is required")
        metadata = await self.metadata()
        sent_at = datetime.now(UTC)
        try:
            token = await self._guard(
                self._http.fetch_token(
                    metadata.token_endpoint,
                    grant_type="authorization_code",
                    code=code,
                    headers=dict(_TOKEN_HEADERS),
                ),
                write=True,
            )
        except InvalidGrantError as exc:
            # Same class, a sentence that fits the moment: the user is mid-connection.
            exc.user_message = (
                "QuickBooks did not accept the authorization (the link was already used or "
                "is too old): click Connect to QuickBooks again."
            )
            raise
        tokens = _token_set(token, sent_at=sent_at, realm_id=realm_id, scopes=scopes)
        _log.debug("OAuth code exchanged for realm %s", realm_id)
        return tokens

    async def refresh(
        self, refresh_token: str, *, realm_id: str | None = None, scopes: Sequence[str] = ()
    ) -> TokenSet:
        """A new access token, and the rotated refresh token to store at once (section 10.3).

        Persist the answer's ``refresh_token`` before using its access token (section 10.5).
        ``realm_id`` and ``scopes`` are carried into the :class:`TokenSet` (Intuit's answer has
        neither). A revoked, expired or superseded refresh token raises
        :class:`InvalidGrantError`: the user must reconnect.
        """
        if not refresh_token:
            raise ValueError("refresh_token is required")
        metadata = await self.metadata()
        sent_at = datetime.now(UTC)
        token = await self._guard(
            self._http.refresh_token(
                metadata.token_endpoint,
                refresh_token=refresh_token,
                headers=dict(_TOKEN_HEADERS),
            ),
            write=True,
        )
        tokens = _token_set(token, sent_at=sent_at, realm_id=realm_id, scopes=scopes)
        _log.debug("OAuth tokens refreshed for realm %s", realm_id)
        return tokens

    async def revoke(self, token: str) -> None:
        """Revoke a refresh or access token: either disconnects the app from the company.

        Section 10.3 (Revoke); an unknown token is not an error (RFC 7009 section 2.2).
        """
        if not token:
            raise ValueError("token is required")
        metadata = await self.metadata()
        response: httpx.Response = await self._guard(
            self._http.revoke_token(
                metadata.revocation_endpoint,
                token=token,
                headers={"Accept": "application/json"},
            ),
            write=True,
        )
        if response.status_code != 200:
            raise _error_for(response, what="The revocation request", client_endpoint=True)
        _log.debug("OAuth token revoked (intuit_tid %s)", intuit_tid_of(response.headers))

    async def userinfo(self, access_token: str) -> dict[str, Any]:
        """The OpenID claims of the user who connected (needs ``openid`` and e.g. ``email``).

        Section 10.3 (UserInfo); a refused token raises :class:`AuthenticationError`, a token
        without the ``openid`` scope :class:`AuthorizationError`.
        """
        if not access_token:
            raise ValueError("access_token is required")
        metadata = await self.metadata()
        response = await self._send(
            "GET",
            metadata.userinfo_endpoint,
            write=False,
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
        )
        if response.status_code != 200:
            raise _error_for(response, what="The userinfo request", client_endpoint=False)
        return _json_object(response, MalformedOAuthResponseError, "userinfo answer")

    # ---------------------------------------------------------------- plumbing

    async def _send(
        self, method: str, url: str, *, write: bool, headers: Mapping[str, str]
    ) -> httpx.Response:
        """A plain request through Authlib's client (no token of its own attached)."""
        response: httpx.Response = await self._guard(
            self._http.request(method, url, headers=dict(headers), withhold_token=True),
            write=write,
        )
        return response

    @staticmethod
    async def _guard(awaitable: Any, *, write: bool) -> Any:
        """Await an HTTP call, turning a missing answer into the taxonomy's TransportError.

        Token requests count as writes: a refresh whose answer was lost may have rotated the
        token (section 10.3), which is what :class:`UncertainOutcomeError` says.
        """
        try:
            return await awaitable
        except httpx.TransportError as exc:
            raise error_from_transport(exc, write=write) from exc

    def _screen_token_response(self, response: httpx.Response) -> httpx.Response:
        """Authlib compliance hook: raise our error for any answer that is not a token."""
        if response.status_code != 200:
            raise _error_for(response, what="The token request", client_endpoint=True)
        body = _json_object(response, MalformedTokenResponseError, "token response")
        _token_fields(body, status=response.status_code, intuit_tid=intuit_tid_of(response.headers))
        _log.debug("OAuth token response received (intuit_tid %s)", intuit_tid_of(response.headers))
        return response


# --------------------------------------------------------------------------------------------
# Parsing and errors


@dataclass(frozen=True)
class _TokenFields:
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int
    hard_expires_in: int | None
    scope: str | None
    id_token: str | None


def _token_fields(
    body: Mapping[str, Any], *, status: int | None = None, intuit_tid: str | None = None
) -> _TokenFields:
    """The fields of a token answer, checked (section 10.3 "Success")."""

    def bad(name: str, problem: str) -> MalformedTokenResponseError:
        return MalformedTokenResponseError(
            f"The token response {problem}: {name}.",
            field=name,
            status=status,
            intuit_tid=intuit_tid,
        )

    def optional_text(name: str) -> str | None:
        value = body.get(name)
        if value is not None and (not isinstance(value, str) or not value):
            raise bad(name, "has a field that is not a non-empty string")
        return value

    def text(name: str) -> str:
        value = optional_text(name)
        if value is None:
            raise bad(name, "lacks a required field")
        return value

    def optional_seconds(name: str) -> int | None:
        value = body.get(name)
        # bool is an int in Python, but a JSON true is no lifetime.
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise bad(name, "has a field that is not an integer number of seconds")
        if value is not None and value < 0:
            raise bad(name, "has a negative lifetime")
        return value

    def seconds(name: str) -> int:
        value = optional_seconds(name)
        if value is None:
            raise bad(name, "lacks a required field")
        return value

    token_type = body.get("token_type")
    if token_type is not None and (
        not isinstance(token_type, str) or token_type.lower() != "bearer"
    ):
        raise bad("token_type", "has a token type other than bearer")
    scope = body.get("scope")
    if isinstance(scope, list) and all(isinstance(item, str) for item in scope):
        scope = " ".join(scope)
    elif scope is not None and not isinstance(scope, str):
        raise bad("scope", "has a field that is not a string")
    return _TokenFields(
        access_token=text("access_token"),
        refresh_token=text("refresh_token"),
        expires_in=seconds("expires_in"),
        refresh_expires_in=seconds("x_refresh_token_expires_in"),
        hard_expires_in=optional_seconds("x_refresh_token_hard_expires_in"),
        scope=scope,
        id_token=optional_text("id_token"),
    )


def _token_set(
    token: Mapping[str, Any],
    *,
    sent_at: datetime,
    realm_id: str | None,
    scopes: Sequence[str],
) -> TokenSet:
    """A :class:`TokenSet` from Authlib's parsed token (already screened by the hook)."""
    fields = _token_fields(token)
    hard = fields.hard_expires_in
    return TokenSet(
        access_token=fields.access_token,
        refresh_token=fields.refresh_token,
        access_expires_at=sent_at + timedelta(seconds=fields.expires_in),
        refresh_expires_at=sent_at + timedelta(seconds=fields.refresh_expires_in),
        hard_expires_at=sent_at + timedelta(seconds=hard) if hard is not None else None,
        realm_id=realm_id,
        scope=fields.scope if fields.scope is not None else " ".join(scopes),
        id_token=fields.id_token,
    )


def _json_object(
    response: httpx.Response, error: type[MalformedOAuthResponseError], what: str
) -> dict[str, Any]:
    """The JSON object of a 200 answer, or ``error`` saying why it is not one."""
    tid = intuit_tid_of(response.headers)
    try:
        document = response.json()
    except (ValueError, UnicodeDecodeError):
        document = None
        problem = "is not JSON"
    else:
        problem = "is not a JSON object"
    if not isinstance(document, dict):
        raise error(
            f"The {what} {problem} (HTTP {response.status_code}, "
            f"content-type {response.headers.get('content-type', 'none')!r}).",
            status=response.status_code,
            intuit_tid=tid,
        )
    return document


def _error_for(response: httpx.Response, *, what: str, client_endpoint: bool) -> QBOError:
    """The taxonomy's error for an OAuth answer that is not a success (section 10.3 Errors).

    ``client_endpoint`` says whether the endpoint authenticates the app (token, revoke), so
    that a bare 401 means bad app keys there and a refused access token elsewhere.
    """
    status = response.status_code
    tid = intuit_tid_of(response.headers)
    if status in (408, 429) or status >= 500:
        # Throttling and outages look the same as on the data API: retry later.
        return error_from_response(response) or ServerError(status=status, intuit_tid=tid)
    code, description = _oauth_error_body(response)
    if code is None:
        # No OAuth error body (a gateway page, an empty answer): classify by the status.
        if status == 401:
            code = "invalid_client" if client_endpoint else "invalid_token"
        elif status == 403:
            code = "insufficient_scope"
        else:
            code = "invalid_request"
    cls = _OAUTH_ERRORS.get(code, OAuthProtocolError)
    return cls(
        f"{what} was refused with {code}" + (f": {description}." if description else "."),
        status=status,
        errors=[FaultEntry(code, description)],
        intuit_tid=tid,
    )


#: OAuth ``error`` codes (RFC 6749 section 5.2, RFC 6750 section 3.1) and their classes.
_OAUTH_ERRORS: Final[Mapping[str, type[QBOError]]] = {
    "invalid_grant": InvalidGrantError,
    "invalid_client": InvalidClientError,
    "invalid_token": AuthenticationError,
    "insufficient_scope": AuthorizationError,
}


def _oauth_error_body(response: httpx.Response) -> tuple[str | None, str | None]:
    """``(error, error_description)`` of an OAuth error body, ``(None, None)`` otherwise."""
    try:
        document = response.json()
    except (ValueError, UnicodeDecodeError):
        return None, None
    if not isinstance(document, dict):
        return None, None
    code = document.get("error")
    description = document.get("error_description")
    return (
        code if isinstance(code, str) and code else None,
        description if isinstance(description, str) and description else None,
    )
