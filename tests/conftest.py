"""Fixtures shared by every suite: the emulator in-process and on a loopback port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn

from ledgerbridge.emulator import Emulator, EmulatorConfig, create_app

CLIENT_ID = "test-client"
CLIENT_SECRET = "test-secret"  # generated per test run would add nothing: the emulator is local
REDIRECT_URI = "http://127.0.0.1/callback"


@dataclass
class Realm:
    """A company in a running emulator, with an HTTP client holding a valid token."""

    emulator: Emulator
    realm_id: str
    http: httpx.Client
    access_token: str

    @property
    def base(self) -> str:
        return f"/v3/company/{self.realm_id}"

    def post(self, path: str, body: object, **params: str) -> httpx.Response:
        return self.http.post(f"{self.base}/{path}", json=body, params=params)

    def get(self, path: str, **params: str) -> httpx.Response:
        return self.http.get(f"{self.base}/{path}", params=params)

    def create(self, entity: str, body: object) -> dict:  # type: ignore[type-arg]
        response = self.post(entity.lower(), body)
        assert response.status_code == 200, response.text
        return response.json()[entity]  # type: ignore[no-any-return]

    def query(self, text: str) -> dict:  # type: ignore[type-arg]
        response = self.get("query", query=text)
        assert response.status_code == 200, response.text
        return response.json()["QueryResponse"]  # type: ignore[no-any-return]


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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    emulator: Emulator
    url: str


@pytest.fixture
def served(emulator: Emulator) -> Iterator[Served]:
    """The emulator on a loopback port, for clients that make their own HTTP calls."""
    port = _free_port()
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
