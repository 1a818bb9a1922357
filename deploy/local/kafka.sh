#!/usr/bin/env bash
# A local 3-node Apache Kafka cluster (KRaft, combined broker+controller, loopback ports) from
# Maven Central, with the topics from common.events.topics. Needs java (17+) and mvn.
#   deploy/local/kafka.sh start        fetch (once, into CV_KAFKA_CACHE), format (once), start, wait, create topics;
#                                      prints the bootstrap servers on its last line
#   deploy/local/kafka.sh stop|status|reset|fetch
#   deploy/local/kafka.sh kill N | start-node N     one node (fault tests)
# See tools/kafka_cluster.py for the settings (CV_KAFKA_DIR, CV_KAFKA_PORT, CV_KAFKA_HEAP).
set -euo pipefail
cd "$(dirname "$0")/../.."
py=.venv/bin/python
[ -x "$py" ] || py=python3
export PYTHONPATH="$PWD/libs:$PWD/services:$PWD${PYTHONPATH:+:$PYTHONPATH}"
exec "$py" -m tools.kafka_cluster "$@"
