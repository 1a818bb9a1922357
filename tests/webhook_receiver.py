"""A real local HTTP endpoint for webhook tests (lending's, the merchant's): it answers its scripted
statuses in turn (then 200), keeps every POST and checks its signature against the secrets it
is told (common.webhooks.signing)."""
from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import orjson

from common.webhooks.signing import HEADER, verify
from tests.harness import DatabaseFactory, Keys, RunningService, eventually, start_service


@dataclass
class Receiver:
    """An endpoint that answers its scripted statuses in turn (then 200) and keeps what came."""

    secrets: list[str] = field(default_factory=list)
    script: list[int] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    def handle(self, headers: Any, body: bytes) -> int:
        signature = headers.get(HEADER, "")
        status = self.script.pop(0) if self.script else 200
        self.received.append({"status": status, "body": orjson.loads(body), "signature": signature,
                              "valid": {s: verify(signature, s, body, int(time.time())) for s in self.secrets},
                              "delivery": headers.get("X-CV-Delivery"), "webhook": headers.get("X-CV-Webhook")})
        return status

    def accepted(self) -> list[dict[str, Any]]:
        return [r for r in self.received if r["status"] == 200]


@contextmanager
def receiving(path: str) -> Iterator[Receiver]:
    """A receiver listening on 127.0.0.1 (a free port) at ``path``, for the block's length."""
    found = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status = found.handle(self.headers, body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    found.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()


def change_ids(deliveries: list[dict[str, Any]]) -> list[int]:
    """The change ids of what the receiver was POSTed, in order."""
    return [c["id"] for d in deliveries for c in d["body"]["changes"]]


@asynccontextmanager
async def pushing_service(databases: DatabaseFactory, backend: str, keys: Keys,
                          service: str) -> AsyncIterator[RunningService]:
    """``service`` on a new database, its webhook worker polling fast and retrying after 0.2 s, and
    allowed to call http://127.0.0.1 (the receiver)."""
    url = await databases.create(service, backend)
    async with start_service(service, url, keys, webhook_allow_http_loopback=True, webhook_poll_seconds=0.05,
                             webhook_backoff_seconds=0.2, webhook_backoff_max_seconds=0.5) as svc:
        yield svc


async def redeliver(client: httpx.AsyncClient, receiver: Receiver, webhook_id: str, delivery_id: int,
                    headers: dict[str, str]) -> None:
    """Redeliver ``delivery_id`` through the route and wait until the receiver accepts it again: the
    same body as the first delivery it accepted, under the same delivery id."""
    r = await client.post(f"/v1/webhooks/{webhook_id}/deliveries/{delivery_id}:redeliver", headers=headers)
    assert r.status_code == 202 and r.json()["status"] == "pending", r.text
    count = len(receiver.accepted())

    async def redelivered() -> bool:
        return len(receiver.accepted()) > count

    await eventually(redelivered, timeout=20)
    assert receiver.accepted()[-1]["body"] == receiver.accepted()[0]["body"]
    assert receiver.accepted()[-1]["delivery"] == str(delivery_id)
