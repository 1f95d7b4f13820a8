"""Reading an export file into text cells: .xlsx / .xls (calamine) and .csv (UTF-8 or GBK).

Every cell comes back as text, exactly as written: amounts are parsed to fen later, never through
float (docs/PITFALLS.md: ``thousands=","`` yields float64). Row numbers are kept as Excel shows them.

Files come from people, so nothing in them is trusted before it is bounded:

- What a file *is* is told by its first bytes, not its name: a CSV, a PDF or a web page named
  ``.xlsx``, or a workbook named ``.csv``, is refused saying what it really is.
- A workbook (a zip of XML parts) is checked before calamine sees it: the parts' declared
  uncompressed sizes together (a zip bomb: a few kB that inflate to gigabytes), every part's
  CRC while inflating it at most to its declared size (a part that lies about its size), and
  the extent of every sheet from its cell references. calamine reads a sheet as a dense grid
  of 32-byte cells: two cells at A1 and XFD1048576 would ask for 512 GB and abort the process.
- A .xls sheet is at most 65,536 × 256 cells (about 0.5 GB in calamine) by its format; its
  extent is checked once loaded, before it becomes Python objects.
- No cell is longer than Excel allows (32,767 characters), no sheet wider than MAX_COLUMNS.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pandas as pd
import python_calamine
from python_calamine import CalamineWorkbook

from jobs.ingest.headers import HEADER_SCAN_ROWS
from jobs.ingest.problems import Refused, problem

csv.field_size_limit(max(csv.field_size_limit(), 1 << 20))  # the head is 256 kB of text at most
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}  # not .ods: calamine expands its repeated cells (a bomb)
MAX_COLUMNS = 500
MAX_CELLS = 65_536 * 256  # a sheet's extent from A1: a whole .xls sheet, or 1,048,576 rows × 16 columns
MAX_INFLATED = 1 << 30  # bytes: the declared uncompressed size of a workbook's parts, together
MAX_CELL_CHARS = 32_767  # Excel's own limit on the text of a cell
# What calamine raises for a damaged, encrypted or foreign file.
CALAMINE_ERRORS = (
    python_calamine.CalamineError, python_calamine.PasswordError, python_calamine.XmlError,
    python_calamine.ZipError, ValueError, OSError, UnicodeDecodeError, OverflowError,
)


def _calamine(call, *args):
    """A calamine call; what it raises for a file it cannot read becomes a refusal. A panic in
    its Rust code comes out as pyo3's PanicException, a BaseException: caught here too."""
    try:
        return call(*args)
    except CALAMINE_ERRORS as exc:
        raise Refused([_unreadable(exc)]) from exc
    except BaseException as exc:
        if type(exc).__name__ != "PanicException":
            raise
        raise Refused([_unreadable(exc)]) from None


@dataclass(frozen=True)
class Grid:
    """The file as text. ``head`` is the first rows (title, unit row, header) as lists of text;
    ``rows`` is every row as a DataFrame of str whose index is the row number Excel shows."""

    head: list[list[str]]
    rows: pd.DataFrame
    source_format: str  # e.g. "xlsx", "csv/gb18030"
    sheet: str | None = None
    # A workbook's merged cells, as written: the value is in a range's first cell only (the others
    # read blank); jobs/ingest/merged.py spreads it over the range's rows once the columns are known.
    merges: tuple[Merge, ...] = ()


@dataclass(frozen=True)
class Merge:
    """A merged cell: rows as Excel shows them, columns as positions in the grid (0 = A)."""

    first_row: int
    first_column: int
    last_row: int
    last_column: int


def read_grids(path: Path, data: bytes) -> Iterator[Grid]:
    """The file as grids of text: one for a CSV, one per sheet of a workbook (in order)."""
    suffix = path.suffix.lower()
    if not data:
        raise Refused([problem("empty_file")])
    if suffix == ".csv" or suffix == ".txt":
        content = sniff(data)
        if content in ("zip", "ole", "pdf", "html", "xml"):
            raise Refused([wrong_content(suffix, content)])
        yield _read_csv(data)
    elif suffix in EXCEL_SUFFIXES:
        content = sniff(data)
        if content == "zip":
            check_workbook_zip(data, suffix)
        elif content != "ole":
            raise Refused([wrong_content(suffix, "csv" if content == "text" and _is_text(data) else content)])
        yield from _read_excel(data, suffix)
    else:
        raise Refused([problem("unsupported_format", suffix=suffix or "(none)")])


