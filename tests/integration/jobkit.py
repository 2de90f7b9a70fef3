"""Shared setup of the jobs tests: a deployment against the emulator served over HTTP.

A :class:`Shop` holds the settings (SQLite store in ``tmp_path``, the emulator on a loopback
port, short lane leases), the stores, and helpers to connect tenants, save their settings,
put records and wait for runs. The jobs under test run on real Huey consumer threads or in a
``ledgerbridge worker`` subprocess, never in Huey's immediate mode.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from cryptography.fernet import Fernet
from sqlalchemy import text

from ledgerbridge.emulator import Emulator
from ledgerbridge.engine import LaneReport, SyncRuntime, drain_lane
from ledgerbridge.model import Customer, TenantSettings, content_hash
from ledgerbridge.settings import Settings
from ledgerbridge.store import (
    ConnectionStore,
    Database,
    RecordStore,
    RunRecord,
    RunStore,
    SettingsStore,
    TokenCipher,
    TokenGrant,
)
from ledgerbridge.store._tables import Base
from ledgerbridge.worker import EmbeddedConsumer, Jobs, make_huey
from support import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, Served

TENANT = "machine-shop"
#: ``ledgerbridge`` as its console script runs it
_MAIN = "import sys; from ledgerbridge.cli import main; sys.argv[0] = 'ledgerbridge'; main()"


def shop_settings(tmp_path: Path, emulator_url: str, **changes: Any) -> Settings:
    """Settings of a deployment syncing to the emulator at ``emulator_url``."""
    fields: dict[str, Any] = {
        "mode": "development",
        "database_url": f"sqlite:///{tmp_path / 'ledgerbridge.db'}",
        "secret_key": Fernet.generate_key().decode(),
        "qbo_environment": "emulator",
        "emulator_url": emulator_url,
        "qbo_client_id": CLIENT_ID,
        "qbo_client_secret": CLIENT_SECRET,
        "qbo_redirect_uri": REDIRECT_URI,
        # a test should not wait on Intuit's ten requests a second: the governor's windows
        # shrink 60 times (the served emulator is unthrottled)
        "qbo_time_scale": 60.0,
        "lane_lease_seconds": 3.0,
        **changes,
    }
    return Settings(**fields)


def environ(settings: Settings) -> dict[str, str]:
    """The ``LEDGERBRIDGE_*`` variables that give a subprocess (or CliRunner) ``settings``."""
    env = {}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if hasattr(value, "get_secret_value"):
            value = value.get_secret_value()
        env[f"LEDGERBRIDGE_{name.upper()}"] = str(value)
    return env


def start_ledgerbridge(
    settings: Settings, *args: str, output: IO[bytes] | int = subprocess.PIPE
) -> subprocess.Popen[bytes]:
    """``ledgerbridge ARGS`` in a subprocess configured by ``settings`` (stderr to ``output``)."""
    return subprocess.Popen(
        [sys.executable, "-c", _MAIN, *args],
        # nothing of the test's own environment but where Python finds ledgerbridge
        env={**environ(settings), "PATH": "/usr/bin:/bin", "PYTHONPATH": os.pathsep.join(sys.path)},
        stdout=output,
        stderr=subprocess.STDOUT,
    )


def customer(app_id: str, name: str) -> Customer:
    return Customer(id=app_id, name=name, phone="555-0100")


@dataclass
class Shop:
    """A deployment's settings and stores, and the emulator it syncs to."""

    settings: Settings
    emulator: Emulator
    database: Database
    records: RecordStore
    runs: RunStore
    connections: ConnectionStore

    def connect(self, tenant_id: str, realm_id: str | None = None) -> str:
        """Add the tenant and connect it to ``realm_id`` (a new company when ``None``)."""
        if self.connections.get_tenant(tenant_id) is None:
            self.connections.create_tenant(tenant_id=tenant_id, name=tenant_id.title())
        realm_id = realm_id or self.emulator.create_company(f"{tenant_id} Co")
        tokens = self.emulator.oauth.issue_tokens(CLIENT_ID, realm_id)
        now = datetime.now(UTC)
        grant = TokenGrant(
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            access_expires_at=now + timedelta(minutes=50),
            refresh_expires_at=now + timedelta(days=100),
        )
        self.connections.save_connection(
            tenant_id=tenant_id,
            environment="emulator",
            realm_id=realm_id,
            company_name=f"{tenant_id} Co",
            grant=grant,
        )
        return realm_id

    def configure(self, tenant_id: str, settings: TenantSettings) -> None:
        """Save the tenant's settings as a new version."""
        store = SettingsStore(self.database)
        current = store.current(tenant_id=tenant_id)
        store.save(
            tenant_id=tenant_id,
            document=settings.model_dump(mode="json"),
            expected_version=None if current is None else current.version,
        )

    def put(self, tenant_id: str, record: Any, *, ago: timedelta = timedelta(0)) -> tuple[str, str]:
        """Store a canonical record for the tenant (``ago``: as if saved that long ago, its
        auto-sync request long lost); returns its key."""
        records = RecordStore(self.database, clock=lambda: datetime.now(UTC) - ago)
        records.put(
            tenant_id=tenant_id,
            record_type=record.type,
            app_id=record.id,
            payload=record.model_dump(mode="json"),
            content_hash=content_hash(record),
        )
        return record.type, record.id

    def put_customers(
        self, tenant_id: str, count: int, *, ago: timedelta = timedelta(0)
    ) -> list[Any]:
        """``count`` customers named after their tenant and number."""
        made = [customer(f"c{n}", f"{tenant_id} customer {n}") for n in range(count)]
        for record in made:
            self.put(tenant_id, record, ago=ago)
        return made

    def dirty(self, tenant_id: str) -> int:
        return len(self.records.dirty(tenant_id=tenant_id, limit=10_000))

    def runs_of(self, tenant_id: str) -> list[RunRecord]:
        """The tenant's runs, oldest first."""
        return list(reversed(self.runs.list(tenant_id=tenant_id, limit=1000)))

    def names(self, realm_id: str, entity: str = "Customer") -> Counter[str]:
        """How many QBO objects of ``entity`` bear each name (DocNumber for transactions)."""
        field = {"Customer": "DisplayName", "Item": "Name"}.get(entity, "DocNumber")
        objects = self.emulator.company(realm_id).objects[entity].values()
        return Counter(str(obj.get(field)) for obj in objects)


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll ``condition`` until it holds; fail saying ``what`` did not happen in time."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.05)


