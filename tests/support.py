"""Helpers the test suites share (fixtures live in conftest.py)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from starlette.types import ASGIApp

from ledgerbridge.emulator import Emulator
from ledgerbridge.emulator._config import Limits

#: Limits no test reaches by accident; the throttling tests set Intuit's on purpose.
UNTHROTTLED = Limits(
    requests_per_minute=1_000_000,
    requests_per_second=1_000_000,
    concurrent=1_000,
    batch_per_minute=1_000_000,
)

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

    def create(self, entity: str, body: object) -> dict[str, Any]:
        response = self.post(entity.lower(), body)
        assert response.status_code == 200, response.text
        return response.json()[entity]

    def query(self, text: str) -> dict[str, Any]:
        response = self.get("query", query=text)
        assert response.status_code == 200, response.text
        return response.json()["QueryResponse"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    emulator: Emulator
    url: str


@contextlib.contextmanager
def serve_in_thread(
    app: ASGIApp, port: int | None = None, *, config: uvicorn.Config | None = None
) -> Iterator[str]:
    """Serve an ASGI app on ``port`` (a free loopback port by default) for the block; yields
    its base URL. ``config`` (for ``app`` on that port) replaces the quiet default."""
    port = config.port if config is not None else port or free_port()
    config = config or uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def http_scope(
    method: str, path: str, *, query: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None
) -> dict[str, Any]:
    """An ASGI HTTP scope, for calling an app directly with a ``receive`` of the test's own
    (a client that goes away, a body that must not be read)."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": headers or [],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
