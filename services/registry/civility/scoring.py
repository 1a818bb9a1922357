"""Scoring a civility evaluation against its catalogue: a plain function, no database.

The one home of the civility scale (乡风文明评分): a household's civility score is on one 0–100
scale, the catalogue's neutral base (80 by default) plus the points of the positive items noted
minus those of the negative items (whose points are negative numbers), clamped to 0–100. An
unevaluated household sits at the base. A veto item vetoes (一票否决) whatever the score. Rating
reads the score from ``civility-evaluated`` and never recomputes it."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from common.i18n import Text, TextError

DEFAULT_BASE = 80
SCALE_MIN, SCALE_MAX = 0, 100


class UnknownItem(TextError):
    def __init__(self, index: int, code: str) -> None:
        super().__init__(Text(f"no item {code} in the catalogue", f"评议目录中没有 {code} 这一项"))
        self.index, self.code = index, code


@dataclass
class CivilityResult:
    base: int = DEFAULT_BASE
    score: int = DEFAULT_BASE
    points: int = 0                 # positive_points + negative_points: the items' net effect
    positive_points: int = 0        # 0 or more
    negative_points: int = 0        # 0 or less
    veto: bool = False
    veto_items: list[str] = field(default_factory=list)
    aspects: dict[str, int] = field(default_factory=dict)


def civility_score(base: int, positive_points: int, negative_points: int) -> int:
    """base + positive − |negative|, clamped to 0–100: praise never lowers it, a negative item never raises it."""
    return min(max(base + positive_points + negative_points, SCALE_MIN), SCALE_MAX)


def score(catalogue: list[dict[str, Any]], marks: list[tuple[str, int]], base: int = DEFAULT_BASE) -> CivilityResult:
    """``marks`` are (item code, times observed); ``base`` is the catalogue's neutral base."""
    by_code = {item["code"]: item for item in catalogue}
    result = CivilityResult(base=base)
    for i, (code, times) in enumerate(marks):
        item = by_code.get(code)
        if item is None:
            raise UnknownItem(i, code)
        if item["kind"] == "veto":
            result.veto = True
            if code not in result.veto_items:
                result.veto_items.append(code)
            continue
        pts = int(item["points"]) * times
        if item["kind"] == "positive":
            result.positive_points += pts
        else:
            result.negative_points += pts
        result.aspects[item["aspect"]] = result.aspects.get(item["aspect"], 0) + pts
    result.points = result.positive_points + result.negative_points
    result.score = civility_score(base, result.positive_points, result.negative_points)
    return result
