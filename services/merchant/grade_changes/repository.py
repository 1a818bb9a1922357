"""SQL for the grade-change feed: the grades before a rating batch, subscriptions, a merchant's page."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, insert, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from common import feeds
from merchant.disclosures.models import disclosures
from merchant.grade_changes.models import FEED, grade_changes, grade_feed_subscriptions
from merchant.households.models import households
from merchant.redemptions.models import redemptions

# The feed's own answers make no relationship (else reading it would keep a household in it).
FEED_OUTCOME = "grade-feed"


async def grades_before(session: AsyncSession, subject_ids: Sequence[str]) -> dict[str, Row[Any]]:
    q = select(households.c.subject_id, households.c.grade, households.c.vetoed).where(
        households.c.subject_id.in_(list(subject_ids)))
    return {r.subject_id: r for r in await session.execute(q)}


async def last_id(session: AsyncSession) -> int:
    return await feeds.last_id(session, FEED)


async def subscription(session: AsyncSession, merchant_id: str) -> Row[Any] | None:
    q = select(grade_feed_subscriptions).where(grade_feed_subscriptions.c.merchant_id == merchant_id)
    return (await session.execute(q)).one_or_none()


async def subscribe(session: AsyncSession, merchant_id: str, from_id: int, at: datetime) -> None:
    await session.execute(insert(grade_feed_subscriptions).values(merchant_id=merchant_id, from_id=from_id,
                                                                 subscribed_at=at))


async def unsubscribe(session: AsyncSession, merchant_id: str) -> None:
    await session.execute(grade_feed_subscriptions.delete().where(grade_feed_subscriptions.c.merchant_id == merchant_id))


def served_by(merchant_id: str, since: datetime) -> Any:
    """Households the merchant served since ``since`` (a redemption at it, or a verify that showed it a
    grade) that consent to merchants seeing their grade (a condition on ``households``, which the
    query joins)."""
    subject = grade_changes.c.subject_id
    redeemed = exists().where(redemptions.c.merchant_id == merchant_id, redemptions.c.subject_id == subject,
                              redemptions.c.redeemed_at >= since)
    verified = exists().where(disclosures.c.merchant_id == merchant_id, disclosures.c.subject_id == subject,
                              disclosures.c.at >= since, disclosures.c.grade.is_not(None),
                              disclosures.c.outcome != FEED_OUTCOME)
    return and_(or_(redeemed, verified), households.c.consent_merchant.is_(True))  # households joined by page()


async def page(session: AsyncSession, merchant_id: str, after: int, upto: int, limit: int,
               since: datetime) -> Sequence[Row[Any]]:
    q = (select(grade_changes, households.c.masked_name)
         .join(households, households.c.subject_id == grade_changes.c.subject_id)
         .where(grade_changes.c.id > after, grade_changes.c.id <= upto, served_by(merchant_id, since))
         .order_by(grade_changes.c.id).limit(limit))
    return (await session.execute(q)).all()


async def by_ids(session: AsyncSession, ids: Sequence[int]) -> Sequence[Row[Any]]:
    """Changes by id, in id order, as a page shows them (a webhook's delivery, sent again as it was made)."""
    q = (select(grade_changes, households.c.masked_name)
         .join(households, households.c.subject_id == grade_changes.c.subject_id)
         .where(grade_changes.c.id.in_(list(ids))).order_by(grade_changes.c.id))
    return (await session.execute(q)).all()
