"""Rating rounds: start one over a region (it runs in the background), follow its progress."""
from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from common.db import Session, utcnow
from rating.access import Officer, Reader, Settings, check_region
from rating.rounds import service
from rating.rounds.models import RatingRound

router = APIRouter(prefix="/v1/rating-rounds", tags=["rating rounds"])


class RoundIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    region: str = Field(pattern=r"^\d{6,15}$", description="county, town, village or group code")
    kinds: list[Literal["household", "new_entity", "collective"]] = Field(
        default=["household", "new_entity", "collective"], min_length=1)


def round_out(r: RatingRound) -> dict[str, Any]:
    return {"id": r.id, "region": r.region, "kinds": r.kinds, "status": r.status, "total": r.total, "done": r.done,
            "progress": round(r.done / r.total, 4) if r.total else 1.0, "summary": r.summary, "error": r.error,
            "started_by": r.started_by, "started_at": r.started_at.isoformat(),
            "finished_at": r.finished_at.isoformat() if r.finished_at else None}


@router.post("", status_code=202, summary="Re-rate a whole region (评级轮次)")
async def start(body: RoundIn, who: Officer, request: Request, settings: Settings) -> dict[str, Any]:
    check_region(who, body.region)
    db = request.app.state.db
    # Committed before the work starts, so the background task and callers see it.
    async with db.transaction() as session:
        rnd = await service.start(session, body.region, list(body.kinds), who.caller_id, utcnow())
    tasks: set[asyncio.Task[Any]] = request.app.state.round_tasks
    task = asyncio.create_task(service.run_in_background(db, settings, rnd.id), name=f"round-{rnd.id}")
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    return round_out(rnd)


@router.get("/{round_id}")
async def read(round_id: str, who: Reader, session: Session) -> dict[str, Any]:
    rnd = await service.get(session, round_id)
    check_region(who, rnd.region)
    return round_out(rnd)
