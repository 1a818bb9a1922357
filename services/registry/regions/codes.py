"""Statistical area codes (统计用区划代码): the level is told by the length, the parent by the prefix.
County 6 digits, town (镇/街道) 9, village (村/社区) 12, village group (村民组) 13 to 15."""
from __future__ import annotations

import re

from common.i18n import Text

COUNTY, TOWN, VILLAGE, GROUP = "county", "town", "village", "group"
LEVELS = (COUNTY, TOWN, VILLAGE, GROUP)
_CODE = re.compile(r"^\d{6}(\d{3}(\d{3}(\d{1,3})?)?)?$")


def code_problem(code: str) -> Text | None:
    if not _CODE.match(code):
        return Text("must be 6 (county), 9 (town), 12 (village) or 13-15 (village group) digits",
                    "应为 6 位（县）、9 位（乡镇）、12 位（村）或 13 至 15 位（村民小组）数字")
    return None


def level_of(code: str) -> str:
    n = len(code)
    return COUNTY if n == 6 else TOWN if n == 9 else VILLAGE if n == 12 else GROUP


def parent_of(code: str) -> str | None:
    n = len(code)
    return None if n == 6 else code[:6] if n == 9 else code[:9] if n == 12 else code[:12]


def split_codes(village: str, group: str | None = None) -> dict[str, str | None]:
    """The region object of the events: county, town, village (and group) codes of a village."""
    return {"county": village[:6], "town": village[:9], "village": village, "group": group}
