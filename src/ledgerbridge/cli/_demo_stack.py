"""The demo's moving parts, and the host app's steps over the REST API.

:class:`DemoStack` starts what ``ledgerbridge demo`` runs, on embedded defaults in one data
directory: the QBO emulator in a process of its own (``python -m ledgerbridge emulator`` on a
free loopback port, Intuit's limits, a time scale), and ``serve``'s web app (REST API,
console, OAuth callback) on a loopback port with Huey consumer threads in this process
(SQLite store, Huey's SQLite queue). The emulator runs apart so that QuickBooks' side and
ledgerbridge's do not share one interpreter lock, as they would not in production.

Then it plays the host app and the shop owner, through the same doors they use:
:meth:`DemoStack.set_up` creates the tenant and a console login with the admin key, starts
the connection with the tenant's key, approves Intuit's consent page as a browser would
(it reads the page's form and submits it; the emulator then redirects to ledgerbridge's
callback, which stores the tokens), saves the machine shop's settings (checked against the
company's lists) and uploads its records as NDJSON; :meth:`DemoStack.sync` requests the
initial sync and follows it; :meth:`DemoStack.check` compares the company with the records
through the QBO API (``_demo_check.py``).

Nothing here reads ``LEDGERBRIDGE_*`` variables: a demo must not write into the database a
deployment's environment names.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Final
from urllib.parse import urljoin

import httpx
import uvicorn
from cryptography.fernet import Fernet
from pydantic import SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from ledgerbridge._errors import LedgerbridgeError
from ledgerbridge.dataset import machine_shop, machine_shop_settings
from ledgerbridge.engine import PUSH_ORDER, SyncRuntime
from ledgerbridge.model import AnyRecord
from ledgerbridge.settings import Settings
from ledgerbridge.store import ActivityStore, Database, RecordStore
from ledgerbridge.worker import EmbeddedConsumer, Jobs

from ._demo_check import SyncCheck, check_sync
from ._jobs import _web_app

__all__ = [
    "CONSOLE_USER",
    "DEMO_COMPANY",
    "DEMO_TENANT",
    "DemoError",
    "DemoOptions",
    "DemoShop",
    "DemoStack",
]

DEMO_TENANT: Final = "demo-shop"
DEMO_COMPANY: Final = "Demo Machine Shop"
CONSOLE_USER: Final = "demo"
#: the web app's port when it is free (what docs/api.md and docs/console.md show)
DEFAULT_PORT: Final = 8000
_CLIENT_ID: Final = "ledgerbridge-demo"
_LOOPBACK: Final = "127.0.0.1"
#: a sync that shows no progress for this long is reported stuck (the log says why)
_STALL_SECONDS: Final = 120.0
_FINISHED: Final = frozenset({"succeeded", "partial", "failed"})

Progress = Callable[[int, int], None]


class DemoError(LedgerbridgeError):
    """A step of the demo did not do what it should; the message says which and why."""


@dataclass(frozen=True)
class DemoOptions:
    """How big a shop, how fast a clock, where to listen and keep the files."""

    records: int
    seed: int
    #: the emulator's time scale: Intuit's per-minute and per-second windows last 1/K
    time_scale: float
    data_dir: Path
    #: the web app's port; ``None``: 8000 when free, else any free port
    port: int | None = None


@dataclass(frozen=True)
class DemoShop:
    """What :meth:`DemoStack.set_up` made: the logins to print and the records uploaded."""

    tenant_key: str
    console_password: str
    realm_id: str
    company_name: str
    records: tuple[AnyRecord, ...]

    @property
    def pushed(self) -> int:
        """How many of the records the initial sync pushes."""
        return sum(1 for record in self.records if record.type in PUSH_ORDER)


class _DemoSettings(Settings):
    """The demo's settings, given in full: no ``LEDGERBRIDGE_*`` variable is read."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


