"""What this service learns from events: a household's masked name, region and consent
(subject-registered, subject-updated) and its grade (rating-changed). Each stream has its own
per-subject version, so a replayed or stale event changes nothing."""
from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.db import utcnow
from common.events import Event, accept_version
from merchant.codes import repository as codes
from merchant.codes.models import REVOKED
from merchant.grades import grade_bit
from merchant.households import repository

SUBJECT_STREAM = "merchant.subject"
RATING_STREAM = "merchant.rating"


def consent_columns(consent: dict[str, Any]) -> dict[str, bool]:
    """Consent (授权) to show the grade to merchants and to benefit verifiers. Given without scopes
    (the registry sends an empty list when the form names none) means every use; given with scopes
    means those uses only."""
    given = bool(consent.get("given"))
    scopes = consent.get("scopes") or None
    return {"consent_given": given,
            "consent_merchant": given and (scopes is None or "merchant" in scopes),
            "consent_benefits": given and (scopes is None or "benefits" in scopes)}


async def on_subject(session: AsyncSession, event: Event) -> None:
    """subject-registered / subject-updated. The registry's region is the household's (a move
    follows it: officers' scope, new redemptions' region). An archived file (deceased, moved
    away) has its code revoked: it verifies as an unknown code and cannot be redeemed."""
    data = event.data
    if not await accept_version(session, SUBJECT_STREAM, data["subject_id"], int(data["version"])):
        return
    active = data.get("status", "active") == "active"
    await repository.save(session, data["subject_id"], {
        "kind": data["kind"], "masked_name": data["masked_name"], "region": data["region"],
        "region_code": repository.most_precise_region(data["region"]),
        "active": active, **consent_columns(data["consent"])})
    if not active:
        await codes.end_active(session, data["subject_id"], REVOKED, utcnow())


async def on_rating(session: AsyncSession, event: Event) -> None:
    """rating-changed: today's grade; a veto (一票否决) makes it match no offer."""
    data = event.data
    if not await accept_version(session, RATING_STREAM, data["subject_id"], int(data["version"])):
        return
    vetoed = bool(data.get("vetoed", False))
    await repository.save_rating(session, data["subject_id"], {
        "kind": data["kind"], "grade": data["new_grade"], "vetoed": vetoed,
        "grade_bit": grade_bit(data["new_grade"], vetoed)},
        region=data["region"], region_code=repository.most_precise_region(data["region"]))


