"""The schema: the migration creates exactly what the models declare, and the database setup."""

from __future__ import annotations

import importlib.util
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ledgerbridge.store import Database, StoreConfigurationError
from ledgerbridge.store._tables import Base, Tenant


def drift(database: Database, metadata: sa.MetaData) -> list[object]:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def test_migration_creates_exactly_the_model_tables(database: Database) -> None:
    """After ``migrate()`` the database has the models' tables and Alembic's, nothing else."""
    tables = set(sa.inspect(database.engine).get_table_names())
    assert tables == set(Base.metadata.tables) | {"alembic_version"}


def test_migration_and_models_do_not_drift(database: Database) -> None:
    """Alembic's autogenerate comparison finds no difference (columns, types, keys, indexes)."""
    assert drift(database, Base.metadata) == []


def test_drift_check_sees_a_difference(database: Database) -> None:
    """The comparison above can fail: a column the migration lacks is reported."""
    changed = sa.MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["tenants"].append_column(sa.Column("plan", sa.String(20)))
    assert any("plan" in str(difference) for difference in drift(database, changed))


def test_check_constraints_match_the_models(database: Database) -> None:
    """Alembic does not compare CHECK constraints, so their names are compared here."""
    inspector = sa.inspect(database.engine)
    for name, table in Base.metadata.tables.items():
        declared = {str(c.name) for c in table.constraints if isinstance(c, sa.CheckConstraint)}
        reflected = {str(c["name"]) for c in inspector.get_check_constraints(name)}
        assert reflected == declared, name


def test_migrate_twice_is_harmless(database: Database) -> None:
    """A second ``migrate()`` (every process start) finds nothing to do."""
    database.migrate()
    with database.session() as session:
        assert session.execute(sa.text("SELECT version_num FROM alembic_version")).all() == [
            ("0006",)
        ]


def test_datetimes_come_back_aware_utc(database: Database) -> None:
    """SQLite has no time zones; the column type stores UTC and hands back aware UTC."""
    moment = datetime(2025, 3, 9, 1, 30, tzinfo=timezone(timedelta(hours=-8)))
    with database.transaction() as session:
        session.add(Tenant(id="t", name="T", created_at=moment))
    with database.session() as session:
        stored = session.get(Tenant, "t")
        assert stored is not None
        assert stored.created_at == moment
        assert stored.created_at.tzinfo is UTC


def test_naive_datetimes_are_refused(database: Database) -> None:
    """A naive datetime would be guessed into some zone; the store refuses it."""
    with (
        pytest.raises(sa.exc.StatementError, match="timezone-aware"),
        database.transaction() as session,
    ):
        session.add(Tenant(id="t", name="T", created_at=datetime(2025, 1, 1)))


def test_sqlite_connections_are_set_up_for_concurrency(database: Database) -> None:
    """WAL, a 30 s busy timeout and foreign keys on every pooled connection."""
    if database.dialect != "sqlite":
        pytest.skip("SQLite only")
    with database.engine.connect() as connection:

        def pragma(name: str) -> object:
            return connection.exec_driver_sql(f"PRAGMA {name}").scalar()

        assert pragma("journal_mode") == "wal"
        assert pragma("busy_timeout") == 30_000
        assert pragma("foreign_keys") == 1


def test_write_transactions_take_the_sqlite_write_lock_at_begin(
    database: Database, db_path: Path
) -> None:
    """``transaction()`` begins IMMEDIATE: another writer cannot start while one is open."""
    if database.dialect != "sqlite":
        pytest.skip("SQLite only")
    probe = sqlite3.connect(db_path, timeout=0, isolation_level=None)
    try:
        with database.transaction() as session:
            session.execute(sa.text("SELECT 1"))  # BEGIN IMMEDIATE, nothing written yet
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                probe.execute("BEGIN IMMEDIATE")
            # readers are not blocked (WAL)
            assert probe.execute("SELECT count(*) FROM tenants").fetchone() == (0,)
        probe.execute("BEGIN IMMEDIATE")  # free again after the commit
        probe.execute("ROLLBACK")
    finally:
        probe.close()


def test_unsupported_database_is_refused() -> None:
    """Only SQLite and PostgreSQL give the locking the refresh relies on."""
    with pytest.raises(StoreConfigurationError, match="unsupported"):
        Database("mysql://user@localhost/ledgerbridge")


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_sqlite_is_refused(url: str) -> None:
    """Each thread would see its own empty database; the store needs one shared file."""
    with pytest.raises(StoreConfigurationError, match="in-memory"):
        Database(url)


def test_a_postgresql_url_uses_psycopg_or_says_how_to_get_it() -> None:
    """No connection is attempted; without psycopg the error says what to install."""
    url = "postgresql://ledgerbridge:secret@localhost:5432/ledgerbridge"
    if importlib.util.find_spec("psycopg") is None:
        with pytest.raises(StoreConfigurationError, match="psycopg"):
            Database(url)
    else:
        database = Database(url)
        assert database.engine.url.drivername == "postgresql+psycopg"
        assert "secret" not in repr(database)
        database.dispose()
