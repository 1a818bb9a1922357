"""The registry's facts reach lending (subject-registered, subject-updated): industry for products
such as 芡实贷, region for whole-village listings and officer scoping, archive for closing the
line, consent (授权, scope ``lending``) for what a bank may see."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.db import utcnow
from common.errors import ProblemError
from common.events import Event, accept_versions, batch, subject_rounds
from common.i18n import Text
from lending.credit_lines import repository as credit_lines
from lending.credit_lines.service import apply_facts
from lending.subjects import repository

log = logging.getLogger("lending.subjects")
SUBJECT_STREAM = "subject"
LENDING_SCOPE = "lending"


def consents_to_lending(consent: dict[str, Any] | None) -> bool:
    """Consent given for lending use: given, and ``lending`` among the scopes (given without any
    scope list means every use the subject signed for, as merchant reads it)."""
    if not consent or not consent.get("given"):
        return False
    scopes = consent.get("scopes")
    return scopes is None or LENDING_SCOPE in scopes


def refused(consent_lending: bool | int | None) -> bool:
    """True unless the registry said yes: a subject lending has not heard of from the registry yet
    (None: graded before its file's event arrived) is not consented, so nothing reaches a bank."""
    return not consent_lending


def no_consent(subject_id: str) -> ProblemError:
    """A bank asked about a subject that did not consent to lending use: no data, not even whether
    it has a line."""
    return ProblemError(403, Text("No consent", "未获授权"),
                        Text(f"subject {subject_id} has not consented to its credit information being used for "
                             "lending (授权范围 lacks 'lending')",
                             f"信用主体 {subject_id} 未授权将其信用信息用于贷款（授权范围不含 lending）"),
                        type="no-consent", scope=LENDING_SCOPE,
                        errors=[{"field": "subject_id",
                                 "message": Text("no consent for scope lending", "未授权用于贷款（lending）")}])


def facts_row(data: dict[str, Any], before: Any | None) -> dict[str, Any]:
    region: dict[str, Any] = data.get("region") or {}
    profile: dict[str, Any] = data.get("profile") or {}
    # subject-registered carries no status (a new file is active); an update without one keeps it.
    status = data.get("status") or (before.status if before is not None else "active")
    when = data.get("updated_at") or data.get("registered_at")
    return {"subject_id": data["subject_id"], "kind": data["kind"], "region_county": region.get("county"),
            "region_town": region.get("town"), "region_village": region.get("village"),
            "region_group": region.get("group"), "industry": profile.get("industry"), "status": status,
            "consent_lending": consents_to_lending(data.get("consent")), "version": int(data["version"]),
            "updated_at": datetime.fromisoformat(when) if when else utcnow()}


@batch
async def on_subject(session: AsyncSession, events: list[Event]) -> None:
    """Consumer of subject-registered / subject-updated: keep the facts, and carry them onto the
    subject's line if it has one (closed when archived; region, industry and consent follow)."""
    for round_ in subject_rounds([e.data for e in events], key=lambda d: d["subject_id"]):
        accepted = await accept_versions(session, SUBJECT_STREAM, [(d["subject_id"], int(d["version"]))
                                                                   for d in round_])
        for d in round_:
            if d["subject_id"] not in accepted:
                log.info("stale subject event skipped", extra={"subject_id": d["subject_id"], "version": d["version"]})
        fresh = [d for d in round_ if d["subject_id"] in accepted]
        if not fresh:
            continue
        ids = [d["subject_id"] for d in fresh]
        before = await repository.get_many(session, ids)
        rows = [facts_row(d, before.get(d["subject_id"])) for d in fresh]
        await repository.save_many(session, rows)
        lines = await credit_lines.get_many(session, ids, for_update=True)
        for row in rows:
            line = lines.get(row["subject_id"])
            if line is not None:  # most registrations come before any grade: no line yet
                await apply_facts(session, row, line)
