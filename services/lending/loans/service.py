"""Loans on credit lines: record (the draw), repay, default, list.

A draw is one conditional UPDATE of the line (``credit_lines.repository.draw``): the database, not
this code, decides whether the amount still fits, so concurrent draws from several banks can never
pass the line together. ``drawn`` is always the sum of what active loans still owe."""
from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.clock import beijing_day
from common.db import utcnow
from common.errors import ProblemError, field_error, not_found
from common.events import emit, emit_many
from common.i18n import Text
from lending import events
from lending.banks import repository as banks
from lending.banks.eligibility import ineligibility
from lending.banks.service import product_rules
from lending.credit_lines import repository as lines
from lending.credit_lines.models import ACTIVE, CLOSED, FROZEN, CreditLine
from lending.credit_lines.rules import add_months, available_fen
from lending.credit_lines.service import announce_use, record_changes, region_of, use_event
from lending.loans import repository
from lending.loans.models import DEFAULTED, Loan
from lending.loans.schemas import DefaultIn, LoanDefaultOut, LoanIn, LoanOut, RepaymentIn, RepaymentOut
from lending.money import fen_str, from_fen, max_rate, rate_str, to_fen
from lending.policies.rates import RateBook
from lending.risk import service as risk
from lending.subjects.service import no_consent, refused

# Records one disclosure to the calling bank: (grade shown or None, channel).
Disclose = Callable[[str | None, str], None]
# What a bank learns of a line from a loan: the loan (its grade and rate cap), or a refusal that
# names the grade, the available amount, the cap or the line's state. Each is a logged disclosure.
LOAN, LOAN_DECLINED, LOAN_REFUSED = "loan", "loan-declined", "loan-refused"


def loan_out(loan: Loan, cap: Decimal | None = None) -> LoanOut:
    return LoanOut(id=loan.id, subject_id=loan.subject_id, bank_id=loan.bank_id, kind=loan.kind, product=loan.product,
                   amount=fen_str(loan.amount_fen), outstanding=fen_str(loan.outstanding_fen),
                   annual_rate=rate_str(Decimal(loan.annual_rate)), max_rate=rate_str(cap) if cap is not None else None,
                   term_months=loan.term_months, grade=loan.grade, status=loan.status, drawn_at=loan.drawn_at,
                   due_on=loan.due_on, closed_at=loan.closed_at)


def unknown_subject(subject_id: str) -> ProblemError:
    return ProblemError(404, Text("Unknown subject", "信用主体不存在"),
                        Text(f"no credit line is known for subject {subject_id}", f"没有信用主体 {subject_id} 的授信额度"),
                        type="unknown-subject",
                        errors=[{"field": "subject_id", "message": Text("unknown subject", "信用主体不存在")}])


def unusable_line(line: CreditLine, today: date) -> ProblemError | None:
    """Why nothing at all can be drawn on this line, or None."""
    if line.status == FROZEN:
        why = (Text("a loan defaulted: held until the county re-rates it", "有贷款违约，在县里重新评级前冻结")
               if line.freeze_reason else Text(f"grade {line.grade}", f"信用等级为 {line.grade}"))
        return ProblemError(409, Text("Credit line frozen", "授信额度已冻结"),
                            Text(f"the line of {line.subject_id} is frozen ({why.en}): no new draws",
                                 f"{line.subject_id} 的授信额度已冻结（{why.zh}），不能新增用信"),
                            type="line-frozen", grade=line.grade, freeze_reason=line.freeze_reason)
    if line.status == CLOSED:
        return ProblemError(409, Text("Credit line closed", "授信额度已关闭"),
                            Text(f"subject {line.subject_id} is archived by the registry: its line is closed",
                                 f"信用主体 {line.subject_id} 的档案已在登记系统中归档，其授信额度已关闭"),
                            type="line-closed")
    if line.status != ACTIVE:
        return ProblemError(409, Text("No credit line", "没有授信额度"),
                            Text(f"subject {line.subject_id} has no graded credit line (grade {line.grade})",
                                 f"信用主体 {line.subject_id} 没有按信用等级核定的授信额度（信用等级 {line.grade}）"),
                            type="no-credit-line", grade=line.grade)
    if line.valid_until is not None and line.valid_until < today:
        return ProblemError(409, Text("Credit line expired", "授信额度已到期"),
                            Text(f"the line was valid until {line.valid_until}", f"授信额度的有效期截至 {line.valid_until}"),
                            type="line-expired", valid_until=str(line.valid_until))
    return None


