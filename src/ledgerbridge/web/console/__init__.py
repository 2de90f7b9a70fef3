"""The console: server-rendered pages (Jinja2 + htmx) for the shop owner and the bookkeeper.

Log in, then per tenant: Integrations (connect, enable, disconnect), Settings and mappings,
Records, the Error queue, Activity and a Dashboard. ``docs/console.md`` describes each page;
:func:`console_app` builds the ASGI app that ``ledgerbridge.web.create_app`` mounts.
"""

from ._app import CONSOLE_PATH, SESSION_MAX_AGE, console_app
from ._session import CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE

__all__ = [
    "CONSOLE_PATH",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "SESSION_MAX_AGE",
    "console_app",
]
