"""The shipped version 1 of each kind's indicator system, built from DOMAIN.md: basic information,
credit standing (资信状况), production and operation (生产经营情况) and village civility (乡风文明);
grade bands AAA ≥ 90, AA 80–89, A 70–79, B 60–69, C 50–59, D < 50; a negative-list record, a
civility veto item or a programme loan in default not yet cured forces D (一票否决). Civility is the registry's 0–100 civility score. The county changes them by publishing a new version."""
from __future__ import annotations

from typing import Any

from rating.indicators.schemas import IndicatorSystemIn, split_name

GRADE_BANDS = [
    {"grade": "AAA", "min": "90", "max": "100"},
    {"grade": "AA", "min": "80", "max": "90"},
    {"grade": "A", "min": "70", "max": "80"},
    {"grade": "B", "min": "60", "max": "70"},
    {"grade": "C", "min": "50", "max": "60"},
    {"grade": "D", "min": "0", "max": "50"},
]


def bands(direction: str, *rows: tuple[Any, Any, str], missing: str = "0") -> dict[str, Any]:
    return {"type": "bands", "direction": direction, "missing": missing,
            "bands": [{"min": lo, "max": hi, "share": share} for lo, hi, share in rows]}


def ind(code: str, name: str, category: str, input: str, weight: str, rule: dict[str, Any]) -> dict[str, Any]:
    """``name`` as "English 中文": its two halves are the indicator's English and Chinese labels."""
    zh, en = split_name(name)
    return {"code": code, "name": name, "name_zh": zh, "name_en": en, "category": category, "input": input,
            "weight": weight, "rule": rule}


PBOC = {"type": "lookup", "values": {"true": "1", "false": "0"}, "missing": "0.5"}
NO_OVERDUE = bands("lower_better", (None, "1", "1"), ("1", "3", "0.5"), ("3", None, "0"), missing="0.5")
NO_DEFAULT = bands("lower_better", (None, "1", "1"), ("1", None, "0"), missing="1")

HOUSEHOLD = {
    "kind": "household", "note": "default household system (农户), version 1",
    "indicators": [
        ind("labour", "labour force 劳动力", "basic", "labour_count", "5",
            bands("higher_better", (None, "1", "0.2"), ("1", "2", "0.6"), ("2", None, "1"), missing="0.2")),
        ind("party_member", "party members 党员", "basic", "party_members", "3",
            bands("higher_better", (None, "1", "0.5"), ("1", None, "1"), missing="0.5")),
        ind("education", "education 文化程度", "basic", "max_education", "2",
            {"type": "lookup", "missing": "0.4", "values": {"none": "0.2", "primary": "0.4", "junior": "0.6",
                                                            "senior": "0.8", "college": "1", "university": "1"}}),
        ind("credit_report", "PBOC credit report 征信", "credit", "pboc_report_clean", "10", PBOC),
        ind("overdue", "overdue loans 逾期", "credit", "overdue_count", "8", NO_OVERDUE),
        ind("defaults", "defaults on programme loans 违约", "credit", "loan_defaults", "7", NO_DEFAULT),
        ind("late_repayments", "late repayments 迟还", "credit", "late_repayments", "5",
            bands("lower_better", (None, "1", "1"), ("1", "3", "0.5"), ("3", None, "0"), missing="1")),
        ind("private_borrowing", "private borrowing 民间借贷", "credit", "private_borrowing", "5",
            bands("lower_better", (None, "50000", "1"), ("50000", "200000", "0.5"), ("200000", None, "0"), missing="0.5")),
        ind("income", "annual income 家庭年收入", "production", "annual_income", "12",
            bands("higher_better", (None, "20000", "0.2"), ("20000", "50000", "0.5"), ("50000", "100000", "0.8"),
                  ("100000", None, "1"))),
        ind("assets", "agricultural and other assets 涉农资产", "production", "total_assets", "10",
            bands("higher_better", (None, "50000", "0.2"), ("50000", "200000", "0.5"), ("200000", "500000", "0.8"),
                  ("500000", None, "1"))),
        ind("land", "land farmed (mu) 经营土地", "production", "land_mu", "4",
            bands("higher_better", (None, "5", "0.3"), ("5", "20", "0.6"), ("20", None, "1"), missing="0.3")),
        ind("production_years", "years in production 生产年限", "production", "production_years", "4",
            bands("higher_better", (None, "3", "0.3"), ("3", "10", "0.7"), ("10", None, "1"), missing="0.3")),
        # The registry's 0–100 civility score (base 80 by default): the base earns the share an
        # unevaluated household always had, praise raises it, a negative item lowers it.
        ind("civility", "village civility 乡风文明评议", "civility", "civility_score", "25",
            bands("higher_better", (None, "40", "0"), ("40", "60", "0.2"), ("60", "80", "0.4"), ("80", "85", "0.6"),
                  ("85", "90", "0.8"), ("90", None, "1"), missing="0.6")),
    ],
    "grade_bands": GRADE_BANDS,
    "veto_sources": ["negative_list", "civility", "loan_default"],
    "veto_grade": "D",
}

