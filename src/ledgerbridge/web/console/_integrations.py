"""The Integrations page: connect to QuickBooks (Intuit's redirect flow), the connection's
state in words, Enable / Disable sync, Disconnect, Reconnect.

Connect is a POST (with the CSRF token) that answers with a redirect to Intuit's consent page.
Its ``state`` is bound to this console session: the binding is an HMAC of the session's id,
handed to the browser in the callback's binding cookie (``web/_callback.py``, which serves
the registered redirect URI for the API and the console alike), so only the browser and
session that started the flow can finish it. The callback sends the browser back here with
``?connect=done`` or ``?connect=failed``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ledgerbridge._errors import LedgerbridgeError
from ledgerbridge.web import _service as service
from ledgerbridge.web._callback import CONNECT_BINDING_COOKIE, CONNECT_RETURN_COOKIE

from ._frame import TenantPage, flash, redirect, render, services_of, state_of, tenant_page
from ._session import ConsoleSession

__all__ = ["integrations_router"]

#: how long the binding cookie lives: as long as a state may take to come back
_BINDING_AGE: Final = 15 * 60
#: what ``?connect=`` says on return from the callback
_RETURNS: Final = {
    "done": ("ok", "Connected to QuickBooks."),
    "failed": (
        "bad",
        "QuickBooks did not complete the connection (it was cancelled, took too long, or was "
        "started in another browser): click Connect to try again.",
    ),
}

Page = Annotated[TenantPage, Depends(tenant_page)]


def integrations_router() -> APIRouter:
    router = APIRouter()

    @router.get("/t/{tenant_id}/integrations")
    async def integrations(request: Request, page: Page, connect: str | None = None) -> Response:
        services = services_of(request)
        view = await run_in_threadpool(service.connection_status, services, page.id)
        current = await run_in_threadpool(service.current_settings, services, page.id)
        days_left = None
        if view.connection is not None:
            # in the company's days: an emulator with a time scale shortens token lifetimes
            scale = services.runtime.settings.qbo_time_scale
            left = (view.connection.refresh_expires_at - datetime.now(UTC)) * scale
            days_left = max(left.days, 0)
        context: dict[str, Any] = {
            "title": "Integrations",
            "connection": view.connection,
            "environment": view.environment,
            "sync_enabled": current.settings.sync_enabled,
            "refresh_days_left": days_left,
        }
        if connect in _RETURNS:
            tone, text = _RETURNS[connect]
            if connect == "done" and view.connection is not None:
                text = f"Connected to {view.connection.company_name}."
            context["flash"] = {"tone": tone, "text": text}
        return render(request, "integrations.html", context, page=page, active="integrations")

    @router.post("/t/{tenant_id}/integrations/connect")
    async def connect(request: Request, page: Page) -> Response:
        binding = ConsoleSession(request).binding("oauth-connect")
        try:
            url = await service.start_connect(services_of(request), page.id, session=binding)
        except LedgerbridgeError as error:
            flash(request, error.user_message, "bad")
            return redirect(f"{page.base}/integrations")
        response = redirect(url)
        secure = state_of(request).https_only
        for name, value in (
            (CONNECT_BINDING_COOKIE, binding),
            (CONNECT_RETURN_COOKIE, f"{page.base}/integrations"),
        ):
            response.set_cookie(
                name, value, max_age=_BINDING_AGE, httponly=True, samesite="lax", secure=secure
            )
        return response

    @router.post("/t/{tenant_id}/integrations/disconnect")
    async def disconnect(request: Request, page: Page) -> Response:
        try:
            view, revoked = await service.disconnect(
                services_of(request), page.id, by=page.viewer.user.username
            )
        except LedgerbridgeError as error:
            flash(request, error.user_message, "bad")
        else:
            company = view.connection.company_name if view.connection else "QuickBooks"
            note = "" if revoked else " (Intuit could not be reached to revoke the tokens)"
            flash(request, f"Disconnected from {company}{note}. Records wait until you reconnect.")
        return redirect(f"{page.base}/integrations")

    @router.post("/t/{tenant_id}/integrations/sync")
    async def sync_switch(
        request: Request, page: Page, enabled: Annotated[bool, Form()]
    ) -> Response:
        try:
            await service.set_sync_enabled(
                services_of(request), page.id, enabled, by=page.viewer.user.username
            )
        except LedgerbridgeError as error:
            flash(request, error.user_message, "bad")
        else:
            flash(
                request,
                "Integration is on: records sync to QuickBooks again."
                if enabled
                else "Integration is off: nothing is sent to QuickBooks; records wait here.",
                "ok" if enabled else "warn",
            )
        return redirect(f"{page.base}/integrations")

    return router
