"""Batch-shaped handlers: a poll's worth of events of one type applied with set-based statements.

A consumer's handler is either per event (``Handler``) or per batch (made with ``batch``). A batch
handler gets the fresh events of one topic (the inbox has already dropped what was applied), in
the order they came, inside the consumer's one transaction. It keeps the per-event guarantees by
working in *rounds*: round k holds each subject's k-th event of the batch, so a subject's events are
still applied in order (and a stale one is still skipped by ``accept_versions``), while the
common case, one event per subject, is a single round of a few statements.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from common.events.envelope import Event

Handler = Callable[[AsyncSession, Event], Awaitable[None]]
BatchFn = Callable[[AsyncSession, list[Event]], Awaitable[None]]
T = TypeVar("T")


class BatchHandler:
    """A handler that takes the whole batch of one topic at once."""

    def __init__(self, fn: BatchFn) -> None:
        self.fn = fn
        self.__name__ = getattr(fn, "__name__", "batch_handler")

    async def __call__(self, session: AsyncSession, events: list[Event]) -> None:
        await self.fn(session, events)


def batch(fn: BatchFn) -> BatchHandler:
    return BatchHandler(fn)


# A topic's handler: per event, or a BatchHandler taking the batch's fresh events of that topic.
TopicHandler = Handler | BatchHandler


async def apply_events(handler: TopicHandler, session: AsyncSession, events: list[Event]) -> None:
    """Events of one topic through its handler, whichever shape it has (the consumer's way, and a
    test's way of applying a producer's events without a broker)."""
    if isinstance(handler, BatchHandler):
        await handler(session, events)
    else:
        for event in events:
            await handler(session, event)


def subject_rounds(items: Iterable[T], key: Callable[[T], Any]) -> list[list[T]]:
    """Split ``items`` so that no round holds two items of one key; round k has each key's k-th item.
    Order within a key is kept across rounds; order within a round follows the input."""
    rounds: list[list[T]] = []
    seen: dict[Any, int] = {}
    for item in items:
        k = key(item)
        n = seen.get(k, 0)
        seen[k] = n + 1
        if n == len(rounds):
            rounds.append([])
        rounds[n].append(item)
    return rounds
