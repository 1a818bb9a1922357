"""SQLite's writers in one process take turns (``common.db.WriteTurns``): in arrival order, except
that an urgent writer (an urgent lane's veto) goes before the ordinary writers still waiting, never
before the one holding the turn."""
from __future__ import annotations

import asyncio

from common.db import WriteTurns


async def test_an_urgent_writer_goes_next_but_never_overtakes_the_holder() -> None:
    turns = WriteTurns()
    order: list[str] = []
    release_holder = asyncio.Event()

    async def writer(name: str, urgent: bool = False, hold: asyncio.Event | None = None) -> None:
        await turns.acquire(urgent)
        order.append(name)
        if hold is not None:
            await hold.wait()
        await asyncio.sleep(0)
        turns.release()

    holder = asyncio.create_task(writer("round chunk", hold=release_holder))
    await asyncio.sleep(0)
    waiting = [asyncio.create_task(writer(f"ordinary {i}")) for i in range(3)]
    await asyncio.sleep(0)
    veto = asyncio.create_task(writer("veto", urgent=True))
    await asyncio.sleep(0)
    assert order == ["round chunk"], "nobody overtakes the writer holding the turn"
    release_holder.set()
    await asyncio.gather(holder, veto, *waiting)
    assert order == ["round chunk", "veto", "ordinary 0", "ordinary 1", "ordinary 2"]


async def test_a_cancelled_waiter_never_keeps_the_turn() -> None:
    turns = WriteTurns()
    await turns.acquire()
    cancelled = asyncio.create_task(turns.acquire())
    later = asyncio.create_task(turns.acquire(urgent=True))
    await asyncio.sleep(0)
    cancelled.cancel()
    await asyncio.gather(cancelled, return_exceptions=True)
    turns.release()
    await asyncio.wait_for(later, 1)  # the turn went past the cancelled waiter
    turns.release()
    await asyncio.wait_for(turns.acquire(), 1)  # and is free again after
