"""Event handlers: rating keeps the data it scores from the registry's and lending's events.

Per-subject versions make a stale or replayed event harmless (the inbox already dedupes ids). A
veto item raised or cleared — a negative-list record, a civility veto, a loan default or its cure
(the defaulted loan fully repaid) — re-rates at once; a default or a late repayment also recomputes
the village (its borrowers' figures changed); other repayments count in the next rating.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.db import utcnow
from common.events import Event, TopicHandler, accept_version, batch
from rating.ratings.lifecycle import SCORED_KINDS, rate_subject
from rating.settings import RatingSettings
from rating.subjects import repository as repo
from rating.subjects.consent import consents_to_rating
from rating.villages.repository import village_rated
from rating.villages.service import recompute_villages

Handler = Callable[[AsyncSession, Event], Awaitable[None]]
ACTOR = "system:events"


def _time(value: str | None) -> datetime:
    return datetime.fromisoformat(value) if value else utcnow()


async def rerate_at_once(session: AsyncSession, subject_id: str, settings: RatingSettings, why: str) -> None:
    subject = await repo.get_subject(session, subject_id)
    if subject is None or subject.kind not in SCORED_KINDS or subject.status != "active" or not subject.rating_consent:
        return  # scored when it is registered and rated (and consents to it)
    await rate_subject(session, subject, settings, trigger=why, actor=ACTOR, final_now=True)


def make_handlers(settings: RatingSettings) -> dict[str, TopicHandler]:
    async def on_subject(session: AsyncSession, event: Event) -> None:
        d = event.data
        if not await accept_version(session, "subject", d["subject_id"], d["version"]):
            return
        region: dict[str, Any] = d["region"]
        before = await repo.get_subject(session, d["subject_id"])
        moved_from = before.village if before is not None and before.village != region.get("village") else None
        await repo.save_subject(session, {
            "subject_id": d["subject_id"], "kind": d["kind"], "county": region.get("county"),
            "town": region.get("town"), "village": region.get("village"), "village_group": region.get("group"),
            "masked_name": d["masked_name"], "profile": d["profile"],
            "status": d["status"], "rating_consent": consents_to_rating(d["consent"]),
            "updated_at": _time(d.get("updated_at") or d.get("registered_at"))})
        # A new, moved or archived household changes its villages' share of credit households; a
        # village registered as a subject takes over its village's rating under its own id.
        touched = [v for v in (region.get("village"), moved_from) if v and await village_rated(session, v)]
        if d["kind"] in ("household", "village") and touched:
            await recompute_villages(session, touched, utcnow(), settings)

    async def on_civility(session: AsyncSession, event: Event) -> None:
        d = event.data
        if not await accept_version(session, "civility", d["subject_id"], d["version"]):
            return
        veto_changed = await repo.save_civility(session, {
            "subject_id": d["subject_id"], "evaluation_id": d["evaluation_id"], "score": Decimal(str(d["score"])),
            "base": Decimal(str(d["base"])),
            "veto": d["veto"], "veto_items": list(d["veto_items"]), "published_at": _time(d["published_at"])})
        if veto_changed:
            await rerate_at_once(session, d["subject_id"], settings, "civility-veto")

    async def on_negative(session: AsyncSession, event: Event) -> None:
        d = event.data
        if not await accept_version(session, "negative", d["subject_id"], d["version"]):
            return
        veto_changed = await repo.save_negative(session, {
            "record_id": d["record_id"], "subject_id": d["subject_id"], "agency": d["agency"],
            "record_kind": d["record_kind"], "status": d["status"], "veto": d["veto"],
            "changed_at": _time(d["changed_at"])})
        if veto_changed:
            await rerate_at_once(session, d["subject_id"], settings, f"veto-{d['status']}")

    @batch
    async def on_loans_recorded(session: AsyncSession, events: list[Event]) -> None:
        """A poll's new loans in two statements, then each village they lie in recomputed once:
        a village recomputed per loan cost rating more than the bank's draw cost lending."""
        new: dict[str, dict[str, Any]] = {}
        for d in (e.data for e in events):
            new.setdefault(d["loan_id"], {
                "loan_id": d["loan_id"], "subject_id": d["subject_id"], "village": d["region"].get("village"),
                "amount": Decimal(d["amount"]), "outstanding": Decimal(d["amount"]), "status": "active",
                "on_time_repayments": 0, "late_repayments": 0, "updated_at": _time(d["drawn_at"])})
        known = await repo.known_loans(session, list(new))  # a repayment's event may have come first
        rows = [row for loan_id, row in new.items() if loan_id not in known]
        await repo.save_loans(session, rows)
        if rows:
            await recompute_villages(session, [row["village"] for row in rows], utcnow(), settings)

    async def on_loan_repaid(session: AsyncSession, event: Event) -> None:
        d = event.data
        loan = await repo.get_loan(session, d["loan_id"])
        outstanding = Decimal(d["outstanding"])
        if loan is None:  # the repayment overtook the loan's own event: start from what it says
            await repo.save_loan(session, {
                "loan_id": d["loan_id"], "subject_id": d["subject_id"], "village": d["region"].get("village"),
                "amount": Decimal(d["amount"]) + outstanding, "outstanding": outstanding, "status": "active",
                "on_time_repayments": 0, "late_repayments": 0, "updated_at": _time(d["repaid_at"])})
            loan = await repo.get_loan(session, d["loan_id"])
            assert loan is not None
        done = d["fully_repaid"]
        # A defaulted loan repaid in full is cured: it no longer counts as a default (nor vetoes).
        cured = done and loan.status == "defaulted"
        await repo.update_loan(
            session, d["loan_id"], outstanding=outstanding,
            status="cured" if cured else "repaid" if done and loan.status != "defaulted" else loan.status,
            on_time_repayments=loan.on_time_repayments + (1 if d["on_time"] else 0),
            late_repayments=loan.late_repayments + (0 if d["on_time"] else 1), updated_at=_time(d["repaid_at"]))
        if not d["on_time"] or cured:
            await recompute_villages(session, [d["region"].get("village")], utcnow(), settings)
        if cured:
            await rerate_at_once(session, d["subject_id"], settings, "default-cured")

    async def on_loan_defaulted(session: AsyncSession, event: Event) -> None:
        d = event.data
        loss = Decimal(d["loss_amount"])
        if await repo.get_loan(session, d["loan_id"]) is None:
            await repo.save_loan(session, {
                "loan_id": d["loan_id"], "subject_id": d["subject_id"], "village": d["region"].get("village"),
                "amount": loss, "outstanding": loss, "status": "defaulted", "on_time_repayments": 0,
                "late_repayments": 0, "updated_at": _time(d["defaulted_at"])})
        else:
            await repo.update_loan(session, d["loan_id"], status="defaulted", outstanding=loss,
                                   updated_at=_time(d["defaulted_at"]))
        await recompute_villages(session, [d["region"].get("village")], utcnow(), settings)
        # A default is an indicator and, by default policy, a veto source until cured: re-rate now,
        # so lending's hold on the line gives way to a grade that knows of the default.
        await rerate_at_once(session, d["subject_id"], settings, "loan-default")

    return {"subject-registered": on_subject, "subject-updated": on_subject, "civility-evaluated": on_civility,
            "negative-record-changed": on_negative, "loan-recorded": on_loans_recorded,
            "loan-repaid": on_loan_repaid, "loan-defaulted": on_loan_defaulted}
