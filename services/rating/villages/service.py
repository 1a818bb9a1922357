"""Recomputing credit villages (信用村) and towns (信用镇) from their households' final grades and
loans, in set queries over a batch of villages; a village or town whose grade changes emits
``rating-changed`` (kind village/town) with its own per-subject version."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.db import utcnow
from common.errors import not_found
from common.events import Event
from common.i18n import Text
from rating.access import check_region
from rating.ratings import events
from rating.ratings import repository as ratings_repo
from rating.ratings.schemas import GradeOut, grade_out
from rating.settings import RatingSettings
from rating.sql import chunks
from rating.subjects.repository import village_subject_ids
from rating.villages import repository as repo
from rating.villages.policy import LevelRating, VillagePolicy, rate_town, rate_village


def policy_from(settings: RatingSettings) -> VillagePolicy:
    return VillagePolicy(settings.credit_village_household_share, settings.credit_village_on_time_share,
                         settings.credit_village_max_npl_share, settings.credit_town_village_share)


def village_key(code: str) -> str:
    return f"village-{code}"


def town_key(code: str) -> str:
    return f"town-{code}"


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
        await ratings_repo.update_current(session, [{"subject_id": ident, **row}])
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
        metrics = await repo.village_metrics(session, part)
        regions = await repo.village_regions(session, part)
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
    counts = await repo.town_counts(session, codes)
    current = await ratings_repo.current(session, [town_key(c) for c in codes])
    for code in codes:
        c = counts.get(code)
        villages, credit = (int(c.villages), int(c.credit or 0)) if c else (0, 0)
        result = rate_town(villages, credit, policy)
        await _apply(session, "town", town_key(code), (c.county if c else None, code, None), result,
                     {"villages": villages, "credit_villages": credit}, current.get(town_key(code)), now, out)


async def village_standing(session: AsyncSession, code: str, who: Principal) -> GradeOut:
    """A village's credit-village standing (under the village's own subject id once the registry has one)."""
    check_region(who, code)
    own = await village_subject_ids(session, [code])
    grade = await ratings_repo.current_grade(session, own.get(code, village_key(code)))
    if grade is None:
        raise not_found(Text("village rating", "信用村评定结果"), code)
    return grade_out(grade, [], [])  # a village's or town's grade is its households' share, not indicators


async def town_standing(session: AsyncSession, code: str, who: Principal) -> GradeOut:
    check_region(who, code)
    grade = await ratings_repo.current_grade(session, town_key(code))
    if grade is None:
        raise not_found(Text("town rating", "信用镇评定结果"), code)
    return grade_out(grade, [], [])  # a village's or town's grade is its households' share, not indicators


async def recompute_one(session: AsyncSession, code: str, who: Principal, settings: RatingSettings) -> GradeOut:
    """Recompute a village and its town now, and answer the village's standing."""
    check_region(who, code)
    await recompute_villages(session, [code], utcnow(), settings)
    return await village_standing(session, code, who)
