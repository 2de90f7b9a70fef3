"""``ledgerbridge connections``: look at the QuickBooks connections and keep them fresh."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ledgerbridge.engine import FreshnessReport, keep_connections_fresh
from ledgerbridge.qbo import OAuthClient, environment
from ledgerbridge.settings import Settings
from ledgerbridge.store import ConnectionStore, Database, Environment, TokenCipher

from ._common import fail, guarded, open_database, settings_once

__all__ = ["connections_app"]

connections_app = typer.Typer(
    help="QuickBooks connections: list them and keep their tokens fresh.", no_args_is_help=True
)


def _store(settings: Settings, database: Database) -> ConnectionStore:
    if settings.secret_key is None:
        fail(
            "LEDGERBRIDGE_SECRET_KEY is not set: the stored QuickBooks tokens cannot be read "
            "without the key that encrypted them."
        )
    return ConnectionStore(database, TokenCipher(settings.secret_key.get_secret_value()))


def _oauth_for(settings: Settings) -> OAuthClient:
    if not (settings.qbo_client_id and settings.qbo_client_secret and settings.qbo_redirect_uri):
        fail(
            "Set LEDGERBRIDGE_QBO_CLIENT_ID, LEDGERBRIDGE_QBO_CLIENT_SECRET and "
            "LEDGERBRIDGE_QBO_REDIRECT_URI: refreshing tokens needs the app's keys."
        )
    return OAuthClient(
        client_id=settings.qbo_client_id,
        client_secret=settings.qbo_client_secret.get_secret_value(),
        redirect_uri=settings.qbo_redirect_uri,
        environment=environment(settings.qbo_environment, emulator_url=settings.emulator_url),
    )


@connections_app.command("keep-fresh")
def keep_fresh(
    within_hours: Annotated[
        float, typer.Option(min=0.0, help="Refresh what expires within this many hours.")
    ] = 2.0,
) -> None:
    """Refresh every connection whose tokens expire soon (run it hourly, e.g. from cron)."""
    settings = settings_once()
    with guarded(), open_database(settings) as database:
        store = _store(settings, database)
        report = asyncio.run(_run(store, settings, timedelta(hours=within_hours)))
    _print(report)
    if report.failed:
        raise typer.Exit(1)


async def _run(store: ConnectionStore, settings: Settings, within: timedelta) -> FreshnessReport:
    async with _oauth_for(settings) as oauth:

        def oauth_for(env: Environment) -> OAuthClient:
            if env != settings.qbo_environment:
                fail(
                    f"A connection uses the {env} environment; this run is set up for "
                    f"{settings.qbo_environment} (LEDGERBRIDGE_QBO_ENVIRONMENT)."
                )
            return oauth

        return await keep_connections_fresh(store, oauth_for, within=within)


def _print(report: FreshnessReport) -> None:
    table = Table("connection", "result", "detail")
    for connection_id in report.refreshed:
        table.add_row(connection_id, "refreshed", "")
    for connection_id in report.disconnected:
        table.add_row(connection_id, "disconnected", "reconnect the company in the console")
    for connection_id, message in report.failed.items():
        table.add_row(connection_id, "failed", message)
    console = Console()
    if table.row_count:
        console.print(table)
    else:
        console.print("No connection expires soon: nothing to refresh.")
