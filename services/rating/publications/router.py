"""GET /v1/publications: the publication list (公示名单) of a village or town by status, as JSON or
as a printable CSV (``Accept: text/csv``, UTF-8 with a BOM so Excel reads the Chinese)."""
from __future__ import annotations

import csv
import io
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from common.db import Session
from rating.access import Reader, check_region
from rating.publications import repository
from rating.publications.schemas import CSV_HEADER, PublicationItem, PublicationPage, PublicationStatus, csv_row, score_text

router = APIRouter(prefix="/v1", tags=["publications"])
CSV = "text/csv"


@router.get("/publications", response_model=PublicationPage, summary="The publication list (公示名单) of a region",
            responses={200: {"content": {CSV: {}}, "description": "JSON, or CSV with Accept: text/csv"}})
async def publications(
        request: Request, who: Reader, session: Session,
        region: Annotated[str, Query(pattern=r"^\d{6,15}$", description="village, town (or county) code")],
        status: PublicationStatus = "published",
        after: Annotated[int | None, Query(ge=0, description="the previous page's next_after")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100) -> PublicationPage | Response:
    """On publication now with its end and objection deadline (``published``), what became final
    (``final``: each subject's current final grade), or what is disputed (``disputed``). Officers
    only inside their region; masked names only."""
    check_region(who, region)
    rows = await repository.page(session, region=region, status=status, after=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    items = [PublicationItem(
        rating_id=r.id, subject_id=r.subject_id, kind=r.kind, masked_name=r.masked_name, county=r.county, town=r.town,
        village=r.village, grade=r.grade, score=score_text(r.score), vetoed=r.vetoed, status=status,
        publication_starts_at=r.published_at, publication_ends_at=r.publication_ends_at,
        objection_deadline=r.publication_ends_at, finalised_at=r.finalised_at, open_objections=r.open_objections,
        answer_due=r.answer_due) for r in rows]
    next_after = items[-1].rating_id if more else None
    next_url = str(request.url.include_query_params(after=next_after)) if next_after is not None else None
    if CSV in request.headers.get("accept", ""):
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_HEADER)
        writer.writerows(csv_row(i) for i in items)
        headers = {"Content-Disposition": f'attachment; filename="publications-{region}-{status}.csv"'}
        if next_url:
            headers["Link"] = f'<{next_url}>; rel="next"'
        return Response(out.getvalue().encode("utf-8-sig"), media_type="text/csv; charset=utf-8", headers=headers)
    return PublicationPage(region=region, status=status, items=items, next_after=next_after, next=next_url)
