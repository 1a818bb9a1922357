"""The figures the read model keeps (统计指标), their units, and the ones derived from them.

Stocks (存量) are the state of the programme at a moment: subjects on file, grades, lines granted and
used. Flows (流量) are what happened in a period: loans recorded, repayments, defaults, redemptions.
Money is kept as integer fen and shown as a CNY decimal string.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Unit = Literal["count", "CNY", "ratio"]


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    unit: Unit
    flow: bool
    description: str
    # For money: the count whose small value would reveal one subject's amount (suppression).
    base: str | None = None


STOCKS: tuple[Metric, ...] = (
    Metric("subjects", "count", False, "credit subjects on file (一户一档), active"),
    Metric("rated", "count", False, "subjects holding a final grade"),
    Metric("grade_aaa", "count", False, "graded AAA"),
    Metric("grade_aa", "count", False, "graded AA"),
    Metric("grade_a", "count", False, "graded A"),
    Metric("grade_b", "count", False, "graded B"),
    Metric("grade_c", "count", False, "graded C"),
    Metric("grade_d", "count", False, "graded D"),
    Metric("vetoed", "count", False, "rating vetoed by the negative list (一票否决)"),
    Metric("credit_units", "count", False, "villages or towns designated credit village / credit town (信用村/信用镇)"),
    Metric("evaluated", "count", False, "subjects with a published civility evaluation (乡风文明评议)"),
    Metric("negative_subjects", "count", False, "subjects with an active negative-list record (负面清单)"),
    Metric("lines", "count", False, "credit lines granted (active or frozen, 授信户数)"),
    Metric("lines_frozen", "count", False, "credit lines frozen"),
    Metric("line_amount", "CNY", False, "credit granted (授信金额)", base="lines"),
    Metric("borrowers", "count", False, "subjects drawing on their line (用信户数)"),
    Metric("drawn", "CNY", False, "credit used, drawn and not repaid (用信金额)", base="borrowers"),
)

FLOWS: tuple[Metric, ...] = (
    Metric("loans", "count", True, "loans recorded (贷款笔数)"),
    Metric("loan_amount", "CNY", True, "amount lent (贷款金额)", base="loans"),
    Metric("repayments", "count", True, "repayments recorded"),
    Metric("repaid_amount", "CNY", True, "amount repaid", base="repayments"),
    Metric("defaults", "count", True, "loans defaulted (不良)"),
    Metric("loss_amount", "CNY", True, "loss on defaulted loans", base="defaults"),
    Metric("fund_paid", "CNY", True, "paid by the risk-compensation fund (风险补偿金)", base="defaults"),
    Metric("redemptions", "count", True, "merchant redemptions, net of reversals (信用商圈)"),
    Metric("bill_amount", "CNY", True, "bills paid with a credit discount", base="redemptions"),
    Metric("discount_amount", "CNY", True, "discount given to credit households", base="redemptions"),
)

DERIVED: tuple[Metric, ...] = (
    Metric("credit_subjects", "count", False, "graded A or better (信用户/信用主体)"),
    Metric("credit_subject_share", "ratio", False, "credit subjects over rated subjects"),
    Metric("used_share", "ratio", False, "credit used over credit granted (用信率)"),
    Metric("borrower_share", "ratio", False, "borrowers over lines granted"),
    Metric("credit_village_share", "ratio", False, "credit villages over villages on file (信用村占比)"),
    Metric("credit_town_share", "ratio", False, "credit towns over towns on file (信用镇占比)"),
)

STORED: tuple[Metric, ...] = STOCKS + FLOWS
COLUMNS: tuple[str, ...] = tuple(m.name for m in STORED)
ALL: dict[str, Metric] = {m.name: m for m in STORED + DERIVED}
GRADE_COLUMNS = {"AAA": "grade_aaa", "AA": "grade_aa", "A": "grade_a", "B": "grade_b", "C": "grade_c", "D": "grade_d"}
CREDIT_GRADES = frozenset({"AAA", "AA", "A"})
KINDS = ("household", "new_entity", "collective", "village", "town")
ALL_KINDS = "all"  # the current counters also keep, per region, a row summed over kinds
LEVELS = ("county", "town", "village")
