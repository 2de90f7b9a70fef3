"""The OAuth callback: where Intuit sends the shop owner's browser after the consent page.

One route for the API's connect and the console's: Intuit redirects every tenant to the one
redirect URI registered for the app (``LEDGERBRIDGE_QBO_REDIRECT_URI``; this route serves its
path), and :func:`~ledgerbridge.web._service.finish_connect` finds the tenant from the state.

A flow the console starts is bound to the browser: the console sets the cookie
:data:`CONNECT_BINDING_COOKIE` to a random value, passes that value as ``session`` to
``start_connect``, and only that browser can finish the flow (RFC 6749 section 10.12). It may
also set :data:`CONNECT_RETURN_COOKIE` to a path of its own: the browser is sent back there
once connected (or refused, with ``?connect=failed``). A flow the API started has no such
cookie: its state is bound to the tenant alone, and the callback answers with a short page.
"""

from __future__ import annotations

import html
import logging
from typing import Final
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ledgerbridge._errors import LedgerbridgeError
from ledgerbridge.settings import Settings

from . import _service as service
from ._service import Services

__all__ = [
    "CONNECT_BINDING_COOKIE",
    "CONNECT_RETURN_COOKIE",
    "DEFAULT_CALLBACK_PATH",
    "callback_path",
    "callback_router",
]

_log = logging.getLogger("ledgerbridge.web")

#: the value a console-started flow's state is bound to (the browser's)
CONNECT_BINDING_COOKIE: Final = "lb_connect_binding"
#: a local path to send the browser back to once the flow is done
CONNECT_RETURN_COOKIE: Final = "lb_connect_return"
#: the callback's path when no redirect URI is configured
DEFAULT_CALLBACK_PATH: Final = "/oauth/callback"


def callback_path(settings: Settings) -> str:
    """The path of the configured redirect URI (Intuit calls it), or the default."""
    if settings.qbo_redirect_uri:
        path = urlsplit(settings.qbo_redirect_uri).path
        if path.startswith("/") and len(path) > 1:
            return path
    return DEFAULT_CALLBACK_PATH


def callback_router(services: Services) -> APIRouter:
    """The callback route (module docstring)."""
    router = APIRouter()

    @router.get(callback_path(services.runtime.settings), include_in_schema=False)
    async def oauth_callback(
        request: Request,
        state: str | None = None,
        code: str | None = None,
        realmId: str | None = None,
        error: str | None = None,
    ) -> Response:
        binding = request.cookies.get(CONNECT_BINDING_COOKIE, "")
        back = _local_path(request.cookies.get(CONNECT_RETURN_COOKIE))
        try:
            connection = await service.finish_connect(
                services,
                state=state,
                code=code,
                realm_id=realmId,
                error=error,
                sessions=(binding, "") if binding else ("",),
            )
        except LedgerbridgeError as exc:
            _log.warning("OAuth callback refused: %s", exc)
            if back is not None:
                return _back(back, "failed")
            return _page(400, "QuickBooks is not connected", exc.user_message)
        _log.info(
            "tenant %s connected to QuickBooks company %s",
            connection.tenant_id,
            connection.realm_id,
        )
        if back is not None:
            return _back(back, "done")
        return _page(
            200,
            "QuickBooks is connected",
            f"{connection.company_name} is connected to ledgerbridge. You can close this window.",
        )

    return router


def _local_path(value: str | None) -> str | None:
    """``value`` if it is a path on this site (never another site: no open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    return value


def _back(path: str, outcome: str) -> Response:
    separator = "&" if "?" in path else "?"
    response = RedirectResponse(f"{path}{separator}connect={outcome}", status_code=303)
    response.delete_cookie(CONNECT_BINDING_COOKIE)
    response.delete_cookie(CONNECT_RETURN_COOKIE)
    return response


def _page(status: int, title: str, text: str) -> HTMLResponse:
    body = (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></html>"
    )
    return HTMLResponse(body, status_code=status)
