"""The stats command line: ``serve`` and ``migrate`` (common), plus ``rebuild``."""
from __future__ import annotations

import asyncio

import typer

from common.db import Database
from common.runtime import migrate, service_cli
from stats.app import DEFINITION
from stats.settings import StatsSettings

cli = service_cli(DEFINITION)


@cli.command("rebuild")
def rebuild_cmd(url: str | None = typer.Option(None, help="database to rebuild into (default: settings); "
                                                           "stop the live consumer on it first"),
                bootstrap: str | None = typer.Option(None, help="Kafka bootstrap (default: settings)"),
                idle: float = typer.Option(3.0, help="done when no event arrived for this many seconds"),
                expect: int | None = typer.Option(None, help="and at least this many events were applied")) -> None:
    """Replay every topic from the beginning into an emptied read model (a fresh consumer group)."""
    from common.app import event_verifier
    from stats.rebuild import rebuild

    settings = StatsSettings()
    target = url or settings.database_url
    migrate(DEFINITION, target)

    async def run() -> None:
        db = Database(target, sqlite_synchronous=settings.sqlite_synchronous)
        try:
            report = await rebuild(db, bootstrap or settings.kafka_bootstrap, event_verifier("stats", settings), idle_seconds=idle, expect=expect)
        finally:
            await db.dispose()
        typer.echo(f"stats rebuilt: {report.events} events, {report.subjects} subjects, "
                   f"{report.cells} counter rows, {report.seconds}s")

    asyncio.run(run())
