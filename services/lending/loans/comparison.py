"""A bank's own list of loans against lending's record (对账核对): after a restore from a backup,
the loans a bank was told about (201) but lending no longer holds are listed, never guessed.

The bank sends the loans it has (id and amount, as lending answered them); lending answers which
of them it does not hold (``missing``: recorded after the backup that was restored, or never
recorded here) and which it holds with another amount (``amount_mismatch``). Plain functions and
the request/response bodies; the SQL is ``repository.loans_by_ids``.
"""
from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from common.i18n import Text, TextError
from lending.loans.models import Loan
from lending.money import fen_str, to_fen


class BankLoan(BaseModel):
    id: str = Field(min_length=1, max_length=36, description="the loan id lending answered with its 201")
    amount: Decimal = Field(gt=0, max_digits=15, decimal_places=2, description="CNY, as recorded")
    subject_id: str | None = Field(default=None, max_length=80)


class BankLoanList(BaseModel):
    loans: list[BankLoan] = Field(max_length=10_000, description="the bank's loans to check (at most 10,000 a call)")
    bank_id: str | None = Field(default=None, max_length=80, pattern=r"^[A-Za-z0-9_.-]+$",
                                description="whose list it is (the county only; a bank's token names its own)")

    @field_validator("loans")
    @classmethod
    def _unique(cls, loans: list[BankLoan]) -> list[BankLoan]:
        seen: set[str] = set()
        for loan in loans:
            if loan.id in seen:
                raise TextError(Text(f"loan {loan.id} is listed twice", f"贷款 {loan.id} 被重复列出"))
            seen.add(loan.id)
        return loans


class AmountMismatch(BaseModel):
    id: str
    bank_amount: str
    lending_amount: str


class ComparisonOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"bank_id": "bank-tcrcb", "checked": 3, "matched": 1, "missing": [{"id": "loan-9a0c", "amount": "20000.00", "subject_id": "hh-71c2"}], "amount_mismatch": [{"id": "loan-7d1e", "bank_amount": "50000.00", "lending_amount": "5000.00"}]}]})
    bank_id: str
    checked: int
    matched: int
    missing: list[BankLoan] = Field(description="loans the bank has and lending does not (e.g. recorded after "
                                                "the backup lending was restored from)")
    amount_mismatch: list[AmountMismatch]


def compare(bank_id: str, listed: list[BankLoan], held: list[Loan]) -> ComparisonOut:
    by_id = {loan.id: loan for loan in held}
    missing: list[BankLoan] = []
    mismatch: list[AmountMismatch] = []
    for loan in listed:
        ours = by_id.get(loan.id)
        if ours is None:
            missing.append(loan)
        elif ours.amount_fen != to_fen(loan.amount):
            mismatch.append(AmountMismatch(id=loan.id, bank_amount=fen_str(to_fen(loan.amount)),
                                           lending_amount=fen_str(ours.amount_fen)))
    return ComparisonOut(bank_id=bank_id, checked=len(listed), matched=len(listed) - len(missing) - len(mismatch),
                         missing=missing, amount_mismatch=mismatch)
