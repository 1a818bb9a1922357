"""Small-area suppression (小区域抑制): a count below the threshold is not shown (null, flagged
suppressed, never 0), and enough other cells are suppressed with it (complementary suppression) that
no sum the API publishes, minus the parts it publishes, gives it back.

The decision is made over a whole table: every region of one level under the same parents, each
with its row over all kinds (``all``) and one row per kind. Every view of a region (its summary, a
listing of its level, a kind's figures, a month of a time series) takes its cells' fate from the
same table, so a cell hidden in one view is never shown by another. Linear relations the API
publishes, each of which must never have exactly one hidden cell:
- within a row: rated = AAA + … + D; credit subjects = AAA + AA + A; and so rated = credit
  subjects + B + C + D;
- within a region: the row over all kinds = the sum of the kinds' rows, metric by metric;
- among siblings (regions with the same parent, whose total the parent's figures publish): for each
  row and metric, the siblings' cells.
Money whose count is hidden is hidden with it (a small count's amount is a subject's amount), and a
share whose terms are hidden is hidden too.

Plain functions over raw integer figures; what to show is decided by the caller.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from stats.readmodel.metrics import ALL

ALL_ROW = "all"
Figures = Mapping[str, int]
Cell = tuple[str, str, str]  # region, row (``all`` or a kind), metric

GRADES = ("grade_aaa", "grade_aa", "grade_a", "grade_b", "grade_c", "grade_d")
ROW_RELATIONS: tuple[tuple[str, ...], ...] = (
    ("rated", *GRADES),
    ("credit_subjects", "grade_aaa", "grade_aa", "grade_a"),
    # rated minus credit subjects: published as two figures, so their difference is published too.
    ("rated", "credit_subjects", "grade_b", "grade_c", "grade_d"),
)
# A ratio is suppressed when one of its terms is.
RATIO_TERMS: dict[str, tuple[str, ...]] = {
    "credit_subject_share": ("credit_subjects", "rated"),
    "used_share": ("lines", "borrowers"),
    "borrower_share": ("lines", "borrowers"),
}
# Shares drawn from the village and town subjects' own row (credit villages over villages on file).
UNIT_SHARES = {"credit_village_share": "village", "credit_town_share": "town"}
UNIT_TERMS = ("credit_units", "subjects", "rated")
COUNTS = tuple(m.name for m in ALL.values() if m.unit == "count")
COUNT_SET = frozenset(COUNTS)
MONEY_BASES = tuple((m.name, m.base) for m in ALL.values() if m.base)
ADDITIVE = COUNTS + tuple(name for name, _ in MONEY_BASES)  # what adds up over kinds and regions


def relations(table: Mapping[str, Mapping[str, Figures]], parent_len: int | None) -> list[list[Cell]]:
    """The published sums of ``table`` ({region: {row: figures}}), each as the cells it relates."""
    out: list[list[Cell]] = []
    for region in sorted(table):
        rows = table[region]
        for row in sorted(rows):
            out += [[(region, row, m) for m in relation] for relation in ROW_RELATIONS]
        kinds = sorted(r for r in rows if r != ALL_ROW)
        if ALL_ROW in rows and kinds:
            out += [[(region, ALL_ROW, m)] + [(region, k, m) for k in kinds] for m in ADDITIVE]
    groups: dict[str, list[str]] = defaultdict(list)
    for region in sorted(table):
        groups[region[:parent_len] if parent_len else ""].append(region)
    for members in groups.values():
        if len(members) < 2:
            continue
        for row in sorted({r for region in members for r in table[region]}):
            having = [region for region in members if row in table[region]]
            if len(having) > 1:
                out += [[(region, row, m) for region in having] for m in ADDITIVE]
    return out


def decide(table: Mapping[str, Mapping[str, Figures]], threshold: int,
           parent_len: int | None = None) -> dict[tuple[str, str], set[str]]:
    """The metric names to suppress in each (region, row) of ``table``; the figures include the
    derived counts (``credit_subjects``). ``parent_len``: how many digits of a region's code name
    its parent (None: all regions share one parent)."""
    value: dict[Cell, int] = {(region, row, m): v for region, rows in table.items() for row, figures in rows.items()
                              for m, v in figures.items()}
    hidden: set[Cell] = {cell for cell, v in value.items() if cell[2] in COUNT_SET and 0 < v < threshold}
    linked = relations(table, parent_len)
    changed = True
    while changed:  # each round can only add cells, so this ends
        changed = False
        for money, base in MONEY_BASES:
            for region, rows in table.items():
                for row in rows:
                    if (region, row, base) in hidden and (region, row, money) not in hidden:
                        hidden.add((region, row, money))
                        changed = True
        for relation in linked:
            if sum(cell in hidden for cell in relation) != 1:
                continue
            # The smallest other non-zero cell goes with it (a true zero reveals no one and stays 0).
            candidates = [(value.get(cell, 0), cell) for cell in relation if cell not in hidden and value.get(cell, 0) > 0]
            if candidates:
                hidden.add(min(candidates)[1])
                changed = True
    out: dict[tuple[str, str], set[str]] = {(region, row): set() for region, rows in table.items() for row in rows}
    for region, row, metric in hidden:
        out[(region, row)].add(metric)
    for (region, row), names in out.items():
        for ratio, terms in RATIO_TERMS.items():
            if names.intersection(terms):
                names.add(ratio)
        for share, kind in UNIT_SHARES.items():
            if row in (ALL_ROW, kind) and out.get((region, kind), set()).intersection(UNIT_TERMS):
                names.add(share)
    return out
