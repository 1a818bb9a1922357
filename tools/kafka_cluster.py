"""A local Apache Kafka cluster for the cluster tier and benchmarks, from the project's own files.

Three combined broker+controller nodes (KRaft, static quorum) on loopback, with the production
topic settings from ``common.events.topics``. Apache Kafka comes from Maven Central through a
throwaway POM (``dependency:copy-dependencies``) into a cache folder that later runs reuse; the
machine's Java 17 runs it. No Docker.

    python -m tools.kafka_cluster start      # fetch (once), format (once), start, wait, create topics
    python -m tools.kafka_cluster stop       # stop every node
    python -m tools.kafka_cluster status     # which nodes run, the bootstrap servers
    python -m tools.kafka_cluster kill N     # SIGKILL node N (fault tests); `start-node N` brings it back
    python -m tools.kafka_cluster reset      # stop and delete the data (next start formats anew)

Environment: CV_KAFKA_CACHE (jars; default ~/.cache/credit-village/kafka-<version>), CV_KAFKA_DIR
(data, logs, pids; default var/kafka-cluster), CV_KAFKA_PORT (first broker port, default 19092:
brokers on 19092-19094, controllers on 19192-19194), CV_KAFKA_HEAP (default 512m).
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

KAFKA_VERSION = "4.1.2"
LOG4J_VERSION = "2.24.3"  # Kafka 4.1's own Log4j2 version
NODES = (1, 2, 3)
ROOT = Path(__file__).resolve().parents[1]

POM = """<?xml version="1.0" encoding="UTF-8"?>
<!-- Throwaway POM: only resolves Apache Kafka's broker and a Log4j2 binding into a folder. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.credit-village</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>{kafka}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-api</artifactId><version>{log4j}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>{log4j}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>{log4j}</version></dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-dependency-plugin</artifactId>
        <version>3.8.1</version>
      </plugin>
    </plugins>
  </build>
</project>
"""

# Log4j2: INFO to the node's log (the readiness line is INFO), the chatty request and state-change
# loggers at WARN.
LOG4J2 = """<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="WARN">
  <Appenders>
    <Console name="out" target="SYSTEM_OUT">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </Console>
  </Appenders>
  <Loggers>
    <Root level="INFO"><AppenderRef ref="out"/></Root>
    <Logger name="kafka.request.logger" level="WARN"/>
    <Logger name="state.change.logger" level="WARN"/>
    <Logger name="kafka.log.LogCleaner" level="WARN"/>
    <Logger name="org.apache.kafka.storage.internals.log" level="WARN"/>
    <Logger name="kafka.coordinator.group" level="WARN"/>
    <Logger name="org.apache.kafka.coordinator.group" level="WARN"/>
    <Logger name="kafka.server.metadata" level="WARN"/>
    <Logger name="org.apache.kafka.image" level="WARN"/>
    <Logger name="kafka.cluster.Partition" level="WARN"/>
    <Logger name="kafka.log.UnifiedLog" level="WARN"/>
    <Logger name="org.apache.kafka.controller" level="WARN"/>
    <Logger name="kafka.server.ReplicaFetcherThread" level="WARN"/>
    <Logger name="kafka.server.ReplicaFetcherManager" level="WARN"/>
  </Loggers>
