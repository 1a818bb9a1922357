"""``python -m console serve``: the console has no database, so no ``migrate``."""
from __future__ import annotations

import typer

from common.runtime import serve_app
from console.app import create_app
from console.settings import ConsoleSettings

cli = typer.Typer(help="The console (county console, provincial dashboard, household page).",
                  no_args_is_help=True, add_completion=False)


@cli.command()
def serve(host: str | None = None, port: int | None = None) -> None:
    """Serve the pages and forward /api/<service>/... to the five services."""
    settings = ConsoleSettings()
    serve_app(create_app(settings), settings, host or settings.host, port or settings.port)


@cli.command()
def keys() -> None:
    """Make the household issuer's key pair if missing (`make run` does it)."""
    from console.household import ensure_issuer_key

    typer.echo(ensure_issuer_key(ConsoleSettings().issuer_key_path()))
