"""Reading household files as collected in the field: CSV (UTF-8 or GB18030, as Excel saves it
in China) or XLSX, with English or Chinese column headers; one row → one household payload."""
from __future__ import annotations

import csv
import itertools
import zipfile
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from typing import Any, TextIO

from common.i18n import Text, TextError
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


class FileProblem(TextError):
    """The file as a whole cannot be read (not rows: those get per-row errors)."""


def _unreadable_workbook(why: str) -> FileProblem:
    return FileProblem(Text(f"not a readable XLSX workbook ({why})", f"无法读取的 XLSX 工作簿（{why}）"))


@dataclass(frozen=True)
class Limits:
    """How big a file the import takes, checked while the file is first read (one row at a time,
    nothing kept) and before anything is built from it. The defaults fit a whole county (111,000
    households, 28 columns) with room to spare."""

    max_bytes: int = 64 << 20
    max_rows: int = 200_000           # data rows, blank ones included (a file of blank lines is refused)
    max_columns: int = 64
    max_cells: int = 8_000_000
    max_unzipped_bytes: int = 512 << 20  # XLSX: what its parts unpack to (a zip bomb declares more)
    max_shared_strings_bytes: int = 64 << 20  # XLSX: the one part openpyxl holds in memory whole


def detect_format(filename: str, path: Path) -> str:
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic == b"PK\x03\x04" or filename.lower().endswith(".xlsx"):
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
    """A readable file on disk: its format (and text encoding), canonical header and number of data
    rows. The rows are read from the file a chunk at a time (``chunks``): neither the file nor its
    rows are ever all in memory."""

    path: Path
    format: str
    header: list[str]
    total: int
    encoding: str = "utf-8-sig"

    def chunks(self, size: int, first: int | None = None) -> Iterator[tuple[int, list[list[str]]]]:
        """(index of the chunk's first data row, its rows as text), ``first`` rows in the first chunk
        and ``size`` in each other; data row i is row i + 2 of the file."""
        rows = _rows(self.format, self.path, self.encoding)
        try:
            next(rows)  # the header
            start, take = 0, first or size
            while part := list(islice(rows, take)):
                yield start, part
                start, take = start + len(part), size
        finally:
            rows.close()


def _check_workbook(path: Path, limits: Limits) -> None:
    """A zip declares what each part unpacks to, and Python's zipfile never unpacks more than that
    (it stops and fails the CRC): so the declared sizes bound the work, and are checked first."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        raise FileProblem(Text("not a readable XLSX workbook (not a zip archive)",
                               "无法读取的 XLSX 工作簿（不是 zip 压缩包）")) from None
    unzipped = sum(p.file_size for p in parts)
    if unzipped > limits.max_unzipped_bytes:
        raise FileProblem(Text(f"the workbook unpacks to {unzipped} bytes; at most {limits.max_unzipped_bytes}",
                               f"工作簿解压后有 {unzipped} 字节，最多 {limits.max_unzipped_bytes} 字节"))
    strings = sum(p.file_size for p in parts if p.filename.lower().endswith("sharedstrings.xml"))
    if strings > limits.max_shared_strings_bytes:
        raise FileProblem(Text(f"the workbook's shared strings unpack to {strings} bytes; "
                               f"at most {limits.max_shared_strings_bytes}",
                               f"工作簿的共享字符串解压后有 {strings} 字节，最多 {limits.max_shared_strings_bytes} 字节"))


def _sheet_rows(path: Path, limits: Limits | None) -> Generator[list[str], None, None]:
    from openpyxl import load_workbook

    if limits is not None:
        _check_workbook(path, limits)
    with open(path, "rb") as f:  # a file object: openpyxl would judge a path by its suffix
        try:
            wb = load_workbook(f, read_only=True, data_only=True)
        except Exception as exc:
            raise _unreadable_workbook(type(exc).__name__) from None
        try:
            if not wb.worksheets:
                raise FileProblem(Text("the workbook has no sheet", "工作簿中没有工作表"))
            ws = wb.worksheets[0]
            if limits is not None:
                # openpyxl pads every row to the declared width and adds the declared rows that are
                # missing: a sheet declaring A1:XFD1048576 is refused before its first row is read.
                rows, columns = ws.max_row or 0, ws.max_column or 0
                if rows - 1 > limits.max_rows or columns > limits.max_columns:
                    raise FileProblem(Text(f"the sheet declares {rows} rows and {columns} columns; at most "
                                           f"{limits.max_rows} data rows and {limits.max_columns} columns",
                                           f"工作表声明了 {rows} 行 {columns} 列，最多 {limits.max_rows} 行数据、"
                                           f"{limits.max_columns} 列"))
            ws.reset_dimensions()  # the rows as they are in the file, each as wide as its last cell
            sheet = iter(ws.iter_rows(values_only=True))
            while True:
                try:
                    values = next(sheet)
                except StopIteration:
                    return
                except Exception as exc:
                    raise _unreadable_workbook(type(exc).__name__) from None
                yield [_cell(v) for v in values]
        finally:
            wb.close()


def _rows(fmt: str, path: Path, encoding: str, limits: Limits | None = None) -> Generator[list[str], None, None]:
    """Every row of the first sheet (or of the CSV) as stripped text, header included, read from the
    file as it goes. With ``limits`` (the first read) the workbook's declared sizes are checked first."""
    if fmt == "xlsx":
        yield from _sheet_rows(path, limits)
        return
    with open(path, encoding=encoding, newline="") as f:
        try:
            for r in csv.reader(_lines(f)):
                yield [c.strip() for c in r]
        except csv.Error as exc:
            raise FileProblem(Text(f"not a readable CSV file ({exc})", f"无法读取的 CSV 文件（{exc}）")) from None


