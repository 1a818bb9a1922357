"""Who may call what, and the request-scoped things every router needs."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from common.auth import Principal, Role, forbidden, require_roles
from common.i18n import Text
from rating.settings import RatingSettings

Admin = Annotated[Principal, Depends(require_roles())]
Officer = Annotated[Principal, Depends(require_roles(Role.officer))]
# A subject's grade is credit information: banks and merchants get it from lending and merchant,
# which log each disclosure; here only the county's own people read it (no service identity needs to).
Reader = Annotated[Principal, Depends(require_roles(Role.officer))]
# A subject's own things (grade, history, points, an objection to its rating): the county's people,
# and the household itself on its own page (checked per route with ``sees``).
SubjectReader = Annotated[Principal, Depends(require_roles(Role.officer, Role.household))]
# Villages and towns are aggregates (no person in them).
AggregateReader = Annotated[Principal, Depends(require_roles(Role.officer, Role.bank, Role.platform))]


def get_settings(request: Request) -> RatingSettings:
    return request.app.state.settings  # type: ignore[no-any-return]


Settings = Annotated[RatingSettings, Depends(get_settings)]


def visible(principal: Principal, *codes: str | None) -> bool:
    """Whether an officer may see a thing of this region (the most precise code known). Outside it, a
    thing answers exactly like one that does not exist: a refusal tells nothing about other regions."""
    if principal.role == Role.household:
        return False  # a household sees itself only (sees), never a region
    return principal.role != Role.officer or principal.in_region(next((c for c in codes if c), None))


def sees(principal: Principal, subject_id: str, *codes: str | None) -> bool:
    """Whether the caller may see this subject's own things: the household itself, or ``visible``."""
    return principal.is_self(subject_id) or visible(principal, *codes)


def check_region(principal: Principal, *codes: str | None) -> None:
    """An officer acts only inside its own region (the most precise code known must lie in it)."""
    if principal.role == Role.household:
        raise forbidden(Text("a household sees its own page only", "农户只能查看自己的页面"))
    if principal.role != Role.officer:
        return
    code = next((c for c in codes if c), None)
    if not principal.in_region(code):
        raise forbidden(Text(f"region {code} is outside the officer's region {principal.region}",
                             f"区划 {code} 不在您的辖区 {principal.region} 内"))
