"""The publication list (公示名单): a page of a region's ratings by status, as JSON or as a
printable CSV (UTF-8 with a BOM so Excel reads the Chinese)."""
from __future__ import annotations

import csv
import io

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from rating.access import check_region
from rating.publications import repository
from rating.publications.schemas import CSV_HEADER, PublicationItem, PublicationStatus, csv_row, score_text


async def page(session: AsyncSession, who: Principal, region: str, status: PublicationStatus, after: int | None,
               limit: int) -> tuple[list[PublicationItem], int | None]:
    """A page of the list and the ``after`` of the next (None on the last page)."""
    check_region(who, region)
    rows = await repository.page(session, region=region, status=status, after=after, limit=limit + 1)
    more = len(rows) > limit
    items = [PublicationItem(
        rating_id=r.id, subject_id=r.subject_id, kind=r.kind, masked_name=r.masked_name, county=r.county, town=r.town,
        village=r.village, grade=r.grade, score=score_text(r.score), vetoed=r.vetoed, status=status,
        publication_starts_at=r.published_at, publication_ends_at=r.publication_ends_at,
        objection_deadline=r.publication_ends_at, finalised_at=r.finalised_at, open_objections=r.open_objections,
        answer_due=r.answer_due) for r in rows[:limit]]
    return items, items[-1].rating_id if more else None


def to_csv(items: list[PublicationItem]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(csv_row(i) for i in items)
    return out.getvalue().encode("utf-8-sig")
