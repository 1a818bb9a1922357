"""Household codes (一户一码): issue with consent, re-issue (the old code stops at once), revoke."""
from __future__ import annotations

import secrets
from typing import Any

from cryptography.exceptions import InvalidTag
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.db import utcnow
from common.errors import conflict, not_found
from common.i18n import Text
from common.pii import PIICipher
from merchant.codes import repository
from merchant.codes.models import REPLACED, REVOKED
from merchant.codes.rotating import RotatingCodes
from merchant.codes.schemas import CodeOut, HouseholdConsentOut, HouseholdOut, RegionCodesOut, RotatingCodeOut
from merchant.grades import is_credit_household
from merchant.households import repository as households

CODE_CONTEXT = b"household-code"


def new_code() -> str:
    """An opaque random reference (144 bits): nothing about the household is in it."""
    return "CV" + secrets.token_urlsafe(18)


ACTIVE_CODE = Text("active code of household", "农户的有效信用码")


async def household_for(session: AsyncSession, subject_id: str, principal: Principal, *, lock: bool = False) -> Any:
    row = await households.get(session, subject_id, lock=lock)
    # Outside an officer's region a household answers exactly like one that does not exist.
    if row is None or row.masked_name is None or not (principal.in_region(row.region_code)
                                                      or principal.is_self(subject_id)):
        raise not_found(Text("household", "农户"), subject_id)
    return row


async def household_view(session: AsyncSession, subject_id: str, principal: Principal) -> HouseholdOut:
    row = await household_for(session, subject_id, principal)
    code = await repository.active(session, subject_id)
    return HouseholdOut(
        subject_id=row.subject_id, masked_name=row.masked_name,
        region=RegionCodesOut(**row.region) if row.region else None, grade=row.grade, vetoed=row.vetoed,
        credit_household=is_credit_household(row.grade, row.vetoed),
        consent=HouseholdConsentOut(merchant=row.consent_merchant, benefits=row.consent_benefits),
        code_issued_at=code.issued_at.isoformat() if code else None)


async def issue(session: AsyncSession, cipher: PIICipher, subject_id: str, principal: Principal) -> CodeOut:
    # The row lock (BEGIN IMMEDIATE on SQLite) keeps two re-issues from leaving two active codes.
    row = await household_for(session, subject_id, principal, lock=True)
    if row.kind != "household":
        raise conflict(Text("Not a household", "不是农户"),
                       Text("codes are issued to households (一户一码)", "信用码只发给农户（一户一码）"), type="not-a-household")
    if not row.active:
        raise conflict(Text("Household archived", "农户档案已归档"),
                       Text("the household's file is archived", "该农户的档案已归档"), type="household-archived")
    if not (row.consent_merchant or row.consent_benefits):
        raise conflict(Text("No consent", "未获授权"),
                       Text("the household has not consented to showing its grade to merchants or benefit verifiers",
                            "该农户未授权向商户或惠民核验点展示其信用等级"), type="no-consent")
    now = utcnow()
    replaced = await repository.end_active(session, subject_id, REPLACED, now)
    code = new_code()
    await repository.add(session, subject_id=subject_id, code=code, code_enc=cipher.encrypt(code, CODE_CONTEXT),
                         by=principal.caller_id, at=now)
    return CodeOut(subject_id=subject_id, code=code, issued_at=now.isoformat(), replaced=replaced > 0)


async def rotating(session: AsyncSession, codes: RotatingCodes, subject_id: str, principal: Principal) -> RotatingCodeOut:
    """A short-lived code for the household's phone app, only while its static code is active."""
    await household_for(session, subject_id, principal)
    row = await repository.active(session, subject_id)
    if row is None:
        raise not_found(ACTIVE_CODE, subject_id)
    code, expires = codes.issue(row.code_hash, utcnow())
    return RotatingCodeOut(subject_id=subject_id, code=code, expires_at=expires.isoformat())


async def revoke(session: AsyncSession, subject_id: str, principal: Principal) -> None:
    await household_for(session, subject_id, principal, lock=True)
    if await repository.end_active(session, subject_id, REVOKED, utcnow()) == 0:
        raise not_found(ACTIVE_CODE, subject_id)


async def current_code(session: AsyncSession, cipher: PIICipher, subject_id: str, principal: Principal) -> str:
    await household_for(session, subject_id, principal)
    row = await repository.active(session, subject_id)
    if row is None:
        raise not_found(ACTIVE_CODE, subject_id)
    try:
        return cipher.decrypt(row.code_enc, CODE_CONTEXT)
    except InvalidTag:
        # Sealed under another key (before MERCHANT_CODE_KEY was set, or changed): the code still
        # verifies (by its hash), but it cannot be shown again; a re-issue seals a new one.
        raise conflict(Text("Code sealed under another key", "信用码由其他密钥加密"),
                       Text("the household's code was stored under a key this service no longer holds: "
                            "re-issue it (POST .../codes)",
                            "该农户的信用码是用本服务已不再持有的密钥加密保存的，请重新发码（POST .../codes）"),
                       type="code-key-changed") from None
