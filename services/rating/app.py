"""The rating service's application: its routers and the events it consumes."""
from pathlib import Path

from fastapi import FastAPI

from common.app import ServiceSpec, create_service_app
from common.runtime import ServiceDefinition
from common.settings import ServiceSettings
from rating.settings import RatingSettings


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    spec = ServiceSpec(
        name="rating",
        title="Rating service",
        description="Indicator systems, scoring, veto (一票否决), grades AAA–D, publication (公示) and objections (异议), re-rating rounds, credit villages and towns, credit points (信用积分), pairing (结对帮带).",
        routers=[],
        handlers={},
    )
    return create_service_app(spec, settings or RatingSettings())


DEFINITION = ServiceDefinition(
    name="rating",
    settings_cls=RatingSettings,
    create_app=create_app,
    migrations_dir=Path(__file__).with_name("migrations"),
)