class DemoStack:
    """The emulator, the web app and the worker (module docstring); a context manager."""

    def __init__(self, options: DemoOptions) -> None:
        self.options = options
        self._emulator = _EmulatorProcess(options.time_scale, options.data_dir / "emulator.log")
        self.web_url = ""
        self._client_secret = secrets.token_urlsafe(24)
        self._admin_key = secrets.token_urlsafe(32)
        self.emulator_url = ""
        self.settings: Settings | None = None
        self._parts: list[Callable[[], None]] = []  # how to stop what started, last first
        self._total = 0

    @property
    def client_id(self) -> str:
        """The emulator's app (the demo's "Intuit developer portal" app)."""
        return _CLIENT_ID

    def __enter__(self) -> DemoStack:
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> None:
        listener = _listen(self.options.port)
        self._parts.append(listener.close)
        self.web_url = f"http://{_LOOPBACK}:{listener.getsockname()[1]}"
        self._start_emulator()
        self._start_ledgerbridge(listener)

    def _start_emulator(self) -> None:
        """The emulator, with the demo's app registered as in Intuit's developer portal."""
        self.emulator_url = self._emulator.start()
        self._parts.append(self._emulator.stop)
        self._emulator.admin(
            "apps",
            client_id=_CLIENT_ID,
            client_secret=self._client_secret,
            redirect_uris=[f"{self.web_url}/oauth/callback"],
        )

    def _start_ledgerbridge(self, listener: socket.socket) -> None:
        """The store, the web app on ``listener`` and the embedded worker (``serve``'s)."""
        settings = self.settings = self._settings()
        database = Database(settings.database_url)
        self._parts.append(database.dispose)
        database.migrate()
        self._records = RecordStore(database)
        self._activity = ActivityStore(database)
        self._database = database
        jobs = Jobs(settings, database=database)
        self._parts.append(jobs.close)
        web = _WebServer(_web_app(settings, jobs, database), listener)
        web.start()
        self._parts.append(web.stop)
        consumer = EmbeddedConsumer(jobs, workers=2)
        jobs.sweep_now()
        consumer.start()
        self._parts.append(consumer.stop)

    def _settings(self) -> Settings:
        return _DemoSettings(
            mode="development",
            database_url=f"sqlite:///{self.options.data_dir / 'ledgerbridge.db'}",
            secret_key=SecretStr(Fernet.generate_key().decode()),
            qbo_environment="emulator",
            qbo_client_id=_CLIENT_ID,
            qbo_client_secret=SecretStr(self._client_secret),
            qbo_redirect_uri=f"{self.web_url}/oauth/callback",
            emulator_url=self.emulator_url,
            admin_key=SecretStr(self._admin_key),
            qbo_time_scale=self.options.time_scale,
        )

    def close(self) -> None:
        """Stop everything that started, the last started first."""
        while self._parts:
            self._parts.pop()()

    # -- the host app and the shop owner --------------------------------------------------------
    def set_up(self) -> DemoShop:
        """The tenant, its console login, the connection, the settings and the records."""
        with _Api(self.web_url, self._admin_key) as api:
            self._emulator.admin("companies", name=DEMO_COMPANY)
            created = api.call("POST", "/tenants", json={"id": DEMO_TENANT, "name": DEMO_COMPANY})
            key = str(created["api_key"]["key"])
            password = secrets.token_urlsafe(12)
            api.call(
                "POST",
                "/users",
                json={"username": CONSOLE_USER, "password": password, "tenants": [DEMO_TENANT]},
            )
            connection = self._connect(api.as_tenant(key))
            records = self._load(api.as_tenant(key))
        return DemoShop(
            tenant_key=key,
            console_password=password,
            realm_id=str(connection["realm_id"]),
            company_name=str(connection["company_name"]),
            records=records,
        )

    def _connect(self, api: _Api) -> dict[str, Any]:
        """Intuit's authorization-code flow, the consent page approved by a browser."""
        started = api.call("POST", f"/tenants/{DEMO_TENANT}/connection")
        landed = approve_consent(str(started["authorization_url"]))
        if landed.status_code != 200 or landed.url.path != "/oauth/callback":
            raise DemoError(
                f"the OAuth flow ended at {landed.url} with HTTP {landed.status_code}, not at "
                "ledgerbridge's callback"
            )
        connection = api.call("GET", f"/tenants/{DEMO_TENANT}/connection")
        if connection["state"] != "connected":
            raise DemoError(f"the callback left the connection {connection['state']}")
        return connection

    def _load(self, api: _Api) -> tuple[AnyRecord, ...]:
        """Save the machine shop's settings (checked against the company), upload its
        records."""
        settings = machine_shop_settings().model_dump(mode="json")
        api.call(
            "PUT",
            f"/tenants/{DEMO_TENANT}/settings",
            json={"settings": settings, "expected_version": None},
        )
        records = tuple(machine_shop(self.options.records, seed=self.options.seed))
        body = "".join(r.model_dump_json(exclude_none=True) + "\n" for r in records)
        uploaded = api.call(
            "POST",
            f"/tenants/{DEMO_TENANT}/records",
            content=body.encode(),
            headers={"Content-Type": "application/x-ndjson"},
        )
        if uploaded["rejected"]:
            raise DemoError(f"{uploaded['rejected']} generated records were refused")
        return records

    def sync(
        self, shop: DemoShop, on_progress: Progress = lambda done, total: None
    ) -> dict[str, Any]:
        """Request the initial sync (every record) and follow it to its end; the run."""
        self._total = shop.pushed
        with _Api(self.web_url, shop.tenant_key) as api:
            run = api.call("POST", f"/tenants/{DEMO_TENANT}/sync", json={})
            address = f"/tenants/{DEMO_TENANT}/runs/{run['id']}"
            last, moved = -1, time.monotonic()
            while run["status"] not in _FINISHED:
                done = self.progress()
                on_progress(done, self._total)
                if done != last:
                    last, moved = done, time.monotonic()
                elif time.monotonic() - moved > _STALL_SECONDS:
                    raise DemoError(
                        f"the sync made no progress for {_STALL_SECONDS:.0f} s "
                        f"(run {run['id']} is {run['status']})"
                    )
                time.sleep(0.25)
                run = api.call("GET", address)
        on_progress(self.progress(), self._total)
        return run

    def progress(self) -> int:
        """Records the sync is done with: no longer waiting to be pushed, or failed."""
        counts = self._records.counts(tenant_id=DEMO_TENANT)
        waiting = sum(count.dirty for kind, count in counts.items() if kind in PUSH_ORDER)
        failed = self._activity.failed_count(tenant_id=DEMO_TENANT)
        return max(0, min(self._total, self._total - waiting + failed))

    def check(self) -> SyncCheck:
        """Compare the company with the records, through the QBO API."""
        return asyncio.run(self._check())

    async def _check(self) -> SyncCheck:
        assert self.settings is not None, "the stack is not started"
        runtime = SyncRuntime(self.settings, database=self._database)
        try:
            async with runtime.qbo(DEMO_TENANT) as qbo:
                return await check_sync(
                    qbo, records=runtime.records, links=runtime.links, tenant_id=DEMO_TENANT
                )
        finally:
            await runtime.aclose()


