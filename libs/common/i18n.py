"""Chinese for people, codes for machines: the two languages a problem document speaks.

Every message a caller reads (a problem's ``title``, ``detail`` and ``errors[].message``) is a
``Text`` holding English and Simplified Chinese; the request's ``Accept-Language`` picks one
(``negotiate``), the service's ``language`` setting when it names neither. What a program branches
on (``type``, ``errors[].field``) is never translated."""
from __future__ import annotations

import re
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Literal

Language = Literal["zh-CN", "en"]
LANGUAGES: tuple[Language, ...] = ("zh-CN", "en")
DEFAULT_LANGUAGE: Language = "zh-CN"


@dataclass(frozen=True, slots=True)
class Text:
    """One message in both languages (文本: 英文 + 简体中文)."""

    en: str
    zh: str

    def get(self, lang: str) -> str:
        return self.zh if lang.lower().startswith("zh") else self.en

    def __str__(self) -> str:  # logs, exception messages and the CLI read the English
        return self.en


Localized = str | Text


class TextError(ValueError):
    """A validator's refusal in both languages: pydantic reports it as a ``value_error`` whose
    context keeps this exception, so the problem document can show the Chinese."""

    def __init__(self, text: Text) -> None:
        super().__init__(text.en)
        self.text = text


def render(value: Localized, lang: str) -> str:
    return value.get(lang) if isinstance(value, Text) else value


# Simplified Chinese only: a reader who asks for Traditional (zh-TW, zh-HK, zh-Hant) is not given
# it as if it were what they asked for; their next choice (or the default) decides.
_TRADITIONAL = re.compile(r"^zh-(hant|tw|hk|mo)(-|$)")
_RANGE = re.compile(r"^(\*|[a-z]{1,8}(-[a-z0-9]{1,8})*)$")
_MAX_RANGES = 32  # a header is a handful of languages; the rest of a huge one is ignored


def _matches(language_range: str, language: Language) -> bool:
    if language == "en":
        return language_range == "en" or language_range.startswith("en-")
    return (language_range == "zh" or language_range.startswith("zh-")) and not _TRADITIONAL.match(language_range)


def negotiate(accept_language: str | None, default: str = DEFAULT_LANGUAGE) -> Language:
    """The language to answer in: ``zh-CN`` or ``en``, by the ``Accept-Language`` header's ranges
    and q-values (RFC 9110 12.5.4: the most specific range naming a language gives its weight,
    ``*`` gives the rest theirs, q=0 refuses). ``zh``, ``zh-CN`` and ``zh-Hans`` mean Chinese, ``en``
    and ``en-*`` English; a header naming neither acceptably (or none) gets ``default``."""
    fallback: Language = "en" if default.lower().startswith("en") else "zh-CN"
    if not accept_language:
        return fallback
    ranges: list[tuple[str, float]] = []
    for part in accept_language.split(",")[:_MAX_RANGES]:
        tag, *params = (p.strip() for p in part.split(";"))
        tag = tag.lower()
        if not tag or not _RANGE.match(tag):
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = -1.0
        if 0.0 <= q <= 1.0:
            ranges.append((tag, q))
    # Each language's weight and the position of the range that gave it (earlier wins a tie).
    best: list[tuple[float, int, int, Language]] = []
    for language in (fallback, *(lang for lang in LANGUAGES if lang != fallback)):
        chosen: tuple[int, float, int] | None = None  # (specificity, q, position)
        for position, (tag, q) in enumerate(ranges):
            if tag == "*":
                specificity = 0
            elif _matches(tag, language):
                specificity = tag.count("-") + 1
            else:
                continue
            if chosen is None or specificity > chosen[0]:
                chosen = (specificity, q, position)
        if chosen is not None and chosen[1] > 0:
            # A language reached only by "*" ranks after any named one of the same weight.
            position = chosen[2] if chosen[0] else len(ranges)
            best.append((chosen[1], -position, -len(best), language))
    return max(best)[3] if best else fallback


# Words every service uses in its messages: the kinds of credit subject (信用主体).
KINDS_ZH = {"household": "农户", "new_entity": "新型农业经营主体", "collective": "村集体经济组织", "village": "行政村"}


# The English title of a problem that has no title of its own, by status (sentence case, the
# house style; 413 is about the body, which is all a client sends).
_TITLES_EN = {401: "Unauthorized", 404: "Not found", 413: "Request body too large", 500: "Internal error"}

