"""`make run` (scripts/devrun.py) on free ports with no demo county, and Debian's chromium driven by
Playwright (never a browser Playwright downloads): the console's pages tested as people use them."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from common.broker import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SERVICES = ("registry", "rating", "lending", "merchant", "stats")


@dataclass
class DevRun:
    """What `make run` started: its ports, its var folder (tokens) and its log."""

    var: Path
    ports: dict[str, int]
    env: dict[str, str]
    log: Path
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def console(self) -> str:
        return f"http://127.0.0.1:{self.ports['console']}"

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"


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
    tmp = tmp_path_factory.mktemp("devrun")
    ports = {name: free_port() for name in (*SERVICES, "console")}
    var = tmp / "var"
    env = dict(os.environ, CV_VAR_DIR=str(var), CV_BROKER_PORT=str(free_port()), CV_DEMO="off",
               RATING_PUBLICATION_DAYS="7", PYTHONPATH=f"{ROOT / 'libs'}:{ROOT / 'services'}:{ROOT}")
    for name, port in ports.items():
        env[f"{name.upper()}_PORT"] = str(port)
        for other in SERVICES:
            env[f"{name.upper()}_{other.upper()}_URL"] = f"http://127.0.0.1:{ports[other]}"
    log = tmp / "devrun.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "scripts/devrun.py"], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 300
        while "all services ready" not in log.read_text():
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.5)
        tokens = dict(line.split("=", 1) for line in (var / "dev-tokens.env").read_text().splitlines() if "=" in line)
        yield DevRun(var=var, ports=ports, env=env, log=log, tokens=tokens)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


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
