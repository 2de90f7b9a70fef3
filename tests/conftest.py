"""Fixtures shared by every suite: the emulator in-process and on a loopback port."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from ledgerbridge.emulator import Emulator, EmulatorConfig, create_app
from support import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, Realm, Served, free_port


@pytest.fixture
def emulator() -> Emulator:
    emu = Emulator(EmulatorConfig(auto_approve=True))
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
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(emulator), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the emulator did not start")
        time.sleep(0.01)
    try:
        yield Served(emulator, f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
