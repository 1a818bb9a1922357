"""SQL of the read model's write side (run inside the consumer's transaction, sync API because it
runs in the session's ``before_commit``)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from stats.readmodel.metrics import COLUMNS
from stats.readmodel.state import STATE_COLUMNS, Deltas, SubjectState
from stats.readmodel.tables import cells, facts, monthly, subjects

CHUNK = 500  # ids per IN list


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(items), CHUNK):
        yield items[i:i + CHUNK]


def _insert(session: Session, table: Table) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table))


def load_states(session: Session, ids: set[str]) -> dict[str, SubjectState]:
    out: dict[str, SubjectState] = {}
    for chunk in _chunks(sorted(ids)):
        for row in session.execute(select(subjects).where(subjects.c.subject_id.in_(chunk))).mappings():
            out[row["subject_id"]] = SubjectState(**{c: row[c] for c in STATE_COLUMNS})
    return out


def counted_facts(session: Session, keys: set[str]) -> set[str]:
    out: set[str] = set()
    for chunk in _chunks(sorted(keys)):
        out.update(session.execute(select(facts.c.fact_key).where(facts.c.fact_key.in_(chunk))).scalars())
    return out


def save_states(session: Session, states: list[SubjectState]) -> None:
    if not states:
        return
    stmt = _insert(session, subjects)
    stmt = stmt.on_conflict_do_update(index_elements=[subjects.c.subject_id],
                                      set_={c: stmt.excluded[c] for c in STATE_COLUMNS if c != "subject_id"})
    session.execute(stmt, [s.as_row() for s in states])


def _metric_row(figures: dict[str, int]) -> dict[str, int]:
    return {name: int(figures.get(name, 0)) for name in COLUMNS}


def _add(session: Session, table: Table, keys: list[str], rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    stmt = _insert(session, table)
    stmt = stmt.on_conflict_do_update(index_elements=[table.c[k] for k in keys],
                                      set_={name: table.c[name] + stmt.excluded[name] for name in COLUMNS})
    session.execute(stmt, rows)


def add_to_cells(session: Session, deltas: Deltas) -> None:
    # Sorted by key so concurrent consumers (several partitions) lock rows in one order: no deadlock.
    rows = [{"region": region, "kind": kind, "level": level, **_metric_row(figures)}
            for (region, level, kind), figures in sorted(deltas.items()) if any(figures.values())]
    _add(session, cells, ["region", "kind"], rows)


def add_to_monthly(session: Session, month: str, deltas: Deltas) -> None:
    rows = [{"region": region, "kind": kind, "month": month, "level": level, **_metric_row(figures)}
            for (region, level, kind), figures in sorted(deltas.items()) if any(figures.values())]
    _add(session, monthly, ["region", "kind", "month"], rows)


def record_facts(session: Session, new: dict[str, str]) -> None:
    if new:
        session.execute(facts.insert(), [{"fact_key": k, "month": m} for k, m in sorted(new.items())])
