"""Create every event topic and its DLQ on the broker: ``python -m scripts.create_topics``."""
from __future__ import annotations

import argparse
import os

from common.events.topics import all_topics, ensure_topics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", default=os.environ.get("CV_KAFKA_BOOTSTRAP", "127.0.0.1:9092"))
    parser.add_argument("--partitions", type=int, default=3)
    args = parser.parse_args()
    ensure_topics(args.bootstrap, partitions=args.partitions)
    print(f"{len(all_topics())} topics present on {args.bootstrap}")


if __name__ == "__main__":
    main()
