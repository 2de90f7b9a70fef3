"""A tenant's sync at Intuit's ceiling, measured against the emulator (``make bench``).

What it measures (issue 6), each figure in ``benchmarks/results/latest.json``:

* ``initial_sync``: a new tenant, connected through the emulator's OAuth server (consent,
  code, tokens), pushes 5,000 records of :func:`ledgerbridge.dataset.machine_shop` into a new
  company with :class:`ledgerbridge.engine.BulkPusher`, through a rate governor of Intuit's
  limits. ``writes`` counts the writes QBO accepted (a batch item is one; a received order's
  bill and an estimate closed count too); ``http_requests`` every request the emulator logged
  for the company, queries included. ``ops_per_min`` is writes per *emulator* minute (real
  seconds x time scale / 60), and ``efficiency`` its share of ``ceiling_ops_per_min`` =
  batch_per_minute x batch_max_items + (requests_per_minute - batch_per_minute): 40 x 30 +
  460 = 1,660 at Intuit's limits (a batch request is one of the 500).
* ``baseline``: python-quickbooks in the loop its README teaches (``baseline.py``), on a
  sample of the same data set's invoices, same emulator, same settings; its ``ops_per_min``
  counts its writes the same way, so ``speedup_vs_baseline`` compares like with like.
* ``resync_noop``: the whole data set received again unchanged and every record queued again
  ("sync all"): the writes and requests it costs.
* ``multi_realm`` and ``auto_sync_latency``: the job system at time scale 1 (``multi_realm.py``).
* ``engine_overhead``: the initial sync again, latency 0 and no limits: records per second and
  CPU milliseconds per record of this process (the emulator runs in its own, whose CPU time is
  reported beside). What the process made before the push (this benchmark's own data sets,
  the earlier phases' leftovers) is frozen out of the garbage collector first (``gc.freeze``,
  as a worker does after start-up), so that its full collections do not count the
  benchmark's objects as the engine's cost.

The emulator runs in its own process (``ledgerbridge emulator``) with Intuit's limits. Its
time scale K shrinks every per-minute and per-second window K times; its latency is NOT
scaled by K, so the latency model is given in QBO time and the emulator gets it divided by K:
in emulator time a request takes what the model says, for ledgerbridge and the baseline alike.
What is not scaled is each client's own CPU time: at K = 2 a millisecond of a client's work
counts as two of emulator time, a small handicap for both sides. The governor runs exact: a
request counts in its windows from admission until its answer plus the window, so it never
provokes a 429 whatever the delays (``throttled_429`` says so).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from rich.console import Console
from rich.table import Table

from baseline import baseline
from benchkit import (
    CEILING,
    Admin,
    BenchmarkError,
    LatencyModel,
    Served,
    Tenant,
    connect_tenant,
    emulator_process,
    push,
    put_records,
    statuses,
)
from ledgerbridge.dataset import machine_shop
from ledgerbridge.engine import PushReport
from ledgerbridge.model import AnyRecord, Invoice
from ledgerbridge.qbo import QBOLimits
from ledgerbridge.store import RecordStore
from multi_realm import auto_sync_latency, deployment, multi_realm, realm_records

DEFAULT_JSON: Final = Path(__file__).resolve().parent / "results" / "latest.json"
#: limits nobody reaches, for the engine-overhead run
UNLIMITED: Final = {
    "requests_per_minute": 1_000_000_000,
    "requests_per_second": 1_000_000_000,
    "concurrent": 100_000,
    "batch_per_minute": 1_000_000_000,
}
INTUIT: Final = {
    "requests_per_minute": 500,
    "requests_per_second": 10,
    "concurrent": 10,
    "batch_per_minute": 40,
}


@dataclass(frozen=True)
class Options:
    records: int
    time_scale: float
    model: LatencyModel
    baseline_invoices: int
    realms: int
    realm_records: int
    workers: int
    auto_saves: int
    jobs: bool
    json_path: Path
    overhead_only: bool = False


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description="ledgerbridge sync throughput at Intuit's limits")
    add = parser.add_argument
    add("--records", type=int, default=5000, help="data set of the initial sync (5000)")
    add("--time-scale", type=float, default=2.0, help="emulator time scale K (2)")
    add("--latency-ms", type=float, default=300.0, help="QBO time per request (300)")
    add("--batch-item-latency-ms", type=float, default=50.0, help="more per batch item (50)")
    add("--baseline-invoices", type=int, default=100, help="invoices of the baseline (100)")
    add("--realms", type=int, default=10, help="companies of the multi-realm run (10)")
    add("--realm-records", type=int, default=2000, help="records per realm (2000)")
    add("--workers", type=int, default=2, help="worker processes (2)")
    add("--auto-saves", type=int, default=60, help="invoices saved at 5 a second (60)")
    add("--no-jobs", action="store_true", help="skip multi_realm and auto_sync_latency")
    add(
        "--overhead-only",
        action="store_true",
        help="only the engine overhead, printed (no results file): to compare two checkouts",
    )
    add("--json", type=Path, default=DEFAULT_JSON, help=f"results file ({DEFAULT_JSON})")
    args = parser.parse_args(argv)
    numbers = (args.records, args.baseline_invoices, args.realms, args.realm_records)
    if args.time_scale <= 0 or min(numbers) < 1 or args.workers < 1:
        parser.error("sizes, --time-scale and --workers must be positive")
    return Options(
        args.records,
        args.time_scale,
        LatencyModel(args.latency_ms, args.batch_item_latency_ms),
        args.baseline_invoices,
        args.realms,
        args.realm_records,
        args.workers,
        args.auto_saves,
        not args.no_jobs,
        args.json,
        args.overhead_only,
    )


def _outcomes(report: PushReport) -> dict[str, int]:
    counted: dict[str, int] = {}
    for result in report.results:
        counted[result.outcome] = counted.get(result.outcome, 0) + 1
    return dict(sorted(counted.items()))


# -- the phases ------------------------------------------------------------------------------------
async def initial_sync(
    options: Options, served: Served, admin: Admin, workdir: Path, records: Sequence[AnyRecord]
) -> tuple[dict[str, Any], Tenant]:
    tenant = await connect_tenant(served.base_url, admin, workdir, "initial", records)
    started = time.monotonic()
    report, stats = await push(tenant, QBOLimits(time_scale=options.time_scale))
    wall = time.monotonic() - started
    counted = statuses(admin, tenant.realm_id)
    ops_per_min = stats.total_writes / (wall * options.time_scale / 60)
    return {
        "records": len(records),
        "writes": stats.total_writes,
        "http_requests": sum(counted.values()),
        "wall_s": round(wall, 2),
        "ops_per_min": round(ops_per_min, 1),
        "ceiling_ops_per_min": CEILING,
        "efficiency": round(ops_per_min / CEILING, 3),
        "time_scale": options.time_scale,
        "latency_ms": options.model.latency_ms,
        "batch_item_latency_ms": options.model.batch_item_latency_ms,
        "emulator_latency_ms": round(options.model.latency_ms / options.time_scale, 3),
        "throttled_429": counted.get(429, 0),
        "batch_requests": stats.batch_requests,
        "batched_writes": stats.batched_writes,
        "single_writes": stats.single_writes,
        "per_record_path": stats.fallbacks,
        "failed": len(report.failed),
        "outcomes": _outcomes(report),
    }, tenant


async def resync_noop(
    tenant: Tenant, options: Options, admin: Admin, records: Sequence[AnyRecord]
) -> dict[str, Any]:
    """The same records again, unchanged, and every one queued again ("sync all")."""
    store = RecordStore(tenant.database)
    put_records(store, tenant.tenant_id, records)
    for record in records:
        store.mark_dirty(tenant_id=tenant.tenant_id, record_type=record.type, app_id=record.id)
    before = sum(statuses(admin, tenant.realm_id).values())
    started = time.monotonic()
    report, stats = await push(tenant, QBOLimits(time_scale=options.time_scale))
    wall = time.monotonic() - started
    return {
        "records": len(report.results),
        "writes": stats.total_writes,
        "http_requests": sum(statuses(admin, tenant.realm_id).values()) - before,
        "wall_s": round(wall, 2),
        "outcomes": _outcomes(report),
    }


async def engine_overhead(
    served: Served, admin: Admin, workdir: Path, records: Sequence[AnyRecord]
) -> dict[str, Any]:
    """The initial sync with no latency and no limits: what the engine itself costs."""
    admin.configure(latency_ms=0, batch_item_latency_ms=0, time_scale=1, limits=UNLIMITED)
    tenant = await connect_tenant(served.base_url, admin, workdir, "overhead", records)
    emulator_cpu = served.cpu_seconds()
    gc.collect()
    gc.freeze()
    try:
        cpu, started = time.process_time(), time.monotonic()
        report, stats = await push(tenant, QBOLimits(**UNLIMITED))
        wall, cpu = time.monotonic() - started, time.process_time() - cpu
    finally:
        gc.unfreeze()
    return {
        "records": len(report.results),
        "writes": stats.total_writes,
        "wall_s": round(wall, 2),
        "records_per_s": round(len(report.results) / wall, 1),
        "cpu_ms_per_record": round(cpu * 1000 / len(report.results), 3),
        "emulator_cpu_s": round(served.cpu_seconds() - emulator_cpu, 2),
        "failed": len(report.failed),
    }


def jobs_phases(options: Options, served: Served, admin: Admin, workdir: Path) -> dict[str, Any]:
    """multi_realm and auto_sync_latency, at time scale 1 with the same latency model."""
    admin.configure(**options.model.emulator_settings(1.0), limits=INTUIT)
    threads = -(-options.realms // options.workers)  # every lane at once
    with deployment(served.base_url, workdir, workers=options.workers, threads=threads) as up:
        realms, tenants = multi_realm(
            up, admin, realms=options.realms, records=options.realm_records
        )
        template = next(
            record
            for record in realm_records(0, options.realm_records)
            if isinstance(record, Invoice) and not record.sales_order_ids
        )
        latency = auto_sync_latency(
            up,
            tenants[0],
            template=template,
            saves=options.auto_saves,
            rate=5.0,
            emulator_latency_ms=options.model.latency_ms,
        )
    return {"multi_realm": realms, "auto_sync_latency": latency}


async def engine_phases(
    options: Options, served: Served, admin: Admin, workdir: Path, records: Sequence[AnyRecord]
) -> dict[str, Any]:
    initial, tenant = await initial_sync(options, served, admin, workdir, records)
    return {
        "initial_sync": initial,
        "resync_noop": await resync_noop(tenant, options, admin, records),
    }


# -- the report ------------------------------------------------------------------------------------
def render(results: dict[str, Any], console: Console) -> None:
    table = Table(title="ledgerbridge sync throughput (emulator, Intuit's limits)")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    initial, base = results["initial_sync"], results["baseline"]
    overhead, noop = results["engine_overhead"], results["resync_noop"]
    rows = [
        ("initial sync: records / writes", f"{initial['records']} / {initial['writes']}", ""),
        (
            "initial sync: HTTP requests (429s)",
            f"{initial['http_requests']} ({initial['throttled_429']})",
            "(0)",
        ),
        (
            "initial sync: wall s at time scale",
            f"{initial['wall_s']} at {initial['time_scale']:g}",
            "",
        ),
        ("initial sync: writes / emulator minute", f"{initial['ops_per_min']:.0f}", ""),
        ("ceiling: writes / minute", f"{initial['ceiling_ops_per_min']}", ""),
        ("efficiency", f"{initial['efficiency']:.3f}", ">= 0.85"),
        ("baseline (python-quickbooks): writes / minute", f"{base['ops_per_min']:.1f}", ""),
        ("baseline: HTTP requests per record", f"{base['http_requests_per_record']}", ""),
        ("speedup vs baseline", f"{results['speedup_vs_baseline']:.1f}x", ">= 20x"),
        (
            "resync of unchanged data: writes (requests)",
            f"{noop['writes']} ({noop['http_requests']})",
            "0",
        ),
        ("engine overhead: records / s", f"{overhead['records_per_s']:.0f}", ">= 1000"),
        ("engine overhead: CPU ms / record", f"{overhead['cpu_ms_per_record']}", ""),
    ]
    realms, auto = results.get("multi_realm"), results.get("auto_sync_latency")
    if realms:
        rows.append(
            (
                f"multi realm: {realms['realms']} realms, {realms['workers']} workers, "
                "writes / min",
                f"{realms['ops_per_min_total']:.0f}",
                "",
            )
        )
        rows.append(
            (
                "multi realm: lowest realm efficiency (mean)",
                f"{realms['efficiency']:.3f} ({realms['efficiency_mean']:.3f})",
                ">= 0.8",
            )
        )
    if auto:
        rows.append(
            (
                "auto-sync latency p50 / p95 ms (emulator latency)",
                f"{auto['p50_ms']:.0f} / {auto['p95_ms']:.0f} ({auto['emulator_latency_ms']:.0f})",
                "p95 < 1500 + latency",
            )
        )
    for name, value, target in rows:
        table.add_row(name, value, target)
    console.print(table)


def write_json(path: Path, results: dict[str, Any]) -> None:
    document = {
        "benchmark": "sync_throughput",
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        **results,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")


def run(options: Options, console: Console, workdir: Path) -> dict[str, Any]:
    records = machine_shop(records=options.records)
    with emulator_process(options.model, options.time_scale) as served:
        admin = Admin(served.base_url)
        console.print(f"emulator on {served.base_url}, time scale {options.time_scale:g}")
        console.print(f"initial sync of {len(records)} records, then the resync ...")
        results = asyncio.run(engine_phases(options, served, admin, workdir, records))
        console.print(f"baseline: python-quickbooks, {options.baseline_invoices} invoices ...")
        results["baseline"] = baseline(
            served.base_url,
            admin,
            records,
            invoices=options.baseline_invoices,
            time_scale=options.time_scale,
        )
        results["multi_realm"] = results["auto_sync_latency"] = None
        if options.jobs:
            console.print(f"{options.realms} realms, {options.workers} workers, time scale 1 ...")
            results.update(jobs_phases(options, served, admin, workdir))
        console.print("engine overhead (latency 0, no limits) ...")
        results["engine_overhead"] = asyncio.run(engine_overhead(served, admin, workdir, records))
    results["speedup_vs_baseline"] = round(
        results["initial_sync"]["ops_per_min"] / results["baseline"]["ops_per_min"], 1
    )
    return results


def overhead_only(options: Options, workdir: Path) -> dict[str, Any]:
    """The engine overhead phase alone, on the options' data set."""
    records = machine_shop(records=options.records)
    with emulator_process(options.model, options.time_scale) as served:
        return asyncio.run(engine_overhead(served, Admin(served.base_url), workdir, records))


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    console = Console()
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    workdir = Path(tempfile.mkdtemp(prefix="ledgerbridge-bench-"))
    started = time.monotonic()
    if options.overhead_only:
        try:
            console.print(overhead_only(options, workdir))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return 0
    try:
        results = run(options, console, workdir)
    except BenchmarkError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    results["total_wall_s"] = round(time.monotonic() - started, 1)
    render(results, console)
    write_json(options.json_path, results)
    console.print(f"results written to {options.json_path} ({results['total_wall_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
