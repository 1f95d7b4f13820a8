"""A corpus of malformed and hostile export files, built by the tests (nothing is checked in).

Each Case names a file (its suffix decides how it is read), builds its bytes, and says what must
come of it: refused with these problems (code, Excel row, column), or ingested with these
payments stored as plain text. ``tests/test_hostile_inputs.py`` runs every case through the real
importer in a forked process that measures its time and peak memory.

The bad payment files carry a row that would change a payment of the earlier, good import (ZF001)
and one that would add a payment (ZF010), so a partial write would show in the snapshot.
"""

from __future__ import annotations

import csv
import io
import random
import struct
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tests.helpers import PAYMENT_HEADER, payment, payment_rows

EARLIER = [payment("ZF001", "2023-03-01", "100.00"), payment("ZF002", "2023-03-02", "200.00")]
CHANGED = payment("ZF001", "2023-03-01", "150.00")  # would update a payment of the earlier import
NEW = payment("ZF010", "2023-03-10", "10.00")  # would add a payment
UNIT = "158001 - 乌鲁木齐市科学技术协会"
GOOD = payment_rows(CHANGED, NEW)  # title, unit row, header (row 3), rows 4 and 5
MB = 1_000_000

# Names a file may carry that must come out as text everywhere (HTML, Slack, Excel, the console).
HOSTILE_NAMES = {
    "script": "<script>alert('x')</script>科普中心",
    "img": '<img src=x onerror="alert(1)">',
    "hyperlink": '=HYPERLINK("http://x","点击")',
    "cmd": "@cmd|' /C calc'!A0",
    "plus": "+1+1",
    "minus": "-2+3",
    "channel": "<!channel> 速看",
    "mention": "<@U0123ABCD> 请付款",
    "link": "<https://evil.example|工资表>",
    "amp": "A&B 公司 &lt;",
}


@dataclass(frozen=True)
class Case:
    name: str  # the file name: its suffix decides the reader
    build: Callable[[], bytes]
    refused: Sequence[tuple] | None = None  # [(code, row, column)], in order; None when ingested
    stored: dict[str, dict] | None = None  # payment_no → {field: value} expected in the database
    memory_mb: int = 200  # peak RSS growth allowed while importing it
    note: str = ""
    first: int | None = None  # compare only the first problems (a long list)
    extra: dict = field(default_factory=dict)  # more checks: e.g. {"total_problems": 1001}


# ---------------------------------------------------------------------------- builders


def text_csv(rows, encoding: str = "utf-8-sig", line_end: str = "\r\n") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=line_end)
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in row])
    return buffer.getvalue().encode(encoding)


def cell_ref(column: int, row: int) -> str:
    letters = ""
    column += 1
    while column:
        column, rem = divmod(column - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row}"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def sheet_xml(rows: Sequence[Sequence[object]], *, start_row: int = 1, extra_rows: str = "",
              doctype: str = "") -> bytes:
    """A worksheet of inline strings and numbers, written by hand (openpyxl cannot write a
    cached formula value, a cell far away or an error cell)."""
    out = [f'<?xml version="1.0" encoding="UTF-8"?>{doctype}'
           '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>']
    for r, row in enumerate(rows, start=start_row):
        cells = []
        for c, value in enumerate(row):
            ref = cell_ref(c, r)
            if value is None or value == "":
                continue
            if isinstance(value, RawCell):
                cells.append(value.xml.replace("{ref}", ref))
            elif isinstance(value, (int, float)):
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            else:
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">'
                             f'{_escape(str(value))}</t></is></c>')
        out.append(f'<row r="{r}">{"".join(cells)}</row>')
    out.append(extra_rows)
    out.append("</sheetData></worksheet>")
    return "".join(out).encode("utf-8")


@dataclass(frozen=True)
class RawCell:
    xml: str  # with {ref} where the cell reference goes


CONTENT_TYPES = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/'
                 b'2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package'
                 b'.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
                 b'"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
                 b'.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
                 b'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
ROOT_RELS = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
             b'2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
             b'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = (b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
            b'2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet '
            b'name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                 b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                 b'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship '
                 b'Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
                 b'Target="styles.xml"/></Relationships>')
