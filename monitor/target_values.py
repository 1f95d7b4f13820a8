"""指标值, the value of a performance target as budget tables write it: ``>=35 场次``, ``<=61.85万元``.

``parse_target`` reads the text the way the 绩效目标表 of real budget documents have it, PDF
extraction included: ASCII or full-width signs (``≥ ≧ ＞＝ > =``), Chinese words (``不低于``,
``不超过``, ``大于等于``, ``达到`` …), suffixes (``90%以上``, ``24小时以内``), spaces anywhere (a
digit group split by a stray space, ``< =6000 0 元``, is 60000 元), thousands separators, and
the qualitative ``不断提高`` family (operator ``improve``, no value).

Decisions:

- A bare value without an operator (``35场次``) reads as ``>=`` and is flagged ``implied``: in
  a target table a number is a floor unless it says otherwise. ``monitor.targets.Target`` reads
  an implied money value of a cost indicator (成本指标) as a cap, ``<=``.
- Ranges (``5-10个``), negative values, two numbers and values finer than one fen for money
  are refused; so is anything longer than 100 characters.
- Money values are kept in the measure written (万元 stays 万元); ``fen`` gives the exact amount.
- A measure is words, not a second value: one with Chinese numerals (``>=3五个``) is refused —
  except one leading 万/千/亿 (``万人次``, ``千元``) and 百分点 — and so is a date (``12月底前``,
  ``2023年12月底前``, ``2024-12-31``): a deadline goes in the 完成时限 column. ``10日内``,
  ``3个工作日内`` are durations, read like ``以内`` (``<=``).
- A value with neither an operator nor a number (``及时``, ``达标``) is refused: a target needs
  a number, or a qualitative 不断提高.
"""

from __future__ import annotations

import calendar as _gregorian
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, localcontext

OPERATORS = (">=", "<=", ">", "<", "=", "improve")
MAX_LENGTH = 100
MONEY_YUAN = {"元": 1, "千元": 1_000, "万元": 10_000, "亿元": 100_000_000}
EXAMPLES = "≥5个、<=61.85万元、>=90%、不断提高"

# Longest first: "大于等于" before "大于", ">=" before ">".
_WORD_OPERATORS = (
    ("大于或等于", ">="), ("大于等于", ">="), ("不低于", ">="), ("不少于", ">="), ("不小于", ">="),
    ("至少", ">="), ("达到", ">="), ("高于", ">"), ("大于", ">"), ("多于", ">"), ("超过", ">"),
    ("小于或等于", "<="), ("小于等于", "<="), ("不高于", "<="), ("不超过", "<="), ("不多于", "<="),
    ("不大于", "<="), ("至多", "<="), ("控制在", "<="), ("低于", "<"), ("小于", "<"), ("少于", "<"),
    ("等于", "="),
)
_SIGN_OPERATORS = (
    (">=", ">="), ("=>", ">="), ("<=", "<="), ("=<", "<="), ("==", "="),
    (">", ">"), ("<", "<"), ("=", "="),
)
_SUFFIXES = (("及以上", ">="), ("以上", ">="), ("及以下", "<="), ("以下", "<="), ("以内", "<="))
_SYMBOLS = str.maketrans({
    "≥": ">=", "≧": ">=", "⩾": ">=", "≤": "<=", "≦": "<=", "⩽": "<=",
    "﹥": ">", "﹤": "<", "﹦": "=", "〉": ">", "〈": "<",
    "－": "-", "—": "-", "–": "-", "~": "-", "～": "-", "〜": "-",
})
_IMPROVE = re.compile(
    r"(?:不断|逐步|逐年|持续|稳步|有所|进一步|显著|明显|大幅|逐渐|稳定)?"
    r"(?:提高|提升|改善|增强|增长|增加|上升|优化)"
)
_CHINESE_NUMERALS = frozenset("〇零一二三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟萬")
_NUMERAL_WORDS = ("百分点",)  # measures that are words, although they hold a numeral
_PREFIXES = {"千": 3, "万": 4, "亿": 8}  # a measure's leading unit prefix, as a power of ten
_FULL_DATE = re.compile(r"[-/.]\d{1,2}(?:[-/.]\d{1,2})?日?")  # after a 4-digit year: 2024-12-31
_WITHIN = re.compile(r"(个工作日|工作日|个月|小时|分钟|个小时|天|日|周|个周)内")  # 10日内: a duration
_DATE_WORD = re.compile(r"[年月日号](?:.*[底末初前后内止旬]|.*\d)")
_NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?|\d+(?:\.\d+)?")
_MEASURE = re.compile(r"[A-Za-z%‰/\u4e00-\u9fff]{0,12}")


