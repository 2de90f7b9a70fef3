"""Shared setup of the console's server-side tests: the API tests' deployment, a browser.

:class:`Console` wraps the REST API tests' deployment (``tests/api/apikit.py``: the web app
and the emulator in-process, a job queue without consumers, lanes drained by the test) with
what a person does in the console: log in, read the CSRF token of a page, post its forms,
connect through the consent page and the OAuth callback. Its httpx client keeps cookies, as
a browser does; :meth:`Console.another_browser` sets them aside for a while (another person,
another session).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from anyio import to_thread

from api.apikit import Api, open_api
from ledgerbridge.model import TenantSettings
from ledgerbridge.store import SettingsStore

__all__ = ["PASSWORD", "Console", "csrf_of", "open_console"]

PASSWORD = "correct horse battery staple"
C = "/console"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(page: httpx.Response | str) -> str:
    """The CSRF token a page's forms carry (the page's answer, or its HTML)."""
    found = _TOKEN.search(page if isinstance(page, str) else page.text)
    assert found is not None, "the page has no CSRF token"
    return found.group(1)


@dataclass
class Console:
    """The deployment (``api``) and a browser on its console (``client``)."""

    api: Api
    client: httpx.AsyncClient

    # -- set-up, as an administrator would ----------------------------------------------------
    async def shop(
        self, tenant_id: str, *, user: str | None = None, company: str | None = None
    ) -> str:
        """A tenant with a console user of its own (``user``, default ``<tenant>-owner``),
        connected through the API's flow when ``company`` is given; returns its API key."""
        key = await self.api.create_tenant(tenant_id)
        await to_thread.run_sync(
            lambda: self.api.services.access.add_user(
                username=user or f"{tenant_id}-owner", password=PASSWORD, tenants=[tenant_id]
            )
        )
        if company is not None:
            await self.api.connect(tenant_id, key, company)
        return key

    def settings(self, tenant_id: str) -> TenantSettings:
        """The tenant's saved settings (the defaults before a save)."""
        current = SettingsStore(self.api.database).current(tenant_id=tenant_id)
        return TenantSettings() if current is None else TenantSettings(**current.document)

    # -- a person in a browser ----------------------------------------------------------------
    async def login(self, username: str, password: str = PASSWORD) -> httpx.Response:
        page = await self.client.get(f"{C}/login")
        return await self.client.post(
            f"{C}/login",
            data={"username": username, "password": password, "csrf_token": csrf_of(page)},
        )

    async def get(self, path: str, **params: str) -> httpx.Response:
        return await self.client.get(f"{C}{path}", params=params)

    async def submit(
        self, page: str, action: str, data: Mapping[str, Any] | None = None
    ) -> httpx.Response:
        """Open ``page`` and post ``data`` to ``action`` with the page's CSRF token, as its
        form would; the answer is not followed (a 303 says where it leads)."""
        opened = await self.get(page)
        assert opened.status_code == 200, opened.text
        fields = {**(data or {}), "csrf_token": csrf_of(opened)}
        return await self.client.post(f"{C}{action}", data=fields)

    async def follow(self, answer: httpx.Response) -> httpx.Response:
        """The page a 303 leads to."""
        assert answer.status_code == 303, answer.text
        return await self.client.get(answer.headers["location"])

    async def connect(self, tenant_id: str, company: str) -> httpx.Response:
        """Click Connect, consent in the emulator, come back through the OAuth callback;
        the Integrations page the browser ends on."""
        self.api.emulator.create_company(company)
        started = await self.submit(
            f"/t/{tenant_id}/integrations", f"/t/{tenant_id}/integrations/connect"
        )
        assert started.status_code == 303, started.text
        callback = await self.api.consent(started.headers["location"])
        back = await self.client.get(callback)
        assert back.status_code == 303, back.text
        assert urlsplit(back.headers["location"]).path == f"{C}/t/{tenant_id}/integrations"
        return await self.follow(back)

    @asynccontextmanager
    async def another_browser(self) -> AsyncIterator[Console]:
        """The same client without this browser's cookies (another person, another
        session) for the block; this browser's cookies come back after it."""
        saved = httpx.Cookies(self.client.cookies)
        self.client.cookies.clear()
        try:
            yield self
        finally:
            self.client.cookies = saved


@asynccontextmanager
async def open_console(tmp_path: Path, **settings: Any) -> AsyncIterator[Console]:
    """The deployment of ``apikit.open_api`` and a browser on its console."""
    async with open_api(tmp_path, **settings) as api:
        yield Console(api, api.client)
