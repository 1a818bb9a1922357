"""The figures: totals, derived shares, rendering (money as CNY strings), suppression, CSV rows."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from stats.figures import repository
from stats.figures.params import PARENT_LENGTH, add_months, level_of, month_end
from stats.figures.suppression import sibling_groups, suppress
from stats.readmodel.metrics import ALL, COLUMNS, DERIVED, KINDS, STORED

Figures = dict[str, int]
FIGURE_NAMES: tuple[str, ...] = tuple(m.name for m in STORED + DERIVED)
HEADLINE = ("line_amount", "drawn", "used_share", "credit_subjects", "credit_village_share", "credit_town_share")
UNITS: dict[str, str] = {m.name: m.unit for m in ALL.values()}
COUNT_NAMES = tuple(m.name for m in STORED if m.unit == "count")
MONEY_NAMES = tuple(m.name for m in STORED if m.unit == "CNY")


@dataclass(frozen=True)
class Suppression:
    on: bool
    threshold: int

    def describe(self) -> dict[str, Any]:
        return {"applied": self.on, "threshold": self.threshold if self.on else None}


def total(by_kind: dict[str, Figures]) -> Figures:
    out = dict.fromkeys(COLUMNS, 0)
    for figures in by_kind.values():
        for name, value in figures.items():
            out[name] += value
    return out


def with_counts(raw: Figures) -> Figures:
    """Stored counters plus the derived counts (credit subjects = AAA + AA + A)."""
    return {**raw, "credit_subjects": raw.get("grade_aaa", 0) + raw.get("grade_aa", 0) + raw.get("grade_a", 0)}


def ratio(numerator: int, denominator: int) -> str | None:
    """numerator / denominator to 4 decimals (half to even), in integers: no float, no Decimal context."""
    if denominator <= 0:
        return None
    q, r = divmod(abs(numerator) * 10_000, denominator)
    if 2 * r > denominator or (2 * r == denominator and q % 2):
        q += 1
    sign = "-" if numerator < 0 and q else ""
    return f"{sign}{q // 10_000}.{q % 10_000:04d}"


def money(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def _unit_share(figures: Figures | None) -> str | None:
    if figures is None:
        return None
    return ratio(figures.get("credit_units", 0), max(figures.get("subjects", 0), figures.get("rated", 0)))


def render(raw: Figures, hidden: set[str], village: Figures | None, town: Figures | None) -> dict[str, Any]:
    """Figures as shown: counts as integers, money as CNY strings, shares as 4-decimal strings;
    a suppressed figure is null (and named in ``suppressed``), never 0."""
    credit = raw["grade_aaa"] + raw["grade_aa"] + raw["grade_a"]
    out: dict[str, Any] = {name: raw[name] for name in COUNT_NAMES}
    for name in MONEY_NAMES:
        out[name] = money(raw[name])
    out["credit_subjects"] = credit
    out["credit_subject_share"] = ratio(credit, raw["rated"])
    out["used_share"] = ratio(raw["drawn"], raw["line_amount"])
    out["borrower_share"] = ratio(raw["borrowers"], raw["lines"])
    out["credit_village_share"] = _unit_share(village)
    out["credit_town_share"] = _unit_share(town)
    for name in hidden:
        out[name] = None
    return out


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


# --- CSV -----------------------------------------------------------------------------------------

def _header(name: str) -> str:
    return f"{name} ({UNITS[name]})"


def summary_csv(body: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    header = ["region", "level", "kind", "as_of", *(_header(n) for n in FIGURE_NAMES), "suppressed"]
    region = body["region"]
    lines = [[region["code"] or "", region["level"], body["kind"] or "all", body["as_of"] or "",
              *(body["figures"][n] for n in FIGURE_NAMES), ";".join(body["suppressed"])]]
    for kind, part in body["by_kind"].items():
        lines.append([region["code"] or "", region["level"], kind, body["as_of"] or "",
                      *(part["figures"][n] for n in FIGURE_NAMES), ";".join(part["suppressed"])])
    return header, lines


def regions_csv(body: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    header = ["region", "level", "parent", "kind", "as_of", *(_header(n) for n in FIGURE_NAMES), "suppressed"]
    lines = [[r["code"], r["level"], r["parent"] or "", body["kind"] or "all", body["as_of"] or "",
              *(r["figures"][n] for n in FIGURE_NAMES), ";".join(r["suppressed"])] for r in body["regions"]]
    return header, lines


def timeseries_csv(body: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    unit = body["unit"]
    header = ["month", "month_end", "region", "kind", f"{body['metric']} ({unit})",
              f"change ({unit})", "suppressed"]
    region = body["region"]["code"] or ""
    lines = [[p["month"], p["month_end"], region, body["kind"] or "all", p["value"], p["change"],
              "true" if p["suppressed"] else ""] for p in body["points"]]
    return header, lines
