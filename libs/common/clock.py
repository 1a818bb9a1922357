"""The time of the county: UTC for storage, Beijing days (北京时间) for business days.

Every service asks ``now()`` (``common.db.utcnow`` is the same clock). Tests that live through a
county's year move it: with ``CV_CLOCK_FILE`` set (refused in production, see ``ServiceSettings``)
the file holds an offset in seconds that is added to the real time, and every process sharing the
file moves together. Without it the clock is the machine's.
"""
from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")
CLOCK_FILE_ENV = "CV_CLOCK_FILE"

_cache: tuple[float, float] = (-1.0, 0.0)  # (file mtime, offset seconds)


def _offset() -> float:
    global _cache
    path = os.environ.get(CLOCK_FILE_ENV)
    if not path:
        return 0.0
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        return 0.0
    if mtime != _cache[0]:
        text = Path(path).read_text().strip()
        _cache = (mtime, float(text or 0))
    return _cache[1]


def now() -> datetime:
    """Timezone-aware UTC now (moved by the test clock when one is set)."""
    offset = _offset()
    real = datetime.now(UTC)
    return real + timedelta(seconds=offset) if offset else real


def beijing_day(moment: datetime) -> date:
    """The Beijing calendar day a UTC moment falls on (a loan at 07:30 Beijing is that day's)."""
    return moment.astimezone(BEIJING).date()


def beijing_today() -> date:
    return beijing_day(now())


def beijing_day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a Beijing day, in UTC: what a per-day query filters on."""
    start = datetime(day.year, day.month, day.day, tzinfo=BEIJING).astimezone(UTC)
    return start, start + timedelta(days=1)


def beijing_month(moment: datetime) -> str:
    """The Beijing calendar month (``YYYY-MM``) a UTC moment falls in: a month ends at 24:00 Beijing."""
    if moment.tzinfo is None:
        raise ValueError(f"naive time: {moment.isoformat()}")
    return moment.astimezone(BEIJING).strftime("%Y-%m")


def set_offset(path: Path, seconds: float) -> None:
    """For tests: move every process that reads ``path`` by ``seconds`` from real time."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(repr(float(seconds)))
    os.replace(tmp, path)
