"""The import's worker processes: each holds the PII cipher and the region sets once, and
validates and encrypts the chunks it is given (see ``service._in_processes``)."""
from __future__ import annotations

from typing import Any

from common.pii import PIICipher
from registry.imports.service import _prepare, _Prepared, _Regions

_state: dict[str, Any] = {}


def init(pii_key: str, index_key: str, villages: set[str], groups: dict[str, str], scope: str | None,
         actor: str) -> None:
    _state.update(cipher=PIICipher(pii_key, index_key), regions=_Regions(villages, groups), scope=scope, actor=actor)


def prepare(header: list[str], part: list[list[str]], first_row: int) -> _Prepared:
    return _prepare(_state["cipher"], header, part, first_row, _state["regions"], _state["scope"], _state["actor"])
