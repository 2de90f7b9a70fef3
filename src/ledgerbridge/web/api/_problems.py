"""Errors as RFC 9457 problem documents: every failure of the API is one, with one shape.

``{"type", "title", "status", "detail", "instance"}`` with ``Content-Type:
application/problem+json``; a 422 adds ``errors``, one ``{"field", "message"}`` per field to
fix (the body's fields by their path, e.g. ``settings.refund_account`` or
``lines[0].quantity``; query and path parameters by name), and a QuickBooks failure adds the
``intuit_tid`` Intuit support asks for. ``type`` is a ``urn:ledgerbridge:problem:<slug>``
(``docs/api.md`` lists them).

The translation is one table (:data:`_BY_CLASS`) from the service's, the store's and the
engine's errors to a status, so that routes raise and never build answers. The handlers
answer only under the API's paths (and ``/healthz``, ``/metrics``, the OAuth callback): the
console and the webhook endpoint keep Starlette's own answers.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, PlainTextResponse, Response

from ledgerbridge._errors import LedgerbridgeError
from ledgerbridge.engine import ConnectError, NotConnectedError, SyncError, SyncSetupError
from ledgerbridge.qbo import InvalidStateError, QBOError
from ledgerbridge.store import (
    ApiKeyNotFoundError,
    ConnectionDisconnectedError,
    ConnectionNotFoundError,
    LinkConflictError,
    OperationNotFoundError,
    OperationPendingError,
    RecordNotFoundError,
    RunNotFoundError,
    SettingsConflictError,
    StoreConfigurationError,
    TenantExistsError,
    TenantNotFoundError,
    TokenDecryptError,
    UserExistsError,
    UserNotFoundError,
)
from ledgerbridge.store import (
    InvalidStateError as StoreInvalidStateError,
)
from ledgerbridge.web._service import (
    FieldProblem,
    InvalidInputError,
    NotFoundError,
    NothingToRetryError,
)

__all__ = [
    "PROBLEM_JSON",
    "FieldError",
    "Problem",
    "ProblemError",
    "install_problem_handlers",
    "problem_responses",
]

_log = logging.getLogger("ledgerbridge.web.api")

PROBLEM_JSON: Final = "application/problem+json"
_URN: Final = "urn:ledgerbridge:problem:"


class FieldError(BaseModel):
    """One field to fix."""

    field: str = Field(description="Where: a body path such as `settings.refund_account`.")
    message: str = Field(description="What is wrong, in a sentence.")


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str = Field(description="A URN naming the kind of problem.")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = Field(default=None, description="The path of the request.")
    errors: list[FieldError] | None = Field(
        default=None, description="422 only: every field to fix."
    )
    intuit_tid: str | None = Field(
        default=None, description="QuickBooks failures: the id Intuit support asks for."
    )


@dataclass(frozen=True)
class _Kind:
    status: int
    slug: str
    title: str


class ProblemError(Exception):
    """Raised by routes for answers no domain error stands for (authentication)."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.kind = _Kind(status, slug, title)
        self.detail = detail
        self.headers = headers or {}


