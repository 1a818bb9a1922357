"""GET /v1/stats/summary, /v1/stats/regions, /v1/stats/timeseries: JSON, or CSV with ``Accept: text/csv``.

Read by the provincial platform (role ``platform``: small areas always suppressed), the county
(``admin``) and officers (their own region only). Nothing here writes: the read model is fed by
events alone.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import ORJSONResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal, Role, require_roles
from common.contracts import CSV, media
from common.db import Session
from common.errors import field_error, problems
from common.i18n import Text
from stats.figures import render, repository, service
from stats.figures.cache import AnswerCache, CachedAnswer
from stats.figures.params import add_months, as_of_month, current_month, month, region_code, scope, scope_parent
from stats.figures.schemas import RegionsOut, SummaryOut, TimeseriesOut
from stats.readmodel.metrics import ALL

router = APIRouter(prefix="/v1/stats", tags=["stats"], responses={**problems(401, 403, 422),
                                                                  **media(CSV, description="JSON, or CSV with Accept: text/csv")})
_readers = require_roles(Role.platform, Role.officer)
Kind = Literal["household", "new_entity", "collective", "village", "town"]


Reader = Annotated[Principal, Depends(_readers)]


def suppression(request: Request, principal: Principal, asked: bool | None) -> service.Suppression:
    """Always on for the provincial platform (it sees aggregates only, never a small area's count);
    for the county's own callers on if the settings, the token's claim or the request ask for it. A
    request cannot turn it off when the role, the token or the settings say on."""
    settings = request.app.state.settings
    on = bool(principal.role == Role.platform or settings.suppress_by_default or asked or principal.suppress)
    return service.Suppression(on, settings.suppression_threshold)


def _respond(request: Request, body: dict[str, Any], to_csv: Callable[[dict[str, Any]], tuple[list[str], list[list[Any]]]],
             filename: str) -> Response:
    if not _wants_csv(request):
        return ORJSONResponse(body)
    header, rows = to_csv(body)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'})


def _wants_csv(request: Request) -> bool:
    return CSV in request.headers.get("accept", "")


Compute = Callable[[], Awaitable[Response]]


async def _answer(request: Request, principal: Principal, session: AsyncSession, suppressed: bool,
                  compute: Compute) -> Response:
    """The answer from the cache while the read model has not moved, else computed and kept."""
    cache: AnswerCache | None = getattr(request.app.state, "stats_answers", None)
    if cache is None or not request.app.state.settings.answer_cache:
        return await compute()
    key = (request.url.path, tuple(sorted(request.query_params.multi_items())), principal.role, principal.region,
           suppressed, _wants_csv(request))
    generation = await repository.generation(session)
    hit = cache.get(key, generation)
    if hit is not None:
        return Response(hit.body, media_type=hit.media_type, headers=dict(hit.headers))
    response = await compute()
    headers = tuple((k, v) for k, v in response.headers.items() if k.lower() == "content-disposition")
    cache.put(key, CachedAnswer(generation, bytes(response.body), response.media_type or "application/json", headers))
    return response


async def install_cache(app: FastAPI) -> None:
    app.state.stats_answers = AnswerCache()


SuppressParam = Annotated[bool | None, Query(description="suppress small areas (on only: the platform role and a "
                                                          "token's claim win)")]
AsOfParam = Annotated[str | None, Query(description="a past month end: YYYY-MM or a date (the month end on or before it)")]


@router.get("/summary", summary="Figures of a region (or the province) now or at a past month end",
            response_model=SummaryOut)
async def get_summary(request: Request, principal: Reader, session: Session,
                      region: str | None = None, as_of: AsOfParam = None, kind: Kind | None = None,
                      suppress: SuppressParam = None) -> Response:
    code, month_end, how = scope(principal, region_code(region)), as_of_month(as_of), suppression(request, principal, suppress)

    async def compute() -> Response:
        body = await service.summary(session, code, kind, month_end, how)
        return _respond(request, body, render.summary_csv, f"stats-summary-{code or 'province'}")

    return await _answer(request, principal, session, how.on, compute)


@router.get("/regions", summary="Figures of every town or village (or county) under a region",
            response_model=RegionsOut)
async def get_regions(request: Request, principal: Reader, session: Session,
                      level: Literal["county", "town", "village"] = "town", region: str | None = None,
                      as_of: AsOfParam = None, kind: Kind | None = None, suppress: SuppressParam = None) -> Response:
    parent, month_end, how = scope_parent(principal, region_code(region)), as_of_month(as_of), suppression(request, principal, suppress)

    async def compute() -> Response:
        body = await service.regions(session, level, parent, kind, month_end, how)
        return _respond(request, body, render.regions_csv, f"stats-{level}s-{parent or 'province'}")

    return await _answer(request, principal, session, how.on, compute)


@router.get("/timeseries", summary="Month-end values of one metric over a period", response_model=TimeseriesOut)
async def get_timeseries(request: Request, principal: Reader, session: Session,
                         metric: str, region: str | None = None, kind: Kind | None = None,
                         from_: Annotated[str | None, Query(alias="from", description="first month, YYYY-MM")] = None,
                         to: Annotated[str | None, Query(description="last month, YYYY-MM (default: this month)")] = None,
                         suppress: SuppressParam = None) -> Response:
    if metric not in ALL:
        raise field_error("metric", Text("one of " + ", ".join(sorted(ALL)), "应为以下之一：" + ", ".join(sorted(ALL))))
    end = month(to, "to") if to else current_month()
    start = month(from_, "from") if from_ else add_months(end, -11)
    if start > end:
        raise field_error("from", Text("must not be after to", "不能晚于 to"))
    if start < add_months(end, -239):
        raise field_error("from", Text("at most 240 months at once", "一次最多 240 个月"))
    code, how = scope(principal, region_code(region)), suppression(request, principal, suppress)

    async def compute() -> Response:
        body = await service.timeseries(session, metric, code, kind, start, end, how)
        return _respond(request, body, render.timeseries_csv, f"stats-{metric}-{code or 'province'}")

    return await _answer(request, principal, session, how.on, compute)
