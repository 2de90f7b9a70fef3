"""``POST /webhooks/intuit``: QuickBooks' change notifications, verified, stored, handed on.

In this order, so that nothing unverified is parsed and nothing slow happens before the
answer (``QBO-REFERENCE.md`` section 9: acknowledge within 3 seconds or Intuit retries, and
holds back later notifications until it gets one):

1. **Size**: a declared ``Content-Length`` over the limit is refused with 413 before a byte
   of the body is read; a body without one is read in chunks and refused as soon as it
   passes the limit. Intuit sets no limit of its own (9.1); the default, 1 MiB, holds
   thousands of entity changes.
2. **Signature**: ``intuit-signature`` must be Base64(HMAC-SHA256(verifier token, raw body)),
   compared in constant time (9.4); anything else is 401 and logged (never the body, never the
   signature).
3. **Store**: the raw bytes are stored (``InboundStore.receive``), once: a replay of the same
   bytes finds the stored notification. If the database does not take them within
   ``store_timeout`` (SQLite's single writer may be busy, say during a token refresh), the
   answer is 503 and Intuit sends the notification again later; should the write still land,
   the retry finds it stored.
4. **Hand on**: the stored notification's id goes to ``on_notification`` (the job queue), and
   the answer is 200. A replay of a notification already processed is acknowledged and not
   handed on again. If handing on fails, the notification is stored all the same: the
   sweeper (``InboundSync.process_pending``) picks it up, so the answer is still 200.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Final

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import SecretStr
from starlette.concurrency import run_in_threadpool

from ledgerbridge.qbo import SIGNATURE_HEADER, verify_signature
from ledgerbridge.store import InboundStore

__all__ = ["MAX_WEBHOOK_BODY", "WEBHOOK_PATH", "NotificationCallback", "webhook_router"]

_log = logging.getLogger("ledgerbridge.web.webhooks")

#: Where Intuit is told to send notifications (the app's webhook URL ends in it).
WEBHOOK_PATH: Final = "/webhooks/intuit"
#: The largest notification accepted, in bytes.
MAX_WEBHOOK_BODY: Final = 1024 * 1024
#: How long storing a notification may take before Intuit is asked to retry (it waits 3 s).
STORE_TIMEOUT: Final = 2.0

#: Takes the id of a stored notification and queues its processing; must return quickly.
NotificationCallback = Callable[[int], object]


def webhook_router(
    *,
    verifier_token: SecretStr | str,
    notifications: InboundStore,
    on_notification: NotificationCallback,
    max_body: int = MAX_WEBHOOK_BODY,
    store_timeout: float = STORE_TIMEOUT,
) -> APIRouter:
    """The router of the webhook endpoint (module docstring)."""
    token = (
        verifier_token.get_secret_value()
        if isinstance(verifier_token, SecretStr)
        else verifier_token
    )
    if not token:
        raise ValueError(
            "the webhook verifier token is empty: set LEDGERBRIDGE_QBO_WEBHOOK_VERIFIER"
        )
    if max_body < 1:
        raise ValueError("max_body must be at least 1 byte")
    router = APIRouter()

    @router.post(WEBHOOK_PATH, include_in_schema=False)
    async def receive(request: Request) -> Response:
        client = request.client.host if request.client else "unknown"
        if _declared_length(request) > max_body:
            _log.warning("webhook refused: declares more than %d bytes (from %s)", max_body, client)
            return _answer(413, "the notification is too large")
        body = await _read_at_most(request, max_body)
        if body is None:
            _log.warning("webhook refused: more than %d bytes (from %s)", max_body, client)
            return _answer(413, "the notification is too large")
        if not verify_signature(body, request.headers.get(SIGNATURE_HEADER), token):
            _log.warning(
                "webhook refused: the intuit-signature does not match the %d-byte body (from %s)",
                len(body),
                client,
            )
            return _answer(401, "the intuit-signature does not match the body")
        try:
            received = await asyncio.wait_for(
                run_in_threadpool(notifications.receive, body), timeout=store_timeout
            )
        except TimeoutError:
            _log.warning(
                "webhook not stored within %.1f s (the database is busy); Intuit will retry",
                store_timeout,
            )
            return _answer(503, "busy; send it again later")
        if received.duplicate and received.status != "received":
            _log.info("webhook notification %s received again; already handled", received.id)
            return _answer(200, "duplicate")
        try:
            await run_in_threadpool(on_notification, received.id)
        except Exception:
            _log.exception(
                "webhook notification %s stored but not queued; the sweeper will process it",
                received.id,
            )
        return _answer(200, "received")

    return router


def _declared_length(request: Request) -> int:
    """The declared ``Content-Length`` (0 when absent or not a number: the body is then
    counted as it is read)."""
    try:
        return int(request.headers.get("content-length", "0"))
    except ValueError:
        return 0


async def _read_at_most(request: Request, limit: int) -> bytes | None:
    """The body, or ``None`` as soon as it passes ``limit`` bytes (the rest is not read)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _answer(status: int, text: str) -> Response:
    return JSONResponse({"status": text}, status_code=status)
