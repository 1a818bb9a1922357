"""Grades (信用等级) as this service uses them: a bit per grade so an offer's eligible grades are
one integer mask, and "A or better" is what makes a credit household (信用户)."""
from __future__ import annotations

from collections.abc import Iterable

GRADES = ("AAA", "AA", "A", "B", "C", "D")
CREDIT_GRADES = frozenset({"AAA", "AA", "A"})
GRADE_BITS = {g: 1 << i for i, g in enumerate(GRADES)}


def grade_bit(grade: str | None, vetoed: bool = False) -> int:
    """The household's bit; a vetoed (一票否决) or unknown grade matches no offer."""
    if grade is None or vetoed:
        return 0
    return GRADE_BITS[grade]


def grade_mask(grades: Iterable[str]) -> int:
    mask = 0
    for g in grades:
        mask |= GRADE_BITS[g]
    return mask


def grades_of(mask: int) -> list[str]:
    return [g for g in GRADES if mask & GRADE_BITS[g]]


def is_credit_household(grade: str | None, vetoed: bool = False) -> bool:
    """A and above, not vetoed: a credit household (信用户)."""
    return grade in CREDIT_GRADES and not vetoed
