"""``ledgerbridge schema`` and ``ledgerbridge records``: the records a host app hands over
(``records import``), and a generated machine shop's records to try it with
(``records generate``)."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ledgerbridge.dataset import MIN_RECORDS, machine_shop
from ledgerbridge.model import (
    RecordError,
    content_hash,
    parse_ndjson,
    record_schema,
    settings_schema,
)
from ledgerbridge.store import Database, PutOutcome, RecordInput, RecordStore

from ._common import (
    EXIT_REJECTED,
    connection_store,
    fail,
    guarded,
    open_database,
    settings_once,
)
from ._jobs import auto_sync_after_import

__all__ = ["ImportReport", "import_lines", "records_app", "rejection_line", "schema"]

records_app = typer.Typer(help="The host app's records.", no_args_is_help=True)


@dataclass(frozen=True)
class ImportReport:
    """What an import stored and what it refused."""

    outcomes: Counter[PutOutcome]
    errors: tuple[RecordError, ...]
    accepted: int
    rejected_lines: int
    #: ``(record_type, app_id)`` of the records created or changed: what auto-sync pushes
    saved: tuple[tuple[str, str], ...] = ()


def import_lines(database: Database, tenant_id: str, lines: Iterable[str]) -> ImportReport:
    """Validate NDJSON lines and store every valid record for the tenant, in one transaction."""
    result = parse_ndjson(lines)
    batch = [
        RecordInput(
            record_type=record.type,
            app_id=record.id,
            payload=record.model_dump(mode="json"),
            content_hash=content_hash(record),
        )
        for record in result.records
    ]
    stored = RecordStore(database).put_many(tenant_id=tenant_id, records=batch)
    return ImportReport(
        outcomes=Counter(put.outcome for put in stored),
        errors=result.errors,
        accepted=len(result.records),
        rejected_lines=len(result.refused_lines),
        saved=tuple((put.record_type, put.app_id) for put in stored if put.outcome != "unchanged"),
    )


def rejection_line(error: RecordError) -> str:
    """``line N: <type> <id>: <field>: <message>``, leaving out the parts that are unknown."""
    own = f"Line {error.line} "
    if error.message.startswith(own):  # the whole line is wrong, and the message says so
        return "l" + error.message[1:]
    parts = [f"line {error.line}"]
    if error.record_type or error.record_id:
        parts.append(f"{error.record_type or '?'} {error.record_id or '?'}")
    message = error.message
    if error.field:
        parts.append(error.field)
        # the message names the field already ("email is required."): say it once
        if message.startswith(error.field):
            message = message[len(error.field) :].lstrip(": ")
    parts.append(message)
    return ": ".join(parts)


def _read(file: str) -> list[str]:
    """The lines of ``file`` (``-``: standard input), or exit 2 with why it cannot be read."""
    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    except FileNotFoundError:
        fail(f"Cannot read {file}: no such file.")
    except IsADirectoryError:
        fail(f"Cannot read {file}: it is a directory.")
    except UnicodeDecodeError:
        fail(f"Cannot read {file}: it is not UTF-8 text.")
    except OSError as exc:
        fail(f"Cannot read {file}: {exc.strerror or exc}.")
    # not splitlines(): JSON strings may hold U+2028 and other separators it splits on
    return text.split("\n")


def schema(
    settings: Annotated[
        bool, typer.Option("--settings", help="The tenant settings' schema instead.")
    ] = False,
) -> None:
    """Print the JSON Schema of the records (or of the tenant settings)."""
    document = settings_schema() if settings else record_schema()
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))


@records_app.command("import")
def import_command(
    file: Annotated[
        str, typer.Argument(metavar="FILE", help="NDJSON file, one record per line; - for stdin.")
    ],
    tenant: Annotated[str, typer.Option("--tenant", help="The shop the records belong to.")],
) -> None:
    """Import records from an NDJSON file: valid ones are stored, invalid ones reported."""
    settings = settings_once()
    with guarded(), open_database(settings) as database:
        if connection_store(database, settings).get_tenant(tenant) is None:
            fail(
                f"Unknown tenant {tenant!r}: add it first with "
                f"`ledgerbridge tenants add {tenant} --name NAME`."
            )
        report = import_lines(database, tenant, _read(file))
        auto = auto_sync_after_import(settings, database, tenant, list(report.saved))
    table = Table("accepted", "created", "changed", "unchanged", "rejected", title="Import")
    table.add_row(
        str(report.accepted),
        str(report.outcomes["created"]),
        str(report.outcomes["changed"]),
        str(report.outcomes["unchanged"]),
        str(report.rejected_lines),
    )
    Console(soft_wrap=True).print(table)
    if auto is not None:
        typer.echo(f"Auto-sync: run {auto.id} pushes the saved records (a worker runs it).")
    for error in report.errors:
        typer.echo(rejection_line(error))
    if report.errors:
        raise typer.Exit(EXIT_REJECTED)


@records_app.command("generate")
def generate_command(
    records: Annotated[
        int, typer.Option("--records", min=MIN_RECORDS, help="How many records to make.")
    ] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="The same seed makes the same records.")] = 1,
    out: Annotated[
        Path | None,
        typer.Option("--out", metavar="FILE", help="Write here instead of standard output."),
    ] = None,
) -> None:
    """Write a generated machine shop's records as NDJSON, for `ledgerbridge records import`."""
    made = machine_shop(records, seed=seed)
    # money stays exact: pydantic writes Decimals as JSON strings ("12.50")
    lines = [record.model_dump_json(exclude_none=True) + "\n" for record in made]
    if out is None:
        typer.echo("".join(lines), nl=False)
        return
    try:
        with out.open("w", encoding="utf-8") as file:
            file.writelines(lines)
    except OSError as exc:
        fail(f"Cannot write {out}: {exc.strerror or exc}.")
    counts = Counter(record.type for record in made)
    summary = ", ".join(f"{kind} {count}" for kind, count in counts.items())
    typer.echo(f"Wrote {len(lines)} records to {out} ({summary}).")
