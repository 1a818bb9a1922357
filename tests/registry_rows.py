"""Subject rows as the registry keeps them, for consumers' tests: the events come out of the
registry's own builders (``registry.events.registered`` / ``updated``) and its ``Consent`` model,
never from hand-written dicts."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from common.events import Event, validate_event
from registry import events
from registry.subjects.schemas import Consent, Profile

EVERY_SCOPE = ["rating", "lending", "merchant", "benefits", "statistics"]


def village_region(village: str) -> dict[str, str | None]:
    """The registry row's region columns of a 12-digit village code."""
    return {"county_code": village[:6], "town_code": village[:9], "village_code": village, "group_code": None}


def subject_row(subject_id: str, village: str, *, version: int = 1, kind: str = "household",
                scopes: list[str] | None = None, given: bool = True, status: str = "active",
                at: datetime | None = None, masked_name: str = "张*") -> dict[str, Any]:
    when = at or datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    consent = Consent(given=given, date=when.date() if given else None,
                      scopes=EVERY_SCOPE if scopes is None else scopes)  # type: ignore[arg-type]
    return {"id": subject_id, "kind": kind, **village_region(village), "version": version, "masked_name": masked_name,
            "profile": Profile(members_count=4).as_event(), "consent": consent.as_event(), "status": status,
            "created_at": when, "updated_at": when}


def _checked(event: Event) -> Event:
    validate_event(event.to_dict())
    return event


def registered(subject_id: str, village: str, **kw: Any) -> Event:
    return _checked(events.registered(subject_row(subject_id, village, **kw)))


def updated(subject_id: str, village: str, version: int, changed: list[str], **kw: Any) -> Event:
    return _checked(events.updated(subject_row(subject_id, village, version=version, **kw), changed))
