"""Shared helpers for pushing records through :class:`Pusher` against the emulator.

A :class:`World` holds the in-process emulator (unthrottled), one QBO company, a client on
it, the SQLite record and link stores, and a pusher; :func:`open_world` builds one.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet

from ledgerbridge.emulator import Emulator, EmulatorConfig, create_app
from ledgerbridge.engine import BulkPusher, Pusher
from ledgerbridge.model import TenantSettings, content_hash
from ledgerbridge.qbo import QBOClient, RequestGate, RetryPolicy
from ledgerbridge.store import (
    ConnectionStore,
    Database,
    LinkRecord,
    LinkStore,
    OperationStore,
    RecordInput,
    RecordStore,
    TokenCipher,
)
from support import UNTHROTTLED

TENANT = "machine-shop"
FAST = RetryPolicy(max_attempts=2, throttle_wait=0.01, backoff_base=0.01, backoff_cap=0.02)
#: wraps the emulator's transport (a QBO behaviour the emulator does not have, in one test)
TransportWrapper = Callable[[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport]


def money(value: Any) -> Decimal:
    """A QBO amount (a JSON number or string) as a Decimal."""
    return Decimal(str(value))


class StaticTokens:
    """An access-token source that always hands out the same token."""

    def __init__(self, token: str) -> None:
        self.token = token

    async def access_token(self) -> str:
        return self.token

    async def refreshed(self, rejected: str) -> str:
        return self.token


class RecordingTransport(httpx.AsyncBaseTransport):
    """The emulator's transport, keeping ``(path, JSON body)`` of every write request: the
    emulator's request log has no bodies, and a test may need to see what an update sent."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and not request.url.path.endswith("/query"):
            self.sent.append((request.url.path, json.loads(await request.aread())))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class World:
    """The emulator, one company, a client, the stores and a pusher."""

    emulator: Emulator
    realm_id: str
    qbo: QBOClient
    records: RecordStore
    links: LinkStore
    pusher: Pusher
    #: (path, JSON body) of every write request, in order (:class:`RecordingTransport`)
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def put(self, record: Any) -> None:
        self.records.put(
            tenant_id=TENANT,
            record_type=record.type,
            app_id=record.id,
            payload=record.model_dump(mode="json"),
            content_hash=content_hash(record),
        )

    def delete(self, record_type: str, app_id: str) -> None:
        """The host app deletes a record."""
        self.records.delete(tenant_id=TENANT, record_type=record_type, app_id=app_id)

    def put_all(self, records: Iterable[Any]) -> None:
        """Store many records in one transaction (much faster than :meth:`put` each)."""
        self.records.put_many(
            tenant_id=TENANT,
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

    def with_settings(self, settings: TenantSettings) -> Pusher:
        """A new pusher on the same company and stores, with other settings."""
        self.pusher = Pusher(
            tenant_id=TENANT,
            qbo=self.qbo,
            records=self.records,
            links=self.links,
            settings=settings,
        )
        return self.pusher

    def link(self, record_type: str, app_id: str) -> LinkRecord | None:
        return self.links.get(tenant_id=TENANT, record_type=record_type, app_id=app_id)

    def writes(self) -> list[dict[str, Any]]:
        log = self.emulator.request_log(self.realm_id)
        return [r for r in log if r["method"] == "POST" and not r["path"].endswith("/query")]

    def write_paths(self, since: int = 0) -> list[str]:
        """The last path segment (the entity, lower case) of each write after the first
        ``since`` writes, e.g. ``["item", "inventoryadjustment"]``."""
        return [w["path"].rsplit("/", 1)[-1] for w in self.writes()[since:]]

    def dirty(self) -> set[tuple[str, str]]:
        """The (record type, app id) of every record still waiting to be pushed."""
        return {(r.record_type, r.app_id) for r in self.records.dirty(tenant_id=TENANT)}

    def objects(self, entity: str) -> list[dict[str, Any]]:
        return list(self.emulator.company(self.realm_id).objects[entity].values())

    def read(self, entity: str, object_id: str) -> dict[str, Any]:
        return dict(self.emulator.ledger(self.realm_id).read(entity, object_id))

    def account_id(self, name: str) -> str:
        """The Id of the company's account named ``name``."""
        return str(next(a["Id"] for a in self.objects("Account") if a["Name"] == name))

    async def inventory_item_in_qbo(self, name: str, on_hand: int) -> dict[str, Any]:
        """An Inventory item made in QBO itself (a bookkeeper's), with the usual accounts."""
        return await self.qbo.items.create(
            {
                "Name": name,
                "Type": "Inventory",
                "TrackQtyOnHand": True,
                "QtyOnHand": on_hand,
                "InvStartDate": "2026-01-01",
                "IncomeAccountRef": {"value": self.account_id("Sales of Product Income")},
                "ExpenseAccountRef": {"value": self.account_id("Cost of Goods Sold")},
                "AssetAccountRef": {"value": self.account_id("Inventory Asset")},
            }
        )


@contextmanager
def open_database(tmp_path: Path) -> Iterator[Database]:
    """A migrated SQLite database in ``tmp_path`` with the tenant created."""
    database = Database(f"sqlite:///{tmp_path / 'ledgerbridge.db'}")
    database.migrate()
    ConnectionStore(database, TokenCipher(Fernet.generate_key())).create_tenant(
        tenant_id=TENANT, name="Machine Shop"
    )
    try:
        yield database
    finally:
        database.dispose()


@asynccontextmanager
async def open_world(
    database: Database,
    settings: TenantSettings | None = None,
    *,
    sample_data: bool = False,
    wrap: TransportWrapper | None = None,
    config: EmulatorConfig | None = None,
    gate: RequestGate | None = None,
) -> AsyncIterator[World]:
    """A fresh emulator company (the sample company with ``sample_data``) and a pusher
    writing to it from ``database``; ``wrap`` wraps the emulator's transport; ``config``
    replaces the unthrottled emulator's, ``gate`` (a governor) admits the client's requests."""
    emulator = Emulator(config or EmulatorConfig(limits=UNTHROTTLED))
    emulator.oauth.register_app("push-app", "push-secret", ["http://127.0.0.1/cb"])
    realm_id = emulator.create_company("Machine Shop", sample_data=sample_data)
    token = emulator.oauth.issue_tokens("push-app", realm_id).access_token
    served: httpx.AsyncBaseTransport = httpx.ASGITransport(app=create_app(emulator))
    transport = RecordingTransport(served if wrap is None else wrap(served))
    async with QBOClient(
        realm_id,
        base_url="http://qbo.test/v3",
        tokens=StaticTokens(token),
        transport=transport,
        retry=FAST,
        gate=gate,
    ) as qbo:
        records, links = RecordStore(database), LinkStore(database)
        pusher = Pusher(
            tenant_id=TENANT,
            qbo=qbo,
            records=records,
            links=links,
            settings=settings or TenantSettings(),
        )
        yield World(emulator, realm_id, qbo, records, links, pusher, transport.sent)


def bulk_pusher(
    world: World, database: Database, settings: TenantSettings | None = None
) -> BulkPusher:
    """A :class:`BulkPusher` on the world's company and stores, logging to ``database``."""
    return BulkPusher(
        tenant_id=TENANT,
        qbo=world.qbo,
        records=world.records,
        links=world.links,
        settings=settings or TenantSettings(),
        operations=OperationStore(database),
    )
