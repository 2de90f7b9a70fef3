"""A whole deployment on loopback ports, and Debian's Chromium driven by Playwright.

:func:`served_deployment` serves the emulator (with its consent page: no auto-approval) and
the web app on ports of their own, with two job consumer threads, as ``ledgerbridge serve``
runs them; a console user and a tenant holding a small machine shop's records are ready.
:func:`chromium` launches Debian's Chromium (``LEDGERBRIDGE_TEST_CHROMIUM``, default
``/usr/bin/chromium``; ``scripts/browser`` installs it) headless: never a browser build of
Playwright's own. Without it, or without Playwright, the browser tests are skipped and say
why (:data:`MISSING`), before anything is served.

Screenshots of the console's pages go to ``LEDGERBRIDGE_SCREENSHOTS`` when it names a
directory (``make screenshots`` sets it to ``docs/screenshots``), nowhere otherwise.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import httpx

from api.apikit import deployment_settings
from console.consolekit import PASSWORD
from ledgerbridge.dataset import machine_shop
from ledgerbridge.emulator import Emulator, EmulatorConfig
from ledgerbridge.emulator import create_app as emulator_app
from ledgerbridge.store import Database
from ledgerbridge.web import _service as service
from ledgerbridge.web import create_app
from ledgerbridge.web._service import Services
from ledgerbridge.worker import EmbeddedConsumer, Jobs
from support import CLIENT_ID, CLIENT_SECRET, UNTHROTTLED, free_port, serve_in_thread

if TYPE_CHECKING:
    from playwright.sync_api import Browser

TENANT: Final = "precision-parts"
USER: Final = "maria"
COMPANY: Final = "Precision Parts LLC"
CHROMIUM: Final = os.environ.get("LEDGERBRIDGE_TEST_CHROMIUM", "/usr/bin/chromium")
#: Debian's Chromium headless, as nothing on the machine needs it to do more
CHROMIUM_ARGS: Final = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
SCREENSHOTS: Final = os.environ.get("LEDGERBRIDGE_SCREENSHOTS")


def _missing() -> str | None:
    """Why the browser tests cannot run here, or ``None``."""
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (pip install -e '.[dev]')"
    if not os.access(CHROMIUM, os.X_OK):
        return f"no Chromium at {CHROMIUM}: run scripts/browser (as root) to install it"
    return None


#: the reason to skip the browser tests, checked before anything is served
MISSING: Final = _missing()


@dataclass
class Deployment:
    """The served console and emulator, and the pieces a test looks into."""

    url: str
    emulator_url: str
    emulator: Emulator
    services: Services

    @property
    def console(self) -> str:
        return f"{self.url}/console"

    def fault(self, **rule: Any) -> dict[str, Any]:
        """Arm a fault through the emulator's admin API, as a tester would."""
        answer = httpx.post(f"{self.emulator_url}/_emulator/faults", json=rule, timeout=10)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def configure_emulator(self, **config: Any) -> None:
        answer = httpx.put(f"{self.emulator_url}/_emulator/config", json=config, timeout=10)
        assert answer.status_code == 200, answer.text


def _put_shop(services: Services, records: int) -> None:
    """The tenant, its console user, and a small machine shop's records."""
    services.access.create_tenant(tenant_id=TENANT, name=COMPANY)
    services.access.add_user(username=USER, password=PASSWORD, tenants=[TENANT])
    for record in machine_shop(records, seed=7):
        body = record.model_dump(mode="json")
        service.put_record(services, TENANT, record.type, record.id, body)


@contextmanager
def served_deployment(tmp_path: Path, *, records: int = 60) -> Iterator[Deployment]:
    """The deployment of the module docstring, for one test module."""
    port = free_port()
    redirect_uri = f"http://127.0.0.1:{port}/callback"
    emulator = Emulator(EmulatorConfig(auto_approve=False, limits=UNTHROTTLED))
    emulator.oauth.register_app(CLIENT_ID, CLIENT_SECRET, [redirect_uri])
    emulator.create_company(COMPANY)
    with serve_in_thread(emulator_app(emulator)) as emulator_url:
        settings = deployment_settings(
            tmp_path, emulator_url=emulator_url, qbo_redirect_uri=redirect_uri
        )
        database = Database(settings.database_url)
        database.migrate()
        jobs = Jobs(settings, database=database)
        services = Services.build(
            settings, jobs, queue_size=jobs.huey.pending_count, database=database
        )
        _put_shop(services, records)
        app = create_app(
            notifications=services.runtime.inbound_store,
            on_notification=lambda notification_id: None,
            webhook_verifier=None,
            services=services,  # closed by the app when the server stops
        )
        try:
            with EmbeddedConsumer(jobs, workers=2), serve_in_thread(app, port) as url:
                yield Deployment(url, emulator_url, emulator, services)
        finally:
            jobs.close()
            database.dispose()


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium under Playwright (test modules skip first when :data:`MISSING`)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
        try:
            yield browser
        finally:
            browser.close()


def screenshot(page: Any, name: str) -> None:
    """Save the page as ``<name>.png`` in ``LEDGERBRIDGE_SCREENSHOTS`` (when set)."""
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)