class TargetParseError(ValueError):
    """A target value that cannot be read: ``.zh`` and ``.en`` say what and give examples."""

    def __init__(self, text: object, zh: str, en: str) -> None:
        self.text = text
        self.zh = f"无法识别的指标值「{text}」：{zh}。可接受的写法如：{EXAMPLES}"
        self.en = f"cannot read the target value {text!r}: {en}. Accepted, e.g.: {EXAMPLES}"
        super().__init__(self.en)


@dataclass(frozen=True)
class TargetValue:
    operator: str  # one of OPERATORS
    value: Decimal | None  # None only for "improve"
    measure: str  # "个", "场次", "人次", "%", "万元", "元", "小时" … ; "" if none
    text: str  # the original text
    implied: bool = False  # True when no operator was written and ">=" was assumed

    @property
    def is_money(self) -> bool:
        return self.measure in MONEY_YUAN

    @property
    def yuan_per_unit(self) -> int | None:
        """Yuan in one unit of the measure (10000 for 万元); None when not money."""
        return MONEY_YUAN.get(self.measure)

    @property
    def fen(self) -> int | None:
        """The value as integer fen for a money measure, else None."""
        if not self.is_money or self.value is None:
            return None
        return int(self.value * MONEY_YUAN[self.measure] * 100)

    @property
    def is_cap(self) -> bool:
        return self.operator in ("<=", "<")

    @property
    def is_floor(self) -> bool:
        return self.operator in (">=", ">", "=")


def _normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).translate(_SYMBOLS)
    return re.sub(r"\s+", "", folded).rstrip("。.;；,，")


def _take_operator(body: str) -> tuple[str | None, str]:
    for prefixes in (_SIGN_OPERATORS, _WORD_OPERATORS):
        for prefix, operator in prefixes:
            if body.startswith(prefix):
                rest = body[len(prefix):]
                # "≥" followed by a word operator ("≥不低于") or a second sign: refuse below.
                return operator, rest
    return None, body


def _take_suffix(measure: str) -> tuple[str | None, str]:
    for suffix, operator in _SUFFIXES:
        if measure.endswith(suffix):
            return operator, measure[: -len(suffix)]
    return None, measure