def read_heads(path: Path, data: bytes) -> Iterator[list[list[str]]]:
    """The ``head`` of each grid ``read_grids`` gives, for telling a file's kind before importing
    it (jobs/ingest/batch.py): a CSV's head rows without parsing the rest (its encoding is still
    checked whole); a workbook's sheets as read_grids reads them."""
    if path.suffix.lower() in (".csv", ".txt") and data and sniff(data) not in ("zip", "ole", "pdf", "html", "xml"):
        text, _encoding = decode(data)
        yield _records(text, _delimiter(text))
        return
    for grid in read_grids(path, data):
        yield grid.head


_HTML_STARTS = (b"<!doctype html", b"<html", b"<table", b"<head", b"<meta", b"<body", b"<style", b"<div")


def sniff(data: bytes) -> str:
    """What the first bytes say the file is: zip (an .xlsx), ole (an .xls), pdf, html, xml,
    binary (NULs that are not UTF-16 text) or text."""
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return "zip"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    start = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith(b"%pdf"):
        return "pdf"
    if start.startswith(_HTML_STARTS) or (start.startswith(b"<?xml") and b"<html" in start):
        return "html"
    if start.startswith(b"<?xml"):
        return "xml"
    head = data[:65536]
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")) and not _utf16_without_bom(head):
        return "binary"
    return "text"


def _is_text(data: bytes) -> bool:
    try:
        decode(data[:65536].rsplit(b"\n", 1)[0] if len(data) > 65536 else data)
    except Refused:
        return False
    return True


CONTENT = {  # what a file really is: (zh, en, advice zh, advice en)
    "csv": ("CSV 文本", "CSV text", "请把扩展名改为 .csv", "rename it to .csv"),
    "pdf": ("PDF 文档", "a PDF document", "请从系统导出 Excel 或 CSV 文件",
            "export an Excel or CSV file from the system"),
    "html": ("网页（HTML）", "a web page (HTML)", "请用 Excel 打开并另存为 .xlsx",
             "open it in Excel and save it as .xlsx"),
    "xml": ("XML 文本（如 Excel 2003 XML 表格）", "XML text (such as an Excel 2003 XML spreadsheet)",
            "请用 Excel 打开并另存为 .xlsx", "open it in Excel and save it as .xlsx"),
    "zip": ("Excel 工作簿（.xlsx）", "an Excel workbook (.xlsx)", "请把扩展名改为 .xlsx", "rename it to .xlsx"),
    "ole": ("旧版 Excel 工作簿（.xls）", "an old Excel workbook (.xls)", "请把扩展名改为 .xls", "rename it to .xls"),
    "binary": ("无法识别的二进制数据", "binary data of no known kind", "请重新从系统导出",
               "export it from the system again"),
    "text": ("无法识别的文本", "text of no known kind", "请重新从系统导出", "export it from the system again"),
    "archive": ("压缩包（zip），不是 .xlsx 工作簿", "a zip archive, not an .xlsx workbook",
                "请用 Excel 打开并另存为 .xlsx", "open it in Excel and save it as .xlsx"),
}


def wrong_content(suffix: str, content: str):
    found, found_en, advice, advice_en = CONTENT[content]
    return problem("wrong_content", suffix=suffix, found=found, found_en=found_en, advice=advice,
                   advice_en=advice_en)


HEAD_CHARS = 262_144  # the text the header is looked for in (30 rows at most)


