"""Every service as a real process (``python -m <service> serve``), the real broker in between,
SQLite or PostgreSQL underneath: what `make run` and production do, for the end-to-end and
reliability tests."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import httpx

from common.auth import SERVICE_IDENTITIES, Role
from common.broker import ExternalBroker, TansuBroker, free_port
from common.events.topics import ensure_topics
from tests.harness import PG_URL, Keys

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ["registry", "rating", "lending", "merchant", "stats"]


def _run_async(coro: object) -> object:
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()  # type: ignore[arg-type]


class Cluster:
    def __init__(self, workdir: Path, keys: Keys, backend: str = "sqlite", services: list[str] | None = None,
                 extra_env: dict[str, str] | None = None, bootstrap: str | None = None) -> None:
        self.workdir = workdir
        self.keys = keys
        self.backend = backend
        self.services = services or SERVICES
        # bootstrap: brokers already running (the Apache Kafka cluster tier) instead of a Tansu of our own
        self.broker = ExternalBroker(bootstrap) if bootstrap else TansuBroker(workdir=workdir / "broker")
        self.ports = {name: free_port() for name in self.services}
        self.db_urls: dict[str, str] = {}
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.extra_env = extra_env or {}
        self._pg_dbs: list[str] = []

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def env(self, service: str) -> dict[str, str]:
        p = service.upper() + "_"
        env = {k: v for k, v in os.environ.items()}
        env["PYTHONPATH"] = f"{ROOT / 'libs'}:{ROOT / 'services'}:{ROOT}"
        env["CV_VAR_DIR"] = str(self.workdir / "var")
        env.update({
            p + "ENV": "test", p + "PORT": str(self.ports[service]), p + "DATABASE_URL": self.db_urls[service],
            p + "KAFKA_BOOTSTRAP": self.broker.bootstrap, p + "AUTH_PUBLIC_KEY": self.keys.public_pem.decode(),
            p + "EVENT_KEYS_DIR": str(self.keys.events_dir),
            p + "LANGUAGE": "en",  # as the harness's in-process services: English problems unless asked
        })
        if service in SERVICE_IDENTITIES:  # its own identity for calling other services
            env[p + "SERVICE_TOKEN"] = self.keys.token(Role.service, service=service)
        for other in self.services:
            env[f"{p}{other.upper()}_URL"] = self.url(other)
        env.update(self.extra_env)
        return env

    def _create_database(self, service: str) -> str:
        if self.backend == "sqlite":
            return f"sqlite+aiosqlite:///{self.workdir / f'{service}.db'}"
        name = f"cve2e_{service}_{uuid.uuid4().hex[:8]}"

        async def create() -> None:
            conn = await asyncpg.connect(PG_URL)
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
            finally:
                await conn.close()

        _run_async(create())
        self._pg_dbs.append(name)
        return PG_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{name}"

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.broker.start()
        ensure_topics(self.broker.bootstrap, replication=self.broker.replication)
        for name in self.services:
            self.db_urls[name] = self._create_database(name)
            subprocess.run([sys.executable, "-m", name, "migrate"], env=self.env(name), check=True,
                           capture_output=True, cwd=ROOT)
        for name in self.services:
            self.start_service(name, wait=False)
        for name in self.services:
            self.wait_ready(name)

    def start_service(self, name: str, wait: bool = True) -> None:
        log = open(self.workdir / f"{name}.log", "ab")  # the process keeps it open
        self.procs[name] = subprocess.Popen([sys.executable, "-m", name, "serve"], env=self.env(name),
                                            stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        if wait:
            self.wait_ready(name)

    def wait_ready(self, name: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            proc = self.procs[name]
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited: {(self.workdir / f'{name}.log').read_text()[-3000:]}")
            try:
                if httpx.get(self.url(name) + "/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{name} not ready in {timeout}s")

    def stop_service(self, name: str, kill: bool = False) -> None:
        proc = self.procs.pop(name, None)
        if proc is None:
            return
        proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def log(self, name: str) -> str:
        return (self.workdir / f"{name}.log").read_text(errors="replace")

    def log_tails(self, lines: int = 12, width: int = 300) -> str:
        """The last lines of every service's log (each cut to ``width``), for a failed test's report."""
        out = []
        for name in self.services:
            try:
                tail = self.log(name).splitlines()[-lines:]
            except OSError:
                continue
            out.append(f"--- {name}\n" + "\n".join(line[:width] for line in tail))
        return "\n".join(out)

    def stop(self) -> None:
        for name in list(self.procs):
            self.stop_service(name)
        self.broker.stop()
        if self._pg_dbs:
            async def drop() -> None:
                conn = await asyncpg.connect(PG_URL)
                try:
                    for db in self._pg_dbs:
                        await conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
                finally:
                    await conn.close()

            _run_async(drop())
