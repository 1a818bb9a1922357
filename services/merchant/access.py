"""Who may do what here: the roles of the county's own flow, and officers kept to their region."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from common.auth import Principal, Role, forbidden, require_roles
from common.db import Database
from common.i18n import Text
from merchant.merchants import repository as merchants

County = Annotated[Principal, Depends(require_roles(Role.officer))]        # admin or officer
Admin = Annotated[Principal, Depends(require_roles())]                     # admin only
CountyOrSelf = Annotated[Principal, Depends(require_roles(Role.officer, Role.household))]  # + the household itself
Pos = Annotated[Principal, Depends(require_roles(Role.merchant))]          # a merchant's POS (or admin)
Reader = Annotated[Principal, Depends(require_roles(Role.officer, Role.merchant))]


async def merchant_gate(request: Request, principal: Principal) -> None:
    """Every route, before anything else: a merchant's token works only while its merchant is
    registered and active, so suspending one stops all its reads and writes at once (POS verify,
    which skips the dependency machinery, reads the same status in its own query)."""
    if principal.role != Role.merchant:
        return
    db: Database = request.app.state.db
    if await merchants.status(db, str(principal.merchant_id)) != "active":
        raise forbidden(Text(f"merchant {principal.merchant_id} is not an active merchant",
                             f"商户 {principal.merchant_id} 不是有效的商户"))


def check_region(principal: Principal, region_code: str | None, what: Text) -> None:
    """An officer acts only inside its region (codes nest by prefix)."""
    if not principal.in_region(region_code):
        raise forbidden(Text(f"{what.en} lies outside your region", f"{what.zh}不在您的辖区内"))


def pos_merchant(principal: Principal) -> str:
    """The merchant a POS token is bound to."""
    if principal.role != Role.merchant or not principal.merchant_id:
        raise forbidden(Text("only a merchant's POS token may call this", "只有商户收银终端（POS）的令牌才能调用此接口"))
    return principal.merchant_id
