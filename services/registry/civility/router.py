"""Civility evaluations (乡风文明评议): the item catalogue, and record → review → publish."""
from __future__ import annotations

from fastapi import APIRouter, Query, Request

from common.db import Session
from common.errors import not_found, problems
from common.i18n import Text
from common.paths import SerialId
from registry.access import Admin, Keeper, Reader
from registry.civility import repository, service
from registry.civility.models import CivilityCatalogue, CivilityEvaluation
from registry.civility.schemas import CatalogueIn, CatalogueItem, CatalogueOut, EvaluationIn, EvaluationOut, Mark, ReviewIn

router = APIRouter(prefix="/v1/civility", tags=["civility"], responses=problems(401, 403, 422))


def cat_out(c: CivilityCatalogue) -> CatalogueOut:
    return CatalogueOut(version=c.version, title=c.title, items=[CatalogueItem(**i) for i in c.items],
                        base=c.base, created_at=c.created_at)


def out(e: CivilityEvaluation) -> EvaluationOut:
    return EvaluationOut(
        id=e.id, subject_id=e.subject_id, catalogue_version=e.catalogue_version, status=e.status,
        evaluated_on=e.evaluated_on, evaluators=e.evaluators, items=[Mark(**m) for m in e.items], points=e.points,
        base=e.base, score=e.score, positive_points=e.positive_points, negative_points=e.negative_points, veto=e.veto, veto_items=e.veto_items,
        aspects=e.aspects, recorded_by=e.recorded_by, recorded_at=e.recorded_at, reviewed_by=e.reviewed_by,
        reviewed_at=e.reviewed_at, review_note=e.review_note, published_by=e.published_by,
        published_at=e.published_at, subject_version=e.subject_version)


CATALOGUE = Text("catalogue", "评议目录")


@router.get("/catalogue", response_model=CatalogueOut, responses=problems(404))
async def current_catalogue(principal: Reader, session: Session) -> CatalogueOut:
    """The catalogue in force: positive, negative and veto items with points, by aspect."""
    found = await repository.catalogue(session)
    if found is None:
        raise not_found(CATALOGUE, "current")
    return cat_out(found)


@router.get("/catalogues/{version}", response_model=CatalogueOut, responses=problems(404))
async def catalogue_version(version: SerialId, principal: Reader, session: Session) -> CatalogueOut:
    found = await repository.catalogue(session, version)
    if found is None:
        raise not_found(CATALOGUE, version)
    return cat_out(found)


@router.post("/catalogues", status_code=201, response_model=CatalogueOut)
async def new_catalogue(body: CatalogueIn, principal: Admin, session: Session, request: Request) -> CatalogueOut:
    """A new catalogue version (the county's rules changed); earlier evaluations keep theirs."""
    return cat_out(await service.create_catalogue(session, principal, body, request.app.state.settings.civility_base))


@router.post("/evaluations", status_code=201, response_model=EvaluationOut)
async def record_evaluation(body: EvaluationIn, principal: Keeper, session: Session) -> EvaluationOut:
    """The evaluation group's findings for a household (评议): scored, not yet counted."""
    return out(await service.record(session, principal, body))


@router.post("/evaluations/{evaluation_id}/review", response_model=EvaluationOut, responses=problems(404))
async def review_evaluation(evaluation_id: str, body: ReviewIn, principal: Keeper, session: Session) -> EvaluationOut:
    """The review group's decision (审核), by someone other than who recorded it."""
    return out(await service.review(session, principal, evaluation_id, body))


@router.post("/evaluations/{evaluation_id}/publish", response_model=EvaluationOut, responses=problems(404))
async def publish_evaluation(evaluation_id: str, principal: Keeper, session: Session) -> EvaluationOut:
    """Publication (公开): the result counts from now on and rating hears of it."""
    return out(await service.publish(session, principal, evaluation_id))


@router.get("/evaluations/{evaluation_id}", response_model=EvaluationOut, responses=problems(404))
async def get_evaluation(evaluation_id: str, principal: Reader, session: Session) -> EvaluationOut:
    return out(await service.get_visible_evaluation(session, principal, evaluation_id))


@router.get("/evaluations", response_model=list[EvaluationOut])
async def list_evaluations(principal: Reader, session: Session, subject_id: str | None = None,
                           status: str | None = None, limit: int = Query(100, ge=1, le=1000)) -> list[EvaluationOut]:
    return [out(e) for e in await service.listing(session, principal, subject_id, status, limit)]
