"""Asking the registry who holds an ID number: lending keeps no ID numbers. The bank's own token
is forwarded, so the registry checks the bank itself."""
from __future__ import annotations

from typing import Any

import httpx

from common.errors import ProblemError


def make_client(base_url: str) -> httpx.AsyncClient:
    """Created once per process (app.state.registry_client): pooled connections, short timeouts."""
    return httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(5.0, connect=2.0))


async def lookup(client: httpx.AsyncClient, id_number: str, authorization: str) -> dict[str, Any] | None:
    """The registry's answer ({subject_id, kind, region, masked_name, status}), or None if unknown."""
    try:
        response = await client.post("/v1/subjects:lookup", json={"id_number": id_number},
                                      headers={"Authorization": authorization})
    except httpx.HTTPError as exc:
        raise ProblemError(503, "Registry unavailable", f"the registry did not answer: {type(exc).__name__}",
                           type="registry-unavailable")
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise ProblemError(502, "Registry error", f"the registry answered {response.status_code}",
                           type="registry-error")
    body: dict[str, Any] = response.json()
    return body
