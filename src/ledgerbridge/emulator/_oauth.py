"""Intuit's OAuth 2.0 / OpenID Connect server, as the emulator serves it.

Real Intuit clients (intuit-oauth for Python, the Node client, python-quickbooks behind them)
must work against the emulator unmodified, so the endpoints, the discovery document, the token
responses and the error bodies follow ``shared/QBO-REFERENCE.md`` section 10 (10.1 endpoints and
what the clients read from the discovery document, 10.2 the authorization request and callback,
10.3 the token endpoint, its errors, rotation, revoke and userinfo, 10.4 scopes) and the OAuth
item of the checklist in section 12. The ``intuit_tid`` response header that section 2.2 makes
mandatory (the Java client dereferences it without a null check) is added to every response by
a middleware elsewhere, not here.

:class:`OAuthServer` is the pure logic (no HTTP, time from the emulator's :class:`Clock`);
:func:`oauth_routes` serves it with Starlette.

Emulator assumptions where Intuit's behaviour is not verified:

* A superseded refresh token keeps working for ``rotation_grace`` seconds (Intuit: 24 hours).
  Using it returns the grant's *current latest* refresh token, without rotating again, together
  with a new access token, so a client that lost a refresh race converges on the same token.
* Revoking either an access token or a refresh token disconnects the whole grant.
* Authorization codes live ``code_ttl`` seconds (600); an exchange refused because of the wrong
  client or ``redirect_uri`` does not consume the code.
* ``id_token`` is returned by code exchanges and refreshes whenever the grant has ``openid``; its
  ``exp`` is always ``iat`` + 3600 real seconds, because clients check it against their own
  clock, even when the emulator's token lifetimes are scaled.
* ``userinfo`` returns ``sub`` plus the claims of the granted OpenID scopes only (``email``,
  ``profile``, ``phone``, ``address``), as OpenID Connect specifies.
* Access and refresh tokens never outlive the grant's absolute (5-year) expiry.
* The data API refuses (403, 3100) a token without the accounting scope.
* Revoking another client's token is refused with ``invalid_grant``.
* ``error_description`` texts other than "Incorrect or invalid refresh token" are ours.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import secrets
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, Protocol
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ledgerbridge.emulator._clock import Clock
from ledgerbridge.emulator._faults import application_authorization_failed, auth_failed

__all__ = [
    "ACCOUNTING_SCOPE",
    "INTUIT_ISSUER",
    "OPENID_SCOPE",
    "WEBHOOK_FORMATS",
    "App",
    "CompanyDirectory",
    "Grant",
    "OAuthError",
    "OAuthServer",
    "TokenResponse",
    "oauth_routes",
]

#: The issuer Intuit signs id_tokens with; the Node client compares ``iss`` with this literal.
INTUIT_ISSUER: Final = "https://oauth.platform.intuit.com/op/v1"
ACCOUNTING_SCOPE: Final = "com.intuit.quickbooks.accounting"
OPENID_SCOPE: Final = "openid"

# The id_token lifetime is not scaled with the emulator's clock: clients validate ``exp`` against
# their own wall clock (intuitlib ``validate_id_token``).
_ID_TOKEN_TTL: Final = 3600
_STATE_VERSION: Final = 1
_NEW_COMPANY: Final = "__new__"
_BAD_REFRESH: Final = "Incorrect or invalid refresh token"  # recorded Intuit text (section 10.3)

# The single emulator user every consent is given by.
_USER_SUB: Final = "6f1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"
_USER_EMAIL: Final = "emulator@example.com"
_USER_GIVEN_NAME: Final = "Emulator"
_USER_FAMILY_NAME: Final = "User"
_USER_PHONE: Final = "+1 5555550100"

_NO_CACHE: Final[Mapping[str, str]] = MappingProxyType(
    {"Cache-Control": "no-cache, no-store", "Pragma": "no-cache"}
)


# --------------------------------------------------------------------------------------------
# Public value types


@dataclass(eq=False)
class OAuthError(Exception):
    """An OAuth error: HTTP status, RFC 6749 ``error`` code and an optional description."""

    status: int
    error: str
    description: str | None = None

    def __post_init__(self) -> None:
        # Keep ``args`` meaningful (pickling, repr in tracebacks).
        super().__init__(self.status, self.error, self.description)

    def __str__(self) -> str:
        if self.description:
            return f"{self.status} {self.error}: {self.description}"
        return f"{self.status} {self.error}"

    def to_json(self) -> dict[str, str]:
        """The body Intuit sends: ``{"error": ..., "error_description": ...}``."""
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body


WEBHOOK_FORMATS = ("classic", "cloudevents")


@dataclass(frozen=True)
class App:
    """A registered developer app (the keys and settings of Intuit's developer portal)."""

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uris: tuple[str, ...]
    webhook_url: str | None = None
    verifier_token: str | None = field(default=None, repr=False)
    #: "classic" (``eventNotifications``) or "cloudevents" (section 9.2, 9.3)
    webhook_format: str = "classic"


@dataclass(frozen=True)
class Grant:
    """One app's authorization for one company, as the data API sees it."""

    client_id: str
    realm_id: str
    scope: str

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())


