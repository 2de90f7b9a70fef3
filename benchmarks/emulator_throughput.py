"""Throughput of the QBO emulator on one CPU core.

The issue's requirement: "The emulator serves at least 500 simple reads/s and 200 creates/s on
one core of this machine". This script measures that end to end, over HTTP on loopback:

* the emulator runs as a subprocess (the ``ledgerbridge emulator`` console script next to this
  interpreter: uvicorn with its default loop and HTTP parser) on a free loopback port, pinned
  to ONE CPU with ``os.sched_setaffinity`` (every thread of it);
* the load generator is this process, pinned to another CPU when there is one: ``--concurrency``
  closed-loop workers (each sends a request, reads the whole response, sends the next), each
  with its own ``httpx.AsyncClient`` holding one keep-alive connection;
* every scenario first sends one probe whose body is checked (a fast run of wrong answers
  cannot pass), then runs an uncounted warm-up (1 s), then the measured window (``--seconds``).

Scenarios. The reads run in a company of 200 pre-created customers; the creates run in a second
company, so the thousands of customers they add never slow the reads or the query down:

* ``read by id``      ``GET /v3/company/{realm}/customer/{id}``, round-robin over the 200;
* ``create``          ``POST /customer`` with a unique ``DisplayName``;
* ``create invoice``  ``POST /invoice``: one ``SalesItemLineDetail`` line (seeded item "1") for
  one of 20 pre-created customers;
* ``query``           ``GET /query`` ``select * from Customer where DisplayName = '<name>'``.

How to read the figures:

* ``ok/s`` counts only ``200`` responses over the wall time of the window (first request sent
  to last response read). Anything else (another status, a transport error) is an error; more
  than 1 % errors in a scenario fails the run (exit status 1): the rate would mean nothing.
* ``p50 ms``/``p99 ms``: latency per request as the client saw it. With C workers in a closed
  loop it is about C / rate: it shows queueing, not what one request costs.
* ``floor/s`` is the requirement: 500/s for the reads (``read by id``, and ``query``, a look-up
  of one customer by name), 200/s for the creates, and 5/s for 30-item batch requests (QBO
  itself allows 40 a minute, so the emulator never is the bottleneck of a sync run);
  ``ratio`` = ok/s / floor (>= 1 meets it).
* ``emu CPU/wall``: the emulator's CPU time (utime + stime of all its threads, from
  ``/proc/<pid>/stat``) over the window's wall time. Pinned, it cannot exceed 1.0: this backs
  the "one core" claim. Near 1.0 the emulator was the bottleneck and ok/s is what one core of it
  serves. Below 0.85 it had CPU to spare, so ok/s is only a LOWER BOUND of its rate (marked
  ``+``); then ``emu CPU ms/req`` (CPU per request) and ``ok per emu CPU-s`` (ok / CPU-seconds,
  the rate one fully busy core would give at that cost) say what it could do.
* ``client CPU/wall``: the same for this load generator. Near 1.0 the client was the limit:
  httpx costs more CPU per request than the emulator does, so on a 2-core machine the client
  usually saturates first.

The exit status is 0 even when a floor is missed (these are figures; see the Makefile's
``bench-emulator``), 1 when errors exceed 1 % or the set-up fails, 130 when interrupted. The
emulator is stopped in every case, Ctrl-C and SIGTERM included.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import itertools
import json
import math
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any, Final

import httpx

READ_FLOOR: Final = 500.0
CREATE_FLOOR: Final = 200.0
#: 30-item batches a second: QBO itself allows 40 a minute, so this is 7.5 times its ceiling
BATCH_FLOOR: Final = 5.0
BATCH_ITEMS: Final = 30
#: The emulator enforces Intuit's limits by default; measuring its own speed needs them off.
UNLIMITED: Final = {
    "requests_per_minute": 1_000_000_000,
    "requests_per_second": 1_000_000_000,
    "concurrent": 100_000,
    "batch_per_minute": 1_000_000_000,
}
MAX_ERROR_RATE: Final = 0.01
#: emulator CPU/wall at or above which it counts as the bottleneck
SATURATED: Final = 0.85
READ_CUSTOMERS: Final = 200
INVOICE_CUSTOMERS: Final = 20
STARTUP_TIMEOUT: Final = 30.0
#: seconds per request; every client also ignores HTTP(S)_PROXY (``trust_env=False``)
REQUEST_TIMEOUT: Final = 10.0
DEFAULT_JSON: Final = Path(__file__).resolve().parent / "results" / "emulator.json"


class BenchmarkError(Exception):
    """The benchmark could not run (the emulator did not start, a probe got a wrong answer)."""


# -- CPU pinning and CPU time ------------------------------------------------------------------
@dataclass(frozen=True)
class Pinning:
    """Which CPU each side runs on (None: not pinned) and a sentence saying so."""

    server_cpu: int | None
    client_cpu: int | None
    note: str
    available_cpus: tuple[int, ...] | None = None


def plan_pinning() -> Pinning:
    if not hasattr(os, "sched_setaffinity"):
        return Pinning(
            None,
            None,
            "os.sched_setaffinity is unavailable on this platform: NOTHING IS PINNED; "
            "read 'emu CPU/wall' to see how much of a core the emulator used",
        )
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) >= 2:
        return Pinning(
            cpus[0],
            cpus[1],
            f"emulator pinned to CPU {cpus[0]}, load generator to CPU {cpus[1]} "
            f"({len(cpus)} CPUs available)",
            tuple(cpus),
        )
    return Pinning(
        cpus[0],
        None,
        f"only CPU {cpus[0]} is available: the emulator is pinned to it and the load generator "
        "shares it, so the rates are lower bounds",
        tuple(cpus),
    )


def pin_process(pid: int, cpu: int) -> int:
    """Pin every thread of ``pid`` to ``cpu``; returns how many threads were pinned."""
    task_dir = Path(f"/proc/{pid}/task")
    tids = [int(t.name) for t in task_dir.iterdir()] if task_dir.is_dir() else [pid]
    for tid in tids:
        with contextlib.suppress(ProcessLookupError):  # a thread that ended meanwhile
            os.sched_setaffinity(tid, {cpu})
    for tid in tids:
        with contextlib.suppress(ProcessLookupError):
            if os.sched_getaffinity(tid) != {cpu}:
                raise BenchmarkError(f"thread {tid} of the emulator is not pinned to CPU {cpu}")
    return len(tids)


def process_cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process (all its threads), from ``/proc/<pid>/stat``; None off Linux."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Fields after "(comm)" start at field 3 (state); utime and stime are fields 14 and 15.
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- the emulator subprocess -------------------------------------------------------------------
@dataclass(frozen=True)
class RunningEmulator:
    process: subprocess.Popen[bytes]
    base_url: str
    pinned_threads: int

    @property
    def pid(self) -> int:
        return self.process.pid

    def ensure_alive(self) -> None:
        code = self.process.poll()
        if code is not None:
            raise BenchmarkError(f"the emulator exited with status {code} during the run")


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _log_tail(log: IO[bytes]) -> str:
    log.seek(0)
    return log.read().decode("utf-8", errors="replace")[-4000:]


def _wait_until_ready(process: subprocess.Popen[bytes], base_url: str, log: IO[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    with httpx.Client(timeout=1.0, trust_env=False) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise BenchmarkError(
                    f"the emulator exited with status {process.returncode} at start-up:\n"
                    + _log_tail(log)
                )
            with contextlib.suppress(httpx.TransportError):
                if client.get(base_url + "/").status_code == 200:
                    return
            time.sleep(0.05)
    raise BenchmarkError(
        f"the emulator did not answer within {STARTUP_TIMEOUT:.0f} s:\n" + _log_tail(log)
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@contextlib.contextmanager
def running_emulator(cpu: int | None) -> Iterator[RunningEmulator]:
    """The emulator on a free loopback port, pinned to ``cpu``; always stopped on exit."""
    executable = Path(sys.executable).with_name("ledgerbridge")
    if not executable.exists():
        raise BenchmarkError(f"{executable} not found: install the project into this venv")
    port = free_loopback_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [str(executable), "emulator", "--host", "127.0.0.1", "--port", str(port)]
    with tempfile.TemporaryFile() as log:
        # Own session: a Ctrl-C reaches this script only, which then stops the emulator.
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            if cpu is not None:
                os.sched_setaffinity(process.pid, {cpu})  # before it starts any thread
            _wait_until_ready(process, base_url, log)
            # Again for every thread, in case one started before the first call.
            pinned = pin_process(process.pid, cpu) if cpu is not None else 0
            yield RunningEmulator(process, base_url, pinned)
        finally:
            _stop(process)


# -- set-up through the admin API --------------------------------------------------------------
@dataclass(frozen=True)
class Company:
    realm_id: str
    token: str
    customer_ids: tuple[str, ...]
    customer_names: tuple[str, ...]

    @property
    def path(self) -> str:
        return f"/v3/company/{self.realm_id}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}


@dataclass(frozen=True)
class Fixture:
    reads: Company
    writes: Company


async def _admin(client: httpx.AsyncClient, path: str, payload: dict[str, Any]) -> Any:
    response = await client.post(f"/_emulator{path}", json=payload)
    if response.status_code != 200:
        raise BenchmarkError(f"POST /_emulator{path}: {response.status_code} {response.text}")
    return response.json()


async def _company(
    client: httpx.AsyncClient, client_id: str, name: str, customers: int, concurrency: int
) -> Company:
    realm_id = str((await _admin(client, "/companies", {"name": name}))["realm_id"])
    tokens = await _admin(client, "/tokens", {"client_id": client_id, "realm_id": realm_id})
    token = str(tokens["access_token"])
    headers = {"Authorization": f"Bearer {token}"}
    names = [f"{name} customer {index:04d}" for index in range(customers)]
    gate = asyncio.Semaphore(concurrency)

    async def create(display_name: str) -> str:
        async with gate:
            response = await client.post(
                f"/v3/company/{realm_id}/customer",
                json={"DisplayName": display_name},
                headers=headers,
            )
        if response.status_code != 200:
            raise BenchmarkError(f"pre-creating a customer: {response.status_code} {response.text}")
        return str(response.json()["Customer"]["Id"])

    ids = await asyncio.gather(*(create(n) for n in names))
    return Company(realm_id, token, tuple(ids), tuple(names))


async def set_up(base_url: str, concurrency: int) -> Fixture:
    client_id = "ledgerbridge-benchmark"
    app = {
        "client_id": client_id,
        "client_secret": secrets.token_urlsafe(24),
        "redirect_uris": ["http://127.0.0.1/callback"],
    }
    async with httpx.AsyncClient(
        base_url=base_url, timeout=REQUEST_TIMEOUT, trust_env=False
    ) as client:
        response = await client.put(
            "/_emulator/config", json={"limits": UNLIMITED, "latency_ms": 0}
        )
        if response.status_code != 200:
            raise BenchmarkError(f"PUT /_emulator/config: {response.status_code} {response.text}")
        await _admin(client, "/apps", app)
        reads = await _company(client, client_id, "Bench reads", READ_CUSTOMERS, concurrency)
        writes = await _company(client, client_id, "Bench writes", INVOICE_CUSTOMERS, concurrency)
    return Fixture(reads, writes)


# -- scenarios ---------------------------------------------------------------------------------
Check = Callable[[int, Any], str | None]


@dataclass(frozen=True)
class Scenario:
    """One kind of request: ``request(n)`` is the n-th to send; ``check`` vets a probe's body."""

    name: str
    kind: str  # "read", "create" or "batch": which floor applies
    request: Callable[[int], httpx.Request]
    check: Check

    @property
    def floor(self) -> float:
        return {"read": READ_FLOOR, "create": CREATE_FLOOR, "batch": BATCH_FLOOR}[self.kind]


