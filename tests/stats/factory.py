"""Valid events of every topic the stats service consumes, for a test county (built against the
committed JSON Schemas: each one is validated as it is made)."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from common.events import Event, validate_event

COUNTY = "341181"
TOWN_1, TOWN_2 = "341181100", "341181101"
V_11, V_12, V_21 = "341181100201", "341181100202", "341181101201"
OCT = datetime(2026, 10, 10, 4, 0, tzinfo=UTC)
NOV = datetime(2026, 11, 5, 4, 0, tzinfo=UTC)


def region(village: str | None) -> dict[str, Any]:
    if village is None:
        return {"county": COUNTY, "town": None, "village": None}
    return {"county": village[:6], "town": village[:9], "village": village}


def _event(type_: str, subject: str, data: dict[str, Any], when: datetime) -> Event:
    event = Event(type=type_, source="test", subject=subject, data=data, time=when)
    validate_event(event.to_dict())
    return event


def registered(subject: str, village: str, kind: str = "household", version: int = 1, when: datetime = OCT) -> Event:
    return _event("subject-registered", subject, {
        "subject_id": subject, "kind": kind, "region": region(village), "version": version, "masked_name": "张*",
        "profile": {"members_count": 4}, "consent": {"given": True}, "registered_at": when.isoformat()}, when)


def updated(subject: str, village: str, version: int, status: str = "active", kind: str = "household",
            when: datetime = NOV) -> Event:
    return _event("subject-updated", subject, {
        "subject_id": subject, "kind": kind, "region": region(village), "version": version, "masked_name": "张*",
        "profile": {}, "consent": {"given": True}, "changed_fields": ["status"], "status": status,
        "updated_at": when.isoformat()}, when)


def rated(subject: str, village: str | None, grade: str, version: int, old: str | None = None, kind: str = "household",
          vetoed: bool = False, credit_village: bool | None = None, when: datetime = OCT) -> Event:
    data: dict[str, Any] = {
        "subject_id": subject, "kind": kind, "region": region(village), "old_grade": old, "new_grade": grade,
        "score": "85", "version": version, "effective_at": when.isoformat(), "reason": "round 2026", "vetoed": vetoed}
    if credit_village is not None:
        data["credit_village"] = credit_village
    return _event("rating-changed", subject, data, when)


def line(subject: str, village: str, amount: str, drawn: str, version: int, status: str = "active",
         grade: str | None = "A", kind: str = "household", when: datetime = OCT) -> Event:
    return _event("credit-line-changed", subject, {
        "subject_id": subject, "kind": kind, "region": region(village), "grade": grade, "line_amount": amount,
        "drawn": drawn, "status": status, "max_markup": "0.40", "valid_until": "2028-10-31", "version": version,
        "reason": "rating"}, when)


def loan(loan_id: str, subject: str, village: str, amount: str, when: datetime = OCT, kind: str = "household") -> Event:
    return _event("loan-recorded", subject, {
        "loan_id": loan_id, "subject_id": subject, "bank_id": "bank-1", "region": region(village), "kind": kind,
        "amount": amount, "annual_rate": "4.83", "term_months": 12, "product": "芡实贷",
        "drawn_at": when.isoformat()}, when)


def repaid(loan_id: str, subject: str, village: str, amount: str, outstanding: str, when: datetime = NOV) -> Event:
    return _event("loan-repaid", subject, {
        "loan_id": loan_id, "subject_id": subject, "bank_id": "bank-1", "region": region(village), "kind": "household",
        "amount": amount, "outstanding": outstanding, "on_time": True, "repaid_at": when.isoformat()}, when)


def defaulted(loan_id: str, subject: str, village: str, loss: str, fund_paid: str, when: datetime = NOV) -> Event:
    return _event("loan-defaulted", subject, {
        "loan_id": loan_id, "subject_id": subject, "bank_id": "bank-1", "region": region(village), "kind": "household",
        "loss_amount": loss, "shares": {"bank": "0.00"}, "fund_paid": fund_paid, "defaulted_at": when.isoformat()}, when)


def redemption(rid: str, subject: str, village: str, bill: str, discount: str, status: str = "recorded",
               when: datetime = NOV) -> Event:
    return _event("redemption-recorded", subject, {
        "redemption_id": rid, "merchant_id": "m-1", "offer_id": "o-1", "subject_id": subject, "region": region(village),
        "bill_amount": bill, "discount": discount, "status": status, "redeemed_at": when.isoformat()}, when)


def civility(subject: str, version: int, when: datetime = OCT) -> Event:
    return _event("civility-evaluated", subject, {
        "subject_id": subject, "evaluation_id": f"ev-{subject}-{version}", "catalogue_version": 1, "points": 12,
        "veto": False, "veto_items": [], "version": version, "published_at": when.isoformat()}, when)


def negative(subject: str, record_id: str, status: str, version: int, when: datetime = OCT) -> Event:
    return _event("negative-record-changed", subject, {
        "record_id": record_id, "subject_id": subject, "agency": "court", "record_kind": "dishonest_judgment_debtor",
        "status": status, "veto": True, "version": version, "changed_at": when.isoformat()}, when)


def county_story() -> list[Event]:
    """A small county: four households and a village, registered, rated, granted, lending, redeeming."""
    return [
        registered("hh-1", V_11), registered("hh-2", V_11), registered("hh-3", V_12), registered("hh-4", V_21),
        registered("vil-11", V_11, kind="village"),
        rated("hh-1", V_11, "AAA", 1), rated("hh-2", V_11, "A", 1), rated("hh-3", V_12, "B", 1),
        rated("hh-4", V_21, "AA", 1, when=NOV),
        rated("vil-11", V_11, "AA", 1, kind="village", credit_village=True),
        line("hh-1", V_11, "500000.00", "0.00", 1), line("hh-2", V_11, "100000.00", "0.00", 1),
        line("hh-4", V_21, "300000.00", "0.00", 1, grade="AA", when=NOV),
        loan("loan-1", "hh-1", V_11, "200000.00"), line("hh-1", V_11, "500000.00", "200000.00", 2),
        repaid("loan-1", "hh-1", V_11, "50000.00", "150000.00"), line("hh-1", V_11, "500000.00", "150000.00", 3, when=NOV),
        civility("hh-2", 1), negative("hh-3", "neg-1", "raised", 1),
        redemption("r-1", "hh-1", V_11, "300.00", "30.00"),
    ]
