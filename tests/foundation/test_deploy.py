"""The production shape, checked without a Docker engine or a cluster: docker-compose.yml and the
Kubernetes manifests parse, name every service in each run mode, probe readiness, and take their
secrets from the environment."""
from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ["registry", "rating", "lending", "merchant", "stats"]
CONSUMERS = {"rating", "lending", "merchant", "stats"}


def env_of(svc: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in svc.get("environment", {}).items()}


def test_compose_runs_every_service_on_postgres_and_kafka() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller", "KRaft mode"
    init_sql = (ROOT / "deploy/postgres-init.sql").read_text()
    urls = set()
    for name in SERVICES:
        p = name.upper() + "_"
        api, relay = services[f"{name}-api"], services[f"{name}-relay"]
        assert (env_of(api)[p + "RUN_RELAY"], env_of(api)[p + "RUN_CONSUMER"]) == ("false", "false")
        assert (env_of(relay)[p + "RUN_RELAY"], env_of(relay)[p + "RUN_CONSUMER"]) == ("true", "false")
        if name in CONSUMERS:
            consumer = services[f"{name}-consumer"]
            assert (env_of(consumer)[p + "RUN_RELAY"], env_of(consumer)[p + "RUN_CONSUMER"]) == ("false", "true")
        url = env_of(api)[p + "DATABASE_URL"]
        assert url.startswith("postgresql+asyncpg://") and url.endswith(f"/{name}")
        assert f"CREATE DATABASE {name};" in init_sql
        urls.add(url)
        assert env_of(api)[p + "ENV"] == "prod"
        assert env_of(api)[p + "AUTH_PUBLIC_KEY"].startswith("${AUTH_PUBLIC_KEY:?"), "secrets come from the environment"
        assert "readyz" in " ".join(api["healthcheck"]["test"])
        assert services[f"{name}-migrate"]["command"] == [name, "migrate"]
        assert api["depends_on"][f"{name}-migrate"]["condition"] == "service_completed_successfully"
        assert importlib.util.find_spec(f"{name}.__main__") is not None
    assert len(urls) == len(SERVICES), "one database per service"
    assert importlib.util.find_spec("scripts.create_topics") is not None


def test_kubernetes_manifests_have_probes_and_separate_deployments() -> None:
    docs = [d for f in sorted((ROOT / "deploy/k8s").glob("*.yaml")) for d in yaml.safe_load_all(f.read_text()) if d]
    by_name = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    for name in SERVICES:
        roles = ["api", "relay"] + (["consumer"] if name in CONSUMERS else [])
        for role in roles:
            dep = by_name[("Deployment", f"{name}-{role}")]
            container = dep["spec"]["template"]["spec"]["containers"][0]
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
            assert dep["spec"]["selector"]["matchLabels"] == dep["spec"]["template"]["metadata"]["labels"]
            env = {e["name"]: e for e in container["env"]}
            p = name.upper() + "_"
            assert env[p + "RUN_RELAY"]["value"] == str(role == "relay").lower()
            assert env[p + "RUN_CONSUMER"]["value"] == str(role == "consumer").lower()
            assert "secretKeyRef" in env[p + "DATABASE_URL"]["valueFrom"]
        assert ("Service", f"{name}-api") in by_name
        assert by_name[("Job", f"{name}-migrate")]["spec"]["template"]["spec"]["containers"][0]["args"] == [name, "migrate"]


def test_dockerfile_installs_the_lock_with_hashes() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--require-hashes" in dockerfile and "requirements.lock" in dockerfile
    lock = (ROOT / "requirements.lock").read_text()
    assert "--hash=sha256:" in lock and "://" not in lock, "pinned with hashes, no download host"


def _topic_job_args(args: list[str]) -> Any:
    """The topic job's arguments, parsed by the script itself: it accepts no partition count or
    topic list, only the replication factor, so whatever it creates is the one definition."""
    from scripts.create_topics import parser

    assert args[0] == "scripts.create_topics", args
    return parser().parse_args(args[1:])


