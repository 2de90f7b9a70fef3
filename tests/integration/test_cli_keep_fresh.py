"""``ledgerbridge connections keep-fresh``: the hourly job, run from the command line.

A stored connection whose access token is about to expire is refreshed through the
emulator's token endpoint (on a loopback port), and a revoked one is reported disconnected.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from ledgerbridge.cli import app
from ledgerbridge.emulator import Emulator
from ledgerbridge.store import ConnectionStore, Database, TokenCipher, TokenGrant
from support import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, Served

pytestmark = pytest.mark.integration


@pytest.fixture
def key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture
def store(tmp_path: Path, key: str) -> Iterator[ConnectionStore]:
    database = Database(f"sqlite:///{tmp_path / 'ledgerbridge.db'}")
    database.migrate()
    yield ConnectionStore(database, TokenCipher(key))
    database.dispose()


def _connect(emulator: Emulator, store: ConnectionStore, tenant: str) -> str:
    """A stored connection whose access token expires in a minute."""
    realm_id = emulator.create_company(f"{tenant} Co")
    tokens = emulator.oauth.issue_tokens(CLIENT_ID, realm_id)
    store.create_tenant(tenant_id=tenant, name=tenant)
    now = datetime.now(UTC)
    grant = TokenGrant(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        access_expires_at=now + timedelta(minutes=1),
        refresh_expires_at=now + timedelta(days=100),
        hard_expires_at=None,
    )
    record = store.save_connection(
        tenant_id=tenant,
        environment="emulator",
        realm_id=realm_id,
        company_name=f"{tenant} Co",
        grant=grant,
    )
    return record.id


def test_keep_fresh_refreshes_and_reports(
    served: Served, store: ConnectionStore, key: str, tmp_path: Path
) -> None:
    """One connection refreshed, one revoked reported disconnected, exit code 0."""
    fresh = _connect(served.emulator, store, "fresh")
    revoked = _connect(served.emulator, store, "revoked")
    record = store.by_id(revoked)
    assert record is not None
    served.emulator.oauth.revoke_company(record.realm_id)
    before = store.by_id(fresh)
    assert before is not None
    env = {
        "LEDGERBRIDGE_DATABASE_URL": f"sqlite:///{tmp_path / 'ledgerbridge.db'}",
        "LEDGERBRIDGE_SECRET_KEY": key,
        "LEDGERBRIDGE_QBO_ENVIRONMENT": "emulator",
        "LEDGERBRIDGE_EMULATOR_URL": served.url,
        "LEDGERBRIDGE_QBO_CLIENT_ID": CLIENT_ID,
        "LEDGERBRIDGE_QBO_CLIENT_SECRET": CLIENT_SECRET,
        "LEDGERBRIDGE_QBO_REDIRECT_URI": REDIRECT_URI,
        "LEDGERBRIDGE_MODE": "development",
    }
    result = CliRunner(env=env).invoke(app, ["connections", "keep-fresh"])
    assert result.exit_code == 0, result.output
    assert "refreshed" in result.output
    assert "disconnected" in result.output
    after = store.by_id(fresh)
    assert after is not None
    assert after.access_token != before.access_token
    gone = store.by_id(revoked)
    assert gone is not None
    assert gone.status == "disconnected"


def test_keep_fresh_without_the_secret_key_is_one_sentence(tmp_path: Path) -> None:
    """No LEDGERBRIDGE_SECRET_KEY: the tokens can't be read, said in one sentence, exit 2."""
    env = {
        "LEDGERBRIDGE_DATABASE_URL": f"sqlite:///{tmp_path / 'ledgerbridge.db'}",
        "LEDGERBRIDGE_SECRET_KEY": None,
        "LEDGERBRIDGE_MODE": "development",
    }
    result = CliRunner(env=env).invoke(app, ["connections", "keep-fresh"])
    assert result.exit_code == 2
    assert "LEDGERBRIDGE_SECRET_KEY" in result.output
