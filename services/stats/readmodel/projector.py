"""Applying a batch of ops to the read model, in the consumer's transaction.

Handlers only parse their event into an op and queue it on the session. Just before the batch's
transaction commits, the queue is applied at once: the touched subjects are loaded in one query,
their ops applied in event order, and the counter changes written as a few bulk upserts. A batch of
500 events costs a handful of statements instead of several per event, and it all commits (with the
consumer's inbox rows) or none of it does.
"""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from stats.readmodel import repository
from stats.readmodel.state import Deltas, FlowOp, StateOp, SubjectState, apply_op, merge, state_delta

Op = StateOp | FlowOp
_PENDING = "stats.pending_ops"


def queue(session: AsyncSession | Session, op: Op) -> None:
    """Queue ``op`` to be applied when ``session`` commits."""
    session.info.setdefault(_PENDING, []).append(op)


@event.listens_for(Session, "before_commit")
def _apply_pending(session: Session) -> None:
    ops = session.info.pop(_PENDING, None)
    if ops:
        project(session, ops)


class Changes:
    """What a batch does to the read model: new subject states, counter deltas, counted facts."""

    def __init__(self) -> None:
        self.states: dict[str, SubjectState] = {}
        self.touched: set[str] = set()
        self.monthly: dict[str, Deltas] = defaultdict(dict)
        self.facts: dict[str, str] = {}

    def add(self, month: str, deltas: Deltas) -> None:
        merge(self.monthly[month], deltas)

    @property
    def current(self) -> Deltas:
        """The change of the current counters: the months' changes added up."""
        out: Deltas = {}
        for deltas in self.monthly.values():
            merge(out, deltas)
        return out


def plan(ops: list[Op], states: dict[str, SubjectState], counted: set[str]) -> Changes:
    """Pure: the changes ``ops`` make, given the subjects' stored states and the facts already counted."""
    changes = Changes()
    changes.states = dict(states)
    for op in ops:
        if isinstance(op, FlowOp):
            if op.fact_key in counted or op.fact_key in changes.facts:
                continue
            changes.facts[op.fact_key] = op.month
            changes.add(op.month, {cell: dict(op.figures) for cell in op.cells})
            continue
        old = changes.states.get(op.subject_id) or SubjectState(op.subject_id)
        new = apply_op(old, op)
        if new is None:  # stale: a version already applied
            continue
        changes.states[op.subject_id] = new
        changes.touched.add(op.subject_id)
        changes.add(op.month, state_delta(old, new))
    return changes


def project(session: Session, ops: list[Op]) -> Changes:
    ids = {op.subject_id for op in ops if isinstance(op, StateOp)}
    keys = {op.fact_key for op in ops if isinstance(op, FlowOp)}
    states = repository.load_states(session, ids)
    counted = repository.counted_facts(session, keys)
    changes = plan(ops, states, counted)
    repository.save_states(session, [changes.states[i] for i in sorted(changes.touched)])
    repository.add_to_cells(session, changes.current)
    for month in sorted(changes.monthly):
        repository.add_to_monthly(session, month, changes.monthly[month])
    repository.record_facts(session, changes.facts)
    repository.bump_generation(session)
    return changes


