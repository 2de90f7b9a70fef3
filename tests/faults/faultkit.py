"""The fault matrix: a bulk sync of the machine shop while the emulator has one bad day.

:func:`run_fault` serves a fresh emulator over HTTP (the faults that drop or hang a
connection need a real socket), stores ``machine_shop(records)`` for a tenant connected to a
new company, requests a ``bulk`` run and drains its lane through the runtime's one entry
point (:func:`ledgerbridge.engine.drain_lane`, whichever pusher it uses). Once the company
holds about a third of the records, :class:`Midway` strikes: it arms the fault, or does what
a person or Intuit does to the company. Then recovery as the product does it (another run;
for a revoked connection, a reconnect through the OAuth flow first), and the judge:
``demo --check``'s :func:`check_sync`, read back through the QBO API.

A :class:`FaultOutcome` is one row of the table: records, synced (in QBO once, finished,
the app's totals), failed visibly (the link says failed or waiting, with a sentence),
duplicates, lost (neither in QBO nor visibly failed), and the judge's sentences.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

from integration.jobkit import TENANT, Shop, open_shop
from ledgerbridge.cli._demo_check import SyncCheck, check_sync
from ledgerbridge.dataset import MACHINE_SHOP_START, machine_shop, machine_shop_settings
from ledgerbridge.emulator import Emulator, EmulatorConfig, create_app
from ledgerbridge.engine import ConnectFlow, SyncRuntime, drain_lane, request_run
from ledgerbridge.model import AnyRecord, Customer, Invoice
from ledgerbridge.settings import Settings
from ledgerbridge.store import LinkStore
from support import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, UNTHROTTLED, Served, serve_in_thread

__all__ = ["FAULTS", "Fault", "FaultOutcome", "judge", "run_fault"]

#: the runtime's HTTP timeout (``SyncRuntime.qbo``): a hang must outlast it
CLIENT_TIMEOUT: Final = 30.0
#: a data-API write (a create, an update, a batch), not a query, report or CDC read
WRITES: Final = r"/v3/company/[^/]+/(?!query|reports|cdc)[a-z]+$"
DATA: Final = r"/v3/company/"
#: how long the 429 storm lasts
STORM_SECONDS: Final = 5.0
#: when Midway strikes: this share of the records is in the company
STRIKE_AT: Final = 1 / 3


@dataclass
class Run:
    """What a fault's steps act on: the emulator, its company, the store, the records."""

    emulator: Emulator
    realm_id: str
    shop: Shop
    records: Sequence[AnyRecord]
    #: the company's objects before the sync (its own items and accounts)
    baseline: int = 0


Strike = Callable[[Run], None]


@dataclass(frozen=True)
class Fault:
    """One row of the matrix: what goes wrong, and how the product recovers."""

    name: str
    strike: Strike
    #: the strike waits for the update run of records the app changed after a clean sync
    during_updates: bool = False
    #: reconnect through the OAuth flow before the recovery run
    reconnect: bool = False
    #: the fault leaves records QuickBooks refuses until someone acts (shown as failed)
    refuses: bool = False


def _arm(kind: str, count: int, path: str = DATA, **rule: Any) -> Strike:
    def strike(run: Run) -> None:
        run.emulator.faults.arm(kind, count=count, realm_id=run.realm_id, path=path, **rule)

    return strike


def _arm_all(*strikes: Strike) -> Strike:
    def strike(run: Run) -> None:
        for each in strikes:
            each(run)

    return strike


def _throttle(run: Run) -> None:
    """For a few seconds, one request a second per company: the client's governor (set to
    60 times Intuit's pace) runs into a storm of the emulator's own 429s. Runs on the
    server's loop, which ends the storm."""
    limits = run.emulator.config.limits
    run.emulator.configure(limits={"requests_per_second": 1})
    asyncio.get_running_loop().call_later(
        STORM_SECONDS, lambda: run.emulator.configure(limits=limits)
    )


