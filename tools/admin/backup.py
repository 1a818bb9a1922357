"""Backups and restores of the services' databases (``python -m tools.admin backup|restore``).

Backup: a consistent online copy of each service's database while it runs: SQLite's online
backup API on the file of the service's database URL, ``pg_dump`` (custom format) for PostgreSQL,
taken in an exported snapshot so that the manifest's figures describe exactly what was dumped.
``manifest.json`` says when, the code's commit, and per service its Alembic revision, its outbox
(unsent events, the newest id and time) and its consumers' positions per topic-partition.

Restore: puts one service's database (or all) back from such a folder. The service must be
stopped: a restore refuses when the service's port answers ``/healthz`` or, on PostgreSQL, when
any other session is connected to the database. Then it migrates the copy to the code's head.
After a restore the county converges on its own: the restored outbox is published again
(consumers drop duplicates by their inbox), the restored consumers resume at their stored
positions (re-reading what the copy had not seen); what only the restored service knew after the
copy (e.g. loans recorded later) is what the banks' reconciliation reports.
"""
from __future__ import annotations

import asyncio
import importlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from common import REPO_ROOT
from common.events.versions import MAX_VERSION_STEP
from common.runtime import ServiceDefinition, migrate
from common.settings import ServiceSettings

SERVICES = ["registry", "rating", "lending", "merchant", "stats"]
MANIFEST = "manifest.json"


class BackupError(RuntimeError):
    """A backup or restore that cannot be done (the message says why)."""


@dataclass(frozen=True)
class Target:
    name: str
    settings: ServiceSettings
    definition: ServiceDefinition

    @property
    def url(self) -> str:
        return self.settings.database_url

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    def sqlite_path(self) -> Path:
        path = make_url(self.url).database
        if not path or path == ":memory:":
            raise BackupError(f"{self.name}: {self.url} is not a database file")
        return Path(path)

    def pg_url(self) -> str:
        """The URL as libpq and asyncpg read it (no SQLAlchemy driver name)."""
        return make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)

    def public_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)


def target(name: str) -> Target:
    if name not in SERVICES:
        raise BackupError(f"unknown service {name!r}: one of {', '.join(SERVICES)}")
    definition: ServiceDefinition = importlib.import_module(f"{name}.app").DEFINITION
    return Target(name, definition.settings_cls(), definition)


def code_version() -> dict[str, str]:
    out = {"version": os.environ.get("CV_VERSION", "")}
    try:
        out["commit"] = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True,
                                       timeout=5, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        out["commit"] = "unknown"
    return out


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    return str(value)


# --- what a copy holds (the manifest's figures), read from the copy itself ---

FACT_QUERIES = {
    "revision": "SELECT version_num FROM alembic_version",
    "outbox": "SELECT COUNT(*) FILTER (WHERE sent_at IS NULL), MAX(id), MAX(created_at), "
              "MIN(id) FILTER (WHERE sent_at IS NULL) FROM outbox_events",
    "inbox": "SELECT COUNT(*) FROM inbox_events",
    "positions": "SELECT consumer_group, topic, partition, last_offset FROM consumer_positions "
                 "ORDER BY consumer_group, topic, partition",
}


def _facts(rows: dict[str, list[tuple[Any, ...]]]) -> dict[str, Any]:
    unsent, newest_id, newest_at, oldest_unsent = rows["outbox"][0]
    return {
        "alembic_revision": ",".join(sorted(str(r[0]) for r in rows["revision"])) or None,
        "outbox": {"unsent": int(unsent or 0), "newest_id": newest_id, "newest_at": _iso(newest_at),
                   "oldest_unsent_id": oldest_unsent},
        "inbox_events": int(rows["inbox"][0][0]),
        "consumer_positions": [{"group": g, "topic": t, "partition": p, "last_offset": o}
                               for g, t, p, o in rows["positions"]],
    }


def _sqlite_facts(path: Path) -> dict[str, Any]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        rows = {key: (conn.execute(sql).fetchall() if key != "positions" or "consumer_positions" in tables else [])
                for key, sql in FACT_QUERIES.items()}
    finally:
        conn.close()
    return _facts(rows)


async def _pg_facts(conn: asyncpg.Connection) -> dict[str, Any]:
    has_positions = await conn.fetchval("SELECT to_regclass('consumer_positions') IS NOT NULL")
    rows = {key: ([tuple(r) for r in await conn.fetch(sql)] if key != "positions" or has_positions else [])
            for key, sql in FACT_QUERIES.items()}
    return _facts(rows)


# --- backup ---

def backup_sqlite(t: Target, out: Path) -> dict[str, Any]:
    source = t.sqlite_path()
    if not source.exists():
        raise BackupError(f"{t.name}: no database at {source}")
    copy = out / f"{t.name}.db"
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(copy)
    try:
        # The online backup API: a consistent snapshot while the service keeps writing.
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return {"backend": "sqlite", "file": copy.name, "bytes": copy.stat().st_size, **_sqlite_facts(copy)}


async def backup_postgres(t: Target, out: Path) -> dict[str, Any]:
    if shutil.which("pg_dump") is None:
        raise BackupError("pg_dump is not installed (PostgreSQL's client tools)")
    dump = out / f"{t.name}.dump"
    conn = await asyncpg.connect(t.pg_url())
    try:
        # One snapshot for the dump and the manifest's figures: they describe the same moment.
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
            facts = await _pg_facts(conn)
            proc = await asyncio.create_subprocess_exec(
                "pg_dump", "--format=custom", "--no-owner", f"--snapshot={snapshot}", f"--file={dump}",
                f"--dbname={t.pg_url()}", stderr=asyncio.subprocess.PIPE)
            _, err = await proc.communicate()
            if proc.returncode != 0:
                raise BackupError(f"{t.name}: pg_dump failed: {err.decode(errors='replace')[-1000:]}")
    finally:
        await conn.close()
    return {"backend": "postgresql", "file": dump.name, "bytes": dump.stat().st_size, **facts}


