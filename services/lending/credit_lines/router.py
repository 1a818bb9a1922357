"""Credit lines for banks and the county: one subject's line, its history, a village's lines
(整村授信). Every grade, line or history shown to a bank is logged, refusals too. The provincial
platform sees aggregates only (stats): no single subject's line, no village's list of lines."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import ORJSONResponse
from starlette.responses import Response
from starlette.routing import Route

from common.auth import Principal, Role, admit, admitting, forbidden, require_roles
from common.clock import beijing_today
from common.db import Session
from common.errors import field_error, problems
from common.i18n import Text
from common.paging import PageLimit
from lending.credit_lines import repository, service
from lending.credit_lines.models import CreditLine
from lending.credit_lines.repository import LineRow
from lending.credit_lines.schemas import CreditLineChangeOut, CreditLineOut, VillageLinesOut
from lending.disclosures.log import DisclosureLog
from lending.loans.service import unknown_subject
from lending.policies.rates import RateBook
from lending.subjects.service import no_consent, refused

router = APIRouter(prefix="/v1", tags=["credit lines"], responses=problems(401, 403, 422))
Reader = Annotated[Principal, Depends(require_roles(Role.bank, Role.officer))]


def in_region(caller: Principal, line: CreditLine | LineRow) -> bool:
    """Outside an officer's region a subject answers exactly like an unknown one."""
    return caller.in_region(line.region_village or line.region_town or line.region_county)


READER = admitting(Role.bank, Role.officer)
PURPOSE_MAX = 120
CREDIT_LINE_OPENAPI: dict[str, Any] = {"parameters": [
    {"name": "subject_id", "in": "path", "required": True, "schema": {"type": "string"}},
    {"name": "purpose", "in": "query", "required": False,
     "schema": {"type": "string", "maxLength": PURPOSE_MAX, "default": "credit-line"},
     "description": "why the bank reads the line (kept in the disclosure log)"}]}


async def credit_line(request: Request) -> Response:
    """The banks' hot read: one keyed read, the benchmark from memory, the body built as a dict; the
    disclosure is logged in the background. The caller is checked (``admit``) and the query parsed
    by hand, without FastAPI's dependency machinery: on this path it cost more than the read."""
    caller = await admit(request, READER)
    subject_id = request.path_params["subject_id"]
    purpose = request.query_params.get("purpose", "credit-line")
    if len(purpose) > PURPOSE_MAX:
        raise field_error("query.purpose", Text(f"at most {PURPOSE_MAX} characters", f"最多 {PURPOSE_MAX} 个字符"))
    app = request.app
    today = beijing_today()
    benchmark = await app.state.rates.benchmark(today)  # before the read: it may reload
    line = await repository.read_line(app.state.db, subject_id)
    if line is None or not in_region(caller, line):
        raise unknown_subject(subject_id)
    if caller.role == Role.bank:
        log: DisclosureLog = app.state.disclosures
        if refused(line.consent_lending):  # the attempt is logged, without the grade
            log.record(str(caller.bank_id), subject_id, None, "credit-line-refused", purpose)
            raise no_consent(subject_id)
        log.record(str(caller.bank_id), subject_id, line.grade, "credit-line", purpose)
    return ORJSONResponse(service.line_view(line, benchmark, today))


# Documented here (OpenAPI); served by the plain Starlette route below, which the app puts first.
router.add_api_route("/credit-lines/{subject_id}", credit_line, methods=["GET"], response_model=CreditLineOut,
                     openapi_extra=CREDIT_LINE_OPENAPI,
                     responses=problems(404, s404="unknown-subject", s403="no-consent (scope lending)"))
FAST_CREDIT_LINE = Route("/v1/credit-lines/{subject_id}", credit_line, methods=["GET"], include_in_schema=False)


@router.get("/credit-lines/{subject_id}/history", response_model=list[CreditLineChangeOut],
            responses=problems(404, s404="unknown-subject", s403="no-consent (scope lending)"))
async def credit_line_history(subject_id: str, caller: Reader, session: Session, request: Request, after: int = 0,
                              limit: PageLimit = 100,
                              purpose: str = Query(default="credit-line-history", max_length=120)
                              ) -> list[CreditLineChangeOut]:
    """The line's changes, by version (its grades and amounts over time), a disclosure like the line
    itself; the next page starts ``after`` the last ``version``."""
    line = await repository.get(session, subject_id)
    if line is None or not in_region(caller, line):
        raise unknown_subject(subject_id)
    if caller.role == Role.bank:
        log: DisclosureLog = request.app.state.disclosures
        if refused(line.consent_lending):  # the attempt is logged, without the grade
            log.record(str(caller.bank_id), subject_id, None, "credit-line-history-refused", purpose)
            raise no_consent(subject_id)
        log.record(str(caller.bank_id), subject_id, line.grade, "credit-line-history", purpose)
    return service.history_out(await repository.history(session, subject_id, after, limit))


@router.get("/villages/{village_code}/credit-lines", response_model=VillageLinesOut, responses=problems(404))
async def village_lines(village_code: str, caller: Reader, session: Session, request: Request,
                        after: str | None = None, limit: int = Query(default=200, ge=1, le=1000),
                        purpose: str = Query(default="whole-village-credit", max_length=120)) -> VillageLinesOut:
    """Whole-village granting (整村授信): every line in a village, for a bank's batch offer."""
    if not caller.in_region(village_code):
        raise forbidden(Text("this village lies outside your region", "该村不在您的辖区内"))
    # A bank sees only the subjects that consented to lending use; the county sees them all.
    rows = await repository.in_village(session, village_code, after, limit, consented_only=caller.role == Role.bank)
    today = beijing_today()
    rates: RateBook = request.app.state.rates
    benchmark = await rates.benchmark(today, session)
    items = [service.line_out(line, benchmark, today) for line in rows]
    if caller.role == Role.bank:
        log: DisclosureLog = request.app.state.disclosures
        for line in rows:
            log.record(str(caller.bank_id), line.subject_id, line.grade, "village-list", purpose)
    return VillageLinesOut(village=village_code, items=items,
                           next_after=items[-1].subject_id if len(items) == limit else None)
