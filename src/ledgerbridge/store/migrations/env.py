"""Alembic's environment for the store's migrations.

``Database.migrate()`` runs it with an open connection in ``config.attributes["connection"]``
(inside the write transaction it began); the URL fallback serves ``alembic`` on the command
line, and offline mode (``--sql``) prints the SQL for a DBA to review.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine, pool

from ledgerbridge.store._tables import Base

config = context.config
target_metadata = Base.metadata


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: later migrations rebuild tables in batch mode
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    if context.is_offline_mode():
        context.configure(
            url=config.get_main_option("sqlalchemy.url"),
            target_metadata=target_metadata,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is not None:
        run_with(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set sqlalchemy.url, or run the migrations with Database.migrate()")
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.begin() as new_connection:
        run_with(new_connection)


run()
