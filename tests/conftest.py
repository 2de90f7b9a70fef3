"""Fixtures shared by every suite: the emulator in-process and on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ledgerbridge.emulator import Emulator, EmulatorConfig, create_app
from support import (
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    UNTHROTTLED,
    Realm,
    Served,
    serve_in_thread,
)


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio (anyio's pytest plugin)."""
    return "asyncio"


@pytest.fixture
def emulator() -> Emulator:
    emu = Emulator(EmulatorConfig(auto_approve=True, limits=UNTHROTTLED))
    emu.oauth.register_app(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI])
    return emu


@pytest.fixture
def realm(emulator: Emulator) -> Iterator[Realm]:
    """A fresh company and a client authorized for it, over the in-process ASGI transport."""
    realm_id = emulator.create_company("Test Machine Shop")
    token = emulator.oauth.issue_tokens(CLIENT_ID, realm_id).access_token
    from starlette.testclient import TestClient

    with TestClient(create_app(emulator), base_url="http://emulator.test") as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield Realm(emulator, realm_id, client, token)


@pytest.fixture
def served(emulator: Emulator) -> Iterator[Served]:
    """The emulator on a loopback port, for clients that make their own HTTP calls."""
    with serve_in_thread(create_app(emulator)) as url:
        yield Served(emulator, url)