def backup(out: Path, services: list[str] | None = None) -> dict[str, Any]:
    """Copy each service's database into ``out`` and write ``out/manifest.json``."""
    out.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {"format": 1, "taken_at": datetime.now(UTC).isoformat(), "code": code_version(),
                                "services": {}}
    for name in services or SERVICES:
        t = target(name)
        entry = backup_sqlite(t, out) if t.is_sqlite else asyncio.run(backup_postgres(t, out))
        entry["database"] = t.public_url()
        entry["copied_at"] = datetime.now(UTC).isoformat()
        manifest["services"][name] = entry
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
    return manifest


# --- restore ---

def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.exists():
        raise BackupError(f"{folder} holds no {MANIFEST}: not a backup folder")
    return dict(json.loads(path.read_text()))


def refuse_if_running(t: Target) -> None:
    host = "127.0.0.1" if t.settings.host in ("0.0.0.0", "") else t.settings.host
    try:
        httpx.get(f"http://{host}:{t.settings.port}/healthz", timeout=1.0)
    except httpx.HTTPError:
        return
    raise BackupError(f"{t.name} answers on {host}:{t.settings.port}: stop it before restoring its database")


def restore_sqlite(t: Target, folder: Path, entry: dict[str, Any]) -> None:
    copy = folder / entry["file"]
    dest = t.sqlite_path()
    dest.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
    dst = sqlite3.connect(dest, timeout=5)
    try:
        try:
            # No writer may hold the file (a consumer or relay process left running).
            dst.execute("BEGIN EXCLUSIVE")
            dst.execute("ROLLBACK")
        except sqlite3.OperationalError as exc:
            raise BackupError(f"{t.name}: {dest} is in use ({exc}): stop every process of the service") from exc
        src.backup(dst)  # page by page through the destination's own WAL: no stale -wal file survives
        dst.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        dst.close()
        src.close()


async def restore_postgres(t: Target, folder: Path, entry: dict[str, Any]) -> None:
    if shutil.which("pg_restore") is None:
        raise BackupError("pg_restore is not installed (PostgreSQL's client tools)")
    url = make_url(t.pg_url())
    name = url.database
    admin = await asyncpg.connect(url.set(database="postgres").render_as_string(hide_password=False))
    try:
        others = await admin.fetchval("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                                      name)
        if others:
            raise BackupError(f"{t.name}: {others} session(s) connected to database {name}: stop the service first")
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    proc = await asyncio.create_subprocess_exec(
        "pg_restore", "--no-owner", "--exit-on-error", f"--dbname={t.pg_url()}", str(folder / entry["file"]),
        stderr=asyncio.subprocess.PIPE)
    _, err = await proc.communicate()
    if proc.returncode != 0:
        raise BackupError(f"{t.name}: pg_restore failed: {err.decode(errors='replace')[-1000:]}")


# Far more changes than one subject can have had between a backup and the loss of the database (a
# line changes a few times a day), and well inside the step consumers accept (they refuse a version
# more than MAX_VERSION_STEP ahead as forged).
RESTORE_VERSION_JUMP = MAX_VERSION_STEP // 10


def jump_sql(defn: ServiceDefinition) -> list[str]:
    """What moves a restored service's announced per-subject versions past any it announced after its
    backup (see ``ServiceDefinition.announced_versions``)."""
    return [f"UPDATE {table} SET {column} = {column} + {RESTORE_VERSION_JUMP}"  # noqa: S608 (names from code)
            for table, column in defn.announced_versions]


def jump_versions(t: Target) -> None:
    statements = jump_sql(t.definition)
    if not statements:
        return
    if t.is_sqlite:
        conn = sqlite3.connect(t.sqlite_path())
        try:
            with conn:
                for stmt in statements:
                    conn.execute(stmt)
        finally:
            conn.close()
        return

    async def run() -> None:
        conn = await asyncpg.connect(t.pg_url())
        try:
            async with conn.transaction():
                for stmt in statements:
                    await conn.execute(stmt)
        finally:
            await conn.close()

    asyncio.run(run())


def restore(folder: Path, services: list[str] | None = None, *, run_migrations: bool = True) -> list[str]:
    """Put the databases of ``services`` (default: every one in the backup) back from ``folder``."""
    manifest = read_manifest(folder)
    names = services or list(manifest["services"])
    missing = [n for n in names if n not in manifest["services"]]
    if missing:
        raise BackupError(f"the backup in {folder} has no copy of {', '.join(missing)}")
    targets = [target(n) for n in names]
    for t in targets:  # every check before the first change
        refuse_if_running(t)
        backend = "sqlite" if t.is_sqlite else "postgresql"
        if manifest["services"][t.name]["backend"] != backend:
            raise BackupError(f"{t.name}: the copy is {manifest['services'][t.name]['backend']}, the service runs on {backend}")
    done = []
    for t in targets:
        entry = manifest["services"][t.name]
        if t.is_sqlite:
            restore_sqlite(t, folder, entry)
        else:
            asyncio.run(restore_postgres(t, folder, entry))
        if run_migrations:
            migrate(t.definition, t.url)
        jump_versions(t)
        done.append(t.name)
    return done
