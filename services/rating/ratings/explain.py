"""Grade reasons for people (评级理由): each indicator that cost points with its Chinese and English
label, and what would raise the grade (``scoring.advice``).

A rating stores them compactly (codes and points, ``stored_explanation``); the labels come from
the indicator system version that scored it when the rating is read. Ratings made before the
structured reasons have only their English strings: those are read back into the same shape."""
from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rating.indicators.repository import compiled
from rating.indicators.schemas import split_name
from rating.ratings import repository as repo
from rating.ratings.models import CurrentGrade, Rating
from rating.ratings.schemas import GradeOut, IndicatorReason, Label, RatingOut, WouldRaise, grade_out, rating_out
from rating.scoring.engine import ScoreResult

Labels = Mapping[str, tuple[str, str]]  # indicator code -> (Chinese, English)
# The English reason ratings carried before: "income (annual income 家庭年收入): 6.00 of 12 points".
_OLD_REASON = re.compile(r"^([a-z][a-z0-9_]*) \((.*)\): (-?\d+(?:\.\d+)?) of (\d+(?:\.\d+)?) points$")


def stored_explanation(result: ScoreResult) -> dict[str, Any]:
    """What a rating row keeps: every indicator that cost points and what would raise the grade."""
    return {"indicators": [{"indicator": i.code, "points": str(i.points), "of_points": str(i.of_points)}
                           for i in result.lost],
            "would_raise": [{"indicator": r.indicator, "points_needed": str(r.points_needed), "next_grade": r.next_grade}
                            for r in result.would_raise]}


def _label(code: str, labels: Labels, fallback: str | None = None) -> Label:
    zh, en = labels.get(code) or split_name(fallback or code)
    return Label(zh=zh, en=en)


def explained(explanation: Mapping[str, Any] | None, reasons: list[str] | None,
              labels: Labels) -> tuple[list[IndicatorReason], list[WouldRaise]]:
    """The structured reasons of a rating: stored ones, or those its English strings name."""
    if explanation is None:
        found = [m for m in (_OLD_REASON.match(r) for r in reasons or []) if m]
        return [IndicatorReason(indicator=m[1], points=Decimal(m[3]), of_points=Decimal(m[4]),
                                label=_label(m[1], labels, m[2])) for m in found], []
    lost = [IndicatorReason(indicator=i["indicator"], points=Decimal(i["points"]), of_points=Decimal(i["of_points"]),
                            label=_label(i["indicator"], labels)) for i in explanation.get("indicators") or []]
    raises = [WouldRaise(indicator=r["indicator"], points_needed=Decimal(r["points_needed"]),
                         next_grade=r["next_grade"], label=_label(r["indicator"], labels))
              for r in explanation.get("would_raise") or []]
    return lost, raises


async def labels_of(session: AsyncSession, kind: str, version: int | None) -> Labels:
    system = await compiled(session, kind, version) if version is not None else None
    return system.labels if system is not None else {}


async def rating_view(session: AsyncSession, rating: Rating) -> RatingOut:
    lost, raises = explained(rating.explanation, rating.reasons,
                             await labels_of(session, rating.kind, rating.indicator_system_version))
    return rating_out(rating, lost, raises)


async def grade_view(session: AsyncSession, grade: CurrentGrade) -> GradeOut:
    """A final grade with the reasons of the rating that made it (villages and towns have none)."""
    rating = await repo.get(session, grade.rating_id) if grade.rating_id is not None else None
    if rating is None or rating.subject_id != grade.subject_id:
        return grade_out(grade, [], [])
    lost, raises = explained(rating.explanation, rating.reasons,
                             await labels_of(session, rating.kind, rating.indicator_system_version))
    return grade_out(grade, lost, raises)
