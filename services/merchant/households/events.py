"""What this service learns from events: a household's masked name, region and consent
(subject-registered, subject-updated) and its grade (rating-changed). Each stream has its own
per-subject version, so a replayed or stale event changes nothing."""
from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.db import utcnow
from common.events import Event, accept_versions, batch, subject_rounds
from merchant.codes import repository as codes
from merchant.codes.models import REVOKED
from merchant.grade_changes import service as grade_feed
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
            "consent_merchant": given and (not scopes or "merchant" in scopes),
            "consent_benefits": given and (not scopes or "benefits" in scopes)}


@batch
async def on_subject(session: AsyncSession, events: list[Event]) -> None:
    """subject-registered / subject-updated. The registry's region is the household's (a move
    follows it: officers' scope, new redemptions' region). An archived file (deceased, moved
    away) has its code revoked: it verifies as an unknown code and cannot be redeemed."""
    for round_ in subject_rounds([e.data for e in events], key=lambda d: d["subject_id"]):
        accepted = await accept_versions(session, SUBJECT_STREAM, [(d["subject_id"], int(d["version"]))
                                                                   for d in round_])
        fresh = [d for d in round_ if d["subject_id"] in accepted]
        await repository.save_many(session, [{
            "subject_id": d["subject_id"], "kind": d["kind"], "masked_name": d["masked_name"], "region": d["region"],
            "region_code": repository.most_precise_region(d["region"]), "active": d["status"] == "active",
            **consent_columns(d["consent"])} for d in fresh])
        now = utcnow()
        for d in fresh:
            if d["status"] != "active":
                await codes.end_active(session, d["subject_id"], REVOKED, now)


@batch
async def on_rating(session: AsyncSession, events: list[Event]) -> None:
    """rating-changed: today's grade; a veto (一票否决) makes it match no offer. A change of what the
    till sees goes to the grade-change feed (merchant.grade_changes)."""
    for round_ in subject_rounds([e.data for e in events], key=lambda d: d["subject_id"]):
        accepted = await accept_versions(session, RATING_STREAM, [(d["subject_id"], int(d["version"]))
                                                                  for d in round_])
        await grade_feed.record(session, [{"subject_id": d["subject_id"], "grade": d["new_grade"],
                                           "vetoed": bool(d["vetoed"])} for d in round_ if d["subject_id"] in accepted])
        await repository.save_ratings(session, [{
            "subject_id": d["subject_id"], "kind": d["kind"], "grade": d["new_grade"], "vetoed": bool(d["vetoed"]),
            "grade_bit": grade_bit(d["new_grade"], bool(d["vetoed"])), "region": d["region"],
            "region_code": repository.most_precise_region(d["region"])} for d in round_ if d["subject_id"] in accepted])
