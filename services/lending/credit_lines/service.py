"""Credit lines kept current from final grades, and their views for banks."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.clock import beijing_day
from common.db import utcnow
from common.events import Event, accept_versions, batch, emit, emit_many, subject_rounds
from lending import events
from lending.changes import service as change_feed
from lending.credit_lines import repository
from lending.credit_lines.models import CLOSED, DEFAULT_HOLD, NONE, CreditLine
from lending.credit_lines.rules import LineState, LineTerms, available_fen, decide, gets_line
from lending.credit_lines.schemas import CreditLineChangeOut, CreditLineOut, Region
from lending.money import fen_str, from_fen, max_rate, rate_str
from lending.policies import repository as policies
from lending.subjects import repository as subject_facts
from lending.subjects.models import ARCHIVED, SubjectFacts

log = logging.getLogger("lending.credit_lines")
RATING_STREAM = "rating-changed"


def region_of(line: Any) -> dict[str, str | None]:
    return {"county": line.region_county, "town": line.region_town, "village": line.region_village,
            "group": line.region_group}


def line_view(line: Any, benchmark: Decimal | None, today: date) -> dict[str, Any]:
    """A line (ORM object or row) as the JSON body of ``CreditLineOut``, built directly: this is the
    banks' hot read path."""
    markup = Decimal(line.max_markup)
    active = line.status == "active"
    region = {"county": line.region_county, "town": line.region_town, "village": line.region_village,
              "group": line.region_group}
    return {
        "subject_id": line.subject_id, "kind": line.kind, "region": region, "grade": line.grade,
        "status": line.status, "line_amount": fen_str(line.line_fen), "drawn": fen_str(line.drawn_fen),
        "available": fen_str(available_fen(line.status, line.line_fen, line.drawn_fen, line.valid_until, today)),
        "benchmark_rate": rate_str(benchmark) if benchmark is not None else None, "max_markup": rate_str(markup),
        "max_rate": rate_str(max_rate(benchmark, markup)) if benchmark is not None and active else None,
        "valid_until": line.valid_until.isoformat() if line.valid_until else None,
        "policy_version": line.policy_version, "version": line.version, "freeze_reason": line.freeze_reason}


def line_out(line: CreditLine, benchmark: Decimal | None, today: date) -> CreditLineOut:
    markup = Decimal(line.max_markup)
    cap = max_rate(benchmark, markup) if benchmark is not None and line.status == "active" else None
    return CreditLineOut(
        subject_id=line.subject_id, kind=line.kind, region=Region(**region_of(line)), grade=line.grade,
        status=line.status, line_amount=fen_str(line.line_fen), drawn=fen_str(line.drawn_fen),
        available=fen_str(available_fen(line.status, line.line_fen, line.drawn_fen, line.valid_until, today)),
        benchmark_rate=rate_str(benchmark) if benchmark is not None else None, max_markup=rate_str(markup),
        max_rate=rate_str(cap) if cap is not None else None, valid_until=line.valid_until,
        policy_version=line.policy_version, version=line.version, freeze_reason=line.freeze_reason)


def history_out(rows: Any) -> list[CreditLineChangeOut]:
    return [CreditLineChangeOut(version=r.version, change=r.change, old_grade=r.old_grade, grade=r.grade,
                                status=r.status, old_line_amount=fen_str(r.old_line_fen), line_amount=fen_str(r.line_fen),
                                max_markup=rate_str(Decimal(r.max_markup)), rating_version=r.rating_version,
                                reason=r.reason, changed_at=r.changed_at) for r in rows]


async def terms_for(session: AsyncSession, kind: str, grade: str) -> LineTerms | None:
    """The policy's terms for a kind and grade, looked up once per transaction: a consumer batch
    of a county-wide round asks the same few questions thousands of times."""
    memo: dict[tuple[str, str], LineTerms | None] = session.info.setdefault("policy_terms", {})
    if (kind, grade) in memo:
        return memo[(kind, grade)]
    version = await policies.policy_version_at(session, utcnow())
    row = await policies.policy_row(session, version, kind, grade) if version else None
    terms = None if row is None else LineTerms(row.version, row.line_fen, Decimal(row.max_markup), row.validity_months)
    memo[(kind, grade)] = terms
    return terms


@batch
async def on_rating_changed(session: AsyncSession, events_: list[Event]) -> None:
    """Consumer of ``rating-changed``, a poll's worth at a time: raise, cut, renew, freeze or
    unfreeze each subject's line. A replayed or stale event (version not newer than the last
    applied, in an earlier batch or earlier in this one) changes nothing."""
    graded = [e.data for e in events_ if gets_line(e.data["kind"])]
    for round_ in subject_rounds(graded, key=lambda d: d["subject_id"]):
        accepted = await accept_versions(session, RATING_STREAM, [(d["subject_id"], int(d["version"]))
                                                                  for d in round_])
        for d in round_:
            if d["subject_id"] not in accepted:
                log.info("stale rating-changed skipped", extra={"subject_id": d["subject_id"], "version": d["version"]})
        await apply_grades(session, [d for d in round_ if d["subject_id"] in accepted])


