"""The read model's tables.

- ``stats_subjects``: one row per credit subject, its current state and per-stream versions.
- ``stats_cells``: current counters per (region, kind); one column per stored metric; kind ``all``
  holds a region's sum over kinds.
- ``stats_monthly``: the change of each counter per (region, kind, month); a month-end snapshot
  (月末快照) is the running sum up to that month, so the figures of any past month end are kept.
- ``stats_facts``: natural keys of flow facts already counted (a loan, a repayment, a redemption),
  so the same fact re-published under another event id counts once; with their subject and figures,
  so that a change of the subject's consent to statistics can take them out or put them back.
- ``stats_regions``: the registry's region tree (code, name, level, parent) from ``region-changed``,
  so every answer names its regions (天长市, 秦栏镇) beside their codes.
- ``stats_meta``: the read model's generation.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, PrimaryKeyConstraint, String, Table, Text, true

from stats.db import Base
from stats.readmodel.metrics import COLUMNS

metadata = Base.metadata


def _metric_columns() -> list[Column[int]]:
    return [Column(name, BigInteger, nullable=False, server_default="0") for name in COLUMNS]


subjects = Table(
    "stats_subjects", metadata,
    Column("subject_id", String(80), primary_key=True),
    Column("kind", String(16)),
    Column("county", String(12)),
    Column("town", String(12)),
    Column("village", String(12)),
    Column("registered", Boolean, nullable=False),
    Column("archived", Boolean, nullable=False),
    Column("consent_stats", Boolean, nullable=False, server_default=true()),
    Column("grade", String(3)),
    Column("vetoed", Boolean, nullable=False),
    Column("credit_unit", Boolean, nullable=False),
    Column("evaluated", Boolean, nullable=False),
    Column("negative_ids", Text, nullable=False),
    Column("line_status", String(8)),
    Column("line_fen", BigInteger, nullable=False),
    Column("drawn_fen", BigInteger, nullable=False),
    Column("v_registry", BigInteger, nullable=False),
    Column("v_civility", BigInteger, nullable=False),
    Column("v_negative", BigInteger, nullable=False),
    Column("v_rating", BigInteger, nullable=False),
    Column("v_line", BigInteger, nullable=False),
)

cells = Table(
    "stats_cells", metadata,
    Column("region", String(12), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("level", String(8), nullable=False),
    *_metric_columns(),
    PrimaryKeyConstraint("region", "kind"),
    Index("ix_stats_cells_level_region", "level", "region"),
)

monthly = Table(
    "stats_monthly", metadata,
    Column("region", String(12), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("month", String(7), nullable=False),
    Column("level", String(8), nullable=False),
    *_metric_columns(),
    PrimaryKeyConstraint("region", "kind", "month"),
    Index("ix_stats_monthly_level_region", "level", "region"),
)

facts = Table(
    "stats_facts", metadata,
    Column("fact_key", String(240), primary_key=True),
    Column("month", String(7), nullable=False),
    # Whose fact, its cells and figures (JSON), and whether it is in the counters now: a subject's
    # facts leave (and come back to) the figures of their months when its consent moves.
    Column("subject_id", String(80), nullable=True),
    Column("detail", Text, nullable=True),
    Column("counted", Boolean, nullable=False, server_default=true()),
    Index("ix_stats_facts_subject", "subject_id"),
)

regions = Table(
    "stats_regions", metadata,
    Column("code", String(15), primary_key=True),
    Column("name", String(80), nullable=False),
    Column("level", String(8), nullable=False),
    Column("parent_code", String(15), nullable=True),
    Column("version", BigInteger, nullable=False),
)

# ``generation`` moves with every applied batch (and a rebuild): cached answers are good until it does.
meta = Table(
    "stats_meta", metadata,
    Column("key", String(40), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

READ_MODEL_TABLES = (subjects, cells, monthly, facts, regions)
