"""The emulator over HTTP: QBO's URL shapes, envelopes, headers and Fault bodies.

A thin Starlette app over :class:`~._service.Emulator`. Everything QBO-specific about the
wire lives here: ``/v3/company/{realmId}/...`` routing (entity segments case-insensitive),
gzip request bodies, ``minorversion`` (accepted, always served as 75), the ``time`` field of
every envelope, Fault rendering (the lower-case body of a 401), and the ``intuit_tid``
header on every response (section 2.2: the official SDKs read ``intuit_tid``, so both it and
``Intuit-Tid`` are sent).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import logging
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from . import _faults
from ._admin import admin_routes
from ._batch import run_batch
from ._catalog import CATALOG, canonical_entity
from ._cdc import change_data_capture
from ._clock import format_time
from ._ledger import Ledger
from ._middleware import FaultMiddleware, IntuitHeaders
from ._oauth import oauth_routes
from ._service import Emulator, EmulatorConfig, loads
from ._wire import JSON, fault_response, json_response

__all__ = ["create_app"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_log = logging.getLogger("ledgerbridge.emulator")

#: QBO's minor version; anything lower is served as 75 since 2025-08-01 (section 1.3).
MINOR_VERSION = 75
#: how often a retry waiting for the first request with its requestid looks again (seconds)
_RUNNING_POLL = 0.01


async def _body(request: Request) -> bytes:
    raw = await request.body()
    encoding = request.headers.get("content-encoding", "").lower()
    try:
        if encoding == "gzip":
            return gzip.decompress(raw)
        if encoding == "deflate":
            return zlib.decompress(raw)
    except (OSError, zlib.error):
        raise _malformed("the body is not valid " + encoding) from None
    return raw


def _malformed(detail: str) -> _faults.FaultError:
    return _faults.FaultError(
        400,
        [
            _faults.ErrorItem(
                "Request has invalid or unsupported property",
                f"Property Name:{detail} specified is unsupported or invalid",
                "2010",
            )
        ],
    )


def _json_body(raw: bytes, content_type: str) -> object:
    if "xml" in content_type:
        raise _malformed("XML request bodies are not supported by this emulator; send JSON")
    try:
        return loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _malformed(f"Malformed JSON ({exc})") from None


class DataAPI:
    """``/v3/company/{realmId}/...``: authentication, then one QBO operation."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    async def handle(self, request: Request) -> Response:
        emulator = self.emulator
        realm_id: str = request.path_params["realm_id"]
        head = request.path_params["rest"].strip("/").split("/", 1)[0].lower()
        try:
            grant = emulator.oauth.authenticate(_bearer(request), realm_id)
            ledger = emulator.ledger(realm_id)
            key = (realm_id, grant.client_id)
            emulator.throttle.admit(key, batch=head == "batch")
        except _faults.FaultError as fault:
            return fault_response(emulator, fault)
        try:
            return await self._serve(request, ledger, head)
        except ClientDisconnect:
            # The client went away before its body arrived (it was killed, its connection
            # dropped): QBO never got the request, so nothing was done and nothing is kept
            # for its requestid. The answer goes nowhere.
            return Response(status_code=400)
        finally:
            emulator.throttle.release(key)

    async def _serve(self, request: Request, ledger: Ledger, head: str) -> Response:
        """One admitted request, replayed when its requestid was seen (section 1.4)."""
        emulator = self.emulator
        realm_id = ledger.company.realm_id
        params = dict(parse_qsl(request.url.query, keep_blank_values=True))
        # An empty ``requestid=`` is no id: kept as one, it would replay its first answer to
        # every later write that also sends it empty.
        request_id = (params.get("requestid") or None) if request.method == "POST" else None
        if head == "query":
            request_id = None  # a query writes nothing: there is nothing to protect
        if request_id is None:
            return await self._answer(request, ledger, params)
        ids = emulator.request_ids
        try:
            ids.check(request_id)
        except _faults.FaultError as fault:
            return fault_response(emulator, fault)
        # A client that timed out on a slow write retries with the same id while the first
        # request is still running: it must get that request's answer, not write a second time.
        # Polled rather than awaited on an event, which would tie it to one event loop.
        while ids.running(realm_id, request_id):
            await asyncio.sleep(_RUNNING_POLL)
        stored = ids.get(realm_id, request_id)
        if stored is not None:
            await _pause(emulator.config.latency_ms)
            return Response(stored.body, stored.status, media_type=JSON)
        ids.start(realm_id, request_id)
        try:
            response = await self._answer(request, ledger, params)
            ids.put(realm_id, request_id, response.status_code, bytes(response.body))
        finally:
            ids.finish(realm_id, request_id)
        return response

    async def _answer(self, request: Request, ledger: Ledger, params: dict[str, str]) -> Response:
        """The response to one request: its document, or the Fault it raised."""
        emulator = self.emulator
        try:
            document = await self._dispatch(request, ledger, params)
        except _faults.FaultError as fault:
            return fault_response(emulator, fault)
        except ClientDisconnect:
            raise  # not an answer: the request never arrived (``handle``)
        except Exception:
            # QBO answers an internal error with a SystemFault, never a bare 500 page.
            _log.exception("emulator error on %s %s", request.method, request.url.path)
            return fault_response(emulator, _faults.system_error())
        document["time"] = format_time(emulator.clock.now())
        return json_response(document)

    async def _dispatch(
        self, request: Request, ledger: Ledger, params: dict[str, str]
    ) -> dict[str, Any]:
        config = self.emulator.config
        rest: str = request.path_params["rest"]
        segments = [s for s in rest.split("/") if s]
        method = request.method
        head = segments[0].lower() if segments else ""
        if head == "batch" and len(segments) == 1 and method == "POST":
            body = _json_body(await _body(request), request.headers.get("content-type", ""))
            items = body.get("BatchItemRequest") if isinstance(body, dict) else None
            count = len(items) if isinstance(items, list) else 0
            await _pause(config.latency_ms + count * config.batch_item_latency_ms)
            return run_batch(ledger, body, max_items=config.limits.batch_max_items)
        await _pause(config.latency_ms)
        if head == "cdc" and len(segments) == 1 and method == "GET":
            return {
                "CDCResponse": change_data_capture(
                    ledger, params.get("entities", ""), params.get("changedSince", "")
                )
            }
        if head == "query" and len(segments) == 1:
            if method == "GET":
                text = params.get("query", "")
            else:
                text = (await _body(request)).decode("utf-8", errors="replace")
            return {"QueryResponse": ledger.query(text)}
        entity = canonical_entity(head) if head else None
        if entity is None:
            raise _unsupported_path(request, rest)
        if method == "GET":
            if len(segments) == 1 and CATALOG[entity].family == "singleton":
                return {entity: ledger.read(entity, "1")}
            if len(segments) != 2:
                raise _unsupported_path(request, rest)
            object_id = segments[1]
            if entity == "CompanyInfo" and object_id == ledger.company.realm_id:
                object_id = "1"
            obj = ledger.read(entity, object_id)
            if entity == "Invoice" and "invoicelink" in _include(params):
                obj = _with_invoice_link(obj, ledger.company.realm_id)
            return {entity: obj}
        if len(segments) != 1:
            raise _unsupported_path(request, rest)
        body = _json_body(await _body(request), request.headers.get("content-type", ""))
        operation = params.get("operation", "").lower()
        include = _include(params)
        if operation == "delete":
            return {entity: ledger.delete(entity, body)}
        if operation == "void" or (operation == "update" and "void" in include):
            return {entity: ledger.void(entity, body)}
        if operation not in ("", "update", "create"):
            raise _unsupported_path(request, rest)
        return {entity: ledger.save(entity, body, include=include)}