def over_available(line: CreditLine, amount_fen: int, today: date) -> ProblemError:
    available = available_fen(line.status, line.line_fen, line.drawn_fen, line.valid_until, today)
    return ProblemError(409, Text("Over the available line", "超出可用授信额度"),
                        Text(f"{fen_str(amount_fen)} asked, {fen_str(available)} available",
                             f"申请 {fen_str(amount_fen)} 元，可用额度仅 {fen_str(available)} 元"),
                        type="over-available-line", available=fen_str(available),
                        errors=[{"field": "amount", "message": Text("more than the available line", "超出可用授信额度")}])


async def record_loan(session: AsyncSession, rates: RateBook, bank_id: str, body: LoanIn, disclose: Disclose) -> LoanOut:
    """Draw first, check after: the conditional UPDATE returns the line's terms, and any refusal
    raised after it (rate cap, product) rolls the draw back with the transaction. The happy path is
    three statements: the draw, the loan, the outbox event.

    Whatever the answer tells the bank of the line is reported through ``disclose``: a refusal
    for want of consent (nothing shown), a refusal that shows the line's grade, state or available
    amount (only once consent is known), and the loan itself."""
    now = utcnow()
    today = beijing_day(now)  # due dates and line validity are Beijing days
    amount_fen = to_fen(body.amount)
    product = None
    if body.product is not None:
        product = await banks.get_product(session, body.product)
        if product is None or product.bank_id != bank_id:
            raise field_error("product", Text(f"{body.product} is not a product of bank {bank_id}",
                                              f"{body.product} 不是银行 {bank_id} 的贷款产品"))
    benchmark = await rates.benchmark(today, session)
    if benchmark is None:
        raise ProblemError(503, Text("No benchmark rate", "没有基准利率"),
                           Text("no benchmark rate is in force", "目前没有生效的基准利率"), type="no-benchmark-rate")
    line = await lines.draw(session, body.subject_id, amount_fen, today)
    if line is None:
        # Refused by the database: say why from what the line looks like now.
        current = await lines.get(session, body.subject_id)
        if current is None:
            raise unknown_subject(body.subject_id)
        await session.refresh(current)
        if refused(current.consent_lending):
            disclose(None, LOAN_REFUSED)
            raise no_consent(body.subject_id)
        disclose(current.grade, LOAN_DECLINED)
        raise unusable_line(current, today) or over_available(current, amount_fen, today)
    if refused(line.consent_lending):  # the draw rolls back with the transaction
        disclose(None, LOAN_REFUSED)
        raise no_consent(body.subject_id)
    if product is not None:
        why = ineligibility(product_rules(product), grade=line.grade, kind=line.kind, industry=line.industry,
                            amount_fen=amount_fen, term_months=body.term_months)
        if why:
            disclose(line.grade, LOAN_DECLINED)
            raise ProblemError(422, Text("Product not eligible", "不符合产品准入条件"),
                               Text(f"{product.name}: {why.en}", f"{product.name}：{why.zh}"), type="product-not-eligible",
                               errors=[{"field": "product", "message": why}])
    cap = max_rate(benchmark, Decimal(line.max_markup))
    if body.annual_rate > cap:
        disclose(line.grade, LOAN_DECLINED)
        raise ProblemError(422, Text("Rate above the cap", "利率超过上限"),
                           Text(f"{rate_str(body.annual_rate)} % is above the cap of {rate_str(cap)} % for grade {line.grade}",
                                f"年利率 {rate_str(body.annual_rate)}% 超过信用等级 {line.grade} 的上限 {rate_str(cap)}%"),
                           type="rate-above-cap", max_rate=rate_str(cap),
                           errors=[{"field": "annual_rate",
                                    "message": Text(f"at most {rate_str(cap)}", f"最高 {rate_str(cap)}%")}])
    loan_id = str(uuid.uuid4())
    values: dict[str, Any] = {
        "id": loan_id, "subject_id": body.subject_id, "bank_id": bank_id, "kind": line.kind, "product": body.product,
        "amount_fen": amount_fen, "outstanding_fen": amount_fen, "annual_rate": body.annual_rate,
        "term_months": body.term_months, "grade": line.grade, "programme": product.programme if product else None,
        "status": "active", "drawn_at": now, "due_on": add_months(today, body.term_months), "closed_at": None}
    await repository.add_loan(session, values)
    region = {"county": line.region_county, "town": line.region_town, "village": line.region_village,
              "group": line.region_group}
    # The loan and the line it drew on, in one outbox statement.
    await emit_many(session, [events.loan_recorded(
        loan_id=loan_id, subject_id=body.subject_id, bank_id=bank_id, region_codes=region, kind=line.kind,
        amount=from_fen(amount_fen), annual_rate=body.annual_rate, term_months=body.term_months,
        product=body.product, drawn_at=now), use_event(line, "drawn")])
    disclose(line.grade, LOAN)
    return loan_out(Loan(**values), cap)


