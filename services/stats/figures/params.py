"""Query parameters of the figures API: region codes, months, ``as_of`` month ends, the caller's scope."""
from __future__ import annotations

import calendar
import re
from datetime import date

from common.auth import Principal, Role, forbidden
from common.clock import beijing_month, now
from common.errors import field_error
from common.i18n import Text

LEVEL_OF_LENGTH = {6: "county", 9: "town", 12: "village"}
PARENT_LENGTH = {"county": None, "town": 6, "village": 9}
_REGION = re.compile(r"^\d{6}(\d{3})?(\d{3})?$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def level_of(code: str | None) -> str:
    return "province" if not code else LEVEL_OF_LENGTH.get(len(code), "region")


def region_code(value: str | None, field: str = "region") -> str | None:
    if value is None or value == "":
        return None
    if not _REGION.match(value):
        raise field_error(field, Text("a county (6 digits), town (9) or village (12) statistical area code",
                                      "应为县（6 位）、乡镇（9 位）或村（12 位）的统计用区划代码"))
    return value


def current_month() -> str:
    """This Beijing month (the county's clock, so a test that moves it moves this too)."""
    return beijing_month(now())


def month(value: str, field: str) -> str:
    m = _MONTH.match(value)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise field_error(field, Text("a month as YYYY-MM", "应为月份，格式 YYYY-MM"))
    return value


def month_end(value: str) -> date:
    year, mon = int(value[:4]), int(value[5:7])
    return date(year, mon, calendar.monthrange(year, mon)[1])


def add_months(value: str, n: int) -> str:
    index = int(value[:4]) * 12 + int(value[5:7]) - 1 + n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def as_of_month(value: str | None) -> str | None:
    """``as_of`` names a past month end: ``YYYY-MM``, or a date (the last month end on or before it)."""
    if value is None or value == "":
        return None
    if _MONTH.match(value):
        chosen = month(value, "as_of")
    else:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise field_error("as_of", Text("a month (YYYY-MM) or a date (YYYY-MM-DD)",
                                            "应为月份（YYYY-MM）或日期（YYYY-MM-DD）")) from None
        chosen = f"{day.year:04d}-{day.month:02d}"
        if day != month_end(chosen):
            chosen = add_months(chosen, -1)
    if chosen >= current_month():
        raise field_error("as_of", Text(f"the month end of {chosen} has not come yet; leave as_of out for today's figures",
                                        f"{chosen} 还没到月末；要看今天的数字，请不填 as_of"))
    return chosen


def scope(principal: Principal, region: str | None) -> str | None:
    """The region a caller may read: an officer only its own region and what lies inside it."""
    if principal.role != Role.officer:
        return region
    if region is None:
        return principal.region
    if not principal.in_region(region):
        raise forbidden(Text(f"an officer of region {principal.region} may not read region {region}",
                             f"辖区 {principal.region} 的工作人员不能查看区划 {region} 的数据"))
    return region


def scope_parent(principal: Principal, parent: str | None) -> str | None:
    """For a listing: an officer's listing is narrowed to its own region."""
    if principal.role != Role.officer or principal.region is None:
        return parent
    own = principal.region
    if parent is None or own.startswith(parent):
        return own
    return scope(principal, parent)
