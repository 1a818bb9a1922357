"""Change feeds numbered in commit order (lending's credit-line changes for banks, merchant's grade
changes for merchants): what a reader pages through with ``after=<id>`` and a webhook pushes.

A service queues a feed's rows in the transaction that makes the change (``queue``); as that
transaction commits they are numbered from the feed's counter row and inserted. Taking the ids is one
UPDATE of that row, the transaction's last statement: its row lock orders the writers, so ids are
dense, increase in commit order, and a reader that resumes after an id never misses a change
committed later under a smaller one (what a sequence would allow). A rolled-back transaction leaves
no row and no gap. The counter's lock is the last one a transaction takes and is held only for its
commit, so writers never wait on each other in a cycle."""
from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, String, Table, event, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from common.tables import COMMON_METADATA

feed_counters = Table(
    "change_feed_counters", COMMON_METADATA,
    Column("feed", String(40), primary_key=True),
    Column("last_id", BigInteger, nullable=False),
)
_PENDING = "change_feeds"


def queue(session: AsyncSession | Session, feed: str, table: Table, rows: list[dict[str, Any]]) -> None:
    """Rows for ``feed`` (stored in ``table``, whose ``id`` the feed assigns), written at commit."""
    if rows:
        pending: dict[str, tuple[Table, list[dict[str, Any]]]] = session.info.setdefault(_PENDING, {})
        pending.setdefault(feed, (table, []))[1].extend(rows)


@event.listens_for(Session, "before_commit")
def _number_and_write(session: Session) -> None:
    pending: dict[str, tuple[Table, list[dict[str, Any]]]] | None = session.info.pop(_PENDING, None)
    for feed in sorted(pending or {}):  # a fixed order: two feeds in one transaction never cross locks
        table, rows = (pending or {})[feed]
        last = session.execute(update(feed_counters).where(feed_counters.c.feed == feed)
                               .values(last_id=feed_counters.c.last_id + len(rows))
                               .returning(feed_counters.c.last_id)).scalar_one()
        first = int(last) - len(rows) + 1
        session.execute(insert(table), [{**row, "id": first + i} for i, row in enumerate(rows)])


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


async def last_id(session: AsyncSession, feed: str) -> int:
    """The newest committed id of ``feed`` (the counter moves only with the rows it numbers)."""
    return int((await session.execute(select(feed_counters.c.last_id).where(feed_counters.c.feed == feed)))
               .scalar_one())


def create_feed_counter(bind: Connection, feed: str) -> None:
    """For a service's migration that adds a feed: the counters' table (if new) and the feed's row."""
    COMMON_METADATA.create_all(bind, tables=[feed_counters])
    bind.execute(insert(feed_counters).values(feed=feed, last_id=0))


def drop_feed_counter(bind: Connection, feed: str) -> None:
    bind.execute(feed_counters.delete().where(feed_counters.c.feed == feed))
    if bind.execute(select(feed_counters.c.feed).limit(1)).first() is None:
        COMMON_METADATA.drop_all(bind, tables=[feed_counters])
