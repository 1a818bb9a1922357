"""The internal port: with ``<SERVICE>_INTERNAL_PORT`` set, /metrics, /docs, /redoc, /openapi.json and
the detailed /readyz are served there only; the public port answers them 404 (like any unknown
path) and keeps a short /readyz for load balancers; the internal port serves nothing else. Unset,
one port serves everything, as the embedded run and the tests expect. Production sets it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from pydantic import ValidationError

from common.broker import free_port
from common.internal import INTERNAL_PATHS, InternalListener
from common.migrations import upgrade
from tests.harness import DatabaseFactory, Keys, definition, run_app, settings_for

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ["registry", "rating", "lending", "merchant", "stats"]
PAGES = ["/metrics", "/docs", "/redoc", "/openapi.json"]
API_PATH = {"registry": "/v1/subjects", "rating": "/v1/subjects/s-1/grade", "lending": "/v1/loans",
            "merchant": "/v1/merchants", "stats": "/v1/stats/summary"}


def assert_hidden(r: httpx.Response) -> None:
    assert r.status_code == 404, (r.request.url, r.status_code, r.text[:200])
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["title"] == "Not found"


@pytest.mark.parametrize("service", SERVICES)
async def test_with_an_internal_port_the_public_side_hides_the_operations_pages(
        service: str, databases: DatabaseFactory, keys: Keys) -> None:
    url = await databases.create(service)
    app = definition(service).create_app(settings_for(service, url, keys, internal_port=free_port()))
    async with run_app(app) as public, httpx.AsyncClient(
            transport=httpx.ASGITransport(app=InternalListener(app)), base_url="http://internal") as internal:
        for path in PAGES:
            assert_hidden(await public.get(path))
            assert (await internal.get(path)).status_code == 200, path
        assert "http_request_duration_seconds" in (await internal.get("/metrics")).text
        # The public /readyz: the verdict only, with the same status as the detailed one.
        short, detailed = await public.get("/readyz"), await internal.get("/readyz")
        assert short.status_code == detailed.status_code
        assert set(short.json()) == {"status"} and short.json()["status"] == detailed.json()["status"]
        assert "checks" in detailed.json() and "database" in detailed.json()["checks"]
        # The internal port is for operations only; the public one still serves the API.
        assert_hidden(await internal.get(API_PATH[service]))
        assert (await public.get(API_PATH[service])).status_code == 401
        assert (await public.get("/healthz")).status_code == (await internal.get("/healthz")).status_code == 200


async def test_without_an_internal_port_one_port_serves_everything(databases: DatabaseFactory, keys: Keys) -> None:
    url = await databases.create("lending")
    app = definition("lending").create_app(settings_for("lending", url, keys))
    async with run_app(app) as client:
        for path in PAGES:
            assert (await client.get(path)).status_code == 200, path
        assert "checks" in (await client.get("/readyz")).json()


def test_the_internal_port_must_differ_from_the_public_one() -> None:
    with pytest.raises(ValidationError, match="LENDING_INTERNAL_PORT must differ from LENDING_PORT"):
        definition("lending").settings_cls(port=8003, internal_port=8003)


@pytest.fixture
def lending_process(tmp_path: Path, keys: Keys) -> Iterator[tuple[subprocess.Popen[bytes], int, int]]:
    """``python -m lending serve`` with an internal port, on a migrated SQLite file, no broker."""
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'lending.db'}"
    upgrade(definition("lending").migrations_dir, db_url)
    port, internal_port = free_port(), free_port()
    env = {**os.environ, "PYTHONPATH": f"{ROOT}/libs:{ROOT}/services:{ROOT}", "CV_VAR_DIR": str(tmp_path),
           "LENDING_DATABASE_URL": db_url, "LENDING_AUTH_PUBLIC_KEY": keys.public_pem.decode(),
           "LENDING_PORT": str(port), "LENDING_INTERNAL_PORT": str(internal_port),
           "LENDING_RUN_RELAY": "false", "LENDING_RUN_CONSUMER": "false",
           "LENDING_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}", "LENDING_LOG_LEVEL": "WARNING",
           "LENDING_LANGUAGE": "en"}
    log = open(tmp_path / "lending.log", "wb")  # closed below, once the process is gone
    proc = subprocess.Popen([sys.executable, "-m", "lending", "serve"], env=env, stdout=log, stderr=log, cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (tmp_path / "lending.log").read_text()
            try:
                if all(httpx.get(f"http://127.0.0.1:{p}/healthz", timeout=1).status_code == 200
                       for p in (port, internal_port)):
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the service did not answer on both ports"
            time.sleep(0.1)
        yield proc, port, internal_port
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()


def test_a_service_process_serves_its_operations_pages_on_the_internal_port_only(
        lending_process: tuple[subprocess.Popen[bytes], int, int]) -> None:
    proc, port, internal_port = lending_process
    public, internal = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{internal_port}"
    for path in PAGES:
        assert_hidden(httpx.get(public + path))
        # Nothing a caller sends on the public port reaches them: not the internal port's Host.
        assert_hidden(httpx.get(public + path, headers={"Host": f"127.0.0.1:{internal_port}"}))
        assert httpx.get(internal + path).status_code == 200, path
    assert "http_request_duration_seconds" in httpx.get(internal + "/metrics").text
    short, detailed = httpx.get(public + "/readyz"), httpx.get(internal + "/readyz")
    assert set(short.json()) == {"status"} and short.status_code == detailed.status_code == 503  # no broker
    assert detailed.json()["checks"] == {"database": "ok", "broker": "unreachable"}
    assert_hidden(httpx.get(internal + "/v1/loans"))
    assert httpx.get(public + "/v1/loans").status_code == 401

    # SIGTERM stops both listeners and the app, as it stops a one-port service.
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    for p in (port, internal_port):
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{p}/healthz", timeout=1)


def test_deployments_expose_the_public_port_and_scrape_the_internal_one() -> None:
    docs = [d for f in sorted((ROOT / "deploy/k8s").glob("*.yaml")) for d in yaml.safe_load_all(f.read_text()) if d]
    services = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Service"}
    for dep in (d for d in docs if d["kind"] == "Deployment"):
        name = dep["metadata"]["labels"]["app.kubernetes.io/name"]
        p = name.upper() + "_"
        container = dep["spec"]["template"]["spec"]["containers"][0]
        env = {e["name"]: e.get("value") for e in container["env"]}
        port, internal_port = int(env[p + "PORT"]), int(env[p + "INTERNAL_PORT"])
        assert internal_port != port and env[p + "INTERNAL_HOST"] == "0.0.0.0"  # the pod's network only
        assert dep["spec"]["template"]["metadata"]["annotations"]["prometheus.io/port"] == str(internal_port)
        assert {c["containerPort"] for c in container["ports"]} == {port, internal_port}
        # Probes use the public port's short /readyz and /healthz (200/503 is all they read).
        assert container["readinessProbe"]["httpGet"]["port"] == port
        api = services[f"{name}-api"]
        assert [pt["targetPort"] for pt in api["spec"]["ports"]] == [port], "the Service exposes the public port only"
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name, svc in compose.items():
        service = name.split("-")[0]
        if service not in SERVICES or svc.get("command", [None, None])[1] != "serve":
            continue
        env = {k: str(v) for k, v in svc["environment"].items()}
        p = service.upper() + "_"
        assert env[p + "INTERNAL_PORT"] != env[p + "PORT"], name
        published = {str(m).split(":")[-1] for m in svc.get("ports", [])}
        assert env[p + "INTERNAL_PORT"] not in published, name


def test_the_internal_paths_are_the_apps_own_pages(keys: Keys) -> None:
    app = definition("lending").create_app(settings_for("lending", "sqlite+aiosqlite://", keys))
    assert {app.docs_url, app.redoc_url, app.openapi_url, app.swagger_ui_oauth2_redirect_url, "/metrics"} == INTERNAL_PATHS
