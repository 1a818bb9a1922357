"""Scoring a civility evaluation against its catalogue: a plain function, no database."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class UnknownItem(ValueError):
    def __init__(self, index: int, code: str) -> None:
        super().__init__(f"no item {code} in the catalogue")
        self.index, self.code = index, code


@dataclass
class CivilityResult:
    points: int = 0
    positive_points: int = 0
    negative_points: int = 0
    veto: bool = False
    veto_items: list[str] = field(default_factory=list)
    aspects: dict[str, int] = field(default_factory=dict)


def score(catalogue: list[dict[str, Any]], marks: list[tuple[str, int]]) -> CivilityResult:
    """``marks`` are (item code, times observed). Points = positive + negative (negatives are
    negative numbers); any veto item vetoes (一票否决) whatever the points."""
    by_code = {item["code"]: item for item in catalogue}
    result = CivilityResult()
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
    return result
