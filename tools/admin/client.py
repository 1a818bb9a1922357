"""A small HTTP client for the admin CLI: the services' base URLs and the caller's token."""
from __future__ import annotations

import os
import time
from typing import Any

import httpx

from common.errors import PROBLEM_JSON

DEFAULT_URLS = {"registry": "http://127.0.0.1:8001", "rating": "http://127.0.0.1:8002",
                "lending": "http://127.0.0.1:8003", "merchant": "http://127.0.0.1:8004",
                "stats": "http://127.0.0.1:8005"}


class ApiError(RuntimeError):
    def __init__(self, response: httpx.Response) -> None:
        detail = response.json() if response.headers.get("content-type") == PROBLEM_JSON else response.text[:500]
        super().__init__(f"{response.request.method} {response.request.url.path} → {response.status_code}: {detail}")
        self.response = response


class Services:
    """One httpx client per service, all with the same bearer token."""

    def __init__(self, token: str, urls: dict[str, str] | None = None, timeout: float = 60.0) -> None:
        urls = {**DEFAULT_URLS, **{k: v for k, v in (urls or {}).items() if v}}
        for name in DEFAULT_URLS:
            env = os.environ.get(f"CV_{name.upper()}_URL")
            if env:
                urls[name] = env
        headers = {"Authorization": f"Bearer {token}"}
        self.clients = {name: httpx.Client(base_url=url, headers=headers, timeout=timeout) for name, url in urls.items()}

    def call(self, service: str, method: str, path: str, *, ok: tuple[int, ...] = (200, 201, 202, 204),
             **kwargs: Any) -> Any:
        r = self.clients[service].request(method, path, **kwargs)
        if r.status_code not in ok:
            raise ApiError(r)
        if r.status_code == 204 or not r.content:
            return None
        return r.json() if "json" in r.headers.get("content-type", "") else r.content

    def wait(self, service: str, path: str, done: Any, timeout: float = 600.0, interval: float = 0.5,
             on_progress: Any = None) -> Any:
        """Poll ``path`` until ``done(body)`` is true."""
        deadline = time.monotonic() + timeout
        while True:
            body = self.call(service, "GET", path, ok=(200, 404))
            if on_progress and body is not None:
                on_progress(body)
            if body is not None and done(body):
                return body
            if time.monotonic() > deadline:
                raise TimeoutError(f"{service} {path} not done in {timeout}s (last: {body!r:.300})")
            time.sleep(interval)

    def close(self) -> None:
        for c in self.clients.values():
            c.close()