def _edit_in_qbo(run: Run) -> None:
    """A bookkeeper changes, in QuickBooks, the objects of the records the app just changed."""
    company = run.emulator.company(run.realm_id)
    for record in _changed(run.records):
        link = _qbo_id(run, record)
        if link is None:
            continue
        entity, note = (
            ("Customer", "Notes") if isinstance(record, Customer) else ("Invoice", "PrivateNote")
        )
        if link in company.objects[entity]:
            run.emulator.ui_edit(run.realm_id, entity, link, {note: "edited in QBO"})


def _inactivate_items(run: Run) -> None:
    """A bookkeeper makes inactive the first items the sync created, which later documents use."""
    objects = run.emulator.company(run.realm_id).objects["Item"]
    names = {record.name for record in run.records if record.type == "item"}  # type: ignore[attr-defined]
    ours = sorted((int(k), k) for k, obj in objects.items() if obj.get("Name") in names)
    for _, object_id in ours[:3]:
        run.emulator.ui_edit(run.realm_id, "Item", object_id, {"Active": False})


def _close_books(run: Run) -> None:
    """The accountant closes the books on the data set's first three months."""
    closed = (MACHINE_SHOP_START - timedelta(days=90)).isoformat()
    prefs = next(iter(run.emulator.company(run.realm_id).objects["Preferences"]))
    run.emulator.ui_edit(
        run.realm_id, "Preferences", prefs, {"AccountingInfoPrefs": {"BookCloseDate": closed}}
    )


FAULTS: Final[tuple[Fault, ...]] = (
    Fault("429 storm", _throttle),
    Fault(
        "5xx bursts",
        _arm_all(
            _arm("http_500", 3), _arm("http_502", 2), _arm("http_503", 2), _arm("http_504", 2)
        ),
    ),
    Fault("hang past timeout", _arm("hang", 1, WRITES, seconds=CLIENT_TIMEOUT + 3)),
    Fault("dropped connections", _arm("drop", 6)),
    Fault(
        "committed, response lost",
        _arm_all(
            _arm("committed_response_lost", 4, WRITES, method="POST"),
            _arm("committed_response_lost", 2, WRITES, method="POST", respond="504"),
        ),
    ),
    Fault("access token expired", _arm("access_token_expired", 1)),
    Fault("refresh token revoked", _arm("refresh_token_revoked", 1), reconnect=True),
    Fault("edited in QBO (stale SyncToken)", _edit_in_qbo, during_updates=True),
    Fault("referenced item inactive", _inactivate_items, refuses=True),
    Fault("books closed", _close_books, refuses=True),
)


