"""The worker's signed POST: the body as it is, ``X-CV-Signature`` with every signing secret,
the endpoint and delivery ids in headers; no redirects followed; the answer is the status code or
the error's name (never the response's text, which is the receiver's)."""
from __future__ import annotations

import time

import httpx

from common.webhooks.signing import HEADER, header

USER_AGENT = "credit-village-webhooks/1"


def client(timeout_seconds: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=httpx.Timeout(timeout_seconds), follow_redirects=False,
                             headers={"User-Agent": USER_AGENT})


async def post(http: httpx.AsyncClient, url: str, secrets: list[str], webhook_id: str, delivery_id: int,
               body: bytes) -> tuple[int | None, str | None]:
    signed = header(secrets, int(time.time()), body)
    headers = {"Content-Type": "application/json", HEADER: signed, "X-CV-Webhook": webhook_id,
               "X-CV-Delivery": str(delivery_id)}
    try:
        response = await http.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return None, type(exc).__name__
    code = response.status_code
    return code, None if 200 <= code < 300 else f"HTTP {code}"