</Configuration>
"""


def _default_cache() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "credit-village" / f"kafka-{KAFKA_VERSION}"


@dataclass
class LocalKafka:
    """The cluster's files and processes; every method works from a fresh process too (pid files)."""

    cache: Path
    workdir: Path
    first_port: int = 19092
    heap: str = "512m"

    @classmethod
    def from_env(cls) -> LocalKafka:
        return cls(cache=Path(os.environ.get("CV_KAFKA_CACHE") or _default_cache()),
                   workdir=Path(os.environ.get("CV_KAFKA_DIR") or ROOT / "var" / "kafka-cluster"),
                   first_port=int(os.environ.get("CV_KAFKA_PORT", "19092")),
                   heap=os.environ.get("CV_KAFKA_HEAP", "512m"))

    # ---- where things are
    def broker_port(self, node: int) -> int:
        return self.first_port + node - 1

    def controller_port(self, node: int) -> int:
        return self.first_port + 100 + node - 1

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{self.broker_port(n)}" for n in NODES)

    @property
    def libs(self) -> Path:
        return self.cache / "libs"

    def node_dir(self, node: int) -> Path:
        return self.workdir / f"node-{node}"

    def _pid_file(self, node: int) -> Path:
        return self.node_dir(node) / "kafka.pid"

    def log_file(self, node: int) -> Path:
        return self.node_dir(node) / "server.log"

    # ---- fetch
    def fetch(self) -> float:
        """Resolve Kafka and its runtime dependencies into the cache (once); seconds it took."""
        marker = self.cache / ".complete"
        if marker.exists():
            return 0.0
        if shutil.which("mvn") is None or shutil.which("java") is None:
            raise RuntimeError("needs java (17+) and mvn on the PATH")
        started = time.monotonic()
        self.cache.mkdir(parents=True, exist_ok=True)
        (self.cache / "pom.xml").write_text(POM.format(kafka=KAFKA_VERSION, log4j=LOG4J_VERSION))
        shutil.rmtree(self.libs, ignore_errors=True)
        result = subprocess.run(
            ["mvn", "-B", "-q", "-f", str(self.cache / "pom.xml"), "dependency:copy-dependencies",
             f"-DoutputDirectory={self.libs}", "-DincludeScope=runtime"],
            capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"maven could not resolve Kafka {KAFKA_VERSION}:\n{result.stdout[-4000:]}{result.stderr[-2000:]}")
        if not any(self.libs.glob(f"kafka_2.13-{KAFKA_VERSION}.jar")):
            raise RuntimeError(f"kafka_2.13-{KAFKA_VERSION}.jar missing from {self.libs}")
        marker.write_text(KAFKA_VERSION + "\n")
        return time.monotonic() - started

    # ---- configure and format
    def _properties(self, node: int) -> str:
        voters = ",".join(f"{n}@127.0.0.1:{self.controller_port(n)}" for n in NODES)
        props = {
            "process.roles": "broker,controller",
            "node.id": node,
            "listeners": f"PLAINTEXT://127.0.0.1:{self.broker_port(node)},CONTROLLER://127.0.0.1:{self.controller_port(node)}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.broker_port(node)}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "controller.quorum.voters": voters,
            "log.dirs": self.node_dir(node) / "data",
            "auto.create.topics.enable": "false",  # topics come from common.events.topics only
            "default.replication.factor": 3,
            "min.insync.replicas": 2,
            "offsets.topic.replication.factor": 3,
            "offsets.topic.num.partitions": 6,
            "transaction.state.log.replication.factor": 3,
            "transaction.state.log.min.isr": 2,
            "transaction.state.log.num.partitions": 3,
            "group.initial.rebalance.delay.ms": 0,
            # a small machine: few threads, a small cleaner buffer
            "num.network.threads": 2,
            "num.io.threads": 2,
            "num.replica.fetchers": 1,
            "background.threads": 2,
            "log.cleaner.threads": 1,
            "log.cleaner.dedupe.buffer.size": 16 * 1024 * 1024,
            "num.recovery.threads.per.data.dir": 1,
            "unclean.leader.election.enable": "false",
        }
        return "".join(f"{k}={v}\n" for k, v in props.items())

    def _java(self, main: str, *args: str, heap: str = "256m") -> list[str]:
        return ["java", f"-Xmx{heap}", f"-Xms{heap}", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
                "-XX:TieredStopAtLevel=1" if main != "kafka.Kafka" else "-XX:+UseStringDeduplication",
                "-Djava.awt.headless=true", f"-Dlog4j2.configurationFile={self.workdir / 'log4j2.xml'}",
                "-cp", f"{self.libs}/*", main, *args]

    def formatted(self) -> bool:
        return all((self.node_dir(n) / "data" / "meta.properties").exists() for n in NODES)

    def format(self) -> None:
        """Write each node's properties and format its storage with one new cluster id."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "log4j2.xml").write_text(LOG4J2)
        cluster_id = _random_kafka_uuid()
        procs = []
        for n in NODES:
            shutil.rmtree(self.node_dir(n), ignore_errors=True)
            self.node_dir(n).mkdir(parents=True)
            (self.node_dir(n) / "server.properties").write_text(self._properties(n))
            procs.append(subprocess.Popen(
                self._java("kafka.tools.StorageTool", "format", "-t", cluster_id, "-c",
                           str(self.node_dir(n) / "server.properties"), "--ignore-formatted", heap="128m"),
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        for n, proc in zip(NODES, procs, strict=True):
            out, _ = proc.communicate(timeout=120)
            if proc.returncode != 0:
                raise RuntimeError(f"formatting node {n} failed:\n{out[-3000:]}")
        (self.workdir / "cluster.json").write_text(json.dumps(
            {"cluster_id": cluster_id, "bootstrap": self.bootstrap, "kafka": KAFKA_VERSION}, indent=2))

    # ---- processes
    def pid(self, node: int) -> int | None:
        try:
            pid = int(self._pid_file(node).read_text())
        except (OSError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except OSError:
            return None
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return None
        if stat.rpartition(")")[2].split()[0] == "Z":  # dead, not yet reaped by its parent
            _reap(pid)
            return None
        # a reused pid is not ours (an empty cmdline: the launcher is between exec calls)
        return pid if not cmdline or b"kafka.Kafka" in cmdline else None

    def running(self) -> list[int]:
        return [n for n in NODES if self.pid(n) is not None]

    def start_node(self, node: int) -> None:
        if self.pid(node) is not None:
            return
        log = open(self.log_file(node), "ab")
        proc = subprocess.Popen(self._java("kafka.Kafka", str(self.node_dir(node) / "server.properties"), heap=self.heap),
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, cwd=self.node_dir(node))
        log.close()
        self._pid_file(node).write_text(f"{proc.pid}\n")

    def kill_node(self, node: int, sig: int = signal.SIGKILL, timeout: float = 60.0) -> None:
        pid = self.pid(node)
        if pid is None:
            return
        os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while self.pid(node) is not None:
            _reap(pid)
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                deadline = time.monotonic() + 10
            time.sleep(0.1)
        self._pid_file(node).unlink(missing_ok=True)

    def start(self, timeout: float = 180.0, create_topics: bool = True) -> float:
        """Fetch, format (first time), start the nodes, wait for 3 unfenced brokers, create the
        topics; seconds from launching the JVMs to ready."""
        self.fetch()
        if not self.formatted():
            self.format()
        started = time.monotonic()
        for n in NODES:
            self.start_node(n)
        self.wait_ready(timeout)
        if create_topics:
            from common.events.topics import ensure_topics

            ensure_topics(self.bootstrap, replication=len(NODES))
            wait_topics_led(self.bootstrap)
        return time.monotonic() - started

    def stop(self, timeout: float = 60.0) -> None:
        """SIGTERM every node together (a controlled shutdown), SIGKILL what is left after ``timeout``."""
        pids = {n: p for n in NODES if (p := self.pid(n)) is not None}
        for pid in pids.values():
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while any(self.pid(n) is not None for n in pids):
            for pid in pids.values():
                _reap(pid)
            if time.monotonic() > deadline:
                for n in pids:
                    if (p := self.pid(n)) is not None:
                        os.kill(p, signal.SIGKILL)
                deadline = time.monotonic() + 10
            time.sleep(0.2)
        for n in pids:
            self._pid_file(n).unlink(missing_ok=True)

    def unfenced_brokers(self) -> list[int]:
        from kafka.admin import KafkaAdminClient

        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, client_id="cluster-ready",
                                 request_timeout_ms=3000)
        try:
            return sorted(int(b["broker_id"]) for b in admin.describe_cluster()["brokers"] if not b.get("is_fenced"))
        finally:
            admin.close()

    def wait_ready(self, timeout: float = 180.0, brokers: int = len(NODES)) -> None:
        """Until ``brokers`` brokers are registered and unfenced (describe_cluster lists only those)."""
        deadline = time.monotonic() + timeout
        last: object = None
        while time.monotonic() < deadline:
            for n in NODES:
                if self._pid_file(n).exists() and self.pid(n) is None:
                    raise RuntimeError(f"kafka node {n} exited:\n{self.log_file(n).read_text(errors='replace')[-3000:]}")
            try:
                found = self.unfenced_brokers()
                if len(found) >= brokers:
                    return
                last = found
            except Exception as exc:
                last = exc
            time.sleep(0.5)
        raise RuntimeError(f"kafka cluster not ready in {timeout}s (last: {last!r})")

    def reset(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


def reset_topics(bootstrap: str, replication: int = len(NODES), timeout: float = 60.0) -> None:
    """A clean slate for a test module or a benchmark run: every consumer group and every defined
    topic deleted, then the topics created anew from the one definition (no events, no offsets)."""
    from kafka.admin import KafkaAdminClient

    from common.events.topics import all_topics, ensure_topics

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="cluster-reset")
    try:
        groups = [g["group_id"] if isinstance(g, dict) else g[0] for g in admin.list_groups()]
        if groups:
            admin.delete_groups(groups)
        doomed = [t for t in all_topics() if t in set(admin.list_topics())]
        if doomed:
            admin.delete_topics(doomed, timeout_ms=30_000)
        deadline = time.monotonic() + timeout
        while set(doomed) & set(admin.list_topics()):
            if time.monotonic() > deadline:
                raise RuntimeError("topics not deleted in time")
            time.sleep(0.2)
    finally:
        admin.close()
    deadline = time.monotonic() + timeout
    while True:  # a deleted topic's name may be refused for a moment while its partitions go
        try:
            ensure_topics(bootstrap, replication=replication)
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    wait_topics_led(bootstrap, timeout)


def wait_topics_led(bootstrap: str, timeout: float = 60.0) -> None:
    """Until every defined topic is known with a leader for each of its partitions."""
    from kafka.admin import KafkaAdminClient

    from common.events.topics import topic_specs

    want = {s.name: s.partitions for s in topic_specs()}
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="cluster-topics")
    try:
        deadline = time.monotonic() + timeout
        while True:
            described = {t["name"]: t for t in admin.describe_topics(list(want)) if t.get("error_code") == 0}
            if all(name in described and len(described[name]["partitions"]) == n
                   and all(p["leader_id"] >= 0 for p in described[name]["partitions"]) for name, n in want.items()):
                return
            if time.monotonic() > deadline:
                raise RuntimeError("topics without a leader")
            time.sleep(0.3)
    finally:
        admin.close()


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def _random_kafka_uuid() -> str:
    # Kafka's Uuid: 16 random bytes, URL-safe base64 without padding, never starting with '-'.
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.kafka_cluster", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["fetch", "start", "stop", "status", "kill", "start-node", "reset"])
    parser.add_argument("node", nargs="?", type=int, choices=NODES)
    args = parser.parse_args(argv)
    kafka = LocalKafka.from_env()
    if args.command == "fetch":
        took = kafka.fetch()
        print(f"Kafka {KAFKA_VERSION} in {kafka.libs}" + (f" (fetched in {took:.0f} s)" if took else " (cached)"))
    elif args.command == "start":
        fetch_s = kafka.fetch()
        if fetch_s:
            print(f"fetched Kafka {KAFKA_VERSION} into {kafka.libs} in {fetch_s:.0f} s", flush=True)
        already = kafka.running()
        took = kafka.start()
        what = "already running" if len(already) == len(NODES) else f"started in {took:.1f} s"
        print(f"kafka cluster {what}: 3 brokers ready, topics created; bootstrap {kafka.bootstrap}", flush=True)
        print(kafka.bootstrap)
    elif args.command == "stop":
        kafka.stop()
        print("kafka cluster stopped")
    elif args.command == "status":
        up = kafka.running()
        print(json.dumps({"running": up, "bootstrap": kafka.bootstrap, "workdir": str(kafka.workdir)}))
        return 0 if len(up) == len(NODES) else 1
    elif args.command in ("kill", "start-node"):
        if args.node is None:
            parser.error(f"{args.command} needs a node (1, 2 or 3)")
        if args.command == "kill":
            kafka.kill_node(args.node)
        else:
            kafka.start_node(args.node)
    elif args.command == "reset":
        kafka.reset()
    return 0


if __name__ == "__main__":
    sys.exit(main())
