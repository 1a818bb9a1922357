"""The registry's command line: the common ``serve``/``migrate`` plus ``import FILE``, which runs a
bulk import of household files against the service's database with a progress bar."""
from __future__ import annotations

import asyncio
import csv
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from common.auth import Principal, Role
from common.db import Database
from common.errors import ProblemError
from common.pii import PIICipher
from common.runtime import service_cli
from registry.app import DEFINITION
from registry.imports import repository as jobs
from registry.imports import service
from registry.settings import RegistrySettings

cli = service_cli(DEFINITION)


@cli.command("import")
def import_file(file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV or XLSX of household files"),
                database_url: str | None = typer.Option(None, help="database URL (default: settings)"),
                actor: str = typer.Option("cli", help="who imports, for the files' history"),
                errors_csv: Path | None = typer.Option(None, help="write the refused rows here")) -> None:
    """Import household files (一户一档) with a progress bar; refused rows are listed at the end."""
    settings = RegistrySettings()
    url = database_url or settings.database_url
    console = Console(stderr=True)

    async def run() -> int:
        db = Database(url)
        cipher = PIICipher(settings.pii_key, settings.pii_index_key)
        principal = Principal(role=Role.admin, sub=actor)
        try:
            try:
                job, table = await service.create_job(db, principal, file.name, file, settings.import_limits())
            except ProblemError as exc:
                console.print(f"[red]{exc.detail}[/red]")
                return 2
            with Progress(TextColumn("[bold]importing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          TimeRemainingColumn(), console=console) as bar:
                task = bar.add_task("rows", total=table.total)
                final = await service.run_job(db, cipher, job.id, table,
                                              progress=lambda done, total: bar.update(task, completed=done),
                                              pii_keys=(settings.pii_key, settings.pii_index_key))
            console.print(f"import {final.id}: {final.status}; {final.created_count} created, {final.updated_count} "
                          f"updated, {final.unchanged_count} unchanged, {final.error_count} row(s) refused")
            if final.failure:
                console.print(f"[red]{final.failure}[/red]")
            async with db.transaction(write=False) as session:
                errors = await jobs.errors(session, final.id, 0, 1_000_000)
            for e in errors[:20]:
                console.print(f"  row {e.row}, {e.field}: {e.message}")
            if errors_csv and errors:
                with errors_csv.open("w", newline="", encoding="utf-8-sig") as fh:
                    writer = csv.writer(fh)
                    writer.writerow(["row", "field", "message"])
                    writer.writerows([(e.row, e.field, e.message) for e in errors])
            return 0 if final.status == "done" else 1
        finally:
            await db.dispose()

    raise typer.Exit(asyncio.run(run()))