STYLES = (b'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
          b'2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts><cellXfs count="2">'
          b'<xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/></cellXfs></styleSheet>')


def workbook(sheet: bytes) -> bytes:
    """A minimal real .xlsx around one worksheet part (calamine and openpyxl read it)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", STYLES)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return buffer.getvalue()


def openpyxl_workbook(rows, text_cells: bool = False) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    if text_cells:  # strings starting with "=" stay strings, not formulas
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def raw_zip(entries: Sequence[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip written field by field: (name, deflated bytes, crc, declared uncompressed size,
    method). Needed for a zip bomb (its data is made by repeating a deflate block, never held
    inflated) and for a part that lies about its size."""
    out, central = io.BytesIO(), io.BytesIO()
    for name, payload, crc, size, method in entries:
        encoded = name.encode()
        offset = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc, len(payload), size,
                              len(encoded), 0))
        out.write(encoded)
        out.write(payload)
        central.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21, crc, len(payload),
                                  size, len(encoded), 0, 0, 0, 0, 0, offset))
        central.write(encoded)
    directory = central.getvalue()
    start = out.tell()
    out.write(directory)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(directory), start, 0))
    return out.getvalue()


def deflated(data: bytes) -> tuple[bytes, int, int, int]:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush(), zlib.crc32(data), len(data), 8


