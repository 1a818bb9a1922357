"""The events lending produces, one typed builder per event type: every emit site calls one, and
the consumers' tests (rating, stats) build their input with the same builders. Money is Decimal
(CNY, to the fen), rates Decimal percent, times aware datetimes."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal

from common.events import Event
from common.events.payload import day, instant, money, money_or_none, region
from lending.money import rate_str

SOURCE = "lending"
CREDIT_LINE_CHANGED = "credit-line-changed"
LOAN_RECORDED = "loan-recorded"
LOAN_REPAID = "loan-repaid"
LOAN_DEFAULTED = "loan-defaulted"


def credit_line_changed(*, subject_id: str, kind: str, region_codes: Mapping[str, str | None] | None,
                        grade: str | None, line_amount: Decimal, drawn: Decimal, status: str, max_markup: Decimal,
                        valid_until: date | None, version: int, reason: str, change: str,
                        rating_version: int | None, policy_version: int | None,
                        freeze_reason: str | None) -> Event:
    """credit-line-changed: the line's whole state after a grade's effect (授信) or a draw or
    release (用信). ``rating_version`` is null when only the line's use moved; ``freeze_reason``
    says why a line is frozen beyond its grade ("default": held until a rating made after it)."""
    data = {"subject_id": subject_id, "kind": kind, "region": region(region_codes), "grade": grade,
            "line_amount": money(line_amount), "drawn": money(drawn), "status": status,
            "max_markup": rate_str(max_markup), "valid_until": day(valid_until), "version": version,
            "reason": reason[:200], "change": change, "rating_version": rating_version,
            "policy_version": policy_version, "freeze_reason": freeze_reason}
    return Event(type=CREDIT_LINE_CHANGED, source=SOURCE, subject=subject_id, data=data)


def loan_recorded(*, loan_id: str, subject_id: str, bank_id: str, region_codes: Mapping[str, str | None] | None,
                  kind: str, amount: Decimal, annual_rate: Decimal, term_months: int, product: str | None,
                  drawn_at: datetime) -> Event:
    """loan-recorded: a bank recorded a loan drawn on a credit line."""
    data = {"loan_id": loan_id, "subject_id": subject_id, "bank_id": bank_id, "region": region(region_codes),
            "kind": kind, "amount": money(amount), "annual_rate": rate_str(annual_rate), "term_months": term_months,
            "product": product, "drawn_at": instant(drawn_at)}
    return Event(type=LOAN_RECORDED, source=SOURCE, subject=subject_id, data=data)


def loan_repaid(*, loan_id: str, subject_id: str, bank_id: str, region_codes: Mapping[str, str | None] | None,
                kind: str, amount: Decimal, outstanding: Decimal, on_time: bool, repaid_at: datetime) -> Event:
    """loan-repaid: a repayment; ``fully_repaid`` follows from what is still outstanding."""
    data = {"loan_id": loan_id, "subject_id": subject_id, "bank_id": bank_id, "region": region(region_codes),
            "kind": kind, "amount": money(amount), "outstanding": money(outstanding), "on_time": on_time,
            "fully_repaid": outstanding <= 0, "repaid_at": instant(repaid_at)}
    return Event(type=LOAN_REPAID, source=SOURCE, subject=subject_id, data=data)


def loan_defaulted(*, loan_id: str, subject_id: str, bank_id: str, region_codes: Mapping[str, str | None] | None,
                   kind: str, loss_amount: Decimal, shares: Mapping[str, Decimal], fund_paid: Decimal | None,
                   defaulted_at: datetime) -> Event:
    """loan-defaulted (不良贷款): the loss and each party's share of it (e.g. 4321), and what the
    risk-compensation fund paid."""
    data = {"loan_id": loan_id, "subject_id": subject_id, "bank_id": bank_id, "region": region(region_codes),
            "kind": kind, "loss_amount": money(loss_amount), "shares": {k: money(v) for k, v in shares.items()},
            "fund_paid": money_or_none(fund_paid), "defaulted_at": instant(defaulted_at)}
    return Event(type=LOAN_DEFAULTED, source=SOURCE, subject=subject_id, data=data)
