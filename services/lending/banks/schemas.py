"""Request and response bodies for banks and products."""
from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from common.i18n import Text, TextError

Kind = Literal["household", "new_entity", "collective"]
Grade = Literal["AAA", "AA", "A", "B", "C", "D"]


class BankIn(BaseModel):
    id: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1, max_length=120)


class BankStatusIn(BaseModel):
    active: bool = Field(description="false: the bank's tokens are refused on every route at once")


class BankOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"id": "bank-tcrcb", "name": "天长农商银行", "active": True}]})
    id: str
    name: str
    active: bool


class ProductIn(BaseModel):
    code: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1, max_length=120, description="e.g. 芡实贷")
    grades: list[Grade] = Field(default=["A", "AA", "AAA"], min_length=1)
    kinds: list[Kind] = Field(default=["household"], min_length=1)
    industries: list[str] = Field(default=[], description="empty: any industry")
    min_amount: Decimal = Field(default=Decimal("1000.00"), gt=0, max_digits=15, decimal_places=2)
    max_amount: Decimal = Field(default=Decimal("2000000.00"), gt=0, max_digits=15, decimal_places=2)
    min_term_months: int = Field(default=1, ge=1, le=360)
    max_term_months: int = Field(default=36, ge=1, le=360)
    programme: str | None = Field(default=None, max_length=40, description="risk-sharing programme, default 4321")

    @model_validator(mode="after")
    def _ranges(self) -> ProductIn:
        if self.min_amount > self.max_amount:
            raise TextError(Text("min_amount must not exceed max_amount", "min_amount（最低金额）不能大于 max_amount（最高金额）"))
        if self.min_term_months > self.max_term_months:
            raise TextError(Text("min_term_months must not exceed max_term_months",
                                 "min_term_months（最短期限）不能大于 max_term_months（最长期限）"))
        return self


class ProductOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"code": "xingcun-funong", "bank_id": "bank-tcrcb", "name": "兴村富农贷", "grades": ["AAA", "AA", "A"], "kinds": ["household"], "industries": [], "min_amount": "10000.00", "max_amount": "300000.00", "min_term_months": 6, "max_term_months": 36, "programme": "4321"}]})
    code: str
    bank_id: str
    name: str
    grades: list[str]
    kinds: list[str]
    industries: list[str]
    min_amount: str
    max_amount: str
    min_term_months: int
    max_term_months: int
    programme: str | None