def parse_target(text: str) -> TargetValue:
    """Read a 指标值 cell. Raises TargetParseError (a ValueError) with a message in zh and en."""
    if not isinstance(text, str) or not text.strip():
        raise TargetParseError(text, "指标值为空", "the value is empty")
    if len(text) > MAX_LENGTH:
        raise TargetParseError(text[:20] + "…", f"超过{MAX_LENGTH}个字符", f"longer than {MAX_LENGTH} characters")
    body = _normalise(text)
    if _IMPROVE.fullmatch(body):
        return TargetValue("improve", None, "", text)
    operator, rest = _take_operator(body)
    if rest.startswith(("-", "负")):
        raise TargetParseError(text, "指标值不能为负数", "a target value cannot be negative")
    if rest[:1] and (rest[0] in "<>=" or _take_operator(rest)[0] is not None):
        raise TargetParseError(text, "比较符号重复或不完整", "the operator is repeated or incomplete")
    number = _NUMBER.match(rest)
    if number is None:
        if rest[:1] in _CHINESE_NUMERALS:
            raise TargetParseError(text, "数值请用阿拉伯数字书写", "write the number in digits")
        if operator:
            raise TargetParseError(text, "缺少数值", "no number")
        raise TargetParseError(
            text, "没有比较符号和数值：绩效目标须有数值（如 ≥5个、>=90%），定性目标请写“不断提高”",
            "neither an operator nor a number: a target needs a number (such as ≥5个 or >=90%), or a "
            "qualitative 不断提高 (keeps improving)")
    measure = rest[number.end():]
    if (len(number.group()) == 4 and _FULL_DATE.fullmatch(measure)) or _looks_like_date(measure):
        raise TargetParseError(
            text, "这是日期而不是目标值：时效指标请用 完成时限/开始日期 列写日期，指标值写数值（如 ≥1次）",
            "this is a date, not a target value: use the 完成时限/开始日期 columns for a deadline, and a "
            "number (such as >=1次) for the value")
    within = _WITHIN.fullmatch(measure)
    if within:  # "10日内" as "10日以内"
        measure = within.group(1) + "以内"
    if re.search(r"\d", measure):
        if measure.startswith(("-", "至", "到")):
            raise TargetParseError(text, "不接受区间，请写一个目标值", "ranges are not accepted; give one value")
        raise TargetParseError(text, "含有两个数值", "it holds two numbers")
    suffix, measure = _take_suffix(measure)
    if measure.startswith("(") and measure.endswith(")"):
        measure = measure[1:-1]
    if suffix is not None:
        if operator is not None and operator[0] != suffix[0]:
            raise TargetParseError(text, "前后比较方向矛盾", "the operator and the suffix disagree")
        operator = operator or suffix
    if not _MEASURE.fullmatch(measure):
        raise TargetParseError(text, f"无法识别的计量单位「{measure}」", f"unknown measure {measure!r}")
    if _has_numerals(measure):
        raise TargetParseError(text, f"计量单位「{measure}」含有中文数字：数值请只写一次，用阿拉伯数字，如 ≥5个",
                               f"the measure {measure!r} holds Chinese numerals: write the number once, in "
                               f"digits, such as ≥5个")
    try:
        value = Decimal(number.group().replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern only matches numbers
        raise TargetParseError(text, "数值无效", "invalid number") from None
    spec = TargetValue(operator or ">=", value, measure, text, implied=operator is None)
    yuan_per_unit = spec.yuan_per_unit  # None when not money
    if yuan_per_unit is not None and value * yuan_per_unit * 100 != int(value * yuan_per_unit * 100):
        raise TargetParseError(text, "金额精确到分以下", "the amount is finer than one fen")
    return spec


def _looks_like_date(measure: str) -> bool:
    """年/月/日 after the number with a date word or a second number: 12月底前, 年12月31日."""
    if _WITHIN.fullmatch(measure):
        return False
    return bool(_DATE_WORD.match(measure))


def _has_numerals(measure: str) -> bool:
    rest = measure[1:] if measure[:1] in _PREFIXES else measure
    for word in _NUMERAL_WORDS:
        rest = rest.replace(word, "")
    return any(ch in _CHINESE_NUMERALS for ch in rest)


def _split_prefix(measure: str) -> tuple[str, int]:
    """(the measure without its 千/万/亿 prefix, the prefix's power of ten): 万人次 → (人次, 4)."""
    if len(measure) > 1 and measure[0] in _PREFIXES:
        return measure[1:], _PREFIXES[measure[0]]
    return measure, 0


def convert_measure(value: Decimal, old: str, new: str) -> Decimal | None:
    """``value`` in the ``old`` measure written in the ``new`` one, exactly (12000 人次 → 1.2 万人次,
    3 万元 → 30000 元); None when the two measures differ otherwise than by a 千/万/亿 prefix."""
    if old == new:
        return value
    (old_base, old_power), (new_base, new_power) = _split_prefix(old), _split_prefix(new)
    if old_base != new_base:
        return None
    with localcontext() as context:  # scaleb moves the decimal point: exact, whatever the digits
        context.prec = 100
        converted = value.scaleb(old_power - new_power).normalize()
        if converted == converted.to_integral_value():
            converted = converted.quantize(Decimal(1))  # 30000, not 3E+4
    return converted if len(format(converted, "f")) <= 40 else None  # what the database holds


def describe(spec: TargetValue) -> str:
    """The canonical text of a target value: ``>=35场次``, ``<=61.85万元``, ``improve``."""
    if spec.operator == "improve":
        return "不断提高"
    return f"{spec.operator}{spec.value}{spec.measure}"


# --- milestone schedules: the cumulative value expected by each date --------------------------

_QUARTER_ENDS = ((3, 31), (6, 30), (9, 30), (12, 31))
_HALF_ENDS = ((6, 30), (12, 31))
_DATED = re.compile(r"(?:(\d{4})[-/.年])?(\d{1,2})[-/.月](\d{1,2})日?[:=](\S+)")


class MilestoneError(ValueError):
    """A milestone schedule that cannot be read: ``.zh`` and ``.en`` say what and how to write it."""

    def __init__(self, zh: str, en: str) -> None:
        self.zh = f"{zh}。可接受的写法如：9/18/27/35（季末）或 3-31:9; 6-30:18; 9-30:27; 12-31:35"
        self.en = f"{en}. Accepted, e.g.: 9/18/27/35 (quarter ends) or 3-31:9; 6-30:18; 9-30:27; 12-31:35"
        super().__init__(self.en)


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, _gregorian.monthrange(year, month)[1])


