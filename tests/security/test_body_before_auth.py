"""Availability, bullet 1: a request body is bounded however it arrives, and the caller is
authenticated before a byte of it is read. Each attack sends a body that only an endless server
would read whole, and counts how much of it the service pulled."""
from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from common.auth import Role
from tests.harness import DatabaseFactory, Keys, start_service

MB = 1 << 20


class Body:
    """A chunked request body (no Content-Length) that counts what the server took of it."""

    def __init__(self, size: int, chunk: int = 64 << 10) -> None:
        self.size, self.chunk, self.sent = size, chunk, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.sent < self.size:
            self.sent += self.chunk
            yield b"{" * self.chunk


async def test_an_anonymous_chunked_body_is_refused_401_before_it_is_read(databases: DatabaseFactory,
                                                                           keys: Keys) -> None:
    # Today: the 30 MB were read whole and answered 422 (an unauthenticated parse of the body).
    async with start_service("lending", await databases.create("lending"), keys) as svc:
        body = Body(30 * MB)
        r = await svc.client.post("/v1/loans", content=body, headers={"Idempotency-Key": "k1",
                                                                     "content-type": "application/json"})
        assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
        assert r.json()["type"] == "unauthorized"
        assert body.sent <= 64 << 10  # nothing (or the transport's first chunk) was taken

        # A good token of the wrong role is refused (403) before the body too.
        body = Body(30 * MB)
        r = await svc.client.post("/v1/loans", content=body, headers={**keys.headers(Role.merchant, merchant_id="m1"),
                                                                     "Idempotency-Key": "k2"})
        assert r.status_code == 403 and r.json()["type"] == "forbidden"
        assert body.sent <= 64 << 10


async def test_a_chunked_body_over_the_limit_is_refused_413_once_over(databases: DatabaseFactory, keys: Keys) -> None:
    # Today: a chunked body has no Content-Length, so the 1 MB limit never applied.
    async with start_service("lending", await databases.create("lending"), keys) as svc:
        body = Body(30 * MB)
        r = await svc.client.post("/v1/loans", content=body, headers={**keys.headers(Role.bank, bank_id="b1"),
                                                                     "Idempotency-Key": "k1",
                                                                     "content-type": "application/json"})
        assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
        assert r.json()["type"] == "body-too-large"
        assert body.sent <= 2 * MB  # stopped at the limit, not at the end


async def test_an_anonymous_upload_is_refused_before_the_file_is_spooled(databases: DatabaseFactory,
                                                                         keys: Keys) -> None:
    """The import takes 64 MB: an anonymous caller gets 401 without the multipart parser running."""
    async with start_service("registry", await databases.create("registry"), keys) as svc:
        body = Body(50 * MB)
        r = await svc.client.post("/v1/imports", content=body,
                                  headers={"content-type": "multipart/form-data; boundary=xyz"})
        assert r.status_code == 401 and r.json()["type"] == "unauthorized"
        assert body.sent <= 64 << 10
        # The public routes stay open to anyone.
        assert (await svc.client.get("/healthz")).status_code == 200


@pytest.mark.parametrize("service", ["registry", "rating", "lending", "merchant", "stats"])
async def test_every_route_that_takes_a_token_checks_it_before_the_body(databases: DatabaseFactory, keys: Keys,
                                                                        service: str) -> None:
    """Every POST, PUT, PATCH and DELETE of every service: an anonymous body is refused with 401 (or
    the route does not exist for that method) without the service reading it."""
    async with start_service(service, await databases.create(service), keys) as svc:
        schema = (await svc.client.get("/openapi.json")).json()
        checked = 0
        for path, operations in schema["paths"].items():
            for method in operations:
                if method not in ("post", "put", "patch", "delete"):
                    continue
                url = path.replace("{", "").replace("}", "")  # any value fits a path parameter
                body = Body(4 * MB)
                r = await svc.client.request(method.upper(), url, content=body,
                                             headers={"content-type": "application/json"})
                assert r.status_code == 401, (method, path, r.status_code, r.text[:200])
                assert body.sent <= 64 << 10, (method, path, body.sent)
                checked += 1
        assert checked > 0 or service == "stats"  # stats takes no body: it is read-only
