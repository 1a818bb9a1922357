"""The tables every service keeps in its own database: outbox, inbox, subject versions, idempotency keys,
consumer positions.

They are defined once here, on their own MetaData; each service's first migration creates them
(``common.migrations.create_common_tables``) and its Alembic env compares both metadatas; a table added
later (``consumer_positions``) comes with a migration of its own in each service.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, LargeBinary, MetaData, String, Table, Text, text

from common.db import NAMING, UTCDateTime

# BigInteger ids are plain INTEGER on SQLite, where only INTEGER PRIMARY KEY autoincrements.
BigId = BigInteger().with_variant(Integer(), "sqlite")

COMMON_METADATA = MetaData(naming_convention=NAMING)

outbox_events = Table(
    "outbox_events", COMMON_METADATA,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("topic", String(120), nullable=False),
    Column("key", String(120), nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("sent_at", UTCDateTime(), nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
    Index("ix_outbox_events_unsent", "sent_at", "id"),
    # The relay's urgent lane finds its few rows without walking a county round's unsent backlog.
    Index("ix_outbox_events_unsent_by_topic", "topic", "id",
          sqlite_where=text("sent_at IS NULL"), postgresql_where=text("sent_at IS NULL")),
)

# Tracking table: which events this service has applied (the consumer's dedupe).
inbox_events = Table(
    "inbox_events", COMMON_METADATA,
    Column("event_id", String(36), primary_key=True),
    Column("topic", String(120), nullable=False),
    Column("handled_at", UTCDateTime(), nullable=False),
)

# Last version applied per (stream, subject): a stale event is skipped, not applied.
subject_versions = Table(
    "subject_versions", COMMON_METADATA,
    Column("stream", String(80), primary_key=True),
    Column("subject_id", String(80), primary_key=True),
    Column("version", BigInteger, nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys", COMMON_METADATA,
    Column("caller", String(120), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("route", String(200), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("response_status", Integer, nullable=True),
    Column("response_body", LargeBinary, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    # The claiming request's random token: a takeover and the response's store are conditional on it.
    Column("claim", String(32), nullable=True),
    Index("ix_idempotency_keys_created_at", "created_at"),  # the purge of expired keys
)


# Where each consumer stands, per topic-partition, in the service's own database (the tracking
# record): written in the same transaction as the inbox rows and the changes, read on partition
# assignment to seek there. A database restored from a backup therefore re-reads from where the
# backup stood; the broker's committed offset is only a hint (``common.events.positions``).
consumer_positions = Table(
    "consumer_positions", COMMON_METADATA,
    Column("consumer_group", String(120), primary_key=True),
    Column("topic", String(200), primary_key=True),
    Column("partition", Integer, primary_key=True, autoincrement=False),
    Column("last_offset", BigInteger, nullable=False),  # the last offset applied (or dead-lettered)
    Column("updated_at", UTCDateTime(), nullable=False),
)

# What each service's first migration (0001) creates; later tables have their own migrations.
FIRST_TABLES = (outbox_events, inbox_events, subject_versions, idempotency_keys)
