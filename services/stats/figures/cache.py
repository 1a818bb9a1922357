"""Answers kept until the read model moves (缓存): the provincial platform asks the same questions
again and again, and the figures change only when a batch of events is applied. Each answer is kept
with the read model's generation it was computed at; one tiny query tells whether it still holds."""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    generation: int
    body: bytes
    media_type: str
    headers: tuple[tuple[str, str], ...]


class AnswerCache:
    """A small LRU of rendered answers, per process."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, CachedAnswer] = OrderedDict()

    def get(self, key: Hashable, generation: int) -> CachedAnswer | None:
        found = self._items.get(key)
        if found is None or found.generation != generation:
            return None
        self._items.move_to_end(key)
        return found

    def put(self, key: Hashable, answer: CachedAnswer) -> None:
        self._items[key] = answer
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)
