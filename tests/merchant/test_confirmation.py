"""A final rating that confirms the same grade (old_grade == new_grade, from rating's own builder)
changes nothing for a household at the POS but the rating version it has applied."""
from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from common.db import utcnow
from common.events import Event, validate_event
from merchant.households import repository
from rating.ratings import events as rating_events
from tests.harness import DatabaseFactory, Keys, RunningService, start_service
from tests.merchant.support import REGION, apply, subject_event


@pytest.fixture
async def merchant(databases: DatabaseFactory, backend: str, keys: Keys) -> AsyncIterator[RunningService]:
    url = await databases.create("merchant", backend)
    async with start_service("merchant", url, keys) as svc:
        yield svc


def rated(version: int, old: str | None, new: str) -> Event:
    event = rating_events.rating_changed(
        subject_id="hh-conf", kind="household", county=REGION["county"], town=REGION["town"],
        village=REGION["village"], old_grade=old, new_grade=new, score=Decimal("85.00"), version=version,
        effective_at=utcnow(), reason="round" if old != new else f"confirmed {new} (round): ...")
    validate_event(event.to_dict())
    return event


async def row(svc: RunningService) -> dict[str, Any]:
    async with svc.db.transaction(write=False) as session:
        found = await repository.get(session, "hh-conf")
    assert found is not None
    return {k: v for k, v in found._mapping.items() if k != "updated_at"}


async def test_a_confirmation_is_harmless(merchant: RunningService) -> None:
    await apply(merchant.db, subject_event("hh-conf"), rated(1, None, "AA"))
    before = await row(merchant)
    await apply(merchant.db, rated(2, "AA", "AA"))
    assert await row(merchant) == before
    # The confirmation's version was applied: another event of the same version is skipped.
    await apply(merchant.db, rated(2, "AA", "B"))
    assert (await row(merchant))["grade"] == "AA"
