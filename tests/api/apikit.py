"""Shared setup of the API tests: the web app over a SQLite store, the emulator in-process.

:func:`open_api` builds a deployment (settings, migrated store, jobs on a SQLite queue with no
consumer, the web app's :class:`Services`) and an ``httpx`` client on the app through
``ASGITransport``; QuickBooks is the emulator, mounted in-process too. :class:`Api` has the
steps the tests share: create a tenant (its key), connect it through the emulator's consent
page and the OAuth callback, put records, run its lane.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography.fernet import Fernet
from fastapi import FastAPI

from ledgerbridge.emulator import Emulator, EmulatorConfig
from ledgerbridge.emulator import create_app as emulator_app
from ledgerbridge.engine import LaneReport, drain_lane
from ledgerbridge.settings import Settings
from ledgerbridge.store import Database
from ledgerbridge.web import create_app
from ledgerbridge.web._service import Services
from ledgerbridge.worker import Jobs
from support import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, UNTHROTTLED

ADMIN_KEY = "admin-key-for-the-api-tests-0123456789"
EMULATOR = "http://emulator.test"
BASE = "http://ledgerbridge.test"
API = "/api/v1"


def deployment_settings(tmp_path: Path, **changes: Any) -> Settings:
    """A development deployment syncing to the in-process emulator."""
    fields: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp_path / 'ledgerbridge.db'}",
        "secret_key": Fernet.generate_key().decode(),
        "qbo_environment": "emulator",
        "emulator_url": EMULATOR,
        "qbo_client_id": CLIENT_ID,
        "qbo_client_secret": CLIENT_SECRET,
        "qbo_redirect_uri": REDIRECT_URI,
        "admin_key": ADMIN_KEY,
        "qbo_time_scale": 60.0,
        **changes,
    }
    return Settings(**fields)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


ADMIN = bearer(ADMIN_KEY)


@dataclass(frozen=True)
class Tenant:
    """A tenant made through the API, and its key."""

    id: str
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.key)

    def path(self, rest: str = "") -> str:
        """The tenant's API address ``/api/v1/tenants/<id><rest>``."""
        return f"{API}/tenants/{self.id}{rest}"


@dataclass
class Api:
    """The web app under test, its services and the emulator behind it."""

    client: httpx.AsyncClient
    services: Services
    emulator: Emulator
    emulator_transport: httpx.AsyncBaseTransport
    jobs: Jobs
    database: Database
    app: FastAPI

    async def create_tenant(self, tenant_id: str, name: str | None = None) -> str:
        """Add a tenant with the admin key; returns its first API key."""
        answer = await self.client.post(
            f"{API}/tenants", json={"id": tenant_id, "name": name or tenant_id}, headers=ADMIN
        )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["api_key"]["key"])

    async def tenant(self, tenant_id: str, *, company: str | None = None) -> Tenant:
        """A new tenant; connected to a new emulator company when ``company`` is given."""
        made = Tenant(tenant_id, await self.create_tenant(tenant_id))
        if company is not None:
            await self.connect(made.id, made.key, company)
        return made

    async def connect(self, tenant_id: str, key: str, company: str) -> str:
        """Connect the tenant to a new emulator company through the API's connect flow, the
        consent page and the OAuth callback; returns the realm id."""
        self.emulator.create_company(company)
        address = f"{API}/tenants/{tenant_id}/connection"
        started = await self.client.post(address, headers=bearer(key))
        assert started.status_code == 200, started.text
        callback = await self.consent(started.json()["authorization_url"])
        finished = await self.client.get(callback)
        assert finished.status_code == 200, finished.text
        status = await self.client.get(address, headers=bearer(key))
        return str(status.json()["realm_id"])

    async def consent(self, authorization_url: str) -> str:
        """Follow Intuit's (the emulator's, auto-approving) consent page: the callback's
        path and query, as the browser would request it from ledgerbridge."""
        async with httpx.AsyncClient(transport=self.emulator_transport) as browser:
            answer = await browser.get(authorization_url)
        assert answer.status_code in (302, 303), answer.text
        location = urlsplit(answer.headers["location"])
        return f"{location.path}?{location.query}"

    async def put(self, tenant_id: str, key: str, record: Mapping[str, Any]) -> httpx.Response:
        return await self.client.put(
            f"{API}/tenants/{tenant_id}/records/{record['type']}/{record['id']}",
            json=dict(record),
            headers=bearer(key),
        )

    async def drain(self, tenant_id: str) -> LaneReport:
        """Run the tenant's queued runs here (the job queue has no consumer in these tests)."""
        return await drain_lane(self.services.runtime, tenant_id)


def assert_problem(answer: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    """The answer is an RFC 9457 problem document of this status and kind."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["type"] == f"urn:ledgerbridge:problem:{kind}"
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["instance"] == answer.request.url.path
    return dict(body)


def customer(app_id: str, name: str, **fields: Any) -> dict[str, Any]:
    return {"type": "customer", "id": app_id, "name": name, **fields}


@asynccontextmanager
async def open_api(tmp_path: Path, **settings: Any) -> AsyncIterator[Api]:
    """The deployment of the module docstring, for one test."""
    config = deployment_settings(tmp_path, **settings)
    emulator = Emulator(EmulatorConfig(auto_approve=True, limits=UNTHROTTLED))
    emulator.oauth.register_app(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI])
    transport = httpx.ASGITransport(app=emulator_app(emulator))
    database = Database(config.database_url)
    database.migrate()
    jobs = Jobs(config, database=database, transport=transport)
    services = Services.build(
        config, jobs, queue_size=jobs.huey.pending_count, database=database, transport=transport
    )
    app = create_app(
        notifications=services.runtime.inbound_store,
        on_notification=lambda notification_id: None,
        webhook_verifier=None,
        services=services,
    )
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=BASE
        ) as client:
            yield Api(client, services, emulator, transport, jobs, database, app)
    finally:
        await services.aclose()
        jobs.close()
        database.dispose()
