"""`make run`: the embedded run on one machine.

Migrates every service's SQLite database under var/, starts the local Kafka-protocol broker (Tansu)
on 127.0.0.1:9092 with the topics (or uses the brokers in CV_KAFKA_BOOTSTRAP: `make run-cluster`), writes var/dev-tokens.env, starts the five services on
8001-8005 and the console (county console, provincial dashboard, household page) on 8006, and waits
until each is ready. Ctrl-C stops them all, then the broker.
"""
from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx

from common.auth import SERVICE_IDENTITIES, Role, ensure_keypair, mint_token
from common.broker import TansuBroker
from common.events.signing import ensure_event_keys
from common.events.topics import ensure_topics
from common.runtime import ServiceDefinition, migrate
from common.settings import var_dir
from console.household import ensure_issuer_key
from console.settings import ConsoleSettings

SERVICES = ["registry", "rating", "lending", "merchant", "stats"]
# The demo county (Tianchang, 天长市): what the dev tokens are bound to.
DEMO_COUNTY = "341181"
DEMO_BANK = "bank-tcrcb"
DEMO_MERCHANT = "merchant-demo-market"


class ExternalBroker:
    """A broker this script did not start (CV_KAFKA_BOOTSTRAP): left running on Ctrl-C."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap

    def stop(self) -> None:
        pass


# Dev tokens last a working day (services accept up to 12 hours) and service tokens an hour;
# this script mints them again every REFRESH_SECONDS while it runs, so `source var/dev-tokens.env`
# and the services' own identities always hold fresh ones.
DEV_TOKEN_TTL = timedelta(hours=8)
SERVICE_TOKEN_TTL = timedelta(hours=1)
REFRESH_SECONDS = 15 * 60


def _write(path: Path, text: str) -> None:
    """Replace the file in one step (a reader never sees half a token)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.chmod(0o600)
    os.replace(tmp, path)


def write_dev_tokens(private_key: Path, path: Path) -> None:
    pem = private_key.read_bytes()
    ttl = DEV_TOKEN_TTL
    tokens = {
        "ADMIN_TOKEN": mint_token(pem, Role.admin, sub="county-admin", ttl=ttl),
        "OFFICER_TOKEN": mint_token(pem, Role.officer, sub="officer-county", region=DEMO_COUNTY, ttl=ttl),
        "BANK_TOKEN": mint_token(pem, Role.bank, bank_id=DEMO_BANK, ttl=ttl),
        "MERCHANT_TOKEN": mint_token(pem, Role.merchant, merchant_id=DEMO_MERCHANT, ttl=ttl),
        "PLATFORM_TOKEN": mint_token(pem, Role.platform, sub="provincial-platform", ttl=ttl),
        # The household phone app's backend (rotating codes, online applications).
        "HOUSEHOLD_CHANNEL_TOKEN": mint_token(pem, Role.service, service="household-channel", ttl=ttl),
    }
    _write(path, "".join(f"{k}={v}\n" for k, v in tokens.items()))


def write_service_tokens(private_key: Path, folder: Path) -> None:
    """Each service that calls another gets its own identity (var/tokens/<identity>.token), which
    the service reads again when the file changes."""
    pem = private_key.read_bytes()
    for name in SERVICE_IDENTITIES:
        _write(folder / f"{name}.token", mint_token(pem, Role.service, service=name, ttl=SERVICE_TOKEN_TTL) + "\n")


def refresh_tokens(private_key: Path, var: Path) -> None:
    write_dev_tokens(private_key, var / "dev-tokens.env")
    write_service_tokens(private_key, var / "tokens")


def load_demo(var: Path, size: str) -> None:
    from tools.admin.cli import Bars
    from tools.admin.client import Services
    from tools.admin.demo import generate, load

    token = next(line.split("=", 1)[1] for line in (var / "dev-tokens.env").read_text().splitlines()
                 if line.startswith("ADMIN_TOKEN="))
    api = Services(token)
    try:
        with Bars() as bars:
            load(api, generate(size), var, bars)
    finally:
        api.close()


def definition(name: str) -> ServiceDefinition:
    return importlib.import_module(f"{name}.app").DEFINITION  # type: ignore[no-any-return]


