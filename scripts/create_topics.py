"""Create every event topic and its DLQ on the broker from the one definition in
``common.events.topics``: ``python -m scripts.create_topics [--replication 3] [--list]``.

The compose file, the Kubernetes topic job, the embedded run, the tests and the local cluster all
create topics through that definition; the only choice left to a deployment is the replication
factor (how many brokers it has)."""
from __future__ import annotations

import argparse
import os

from common.events.topics import REPLICATION, ensure_topics, topic_specs


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--bootstrap", default=os.environ.get("CV_KAFKA_BOOTSTRAP", "127.0.0.1:9092"))
    p.add_argument("--replication", type=int, default=REPLICATION,
                   help=f"replicas per partition (default {REPLICATION}; 1 on a one-broker run)")
    p.add_argument("--list", action="store_true", help="print the definition and create nothing")
    return p


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    specs = topic_specs(args.replication)
    if args.list:
        for s in specs:
            configs = " ".join(f"{k}={v}" for k, v in sorted(s.configs.items()))
            print(f"{s.name}\tpartitions={s.partitions}\treplication={s.replication}\t{configs}")
        return
    created = ensure_topics(args.bootstrap, replication=args.replication)
    print(f"{len(specs)} topics present on {args.bootstrap} ({len(created)} created)")


if __name__ == "__main__":
    main()