# The Chinese title of each standard HTTP status (4xx and 5xx, the ones a problem can carry).
TITLES_ZH: dict[int, str] = {
    400: "请求有误",
    401: "未通过身份认证",
    402: "需要付款",
    403: "无权访问",
    404: "未找到",
    405: "不支持该请求方法",
    406: "无法提供所要求的格式",
    407: "需要代理认证",
    408: "请求超时",
    409: "与现有数据冲突",
    410: "已不存在",
    411: "需要注明请求长度",
    412: "前提条件不成立",
    413: "请求内容过大",
    414: "请求地址过长",
    415: "不支持的内容类型",
    416: "请求的范围无法满足",
    417: "无法满足 Expect 要求",
    418: "我是茶壶",
    421: "请求发错了服务器",
    422: "请求内容无效",
    423: "已被锁定",
    424: "所依赖的请求失败",
    425: "请求过早",
    426: "需要升级协议",
    428: "需要前提条件",
    429: "请求过于频繁",
    431: "请求头过大",
    451: "因法律原因不可提供",
    500: "服务器内部错误",
    501: "尚未实现",
    502: "上游服务出错",
    503: "服务暂不可用",
    504: "上游服务超时",
    505: "不支持的 HTTP 版本",
    506: "内容协商出错",
    507: "存储空间不足",
    508: "检测到循环",
    510: "缺少所需的扩展",
    511: "需要网络认证",
}


def status_title(status: int) -> Text:
    """The standard title of ``status`` in both languages."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    en = _TITLES_EN.get(status) or phrase[:1] + phrase[1:].lower()
    return Text(en, TITLES_ZH.get(status, "请求出错" if status < 500 else "服务出错"))


def standard_title(status: int, title: str) -> Text | None:
    """``title`` in both languages if it is the standard title of ``status`` (as HTTP or the
    house style spells it), else None."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return None
    if title.lower() in {phrase.lower(), _TITLES_EN.get(status, phrase).lower()}:
        return Text(title, TITLES_ZH.get(status, title))
    return None


# Chinese for pydantic's validation messages, by error type; ``{...}`` are the error's context
# (min_length, gt, expected, ...). English stays pydantic's own message.
FIELD_MESSAGES_ZH: dict[str, str] = {
    "missing": "必填，不能缺少",
    "missing_argument": "必填，不能缺少",
    "extra_forbidden": "不允许有这个字段",
    "string_type": "应为文本",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符",
    "string_pattern_mismatch": "格式不对（应符合 {pattern}）",
    "string_unicode": "应为有效的 Unicode 文本",
    "too_short": "至少 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数，不能带小数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "finite_number": "应为有限的数字",
    "decimal_type": "应为数字（金额请用字符串，如 \"100.00\"）",
    "decimal_parsing": "应为数字（金额请用字符串，如 \"100.00\"）",
    "decimal_max_digits": "最多 {max_digits} 位数字",
    "decimal_max_places": "最多 {decimal_places} 位小数",
    "decimal_whole_digits": "整数部分最多 {whole_digits} 位",
    "greater_than": "必须大于 {gt}",
    "greater_than_equal": "不能小于 {ge}",
    "less_than": "必须小于 {lt}",
    "less_than_equal": "不能大于 {le}",
    "multiple_of": "必须是 {multiple_of} 的整数倍",
    "bool_type": "应为是或否（true/false）",
    "bool_parsing": "应为是或否（true/false）",
    "date_type": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_inexact": "应为日期，不能带时刻",
    "date_past": "应为过去的日期",
    "date_future": "应为将来的日期",
    "datetime_type": "应为时间（ISO 8601，带时区）",
    "datetime_parsing": "应为时间（ISO 8601，带时区）",
    "datetime_from_date_parsing": "应为时间（ISO 8601，带时区）",
    "timezone_aware": "时间须带时区",
    "timezone_naive": "时间不能带时区",
    "time_parsing": "应为时刻（HH:MM:SS）",
    "literal_error": "应为以下之一：{expected}",
    "enum": "应为以下之一：{expected}",
    "list_type": "应为列表",
    "tuple_type": "应为列表",
    "set_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "json_invalid": "不是有效的 JSON",
    "json_type": "应为 JSON 文本",
    "uuid_type": "应为 UUID",
    "uuid_parsing": "应为 UUID",
    "url_parsing": "应为网址",
    "url_type": "应为网址",
    "url_scheme": "网址的协议不被接受",
    "bytes_type": "应为字节串",
    "bytes_too_long": "最多 {max_length} 字节",
    "bytes_too_short": "至少 {min_length} 字节",
    "union_tag_invalid": "类型标记 {tag} 不是以下之一：{expected_tags}",
    "union_tag_not_found": "缺少类型标记 {discriminator}",
}


def _generic(field: str) -> str:
    return f"字段 {field} 的值不符合要求"


def field_message_zh(error: dict[str, Any], field: str) -> str:
    """The Chinese message for one pydantic error (an item of ``ValidationError.errors()``)."""
    ctx = error.get("ctx") or {}
    kind = str(error.get("type", ""))
    if kind in ("value_error", "assertion_error"):
        cause = ctx.get("error")
        return cause.text.zh if isinstance(cause, TextError) else _generic(field)
    template = FIELD_MESSAGES_ZH.get(kind)
    if template is None:
        return _generic(field)
    try:
        return template.format(**ctx)
    except (KeyError, IndexError, ValueError):
        return _generic(field)