class Midway:
    """The emulator's ASGI app, striking once when the company holds enough objects.

    It strikes inside the server's loop, between two requests, so the emulator's state is
    never changed under a request it is serving.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.armed: Callable[[], bool] | None = None
        self.strike: Callable[[], None] = lambda: None
        self.struck = False
        #: what went wrong in the strike itself (raised again by :func:`run_fault`)
        self.error: Exception | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.armed is not None and not self.struck and self.armed():
            self.struck = True
            try:
                self.strike()
            except Exception as exc:  # the test's own bug: run_fault reports it
                self.error = exc
        await self.app(scope, receive, send)


@dataclass(frozen=True)
class FaultOutcome:
    """One row of the fault table."""

    fault: str
    records: int
    synced: int
    failed_visibly: int
    duplicates: int
    lost: int
    wrong_totals: int
    seconds: float
    problems: tuple[str, ...]

    @classmethod
    def of(cls, fault: str, check: SyncCheck, seconds: float) -> FaultOutcome:
        def total(name: str) -> int:
            return sum(getattr(row, name) for row in check.rows)

        records, synced, lost = total("records"), total("synced"), total("lost")
        wrong = total("wrong_totals")
        return cls(
            fault=fault,
            records=records,
            synced=synced,
            failed_visibly=records - synced - lost - wrong,
            duplicates=total("duplicates"),
            lost=lost,
            wrong_totals=wrong,
            seconds=round(seconds, 1),
            problems=check.problems,
        )

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "problems": list(self.problems)}


def run_fault(fault: Fault, records: int, workdir: Path) -> FaultOutcome:
    """The fault's run, its recovery and the judge's verdict (module docs)."""
    emulator = Emulator(EmulatorConfig(limits=UNTHROTTLED, auto_approve=True))
    emulator.oauth.register_app(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI])
    midway = Midway(create_app(emulator))
    started = time.monotonic()
    with serve_in_thread(midway) as url, open_shop(workdir, Served(emulator, url)) as shop:
        run = _setup(shop, emulator, records)
        check = asyncio.run(_sync_and_judge(fault, run, midway))
    if midway.error is not None:
        raise midway.error
    if not midway.struck:
        raise AssertionError(f"{fault.name}: the sync ended before the fault struck")
    return FaultOutcome.of(fault.name, check, time.monotonic() - started)


def _setup(shop: Shop, emulator: Emulator, size: int) -> Run:
    realm_id = shop.connect(TENANT)
    shop.configure(TENANT, machine_shop_settings())
    records = machine_shop(size)
    for record in records:
        shop.put(TENANT, record)
    baseline = sum(map(len, emulator.company(realm_id).objects.values()))
    return Run(emulator, realm_id, shop, records, baseline)


async def _sync_and_judge(fault: Fault, run: Run, midway: Midway) -> SyncCheck:
    runtime = SyncRuntime(run.shop.settings)
    try:
        if fault.during_updates:
            await _bulk(runtime)  # a clean first sync; then the app changes some records
            for record in _changed(run.records):
                run.shop.put(TENANT, record)
            midway.armed = lambda: True
        else:
            target = run.baseline + STRIKE_AT * len(run.records)
            midway.armed = lambda: _objects(run) >= target
        midway.strike = lambda: fault.strike(run)
        await _bulk(runtime)
        if fault.reconnect:
            await _reconnect(runtime)
        await _bulk(runtime)  # recovery: the run the sweeper or the user requests next
        return await _judge(runtime)
    finally:
        await runtime.aclose()


def judge(settings: Settings) -> SyncCheck:
    """``demo --check`` of the tenant's records against its company, through the QBO API."""

    async def check() -> SyncCheck:
        runtime = SyncRuntime(settings)
        try:
            return await _judge(runtime)
        finally:
            await runtime.aclose()

    return asyncio.run(check())


async def _judge(runtime: SyncRuntime) -> SyncCheck:
    async with runtime.qbo(TENANT) as qbo:
        return await check_sync(qbo, records=runtime.records, links=runtime.links, tenant_id=TENANT)


async def _bulk(runtime: SyncRuntime) -> None:
    request_run(runtime, TENANT, "bulk")
    await drain_lane(runtime, TENANT)


def _objects(run: Run) -> int:
    return sum(map(len, run.emulator.company(run.realm_id).objects.values()))


async def _reconnect(runtime: SyncRuntime) -> None:
    """Connect the company again the way the console does: consent page, callback, tokens."""
    settings = runtime.settings
    assert settings.secret_key is not None
    flow = ConnectFlow(
        runtime.connections,
        runtime.oauth(),
        environment="emulator",
        api_base=f"{settings.emulator_url}/v3",
        state_secret=settings.secret_key.get_secret_value().encode(),
    )
    async with httpx.AsyncClient() as browser:
        answer = await browser.get(await flow.begin(TENANT))
    query = {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["location"]).query).items()}
    await flow.complete(TENANT, code=query["code"], state=query["state"], realm_id=query["realmId"])


def _changed(records: Sequence[AnyRecord]) -> list[AnyRecord]:
    """A tenth of the customers and invoices, changed in the app (a new phone, one more unit
    on the first line: a new total)."""
    customers = [r for r in records if isinstance(r, Customer)]
    invoices = [r for r in records if isinstance(r, Invoice) and r.lines]
    changed: list[AnyRecord] = [
        c.model_copy(update={"phone": "555-0199"}) for c in customers[: len(customers) // 10 + 1]
    ]
    for invoice in invoices[: len(invoices) // 10 + 1]:
        first = invoice.lines[0]
        bumped = first.model_copy(update={"quantity": first.quantity + Decimal(1)})  # type: ignore[union-attr]
        changed.append(invoice.model_copy(update={"lines": (bumped, *invoice.lines[1:])}))
    return changed


def _qbo_id(run: Run, record: AnyRecord) -> str | None:
    link = LinkStore(run.shop.database).get(
        tenant_id=TENANT, record_type=record.type, app_id=record.id
    )
    return None if link is None else link.qbo_id