LINE_LIMIT = 1 << 20  # characters: a row is under a kilobyte; a file of one endless line is refused


def _lines(f: TextIO) -> Iterator[str]:
    """The file's lines, none longer than ``LINE_LIMIT`` (a plain ``for line in f`` would take a
    file without a newline into memory whole)."""
    while line := f.readline(LINE_LIMIT):
        if len(line) == LINE_LIMIT and not line.endswith(("\n", "\r")):
            raise FileProblem(Text(f"a line longer than {LINE_LIMIT} characters", f"有一行超过 {LINE_LIMIT} 个字符"))
        yield line


def _count(rows: Iterator[list[str]], limits: Limits) -> tuple[list[str], int]:
    """The header and the number of data rows, refusing the file once it is over a limit."""
    try:
        header = next(rows)
    except StopIteration:
        raise FileProblem(Text("the file is empty", "文件是空的")) from None
    total, cells = 0, len(header)
    for n, row in enumerate(itertools.chain([header], rows), start=1):
        if n > 1:
            total += 1
            cells += len(row)
        if total > limits.max_rows:
            raise FileProblem(Text(f"more than {limits.max_rows} rows (blank rows count)",
                                   f"超过 {limits.max_rows} 行（空行也计入）"))
        if len(row) > limits.max_columns:
            raise FileProblem(Text(f"row {n} has {len(row)} columns; at most {limits.max_columns}",
                                   f"第 {n} 行有 {len(row)} 列，最多 {limits.max_columns} 列"))
        if cells > limits.max_cells:
            raise FileProblem(Text(f"more than {limits.max_cells} cells", f"超过 {limits.max_cells} 个单元格"))
    return header, total


def open_table(filename: str, path: Path, limits: Limits = Limits()) -> Table:
    """Check the file as a whole (its size, readable to the end, within the limits, the needed
    columns) and count its data rows, reading it once a row at a time. Rows are numbered from 2
    (the header is row 1)."""
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise FileProblem(Text(f"the file has {size} bytes; at most {limits.max_bytes}",
                               f"文件有 {size} 字节，最多 {limits.max_bytes} 字节"))
    fmt = detect_format(filename, path)
    for encoding in ("utf-8-sig", "gb18030"):  # as Excel saves a CSV in China
        rows = _rows(fmt, path, encoding, limits)
        try:
            header_raw, total = _count(rows, limits)
            break
        except UnicodeDecodeError:
            continue
        finally:
            rows.close()
    else:
        raise FileProblem(Text("not UTF-8 or GB18030 text", "不是 UTF-8 或 GB18030 编码的文本"))
    header = [ALIASES.get(h.strip(), h.strip().lower()) for h in header_raw]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise FileProblem(Text("missing column(s): " + ", ".join(missing), "缺少以下列：" + ", ".join(missing)))
    unknown = [h for h in header if h and h not in COLUMNS]
    if unknown:
        raise FileProblem(Text("unknown column(s): " + ", ".join(unknown[:10]), "无法识别的列：" + ", ".join(unknown[:10])))
    return Table(path, fmt, header, total, encoding)


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
