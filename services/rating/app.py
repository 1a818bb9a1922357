"""The rating service's application: its routers, the events it consumes, and the finaliser that
turns ended publications (公示) into final grades."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from common.app import ServiceSpec, create_service_app
from common.runtime import ServiceDefinition
from common.settings import ServiceSettings
from rating.handlers import handlers as make_handlers
from rating.indicators.router import router as indicators_router
from rating.objections.router import router as objections_router
from rating.pairing.router import router as pairing_router
from rating.points.router import router as points_router
from rating.publications.router import router as publications_router
from rating.ratings.lifecycle import finalise_due
from rating.ratings.router import router as ratings_router
from rating.rounds.router import router as rounds_router
from rating.settings import RatingSettings
from rating.villages.router import router as villages_router

log = logging.getLogger("rating.app")


async def finaliser(app: FastAPI) -> None:
    """Every ``finalise_interval_seconds``: make final the publications that have ended."""
    settings: RatingSettings = app.state.settings
    while True:
        await asyncio.sleep(settings.finalise_interval_seconds)
        try:
            n = await finalise_due(app.state.db, settings)
            if n:
                log.info("publications finalised", extra={"count": n})
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # DB away: try again next time
            log.warning("finaliser failed: %s", type(exc).__name__, extra={"error": str(exc)})


async def start_background(app: FastAPI) -> None:
    app.state.round_tasks = set()
    app.state.finaliser_task = asyncio.create_task(finaliser(app), name="rating-finaliser")


def stop_background_on_exit(app: FastAPI) -> None:
    """Wrap the common lifespan so the finaliser and running rounds stop before the DB closes."""
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[Any]:
        async with inner(a) as state:
            try:
                yield state
            finally:
                tasks = [getattr(a.state, "finaliser_task", None), *getattr(a.state, "round_tasks", ())]
                live = [t for t in tasks if t is not None]
                for t in live:
                    t.cancel()
                await asyncio.gather(*live, return_exceptions=True)

    app.router.lifespan_context = lifespan


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    rating_settings = settings if isinstance(settings, RatingSettings) else RatingSettings()
    spec = ServiceSpec(
        name="rating",
        title="Rating service",
        description="Indicator systems, scoring, veto (一票否决), grades AAA–D, publication (公示) and objections (异议), "
                    "re-rating rounds, credit villages and towns, credit points (信用积分), pairing (结对帮带).",
        routers=[indicators_router, ratings_router, objections_router, rounds_router, villages_router,
                 points_router, pairing_router, publications_router],
        handlers=make_handlers(rating_settings),
        on_startup=[start_background],
    )
    app = create_service_app(spec, rating_settings)
    stop_background_on_exit(app)
    return app


DEFINITION = ServiceDefinition(
    name="rating",
    settings_cls=RatingSettings,
    create_app=create_app,
    migrations_dir=Path(__file__).with_name("migrations"),
    announced_versions=(("current_grades", "version"),),
)
