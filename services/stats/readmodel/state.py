"""One subject's current state as the read model knows it, what it contributes to the counters, and
how each event changes it. Plain functions: no database, testable on their own.

The counters of a region are the sum of the contributions of its subjects. An event changes one
subject's state; the counters move by ``contribution(new) - contribution(old)``. A replay, a stale
event (version not newer) or events of different topics arriving in another order therefore leave
the same counters: only the final state counts.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from common.events.versions import check_step
from stats.readmodel.metrics import GRADE_COLUMNS

Cell = tuple[str, str, str]  # (region code, level, kind)
Deltas = dict[Cell, dict[str, int]]


@dataclass(frozen=True, slots=True)
class Region:
    county: str | None = None
    town: str | None = None
    village: str | None = None

    @classmethod
    def from_event(cls, raw: dict[str, Any] | None) -> Region:
        raw = raw or {}
        return cls(raw.get("county"), raw.get("town"), raw.get("village"))

    @property
    def known(self) -> bool:
        return bool(self.county or self.town or self.village)

    def cells(self, kind: str) -> list[Cell]:
        """The counters this region feeds: its village, town and county (不含村民组)."""
        out: list[Cell] = []
        for level, code in (("county", self.county), ("town", self.town), ("village", self.village)):
            if code:
                out.append((code, level, kind))
        return out


@dataclass(slots=True)
class SubjectState:
    """The read model's row for one credit subject (信用主体). Versions are per event stream."""

    subject_id: str
    kind: str | None = None
    county: str | None = None
    town: str | None = None
    village: str | None = None
    registered: bool = False
    archived: bool = False
    # Consent to statistical use (授权范围 "statistics"); a subject the registry has not told of yet counts.
    consent_stats: bool = True
    grade: str | None = None
    vetoed: bool = False
    credit_unit: bool = False
    evaluated: bool = False
    negative_ids: str = ""  # active negative-list record ids, comma separated
    line_status: str | None = None
    line_fen: int = 0
    drawn_fen: int = 0
    v_registry: int = 0
    v_civility: int = 0
    v_negative: int = 0
    v_rating: int = 0
    v_line: int = 0

    @property
    def region(self) -> Region:
        return Region(self.county, self.town, self.village)

    def as_row(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in STATE_COLUMNS}

    def copy(self) -> SubjectState:
        # dataclasses.replace re-runs __init__ with keywords: several times slower on the hot path.
        new = object.__new__(SubjectState)
        for name in STATE_COLUMNS:
            object.__setattr__(new, name, getattr(self, name))
        return new


STATE_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(SubjectState))


def contribution(s: SubjectState) -> dict[str, int]:
    """What one subject adds to each counter of its region and kind (stocks only). An archived file
    (deceased, moved away) and a subject without consent to statistics add nothing."""
    if s.archived or not s.consent_stats or not s.kind or not s.region.known:
        return {}
    out: dict[str, int] = {}
    if s.registered:
        out["subjects"] = 1
    if s.grade:
        out["rated"] = 1
        out[GRADE_COLUMNS[s.grade]] = 1
        if s.vetoed:
            out["vetoed"] = 1
        if s.credit_unit and s.kind in ("village", "town"):
            out["credit_units"] = 1
    if s.evaluated:
        out["evaluated"] = 1
    if s.negative_ids:
        out["negative_subjects"] = 1
    if s.line_status in ("active", "frozen") and s.line_fen > 0:
        out["lines"] = 1
        out["line_amount"] = s.line_fen
        if s.line_status == "frozen":
            out["lines_frozen"] = 1
    if s.drawn_fen > 0:
        out["borrowers"] = 1
        out["drawn"] = s.drawn_fen
    return out


def add_into(deltas: Deltas, cells: list[Cell], figures: dict[str, int], sign: int) -> None:
    for cell in cells:
        target = deltas.get(cell)
        if target is None:
            target = deltas[cell] = {}
        for name, value in figures.items():
            target[name] = target.get(name, 0) + sign * value


def state_delta(old: SubjectState, new: SubjectState) -> Deltas:
    """Counter changes when a subject goes from ``old`` to ``new`` (zeros dropped)."""
    before, after = contribution(old), contribution(new)
    old_cells = old.region.cells(old.kind or "") if before else []
    new_cells = new.region.cells(new.kind or "") if after else []
    if old_cells == new_cells or not before:
        # The usual case: same place and kind (or nothing counted before), one difference for all its cells.
        diff = {k: v for k in after.keys() | before.keys() if (v := after.get(k, 0) - before.get(k, 0))}
        if not before:
            return {cell: dict(after) for cell in new_cells} if after else {}
        return {cell: dict(diff) for cell in new_cells} if diff else {}
    deltas: Deltas = {}
    add_into(deltas, old_cells, before, -1)
    add_into(deltas, new_cells, after, +1)
    return {cell: {k: v for k, v in d.items() if v} for cell, d in deltas.items() if any(d.values())}


# --- how each event changes the state (one op per event; stale ops return None) -------------------

@dataclass(frozen=True, slots=True)
class StateOp:
    """An event reduced to what it changes in a subject's state."""

    subject_id: str
    stream: str  # registry | civility | negative | rating | line
    version: int
    month: str
    changes: dict[str, Any]
    # negative-list records: (record id, active?)
    record: tuple[str, bool] | None = None


@dataclass(frozen=True, slots=True)
class FlowOp:
    """A fact that adds to flow counters once (a loan, a repayment, a default, a redemption)."""

    fact_key: str
    month: str
    cells: tuple[Cell, ...]
    figures: dict[str, int]
    subject_id: str | None = None  # whose fact: it counts only while the subject consents to statistics


REGION_FIELDS = ("county", "town", "village")


@dataclass(slots=True)
class Fact:
    """A flow fact as kept in ``stats_facts``: whose, where, what, and whether it is in the counters
    now (a subject's facts leave every month's figures while it withholds consent to statistics)."""

    month: str
    subject_id: str | None
    cells: tuple[Cell, ...]
    figures: dict[str, int]
    counted: bool = True


def apply_op(state: SubjectState, op: StateOp) -> SubjectState | None:
    """The state after ``op``, or None if the op is stale (its version is not newer)."""
    attr = f"v_{op.stream}"
    if op.version <= getattr(state, attr):
        return None
    check_step(op.stream, op.subject_id, op.version, getattr(state, attr))
    new = state.copy()
    setattr(new, attr, op.version)
    # The registry says where a subject lives; other streams' regions only fill in until it has
    # spoken (rating or lending may learn of a move later, and must not move the subject back).
    keep_region = op.stream != "registry" and state.v_registry > 0
    for name, value in op.changes.items():
        if keep_region and name in REGION_FIELDS:
            continue
        setattr(new, name, value)
    if op.record is not None:
        ids = set(filter(None, new.negative_ids.split(",")))
        record_id, active = op.record
        if active:
            ids.add(record_id)
        else:
            ids.discard(record_id)
        new.negative_ids = ",".join(sorted(ids))
    return new


def merge(into: Deltas, more: Deltas) -> None:
    for cell, figures in more.items():
        target = into.get(cell)
        if target is None:
            into[cell] = dict(figures)
            continue
        for name, value in figures.items():
            target[name] = target.get(name, 0) + value
