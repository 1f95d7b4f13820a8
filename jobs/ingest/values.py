"""Parsing single cell texts into values. Each parser returns the value, or raises ValueError
with the problem code (and parameters) that explains what was expected."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from typing import TypeVar

# Amounts: after NFKC (full-width → ASCII), an optional currency sign or 元, a sign or
# parentheses, and digits with correctly placed thousand separators: "1,234.56", "-100",
# "(1,234.00)". "1.000,00" or "1,2,3" are refused rather than guessed.
_CURRENCY = re.compile(r"^[¥￥]|元$")
_NUMBER = re.compile(r"[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?")
_MINUS_SIGNS = str.maketrans({"\u2212": "-", "—": "-", "–": "-"})
MAX_FEN = 10**14  # one trillion yuan: nothing a budget unit pays


class CellError(ValueError):
    """A cell could not be parsed; ``code`` and ``params`` say why (see problems.MESSAGES)."""

    def __init__(self, code: str, **params: object):
        super().__init__(code)
        self.code = code
        self.params = params


# Characters nobody sees: control characters (an ESC sequence would recolour a terminal), a BOM
# left by two files pasted together, zero-width spaces. "ZF001" with a BOM in front would be
# another payment than "ZF001".
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u2060\ufeff]")


def normalize_text(text: str) -> str:
    """NFKC folds full-width digits, letters, commas and brackets to ASCII; invisible characters
    are dropped; spaces trimmed."""
    s = unicodedata.normalize("NFKC", text)
    if not s.isprintable():  # fast path: nothing to drop in almost every cell
        s = _INVISIBLE.sub("", s)
    return s.strip()


_PLAIN_YUAN = re.compile(r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?")


def parse_fen(text: str, scale_fen: int = 100) -> int:
    """Amount text → integer fen. ``scale_fen`` is fen per unit of the file (100 for 元,
    1,000,000 for 万元). Exact: no float on the way."""
    if scale_fen == 100:  # fast path for the common "12,345.67" (a million rows, most unique)
        plain = _PLAIN_YUAN.fullmatch(text)
        if plain and len(plain[1]) <= 20:  # int() refuses 4,300 digits and more: Decimal below does not
            whole, cents = plain.groups()
            value = int(whole.replace(",", "")) * 100 + int((cents or "0").ljust(2, "0"))
            if value < MAX_FEN:
                return value
    s = _CURRENCY.sub("", normalize_text(text).translate(_MINUS_SIGNS)).strip()
    negative = s.startswith("(") and s.endswith(")")
    if negative:
        s = s[1:-1].strip()
        if s[:1] in "+-":
            raise CellError("bad_amount")
    if not s or not any(ch.isdigit() for ch in s) or not _NUMBER.fullmatch(s):
        raise CellError("bad_amount")
    fen = Decimal(s.replace(",", "")) * scale_fen
    if fen != fen.to_integral_value():
        raise CellError("sub_fen", unit="元" if scale_fen == 100 else "万元", hint="", hint_en="")
    value = -int(fen) if negative else int(fen)
    if abs(value) >= MAX_FEN:
        raise CellError("amount_too_large")
    return value


_DATE_PATTERNS = (
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
    re.compile(r"(\d{4})\.(\d{1,2})\.(\d{1,2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)
_EXCEL_EPOCH = dt.date(1899, 12, 30)  # Excel's serial 1 is 1900-01-01 (with the 1900 leap bug)
_TIME_SUFFIX = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")


def parse_date(text: str) -> dt.date:
    """2023-03-31, 2023/3/31, 2023.3.31, 20230331, 2023年3月31日, an Excel serial; a time of
    day after the date is ignored."""
    s = _TIME_SUFFIX.sub("", normalize_text(text)).replace(" ", "")
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(s)
        if match:
            year, month, day = (int(g) for g in match.groups())
            try:
                return dt.date(year, month, day)
            except ValueError as exc:
                raise CellError("bad_date") from exc
    if re.fullmatch(r"\d{5}(\.0+)?", s):
        serial = int(float(s))
        if 20000 <= serial <= 80000:  # 1954 … 2119: a plausible Excel serial date
            return _EXCEL_EPOCH + dt.timedelta(days=serial)
    raise CellError("bad_date")


def parse_year(text: str) -> int:
    s = normalize_text(text).removesuffix("年度").removesuffix("年")
    if re.fullmatch(r"\d{4}(\.0+)?", s):
        year = int(float(s))
        if 2000 <= year <= 2100:
            return year
    raise CellError("bad_year")


# "158001 - 乌鲁木齐市科学技术协会", "158001-名称", "[158001]名称", "【158001】名称", "158001 名称"
_CODE_NAME = re.compile(
    r"[\[【(]?(?P<code>[0-9A-Za-z][0-9A-Za-z._]*)[\]】)]?\s*(?:[-－—–_:：|/]+\s*|\s+|(?<=[\]】)]))(?P<name>.+)"
)
_CODE_ONLY = re.compile(r"[0-9A-Za-z][0-9A-Za-z._]*")


def parse_code_name(text: str) -> tuple[str, str | None]:
    """A combined "code - name" cell → (code, name); a bare code → (code, None).
    A bare name raises: it cannot identify anything reliably."""
    s = normalize_text(text)
    match = _CODE_NAME.fullmatch(s)
    if match and any(ch.isdigit() for ch in match["code"]):
        return match["code"], match["name"].strip()
    if _CODE_ONLY.fullmatch(s) and any(ch.isdigit() for ch in s):
        return s, None
    raise CellError("bad_code_name")


_Choice = TypeVar("_Choice")


def parse_choice(text: str, choices: Mapping[str, _Choice]) -> _Choice:
    key = normalize_text(text).replace(" ", "")
    if key in choices:
        return choices[key]
    raise CellError("bad_choice", choices="、".join(dict.fromkeys(choices)))


YES_NO = {"是": True, "否": False, "Y": True, "N": False, "y": True, "n": False,
          "1": True, "0": False, "√": True, "": False, "TRUE": True, "FALSE": False}


def parse_flag(text: str) -> bool:
    key = normalize_text(text)
    if key in YES_NO:
        return YES_NO[key]
    raise CellError("bad_choice", choices="是、否")