@dataclass(frozen=True)
class TokenResponse:
    """A successful token endpoint answer."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_in: int
    x_refresh_token_expires_in: int
    x_refresh_token_hard_expires_in: int
    realm_id: str
    scope: str
    id_token: str | None = field(default=None, repr=False)

    def to_json(self, include_hard_expiry: bool = False) -> dict[str, Any]:
        """The JSON body; the hard expiry only when the client sent
        ``x-include-refresh-token-hard-expires-in: true``."""
        body: dict[str, Any] = {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": "bearer",
            "expires_in": self.expires_in,
            "x_refresh_token_expires_in": self.x_refresh_token_expires_in,
        }
        if self.id_token is not None:
            body["id_token"] = self.id_token
        if include_hard_expiry:
            body["x_refresh_token_hard_expires_in"] = self.x_refresh_token_hard_expires_in
        return body


class CompanyDirectory(Protocol):
    """The companies the consent page offers (implemented by the emulator's company store)."""

    def companies(self) -> list[tuple[str, str]]:
        """``(realm_id, company name)`` pairs, newest last."""
        ...

    def create_company(self, name: str | None) -> str:
        """Create a company (default name when ``None``) and return its realm id."""
        ...


# --------------------------------------------------------------------------------------------
# Internal records


@dataclass(frozen=True)
class _CodeRecord:
    client_id: str
    redirect_uri: str
    scope: str
    realm_id: str
    expires_at: float


@dataclass
class _GrantRecord:
    grant_id: str
    grant: Grant
    scopes: frozenset[str]
    auth_time: float
    hard_expires_at: float
    latest_refresh: str = ""
    revoked_at: float | None = None


@dataclass
class _AccessRecord:
    grant_id: str
    expires_at: float


@dataclass
class _RefreshRecord:
    grant_id: str
    expires_at: float
    superseded_at: float | None = None


def _normalize_scope(scope: str) -> str:
    """Space-separated, single spaces, duplicates removed, order kept."""
    return " ".join(dict.fromkeys(scope.split()))


def _seconds(delta: float) -> int:
    return max(0, round(delta))


def _invalid_grant(description: str) -> OAuthError:
    return OAuthError(400, "invalid_grant", description)


def _invalid_client(description: str = "Client authentication failed") -> OAuthError:
    return OAuthError(401, "invalid_client", description)


def _require(**values: str) -> None:
    for name, value in values.items():
        if not value:
            raise OAuthError(400, "invalid_request", f"{name} is required")


# --------------------------------------------------------------------------------------------
# The server logic


class OAuthServer:
    """Apps, authorization codes, grants and tokens, with Intuit's lifetimes and rotation.

    All times come from ``clock`` (seconds), so tests advance it and a time-scaled emulator
    passes scaled TTLs; the ``expires_in`` values reported are derived from those TTLs.
    Mutations are serialized by a lock (the data API may authenticate from worker threads);
    :meth:`authenticate` only reads dictionaries and takes no lock.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        access_token_ttl: float = 3600,
        refresh_token_ttl: float = 8_726_400,
        rotation_grace: float = 86_400,
        code_ttl: float = 600,
        hard_expiry: float = 5 * 365 * 86_400,
    ) -> None:
        for name, value in (
            ("access_token_ttl", access_token_ttl),
            ("refresh_token_ttl", refresh_token_ttl),
            ("code_ttl", code_ttl),
            ("hard_expiry", hard_expiry),
        ):
            if value <= 0:
                raise ValueError(f"{name} must be positive")
        if rotation_grace < 0:
            raise ValueError("rotation_grace must not be negative")
        self._clock = clock
        self._access_ttl = float(access_token_ttl)
        self._refresh_ttl = float(refresh_token_ttl)
        self._grace = float(rotation_grace)
        self._code_ttl = float(code_ttl)
        self._hard_expiry = float(hard_expiry)
        self._lock = threading.RLock()
        self._apps: dict[str, App] = {}
        self._codes: dict[str, _CodeRecord] = {}
        self._grants: dict[str, _GrantRecord] = {}
        self._access: dict[str, _AccessRecord] = {}
        self._refresh: dict[str, _RefreshRecord] = {}
        # Generated on first use: a 2048-bit key costs ~0.1 s and most servers in tests never
        # sign an id_token.
        self._key: RSAKey | None = None
        self._next_sweep = 0.0

    # ---------------------------------------------------------------- apps

    def register_app(
        self,
        client_id: str,
        client_secret: str,
        redirect_uris: Sequence[str],
        webhook_url: str | None = None,
        verifier_token: str | None = None,
        webhook_format: str = "classic",
    ) -> App:
        """Register (or replace) an app; existing grants of that client stay valid."""
        if not client_id or not client_secret:
            raise ValueError("client_id and client_secret are required")
        if isinstance(redirect_uris, str):
            raise TypeError("redirect_uris must be a sequence of URIs, not a string")
        if webhook_format not in WEBHOOK_FORMATS:
            raise ValueError(f"webhook_format must be one of {', '.join(WEBHOOK_FORMATS)}")
        app = App(
            client_id,
            client_secret,
            tuple(redirect_uris),
            webhook_url,
            verifier_token,
            webhook_format,
        )
        with self._lock:
            self._apps[client_id] = app
        return app

    def set_lifetimes(
        self,
        *,
        access_token_ttl: float,
        refresh_token_ttl: float,
        rotation_grace: float,
        code_ttl: float,
    ) -> None:
        """New lifetimes for tokens issued from now on (a time-scaled emulator shrinks them)."""
        if min(access_token_ttl, refresh_token_ttl, code_ttl) <= 0 or rotation_grace < 0:
            raise ValueError("token lifetimes must be positive")
        with self._lock:
            self._access_ttl = float(access_token_ttl)
            self._refresh_ttl = float(refresh_token_ttl)
            self._grace = float(rotation_grace)
            self._code_ttl = float(code_ttl)
            self._next_sweep = 0.0

    def connected_apps(self, realm_id: str) -> list[App]:
        """Apps holding a grant for the company that nobody revoked (webhook subscribers)."""
        ids = {
            record.grant.client_id
            for record in list(self._grants.values())
            if record.grant.realm_id == realm_id and record.revoked_at is None
        }
        return [app for client_id, app in self._apps.items() if client_id in ids]

    def expire_access_tokens(self, realm_id: str) -> int:
        """Expire every live access token for the company now (fault injection)."""
        now = self._clock.timestamp()
        expired = 0
        with self._lock:
            grants = {g for g, r in self._grants.items() if r.grant.realm_id == realm_id}
            for record in self._access.values():
                if record.grant_id in grants and record.expires_at > now:
                    record.expires_at = now
                    expired += 1
        return expired

    def revoke_company(self, realm_id: str) -> int:
        """Revoke every grant for the company, as when the user disconnects the app in QBO."""
        now = self._clock.timestamp()
        revoked = 0
        with self._lock:
            for record in self._grants.values():
                if record.grant.realm_id == realm_id and record.revoked_at is None:
                    record.revoked_at = now
                    revoked += 1
        return revoked

    def app(self, client_id: str) -> App | None:
        return self._apps.get(client_id)

    def apps(self) -> list[App]:
        return list(self._apps.values())

    def authenticate_client(self, client_id: str, client_secret: str) -> App:
        """The app whose credentials these are, or ``invalid_client`` (401)."""
        app = self._apps.get(client_id)
        # Compare even for an unknown client so timing does not tell which ids exist.
        expected = app.client_secret if app is not None else secrets.token_urlsafe(16)
        matches = secrets.compare_digest(expected.encode(), client_secret.encode())
        if app is None or not matches:
            raise _invalid_client()
        return app

    def _require_app(self, client_id: str) -> App:
        app = self._apps.get(client_id)
        if app is None:
            raise _invalid_client("Unknown client_id")
        return app

    # ---------------------------------------------------------------- codes and grants

    def issue_code(self, client_id: str, redirect_uri: str, scope: str, realm_id: str) -> str:
        """A single-use authorization code for the consent just given."""
        app = self._require_app(client_id)
        if redirect_uri not in app.redirect_uris:
            raise OAuthError(400, "invalid_request", "redirect_uri is not registered for the app")
        scope = _normalize_scope(scope)
        if not scope:
            raise OAuthError(400, "invalid_scope", "scope is required")
        _require(realm_id=realm_id)
        code = secrets.token_urlsafe(32)
        with self._lock:
            now = self._clock.timestamp()
            self._sweep(now)
            self._codes[code] = _CodeRecord(
                client_id, redirect_uri, scope, realm_id, now + self._code_ttl
            )
        return code

    def exchange_code(self, client_id: str, code: str, redirect_uri: str) -> TokenResponse:
        """``grant_type=authorization_code``: a new grant and its first tokens."""
        _require(code=code, redirect_uri=redirect_uri)
        with self._lock:
            now = self._clock.timestamp()
            record = self._codes.get(code)
            if record is None:
                raise _invalid_grant("Invalid or already used authorization code")
            if now >= record.expires_at:
                del self._codes[code]
                raise _invalid_grant("Authorization code expired")
            if record.client_id != client_id:
                raise _invalid_grant("Authorization code was issued to another client")
            if record.redirect_uri != redirect_uri:
                raise _invalid_grant("redirect_uri does not match the authorization request")
            del self._codes[code]
            return self._new_grant(client_id, record.realm_id, record.scope, now)

    def issue_tokens(
        self, client_id: str, realm_id: str, scope: str = ACCOUNTING_SCOPE
    ) -> TokenResponse:
        """Admin shortcut: a grant as if the user had consented in a browser."""
        self._require_app(client_id)
        scope = _normalize_scope(scope)
        if not scope:
            raise OAuthError(400, "invalid_scope", "scope is required")
        _require(realm_id=realm_id)
        with self._lock:
            now = self._clock.timestamp()
            return self._new_grant(client_id, realm_id, scope, now)

    def refresh(self, client_id: str, refresh_token: str) -> TokenResponse:
        """``grant_type=refresh_token``: rotate the refresh token, issue a new access token.

        A superseded refresh token still inside ``rotation_grace`` returns the grant's current
        latest refresh token (emulator assumption, see the module docstring).
        """
        _require(refresh_token=refresh_token)
        with self._lock:
            now = self._clock.timestamp()
            self._sweep(now)
            record = self._refresh.get(refresh_token)
            grant = self._grants.get(record.grant_id) if record is not None else None
            if record is None or grant is None:
                raise _invalid_grant(_BAD_REFRESH)
            if grant.grant.client_id != client_id:
                raise _invalid_grant("Refresh token was issued to another client")
            if (
                grant.revoked_at is not None
                or now >= grant.hard_expires_at
                or now >= record.expires_at
                or (record.superseded_at is not None and now >= record.superseded_at + self._grace)
            ):
                raise _invalid_grant(_BAD_REFRESH)
            latest = self._refresh.get(grant.latest_refresh)
            if record.superseded_at is not None and latest is not None and now < latest.expires_at:
                new_refresh = grant.latest_refresh
            else:
                new_refresh = self._add_refresh(grant, now)
            access = self._add_access(grant, now)
            return self._response(grant, access, new_refresh, now)

    def revoke(self, client_id: str, token: str) -> None:
        """Disconnect the grant ``token`` (access or refresh) belongs to.

        Unknown and already revoked tokens are not an error (RFC 7009 section 2.2).
        """
        _require(token=token)
        with self._lock:
            now = self._clock.timestamp()
            refresh = self._refresh.get(token)
            access = self._access.get(token)
            if refresh is not None:
                grant_id = refresh.grant_id
            elif access is not None:
                grant_id = access.grant_id
            else:
                return
            grant = self._grants.get(grant_id)
            if grant is None:
                return
            if grant.grant.client_id != client_id:
                raise _invalid_grant("Token was issued to another client")
            if grant.revoked_at is None:
                grant.revoked_at = now

    # ---------------------------------------------------------------- data API and userinfo

    def authenticate(
        self, access_token: str, realm_id: str, *, required_scope: str | None = ACCOUNTING_SCOPE
    ) -> Grant:
        """The grant behind a data-API Bearer token, or the QBO Fault to answer with.

        401/3200 for an unknown, revoked or expired token; 403/3100 for a valid token used for
        another company or lacking ``required_scope``.
        """
        # Dictionary look-ups only: this runs on every data-API request.
        record = self._access.get(access_token)
        grant = self._grants.get(record.grant_id) if record is not None else None
        if record is None or grant is None:
            raise auth_failed("Token invalid")
        if grant.revoked_at is not None:
            raise auth_failed("Token revoked")
        if self._clock.timestamp() >= record.expires_at:
            # Intuit echoes the start of the token (section 1.8 recording); never the whole.
            raise auth_failed(f"Token expired: {access_token[:10]}...")
        if grant.grant.realm_id != realm_id:
            raise application_authorization_failed(
                f"The access token was not issued for company {realm_id}"
            )
        if required_scope is not None and required_scope not in grant.scopes:
            raise application_authorization_failed(
                f"The access token was not granted the {required_scope} scope"
            )
        return grant.grant

    def userinfo(self, access_token: str) -> dict[str, Any]:
        """Intuit's userinfo claims for the emulator user, filtered by the granted scopes."""
        record = self._access.get(access_token)
        grant = self._grants.get(record.grant_id) if record is not None else None
        if record is None or grant is None:
            raise OAuthError(401, "invalid_token", "Token invalid")
        if grant.revoked_at is not None:
            raise OAuthError(401, "invalid_token", "Token revoked")
        if self._clock.timestamp() >= record.expires_at:
            raise OAuthError(401, "invalid_token", "Token expired")
        if OPENID_SCOPE not in grant.scopes:
            raise OAuthError(403, "insufficient_scope", "The openid scope was not granted")
        info: dict[str, Any] = {"sub": _USER_SUB}
        if "email" in grant.scopes:
            info.update(email=_USER_EMAIL, emailVerified=True)
        if "profile" in grant.scopes:
            info.update(givenName=_USER_GIVEN_NAME, familyName=_USER_FAMILY_NAME)
        if "phone" in grant.scopes:
            info.update(phoneNumber=_USER_PHONE, phoneNumberVerified=False)
        if "address" in grant.scopes:
            info["address"] = {
                "streetAddress": "2700 Coast Avenue",
                "locality": "Mountain View",
                "region": "CA",
                "postalCode": "94043",
                "country": "US",
            }
        return info

    # ---------------------------------------------------------------- signing

    def jwks(self) -> dict[str, Any]:
        """The public JSON Web Key Set id_tokens verify against (``/op/v1/jwks``)."""
        return {"keys": [dict(self._signing_key().as_dict(private=False))]}

    def _signing_key(self) -> RSAKey:
        with self._lock:
            if self._key is None:
                self._key = RSAKey.generate_key(
                    2048, parameters={"use": "sig", "alg": "RS256"}, auto_kid=True
                )
            return self._key

    def _id_token(self, grant: _GrantRecord, now: float) -> str:
        key = self._signing_key()
        issued = int(now)
        claims = {
            "sub": _USER_SUB,
            # An array: intuitlib compares ``aud[0]`` with the client id.
            "aud": [grant.grant.client_id],
            "realmid": grant.grant.realm_id,
            "auth_time": int(grant.auth_time),
            "iss": INTUIT_ISSUER,
            "exp": issued + _ID_TOKEN_TTL,
            "iat": issued,
        }
        return jwt.encode({"alg": "RS256", "kid": key.kid or ""}, claims, key)

    # ---------------------------------------------------------------- persistence

    def export_state(self) -> dict[str, Any]:
        """Everything needed to survive a restart, as JSON-compatible data.

        The result holds client secrets, live tokens and the private signing key: store it
        where only the emulator can read it.
        """
        with self._lock:
            return {
                "version": _STATE_VERSION,
                "signing_key": (
                    dict(self._key.as_dict(private=True)) if self._key is not None else None
                ),
                "apps": [
                    {
                        "client_id": a.client_id,
                        "client_secret": a.client_secret,
                        "redirect_uris": list(a.redirect_uris),
                        "webhook_url": a.webhook_url,
                        "verifier_token": a.verifier_token,
                        "webhook_format": a.webhook_format,
                    }
                    for a in self._apps.values()
                ],
                "codes": [
                    {
                        "code": code,
                        "client_id": c.client_id,
                        "redirect_uri": c.redirect_uri,
                        "scope": c.scope,
                        "realm_id": c.realm_id,
                        "expires_at": c.expires_at,
                    }
                    for code, c in self._codes.items()
                ],
                "grants": [
                    {
                        "grant_id": g.grant_id,
                        "client_id": g.grant.client_id,
                        "realm_id": g.grant.realm_id,
                        "scope": g.grant.scope,
                        "auth_time": g.auth_time,
                        "hard_expires_at": g.hard_expires_at,
                        "latest_refresh": g.latest_refresh,
                        "revoked_at": g.revoked_at,
                    }
                    for g in self._grants.values()
                ],
                "access_tokens": [
                    {"token": token, "grant_id": r.grant_id, "expires_at": r.expires_at}
                    for token, r in self._access.items()
                ],
                "refresh_tokens": [
                    {
                        "token": token,
                        "grant_id": r.grant_id,
                        "expires_at": r.expires_at,
                        "superseded_at": r.superseded_at,
                    }
                    for token, r in self._refresh.items()
                ],
            }

    def import_state(self, state: dict[str, Any]) -> None:
        """Replace all apps, grants and tokens with an :meth:`export_state` result.

        Raises ``ValueError`` on an unknown version or malformed data, leaving the state as it
        was.
        """
        if state.get("version") != _STATE_VERSION:
            raise ValueError(f"unsupported OAuth state version: {state.get('version')!r}")
        try:
            key_data = state.get("signing_key")
            key = RSAKey.import_key(key_data) if key_data is not None else None
            if key is not None and not key.is_private:
                raise ValueError("the signing key must be a private key")
            if key is not None:
                key.ensure_kid()
            apps = {
                a["client_id"]: App(
                    str(a["client_id"]),
                    str(a["client_secret"]),
                    tuple(str(u) for u in a["redirect_uris"]),
                    a.get("webhook_url"),
                    a.get("verifier_token"),
                    a.get("webhook_format", "classic"),
                )
                for a in state["apps"]
            }
            codes = {
                c["code"]: _CodeRecord(
                    str(c["client_id"]),
                    str(c["redirect_uri"]),
                    str(c["scope"]),
                    str(c["realm_id"]),
                    float(c["expires_at"]),
                )
                for c in state["codes"]
            }
            grants: dict[str, _GrantRecord] = {}
            for g in state["grants"]:
                scope = str(g["scope"])
                revoked_at = g.get("revoked_at")
                grants[g["grant_id"]] = _GrantRecord(
                    grant_id=str(g["grant_id"]),
                    grant=Grant(str(g["client_id"]), str(g["realm_id"]), scope),
                    scopes=frozenset(scope.split()),
                    auth_time=float(g["auth_time"]),
                    hard_expires_at=float(g["hard_expires_at"]),
                    latest_refresh=str(g["latest_refresh"]),
                    revoked_at=float(revoked_at) if revoked_at is not None else None,
                )
            access = {
                t["token"]: _AccessRecord(str(t["grant_id"]), float(t["expires_at"]))
                for t in state["access_tokens"]
            }
            refresh: dict[str, _RefreshRecord] = {}
            for t in state["refresh_tokens"]:
                superseded = t.get("superseded_at")
                refresh[t["token"]] = _RefreshRecord(
                    str(t["grant_id"]),
                    float(t["expires_at"]),
                    float(superseded) if superseded is not None else None,
                )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"malformed OAuth state: {exc.__class__.__name__}") from exc
        with self._lock:
            self._key = key
            self._apps = apps
            self._codes = codes
            self._grants = grants
            self._access = access
            self._refresh = refresh
            self._next_sweep = 0.0

    # ---------------------------------------------------------------- internals

    def _new_grant(self, client_id: str, realm_id: str, scope: str, now: float) -> TokenResponse:
        self._sweep(now)
        grant_id = secrets.token_urlsafe(16)
        grant = _GrantRecord(
            grant_id=grant_id,
            grant=Grant(client_id, realm_id, scope),
            scopes=frozenset(scope.split()),
            auth_time=now,
            hard_expires_at=now + self._hard_expiry,
        )
        self._grants[grant_id] = grant
        refresh = self._add_refresh(grant, now)
        access = self._add_access(grant, now)
        return self._response(grant, access, refresh, now)

    def _add_refresh(self, grant: _GrantRecord, now: float) -> str:
        previous = self._refresh.get(grant.latest_refresh)
        if previous is not None and previous.superseded_at is None:
            previous.superseded_at = now
        token = secrets.token_urlsafe(32)
        expires_at = min(now + self._refresh_ttl, grant.hard_expires_at)
        self._refresh[token] = _RefreshRecord(grant.grant_id, expires_at)
        grant.latest_refresh = token
        return token

    def _add_access(self, grant: _GrantRecord, now: float) -> str:
        token = secrets.token_urlsafe(48)
        expires_at = min(now + self._access_ttl, grant.hard_expires_at)
        self._access[token] = _AccessRecord(grant.grant_id, expires_at)
        return token

    def _response(
        self, grant: _GrantRecord, access: str, refresh: str, now: float
    ) -> TokenResponse:
        return TokenResponse(
            access_token=access,
            refresh_token=refresh,
            expires_in=_seconds(self._access[access].expires_at - now),
            x_refresh_token_expires_in=_seconds(self._refresh[refresh].expires_at - now),
            x_refresh_token_hard_expires_in=_seconds(grant.hard_expires_at - now),
            realm_id=grant.grant.realm_id,
            scope=grant.grant.scope,
            id_token=self._id_token(grant, now) if OPENID_SCOPE in grant.scopes else None,
        )

    def _sweep(self, now: float) -> None:
        """Forget codes and tokens that stopped working long ago (caller holds the lock).

        Dead tokens are kept ``rotation_grace`` seconds more so that the data API can still say
        "Token expired" or "Token revoked" rather than "Token invalid"; the sweep runs at most
        once per access-token lifetime, so its cost is spread thin.
        """
        if now < self._next_sweep:
            return
        self._next_sweep = now + self._access_ttl
        retention = self._grace
        self._codes = {k: c for k, c in self._codes.items() if now < c.expires_at}

        def dead_since(grant_id: str, expires_at: float) -> float:
            grant = self._grants.get(grant_id)
            if grant is None:
                return float("-inf")
            ends = min(expires_at, grant.hard_expires_at)
            return ends if grant.revoked_at is None else min(ends, grant.revoked_at)

        self._access = {
            k: r
            for k, r in self._access.items()
            if now < dead_since(r.grant_id, r.expires_at) + retention
        }
        self._refresh = {
            k: r
            for k, r in self._refresh.items()
            if now
            < dead_since(
                r.grant_id,
                r.expires_at
                if r.superseded_at is None
                else min(r.expires_at, r.superseded_at + self._grace),
            )
            + retention
        }
        live = {r.grant_id for r in self._access.values()} | {
            r.grant_id for r in self._refresh.values()
        }
        self._grants = {k: g for k, g in self._grants.items() if k in live}