def record_counts(records: tuple[AnyRecord, ...]) -> Counter[str]:
    """Records per type, in push order."""
    found = Counter[str](record.type for record in records)
    return Counter({kind: found[kind] for kind in PUSH_ORDER if found[kind]})


# -- the browser ----------------------------------------------------------------------------------
class _Form(HTMLParser):
    """The first form of a page: its action, method and what a browser submits with its
    first submit button (hidden and text fields, checked radios and boxes, the button)."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.action: str | None = None
        self.method = "GET"
        self.fields: list[tuple[str, str]] = []
        self._button: tuple[str, str] | None = None
        self._inside = False
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {name: value or "" for name, value in attrs}
        if tag == "form" and self.action is None:
            self.action, self._inside = attr.get("action", ""), True
            self.method = attr.get("method", "get").upper()
        elif self._inside and tag in ("input", "button"):
            self._field(tag, attr)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False

    def _field(self, tag: str, attr: dict[str, str]) -> None:
        name, kind = attr.get("name"), attr.get("type", "submit" if tag == "button" else "text")
        if not name:
            return
        if kind == "submit":
            if self._button is None:
                self._button = (name, attr.get("value", ""))
        elif kind not in ("radio", "checkbox") or "checked" in attr:
            self.fields.append((name, attr.get("value", "")))

    def submission(self) -> list[tuple[str, str]]:
        return [*self.fields, *([self._button] if self._button else [])]


def approve_consent(authorization_url: str) -> httpx.Response:
    """Open Intuit's consent page and submit its form as offered (the company preselected,
    the first button: Connect), following the redirects back to the app; the last answer."""
    with httpx.Client(follow_redirects=True, timeout=30.0) as browser:
        page = browser.get(authorization_url)
        form = _Form(page.text)
        if page.status_code != 200 or form.action is None:
            raise DemoError(
                f"Intuit's consent page answered HTTP {page.status_code} without a form"
            )
        target = urljoin(str(page.url), form.action)
        if form.method == "POST":
            return browser.post(target, data=dict(form.submission()))
        return browser.get(target, params=tuple(form.submission()))


# -- the REST API ---------------------------------------------------------------------------------
class _Api:
    """The REST API as the host app calls it: one key, problems raised as :class:`DemoError`."""

    def __init__(self, base: str, key: str, *, http: httpx.Client | None = None) -> None:
        self._base = base
        self._http = http or httpx.Client(base_url=f"{base}/api/v1", timeout=60.0)
        self._key = key

    def as_tenant(self, key: str) -> _Api:
        return _Api(self._base, key, http=self._http)

    def call(self, method: str, path: str, **request: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self._key}", **request.pop("headers", {})}
        answer = self._http.request(method, path, headers=headers, **request)
        if answer.is_error:
            detail = answer.json().get("detail") if answer.content else None
            raise DemoError(f"{method} /api/v1{path} answered {answer.status_code}: {detail}")
        document = answer.json()
        assert isinstance(document, dict)
        return document

    def __enter__(self) -> _Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()


# -- processes and servers ------------------------------------------------------------------------
def _listen(port: int | None) -> socket.socket:
    """A loopback socket for the web app: ``port``, else 8000 when free, else any port."""
    for candidate in (DEFAULT_PORT, 0) if port is None else (port,):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((_LOOPBACK, candidate))
        except OSError as exc:
            sock.close()
            if port is not None:
                raise DemoError(f"port {port} cannot be used ({exc.strerror})") from None
            continue
        return sock
    raise DemoError("no loopback port is free")  # pragma: no cover


class _WebServer:
    """uvicorn in a thread of its own, on a socket already bound."""

    def __init__(self, app: Any, sock: socket.socket) -> None:
        config = uvicorn.Config(app, log_level="warning", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="demo-web", daemon=True
        )

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise DemoError("the web app did not start (the log says why)")
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)


class _EmulatorProcess:
    """``python -m ledgerbridge emulator`` on a free loopback port, its output in a log."""

    def __init__(self, time_scale: float, log: Path) -> None:
        self._time_scale = time_scale
        self._log = log
        self._process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self) -> str:
        with socket.socket() as probe:
            probe.bind((_LOOPBACK, 0))
            port = probe.getsockname()[1]
        command = [sys.executable, "-m", "ledgerbridge", "emulator", "--host", _LOOPBACK]
        command += ["--port", str(port), "--time-scale", f"{self._time_scale:g}"]
        with self._log.open("ab") as log:
            self._process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        self.url = f"http://{_LOOPBACK}:{port}"
        self._wait_ready()
        return self.url

    def _wait_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                tail = self._log.read_text(errors="replace").strip().splitlines()[-3:]
                raise DemoError(f"the QBO emulator exited at start: {' / '.join(tail)}")
            try:
                if httpx.get(f"{self.url}/_emulator/config", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise DemoError(f"the QBO emulator did not answer at {self.url} within 30 s")

    def admin(self, path: str, **body: Any) -> dict[str, Any]:
        """``POST /_emulator/<path>`` (set up the app and the company, as a developer would)."""
        answer = httpx.post(f"{self.url}/_emulator/{path}", json=body, timeout=30.0)
        if answer.is_error:
            raise DemoError(f"the emulator refused {path}: {answer.text}")
        document = answer.json()
        assert isinstance(document, dict)
        return document

    def stop(self) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
