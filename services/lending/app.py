"""The lending service's application: its routers and the events it consumes."""
from pathlib import Path

from fastapi import FastAPI

from common.app import ServiceSpec, create_service_app
from common.runtime import ServiceDefinition
from common.settings import ServiceSettings
from lending.settings import LendingSettings


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    spec = ServiceSpec(
        name="lending",
        title="Lending service",
        description="Grade policies, benchmark rates, credit lines (授信), partner banks and products, applications, draw-downs, repayments, defaults, risk sharing and the risk-compensation fund (风险补偿金).",
        routers=[],
        handlers={},
    )
    return create_service_app(spec, settings or LendingSettings())


DEFINITION = ServiceDefinition(
    name="lending",
    settings_cls=LendingSettings,
    create_app=create_app,
    migrations_dir=Path(__file__).with_name("migrations"),
)
