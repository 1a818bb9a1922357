"""Household codes over HTTP: issue or re-issue, revoke, render as PNG or SVG; the household view."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request, Response

from common.auth import Principal, Role, Scope, require_roles
from common.contracts import media
from common.db import Session
from common.errors import problems
from merchant.access import County
from merchant.codes import service
from merchant.codes.render import render
from merchant.codes.schemas import CodeOut, HouseholdOut, RotatingCodeOut

router = APIRouter(prefix="/v1/households", tags=["household codes"], responses=problems(401, 403, 404, 422))
# The household channel (the phone app's backend) is the only service identity that mints rotating codes.
Rotator = Annotated[Principal, Depends(require_roles(Role.officer, scope=Scope.codes_rotate))]


@router.get("/{subject_id}", response_model=HouseholdOut)
async def get_household(subject_id: str, principal: County, session: Session) -> HouseholdOut:
    """A household as the merchant service knows it (county staff only)."""
    return await service.household_view(session, subject_id, principal)


@router.post("/{subject_id}/codes", status_code=201, response_model=CodeOut,
             responses=problems(409, s409="not-a-household, household-archived, no-consent"))
async def issue_code(subject_id: str, principal: County, session: Session, request: Request) -> CodeOut:
    """Issue the household's code; a re-issue makes the old one stop working at once."""
    return await service.issue(session, request.app.state.code_cipher, subject_id, principal)


@router.post("/{subject_id}/codes/rotating", status_code=201, response_model=RotatingCodeOut)
async def rotating_code(subject_id: str, principal: Rotator, session: Session, request: Request) -> RotatingCodeOut:
    """A short-lived code for the household's phone app (the app's backend asks with its
    ``household-channel`` identity): valid for ``rotating_code_seconds`` and only while the static code is active."""
    return await service.rotating(session, request.app.state.rotating_codes, subject_id, principal)


@router.delete("/{subject_id}/codes", status_code=204, response_class=Response)
async def revoke_code(subject_id: str, principal: County, session: Session) -> Response:
    await service.revoke(session, subject_id, principal)
    return Response(status_code=204)


@router.get("/{subject_id}/code.{fmt}", response_class=Response,
            responses={**media("image/png", "image/svg+xml", binary=True, description="the QR image"),
                       **problems(409, s409="code-key-changed")})
async def code_image(subject_id: str, fmt: Literal["png", "svg"], principal: County, session: Session,
                     request: Request) -> Response:
    """The active code as a QR image to print or show (PNG or SVG)."""
    code = await service.current_code(session, request.app.state.code_cipher, subject_id, principal)
    media_type = "image/png" if fmt == "png" else "image/svg+xml"
    return Response(render(code, fmt), media_type=media_type, headers={"Cache-Control": "no-store"})
