"""The change feed's rules and reads: which line changes a bank hears of, recorded with the change
itself, and a bank's page of them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from common import feeds
from common.clock import beijing_day_bounds
from common.db import utcnow
from lending.changes import repository
from lending.changes.models import FEED, FeedChange
from lending.changes.schemas import LineChangeOut
from lending.credit_lines.models import FROZEN
from lending.money import fen_str

# The feed's kinds; the line's own history says more (renewed, moved, none, drawn ...).
KINDS = ("granted", "raised", "cut", "frozen", "unfrozen", "expired", "closed", "regraded")
FEED_TABLE = cast(Table, FeedChange.__table__)
# How many ids one page looks through at most, whatever it finds: a bank with few households
# gets short (even empty) pages with a cursor that moves on, never a scan of the whole feed.
SCAN = 5000
EXPIRY_CHUNK = 1000


def feed_kind(change: str, status: str, old_limit_fen: int, limit_fen: int) -> str | None:
    """The feed's kind for a history ``change``, or None if banks need not hear of it. A policy
    (re)applied is said as what it did to the line."""
    if change == "policy":
        if status == FROZEN:
            return "frozen"
        return "raised" if limit_fen > old_limit_fen else "cut" if limit_fen < old_limit_fen else None
    return change if change in KINDS else None


def record(session: AsyncSession, history: list[dict[str, Any]]) -> None:
    """Queue the feed rows of these line history rows; they are numbered and written as the
    transaction commits (``common.feeds``), so a rolled-back change leaves no trace."""
    rows = []
    for h in history:
        kind = feed_kind(h["change"], h["status"], int(h["old_line_fen"]), int(h["line_fen"]))
        if kind is not None:
            rows.append({"subject_id": h["subject_id"], "line_version": h["version"], "kind": kind,
                         "old_grade": h["old_grade"], "grade": h["grade"], "status": h["status"],
                         "old_limit_fen": h["old_line_fen"], "limit_fen": h["line_fen"],
                         "occurred_at": h["changed_at"]})
    feeds.queue(session, FEED, FEED_TABLE, rows)


async def record_expiries(session: AsyncSession, today: date) -> int:
    """``expired`` for each active line whose term ended before ``today`` (Beijing) and that the feed
    has not yet said expired since (a renewal sets a new term, which can expire again). Nothing on
    the line itself changes: an expired line simply cannot be drawn."""
    found, after = 0, ""
    while True:
        candidates = await repository.expired_candidates(session, today, after, EXPIRY_CHUNK)
        # A term expires at the end of its last Beijing day; that moment is the change's time, so
        # "said for this term" is a row at or after it.
        ends = {c.subject_id: beijing_day_bounds(c.valid_until)[1] for c in candidates}
        fresh = [c for c in candidates if c.said_at is None or c.said_at < ends[c.subject_id]]
        record(session, [{"subject_id": c.subject_id, "version": c.version, "change": "expired",
                          "old_grade": c.grade, "grade": c.grade, "status": c.status, "old_line_fen": c.line_fen,
                          "line_fen": c.line_fen, "changed_at": ends[c.subject_id]} for c in fresh])
        found += len(fresh)
        if len(candidates) < EXPIRY_CHUNK:
            return found
        after = candidates[-1].subject_id


def change_out(row: Any) -> LineChangeOut:
    return LineChangeOut(id=row.id, subject_id=row.subject_id, line_version=row.line_version, kind=row.kind,
                         old_grade=row.old_grade, grade=row.grade, status=row.status,
                         old_limit=fen_str(row.old_limit_fen), limit=fen_str(row.limit_fen),
                         occurred_at=row.occurred_at)


@dataclass(frozen=True, slots=True)
class Page:
    items: list[LineChangeOut]
    next_after: int  # where the next read starts: past every id this one looked at
    latest: int


async def page_for(session: AsyncSession, bank_id: str, after: int, limit: int, relationship_days: int,
                   now: datetime | None = None) -> Page:
    """A bank's next changes after ``after``. Looks at ``SCAN`` ids at most; a full page ends at
    its last item, a short one at the last id looked at (there was nothing more for this bank)."""
    latest = await repository.last_id(session)
    upto = min(latest, after + SCAN)
    since = (now or utcnow()) - timedelta(days=relationship_days)
    rows = await repository.page(session, bank_id, after, upto, limit, since)
    next_after = rows[-1].id if len(rows) == limit else max(upto, after)
    return Page([change_out(r) for r in rows], next_after, latest)
