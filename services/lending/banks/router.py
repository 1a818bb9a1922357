"""Partner banks (合作银行) and their products: registered by the county (admin)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from common.auth import Principal, Role, require_roles
from common.db import Session
from common.errors import problems
from lending.banks import repository, service
from lending.banks.schemas import BankIn, BankOut, BankStatusIn, ProductIn, ProductOut

router = APIRouter(prefix="/v1", tags=["banks"], responses=problems(401, 403, 422))
Admin = Annotated[Principal, Depends(require_roles(Role.admin))]
Reader = Annotated[Principal, Depends(require_roles(Role.bank, Role.officer, Role.platform))]


@router.post("/banks", response_model=BankOut, status_code=201)
async def add_bank(body: BankIn, _: Admin, session: Session) -> BankOut:
    return await service.add_bank(session, body)


@router.post("/banks/{bank_id}/status", response_model=BankOut, responses=problems(404))
async def set_status(bank_id: str, body: BankStatusIn, _: Admin, session: Session) -> BankOut:
    """Deactivate a partner bank (every request with its tokens is refused from now on) or reactivate it."""
    return await service.set_active(session, bank_id, body.active)


@router.get("/banks", response_model=list[BankOut])
async def list_banks(_: Reader, session: Session) -> list[BankOut]:
    return [service.bank_out(b) for b in await repository.list_banks(session)]


@router.post("/banks/{bank_id}/products", response_model=ProductOut, status_code=201, responses=problems(404))
async def add_product(bank_id: str, body: ProductIn, caller: Admin, session: Session) -> ProductOut:
    return await service.add_product(session, bank_id, body, caller)


@router.get("/products", response_model=list[ProductOut])
async def list_products(_: Reader, session: Session, bank_id: str | None = None) -> list[ProductOut]:
    return [service.product_out(p) for p in await repository.list_products(session, bank_id)]
