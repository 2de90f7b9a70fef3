"""The sync benchmark's job-system parts: many companies at once, and auto-sync on save.

Both run the deployment as it runs in production, at time scale 1 (real time): a SQLite
store and Huey's SQLite queue in a work directory, ``ledgerbridge worker`` processes (realm
lanes, one company per worker at a time), the emulator over HTTP with Intuit's limits and the
latency model.

* ``multi_realm``: each of ``realms`` tenants, connected to a company of its own, gets a bulk
  run of its own machine-shop data set; ``workers`` worker processes run them side by side
  (enough threads each for every lane to run at once). Per realm: the writes of its run (its
  operations that succeeded) over the run's own duration, as a share of the ceiling.
* ``auto_sync_latency``: one of those tenants then auto-syncs invoices; new invoices are saved
  at ``rate`` a second, each followed by ``Jobs.records_saved`` as the REST API does; the
  latency of a save is until its link holds what was saved (debounce, queue, the run).
"""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, Final

from cryptography.fernet import Fernet

from benchkit import CEILING, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, Admin, BenchmarkError
from ledgerbridge.dataset import machine_shop, machine_shop_settings
from ledgerbridge.engine import Selection
from ledgerbridge.model import AnyRecord, Invoice, content_hash
from ledgerbridge.settings import Settings
from ledgerbridge.store import (
    ConnectionStore,
    Database,
    LinkStore,
    OperationStore,
    RecordInput,
    RecordStore,
    RunStore,
    SettingsStore,
    TokenCipher,
    TokenGrant,
)
from ledgerbridge.worker import Jobs

__all__ = ["Deployment", "auto_sync_latency", "deployment", "multi_realm", "realm_records"]

#: ``ledgerbridge`` as its console script runs it
_MAIN: Final = "import sys; from ledgerbridge.cli import main; sys.argv[0] = 'ledgerbridge'; main()"
_POLL: Final = 0.02


@dataclass
class Deployment:
    """The settings of the deployment, its store, and its running workers."""

    settings: Settings
    database: Database
    workers: list[subprocess.Popen[bytes]]

    def records(self) -> RecordStore:
        return RecordStore(self.database)


