"""``ledgerbridge records generate``: a machine shop's records as NDJSON that import cleanly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from ledgerbridge.cli import app
from ledgerbridge.dataset import MIN_RECORDS


@pytest.fixture
def cli(tmp_path: Path) -> CliRunner:
    """A runner whose environment points ledgerbridge at a database in the test's directory."""
    url = f"sqlite:///{tmp_path / 'ledgerbridge.db'}"
    return CliRunner(env={"LEDGERBRIDGE_DATABASE_URL": url, "LEDGERBRIDGE_MODE": None})


def run(cli: CliRunner, *args: str) -> Result:
    return cli.invoke(app, list(args))


def test_generated_records_import_without_a_rejection(cli: CliRunner, tmp_path: Path) -> None:
    """The file ``generate --out`` writes is accepted whole by ``records import``."""
    out = tmp_path / "shop.jsonl"
    generated = run(
        cli, "records", "generate", "--records", "120", "--seed", "3", "--out", str(out)
    )
    assert generated.exit_code == 0, generated.output
    assert f"Wrote 120 records to {out}" in generated.output
    assert "customer 15" in generated.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 120 and {json.loads(line)["type"] for line in lines} >= {
        "customer",
        "invoice",
        "payment",
    }
    assert run(cli, "tenants", "add", "shop", "--name", "Machine Shop").exit_code == 0
    imported = run(cli, "records", "import", "--tenant", "shop", str(out))
    assert imported.exit_code == 0, imported.output
    row = next(line for line in imported.output.splitlines() if line.startswith("│"))
    # accepted, created, changed, unchanged, rejected
    assert [cell.strip() for cell in row.split("│")[1:-1]] == ["120", "120", "0", "0", "0"]


def test_standard_output_holds_the_same_records_for_the_same_seed(
    cli: CliRunner, tmp_path: Path
) -> None:
    """Without ``--out`` the NDJSON goes to standard output, identical for one seed."""
    out = tmp_path / "shop.jsonl"
    assert run(cli, "records", "generate", "--records", "80", "--out", str(out)).exit_code == 0
    printed = run(cli, "records", "generate", "--records", "80")
    other_seed = run(cli, "records", "generate", "--records", "80", "--seed", "2")
    assert printed.exit_code == 0
    assert printed.output == out.read_text(encoding="utf-8")
    assert other_seed.output != printed.output


def test_too_few_records_is_a_usage_error(cli: CliRunner) -> None:
    """Below the minimum the command exits 2 and names the limit."""
    result = run(cli, "records", "generate", "--records", str(MIN_RECORDS - 1))
    assert result.exit_code == 2
    assert str(MIN_RECORDS) in result.output


def test_an_unwritable_file_is_one_sentence(cli: CliRunner, tmp_path: Path) -> None:
    """A file in a folder that does not exist: exit 2 and a sentence naming the file."""
    out = tmp_path / "missing" / "shop.jsonl"
    result = run(cli, "records", "generate", "--records", str(MIN_RECORDS), "--out", str(out))
    assert result.exit_code == 2
    assert f"Cannot write {out}" in result.output
