"""Structured JSON logs with a request id, Prometheus metrics, and the health routes."""
from __future__ import annotations

import contextvars
import logging
import re
import socket
import sys
import time
import uuid
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import ORJSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from pydantic import BaseModel, ConfigDict, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from common.contracts import media
from common.internal import shows_details

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

HTTP_REQUESTS = Histogram("http_request_duration_seconds", "HTTP request duration",
                          ["service", "method", "route", "status"],
                          buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
EVENTS_PUBLISHED = Counter("events_published_total", "Outbox events acknowledged by the broker", ["service"])
OUTBOX_ERRORS = Counter("outbox_relay_errors_total", "Relay attempts that failed", ["service"])
EVENTS_CONSUMED = Counter("events_consumed_total", "Events applied by a consumer", ["group"])
EVENTS_DEAD_LETTERED = Counter("events_dead_lettered_total", "Events sent to a DLQ", ["group"])
CONSUMER_LAG = Gauge("consumer_lag_events", "Events in an owned partition not yet applied (end offset minus "
                     "the consumer's position; approximate on brokers with wrong end offsets)",
                     ["group", "topic", "partition"])
REBALANCES = Counter("consumer_rebalances_total", "Partitions revoked from or assigned to this consumer", ["group", "event"])

# Defence in depth: whatever slips into a log line, 18-character ID numbers and mobile numbers
# are masked before it is written.
_ID_NUMBER = re.compile(r"(?<!\d)(\d{4})\d{10}(\d{3}[\dXx])(?!\d)")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def redact(text: str) -> str:
    return _MOBILE.sub(r"\1****\2", _ID_NUMBER.sub(r"\1**********\2", text))


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "request_id": request_id_var.get(),
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key != "color_message" and not key.startswith("_"):
                body[key] = value
        if record.exc_info:
            body["exc"] = self.formatException(record.exc_info)
        return redact(orjson.dumps(body, default=str).decode())


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("aiosqlite", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # The relay and the consumer log a broker that is away once, in our words; kafka-python
    # would log every reconnect attempt.
    logging.getLogger("kafka").setLevel(logging.CRITICAL)


class RequestContextMiddleware:
    """Pure ASGI (cheaper than BaseHTTPMiddleware on the hot paths): request id in and out,
    a duration histogram per route template."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = None
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                rid = value.decode("latin-1")[:64]
                break
        rid = rid or uuid.uuid4().hex
        token = request_id_var.set(rid)
        status = 500
        start = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", rid.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            HTTP_REQUESTS.labels(self.service, scope["method"], path, str(status)).observe(
                time.perf_counter() - start)
            request_id_var.reset(token)


def broker_reachable(bootstrap: str, timeout: float = 0.5) -> bool:
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout):
                return True
        except OSError:
            continue
    return False


class HealthOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})
    status: str = Field(description="``ok`` while the process serves")


class ConsumerLagOut(BaseModel):
    group: str
    partitions_owned: int
    lag_total: int
    lag: dict[str, int | None] = Field(description="per owned ``topic/partition``: events not yet applied (null: unknown yet)")


class ReadyOut(BaseModel):
    """The public port of a service with an internal port shows ``status`` only."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"status": "ready", "checks": {"database": "ok", "broker": "ok"},
         "consumer": {"group": "lending", "partitions_owned": 2, "lag_total": 0,
                      "lag": {"rating.rating-changed/0": 0, "registry.subject-registered/0": 0}}}]})
    status: str = Field(description="``ready`` or ``not ready`` (then the answer is a 503)")
    checks: dict[str, str] | None = Field(None, description="``database`` and ``broker``: ``ok`` or what is wrong")
    consumer: ConsumerLagOut | None = None
    urgent_consumer: ConsumerLagOut | None = Field(
        None, description="the urgent lanes' own consumer (a veto during a county round), where the service has one")


def health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", response_model=HealthOut)
    async def healthz() -> ORJSONResponse:
        return ORJSONResponse({"status": "ok"})

    @router.get("/readyz", response_model=ReadyOut,
                responses={503: {"model": ReadyOut, "description": "not ready: the database or the broker is unreachable"}})
    async def readyz(request: Request) -> ORJSONResponse:
        checks: dict[str, str] = {}
        try:
            await request.app.state.db.ping()
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"error: {type(exc).__name__}"
        settings = request.app.state.settings
        checks["broker"] = "ok" if broker_reachable(settings.kafka_bootstrap) else "unreachable"
        ready = all(v == "ok" for v in checks.values())
        status = 200 if ready else 503
        if not shows_details(request.scope, settings.internal_port):
            # The public port of a service with an internal port: the verdict for load balancers,
            # none of the checks (error classes, broker reachability) nor the consumer's lag.
            return ORJSONResponse({"status": "ready" if ready else "not ready"}, status_code=status)
        body: dict[str, Any] = {"status": "ready" if ready else "not ready", "checks": checks}
        consumer = getattr(request.app.state, "consumer", None)
        if consumer is not None:
            # Detail, not a condition: a consumer that is behind still serves; lag tells how far.
            body["consumer"] = consumer.lag_report()
        urgent = getattr(request.app.state, "urgent_consumer", None)
        if urgent is not None:
            body["urgent_consumer"] = urgent.lag_report()
        return ORJSONResponse(body, status_code=status)

    @router.get("/metrics", response_class=Response,
                responses=media("text/plain", description="Prometheus text exposition format"))
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
