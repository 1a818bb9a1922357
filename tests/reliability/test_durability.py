"""Acknowledged means durable: what each service's database waits for before a commit returns,
and a production service refuses a PostgreSQL server that would acknowledge a commit it can lose."""
from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from common.db import Database, NotDurableError
from common.pii import new_key_b64
from tests.harness import PG_URL, DatabaseFactory, Keys, definition, run_app, settings_for


@pytest.mark.parametrize(("service", "level"), [("registry", "FULL"), ("rating", "FULL"), ("lending", "FULL"),
                                                ("merchant", "FULL"), ("stats", "NORMAL")])
async def test_each_service_syncs_sqlite_commits_as_its_writes_need(
        service: str, level: str, databases: DatabaseFactory, keys: Keys) -> None:
    url = await databases.create(service, "sqlite")
    app = definition(service).create_app(settings_for(service, url, keys))
    async with run_app(app):
        assert await app.state.db.commit_durability() == {"synchronous": level}


@pytest.mark.postgres
async def test_production_refuses_postgres_with_synchronous_commit_off(databases: DatabaseFactory, keys: Keys) -> None:
    url = await databases.create("lending", "postgres")
    name = make_url(url).database
    db = Database(url)
    try:
        found = await db.commit_durability()
        assert found["synchronous_commit"] == "on", found  # the server's default
        if found["fsync"] == "on":  # (the test server may run with fsync=off for speed: refused too)
            await db.require_durable_commits()
    finally:
        await db.dispose()

    conn = await asyncpg.connect(PG_URL)
    try:
        await conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    finally:
        await conn.close()
    db = Database(url)
    try:
        with pytest.raises(NotDurableError, match="'synchronous_commit': 'off'"):
            await db.require_durable_commits()
    finally:
        await db.dispose()
    # A production service does not start on it; a test run (env=test) is not checked.
    # (production refuses the published development keys: lending's webhook secrets get one of their own)
    app = definition("lending").create_app(settings_for("lending", url, keys, env="prod",
                                                        webhook_secret_key=new_key_b64()))
    with pytest.raises(NotDurableError):
        async with run_app(app):
            pass
    test_app = definition("lending").create_app(settings_for("lending", url, keys))
    async with run_app(test_app) as client:
        assert (await client.get("/healthz")).status_code == 200