# --------------------------------------------------------------------------------------------
# HTTP


class _JSONResponse(JSONResponse):
    # The exact content type Intuit's OAuth endpoints send (section 10.3).
    media_type = "application/json;charset=UTF-8"


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _discovery_document(base: str) -> dict[str, Any]:
    """The discovery document Intuit serves (section 12), pointing at this emulator."""
    return {
        # Intuit's real issuer: the Node client hard-codes it and intuitlib compares the
        # id_token's ``iss`` with this field.
        "issuer": INTUIT_ISSUER,
        "authorization_endpoint": f"{base}/connect/oauth2",
        "token_endpoint": f"{base}/oauth2/v1/tokens/bearer",
        "userinfo_endpoint": f"{base}/v1/openid_connect/userinfo",
        "revocation_endpoint": f"{base}/v2/oauth2/tokens/revoke",
        "jwks_uri": f"{base}/op/v1/jwks",
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile", "address", "phone"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
    }


def _parse_form(body: bytes) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body; the first value of each field."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise OAuthError(400, "invalid_request", "The request body is not UTF-8") from exc
    return {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}


def _basic_credentials(header: str) -> tuple[str, str]:
    """``(client_id, client_secret)`` from ``Authorization: Basic ...``, else invalid_client."""
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic":
        raise _invalid_client("Unsupported client authentication scheme")
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise _invalid_client("Malformed Basic credentials") from exc
    client_id, sep, secret = decoded.partition(":")
    if not sep or not client_id:
        raise _invalid_client("Malformed Basic credentials")
    return client_id, secret