def decode(data: bytes) -> tuple[str, str]:
    """The head of the file as text (HEAD_CHARS), and its encoding, the whole file checked.

    Strict UTF-8 (with or without BOM) first, then GB18030, a superset of GBK (docs/PITFALLS.md).
    UTF-16 with a BOM is what Excel's "Unicode 文本" writes; without one it is not guessed. A file
    that starts in one encoding and goes on in another is refused at the line where it changes.
    The file is checked chunk by chunk, never decoded whole: the parser reads the bytes, and the
    text of a GBK file would take twice its size again."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise Refused([problem("unknown_encoding", hint="", hint_en="")]) from None
        if "\x00" in text:
            raise Refused([problem("nul_character", row=_line_of_text(text, text.index("\x00")))])
        return text[:HEAD_CHARS], "utf-16"
    head = data[:65536]
    nuls = head.count(0)
    if nuls:
        if _utf16_without_bom(head):
            raise Refused([problem("unknown_encoding", hint="（疑为无 BOM 的 UTF-16，请另存为 UTF-8 或 Excel）",
                                   hint_en=" (it looks like UTF-16 without a BOM: save it as UTF-8 or Excel)")])
        if nuls > 8:
            raise Refused([problem("not_text")])
    text, encoding = _decode_text(data, binary_if_unknown=nuls > 0)
    if _looks_binary(text):
        raise Refused([problem("not_text")])
    nul = data.find(b"\x00")
    if nul >= 0:  # a few NULs in a text file: say where, rather than "binary"
        raise Refused([problem("nul_character", row=_line_of(data, nul))])
    return text, encoding


def _check_boms(data: bytes, encoding: str, frame: pd.DataFrame) -> None:
    """A BOM that starts a row other than the first: two exports pasted together. Looked for in
    the bytes first (cheap), then confirmed on the rows, where a BOM inside a quoted cell that
    holds a line end does not count. (One inside a cell is dropped with the other invisible
    characters: values.normalize_text.)"""
    bom = "\ufeff".encode({"utf-8": "utf-8", "gb18030": "gb18030"}.get(encoding, "utf-16-le"))
    if encoding == "utf-16" or b"\n" + bom in data or b"\r" + bom in data:
        starts = frame[0].str.startswith("\ufeff") & (frame.index > 1)
        if starts.any():
            raise Refused([problem("bom_in_middle", row=int(starts.idxmax()))])


class _Undecodable(Exception):
    def __init__(self, offset: int):
        super().__init__(offset)
        self.offset = offset


def _strict(data: bytes, encoding: str, start: int = 0, keep: int = 0) -> str:
    """Check that data[start:] is all ``encoding``, 1 MB at a time; the first ``keep`` characters.
    Raises _Undecodable with the offset of the first bad byte."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    kept: list[str] = []
    size = 0
    for offset in range(start, len(data), _CHUNK):
        pending = len(decoder.getstate()[0])
        try:
            text = decoder.decode(data[offset:offset + _CHUNK], final=offset + _CHUNK >= len(data))
        except UnicodeDecodeError as exc:
            raise _Undecodable(offset - pending + exc.start) from None
        if size < keep:
            kept.append(text[:keep - size])
            size += len(kept[-1])
    return "".join(kept)


def _decode_text(data: bytes, *, binary_if_unknown: bool) -> tuple[str, str]:
    bom = data.startswith(b"\xef\xbb\xbf")
    try:  # "utf-8" past the BOM rather than "utf-8-sig": its errors count offsets from after the BOM
        return _strict(data, "utf-8", start=3 if bom else 0, keep=HEAD_CHARS), "utf-8"
    except _Undecodable as bad:
        sample = data[:min(bad.offset, 1 << 20)]
        multibyte = sum(sample.count(bytes([lead])) for lead in range(0xC2, 0xF5))  # UTF-8 characters before
        if bom or multibyte >= 8:
            raise Refused([_mixed(data, bad.offset, "UTF-8")]) from None
    try:
        return _strict(data, "gb18030", keep=HEAD_CHARS), "gb18030"
    except _Undecodable as bad:
        switch = _utf8_from(data, bad.offset)
        if switch is not None:
            raise Refused([_mixed(data, switch, "GBK")]) from None
        if binary_if_unknown:
            raise Refused([problem("not_text")]) from None
        raise Refused([problem("unknown_encoding", hint="", hint_en="")]) from None


