"""The service application factory: one FastAPI app per service with the shared ground wired in
(errors, auth, logging, metrics, health), and its outbox relay and event consumer as background
tasks when the run mode asks for them."""
from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import ORJSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from common.auth import CallerGate, Denylist, ServiceCredential, TokenVerifier
from common.db import Database, NotDurableError
from common.errors import ProblemError, problem_response
from common.events import TopicHandler
from common.events.consumer import EventConsumer
from common.events.relay import OutboxRelay
from common.observability import RequestContextMiddleware, configure_logging, health_router
from common.pii import PIICipher
from common.settings import ServiceSettings

log = logging.getLogger("common.app")
_heap_frozen = False


def freeze_startup_heap() -> None:
    """Once per process, when a service has started: everything alive then (the imported modules,
    the app, SQLAlchemy's metadata) lives as long as the process, so move it out of the cyclic
    collector's reach (``gc.freeze``, as Python's documentation suggests for a server). Its full
    passes, which a county round's chunks set off every few thousand rows, then scan only what
    came after: at 111,000 households they cost about a second per round before."""
    global _heap_frozen
    if not _heap_frozen:
        _heap_frozen = True
        gc.collect()
        gc.freeze()


@dataclass
class ServiceSpec:
    """What a service brings: its name, routers, event handlers and startup work."""

    name: str
    title: str
    description: str
    routers: Sequence[APIRouter]
    handlers: Mapping[str, TopicHandler] = field(default_factory=dict)
    on_startup: Sequence[Callable[[FastAPI], Awaitable[None]]] = ()
    max_body_bytes: int = 1 << 20
    upload_paths: tuple[str, ...] = ()
    max_upload_bytes: int = 64 << 20
    # Checks the caller against the service's own records on every route (e.g. a deactivated bank).
    caller_gate: CallerGate | None = None


class BodySizeLimit:
    """Refuses an oversized body with 413 before the app reads it."""

    def __init__(self, app: ASGIApp, limit: int, upload_paths: tuple[str, ...], upload_limit: int) -> None:
        self.app, self.limit, self.upload_paths, self.upload_limit = app, limit, upload_paths, upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            limit = self.upload_limit if scope["path"].startswith(self.upload_paths or ("\0",)) else self.limit
            for name, value in scope.get("headers", ()):
                if name == b"content-length" and value.isdigit() and int(value) > limit:
                    problem = ProblemError(413, "Request body too large", f"at most {limit} bytes",
                                           type="body-too-large")
                    await problem_response(problem)(scope, receive, send)
                    return
        await self.app(scope, receive, send)


def create_service_app(spec: ServiceSpec, settings: ServiceSettings) -> FastAPI:
    from common.errors import install_error_handlers

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
        app.state.db = db
        if settings.env == "prod":
            try:
                await db.require_durable_commits()
            except NotDurableError:
                log.error("database does not make commits durable: refusing to start", exc_info=True)
                await db.dispose()
                raise
        tasks: list[asyncio.Task[Any]] = []
        workers: list[Any] = []
        if settings.run_relay:
            relay = OutboxRelay(db, settings.kafka_bootstrap, spec.name)
            app.state.relay = relay
            workers.append(relay)
            tasks.append(asyncio.create_task(relay.run(), name=f"{spec.name}-relay"))
        if settings.run_consumer and spec.handlers:
            consumer = EventConsumer(db, settings.kafka_bootstrap, spec.name, spec.handlers,
                                     max_attempts=settings.consumer_max_attempts)
            app.state.consumer = consumer
            workers.append(consumer)
            tasks.append(asyncio.create_task(consumer.run(), name=f"{spec.name}-consumer"))
        for hook in spec.on_startup:
            await hook(app)
        freeze_startup_heap()
        log.info("service started", extra={"relay": settings.run_relay, "consumer": settings.run_consumer})
        try:
            yield
        finally:
            for worker in workers:
                await worker.stop()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await db.dispose()

    configure_logging(spec.name, settings.log_level)
    app = FastAPI(title=spec.title, description=spec.description, version="1.0.0", lifespan=lifespan,
                  default_response_class=ORJSONResponse)
    app.state.settings = settings
    app.state.token_verifier = TokenVerifier(
        settings.public_key_pem(), settings.service_name, leeway=settings.auth_leeway_seconds,
        max_lifetime=timedelta(seconds=settings.auth_max_token_seconds),
        denylist=Denylist(settings.auth_denylist_file, settings.auth_denylist_refresh_seconds))
    app.state.caller_gate = spec.caller_gate
    app.state.service_credential = ServiceCredential(settings.service_token, settings.service_token_file)
    app.state.pii = PIICipher(settings.pii_key, settings.pii_index_key)
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, limit=spec.max_body_bytes, upload_paths=spec.upload_paths,
                       upload_limit=spec.max_upload_bytes)
    app.add_middleware(RequestContextMiddleware, service=spec.name)
    app.include_router(health_router())
    for router in spec.routers:
        app.include_router(router)
    return app
