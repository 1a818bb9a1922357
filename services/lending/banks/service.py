"""Partner banks and products."""
from __future__ import annotations

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal, Role, forbidden
from common.db import Database, utcnow
from common.errors import ProblemError, conflict, field_error, not_found
from common.i18n import Text
from lending.banks import repository
from lending.banks.eligibility import ProductRules
from lending.banks.models import Bank, Product
from lending.banks.schemas import BankIn, BankOut, ProductIn, ProductOut
from lending.money import fen_str, to_fen
from lending.risk import repository as risk


def bank_out(bank: Bank) -> BankOut:
    return BankOut(id=bank.id, name=bank.name, active=bank.active)


def product_out(p: Product) -> ProductOut:
    return ProductOut(code=p.code, bank_id=p.bank_id, name=p.name, grades=p.grades, kinds=p.kinds,
                      industries=p.industries, min_amount=fen_str(p.min_amount_fen), max_amount=fen_str(p.max_amount_fen),
                      min_term_months=p.min_term_months, max_term_months=p.max_term_months, programme=p.programme)


def product_rules(p: Product) -> ProductRules:
    return ProductRules(tuple(p.grades), tuple(p.kinds), tuple(p.industries), p.min_amount_fen, p.max_amount_fen,
                        p.min_term_months, p.max_term_months)


BANK = Text("bank", "银行")


def not_a_partner(bank_id: str | None) -> ProblemError:
    return ProblemError(403, Text("Not a partner bank", "非合作银行"),
                        Text(f"bank {bank_id} is not a registered partner bank", f"银行 {bank_id} 不是已登记的合作银行"),
                        type="unknown-bank")


async def bank_gate(request: Request, principal: Principal) -> None:
    """Every route, before anything else: a bank's token works only while its bank is a registered,
    active partner, so deactivating a bank stops all its reads and writes (and the registry look-ups
    made for it) at once. One keyed read of the latest commit, never cached."""
    if principal.role != Role.bank:
        return
    db: Database = request.app.state.db
    if not await repository.is_active_partner(db, principal.bank_id or ""):
        raise not_a_partner(principal.bank_id)


async def set_active(session: AsyncSession, bank_id: str, active: bool) -> BankOut:
    if not await repository.set_active(session, bank_id, active):
        raise not_found(BANK, bank_id)
    bank = await repository.get_bank(session, bank_id)
    assert bank is not None
    await session.refresh(bank)
    return bank_out(bank)


async def add_bank(session: AsyncSession, body: BankIn) -> BankOut:
    if await repository.get_bank(session, body.id):
        raise conflict(Text("Bank exists", "银行已登记"), Text(f"bank {body.id} is already registered", f"银行 {body.id} 已登记"),
                       type="bank-exists")
    await repository.add_bank(session, {"id": body.id, "name": body.name, "active": True, "created_at": utcnow()})
    return BankOut(id=body.id, name=body.name, active=True)


async def add_product(session: AsyncSession, bank_id: str, body: ProductIn, caller: Principal) -> ProductOut:
    if caller.role == Role.bank and caller.bank_id != bank_id:
        raise forbidden(Text("a bank registers only its own products", "银行只能登记本行的贷款产品"))
    if await repository.get_bank(session, bank_id) is None:
        raise not_found(BANK, bank_id)
    if await repository.get_product(session, body.code):
        raise conflict(Text("Product exists", "贷款产品已存在"), Text(f"product {body.code} exists", f"贷款产品 {body.code} 已存在"),
                       type="product-exists")
    if body.programme and await risk.get_programme(session, body.programme) is None:
        raise field_error("programme", Text(f"no risk-sharing programme {body.programme}", f"没有风险分担方案 {body.programme}"))
    await repository.add_product(session, {
        "code": body.code, "bank_id": bank_id, "name": body.name, "grades": list(body.grades), "kinds": list(body.kinds),
        "industries": body.industries, "min_amount_fen": to_fen(body.min_amount), "max_amount_fen": to_fen(body.max_amount),
        "min_term_months": body.min_term_months, "max_term_months": body.max_term_months, "programme": body.programme,
        "created_at": utcnow()})
    product = await repository.get_product(session, body.code)
    assert product is not None
    return product_out(product)


def calling_bank(caller: Principal) -> str:
    """The bank a bank's POST acts for. The caller gate (``bank_gate``) has found its token's bank a
    registered, active partner before the route ran, so no second read is needed here; a caller
    that is no bank (the county's admin passes every role check) acts for none and is refused as an
    unknown bank is."""
    if caller.role != Role.bank or not caller.bank_id:
        raise not_a_partner(caller.bank_id)
    return caller.bank_id
