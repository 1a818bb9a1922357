"""What a grade change does to a line (DESIGN.md, "What a grade change does"). Plain functions.

- up: raised to the new grade's amount, new rate cap for new loans;
- down, still A or better: cut to the new amount (drawn may exceed it: nothing more can be drawn);
- below A, or vetoed: frozen, no new draws, existing loans run to term;
- back up: unfrozen at the new grade's amount.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from lending.credit_lines.models import ACTIVE, FROZEN, NONE

CREDIT_GRADES = ("A", "AA", "AAA")
LINE_KINDS = ("household", "new_entity", "collective")


@dataclass(frozen=True)
class LineTerms:
    """What the policy in force gives one kind and grade."""

    policy_version: int
    line_fen: int
    max_markup: Decimal
    validity_months: int


@dataclass(frozen=True)
class LineState:
    grade: str | None
    status: str
    line_fen: int
    max_markup: Decimal
    valid_until: date | None
    policy_version: int | None


def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def gets_line(kind: str) -> bool:
    """Households, new agricultural entities and collectives get lines; villages and towns do not."""
    return kind in LINE_KINDS


def decide(current: LineState | None, grade: str, vetoed: bool, terms: LineTerms | None,
           today: date) -> tuple[LineState, str]:
    """The line after a final grade, and what happened: granted, raised, cut, regraded, unfrozen,
    frozen or none (no line, never had one)."""
    eligible = grade in CREDIT_GRADES and not vetoed and terms is not None
    if not eligible:
        if current is not None and current.status in (ACTIVE, FROZEN):
            return replace(current, grade=grade, status=FROZEN), "frozen"
        return LineState(grade, NONE, 0, Decimal(0), None, None), "none"
    assert terms is not None
    renew = current is None or current.status != ACTIVE or current.valid_until is None or current.valid_until < today
    valid_until = add_months(today, terms.validity_months) if renew or current is None else current.valid_until
    new = LineState(grade, ACTIVE, terms.line_fen, terms.max_markup, valid_until, terms.policy_version)
    if current is None or current.status == NONE:
        return new, "granted"
    if current.status == FROZEN:
        return new, "unfrozen"
    if terms.line_fen > current.line_fen:
        return new, "raised"
    if terms.line_fen < current.line_fen:
        return new, "cut"
    return new, "regraded"


def available_fen(status: str, line_fen: int, drawn_fen: int, valid_until: date | None, today: date) -> int:
    """What can still be drawn: nothing unless active and in term; never below zero (after a cut)."""
    if status != ACTIVE or (valid_until is not None and valid_until < today):
        return 0
    return max(line_fen - drawn_fen, 0)
