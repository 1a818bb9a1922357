"""Who may have a product (产品准入): plain rules, testable without a server."""
from __future__ import annotations

from dataclasses import dataclass


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
                  amount_fen: int, term_months: int) -> str | None:
    """Why this subject and loan do not fit the product, or None if they do."""
    if grade not in rules.grades:
        return f"grade {grade or 'none'} is not one of {', '.join(rules.grades)}"
    if kind not in rules.kinds:
        return f"subject kind {kind} is not one of {', '.join(rules.kinds)}"
    if rules.industries and industry not in rules.industries:
        return f"industry {industry or 'unknown'} is not one of {', '.join(rules.industries)}"
    if not rules.min_amount_fen <= amount_fen <= rules.max_amount_fen:
        return f"amount must be between {rules.min_amount_fen / 100:.2f} and {rules.max_amount_fen / 100:.2f}"
    if not rules.min_term_months <= term_months <= rules.max_term_months:
        return f"term must be between {rules.min_term_months} and {rules.max_term_months} months"
    return None
