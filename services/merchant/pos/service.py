"""POS verify and redeem (核验, 核销): what a scanned code is worth at this merchant now."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import forbidden
from common.clock import beijing_day
from common.db import utcnow
from common.errors import ProblemError, conflict, field_error, not_found
from common.events import emit
from common.i18n import Text
from common.money import fen_str, from_fen, to_fen
from merchant import events
from merchant.codes.models import ACTIVE
from merchant.codes.repository import code_hash
from merchant.codes.rotating import RotatingCodes, is_rotating
from merchant.grades import is_credit_household
from merchant.households.repository import most_precise_region
from merchant.merchants.models import VERIFIER
from merchant.offers import discounts
from merchant.offers import repository as offers
from merchant.offers.schemas import rule_from_json
from merchant.pos import repository
from merchant.pos.schemas import RedeemedOfferOut, RedeemIn, RedeemOut, RefundOut
from merchant.redemptions import repository as redemptions
from merchant.redemptions.models import RECORDED

CREDIT, NOT_CREDIT, UNKNOWN = "credit_household", "not_credit_household", "unknown_code"
# Kept in the disclosure log only: to the POS a household without consent to this use is an unknown code.
NO_CONSENT = "no_consent"


def county_day(at: datetime) -> str:
    """The county's calendar day (a Beijing day): daily budgets reset at midnight Beijing time."""
    return beijing_day(at).isoformat()


@dataclass
class Verdict:
    """What a code is worth at one merchant now. Only a credit household's verdict carries the
    masked name, the grade and offers; nothing else is disclosed."""

    status: str
    subject_id: str | None = None
    masked_name: str | None = None
    grade: str | None = None
    region: dict[str, Any] | None = None
    offers: list[dict[str, Any]] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.status == CREDIT

    @property
    def shown_status(self) -> str:
        """What the POS is told: no consent to this use reads exactly as an unknown code, so that not
        even the household's existence or its being below A is disclosed."""
        return UNKNOWN if self.status == NO_CONSENT else self.status

    def answer(self) -> dict[str, Any]:
        return {"valid": self.valid, "status": self.shown_status, "masked_name": self.masked_name,
                "grade": self.grade, "offers": self.offers}


def iso(value: datetime | str | None) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


def offer_consented(row: Any) -> bool:
    """Shops' offers need consent to merchants; programmes' benefits consent to benefit verifiers."""
    return bool(row.consent_benefits if row.programme_id else row.consent_merchant)


def judge(rows: list[Row[Any]] | list[repository.LookUpRow], merchant_id: str) -> Verdict:
    """Decide from the look-up rows (one per outlet of the merchant)."""
    if not rows:
        raise forbidden(Text(f"merchant {merchant_id} is not registered", f"商户 {merchant_id} 未登记"))
    first = rows[0]
    if first.merchant_status != "active":
        raise forbidden(Text(f"merchant {merchant_id} is suspended", f"商户 {merchant_id} 已被暂停"))
    if first.code_status != ACTIVE or first.subject_id is None or first.masked_name is None or not first.active:
        return Verdict(UNKNOWN)
    # Consent first: without it nothing about the household is disclosed, not even "below A".
    consented = first.consent_benefits if first.merchant_kind == VERIFIER else first.consent_merchant
    if not consented:
        return Verdict(NO_CONSENT, subject_id=first.subject_id)
    if not is_credit_household(first.grade, first.vetoed):
        return Verdict(NOT_CREDIT, subject_id=first.subject_id)
    offers_now = [{"offer_id": r.offer_id, "title": r.title, "rule": r.rule, "stackable": r.stackable,
                   "programme_id": r.programme_id,
                   "valid_until": iso(r.valid_until)}
                  for r in rows if r.offer_id is not None and offer_consented(r)]
    return Verdict(CREDIT, subject_id=first.subject_id, masked_name=first.masked_name, grade=first.grade,
                   region=first.region, offers=offers_now)


def lookup_hash(code: str, rotating: RotatingCodes, now: datetime) -> str:
    """The look-up key of a scanned code: a static code's hash, or what a live rotating code signs
    (an expired or forged one matches nothing)."""
    if is_rotating(code):
        return rotating.resolve(code, now) or "-"
    return code_hash(code)


async def verdict(conn: Any, merchant_id: str, code: str, now: datetime, rotating: RotatingCodes) -> Verdict:
    return judge(await repository.look_up(conn, merchant_id, lookup_hash(code, rotating, now), now), merchant_id)


async def quick_verdict(reader: repository.SQLiteVerifyReader | None, db: Any, rotating: RotatingCodes,
                        merchant_id: str, code: str, now: datetime) -> Verdict:
    """The POS verify: on SQLite through the process's own reader, else one pooled connection."""
    if reader is not None:
        return judge(reader.look_up(merchant_id, lookup_hash(code, rotating, now), now), merchant_id)
    async with db.engine.connect() as conn:
        return await verdict(conn, merchant_id, code, now, rotating)


def refuse(v: Verdict) -> ProblemError:
    messages = {UNKNOWN: Text("unknown, revoked or replaced code", "信用码无效、已注销或已更换"),
                NOT_CREDIT: Text("not a credit household (非信用户)", "不是信用户（非信用户）")}
    status = v.shown_status
    return ProblemError(422, Text("Code not accepted", "信用码未通过"), messages[status], type=status.replace("_", "-"),
                        errors=[{"field": "code", "message": messages[status]}])


