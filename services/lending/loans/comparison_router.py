"""Partner banks → lending: ``POST /v1/reconciliation``, a bank's own list of loans checked
against lending's record (what a restore from a backup may have lost)."""
from __future__ import annotations

from fastapi import APIRouter

from common.auth import Role
from common.db import Session
from common.errors import field_error, problems
from common.i18n import Text
from lending.loans import repository
from lending.loans.comparison import BankLoanList, ComparisonOut, compare
from lending.loans.router import BankCaller

router = APIRouter(prefix="/v1", tags=["loans"], responses=problems(401, 403, 422))


@router.post("/reconciliation", response_model=ComparisonOut)
async def compare_bank_list(body: BankLoanList, caller: BankCaller, session: Session) -> ComparisonOut:
    """The bank's loans that lending does not hold, or holds with another amount. Read-only
    (nothing is recorded), so unlike the bank's other POSTs it needs no Idempotency-Key."""
    if caller.role == Role.bank:
        if body.bank_id not in (None, caller.bank_id):
            raise field_error("body.bank_id", Text("a bank checks its own loans only", "银行只能核对本行的贷款"))
        bank = str(caller.bank_id)
    elif body.bank_id:
        bank = body.bank_id
    else:
        raise field_error("body.bank_id", Text("the county names the bank whose list it checks", "县级用户须指明要核对哪家银行的贷款清单"))
    held = await repository.loans_by_ids(session, bank, [loan.id for loan in body.loans])
    return compare(bank, body.loans, list(held))
