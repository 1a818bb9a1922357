"""Credit subjects: register, read, change, history; and the ID-card look-up for lending."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Query, Request

from common.db import Session
from common.errors import ProblemError, problem_response, problems
from common.i18n import Text
from common.paging import PageLimit
from registry.access import Keeper, LookupCaller, Reader, SelfOrKeeper, region_prefix
from registry.subjects import repository, service
from registry.subjects.files import region_of
from registry.subjects.models import Subject
from registry.subjects.schemas import (
    ChangeOut,
    CollectiveIn,
    Consent,
    ConsentOut,
    DisclosureOut,
    EntityIn,
    HouseholdIn,
    Kind,
    LookupIn,
    LookupOut,
    RegionCodes,
    SubjectOut,
    SubjectPage,
    SubjectPatch,
    VillageIn,
)

router = APIRouter(prefix="/v1", tags=["subjects"], responses=problems(401, 403, 422))

def out(s: Subject) -> SubjectOut:
    return SubjectOut(id=s.id, kind=s.kind, status=s.status, version=s.version,  # type: ignore[arg-type]
                      region=RegionCodes(**region_of(s)), name=s.display_name, masked_name=s.masked_name,  # type: ignore[arg-type]
                      id_number_masked=s.id_masked, phone_masked=s.phone_masked,
                      registration_number=s.registration_number, entity_type=s.entity_type, profile=s.profile,
                      details=s.details, consent=ConsentOut.model_validate(s.consent or {}), extras=s.extras, created_at=s.created_at,
                      updated_at=s.updated_at)


@router.post("/subjects", status_code=201, response_model=SubjectOut, responses=problems(404, 409))
async def register_subject(request: Request, principal: Keeper, session: Session,
                           raw: dict[str, Any] = Body(..., description=", ".join(
                               m.__name__ for m in (HouseholdIn, EntityIn, CollectiveIn, VillageIn))
                               + ", told apart by `kind`")) -> SubjectOut:
    """Register a credit subject's file: a household (农户), a new agricultural business entity
    (新型农业经营主体), a village collective (村集体经济组织) or an administrative village (行政村)."""
    return out(await service.register(session, request.app.state.pii, principal, raw))


@router.get("/subjects", response_model=SubjectPage)
async def list_subjects(principal: Reader, session: Session, kind: Kind | None = None, village: str | None = None,
                        status: str | None = None, after: str | None = None,
                        limit: int = Query(100, ge=1, le=1000)) -> SubjectPage:
    rows = await repository.listing(session, prefix=region_prefix(principal), kind=kind, village=village,
                                    status=status, after=after, limit=limit)
    return SubjectPage(items=[out(s) for s in rows], next_after=rows[-1].id if len(rows) == limit else None)


@router.post("/subjects:lookup", response_model=LookupOut, responses=problems(404, s404="no file for this number"))
async def lookup_subject(body: LookupIn, request: Request, principal: LookupCaller, session: Session) -> Any:
    """Resolve a resident ID-card number (the head's or a member's) to its subject, by blind index.
    Each look-up is recorded as a disclosure (who, which subject, when, purpose)."""
    subject = await service.lookup(session, request.app.state.pii, principal, body)
    if subject is None:
        # Answered, not raised: the disclosure log row must commit with a 404 too.
        return problem_response(ProblemError(404, Text("Subject not found", "未找到信用主体"),
                                             Text("no credit subject's file has this ID-card number",
                                                  "没有信用主体的档案登记了该身份证号"),
                                             type="not-found"), request)
    return LookupOut(subject_id=subject.id, kind=subject.kind, region=RegionCodes(**region_of(subject)),  # type: ignore[arg-type]
                     masked_name=subject.masked_name, status=subject.status)


@router.get("/subjects/{subject_id}", response_model=SubjectOut, responses=problems(404))
async def get_subject(subject_id: str, principal: SelfOrKeeper, session: Session) -> SubjectOut:
    return out(await service.get_visible(session, principal, subject_id))


@router.patch("/subjects/{subject_id}", response_model=SubjectOut, responses=problems(404, 409))
async def change_subject(subject_id: str, patch: SubjectPatch, request: Request, principal: Keeper,
                         session: Session) -> SubjectOut:
    """Change a file; a real change makes a new version and a ``subject-updated`` event. A new
    ``village`` is a move (迁居): the event carries the new region and every service follows it."""
    return out(await service.update(session, request.app.state.pii, principal, subject_id, patch))


@router.put("/subjects/{subject_id}/consent", response_model=SubjectOut, responses=problems(404, 409))
async def change_consent(subject_id: str, consent: Consent, request: Request, principal: SelfOrKeeper,
                         session: Session) -> SubjectOut:
    """Give or withdraw the subject's consent (授权): the household itself on its own page, or a keeper.
    A change makes a new file version and a ``subject-updated`` event like any other."""
    return out(await service.update(session, request.app.state.pii, principal, subject_id,
                                    SubjectPatch(consent=consent)))


@router.get("/subjects/{subject_id}/changes", response_model=list[ChangeOut], responses=problems(404))
async def subject_changes(subject_id: str, principal: Reader, session: Session, after: int = 0,
                          limit: PageLimit = 100) -> list[ChangeOut]:
    """The file's history: every version after ``after``, who made it, when, which fields."""
    await service.get_visible(session, principal, subject_id)
    return [ChangeOut(version=c.version, action=c.action, actor=c.actor, at=c.at, changed_fields=c.changed_fields,
                      changes=c.changes) for c in await repository.changes(session, subject_id, after, limit)]


@router.get("/subjects/{subject_id}/disclosures", response_model=list[DisclosureOut], responses=problems(404))
async def subject_disclosures(subject_id: str, principal: SelfOrKeeper, session: Session, after: int = 0,
                              limit: PageLimit = 100) -> list[DisclosureOut]:
    """Who looked this subject up, when and why (for the household's right to know); the next page
    starts ``after`` the last ``id``."""
    await service.get_visible(session, principal, subject_id)
    return [DisclosureOut(id=d.id, caller=d.caller, role=d.role, purpose=d.purpose, channel=d.channel, found=d.found, at=d.at)
            for d in await repository.disclosures(session, subject_id, after, limit)]
