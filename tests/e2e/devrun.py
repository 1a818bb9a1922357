"""`make run` (scripts/devrun.py) started by a test as a newcomer would, on free ports: the README
walkthrough and the console's browser tests both drive it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from common.broker import free_port

ROOT = Path(__file__).resolve().parents[2]
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


@contextmanager
def started(tmp: Path, timeout: float = 600, **settings: str) -> Iterator[DevRun]:
    """`make run` with ``settings`` as extra environment, until it says every service is ready;
    stopped by Ctrl-C (SIGINT) as a person stops it."""
    ports = {name: free_port() for name in (*SERVICES, "console")}
    var = tmp / "var"
    env = dict(os.environ, CV_VAR_DIR=str(var), CV_BROKER_PORT=str(free_port()),
               PYTHONPATH=f"{ROOT / 'libs'}:{ROOT / 'services'}:{ROOT}", **settings)
    for name, port in ports.items():
        env[f"{name.upper()}_PORT"] = str(port)
        env[f"CV_{name.upper()}_URL"] = f"http://127.0.0.1:{port}"
        for other in SERVICES:
            env[f"{name.upper()}_{other.upper()}_URL"] = f"http://127.0.0.1:{ports[other]}"
    log = tmp / "devrun.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "scripts/devrun.py"], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
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