def _start_worker(fields: dict[str, Any], threads: int, log: IO[bytes]) -> subprocess.Popen[bytes]:
    """``ledgerbridge worker`` configured by ``LEDGERBRIDGE_*`` variables of ``fields``."""
    env = {f"LEDGERBRIDGE_{name.upper()}": str(value) for name, value in fields.items()}
    return subprocess.Popen(
        [sys.executable, "-c", _MAIN, "worker", "--workers", str(threads)],
        env={**env, "PATH": "/usr/bin:/bin", "PYTHONPATH": os.pathsep.join(sys.path)},
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _wait(condition: Any, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise BenchmarkError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(0.05)


@contextlib.contextmanager
def deployment(base_url: str, workdir: Path, *, workers: int, threads: int) -> Iterator[Deployment]:
    """A migrated store and ``workers`` worker processes of ``threads`` lanes each; the
    workers are stopped on exit (SIGTERM, then SIGKILL)."""
    fields: dict[str, Any] = {
        "mode": "development",
        "database_url": f"sqlite:///{workdir / 'deployment.db'}",
        "secret_key": Fernet.generate_key().decode(),
        "qbo_environment": "emulator",
        "emulator_url": base_url,
        "qbo_client_id": CLIENT_ID,
        "qbo_client_secret": CLIENT_SECRET,
        "qbo_redirect_uri": REDIRECT_URI,
        "qbo_time_scale": 1.0,
    }
    settings = Settings(**fields)
    database = Database(settings.database_url)
    database.migrate()
    processes: list[subprocess.Popen[bytes]] = []
    logs = [(workdir / f"worker-{n}.log").open("wb") for n in range(workers)]
    try:
        for log in logs:
            processes.append(_start_worker(fields, threads, log))
        for path in (workdir / f"worker-{n}.log" for n in range(workers)):
            _wait(
                lambda path=path: "Huey consumer started" in path.read_text(errors="replace"),
                timeout=60,
                what=f"the worker logging to {path}",
            )
        yield Deployment(settings, database, processes)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)
        for log in logs:
            log.close()
        database.dispose()


def _connect(deployed: Deployment, admin: Admin, tenant_id: str) -> str:
    """The tenant, connected to a new company with tokens the emulator issues."""
    key = deployed.settings.secret_key
    assert key is not None
    connections = ConnectionStore(deployed.database, TokenCipher(key.get_secret_value()))
    connections.create_tenant(tenant_id=tenant_id, name=tenant_id)
    realm_id = admin.new_company(f"Bench {tenant_id}")
    tokens = admin.call("POST", "/tokens", {"client_id": CLIENT_ID, "realm_id": realm_id})
    now = datetime.now(UTC)
    connections.save_connection(
        tenant_id=tenant_id,
        environment="emulator",
        realm_id=realm_id,
        company_name=f"Bench {tenant_id}",
        grant=TokenGrant(
            access_token=str(tokens["access_token"]),
            refresh_token=str(tokens["refresh_token"]),
            access_expires_at=now + timedelta(minutes=50),
            refresh_expires_at=now + timedelta(days=100),
        ),
    )
    return realm_id


def _put(records: RecordStore, tenant_id: str, batch: Sequence[AnyRecord]) -> None:
    records.put_many(
        tenant_id=tenant_id,
        records=[
            RecordInput(
                record_type=record.type,
                app_id=record.id,
                payload=record.model_dump(mode="json"),
                content_hash=content_hash(record),
            )
            for record in batch
        ],
    )


def _configure(deployed: Deployment, tenant_id: str, **changes: Any) -> None:
    store = SettingsStore(deployed.database)
    current = store.current(tenant_id=tenant_id)
    document = machine_shop_settings().model_copy(update=changes).model_dump(mode="json")
    store.save(
        tenant_id=tenant_id,
        document=document,
        expected_version=None if current is None else current.version,
    )


def realm_records(n: int, records: int) -> list[AnyRecord]:
    """The data set of realm ``n``."""
    return machine_shop(records, seed=100 + n)


def multi_realm(
    deployed: Deployment, admin: Admin, *, realms: int, records: int, timeout: float = 400
) -> tuple[dict[str, Any], list[str]]:
    """Each realm's bulk run of its data set, all queued at once; the figures and tenants."""
    tenants = [f"realm-{n:02d}" for n in range(realms)]
    store = deployed.records()
    for n, tenant in enumerate(tenants):
        _connect(deployed, admin, tenant)
        _configure(deployed, tenant)
        _put(store, tenant, realm_records(n, records))
    runs = RunStore(deployed.database)
    jobs = Jobs(deployed.settings, database=deployed.database)
    try:
        for tenant in tenants:
            jobs.request_sync(tenant, "bulk", Selection())
        _wait(
            lambda: all(run.finished for t in tenants for run in runs.list(tenant_id=t)),
            timeout=timeout,
            what=f"the bulk runs of {realms} realms",
        )
    finally:
        jobs.close()
    return _figures(deployed, tenants, runs), tenants


def _figures(deployed: Deployment, tenants: Sequence[str], runs: RunStore) -> dict[str, Any]:
    operations = OperationStore(deployed.database)
    per_realm: list[dict[str, Any]] = []
    started: list[datetime] = []
    finished: list[datetime] = []
    total = 0
    for tenant in tenants:
        [run] = runs.list(tenant_id=tenant)
        if run.started_at is None or run.finished_at is None:
            raise BenchmarkError(f"the run of {tenant} has no start or end: {run.status}")
        writes = len(
            operations.list(tenant_id=tenant, run_id=run.id, status="succeeded", limit=100_000)
        )
        minutes = (run.finished_at - run.started_at).total_seconds() / 60
        per_realm.append(
            {
                "tenant": tenant,
                "status": run.status,
                "writes": writes,
                "minutes": round(minutes, 3),
                "ops_per_min": round(writes / minutes, 1),
                "efficiency": round(writes / minutes / CEILING, 3),
            }
        )
        started.append(run.started_at)
        finished.append(run.finished_at)
        total += writes
    span = (max(finished) - min(started)).total_seconds() / 60
    efficiencies = [realm["efficiency"] for realm in per_realm]
    return {
        "realms": len(tenants),
        "workers": len(deployed.workers),
        "ops_per_min_total": round(total / span, 1),
        "efficiency": min(efficiencies),
        "efficiency_mean": round(statistics.fmean(efficiencies), 3),
        "time_scale": 1.0,
        "per_realm": per_realm,
    }


def auto_sync_latency(
    deployed: Deployment,
    tenant_id: str,
    *,
    template: Invoice,
    saves: int,
    rate: float,
    emulator_latency_ms: float,
    timeout: float = 120,
) -> dict[str, Any]:
    """Copies of ``template`` (an invoice of the tenant's data set) saved as new invoices at
    ``rate`` a second with auto-sync on: the save-to-QBO latency of each."""
    _configure(deployed, tenant_id, auto_sync=frozenset({"invoice"}))
    store = deployed.records()
    links = LinkStore(deployed.database)
    jobs = Jobs(deployed.settings, database=deployed.database)
    saved: dict[str, tuple[float, str]] = {}
    seen: dict[str, float] = {}
    done = threading.Event()

    def watch() -> None:
        while not done.is_set() or len(seen) < len(saved):
            for app_id, (_, wanted) in list(saved.items()):
                if app_id in seen:
                    continue
                link = links.get(tenant_id=tenant_id, record_type="invoice", app_id=app_id)
                if link is not None and link.linked and link.pushed_hash == wanted:
                    seen[app_id] = time.monotonic()
            if done.is_set() and time.monotonic() > deadline:
                return
            time.sleep(_POLL)

    deadline = time.monotonic() + timeout
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        for n in range(saves):
            invoice = template.model_copy(update={"id": f"auto-{n:04d}", "number": f"A{n:05d}"})
            at = time.monotonic()
            _put(store, tenant_id, [invoice])
            jobs.records_saved(tenant_id, [("invoice", invoice.id)])
            saved[invoice.id] = (at, content_hash(invoice))
            time.sleep(max(0.0, at + 1 / rate - time.monotonic()))
        deadline = time.monotonic() + timeout
        done.set()
        watcher.join(timeout=timeout + 5)
    finally:
        done.set()
        jobs.close()
    latencies = sorted((seen[k] - at) * 1000 for k, (at, _) in saved.items() if k in seen)
    if len(latencies) < saves:
        raise BenchmarkError(f"{saves - len(latencies)} auto-synced invoices never reached QBO")
    return {
        "saves": saves,
        "saves_per_s": rate,
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1),
        "max_ms": round(latencies[-1], 1),
        "emulator_latency_ms": emulator_latency_ms,
    }
