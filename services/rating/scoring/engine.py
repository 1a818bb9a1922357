"""Scoring (评分): a pure function from a subject's file, civility result, negative records, credit
history and serious point items to a score out of 100, a grade, and the reasons that moved it most.

No I/O and no clock: the same input always gives the same output. An indicator system is compiled
once (``compile_system``) so a rating round pays only for the arithmetic.
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from rating.grades import RANK, Grade, drop, worse
from rating.indicators.schemas import BandsRule, IndicatorSystemIn, LookupRule, ThresholdRule
from rating.scoring.advice import IndicatorScore, Raise, would_raise

CENT = Decimal("0.01")
ZERO = Decimal(0)
HUNDRED = Decimal(100)
TOP_REASONS = 3


@dataclass(frozen=True, slots=True)
class ScoringInput:
    """What rating knows of a subject at the moment it rates it."""

    kind: str
    profile: Mapping[str, Any]
    civility_score: Decimal | None = None      # 0–100, the registry's; an unevaluated household has the base
    civility_veto_items: tuple[str, ...] = ()
    negative_vetoes: tuple[str, ...] = ()      # record kinds of raised negative-list records that veto
    on_time_repayments: int = 0
    late_repayments: int = 0
    loan_defaults: int = 0
    grade_drop: int = 0                        # serious credit-point items (严重失信行为) not yet expired
    drop_reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ScoreResult:
    score: Decimal
    grade: Grade
    scored_grade: Grade          # what the score alone gives, before veto and serious items
    vetoed: bool
    reasons: tuple[str, ...]                            # in English, the top ones (every reader knows these)
    points: tuple[Decimal, ...] = field(default=())   # per indicator, in the system's order
    lost: tuple[IndicatorScore, ...] = ()              # every indicator that cost points, the most first
    would_raise: tuple[Raise, ...] = ()               # what lifts it to the next grade (none when vetoed)


def to_decimal(value: Any) -> Decimal | None:
    # The common cases first (a file's text and integers; Decimal(s) reads s as Decimal(str(s)) does).
    kind = type(value)
    if kind is str:
        if not value.strip():
            return None
        try:
            return Decimal(value)
        except InvalidOperation:
            return None
    if kind is int:
        return Decimal(value)
    if value is None:
        return None
    if isinstance(value, bool):
        return Decimal(int(value))
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


ShareFn = Callable[[Any], Decimal]


def _bands(rule: BandsRule) -> ShareFn:
    # Bands are contiguous (checked when the system is published), so the inner boundaries are
    # enough: a value's band is found by bisection. A value outside every band (below a first
    # band that is not open below) takes the nearest band's share.
    bounds: list[Decimal] = [b.min if b.min is not None else Decimal('-Infinity') for b in rule.bands[1:]]
    shares = [b.share for b in rule.bands]
    missing = rule.missing

    def share(value: Any) -> Decimal:
        v = to_decimal(value)
        if v is None:
            return missing
        return shares[bisect_right(bounds, v)]

    return share


def _threshold(rule: ThresholdRule) -> ShareFn:
    def share(value: Any) -> Decimal:
        v = to_decimal(value)
        if v is None:
            return rule.missing
        ok = v >= rule.threshold if rule.direction == "higher_better" else v <= rule.threshold
        return rule.pass_share if ok else rule.fail_share

    return share


def _lookup(rule: LookupRule) -> ShareFn:
    values = dict(rule.values)

    def share(value: Any) -> Decimal:
        if value is None:
            return rule.missing
        key = ("true" if value else "false") if isinstance(value, bool) else str(value)
        return values.get(key, rule.missing)

    return share


@dataclass(frozen=True)
class CompiledSystem:
    kind: str
    version: int
    indicators: tuple[tuple[str, str, str, Decimal, ShareFn], ...]   # code, name, input, weight, share
    grade_bands: tuple[tuple[Decimal, Decimal, Grade], ...]          # best first
    veto_sources: frozenset[str]
    veto_grade: Grade
    labels: Mapping[str, tuple[str, str]] = field(default_factory=dict)   # code -> (Chinese, English)
    definition: str = ""   # the system as JSON (``IndicatorSystemIn``): what another process compiles

    def __reduce__(self) -> tuple[Any, ...]:
        # The share functions are closures, which do not pickle: a worker process (a round's
        # scoring, ``common.cpu``) is sent the definition and compiles it once.
        return (_compiled, (self.definition, self.version))


@lru_cache(maxsize=32)
def _compiled(definition: str, version: int) -> CompiledSystem:
    return compile_system(IndicatorSystemIn.model_validate_json(definition), version)


def compile_system(defn: IndicatorSystemIn, version: int) -> CompiledSystem:
    indicators = []
    for ind in defn.indicators:
        rule = ind.rule
        fn = _bands(rule) if isinstance(rule, BandsRule) else _threshold(rule) if isinstance(rule, ThresholdRule) \
            else _lookup(rule)
        indicators.append((ind.code, ind.name, ind.input, ind.weight, fn))
    bands = tuple(sorted(((b.min, b.max, b.grade) for b in defn.grade_bands), key=lambda t: t[0], reverse=True))
    return CompiledSystem(defn.kind, version, tuple(indicators), bands, frozenset(defn.veto_sources),
                          defn.veto_grade, {ind.code: ind.labels() for ind in defn.indicators},
                          defn.model_dump_json())


def grade_for(system: CompiledSystem, score: Decimal) -> Grade:
    for lo, hi, grade in system.grade_bands:
        if lo <= score < hi or (score == hi == 100):
            return grade
    return system.grade_bands[-1][2]


def input_value(inp: ScoringInput, name: str) -> Any:
    getter = _GETTERS.get(name)
    return getter(inp) if getter is not None else inp.profile.get(name)


def _total_assets(inp: ScoringInput) -> Decimal | None:
    parts = [to_decimal(inp.profile.get("agri_assets_value")), to_decimal(inp.profile.get("other_assets_value"))]
    known = [p for p in parts if p is not None]
    return sum(known, ZERO) if known else None


# The inputs rating derives itself; every other input is a profile field of the same name.
_GETTERS: dict[str, Callable[[ScoringInput], Any]] = {
    "civility_score": lambda i: i.civility_score,
    "civility_points": lambda i: i.civility_score,   # the input's name in indicator systems published before the scale
    "on_time_repayments": lambda i: i.on_time_repayments,
    "late_repayments": lambda i: i.late_repayments,
    "loan_defaults": lambda i: i.loan_defaults,
    "total_assets": _total_assets,
}


def score(system: CompiledSystem, inp: ScoringInput) -> ScoreResult:
    """Score one subject. A veto always gives ``veto_grade`` (below A), whatever the score."""
    points: list[Decimal] = []
    total = ZERO
    profile_get = inp.profile.get
    getters = _GETTERS
    for _code, _name, input_name, weight, share_fn in system.indicators:
        getter = getters.get(input_name)
        p = weight * share_fn(getter(inp) if getter is not None else profile_get(input_name))
        total += p
        points.append(p)
    value = min(max(total, ZERO), HUNDRED).quantize(CENT, ROUND_HALF_UP)
    scored = grade_for(system, value)

    veto_reasons: list[str] = []
    if inp.negative_vetoes and "negative_list" in system.veto_sources:
        veto_reasons += [f"veto: negative-list record {k} (一票否决)" for k in sorted(set(inp.negative_vetoes))]
    if inp.civility_veto_items and "civility" in system.veto_sources:
        veto_reasons += [f"veto: civility veto item {k} (一票否决)" for k in sorted(set(inp.civility_veto_items))]
    if "loan_default" in system.veto_sources and inp.loan_defaults > 0:
        veto_reasons.append(f"veto: {inp.loan_defaults} defaulted loan(s) (一票否决)")

    grade: Grade = scored
    reasons: list[str] = []
    if veto_reasons:
        grade = worse(scored, system.veto_grade)
        reasons += veto_reasons
    if inp.grade_drop > 0:
        grade = drop(grade, inp.grade_drop)
        reasons += [f"serious item lowers the grade: {r}" for r in inp.drop_reasons] or \
            [f"serious items lower the grade by {inp.grade_drop}"]
    # The reasons that moved it most: the indicators that lost the most points.
    indicators = system.indicators
    lost = sorted((p - ind[3], ind[0], i) for i, (p, ind) in enumerate(zip(points, indicators, strict=True))
                  if p < ind[3])
    for _, code, i in lost[:TOP_REASONS]:
        reasons.append(f"{code} ({indicators[i][1]}): {points[i].quantize(CENT, ROUND_HALF_UP)} of {indicators[i][3]} points")
    if not reasons:
        reasons.append("full marks on every indicator")
    costs = tuple(IndicatorScore(code, points[i].quantize(CENT, ROUND_HALF_UP), indicators[i][3].quantize(CENT))
                  for _, code, i in lost)
    # A veto forces the grade whatever the score: no indicator would raise it. Serious items drop
    # the grade by steps, so the next scored grade shows as that many steps lower too.
    raises = () if veto_reasons else tuple(
        Raise(r.indicator, r.points_needed, drop(r.next_grade, inp.grade_drop)) for r in would_raise(costs, value, system.grade_bands)
        if RANK[drop(r.next_grade, inp.grade_drop)] < RANK[grade])
    return ScoreResult(value, grade, scored, bool(veto_reasons), tuple(reasons), tuple(points), costs, raises)
