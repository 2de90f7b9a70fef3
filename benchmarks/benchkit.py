"""What the sync benchmark's parts share: the emulator process, its admin API, a tenant of
ledgerbridge connected to a company of its own, and a bulk push through the governor."""

from __future__ import annotations

import contextlib
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

import httpx

from emulator_throughput import (
    BenchmarkError,
    _stop,
    _wait_until_ready,
    free_loopback_port,
    process_cpu_seconds,
)
from ledgerbridge.dataset import machine_shop_settings
from ledgerbridge.engine import BulkPusher, BulkStats, ConnectFlow, ConnectionTokens, PushReport
from ledgerbridge.model import AnyRecord, content_hash
from ledgerbridge.qbo import Governor, OAuthClient, QBOClient, QBOLimits, environment
from ledgerbridge.store import (
    ConnectionRecord,
    ConnectionStore,
    Database,
    LinkStore,
    OperationStore,
    RecordInput,
    RecordStore,
    SettingsStore,
    TokenCipher,
)

__all__ = [
    "CEILING",
    "CLIENT_ID",
    "CLIENT_SECRET",
    "REDIRECT_URI",
    "Admin",
    "BenchmarkError",
    "LatencyModel",
    "Served",
    "Tenant",
    "connect_tenant",
    "emulator_process",
    "push",
    "put_records",
    "statuses",
]

CLIENT_ID, CLIENT_SECRET = "ledgerbridge-bench", secrets.token_urlsafe(24)
REDIRECT_URI: Final = "http://127.0.0.1/callback"
STATE_SECRET: Final = secrets.token_bytes(32)
#: Intuit's limits (QBO-REFERENCE.md section 5), the emulator's defaults
REQUESTS_PER_MINUTE, BATCH_PER_MINUTE, BATCH_MAX_ITEMS = 500, 40, 30
CEILING: Final = BATCH_PER_MINUTE * BATCH_MAX_ITEMS + (REQUESTS_PER_MINUTE - BATCH_PER_MINUTE)


@dataclass(frozen=True)
class LatencyModel:
    """What a request takes in QBO time: ``latency_ms`` each, ``batch_item_latency_ms`` more
    per item of a batch. The emulator does not scale its latency by its time scale, so it is
    given the model divided by the time scale (:meth:`emulator_settings`)."""

    latency_ms: float
    batch_item_latency_ms: float

    def emulator_settings(self, time_scale: float) -> dict[str, float]:
        return {
            "latency_ms": self.latency_ms / time_scale,
            "batch_item_latency_ms": self.batch_item_latency_ms / time_scale,
            "time_scale": time_scale,
        }


# -- the emulator process -------------------------------------------------------------------------
@dataclass(frozen=True)
class Served:
    """The emulator process and its URL."""

    base_url: str
    pid: int

    def cpu_seconds(self) -> float:
        return process_cpu_seconds(self.pid) or 0.0


@contextlib.contextmanager
def emulator_process(model: LatencyModel, time_scale: float) -> Iterator[Served]:
    """``ledgerbridge emulator`` on a free loopback port with the options' time scale and
    latency model (divided by the time scale: the emulator does not scale latency)."""
    executable = Path(sys.executable).with_name("ledgerbridge")
    if not executable.exists():
        raise BenchmarkError(f"{executable} not found: install the project into this venv")
    port = free_loopback_port()
    base_url = f"http://127.0.0.1:{port}"
    scale = time_scale
    command = [
        str(executable),
        "emulator",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--client-id",
        CLIENT_ID,
        "--client-secret",
        CLIENT_SECRET,
        "--redirect-uri",
        REDIRECT_URI,
        "--auto-approve",
        "--time-scale",
        f"{scale:g}",
        "--latency-ms",
        f"{model.latency_ms / scale:g}",
        "--batch-item-latency-ms",
        f"{model.batch_item_latency_ms / scale:g}",
    ]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_until_ready(process, base_url, log)
            yield Served(base_url, process.pid)
        finally:
            _stop(process)


