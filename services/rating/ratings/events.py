"""The ``rating-changed`` events rating produces, written to the outbox with the change
(a round's finalisation writes a whole batch in one statement through ``emit_many``)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from common.events import Event
from common.events.outbox import emit_many
from common.events.payload import instant, region

SOURCE = "rating"
TYPE = "rating-changed"


def rating_changed(*, subject_id: str, kind: str, county: str | None, town: str | None, village: str | None,
                   old_grade: str | None, new_grade: str, score: Decimal, version: int, effective_at: datetime,
                   reason: str, vetoed: bool = False, indicator_system_version: int | None = None,
                   credit_village: bool | None = None, group: str | None = None) -> Event:
    """rating-changed: the one builder of the event lending, merchant and stats consume."""
    codes = {"county": county, "town": town, "village": village, "group": group}
    data = {"subject_id": subject_id, "kind": kind, "region": region(codes),
            "old_grade": old_grade, "new_grade": new_grade, "score": f"{score:.2f}", "version": version,
            "effective_at": instant(effective_at), "reason": reason[:500], "vetoed": vetoed,
            "indicator_system_version": indicator_system_version, "credit_village": credit_village}
    return Event(type=TYPE, source=SOURCE, subject=subject_id, data=data)


async def write(session: AsyncSession, events: Sequence[Event], *, urgent: bool = False) -> None:
    """``urgent``: by the urgent lane, for a grade that must reach the banks and tills at once (a
    veto raised or cleared) even while a round's events queue."""
    await emit_many(session, list(events), urgent=urgent)
