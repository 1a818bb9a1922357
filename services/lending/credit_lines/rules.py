"""What a grade change does to a line (DESIGN.md, "What a grade change does"). Plain functions.

- up: raised to the new grade's amount, new rate cap for new loans;
- down, still A or better: cut to the new amount (drawn may exceed it: nothing more can be drawn);
- below A, or vetoed: frozen, no new draws, existing loans run to term;
- back up: unfrozen at the new grade's amount;
- every final rating, a confirmation of the same grade too, renews the term from its effective day;
- a default holds the line frozen, whatever the grade, until a rating made after the default;
- an archived subject's line is closed and stays closed.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from lending.credit_lines.models import ACTIVE, CLOSED, FROZEN, NONE

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
    valid_from: date | None = None


def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def gets_line(kind: str) -> bool:
    """Households, new agricultural entities and collectives get lines; villages and towns do not."""
    return kind in LINE_KINDS


def decide(current: LineState | None, grade: str, vetoed: bool, terms: LineTerms | None, effective_day: date,
           *, held: bool = False, archived: bool = False) -> tuple[LineState, str]:
    """The line after a final grade made on ``effective_day``, and what happened: granted, raised,
    cut, renewed (same grade confirmed), regraded, unfrozen, frozen, closed or none (never had one).

    ``held``: a default froze the line and this rating was made before rating knew of it, so the
    line stays frozen whatever the grade. ``archived``: the registry archived the subject."""
    if archived:
        base = current or LineState(grade, CLOSED, 0, Decimal(0), None, None)
        return replace(base, grade=grade, status=CLOSED, valid_until=None), "closed"
    eligible = grade in CREDIT_GRADES and not vetoed and terms is not None
    if not eligible:
        if current is not None and current.status in (ACTIVE, FROZEN):
            return replace(current, grade=grade, status=FROZEN), "frozen"
        return LineState(grade, NONE, 0, Decimal(0), None, None), "none"
    assert terms is not None
    # The term runs from the rating that set the grade: a yearly confirmation renews it.
    new = LineState(grade, ACTIVE, terms.line_fen, terms.max_markup, add_months(effective_day, terms.validity_months),
                    terms.policy_version, effective_day)
    if held:
        return replace(new, status=FROZEN), "frozen"
    if current is None or current.status in (NONE, CLOSED):
        return new, "granted"
    if current.status == FROZEN:
        return new, "unfrozen"
    if terms.line_fen > current.line_fen:
        return new, "raised"
    if terms.line_fen < current.line_fen:
        return new, "cut"
    if current.grade == grade:
        return new, "renewed"
    return new, "regraded"


def reapply(current: LineState, terms: LineTerms | None, *, blocked: bool) -> tuple[LineState, str] | None:
    """The line under the policy in force now (amount, markup, validity from the term's start), or
    None if the policy changes nothing for it. Lines below A, without a line or closed are left
    alone; ``blocked`` (vetoed, or held by a default) keeps a frozen line frozen."""
    if current.status not in (ACTIVE, FROZEN) or current.grade not in CREDIT_GRADES:
        return None
    if terms is None:  # the new policy gives this kind and grade no line
        return (replace(current, status=FROZEN), "policy") if current.status == ACTIVE else None
    valid_until = (add_months(current.valid_from, terms.validity_months) if current.valid_from is not None
                   else current.valid_until)
    status = FROZEN if blocked else ACTIVE
    new = replace(current, status=status, line_fen=terms.line_fen, max_markup=terms.max_markup,
                  valid_until=valid_until, policy_version=terms.policy_version)
    return None if new == current else (new, "policy")


def available_fen(status: str, line_fen: int, drawn_fen: int, valid_until: date | None, today: date) -> int:
    """What can still be drawn: nothing unless active and in term; never below zero (after a cut)."""
    if status != ACTIVE or (valid_until is not None and valid_until < today):
        return 0
    return max(line_fen - drawn_fen, 0)