def held_by_default(line: Any | None, effective_at: datetime) -> bool:
    """A default froze the line and this rating was made before (or as) lending learnt of it: rating
    could not have known, so the line stays frozen (an old rating arriving late never unfreezes)."""
    return (line is not None and line.freeze_reason == DEFAULT_HOLD and line.frozen_at is not None
            and effective_at <= line.frozen_at)


async def apply_grade(session: AsyncSession, data: dict[str, Any]) -> None:
    await apply_grades(session, [data])


@dataclass(frozen=True, slots=True)
class GradeChange:
    """What one final grade does to one line: the line's new columns, its history row and its event."""
    values: dict[str, Any]
    inserted: bool
    history: dict[str, Any]
    event: Event


def grade_change(data: dict[str, Any], line: Any | None, facts: Any | None, terms: LineTerms | None,
                 now: datetime) -> GradeChange:
    """The change a ``rating-changed`` makes to a subject's line (``line`` and ``facts`` as stored, or
    None): a plain function over what was read, so a batch is one read, this per subject, one write."""
    subject_id, kind, grade = data["subject_id"], data["kind"], data["new_grade"]
    vetoed = bool(data["vetoed"])
    effective_at = datetime.fromisoformat(data["effective_at"])
    current = None if line is None else LineState(line.grade, line.status, line.line_fen, Decimal(line.max_markup),
                                                  line.valid_until, line.policy_version, line.valid_from)
    held = held_by_default(line, effective_at)
    new, change = decide(current, grade, vetoed, terms, beijing_day(effective_at), held=held,
                         archived=facts is not None and facts.status == ARCHIVED)
    # The registry's facts, where lending has them, over what rating last knew of the region.
    region = facts_region(facts) if facts is not None else dict(data["region"])
    version = 1 if line is None else line.version + 1
    freeze_reason = line.freeze_reason if held and line is not None else None
    values: dict[str, Any] = {
        "subject_id": subject_id, "kind": kind, "region_county": region.get("county"),
        "region_town": region.get("town"), "region_village": region.get("village"), "region_group": region.get("group"),
        "grade": new.grade, "vetoed": vetoed, "status": new.status, "line_fen": new.line_fen,
        "max_markup": new.max_markup, "policy_version": new.policy_version, "valid_until": new.valid_until,
        "valid_from": new.valid_from, "freeze_reason": freeze_reason,
        "frozen_at": line.frozen_at if held and line is not None else None,
        "version": version, "rating_version": int(data["version"]), "updated_at": now,
        # What the registry last said; lending's own copy where it has not heard.
        "industry": facts.industry if facts is not None else (line.industry if line is not None else None),
        "consent_lending": (facts.consent_lending if facts is not None
                            else (line.consent_lending if line is not None else None))}
    drawn_fen = 0 if line is None else line.drawn_fen
    old_grade = data.get("old_grade")
    reason = f"{change}: grade {old_grade or '-'} → {grade}" + (" (vetoed)" if vetoed else "")
    if held:
        reason += " (held: a loan defaulted after this rating was made)"
    reason = (reason + f"; {data.get('reason') or ''}".rstrip("; "))[:200]
    history = {"subject_id": subject_id, "version": version, "change": change, "old_grade": old_grade, "grade": grade,
               "status": new.status, "old_line_fen": 0 if line is None else line.line_fen, "line_fen": new.line_fen,
               "max_markup": new.max_markup, "rating_version": int(data["version"]), "reason": reason,
               "changed_at": now}
    event = line_changed_event(subject_id=subject_id, kind=kind, region=region, grade=grade, line_fen=new.line_fen,
                               drawn_fen=drawn_fen, status=new.status, max_markup=new.max_markup,
                               valid_until=new.valid_until, version=version, reason=reason, change=change,
                               rating_version=int(data["version"]), policy_version=new.policy_version,
                               freeze_reason=freeze_reason)
    return GradeChange(values, line is None, history, event)


async def apply_grades(session: AsyncSession, graded: list[dict[str, Any]]) -> None:
    """Final grades (``rating-changed`` data, one per subject, versions already accepted) onto their
    lines: one locked read of the lines, one of the facts, then one write per table and one outbox
    insert, whatever the number of subjects."""
    if not graded:
        return
    ids = [d["subject_id"] for d in graded]
    lines = await repository.get_many(session, ids, for_update=True)
    facts = await subject_facts.get_many(session, ids)
    now = utcnow()
    changes = [grade_change(d, lines.get(d["subject_id"]), facts.get(d["subject_id"]),
                            await terms_for(session, d["kind"], d["new_grade"]), now) for d in graded]
    await repository.insert_lines(session, [{"drawn_fen": 0, **c.values} for c in changes if c.inserted])
    await repository.update_lines(session, [c.values for c in changes if not c.inserted])
    await record_changes(session, [c.history for c in changes])
    await emit_many(session, [c.event for c in changes])


async def record_changes(session: AsyncSession, history: list[dict[str, Any]]) -> None:
    """The one place a line's change is recorded, in the caller's transaction: its history row and,
    for what banks hear of (granted, raised, cut, frozen ...), the change feed (lending.changes)."""
    await repository.add_histories(session, history)
    change_feed.record(session, history)


