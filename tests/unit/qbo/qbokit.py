"""Helpers of the QBO client tests: a token source and a gate over the emulator, and wrappers
that act on what goes over the wire (never on our own functions)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import httpx

from ledgerbridge.emulator import Emulator
from ledgerbridge.emulator._oauth import OAuthError
from ledgerbridge.qbo import InvalidGrantError, RetryPolicy

#: Retries as the production policy does them, with waits short enough for a test.
FAST = RetryPolicy(throttle_wait=0.05, backoff_base=0.01, backoff_cap=0.05)

Obj = dict[str, Any]


class EmulatorTokens:
    """A TokenSource over the emulator's OAuth server, as the engine's ConnectionTokens is
    over the store: the current access token, and one refresh after a 401."""

    def __init__(self, emulator: Emulator, client_id: str, realm_id: str) -> None:
        self.emulator = emulator
        self.client_id = client_id
        issued = emulator.oauth.issue_tokens(client_id, realm_id)
        self.current = issued.access_token
        self.refresh_token = issued.refresh_token
        self.refreshes = 0
        self.rejected: list[str] = []

    async def access_token(self) -> str:
        return self.current

    async def refreshed(self, rejected: str) -> str:
        self.rejected.append(rejected)
        if rejected != self.current:
            return self.current  # someone refreshed already
        self.refreshes += 1
        try:
            answer = self.emulator.oauth.refresh(self.client_id, self.refresh_token)
        except OAuthError as exc:
            if exc.error == "invalid_grant":
                raise InvalidGrantError(str(exc)) from exc
            raise
        self.current, self.refresh_token = answer.access_token, answer.refresh_token
        return self.current


@dataclass
class RecordingGate:
    """A RequestGate that admits everything and remembers what it was asked."""

    slots: list[tuple[str, bool]] = field(default_factory=list)
    pauses: list[tuple[str, float]] = field(default_factory=list)
    open_slots: int = 0

    @contextlib.asynccontextmanager
    async def _held(self) -> AsyncIterator[None]:
        self.open_slots += 1
        try:
            yield
        finally:
            self.open_slots -= 1

    def slot(
        self, realm_id: str, *, batch: bool = False
    ) -> contextlib.AbstractAsyncContextManager[None]:
        self.slots.append((realm_id, batch))
        return self._held()

    def pause(self, realm_id: str, seconds: float) -> None:
        self.pauses.append((realm_id, seconds))


class RewritingTransport(httpx.AsyncBaseTransport):
    """The emulator's answers, changed on the way back by ``rewrite``: for shapes QBO sends
    that the emulator does not (a Fault with HTTP 200, batch answers out of order)."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        rewrite: Callable[[httpx.Request, httpx.Response, bytes], httpx.Response | None],
    ) -> None:
        self.inner = inner
        self.rewrite = rewrite

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        changed = self.rewrite(request, response, body)
        if changed is None:
            return httpx.Response(
                response.status_code, headers=response.headers, content=body, request=request
            )
        return changed


def log_entries(emulator: Emulator, realm_id: str, path_part: str = "") -> list[Obj]:
    """The emulator's request log for the realm, filtered on a piece of the path."""
    return [e for e in emulator.request_log(realm_id) if path_part in e["path"]]


def params(entry: Obj) -> dict[str, str]:
    """The query-string parameters of a logged request (last value of each)."""
    return {k: v[-1] for k, v in parse_qs(entry["query"], keep_blank_values=True).items()}


def request_ids(entries: list[Obj]) -> list[str | None]:
    return [params(e).get("requestid") for e in entries]


def sales_line(amount: str, item_id: str = "1") -> Obj:
    return {
        "Amount": Decimal(amount),
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": item_id}},
    }


@contextlib.contextmanager
def no_faults_left(emulator: Emulator) -> Iterator[None]:
    """Asserts that every fault armed inside the block was used up."""
    yield
    assert emulator.faults.rules() == []
