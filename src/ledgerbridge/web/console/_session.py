"""The console's browser session: who is logged in, the CSRF token, the OAuth binding.

The session lives in a cookie signed with a key derived from the deployment's secret key
(Starlette's ``SessionMiddleware``: itsdangerous, HMAC, a maximum age), so nothing about it
is stored server-side and a cookie changed in the browser is simply not accepted. It holds:

* ``user``: the console user's name once logged in;
* ``sid``: a random id made at login; the OAuth ``state`` of a connect is bound to an HMAC of
  it (:meth:`ConsoleSession.binding`; ARCHITECTURE.md, "the OAuth state is bound to the
  console session"): a callback that arrives in another browser, or after logout and login,
  fails the state check;
* ``csrf``: the token every form carries (a hidden ``csrf_token`` field) and every htmx
  request sends (the ``X-CSRF-Token`` header, set once on ``<body>``); an unsafe request
  without the session's token is refused before its route runs. The cookie is also
  ``SameSite=Lax``, so another site's form post arrives without it in the first place;

Logging in replaces the session (new ``sid``, new ``csrf``): a session id planted before
login is worth nothing after it (session fixation).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import MutableMapping
from typing import Any, Final

from starlette.requests import Request

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "CSRFError",
    "ConsoleSession",
    "session_key",
]

SESSION_COOKIE: Final = "ledgerbridge_console"
CSRF_FIELD: Final = "csrf_token"
CSRF_HEADER: Final = "X-CSRF-Token"
#: methods that change nothing and so carry no token
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
_DOMAIN: Final = b"ledgerbridge.console-session.v1"


class CSRFError(Exception):
    """An unsafe request without the session's CSRF token."""


def session_key(secret: bytes) -> str:
    """The cookie-signing key, derived from the deployment's secret key.

    A key of its own (HMAC of a label), not the secret itself: the secret also encrypts
    tokens at rest (Fernet), and one key should serve one purpose.
    """
    if len(secret) < 16:
        raise ValueError("the console's secret must be at least 16 bytes")
    return hmac.new(secret, _DOMAIN, hashlib.sha256).hexdigest()


class ConsoleSession:
    """Typed access to the signed session dictionary of one request."""

    def __init__(self, request: Request) -> None:
        self._data: MutableMapping[str, Any] = request.session

    @property
    def user(self) -> str | None:
        value = self._data.get("user")
        return value if isinstance(value, str) else None

    @property
    def sid(self) -> str:
        """The session's id (made on first use for an anonymous session)."""
        return self._token("sid")

    @property
    def csrf(self) -> str:
        """The session's CSRF token (made on first use: the login form carries one too)."""
        return self._token("csrf")

    def login(self, user: str) -> None:
        """Start a fresh session for ``user`` (new id, new CSRF token)."""
        self._data.clear()
        self._data["user"] = user
        self._data["sid"] = secrets.token_urlsafe(24)
        self._data["csrf"] = secrets.token_urlsafe(32)

    def logout(self) -> None:
        self._data.clear()

    def binding(self, purpose: str) -> str:
        """A value bound to this session for ``purpose`` (an HMAC of the session id): the
        OAuth state of a connect started here is bound to it."""
        digest = hmac.new(self.sid.encode(), purpose.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def check_csrf(self, sent: str | None) -> None:
        """Raise :class:`CSRFError` unless ``sent`` is this session's token."""
        expected = self._data.get("csrf")
        if not isinstance(expected, str) or not sent:
            raise CSRFError("the request carries no CSRF token of this session")
        if not hmac.compare_digest(expected.encode(), sent.encode()):
            raise CSRFError("the request's CSRF token is not this session's")

    def _token(self, name: str) -> str:
        value = self._data.get(name)
        if not isinstance(value, str):
            value = secrets.token_urlsafe(24 if name == "sid" else 32)
            self._data[name] = value
        return value