def build_scenarios(base_url: str, fixture: Fixture, run_tag: str) -> list[Scenario]:
    """The four scenarios. Requests are built here, not by ``client.get``/``client.post``.

    The load generator has one core, and httpx's URL parsing and header merging are a good
    part of its cost per request: the reads re-send the same 200 ``httpx.Request`` objects (a
    GET without a body can be sent again) and the creates reuse a parsed URL. What goes over
    the wire is what ``client.get``/``client.post`` would send.
    """
    reads, writes = fixture.reads, fixture.writes
    json_headers = {"Content-Type": "application/json"}

    def nth(values: Sequence[str], n: int) -> str:
        return values[n % len(values)]

    def get(company: Company, path: str, params: dict[str, str] | None = None) -> httpx.Request:
        url = f"{base_url}{company.path}{path}"
        return httpx.Request("GET", url, params=params, headers=company.headers)

    def post(url: httpx.URL, company: Company, document: object) -> httpx.Request:
        body = json.dumps(document, separators=(",", ":")).encode()
        return httpx.Request("POST", url, content=body, headers={**company.headers, **json_headers})

    by_id = [get(reads, f"/customer/{object_id}") for object_id in reads.customer_ids]

    def check_read(n: int, body: Any) -> str | None:
        got = body.get("Customer", {}).get("Id")
        return None if got == nth(reads.customer_ids, n) else f"read returned Id {got!r}"

    customer_url = httpx.URL(f"{base_url}{writes.path}/customer")

    def new_name(n: int) -> str:
        return f"Bench {run_tag} {n:08d}"

    def create(n: int) -> httpx.Request:
        return post(customer_url, writes, {"DisplayName": new_name(n)})

    def check_create(n: int, body: Any) -> str | None:
        got = body.get("Customer", {}).get("DisplayName")
        return None if got == new_name(n) else f"create returned DisplayName {got!r}"

    invoice_url = httpx.URL(f"{base_url}{writes.path}/invoice")

    def create_invoice(n: int) -> httpx.Request:
        line = {
            "Amount": 100,
            "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 2, "UnitPrice": 50},
        }
        document = {"CustomerRef": {"value": nth(writes.customer_ids, n)}, "Line": [line]}
        return post(invoice_url, writes, document)

    def check_invoice(n: int, body: Any) -> str | None:
        invoice = body.get("Invoice", {})
        if invoice.get("CustomerRef", {}).get("value") != nth(writes.customer_ids, n):
            return f"invoice for the wrong customer: {invoice.get('CustomerRef')!r}"
        return None if invoice.get("TotalAmt") == 100 else f"TotalAmt {invoice.get('TotalAmt')!r}"

    by_name = [
        get(reads, "/query", {"query": f"select * from Customer where DisplayName = '{name}'"})
        for name in reads.customer_names
    ]

    def check_query(n: int, body: Any) -> str | None:
        found = body.get("QueryResponse", {}).get("Customer", [])
        names = [c.get("DisplayName") for c in found]
        expected = nth(reads.customer_names, n)
        return None if names == [expected] else f"query for {expected!r} found {names!r}"

    batch_url = httpx.URL(f"{base_url}{writes.path}/batch")

    def batch_name(n: int, item: int) -> str:
        return f"Bench batch {run_tag} {n:08d}-{item:02d}"

    def create_batch(n: int) -> httpx.Request:
        items = [
            {
                "bId": str(item),
                "operation": "create",
                "Customer": {"DisplayName": batch_name(n, item)},
            }
            for item in range(BATCH_ITEMS)
        ]
        return post(batch_url, writes, {"BatchItemRequest": items})

    def check_batch(n: int, body: Any) -> str | None:
        answers = body.get("BatchItemResponse", [])
        names = [a.get("Customer", {}).get("DisplayName") for a in answers]
        expected = [batch_name(n, item) for item in range(BATCH_ITEMS)]
        return None if names == expected else f"batch answered {len(answers)} items: {names[:2]}"

    return [
        Scenario("read by id", "read", lambda n: by_id[n % len(by_id)], check_read),
        Scenario("create", "create", create, check_create),
        Scenario("create invoice", "create", create_invoice, check_invoice),
        Scenario("query", "read", lambda n: by_name[n % len(by_name)], check_query),
        Scenario("batch of 30 creates", "batch", create_batch, check_batch),
    ]


