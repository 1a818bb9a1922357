"""All five services start as processes and are ready (their database and the broker answer)."""
from __future__ import annotations

import httpx

from tests.e2e.cluster import Cluster


def test_every_service_is_ready_as_a_process(cluster: Cluster) -> None:
    for name in cluster.services:
        r = httpx.get(cluster.url(name) + "/readyz", timeout=5)
        assert r.status_code == 200, (name, r.text)
        assert r.json()["checks"] == {"database": "ok", "broker": "ok"}
        assert httpx.get(cluster.url(name) + "/metrics", timeout=5).status_code == 200