def facts_region(facts: SubjectFacts) -> dict[str, str | None]:
    return {"county": facts.region_county, "town": facts.region_town, "village": facts.region_village,
            "group": facts.region_group}


async def apply_facts(session: AsyncSession, facts: dict[str, Any], line: Any) -> None:
    """The registry's facts onto the subject's line (as read, locked, by the caller): industry and
    consent quietly (what a bank may see and buy changes, the line does not); a move (the line's
    region) and an archive (the line is closed: no new loans, existing ones run to term) as a
    credit-line-changed."""
    region = {"county": facts["region_county"], "town": facts["region_town"], "village": facts["region_village"],
              "group": facts["region_group"]}
    values: dict[str, Any] = {"industry": facts["industry"], "consent_lending": facts["consent_lending"]}
    changes: list[str] = []
    if region != region_of(line):
        values.update({f"region_{k}": v for k, v in region.items()})
        changes.append("moved")
    status = line.status
    if facts["status"] == ARCHIVED and line.status != CLOSED:
        status = CLOSED
        values.update(status=CLOSED, valid_until=None, freeze_reason=None, frozen_at=None)
        changes.append("closed")
    elif facts["status"] != ARCHIVED and line.status == CLOSED:
        status = NONE  # reinstated: no line until the county rates it again
        values.update(status=NONE, line_fen=0)
        changes.append("none")
    if not changes:
        await repository.update_terms(session, line.subject_id, values)
        return
    now = utcnow()
    version = line.version + 1
    change = changes[-1]  # closed (or reinstated) says more than moved
    reason = {"moved": f"moved to {region.get('village') or region.get('town') or region.get('county')}",
              "closed": "subject archived by the registry: line closed",
              "none": "subject reinstated by the registry: no line until it is rated again"}
    text = "; ".join(reason[c] for c in changes)[:200]
    values.update(version=version, updated_at=now)
    await repository.update_terms(session, line.subject_id, values)
    line_fen = values.get("line_fen", line.line_fen)
    valid_until = None if status == CLOSED else line.valid_until
    await record_changes(session, [{
        "subject_id": line.subject_id, "version": version, "change": change, "old_grade": line.grade,
        "grade": line.grade, "status": status, "old_line_fen": line.line_fen, "line_fen": line_fen,
        "max_markup": line.max_markup, "rating_version": line.rating_version, "reason": text, "changed_at": now}])
    await emit_line_changed(session, subject_id=line.subject_id, kind=line.kind, region=region, grade=line.grade,
                            line_fen=line_fen, drawn_fen=line.drawn_fen, status=status,
                            max_markup=Decimal(line.max_markup), valid_until=valid_until, version=version, reason=text,
                            change=change, rating_version=line.rating_version, policy_version=line.policy_version,
                            freeze_reason=values.get("freeze_reason", line.freeze_reason))


def line_changed_event(*, subject_id: str, kind: str, region: dict[str, Any], grade: str | None, line_fen: int,
                       drawn_fen: int, status: str, max_markup: Decimal, valid_until: date | None, version: int,
                       reason: str, change: str, rating_version: int | None = None,
                       policy_version: int | None = None, freeze_reason: str | None = None) -> Event:
    """``credit-line-changed`` (the line's whole state after the change) from a line's stored
    figures, through the one builder ``lending.events.credit_line_changed``."""
    return events.credit_line_changed(
        subject_id=subject_id, kind=kind, region_codes=region, grade=grade, line_amount=from_fen(line_fen),
        drawn=from_fen(drawn_fen), status=status, max_markup=Decimal(max_markup), valid_until=valid_until,
        version=version, reason=reason, change=change, rating_version=rating_version,
        policy_version=policy_version, freeze_reason=freeze_reason)


async def emit_line_changed(session: AsyncSession, **figures: Any) -> None:
    await emit(session, line_changed_event(**figures))


def use_event(line: Any, change: str, reason: str | None = None, rating_version: int | None = None) -> Event:
    """credit-line-changed for a draw or a release (or a default's hold): the line's whole state
    after it, so a reader (stats' granted-versus-used) never has to add loans up itself. ``line`` is
    the row the conditional UPDATE returned."""
    region = {"county": line.region_county, "town": line.region_town, "village": line.region_village,
              "group": line.region_group}
    verb = "drawn by a loan" if change == "drawn" else "released by a repayment or default"
    return line_changed_event(subject_id=line.subject_id, kind=line.kind, region=region, grade=line.grade,
                              line_fen=line.line_fen, drawn_fen=line.drawn_fen, status=line.status,
                              max_markup=Decimal(line.max_markup), valid_until=line.valid_until, version=line.version,
                              reason=reason or f"line {verb}", change=change, rating_version=rating_version,
                              policy_version=line.policy_version, freeze_reason=line.freeze_reason)


async def announce_use(session: AsyncSession, line: Any, change: str, reason: str | None = None,
                       rating_version: int | None = None) -> None:
    await emit(session, use_event(line, change, reason, rating_version))
