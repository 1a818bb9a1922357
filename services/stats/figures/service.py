"""The figures of the API: read the counters, apply suppression, shape the answers.

With suppression on, every answer is cut from the table suppression decides over (the region's
siblings, per kind), so the summary of a region, a listing of its level, one kind's figures and a
month of a time series agree on what is hidden (see ``suppression``)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from stats.figures import repository
from stats.figures.params import PARENT_LENGTH, add_months, level_of, month_end
from stats.figures.render import HEADLINE, UNITS, Figures, money, render, total, with_counts
from stats.figures.suppression import ALL_ROW, decide
from stats.readmodel.metrics import ALL, COLUMNS, KINDS

PROVINCE = ""  # the key of the province's figures in a table
Table = dict[str, dict[str, Figures]]  # region -> row (``all`` or a kind) -> figures
Hidden = Mapping[tuple[str, str], set[str]]
NOTHING: set[str] = set()


@dataclass(frozen=True)
class Suppression:
    on: bool
    threshold: int

    def describe(self) -> dict[str, Any]:
        return {"applied": self.on, "threshold": self.threshold if self.on else None}


def _region(code: str | None) -> dict[str, Any]:
    return {"code": code, "level": level_of(code)}


async def _name(session: AsyncSession, code: str | None) -> str | None:
    """A region's name beside its code (null for the province, or a region the registry has not named)."""
    return (await repository.names(session, [code])).get(code) if code else None


def _rows(by_region: Mapping[str, Mapping[str, Figures]]) -> Table:
    """Per region, its kinds' figures and their sum (the ``all`` row)."""
    return {code: {ALL_ROW: total(dict(kinds)), **kinds} for code, kinds in by_region.items()}


def _hidden(table: Table, suppression: Suppression, parent_len: int | None) -> Hidden:
    if not suppression.on:
        return {}
    counted = {code: {row: with_counts(f) for row, f in rows.items()} for code, rows in table.items()}
    return decide(counted, suppression.threshold, parent_len)


def _siblings(region: str) -> tuple[str, str | None, int | None]:
    """The level of ``region``, its parent (None: the province) and how many digits name the parent."""
    level = level_of(region)
    parent_len = PARENT_LENGTH.get(level)
    return level, region[:parent_len] if parent_len else None, parent_len


async def _table_of(session: AsyncSession, region: str | None, as_of: str | None,
                    suppression: Suppression) -> tuple[Table, str, int | None]:
    """The table a region's figures are cut from: with suppression, every sibling of the region."""
    if region is None:
        return _rows({PROVINCE: await repository.by_kind(session, None, None, as_of)}), PROVINCE, None
    level, parent, parent_len = _siblings(region)
    if suppression.on and level in PARENT_LENGTH:
        by_region = await repository.kinds_by_region(session, level, parent, as_of)
    else:
        by_region = {region: await repository.by_kind(session, region, None, as_of)}
    by_region.setdefault(region, {})
    return _rows(by_region), region, parent_len


def _zero() -> Figures:
    return dict.fromkeys(COLUMNS, 0)


async def summary(session: AsyncSession, region: str | None, kind: str | None, as_of: str | None,
                  suppression: Suppression) -> dict[str, Any]:
    table, key, parent_len = await _table_of(session, region, as_of, suppression)
    hidden = _hidden(table, suppression, parent_len)
    own = table[key]
    kinds = [k for k in KINDS if k in own and kind in (None, k)]
    top = ALL_ROW if kind is None else kind
    raw = own.get(top) or _zero()
    village = own.get("village") if kind in (None, "village") else None
    town = own.get("town") if kind in (None, "town") else None
    top_hidden = hidden.get((key, top), NOTHING)
    figures = render(raw, top_hidden, village, town)
    return {
        "region": _region(region),
        "region_name": await _name(session, region),
        "kind": kind,
        "as_of": month_end(as_of).isoformat() if as_of else None,
        "suppression": suppression.describe(),
        "headline": {name: figures[name] for name in HEADLINE},
        "figures": figures,
        "suppressed": sorted(top_hidden),
        "by_kind": {
            k: {"figures": render(own[k], hidden.get((key, k), NOTHING), village if k == "village" else None,
                                  town if k == "town" else None),
                "suppressed": sorted(hidden.get((key, k), NOTHING))}
            for k in kinds
        },
        "units": UNITS,
    }


