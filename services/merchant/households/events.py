"""What this service learns from events: a household's masked name, region and consent
(subject-registered, subject-updated) and its grade (rating-changed). Each stream has its own
per-subject version, so a replayed or stale event changes nothing."""
from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.events import Event, accept_version
from merchant.grades import grade_bit
from merchant.households import repository

SUBJECT_STREAM = "merchant.subject"
RATING_STREAM = "merchant.rating"


def consent_columns(consent: dict[str, Any]) -> dict[str, bool]:
    """Consent (授权) to show the grade to merchants and to benefit verifiers. Given without scopes
    means every use the household signed for."""
    given = bool(consent.get("given"))
    scopes = consent.get("scopes")
    return {"consent_given": given,
            "consent_merchant": given and (not scopes or "merchant" in scopes),
            "consent_benefits": given and (not scopes or "benefits" in scopes)}


async def on_subject(session: AsyncSession, event: Event) -> None:
    """subject-registered / subject-updated."""
    data = event.data
    if not await accept_version(session, SUBJECT_STREAM, data["subject_id"], int(data["version"])):
        return
    await repository.save(session, data["subject_id"], {
        "kind": data["kind"], "masked_name": data["masked_name"], "region": data["region"],
        "region_code": repository.most_precise_region(data["region"]),
        "active": data["status"] == "active", **consent_columns(data["consent"])})


async def on_rating(session: AsyncSession, event: Event) -> None:
    """rating-changed: today's grade; a veto (一票否决) makes it match no offer."""
    data = event.data
    if not await accept_version(session, RATING_STREAM, data["subject_id"], int(data["version"])):
        return
    vetoed = bool(data["vetoed"])
    await repository.save(session, data["subject_id"], {
        "kind": data["kind"], "grade": data["new_grade"], "vetoed": vetoed,
        "grade_bit": grade_bit(data["new_grade"], vetoed),
        "region": data["region"], "region_code": repository.most_precise_region(data["region"])})


