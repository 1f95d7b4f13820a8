"""One invented department's records, and the files the payment systems of several vendors would
export them as (tests/test_vendor_layouts.py). The records are generated; every file is written
from them, and the test's expected figures are summed from the records, never from a file.

A style names what differs between vendors' exports (docs/DOMAIN.md, "Inputs"): how a code and a
name share a cell, the unit of amounts and how negatives are written, title, unit, cover and
footer rows, subtotals, the container (xlsx, BIFF8 xls, GBK CSV, UTF-16 tab-separated text).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

import openpyxl

YEAR = 2023
DEPARTMENT = ("312", "乌鲁木齐市水务局")
UNITS = (("312001", "乌鲁木齐市水务局机关"), ("312002", "乌鲁木齐市水利工程管理站"),
         ("312003", "乌鲁木齐市节约用水办公室"), ("312004", "乌鲁木齐市水土保持监督站"))
FUNCTIONAL = (("2130101", "行政运行"), ("2130306", "水利工程运行与维护"), ("2130314", "防汛"))
ECONOMIC = (("30201", "办公费"), ("30211", "差旅费"), ("30213", "维修（护）费"), ("30226", "劳务费"),
            ("31002", "办公设备购置"))
STATUS = {"paid": "已支付", "voided": "已作废", "pending": "待支付", "returned": "已退回"}


@dataclass(frozen=True)
class Line:
    quota_no: str
    unit: tuple[str, str]
    functional: tuple[str, str]
    economic: tuple[str, str]
    project: tuple[str, str] | None
    initial: int  # fen
    adjustment: int

    @property
    def current(self) -> int:
        return self.initial + self.adjustment


@dataclass(frozen=True)
class Pay:
    payment_no: str
    day: dt.date | None
    line: Line
    amount: int  # fen, negative for a reversal voucher (已退回)
    status: str  # paid | voided | pending | returned
    payee: str

    @property
    def counts(self) -> bool:
        return self.status == "paid" or (self.status == "returned" and self.amount < 0)


@dataclass(frozen=True)
class Adj:
    adjustment_no: str
    day: dt.date
    line: Line
    amount: int
    reason: str


@dataclass(frozen=True)
class Records:
    lines: tuple[Line, ...]
    payments: tuple[Pay, ...]
    adjustments: tuple[Adj, ...]

    def budget_by_unit(self) -> dict[str, Decimal]:
        return _by_unit((line.unit[0], line.current) for line in self.lines)

    def paid_by_unit(self) -> dict[str, Decimal]:
        return _by_unit((p.line.unit[0], p.amount) for p in self.payments if p.counts)

    def adjusted_by_unit(self) -> dict[str, Decimal]:
        return _by_unit((a.line.unit[0], a.amount) for a in self.adjustments)


def _by_unit(pairs) -> dict[str, Decimal]:
    sums: dict[str, int] = {}
    for unit, fen in pairs:
        sums[unit] = sums.get(unit, 0) + fen
    return {unit: Decimal(fen) / 100 for unit, fen in sorted(sums.items())}


def generate(seed: int = 16, lines_per_unit: int = 4, payments_per_line: int = 5) -> Records:
    rng = random.Random(seed)
    lines = []
    for u, unit in enumerate(UNITS):
        for n in range(lines_per_unit):
            project = None if n % 2 == 0 else (f"{unit[0]}23{n:04d}", f"{unit[1][-4:]}专项{n}")
            initial = rng.randrange(5_000_000, 90_000_000)  # 5 万 … 90 万元, any fen
            adjustment = rng.choice([0, 0, rng.randrange(-1_000_000, 3_000_000)])
            lines.append(Line(f"ZB{YEAR}-{u + 1}{n:03d}", unit, rng.choice(FUNCTIONAL), rng.choice(ECONOMIC),
                              project, initial, adjustment))
    payments, number = [], 0
    for line in lines:
        for _ in range(payments_per_line):
            number += 1
            status = rng.choices(["paid", "voided", "pending"], [8, 1, 1])[0]
            amount = rng.randrange(10_000, line.initial // (payments_per_line * 2))
            day = dt.date(YEAR, 1, 1) + dt.timedelta(days=rng.randrange(365))
            payments.append(Pay(f"ZF{YEAR}{number:05d}", day, line, amount, status, f"供应商{number % 7}"))
            if status == "paid" and number % 9 == 0:  # a reversal voucher of that payment
                number += 1
                payments.append(Pay(f"ZF{YEAR}{number:05d}", min(day + dt.timedelta(days=3), dt.date(YEAR, 12, 31)),
                                    line, -amount, "returned", f"供应商{number % 7}"))
    adjustments = []
    for n, line in enumerate(lines[::3]):
        amount = rng.randrange(100_000, 2_000_000) * (1 if n % 2 == 0 else -1)
        adjustments.append(Adj(f"TZ{YEAR}{n + 1:04d}", dt.date(YEAR, 3 + n % 9, 10 + n % 15), line, amount,
                               "项目调整" if amount > 0 else "预算压减"))
    return Records(tuple(lines), tuple(payments), tuple(adjustments))


# --- how a vendor writes it ---------------------------------------------------------------------


@dataclass(frozen=True)
class Style:
    name: str
    container: str = "xlsx"  # xlsx | xls | csv-gbk | csv-utf8 | txt-utf16 | tsv
    coded: str = "dash"  # dash "312001 - 名称" | bracket "[312001]名称" | separate code and name columns
    amounts: str = "plain"  # plain 1234.56 | thousands 1,234.56 and (1,234.56) | wan 0.123456 (万元)
    title: bool = True
    covers: bool = False  # a 封面 and a 说明 sheet before the data
    subtotals: bool = False  # a named 小计 under each unit's rows, and a 合计
    total: bool = False  # a 合计 row under the rows
    footer: bool = False  # 制表人 / 打印日期 under the rows
    merged_header: bool = False  # a quota header over two rows: 金额 over 年初 / 调整 / 调整后
    year_column: bool = False
    extra: dict = field(default_factory=dict)


STYLES = (
    Style("separate-code-name", coded="separate", year_column=True),
    Style("bracket-code-name", coded="bracket"),
    Style("wan-yuan-6-decimals", amounts="wan", total=True),
    Style("cover-and-notes-sheets", covers=True),
    Style("subtotals-per-unit", subtotals=True),
    Style("utf16-txt", container="txt-utf16", title=False),
    Style("biff8-xls-merged-header", container="xls", merged_header=True),
    Style("tsv-parenthesised-negatives", container="tsv", amounts="thousands", total=True),
    Style("gbk-csv-title-and-footer", container="csv-gbk", footer=True),
)


def _amount(fen: int, style: Style) -> str:
    if style.amounts == "wan":
        return f"{Decimal(fen) / 1_000_000:.6f}"
    yuan = Decimal(fen) / 100
    if style.amounts == "thousands":
        return f"({-yuan:,.2f})" if yuan < 0 else f"{yuan:,.2f}"
    return f"{yuan:.2f}"


def _coded(pair: tuple[str, str] | None, style: Style) -> list[str]:
    if pair is None:
        return ["", ""] if style.coded == "separate" else [""]
    if style.coded == "separate":
        return list(pair)
    return [f"[{pair[0]}]{pair[1]}"] if style.coded == "bracket" else [f"{pair[0]} - {pair[1]}"]


def _coded_header(name: str, code: str, label: str, style: Style) -> list[str]:
    return [code, label] if style.coded == "separate" else [name]


def _dimension_header(style: Style) -> list[str]:
    return [*_coded_header("预算单位", "单位编码", "单位名称", style),
            *_coded_header("功能分类", "功能分类编码", "功能分类名称", style),
            *_coded_header("经济分类", "经济分类编码", "经济分类名称", style)]


def _dimensions(line: Line, style: Style) -> list[str]:
    return [*_coded(line.unit, style), *_coded(line.functional, style), *_coded(line.economic, style)]


@dataclass(frozen=True)
class Table:
    """The rows of one export: the header (one or two rows), data rows and the amount columns."""

    title: str
    header: list[list[str]]
    rows: list[tuple[Line, list[str], list[int]]]  # (line, cells, amounts in fen of the amount columns)
    amount_columns: list[int]
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # r1, r2, c1, c2 within header


def quota_table(records: Records, style: Style) -> Table:
    lead = ["指标明细号", *(["预算年度"] if style.year_column else []), "主管部门", *_dimension_header(style),
            *_coded_header("项目", "项目编码", "项目名称", style)]
    amounts = ["年初预算数", "调整数", "调整后预算数"]
    rows = []
    for line in records.lines:
        cells = [line.quota_no, *([str(YEAR)] if style.year_column else []),
                 *_coded(DEPARTMENT, replace(style, coded="dash" if style.coded == "separate" else style.coded)),
                 *_dimensions(line, style), *_coded(line.project, style)]
        figures = [line.initial, line.adjustment, line.current]
        rows.append((line, cells + [_amount(f, style) for f in figures], figures))
    header: list[list[str]] = [lead + amounts]
    merges = []
    if style.merged_header:
        width = len(lead)
        header = [lead + ["金额", "", ""], [""] * width + ["年初", "调整", "调整后"]]
        merges = [(0, 1, c, c) for c in range(width)] + [(0, 0, width, width + 2)]
    return Table(f"{YEAR}年单位指标额度查询导出明细表", header, rows,
                 [len(lead), len(lead) + 1, len(lead) + 2], merges)


def payment_table(records: Records, style: Style) -> Table:
    header = ["支付申请号", "支付日期", *_dimension_header(style), "指标明细号", "支付金额", "支付状态", "收款人名称"]
    rows = []
    for pay in records.payments:
        cells = [pay.payment_no, "" if pay.day is None else pay.day.isoformat(), *_dimensions(pay.line, style),
                 pay.line.quota_no, _amount(pay.amount, style), STATUS[pay.status], pay.payee]
        rows.append((pay.line, cells, [pay.amount]))
    return Table(f"{YEAR}年国库集中支付明细表", [header], rows, [header.index("支付金额")])


def adjustment_table(records: Records, style: Style) -> Table:
    header = ["调整单号", "调整日期", "指标明细号", "调整类型", "调整金额", "调整原因"]
    rows = []
    for adj in records.adjustments:
        cells = [adj.adjustment_no, adj.day.isoformat(), adj.line.quota_no, "追加" if adj.amount > 0 else "追减",
                 _amount(adj.amount, style), adj.reason]
        rows.append((adj.line, cells, [adj.amount]))
    return Table(f"{YEAR}年指标调整明细表", [header], rows, [header.index("调整金额")])


def grid(table: Table, style: Style) -> list[list[str]]:
    """The sheet as rows of text: title and unit rows, the header, the rows, totals and footer."""
    width = len(table.header[0])
    out: list[list[str]] = []
    if style.title:
        out.append([table.title])
        out.append(["单位：万元" if style.amounts == "wan" else "金额单位：元"])
    elif style.amounts == "wan":
        out.append(["单位：万元"])
    out.extend(list(row) for row in table.header)
    rows = sorted(table.rows, key=lambda r: r[0].unit[0]) if style.subtotals else table.rows

    def totals_row(label: str, chosen) -> list[str]:
        row = [label] + [""] * (width - 1)
        for position, column in enumerate(table.amount_columns):
            row[column] = _amount(sum(r[2][position] for r in chosen), style)
        return row

    for index, (line, cells, _) in enumerate(rows):
        out.append(cells)
        last_of_unit = index + 1 == len(rows) or rows[index + 1][0].unit != line.unit
        if style.subtotals and last_of_unit:
            out.append(totals_row(f"{line.unit[1]} 小计", [r for r in rows if r[0].unit == line.unit]))
    if style.total or style.subtotals:
        out.append(totals_row("合计", rows))
    if style.footer:
        out.append(["制表人：张三", "", "打印日期：2024-01-05"])
    return out


# --- the containers -----------------------------------------------------------------------------

def write(path_stem: Path, table: Table, style: Style) -> Path:
    rows = grid(table, style)
    writers: dict[str, Callable[[Path, list[list[str]], Table, Style], Path]] = {
        "xlsx": _xlsx, "xls": _xls, "csv-gbk": _csv("gbk", ",", ".csv"), "csv-utf8": _csv("utf-8-sig", ",", ".csv"),
        "tsv": _csv("utf-8", "\t", ".csv"), "txt-utf16": _csv("utf-16", "\t", ".txt"),
    }
    return writers[style.container](path_stem, rows, table, style)


def _csv(encoding: str, delimiter: str, suffix: str):
    def writer(stem: Path, rows: Sequence[Sequence[str]], _table: Table, _style: Style) -> Path:
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
        path = stem.with_suffix(suffix)
        path.write_bytes(buffer.getvalue().encode(encoding))  # "utf-16": little-endian with its BOM
        return path
    return writer


def _header_offset(style: Style) -> int:
    return 2 if style.title else (1 if style.amounts == "wan" else 0)


def _xlsx(stem: Path, rows: Sequence[Sequence[str]], table: Table, style: Style) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    if style.covers:
        sheet.title = "封面"
        sheet.append([table.title])
        sheet.append(["编制单位：乌鲁木齐市水务局"])
        notes = workbook.create_sheet("说明")
        notes.append(["说明：本表由预算管理一体化系统导出，金额单位为元。"])
        notes.append(["字段含义见系统帮助。"])
        sheet = workbook.create_sheet("数据")
    for row in rows:
        sheet.append([_excel_value(c) for c in row])
    path = stem.with_suffix(".xlsx")
    workbook.save(path)
    return path


def _excel_value(cell: str):
    """Numbers as numbers, as a workbook holds them; everything else as text."""
    try:
        if cell and cell.replace(".", "", 1).lstrip("-").isdigit() and "." in cell:
            return float(cell) if len(cell.split(".")[1]) <= 2 else cell  # 万元 with 6 decimals: as text
    except ValueError:
        pass
    return cell


def _xls(stem: Path, rows: Sequence[Sequence[str]], table: Table, style: Style) -> Path:
    import xlwt

    workbook = xlwt.Workbook(encoding="utf-8")
    sheet = workbook.add_sheet("Sheet1")
    offset = _header_offset(style)
    merged = {(offset + r1, c1) for r1, _, c1, _ in table.merges}
    for r1, r2, c1, c2 in table.merges:
        sheet.write_merge(offset + r1, offset + r2, c1, c2, rows[offset + r1][c1])
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            inside = any(offset + r1 <= r <= offset + r2 and c1 <= c <= c2 for r1, r2, c1, c2 in table.merges)
            if cell != "" and not inside and (r, c) not in merged:
                sheet.write(r, c, _excel_value(cell))
    path = stem.with_suffix(".xls")
    workbook.save(str(path))
    return path