async def redeem(session: AsyncSession, merchant_id: str, body: RedeemIn, rotating: RotatingCodes,
                 disclose: Callable[[Verdict], None]) -> RedeemOut:
    """Price the bill, take the budgets and limits (conditional UPDATEs), record, announce.

    ``disclose`` hears the verdict before anything else: a refused redemption tells the POS as much
    as a verify does (not a credit household, or which offers apply), so it is logged the same way."""
    now = utcnow()
    v = await verdict(await session.connection(), merchant_id, body.code, now, rotating)
    disclose(v)
    if not v.valid:
        raise refuse(v)
    applicable = {o["offer_id"] for o in v.offers}
    wanted = body.ids()
    field_name = "offer_id" if body.offer_id is not None else "offer_ids"
    missing = [i for i in wanted if i not in applicable]
    if missing:
        raise field_error(field_name, Text(f"not applicable to this household here now: {', '.join(missing)}",
                                           f"以下优惠此时此地不适用于该农户：{', '.join(missing)}"))
    rows = {r.id: r for r in await offers.usable_at(session, merchant_id, wanted)}
    try:
        priced = discounts.price(body.bill_amount, [(i, rule_from_json(rows[i].rule), rows[i].stackable) for i in wanted],
                                 body.quantity)
    except discounts.DiscountError as exc:
        raise field_error(field_name if exc.field.startswith("offer") else exc.field, exc.message) from exc
    assert v.subject_id is not None
    day = county_day(now)
    receipt_id = f"r-{uuid.uuid4().hex[:16]}"
    lines: list[dict[str, Any]] = []
    for n, line in enumerate(priced.lines, start=1):
        offer = rows[line.key]
        fen = to_fen(line.discount)
        if not await offers.spend_total(session, offer.id, fen):
            raise conflict(Text("Budget exhausted", "优惠预算已用完"),
                           Text(f"offer {offer.id} has no budget left for this discount", f"优惠 {offer.id} 的预算不足以支付这笔优惠"),
                           type="budget-exhausted", offer_id=offer.id)
        if not await offers.spend_daily(session, offer.id, day, fen, offer.budget_daily_fen):
            raise conflict(Text("Daily budget exhausted", "当日优惠预算已用完"),
                           Text(f"offer {offer.id} has no budget left today", f"优惠 {offer.id} 今天的预算已用完"),
                           type="daily-budget-exhausted", offer_id=offer.id)
        if not await offers.use_for_household(session, offer.id, v.subject_id, offer.per_household_limit):
            raise conflict(Text("Limit reached", "已达使用上限"),
                           Text(f"this household has used offer {offer.id} as often as it may",
                                f"该农户使用优惠 {offer.id} 的次数已达上限"),
                           type="household-limit-reached", offer_id=offer.id)
        line_id = receipt_id if len(priced.lines) == 1 else f"{receipt_id}-{n}"
        lines.append({"id": line_id, "receipt_id": receipt_id, "merchant_id": merchant_id, "offer_id": offer.id,
                      "subject_id": v.subject_id, "region": v.region, "region_code": most_precise_region(v.region),
                      "bill_fen": to_fen(priced.bill), "discount_fen": fen, "quantity": body.quantity,
                      "status": RECORDED, "day": day, "redeemed_at": now, "programme_id": offer.programme_id})
    await redemptions.add(session, lines)
    for record in lines:
        await announce(session, record, RECORDED)
    return RedeemOut(redemption_id=receipt_id, bill_amount=str(priced.bill), discount=str(priced.discount),
                     amount_to_pay=str(priced.to_pay), offers=[
                         RedeemedOfferOut(redemption_id=rec["id"], offer_id=rec["offer_id"],
                                          discount=fen_str(rec["discount_fen"])) for rec in lines],
                     redeemed_at=now.isoformat())


async def announce(session: AsyncSession, line: dict[str, Any] | Any, status: str,
                   reversed_at: datetime | None = None) -> None:
    """redemption-recorded, through the outbox in the same transaction."""
    values: dict[str, Any] = dict(line) if isinstance(line, dict) else dict(line._mapping)
    get = values.__getitem__
    await emit(session, events.redemption_recorded(
        redemption_id=get("id"), merchant_id=get("merchant_id"), offer_id=get("offer_id"),
        subject_id=str(get("subject_id")), region_codes=get("region"), bill_amount=from_fen(get("bill_fen")),
        discount=from_fen(get("discount_fen")), status=status, redeemed_at=get("redeemed_at"),
        receipt_id=get("receipt_id"), programme_id=values.get("programme_id"), day=date.fromisoformat(get("day")),
        reversed_at=reversed_at))


async def refund(session: AsyncSession, merchant_id: str, redemption_id: str) -> RefundOut:
    """Reverse a purchase's redemptions, once: budgets, daily budgets and the household's uses come back."""
    rows = await redemptions.receipt_of(session, redemption_id, merchant_id)
    if not rows:
        raise not_found(Text("redemption", "核销记录"), redemption_id)
    now = utcnow()
    if await redemptions.reverse(session, rows[0].receipt_id, now) != len(rows):
        raise conflict(Text("Already refunded", "已退款"),
                       Text(f"redemption {redemption_id} was refunded before", f"核销记录 {redemption_id} 此前已退款"),
                       type="already-refunded")
    for row in rows:
        await offers.give_back(session, row.offer_id, row.subject_id, row.day, row.discount_fen)
        await announce(session, row, "reversed", reversed_at=now)
    return RefundOut(redemption_id=rows[0].receipt_id, status="reversed", reversed_at=now.isoformat(),
                     discount_returned=fen_str(sum(r.discount_fen for r in rows)))
