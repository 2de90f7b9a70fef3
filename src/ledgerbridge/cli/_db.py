"""``ledgerbridge db`` and ``ledgerbridge tenants``: the database and the shops in it."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy import select

from ledgerbridge.store import Database, TenantExistsError
from ledgerbridge.store._tables import Tenant

from ._common import (
    connection_store,
    describe_url,
    fail,
    guarded,
    open_database,
    settings_once,
)

__all__ = ["db_app", "tenants_app"]

db_app = typer.Typer(help="ledgerbridge's own database.", no_args_is_help=True)
tenants_app = typer.Typer(help="The shops (tenants) ledgerbridge syncs.", no_args_is_help=True)


def _revision(database: Database) -> str | None:
    """The schema revision the database is at, or ``None`` before the first migration."""
    from alembic.runtime.migration import MigrationContext

    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@db_app.command()
def migrate() -> None:
    """Create the database, or upgrade it to the newest schema."""
    settings = settings_once()
    with guarded(), open_database(settings, migrate=False) as database:
        before = _revision(database)
        database.migrate()
        after = _revision(database)
        where = describe_url(database)
    if before == after:
        typer.echo(f"Database {where} is already up to date (revision {after}).")
    elif before is None:
        typer.echo(f"Database {where} created (revision {after}).")
    else:
        typer.echo(f"Database {where} upgraded from revision {before} to {after}.")


@tenants_app.command("add")
def add_tenant(
    tenant_id: Annotated[str, typer.Argument(metavar="ID", help="The host app's id of the shop.")],
    name: Annotated[str, typer.Option("--name", help="The shop's name.")],
) -> None:
    """Add a shop, so that records can be imported for it."""
    settings = settings_once()
    if not tenant_id.strip():
        fail("The tenant id must not be empty.")
    with guarded(), open_database(settings) as database:
        try:
            connection_store(database, settings).create_tenant(tenant_id=tenant_id, name=name)
        except TenantExistsError:
            fail(f"Tenant {tenant_id!r} already exists.")
    typer.echo(f"Tenant {tenant_id!r} ({name}) added.")


@tenants_app.command("list")
def list_tenants() -> None:
    """List the shops."""
    settings = settings_once()
    with guarded(), open_database(settings) as database, database.session() as session:
        rows = [
            (row.id, row.name, row.created_at)
            for row in session.scalars(select(Tenant).order_by(Tenant.id))
        ]
    if not rows:
        typer.echo("No tenants yet: add one with `ledgerbridge tenants add ID --name NAME`.")
        return
    table = Table("id", "name", "created")
    for tenant_id, name, created_at in rows:
        table.add_row(Text(tenant_id), Text(name), Text(created_at.isoformat(timespec="seconds")))
    Console(soft_wrap=True).print(table)
