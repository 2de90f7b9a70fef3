"""The Settings page: every engine setting, drop-downs from the company's QuickBooks lists,
and each problem next to its field.

Saving is "check, then save": the form is read (``_settings_form.read_form``; a value of the
wrong shape is named at its field), then checked against the company's lists
(``check_tenant_settings``: an account QuickBooks lacks, or of the wrong type, is named at its
field with the closest choices); only settings without errors are saved, as a new version
made from the version the page showed (someone else's save in between is reported, not
overwritten). Warnings do not stop a save; they are shown on the page after it.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ledgerbridge._errors import LedgerbridgeError
from ledgerbridge.engine import SettingsCheck
from ledgerbridge.model import TenantSettings
from ledgerbridge.store import SettingsConflictError
from ledgerbridge.web import _service as service

from ._frame import TenantPage, flash, redirect, render, services_of, tenant_page
from ._settings_form import fields, read_form

__all__ = ["settings_router"]

_log = logging.getLogger("ledgerbridge.web.console")

Page = Annotated[TenantPage, Depends(tenant_page)]


async def _check(
    request: Request, page: TenantPage, settings: TenantSettings
) -> tuple[SettingsCheck | None, str | None]:
    """The check of ``settings`` against the company's lists, or why there is none."""
    services = services_of(request)
    view = await run_in_threadpool(service.connection_status, services, page.id)
    if view.state not in ("connected", "expiring"):
        return None, (
            "QuickBooks is not connected, so the drop-downs cannot list the company's accounts "
            "and the settings are not checked against them: connect on the Integrations page."
        )
    try:
        return await service.check_tenant_settings(services, page.id, settings), None
    except LedgerbridgeError as error:
        _log.warning("settings check of tenant %s failed: %s", page.id, error)
        return None, f"The company's lists could not be read: {error.user_message}"


def settings_router() -> APIRouter:
    router = APIRouter()

    async def show(
        request: Request,
        page: TenantPage,
        document: dict[str, Any],
        check: SettingsCheck | None,
        lists_problem: str | None,
        problems: dict[str, list[str]] | None = None,
    ) -> Response:
        current = await run_in_threadpool(service.current_settings, services_of(request), page.id)
        sections = fields(document, check=check, problems=problems)
        errors = sum(len(f.errors) for s in sections for f in s.fields)
        connection = await run_in_threadpool(
            service.connection_status, services_of(request), page.id
        )
        context = {
            "title": "Settings",
            "sections": sections,
            "version": current.saved,
            "lists_problem": lists_problem,
            "error_total": errors,
            "company": connection.connection.company_name if connection.connection else None,
        }
        status = 422 if errors else 200
        return render(
            request, "settings.html", context, page=page, active="settings", status_code=status
        )

    @router.get("/t/{tenant_id}/settings")
    async def settings_page(request: Request, page: Page) -> Response:
        current = await run_in_threadpool(service.current_settings, services_of(request), page.id)
        check, lists_problem = await _check(request, page, current.settings)
        document = current.settings.model_dump(mode="json")
        return await show(request, page, document, check, lists_problem)

    @router.post("/t/{tenant_id}/settings")
    async def save(request: Request, page: Page) -> Response:
        services = services_of(request)
        form = await request.form()
        current = await run_in_threadpool(service.current_settings, services, page.id)
        document, problems = read_form(form)
        # the Integrations page switches sync on and off; this form leaves it as it is
        document["sync_enabled"] = current.settings.sync_enabled
        if problems:
            check, lists_problem = await _check(request, page, current.settings)
            return await show(request, page, document, check, lists_problem, problems)
        settings = TenantSettings.model_validate(document)
        check, lists_problem = await _check(request, page, settings)
        if check is not None and not check.ok:
            return await show(request, page, document, check, lists_problem)
        expected = str(form.get("expected_version") or "")
        try:
            saved = await service.save_settings(
                services,
                page.id,
                settings,
                expected_version=int(expected) if expected.isdigit() else None,
                check=False,  # checked just above, against the same lists
                saved_by=page.viewer.user.username,
            )
        except SettingsConflictError:
            flash(
                request,
                "Someone saved the settings while you were editing them; nothing was changed. "
                "Here they are as saved now: make your change again.",
                "warn",
            )
            return redirect(f"{page.base}/settings")
        warnings = len(check.warnings) if check is not None else 0
        note = (
            f" ({warnings} warning{'s' if warnings != 1 else ''} shown below)" if warnings else ""
        )
        unchecked = "" if check is not None else " They were not checked against QuickBooks."
        flash(request, f"Settings saved as version {saved.version}{note}.{unchecked}")
        return redirect(f"{page.base}/settings")

    return router
