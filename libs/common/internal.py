"""The internal port: what only the operators' network sees.

With ``<SERVICE>_INTERNAL_PORT`` set, one process listens twice over the same app: on the public
port (``<SERVICE>_HOST:<SERVICE>_PORT``) for callers and on the internal port
(``<SERVICE>_INTERNAL_HOST:<SERVICE>_INTERNAL_PORT``) for Prometheus and the operators. The
metrics, the OpenAPI pages and the detailed ``/readyz`` (database and broker checks, consumer lag)
are served on the internal port only; the public port answers them 404 like any unknown path and
keeps a short ``/readyz`` (status only, 200 or 503) for load balancers. The internal port serves
nothing but those operations paths. Unset (the embedded run, the tests), one port serves
everything, as before.

The internal listener marks each request's ASGI scope; a caller cannot set a scope key, so no
header or path trick reaches an internal page through the public port."""
from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections.abc import Iterator
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from common.errors import http_problem, problem_response

# FastAPI's own pages (docs_url, redoc_url, openapi_url and the Swagger OAuth2 redirect) and metrics.
INTERNAL_PATHS = frozenset({"/metrics", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})
OPERATIONS_PATHS = INTERNAL_PATHS | {"/healthz", "/readyz"}
_MARK = "credit_village.internal_port"


def on_internal_port(scope: Scope) -> bool:
    return bool(scope.get(_MARK))


def shows_details(scope: Scope, internal_port: int | None) -> bool:
    """Whether a request may see internal details (the detailed /readyz): always on a service
    without an internal port, else only through it."""
    return internal_port is None or on_internal_port(scope)


class InternalListener:
    """The app as the internal port serves it: each request marked as come through that port."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = {**scope, _MARK: True}
        await self.app(scope, receive, send)


class InternalPortGuard:
    """With an internal port: the internal paths answer 404 on the public port, and the internal
    port answers 404 to everything but the operations paths."""

    def __init__(self, app: ASGIApp, enabled: bool) -> None:
        self.app, self.enabled = app, enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.enabled and scope["type"] == "http":
            path = scope["path"]
            hidden = path not in OPERATIONS_PATHS if on_internal_port(scope) else path in INTERNAL_PATHS
            if hidden:  # the same answer as any path the app does not have
                await problem_response(http_problem(404, "Not Found"), Request(scope))(scope, receive, send)
                return
        await self.app(scope, receive, send)


def serve_two_ports(app: ASGIApp, *, host: str, port: int, internal_host: str, internal_port: int,
                    **uvicorn_options: Any) -> None:
    """Run ``app`` on the public port and, marked, on the internal port, in one process and one event
    loop. The public server runs the app's lifespan; both stop on SIGTERM or SIGINT."""
    import uvicorn

    class Listener(uvicorn.Server):
        def __init__(self, config: uvicorn.Config) -> None:
            super().__init__(config)
            self.up = asyncio.Event()  # set once listening (and, for the public one, the app started)

        # Signals are handled once, below, for both listeners (each uvicorn.Server would take them
        # over and re-raise them after its own shutdown, ending the process under the other one).
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            self.up.set()

    public = Listener(uvicorn.Config(app, host=host, port=port, **uvicorn_options))
    internal = Listener(uvicorn.Config(InternalListener(app), host=internal_host, port=internal_port,
                                       **{**uvicorn_options, "lifespan": "off"}))
    # Both ports are bound before the app starts: a port in use stops the process at once.
    public_socket, internal_socket = public.config.bind_socket(), internal.config.bind_socket()

    def stop(sig: int) -> None:
        for server in (public, internal):
            server.handle_exit(sig, None)  # a second SIGINT forces the exit, as in uvicorn

    async def run() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop, sig)
        public_task = asyncio.create_task(public.serve(sockets=[public_socket]))
        # The internal port accepts once the app has started (its /readyz reads the app's database);
        # until then connections wait in the socket's backlog.
        up = asyncio.create_task(public.up.wait())
        await asyncio.wait([public_task, up], return_when=asyncio.FIRST_COMPLETED)
        up.cancel()
        internal_task = asyncio.create_task(internal.serve(sockets=[internal_socket])) if public.started else None
        try:
            await public_task
        finally:
            internal.should_exit = True
            if internal_task is not None:
                await internal_task
            internal_socket.close()

    with asyncio.Runner(loop_factory=public.config.get_loop_factory()) as runner:
        runner.run(run())
