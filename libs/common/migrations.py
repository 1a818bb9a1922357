"""Alembic, one history per service: the env every service's ``migrations/env.py`` calls, the
op that creates the shared tables, and a programmatic ``upgrade`` for the CLI and tests."""
from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context, op
from alembic.config import Config
from sqlalchemy import Column, MetaData, String, inspect, text
from sqlalchemy.engine import Connection

from common.db import create_engine
from common.tables import COMMON_METADATA, FIRST_TABLES, consumer_positions


def alembic_config(migrations_dir: Path, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(migrations_dir: Path, url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` (runs its own event loop: call from sync code or a thread)."""
    command.upgrade(alembic_config(migrations_dir, url), revision)


async def upgrade_async(migrations_dir: Path, url: str) -> None:
    await asyncio.to_thread(upgrade, migrations_dir, url)


def create_common_tables(bind: Connection) -> None:
    """For a service's first migration: the outbox, inbox, versions and idempotency tables."""
    COMMON_METADATA.create_all(bind, tables=list(FIRST_TABLES))


def drop_common_tables(bind: Connection) -> None:
    COMMON_METADATA.drop_all(bind, tables=list(FIRST_TABLES))


def create_consumer_positions(bind: Connection) -> None:
    """For each service's migration that adds the consumers' stored positions."""
    COMMON_METADATA.create_all(bind, tables=[consumer_positions])


def drop_consumer_positions(bind: Connection) -> None:
    COMMON_METADATA.drop_all(bind, tables=[consumer_positions])


def add_idempotency_claims(bind: Connection) -> None:
    """For each service's migration that adds the idempotency keys' claim token and the index their
    purge uses. A database whose first migration ran after this change has them already (0001
    creates the shared tables as they are defined now)."""
    inspector = inspect(bind)
    if "claim" not in {c["name"] for c in inspector.get_columns("idempotency_keys")}:
        op.add_column("idempotency_keys", Column("claim", String(32), nullable=True))
    if "ix_idempotency_keys_created_at" not in {i["name"] for i in inspector.get_indexes("idempotency_keys")}:
        op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])


def add_outbox_lane_index(bind: Connection) -> None:
    """For each service's migration that adds the index the relay's urgent lane reads by (a
    database whose first migration ran after this change has it already)."""
    if "ix_outbox_events_unsent_by_topic" not in {i["name"] for i in inspect(bind).get_indexes("outbox_events")}:
        op.create_index("ix_outbox_events_unsent_by_topic", "outbox_events", ["topic", "id"],
                        sqlite_where=text("sent_at IS NULL"), postgresql_where=text("sent_at IS NULL"))


def drop_outbox_lane_index(bind: Connection) -> None:
    op.drop_index("ix_outbox_events_unsent_by_topic", "outbox_events")


def drop_idempotency_claims(bind: Connection) -> None:
    op.drop_index("ix_idempotency_keys_created_at", "idempotency_keys")
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_column("claim")


def run_env(metadata: MetaData) -> None:
    """Body of a service's ``migrations/env.py``."""
    config = context.config
    url = config.get_main_option("sqlalchemy.url") or ""
    targets = [metadata, COMMON_METADATA]

    def do_run(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=targets,  # type: ignore[arg-type]
                          render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = create_engine(url)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
            await connection.commit()
        await engine.dispose()

    if context.is_offline_mode():
        context.configure(url=url, target_metadata=targets, literal_binds=True)  # type: ignore[arg-type]
        with context.begin_transaction():
            context.run_migrations()
    else:
        asyncio.run(run_async())

