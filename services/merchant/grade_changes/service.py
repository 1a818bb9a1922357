"""The grade-change feed for merchants: recorded with each rating a household's till grade changes
by, read by a merchant that asked for it, of the households it served lately."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common import feeds
from common.db import utcnow
from common.errors import ProblemError
from common.i18n import Text
from merchant.disclosures.log import DisclosureLog
from merchant.grade_changes import repository
from merchant.grade_changes.models import FEED, grade_changes
from merchant.grade_changes.schemas import GradeChangeOut, GradeChangePageOut, SubscriptionOut

SCAN = 5000  # ids one page looks through at most (see lending.changes.service)


async def record(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """The one place a grade change is recorded: ``rows`` are rating-changed's new grades
    (``subject_id``, ``grade``, ``vetoed``), called before they are saved; those that change what the
    till sees are queued for the feed (numbered at commit by common.feeds)."""
    before = await repository.grades_before(session, [r["subject_id"] for r in rows])
    now = utcnow()
    changed = []
    for r in rows:
        old = before.get(r["subject_id"])
        if old is None or (old.grade, bool(old.vetoed)) != (r["grade"], bool(r["vetoed"])):
            changed.append({"subject_id": r["subject_id"], "old_grade": old.grade if old is not None else None,
                            "grade": r["grade"], "vetoed": bool(r["vetoed"]), "occurred_at": now})
    feeds.queue(session, FEED, grade_changes, changed)


async def subscribe(session: AsyncSession, merchant_id: str) -> SubscriptionOut:
    """Ask for the feed, from now on (asking again changes nothing)."""
    row = await repository.subscription(session, merchant_id)
    if row is None:
        await repository.subscribe(session, merchant_id, await repository.last_id(session), utcnow())
        row = await repository.subscription(session, merchant_id)
    assert row is not None
    return SubscriptionOut(merchant_id=merchant_id, subscribed=True, from_id=row.from_id,
                           subscribed_at=row.subscribed_at)


async def unsubscribe(session: AsyncSession, merchant_id: str) -> SubscriptionOut:
    await repository.unsubscribe(session, merchant_id)
    return SubscriptionOut(merchant_id=merchant_id, subscribed=False, from_id=None, subscribed_at=None)


def not_subscribed(merchant_id: str) -> ProblemError:
    return ProblemError(403, Text("Not subscribed", "未订阅"),
                        Text(f"merchant {merchant_id} has not asked for grade changes: POST /v1/grade-changes:subscribe first",
                             f"商户 {merchant_id} 尚未订阅信用等级变动，请先调用 POST /v1/grade-changes:subscribe"),
                        type="not-subscribed")


def change_out(r: Any) -> GradeChangeOut:
    return GradeChangeOut(id=r.id, subject_id=r.subject_id, masked_name=r.masked_name, old_grade=r.old_grade,
                          grade=r.grade, vetoed=r.vetoed, occurred_at=r.occurred_at)


async def page_for(session: AsyncSession, merchant_id: str, after: int, limit: int, relationship_days: int,
                   now: datetime | None = None) -> GradeChangePageOut:
    sub = await repository.subscription(session, merchant_id)
    if sub is None:
        raise not_subscribed(merchant_id)
    start = max(after, int(sub.from_id))
    latest = await repository.last_id(session)
    upto = min(latest, start + SCAN)
    since = (now or utcnow()) - timedelta(days=relationship_days)
    rows = await repository.page(session, merchant_id, start, upto, limit, since)
    next_after = rows[-1].id if len(rows) == limit else max(upto, start)
    return GradeChangePageOut(
        items=[change_out(r) for r in rows],
        next_after=next_after, latest=latest, next=f"/v1/grade-changes?after={next_after}&limit={limit}")


async def read(session: AsyncSession, log: DisclosureLog, merchant_id: str, after: int, limit: int,
               relationship_days: int) -> GradeChangePageOut:
    """A merchant's next page, each grade it shows logged as a disclosure (the feed's own outcome,
    which makes no relationship)."""
    page = await page_for(session, merchant_id, after, limit, relationship_days)
    for item in page.items:
        log.record(merchant_id=merchant_id, subject_id=item.subject_id, outcome=repository.FEED_OUTCOME,
                   grade=item.grade, purpose=repository.FEED_OUTCOME)
    return page
