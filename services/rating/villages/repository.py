"""SQL of credit villages and towns: the figures of a batch of villages, their regions, and the
count of credit villages per town."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import case, distinct, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from rating.grades import CREDIT_GRADES
from rating.ratings.models import CurrentGrade
from rating.subjects.models import Loan, Subject
from rating.villages.policy import VillageMetrics


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


async def village_regions(session: AsyncSession, codes: list[str]) -> dict[str | None, tuple[str | None, str | None]]:
    rows = await session.execute(
        select(Subject.village, func.min(Subject.county).label("county"), func.min(Subject.town).label("town"))
        .where(Subject.village.in_(codes)).group_by(Subject.village))
    return {r.village: (r.county, r.town) for r in rows.all()}


async def town_counts(session: AsyncSession, codes: list[str]) -> dict[str | None, Any]:
    """Per town: its rated villages, how many are credit villages, and its county."""
    rows = await session.execute(
        select(CurrentGrade.town, func.count().label("villages"),
               func.sum(case((CurrentGrade.credit_village.is_(True), 1), else_=0)).label("credit"),
               func.min(CurrentGrade.county).label("county"))
        .where(CurrentGrade.kind == "village", CurrentGrade.town.in_(codes)).group_by(CurrentGrade.town))
    return {r.town: r for r in rows.all()}
