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
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import ORJSONResponse
from fastapi.routing import APIRoute
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from common.auth import (
    AUTH_ROLES_ATTR,
    Admission,
    CallerGate,
    Denylist,
    ServiceCredential,
    TokenVerifier,
    principal_of,
)
from common.contracts import install_openapi
from common.db import Database, NotDurableError
from common.errors import ProblemError, ProblemHTTPException, problem_response
from common.events import TopicHandler
from common.events.consumer import EventConsumer
from common.events.relay import OutboxRelay
from common.events.signing import (
    PRODUCERS,
    EventSigner,
    EventVerifier,
    ensure_event_keys,
    load_signer,
    load_verifier,
)
from common.events.topics import has_urgent_lane
from common.i18n import Text, status_title
from common.idempotency import purge_expired
from common.internal import InternalPortGuard
from common.links import Link, install_links
from common.observability import RequestContextMiddleware, configure_logging, health_router
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


async def purge_idempotency_keys(db: Database, settings: ServiceSettings) -> None:
    """Every ``idempotency_purge_interval_seconds``: delete the Idempotency-Keys that have expired, so
    the table holds about a day of requests, not every request ever made."""
    ttl = timedelta(hours=settings.idempotency_ttl_hours)
    while True:
        await asyncio.sleep(settings.idempotency_purge_interval_seconds)
        try:
            purged = await purge_expired(db, ttl)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # DB away: try again next time
            log.warning("idempotency key purge failed: %s", type(exc).__name__)
            continue
        if purged:
            log.info("idempotency keys purged", extra={"purged": purged})


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
    # OpenAPI links between operations (common.links): which answer's ids feed which request.
    links: Sequence[Link] = ()


class BodyGuard:
    """What a request must pass before the app reads a byte of its body.

    On a route that takes a token (a dependency made by ``require_roles``, or the idempotency
    guard), the caller is authenticated and its role checked when the app first asks for the body:
    an anonymous caller cannot make a service read, spool or parse anything. And the body is
    bounded however it arrives: a declared Content-Length over the limit is refused at once, a
    chunked body (no Content-Length) is counted as it comes and refused once over. Either way the
    answer is a problem document (401, 403 or 413) and the rest of the body is never read."""

    def __init__(self, app: ASGIApp, limit: int, upload_paths: tuple[str, ...], upload_limit: int) -> None:
        self.app, self.limit, self.upload_paths, self.upload_limit = app, limit, upload_paths, upload_limit
        self._admissions: dict[int, list[Admission] | None] = {}  # per route: who may send it a body

    def _too_large(self, limit: int) -> ProblemError:
        return ProblemError(413, status_title(413), Text(f"at most {limit} bytes", f"请求内容最多 {limit} 字节"),
                            type="body-too-large")

    def admissions_of(self, route: Any) -> list[Admission] | None:
        """What a route's dependencies admit (None: a public route), found once; a caller must
        pass every one."""
        key = id(route)
        if key not in self._admissions:
            found: list[Admission] = []
            stack = [route.dependant] if isinstance(route, APIRoute) else []
            while stack:
                dependant = stack.pop()
                admission = getattr(dependant.call, AUTH_ROLES_ATTR, None)
                if admission is not None:
                    found.append(admission)
                stack.extend(dependant.dependencies)
            self._admissions[key] = found or None
        return self._admissions[key]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_limit if scope["path"].startswith(self.upload_paths or ("\0",)) else self.limit
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await problem_response(self._too_large(limit), Request(scope))(scope, receive, send)
                return
        received = 0
        checked = False

        async def guarded() -> Message:
            nonlocal received, checked
            if not checked:
                checked = True
                # The router has matched by now: FastAPI put the route in the scope.
                admissions = self.admissions_of(scope.get("route"))
                if admissions is not None:
                    app = scope["app"]
                    try:
                        principal = principal_of(Headers(scope=scope), app.state.token_verifier)
                        for admission in admissions:
                            admission.check(principal)
                    except ProblemError as problem:
                        raise ProblemHTTPException(problem) from None
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise ProblemHTTPException(self._too_large(limit))
            return message

        await self.app(scope, guarded, send)


def event_keys(settings: ServiceSettings) -> Path:
    """The event keys' directory; the embedded run makes the dev set if it is missing."""
    directory = Path(settings.event_keys_dir)
    if settings.env == "dev" and not directory.exists():
        ensure_event_keys(directory)
    return directory


def event_signer(service: str, settings: ServiceSettings) -> EventSigner | None:
    """This service's signing key, if it produces events (stats produces none)."""
    if service not in PRODUCERS.values():
        return None
    return load_signer(event_keys(settings), service)


def event_verifier(service: str, settings: ServiceSettings) -> EventVerifier:
    return load_verifier(event_keys(settings), service)


def create_service_app(spec: ServiceSpec, settings: ServiceSettings) -> FastAPI:
    from common.errors import install_error_handlers

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous,
                      **settings.pool_options())
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
            relay = OutboxRelay(db, settings.kafka_bootstrap, spec.name, signer=event_signer(spec.name, settings))
            app.state.relay = relay
            workers.append(relay)
            tasks.append(asyncio.create_task(relay.run(), name=f"{spec.name}-relay"))
        if settings.run_consumer and spec.handlers:
            # Urgent lanes (a veto during a county round) get a consumer of their own: records
            # fetched from the round's backlog never stand in front of them. It joins no group
            # (every instance reads all of them), so no rebalance holds a veto up either.
            split = has_urgent_lane(spec.handlers)
            consumer = EventConsumer(db, settings.kafka_bootstrap, spec.name, spec.handlers,
                                     verifier=event_verifier(spec.name, settings), max_attempts=settings.consumer_max_attempts,
                                     lane="main" if split else "all")
            app.state.consumer = consumer
            workers.append(consumer)
            tasks.append(asyncio.create_task(consumer.run(), name=f"{spec.name}-consumer"))
            if split:
                urgent = EventConsumer(db, settings.kafka_bootstrap, f"{spec.name}.urgent", spec.handlers,
                                       verifier=event_verifier(spec.name, settings),
                                       max_attempts=settings.consumer_max_attempts, lane="urgent")
                app.state.urgent_consumer = urgent
                workers.append(urgent)
                tasks.append(asyncio.create_task(urgent.run(), name=f"{spec.name}-urgent-consumer"))
        tasks.append(asyncio.create_task(purge_idempotency_keys(db, settings), name=f"{spec.name}-idempotency-purge"))
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
    app.state.language = settings.language
    app.state.token_verifier = TokenVerifier(
        settings.public_key_pem(), settings.service_name, leeway=settings.auth_leeway_seconds,
        max_lifetime=timedelta(seconds=settings.auth_max_token_seconds),
        denylist=Denylist(settings.auth_denylist_file, settings.auth_denylist_refresh_seconds),
        household_issuer_pem=settings.household_issuer_pem())
    app.state.caller_gate = spec.caller_gate
    app.state.service_credential = ServiceCredential(settings.service_token, settings.service_token_file)
    install_error_handlers(app)
    install_openapi(app)
    app.add_middleware(BodyGuard, limit=spec.max_body_bytes, upload_paths=spec.upload_paths,
                       upload_limit=spec.max_upload_bytes)
    app.add_middleware(InternalPortGuard, enabled=settings.internal_port is not None)
    app.add_middleware(RequestContextMiddleware, service=spec.name)
    app.include_router(health_router())
    for router in spec.routers:
        app.include_router(router)
    install_links(app, spec.links)
    return app
