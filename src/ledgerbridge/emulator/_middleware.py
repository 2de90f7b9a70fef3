"""ASGI middleware around the emulator: Intuit's headers, the request log, armed faults."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from . import _faults
from ._clock import format_time
from ._injection import FaultRule
from ._service import Emulator
from ._wire import fault_response

__all__ = ["FaultMiddleware", "IntuitHeaders", "realm_of"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_GATEWAY_TEXT = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Time-out"}
#: past QBO's own 120 s cut-off (section 5) and any sane client timeout
_DEFAULT_HANG = 150.0


class IntuitHeaders:
    """ASGI middleware: an ``intuit_tid`` on every response, and the request log."""

    def __init__(self, app: ASGIApp, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tid = f"1-{secrets.token_hex(4)}-{secrets.token_hex(12)}"
        scope["intuit_tid"] = tid
        status = 500

        async def send_with_tid(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"intuit_tid", tid.encode()))
                headers.append((b"intuit-tid", tid.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_tid)
        finally:
            path: str = scope["path"]
            if not path.startswith("/_emulator"):
                self.emulator.log_request(
                    {
                        "method": scope["method"],
                        "path": path,
                        "query": scope.get("query_string", b"").decode("latin-1"),
                        "status": status,
                        "intuit_tid": tid,
                        "realm_id": realm_of(path),
                        "time": format_time(self.emulator.clock.now()),
                    }
                )


def realm_of(path: str) -> str | None:
    """The realm id of a ``/v3/company/{realmId}/...`` path."""
    parts = path.split("/")
    if len(parts) > 3 and parts[1] == "v3" and parts[2] == "company":
        return parts[3]
    return None


async def _drop(send: Send) -> None:
    """Start an answer and never finish it: the server then closes the connection.

    ASGI has no "close without answering"; a started, unfinished response makes the server
    (uvicorn) close the socket, and the client sees the connection end mid-answer, which is
    what a reset connection looks like to it.
    """
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"64")]}
    )


async def _gateway(send: Send, status: int) -> None:
    text = f"<html><body><h1>{status} {_GATEWAY_TEXT[status]}</h1></body></html>".encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/html"),
                (b"content-length", str(len(text)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": text})


class FaultMiddleware:
    """ASGI middleware that answers armed faults instead of (or after) the emulator."""

    def __init__(self, app: ASGIApp, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or path.startswith("/_emulator"):
            await self.app(scope, receive, send)
            return
        realm_id = realm_of(path)
        rule = self.emulator.faults.take(scope["method"], path, realm_id)
        if rule is None:
            await self.app(scope, receive, send)
            return
        await self._answer(rule, realm_id, scope, receive, send)

    async def _answer(
        self, rule: FaultRule, realm_id: str | None, scope: Scope, receive: Receive, send: Send
    ) -> None:
        emulator = self.emulator
        kind = rule.kind
        simple = {
            "http_500": _faults.system_error,
            "http_429": _faults.throttled,
            "subscription_ended": _faults.subscription_ended,
            "books_closed": _faults.books_closed,
        }
        if kind in simple:
            await fault_response(emulator, simple[kind]())(scope, receive, send)
        elif kind in ("http_502", "http_503", "http_504"):
            await _gateway(send, int(kind[-3:]))
        elif kind == "hang":
            await asyncio.sleep(_DEFAULT_HANG if rule.seconds is None else rule.seconds)
            await _gateway(send, 504)
        elif kind == "drop":
            await _drop(send)
        elif kind == "access_token_expired":
            if realm_id is not None:
                emulator.oauth.expire_access_tokens(realm_id)
            await self.app(scope, receive, send)
        elif kind == "refresh_token_revoked":
            if realm_id is not None:
                emulator.oauth.revoke_company(realm_id)
            await self.app(scope, receive, send)
        else:  # committed_response_lost

            async def discard(message: Message) -> None:
                """The answer is produced, and lost on the way back."""

            await self.app(scope, receive, discard)
            if rule.respond == "504":
                await _gateway(send, 504)
            else:
                await _drop(send)
