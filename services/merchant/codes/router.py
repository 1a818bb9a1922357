"""Household codes over HTTP: issue or re-issue, revoke, render as PNG or SVG; the household view."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, Response

from common.auth import Principal, Role, Scope, require_roles
from common.db import Session, utcnow
from common.errors import not_found
from merchant.access import County
from merchant.codes import service
from merchant.codes.render import render
from merchant.codes.repository import active
from merchant.grades import is_credit_household

router = APIRouter(prefix="/v1/households", tags=["household codes"])
# The household channel (the phone app's backend) is the only service identity that mints rotating codes.
Rotator = Annotated[Principal, Depends(require_roles(Role.officer, scope=Scope.codes_rotate))]


@router.get("/{subject_id}")
async def get_household(subject_id: str, principal: County, session: Session) -> dict[str, Any]:
    """A household as the merchant service knows it (county staff only)."""
    row = await service.household_for(session, subject_id, principal)
    code = await active(session, subject_id)
    return {"subject_id": row.subject_id, "masked_name": row.masked_name, "region": row.region,
            "grade": row.grade, "vetoed": row.vetoed, "credit_household": is_credit_household(row.grade, row.vetoed),
            "consent": {"merchant": row.consent_merchant, "benefits": row.consent_benefits},
            "code_issued_at": code.issued_at.isoformat() if code else None}


@router.post("/{subject_id}/codes", status_code=201)
async def issue_code(subject_id: str, principal: County, session: Session, request: Request) -> dict[str, Any]:
    """Issue the household's code; a re-issue makes the old one stop working at once."""
    return await service.issue(session, request.app.state.code_cipher, subject_id, principal)


@router.post("/{subject_id}/codes/rotating", status_code=201)
async def rotating_code(subject_id: str, principal: Rotator, session: Session, request: Request) -> dict[str, Any]:
    """A short-lived code for the household's phone app (the app's backend asks with its
    ``household-channel`` identity): valid for ``rotating_code_seconds`` and only while the static code is active."""
    await service.household_for(session, subject_id, principal)
    row = await active(session, subject_id)
    if row is None:
        raise not_found("active code of household", subject_id)
    code, expires = request.app.state.rotating_codes.issue(row.code_hash, utcnow())
    return {"subject_id": subject_id, "code": code, "expires_at": expires.isoformat()}


@router.delete("/{subject_id}/codes", status_code=204)
async def revoke_code(subject_id: str, principal: County, session: Session) -> Response:
    await service.revoke(session, subject_id, principal)
    return Response(status_code=204)


@router.get("/{subject_id}/code.{fmt}")
async def code_image(subject_id: str, fmt: Literal["png", "svg"], principal: County, session: Session,
                     request: Request) -> Response:
    """The active code as a QR image to print or show (PNG or SVG)."""
    code = await service.current_code(session, request.app.state.code_cipher, subject_id, principal)
    media = "image/png" if fmt == "png" else "image/svg+xml"
    return Response(render(code, fmt), media_type=media, headers={"Cache-Control": "no-store"})
