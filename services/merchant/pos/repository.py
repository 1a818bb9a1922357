"""The POS look-up: one indexed query answers who the code belongs to, that household's grade
and consent, the merchant's standing, and which of its offers apply now."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from common.db import UTCDateTime
from merchant.codes.models import household_codes as c
from merchant.households.models import households as h
from merchant.merchants.models import merchants as m
from merchant.offers.models import offer_outlets as outlets
from merchant.offers.models import offers as o

_now = bindparam("now", type_=UTCDateTime())

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
        .outerjoin(o, and_(o.c.id == outlets.c.offer_id, o.c.status == "active", o.c.valid_from <= _now,
                           or_(o.c.valid_until.is_(None), o.c.valid_until > _now),
                           o.c.grade_mask.op("&")(h.c.grade_bit) != 0,
                           or_(o.c.budget_total_fen.is_(None), o.c.spent_fen < o.c.budget_total_fen))))
    .where(m.c.id == bindparam("merchant_id"))
)


async def look_up(conn: AsyncConnection, merchant_id: str, code_hash: str, now: datetime) -> list[Row[Any]]:
    result = await conn.execute(VERIFY, {"merchant_id": merchant_id, "code_hash": code_hash, "now": now})
    return list(result.all())
