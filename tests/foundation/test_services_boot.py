"""Every service boots from its own migrations and guards every route it has."""
from __future__ import annotations

import pytest
from fastapi.routing import APIRoute

from tests.harness import DatabaseFactory, Keys, start_service

SERVICES = ["registry", "rating", "lending", "merchant", "stats"]
OPEN = {"/healthz", "/readyz", "/metrics", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}


@pytest.mark.parametrize("service", SERVICES)
async def test_service_starts_and_every_route_needs_a_token(service: str, databases: DatabaseFactory,
                                                            backend: str, keys: Keys) -> None:
    url = await databases.create(service, backend)
    async with start_service(service, url, keys) as svc:
        assert (await svc.client.get("/healthz")).status_code == 200
        assert (await svc.client.get("/openapi.json")).status_code == 200
        for route in svc.app.routes:
            if not isinstance(route, APIRoute) or route.path in OPEN:
                continue
            path = route.path.replace("{", "").replace("}", "")
            for method in route.methods - {"HEAD", "OPTIONS"}:
                r = await svc.client.request(method, path)
                assert r.status_code == 401, f"{method} {route.path} answered {r.status_code} without a token"
                assert r.headers["content-type"] == "application/problem+json"