def _mixed(data: bytes, offset: int, first: str):
    then, then_en = ("UTF-8", "UTF-8") if first == "GBK" else ("另一种编码（如 GBK）", "another encoding (such as GBK)")
    return problem("mixed_encoding", row=_line_of(data, offset), first=first, then=then, then_en=then_en)


def _utf8_from(data: bytes, failed: int) -> int | None:
    """Where a GBK file turns into UTF-8: GB18030 failed at ``failed``; if everything from that
    line on is UTF-8, the first of the lines before it that read as UTF-8 too (up to 10,000)."""
    start = max(data.rfind(b"\n", 0, failed), data.rfind(b"\r", 0, failed)) + 1
    try:
        _strict(data, "utf-8", start)
    except _Undecodable:
        return None
    for _ in range(10_000):
        if start == 0:
            break
        previous = max(data.rfind(b"\n", 0, start - 1), data.rfind(b"\r", 0, start - 1)) + 1
        line = data[previous:start]
        if line.isascii():
            break
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            break
        start = previous
    return start


def _line_of(data: bytes, offset: int) -> int:
    """The line (1-based) of a byte offset, with LF, CRLF or CR-only line ends."""
    lines = data.count(b"\n", 0, offset)
    return (lines or data.count(b"\r", 0, offset)) + 1


def _line_of_text(text: str, offset: int) -> int:
    lines = text.count("\n", 0, offset)
    return (lines or text.count("\r", 0, offset)) + 1


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
    if not text.strip() and (len(data) <= HEAD_CHARS or not data.strip()):
        raise Refused([problem("empty_file")])
    delimiter = _delimiter(text)
    head = _records(text, delimiter)
    del text
    width = max((len(r) for r in head), default=0)
    if width > MAX_COLUMNS:
        raise Refused([problem("too_many_columns", found=width, limit=MAX_COLUMNS)])
    for row, cells in enumerate(head, start=1):  # before the parser copies a huge cell twice over
        longest = max(cells, key=len, default="")
        if len(longest) > MAX_CELL_CHARS:
            raise Refused([problem("cell_too_long", row=row, column=column_letter(cells.index(longest)),
                                   length=len(longest), limit=MAX_CELL_CHARS)])
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
    _check_boms(data, encoding, frame)
    if _longest_line(data) > MAX_CELL_CHARS:  # else no cell can be longer (the check costs 0.3 s a million rows)
        _check_cell_lengths(frame)
    return Grid(head, frame, f"csv/{encoding}")


PANDAS_ENCODING = {"utf-8": "utf-8-sig", "gb18030": "gb18030", "utf-16": "utf-16"}


def _longest_line(data: bytes) -> int:
    """The length in bytes of the longest line (LF, CRLF or CR-only line ends), 16 MB at a time."""
    import numpy as np

    if len(data) <= MAX_CELL_CHARS:
        return len(data)
    end = 10 if b"\n" in data else 13
    view = np.frombuffer(data, dtype=np.uint8)
    longest, last, step = 0, -1, 1 << 24
    for start in range(0, len(view), step):
        ends = np.flatnonzero(view[start:start + step] == end) + start
        if len(ends):
            longest = max(longest, int(ends[0]) - last - 1, int(np.diff(ends).max(initial=1)) - 1)
            last = int(ends[-1])
    return max(longest, len(view) - last - 1)


def _check_cell_lengths(frame: pd.DataFrame) -> None:
    for position in frame.columns:
        lengths = frame[position].str.len()
        if lengths.max() > MAX_CELL_CHARS:
            row = lengths.idxmax()
            raise Refused([problem("cell_too_long", row=int(row), column=column_letter(position),
                                   length=int(lengths[row]), limit=MAX_CELL_CHARS)])


