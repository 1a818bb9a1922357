"""SQL for the change feed: its newest id and a bank's page (rows are written by common.feeds)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, and_, exists, func, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from common import feeds
from lending.applications.models import APPROVED, PENDING, Application
from lending.changes.models import FEED, FeedChange
from lending.credit_lines.models import ACTIVE, CreditLine
from lending.disclosures.models import Disclosure
from lending.loans.models import REPAID, Loan

_changes = cast(Table, FeedChange.__table__)
# Disclosures that do not make a relationship: the feed's own answers (else reading the feed
# would keep a household in it for ever) and refused attempts (no grade was shown).
FEED_CHANNELS = ("change-feed", "webhook")


async def last_id(session: AsyncSession) -> int:
    return await feeds.last_id(session, FEED)


def visible_to(bank_id: str, since: datetime) -> Any:
    """The changes of subjects ``bank_id`` has a relationship with: an open loan from it, an
    open application to it (or one made since ``since``), or a grade it was shown since ``since``
    (a defaulted loan is still open: the bank is owed);
    never a subject that refused lending use."""
    subject = _changes.c.subject_id
    loan = exists().where(Loan.bank_id == bank_id, Loan.subject_id == subject, Loan.status != REPAID)
    application = exists().where(Application.bank_id == bank_id, Application.subject_id == subject,
                                 or_(Application.status.in_((PENDING, APPROVED)), Application.submitted_at >= since))
    looked_up = exists().where(Disclosure.subject_id == subject, Disclosure.bank_id == bank_id,
                               Disclosure.disclosed_at >= since, Disclosure.grade.is_not(None),
                               Disclosure.channel.not_in(FEED_CHANNELS))
    refused = exists().where(CreditLine.subject_id == subject, CreditLine.consent_lending.is_(False))
    return and_(or_(loan, application, looked_up), ~refused)


async def page(session: AsyncSession, bank_id: str, after: int, upto: int, limit: int,
               since: datetime) -> Sequence[Row[Any]]:
    """Up to ``limit`` of the bank's changes with ``after < id <= upto``, by id."""
    q = (select(_changes).where(_changes.c.id > after, _changes.c.id <= upto, visible_to(bank_id, since))
         .order_by(_changes.c.id).limit(limit))
    return (await session.execute(q)).all()


async def by_ids(session: AsyncSession, ids: Sequence[int]) -> Sequence[Row[Any]]:
    return (await session.execute(select(_changes).where(_changes.c.id.in_(list(ids))).order_by(_changes.c.id))).all()


async def expired_candidates(session: AsyncSession, today: date, after: str, limit: int) -> Sequence[Row[Any]]:
    """Active lines whose term ended before ``today`` (by subject id, after ``after``), with when the
    feed last said the subject's line expired (None: never)."""
    lines = cast(Table, CreditLine.__table__).c
    said = (select(func.max(_changes.c.occurred_at)).where(_changes.c.subject_id == lines.subject_id,
                                                           _changes.c.kind == "expired").scalar_subquery())
    q = (select(lines.subject_id, lines.version, lines.grade, lines.status, lines.line_fen, lines.valid_until,
                said.label("said_at"))
         .where(lines.status == ACTIVE, lines.valid_until < today, lines.subject_id > after).order_by(lines.subject_id).limit(limit))
    return (await session.execute(q)).all()
