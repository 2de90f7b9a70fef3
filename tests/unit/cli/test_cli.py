"""The ``ledgerbridge`` command line: schema, db migrate, tenants and records import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from ledgerbridge.cli import app
from ledgerbridge.model import RECORD_TYPES
from ledgerbridge.store import Database, RecordStore

GOOD_CUSTOMER = {"type": "customer", "id": "c-1", "name": "Acme Fabrication"}
GOOD_ITEM = {
    "type": "item",
    "id": "bolt",
    "name": "Bolt",
    "kind": "inventory",
    "sales_price": 1.5,
}
MIXED = "\n".join(
    [
        json.dumps(GOOD_CUSTOMER),
        "this is not json",
        json.dumps({"type": "customer", "id": "c-2", "name": "Bad Mail", "email": "nope"}),
        "",
        json.dumps(GOOD_ITEM),
        json.dumps({"type": "item", "id": "nut", "name": "Nut"}),
    ]
)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A SQLite database URL in the test's own directory."""
    return f"sqlite:///{tmp_path / 'ledgerbridge.db'}"


@pytest.fixture
def cli(db_url: str) -> CliRunner:
    """A runner whose environment points ledgerbridge at the test's database."""
    return CliRunner(env={"LEDGERBRIDGE_DATABASE_URL": db_url, "LEDGERBRIDGE_MODE": None})


def run(cli: CliRunner, *args: str, stdin: str | None = None) -> Result:
    """Invoke ``ledgerbridge`` with ``args``."""
    return cli.invoke(app, list(args), input=stdin)


def with_tenant(cli: CliRunner, tmp_path: Path, content: str = MIXED) -> Path:
    """Add tenant ``acme`` and write ``content`` to an NDJSON file; return the file."""
    assert run(cli, "tenants", "add", "acme", "--name", "Acme Shop").exit_code == 0
    path = tmp_path / "records.jsonl"
    path.write_text(content, encoding="utf-8")
    return path


def summary_row(output: str) -> list[str]:
    """The cells of the summary table: accepted, created, changed, unchanged, rejected."""
    row = next(line for line in output.splitlines() if line.startswith("│"))
    return [cell.strip() for cell in row.split("│")[1:-1]]


def stored(db_url: str) -> dict[tuple[str, str], dict[str, object]]:
    """Every record of tenant ``acme``, by (type, id)."""
    database = Database(db_url)
    try:
        records = RecordStore(database)
        found = {}
        for record_type, app_id in [("customer", "c-1"), ("customer", "c-2"), ("item", "bolt")]:
            record = records.get(tenant_id="acme", record_type=record_type, app_id=app_id)
            if record is not None:
                found[(record_type, app_id)] = record.payload
        return found
    finally:
        database.dispose()


def test_schema_is_json_listing_every_record_type() -> None:
    """``schema`` prints valid JSON that names every record type."""
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    text = json.dumps(document)
    for record_type in RECORD_TYPES:
        assert f'"{record_type}"' in text, record_type


