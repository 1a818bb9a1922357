"""The registry service's application: its routers and the events it consumes."""
from pathlib import Path

from fastapi import FastAPI

from common.app import ServiceSpec, create_service_app
from common.runtime import ServiceDefinition
from common.settings import ServiceSettings
from registry.civility.router import router as civility_router
from registry.civility.service import ensure_default_catalogue
from registry.imports.router import router as imports_router
from registry.negative.router import router as negative_router
from registry.regions.router import router as regions_router
from registry.settings import RegistrySettings
from registry.subjects.router import router as subjects_router


async def _startup(app: FastAPI) -> None:
    app.state.import_tasks = set()
    await ensure_default_catalogue(app.state.db, app.state.settings.civility_base)


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    spec = ServiceSpec(
        name="registry",
        title="Registry service",
        description="Credit subjects and regions, household files (一户一档), data collection and import, civility evaluations (乡风文明评议), negative-list records (信用评定负面清单) and the joint review (联审).",
        routers=[regions_router, subjects_router, civility_router, negative_router, imports_router],
        handlers={},
        on_startup=[_startup],
        upload_paths=("/v1/imports", "/v1/regions:import"),
    )
    return create_service_app(spec, settings or RegistrySettings())


DEFINITION = ServiceDefinition(
    name="registry",
    settings_cls=RegistrySettings,
    create_app=create_app,
    migrations_dir=Path(__file__).with_name("migrations"),
)