async def regions(session: AsyncSession, level: str, parent: str | None, kind: str | None, as_of: str | None,
                  suppression: Suppression) -> dict[str, Any]:
    table = _rows(await repository.kinds_by_region(session, level, parent, as_of))
    parent_len = PARENT_LENGTH[level]
    hidden = _hidden(table, suppression, parent_len)
    row = kind or ALL_ROW
    listed = []
    names = await repository.names(session, [parent, *table, *(c[:parent_len] for c in table if parent_len)])
    for code in sorted(table):
        rows = table[code]
        if row not in rows:
            continue
        village = rows.get("village", {}) if kind in (None, "village") else None
        town = rows.get("town", {}) if kind in (None, "town") else None
        shown = hidden.get((code, row), NOTHING)
        up = code[:parent_len] if parent_len else None
        listed.append({"code": code, "region_name": names.get(code), "level": level, "parent": up,
                       "parent_name": names.get(up) if up else None,
                       "figures": render(rows[row], shown, village, town), "suppressed": sorted(shown)})
    return {"level": level, "parent": _region(parent), "region_name": names.get(parent) if parent else None,
            "kind": kind, "as_of": month_end(as_of).isoformat() if as_of else None,
            "suppression": suppression.describe(), "units": UNITS, "regions": listed}


async def _monthly(session: AsyncSession, region: str | None, to: str,
                   suppression: Suppression) -> tuple[dict[str, dict[str, dict[str, Figures]]], str, int | None]:
    """Per month, region and kind, the change of every counter: the region's, or with suppression
    its siblings' too (the table of each month end)."""
    if region is None:
        changes = await repository.monthly_changes(session, None, None, to)
        return {m: {PROVINCE: kinds} for m, kinds in changes.items()}, PROVINCE, None
    level, parent, parent_len = _siblings(region)
    if suppression.on and level in PARENT_LENGTH:
        return await repository.monthly_by_region(session, level, parent, to), region, parent_len
    changes = await repository.monthly_changes(session, region, None, to)
    return {m: {region: kinds} for m, kinds in changes.items()}, region, parent_len


async def timeseries(session: AsyncSession, metric: str, region: str | None, kind: str | None, start: str, end: str,
                     suppression: Suppression) -> dict[str, Any]:
    """Month-end values (月末) of a metric from ``start`` to ``end``: stocks as levels, flows as totals to date,
    each with the change within the month. A change is not shown when either month end's value is
    suppressed: the shown value minus the change would give the suppressed one back."""
    changes, key, parent_len = await _monthly(session, region, end, suppression)
    is_ratio = UNITS[metric] == "ratio"
    row = kind or ALL_ROW
    running: dict[str, dict[str, Figures]] = {}
    points = []
    previous, previous_hidden = 0, False  # the level at the previous month end, and whether it was hidden
    month = min([start, *changes])
    first_needed = add_months(start, -1)
    while month <= end:
        for code, kinds in changes.get(month, {}).items():
            for k, figures in kinds.items():
                target = running.setdefault(code, {}).setdefault(k, _zero())
                for name, value in figures.items():
                    target[name] += value
        if month >= first_needed:
            table = _rows(running)
            table.setdefault(key, {ALL_ROW: _zero()})
            own = table[key]
            raw = own.get(row) or _zero()
            level = 0 if is_ratio else with_counts(raw)[metric]
            hidden = _hidden(table, suppression, parent_len).get((key, row), NOTHING)
            if month >= start:
                village = own.get("village") if kind in (None, "village") else None
                town = own.get("town") if kind in (None, "town") else None
                shown = render(raw, hidden, village, town)
                change: Any = None
                if not is_ratio and metric not in hidden and not previous_hidden:
                    change = money(level - previous) if UNITS[metric] == "CNY" else level - previous
                points.append({"month": month, "month_end": month_end(month).isoformat(), "value": shown[metric],
                               "change": change, "suppressed": metric in hidden})
            previous, previous_hidden = level, metric in hidden
        month = add_months(month, 1)
    m = ALL[metric]
    return {"metric": metric, "unit": m.unit, "flow": m.flow, "description": m.description,
            "region": _region(region), "region_name": await _name(session, region), "kind": kind,
            "from": start, "to": end, "suppression": suppression.describe(), "points": points}
