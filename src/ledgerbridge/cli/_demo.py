"""``ledgerbridge demo``: the whole product in one command, on embedded defaults.

It starts the QBO emulator and ledgerbridge (REST API, console, an embedded worker) in a
fresh data directory, makes a demo shop, connects it through Intuit's OAuth redirect flow
(the emulator's consent page, approved as a browser would), uploads a machine shop's
records, runs the initial sync with a progress bar, and then serves the console until
Ctrl-C. ``--check`` does the same without serving afterwards: it compares the QuickBooks
company with the records through the QBO API and exits 0 only when every record is there
once with the app's totals (``_demo_check.py``). The parts are in ``_demo_stack.py``.
"""

from __future__ import annotations

import logging
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Final

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ledgerbridge.dataset import MIN_RECORDS
from ledgerbridge.engine import RunLogFilter

from ._common import EXIT_REJECTED, fail, guarded
from ._demo_check import SyncCheck, check_table
from ._demo_stack import (
    CONSOLE_USER,
    DEMO_TENANT,
    DemoOptions,
    DemoShop,
    DemoStack,
    record_counts,
)
from ._jobs import LOG_FORMAT

__all__ = ["DEFAULT_RECORDS", "DEFAULT_TIME_SCALE", "demo", "report_check"]

#: records of the default shop: every type and relationship of the data set (split and
#: partial payments, multi-order invoices, received orders' bills); with the time scale
#: below they sync in about 50 s (about 2.8 requests a record, bounded by Intuit's 10
#: requests a second per company: 40 at the scale of 4)
DEFAULT_RECORDS: Final = 600
#: Intuit's windows shrink this many times (the emulator's and ledgerbridge's governor's)
DEFAULT_TIME_SCALE: Final = 4.0
#: the access token lives 3600/K s; past 10 it would live less than the 5 minutes before
#: expiry at which ledgerbridge refreshes it, and every request would refresh it first
_MAX_TIME_SCALE: Final = 10.0
_SHOWN_PROBLEMS: Final = 20
_STOP_SIGNALS: Final = (signal.SIGINT, signal.SIGTERM)


def demo(
    records: Annotated[
        int,
        typer.Option(min=MIN_RECORDS, help="Records in the machine shop's data set."),
    ] = DEFAULT_RECORDS,
    seed: Annotated[int, typer.Option(help="The same seed makes the same shop.")] = 1,
    time_scale: Annotated[
        float,
        typer.Option(
            min=1.0,
            max=_MAX_TIME_SCALE,
            help="Shrink Intuit's rate-limit windows K times (the emulator and ledgerbridge's "
            "governor alike).",
        ),
    ] = DEFAULT_TIME_SCALE,
    port: Annotated[
        int | None,
        typer.Option(help="The web app's port (default 8000 when free, else any free port)."),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="Keep the database, job queue and logs here (a new or empty directory); "
            "by default a temporary one, deleted at exit."
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Headless: after the sync, check QuickBooks against the records and exit "
            "(0 only when every record is there once with the right totals).",
        ),
    ] = False,
) -> None:
    """Run the emulator, ledgerbridge and a demo shop in one command, until Ctrl-C."""
    console = Console(soft_wrap=True, highlight=False)
    # Ctrl-C and SIGTERM stop the demo the same way, cleaning up (even when the shell that
    # started it in the background made it ignore SIGINT)
    previous = {sig: signal.signal(sig, signal.default_int_handler) for sig in _STOP_SIGNALS}
    try:
        with _data_directory(data_dir) as where, _logging_to(where / "ledgerbridge.log"):
            options = DemoOptions(records, seed, time_scale, where, port)
            code = _run(console, options, serve=not check, kept=data_dir is not None)
    except KeyboardInterrupt:
        console.print("Stopped.")
        return
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if code:
        raise typer.Exit(code)


def _run(console: Console, options: DemoOptions, *, serve: bool, kept: bool) -> int:
    """The demo's steps; the exit code (``kept``: the data directory stays after the demo)."""
    started = time.monotonic()
    with guarded(), DemoStack(options) as stack:
        console.print(f"[bold]ledgerbridge demo[/] in {options.data_dir}")
        console.print(
            f"  QBO emulator  {stack.emulator_url}  (Intuit's limits, time scale "
            f"{options.time_scale:g})"
        )
        console.print(f"  ledgerbridge  {stack.web_url}  (REST API, console, 2 worker threads)")
        shop = stack.set_up()
        _print_shop(console, shop)
        _sync(console, stack, shop)
        if not serve:
            return report_check(console, stack.check(), time.monotonic() - started)
        _print_access(console, stack, shop, options.data_dir, kept=kept)
        threading.Event().wait()  # serve until Ctrl-C (or SIGTERM)
    return 0  # pragma: no cover (the wait ends by KeyboardInterrupt only)


