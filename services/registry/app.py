"""The registry service's application: its routers and the events it consumes."""
from pathlib import Path

from fastapi import FastAPI

from common.app import ServiceSpec, create_service_app
from common.runtime import ServiceDefinition
from common.settings import ServiceSettings
from registry.settings import RegistrySettings


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    spec = ServiceSpec(
        name="registry",
        title="Registry service",
        description="Credit subjects and regions, household files (一户一档), data collection and import, civility evaluations (乡风文明评议), negative-list records (信用评定负面清单) and the joint review (联审).",
        routers=[],
        handlers={},
    )
    return create_service_app(spec, settings or RegistrySettings())


DEFINITION = ServiceDefinition(
    name="registry",
    settings_cls=RegistrySettings,
    create_app=create_app,
    migrations_dir=Path(__file__).with_name("migrations"),
)