def column_letter(position: int) -> str:
    """0 → A, 25 → Z, 26 → AA: the column as Excel names it."""
    letters = ""
    position += 1
    while position:
        position, rem = divmod(position - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _records(text: str, delimiter: str) -> list[list[str]]:
    """The first rows of the file as the parser will see them: lines end at CR, LF or CRLF only
    (str.splitlines() also ends them at form feeds, U+2028 and others, and a title holding one
    would shift the header against the rows below it), a quoted cell may hold a line end."""
    rows = []
    for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
        rows.append(row)
        if len(rows) == HEADER_SCAN_ROWS:
            break
    return rows


def _delimiter(text: str) -> str:
    """The separator that splits the head rows into the most columns: a comma normally, a tab
    for Excel's "Unicode 文本", a semicolon in some exports. (csv.Sniffer trips on title rows.)"""
    def widest(delimiter: str) -> int:
        return max((len(row) for row in _records(text, delimiter)), default=0)

    return max((",", "\t", ";", "|"), key=widest)  # max() keeps the first on a tie: the comma


def _ragged(message: str, width: int):
    # pandas: "Error tokenizing data. C error: Expected 12 fields in line 7, saw 13"
    match = re.search(r"line (\d+), saw (\d+)", message)
    if match:
        return problem("ragged_row", row=int(match[1]), found=int(match[2]), expected=width)
    # "EOF inside string starting at row 3": a quote opened and never closed (rows from 0)
    match = re.search(r"EOF inside string starting at row (\d+)", message)
    if match:
        return problem("unclosed_quote", row=int(match[1]) + 1)
    return problem("file_unreadable", reason=message.splitlines()[-1])


# ---------------------------------------------------------------------------- workbooks

_SPACES = bytes.maketrans(b"\t\r\n", b"   ")  # XML's whitespace, as one kind
_ANY_REF = re.compile(rb' r *= *["\']')  # every r="…" attribute (of a <row> or a <c>)
_REF_ROW = re.compile(rb' r *= *["\'][A-Z]{0,7}(\d{1,7})["\']')  # a well-formed one: its row
_REF_COLUMN = re.compile(rb' r *= *["\']([A-Z]{1,7})\d')  # a cell's column letters
_PARTIAL_REF = re.compile(rb' r *(?:= *(?:["\'][A-Z]{0,7}\d{0,7})?)?')
_CELL_TAGS = (b"<c ", b"<c>", b"<c/>")
_ROW_TAGS = (b"<row ", b"<row>", b"<row/>")
_PREFIXED = re.compile(rb":(?:c|row)[ />]")  # <x:c …>: a namespace prefix (":" is rare in a sheet)
_CHUNK = 1 << 20


def check_workbook_zip(data: bytes, suffix: str = ".xlsx") -> None:
    """Refuse a zip bomb, a damaged part or a sheet too large before calamine inflates anything
    (see the module docstring). Inflating happens here part by part, at most to each part's
    declared size, so memory stays at one chunk and time at what the sizes declare."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        parts = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
        raise Refused([_unreadable(exc)]) from exc
    if "xl/workbook.xml" not in {info.filename for info in parts}:
        raise Refused([wrong_content(suffix, "archive")])  # an .ods, an .xlsb, a .docx, a plain zip
    declared = sum(info.file_size for info in parts)
    if declared > MAX_INFLATED:
        raise Refused([problem("workbook_too_large", size=_megabytes(declared), limit=_megabytes(MAX_INFLATED),
                               packed=_megabytes(len(data)))])
    for info in parts:
        try:
            _check_part(archive, info)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError,
                OSError) as exc:  # a bad CRC (a part larger than declared), encryption, a method unknown
            raise Refused([_unreadable(exc)]) from exc


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:,.1f} MB"


class _Extent:
    """How far the cells of one part reach, from their references, as calamine will place them."""

    def __init__(self):
        self.rows = self.columns = 0
        self.refs = self.row_refs = self.cell_refs = self.cells = self.row_tags = 0
        self.prefixed = False

    def check(self) -> None:
        if self.columns > MAX_COLUMNS:
            raise Refused([problem("too_many_columns", found=self.columns, limit=MAX_COLUMNS)])
        if self.rows * self.columns > MAX_CELLS:
            raise Refused([problem("too_many_cells", rows=self.rows, columns=self.columns, limit=MAX_CELLS)])


def _check_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Every part, not only xl/worksheets/*: a workbook's relationships may point a sheet anywhere."""
    extent = _Extent()
    carry = b""
    merges = 0
    with archive.open(info) as part:
        while chunk := part.read(_CHUNK):
            buffer = carry + chunk.translate(_SPACES)
            merges = _count_merges(merges, buffer)
            rows, letters = _REF_ROW.findall(buffer), _REF_COLUMN.findall(buffer)
            if rows:
                extent.rows = max(extent.rows, max(map(int, rows)))
            for column in set(letters):
                extent.columns = max(extent.columns, _column_number(column))
            extent.check()
            counts: tuple[int, ...] = _counts(buffer, len(rows), len(letters))
            if carry:  # what the carried end of the last chunk held was counted with that chunk
                old = _counts(carry, len(_REF_ROW.findall(carry)), len(_REF_COLUMN.findall(carry)))
                counts = tuple(n - o for n, o in zip(counts, old))
            extent.refs += counts[0]
            extent.row_refs += counts[1]
            extent.cell_refs += counts[2]
            extent.cells += counts[3]
            extent.row_tags += counts[4]
            extent.prefixed = extent.prefixed or _PREFIXED.search(buffer) is not None
            carry = _carry(buffer)
    # A cell or row without a well-formed reference is placed after the one before it: count
    # them as calamine does (rare: Excel, openpyxl and the payment systems write every "r").
    if (extent.prefixed or extent.refs != extent.row_refs + extent.cell_refs
            or extent.cells > extent.cell_refs or extent.row_tags > extent.row_refs):
        _walk_part(archive, info)


MAX_MERGES = 100_000  # merged ranges in one part: each becomes Python objects (~260 bytes) when read


def _count_merges(count: int, buffer: bytes) -> int:
    """Merged ranges so far (one in the carried end of a chunk may count twice): calamine keeps them
    compact, but read into Python 30 million of them (what 1 GB of XML holds) would take some 8 GB."""
    count += buffer.count(b"mergeCell ")  # <mergeCell …>, <x:mergeCell …>; not <mergeCells …>
    if count > MAX_MERGES:
        raise Refused([problem("too_many_merges", found=f"{count:,}", limit=f"{MAX_MERGES:,}")])
    return count


def _counts(buffer: bytes, with_row: int, cell_refs: int) -> tuple[int, int, int, int, int]:
    refs = len(_ANY_REF.findall(buffer))
    cells = sum(buffer.count(tag) for tag in _CELL_TAGS)
    rows = sum(buffer.count(tag) for tag in _ROW_TAGS)
    return refs, with_row - cell_refs, cell_refs, cells, rows


def _carry(buffer: bytes) -> bytes:
    """The end of a chunk that may hold the start of a reference or a tag cut by the chunk's end."""
    carry = buffer[-16:]
    start = buffer.rfind(b" r", max(0, len(buffer) - 4096))
    if start < 0:
        start = buffer.rfind(b" r")
    if start >= 0 and _PARTIAL_REF.fullmatch(buffer, start):
        partial = re.sub(rb" {2,}", b" ", buffer[start:])  # a long run of spaces: one is enough
        carry = partial if len(partial) > len(carry) else carry
    return carry


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


_REF = re.compile(r"([A-Z]{0,7})(\d{1,7})")


def _walk_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """The exact placement of every row and cell, through a real XML parser (expat refuses
    entity expansion attacks): slower, for the parts whose references the quick scan could not
    trust. Stops as soon as the extent is too large."""
    import pyexpat

    extent = _Extent()
    position = {"row": -1, "column": -1}

    def start(name: str, attributes: dict) -> None:
        local = name.rpartition(":")[2]
        if local not in ("row", "c"):
            return
        reference = attributes.get("r")
        if local == "row":
            if reference is not None and reference.isdigit() and len(reference) <= 7:
                position["row"] = int(reference) - 1
            elif reference is not None:
                raise Refused([problem("file_unreadable", reason=f"bad row reference {reference[:20]!r}")])
            else:
                position["row"] += 1
            position["column"] = -1
        elif reference is not None:
            match = _REF.fullmatch(reference)
            if not match or not match[1]:
                raise Refused([problem("file_unreadable", reason=f"bad cell reference {reference[:20]!r}")])
            position["row"] = int(match[2]) - 1
            position["column"] = _column_number(match[1].encode()) - 1
        else:
            position["column"] += 1
        extent.rows = max(extent.rows, position["row"] + 1)
        extent.columns = max(extent.columns, position["column"] + 1)
        extent.check()

    parser = pyexpat.ParserCreate()
    parser.StartElementHandler = start
    try:
        with archive.open(info) as part:
            while chunk := part.read(_CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except pyexpat.ExpatError as exc:
        if info.filename.lower().endswith((".xml", ".rels", ".vml")):
            raise Refused([problem("file_unreadable", reason=f"{info.filename}: {exc}")]) from exc
        # not XML at all (an image, a VBA project): calamine does not parse it as a sheet either


def _read_excel(data: bytes, suffix: str) -> Iterator[Grid]:
    workbook = _calamine(CalamineWorkbook.from_filelike, io.BytesIO(data))
    names = _calamine(lambda: workbook.sheet_names)
    found_any = False
    for index, name in enumerate(names):
        sheet = _calamine(workbook.get_sheet_by_index, index)
        grid = _calamine(_sheet_grid, sheet, suffix, name)
        if grid is None:
            continue
        found_any = True
        yield grid
    if not found_any:
        raise Refused([problem("empty_file")])


def _sheet_grid(sheet, suffix: str, name: str) -> Grid | None:
    """One sheet as text, row by row: blank rows are dropped as they come (a sheet may reach
    row 1,048,576 with nothing in between), row numbers stay those Excel shows."""
    if sheet.end is None:
        return None
    height, width = sheet.end[0] + 1, sheet.end[1] + 1  # from A1, as Excel numbers them
    if width > MAX_COLUMNS:
        raise Refused([problem("too_many_columns", found=width, limit=MAX_COLUMNS)])
    if height * width > MAX_CELLS:  # a .xls: loaded already, bounded by its format
        raise Refused([problem("too_many_cells", rows=height, columns=width, limit=MAX_CELLS)])
    head: list[list[str]] = []
    kept: list[list[str]] = []
    numbers: list[int] = []
    count = 0
    for count, values in enumerate(sheet.iter_rows(), start=1):
        blank = values.count("") + values.count(None) == len(values)
        if blank and count > HEADER_SCAN_ROWS:
            continue
        cells = [_cell_text(v) for v in values]
        cells = [""] * (width - len(cells)) + cells  # rows start at the sheet's first used column
        if count <= HEADER_SCAN_ROWS:
            head.append(cells)
        if not blank and any(cells):
            longest = max(cells, key=len)
            if len(longest) > MAX_CELL_CHARS:
                raise Refused([problem("cell_too_long", row=count, column=column_letter(cells.index(longest)),
                                       length=len(longest), limit=MAX_CELL_CHARS)])
            kept.append(cells)
            numbers.append(count)
    if not kept:
        return None
    shift = max(height - count, 0)  # rows counted from the sheet's first used row, not from A1
    if shift:
        numbers = [n + shift for n in numbers]
        head = ([[""] * width for _ in range(min(shift, HEADER_SCAN_ROWS))] + head)[:HEADER_SCAN_ROWS]
    frame = pd.DataFrame(kept, columns=range(width), dtype=str, index=numbers)
    return Grid(head, frame, suffix.lstrip("."), name, _merges(sheet, width))


def _merges(sheet, width: int) -> tuple[Merge, ...]:
    """The sheet's merged ranges of more than one cell, cut to its width. calamine gives them
    0-based from A1, for .xlsx and for BIFF8 .xls alike (None when it has none to give)."""
    found = []
    for (top, left), (bottom, right) in sheet.merged_cell_ranges or ():
        right = min(right, width - 1)
        if left <= right and (top, left) != (bottom, right):
            found.append(Merge(top + 1, left, bottom + 1, right))
    return tuple(found)


def _unreadable(exc: Exception):
    reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    return problem("file_unreadable", reason=reason)


def _cell_text(value: object) -> str:
    """A typed Excel cell → the text a person sees (docs/PITFALLS.md: Excel numbers are floats)."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)  # "nan", "inf": shown, and refused as an amount or a date
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
