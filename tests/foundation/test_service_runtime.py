"""What every service process gets from common: its PostgreSQL pool, and an HTTP client that does
not search for a missing module on every request."""
from __future__ import annotations

import asyncio
import sys

import httpx
import pytest
from sqlalchemy import text

from common.db import Database
from common.runtime import answer_sniffio_absent
from common.settings import ServiceSettings
from tests.harness import PG_URL, DatabaseFactory


@pytest.mark.skipif(not PG_URL, reason="needs CV_TEST_POSTGRES_URL")
async def test_a_burst_of_requests_reuses_the_pools_connections(databases: DatabaseFactory) -> None:
    # 16 bank and POS requests in flight (one connection each at a time) besides the relay, the
    # consumer, the disclosure log and the webhook sender: the pool keeps every connection, so a
    # second burst opens none (no new backend). A pool of 10 reopened ten per burst.
    url = await databases.create("lending", "postgres", migrate=False)
    settings = ServiceSettings(database_url=url)
    db = Database(url, **settings.pool_options())
    burst = 16 + 4

    async def backend_pid() -> int:
        async with db.transaction() as session:
            pid = int((await session.execute(text("SELECT pg_backend_pid()"))).scalar_one())
            await asyncio.sleep(0.05)  # held, as a request holds its connection: the burst overlaps
            return pid

    try:
        first = set(await asyncio.gather(*(backend_pid() for _ in range(burst))))
        second = set(await asyncio.gather(*(backend_pid() for _ in range(burst))))
    finally:
        await db.dispose()
    assert len(first) == burst
    assert second <= first, f"{len(second - first)} connections opened again"


def test_sqlite_settings_keep_the_pool_defaults() -> None:
    assert ServiceSettings(database_url="sqlite+aiosqlite:///x.db").pool_options() == {}


async def test_http_requests_still_work_once_sniffio_is_answered_absent() -> None:
    asked: list[bytes] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while head := await reader.readuntil(b"\r\n\r\n"):  # keep-alive: one answer per request
            asked.append(head.split(b" ")[1])
            writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
            await writer.drain()
            if reader.at_eof():
                break

    had = sys.modules.get("sniffio", ...)
    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    answer_sniffio_absent()
    try:
        with pytest.raises(ImportError):
            import sniffio  # noqa: F401
        # Through httpcore's pool and locks (the path that asked for sniffio), twice on one connection.
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            assert [(await client.get(p)).status_code for p in ("/a", "/b")] == [204, 204]
        assert asked == [b"/a", b"/b"]
    finally:
        server.close()
        if had is ...:
            sys.modules.pop("sniffio", None)
        else:
            sys.modules["sniffio"] = had  # type: ignore[assignment]