# -- the load generator ------------------------------------------------------------------------
@dataclass(frozen=True)
class ScenarioResult:
    scenario: str
    floor_per_s: float
    wall_seconds: float
    requests: int
    ok: int
    errors: int
    error_rate: float
    error_kinds: dict[str, int]
    ok_per_s: float
    ratio_to_floor: float
    meets_floor: bool
    p50_ms: float | None
    p99_ms: float | None
    emulator_cpu_seconds: float | None
    emulator_cpu_per_wall: float | None
    emulator_cpu_ms_per_request: float | None
    #: ok / emulator CPU-seconds: what one core would serve if the emulator alone limited it
    emulator_ok_per_cpu_second: float | None
    client_cpu_seconds: float
    client_cpu_per_wall: float
    #: the emulator had CPU to spare (CPU/wall < SATURATED): something else, in practice the
    #: load generator, limited the rate, so ok_per_s is a lower bound of the emulator's
    lower_bound: bool


def percentile(sorted_values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile of already sorted values (None when there are none)."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


@dataclass(frozen=True)
class Window:
    latencies: list[float]
    errors: Counter[str]
    wall_seconds: float
    emulator_cpu_seconds: float | None
    client_cpu_seconds: float


async def drive(
    senders: Sequence[Callable[[], Awaitable[httpx.Response]]],
    seconds: float,
    emulator_pid: int,
) -> Window:
    """One closed-loop worker per sender for ``seconds``; each ends after its last response."""
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    emulator_before = process_cpu_seconds(emulator_pid)
    client_before = time.process_time()
    start = time.perf_counter()
    deadline = start + seconds

    async def worker(send: Callable[[], Awaitable[httpx.Response]]) -> None:
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            try:
                response = await send()
            except httpx.HTTPError as exc:
                errors[type(exc).__name__] += 1
                continue
            if response.status_code == 200:
                latencies.append(time.perf_counter() - began)
            else:
                errors[f"HTTP {response.status_code}"] += 1

    await asyncio.gather(*(worker(send) for send in senders))
    wall = time.perf_counter() - start
    client_cpu = time.process_time() - client_before
    emulator_after = process_cpu_seconds(emulator_pid)
    emulator_cpu = (
        emulator_after - emulator_before
        if emulator_before is not None and emulator_after is not None
        else None
    )
    return Window(latencies, errors, wall, emulator_cpu, client_cpu)


async def run_scenario(
    emulator: RunningEmulator,
    scenario: Scenario,
    *,
    seconds: float,
    warmup: float,
    concurrency: int,
) -> ScenarioResult:
    sequence = itertools.count()
    # One client (one keep-alive connection) per worker: httpcore's pool checks every pooled
    # connection on each request, so a shared pool of C connections costs the client O(C).
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(limits=limits, timeout=REQUEST_TIMEOUT, trust_env=False)
            )
            for _ in range(concurrency)
        ]

        def sender(client: httpx.AsyncClient) -> Callable[[], Awaitable[httpx.Response]]:
            return lambda: client.send(scenario.request(next(sequence)))

        senders = [sender(client) for client in clients]
        probe_n = next(sequence)
        probe = await clients[0].send(scenario.request(probe_n))
        if probe.status_code != 200:
            raise BenchmarkError(f"{scenario.name}: probe got {probe.status_code} {probe.text}")
        problem = scenario.check(probe_n, probe.json())
        if problem is not None:
            raise BenchmarkError(f"{scenario.name}: wrong answer to the probe: {problem}")
        if warmup > 0:
            await drive(senders, warmup, emulator.pid)
        window = await drive(senders, seconds, emulator.pid)
    emulator.ensure_alive()

    latencies = sorted(window.latencies)
    ok = len(latencies)
    errors = sum(window.errors.values())
    requests = ok + errors
    ok_per_s = ok / window.wall_seconds
    p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
    emu_cpu = window.emulator_cpu_seconds
    emu_per_wall = None if emu_cpu is None else emu_cpu / window.wall_seconds
    client_per_wall = window.client_cpu_seconds / window.wall_seconds
    return ScenarioResult(
        scenario=scenario.name,
        floor_per_s=scenario.floor,
        wall_seconds=round(window.wall_seconds, 3),
        requests=requests,
        ok=ok,
        errors=errors,
        error_rate=errors / requests if requests else 1.0,
        error_kinds=dict(window.errors),
        ok_per_s=round(ok_per_s, 1),
        ratio_to_floor=round(ok_per_s / scenario.floor, 2),
        meets_floor=ok_per_s >= scenario.floor,
        p50_ms=None if p50 is None else round(p50 * 1000, 2),
        p99_ms=None if p99 is None else round(p99 * 1000, 2),
        emulator_cpu_seconds=None if emu_cpu is None else round(emu_cpu, 2),
        emulator_cpu_per_wall=None if emu_per_wall is None else round(emu_per_wall, 3),
        emulator_cpu_ms_per_request=(
            round(emu_cpu * 1000 / requests, 3) if emu_cpu is not None and requests else None
        ),
        emulator_ok_per_cpu_second=round(ok / emu_cpu, 1) if emu_cpu else None,
        client_cpu_seconds=round(window.client_cpu_seconds, 2),
        client_cpu_per_wall=round(client_per_wall, 3),
        lower_bound=emu_per_wall is not None and emu_per_wall < SATURATED,
    )