async def _pause(milliseconds: float) -> None:
    """The configured latency: the event loop keeps serving other requests meanwhile."""
    if milliseconds > 0:
        await asyncio.sleep(milliseconds / 1000)


def _include(params: dict[str, str]) -> frozenset[str]:
    return frozenset(v.strip().lower() for v in params.get("include", "").split(",") if v)


def _with_invoice_link(invoice: dict[str, Any], realm_id: str) -> dict[str, Any]:
    """``include=invoiceLink``: the customer-facing pay link of an invoice that can be paid
    online and has an e-mail address (section 1.5); the URL shape is the emulator's own."""
    payable = invoice.get("AllowOnlineCreditCardPayment") or invoice.get("AllowOnlineACHPayment")
    if not (payable and (invoice.get("BillEmail") or {}).get("Address")):
        return invoice
    token = hashlib.sha256(f"{realm_id}:{invoice['Id']}".encode()).hexdigest()[:40]
    return {**invoice, "InvoiceLink": f"https://connect.intuit.com/t/scs-v1-{token}"}


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _faults.auth_failed("Token invalid")
    return token.strip()


def _unsupported_path(request: Request, rest: str) -> _faults.FaultError:
    relative = f"/v3/company/{request.path_params['realm_id']}/{rest}"
    return _faults.unsupported_operation(relative, str(request.url.replace(query="")))


async def _index(request: Request) -> Response:
    base = str(request.base_url).rstrip("/")
    return json_response(
        {
            "service": "ledgerbridge QBO emulator",
            "api_base": f"{base}/v3/company/{{realmId}}/",
            "discovery": {
                "sandbox": f"{base}/.well-known/openid_sandbox_configuration/",
                "production": f"{base}/.well-known/openid_configuration/",
            },
            "admin": f"{base}/_emulator/",
            "minorversion": MINOR_VERSION,
        }
    )


def create_app(
    emulator: Emulator | None = None,
    *,
    config: EmulatorConfig | None = None,
    state_file: Path | None = None,
) -> Starlette:
    """The emulator as an ASGI app (serve it with uvicorn, or mount it in httpx in tests).

    With ``state_file`` the state is loaded at start-up when the file exists and written back
    at shutdown.
    """
    emulator = emulator or Emulator(config)
    if state_file is not None and state_file.exists():
        emulator.load(state_file)
    routes: list[BaseRoute] = [
        Route("/", _index),
        Route(
            "/v3/company/{realm_id}/{rest:path}", DataAPI(emulator).handle, methods=["GET", "POST"]
        ),
        *oauth_routes(emulator.oauth, emulator, auto_approve=lambda: emulator.auto_approve),
        Mount("/_emulator", routes=admin_routes(emulator)),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await emulator.webhooks.aclose()
        if state_file is not None:
            emulator.save(state_file)

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.emulator = emulator
    # The last added is the outermost: every answer, injected faults included, gets its
    # intuit_tid and a line in the request log.
    app.add_middleware(FaultMiddleware, emulator=emulator)
    app.add_middleware(IntuitHeaders, emulator=emulator)
    return app
