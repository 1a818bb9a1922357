"""What cost a subject points and what would raise its grade (提升建议): plain functions over the
scored indicators and the grade thresholds, no I/O.

``would_raise`` answers "which one or two indicators, improved, lift the subject to the next grade,
and by how many points": a single indicator that lacks at least the gap to the next grade's
threshold is enough on its own (the two with the most room are named, each needing the whole gap);
failing that, the two with the most room together, the first improved fully and the second by the
rest; if even they cannot close the gap, nothing is named (no one or two indicators would do)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from rating.grades import Grade

CENT = Decimal("0.01")
MAX_SUGGESTIONS = 2


@dataclass(frozen=True, slots=True)
class IndicatorScore:
    """One indicator's points in a score, out of its weight (``of_points``)."""

    code: str
    points: Decimal
    of_points: Decimal

    @property
    def lacking(self) -> Decimal:
        return self.of_points - self.points


@dataclass(frozen=True, slots=True)
class Raise:
    """Improving ``indicator`` by ``points_needed`` points lifts the subject to ``next_grade``."""

    indicator: str
    points_needed: Decimal
    next_grade: Grade


def cost_points(indicators: Sequence[IndicatorScore]) -> list[IndicatorScore]:
    """The indicators that cost points, the most lacking first (then by code, so the order is stable)."""
    return sorted((i for i in indicators if i.points < i.of_points), key=lambda i: (-i.lacking, i.code))


def next_threshold(score: Decimal, grade_bands: Sequence[tuple[Decimal, Decimal, Grade]]) -> tuple[Decimal, Grade] | None:
    """The lowest score of the next better grade above ``score`` and that grade (None at the top).
    ``grade_bands`` are (min, max, grade) as the indicator system publishes them."""
    above = [(lo, grade) for lo, _hi, grade in grade_bands if lo > score]
    return min(above, key=lambda t: t[0]) if above else None


def would_raise(indicators: Sequence[IndicatorScore], score: Decimal,
                grade_bands: Sequence[tuple[Decimal, Decimal, Grade]]) -> list[Raise]:
    """The one or two indicators whose improvement lifts ``score`` to the next grade, and by how much."""
    found = next_threshold(score, grade_bands)
    if found is None:
        return []
    threshold, grade = found
    gap = (threshold - score).quantize(CENT, ROUND_HALF_UP)
    room = cost_points(indicators)
    alone = [i for i in room if i.lacking >= gap]
    if alone:
        return [Raise(i.code, gap, grade) for i in alone[:MAX_SUGGESTIONS]]
    if len(room) >= 2 and room[0].lacking + room[1].lacking >= gap:
        first = room[0].lacking.quantize(CENT, ROUND_HALF_UP)
        return [Raise(room[0].code, first, grade), Raise(room[1].code, gap - first, grade)]
    return []
