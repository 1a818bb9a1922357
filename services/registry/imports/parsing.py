"""Reading household files as collected in the field: CSV (UTF-8 or GB18030, as Excel saves it
in China) or XLSX, with English or Chinese column headers; one row → one household payload."""
from __future__ import annotations

import csv
import io
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice
from typing import Any

from registry.validation import clean_message

# Column → where it goes in the household payload (HouseholdIn).
PROFILE_COLUMNS = ("members_count", "labour_count", "party_members", "max_education", "annual_income", "land_mu",
                   "agri_assets_value", "other_assets_value", "industry", "production_years", "debts_outstanding",
                   "private_borrowing", "overdue_count", "overdue_months_max", "pboc_report_clean")
COLUMNS = ("village", "group", "head_name", "head_id_number", "phone", "political_status", "education",
           *PROFILE_COLUMNS, "consent_given", "consent_date", "consent_scopes")
REQUIRED = ("village", "head_name", "head_id_number")
ALIASES = {
    "村代码": "village", "村民组代码": "group", "户主姓名": "head_name", "户主身份证号": "head_id_number",
    "身份证号": "head_id_number", "联系电话": "phone", "政治面貌": "political_status", "文化程度": "education",
    "家庭人口": "members_count", "劳动力人数": "labour_count", "党员人数": "party_members",
    "最高学历": "max_education", "家庭年收入": "annual_income", "耕地面积": "land_mu",
    "农业资产价值": "agri_assets_value", "其他资产价值": "other_assets_value", "主营产业": "industry",
    "从业年限": "production_years", "负债余额": "debts_outstanding", "民间借贷": "private_borrowing",
    "逾期次数": "overdue_count", "最长逾期月数": "overdue_months_max", "征信良好": "pboc_report_clean",
    "授权": "consent_given", "授权日期": "consent_date", "授权范围": "consent_scopes",
}
_TRUE = {"1", "true", "yes", "y", "是", "有", "t"}
_FALSE = {"0", "false", "no", "n", "否", "无", "f"}


class FileProblem(ValueError):
    """The file as a whole cannot be read (not rows: those get per-row errors)."""


def detect_format(filename: str, content: bytes) -> str:
    if content[:4] == b"PK\x03\x04" or filename.lower().endswith(".xlsx"):
        return "xlsx"
    return "csv"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@dataclass(frozen=True)
class Table:
    """A readable file: its format, canonical header and number of data rows. The rows are read
    again a chunk at a time (``chunks``), so a county's file is never all in memory as Python
    objects; the bytes are."""

    content: bytes
    format: str
    header: list[str]
    total: int

    def chunks(self, size: int, first: int | None = None) -> Iterator[tuple[int, list[list[str]]]]:
        """(index of the chunk's first data row, its rows as text), ``first`` rows in the first chunk
        and ``size`` in each other; data row i is row i + 2 of the file."""
        rows = _rows(self.format, self.content)
        try:
            next(rows)  # the header
            start, take = 0, first or size
            while part := list(islice(rows, take)):
                yield start, part
                start, take = start + len(part), size
        finally:
            rows.close()


def _rows(fmt: str, content: bytes) -> Generator[list[str], None, None]:
    """Every row of the first sheet (or of the CSV) as stripped text, header included."""
    if fmt == "xlsx":
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:
            raise FileProblem(f"not a readable XLSX workbook ({type(exc).__name__})") from None
        try:
            sheet = iter(wb.worksheets[0].iter_rows(values_only=True))
            while True:
                try:
                    values = next(sheet)
                except StopIteration:
                    return
                except Exception as exc:
                    raise FileProblem(f"not a readable XLSX workbook ({type(exc).__name__})") from None
                yield [_cell(v) for v in values]
        finally:
            wb.close()
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("gb18030")
        except UnicodeDecodeError:
            raise FileProblem("not UTF-8 or GB18030 text") from None
    try:
        for r in csv.reader(io.StringIO(text)):
            yield [c.strip() for c in r]
    except csv.Error as exc:
        raise FileProblem(f"not a readable CSV file ({exc})") from None


def open_table(filename: str, content: bytes) -> Table:
    """Check the file as a whole (readable to the end, the needed columns) and count its data rows.
    Rows are numbered from 2 (the header is row 1)."""
    fmt = detect_format(filename, content)
    rows = _rows(fmt, content)
    try:
        try:
            header_raw = next(rows)
        except StopIteration:
            raise FileProblem("the file is empty") from None
        header = [ALIASES.get(h.strip(), h.strip().lower()) for h in header_raw]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise FileProblem("missing column(s): " + ", ".join(missing))
        unknown = [h for h in header if h and h not in COLUMNS]
        if unknown:
            raise FileProblem("unknown column(s): " + ", ".join(unknown[:10]))
        total = sum(1 for _ in rows)
    finally:
        rows.close()
    return Table(content, fmt, header, total)


def _bool(value: str) -> bool:
    v = value.lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ValueError("must be yes/no (1/0, 是/否)")


def to_payload(header: list[str], values: list[str]) -> tuple[dict[str, Any] | None, list[tuple[str, str]]]:
    """One row → a HouseholdIn payload, or the (column, reason) errors found while shaping it."""
    cells = {h: v for h, v in zip(header, values, strict=False) if h and v != ""}
    errors: list[tuple[str, str]] = []
    profile: dict[str, Any] = {}
    for col in PROFILE_COLUMNS:
        if col in cells:
            if col == "pboc_report_clean":
                try:
                    profile[col] = _bool(cells[col])
                except ValueError as exc:
                    errors.append((col, str(exc)))
            else:
                profile[col] = cells[col]
    consent: dict[str, Any] = {"given": False}
    if "consent_given" in cells:
        try:
            consent["given"] = _bool(cells["consent_given"])
        except ValueError as exc:
            errors.append(("consent_given", str(exc)))
    if "consent_date" in cells:
        consent["date"] = cells["consent_date"]
    if "consent_scopes" in cells:
        consent["scopes"] = [s.strip() for s in cells["consent_scopes"].replace("；", ";").replace(",", ";").split(";")
                             if s.strip()]
    if errors:
        return None, errors
    head: dict[str, Any] = {"name": cells.get("head_name", ""), "id_number": cells.get("head_id_number", "")}
    for col, key in (("phone", "phone"), ("political_status", "political_status"), ("education", "education")):
        if col in cells:
            head[key] = cells[col]
    return {"kind": "household", "village": cells.get("village", ""), "group": cells.get("group"), "head": head,
            "profile": profile, "consent": consent}, []


def column_of(loc: tuple[Any, ...]) -> str:
    """Where a validation error of the payload sits in the file."""
    if not loc:
        return "row"
    top = loc[0]
    if top == "head" and len(loc) > 1:
        return {"name": "head_name", "id_number": "head_id_number", "phone": "phone"}.get(str(loc[1]), str(loc[1]))
    if top == "profile" and len(loc) > 1:
        return str(loc[1])
    if top == "consent" and len(loc) > 1:
        return f"consent_{loc[1]}"
    return str(top)


def message_of(error: dict[str, Any]) -> str:
    return clean_message(str(error.get("msg", "invalid")))[:300]