def _milestone_value(token: str) -> Decimal:
    try:
        value = Decimal(token)
    except InvalidOperation:
        raise MilestoneError(f"「{token}」不是数值", f"{token!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise MilestoneError(f"「{token}」不是非负数值", f"{token!r} is not a non-negative number")
    return value


def parse_milestones(text: str, year: int) -> tuple[tuple[dt.date, Decimal], ...]:
    """Read a milestone schedule; blank text means none (along the time schedule).

    ``9/18/27/35``: 4 values are the quarter ends, 12 the month ends, 2 the half-year ends.
    ``3-31:9; 6-30:18`` or ``2024-03-31=9,2024-06-30=18``: dated values (the year may be left
    out). Dates must lie in ``year`` and increase; values must not decrease. No thousands
    separators: the comma separates entries.
    """
    body = re.sub(r"[ \t]+", "", unicodedata.normalize("NFKC", text or "")).strip(";,、\n")
    if not body:
        return ()
    if len(body) > 400:
        raise MilestoneError("进度节点过长", "the milestone schedule is too long")
    if ":" in body or "=" in body:
        points = []
        for entry in filter(None, re.split(r"[;,、\n]+", body)):
            match = _DATED.fullmatch(entry)
            if match is None:
                raise MilestoneError(f"无法识别的节点「{entry}」", f"cannot read the milestone {entry!r}")
            entry_year = int(match.group(1) or year)
            if entry_year != year:
                raise MilestoneError(f"节点「{entry}」不在{year}年内", f"the milestone {entry!r} is outside {year}")
            try:
                day = dt.date(year, int(match.group(2)), int(match.group(3)))
            except ValueError:
                raise MilestoneError(f"节点「{entry}」的日期无效",
                                     f"the milestone {entry!r} has an invalid date") from None
            points.append((day, _milestone_value(match.group(4))))
    else:
        values = [_milestone_value(t) for t in re.split(r"[/;,、\n]+", body) if t]
        ends = {4: _QUARTER_ENDS, 2: _HALF_ENDS, 12: tuple((m, 0) for m in range(1, 13))}.get(len(values))
        if ends is None:
            raise MilestoneError(
                f"不带日期的节点须为2个（半年）、4个（季度）或12个（月度），实际为{len(values)}个",
                f"undated milestones must be 2 (half years), 4 (quarters) or 12 (months), not {len(values)}",
            )
        points = [(_month_end(year, m), v) for (m, _), v in zip(ends, values)]
    for (d0, v0), (d1, v1) in zip(points, points[1:]):
        if d1 <= d0:
            raise MilestoneError(f"节点日期须递增：{d1} 不晚于 {d0}", f"dates must increase: {d1} is not after {d0}")
        if v1 < v0:
            raise MilestoneError(f"累计值不能减少：{d1} 的 {v1} 小于 {v0}",
                                 f"cumulative values cannot decrease: {v1} on {d1} < {v0}")
    return tuple(points)