async def own_loan(session: AsyncSession, loan_id: str, bank_id: str | None) -> Loan:
    loan = await repository.get_loan(session, loan_id, bank_id)
    if loan is None:  # another bank's loan is as good as absent
        raise not_found(Text("loan", "贷款"), loan_id)
    return loan


def closed(loan: Loan) -> ProblemError:
    status_zh = {"repaid": "已结清", "defaulted": "已违约"}.get(loan.status, loan.status)
    return ProblemError(409, Text("Loan closed", "贷款已了结"),
                        Text(f"loan {loan.id} is {loan.status}", f"贷款 {loan.id} {status_zh}"),
                        type="loan-closed", loan_status=loan.status)


def over_outstanding(field: str, outstanding_fen: int) -> ProblemError:
    return field_error(field, Text(f"more than the outstanding {fen_str(outstanding_fen)}",
                                   f"超过未还余额 {fen_str(outstanding_fen)} 元"))


async def repay(session: AsyncSession, bank_id: str, loan_id: str, body: RepaymentIn) -> RepaymentOut:
    loan = await own_loan(session, loan_id, bank_id)
    if loan.status == DEFAULTED:
        return await recover(session, bank_id, loan, body)
    if loan.status != "active":
        raise closed(loan)
    amount_fen = to_fen(body.amount)
    if amount_fen > loan.outstanding_fen:
        raise over_outstanding("amount", loan.outstanding_fen)
    now = utcnow()
    repaid_at = body.repaid_at or now
    if not await repository.reduce_outstanding(session, loan_id, amount_fen, now):
        await session.refresh(loan)  # a concurrent repayment or default got there first
        raise closed(loan) if loan.status != "active" else over_outstanding("amount", loan.outstanding_fen)
    released = await lines.release(session, loan.subject_id, amount_fen)
    await session.refresh(loan)
    outstanding = loan.outstanding_fen
    on_time = body.on_time if body.on_time is not None else beijing_day(repaid_at) <= loan.due_on
    rid = await repository.add_repayment(session, {"loan_id": loan_id, "bank_id": bank_id, "amount_fen": amount_fen,
                                                   "outstanding_fen": outstanding, "on_time": on_time,
                                                   "repaid_at": repaid_at})
    line = await lines.get(session, loan.subject_id)
    await emit(session, events.loan_repaid(
        loan_id=loan_id, subject_id=loan.subject_id, bank_id=bank_id, region_codes=region_of(line) if line else None,
        kind=loan.kind, amount=from_fen(amount_fen), outstanding=from_fen(outstanding), on_time=on_time,
        repaid_at=repaid_at))
    if released is not None:
        await announce_use(session, released, "released")
    return RepaymentOut(id=rid, loan_id=loan_id, amount=fen_str(amount_fen), outstanding=fen_str(outstanding),
                        on_time=on_time, fully_repaid=outstanding == 0, repaid_at=repaid_at)


