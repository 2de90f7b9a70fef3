"""Fixtures of the QBO client tests: a company in the emulator, a token source, a gate, and
a QBOClient on the emulator (in-process, or over a loopback port for transport faults)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest
from qbokit import FAST, EmulatorTokens, RecordingGate, RewritingTransport

from ledgerbridge.emulator import Emulator, create_app
from ledgerbridge.qbo import QBOClient, RetryPolicy
from support import CLIENT_ID, Served

Rewrite = Callable[[httpx.Request, httpx.Response, bytes], httpx.Response | None]
Connect = Callable[..., AbstractAsyncContextManager[QBOClient]]


@pytest.fixture
def realm_id(emulator: Emulator) -> str:
    return emulator.create_company("Test Machine Shop")


@pytest.fixture
def tokens(emulator: Emulator, realm_id: str) -> EmulatorTokens:
    return EmulatorTokens(emulator, CLIENT_ID, realm_id)


@pytest.fixture
def gate() -> RecordingGate:
    return RecordingGate()


@pytest.fixture
def connect(
    emulator: Emulator, realm_id: str, tokens: EmulatorTokens, gate: RecordingGate
) -> Connect:
    """A QBOClient factory: in-process by default, ``served=`` for a real socket."""

    @asynccontextmanager
    async def connect(
        *,
        retry: RetryPolicy = FAST,
        rewrite: Rewrite | None = None,
        served: Served | None = None,
        timeout: float = 30.0,
        realm: str | None = None,
    ) -> AsyncIterator[QBOClient]:
        if served is not None:
            base_url, transport = f"{served.url}/v3", None
        else:
            asgi: httpx.AsyncBaseTransport = httpx.ASGITransport(app=create_app(emulator))
            transport = RewritingTransport(asgi, rewrite) if rewrite is not None else asgi
            base_url = "http://qbo.test/v3"
        async with QBOClient(
            realm or realm_id,
            base_url=base_url,
            tokens=tokens,
            gate=gate,
            retry=retry,
            transport=transport,
            timeout=timeout,
        ) as client:
            yield client

    return connect


@pytest.fixture
async def qbo(connect: Connect) -> AsyncIterator[QBOClient]:
    """The client most tests use: in-process, the fast retry policy, a recording gate."""
    async with connect() as client:
        yield client
