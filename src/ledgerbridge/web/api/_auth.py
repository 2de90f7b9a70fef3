"""Who is calling: the admin key, or a tenant's API key (``Authorization: Bearer ...``).

* No key, a malformed one, an unknown, revoked or wrong one: **401** with
  ``WWW-Authenticate: Bearer``.
* A tenant's key on another tenant's address: **404**, exactly as for a tenant that does not
  exist, so that a key cannot be used to learn which tenant ids exist.
* A tenant's key on an admin route (creating tenants, managing keys): **403**.

The admin key is compared in constant time; a tenant key is checked by
:meth:`~ledgerbridge.store.AccessStore.authenticate` (its digest, in constant time).
"""

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Final

from fastapi import Depends, Path
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from ledgerbridge.web._service import Services

from ._problems import ProblemError

__all__ = ["Caller", "TenantPath", "authenticator"]

_CHALLENGE: Final = {"WWW-Authenticate": 'Bearer realm="ledgerbridge"'}

#: the tenant of a tenant-scoped address
TenantPath = Annotated[str, Path(min_length=1, max_length=64, description="The tenant's id.")]


@dataclass(frozen=True)
class Caller:
    """The holder of the key a request carries."""

    #: the admin key: every tenant, and the admin routes
    admin: bool
    #: the tenant of a tenant key (``None`` for the admin)
    tenant_id: str | None = None
    #: the id of a tenant key
    key_id: str | None = None

    @property
    def label(self) -> str:
        """Who, for a record of who did what (never the key itself)."""
        return "the admin key" if self.admin else f"API key {self.key_id}"

    def may_act_for(self, tenant_id: str) -> bool:
        return self.admin or self.tenant_id == tenant_id


def _unauthorized(detail: str) -> ProblemError:
    return ProblemError(401, "unauthorized", "Unauthorized", detail, headers=dict(_CHALLENGE))


@dataclass(frozen=True)
class Authenticator:
    """The dependencies the routes declare: any caller, the admin, a tenant's caller."""

    caller: Callable[..., Awaitable[Caller]]
    admin: Callable[..., Awaitable[Caller]]
    tenant: Callable[..., Awaitable[Caller]]


def authenticator(services: Services) -> Authenticator:
    """The authentication dependencies over ``services``' keys."""
    bearer = HTTPBearer(
        auto_error=False,
        description="The admin key (LEDGERBRIDGE_ADMIN_KEY), or a tenant's API key (lbk_...).",
    )

    async def caller(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Caller:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise _unauthorized("Send Authorization: Bearer <API key>.")
        token = credentials.credentials
        admin_key = services.admin_key
        if admin_key is not None and hmac.compare_digest(
            token.encode(), admin_key.get_secret_value().encode()
        ):
            return Caller(admin=True)
        key = await run_in_threadpool(services.access.authenticate, token)
        if key is None:
            raise _unauthorized("This API key is not valid (unknown, revoked or mistyped).")
        return Caller(admin=False, tenant_id=key.tenant_id, key_id=key.id)

    async def admin(who: Annotated[Caller, Depends(caller)]) -> Caller:
        if not who.admin:
            raise ProblemError(
                403, "forbidden", "Forbidden", "This needs the admin key, not a tenant's key."
            )
        return who

    async def tenant(tenant_id: TenantPath, who: Annotated[Caller, Depends(caller)]) -> Caller:
        if not who.may_act_for(tenant_id):
            raise ProblemError(
                404, "not-found", "Not found", "There is nothing at this address for this key."
            )
        return who

    return Authenticator(caller, admin, tenant)
