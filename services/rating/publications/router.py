"""GET /v1/publications: the publication list (公示名单) of a village or town by status, as JSON or
as a printable CSV (``Accept: text/csv``, UTF-8 with a BOM so Excel reads the Chinese)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from common.contracts import CSV, media
from common.db import Session
from common.errors import problems
from rating.access import Reader
from rating.publications import service
from rating.publications.schemas import PublicationPage, PublicationStatus

router = APIRouter(prefix="/v1", tags=["publications"], responses=problems(401, 403, 422))


@router.get("/publications", response_model=PublicationPage, summary="The publication list (公示名单) of a region",
            responses=media(CSV, description="JSON, or CSV with Accept: text/csv"))
async def publications(
        request: Request, who: Reader, session: Session,
        region: Annotated[str, Query(pattern=r"^\d{6,15}$", description="village, town (or county) code")],
        status: PublicationStatus = "published",
        after: Annotated[int | None, Query(ge=0, description="the previous page's next_after")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100) -> PublicationPage | Response:
    """On publication now with its end and objection deadline (``published``), what became final
    (``final``: each subject's current final grade), or what is disputed (``disputed``). Officers
    only inside their region; masked names only."""
    items, next_after = await service.page(session, who, region, status, after, limit)
    next_url = str(request.url.include_query_params(after=next_after)) if next_after is not None else None
    if CSV in request.headers.get("accept", ""):
        headers = {"Content-Disposition": f'attachment; filename="publications-{region}-{status}.csv"'}
        if next_url:
            headers["Link"] = f'<{next_url}>; rel="next"'
        return Response(service.to_csv(items), media_type="text/csv; charset=utf-8", headers=headers)
    return PublicationPage(region=region, status=status, items=items, next_after=next_after, next=next_url)
