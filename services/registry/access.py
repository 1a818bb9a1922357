"""Who may do what in the registry: role dependencies and the officer's region scope (辖区)."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from common.auth import Principal, Role, Scope, require_roles
from common.errors import ProblemError
from common.i18n import Text

# Officers (grid officers, village and town cadres) and the county admin keep the files.
Keeper = Annotated[Principal, Depends(require_roles(Role.officer))]
# Reading a file: the keepers (no service identity needs to).
Reader = Annotated[Principal, Depends(require_roles(Role.officer))]
# Resolving an ID-card number: officers, and lending's identity on a partner bank's behalf. Banks
# themselves go through lending, which refuses a deactivated bank before it asks here.
LookupCaller = Annotated[Principal, Depends(require_roles(Role.officer, scope=Scope.subjects_lookup))]
# A household's own file on its own page: its disclosure log and its consent (checked per subject by
# ``subjects.service.visible``: a household sees itself only, never a region).
SelfOrKeeper = Annotated[Principal, Depends(require_roles(Role.officer, Role.household))]
Admin = Annotated[Principal, Depends(require_roles())]


def outside_region(field: str, code: str) -> ProblemError:
    return ProblemError(403, Text("Outside your region", "超出辖区"),
                        Text(f"{field}: {code} is outside the region your token is bound to",
                             f"{field}：{code} 不在您的令牌所绑定的辖区内"),
                        type="outside-region", errors=[{"field": field, "message": Text("outside your region", "超出辖区")}])


def require_in_region(principal: Principal, code: str, field: str) -> None:
    """An officer writes only inside its region; everyone else allowed here is county-wide."""
    if not principal.in_region(code):
        raise outside_region(field, code)


def region_prefix(principal: Principal) -> str | None:
    """The code prefix a listing must stay inside, or None for county-wide callers."""
    return principal.region if principal.role == Role.officer else None
