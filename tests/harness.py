"""Test harness: fresh databases (SQLite or PostgreSQL) migrated per service, services running
in-process with an httpx client, tokens signed by a test county key."""
from __future__ import annotations

import asyncio
import functools
import importlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI

from common.auth import SERVICE_IDENTITIES, SERVICES, Role, generate_keypair, mint_token
from common.db import Database
from common.events.signing import PRODUCERS, EventVerifier, ensure_event_keys, load_signer, load_verifier
from common.events.topics import event_type_of
from common.migrations import upgrade
from common.runtime import ServiceDefinition
from common.settings import ServiceSettings

PG_URL = os.environ.get("CV_TEST_POSTGRES_URL", "")
# A port nothing listens on: a service started without a broker simply waits for one.
NO_BROKER = "127.0.0.1:9"


def definition(service: str) -> ServiceDefinition:
    return importlib.import_module(f"{service}.app").DEFINITION  # type: ignore[no-any-return]


@dataclass
class Keys:
    private_pem: bytes
    public_pem: bytes
    # Every producer's event key pair (common.events.signing): services sign and verify with them,
    # and a test publishing an event by hand signs it as its producer would (``event_headers``).
    events_dir: Path

    def event_headers(self, topic: str, value: bytes) -> list[tuple[str, bytes]]:
        """The headers the entitled producer's relay would send with ``value`` on ``topic``."""
        return load_signer(self.events_dir, PRODUCERS[event_type_of(topic)]).headers(topic, value)

    def verifier(self, service: str) -> EventVerifier:
        """``service``'s keys for checking what it consumes."""
        return load_verifier(self.events_dir, service)

    def token(self, role: Role | str, **binding: Any) -> str:
        """A token for ``role``; unless the test names an audience, a person's token is for every
        service (tests about audiences name one), a service identity's for its own."""
        if Role(role) != Role.service:
            binding.setdefault("audience", SERVICES)
        return mint_token(self.private_pem, role, **binding)

    def headers(self, role: Role | str, **binding: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role, **binding)}"}

    @classmethod
    def generate(cls) -> Keys:
        private, public = generate_keypair()
        return cls(private, public, ensure_event_keys(Path(tempfile.mkdtemp(prefix="cv-event-keys-"))))


@functools.cache
def session_keys() -> Keys:
    """The test session's keys (the ``keys`` fixture): services verify with them, so an event a
    test publishes by hand is signed with them too."""
    return Keys.generate()


def topic_of(event: Any) -> str:
    """The topic the producer's outbox sends ``event`` by (a negative-list record: its urgent lane)."""
    from common.events.outbox import outbox_row

    return str(outbox_row(event)["topic"])


def send_event(producer: Any, topic: str, value: bytes, key: bytes | None = None) -> Any:
    """``producer.send`` as the entitled producer's relay sends: signed (common.events.signing)."""
    return producer.send(topic, key=key, value=value, headers=session_keys().event_headers(topic, value))


def rating_relay(db: Database, bootstrap: str, **options: Any) -> Any:
    """Rating's outbox relay, signing with the session's rating key."""
    from common.events.relay import OutboxRelay

    return OutboxRelay(db, bootstrap, "rating", signer=load_signer(session_keys().events_dir, "rating"), **options)


class DatabaseFactory:
    """Fresh, migrated databases for a test: a SQLite file, or a new PostgreSQL database that is
    dropped afterwards."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.created: list[str] = []

    async def create(self, service: str, backend: str = "sqlite", migrate: bool = True) -> str:
        if backend == "sqlite":
            url = f"sqlite+aiosqlite:///{self.tmp / f'{service}-{uuid.uuid4().hex[:8]}.db'}"
        else:
            name = f"cvtest_{service}_{uuid.uuid4().hex[:10]}"
            conn = await asyncpg.connect(PG_URL)
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
            finally:
                await conn.close()
            self.created.append(name)
            url = PG_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{name}"
        if migrate:
            await asyncio.to_thread(upgrade, definition(service).migrations_dir, url)
        return url

    async def drop_all(self) -> None:
        if not self.created:
            return
        conn = await asyncpg.connect(PG_URL)
        try:
            for name in self.created:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


def settings_for(service: str, db_url: str, keys: Keys, bootstrap: str | None = None,
                 **overrides: Any) -> ServiceSettings:
    cls = definition(service).settings_cls
    values: dict[str, Any] = dict(env="test", database_url=db_url, auth_public_key=keys.public_pem.decode(),
                                  event_keys_dir=str(keys.events_dir),
                                  kafka_bootstrap=bootstrap or NO_BROKER,
                                  run_relay=bootstrap is not None, run_consumer=bootstrap is not None,
                                  # The tests read English problems unless they ask otherwise
                                  # (tests/foundation/test_languages.py checks the county's default, zh-CN).
                                  language="en")
    if service in SERVICE_IDENTITIES:  # its own identity for calling other services
        values["service_token"] = keys.token(Role.service, service=service)
    values.update(overrides)
    return cls(**values)


@dataclass
class RunningService:
    name: str
    app: FastAPI
    client: httpx.AsyncClient
    settings: ServiceSettings

    @property
    def db(self) -> Database:
        return self.app.state.db  # type: ignore[no-any-return]

    async def wait_consumer_assigned(self, timeout: float = 20.0) -> None:
        await asyncio.wait_for(self.app.state.consumer.assigned.wait(), timeout)
        urgent = getattr(self.app.state, "urgent_consumer", None)
        if urgent is not None:
            await asyncio.wait_for(urgent.assigned.wait(), timeout)


@asynccontextmanager
async def run_app(app: FastAPI, base_url: str = "http://test") -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client


@asynccontextmanager
async def start_service(service: str, db_url: str, keys: Keys, bootstrap: str | None = None,
                        **overrides: Any) -> AsyncIterator[RunningService]:
    settings = settings_for(service, db_url, keys, bootstrap, **overrides)
    app = definition(service).create_app(settings)
    async with run_app(app) as client:
        yield RunningService(service, app, client, settings)


async def eventually(check: Any, timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll an async ``check`` until it returns a truthy value (events arrive asynchronously)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last: {result!r})")
        await asyncio.sleep(interval)
