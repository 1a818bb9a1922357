"""The import's worker processes: each holds the PII cipher, the region sets and the binders
once, and validates, encrypts and binds the chunks it is given (see ``service._in_processes``)."""
from __future__ import annotations

import gc

from registry.imports.service import _Binders, _Context, _prepare, _Prepared, _Regions

_state: dict[str, _Context] = {}


def init(pii_key: str, index_key: str, header: list[str], villages: set[str], groups: dict[str, str],
         scope: str | None, actor: str, job_id: str, drivername: str) -> None:
    from common.pii import PIICipher

    _state["ctx"] = _Context(PIICipher(pii_key, index_key), header, _Regions(villages, groups), scope, actor, job_id,
                             _Binders.of(drivername))
    # What is loaded by now lives as long as the process: out of the cyclic collector's scans,
    # which otherwise walk it again and again while a chunk makes its many small objects (~6%).
    gc.freeze()


def prepare(part: list[list[str]], first_row: int) -> _Prepared:
    return _prepare(_state["ctx"], part, first_row)