def _print_shop(console: Console, shop: DemoShop) -> None:
    console.print(
        f"[green]✓[/] tenant {DEMO_TENANT}: connected to QuickBooks company "
        f"{shop.company_name!r} (realm {shop.realm_id}) through Intuit's consent page and "
        "the OAuth callback"
    )
    counts = ", ".join(f"{kind} {n}" for kind, n in record_counts(shop.records).items())
    console.print(f"[green]✓[/] settings saved; {len(shop.records)} records uploaded ({counts})")


def _sync(console: Console, stack: DemoStack, shop: DemoShop) -> None:
    started = time.monotonic()
    columns = (
        TextColumn("[bold]Initial sync"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("records"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("sync", total=shop.pushed)
        run = stack.sync(shop, lambda done, total: bar.update(task, completed=done))
    took = time.monotonic() - started
    counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(run["counts"].items()))
    # the emulator's minute lasts 1/K of a real one: say what the rate means at Intuit's
    rate = shop.pushed / took * 60
    console.print(
        f"[green]✓[/] run {run['id'][:12]} ({run['trigger']}) {run['status']} in {took:.1f} s: "
        f"{counts or 'nothing to push'} ({rate:,.0f} records a minute; "
        f"{rate / stack.options.time_scale:,.0f} at Intuit's unscaled limits)"
    )
    if run.get("error"):
        console.print(f"[bold red]{run['error']}[/]")


def report_check(console: Console, result: SyncCheck, took: float) -> int:
    """Print the check's table, its problems and the verdict; the exit code of ``--check``:
    0 only when QuickBooks holds every record once with the app's totals."""
    console.print(check_table(result))
    for problem in result.problems[:_SHOWN_PROBLEMS]:
        console.print(f"[red]✗[/] {problem}.")
    if len(result.problems) > _SHOWN_PROBLEMS:
        console.print(f"... and {len(result.problems) - _SHOWN_PROBLEMS} more problems.")
    verdict = (
        "[green]OK[/]: every record is in QuickBooks exactly once, with the app's totals"
        if result.ok
        else "[bold red]FAILED[/]: QuickBooks does not hold the records as the app does"
    )
    console.print(f"{verdict} ({took:.1f} s in all).")
    return 0 if result.ok else EXIT_REJECTED


def _print_access(
    console: Console, stack: DemoStack, shop: DemoShop, data_dir: Path, *, kept: bool
) -> None:
    base = stack.web_url
    console.print()
    console.print("[bold]The demo is running.[/] Open the console and look around:")
    console.print(
        f"  Console   {base}/console/   user [bold]{CONSOLE_USER}[/]   password "
        f"[bold]{shop.console_password}[/]"
    )
    console.print(
        f'  REST API  curl -H "Authorization: Bearer {shop.tenant_key}" '
        f"{base}/api/v1/tenants/{DEMO_TENANT}/runs"
    )
    console.print(f"  OpenAPI   {base}/docs")
    console.print(
        f"  Emulator  {stack.emulator_url}/_emulator/requests?realm_id={shop.realm_id}  "
        "(what QuickBooks received; docs/emulator.md)"
    )
    fate = "kept" if kept else "deleted at exit; --data-dir keeps it"
    console.print(f"  Data      {data_dir}  ({fate}; the log is ledgerbridge.log)")
    console.print("Ctrl-C stops it.")


@contextmanager
def _data_directory(given: Path | None) -> Iterator[Path]:
    """``given`` (new or empty), or a temporary directory deleted at the end."""
    if given is not None:
        if given.exists() and (not given.is_dir() or any(given.iterdir())):
            fail(f"--data-dir {given} is not an empty directory: remove it or choose another.")
        given.mkdir(parents=True, exist_ok=True)
        yield given.resolve()
        return
    made = Path(tempfile.mkdtemp(prefix="ledgerbridge-demo-"))
    try:
        yield made
    finally:
        shutil.rmtree(made, ignore_errors=True)


@contextmanager
def _logging_to(path: Path) -> Iterator[None]:
    """Everything logged goes to ``path``: the terminal keeps the progress bar."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(RunLogFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()
