"""The consumer's handlers, one per topic: parse the event into an op and queue it; the batch is
applied when the consumer's transaction commits (see ``projector``)."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from common.events import Event, Handler
from stats.readmodel.ops import PARSERS
from stats.readmodel.projector import Op, queue


def _handler(parse: Callable[[Event], Op]) -> Handler:
    async def handle(session: AsyncSession, event: Event) -> None:
        queue(session, parse(event))

    handle.__name__ = f"handle_{parse.__name__}"
    return handle


HANDLERS: dict[str, Handler] = {topic: _handler(parse) for topic, parse in PARSERS.items()}
