"""Credit village (信用村) and credit town (信用镇) policy: plain functions of a village's figures.

A village is a credit village when credit households (A or better) are at least 70 % of its
households, borrowers without arrears at least 85 %, and non-performing loans below 5 % (DOMAIN.md
defaults, set in settings). A town is a credit town when at least half its villages are credit
villages. Each also gets a grade so lending and merchant can treat it like any rated subject:
a credit village is A, AA from 80 % credit households, AAA from 90 %; below the line B, C or D.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from rating.grades import Grade

ONE = Decimal(1)
ZERO = Decimal(0)
CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class VillagePolicy:
    household_share: Decimal = Decimal("0.70")
    on_time_share: Decimal = Decimal("0.85")
    max_npl_share: Decimal = Decimal("0.05")
    town_village_share: Decimal = Decimal("0.50")


@dataclass(frozen=True, slots=True)
class VillageMetrics:
    households: int
    credit_households: int
    borrowers: int = 0
    borrowers_in_arrears: int = 0
    loan_amount: Decimal = ZERO
    npl_amount: Decimal = ZERO

    @property
    def credit_share(self) -> Decimal:
        return Decimal(self.credit_households) / self.households if self.households else ZERO

    @property
    def on_time_share(self) -> Decimal:
        return ONE - Decimal(self.borrowers_in_arrears) / self.borrowers if self.borrowers else ONE

    @property
    def npl_share(self) -> Decimal:
        return self.npl_amount / self.loan_amount if self.loan_amount > 0 else ZERO


@dataclass(frozen=True, slots=True)
class LevelRating:
    credit: bool
    grade: Grade
    score: Decimal        # the deciding share, as a percentage
    reason: str


def _pct(share: Decimal) -> Decimal:
    return (share * 100).quantize(CENT, ROUND_HALF_UP)


def rate_village(m: VillageMetrics, policy: VillagePolicy) -> LevelRating:
    share = m.credit_share
    misses = []
    if share < policy.household_share:
        misses.append(f"credit households {_pct(share)}% < {_pct(policy.household_share)}%")
    if m.on_time_share < policy.on_time_share:
        misses.append(f"borrowers without arrears {_pct(m.on_time_share)}% < {_pct(policy.on_time_share)}%")
    if m.npl_share >= policy.max_npl_share:
        misses.append(f"non-performing loans {_pct(m.npl_share)}% >= {_pct(policy.max_npl_share)}%")
    grade: Grade
    if not misses:
        grade = "AAA" if share >= Decimal("0.9") else "AA" if share >= Decimal("0.8") else "A"
        reason = (f"credit village (信用村): credit households {_pct(share)}%, borrowers without arrears "
                  f"{_pct(m.on_time_share)}%, non-performing {_pct(m.npl_share)}%")
    else:
        grade = "B" if share >= Decimal("0.5") else "C" if share >= Decimal("0.3") else "D"
        reason = "not a credit village: " + "; ".join(misses)
    return LevelRating(not misses, grade, _pct(share), reason)


def rate_town(villages: int, credit_villages: int, policy: VillagePolicy) -> LevelRating:
    share = Decimal(credit_villages) / villages if villages else ZERO
    grade: Grade
    if villages and share >= policy.town_village_share:
        grade = "AAA" if share >= Decimal("0.9") else "AA" if share >= Decimal("0.75") else "A"
        return LevelRating(True, grade, _pct(share), f"credit town (信用镇): {credit_villages} of {villages} "
                                                     f"villages are credit villages")
    grade = "B" if share >= Decimal("0.25") else "C" if credit_villages else "D"
    return LevelRating(False, grade, _pct(share), f"not a credit town: {credit_villages} of {villages} villages "
                                                  f"are credit villages (< {_pct(policy.town_village_share)}%)")
