"""Defaults and risk sharing: a loss is split per the programme; the government's share is paid
from the risk-compensation fund (风险补偿金) until it is exhausted."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from common.db import utcnow
from common.errors import conflict, field_error
from common.i18n import Text
from lending.money import fen_str, rate_str, to_fen
from lending.risk import repository
from lending.risk.models import GOVERNMENT, FundEntry, LoanDefault, RiskProgramme
from lending.risk.schemas import DefaultOut, FundEntryOut, FundOut, ProgrammeIn, ProgrammeOut, TopUpIn
from lending.risk.sharing import fund_payout, shares_problem, split_loss


def programme_out(p: RiskProgramme) -> ProgrammeOut:
    return ProgrammeOut(code=p.code, name=p.name, shares=p.shares, is_default=p.is_default)


def entry_out(e: FundEntry) -> FundEntryOut:
    return FundEntryOut(id=e.id, entry_type=e.entry_type, amount=fen_str(e.amount_fen),
                        balance_after=fen_str(e.balance_after_fen), loan_id=e.loan_id, note=e.note,
                        created_at=e.created_at)


async def add_programme(session: AsyncSession, body: ProgrammeIn) -> ProgrammeOut:
    shares = {party: rate_str(pct) for party, pct in body.shares.items()}
    problem = shares_problem(shares)
    if problem:
        raise field_error("shares", problem)
    if await repository.get_programme(session, body.code):
        raise conflict(Text("Programme exists", "风险分担方案已存在"),
                       Text(f"programme {body.code} exists", f"风险分担方案 {body.code} 已存在"), type="programme-exists")
    await repository.add_programme(session, {"code": body.code, "name": body.name, "shares": shares,
                                             "is_default": body.is_default, "created_at": utcnow()})
    return ProgrammeOut(code=body.code, name=body.name, shares=shares, is_default=body.is_default)


async def share_loss(session: AsyncSession, *, loan_id: str, bank_id: str, programme_code: str | None,
                     loss_fen: int, at: datetime, author: str) -> DefaultOut:
    """Record a default's loss, each party's share, and the fund's payout (a ledger entry)."""
    programme = (await repository.get_programme(session, programme_code) if programme_code else None) \
        or await repository.default_programme(session)
    assert programme is not None, "the 4321 programme is seeded"
    parts = split_loss(loss_fen, programme.shares)
    government = parts.get(GOVERNMENT, 0)
    account = await repository.fund_for_update(session)
    paid = fund_payout(government, account.balance_fen)
    if paid:
        await repository.move_fund(session, -paid, {
            "entry_type": "payout", "amount_fen": paid, "loan_id": loan_id, "created_by": author, "created_at": at,
            "note": f"government share of the loss on loan {loan_id}"})
    await repository.add_default(session, {"loan_id": loan_id, "bank_id": bank_id, "programme": programme.code,
                                           "loss_fen": loss_fen, "shares_fen": parts, "fund_paid_fen": paid,
                                           "defaulted_at": at})
    return DefaultOut(loan_id=loan_id, programme=programme.code, loss_amount=fen_str(loss_fen),
                      shares={k: fen_str(v) for k, v in parts.items()}, fund_paid=fen_str(paid),
                      unfunded_government_share=fen_str(government - paid), defaulted_at=at)


def default_out(d: LoanDefault) -> DefaultOut:
    parts, paid = d.shares_fen, d.fund_paid_fen
    return DefaultOut(loan_id=d.loan_id, programme=d.programme, loss_amount=fen_str(d.loss_fen),
                      shares={k: fen_str(v) for k, v in parts.items()}, fund_paid=fen_str(paid),
                      unfunded_government_share=fen_str(parts.get(GOVERNMENT, 0) - paid), defaulted_at=d.defaulted_at)


async def top_up(session: AsyncSession, body: TopUpIn, author: str) -> FundOut:
    await repository.move_fund(session, to_fen(body.amount), {
        "entry_type": "top_up", "amount_fen": to_fen(body.amount), "loan_id": None, "note": body.note,
        "created_by": author, "created_at": utcnow()})
    return await fund_view(session, 20)


async def fund_view(session: AsyncSession, limit: int) -> FundOut:
    account = await repository.fund(session)
    return FundOut(balance=fen_str(account.balance_fen),
                   entries=[entry_out(e) for e in await repository.fund_entries(session, limit)])

