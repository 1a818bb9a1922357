"""Indicator systems: read the versions, publish a new one (admin; no release needed)."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from common.db import Session, utcnow
from common.errors import ProblemError, not_found
from common.paths import SerialId
from rating.access import Admin, Reader
from rating.indicators import repository as repo
from rating.indicators.models import IndicatorSystem
from rating.indicators.schemas import IndicatorSystemIn, check_definition

router = APIRouter(prefix="/v1/indicator-systems", tags=["indicator systems"])


def system_out(row: IndicatorSystem) -> dict[str, Any]:
    return {**row.definition, "version": row.version, "created_by": row.created_by,
            "created_at": row.created_at.isoformat()}


@router.get("")
async def list_systems(who: Reader, session: Session, kind: str | None = None) -> dict[str, Any]:
    return {"items": [system_out(r) for r in await repo.list_versions(session, kind)]}


@router.get("/{kind}/current")
async def current(kind: str, who: Reader, session: Session) -> dict[str, Any]:
    version = await repo.latest_version(session, kind)
    row = await repo.get(session, kind, version) if version else None
    if row is None:
        raise not_found("indicator system", kind)
    return system_out(row)


@router.get("/{kind}/{version}")
async def read(kind: str, version: SerialId, who: Reader, session: Session) -> dict[str, Any]:
    row = await repo.get(session, kind, version)
    if row is None:
        raise not_found("indicator system", f"{kind} v{version}")
    return system_out(row)


@router.post("", status_code=201, summary="Publish a new version of a kind's indicator system")
async def publish(body: IndicatorSystemIn, who: Admin, session: Session) -> dict[str, Any]:
    errors = check_definition(body)
    if errors:
        fields = ", ".join(dict.fromkeys(e["field"] for e in errors))
        raise ProblemError(422, "Invalid indicator system", f"invalid field(s): {fields}",
                           type="invalid-indicator-system", errors=errors)
    row = await repo.add(session, body, who.caller_id, utcnow())
    return system_out(row)
