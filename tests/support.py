"""Helpers the test suites share (fixtures live in conftest.py)."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

import httpx

from ledgerbridge.emulator import Emulator

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
