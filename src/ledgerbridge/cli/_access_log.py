"""uvicorn for ``ledgerbridge serve``, with an access log that holds no OAuth secret.

uvicorn logs every request line with its query string. Intuit sends the shop owner's browser
back to the OAuth callback with ``?code=...&state=...&realmId=...``: the ``code`` can be
exchanged for the company's tokens (with the app's secret) until it is used or ten minutes
pass, and the ``state`` is the one-time proof that the connect was started here. Neither
belongs in a log that is shipped, kept and read by others, so :class:`RedactedQueryFilter`
replaces their values with ``[redacted]`` before any handler formats the line, whatever path
the callback is served at (``LEDGERBRIDGE_QBO_REDIRECT_URI`` decides it).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import TYPE_CHECKING, Final
from urllib.parse import parse_qsl, urlencode

if TYPE_CHECKING:
    import uvicorn
    from starlette.types import ASGIApp

__all__ = ["REDACTED", "SECRET_PARAMETERS", "RedactedQueryFilter", "uvicorn_config"]

#: query parameters whose values never reach the access log (the OAuth callback's)
SECRET_PARAMETERS: Final = frozenset({"code", "state"})
REDACTED: Final = "[redacted]"
#: uvicorn's access lines: client, method, path with query, HTTP version, status
_ACCESS_ARGS: Final = 5
_PATH: Final = 2


def _redact(target: str, secret: Collection[str]) -> str:
    path, sep, query = target.partition("?")
    if not sep:
        return target
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(name in secret for name, _ in pairs):
        return target
    kept = [(name, REDACTED if name in secret else value) for name, value in pairs]
    # safe "[]" keeps the marker readable; the rest is encoded as a browser would send it
    return f"{path}?{urlencode(kept, safe='[]')}"


class RedactedQueryFilter(logging.Filter):
    """Replaces the values of :data:`SECRET_PARAMETERS` in uvicorn's access lines."""

    def __init__(self, secret: Collection[str] = SECRET_PARAMETERS) -> None:
        super().__init__()
        self._secret = frozenset(secret)

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == _ACCESS_ARGS and isinstance(args[_PATH], str):
            redacted = _redact(args[_PATH], self._secret)
            record.args = (*args[:_PATH], redacted, *args[_PATH + 1 :])
        return True


def uvicorn_config(app: ASGIApp, *, host: str, port: int) -> uvicorn.Config:
    """uvicorn's configuration for ``serve``: info level, access log without secrets.

    The filter goes on the ``uvicorn.access`` logger after ``uvicorn.Config`` has set up its
    logging (which it does when built), so it applies to whatever handlers uvicorn installed.
    """
    import uvicorn  # here, as in serve: the other commands start without it

    config = uvicorn.Config(app, host=host, port=port, log_level="info")
    access = logging.getLogger("uvicorn.access")
    for installed in [f for f in access.filters if isinstance(f, RedactedQueryFilter)]:
        access.removeFilter(installed)
    access.addFilter(RedactedQueryFilter())
    return config