# -- report ------------------------------------------------------------------------------------
def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Plain text; the first column left-aligned, the others right-aligned."""
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        first, *rest = cells
        parts = [first.ljust(widths[0])]
        parts += [cell.rjust(width) for cell, width in zip(rest, widths[1:], strict=True)]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def _number(value: float | None, digits: int) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _verdict(result: ScenarioResult) -> str:
    if result.error_rate > MAX_ERROR_RATE:
        return "ERRORS > 1%"
    return "ok" if result.meets_floor else "BELOW FLOOR"


def render(results: Sequence[ScenarioResult]) -> str:
    """Two tables: throughput against the floors, then where the CPU time went."""
    throughput = format_table(
        [
            "scenario",
            "requests",
            "errors",
            "ok/s",
            "p50 ms",
            "p99 ms",
            "floor/s",
            "ratio",
            "verdict",
        ],
        [
            [
                r.scenario,
                str(r.requests),
                str(r.errors),
                f"{r.ok_per_s:.1f}" + ("+" if r.lower_bound else ""),
                _number(r.p50_ms, 2),
                _number(r.p99_ms, 2),
                f"{r.floor_per_s:.0f}",
                f"{r.ratio_to_floor:.2f}x",
                _verdict(r),
            ]
            for r in results
        ],
    )
    cpu = format_table(
        [
            "scenario",
            "wall s",
            "emu CPU s",
            "emu CPU/wall",
            "emu CPU ms/req",
            "ok per emu CPU-s",
            "client CPU/wall",
        ],
        [
            [
                r.scenario,
                f"{r.wall_seconds:.2f}",
                _number(r.emulator_cpu_seconds, 2),
                _number(r.emulator_cpu_per_wall, 2),
                _number(r.emulator_cpu_ms_per_request, 3),
                _number(r.emulator_ok_per_cpu_second, 0),
                f"{r.client_cpu_per_wall:.2f}",
            ]
            for r in results
        ],
    )
    return f"{throughput}\n\n{cpu}"


def notes(results: Sequence[ScenarioResult]) -> list[str]:
    lines: list[str] = []
    for r in results:
        if r.errors:
            kinds = ", ".join(f"{kind}: {count}" for kind, count in sorted(r.error_kinds.items()))
            lines.append(f"{r.scenario}: {r.errors} errors ({r.error_rate:.2%}): {kinds}")
        if r.emulator_cpu_per_wall is not None and r.emulator_cpu_per_wall > 1.05:
            lines.append(f"{r.scenario}: the emulator used more than one core: it is not pinned")
    bound = [r for r in results if r.lower_bound]
    if bound:
        clients = ", ".join(f"{r.client_cpu_per_wall:.2f}" for r in bound)
        lines.append(
            f"+ {', '.join(r.scenario for r in bound)}: the emulator was not saturated (CPU/wall "
            f"< {SATURATED}) while the load generator's core was at {clients} CPU/wall: ok/s is "
            "a LOWER BOUND of what the emulator serves on one core; 'ok per emu CPU-s' "
            "estimates that rate"
        )
    return lines


# -- main --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Options:
    seconds: float
    warmup: float
    concurrency: int
    json_path: Path


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        description="Measure the QBO emulator's throughput on one CPU core.",
    )
    parser.add_argument(
        "--seconds", type=float, default=10.0, help="measured duration per scenario (10)"
    )
    parser.add_argument(
        "--warmup", type=float, default=1.0, help="uncounted warm-up per scenario (1)"
    )
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent workers (8)")
    parser.add_argument(
        "--json",
        type=Path,
        default=DEFAULT_JSON,
        help=f"write the results here (default {DEFAULT_JSON})",
    )
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.warmup < 0 or args.concurrency < 1:
        parser.error("--seconds must be > 0, --warmup >= 0 and --concurrency >= 1")
    return Options(args.seconds, args.warmup, args.concurrency, args.json)


async def benchmark(
    emulator: RunningEmulator, options: Options, echo: Callable[[str], None]
) -> list[ScenarioResult]:
    fixture = await set_up(emulator.base_url, options.concurrency)
    scenarios = build_scenarios(emulator.base_url, fixture, secrets.token_hex(3))
    results: list[ScenarioResult] = []
    for scenario in scenarios:
        echo(f"  running {scenario.name!r} ...")
        results.append(
            await run_scenario(
                emulator,
                scenario,
                seconds=options.seconds,
                warmup=options.warmup,
                concurrency=options.concurrency,
            )
        )
    return results


def _event_loop_runner() -> asyncio.Runner:
    """uvloop for the load generator when it is installed (it comes with uvicorn[standard])."""
    try:
        import uvloop
    except ImportError:
        return asyncio.Runner()
    return asyncio.Runner(loop_factory=uvloop.new_event_loop)


def summary(results: Sequence[ScenarioResult]) -> list[str]:
    lines = [
        render(results),
        "",
        f"Requirement: >= {READ_FLOOR:.0f} simple reads/s, >= {CREATE_FLOOR:.0f} creates/s and "
        f">= {BATCH_FLOOR:.0f} batches of {BATCH_ITEMS}/s on one core (ratio = ok/s / floor).",
    ]
    lines += [f"  note: {line}" for line in notes(results)]
    verdicts = {r.scenario: _verdict(r) for r in results}
    failed = [name for name, verdict in verdicts.items() if verdict != "ok"]
    if failed:
        lines.append("  NOT MET: " + ", ".join(f"{name} ({verdicts[name]})" for name in failed))
    else:
        lines.append("  every scenario meets its floor")
    return lines


def write_json(
    path: Path, options: Options, pinning: Pinning, results: Sequence[ScenarioResult]
) -> None:
    document = {
        "benchmark": "emulator_throughput",
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "pinning": asdict(pinning),
        "settings": {
            "seconds": options.seconds,
            "warmup_seconds": options.warmup,
            "concurrency": options.concurrency,
            "read_customers": READ_CUSTOMERS,
        },
        "floors_per_s": {"read": READ_FLOOR, "create": CREATE_FLOOR},
        "all_floors_met": all(_verdict(r) == "ok" for r in results),
        "results": [asdict(r) for r in results],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    # A SIGTERM unwinds like a Ctrl-C, so the emulator is stopped either way.
    signal.signal(signal.SIGTERM, signal.default_int_handler)

    def echo(text: str) -> None:
        print(text, flush=True)

    pinning = plan_pinning()
    echo("ledgerbridge QBO emulator throughput")
    echo(f"  {pinning.note}")
    if not Path("/proc/self/stat").exists():
        echo("  /proc is unavailable: the emulator's CPU time cannot be read (n/a below)")
    try:
        with running_emulator(pinning.server_cpu) as emulator:
            if pinning.client_cpu is not None:
                os.sched_setaffinity(0, {pinning.client_cpu})
            pinned = emulator.pinned_threads
            threads = f", {pinned} thread(s) pinned" if pinned else ""
            echo(f"  emulator pid {emulator.pid} on {emulator.base_url}{threads}")
            echo(
                f"  {options.concurrency} workers, {options.warmup:g} s warm-up + "
                f"{options.seconds:g} s per scenario"
            )
            with _event_loop_runner() as runner:
                results = runner.run(benchmark(emulator, options, echo))
    except BenchmarkError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: the emulator was stopped", file=sys.stderr)
        return 130

    echo("")
    for line in summary(results):
        echo(line)
    write_json(options.json_path, options, pinning, results)
    echo(f"  results written to {options.json_path}")

    too_many = [r for r in results if r.error_rate > MAX_ERROR_RATE]
    for r in too_many:
        print(
            f"FAILED: {r.scenario}: {r.error_rate:.2%} of requests errored "
            f"(more than {MAX_ERROR_RATE:.0%}): the figures are not valid",
            file=sys.stderr,
        )
    return 1 if too_many else 0


if __name__ == "__main__":
    sys.exit(main())
