"""Grades AAA–D (信用等级) and the plain rules about them: order, the credit line (A and above =
credit subject 信用户/信用主体), and dropping a grade by steps."""
from __future__ import annotations

from typing import Literal

Grade = Literal["AAA", "AA", "A", "B", "C", "D"]
# Best first.
GRADES: tuple[Grade, ...] = ("AAA", "AA", "A", "B", "C", "D")
CREDIT_GRADES: frozenset[str] = frozenset({"AAA", "AA", "A"})
RANK: dict[str, int] = {g: i for i, g in enumerate(GRADES)}


def is_credit(grade: str | None) -> bool:
    """A and above is a credit subject (信用户 / 信用主体)."""
    return grade in CREDIT_GRADES


def drop(grade: Grade, steps: int) -> Grade:
    """The grade ``steps`` lower, never below D."""
    return GRADES[min(RANK[grade] + max(steps, 0), len(GRADES) - 1)]


def worse(a: Grade, b: Grade) -> Grade:
    return a if RANK[a] >= RANK[b] else b
