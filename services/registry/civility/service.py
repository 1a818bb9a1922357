"""The civility evaluation procedure (三议两审一公开): the evaluation group records, a different
person reviews, and publication makes it count (a ``civility-evaluated`` event for rating)."""
from __future__ import annotations

import logging
import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.db import Database, utcnow
from common.errors import ProblemError, conflict, field_error, not_found
from common.events import emit
from common.i18n import Text
from registry import events
from registry.access import region_prefix
from registry.civility import repository
from registry.civility.default_catalogue import default_items
from registry.civility.models import CivilityCatalogue, CivilityEvaluation
from registry.civility.schemas import CatalogueIn, EvaluationIn, ReviewIn
from registry.civility.scoring import DEFAULT_BASE, UnknownItem, score
from registry.subjects import repository as subjects
from registry.subjects.service import get_visible

log = logging.getLogger("registry.civility")
DEFAULT_TITLE = "Default civility catalogue (3+8+N): 8 aspects, 66 items, veto list"


async def ensure_default_catalogue(db: Database, base: int = DEFAULT_BASE) -> None:
    """Version 1 is the shipped default; made once, by whichever process gets there first."""
    async with db.transaction(write=False) as session:
        if await repository.latest_version(session) > 0:
            return
    try:
        async with db.transaction() as session:
            await repository.add_catalogue(session, {"version": 1, "title": DEFAULT_TITLE, "items": default_items(),
                                                     "base": base, "created_at": utcnow(), "created_by": "system"})
    except IntegrityError:
        pass


async def create_catalogue(session: AsyncSession, principal: Principal, body: CatalogueIn,
                           default_base: int = DEFAULT_BASE) -> CivilityCatalogue:
    version = await repository.latest_version(session) + 1
    try:
        await repository.add_catalogue(session, {"version": version, "title": body.title,
                                                 "items": [i.model_dump() for i in body.items],
                                                 "base": body.base if body.base is not None else default_base,
                                                 "created_at": utcnow(), "created_by": principal.caller_id})
    except IntegrityError:
        raise conflict(Text("Catalogue version taken", "目录版本号已被占用"),
                       Text("another catalogue was created meanwhile; try again", "同时有另一份评议目录被创建，请重试")) from None
    found = await repository.catalogue(session, version)
    assert found is not None
    return found


async def record(session: AsyncSession, principal: Principal, body: EvaluationIn) -> CivilityEvaluation:
    subject = await get_visible(session, principal, body.subject_id)
    if subject.kind != "household":
        raise field_error("subject_id", Text("civility evaluations are of households", "乡风文明评议只针对农户"))
    cat = await repository.catalogue(session, body.catalogue_version)
    if cat is None:
        raise field_error("catalogue_version", Text(f"no catalogue version {body.catalogue_version}",
                                                    f"没有第 {body.catalogue_version} 版评议目录"))
    try:
        result = score(cat.items, [(m.code, m.times) for m in body.items], cat.base)
    except UnknownItem as exc:
        raise field_error(f"items[{exc.index}].code", exc.text) from None
    eid = str(uuid.uuid4())
    await repository.add_evaluation(session, {
        "id": eid, "subject_id": subject.id, "village_code": subject.village_code, "catalogue_version": cat.version,
        "status": "recorded", "evaluated_on": body.evaluated_on, "evaluators": body.evaluators,
        "items": [m.model_dump() for m in body.items], "points": result.points,
        "base": result.base, "score": result.score,
        "positive_points": result.positive_points, "negative_points": result.negative_points, "veto": result.veto,
        "veto_items": result.veto_items, "aspects": result.aspects, "recorded_by": who(principal),
        "recorded_at": utcnow()})
    return await _get(session, eid)


async def _get(session: AsyncSession, evaluation_id: str) -> CivilityEvaluation:
    found = await repository.get(session, evaluation_id)
    assert found is not None
    return found


async def get_visible_evaluation(session: AsyncSession, principal: Principal, evaluation_id: str) -> CivilityEvaluation:
    ev = await repository.get(session, evaluation_id)
    if ev is None or not principal.in_region(ev.village_code):
        raise not_found(Text("evaluation", "评议记录"), evaluation_id)
    return ev


def wrong_state(ev: CivilityEvaluation, wanted: str) -> ProblemError:
    return conflict(Text("Wrong state", "状态不符"),
                    Text(f"the evaluation is {ev.status}; this step needs it {wanted}",
                         f"该评议记录的状态为 {ev.status}，这一步需要状态为 {wanted}"),
                    type="evaluation-state", status_now=ev.status)


def who(principal: Principal) -> str:
    """The person, not just the office: officers of one region share a caller id."""
    return f"{principal.caller_id}/{principal.sub}"


async def review(session: AsyncSession, principal: Principal, evaluation_id: str, body: ReviewIn) -> CivilityEvaluation:
    ev = await get_visible_evaluation(session, principal, evaluation_id)
    if ev.status != "recorded":
        raise wrong_state(ev, "recorded")
    if who(principal) == ev.recorded_by:
        raise conflict(Text("Same person", "同一人不能复核"),
                       Text("the review must be done by someone other than who recorded it",
                            "复核须由录入人以外的另一人进行（四眼原则）"),
                       type="four-eyes")
    ok = await repository.move(session, ev.id, "recorded", {
        "status": "reviewed" if body.approved else "returned", "reviewed_by": who(principal),
        "reviewed_at": utcnow(), "review_note": body.note})
    if not ok:
        raise wrong_state(ev, "recorded")
    await session.refresh(ev)
    return ev


async def publish(session: AsyncSession, principal: Principal, evaluation_id: str) -> CivilityEvaluation:
    """Publication (公开): the result now counts; one more version of the subject and an event."""
    ev = await get_visible_evaluation(session, principal, evaluation_id)
    if ev.status != "reviewed":
        raise wrong_state(ev, "reviewed")
    version = await subjects.bump_version(session, ev.subject_id, principal.caller_id, "civility-published",
                                          ["civility"], {"evaluation_id": ev.id, "score": ev.score, "veto": ev.veto})
    now = utcnow()
    if not await repository.move(session, ev.id, "reviewed", {"status": "published", "published_by": who(principal),
                                                               "published_at": now, "subject_version": version}):
        raise wrong_state(ev, "reviewed")
    await session.refresh(ev)
    await emit(session, events.civility_evaluated(
        subject_id=ev.subject_id, evaluation_id=ev.id, catalogue_version=ev.catalogue_version, score=ev.score,
        base=ev.base, positive_points=ev.positive_points, negative_points=ev.negative_points, veto=ev.veto,
        veto_items=ev.veto_items, aspects=ev.aspects, version=version, published_at=now))
    log.info("civility evaluation published", extra={"evaluation_id": ev.id, "subject_id": ev.subject_id,
                                                     "version": version, "veto": ev.veto})
    return ev


async def listing(session: AsyncSession, principal: Principal, subject_id: str | None, status: str | None,
                  limit: int) -> list[CivilityEvaluation]:
    return await repository.listing(session, prefix=region_prefix(principal), subject_id=subject_id, status=status,
                                    limit=limit)
