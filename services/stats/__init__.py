"""The stats service (统计服务): a read model of every event, and the aggregate figures the
provincial platform and the county's leaders read.

- ``readmodel``: fed only by events. Each event becomes an op on one subject's state (grade, kind,
  region, line, drawn, ...) or a flow fact (a loan, a repayment, a default, a redemption). Counters per
  (region, kind) move by the difference between a subject's old and new contribution, so a replay
  (inbox), a stale event (per-stream version kept on the subject's row) or a fact re-published under
  a new id (natural key) moves nothing, and topics may arrive in any order. Every change is also kept
  per reporting month (Beijing time): a month-end snapshot is the running sum up to that month.
- ``figures``: ``GET /v1/stats/summary``, ``/regions``, ``/timeseries`` in JSON or CSV, with optional
  small-area suppression; answers are kept until the read model's generation moves.
- ``rebuild``: ``python -m stats rebuild`` replays every topic from the beginning into an empty read model.
"""