class Admin:
    """The emulator's admin API (``/_emulator``)."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30.0, trust_env=False)

    def call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        response = self.http.request(method, f"/_emulator{path}", json=payload)
        if response.status_code != 200:
            raise BenchmarkError(
                f"{method} /_emulator{path}: {response.status_code} {response.text}"
            )
        return response.json()

    def new_company(self, name: str) -> str:
        """A new company; the auto-approved consent page connects the newest one."""
        return str(self.call("POST", "/companies", {"name": name})["realm_id"])

    def requests(self, realm_id: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.http.get(
            "/_emulator/requests", params={"realm_id": realm_id}
        ).json()["requests"]
        return found

    def configure(self, **changes: Any) -> None:
        self.call("PUT", "/config", changes)


# -- one tenant of ledgerbridge --------------------------------------------------------------------
@dataclass
class Tenant:
    """A tenant in a fresh store, connected to a fresh company through OAuth."""

    tenant_id: str
    database: Database
    connections: ConnectionStore
    connection: ConnectionRecord
    oauth: OAuthClient
    base_url: str

    @property
    def realm_id(self) -> str:
        return self.connection.realm_id

    def client(self, limits: QBOLimits, governor: Governor) -> QBOClient:
        tokens = ConnectionTokens(self.connections, self.oauth, self.connection.id)
        return QBOClient(
            self.realm_id, base_url=f"{self.base_url}/v3", tokens=tokens, gate=governor
        )


async def connect_tenant(
    base_url: str, admin: Admin, workdir: Path, tenant_id: str, records: Sequence[AnyRecord]
) -> Tenant:
    """A store with the tenant, its settings and its records, connected to a new company."""
    database = Database(f"sqlite:///{workdir / f'{tenant_id}.db'}")
    database.migrate()
    connections = ConnectionStore(database, TokenCipher(TokenCipher.generate_key()))
    connections.create_tenant(tenant_id=tenant_id, name=tenant_id)
    settings = machine_shop_settings()
    SettingsStore(database).save(
        tenant_id=tenant_id, document=settings.model_dump(mode="json"), expected_version=None
    )
    admin.new_company(f"Bench {tenant_id}")
    oauth = OAuthClient(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uri=REDIRECT_URI,
        environment=environment("emulator", emulator_url=base_url),
    )
    flow = ConnectFlow(
        connections,
        oauth,
        environment="emulator",
        api_base=f"{base_url}/v3",
        state_secret=STATE_SECRET,
    )
    url = await flow.begin(tenant_id)
    async with httpx.AsyncClient(trust_env=False) as browser:
        consent = await browser.get(url)
    if consent.status_code not in (302, 303):
        raise BenchmarkError(f"the consent page answered {consent.status_code}: {consent.text}")
    callback = {k: v[0] for k, v in parse_qs(urlsplit(consent.headers["location"]).query).items()}
    connection = await flow.complete(
        tenant_id, code=callback["code"], state=callback["state"], realm_id=callback["realmId"]
    )
    put_records(RecordStore(database), tenant_id, records)
    return Tenant(tenant_id, database, connections, connection, oauth, base_url)


def put_records(store: RecordStore, tenant_id: str, records: Sequence[AnyRecord]) -> None:
    store.put_many(
        tenant_id=tenant_id,
        records=[
            RecordInput(
                record_type=record.type,
                app_id=record.id,
                payload=record.model_dump(mode="json"),
                content_hash=content_hash(record),
            )
            for record in records
        ],
    )


async def push(tenant: Tenant, limits: QBOLimits) -> tuple[PushReport, BulkStats]:
    """One bulk run of every dirty record of the tenant: its report and what it sent."""
    async with Governor(limits) as governor, tenant.client(limits, governor) as qbo:
        pusher = BulkPusher(
            tenant_id=tenant.tenant_id,
            qbo=qbo,
            records=RecordStore(tenant.database),
            links=LinkStore(tenant.database),
            operations=OperationStore(tenant.database),
            settings=machine_shop_settings(),
            trigger="bulk",
            run_id=secrets.token_hex(8),
        )
        return await pusher.run(), pusher.stats


def statuses(admin: Admin, realm_id: str) -> dict[int, int]:
    counted: dict[int, int] = {}
    for entry in admin.requests(realm_id):
        counted[int(entry["status"])] = counted.get(int(entry["status"]), 0) + 1
    return counted
