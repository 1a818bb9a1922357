"""SQLite's one writer, shared fairly: a job that commits chunk after chunk (a rating round's
finalisation) must not starve a writer that arrives meanwhile (a veto's re-rating)."""
from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from common.db import Database


async def _table(db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(text("CREATE TABLE work (id INTEGER PRIMARY KEY, who TEXT NOT NULL)"))


async def test_a_writer_arriving_during_a_run_of_chunks_waits_for_one_chunk_only(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
    await _table(db)
    chunks_done = 0
    stop = asyncio.Event()

    async def chunks() -> None:
        nonlocal chunks_done
        while not stop.is_set() and chunks_done < 40:
            async with db.transaction() as session:
                await session.execute(text("INSERT INTO work (who) VALUES ('chunk')"))
                await asyncio.sleep(0.15)  # the chunk's statements, holding the write lock
            chunks_done += 1

    job = asyncio.create_task(chunks())
    try:
        while chunks_done < 1:
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.05)  # arrive in the middle of a chunk
        before = chunks_done
        async with db.transaction() as session:
            await session.execute(text("INSERT INTO work (who) VALUES ('veto')"))
        waited_for = chunks_done - before
    finally:
        stop.set()
        await job
        await db.dispose()
    # The chunk being written, and at most the one that had begun as it committed.
    assert waited_for <= 2, f"the veto waited behind {waited_for} chunks"


async def test_a_transaction_nested_in_the_same_task_does_not_wait_for_itself(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'n.db'}")
    await _table(db)

    async def nested() -> None:
        async with db.transaction() as outer:
            async with db.transaction() as inner:
                await inner.execute(text("INSERT INTO work (who) VALUES ('inner')"))
            await outer.execute(text("INSERT INTO work (who) VALUES ('outer')"))

    try:
        await asyncio.wait_for(nested(), timeout=10)
        async with db.transaction(write=False) as session:
            rows = (await session.execute(text("SELECT who FROM work ORDER BY id"))).scalars().all()
        assert rows == ["inner", "outer"]
    finally:
        await db.dispose()
