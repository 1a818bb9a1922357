"""Each consumed event reduced to one op: a change of a subject's state, or a flow fact.

Parsing happens here, in the handler, so a malformed value fails its own event (and goes to the DLQ)
rather than the batch's write at commit.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from common.clock import beijing_month
from common.events import Event
from stats.readmodel.metrics import CREDIT_GRADES
from stats.readmodel.regions import RegionOp, region_op
from stats.readmodel.state import FlowOp, Region, StateOp


class BadEvent(ValueError):
    """A schema-valid event whose values still cannot be applied."""


def fen(amount: str | None) -> int:
    """CNY decimal string to integer fen (分)."""
    if amount is None:
        return 0
    try:
        value = Decimal(amount) * 100
    except InvalidOperation as exc:
        raise BadEvent(f"not an amount: {amount!r}") from exc
    if value != value.to_integral_value():
        raise BadEvent(f"more precise than a fen: {amount!r}")
    return int(value)


def month_of(when: datetime | str) -> str:
    """The reporting month (``YYYY-MM``) an instant falls in: the county reports by Beijing month
    (a month ends at 24:00 Beijing time, 16:00 UTC)."""
    if isinstance(when, str):
        when = datetime.fromisoformat(when)
    if when.tzinfo is None:
        raise BadEvent(f"naive time: {when.isoformat()}")
    return beijing_month(when)


def _region_changes(data: dict[str, Any]) -> dict[str, Any]:
    region = Region.from_event(data.get("region"))
    if not region.known:
        return {"kind": data["kind"]}
    return {"kind": data["kind"], "county": region.county, "town": region.town, "village": region.village}


def statistics_consent(consent: dict[str, Any]) -> bool:
    """Consent (授权) to statistical use: given with the ``statistics`` scope, or given without
    naming scopes (the registry sends an empty list then), which means every use."""
    scopes = consent.get("scopes") or None
    return bool(consent.get("given")) and (scopes is None or "statistics" in scopes)


def registry_op(event: Event) -> StateOp:
    """subject-registered / subject-updated: the file (一户一档) exists, where, what kind, archived or
    not, and whether it may be counted (consent to statistics)."""
    data = event.data
    when = data.get("registered_at") or data.get("updated_at") or event.time
    changes = _region_changes(data) | {"registered": True, "consent_stats": statistics_consent(data["consent"]),
                                       "archived": data["status"] == "archived"}
    return StateOp(data["subject_id"], "registry", int(data["version"]), month_of(when), changes)


def civility_op(event: Event) -> StateOp:
    data = event.data
    return StateOp(data["subject_id"], "civility", int(data["version"]), month_of(data["published_at"]),
                   {"evaluated": True})


def negative_op(event: Event) -> StateOp:
    data = event.data
    return StateOp(data["subject_id"], "negative", int(data["version"]), month_of(data["changed_at"]), {},
                   record=(str(data["record_id"]), data["status"] == "raised"))


def rating_op(event: Event) -> StateOp:
    """rating-changed: the final grade; for villages and towns, whether a credit village / town."""
    data = event.data
    grade = data["new_grade"]
    flag = data["credit_village"]
    credit_unit = bool(flag) if flag is not None else grade in CREDIT_GRADES
    changes = _region_changes(data) | {"grade": grade, "vetoed": bool(data["vetoed"]),
                                       "credit_unit": credit_unit}
    return StateOp(data["subject_id"], "rating", int(data["version"]), month_of(data["effective_at"]), changes)


def line_op(event: Event) -> StateOp:
    """credit-line-changed: granted amount (授信) and drawn amount (用信) of the subject's line."""
    data = event.data
    changes = _region_changes(data) | {"line_status": data["status"], "line_fen": fen(data["line_amount"]),
                                       "drawn_fen": fen(data["drawn"])}
    return StateOp(data["subject_id"], "line", int(data["version"]), month_of(event.time), changes)


def _flow(key: str, when: str, data: dict[str, Any], kind: str, figures: dict[str, int]) -> FlowOp:
    cells = tuple(Region.from_event(data.get("region")).cells(kind))
    return FlowOp(key, month_of(when), cells, {k: v for k, v in figures.items() if v}, data["subject_id"])


def loan_recorded_op(event: Event) -> FlowOp:
    d = event.data
    return _flow(f"loan:{d['loan_id']}", d["drawn_at"], d, d["kind"], {"loans": 1, "loan_amount": fen(d["amount"])})


def loan_repaid_op(event: Event) -> FlowOp:
    d = event.data
    # A loan's outstanding falls with every repayment, so (loan, outstanding, amount) names one repayment.
    key = f"repaid:{d['loan_id']}:{fen(d['outstanding'])}:{fen(d['amount'])}"
    return _flow(key, d["repaid_at"], d, d["kind"], {"repayments": 1, "repaid_amount": fen(d["amount"])})


def loan_defaulted_op(event: Event) -> FlowOp:
    d = event.data
    figures = {"defaults": 1, "loss_amount": fen(d["loss_amount"]), "fund_paid": fen(d["fund_paid"])}
    return _flow(f"default:{d['loan_id']}", d["defaulted_at"], d, d["kind"], figures)


def redemption_op(event: Event) -> FlowOp:
    """redemption-recorded: a reversal takes the redemption back out of the counts."""
    d = event.data
    sign = 1 if d["status"] == "recorded" else -1
    figures = {"redemptions": sign, "bill_amount": sign * fen(d["bill_amount"]),
               "discount_amount": sign * fen(d["discount"])}
    # Redemptions are made with a household's credit code (一户一码).
    return _flow(f"redemption:{d['redemption_id']}:{d['status']}", d["redeemed_at"], d, "household", figures)


PARSERS: dict[str, Callable[[Event], StateOp | FlowOp | RegionOp]] = {
    "subject-registered": registry_op,
    "subject-updated": registry_op,
    "civility-evaluated": civility_op,
    "negative-record-changed": negative_op,
    "rating-changed": rating_op,
    "credit-line-changed": line_op,
    "loan-recorded": loan_recorded_op,
    "loan-repaid": loan_repaid_op,
    "loan-defaulted": loan_defaulted_op,
    "redemption-recorded": redemption_op,
    "region-changed": region_op,
}
