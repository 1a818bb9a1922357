"""Moving the county's clock in an in-process test: every ``common.clock.now()`` (and so
``common.db.utcnow()``) reads a chosen moment, give or take the test's own run time."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from common.clock import CLOCK_FILE_ENV, set_offset


class MovedClock:
    """The clock file of one test (``CV_CLOCK_FILE``); ``at(moment)`` moves every reader of it there."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        self.path = tmp_path / "clock"
        monkeypatch.setenv(CLOCK_FILE_ENV, str(self.path))

    def at(self, moment: datetime) -> None:
        set_offset(self.path, (moment - datetime.now(UTC)).total_seconds())
