"""Pure CPU work (a county round's scoring) in worker processes.

A thread would hold the interpreter lock that the service's event loop needs: a veto, the relay
and requests would crawl while a round scores, and the round would use one core however many the
machine has. Workers are spawned, not forked (the service has threads: the broker clients',
SQLite's), once per process and on first use; the functions and arguments sent to them must
pickle."""
from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

T = TypeVar("T")
_pool: ProcessPoolExecutor | None = None


def worker_count() -> int:
    """One core is left to the event loop (and the database's work it waits for)."""
    return max(1, (os.cpu_count() or 1) - 1)


def _executor() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(max_workers=worker_count(), mp_context=multiprocessing.get_context("spawn"))
    return _pool


async def in_worker(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` in a worker process. A pool whose worker died (killed, out of memory) is
    dropped, so the next call starts a fresh one; this call fails."""
    try:
        return await asyncio.get_running_loop().run_in_executor(_executor(), fn, *args)
    except BrokenProcessPool:
        shutdown()
        raise


async def pure(fn: Callable[..., T], *args: Any, in_worker_process: bool) -> T:
    """``fn(*args)`` off the event loop: in a worker process, or in a thread where the work is too
    small to be worth pickling its arguments and its result."""
    if in_worker_process:
        return await in_worker(fn, *args)
    return await asyncio.to_thread(fn, *args)


async def ahead(works: AsyncIterator[Awaitable[T]], depth: int | None = None) -> AsyncGenerator[T, None]:
    """The results of ``works``, in order, while the next ones are under way: up to ``depth`` (by
    default one per worker, and one more) are started ahead of the one the caller has. Use it
    with ``contextlib.aclosing``: when the caller stops early, what was started is dropped. A
    failure of ``works`` itself is raised where its next result would have come."""
    queue: asyncio.Queue[asyncio.Future[T] | None] = asyncio.Queue(maxsize=depth or worker_count() + 1)

    async def feed() -> None:
        try:
            async for work in works:
                await queue.put(asyncio.ensure_future(work))
        except asyncio.CancelledError:
            raise  # the caller stopped: nobody is left to tell, and the queue may be full
        except BaseException as exc:
            failed: asyncio.Future[T] = asyncio.get_running_loop().create_future()
            failed.set_exception(exc)
            await queue.put(failed)
            return
        await queue.put(None)

    feeder = asyncio.create_task(feed())
    try:
        while (started := await queue.get()) is not None:
            yield await started
        await feeder
    finally:
        feeder.cancel()
        await asyncio.gather(feeder, return_exceptions=True)
        while not queue.empty():
            if (left := queue.get_nowait()) is not None:
                left.cancel()
                await asyncio.gather(left, return_exceptions=True)


def running() -> bool:
    """Whether this process has started its workers."""
    return _pool is not None


def shutdown() -> None:
    """Drop the workers (``in_worker`` after one died); the next call starts a fresh pool. At
    exit, the pool's own handler stops them."""
    global _pool
    pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)
