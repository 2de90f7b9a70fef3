"""Admin routes: tenants and their API keys (the admin key; a tenant key may read its own
tenant), and the console's users."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from ledgerbridge.store import ConsoleUserRecord, TenantNotFoundError
from ledgerbridge.web import _service as service
from ledgerbridge.web._service import Services

from ._auth import Authenticator, Caller
from ._problems import problem_responses
from ._schemas import ApiKeyOut, IssuedKeyOut, KeyCreate, TenantCreate, TenantCreated, TenantOut

__all__ = ["admin_routes"]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=12, max_length=1024)
    tenants: list[str] = Field(default_factory=list, max_length=1000)
    admin: bool = False


class UserOut(BaseModel):
    username: str
    admin: bool
    tenants: list[str]

    @classmethod
    def of(cls, user: ConsoleUserRecord) -> "UserOut":
        return cls(username=user.username, admin=user.admin, tenants=sorted(user.tenants))


def admin_routes(services: Services, auth: Authenticator) -> APIRouter:
    """``/tenants``, ``/tenants/{id}``, ``/tenants/{id}/api-keys...``, ``/users``."""
    router = APIRouter(tags=["tenants"], responses=problem_responses(401, 403, 404, 422))
    Admin = Annotated[Caller, Depends(auth.admin)]
    Tenant = Annotated[Caller, Depends(auth.tenant)]

    @router.post("/tenants", status_code=201, responses=problem_responses(409))
    def create_tenant(body: TenantCreate, _: Admin) -> TenantCreated:
        """Add a shop; the answer holds its first API key, shown this once."""
        record, issued = services.access.create_tenant(tenant_id=body.id, name=body.name)
        return TenantCreated(tenant=TenantOut.of(record), api_key=IssuedKeyOut.of(issued))

    @router.get("/tenants")
    def list_tenants(
        _: Admin,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        after: Annotated[str | None, Query(max_length=64, description="Last id seen.")] = None,
    ) -> list[TenantOut]:
        """Shops by id; page with ``after``."""
        return [TenantOut.of(t) for t in services.access.tenants(limit=limit, after=after)]

    @router.get("/tenants/{tenant_id}")
    def get_tenant(tenant_id: str, _: Tenant) -> TenantOut:
        """One shop (the admin key, or the shop's own key)."""
        return TenantOut.of(service.tenant(services, tenant_id))

    @router.get("/tenants/{tenant_id}/api-keys")
    def list_keys(tenant_id: str, _: Admin) -> list[ApiKeyOut]:
        """The shop's keys, revoked ones too (never the keys themselves)."""
        service.tenant(services, tenant_id)
        return [ApiKeyOut.of(k) for k in services.access.keys(tenant_id=tenant_id)]

    @router.post("/tenants/{tenant_id}/api-keys", status_code=201)
    def issue_key(tenant_id: str, body: KeyCreate, _: Admin) -> IssuedKeyOut:
        """Another key for the shop (shown this once); its other keys keep working."""
        service.tenant(services, tenant_id)
        return IssuedKeyOut.of(services.access.issue_key(tenant_id=tenant_id, name=body.name))

    @router.post("/tenants/{tenant_id}/api-keys/{key_id}/rotate", status_code=201)
    def rotate_key(tenant_id: str, key_id: str, _: Admin) -> IssuedKeyOut:
        """Replace the key: the new one (shown this once) works, the old one no longer."""
        return IssuedKeyOut.of(services.access.rotate_key(tenant_id=tenant_id, key_id=key_id))

    @router.delete("/tenants/{tenant_id}/api-keys/{key_id}", status_code=204)
    def revoke_key(tenant_id: str, key_id: str, _: Admin) -> Response:
        """Revoke the key: it never works again."""
        services.access.revoke_key(tenant_id=tenant_id, key_id=key_id)
        return Response(status_code=204)

    @router.post(
        "/users", status_code=201, tags=["console users"], responses=problem_responses(409)
    )
    def create_user(body: UserCreate, _: Admin) -> UserOut:
        """A console login, with the shops it may see (or every shop, as an admin)."""
        try:
            user = services.access.add_user(
                username=body.username,
                password=body.password,
                tenants=body.tenants,
                admin=body.admin,
            )
        except ValueError as exc:
            raise service.InvalidInputError([service.FieldProblem("username", f"{exc}.")]) from None
        except TenantNotFoundError as exc:
            raise service.InvalidInputError([service.FieldProblem("tenants", f"{exc}.")]) from None
        return UserOut.of(user)

    @router.get("/users", tags=["console users"])
    def list_users(_: Admin) -> list[UserOut]:
        """Every console user."""
        return [UserOut.of(u) for u in services.access.users()]

    return router
