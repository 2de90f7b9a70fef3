"""``ledgerbridge``: one command for every part of ledgerbridge (Typer)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ledgerbridge import __version__

from ._connections import connections_app
from ._db import db_app, tenants_app
from ._demo import demo
from ._jobs import runs, serve, sync, worker
from ._records import records_app, schema

__all__ = ["app", "main"]

app = typer.Typer(
    name="ledgerbridge",
    help="Self-hosted QuickBooks Online sync engine, with a faithful QBO emulator.",
    no_args_is_help=True,
    add_completion=False,
)

app.command()(schema)
app.add_typer(db_app, name="db")
app.add_typer(tenants_app, name="tenants")
app.add_typer(records_app, name="records")
app.add_typer(connections_app, name="connections")
for _command in (serve, worker, sync, runs, demo):
    app.command()(_command)

_DEMO_CLIENT = ("ledgerbridge-demo", "demo-secret-not-for-production")


@app.command()
def version() -> None:
    """Print the ledgerbridge version."""
    typer.echo(__version__)


@app.command()
def emulator(
    host: Annotated[str, typer.Option(help="Interface to listen on (keep it loopback).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="TCP port.")] = 8765,
    state: Annotated[
        Path | None,
        typer.Option(help="JSON file to load the state from at start and save it to at exit."),
    ] = None,
    client_id: Annotated[str | None, typer.Option(help="Register an app with this id.")] = None,
    client_secret: Annotated[
        str | None, typer.Option(help="Secret of the app registered with --client-id.")
    ] = None,
    redirect_uri: Annotated[
        list[str] | None, typer.Option(help="Redirect URI of that app (repeatable).")
    ] = None,
    auto_approve: Annotated[
        bool, typer.Option(help="Authorize without the consent page (tests, demos).")
    ] = False,
    demo: Annotated[
        bool, typer.Option(help="Register a demo app and company, and print how to use them.")
    ] = False,
    latency_ms: Annotated[
        float, typer.Option(min=0, help="Added to every API request (milliseconds).")
    ] = 0,
    batch_item_latency_ms: Annotated[
        float, typer.Option(min=0, help="Added per item of a batch request (milliseconds).")
    ] = 0,
    time_scale: Annotated[
        float,
        typer.Option(
            min=0.001,
            help="Shrink every rate-limit window, token lifetime and webhook delay K times.",
        ),
    ] = 1,
) -> None:
    """Serve the QuickBooks Online emulator (Accounting API v3 and Intuit OAuth 2.0)."""
    import uvicorn

    from ledgerbridge.emulator import Emulator, EmulatorConfig, create_app

    console = Console(soft_wrap=True)
    if (client_id is None) != (client_secret is None):
        raise typer.BadParameter("--client-id and --client-secret go together")
    emu = Emulator(
        EmulatorConfig(
            auto_approve=auto_approve,
            latency_ms=latency_ms,
            batch_item_latency_ms=batch_item_latency_ms,
            time_scale=time_scale,
        )
    )
    asgi = create_app(emu, state_file=state)
    base = f"http://{host}:{port}"
    if client_id is not None and client_secret is not None:
        emu.oauth.register_app(client_id, client_secret, redirect_uri or [])
    if demo:
        demo_id, demo_secret = _DEMO_CLIENT
        emu.oauth.register_app(demo_id, demo_secret, [f"{base}/callback"])
        realm_id = emu.create_company("Demo Machine Shop")
        tokens = emu.oauth.issue_tokens(demo_id, realm_id).to_json()
        console.print(f"[bold]ledgerbridge QBO emulator[/] on {base}")
        console.print(f"  company   {realm_id} (Demo Machine Shop)")
        console.print(f"  app       client_id={demo_id} client_secret={demo_secret}")
        console.print("  try:")
        console.print(
            f"    curl -H 'Authorization: Bearer {tokens['access_token']}' "
            f"'{base}/v3/company/{realm_id}/query?query=select%20*%20from%20Account'",
            soft_wrap=True,
        )
        console.print(f"  admin API {base}/_emulator/ (see docs/emulator.md)")
    else:
        console.print(f"[bold]ledgerbridge QBO emulator[/] on {base}  (docs/emulator.md)")
    uvicorn.run(asgi, host=host, port=port, log_level="warning")


def main() -> None:
    app()
