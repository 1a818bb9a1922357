"""The civility scale (乡风文明评分), the registry's one rule: base + positive − negative points,
clamped to 0–100; praise never lowers it, a negative item never raises it, nothing noted (or no
evaluation at all) is the base, and a veto item vetoes whatever the score."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from registry.civility.default_catalogue import default_items
from registry.civility.scoring import DEFAULT_BASE, civility_score, score

ITEMS = default_items()
POSITIVE = [i["code"] for i in ITEMS if i["kind"] == "positive"]
NEGATIVE = [i["code"] for i in ITEMS if i["kind"] == "negative"]
VETO = [i["code"] for i in ITEMS if i["kind"] == "veto"]
marks = st.lists(st.tuples(st.sampled_from(POSITIVE + NEGATIVE), st.integers(1, 20)), max_size=15)
bases = st.integers(0, 100)


@given(marks, bases)
def test_the_score_is_on_the_0_100_scale_and_is_base_plus_items_clamped(found: list[tuple[str, int]], base: int) -> None:
    result = score(ITEMS, found, base)
    assert 0 <= result.score <= 100
    assert result.positive_points >= 0 >= result.negative_points
    assert result.score == min(max(base + result.positive_points + result.negative_points, 0), 100)


@given(marks, st.sampled_from(POSITIVE), st.integers(1, 5), bases)
def test_praise_never_lowers_the_score(found: list[tuple[str, int]], praise: str, times: int, base: int) -> None:
    assert score(ITEMS, [*found, (praise, times)], base).score >= score(ITEMS, found, base).score


@given(marks, st.sampled_from(NEGATIVE), st.integers(1, 5), bases)
def test_a_negative_item_never_raises_the_score(found: list[tuple[str, int]], blame: str, times: int, base: int) -> None:
    assert score(ITEMS, [*found, (blame, times)], base).score <= score(ITEMS, found, base).score


@given(bases)
def test_nothing_noted_is_the_base(base: int) -> None:
    assert score(ITEMS, [], base).score == base == civility_score(base, 0, 0)
    assert score(ITEMS, []).score == DEFAULT_BASE == 80


def test_the_scale_is_clamped_at_0_and_100() -> None:
    praise, blame = POSITIVE[0], NEGATIVE[0]
    assert score(ITEMS, [(praise, 20)] * 10, 95).score == 100
    assert score(ITEMS, [(blame, 20)] * 10, 5).score == 0
    assert civility_score(100, 50, 0) == 100 and civility_score(0, 0, -50) == 0


@given(marks)
def test_a_veto_item_vetoes_whatever_the_score(found: list[tuple[str, int]]) -> None:
    result = score(ITEMS, [*found, (VETO[0], 1)])
    assert result.veto and result.veto_items == [VETO[0]]
    assert result.score == score(ITEMS, found).score
