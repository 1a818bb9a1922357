"""Creating offers and showing them: the row from the payload, the view the API returns."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from common.money import fen_str, to_fen
from merchant.grades import grade_mask, grades_of
from merchant.offers.schemas import Terms


def offer_values(terms: Terms, *, title: str, rule: dict[str, Any], now: datetime,
                 merchant_id: str | None = None, programme_id: str | None = None) -> dict[str, Any]:
    def fen(v: Any) -> int | None:
        return None if v is None else to_fen(v)
    return {"id": f"o-{uuid.uuid4().hex[:12]}", "merchant_id": merchant_id, "programme_id": programme_id,
            "title": title, "kind": rule["kind"], "rule": rule, "grade_mask": grade_mask(terms.eligible_grades),
            "valid_from": terms.valid_from or now, "valid_until": terms.valid_until,
            "budget_total_fen": fen(terms.budget_total), "spent_fen": 0, "budget_daily_fen": fen(terms.budget_daily),
            "per_household_limit": terms.per_household_limit, "stackable": terms.stackable, "status": "active",
            "created_at": now}


def offer_view(row: Any) -> dict[str, Any]:
    def money(v: int | None) -> str | None:
        return None if v is None else fen_str(v)
    return {"id": row.id, "merchant_id": row.merchant_id, "programme_id": row.programme_id, "title": row.title,
            "rule": row.rule, "eligible_grades": grades_of(row.grade_mask), "valid_from": row.valid_from.isoformat(),
            "valid_until": row.valid_until.isoformat() if row.valid_until else None,
            "budget_total": money(row.budget_total_fen), "spent": fen_str(row.spent_fen),
            "budget_daily": money(row.budget_daily_fen), "per_household_limit": row.per_household_limit,
            "stackable": row.stackable, "status": row.status}
