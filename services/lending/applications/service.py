"""Online applications: a credit household applies with two documents; the bank approves (the
loan is recorded on the line at once, same day) or declines."""
from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal, Role
from common.clock import beijing_today
from common.db import utcnow
from common.errors import ProblemError, field_error, not_found
from common.i18n import Text
from lending.applications import repository
from lending.applications.models import APPROVED, DECLINED, PENDING, Application
from lending.applications.schemas import ApplicationIn, ApplicationOut, DecisionIn, DocumentRef
from lending.banks import repository as banks
from lending.credit_lines import repository as lines
from lending.loans import service as loans
from lending.loans.schemas import LoanIn
from lending.money import fen_str, from_fen, to_fen
from lending.policies.rates import RateBook
from lending.subjects.service import no_consent, refused


def application_out(a: Application) -> ApplicationOut:
    return ApplicationOut(id=a.id, subject_id=a.subject_id, bank_id=a.bank_id, product=a.product,
                          amount=fen_str(a.amount_fen), term_months=a.term_months,
                          documents=[DocumentRef(**d) for d in a.documents], status=a.status,
                          decision_reason=a.decision_reason, loan_id=a.loan_id, submitted_at=a.submitted_at,
                          decided_at=a.decided_at)


APPLICATION_DECLINED, APPLICATION_REFUSED = "application-declined", "application-refused"


APPLICATION = Text("application", "贷款申请")
ALREADY_DECIDED = Text("Already decided", "申请已处理")
STATUS_ZH = {"approved": "已批准", "declined": "已拒绝", "pending": "待处理"}


async def submit(session: AsyncSession, caller: Principal, body: ApplicationIn, disclose: loans.Disclose) -> ApplicationOut:
    """``disclose`` hears what a refusal tells the caller of the line (a bank's are logged)."""
    bank_id = caller.bank_id if caller.role == Role.bank else body.bank_id
    if caller.role == Role.bank and body.bank_id not in (None, caller.bank_id):
        raise field_error("bank_id", Text("a bank submits applications to itself only", "银行只能向本行提交贷款申请"))
    if not bank_id:
        raise field_error("bank_id", Text("name the bank applied to", "须指明申请的银行"))
    partner = await banks.get_bank(session, bank_id)
    if partner is None or not partner.active:
        raise field_error("bank_id", Text(f"{bank_id} is not an active partner bank", f"{bank_id} 不是有效的合作银行"))
    line = await lines.get(session, body.subject_id)
    if line is None or not caller.in_region(line.region_village):  # outside the region: as if unknown
        raise loans.unknown_subject(body.subject_id)
    if refused(line.consent_lending):
        disclose(None, APPLICATION_REFUSED)
        raise no_consent(body.subject_id)
    refusal = loans.unusable_line(line, beijing_today())
    if refusal:  # it names the line's state and grade
        disclose(line.grade, APPLICATION_DECLINED)
        raise refusal
    if body.product is not None:
        product = await banks.get_product(session, body.product)
        if product is None or product.bank_id != bank_id:
            raise field_error("product", Text(f"{body.product} is not a product of bank {bank_id}",
                                              f"{body.product} 不是银行 {bank_id} 的贷款产品"))
    now = utcnow()
    app = Application(id=str(uuid.uuid4()), subject_id=body.subject_id, bank_id=bank_id, product=body.product,
                      amount_fen=to_fen(body.amount), term_months=body.term_months,
                      documents=[d.model_dump() for d in body.documents], status=PENDING, decision_reason=None,
                      loan_id=None, submitted_by=caller.caller_id, submitted_at=now, decided_at=None)
    await repository.add(session, {c.key: getattr(app, c.key) for c in Application.__table__.columns})
    return application_out(app)


async def decide(session: AsyncSession, rates: RateBook, bank_id: str, application_id: str,
                 body: DecisionIn, disclosure: Callable[[str], loans.Disclose]) -> ApplicationOut:
    """``disclosure(subject_id)`` hears what the loan tells the bank of the subject's line."""
    app = await repository.get(session, application_id, bank_id)
    if app is None:
        raise not_found(APPLICATION, application_id)
    if app.status != PENDING:
        raise ProblemError(409, ALREADY_DECIDED,
                           Text(f"application {application_id} is {app.status}",
                                f"贷款申请 {application_id} 已处理（{STATUS_ZH.get(app.status, app.status)}）"),
                           type="application-decided")
    loan_id = None
    if body.decision == "approve":
        assert body.annual_rate is not None
        loan = await loans.record_loan(session, rates, bank_id, LoanIn(
            subject_id=app.subject_id, amount=from_fen(app.amount_fen), annual_rate=body.annual_rate,
            term_months=app.term_months, product=app.product), disclosure(app.subject_id))
        loan_id = loan.id
    now = utcnow()
    if not await repository.decide(session, application_id, APPROVED if loan_id else DECLINED, body.reason, loan_id, now):
        raise ProblemError(409, ALREADY_DECIDED,
                           Text(f"application {application_id} was decided meanwhile", f"贷款申请 {application_id} 已被他人处理"),
                           type="application-decided")
    await session.refresh(app)
    return application_out(app)
