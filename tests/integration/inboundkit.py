"""Shared helpers for the inbound tests: webhooks, CDC, the initial import, the events feed.

A :class:`Harness` stands on a :class:`pushkit.World` (the emulator, one company, the pusher)
and adds what comes back from QBO: the tenant's stored connection, the inbound and event
stores, :class:`InboundSync` over a :class:`KitAccess`, and ledgerbridge's web app mounted
in-process. The emulator's webhook dispatcher posts to that app through an ASGI transport,
so a change made in the emulator reaches the endpoint as Intuit would send it: signed, in the
classic or CloudEvents format, when :meth:`Harness.flush` says so.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from cryptography.fernet import Fernet
from fastapi import FastAPI
from pushkit import TENANT, World, open_world

from ledgerbridge._errors import LedgerbridgeError
from ledgerbridge.emulator._webhooks import WebhookDispatcher
from ledgerbridge.engine import InboundSync, NotificationReport
from ledgerbridge.model import TenantSettings
from ledgerbridge.qbo import QBOClient, sign_notification
from ledgerbridge.store import (
    ConnectionRecord,
    ConnectionStore,
    Database,
    EventRecord,
    EventStore,
    InboundStore,
    TokenCipher,
    TokenGrant,
)
from ledgerbridge.web import WEBHOOK_PATH, create_app

VERIFIER = "0f3c9a2e-inbound-verifier-for-tests"
WEBHOOK_URL = f"http://ledgerbridge.test{WEBHOOK_PATH}"


class Clock:
    """A clock the tests move; real time until they do."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


class KitAccess:
    """:class:`~ledgerbridge.engine.TenantAccess` over the world: its settings, the stored
    connection, and the world's QBO client."""

    def __init__(self, world: World, connections: ConnectionStore) -> None:
        self.world = world
        self.connections = connections
        self.settings = TenantSettings()

    def tenant_settings(self, tenant_id: str) -> TenantSettings:
        return self.settings

    def connection(self, tenant_id: str) -> ConnectionRecord:
        record = self.connections.get(tenant_id=tenant_id, environment="emulator")
        if record is None or record.status == "disconnected":
            raise LedgerbridgeError(f"tenant {tenant_id} is not connected")
        return record

    @asynccontextmanager
    async def qbo(self, tenant_id: str) -> AsyncIterator[QBOClient]:
        self.connection(tenant_id)
        yield self.world.qbo


