"""Credit lines kept current from final grades, and their views for banks."""
from __future__ import annotations

import logging
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.clock import beijing_day
from common.db import utcnow
from common.events import Event, accept_version, emit
from lending.credit_lines import repository
from lending.credit_lines.models import CLOSED, DEFAULT_HOLD, NONE, CreditLine
from lending.credit_lines.rules import LineState, LineTerms, available_fen, decide, gets_line
from lending.credit_lines.schemas import CreditLineChangeOut, CreditLineOut, Region
from lending.money import fen_str, max_rate, rate_str
from lending.policies import repository as policies
from lending.subjects import repository as subject_facts
from lending.subjects.models import ARCHIVED, SubjectFacts

log = logging.getLogger("lending.credit_lines")
RATING_STREAM = "rating-changed"


def region_of(line: CreditLine) -> dict[str, str | None]:
    return {"county": line.region_county, "town": line.region_town, "village": line.region_village,
            "group": line.region_group}


def event_region(region: dict[str, Any]) -> dict[str, str | None]:
    """The region object of an event: county, town and village always, the group when known."""
    out = {k: region.get(k) for k in ("county", "town", "village")}
    if region.get("group"):
        out["group"] = region["group"]
    return out


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


async def on_rating_changed(session: AsyncSession, event: Event) -> None:
    """Consumer of ``rating-changed``: raise, cut, renew, freeze or unfreeze the subject's line. A
    replayed or stale event (version not newer than the last applied) changes nothing."""
    data = event.data
    subject_id, kind = data["subject_id"], data["kind"]
    if not gets_line(kind):
        return
    if not await accept_version(session, RATING_STREAM, subject_id, int(data["version"])):
        log.info("stale rating-changed skipped", extra={"subject_id": subject_id, "version": data["version"]})
        return
    await apply_grade(session, data)


def held_by_default(line: CreditLine | None, effective_at: datetime) -> bool:
    """A default froze the line and this rating was made before (or as) lending learnt of it: rating
    could not have known, so the line stays frozen (an old rating arriving late never unfreezes)."""
    return (line is not None and line.freeze_reason == DEFAULT_HOLD and line.frozen_at is not None
            and effective_at <= line.frozen_at)


async def apply_grade(session: AsyncSession, data: dict[str, Any]) -> None:
    subject_id, kind, grade = data["subject_id"], data["kind"], data["new_grade"]
    vetoed = bool(data.get("vetoed"))
    now = utcnow()
    effective_at = datetime.fromisoformat(data["effective_at"])
    line = await repository.get(session, subject_id, for_update=True)
    facts = await subject_facts.get(session, subject_id)
    current = None if line is None else LineState(line.grade, line.status, line.line_fen, Decimal(line.max_markup),
                                                  line.valid_until, line.policy_version, line.valid_from)
    terms = await terms_for(session, kind, grade)
    held = held_by_default(line, effective_at)
    new, change = decide(current, grade, vetoed, terms, beijing_day(effective_at), held=held,
                         archived=facts is not None and facts.status == ARCHIVED)
    # The registry's facts, where lending has them, over what rating last knew of the region.
    region = facts_region(facts) if facts is not None else event_region(data.get("region") or {})
    version = 1 if line is None else line.version + 1
    freeze_reason = line.freeze_reason if held and line is not None else None
    values: dict[str, Any] = {
        "kind": kind, "region_county": region.get("county"), "region_town": region.get("town"),
        "region_village": region.get("village"), "region_group": region.get("group"),
        "grade": new.grade, "vetoed": vetoed, "status": new.status, "line_fen": new.line_fen,
        "max_markup": new.max_markup, "policy_version": new.policy_version, "valid_until": new.valid_until,
        "valid_from": new.valid_from, "freeze_reason": freeze_reason,
        "frozen_at": line.frozen_at if held and line is not None else None,
        "version": version, "rating_version": int(data["version"]), "updated_at": now}
    if facts is not None:
        values["industry"] = facts.industry
        values["consent_lending"] = facts.consent_lending
    if line is None:
        await repository.insert_line(session, {"subject_id": subject_id, "drawn_fen": 0, **values})
        drawn_fen = 0
    else:
        await repository.update_terms(session, subject_id, values)
        drawn_fen = line.drawn_fen
    old_grade = data.get("old_grade")
    reason = f"{change}: grade {old_grade or '-'} → {grade}" + (" (vetoed)" if vetoed else "")
    if held:
        reason += " (held: a loan defaulted after this rating was made)"
    reason = (reason + f"; {data.get('reason') or ''}".rstrip("; "))[:200]
    await repository.add_history(session, {
        "subject_id": subject_id, "version": version, "change": change, "old_grade": old_grade, "grade": grade,
        "status": new.status, "old_line_fen": 0 if line is None else line.line_fen, "line_fen": new.line_fen,
        "max_markup": new.max_markup, "rating_version": int(data["version"]), "reason": reason, "changed_at": now})
    await emit_line_changed(session, subject_id=subject_id, kind=kind, region=region, grade=grade,
                            line_fen=new.line_fen, drawn_fen=drawn_fen, status=new.status, max_markup=new.max_markup,
                            valid_until=new.valid_until, version=version, reason=reason, change=change,
                            rating_version=int(data["version"]), policy_version=new.policy_version,
                            freeze_reason=freeze_reason)


