"""Fixtures of the store tests: a migrated database and a store with two tenants.

The database is a SQLite file in ``tmp_path``. With ``LEDGERBRIDGE_TEST_POSTGRES_URL`` set (an
empty PostgreSQL database the tests may wipe), every test runs on PostgreSQL as well.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from storekit import OTHER_TENANT, TENANT, Clock, wipe

from ledgerbridge.store import ConnectionStore, Database, TokenCipher

POSTGRES_URL = os.environ.get("LEDGERBRIDGE_TEST_POSTGRES_URL", "")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "ledgerbridge.db"


@pytest.fixture(params=["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"])
def database(request: pytest.FixtureRequest, db_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        db = Database(f"sqlite:///{db_path}")
    else:
        db = Database(POSTGRES_URL)
        wipe(db)
    db.migrate()
    yield db
    db.dispose()


@pytest.fixture
def key() -> str:
    return TokenCipher.generate_key()


@pytest.fixture
def cipher(key: str) -> TokenCipher:
    return TokenCipher(key)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(database: Database, cipher: TokenCipher, clock: Clock) -> ConnectionStore:
    """A store with two tenants, ``acme`` and ``globex``, and a clock the test can move."""
    connections = ConnectionStore(database, cipher, clock=clock)
    connections.create_tenant(tenant_id=TENANT, name="Acme Machine Shop")
    connections.create_tenant(tenant_id=OTHER_TENANT, name="Globex Repair")
    return connections
