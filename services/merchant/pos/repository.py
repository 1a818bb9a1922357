"""The POS look-up: one indexed query answers who the code belongs to, that household's grade
and consent, the merchant's standing, and which of its offers apply now."""
from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Row, and_, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from common.db import UTCDateTime
from merchant.codes.models import household_codes as c
from merchant.households.models import households as h
from merchant.merchants.models import VERIFIER
from merchant.merchants.models import merchants as m
from merchant.offers.models import offer_outlets as outlets
from merchant.offers.models import offers as o

_now = bindparam("now", type_=UTCDateTime())

# The household consented to this merchant's kind of use (benefit verifiers: ``benefits``, shops:
# ``merchant``). Without it not even its offers are looked for: a household without consent costs
# the database what an unknown code costs, so the answer does not tell them apart, even in time.
_consented = or_(and_(m.c.kind == VERIFIER, h.c.consent_benefits), and_(m.c.kind != VERIFIER, h.c.consent_merchant))

# Built once; SQLAlchemy caches its compiled form. Primary keys all the way: merchant, code,
# household, the merchant's outlets, each offer. An offer above today's grade, expired, withdrawn
# or out of budget does not join.
VERIFY = (
    select(m.c.kind.label("merchant_kind"), m.c.status.label("merchant_status"),
           c.c.status.label("code_status"), h.c.subject_id, h.c.masked_name, h.c.grade, h.c.vetoed,
           h.c.active, h.c.consent_merchant, h.c.consent_benefits, h.c.region,
           o.c.id.label("offer_id"), o.c.title, o.c.rule, o.c.stackable, o.c.programme_id, o.c.valid_until)
    .select_from(
        m.outerjoin(c, c.c.code_hash == bindparam("code_hash"))
        .outerjoin(h, h.c.subject_id == c.c.subject_id)
        .outerjoin(outlets, outlets.c.merchant_id == m.c.id)
        .outerjoin(o, and_(o.c.id == outlets.c.offer_id, _consented, o.c.status == "active", o.c.valid_from <= _now,
                           or_(o.c.valid_until.is_(None), o.c.valid_until > _now),
                           o.c.grade_mask.op("&")(h.c.grade_bit) != 0,
                           or_(o.c.budget_total_fen.is_(None), o.c.spent_fen < o.c.budget_total_fen))))
    .where(m.c.id == bindparam("merchant_id"))
    .order_by(o.c.created_at)
)


async def look_up(conn: AsyncConnection, merchant_id: str, code_hash: str, now: datetime) -> list[Row[Any]]:
    result = await conn.execute(VERIFY, {"merchant_id": merchant_id, "code_hash": code_hash, "now": now})
    return list(result.all())


class LookUpRow(NamedTuple):
    merchant_kind: str
    merchant_status: str
    code_status: str | None
    subject_id: str | None
    masked_name: str | None
    grade: str | None
    vetoed: bool
    active: bool
    consent_merchant: bool
    consent_benefits: bool
    region: dict[str, Any] | None
    offer_id: str | None
    title: str | None
    rule: Any  # the stored JSON as an orjson.Fragment: written out as is, never parsed here
    stackable: bool
    programme_id: str | None
    valid_until: datetime | str | None  # ISO 8601 text from the SQLite reader


# The same look-up in two statements for the SQLite reader: the household (one row), then the
# offers for its grade bit. Each is a primary-key walk of some microseconds; together they cost
# half the five-way join.
SQLITE_HOUSEHOLD = """
SELECT m.kind, m.status, c.status, h.subject_id, h.masked_name, h.grade, h.vetoed, h.active,
       h.consent_merchant, h.consent_benefits, h.region, h.grade_bit
FROM merchants m
LEFT JOIN household_codes c ON c.code_hash = ?
LEFT JOIN households h ON h.subject_id = c.subject_id
WHERE m.id = ?"""
SQLITE_OFFERS = """
SELECT o.id, o.title, o.rule, o.stackable, o.programme_id, o.valid_until
FROM offer_outlets l JOIN offers o ON o.id = l.offer_id
WHERE l.merchant_id = ? AND o.status = 'active' AND o.valid_from <= ?
  AND (o.valid_until IS NULL OR o.valid_until > ?) AND (o.grade_mask & ?) != 0
  AND (o.budget_total_fen IS NULL OR o.spent_fen < o.budget_total_fen)
ORDER BY o.created_at"""


class SQLiteVerifyReader:
    """The look-up on a plain sqlite3 connection of this process, run on the event loop.

    In WAL mode these reads take tens of microseconds from the page cache and never wait for a
    writer; a hop to aiosqlite's thread costs more than that (and much more on a busy machine).
    Autocommit: every look-up reads the latest committed grade, so the next scan after a downgrade
    sees it, whichever process wrote it. Nothing is cached."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn  # the process's keyed-read connection (common.db.KeyedReads)

    def look_up(self, merchant_id: str, code_hash: str, now: datetime) -> list[LookUpRow]:
        head = self.conn.execute(SQLITE_HOUSEHOLD, (code_hash, merchant_id)).fetchone()
        if head is None:
            return []
        region = orjson.loads(head[10]) if head[10] else None
        base = (head[0], head[1], head[2], head[3], head[4], head[5], bool(head[6]), bool(head[7]), bool(head[8]),
                bool(head[9]), region)
        consented = head[9] if head[0] == VERIFIER else head[8]  # as the joined statement's _consented
        if not head[11] or head[2] != "active" or not consented:
            return [LookUpRow(*base, None, None, None, False, None, None)]
        # SQLAlchemy keeps SQLite datetimes as naive UTC text in this format, so text order is time order.
        stamp = now.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        rows = self.conn.execute(SQLITE_OFFERS, (merchant_id, stamp, stamp, head[11])).fetchall()
        if not rows:
            return [LookUpRow(*base, None, None, None, False, None, None)]
        return [LookUpRow(*base, r[0], r[1], orjson.Fragment(r[2]), bool(r[3]), r[4],
                          r[5].replace(" ", "T") + "+00:00" if r[5] else None) for r in rows]