def _error_response(exc: OAuthError, headers: Mapping[str, str] | None = None) -> Response:
    all_headers = dict(headers or {})
    if exc.error == "invalid_client":
        all_headers["WWW-Authenticate"] = 'Basic realm="Intuit"'
    elif exc.error in ("invalid_token", "insufficient_scope"):
        all_headers["WWW-Authenticate"] = f'Bearer realm="Intuit", error="{exc.error}"'
    return _JSONResponse(exc.to_json(), status_code=exc.status, headers=all_headers)


def _with_query(uri: str, params: Sequence[tuple[str, str | None]]) -> str:
    """``uri`` with ``params`` appended to its query (``None`` values left out)."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, v) for k, v in params if v is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _redirect(uri: str, params: Sequence[tuple[str, str | None]]) -> Response:
    return RedirectResponse(_with_query(uri, params), status_code=302)


@dataclass(frozen=True)
class _AuthorizationRequest:
    app: App
    redirect_uri: str
    response_type: str
    scope: str
    state: str | None


_PAGE_CSS: Final = """
*{box-sizing:border-box}
body{margin:0;background:#f4f5f8;color:#393a3d;font:15px/1.5 -apple-system,BlinkMacSystemFont,
"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
main{max-width:520px;margin:48px auto;background:#fff;border-radius:8px;padding:32px;
box-shadow:0 1px 4px rgba(0,0,0,.12)}
.brand{color:#2ca01c;font-weight:700;letter-spacing:.02em;margin:0 0 16px}
h1{font-size:20px;line-height:1.35;margin:0 0 12px}
.muted{color:#6b6c72;font-size:13px}
ul.scopes{margin:4px 0 20px;padding-left:20px}
fieldset{border:1px solid #d4d7dc;border-radius:6px;padding:12px 16px;margin:0 0 20px}
legend{font-weight:600;padding:0 4px}
label.choice{display:block;padding:6px 0;cursor:pointer}
input[type=text]{width:100%;margin:4px 0 0 24px;max-width:calc(100% - 24px);padding:8px;
border:1px solid #babec5;border-radius:4px;font:inherit}
.actions{display:flex;flex-direction:row-reverse;justify-content:flex-start;gap:12px}
button{font:inherit;font-weight:600;border-radius:4px;padding:8px 24px;cursor:pointer}
button.primary{background:#2ca01c;border:1px solid #2ca01c;color:#fff}
button.secondary{background:#fff;border:1px solid #8d9096;color:#393a3d}
"""


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_PAGE_CSS}</style></head>"
        f'<body><main><p class="brand">QuickBooks Online emulator</p>{body}</main></body></html>'
    )


def _html_error(status: int, title: str, message: str) -> Response:
    body = f"<h1>{html.escape(title)}</h1><p>{html.escape(message)}</p>"
    return HTMLResponse(_page(title, body), status_code=status)


def _consent_page(action: str, req: _AuthorizationRequest, companies: list[tuple[str, str]]) -> str:
    e = html.escape
    title = f"{req.app.client_id} wants to connect to your QuickBooks company"
    hidden = [
        ("client_id", req.app.client_id),
        ("redirect_uri", req.redirect_uri),
        ("response_type", req.response_type),
        ("scope", req.scope),
    ]
    if req.state is not None:
        hidden.append(("state", req.state))
    hidden_html = "".join(f'<input type="hidden" name="{e(k)}" value="{e(v)}">' for k, v in hidden)
    scopes_html = "".join(f"<li><code>{e(s)}</code></li>" for s in req.scope.split())
    choices = []
    # Newest last in the directory; the newest is preselected, as auto-approve would pick it.
    for index, (realm_id, name) in enumerate(companies):
        checked = " checked" if index == len(companies) - 1 else ""
        choices.append(
            f'<label class="choice"><input type="radio" name="realm_id" value="{e(realm_id)}"'
            f'{checked}> {e(name)} <span class="muted">(Realm ID {e(realm_id)})</span></label>'
        )
    new_checked = "" if companies else " checked"
    choices.append(
        f'<label class="choice"><input type="radio" id="new-company" name="realm_id" '
        f'value="{_NEW_COMPANY}"{new_checked}> Create a new company</label>'
        '<input type="text" name="new_company_name" placeholder="Company name (optional)" '
        'aria-label="New company name" onfocus="document.getElementById(\'new-company\')'
        '.checked=true">'
    )
    body = (
        f"<h1>{e(title)}</h1>"
        f'<p class="muted">Redirects to {e(req.redirect_uri)}</p>'
        f'<p>It asks for:</p><ul class="scopes">{scopes_html}</ul>'
        f'<form method="post" action="{e(action)}">{hidden_html}'
        f"<fieldset><legend>Choose a company</legend>{''.join(choices)}</fieldset>"
        # Connect comes first in the document so that Enter submits it; CSS puts it right.
        '<div class="actions">'
        '<button type="submit" name="action" value="connect" class="primary">Connect</button>'
        '<button type="submit" name="action" value="cancel" class="secondary">Cancel</button>'
        "</div></form>"
    )
    return _page(title, body)


def oauth_routes(
    server: OAuthServer, companies: CompanyDirectory, *, auto_approve: Callable[[], bool]
) -> list[BaseRoute]:
    """The OAuth / OpenID endpoints of section 10.1, on the emulator's own base URL."""

    def validate(params: Mapping[str, str]) -> _AuthorizationRequest | Response:
        """The request, or the response refusing it (HTML when it cannot safely redirect)."""
        client_id = params.get("client_id", "")
        app = server.app(client_id) if client_id else None
        if app is None:
            return _html_error(
                400,
                "Unknown application",
                f"No app is registered with client_id {client_id!r}."
                if client_id
                else "The request has no client_id.",
            )
        redirect_uri = params.get("redirect_uri", "")
        if redirect_uri not in app.redirect_uris:
            # Never redirect to an unregistered URI (open redirector, RFC 6749 section 4.1.2.1).
            return _html_error(
                400,
                "Invalid redirect_uri",
                f"The redirect_uri {redirect_uri!r} is not registered for {client_id}.",
            )
        state = params.get("state")
        response_type = params.get("response_type", "")
        if response_type != "code":
            return _redirect(
                redirect_uri, [("error", "unsupported_response_type"), ("state", state)]
            )
        scope = _normalize_scope(params.get("scope", ""))
        if not scope:
            return _redirect(redirect_uri, [("error", "invalid_scope"), ("state", state)])
        return _AuthorizationRequest(app, redirect_uri, response_type, scope, state)

    def approve(req: _AuthorizationRequest, realm_id: str) -> Response:
        code = server.issue_code(req.app.client_id, req.redirect_uri, req.scope, realm_id)
        return _redirect(
            req.redirect_uri, [("code", code), ("state", req.state), ("realmId", realm_id)]
        )

    async def discovery(request: Request) -> Response:
        return _JSONResponse(_discovery_document(_base_url(request)))

    async def authorize_page(request: Request) -> Response:
        req = validate(request.query_params)
        if isinstance(req, Response):
            return req
        if auto_approve():
            known = companies.companies()
            # Newest last: the company a developer most likely just created for the test.
            realm_id = known[-1][0] if known else companies.create_company("Sandbox Company US 1")
            return approve(req, realm_id)
        action = f"{_base_url(request)}/connect/oauth2"
        return HTMLResponse(_consent_page(action, req, companies.companies()))

    async def authorize_submit(request: Request) -> Response:
        try:
            form = _parse_form(await request.body())
        except OAuthError as exc:
            return _html_error(400, "Bad request", exc.description or exc.error)
        req = validate(form)
        if isinstance(req, Response):
            return req
        action = form.get("action", "connect")
        if action == "cancel":
            return _redirect(req.redirect_uri, [("error", "access_denied"), ("state", req.state)])
        if action != "connect":
            return _html_error(400, "Bad request", f"Unknown action {action!r}.")
        realm_id = form.get("realm_id", "")
        if realm_id and realm_id != _NEW_COMPANY:
            if realm_id not in {realm for realm, _ in companies.companies()}:
                return _html_error(400, "Unknown company", f"No company has realm ID {realm_id}.")
        elif realm_id == _NEW_COMPANY or "new_company_name" in form:
            realm_id = companies.create_company(form.get("new_company_name", "").strip() or None)
        else:
            return _html_error(400, "No company chosen", "Choose a company to connect to.")
        return approve(req, realm_id)

    def client_of(request: Request, form: Mapping[str, str]) -> App:
        header = request.headers.get("authorization")
        if header is not None:
            client_id, secret = _basic_credentials(header)
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
            if not client_id:
                raise _invalid_client("Client authentication is required")
        return server.authenticate_client(client_id, secret)

    async def token(request: Request) -> Response:
        try:
            form = _parse_form(await request.body())
            app = client_of(request, form)
            grant_type = form.get("grant_type", "")
            if grant_type == "authorization_code":
                result = server.exchange_code(
                    app.client_id, form.get("code", ""), form.get("redirect_uri", "")
                )
            elif grant_type == "refresh_token":
                result = server.refresh(app.client_id, form.get("refresh_token", ""))
            elif not grant_type:
                raise OAuthError(400, "invalid_request", "grant_type is required")
            else:
                raise OAuthError(400, "unsupported_grant_type", f"Unsupported: {grant_type}")
        except OAuthError as exc:
            return _error_response(exc, _NO_CACHE)
        hard = request.headers.get("x-include-refresh-token-hard-expires-in", "")
        body = result.to_json(include_hard_expiry=hard.strip().lower() == "true")
        return _JSONResponse(body, headers=_NO_CACHE)

    async def revoke(request: Request) -> Response:
        body = await request.body()
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        form: dict[str, str] = {}
        token_value: object = None
        try:
            if content_type == "application/json" or content_type.endswith("+json"):
                # intuitlib posts ``{"token": ...}``.
                try:
                    data = json.loads(body)
                except ValueError:
                    data = None
                token_value = data.get("token") if isinstance(data, dict) else None
            else:
                # node-quickbooks posts ``token=...`` form-encoded.
                form = _parse_form(body)
                token_value = form.get("token")
            app = client_of(request, form)
            if not isinstance(token_value, str) or not token_value:
                raise OAuthError(400, "invalid_request", "token is required")
            server.revoke(app.client_id, token_value)
        except OAuthError as exc:
            return _error_response(exc, _NO_CACHE)
        return Response(status_code=200, headers=_NO_CACHE)

    async def userinfo(request: Request) -> Response:
        scheme, _, value = request.headers.get("authorization", "").strip().partition(" ")
        try:
            if scheme.lower() != "bearer" or not value.strip():
                raise OAuthError(401, "invalid_token", "A Bearer access token is required")
            return _JSONResponse(server.userinfo(value.strip()))
        except OAuthError as exc:
            return _error_response(exc)

    async def jwks(request: Request) -> Response:
        return _JSONResponse(server.jwks())

    routes: list[BaseRoute] = []
    # Both spellings with and without the slash, answered directly: intuitlib's built-in URLs
    # end in "/" and a redirect would be one more thing for clients to get wrong.
    for name in ("openid_sandbox_configuration", "openid_configuration"):
        routes.append(Route(f"/.well-known/{name}", discovery, methods=["GET"]))
        routes.append(Route(f"/.well-known/{name}/", discovery, methods=["GET"]))
    routes += [
        Route("/connect/oauth2", authorize_page, methods=["GET"]),
        Route("/connect/oauth2", authorize_submit, methods=["POST"]),
        Route("/oauth2/v1/tokens/bearer", token, methods=["POST"]),
        Route("/v2/oauth2/tokens/revoke", revoke, methods=["POST"]),
        Route("/v1/openid_connect/userinfo", userinfo, methods=["GET", "POST"]),
        Route("/op/v1/jwks", jwks, methods=["GET"]),
    ]
    return routes
