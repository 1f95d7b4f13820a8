"""Reading an export file into text cells: .xlsx / .xls (calamine) and .csv (UTF-8 or GBK).

Every cell comes back as text, exactly as written: amounts are parsed to fen later, never through
float (PITFALLS.md: ``thousands=","`` yields float64). Row numbers are kept as Excel shows them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from decimal import Decimal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import python_calamine
from python_calamine import CalamineWorkbook

from jobs.ingest.headers import HEADER_SCAN_ROWS
from jobs.ingest.problems import Refused, problem

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
MAX_COLUMNS = 500
# What calamine raises for a damaged, encrypted or foreign file.
CALAMINE_ERRORS = (
    python_calamine.CalamineError, python_calamine.PasswordError, python_calamine.XmlError,
    python_calamine.ZipError, ValueError, OSError, UnicodeDecodeError,
)


@dataclass(frozen=True)
class Grid:
    """The file as text. ``head`` is the first rows (title, unit row, header) as lists of text;
    ``rows`` is every row as a DataFrame of str whose index is the row number Excel shows."""

    head: list[list[str]]
    rows: pd.DataFrame
    source_format: str  # e.g. "xlsx", "csv/gb18030"
    sheet: str | None = None


def read_grids(path: Path, data: bytes) -> Iterator[Grid]:
    """The file as grids of text: one for a CSV, one per sheet of a workbook (in order)."""
    suffix = path.suffix.lower()
    if not data:
        raise Refused([problem("empty_file")])
    if suffix == ".csv" or suffix == ".txt":
        yield _read_csv(data)
    elif suffix in EXCEL_SUFFIXES:
        yield from _read_excel(data, suffix)
    else:
        raise Refused([problem("unsupported_format", suffix=suffix or "(none)")])


def decode(data: bytes) -> tuple[str, str]:
    """Strict UTF-8 (with or without BOM) first, then GB18030, a superset of GBK (PITFALLS.md).
    UTF-16 with a BOM is what Excel's "Unicode 文本" writes; without one it is not guessed."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise Refused([problem("unknown_encoding", hint="", hint_en="")]) from None
    head = data[:65536]
    if b"\x00" in head:
        if _utf16_without_bom(head):
            raise Refused([problem("unknown_encoding", hint="（疑为无 BOM 的 UTF-16，请另存为 UTF-8 或 Excel）",
                                   hint_en=" (it looks like UTF-16 without a BOM: save it as UTF-8 or Excel)")])
        raise Refused([problem("not_text")])
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_binary(text):
            raise Refused([problem("not_text")])
        return text, "utf-8" if encoding == "utf-8-sig" else encoding
    raise Refused([problem("unknown_encoding", hint="", hint_en="")])


def _utf16_without_bom(head: bytes) -> bool:
    """Text in UTF-16 has a NUL in most odd (LE) or even (BE) bytes; binary files do not."""
    odd, even = head[1::2], head[0::2]
    return max(odd.count(0), even.count(0)) > 0.4 * (len(head) // 2)


def _looks_binary(text: str) -> bool:
    sample = text[:65536]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\r\n\t\f")
    return controls > max(8, len(sample) // 100)


def _read_csv(data: bytes) -> Grid:
    text, encoding = decode(data)  # strict: a file in a wrong encoding is refused, not guessed
    if not text.strip():
        raise Refused([problem("empty_file")])
    head_lines = text[:262144].splitlines()[:HEADER_SCAN_ROWS]
    del text  # the parser reads the bytes; keeping both copies doubles the peak memory
    delimiter = _delimiter(head_lines)
    head = [list(r) for r in csv.reader(head_lines, delimiter=delimiter)]
    width = max((len(r) for r in head), default=0)
    if width > MAX_COLUMNS:
        raise Refused([problem("file_unreadable", reason=f"{width} columns (at most {MAX_COLUMNS})")])
    try:
        # Bytes, not a StringIO: pandas re-encodes a text stream chunk by chunk, which is slow
        # on Chinese text (bench/README.md).
        frame = pd.read_csv(
            io.BytesIO(data), encoding=PANDAS_ENCODING[encoding], header=None, names=range(width),
            dtype=str, sep=delimiter, keep_default_na=False, na_filter=False, skip_blank_lines=False,
            engine="c", index_col=False,
        )
    except pd.errors.ParserError as exc:
        raise Refused([_ragged(str(exc), width)]) from exc
    frame.index = frame.index + 1  # line numbers as an editor or Excel shows them
    return Grid(head, frame, f"csv/{encoding}")


PANDAS_ENCODING = {"utf-8": "utf-8-sig", "gb18030": "gb18030", "utf-16": "utf-16"}


def _delimiter(lines: list[str]) -> str:
    """The separator that splits the head rows into the most columns: a comma normally, a tab
    for Excel's "Unicode 文本", a semicolon in some exports. (csv.Sniffer trips on title rows.)"""
    def widest(delimiter: str) -> int:
        return max((len(row) for row in csv.reader(lines, delimiter=delimiter)), default=0)

    return max((",", "\t", ";", "|"), key=widest)  # max() keeps the first on a tie: the comma


def _ragged(message: str, width: int):
    # pandas: "Error tokenizing data. C error: Expected 12 fields in line 7, saw 13"
    match = re.search(r"line (\d+), saw (\d+)", message)
    if match:
        return problem("ragged_row", row=int(match[1]), found=int(match[2]), expected=width)
    return problem("file_unreadable", reason=message.splitlines()[-1])


def _read_excel(data: bytes, suffix: str) -> Iterator[Grid]:
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = workbook.sheet_names
    except CALAMINE_ERRORS as exc:
        raise Refused([_unreadable(exc)]) from exc
    found_any = False
    for index, name in enumerate(names):
        try:
            values = workbook.get_sheet_by_index(index).to_python(skip_empty_area=False)
        except CALAMINE_ERRORS as exc:
            raise Refused([_unreadable(exc)]) from exc
        width = max((len(r) for r in values), default=0)
        if width > MAX_COLUMNS:
            raise Refused([problem("file_unreadable", reason=f"{width} columns (at most {MAX_COLUMNS})")])
        rows = [[_cell_text(v) for v in row] + [""] * (width - len(row)) for row in values]
        if not any(any(cell for cell in row) for row in rows):
            continue
        found_any = True
        frame = pd.DataFrame(rows, columns=range(width), dtype=str)
        frame.index = frame.index + 1
        yield Grid([list(r) for r in rows[:HEADER_SCAN_ROWS]], frame, suffix.lstrip("."), name)
    if not found_any:
        raise Refused([problem("empty_file")])


def _unreadable(exc: Exception):
    reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    return problem("file_unreadable", reason=reason)


def _cell_text(value: object) -> str:
    """A typed Excel cell → the text a person sees (PITFALLS.md: Excel numbers are floats)."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        # As Excel shows it (15 significant digits), so a sub-fen amount stays visible and is
        # refused later rather than rounded away; format() avoids exponent notation.
        return format(Decimal(f"{value:.15g}"), "f")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()