def test_every_deploy_creates_topics_from_the_one_definition(capsys: Any) -> None:
    from scripts.create_topics import main

    from common.events.schemas import event_types
    from common.events.topics import MIN_INSYNC, PARTITIONS, URGENT_TYPES, dlq_topic, lanes, topic_specs

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert _topic_job_args(compose["services"]["topics"]["command"]).replication == 1, "compose has one broker"
    assert not any(k.startswith("KAFKA_NUM_PARTITIONS") for k in compose["services"]["kafka"]["environment"])
    assert compose["services"]["kafka"]["environment"]["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    docs = [d for f in sorted((ROOT / "deploy/k8s").glob("*.yaml")) for d in yaml.safe_load_all(f.read_text()) if d]
    job = next(d for d in docs if d["kind"] == "Job" and d["metadata"]["name"] == "create-topics")
    assert _topic_job_args(job["spec"]["template"]["spec"]["containers"][0]["args"]).replication == 3
    # The definition: every event type, its urgent lane if it has one, and its DLQ (one for both
    # lanes), 6 partitions, 2 of 3 replicas in sync for acks=all.
    specs = {s.name: s for s in topic_specs(3)}
    assert set(specs) == {lane for t in event_types() for lane in lanes(t)} | {dlq_topic(t) for t in event_types()}
    assert "rating-changed.urgent" in specs and set(event_types()) >= URGENT_TYPES
    for spec in specs.values():
        assert (spec.partitions, spec.replication) == (PARTITIONS, 3)
        assert spec.configs["min.insync.replicas"] == str(MIN_INSYNC)
        assert spec.configs["cleanup.policy"] == "delete" and int(spec.configs["retention.ms"]) > 0
    assert all(s.configs["min.insync.replicas"] == "1" for s in topic_specs(1)), "acks=all on one broker"
    main(["--list", "--replication", "3"])
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == len(specs) and all("replication=3" in line for line in listed)
    # The embedded run, the tests and the local cluster create topics through ensure_topics too.
    for path in ("scripts/devrun.py", "tests/conftest.py", "tools/kafka_cluster.py", "tests/e2e/cluster.py"):
        assert "ensure_topics(" in (ROOT / path).read_text(), path


def test_every_deployed_service_holds_its_own_event_key_and_every_public_one() -> None:
    """Events are proved with pairwise keys (common.events.signing): each process of a service needs
    its own private key and the others' public keys, and no other service's private key."""
    from common.events.signing import SERVICES

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name, spec in compose["services"].items():
        service = name.split("-")[0]
        if service not in SERVICES:
            continue
        assert spec["environment"][f"{service.upper()}_EVENT_KEYS_DIR"] == "/run/keys/events", name
        privates = [v for v in spec["volumes"] if "-private.pem" in v]
        assert len(privates) == 1 and f"/{service}-private.pem:" in privates[0], name
        assert {s for s in SERVICES if any(f"/{s}-public.pem:" in v for v in spec["volumes"])} == set(SERVICES), name
    docs = [d for f in sorted((ROOT / "deploy/k8s").glob("*.yaml")) for d in yaml.safe_load_all(f.read_text()) if d]
    public = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "event-public-keys")
    assert set(public["data"]) == {f"{s}-public.pem" for s in SERVICES}
    for doc in docs:
        if doc["kind"] not in ("Deployment", "Job") or doc["metadata"]["name"] == "create-topics":
            continue
        service = doc["metadata"]["name"].split("-")[0]
        pod = doc["spec"]["template"]["spec"]
        volume = next(v for v in pod["volumes"] if v["name"] == "event-keys")
        secret = next(s["secret"] for s in volume["projected"]["sources"] if "secret" in s)
        assert [i["key"] for i in secret["items"]] == [f"{service}-private.pem"], doc["metadata"]["name"]
        for container in pod["containers"]:
            env = {e["name"]: e.get("value") for e in container["env"]}
            assert env[f"{service.upper()}_EVENT_KEYS_DIR"] == "/run/keys/events", doc["metadata"]["name"]


@pytest.mark.parametrize("service", ["lending", "merchant"])
def test_webhooks_are_sent_from_one_process_of_their_own(service: str) -> None:
    """The webhook worker is a run mode like the relay: one process (one replica) sends, no other;
    lending's for the banks, the merchant's for the merchants."""
    up, sender_name = service.upper(), f"{service}-webhooks"
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name, svc in compose.items():
        if name.startswith(f"{service}-") and name != f"{service}-migrate":
            assert env_of(svc)[f"{up}_RUN_WEBHOOKS"] == str(name == sender_name).lower(), name
    hooks = env_of(compose[sender_name])
    assert (hooks[f"{up}_RUN_RELAY"], hooks[f"{up}_RUN_CONSUMER"]) == ("false", "false")
    docs = [d for d in yaml.safe_load_all((ROOT / f"deploy/k8s/{service}.yaml").read_text()) if d]
    senders = 0
    for dep in (d for d in docs if d["kind"] == "Deployment"):
        env = {e["name"]: e.get("value") for e in dep["spec"]["template"]["spec"]["containers"][0]["env"]}
        sender = dep["metadata"]["name"] == sender_name
        senders += sender
        assert env[f"{up}_RUN_WEBHOOKS"] == str(sender).lower(), dep["metadata"]["name"]
        if sender:
            assert dep["spec"]["replicas"] == 1 and (env[f"{up}_RUN_RELAY"], env[f"{up}_RUN_CONSUMER"]) == ("false", "false")
    assert senders == 1
