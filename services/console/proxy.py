"""``/api/<service>/...``: the pages' calls forwarded to the five services, same origin (no CORS).
The caller's own token passes through unchanged, so every action meets the same authorisation as
the API; a service that does not answer becomes a 503 problem naming it (the page says which one)."""
from __future__ import annotations

import httpx
from fastapi import Request
from fastapi.responses import Response

from common.errors import ProblemError
from common.i18n import Text

SERVICES = ("registry", "rating", "lending", "merchant", "stats")
# What a page may send on, and what comes back to it.
FORWARDED_REQUEST = ("authorization", "content-type", "accept", "accept-language", "idempotency-key")
FORWARDED_RESPONSE = ("content-type", "content-disposition", "content-language", "link", "retry-after")


def unavailable(service: str) -> ProblemError:
    down = Text(f"{service} is unavailable", f"{service} 服务暂不可用")
    return ProblemError(503, Text("Service unavailable", "服务暂不可用"), down, type="service-unavailable",
                        errors=[{"field": "service", "message": down}], service=service)


def unknown_service(service: str) -> ProblemError:
    return ProblemError(404, Text("Not found", "未找到"), Text(f"no service {service}", f"没有 {service} 这个服务"),
                        type="unknown-service",
                        errors=[{"field": "service", "message": Text("one of " + ", ".join(SERVICES),
                                                                     "应为以下之一：" + ", ".join(SERVICES))}])


async def forward(request: Request, client: httpx.AsyncClient, base_url: str, service: str, path: str) -> Response:
    headers = {k: v for k, v in request.headers.items() if k.lower() in FORWARDED_REQUEST}
    try:
        upstream = await client.request(request.method, f"{base_url}/{path}", params=str(request.query_params),
                                        headers=headers, content=await request.body())
    except httpx.TransportError as exc:
        raise unavailable(service) from exc
    if upstream.status_code in (502, 503, 504) and "problem" not in upstream.headers.get("content-type", ""):
        raise unavailable(service)
    return Response(upstream.content, status_code=upstream.status_code,
                    headers={k: v for k, v in upstream.headers.items() if k.lower() in FORWARDED_RESPONSE})