def facts_region(facts: SubjectFacts) -> dict[str, str | None]:
    return {"county": facts.region_county, "town": facts.region_town, "village": facts.region_village,
            "group": facts.region_group}


async def apply_facts(session: AsyncSession, facts: dict[str, Any]) -> None:
    """The registry's facts onto the subject's line, if it has one: industry and consent quietly
    (what a bank may see and buy changes, the line does not); a move (the line's region) and an
    archive (the line is closed: no new loans, existing ones run to term) as a credit-line-changed."""
    line = await repository.get(session, facts["subject_id"], for_update=True)
    if line is None:
        return
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
    await repository.add_history(session, {
        "subject_id": line.subject_id, "version": version, "change": change, "old_grade": line.grade,
        "grade": line.grade, "status": status, "old_line_fen": line.line_fen, "line_fen": line_fen,
        "max_markup": line.max_markup, "rating_version": line.rating_version, "reason": text, "changed_at": now})
    await emit_line_changed(session, subject_id=line.subject_id, kind=line.kind, region=region, grade=line.grade,
                            line_fen=line_fen, drawn_fen=line.drawn_fen, status=status,
                            max_markup=Decimal(line.max_markup), valid_until=valid_until, version=version, reason=text,
                            change=change, rating_version=line.rating_version, policy_version=line.policy_version,
                            freeze_reason=values.get("freeze_reason", line.freeze_reason))


def line_changed_data(*, subject_id: str, kind: str, region: dict[str, Any], grade: str | None, line_fen: int,
                      drawn_fen: int, status: str, max_markup: Decimal, valid_until: date | None, version: int,
                      reason: str, change: str, rating_version: int | None = None,
                      policy_version: int | None = None, freeze_reason: str | None = None) -> dict[str, Any]:
    """The ``credit-line-changed`` payload: the line's whole state after the change."""
    data: dict[str, Any] = {
        "subject_id": subject_id, "kind": kind, "region": event_region(region), "grade": grade,
        "line_amount": fen_str(line_fen), "drawn": fen_str(drawn_fen), "status": status,
        "max_markup": rate_str(Decimal(max_markup)), "valid_until": valid_until.isoformat() if valid_until else None,
        "version": version, "reason": reason[:200], "change": change, "policy_version": policy_version,
        "freeze_reason": freeze_reason}
    if rating_version is not None:
        data["rating_version"] = rating_version
    return data


async def emit_line_changed(session: AsyncSession, **fields: Any) -> None:
    await emit(session, source="lending", type="credit-line-changed", subject=fields["subject_id"],
               data=line_changed_data(**fields))


async def announce_use(session: AsyncSession, line: Any, change: str, reason: str | None = None,
                       rating_version: int | None = None) -> None:
    """credit-line-changed for a draw or a release (or a default's hold): the line's whole state
    after it, so a reader (stats' granted-versus-used) never has to add loans up itself. ``line`` is
    the row the conditional UPDATE returned."""
    region = {"county": line.region_county, "town": line.region_town, "village": line.region_village,
              "group": line.region_group}
    verb = "drawn by a loan" if change == "drawn" else "released by a repayment or default"
    await emit_line_changed(session, subject_id=line.subject_id, kind=line.kind, region=region, grade=line.grade,
                            line_fen=line.line_fen, drawn_fen=line.drawn_fen, status=line.status,
                            max_markup=Decimal(line.max_markup), valid_until=line.valid_until, version=line.version,
                            reason=reason or f"line {verb}", change=change, rating_version=rating_version,
                            policy_version=line.policy_version, freeze_reason=line.freeze_reason)