_NOT_FOUND: Final = _Kind(404, "not-found", "Not found")
_CONFLICT: Final = _Kind(409, "conflict", "Conflict")
_BAD_CALLBACK: Final = _Kind(400, "connect-failed", "The QuickBooks connection did not complete")
#: most specific first: the first class an error is an instance of decides
_BY_CLASS: Final[Sequence[tuple[type[BaseException], _Kind]]] = (
    (InvalidInputError, _Kind(422, "invalid-input", "The request has fields to fix")),
    (NotFoundError, _NOT_FOUND),
    (TenantNotFoundError, _NOT_FOUND),
    (RecordNotFoundError, _NOT_FOUND),
    (RunNotFoundError, _NOT_FOUND),
    (OperationNotFoundError, _NOT_FOUND),
    (ApiKeyNotFoundError, _NOT_FOUND),
    (UserNotFoundError, _NOT_FOUND),
    (ConnectionNotFoundError, _NOT_FOUND),
    (SettingsConflictError, _Kind(409, "edit-conflict", "Someone saved first")),
    (TenantExistsError, _CONFLICT),
    (UserExistsError, _CONFLICT),
    (LinkConflictError, _Kind(409, "link-conflict", "The QuickBooks object is linked already")),
    (OperationPendingError, _Kind(409, "sync-in-progress", "The record is being synced")),
    (NothingToRetryError, _Kind(409, "nothing-to-retry", "Nothing to retry")),
    (NotConnectedError, _Kind(409, "not-connected", "QuickBooks is not connected")),
    (ConnectionDisconnectedError, _Kind(409, "not-connected", "QuickBooks is not connected")),
    (SyncSetupError, _Kind(503, "not-configured", "ledgerbridge is not configured for this")),
    (StoreConfigurationError, _Kind(503, "not-configured", "The database is not usable")),
    (TokenDecryptError, _Kind(503, "not-configured", "The stored tokens cannot be read")),
    (SyncError, _Kind(409, "cannot-sync", "The sync cannot run as asked")),
    (InvalidStateError, _BAD_CALLBACK),
    (StoreInvalidStateError, _BAD_CALLBACK),
    (ConnectError, _BAD_CALLBACK),
    (QBOError, _Kind(502, "quickbooks-error", "QuickBooks did not do what was asked")),
)
_INTERNAL: Final = _Kind(500, "internal-error", "Internal error")


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` entries of these error statuses (problem documents)."""
    return {
        status: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": "A problem."}
        for status in statuses
    }


def _answer(
    request: Request,
    kind: _Kind,
    detail: str | None,
    *,
    errors: Sequence[FieldProblem] | None = None,
    intuit_tid: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    problem = Problem(
        type=f"{_URN}{kind.slug}",
        title=kind.title,
        status=kind.status,
        detail=detail,
        instance=request.url.path,
        errors=None
        if errors is None
        else [FieldError(field=e.field, message=e.message) for e in errors],
        intuit_tid=intuit_tid,
    )
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=kind.status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def _ours(request: Request, prefixes: Sequence[str]) -> bool:
    return request.url.path.startswith(tuple(prefixes))


def _field_of(loc: Sequence[int | str]) -> str:
    """``("body", "settings", "refund_account")`` -> ``settings.refund_account``;
    ``("query", "limit")`` -> ``limit``; list indexes as ``[i]``."""
    parts = list(loc[1:]) if loc and loc[0] in ("body", "query", "path", "header") else list(loc)
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or (str(loc[0]) if loc else "body")


def install_problem_handlers(app: FastAPI, *, prefixes: Sequence[str]) -> None:
    """Answer errors of requests under ``prefixes`` with problem documents (module docstring);
    other paths keep FastAPI's answers."""

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if not _ours(request, prefixes):
            return await request_validation_exception_handler(request, exc)
        problems = [
            FieldProblem(_field_of(error["loc"]), str(error["msg"]).rstrip(".") + ".")
            for error in exc.errors()
        ]
        kind = _BY_CLASS[0][1]
        detail = "; ".join(f"{p.field}: {p.message}" for p in problems)
        return _answer(request, kind, detail, errors=problems)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if not _ours(request, prefixes):
            return await http_exception_handler(request, exc)
        title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
        kind = _Kind(exc.status_code, "http-" + str(exc.status_code), title)
        headers = None if exc.headers is None else dict(exc.headers)
        return _answer(request, kind, str(exc.detail), headers=headers)

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ProblemError)
        return _answer(request, exc.kind, exc.detail, headers=exc.headers)

    async def on_domain(request: Request, exc: Exception) -> Response:
        kind = next((k for cls, k in _BY_CLASS if isinstance(exc, cls)), _INTERNAL)
        if kind is _INTERNAL:
            return await on_unexpected(request, exc)
        message = exc.user_message if isinstance(exc, LedgerbridgeError) else str(exc)
        if not _ours(request, prefixes):
            return PlainTextResponse(message, status_code=kind.status)
        if isinstance(exc, (NotFoundError, TenantNotFoundError)):
            message = "There is nothing at this address for this key."
        return _answer(
            request,
            kind,
            message,
            errors=exc.problems if isinstance(exc, InvalidInputError) else None,
            intuit_tid=exc.intuit_tid if isinstance(exc, QBOError) else None,
        )

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        _log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        if not _ours(request, prefixes):
            return PlainTextResponse("Internal Server Error", status_code=500)
        return _answer(
            request, _INTERNAL, "ledgerbridge failed to answer this request; the log has why."
        )

    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(LedgerbridgeError, on_domain)
    app.add_exception_handler(Exception, on_unexpected)
