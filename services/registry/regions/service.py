"""Creating regions one by one or from a file (the parent must exist or come earlier in the file),
and renaming them. Every region created or renamed is announced by ``region-changed`` in the same
transaction (stats names its figures from these)."""
from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.db import utcnow
from common.errors import ProblemError, conflict, field_error, not_found
from common.events import emit_many
from common.i18n import Text
from registry import events
from registry.access import require_in_region
from registry.regions import repository
from registry.regions.codes import code_problem, level_of, parent_of
from registry.regions.models import Region
from registry.regions.schemas import RegionIn


def _row(region: RegionIn, actor: str, now: datetime) -> dict[str, object]:
    return {"code": region.code, "name": region.name, "level": level_of(region.code),
            "parent_code": parent_of(region.code), "created_at": now, "created_by": actor, "version": 1}


async def _announce(session: AsyncSession, rows: Sequence[Region | dict[str, object]], now: datetime) -> None:
    await emit_many(session, [events.region_changed(**events.region_fields(r), changed_at=now) for r in rows])


async def create(session: AsyncSession, principal: Principal, body: RegionIn) -> Region:
    parent = parent_of(body.code)
    # An officer may add villages and groups inside its region; the county adds towns.
    require_in_region(principal, parent or body.code, "code")
    if await repository.get(session, body.code) is not None:
        raise conflict(Text("Region exists", "区划已存在"), Text(f"region {body.code} already exists", f"区划 {body.code} 已存在"),
                       type="duplicate-region", errors=[{"field": "code", "message": Text("already exists", "已存在")}])
    if parent and await repository.get(session, parent) is None:
        raise field_error("code", Text(f"parent region {parent} is unknown", f"上级区划 {parent} 不存在"))
    now = utcnow()
    row = _row(body, principal.caller_id, now)
    await repository.add_many(session, [row])
    await _announce(session, [row], now)
    region = await repository.get(session, body.code)
    assert region is not None
    return region


async def rename(session: AsyncSession, principal: Principal, code: str, name: str) -> Region:
    """A region's new name (更名): whoever may create the region may rename it."""
    region = await repository.get(session, code)
    if region is None or not principal.in_region(code):
        raise not_found(Text("region", "行政区划"), code)
    require_in_region(principal, region.parent_code or code, "code")
    if region.name != name:
        await repository.rename(session, code, name)
        await session.refresh(region)
        await _announce(session, [region], utcnow())
    return region


async def import_csv(session: AsyncSession, principal: Principal, content: bytes) -> tuple[int, int, int]:
    """A CSV with ``code,name`` columns, all or nothing: returns (created, renamed, unchanged).
    A row whose region exists under another name renames it."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise field_error("file", Text("must be UTF-8 text", "须为 UTF-8 编码的文本")) from None
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"code", "name"} <= set(reader.fieldnames):
        raise field_error("file", Text("needs a header row with the columns code,name", "首行须为表头，包含 code 和 name 两列"))
    wanted: dict[str, RegionIn] = {}
    errors: list[dict[str, object]] = []
    for n, raw in enumerate(reader, start=2):
        code, name = (raw.get("code") or "").strip(), (raw.get("name") or "").strip()
        field = "code"
        problem = code_problem(code)
        if problem is None and not name:
            field, problem = "name", Text("name is empty", "名称为空")
        if problem is None and len(name) > 80:
            field, problem = "name", Text("name is longer than 80 characters", "名称超过 80 个字符")
        if problem is None and not principal.in_region(parent_of(code) or code):
            problem = Text("outside your region", "超出辖区")
        if problem:
            errors.append({"row": n, "field": field, "message": problem})
            continue
        wanted[code] = RegionIn(code=code, name=name)
    existing = await repository.get_many(session, list(wanted) + [p for c in wanted if (p := parent_of(c))])
    for code in wanted:
        parent = parent_of(code)
        if parent and parent not in wanted and parent not in existing:
            errors.append({"row": None, "field": "code", "message": Text(f"{code}: parent region {parent} is unknown",
                                                                         f"{code}：上级区划 {parent} 不存在")})
    if errors:
        raise ProblemError(422, Text("Invalid region file", "区划文件有误"),
                           Text(f"{len(errors)} row(s) refused; nothing was imported", f"有 {len(errors)} 行不被接受，未导入任何内容"),
                           type="invalid-region-file", errors=errors[:200])
    now = utcnow()
    # Parents before children (shorter codes first), so the foreign key holds row by row.
    new = [_row(wanted[c], principal.caller_id, now) for c in sorted(wanted, key=len) if c not in existing]
    await repository.add_many(session, new)
    renamed = [existing[c] for c in sorted(wanted, key=len) if c in existing and existing[c].name != wanted[c].name]
    for region in renamed:
        await repository.rename(session, region.code, wanted[region.code].name)
        await session.refresh(region)
    await _announce(session, [*new, *renamed], now)
    return len(new), len(renamed), len(wanted) - len(new) - len(renamed)
