"""Recomputing credit villages (信用村) and towns (信用镇) from their households' final grades and
loans, in set queries over a batch of villages; a village or town whose grade changes emits
``rating-changed`` (kind village/town) with its own per-subject version."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import case, distinct, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.events import Event
from rating.grades import CREDIT_GRADES
from rating.ratings import events
from rating.ratings import repository as ratings_repo
from rating.ratings.models import CurrentGrade
from rating.settings import RatingSettings
from rating.sql import chunks
from rating.subjects.models import Loan, Subject
from rating.subjects.repository import village_subject_ids
from rating.villages.policy import LevelRating, VillageMetrics, VillagePolicy, rate_town, rate_village


def policy_from(settings: RatingSettings) -> VillagePolicy:
    return VillagePolicy(settings.credit_village_household_share, settings.credit_village_on_time_share,
                         settings.credit_village_max_npl_share, settings.credit_town_village_share)


def village_key(code: str) -> str:
    return f"village-{code}"


def town_key(code: str) -> str:
    return f"town-{code}"


async def village_rated(session: AsyncSession, code: str) -> bool:
    """Whether this village has been rated yet (it is first rated when a household's grade is final)."""
    found = await session.execute(select(CurrentGrade.subject_id).where(
        CurrentGrade.kind == "village", CurrentGrade.village == code).limit(1))
    return found.first() is not None


async def village_metrics(session: AsyncSession, codes: list[str]) -> dict[str, VillageMetrics]:
    households: dict[str | None, int] = dict((await session.execute(
        select(Subject.village, func.count()).where(Subject.kind == "household", Subject.status == "active",
                                                   Subject.village.in_(codes)).group_by(Subject.village))).tuples().all())
    credit: dict[str | None, int] = dict((await session.execute(
        select(CurrentGrade.village, func.count()).join(Subject, Subject.subject_id == CurrentGrade.subject_id)
        .where(CurrentGrade.kind == "household", Subject.status == "active", CurrentGrade.village.in_(codes),
               CurrentGrade.grade.in_(CREDIT_GRADES)).group_by(CurrentGrade.village))).tuples().all())
    in_arrears = case((or_(Loan.late_repayments > 0, Loan.status == "defaulted"), Loan.subject_id))
    loans = {r.village: r for r in (await session.execute(
        select(Loan.village, func.count(distinct(Loan.subject_id)).label("borrowers"),
               func.count(distinct(in_arrears)).label("arrears"), func.sum(Loan.amount).label("amount"),
               func.sum(case((Loan.status == "defaulted", Loan.outstanding), else_=0)).label("npl"))
        .where(Loan.village.in_(codes)).group_by(Loan.village))).all()}
    out = {}
    for code in codes:
        lo = loans.get(code)
        out[code] = VillageMetrics(
            households=int(households.get(code, 0)), credit_households=int(credit.get(code, 0)),
            borrowers=int(lo.borrowers) if lo else 0, borrowers_in_arrears=int(lo.arrears) if lo else 0,
            loan_amount=Decimal(str(lo.amount or 0)) if lo else Decimal(0),
            npl_amount=Decimal(str(lo.npl or 0)) if lo else Decimal(0))
    return out


async def _apply(session: AsyncSession, kind: str, ident: str, region: tuple[str | None, str | None, str | None],
                 result: LevelRating, metrics: dict[str, Any], before: Any, now: datetime,
                 out_events: list[Event]) -> None:
    county, town, village = region
    changed = before is None or before.grade != result.grade
    version = (before.version if before else 0) + (1 if changed else 0)
    row = {"kind": kind, "county": county, "town": town, "village": village, "grade": result.grade,
           "score": result.score, "vetoed": False, "credit_village": result.credit, "rating_id": None,
           "version": version, "reason": result.reason[:500], "metrics": metrics, "effective_at": now}
    if before is None:
        await ratings_repo.insert_current(session, [{"subject_id": ident, **row}])
    else:
        await ratings_repo.update_current(session, [{"key_id": ident, **row}])
    if changed:
        out_events.append(events.rating_changed(
            subject_id=ident, kind=kind, county=county, town=town, village=village,
            old_grade=before.grade if before else None, new_grade=result.grade, score=result.score, version=version,
            effective_at=now, reason=result.reason, credit_village=result.credit))


async def recompute_villages(session: AsyncSession, villages: Iterable[str | None], now: datetime,
                             settings: RatingSettings) -> None:
    """Re-rate these villages, then the towns they lie in (re-rating one level recomputes the one above)."""
    policy = policy_from(settings)
    codes = sorted({v for v in villages if v})
    towns: set[str] = set()
    out: list[Event] = []
    for chunk in chunks(codes, 500):
        part = list(chunk)
        metrics = await village_metrics(session, part)
        regions = {r.village: (r.county, r.town) for r in (await session.execute(
            select(Subject.village, func.min(Subject.county).label("county"), func.min(Subject.town).label("town"))
            .where(Subject.village.in_(part)).group_by(Subject.village))).all()}
        own = await village_subject_ids(session, part)
        keys = {code: own.get(code, village_key(code)) for code in part}
        current = await ratings_repo.current(session, list(keys.values()) + [village_key(c) for c in own])
        for code in part:
            ident = keys[code]
            before = current.get(ident)
            synthetic = current.get(village_key(code))
            if code in own and synthetic is not None:
                # The registry has since registered the village itself: carry on under its id.
                await ratings_repo.delete_current(session, village_key(code))
                before = before or synthetic
                if before is synthetic:
                    await ratings_repo.insert_current(session, [{**synthetic._asdict(), "subject_id": ident}])
            m = metrics[code]
            county, town = regions.get(code, (None, None))
            if town:
                towns.add(town)
            detail = {"households": m.households, "credit_households": m.credit_households, "borrowers": m.borrowers,
                      "borrowers_in_arrears": m.borrowers_in_arrears, "credit_share": str(m.credit_share),
                      "on_time_share": str(m.on_time_share), "npl_share": str(m.npl_share)}
            await _apply(session, "village", ident, (county, town, code), rate_village(m, policy), detail, before,
                         now, out)
    await recompute_towns(session, towns, now, settings, out)
    await events.write(session, out)


async def recompute_towns(session: AsyncSession, towns: Iterable[str], now: datetime, settings: RatingSettings,
                          out: list[Event]) -> None:
    policy = policy_from(settings)
    codes = sorted(towns)
    if not codes:
        return
    counts = {r.town: r for r in (await session.execute(
        select(CurrentGrade.town, func.count().label("villages"),
               func.sum(case((CurrentGrade.credit_village.is_(True), 1), else_=0)).label("credit"),
               func.min(CurrentGrade.county).label("county"))
        .where(CurrentGrade.kind == "village", CurrentGrade.town.in_(codes)).group_by(CurrentGrade.town))).all()}
    current = await ratings_repo.current(session, [town_key(c) for c in codes])
    for code in codes:
        c = counts.get(code)
        villages, credit = (int(c.villages), int(c.credit or 0)) if c else (0, 0)
        result = rate_town(villages, credit, policy)
        await _apply(session, "town", town_key(code), (c.county if c else None, code, None), result,
                     {"villages": villages, "credit_villages": credit}, current.get(town_key(code)), now, out)