@contextmanager
def open_shop(tmp_path: Path, served: Served, **settings: Any) -> Iterator[Shop]:
    """A migrated store for a deployment syncing to the ``served`` emulator."""
    config = shop_settings(tmp_path, served.url, **settings)
    database = Database(config.database_url)
    if database.dialect == "postgresql":  # a test database that earlier tests used
        Base.metadata.drop_all(database.engine)
        with database.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    database.migrate()
    key = config.secret_key
    assert key is not None
    try:
        yield Shop(
            settings=config,
            emulator=served.emulator,
            database=database,
            records=RecordStore(database),
            runs=RunStore(database),
            connections=ConnectionStore(database, TokenCipher(key.get_secret_value())),
        )
    finally:
        database.dispose()


def drain_here(settings: Settings, tenant_id: str) -> LaneReport:
    """Run the tenant's lane in this thread, on a loop of its own (no job queue)."""

    async def drain() -> LaneReport:
        runtime = SyncRuntime(settings)
        try:
            return await drain_lane(runtime, tenant_id)
        finally:
            await runtime.aclose()

    return asyncio.run(drain())


@contextmanager
def consuming(
    settings: Settings, *, workers: int = 2, huey_name: str | None = None
) -> Iterator[Jobs]:
    """Jobs with consumer threads running (a worker process, in this one)."""
    huey = None if huey_name is None else make_huey(settings, name=huey_name)
    jobs = Jobs(settings, huey=huey)
    try:
        with EmbeddedConsumer(jobs, workers=workers):
            yield jobs
    finally:
        jobs.close()
