"""The jobs from the command line: ``sync``, ``runs``, ``records import``'s auto-sync, and
``serve`` running the job workers in its own process."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from inboundkit import classic
from jobkit import (
    TENANT,
    Shop,
    consuming,
    environ,
    open_shop,
    start_ledgerbridge,
    wait_until,
)
from typer.testing import CliRunner, Result

from ledgerbridge.cli import app
from ledgerbridge.model import Customer, TenantSettings
from ledgerbridge.qbo import SIGNATURE_HEADER, sign_notification
from ledgerbridge.store import InboundStore, StoredNotification
from ledgerbridge.web import WEBHOOK_PATH
from support import Served, free_port

pytestmark = pytest.mark.integration

VERIFIER = "test-webhook-verifier-token"


@pytest.fixture
def shop(tmp_path: Path, served: Served) -> Iterator[Shop]:
    with open_shop(tmp_path, served) as opened:
        opened.connect(TENANT)
        yield opened


def cli(shop: Shop, *args: str) -> Result:
    return CliRunner(env=environ(shop.settings)).invoke(app, list(args))


def test_sync_wait_runs_the_sync_here_and_prints_what_it_did(shop: Shop) -> None:
    """Three customers pushed, one refused with its sentence; exit 1; ``runs`` lists it."""
    shop.put_customers(TENANT, 3)
    shop.put(TENANT, Customer(id="orphan", name="Sub of nobody", parent_id="missing"))
    result = cli(shop, "sync", "--tenant", TENANT, "--wait")
    assert result.exit_code == 1, result.output
    assert "(bulk): partial" in result.output
    assert "created" in result.output and "failed" in result.output
    assert "failed: customer orphan:" in result.output
    run = shop.runs_of(TENANT)[0]
    assert run.counts == {"created": 3, "failed": 1}

    listed = cli(shop, "runs", "--tenant", TENANT)
    assert listed.exit_code == 0, listed.output
    assert run.id[:12] in listed.output and "partial" in listed.output
    as_json = cli(shop, "runs", "--tenant", TENANT, "--json")
    assert [json.loads(line)["id"] for line in as_json.output.splitlines()] == [run.id]


def test_sync_queues_a_run_that_a_worker_runs(shop: Shop) -> None:
    """Without --wait the run is queued (``runs`` says so) and a worker takes it."""
    shop.put_customers(TENANT, 2)
    result = cli(shop, "sync", "--tenant", TENANT, "--type", "customer")
    assert result.exit_code == 0, result.output
    run = shop.runs_of(TENANT)[0]
    assert f"Queued run {run.id} (bulk): dirty customer records" in result.output
    assert "queued" in cli(shop, "runs", "--tenant", TENANT).output
    with consuming(shop.settings):
        wait_until(lambda: shop.runs_of(TENANT)[0].finished, timeout=20, what="the run")
    assert shop.runs_of(TENANT)[0].counts == {"created": 2}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--record", "invoice"], "--record takes TYPE:ID"),
        (["--type", "widget"], "'widget' are not pushed to QuickBooks"),
        (["--type", "customer", "--record", "customer:c1"], "not both"),
        (["--tenant", "nowhere"], "has no QuickBooks connection"),
    ],
)
def test_sync_refuses_what_it_cannot_do_in_one_sentence(
    shop: Shop, args: list[str], message: str
) -> None:
    """Bad options and an unconnected tenant: exit 2 with the reason."""
    shop.connections.create_tenant(tenant_id="nowhere", name="Nowhere")
    tenant = [] if "--tenant" in args else ["--tenant", TENANT]
    result = cli(shop, "sync", *tenant, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert shop.runs_of(TENANT) == []


def test_records_import_triggers_auto_sync(shop: Shop, tmp_path: Path) -> None:
    """An import of customers for a tenant that auto-syncs them queues the auto run."""
    shop.configure(TENANT, TenantSettings(auto_sync=frozenset({"customer"})))
    lines = [{"type": "customer", "id": f"c{n}", "name": f"Imported {n}"} for n in range(3)]
    path = tmp_path / "customers.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    result = cli(shop, "records", "import", str(path), "--tenant", TENANT)
    assert result.exit_code == 0, result.output
    run = shop.runs_of(TENANT)[0]
    assert (run.trigger, run.status) == ("auto", "queued")
    assert f"Auto-sync: run {run.id}" in result.output
    again = cli(shop, "records", "import", str(path), "--tenant", TENANT)  # nothing changed
    assert "Auto-sync" not in again.output


def test_serve_runs_the_job_workers_in_its_own_process(tmp_path: Path, served: Served) -> None:
    """``ledgerbridge serve``: /healthz answers, a queued sync and a signed QBO webhook are
    handled by its own consumer threads, and Ctrl-C stops it."""
    with open_shop(tmp_path, served, qbo_webhook_verifier=VERIFIER) as shop:
        realm_id = shop.connect(TENANT)
        shop.put_customers(TENANT, 2)
        port = free_port()
        process = start_ledgerbridge(shop.settings, "serve", "--port", str(port), "--workers", "1")
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until(lambda: _answers(f"{base}/healthz"), timeout=30, what="/healthz")
            assert httpx.get(f"{base}/healthz").json()["jobs"] == "sqlite"
            assert cli(shop, "sync", "--tenant", TENANT).exit_code == 0
            wait_until(lambda: shop.runs_of(TENANT)[0].finished, timeout=30, what="the run")
            assert shop.runs_of(TENANT)[0].counts == {"created": 2}

            body = classic(realm_id, ("Customer", "1", "Update"))
            headers = {SIGNATURE_HEADER: sign_notification(body, VERIFIER)}
            answer = httpx.post(f"{base}{WEBHOOK_PATH}", content=body, headers=headers)
            assert answer.status_code == 200, answer.text
            inbound = InboundStore(shop.database)
            wait_until(
                lambda: _status(inbound.notification(1)) == "processed",
                timeout=30,
                what="the webhook's processing",
            )
            process.send_signal(signal.SIGINT)
            # uvicorn re-raises the signal once it has shut down: the conventional 128 + 2
            assert process.wait(timeout=20) == 130
        finally:
            if process.poll() is None:
                process.kill()
            output = process.communicate(timeout=10)[0].decode(errors="replace")
        run = shop.runs_of(TENANT)[0]
        assert f"[{run.id} bulk] run {run.id} (bulk) succeeded: 2 created" in output
        assert "All workers have stopped" in output  # the consumer was stopped, not killed


def _answers(url: str) -> bool:
    try:
        return httpx.get(url).status_code == 200
    except httpx.TransportError:
        return False


def _status(notification: StoredNotification | None) -> str | None:
    """The first notification of a fresh store (id 1), once stored."""
    return None if notification is None else notification.status
