"""Indicator systems (指标体系): read the versions, publish a new one."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from common.db import utcnow
from common.errors import ProblemError, not_found
from common.i18n import Text
from rating.indicators import repository as repo
from rating.indicators.models import IndicatorSystem
from rating.indicators.schemas import IndicatorSystemIn, IndicatorSystemList, IndicatorSystemOut, check_definition


def system_out(row: IndicatorSystem) -> IndicatorSystemOut:
    return IndicatorSystemOut.model_validate({**row.definition, "version": row.version, "created_by": row.created_by,
                                              "created_at": row.created_at.isoformat()})


async def listing(session: AsyncSession, kind: str | None) -> IndicatorSystemList:
    return IndicatorSystemList(items=[system_out(r) for r in await repo.list_versions(session, kind)])


INDICATOR_SYSTEM = Text("indicator system", "评级指标体系")


async def current(session: AsyncSession, kind: str) -> IndicatorSystemOut:
    version = await repo.latest_version(session, kind)
    row = await repo.get(session, kind, version) if version else None
    if row is None:
        raise not_found(INDICATOR_SYSTEM, kind)
    return system_out(row)


async def read(session: AsyncSession, kind: str, version: int) -> IndicatorSystemOut:
    row = await repo.get(session, kind, version)
    if row is None:
        raise not_found(INDICATOR_SYSTEM, f"{kind} v{version}")
    return system_out(row)


async def publish(session: AsyncSession, body: IndicatorSystemIn, actor: str) -> IndicatorSystemOut:
    errors = check_definition(body)
    if errors:
        fields = ", ".join(dict.fromkeys(e["field"] for e in errors))
        raise ProblemError(422, Text("Invalid indicator system", "指标体系有误"),
                           Text(f"invalid field(s): {fields}", f"以下字段有误：{fields}"),
                           type="invalid-indicator-system", errors=errors)
    return system_out(await repo.add(session, body, actor, utcnow()))
