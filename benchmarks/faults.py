"""The fault matrix at scale (``make faults``): one bulk sync per fault, and the table.

Each fault of ``tests/faults/faultkit.py`` strikes a bulk sync of ``machine_shop(N)``
(1,000 records by default) against the emulator served over HTTP; after the product's
recovery, ``demo --check`` judges QuickBooks through its API. The table (fault, records,
synced, failed visibly, duplicates, lost, wrong totals, seconds) is printed and written to
``benchmarks/results/faults.json``, with every sentence of the judge. The exit status is 1
when any fault left a duplicate, a silent drop or a wrong total. ``make test`` runs the same
matrix at 100 records (``tests/faults/test_fault_matrix.py``).
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "faults")]

from faultkit import FAULTS, FaultOutcome, run_fault  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

COLUMNS = ("records", "synced", "failed_visibly", "duplicates", "lost", "wrong_totals", "seconds")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1000, help="records per run (1000)")
    parser.add_argument("--only", help="run only the faults whose name contains this")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/faults.json")
    args = parser.parse_args()
    logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)  # the drops it reports
    console = Console(width=max(120, Console().width))
    outcomes: list[FaultOutcome] = []
    for fault in FAULTS:
        if args.only and args.only.lower() not in fault.name.lower():
            continue
        status = console.status(f"{fault.name}: {args.records} records")
        with status, tempfile.TemporaryDirectory() as workdir:
            outcomes.append(run_fault(fault, args.records, Path(workdir)))
        console.print(f"{fault.name}: done in {outcomes[-1].seconds} s")
    console.print(_table(outcomes))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "python": platform.python_version(),
                "records": args.records,
                "faults": [outcome.to_json() for outcome in outcomes],
            },
            indent=2,
        )
        + "\n"
    )
    shown = args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out
    console.print(f"written to {shown}")
    bad = [o for o in outcomes if o.duplicates or o.lost or o.wrong_totals]
    for outcome in bad:
        console.print(f"[red]{outcome.fault}[/]: " + "; ".join(outcome.problems[:5]))
    return 1 if bad else 0


def _table(outcomes: list[FaultOutcome]) -> Table:
    table = Table(title="Bulk sync under each fault, after recovery")
    table.add_column("fault")
    for column in COLUMNS:
        table.add_column(column.replace("_", " "), justify="right")
    for outcome in outcomes:
        clean = not (outcome.duplicates or outcome.lost or outcome.wrong_totals)
        table.add_row(
            outcome.fault,
            *(str(getattr(outcome, column)) for column in COLUMNS),
            style=None if clean else "red",
        )
    return table


if __name__ == "__main__":
    sys.exit(main())
