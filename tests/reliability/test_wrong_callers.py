"""The wrong callers, on every route of every service: no token, an expired token, a token signed
by another key → 401; the read-only platform on any route that writes → 403; and nothing changes
in the service's database."""
from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import MetaData, func, select

from common.auth import Role, mint_token
from tests.harness import DatabaseFactory, Keys, RunningService, start_service

SERVICES = ["registry", "rating", "lending", "merchant", "stats"]
OPEN = {"/healthz", "/readyz", "/metrics", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}


async def fingerprint(svc: RunningService) -> dict[str, int]:
    meta = MetaData()
    async with svc.db.engine.connect() as conn:
        await conn.run_sync(meta.reflect)
        return {name: int((await conn.execute(select(func.count()).select_from(table))).scalar_one())
                for name, table in meta.tables.items()}


def routes(svc: RunningService) -> list[tuple[str, str]]:
    out = []
    for route in svc.app.routes:
        if isinstance(route, APIRoute) and route.path not in OPEN:
            path = route.path
            for param in route.param_convertors:
                path = path.replace("{" + param + "}", "00000000-0000-4000-8000-000000000000")
            path = path.replace(":path}", "}")
            for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
                out.append((method, path))
    return out


@pytest.mark.parametrize("service", SERVICES)
async def test_every_route_refuses_the_wrong_callers_and_changes_nothing(
        service: str, databases: DatabaseFactory, keys: Keys) -> None:
    url = await databases.create(service, "sqlite")
    expired = mint_token(keys.private_pem, Role.admin, ttl=timedelta(minutes=-5))  # past the clock leeway
    forged = Keys.generate().token(Role.admin)
    platform = keys.token(Role.platform)
    async with start_service(service, url, keys) as svc:
        before = await fingerprint(svc)
        for method, path in routes(svc):
            for label, token in (("none", None), ("expired", expired), ("forged", forged)):
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                headers["Idempotency-Key"] = f"wrong-caller-{label}"
                r = await svc.client.request(method, path, headers=headers, json={})
                assert r.status_code == 401, f"{service} {method} {path} with {label} token: {r.status_code}"
                assert r.headers["content-type"] == "application/problem+json"
            if method != "GET":
                r = await svc.client.request(method, path, json={}, headers={
                    "Authorization": f"Bearer {platform}", "Idempotency-Key": "platform-write"})
                assert r.status_code == 403, f"{service} {method} {path}: platform may not write ({r.status_code})"
        assert await fingerprint(svc) == before
