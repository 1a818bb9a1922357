"""Events of every topic the stats service consumes, for a test county, each made by its producer's
own builder (registry, rating, lending, merchant): stats is tested with exactly what they send."""
from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from common.events import Event, validate_event
from lending import events as lending_events
from merchant import events as merchant_events
from rating.ratings import events as rating_events
from registry import events as registry_events

COUNTY = "341181"
TOWN_1, TOWN_2 = "341181100", "341181101"
V_11, V_12, V_21 = "341181100201", "341181100202", "341181101201"
OCT = datetime(2026, 10, 10, 4, 0, tzinfo=UTC)
NOV = datetime(2026, 11, 5, 4, 0, tzinfo=UTC)
CONSENT = {"given": True, "date": None, "scopes": ["rating", "lending", "merchant", "statistics"]}


def region(village: str | None) -> dict[str, Any]:
    if village is None:
        return {"county": COUNTY, "town": None, "village": None}
    return {"county": village[:6], "town": village[:9], "village": village}


def _at(event: Event, when: datetime) -> Event:
    """The builder's event, stamped at ``when`` (the envelope time stats reads for line changes)."""
    event = dataclasses.replace(event, time=when)
    validate_event(event.to_dict())
    return event


def registered(subject: str, village: str, kind: str = "household", version: int = 1, when: datetime = OCT) -> Event:
    return _at(registry_events.registered(
        subject_id=subject, kind=kind, region_codes=region(village), version=version, masked_name="张*",
        profile={"members_count": 4}, consent=CONSENT, registered_at=when), when)


def updated(subject: str, village: str, version: int, status: str = "active", kind: str = "household",
            when: datetime = NOV) -> Event:
    return _at(registry_events.updated(
        subject_id=subject, kind=kind, region_codes=region(village), version=version, masked_name="张*",
        profile={}, consent=CONSENT, status=status, changed_fields=["status"], updated_at=when), when)


def rated(subject: str, village: str | None, grade: str, version: int, old: str | None = None, kind: str = "household",
          vetoed: bool = False, credit_village: bool | None = None, when: datetime = OCT) -> Event:
    codes = region(village)
    return _at(rating_events.rating_changed(
        subject_id=subject, kind=kind, county=codes["county"], town=codes["town"], village=codes["village"],
        old_grade=old, new_grade=grade, score=Decimal(85), version=version, effective_at=when, reason="round 2026",
        vetoed=vetoed, credit_village=credit_village), when)


def line(subject: str, village: str, amount: str, drawn: str, version: int, status: str = "active",
         grade: str | None = "A", kind: str = "household", when: datetime = OCT) -> Event:
    return _at(lending_events.credit_line_changed(
        subject_id=subject, kind=kind, region_codes=region(village), grade=grade, line_amount=Decimal(amount),
        drawn=Decimal(drawn), status=status, max_markup=Decimal("0.40"), valid_until=date(2028, 10, 31),
        version=version, reason="rating", change="granted", rating_version=1, policy_version=1,
        freeze_reason=None), when)


def loan(loan_id: str, subject: str, village: str, amount: str, when: datetime = OCT, kind: str = "household") -> Event:
    return _at(lending_events.loan_recorded(
        loan_id=loan_id, subject_id=subject, bank_id="bank-1", region_codes=region(village), kind=kind,
        amount=Decimal(amount), annual_rate=Decimal("4.83"), term_months=12, product="芡实贷", drawn_at=when), when)


def repaid(loan_id: str, subject: str, village: str, amount: str, outstanding: str, when: datetime = NOV) -> Event:
    return _at(lending_events.loan_repaid(
        loan_id=loan_id, subject_id=subject, bank_id="bank-1", region_codes=region(village), kind="household",
        amount=Decimal(amount), outstanding=Decimal(outstanding), on_time=True, repaid_at=when), when)


def defaulted(loan_id: str, subject: str, village: str, loss: str, fund_paid: str, when: datetime = NOV) -> Event:
    return _at(lending_events.loan_defaulted(
        loan_id=loan_id, subject_id=subject, bank_id="bank-1", region_codes=region(village), kind="household",
        loss_amount=Decimal(loss), shares={"bank": Decimal(0)}, fund_paid=Decimal(fund_paid), defaulted_at=when), when)


def redemption(rid: str, subject: str, village: str, bill: str, discount: str, status: str = "recorded",
               when: datetime = NOV) -> Event:
    return _at(merchant_events.redemption_recorded(
        redemption_id=rid, merchant_id="m-1", offer_id="o-1", subject_id=subject, region_codes=region(village),
        bill_amount=Decimal(bill), discount=Decimal(discount), status=status, redeemed_at=when, receipt_id=rid,
        programme_id=None, day=when.date(), reversed_at=when if status == "reversed" else None), when)


def civility(subject: str, version: int, when: datetime = OCT) -> Event:
    return _at(registry_events.civility_evaluated(
        subject_id=subject, evaluation_id=f"ev-{subject}-{version}", catalogue_version=1, score=92, base=80,
        positive_points=12, negative_points=0, veto=False, veto_items=[], aspects={"filial_care": 12},
        version=version, published_at=when), when)


def negative(subject: str, record_id: str, status: str, version: int, when: datetime = OCT) -> Event:
    return _at(registry_events.negative_record_changed(
        record_id=record_id, subject_id=subject, agency="court", record_kind="dishonest_judgment_debtor",
        status=status, veto=True, effective_from=when.date(), expires_on=None, version=version, changed_at=when), when)


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
