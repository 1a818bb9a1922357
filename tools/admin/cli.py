"""The admin CLI: ``python -m tools.admin --help``.

Long work shows a progress bar. Every command talks to the running services over HTTP with the
admin token from ``--token`` or ``CV_ADMIN_TOKEN``, else a fresh one minted with the dev county's key
(var/keys), else the one in ``var/dev-tokens.env``."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from common.auth import Role, mint_token
from common.settings import var_dir
from common.tokens import cli as tokens_cli
from tools.admin import demo as demo_mod
from tools.admin.client import Services

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
app.add_typer(tokens_cli, name="tokens", help="Mint and revoke tokens with the county key.")
demo_app = typer.Typer(no_args_is_help=True, help="The synthetic demo county.")
app.add_typer(demo_app, name="demo")


def admin_token(token: str | None) -> str:
    if token:
        return token
    if os.environ.get("CV_ADMIN_TOKEN"):
        return os.environ["CV_ADMIN_TOKEN"]
    private = var_dir() / "keys" / "county-private.pem"
    if private.exists():  # the dev county: a fresh short-lived token for this command
        return mint_token(private.read_bytes(), Role.admin, sub="county-admin-cli")
    env = var_dir() / "dev-tokens.env"
    for line in env.read_text().splitlines() if env.exists() else []:
        if line.startswith("ADMIN_TOKEN="):
            return line.split("=", 1)[1]
    raise typer.BadParameter("no admin token: pass --token, set CV_ADMIN_TOKEN or run `make run` once")


class Bars:
    """One rich progress bar per named step."""

    def __init__(self) -> None:
        self.progress = Progress(TextColumn("{task.description:28s}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn())
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, step: str, done: int, total: int) -> None:
        if step not in self.tasks:
            self.tasks[step] = self.progress.add_task(step, total=max(total, 1))
        self.progress.update(self.tasks[step], completed=done, total=max(total, 1))

    def __enter__(self) -> Bars:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()


@demo_app.command("generate")
def demo_generate(out: Path = typer.Option(Path("var/demo"), help="folder for the CSV files"),
                  size: str = typer.Option("small", help="small (3,000 households) or county (111,000)"),
                  seed: int = 2022) -> None:
    """Write the demo county's regions and household files as CSV (the registry's import format)."""
    county = demo_mod.generate(size, seed)
    out.mkdir(parents=True, exist_ok=True)
    (out / "regions.csv").write_bytes(demo_mod.regions_csv(county.generator))
    (out / "households.csv").write_bytes(demo_mod.households_csv(county.households))
    typer.echo(f"{len(county.households)} households in {out / 'households.csv'}, regions in {out / 'regions.csv'}")


@demo_app.command("load")
def demo_load(size: str = typer.Option("small", help="small (3,000 households) or county (111,000)"),
              seed: int = 2022, token: str | None = None) -> None:
    """Load the demo county into the running services and write var/demo.env."""
    api = Services(admin_token(token))
    try:
        with Bars() as bars:
            env = demo_mod.load(api, demo_mod.generate(size, seed), var_dir(), bars)
    finally:
        api.close()
    typer.echo(json.dumps(env, ensure_ascii=False, indent=2))


@app.command("import")
def import_file(file: Path, token: str | None = None) -> None:
    """Import a CSV or XLSX of household files through the registry, with progress."""
    api = Services(admin_token(token))
    job = api.call("registry", "POST", "/v1/imports", files={"file": (file.name, file.read_bytes())})
    with Bars() as bars:
        final = api.wait("registry", f"/v1/imports/{job['id']}", lambda b: b["status"] in ("done", "failed"),
                         on_progress=lambda b: bars("import", b.get("processed_rows") or 0, b.get("total_rows") or 1))
    typer.echo(json.dumps(final, ensure_ascii=False, indent=2))


@app.command("rate")
def rating_round(region: str, token: str | None = None) -> None:
    """Start a rating round over a region (county, town or village code) and follow it."""
    api = Services(admin_token(token))
    rnd = api.call("rating", "POST", "/v1/rating-rounds", json={"region": region})
    with Bars() as bars:
        final = api.wait("rating", f"/v1/rating-rounds/{rnd['id']}", lambda b: b["status"] in ("done", "failed"),
                         on_progress=lambda b: bars("rating round", b.get("done") or 0, b.get("total") or 1))
    typer.echo(json.dumps(final, ensure_ascii=False, indent=2))


@app.command("publish-policy")
def publish_policy(file: Path, token: str | None = None) -> None:
    """Publish a new grade policy (lines and rate caps) from a JSON file to lending."""
    api = Services(admin_token(token))
    typer.echo(json.dumps(api.call("lending", "POST", "/v1/policies", json=json.loads(file.read_text())),
                          ensure_ascii=False, indent=2))


@app.command("rebuild-stats")
def rebuild_stats() -> None:
    """Rebuild the stats read model from every topic (runs the stats service's own rebuild)."""
    raise typer.Exit(subprocess.call([sys.executable, "-m", "stats", "rebuild"]))


@app.command("backup")
def backup_cmd(out: Path | None = typer.Option(None, help="folder for the copies (default var/backups/<time>)"),
               service: list[str] | None = typer.Option(None, help="only this service (repeatable)")) -> None:
    """Copy every service's database online (SQLite backup API, pg_dump) with a manifest.json."""
    from datetime import UTC, datetime

    from tools.admin.backup import BackupError, backup

    folder = out or var_dir() / "backups" / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    try:
        manifest = backup(folder, service or None)
    except BackupError as exc:
        typer.echo(f"backup failed: {exc}", err=True)
        raise typer.Exit(1) from exc
    for name, entry in manifest["services"].items():
        typer.echo(f"{name:9s} {entry['file']:14s} revision {entry['alembic_revision']}, "
                   f"{entry['outbox']['unsent']} unsent event(s), {len(entry['consumer_positions'])} position(s)")
    typer.echo(f"backup in {folder} (manifest: {folder / 'manifest.json'})")


@app.command("restore")
def restore_cmd(folder: Path = typer.Argument(..., help="a folder written by `backup`"),
                service: list[str] | None = typer.Option(None, help="only this service (repeatable)"),
                migrate: bool = typer.Option(True, help="migrate the restored copy to the code's head")) -> None:
    """Put one service's database (or all) back from a backup. The service must be stopped."""
    from tools.admin.backup import BackupError, restore

    try:
        done = restore(folder, service or None, run_migrations=migrate)
    except BackupError as exc:
        typer.echo(f"restore refused: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"restored {', '.join(done)} from {folder}. Start the service(s): the outbox is published again, "
               "consumers resume at the copy's positions; ask the banks for their reconciliation "
               "(POST /v1/reconciliation on lending) to find loans recorded after the copy.")
