"""How figures are shown (口径与格式): totals over kinds, derived shares, money as CNY strings,
shares as 4-decimal strings, suppressed figures as null; and the CSV tables. Plain functions."""
from __future__ import annotations

from typing import Any

from stats.readmodel.metrics import ALL, COLUMNS, DERIVED, STORED

Figures = dict[str, int]
FIGURE_NAMES: tuple[str, ...] = tuple(m.name for m in STORED + DERIVED)
HEADLINE = ("line_amount", "drawn", "used_share", "credit_subjects", "credit_village_share", "credit_town_share")
UNITS: dict[str, str] = {m.name: m.unit for m in ALL.values()}
COUNT_NAMES = tuple(m.name for m in STORED if m.unit == "count")
MONEY_NAMES = tuple(m.name for m in STORED if m.unit == "CNY")


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


# CSV: a header row naming each column's unit, then one row per region or month.

def _header(name: str) -> str:
    return f"{name} ({UNITS[name]})"


def summary_csv(body: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    header = ["region", "region_name", "level", "kind", "as_of", *(_header(n) for n in FIGURE_NAMES), "suppressed"]
    region, name = body["region"], body["region_name"] or ""
    lines = [[region["code"] or "", name, region["level"], body["kind"] or "all", body["as_of"] or "",
              *(body["figures"][n] for n in FIGURE_NAMES), ";".join(body["suppressed"])]]
    for kind, part in body["by_kind"].items():
        lines.append([region["code"] or "", name, region["level"], kind, body["as_of"] or "",
                      *(part["figures"][n] for n in FIGURE_NAMES), ";".join(part["suppressed"])])
    return header, lines


def regions_csv(body: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    header = ["region", "region_name", "level", "parent", "parent_name", "kind", "as_of",
              *(_header(n) for n in FIGURE_NAMES), "suppressed"]
    lines = [[r["code"], r["region_name"] or "", r["level"], r["parent"] or "", r["parent_name"] or "",
              body["kind"] or "all", body["as_of"] or "",
              *(r["figures"][n] for n in FIGURE_NAMES), ";".join(r["suppressed"])] for r in body["regions"]]
    return header, lines


def timeseries_csv(body: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    unit = body["unit"]
    header = ["month", "month_end", "region", "region_name", "kind", f"{body['metric']} ({unit})",
              f"change ({unit})", "suppressed"]
    region, name = body["region"]["code"] or "", body["region_name"] or ""
    lines = [[p["month"], p["month_end"], region, name, body["kind"] or "all", p["value"], p["change"],
              "true" if p["suppressed"] else ""] for p in body["points"]]
    return header, lines
