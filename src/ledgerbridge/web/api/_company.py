"""A tenant's QuickBooks company: connect, status, disconnect, and the settings of its sync."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from ledgerbridge.web import _service as service
from ledgerbridge.web._service import Services

from ._auth import Authenticator, Caller
from ._problems import problem_responses
from ._schemas import (
    ConnectionOut,
    ConnectStart,
    DisconnectOut,
    SettingsCheckIn,
    SettingsCheckOut,
    SettingsOut,
    SettingsSave,
    settings_out,
)

__all__ = ["company_routes"]


def company_routes(services: Services, auth: Authenticator) -> APIRouter:
    """``/tenants/{id}/connection`` and ``/tenants/{id}/settings``."""
    router = APIRouter(prefix="/tenants/{tenant_id}", responses=problem_responses(401, 404, 422))
    Tenant = Annotated[Caller, Depends(auth.tenant)]

    @router.post("/connection", tags=["connection"], responses=problem_responses(502, 503))
    async def start_connect(tenant_id: str, _: Tenant) -> ConnectStart:
        """Start connecting a QuickBooks company: send the shop owner to the URL returned.

        Intuit comes back to the OAuth callback, which stores the connection; the state in
        the URL is bound to this tenant and works once.
        """
        url = await service.start_connect(services, tenant_id)
        return ConnectStart(authorization_url=url)

    @router.get("/connection", tags=["connection"])
    def connection(tenant_id: str, _: Tenant) -> ConnectionOut:
        """Connected or not, the company, environment, refresh-token expiry and why not."""
        return ConnectionOut.of(service.connection_status(services, tenant_id))

    @router.delete("/connection", tags=["connection"])
    async def disconnect(tenant_id: str, who: Tenant) -> DisconnectOut:
        """Disconnect the company (its tokens are revoked at Intuit); work waits for a
        reconnect, nothing is dropped."""
        view, revoked = await service.disconnect(services, tenant_id, by=who.label)
        return DisconnectOut(connection=ConnectionOut.of(view), revoked=revoked)

    @router.get("/settings", tags=["settings"])
    def get_settings(tenant_id: str, _: Tenant) -> SettingsOut:
        """The settings in force (the defaults until the first save) and their version."""
        view = service.current_settings(services, tenant_id)
        return settings_out(view.settings, view.saved)

    @router.post("/settings/check", tags=["settings"], responses=problem_responses(409, 502, 503))
    async def check(tenant_id: str, body: SettingsCheckIn, _: Tenant) -> SettingsCheckOut:
        """Check settings against the company's QBO lists (accounts, payment methods, tax
        codes, terms, items): each problem with the closest choices, and the lists."""
        found = await service.check_tenant_settings(services, tenant_id, body.settings)
        return SettingsCheckOut.of(found)

    @router.put("/settings", tags=["settings"], responses=problem_responses(409, 502, 503))
    async def save(
        tenant_id: str,
        body: SettingsSave,
        who: Tenant,
        check: Annotated[
            bool, Query(description="Check against the company's lists when connected.")
        ] = True,
    ) -> SettingsOut:
        """Save settings as a new version; refused (422, naming the fields) when invalid or,
        connected, when the company lacks what they name; 409 when someone saved since
        ``expected_version``."""
        saved = await service.save_settings(
            services,
            tenant_id,
            body.settings,
            expected_version=body.expected_version,
            check=check,
            saved_by=who.label,
        )
        return settings_out(body.settings, saved)

    return router
