"""A final rating that confirms the same grade (rating now emits rating-changed for every final
rating, old_grade == new_grade) is harmless to the read model: only the rating version moves, no
counter changes. The events are rating's own (``rating.ratings.events.rating_changed``)."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from common.db import utcnow
from common.events import Event, validate_event
from rating.ratings import events as rating_events
from stats.readmodel.ops import rating_op
from stats.readmodel.projector import plan

VILLAGE = "341181100201"


def rated(version: int, old: str | None, new: str, days_ago: int) -> Event:
    event = rating_events.rating_changed(
        subject_id="hh-conf", kind="household", county=VILLAGE[:6], town=VILLAGE[:9], village=VILLAGE, old_grade=old,
        new_grade=new, score=Decimal("85.00"), version=version, effective_at=utcnow() - timedelta(days=days_ago),
        reason="round" if old != new else f"confirmed {new} (round): ...")
    validate_event(event.to_dict())
    return event


def test_a_confirmation_changes_nothing_but_the_rating_version() -> None:
    first = plan([rating_op(rated(1, None, "AA", 0))], {}, set())
    state = first.states["hh-conf"]
    assert first.current, "the first grade is counted"
    again = plan([rating_op(rated(2, "AA", "AA", 0))], {"hh-conf": state}, set())
    after = again.states["hh-conf"]
    assert after.v_rating == 2
    assert {**after.as_row(), "v_rating": 1} == state.as_row()
    assert not any(any(v for v in cell.values()) for cell in again.current.values()), again.current
