"""`make run` (scripts/devrun.py) on free ports with no demo county, and Debian's chromium driven by
Playwright (never a browser Playwright downloads): the console's pages tested as people use them."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.devrun import DevRun, started

CHROMIUM = Path("/usr/bin/chromium")


class DevCaller:
    """A demo account of `make run` calling the services (the e2e helpers' ``ok`` shape)."""

    def __init__(self, run: DevRun, token_name: str) -> None:
        self.run = run
        self.client = httpx.Client(timeout=30.0, headers={"Authorization": f"Bearer {run.tokens[token_name]}"})

    def ok(self, service: str, method: str, path: str, expect: tuple[int, ...] = (200, 201, 202), **kwargs: Any) -> Any:
        r = self.client.request(method, self.run.url(service) + path, **kwargs)
        assert r.status_code in expect, f"{method} {service}{path}: {r.status_code} {r.text[:800]}"
        return r.json() if r.content else None


@pytest.fixture(scope="module")
def devrun(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevRun]:
    """`make run` as a newcomer starts it (scripts/devrun.py), on free ports, with a 7-day publication
    (公示) so a household can object; no demo county (each test loads what it needs over HTTP)."""
    with started(tmp_path_factory.mktemp("devrun"), timeout=300, CV_DEMO="off", RATING_PUBLICATION_DAYS="7") as run:
        yield run


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (deploy/local/chromium.sh installs it; .ci/run calls it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (requirements-dev.lock; make install)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                      args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        yield chromium
        chromium.close()
