"""The console as an ASGI app of its own, mounted by ``create_app`` under ``/console``.

A sub-application rather than a router so that what only the console needs stays with it: the
signed session cookie (its middleware never touches the REST API), HTML error pages (the API
answers problem documents), the static files and the security headers of a page that people
open in a browser:

* ``Content-Security-Policy``: scripts only from the console itself (htmx and ``console.js``;
  no inline script, no ``eval``), no framing by another site (clickjacking of the Disconnect
  button), no ``<base>`` rewriting;
* ``Referrer-Policy: same-origin``: the console's URLs (tenant ids) are not sent to others;
* ``Cache-Control: no-store`` on pages: a shared computer's back button shows no one's records.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Final

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware

from ledgerbridge.web._service import Services

from ._activity import activity_router
from ._frame import (
    ConsoleState,
    LoginRequired,
    NotFound,
    csrf_refused,
    make_templates,
    page_or_login,
    render,
    require_csrf,
)
from ._integrations import integrations_router
from ._login import login_router
from ._records import records_router
from ._session import SESSION_COOKIE, CSRFError, session_key
from ._settings_page import settings_router

__all__ = ["CONSOLE_PATH", "SESSION_MAX_AGE", "console_app"]

#: where ``create_app`` mounts the console
CONSOLE_PATH: Final = "/console"

_log = logging.getLogger("ledgerbridge.web.console")
_HERE: Final = Path(__file__).parent
#: how long a console session lasts without logging in again
SESSION_MAX_AGE: Final = 12 * 3600
_CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)


def console_app(services: Services, *, https_only: bool | None = None) -> FastAPI:
    """The console.

    :param services: the operations it calls, the stores (console users among them) and the
        deployment's settings: the session cookie's signing key is derived from the secret
        key (``_session.session_key``; a random one per process without it, development
        only: sessions then end when the process does)
    :param https_only: mark the console's cookies ``Secure``; by default, when the
        deployment's public URL (the OAuth redirect URI) is HTTPS
    """
    if https_only is None:
        redirect_uri = services.runtime.settings.qbo_redirect_uri or ""
        https_only = redirect_uri.startswith("https://")
    app = FastAPI(
        title="ledgerbridge console",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(require_csrf)],
    )
    app.state.console = ConsoleState(services, make_templates(), https_only=https_only)
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_key(_secret(services)),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        same_site="lax",
        https_only=https_only,
    )
    app.middleware("http")(_security_headers)
    app.mount("/static", StaticFiles(directory=_HERE / "static"), name="static")
    for router in (
        login_router(),
        integrations_router(),
        settings_router(),
        records_router(),
        activity_router(),
    ):
        app.include_router(router)
    _handle_errors(app)
    return app


def _secret(services: Services) -> bytes:
    key = services.runtime.settings.secret_key
    if key is None:
        _log.warning(
            "no LEDGERBRIDGE_SECRET_KEY: console sessions are signed with a key of this "
            "process and end when it stops"
        )
        return secrets.token_bytes(32)
    return key.get_secret_value().encode()


async def _security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    response.headers.setdefault("Content-Security-Policy", _CSP)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if not request.url.path.startswith(f"{request.scope.get('root_path', '')}/static/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _handle_errors(app: FastAPI) -> None:
    """HTML answers for what the routes raise: login, 404, 403 (CSRF), 400 (bad form)."""

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        return page_or_login(request)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return render(
            request, "problem.html", {"title": "Not found", "detail": exc.detail}, status_code=404
        )

    @app.exception_handler(CSRFError)
    async def csrf(request: Request, exc: CSRFError) -> Response:
        _log.warning("console: %s %s refused: %s", request.method, request.url.path, exc)
        return csrf_refused(request, exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        where = ", ".join(".".join(str(p) for p in e["loc"][1:]) for e in exc.errors()[:3])
        detail = f"The request is not one this page sends ({where or 'its fields'})."
        return render(
            request, "problem.html", {"title": "Bad request", "detail": detail}, status_code=400
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        title = "Not found" if exc.status_code == 404 else "Request refused"
        detail = "There is no such page." if exc.status_code == 404 else str(exc.detail)
        return render(
            request, "problem.html", {"title": title, "detail": detail}, status_code=exc.status_code
        )