@dataclass
class Harness:
    """A world with everything inbound (module docstring)."""

    world: World
    database: Database
    connections: ConnectionStore
    access: KitAccess
    inbound: InboundStore
    events: EventStore
    sync: InboundSync
    web: FastAPI
    http: httpx.AsyncClient
    clock: Clock
    #: notification ids the endpoint handed on, in order (the job queue)
    queued: list[int] = field(default_factory=list)

    @property
    def realm_id(self) -> str:
        return self.world.realm_id

    def settle(self, settings: TenantSettings) -> None:
        """Use other tenant settings from now on (inbound and push)."""
        self.access.settings = settings
        self.world.with_settings(settings)

    def feed(self, kind: str | None = None) -> list[EventRecord]:
        """The tenant's events so far (of one kind)."""
        events: list[EventRecord] = []
        while page := self.events.read(tenant_id=TENANT, after=len(events), limit=1000):
            events.extend(page)
        return [event for event in events if kind is None or event.kind == kind]

    async def flush(self) -> list[NotificationReport]:
        """Deliver the emulator's pending webhooks now, then process what was queued."""
        await self.world.emulator.webhooks.flush()
        return await self.process_queued()

    async def process_queued(self) -> list[NotificationReport]:
        queued, self.queued[:] = list(self.queued), []
        return [await self.sync.process_notification(notification) for notification in queued]

    async def post(self, body: bytes, *, signature: str | None = None) -> httpx.Response:
        """POST a notification to the endpoint, signed with the verifier unless given."""
        headers = {"Content-Type": "application/json"}
        headers["intuit-signature"] = signature or sign_notification(body, VERIFIER)
        return await self.http.post(WEBHOOK_PATH, content=body, headers=headers)

    def ui_edit(self, entity: str, object_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """A person changes an object in the QuickBooks UI."""
        return dict(self.world.emulator.ui_edit(self.realm_id, entity, object_id, changes))

    def create_in_qbo(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        """Someone creates an object in QuickBooks (not ledgerbridge)."""
        return dict(self.world.emulator.ledger(self.realm_id).create(entity, body))


def classic(realm_id: str, *entities: tuple[str, str, str]) -> bytes:
    """A classic notification of ``(name, id, operation)`` changes, as Intuit encodes it."""
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    changes = [
        {"name": name, "id": qbo_id, "operation": operation, "lastUpdated": now}
        for name, qbo_id, operation in entities
    ]
    document = {
        "eventNotifications": [{"realmId": realm_id, "dataChangeEvent": {"entities": changes}}]
    }
    return json.dumps(document, separators=(",", ":")).encode()


def by_qbo(events: Sequence[EventRecord], qbo_type: str, qbo_id: str) -> list[EventRecord]:
    """The events about one QBO object."""
    return [e for e in events if (e.qbo_type, e.qbo_id) == (qbo_type, qbo_id)]


def _connect(database: Database, world: World, cipher: TokenCipher) -> ConnectionStore:
    """The tenant's stored connection to the world's company."""
    connections = ConnectionStore(database, cipher)
    now = datetime.now(UTC)
    grant = TokenGrant(
        access_token="unused-access",
        refresh_token="unused-refresh",
        access_expires_at=now + timedelta(hours=1),
        refresh_expires_at=now + timedelta(days=100),
    )
    connections.save_connection(
        tenant_id=TENANT,
        environment="emulator",
        realm_id=world.realm_id,
        company_name="Machine Shop",
        grant=grant,
    )
    return connections


def _route_webhooks(world: World, transport: httpx.AsyncBaseTransport, webhook_format: str) -> None:
    """Make the emulator's webhooks for the world's company travel on ``transport``."""
    emulator = world.emulator
    emulator.webhooks = WebhookDispatcher(
        subscribers=emulator.oauth.connected_apps,
        delay=lambda: emulator.config.scaled(emulator.config.webhook_delay_seconds),
        time_scale=lambda: emulator.config.time_scale,
        transport=transport,
    )
    emulator.oauth.register_app(
        "ledgerbridge",
        "ledgerbridge-secret",
        ["http://127.0.0.1/cb"],
        webhook_url=WEBHOOK_URL,
        verifier_token=VERIFIER,
        webhook_format=webhook_format,
    )
    emulator.oauth.issue_tokens("ledgerbridge", world.realm_id)


@asynccontextmanager
async def open_harness(
    database: Database,
    *,
    webhook_format: str = "classic",
    settings: TenantSettings | None = None,
    wrap_dispatch: Callable[[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport] | None = None,
) -> AsyncIterator[Harness]:
    """A :class:`Harness` on a fresh world whose webhooks reach ledgerbridge's endpoint.

    ``wrap_dispatch`` wraps the transport the emulator's webhooks travel on (to lose some).
    """
    async with open_world(database, settings) as world:
        cipher = TokenCipher(Fernet.generate_key())
        connections = _connect(database, world, cipher)
        clock = Clock()
        access = KitAccess(world, connections)
        access.settings = settings or access.settings
        inbound = InboundStore(database, clock=clock)
        sync = InboundSync(access=access, records=world.records, inbound=inbound, clock=clock)
        queued: list[int] = []
        web = create_app(
            notifications=inbound, on_notification=queued.append, webhook_verifier=VERIFIER
        )
        served: httpx.AsyncBaseTransport = httpx.ASGITransport(app=web)
        _route_webhooks(
            world, served if wrap_dispatch is None else wrap_dispatch(served), webhook_format
        )
        async with httpx.AsyncClient(transport=served, base_url="http://ledgerbridge.test") as http:
            yield Harness(
                world=world,
                database=database,
                connections=connections,
                access=access,
                inbound=inbound,
                events=EventStore(database, cipher=cipher, clock=clock),
                sync=sync,
                web=web,
                http=http,
                clock=clock,
                queued=queued,
            )
        await world.emulator.webhooks.aclose()
