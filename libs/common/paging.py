"""Page sizes and the one paging style of new and county-facing lists.

Every list a service returns is read a bounded page at a time, so no caller can make it load and
serialise a table whose size other callers' activity keeps growing. A list ordered by a key the
caller sees pages by cursor: ``?after=<the last item's key>&limit=N``, and answers a
:class:`CursorPage` (``items``, ``next_after``, ``next``: the next page's URL, null on the last page).
The bank-facing lists published before this style keep their own parameters and shapes."""
from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from pydantic import BaseModel, Field

PAGE_MAX = 1000

# ``limit: PageLimit = 100``; lists ordered by a key the caller sees also take ``after`` (that key).
PageLimit = Annotated[int, Query(ge=1, le=PAGE_MAX, description=f"page size, at most {PAGE_MAX}")]
After = Annotated[str | None, Query(max_length=200, description="the previous page's ``next_after``")]


class CursorPage(BaseModel):
    """The paging part of a page; a list's page adds ``items``."""

    next_after: str | None = Field(None, description="pass as ``after`` for the next page; null on the last page")
    next: str | None = Field(None, description="the next page's URL; null on the last page")


def next_page(request: Request, last_key: str | None, full: bool) -> dict[str, str | None]:
    """``next_after`` and ``next`` of a page: set when the page came back full (``limit`` items)."""
    if not full or last_key is None:
        return {"next_after": None, "next": None}
    return {"next_after": last_key, "next": str(request.url.include_query_params(after=last_key))}
