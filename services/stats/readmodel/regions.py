"""The region tree's names (行政区划名称) from the registry's ``region-changed``: stats keeps the
newest version of each region and names its answers from it. Regions feed no counter."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from common.db import insert_for
from common.events import Event
from stats.readmodel.tables import regions


@dataclass(frozen=True, slots=True)
class RegionOp:
    code: str
    name: str
    level: str
    parent_code: str | None
    version: int


def region_op(event: Event) -> RegionOp:
    d = event.data
    return RegionOp(d["code"], d["name"], d["level"], d["parent_code"], int(d["version"]))


def newest(ops: list[RegionOp]) -> list[RegionOp]:
    """One op per region, its highest version (one upsert statement may not touch a row twice)."""
    best: dict[str, RegionOp] = {}
    for op in ops:
        if op.code not in best or op.version > best[op.code].version:
            best[op.code] = op
    return [best[c] for c in sorted(best)]


def save_regions(session: Session, ops: list[RegionOp]) -> None:
    """Insert each region, or take its name if the version is newer than the one kept (a replay or
    a stale rename changes nothing)."""
    rows = [{"code": o.code, "name": o.name, "level": o.level, "parent_code": o.parent_code, "version": o.version}
            for o in newest(ops)]
    if not rows:
        return
    stmt = insert_for(session.get_bind().dialect.name, regions)
    stmt = stmt.on_conflict_do_update(
        index_elements=[regions.c.code],
        set_={"name": stmt.excluded.name, "level": stmt.excluded.level, "parent_code": stmt.excluded.parent_code,
              "version": stmt.excluded.version},
        where=regions.c.version < stmt.excluded.version)
    session.execute(stmt, rows)