def repeated_deflate(head: bytes, block: bytes, times: int, tail: bytes) -> tuple[bytes, int, int, int]:
    """The deflate stream of head + block × times + tail, built from one compressed block:
    a full flush makes each block's output self-contained, so it can be repeated as is."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = packer.compress(head) + packer.flush(zlib.Z_FULL_FLUSH)
    middle = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    # The same block again compresses to the same bytes only after a flush that resets the
    # window: Z_FULL_FLUSH does. Check once, then repeat.
    again = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    assert again == middle
    last = packer.compress(tail) + packer.flush()
    crc = zlib.crc32(head)
    block_crc_state = crc
    for _ in range(times):
        block_crc_state = zlib.crc32(block, block_crc_state)
    crc = zlib.crc32(tail, block_crc_state)
    payload = first + middle * (times + 1) + last
    return payload, crc, len(head) + len(block) * (times + 1) + len(tail), 8


def bomb_workbook(inflated_gb: float, *, declare: int | None = None) -> bytes:
    """An .xlsx whose sheet part inflates to ``inflated_gb`` GB of spaces inside <sheetData>,
    from a file of about a thousandth of that. ``declare``: the uncompressed size its headers
    claim instead of the true one (a part that lies)."""
    head = sheet_xml(GOOD).split(b"</sheetData>")[0]
    block = b" " * MB
    times = int(inflated_gb * 1000) - 1
    payload, crc, size, method = repeated_deflate(head, block, times, b"</sheetData></worksheet>")
    if declare is not None:
        size = declare
    parts = [(name, *deflated(data)) for name, data in (
        ("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", ROOT_RELS), ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS), ("xl/styles.xml", STYLES))]
    return raw_zip([*parts, ("xl/worksheets/sheet1.xml", payload, crc, size, method)])


def seeded_bytes(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def pdf() -> bytes:
    return (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] "
            b"/Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")


def html_table() -> bytes:
    rows = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in GOOD[2:])
    return (f'<html xmlns:x="urn:schemas-microsoft-com:office:excel"><head><meta charset="utf-8"></head>'
            f"<body><table>{rows}</table></body></html>").encode()


def spreadsheet_2003() -> bytes:
    rows = "".join("<Row>" + "".join(f'<Cell><Data ss:Type="String">{c}</Data></Cell>' for c in row) + "</Row>"
                   for row in GOOD[2:])
    return ('<?xml version="1.0"?><?mso-application progid="Excel.Sheet"?><Workbook xmlns="urn:schemas-microsoft-'
            'com:office:spreadsheet" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="S">'
            f"<Table>{rows}</Table></Worksheet></Workbook>").encode()


def ods_bomb() -> bytes:
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:'
               'opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>'
               '<table:table table:name="S"><table:table-row table:number-rows-repeated="1048576"><table:table-cell '
               'table:number-columns-repeated="16384" office:value-type="string"><text:p>x</text:p></table:table-cell>'
               '</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest:manifest xmlns:manifest='
                                                  '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>')
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("readme.txt", "支付明细见附件")
    return buffer.getvalue()


def truncated_workbook() -> bytes:
    whole = openpyxl_workbook(GOOD)
    return whole[: len(whole) // 2]


def far_cell(reference: str, *, spaces: int = 0) -> bytes:
    """GOOD, and one more cell far away (calamine would allocate everything in between)."""
    gap = " " * spaces
    far = f'<row r="{int("".join(ch for ch in reference if ch.isdigit()))}"><c{gap} r{gap}={gap}"{reference}" ' \
          f't="inlineStr"><is><t>x</t></is></c></row>'
    return workbook(sheet_xml(GOOD, extra_rows=far))


def cells_without_references(count: int) -> bytes:
    cells = '<c t="inlineStr"><is><t>x</t></is></c>' * count
    return workbook(sheet_xml(GOOD, extra_rows=f"<row>{cells}</row>"))


def entity_reference() -> bytes:
    far = '<row r="7"><c r="&#88;FD7" t="inlineStr"><is><t>x</t></is></c></row>'
    return workbook(sheet_xml(GOOD, extra_rows=far))


def billion_laughs() -> bytes:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    rows = [list(r) for r in GOOD]
    rows[4][5] = RawCell('<c r="{ref}" t="inlineStr"><is><t>&lol9;</t></is></c>')
    return workbook(sheet_xml(rows, doctype=f"<!DOCTYPE worksheet [{entities}]>"))


def wide_csv(columns: int) -> bytes:
    header = ",".join([*PAYMENT_HEADER, *(f"列{i}" for i in range(columns - len(PAYMENT_HEADER)))])
    return ("\r\n".join([header, ",".join(CHANGED)]) + "\r\n").encode("utf-8")


def wide_workbook(columns: int) -> bytes:
    cells = "".join(f'<c r="{cell_ref(c, 1)}" t="inlineStr"><is><t>列{c}</t></is></c>' for c in range(columns))
    return workbook(sheet_xml(GOOD[2:], start_row=2, extra_rows="").replace(
        b"<sheetData>", f'<sheetData><row r="1">{cells}</row>'.encode()))


def blank_rows_csv(count: int) -> bytes:
    good = text_csv(GOOD)
    return good + b",,,,,,,\r\n" * (count // 2) + b"\r\n" * (count - count // 2)


def blank_rows_workbook(last_row: int) -> bytes:
    far = f'<row r="{last_row}"><c r="H{last_row}" t="inlineStr"><is><t xml:space="preserve"> </t></is></c></row>'
    return workbook(sheet_xml(GOOD, extra_rows=far))


def formulas_cached() -> bytes:
    rows = [list(r) for r in payment_rows(payment("ZF003", "2023-03-03", "0"), NEW)]
    rows[3][6] = RawCell('<c r="{ref}"><f>100+50</f><v>150</v></c>')
    rows[3][2] = RawCell('<c r="{ref}" t="str"><f>"158001 - "&amp;"科协"</f><v>158001 - 科协</v></c>')
    return workbook(sheet_xml(rows))


def formulas_uncached() -> bytes:
    rows = [list(r) for r in payment_rows(CHANGED, NEW)]
    rows[4][6] = "=5+5"  # openpyxl writes a formula without a cached value: Excel computes it on opening
    return openpyxl_workbook(rows)


def injection_rows() -> list[list[str]]:
    names = HOSTILE_NAMES
    return payment_rows(
        [*payment("ZF003", "2023-03-03", "1.00", unit=f"158003 - {names['hyperlink']}"), names["cmd"], names["plus"]],
        [*payment("ZF004", "2023-03-04", "2.00", unit=f"158004 - {names['minus']}"), "\tTAB", "\rCR 开头"],
    )


def injection_table() -> list[list[str]]:
    rows = injection_rows()
    return [*rows[:2], [*rows[2], "收款人", "用途"], *rows[3:]]


INJECTION_STORED = {
    "ZF003": {"unit_name": HOSTILE_NAMES["hyperlink"], "payee": HOSTILE_NAMES["cmd"], "purpose": HOSTILE_NAMES["plus"]},
    "ZF004": {"unit_name": HOSTILE_NAMES["minus"], "payee": "TAB", "purpose": "CR 开头"},
}


def html_names_rows() -> list[list[str]]:
    names = HOSTILE_NAMES
    return [["支付明细导出表"], ["金额单位：元"], [*PAYMENT_HEADER, "收款人", "用途"],
            [*payment("ZF005", "2023-03-05", "5.00", unit=f"158005 - {names['script']}"),
             names["img"], names["channel"]],
            [*payment("ZF006", "2023-03-06", "6.00", unit=f"158006 - {names['mention']}"), names["link"], names["amp"]]]


HTML_STORED = {
    "ZF005": {"unit_name": HOSTILE_NAMES["script"], "payee": HOSTILE_NAMES["img"], "purpose": HOSTILE_NAMES["channel"]},
    "ZF006": {"unit_name": HOSTILE_NAMES["mention"], "payee": HOSTILE_NAMES["link"], "purpose": HOSTILE_NAMES["amp"]},
}


def dated(*dates: str) -> list[list[str]]:
    return [["2023年支付明细导出表"], ["金额单位：元"], PAYMENT_HEADER, CHANGED,
            *(payment(f"ZF{20 + i}", d, "1.00") for i, d in enumerate(dates))]


def excel_dates() -> bytes:
    rows = [list(r) for r in dated(*(["2023-03-01"] * 5))]
    for i, value in enumerate(["0", "-1", "2958466", "1e10", "NaN"]):
        rows[4 + i][1] = RawCell(f'<c r="{{ref}}" s="1"><v>{value}</v></c>')
    return workbook(sheet_xml(rows))


def amounts(*texts: str) -> list[list[str]]:
    return payment_rows(CHANGED, *(payment(f"ZF{30 + i}", "2023-03-10", t) for i, t in enumerate(texts)))


def excel_nan_inf() -> bytes:
    rows = [list(r) for r in amounts("1", "2", "3")]
    rows[4][6] = RawCell('<c r="{ref}"><v>NaN</v></c>')
    rows[5][6] = RawCell('<c r="{ref}"><v>inf</v></c>')
    rows[6][6] = RawCell('<c r="{ref}"><v>-inf</v></c>')
    return workbook(sheet_xml(rows))


def nul_bytes() -> bytes:
    rows = payment_rows(CHANGED, payment("ZF010", "2023-03-10", "10.00", status="已支\x00付"))
    return text_csv(rows)


def single_line(size: int) -> bytes:
    return b"A" * size


def big_cell(size: int) -> bytes:
    rows = payment_rows(CHANGED, payment("ZF010", "2023-03-10", "10.00", quota="Z" * size))
    return text_csv(rows, encoding="utf-8")


def concatenated() -> bytes:
    return text_csv(payment_rows(CHANGED)) + text_csv(payment_rows(NEW))  # two BOMs, two titles


def invisible_characters() -> bytes:
    rows = payment_rows(payment("ZF\u200b003", "2023-03-03", "3.00", unit="\ufeff158003 - 科普\u200b中心"),
                        payment("ZF004\u2060", "2023-03-04", "4.00", unit="158003 - 科普中心"))
    return text_csv(rows)


def control_characters() -> bytes:
    rows = [["支付明细导出表"], ["金额单位：元"], [*PAYMENT_HEADER, "收款人"],
            [*payment("ZF007", "2023-03-07", "7.00"), "\x1b[31m红色\x1b[0m收款人\x07"]]
    return text_csv(rows)


def unclosed_quote() -> bytes:
    good = text_csv(payment_rows(CHANGED, NEW))
    return good + (b'ZF011,2023-03-11,"158001 - \xe7\xa7\x91\xe5\x8d\x8f,ZB001,2060701,30201,1.00,'
                   b'\xe5\xb7\xb2\xe6\x94\xaf\xe4\xbb\x98\r\n') \
        + text_csv([payment("ZF012", "2023-03-12", "1.00")], encoding="utf-8")


def many_bad_rows(count: int) -> bytes:
    return text_csv(payment_rows(*(payment(f"ZF{n:06}", "2023-03-10", "一百元") for n in range(count))))


def utf8_then_gbk() -> bytes:
    return text_csv(payment_rows(CHANGED)) + text_csv([NEW], encoding="gb18030")


def bom_then_gbk() -> bytes:
    return b"\xef\xbb\xbf" + text_csv(GOOD, encoding="gb18030")


def gbk_then_utf8() -> bytes:
    return text_csv(payment_rows(CHANGED), encoding="gb18030") + text_csv([NEW], encoding="utf-8")


def shift_jis() -> bytes:
    rows = [["支払明細"], ["支払申請番号", "支払日", "予算単位", "金額", "状態"],
            ["ZF001", "2023-03-01", "158001 - 科学技術協会", "150.00", "支払済"]]
    return text_csv(rows, encoding="shift_jis")


def big5() -> bytes:
    rows = [["支付明細導出表"], ["金額單位：元"], ["支付申請號", "支付日期", "預算單位", "支付金額", "支付狀態"],
            ["ZF001", "2023-03-01", "158001 - 烏魯木齊市科學技術協會", "150.00", "已支付"]]
    return text_csv(rows, encoding="big5")


def latin1_mojibake() -> bytes:
    return text_csv(GOOD, encoding="utf-8").decode("latin-1").encode("utf-8")


def latin1_accents() -> bytes:
    header = text_csv([[*PAYMENT_HEADER, "收款人"]], encoding="gb18030")
    row = ["ZF001", "2023-03-01", "158001 - Bureau", "ZB001", "2060701", "30201", "150.00", "paid", "Café Müller"]
    return header + text_csv([row], encoding="latin-1")


# ---------------------------------------------------------------------------- the corpus

R = "refused"
PAID_AT = {"ZF001": {"amount": "150.00"}, "ZF010": {"amount": "10.00"}}

CASES: list[Case] = [
    # -- encodings
    Case("utf16le-no-bom.csv", lambda: "\r\n".join(",".join(r) for r in GOOD).encode("utf-16-le"),
         [("unknown_encoding", None, None)], note="UTF-16 without a BOM"),
    Case("utf16be-no-bom.csv", lambda: "\r\n".join(",".join(r) for r in GOOD).encode("utf-16-be"),
         [("unknown_encoding", None, None)]),
    Case("shift-jis.csv", shift_jis, [("garbled_header", None, None)], note="Shift-JIS"),
    Case("big5.csv", big5, [("garbled_header", None, None)]),
    Case("latin1-mojibake.csv", latin1_mojibake, [("garbled_header", None, None)], note="Latin-1 mojibake"),
    Case("latin1-accents.csv", latin1_accents, [("unknown_encoding", None, None)]),
    Case("utf8-then-gbk.csv", utf8_then_gbk, [("mixed_encoding", 5, None)]),
    Case("bom-then-gbk.csv", bom_then_gbk, [("mixed_encoding", 1, None)]),
    Case("gbk-then-utf8.csv", gbk_then_utf8, [("mixed_encoding", 5, None)]),
    # -- not what the name says, or not a workbook at all
    Case("truncated.xlsx", truncated_workbook, [("file_unreadable", None, None)], note="truncated xlsx"),
    Case("zip-bomb.xlsx", lambda: bomb_workbook(3.0), [("workbook_too_large", None, None)],
         note="a zip bomb (3 GB of sheet XML in 3 MB)"),
    Case("zip-bomb-lying.xlsx", lambda: bomb_workbook(0.3, declare=10_000), [("file_unreadable", None, None)],
         note="a part that lies about its size"),
    Case("far-corner.xlsx", lambda: far_cell("XFD1048576"), [("too_many_columns", None, None)],
         note="two cells at A1 and XFD1048576"),
    Case("tall-and-wide.xlsx", lambda: far_cell("SF1048576"), [("too_many_cells", None, None)]),
    Case("reference-in-spaces.xlsx", lambda: far_cell("XFD1048576", spaces=3 * MB),
         [("too_many_columns", None, None)]),
    Case("cells-without-references.xlsx", lambda: cells_without_references(600), [("too_many_columns", None, None)]),
    Case("entity-reference.xlsx", entity_reference, [("too_many_columns", None, None)]),
    Case("billion-laughs.xlsx", billion_laughs, [("file_unreadable", None, None)], note="billion laughs"),
    Case("csv-named.xlsx", lambda: text_csv(GOOD), [("wrong_content", None, None)], note="a CSV named .xlsx"),
    Case("pdf-named.xlsx", pdf, [("wrong_content", None, None)], note="a PDF named .xlsx"),
    Case("empty.xlsx", lambda: b"", [("empty_file", None, None)], note="an empty .xlsx"),
    Case("html-named.xls", html_table, [("wrong_content", None, None)]),
    Case("spreadsheet-2003.xls", spreadsheet_2003, [("wrong_content", None, None)]),
    Case("xlsx-named.csv", lambda: openpyxl_workbook(GOOD), [("wrong_content", None, None)]),
    Case("random-named.xlsx", lambda: seeded_bytes(4096, 1), [("wrong_content", None, None)]),
    Case("plain-zip.xlsx", plain_zip, [("wrong_content", None, None)]),
    Case("ods-bomb-named.xlsx", ods_bomb, [("wrong_content", None, None)]),
    Case("ods-bomb.ods", ods_bomb, [("unsupported_format", None, None)]),
    Case("binary.csv", lambda: seeded_bytes(100_000, 2), [("not_text", None, None)], note="a binary file named .csv"),
    # -- shapes
    Case("100000-columns.csv", lambda: wide_csv(100_000), [("too_many_columns", None, None)],
         note="100,000 columns"),
    Case("100000-columns.xlsx", lambda: wide_workbook(100_000), [("too_many_columns", None, None)]),
    Case("million-blank-rows.csv", lambda: blank_rows_csv(1_000_000), stored=PAID_AT,
         note="1,000,000 blank rows"),
    Case("million-blank-rows.xlsx", lambda: blank_rows_workbook(1_000_000), stored=PAID_AT, memory_mb=400),
    Case("header-only.csv", lambda: text_csv(payment_rows()), [("no_rows", None, None)], note="a header only"),
    Case("header-and-total.xlsx", lambda: openpyxl_workbook(payment_rows(total="0.00")), [("no_rows", None, None)]),
    Case("english-headers.csv",
         lambda: text_csv([["Payment No", "Date", "Unit", "Amount"], ["ZF001", "2023-03-01", UNIT, "1"]]),
         [("no_header", None, None)], note="headers in English"),
    Case("japanese-headers.csv", lambda: text_csv([["支払番号", "支払日", "金額"], ["ZF001", "2023-03-01", "1"]]),
         [("no_header", None, None)]),
    Case("uyghur-headers.csv", lambda: text_csv([["پۇل تۆلەش نومۇرى", "چېسلا", "سومما"], ["ZF001", "2023-03-01", "1"]]),
         [("no_header", None, None)]),
    Case("duplicate-headers.csv", lambda: text_csv([[*PAYMENT_HEADER, "支付申请号"], [*CHANGED, "ZF099"]]),
         [("duplicate_column", None, None)], note="duplicate headers"),
    Case("nul-bytes.csv", nul_bytes, [("nul_character", 5, None)], note="NUL bytes"),
    Case("50mb-single-line.csv", lambda: single_line(50 * MB), [("cell_too_long", 1, "A")],
         note="a 50 MB single line"),
    Case("50mb-cell.csv", lambda: big_cell(50 * MB), [("cell_too_long", 5, "D")]),
    Case("crlf.csv", lambda: text_csv(GOOD, line_end="\r\n"), stored=PAID_AT, note="CRLF"),
    Case("cr-only.csv", lambda: text_csv(GOOD, line_end="\r"), stored=PAID_AT, note="CR-only line ends"),
    Case("bom-in-the-middle.csv", concatenated, [("bom_in_middle", 5, None)], note="a BOM in the middle"),
    Case("invisible-characters.csv", invisible_characters,
         stored={"ZF003": {"amount": "3.00", "unit_name": "科普中心"}, "ZF004": {"amount": "4.00"}}),
    Case("control-characters.csv", control_characters, stored={"ZF007": {"payee": "[31m红色[0m收款人"}}),
    Case("long-values.csv", lambda: text_csv(payment_rows(
            CHANGED, payment("Z" * 81, "2023-03-10", "1.00"),
            payment("ZF011", "2023-03-11", "1.00", unit="158001 - " + "长" * 201))),
         [("too_long", 5, "支付申请号"), ("too_long", 6, "预算单位")], note="values longer than their columns"),
    Case("unclosed-quote.csv", unclosed_quote, [("unclosed_quote", 6, None)]),
    Case("100000-bad-rows.csv", lambda: many_bad_rows(100_000), [("bad_amount", 4, "支付金额")], first=1,
         extra={"problems": 1001, "last": "too_many_problems"}),
    # -- cells: formulas and what looks like them, markup, dates, amounts
    Case("formula-text.csv", lambda: text_csv(injection_table()), stored=INJECTION_STORED,
         note='=HYPERLINK("http://x","点击"), @cmd, +1+1, -2+3 as text'),
    Case("formula-text.xlsx", lambda: openpyxl_workbook(injection_table(), text_cells=True), stored=INJECTION_STORED),
    Case("formulas-cached.xlsx", formulas_cached,
         stored={"ZF003": {"amount": "150.00", "unit_name": "科协"}, "ZF010": {"amount": "10.00"}},
         note="formulas"),
    Case("formulas-uncached.xlsx", formulas_uncached, [("missing_value", 5, "支付金额")]),
    Case("formula-amounts.csv", lambda: text_csv(amounts("=1+1", "+1+1", "-2+3", "@SUM(1)")),
         [("bad_amount", 5, "支付金额"), ("bad_amount", 6, "支付金额"), ("bad_amount", 7, "支付金额"),
          ("bad_amount", 8, "支付金额")]),
    Case("html-names.csv", lambda: text_csv(html_names_rows()), stored=HTML_STORED,
         note="HTML, script and Slack mentions in names"),
    Case("absurd-dates.csv", lambda: text_csv(dated("9999-12-31", "1900-01-00", "2023-02-30", "0000-01-01",
                                                    "2023-13-01", "99999999")),
         [("date_outside_year", 5, "支付日期"), ("bad_date", 6, "支付日期"), ("bad_date", 7, "支付日期"),
          ("bad_date", 8, "支付日期"), ("bad_date", 9, "支付日期"), ("bad_date", 10, "支付日期")],
         note="absurd dates (9999-12-31, 1900-01-00, 2023-02-30)"),
    Case("absurd-dates.xlsx", excel_dates,
         [("bad_date", 5, "支付日期"), ("bad_date", 6, "支付日期"), ("bad_date", 7, "支付日期"),
          ("bad_date", 8, "支付日期"), ("date_outside_year", 9, "支付日期")]),
    Case("huge-amounts.csv", lambda: text_csv(amounts("1" * 30 + ".00", "9" * 5000, "0." + "1" * 5000, "1e400")),
         [("amount_too_large", 5, "支付金额"), ("amount_too_large", 6, "支付金额"), ("sub_fen", 7, "支付金额"),
          ("bad_amount", 8, "支付金额")], note="amounts of 30 and 5,000 digits"),
    Case("negative-zero.csv", lambda: text_csv(amounts("-0.00", "(0.00)", "－0")),
         stored={"ZF30": {"amount": "0.00"}, "ZF31": {"amount": "0.00"}, "ZF32": {"amount": "0.00"}},
         note="negative zero"),
    Case("nan-inf.csv", lambda: text_csv(amounts("NaN", "inf", "-Infinity", "nan")),
         [("bad_amount", 5, "支付金额"), ("bad_amount", 6, "支付金额"), ("bad_amount", 7, "支付金额"),
          ("bad_amount", 8, "支付金额")], note="NaN/inf"),
    Case("nan-inf.xlsx", excel_nan_inf,
         [("bad_amount", 5, "支付金额"), ("bad_amount", 6, "支付金额"), ("bad_amount", 7, "支付金额")]),
]

BY_NAME = {case.name: case for case in CASES}
assert len(BY_NAME) == len(CASES)
