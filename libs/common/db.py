"""Database engine and sessions, the same code on SQLite (embedded run) and PostgreSQL.

A request gets one session and the request boundary commits it once (``get_session``), so a
change and the outbox events it produces land together or not at all.
"""
from __future__ import annotations

import asyncio
import sqlite3
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import Depends, Request
from sqlalchemy import DateTime, MetaData, TypeDecorator, event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

from common.clock import now as clock_now

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Now, timezone-aware UTC: the county's clock (``common.clock``; tests may move it)."""
    return clock_now()


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on the way in and out, whatever the database keeps (SQLite keeps naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: times are timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def make_base() -> type[DeclarativeBase]:
    """A fresh declarative base for one service: its own metadata, UTC-aware datetimes."""

    class Base(DeclarativeBase):
        metadata = MetaData(naming_convention=NAMING)
        type_annotation_map = {datetime: UTCDateTime()}

    return Base


def insert_for(dialect: str, table: Any) -> Any:
    """INSERT with ON CONFLICT for the dialect at hand (``on_conflict_do_update`` / ``_do_nothing``
    read the same on SQLite and PostgreSQL; only the construct's module differs)."""
    from sqlalchemy.dialects import postgresql, sqlite

    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


def json_dumps(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


def json_loads(text: str | bytes) -> Any:
    """JSON columns on the way out: orjson reads what ``json_dumps`` wrote, at a fraction of the
    standard library's cost (a bulk import reads four JSON columns of every household on file)."""
    return orjson.loads(text)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sqlite_path(url: str) -> str | None:
    """The file of an SQLite URL (None for PostgreSQL or an in-memory database)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return str(parsed.database)


class KeyedReads:
    """One keyed statement on a hot path (a caller's gate, a bank's credit line, a POS verify),
    without an ORM session or a transaction, always reading the latest commit (nothing cached, so a
    suspended bank or a frozen line shows at the next request).

    On SQLite: a plain sqlite3 connection of this process, run on the event loop. In WAL mode a
    keyed read takes tens of microseconds from the page cache and never waits for a writer; a hop
    to aiosqlite's thread and back costs more than that, and much more on a busy machine (measured
    in bench/lending_reads.py). On PostgreSQL: one pooled connection, one round trip."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._path = sqlite_path(db.url)
        self._sqlite: sqlite3.Connection | None = None

    @property
    def sqlite(self) -> sqlite3.Connection | None:
        """The process's SQLite read connection (opened at first use: the file exists by then)."""
        if self._path is None:
            return None
        if self._sqlite is None:
            # A short busy timeout: readers never wait for writers in WAL mode, only for a rare recovery.
            conn = sqlite3.connect(self._path, timeout=2.0, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA query_only=1")
            conn.execute("PRAGMA cache_size=-20000")
            conn.execute("PRAGMA mmap_size=268435456")
            self._sqlite = conn
        return self._sqlite

    async def one(self, sqlite_sql: str, pg_sql: str, params: Sequence[Any]) -> Sequence[Any] | None:
        """The first row of a keyed SELECT (``?`` placeholders on SQLite, ``$n`` on PostgreSQL)."""
        conn = self.sqlite
        if conn is not None:
            row: Sequence[Any] | None = conn.execute(sqlite_sql, tuple(params)).fetchone()
            return row
        async with self._db.engine.connect() as pooled:
            driver: Any = (await pooled.get_raw_connection()).driver_connection
            found: Sequence[Any] | None = await driver.fetchrow(pg_sql, *params)
            return found

    def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None


SqliteSync = Literal["FULL", "NORMAL"]


def create_engine(url: str, *, sqlite_synchronous: SqliteSync = "FULL", **kwargs: Any) -> AsyncEngine:
    """``sqlite_synchronous``: FULL (the default) syncs the WAL at every commit, so a write
    answered 2xx survives a power loss or a kernel crash; NORMAL survives a process crash only
    (the last commits can vanish on a power loss) and is for databases whose every row can be
    read again from the broker (a read model; see ``StatsSettings``)."""
    if sqlite_synchronous not in ("FULL", "NORMAL"):
        raise ValueError(f"sqlite_synchronous must be FULL or NORMAL, not {sqlite_synchronous!r}")
    if is_sqlite(url):
        engine = create_async_engine(url, json_serializer=json_dumps, json_deserializer=json_loads,
                                     connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
            # Take transactions into our own hands so a writer can say BEGIN IMMEDIATE: a
            # deferred transaction that reads and then writes can fail with SQLITE_BUSY at once.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={sqlite_synchronous}")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            immediate = conn.get_execution_options().get("sqlite_immediate", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    url = url.replace("postgresql://", "postgresql+asyncpg://", 1) if url.startswith("postgresql://") else url
    return create_async_engine(url, json_serializer=json_dumps, json_deserializer=json_loads,
                               pool_size=kwargs.pop("pool_size", 10),
                               max_overflow=kwargs.pop("max_overflow", 20), pool_recycle=1800, **kwargs)


class WriteTurns:
    """This process's SQLite writers, one at a time in arrival order, except that an urgent writer
    (a veto on its urgent lane) goes before every ordinary one still waiting. Nobody is overtaken
    while holding the turn: an urgent writer waits at most for the transaction under way."""

    def __init__(self) -> None:
        self._held = False
        self._waiting: dict[bool, deque[asyncio.Future[None]]] = {True: deque(), False: deque()}

    async def acquire(self, urgent: bool = False) -> None:
        if not self._held and not self._waiting[True] and not self._waiting[False]:
            self._held = True
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting[urgent].append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed the turn just as we were cancelled: pass it on
            elif waiter in self._waiting[urgent]:
                self._waiting[urgent].remove(waiter)
            raise

    def release(self) -> None:
        for lane in (True, False):
            while self._waiting[lane]:
                waiter = self._waiting[lane].popleft()
                if not waiter.done():
                    waiter.set_result(None)  # the turn passes straight to it: still held
                    return
        self._held = False


class Database:
    """One service's engine with two session factories: ``writer`` (SQLite: BEGIN IMMEDIATE) and
    ``reader``. On PostgreSQL both are the same. Listeners on commit wake the outbox relay."""

    def __init__(self, url: str, *, sqlite_synchronous: SqliteSync = "FULL", **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = create_engine(url, sqlite_synchronous=sqlite_synchronous, **engine_kwargs)
        self.dialect = self.engine.dialect.name
        writer_bind = self.engine.execution_options(sqlite_immediate=True) if self.is_sqlite else self.engine
        self.writer = async_sessionmaker(writer_bind, expire_on_commit=False)
        self.reader = async_sessionmaker(self.engine, expire_on_commit=False)
        self._commit_listeners: list[Callable[[], None]] = []
        # SQLite has one writer. Its busy handler retries by sleeping, so a writer that commits
        # and begins again at once (a round's chunks) can starve a waiting one (a veto) for
        # seconds; this process's writers take turns in arrival order instead.
        self._write_turns = WriteTurns() if self.is_sqlite else None
        self._turn_holder: asyncio.Task[Any] | None = None
        self.keyed = KeyedReads(self)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def on_outbox_commit(self, callback: Callable[[], None]) -> None:
        self._commit_listeners.append(callback)

    def notify_outbox(self) -> None:
        for cb in self._commit_listeners:
            cb()

    @asynccontextmanager
    async def transaction(self, *, write: bool = True, take_turn: bool = True,
                          urgent: bool = False) -> AsyncIterator[AsyncSession]:
        """A unit of work outside a request (consumers, CLIs, jobs): commit on success, else roll back.

        ``take_turn=False`` (a request's session): no turn among this process's SQLite writers. A
        request may wait on other things (a slow caller, another service) before it writes, and
        SQLite's own lock is taken only at its first statement. ``urgent`` (an urgent lane's
        events): the next SQLite turn, ahead of the writers already waiting."""
        factory = self.writer if write else self.reader
        async with self._turn(write and take_turn, urgent), factory() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
        if session.info.pop("outbox_dirty", False):
            self.notify_outbox()

    @asynccontextmanager
    async def _turn(self, write: bool, urgent: bool = False) -> AsyncIterator[None]:
        task = asyncio.current_task()
        # A transaction opened inside another of the same task keeps SQLite's own behaviour.
        if not write or self._write_turns is None or self._turn_holder is task:
            yield
            return
        await self._write_turns.acquire(urgent)
        self._turn_holder = task
        try:
            yield
        finally:
            self._turn_holder = None
            self._write_turns.release()

    async def ping(self) -> None:
        from sqlalchemy import text

        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        self.keyed.close()
        await self.engine.dispose()

    async def commit_durability(self) -> dict[str, str]:
        """What a commit waits for: SQLite's ``synchronous`` or PostgreSQL's ``synchronous_commit``
        and ``fsync`` (as the server applies them to this database and role)."""
        from sqlalchemy import text

        async with self.engine.connect() as conn:
            if self.is_sqlite:
                level = (await conn.execute(text("PRAGMA synchronous"))).scalar_one()
                return {"synchronous": {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(int(level), str(level))}
            return {name: str((await conn.execute(text(f"SHOW {name}"))).scalar_one())
                    for name in ("synchronous_commit", "fsync")}

    async def require_durable_commits(self) -> None:
        """Refuse a PostgreSQL server that acknowledges a commit before it is on disk
        (``synchronous_commit=off`` or ``fsync=off``): a bank told 201 could lose its loan in a
        crash. Called at start in production (``env=prod``)."""
        if self.is_sqlite:
            return
        found = await self.commit_durability()
        if found["synchronous_commit"] == "off" or found["fsync"] == "off":
            raise NotDurableError(
                f"PostgreSQL acknowledges commits before they are on disk ({found}): set synchronous_commit "
                "to on (or local, remote_write, remote_apply) and fsync to on; refusing to start")


class NotDurableError(RuntimeError):
    """The database would acknowledge a write it can still lose."""


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session. Commits once when the route returns; an error rolls it all back."""
    db: Database = request.app.state.db
    write = request.method not in ("GET", "HEAD", "OPTIONS")
    async with db.transaction(write=write, take_turn=False) as session:
        yield session


# scope="function": the commit runs when the route returns, before the response is sent, so a
# failed commit is answered as an error and never as a success.
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]
