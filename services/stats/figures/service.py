"""The figures of the API: read the counters, apply suppression, shape the answers."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from stats.figures import repository
from stats.figures.params import PARENT_LENGTH, add_months, level_of, month_end
from stats.figures.render import HEADLINE, UNITS, Figures, money, render, total, with_counts
from stats.figures.suppression import sibling_groups, suppress
from stats.readmodel.metrics import ALL, COLUMNS, KINDS


@dataclass(frozen=True)
class Suppression:
    on: bool
    threshold: int

    def describe(self) -> dict[str, Any]:
        return {"applied": self.on, "threshold": self.threshold if self.on else None}


def _hidden(rows: Sequence[Figures], suppression: Suppression, siblings: Sequence[Sequence[int]] | None) -> list[set[str]]:
    if not suppression.on:
        return [set() for _ in rows]
    return suppress([with_counts(r) for r in rows], suppression.threshold, siblings)


def _region(code: str | None) -> dict[str, Any]:
    return {"code": code, "level": level_of(code)}


async def summary(session: AsyncSession, region: str | None, kind: str | None, as_of: str | None,
                  suppression: Suppression) -> dict[str, Any]:
    per_kind = await repository.by_kind(session, region, kind, as_of)
    kinds = [k for k in KINDS if k in per_kind]
    rows = [total(per_kind)] + [per_kind[k] for k in kinds]
    # The kinds add up to the total: they are siblings for complementary suppression.
    hidden = _hidden(rows, suppression, [list(range(1, len(rows)))])
    village, town = per_kind.get("village"), per_kind.get("town")
    figures = render(rows[0], hidden[0], village, town)
    return {
        "region": _region(region),
        "kind": kind,
        "as_of": month_end(as_of).isoformat() if as_of else None,
        "suppression": suppression.describe(),
        "headline": {name: figures[name] for name in HEADLINE},
        "figures": figures,
        "suppressed": sorted(hidden[0]),
        "by_kind": {
            k: {"figures": render(per_kind[k], hidden[i + 1], village if k == "village" else None,
                                  town if k == "town" else None),
                "suppressed": sorted(hidden[i + 1])}
            for i, k in enumerate(kinds)
        },
        "units": UNITS,
    }


async def regions(session: AsyncSession, level: str, parent: str | None, kind: str | None, as_of: str | None,
                  suppression: Suppression) -> dict[str, Any]:
    listed_rows = await repository.by_region(session, level, parent, kind, as_of)
    codes = [code for code, _, _ in listed_rows]
    parent_len = PARENT_LENGTH[level]
    siblings = sibling_groups(codes, parent_len) if parent_len else [list(range(len(codes)))]
    hidden = _hidden([figures for _, figures, _ in listed_rows], suppression, siblings)
    listed = []
    for i, (code, figures, units) in enumerate(listed_rows):
        village = units["village"] if kind in (None, "village") else None
        town = units["town"] if kind in (None, "town") else None
        listed.append({"code": code, "level": level, "parent": code[:parent_len] if parent_len else None,
                       "figures": render(figures, hidden[i], village, town), "suppressed": sorted(hidden[i])})
    return {"level": level, "parent": _region(parent), "kind": kind,
            "as_of": month_end(as_of).isoformat() if as_of else None,
            "suppression": suppression.describe(), "units": UNITS, "regions": listed}


async def timeseries(session: AsyncSession, metric: str, region: str | None, kind: str | None, start: str, end: str,
                     suppression: Suppression) -> dict[str, Any]:
    """Month-end values (月末) of a metric from ``start`` to ``end``: stocks as levels, flows as totals to date,
    each with the change within the month."""
    changes = await repository.monthly_changes(session, region, kind, end)
    is_ratio = UNITS[metric] == "ratio"
    running: dict[str, Figures] = {}
    points = []
    previous = 0  # the level at the previous month end
    month = min([start, *changes])
    while month <= end:
        for k, figures in changes.get(month, {}).items():
            target = running.setdefault(k, dict.fromkeys(COLUMNS, 0))
            for name, value in figures.items():
                target[name] += value
        raw = total(running)
        level = 0 if is_ratio else with_counts(raw)[metric]
        if month >= start:
            hidden = _hidden([raw], suppression, None)[0]
            shown = render(raw, hidden, running.get("village"), running.get("town"))
            change: Any = None
            if not is_ratio and metric not in hidden:
                change = money(level - previous) if UNITS[metric] == "CNY" else level - previous
            points.append({"month": month, "month_end": month_end(month).isoformat(), "value": shown[metric],
                           "change": change, "suppressed": metric in hidden})
        previous = level
        month = add_months(month, 1)
    m = ALL[metric]
    return {"metric": metric, "unit": m.unit, "flow": m.flow, "description": m.description,
            "region": _region(region), "kind": kind, "from": start, "to": end,
            "suppression": suppression.describe(), "points": points}
