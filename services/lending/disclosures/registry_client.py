"""Asking the registry who holds an ID number: lending keeps no ID numbers. Lending asks with its own
service identity (scope subjects:lookup) and names the bank it asks for, which the registry logs;
a bank's token is never forwarded (banks are not the registry's callers)."""
from __future__ import annotations

from typing import Any

import httpx

from common.errors import ProblemError
from common.i18n import Text


def make_client(base_url: str) -> httpx.AsyncClient:
    """Created once per process (app.state.registry_client): pooled connections, short timeouts."""
    return httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(5.0, connect=2.0))


async def lookup(client: httpx.AsyncClient, id_number: str, authorization: str, on_behalf_of: str,
                 purpose: str = "credit_check") -> dict[str, Any] | None:
    """The registry's answer ({subject_id, kind, region, masked_name, status}), or None if unknown.
    ``authorization`` is lending's own service token; ``on_behalf_of`` the bank (``bank:<id>``)."""
    try:
        response = await client.post("/v1/subjects:lookup", headers={"Authorization": authorization},
                                      json={"id_number": id_number, "purpose": purpose, "on_behalf_of": on_behalf_of})
    except httpx.HTTPError as exc:
        raise ProblemError(503, Text("Registry unavailable", "登记系统暂不可用"),
                           Text(f"the registry did not answer: {type(exc).__name__}",
                                f"登记系统没有应答（{type(exc).__name__}）"),
                           type="registry-unavailable")
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise ProblemError(502, Text("Registry error", "登记系统出错"),
                           Text(f"the registry answered {response.status_code}", f"登记系统返回了 {response.status_code}"),
                           type="registry-error")
    body: dict[str, Any] = response.json()
    return body