NEW_ENTITY = {
    "kind": "new_entity", "note": "default new agricultural business entity system (新型农业经营主体), version 1",
    "indicators": [
        ind("entity_type", "entity type 主体类型", "basic", "entity_type", "5",
            {"type": "lookup", "missing": "0.5", "values": {"family_farm": "0.8", "cooperative": "1", "company": "1"}}),
        ind("employees", "employees 带动就业", "basic", "employees", "10",
            bands("higher_better", (None, "5", "0.3"), ("5", "20", "0.7"), ("20", None, "1"))),
        ind("revenue", "annual revenue 年营业收入", "production", "annual_revenue", "20",
            bands("higher_better", (None, "500000", "0.3"), ("500000", "2000000", "0.6"), ("2000000", "5000000", "0.85"),
                  ("5000000", None, "1"))),
        ind("assets", "assets 资产", "production", "total_assets", "15",
            bands("higher_better", (None, "500000", "0.3"), ("500000", "2000000", "0.6"), ("2000000", None, "1"))),
        ind("production_years", "years in operation 经营年限", "production", "production_years", "10",
            bands("higher_better", (None, "2", "0.3"), ("2", "5", "0.7"), ("5", None, "1"), missing="0.3")),
        ind("credit_report", "PBOC credit report 征信", "credit", "pboc_report_clean", "15", PBOC),
        ind("overdue", "overdue loans 逾期", "credit", "overdue_count", "10", NO_OVERDUE),
        ind("defaults", "defaults on programme loans 违约", "credit", "loan_defaults", "10", NO_DEFAULT),
        ind("debts", "debts outstanding 负债", "credit", "debts_outstanding", "5",
            bands("lower_better", (None, "1000000", "1"), ("1000000", "5000000", "0.5"), ("5000000", None, "0"), missing="0.5")),
    ],
    "grade_bands": GRADE_BANDS,
    "veto_sources": ["negative_list", "civility", "loan_default"],
    "veto_grade": "D",
}

COLLECTIVE = {
    "kind": "collective", "note": "default village collective economic organisation system (村集体经济组织), version 1",
    "indicators": [
        ind("income", "collective income 村集体经营性收入", "production", "collective_income", "40",
            bands("higher_better", (None, "100000", "0.2"), ("100000", "200000", "0.5"), ("200000", "400000", "0.8"),
                  ("400000", None, "1"))),
        ind("households", "households served 农户数", "basic", "households_count", "10",
            bands("higher_better", (None, "200", "0.5"), ("200", "500", "0.8"), ("500", None, "1"), missing="0.5")),
        ind("assets", "collective assets 集体资产", "production", "total_assets", "20",
            bands("higher_better", (None, "1000000", "0.3"), ("1000000", "5000000", "0.7"), ("5000000", None, "1"))),
        ind("credit_report", "PBOC credit report 征信", "credit", "pboc_report_clean", "10", PBOC),
        ind("overdue", "overdue loans 逾期", "credit", "overdue_count", "10", NO_OVERDUE),
        ind("defaults", "defaults on programme loans 违约", "credit", "loan_defaults", "10", NO_DEFAULT),
    ],
    "grade_bands": GRADE_BANDS,
    "veto_sources": ["negative_list", "loan_default"],
    "veto_grade": "D",
}

DEFAULTS: dict[str, IndicatorSystemIn] = {
    d.kind: d for d in (IndicatorSystemIn.model_validate(raw) for raw in (HOUSEHOLD, NEW_ENTITY, COLLECTIVE))
}
