"""Small-area suppression (小区域抑制): a count below the threshold is not shown (null, flagged
suppressed, never 0), and enough other cells are suppressed with it (complementary suppression) that
a published total minus the published parts does not give it back.

Plain functions over raw integer figures; what to show is decided by the caller.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from stats.readmodel.metrics import ALL

# Totals that are published next to their parts in the same row.
ROW_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("rated", ("grade_aaa", "grade_aa", "grade_a", "grade_b", "grade_c", "grade_d")),
    ("credit_subjects", ("grade_aaa", "grade_aa", "grade_a")),
)
# A ratio is suppressed when one of its terms is.
RATIO_TERMS: dict[str, tuple[str, ...]] = {
    "credit_subject_share": ("credit_subjects", "rated"),
    "used_share": ("lines", "borrowers"),
    "borrower_share": ("lines", "borrowers"),
    "credit_village_share": ("credit_units", "subjects", "rated"),
    "credit_town_share": ("credit_units", "subjects", "rated"),
}
COUNTS = tuple(m.name for m in ALL.values() if m.unit == "count")
COUNT_SET = frozenset(COUNTS)
MONEY_BASES = tuple((m.name, m.base) for m in ALL.values() if m.base)


def _smallest_other(values: list[tuple[int, int]]) -> int | None:
    """Among (value, index) of the cells not hidden, the smallest non-zero one: the complement."""
    candidates = [(v, i) for v, i in values if v > 0]
    return min(candidates)[1] if candidates else None


def suppress(rows: Sequence[dict[str, int]], threshold: int,
             siblings: Sequence[Sequence[int]] | None = None) -> list[set[str]]:
    """The metric names to suppress in each row.

    ``siblings`` groups row indexes whose total is published elsewhere (the villages of one town,
    the kinds of one region); within a group, a column never has exactly one suppressed cell.
    """
    out: list[set[str]] = [{name for name in COUNTS if 0 < row.get(name, 0) < threshold} for row in rows]
    groups = [list(g) for g in (siblings or []) if len(g) > 1]
    for _ in range(10):  # each pass can only add cells; stops as soon as nothing changes
        changed = False
        for i, row in enumerate(rows):
            hidden = out[i]
            if not hidden:
                continue
            for total, parts in ROW_GROUPS:
                if total in hidden:
                    continue
                if sum(p in hidden for p in parts) == 1:
                    pick = _smallest_other([(row.get(p, 0), j) for j, p in enumerate(parts) if p not in hidden])
                    if pick is not None:
                        hidden.add(parts[pick])
                        changed = True
        for group in groups:
            names: set[str] = set()
            for i in group:
                names |= out[i]
            for name in names & COUNT_SET:
                if sum(name in out[i] for i in group) == 1:
                    pick = _smallest_other([(rows[i].get(name, 0), i) for i in group if name not in out[i]])
                    if pick is not None:
                        out[pick].add(name)
                        changed = True
        if not changed:
            break
    for hidden in out:
        if not hidden:
            continue
        for metric, base in MONEY_BASES:
            if base in hidden:
                hidden.add(metric)
        for ratio, terms in RATIO_TERMS.items():
            if hidden.intersection(terms):
                hidden.add(ratio)
    return out


def sibling_groups(codes: Sequence[str], parent_len: int) -> list[list[int]]:
    """Row indexes grouped by parent region (a code's first ``parent_len`` digits)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, code in enumerate(codes):
        groups[code[:parent_len]].append(i)
    return list(groups.values())