def main() -> int:
    var = var_dir()
    var.mkdir(parents=True, exist_ok=True)
    private_key, _ = ensure_keypair(var / "keys")
    ensure_event_keys(var / "keys" / "events")  # each producer's event key, before any service starts
    # The console's household issuer: services trust its public half for household tokens only.
    ensure_issuer_key(ConsoleSettings().issuer_key_path())
    for name in SERVICES:
        migrate(definition(name))
        print(f"  migrated {name}")

    external = os.environ.get("CV_KAFKA_BOOTSTRAP")
    broker: TansuBroker | ExternalBroker
    if external:  # `make run-cluster`: the local Apache Kafka cluster (deploy/local/kafka.sh)
        broker = ExternalBroker(external)
        ensure_topics(broker.bootstrap, replication=int(os.environ.get("CV_KAFKA_REPLICATION", "3")))
        print(f"  broker: Apache Kafka on {broker.bootstrap}")
    else:
        broker = TansuBroker(port=int(os.environ.get("CV_BROKER_PORT", "9092")), workdir=var / "broker")
        broker.start()
        ensure_topics(broker.bootstrap)
        print(f"  broker ready on {broker.bootstrap} (Tansu, memory storage)")
    refresh_tokens(private_key, var)

    env = dict(os.environ)
    # The demo county's grades become final at once; a county's real run keeps the 7-day
    # publication (公示) by leaving RATING_PUBLICATION_DAYS unset outside `make run`.
    env.setdefault("RATING_PUBLICATION_DAYS", "0")
    # Each service's one process runs its API, relay and consumer; lending's and the merchant's also
    # their webhook workers (<SERVICE>_RUN_WEBHOOKS, on by default), which may call a bank's or a
    # POS vendor's test receiver on http://127.0.0.1 here (production takes https:// only).
    for sender in ("LENDING", "MERCHANT"):
        env.setdefault(f"{sender}_RUN_WEBHOOKS", "true")
        env.setdefault(f"{sender}_WEBHOOK_ALLOW_HTTP_LOOPBACK", "true")
    children: list[tuple[str, int, subprocess.Popen[bytes]]] = []
    logs = var / "logs"
    logs.mkdir(exist_ok=True)
    for name in SERVICES:
        port = definition(name).settings_cls().port
        env[f"{name.upper()}_KAFKA_BOOTSTRAP"] = broker.bootstrap
        out = open(logs / f"{name}.log", "ab")
        proc = subprocess.Popen([sys.executable, "-m", name, "serve"], env=env, stdout=out, stderr=out)
        children.append((name, port, proc))
    # The console: the pages on the services' public APIs (no database, no broker of its own).
    console_port = ConsoleSettings().port
    for service, service_port, _ in children:
        env.setdefault(f"CONSOLE_{service.upper()}_URL", f"http://127.0.0.1:{service_port}")
    out = open(logs / "console.log", "ab")
    children.append(("console", console_port,
                     subprocess.Popen([sys.executable, "-m", "console", "serve"], env=env, stdout=out, stderr=out)))

    def shutdown(*_: object) -> None:
        print("\nstopping services ...")
        for _, _, proc in children:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for _, _, proc in children:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        broker.stop()
        print("stopped.")
        sys.exit(0)

    signal.signal(signal.SIGINT, shutdown)
    signal.signal(signal.SIGTERM, shutdown)

    deadline = time.monotonic() + 60
    pending = {name: port for name, port, _ in children}
    while pending and time.monotonic() < deadline:
        for name, port in list(pending.items()):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    print(f"  {name:9s} ready on http://127.0.0.1:{port}  (docs: /docs)")
                    del pending[name]
            except httpx.HTTPError:
                pass
        for name, _, proc in children:
            if proc.poll() is not None:
                print(f"{name} exited with {proc.returncode}: see {logs / (name + '.log')}")
                shutdown()
        time.sleep(0.2)
    if pending:
        print(f"not ready in time: {', '.join(pending)}; see {logs}")
        shutdown()
    demo_env = var / "demo.env"
    if not demo_env.exists() and os.environ.get("CV_DEMO", "small") != "off":
        print(f"loading the demo county ({os.environ.get('CV_DEMO', 'small')}; CV_DEMO=off skips it) ...")
        try:
            load_demo(var, os.environ.get("CV_DEMO", "small"))
        except Exception as exc:  # the services stay up; the demo can be loaded again with `make demo`
            print(f"demo county not loaded: {exc}")
    print(f"  console: http://127.0.0.1:{console_port}/ (log in with a demo account; household pages by "
          "the officer's personal link)")
    print(f"all services ready. Tokens: {var / 'dev-tokens.env'}" + (f", demo: {demo_env}" if demo_env.exists() else "")
          + f" (source them). Logs: {logs}. Ctrl-C stops.")
    refreshed = time.monotonic()
    while True:
        if time.monotonic() - refreshed > REFRESH_SECONDS:
            refresh_tokens(private_key, var)
            refreshed = time.monotonic()
        for name, _, proc in children:
            if proc.poll() is not None:
                print(f"{name} exited with {proc.returncode}: see {logs / (name + '.log')}")
                shutdown()
        time.sleep(1)


if __name__ == "__main__":
    sys.exit(main())
