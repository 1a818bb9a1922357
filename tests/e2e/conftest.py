from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.cluster import Cluster
from tests.harness import PG_URL, Keys


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, keys: Keys) -> Iterator[Cluster]:
    """All five services as processes, on PostgreSQL where one answers (else SQLite)."""
    c = Cluster(tmp_path_factory.mktemp("cluster"), keys, backend="postgres" if PG_URL else "sqlite")
    c.start()
    yield c
    c.stop()