def test_schema_settings_prints_the_tenant_settings_schema() -> None:
    """``schema --settings`` prints the tenant settings' schema instead."""
    result = CliRunner().invoke(app, ["schema", "--settings"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document != json.loads(CliRunner().invoke(app, ["schema"]).stdout)
    assert "properties" in document


def test_migrate_creates_then_is_idempotent(cli: CliRunner, tmp_path: Path) -> None:
    """A second ``db migrate`` finds nothing to do."""
    first = run(cli, "db", "migrate")
    assert first.exit_code == 0, first.output
    assert "created" in first.stdout
    assert (tmp_path / "ledgerbridge.db").exists()
    second = run(cli, "db", "migrate")
    assert second.exit_code == 0, second.output
    assert "already up to date" in second.stdout


def test_unsupported_database_is_one_sentence() -> None:
    """A database URL ledgerbridge cannot use exits 2 with a sentence, not a traceback."""
    runner = CliRunner(env={"LEDGERBRIDGE_DATABASE_URL": "mysql://localhost/x"})
    result = runner.invoke(app, ["db", "migrate"])
    assert result.exit_code == 2
    assert "mysql" in result.stderr
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_tenants_add_and_list(cli: CliRunner) -> None:
    """An added tenant is listed; adding it again exits 2 with a clear message."""
    assert run(cli, "tenants", "list").stdout.startswith("No tenants yet")
    added = run(cli, "tenants", "add", "acme", "--name", "Acme Shop")
    assert added.exit_code == 0, added.output
    listed = run(cli, "tenants", "list")
    assert "acme" in listed.stdout and "Acme Shop" in listed.stdout
    again = run(cli, "tenants", "add", "acme", "--name", "Other")
    assert again.exit_code == 2
    assert "'acme' already exists" in again.stderr


def test_import_mixed_file_keeps_good_lines_and_reports_bad_ones(
    cli: CliRunner, db_url: str, tmp_path: Path
) -> None:
    """Good lines are stored; each bad one is reported with its line and field; exit 1."""
    path = with_tenant(cli, tmp_path)
    result = run(cli, "records", "import", "--tenant", "acme", str(path))
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert "line 2 is not valid JSON" in out
    assert "line 3: customer c-2: email: " in out
    assert "line 6: item nut: kind: is required." in out
    assert "line 1" not in out and "line 5" not in out
    assert summary_row(out) == ["2", "2", "0", "0", "3"]
    records = stored(db_url)
    assert set(records) == {("customer", "c-1"), ("item", "bolt")}
    assert records[("item", "bolt")]["sales_price"] == "1.5"


def test_reimport_unchanged_reports_all_unchanged(cli: CliRunner, tmp_path: Path) -> None:
    """Importing the same valid file twice changes nothing and exits 0."""
    content = "\n".join([json.dumps(GOOD_CUSTOMER), json.dumps(GOOD_ITEM)]) + "\n"
    path = with_tenant(cli, tmp_path, content)
    first = run(cli, "records", "import", "--tenant", "acme", str(path))
    assert first.exit_code == 0, first.output
    second = run(cli, "records", "import", "--tenant", "acme", str(path))
    assert second.exit_code == 0, second.output
    assert summary_row(second.stdout) == ["2", "0", "0", "2", "0"]


def test_changed_record_is_reported_changed(cli: CliRunner, tmp_path: Path) -> None:
    """A record imported again with a new value counts as changed."""
    path = with_tenant(cli, tmp_path, json.dumps(GOOD_CUSTOMER))
    assert run(cli, "records", "import", "--tenant", "acme", str(path)).exit_code == 0
    path.write_text(json.dumps({**GOOD_CUSTOMER, "name": "Acme Fab LLC"}), encoding="utf-8")
    result = run(cli, "records", "import", "--tenant", "acme", str(path))
    assert summary_row(result.stdout) == ["1", "0", "1", "0", "0"]


def test_unknown_tenant_exits_2_naming_it(cli: CliRunner, db_url: str, tmp_path: Path) -> None:
    """An unknown tenant is named, with how to add it, and nothing is stored."""
    path = tmp_path / "records.jsonl"
    path.write_text(json.dumps(GOOD_CUSTOMER), encoding="utf-8")
    result = run(cli, "records", "import", "--tenant", "nobody", str(path))
    assert result.exit_code == 2
    assert "Unknown tenant 'nobody'" in result.stderr
    assert "ledgerbridge tenants add nobody --name NAME" in result.stderr
    assert "Traceback" not in result.output


def test_unreadable_file_exits_2(cli: CliRunner, tmp_path: Path) -> None:
    """A missing file is one sentence and exit code 2."""
    with_tenant(cli, tmp_path)
    result = run(cli, "records", "import", "--tenant", "acme", str(tmp_path / "missing.jsonl"))
    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_import_from_stdin(cli: CliRunner, db_url: str, tmp_path: Path) -> None:
    """``-`` reads the records from standard input."""
    with_tenant(cli, tmp_path)
    result = run(cli, "records", "import", "--tenant", "acme", "-", stdin=MIXED)
    assert result.exit_code == 1, result.output
    assert "line 3: customer c-2: email: " in result.stdout
    assert set(stored(db_url)) == {("customer", "c-1"), ("item", "bolt")}
