"""The stats service's application: its routers and the events it consumes."""
from pathlib import Path

from fastapi import FastAPI

from common.app import ServiceSpec, create_service_app
from common.runtime import ServiceDefinition
from common.settings import ServiceSettings
from stats.figures.router import install_cache
from stats.figures.router import router as figures_router
from stats.handlers import HANDLERS
from stats.settings import StatsSettings


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    spec = ServiceSpec(
        name="stats",
        title="Stats service",
        description="Read model of every event; aggregate statistics for the provincial platform.",
        routers=[figures_router],
        handlers=HANDLERS,
        on_startup=[install_cache],
    )
    return create_service_app(spec, settings or StatsSettings())


DEFINITION = ServiceDefinition(
    name="stats",
    settings_cls=StatsSettings,
    create_app=create_app,
    migrations_dir=Path(__file__).with_name("migrations"),
)
