"""The benchmark-rate book (基准利率表): dated rates kept in memory, so the bank read path and the
loan path do not query them per request. Reloaded after an admin change and every few seconds, so
another process's change is seen soon."""
from __future__ import annotations

import asyncio
import bisect
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from common.db import Database
from lending.policies import repository

DEFAULT_BENCHMARK = "LPR-1Y"


@dataclass(frozen=True)
class DatedRate:
    effective_on: date
    rate_percent: Decimal


def rate_on(rates: list[DatedRate], day: date) -> Decimal | None:
    """The rate in force on ``day`` from a list sorted by date (None before the first one)."""
    i = bisect.bisect_right([r.effective_on for r in rates], day)
    return rates[i - 1].rate_percent if i else None


class RateBook:
    def __init__(self, db: Database, ttl: float = 5.0) -> None:
        self.db = db
        self.ttl = ttl
        self._rates: dict[str, list[DatedRate]] = {}
        self._loaded_at = float("-inf")
        self._lock = asyncio.Lock()

    async def reload(self, session: AsyncSession | None = None) -> None:
        """Load the table, through the caller's session when it has one: a request that already
        holds a connection (and, on SQLite, the write lock) must not wait for a second one."""
        if session is not None:
            rows = await repository.benchmark_rates(session)
        else:
            async with self.db.transaction(write=False) as own:
                rows = await repository.benchmark_rates(own)
        rates: dict[str, list[DatedRate]] = {}
        for row in rows:
            rates.setdefault(row.name, []).append(DatedRate(row.effective_on, Decimal(row.rate_percent).quantize(Decimal("0.0001"))))
        self._rates = rates
        self._loaded_at = time.monotonic()

    def invalidate(self) -> None:
        self._loaded_at = float("-inf")

    async def benchmark(self, day: date, session: AsyncSession | None = None,
                        name: str = DEFAULT_BENCHMARK) -> Decimal | None:
        if time.monotonic() - self._loaded_at > self.ttl:
            if session is not None:  # no lock: waiting on another request while holding a connection could deadlock
                await self.reload(session)
            else:
                async with self._lock:
                    if time.monotonic() - self._loaded_at > self.ttl:
                        await self.reload()
        return rate_on(self._rates.get(name, []), day)