async def recover(session: AsyncSession, bank_id: str, loan: Loan, body: RepaymentIn) -> RepaymentOut:
    """A repayment on a defaulted loan (清收): what it still owed falls; the line is not touched (the
    default released it already). Fully repaid, the default is cured (rating lifts its veto on
    ``loan-repaid`` with ``fully_repaid``), so ``on_time`` defaults to false."""
    amount_fen = to_fen(body.amount)
    if amount_fen > loan.outstanding_fen:
        raise over_outstanding("amount", loan.outstanding_fen)
    now = utcnow()
    repaid_at = body.repaid_at or now
    if not await repository.reduce_defaulted(session, loan.id, amount_fen):
        await session.refresh(loan)
        raise over_outstanding("amount", loan.outstanding_fen)
    await session.refresh(loan)
    outstanding = loan.outstanding_fen
    on_time = bool(body.on_time)
    rid = await repository.add_repayment(session, {"loan_id": loan.id, "bank_id": bank_id, "amount_fen": amount_fen,
                                                   "outstanding_fen": outstanding, "on_time": on_time,
                                                   "repaid_at": repaid_at})
    line = await lines.get(session, loan.subject_id)
    await emit(session, events.loan_repaid(
        loan_id=loan.id, subject_id=loan.subject_id, bank_id=bank_id, region_codes=region_of(line) if line else None,
        kind=loan.kind, amount=from_fen(amount_fen), outstanding=from_fen(outstanding), on_time=on_time,
        repaid_at=repaid_at))
    return RepaymentOut(id=rid, loan_id=loan.id, amount=fen_str(amount_fen), outstanding=fen_str(outstanding),
                        on_time=on_time, fully_repaid=outstanding == 0, repaid_at=repaid_at)


async def default(session: AsyncSession, bank_id: str, loan_id: str, body: DefaultIn, author: str) -> LoanDefaultOut:
    """A default closes the loan, frees its balance from the line (``drawn`` stays the sum of active
    loans) and, in the same statement, freezes the line at every bank until a rating made after the
    default arrives (DOMAIN: a default is a veto source until cured); shares the loss per the programme."""
    loan = await own_loan(session, loan_id, bank_id)
    if loan.status != "active":
        raise closed(loan)
    at = body.defaulted_at or utcnow()
    outstanding = await repository.mark_defaulted(session, loan_id, at)
    if outstanding is None:
        await session.refresh(loan)
        raise closed(loan)
    loss_fen = to_fen(body.loss_amount) if body.loss_amount is not None else outstanding
    if loss_fen > outstanding:
        raise over_outstanding("loss_amount", outstanding)
    released = await lines.release_and_hold(session, loan.subject_id, outstanding, utcnow())
    sharing = await risk.share_loss(session, loan_id=loan_id, bank_id=bank_id, programme_code=loan.programme,
                                    loss_fen=loss_fen, at=at, author=author)
    line = await lines.get(session, loan.subject_id)
    await emit(session, events.loan_defaulted(
        loan_id=loan_id, subject_id=loan.subject_id, bank_id=bank_id, region_codes=region_of(line) if line else None,
        kind=loan.kind, loss_amount=Decimal(sharing.loss_amount),
        shares={k: Decimal(v) for k, v in sharing.shares.items()}, fund_paid=Decimal(sharing.fund_paid),
        defaulted_at=at))
    if released is not None:
        held = released.freeze_reason is not None
        if held:
            await record_changes(session, [{
                "subject_id": loan.subject_id, "version": released.version, "change": "frozen",
                "old_grade": released.grade, "grade": released.grade, "status": released.status,
                "old_line_fen": released.line_fen, "line_fen": released.line_fen, "max_markup": released.max_markup,
                "rating_version": released.rating_version, "reason": f"loan {loan_id} defaulted: frozen until re-rated",
                "changed_at": utcnow()}])
        await announce_use(session, released, "frozen" if held else "released",
                           reason=f"loan {loan_id} defaulted: balance released, line frozen at every bank until "
                           "the county re-rates the subject" if held else None,
                           rating_version=released.rating_version if held else None)
    await session.refresh(loan)
    return LoanDefaultOut(loan=loan_out(loan), risk_sharing=sharing)

