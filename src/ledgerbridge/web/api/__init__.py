"""The REST API for the host app: ``/api/v1`` (``docs/api.md``).

:func:`api_router` makes the API's routes over one :class:`~ledgerbridge.web._service.Services`;
:func:`ops_router` the unversioned ``/healthz`` and ``/metrics``; :func:`install_problem_handlers`
turns every error under the API's paths into an RFC 9457 problem document. ``create_app``
mounts them.
"""

from fastapi import APIRouter

from ledgerbridge.web._service import Services

from ._activity import activity_routes
from ._admin import admin_routes
from ._auth import Authenticator, Caller, authenticator
from ._company import company_routes
from ._ops import ops_routes
from ._problems import PROBLEM_JSON, Problem, ProblemError, install_problem_handlers
from ._records import MAX_UPLOAD_BYTES, record_routes

__all__ = [
    "API_PREFIX",
    "MAX_UPLOAD_BYTES",
    "PROBLEM_JSON",
    "Authenticator",
    "Caller",
    "Problem",
    "ProblemError",
    "api_router",
    "install_problem_handlers",
    "ops_router",
]

API_PREFIX = "/api/v1"


def api_router(services: Services) -> APIRouter:
    """Every ``/api/v1`` route."""
    auth = authenticator(services)
    router = APIRouter(prefix=API_PREFIX)
    for routes in (admin_routes, company_routes, record_routes, activity_routes):
        router.include_router(routes(services, auth))
    return router


def ops_router(services: Services) -> APIRouter:
    """``/healthz`` and ``/metrics``."""
    return ops_routes(services, authenticator(services))
