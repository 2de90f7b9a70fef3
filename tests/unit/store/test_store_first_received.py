"""Migration 0003: when a record was first received, and deleted / voided link results."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from storekit import TENANT, Clock

from ledgerbridge.store import ConnectionStore, Database, LinkStore, RecordStore

UPDATED = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def alembic_config() -> Config:
    """Alembic's configuration the way ``Database.migrate`` builds it."""
    config = Config()
    location = str(resources.files("ledgerbridge.store").joinpath("migrations"))
    config.set_main_option("script_location", location.replace("%", "%%"))
    return config


def move_to(database: Database, revision: str) -> None:
    """Upgrade or downgrade the schema to ``revision``."""
    config = alembic_config()
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        current = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        step = command.upgrade if (current or "") < revision else command.downgrade
        step(config, revision)


@pytest.fixture
def old_database(db_path: Path) -> Database:
    """A SQLite database at revision 0002 holding one record and one link."""
    database = Database(f"sqlite:///{db_path}")
    config = alembic_config()
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
        connection.execute(
            sa.text("INSERT INTO tenants (id, name, created_at) VALUES ('acme', 'Acme', :at);"),
            {"at": UPDATED},
        )
        connection.execute(
            sa.text(
                "INSERT INTO records (tenant_id, record_type, app_id, payload, content_hash,"
                " received_at, updated_at, deleted_at, dirty) VALUES ('acme', 'customer', 'c1',"
                " '{}', 'h1', :received, :updated, NULL, 0)"
            ),
            {"received": UPDATED + timedelta(days=30), "updated": UPDATED},
        )
    return database


def test_existing_records_are_dated_by_their_last_change(old_database: Database) -> None:
    """Rows older than the column get ``updated_at``, the earliest moment the store knows."""
    move_to(old_database, "0003")
    stored = RecordStore(old_database).get(tenant_id=TENANT, record_type="customer", app_id="c1")
    assert stored is not None
    assert stored.first_received_at == UPDATED
    assert stored.received_at == UPDATED + timedelta(days=30)
    old_database.dispose()


def test_downgrade_turns_deleted_and_voided_links_back_to_ok(old_database: Database) -> None:
    """0002 knows no ``voided`` result; the QBO object is still the record's: ``ok``."""
    move_to(old_database, "0003")
    links = LinkStore(old_database)
    links.save(
        tenant_id=TENANT,
        record_type="invoice",
        app_id="i1",
        qbo_type="Invoice",
        qbo_id="7",
        sync_token="2",
        pushed_hash="h",
        result="voided",
    )
    assert links.get(tenant_id=TENANT, record_type="invoice", app_id="i1") is not None
    move_to(old_database, "0002")
    with old_database.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT last_result FROM links")).all()
        columns = {c["name"] for c in sa.inspect(connection).get_columns("records")}
    assert rows == [("ok",)]
    assert "first_received_at" not in columns
    old_database.dispose()


def test_first_received_is_kept_through_later_puts_and_deletions(
    store: ConnectionStore, database: Database, clock: Clock
) -> None:
    """``received_at`` moves on every put; ``first_received_at`` never does."""
    records = RecordStore(database, clock=clock)
    first = clock.now
    records.put(tenant_id=TENANT, record_type="customer", app_id="c1", payload={}, content_hash="a")
    for content_hash in ("a", "b"):
        clock.advance(timedelta(days=1))
        records.put(
            tenant_id=TENANT,
            record_type="customer",
            app_id="c1",
            payload={},
            content_hash=content_hash,
        )
    clock.advance(timedelta(days=1))
    deleted = records.delete(tenant_id=TENANT, record_type="customer", app_id="c1")
    clock.advance(timedelta(days=1))
    records.put(tenant_id=TENANT, record_type="customer", app_id="c1", payload={}, content_hash="c")
    restored = records.get(tenant_id=TENANT, record_type="customer", app_id="c1")
    assert restored is not None
    assert deleted.first_received_at == restored.first_received_at == first
    assert restored.received_at == first + timedelta(days=4)
