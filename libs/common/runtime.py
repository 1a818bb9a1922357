"""How a service is run: ``python -m <service> serve|migrate``. One code path for both run modes;
what runs in a process (API, relay, consumer) is chosen by settings, so production can scale them
apart (``<PREFIX>RUN_RELAY``, ``<PREFIX>RUN_CONSUMER``)."""
from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from fastapi import FastAPI

from common.internal import serve_two_ports
from common.migrations import upgrade
from common.settings import ServiceSettings, var_dir


@dataclass(frozen=True)
class ServiceDefinition:
    name: str
    settings_cls: type[ServiceSettings]
    create_app: Callable[[ServiceSettings | None], FastAPI]
    migrations_dir: Path
    # (table, column) of the per-subject versions this service puts in its events. A restore from a
    # backup moves them far ahead (``tools.admin restore``): the events the lost copy had already
    # announced carry versions the restored one would otherwise reuse, and consumers would drop the
    # restored service's next changes as stale.
    announced_versions: tuple[tuple[str, str], ...] = ()


def migrate(defn: ServiceDefinition, url: str | None = None) -> None:
    settings = defn.settings_cls()
    url = url or settings.database_url
    if url.startswith("sqlite"):
        var_dir().mkdir(parents=True, exist_ok=True)
    upgrade(defn.migrations_dir, url)


def answer_sniffio_absent() -> None:
    """httpcore asks ``import sniffio`` (asyncio or trio?) for every lock and cancel shield of a
    request to another service or a webhook. sniffio is not installed (anyio 4 does without), and a
    failed import is not remembered: each ask searched sys.path again, about 35 µs, several times a
    request. Recorded as absent, the import fails at once with the same answer (asyncio)."""
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


def serve_app(app: FastAPI, settings: ServiceSettings, host: str, port: int) -> None:
    import uvicorn

    answer_sniffio_absent()
    options: dict[str, Any] = dict(log_config=None, access_log=False, loop="uvloop", http="httptools")
    if settings.internal_port is None:
        uvicorn.run(app, host=host, port=port, **options)
        return
    if settings.internal_port == port:
        raise typer.BadParameter(f"the public port {port} is {settings.env_name('internal_port')}")
    serve_two_ports(app, host=host, port=port, internal_host=settings.internal_host,
                    internal_port=settings.internal_port, **options)


def service_cli(defn: ServiceDefinition) -> typer.Typer:
    app = typer.Typer(help=f"The {defn.name} service.", no_args_is_help=True, add_completion=False)

    @app.command()
    def serve(host: str | None = None, port: int | None = None) -> None:
        """Run the API (and, per settings, the outbox relay and the event consumer); with
        ``<PREFIX>INTERNAL_PORT`` set, metrics, docs and the detailed /readyz on that port only."""
        settings = defn.settings_cls()
        serve_app(defn.create_app(settings), settings, host or settings.host, port or settings.port)

    @app.command("migrate")
    def migrate_cmd(url: str | None = typer.Option(None, help="database URL (default: settings)")) -> None:
        """Bring the service's database to the latest migration."""
        migrate(defn, url)
        typer.echo(f"{defn.name}: migrated")

    return app
