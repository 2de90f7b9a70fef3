"""Over-long and malformed input to ``records import`` and the API's NDJSON upload.

The same file goes through both: a good customer and a good item among lines that nest
JSON 100,000 deep, carry numbers Decimal cannot round to the cent (``1e999999``, a price and
quantity of 10^30 each), an id, a DocNumber and notes over their limits, and a lone UTF-16
surrogate. Each bad line is refused with its line number and the field to fix, and the two
good lines are stored. ``tests/unit/model/test_model_parse.py``, ``tests/api/test_records.py``
and ``tests/unit/cli/test_cli.py`` cover the ordinary mistakes (bad JSON, wrong types, a
missing field, non-UTF-8 bodies); this adds what could crash a parser or a rounding.
The upload limits (lines per upload, bytes per upload) are checked here too.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from api.apikit import API, Api, bearer, open_api
from ledgerbridge.cli import app
from ledgerbridge.web._service import MAX_BULK_LINES

pytestmark = pytest.mark.anyio

TENANT = "acme"
NDJSON = {"Content-Type": "application/x-ndjson"}
PAY = {"type": "payment", "customer_id": "c1", "payment_date": "2026-03-01"}
INV = {"type": "invoice", "customer_id": "c1", "invoice_date": "2026-03-01"}


def _line(**fields: object) -> str:
    return json.dumps(fields)


#: line number -> (the line, the field its error must name; None for the whole line)
BAD: dict[int, tuple[str, str | None]] = {
    2: ("[" * 100_000 + "]" * 100_000, None),
    3: (
        '{"type":"payment","id":"p1","customer_id":"c1","payment_date":"2026-03-01",'
        '"amount":1e999999}',
        "amount",
    ),
    4: (
        _line(**INV, id="i1", lines=[{"item_id": "a", "quantity": "1e30", "unit_price": "1e30"}]),
        "lines[0].quantity",
    ),
    5: (_line(type="customer", id="x" * 200, name="Long id"), "id"),
    6: (
        _line(**INV, id="i2", number="9" * 30, lines=[{"item_id": "a", "unit_price": 1}]),
        "number",
    ),
    7: ('{"type":"customer","id":"c7","name":"Bad \\ud800 surrogate"}', "name"),
    8: (_line(type="customer", id="c8", name="Notes", notes="n" * 2_000_000), "notes"),
}
GOOD = {
    1: _line(type="customer", id="c1", name="Acme Fabrication"),
    9: _line(type="item", id="bolt", name="Bolt", kind="service"),
}
TEXT = "\n".join(GOOD.get(n) or BAD[n][0] for n in range(1, 10))


def test_records_import_refuses_each_bad_line_by_line_and_field(tmp_path: Path) -> None:
    """The command stores the two good lines and prints one error per bad line, naming the
    line and the field; it exits 1 (some lines refused), not with a traceback."""
    runner = CliRunner(
        env={
            "LEDGERBRIDGE_DATABASE_URL": f"sqlite:///{tmp_path / 'lb.db'}",
            "LEDGERBRIDGE_MODE": None,
        }
    )
    assert runner.invoke(app, ["db", "migrate"]).exit_code == 0
    assert runner.invoke(app, ["tenants", "add", TENANT, "--name", "Acme"]).exit_code == 0
    path = tmp_path / "records.jsonl"
    path.write_text(TEXT, encoding="utf-8")
    result = runner.invoke(app, ["records", "import", "--tenant", TENANT, str(path)])
    assert result.exit_code == 1, result.output
    errors = [line for line in result.stdout.splitlines() if line.startswith("line ")]
    for number, (_text, field) in BAD.items():
        mine = [e for e in errors if e.startswith(f"line {number}")]
        assert mine, f"line {number} is not reported: {result.stdout}"
        assert field is None or f": {field}: " in mine[0] or f" {field} " in mine[0], mine
    assert not any(e.startswith(("line 1:", "line 9:")) for e in errors)


async def test_the_ndjson_upload_refuses_each_bad_line_by_line_and_field(
    tmp_path: Path,
) -> None:
    """200 with per-line results: the good lines created, each bad line's errors named."""
    async with open_api(tmp_path) as api:
        key = await api.create_tenant(TENANT)
        answer = await _upload(api, key, TEXT.encode())
        assert answer.status_code == 200, answer.text[:2000]
        by_line = {line["line"]: line for line in answer.json()["lines"]}
        assert by_line[1]["outcome"] == by_line[9]["outcome"] == "created"
        for number, (_text, field) in BAD.items():
            errors = by_line[number]["errors"]
            assert errors and all(e["message"] for e in errors), by_line[number]
            if field is not None:
                assert field in {e["field"] for e in errors}, errors
        counts = api.services.runtime.records.counts(tenant_id=TENANT)
        assert {kind: c.total for kind, c in counts.items()} == {"customer": 1, "item": 1}


async def test_uploads_past_the_limits_are_refused_whole(tmp_path: Path) -> None:
    """More lines than allowed is 422 naming the body; more bytes than allowed is 413; and
    nothing of either is stored."""
    async with open_api(tmp_path) as api:
        key = await api.create_tenant(TENANT)
        good = _line(type="customer", id="c1", name="Acme")
        too_many = await _upload(api, key, "\n".join([good] * (MAX_BULK_LINES + 1)).encode())
        assert too_many.status_code == 422
        assert too_many.json()["errors"][0]["field"] == "body"
        huge = await _upload(api, key, b" " * (33 * 1024 * 1024) + good.encode())
        assert huge.status_code == 413, huge.text
        assert api.services.runtime.records.counts(tenant_id=TENANT) == {}


async def _upload(api: Api, key: str, body: bytes) -> httpx.Response:
    return await api.client.post(
        f"{API}/tenants/{TENANT}/records", content=body, headers={**bearer(key), **NDJSON}
    )


DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.mark.parametrize(
    ("address", "body", "status", "field"),
    [
        ("customer/c1", DEEP, 400, None),
        ("customer/c1", b'{"name": "Acme", "notes": ' + DEEP + b"}", 400, None),
        (
            "item/i1",
            b'{"name": "Bolt", "kind": "service", "sales_price": 1e999999}',
            422,
            "sales_price",
        ),
    ],
)
async def test_one_record_put_refuses_deep_or_huge_json_naming_the_problem(
    tmp_path: Path, address: str, body: bytes, status: int, field: str | None
) -> None:
    """A PUT of JSON nested 100,000 deep is a 400 problem (the body cannot be parsed), a
    number of 1e999999 a 422 naming its field; never a 500, nothing stored."""
    async with open_api(tmp_path) as api:
        key = await api.create_tenant(TENANT)
        answer = await api.client.put(
            f"{API}/tenants/{TENANT}/records/{address}",
            content=body,
            headers={**bearer(key), "Content-Type": "application/json"},
        )
        assert answer.status_code == status, answer.text[:500]
        problem = answer.json()
        assert problem["detail"]
        if field is not None:
            assert field in {e["field"] for e in problem["errors"]}
        assert api.services.runtime.records.counts(tenant_id=TENANT) == {}
