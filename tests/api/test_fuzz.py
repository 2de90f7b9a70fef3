"""The REST API fuzzed from its own OpenAPI document (schemathesis): whatever a client sends,
no answer is a 500, and a refused request (4xx) changes nothing in the store.

The app is served over HTTP on a loopback port (one server, one event loop, as in
production), with a tenant connected to the in-process emulator; every generated request is
sent once as generated and once at that tenant's address, so that the checks reach past
the 404 of a random tenant id. ``make test`` runs a handful of examples per operation
(``EXAMPLES``); raise it locally to fuzz harder.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from apikit import ADMIN, Api, open_api
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from support import serve_in_thread

EXAMPLES = 6


@schemathesis.serializer("application/x-ndjson")
def _ndjson(context: Any, value: Any) -> bytes:
    """The NDJSON upload's body is text (its schema says so); anything else as its JSON."""
    return (value if isinstance(value, str) else json.dumps(value)).encode()


#: tables a refused request may still touch: none
_SKIPPED_TABLES = ("alembic_version",)


def digest(database: Path) -> str:
    """A hash of every row of every table: equal digests, equal store."""
    connection = sqlite3.connect(database)
    try:
        hasher = hashlib.sha256()
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
            if name not in _SKIPPED_TABLES
        ]
        for table in tables:
            for row in connection.execute(f'SELECT * FROM "{table}" ORDER BY 1, 2'):
                hasher.update(repr((table, row)).encode())
        return hasher.hexdigest()
    finally:
        connection.close()


def cases(operation: Any) -> st.SearchStrategy[Any]:
    """Requests the schema allows, and requests it refuses (each field broken in turn)."""
    return st.one_of(
        operation.as_strategy(generation_mode=schemathesis.GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=schemathesis.GenerationMode.NEGATIVE),
    )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Api]]:
    """The app on a loopback port, a tenant ``shop`` connected, with one record."""
    ready = threading.Event()
    holder: dict[str, Any] = {}
    stop = threading.Event()

    async def keep() -> None:
        async with open_api(tmp_path) as api:
            shop = await api.tenant("shop", company="Shop Co")
            await api.put(shop.id, shop.key, {"type": "customer", "id": "c0", "name": "C"})
            holder["api"] = api
            ready.set()
            while not stop.is_set():
                await asyncio.sleep(0.05)

    thread = threading.Thread(target=asyncio.run, args=(keep(),), daemon=True)
    thread.start()
    assert ready.wait(30)
    api: Api = holder["api"]
    try:
        with serve_in_thread(api.app) as url:
            yield url, api
    finally:
        stop.set()
        thread.join(30)


def test_no_request_gets_a_500_or_writes_when_refused(
    served: tuple[str, Api], tmp_path: Path
) -> None:
    """Every operation of /openapi.json, fuzzed with valid and invalid requests: no 5xx; a
    4xx leaves the store as it was."""
    url, api = served
    schema = schemathesis.openapi.from_dict(api.app.openapi())
    database = tmp_path / "ledgerbridge.db"
    seen: dict[str, int] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30

    for operation in operations:
        label = operation.label

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=cases(operation), at_shop=st.booleans())
        def fuzz(case: Any, at_shop: bool) -> None:
            if at_shop and "tenant_id" in (case.path_parameters or {}):
                case.path_parameters["tenant_id"] = "shop"
            before = digest(database)
            response = case.call(base_url=url, headers=ADMIN, timeout=30)
            what = f"{case.method} {case.formatted_path} -> {response.status_code}"
            assert response.status_code < 500, f"{what}: {response.text[:500]}"
            if 400 <= response.status_code < 500:
                assert digest(database) == before, f"{what} changed the store"
            seen[label] = seen.get(label, 0) + 1  # noqa: B023 - run before the loop moves on

        fuzz()
    assert set(seen) == {operation.label for operation in operations}
