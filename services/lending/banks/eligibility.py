"""Who may have a product (产品准入): plain rules, testable without a server."""
from __future__ import annotations

from dataclasses import dataclass

from common.i18n import KINDS_ZH, Text
from common.money import fen_str


@dataclass(frozen=True)
class ProductRules:
    grades: tuple[str, ...]
    kinds: tuple[str, ...]
    industries: tuple[str, ...]  # empty: any industry
    min_amount_fen: int
    max_amount_fen: int
    min_term_months: int
    max_term_months: int


def ineligibility(rules: ProductRules, *, grade: str | None, kind: str, industry: str | None,
                  amount_fen: int, term_months: int) -> Text | None:
    """Why this subject and loan do not fit the product, or None if they do."""
    if grade not in rules.grades:
        return Text(f"grade {grade or 'none'} is not one of {', '.join(rules.grades)}",
                    f"信用等级 {grade or '无'} 不在 {', '.join(rules.grades)} 之列")
    if kind not in rules.kinds:
        kinds_zh = "、".join(KINDS_ZH.get(k, k) for k in rules.kinds)
        return Text(f"subject kind {kind} is not one of {', '.join(rules.kinds)}",
                    f"主体类型“{KINDS_ZH.get(kind, kind)}”不在准入范围（{kinds_zh}）内")
    if rules.industries and industry not in rules.industries:
        return Text(f"industry {industry or 'unknown'} is not one of {', '.join(rules.industries)}",
                    f"行业 {industry or '未知'} 不在 {', '.join(rules.industries)} 之列")
    if not rules.min_amount_fen <= amount_fen <= rules.max_amount_fen:
        low, high = fen_str(rules.min_amount_fen), fen_str(rules.max_amount_fen)
        return Text(f"amount must be between {low} and {high}", f"金额须在 {low} 元至 {high} 元之间")
    if not rules.min_term_months <= term_months <= rules.max_term_months:
        return Text(f"term must be between {rules.min_term_months} and {rules.max_term_months} months",
                    f"期限须在 {rules.min_term_months} 至 {rules.max_term_months} 个月之间")
    return None
