"""Rating rounds: start one over a region (it runs in the background), follow its progress."""
from __future__ import annotations

from fastapi import APIRouter, Request

from common.db import Session
from common.errors import problems
from rating.access import Officer, Reader, Settings
from rating.rounds import service
from rating.rounds.schemas import RoundIn, RoundOut

router = APIRouter(prefix="/v1/rating-rounds", tags=["rating rounds"], responses=problems(401, 403, 422))


@router.post("", status_code=202, summary="Re-rate a whole region (评级轮次)", response_model=RoundOut)
async def start(body: RoundIn, who: Officer, request: Request, settings: Settings) -> RoundOut:
    return await service.begin(request.app.state.db, settings, body, who, request.app.state.round_tasks)


@router.get("/{round_id}", response_model=RoundOut, responses=problems(404))
async def read(round_id: str, who: Reader, session: Session) -> RoundOut:
    return await service.read_visible(session, round_id, who)
