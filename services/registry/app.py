"""The registry service's application: its routers, the events it consumes, and the job that
expires negative-list records on their date (and purges old import jobs)."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from common.app import ServiceSpec, create_service_app
from common.pii import PIICipher
from common.runtime import ServiceDefinition
from common.settings import ServiceSettings
from registry.civility.router import router as civility_router
from registry.civility.service import ensure_default_catalogue
from registry.imports.router import router as imports_router
from registry.imports.service import purge_finished as purge_finished_imports
from registry.negative.router import router as negative_router
from registry.negative.service import expire_due
from registry.regions.router import router as regions_router
from registry.settings import RegistrySettings
from registry.subjects.router import router as subjects_router

log = logging.getLogger("registry.app")


async def expirer(app: FastAPI) -> None:
    """Every ``expire_interval_seconds``: expire the negative-list records whose date has come, and
    purge the import jobs finished more than ``import_job_ttl_days`` ago."""
    settings: RegistrySettings = app.state.settings
    while True:
        try:
            await expire_due(app.state.db)
            purged = await purge_finished_imports(app.state.db, timedelta(days=settings.import_job_ttl_days))
            if purged:
                log.info("finished import jobs purged", extra={"purged": purged})
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # DB away: try again next time
            log.warning("expiry job failed: %s", type(exc).__name__, extra={"error": str(exc)})
        await asyncio.sleep(settings.expire_interval_seconds)


async def _startup(app: FastAPI) -> None:
    app.state.import_tasks = set()
    await ensure_default_catalogue(app.state.db, app.state.settings.civility_base)
    app.state.expiry_task = asyncio.create_task(expirer(app), name="registry-expiry")


def stop_expiry_on_exit(app: FastAPI) -> None:
    """Wrap the common lifespan so the expiry job stops before the DB closes."""
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[Any]:
        async with inner(a) as state:
            try:
                yield state
            finally:
                task = getattr(a.state, "expiry_task", None)
                if task is not None:
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)

    app.router.lifespan_context = lifespan


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    settings = settings or RegistrySettings()
    if not isinstance(settings, RegistrySettings):
        raise TypeError("the registry runs on RegistrySettings (it holds the ID-number keys)")
    # The upload's own bound (multipart adds its boundaries and headers to the file's bytes).
    limits = settings.import_limits()
    upload_bytes = limits.max_bytes + (64 << 10)
    spec = ServiceSpec(
        name="registry",
        title="Registry service",
        description="Credit subjects and regions, household files (一户一档), data collection and import, civility evaluations (乡风文明评议), negative-list records (信用评定负面清单) and the joint review (联审).",
        routers=[regions_router, subjects_router, civility_router, negative_router, imports_router],
        handlers={},
        on_startup=[_startup],
        upload_paths=("/v1/imports", "/v1/regions:import"),
        max_upload_bytes=upload_bytes,
    )
    app = create_service_app(spec, settings)
    # The ID-number keys live here only: no other service can decrypt a file or find one by ID.
    app.state.pii = PIICipher(settings.pii_key, settings.pii_index_key)
    stop_expiry_on_exit(app)
    return app


DEFINITION = ServiceDefinition(
    name="registry",
    settings_cls=RegistrySettings,
    create_app=create_app,
    migrations_dir=Path(__file__).with_name("migrations"),
    announced_versions=(("subjects", "version"),),
)
