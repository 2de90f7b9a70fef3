"""Helpers for the tests of the emulator's wire features: its admin knobs and real sockets.

Tests of timeouts, dropped connections and concurrency talk to the ``served`` fixture (the
emulator on a loopback port) with their own ``httpx.Client``; the rest use the in-process
``realm`` fixture. Nothing is mocked.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from emukit import Realm

import support
from ledgerbridge.emulator import Emulator
from support import CLIENT_ID, Served

#: the recorded throttling Fault (reference sections 1.8 and 5; two spaces after "reached.")
THROTTLE_MESSAGE = "message=ThrottleExceeded; errorCode=003001; statusCode=429"
THROTTLE_DETAIL = "The request limit was reached.  Try again later"


def configure(http: httpx.Client, **settings: Any) -> dict[str, Any]:
    """``PUT /_emulator/config``; it must answer 200 with the whole configuration."""
    response = http.put("/_emulator/config", json=settings)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def arm(http: httpx.Client, kind: str, **rule: Any) -> dict[str, Any]:
    """``POST /_emulator/faults``; it must answer 200 with the armed rule."""
    response = http.post("/_emulator/faults", json={"kind": kind, **rule})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def count(realm: Realm, entity: str) -> int:
    """How many (active) objects of ``entity`` the company holds, by ``SELECT COUNT(*)``."""
    return int(realm.query(f"select count(*) from {entity}")["totalCount"])


def new_company(emulator: Emulator, name: str, client_id: str = CLIENT_ID) -> tuple[str, str]:
    """A company and an access token of ``client_id`` for it: (realm id, token)."""
    realm_id = emulator.create_company(name)
    return realm_id, emulator.oauth.issue_tokens(client_id, realm_id).access_token


@contextmanager
def served_realm(
    served: Served,
    name: str = "Socket Shop",
    *,
    timeout: float = 10.0,
    realm_id: str | None = None,
    token: str | None = None,
) -> Iterator[Realm]:
    """A company (new, or ``realm_id`` with ``token``) and a real HTTP client for it."""
    if realm_id is None or token is None:
        realm_id, token = new_company(served.emulator, name)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=served.url, headers=headers, timeout=timeout) as client:
        yield support.Realm(served.emulator, realm_id, client, token)
