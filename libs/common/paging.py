"""Page sizes: every list a service returns is read a bounded page at a time, so no caller can make
it load and serialise a table whose size other callers' activity keeps growing."""
from __future__ import annotations

from typing import Annotated

from fastapi import Query

PAGE_MAX = 1000

# ``limit: PageLimit = 100``; lists ordered by a key the caller sees also take ``after`` (that key).
PageLimit = Annotated[int, Query(ge=1, le=PAGE_MAX, description=f"page size, at most {PAGE_MAX}")]
