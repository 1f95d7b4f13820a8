"""Payment exports of the year of ``tests/vendor_year.py`` in the layouts of several vendors, and
the cell and file writers the other year files share (xlsx via openpyxl, BIFF8 .xls via xlwt,
CSV and tab-separated text in any encoding).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import openpyxl

from tests.vendor_year import DEPARTMENT, UNITS, Pay

Row = list[object]

UNIT_NAME = dict(UNITS)
Row = list[object]


def wan(fen: int) -> str:
    return f"{Decimal(fen) / 1_000_000:.6f}"


def money(fen: int, *, commas: bool = False, brackets: bool = False) -> str:
    text = f"{Decimal(abs(fen)) / 100:,.2f}" if commas else f"{Decimal(abs(fen)) / 100:.2f}"
    if fen < 0:
        return f"({text})" if brackets else f"-{text}"
    return text


def pair(code: str, name: str, style: str = " - ") -> str:
    return f"[{code}]{name}" if style == "[]" else f"{code}{style}{name}"


def _day(pay: Pay, dateless: bool) -> str | None:
    if dateless and pay.status in ("已作废", "待支付"):
        return None
    return pay.day.isoformat()


# --- file writers -------------------------------------------------------------------------------

def write_xlsx(path: Path, sheets: Sequence[tuple[str, Sequence[Row]]], merges: dict[str, Sequence[str]] | None = None):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets:
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
        for cells in (merges or {}).get(name, ()):
            sheet.merge_cells(cells)
    book.save(path)
    return path


def write_text(path: Path, rows: Sequence[Row], encoding: str, delimiter: str = ",") -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in row])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xls(path: Path, title: Sequence[Row], top: Sequence[tuple[str, int]], bottom: Sequence[str],
              body: Sequence[Row]) -> Path:
    """A BIFF8 workbook with title rows, then a two-row header: ``top`` is (text, columns it spans);
    a span of 1 over an empty ``bottom`` cell is merged down over both rows."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("支付明细")
    for r, row in enumerate(title):
        sheet.write(r, 0, row[0])
    first = len(title)
    column = 0
    for text, span in top:
        if span == 1 and not bottom[column]:
            sheet.write_merge(first, first + 1, column, column, text)
        else:
            sheet.write_merge(first, first, column, column + span - 1, text)
            for c in range(column, column + span):
                sheet.write(first + 1, c, bottom[c])
        column += span
    for r, row in enumerate(body, start=first + 2):
        for c, cell in enumerate(row):
            if cell is not None:
                sheet.write(r, c, cell)
    book.save(str(path))
    return path


# --- payment exports ---------------------------------------------------------------------------

def _fields(p: Pay) -> dict[str, object]:
    line = p.line
    return {"no": p.payment_no, "unit": line.unit, "unit_name": UNIT_NAME[line.unit], "quota": line.quota_no,
            "fun": line.functional, "eco": line.economic, "project": line.project or ("", ""),
            "status": p.status, "payee": p.payee, "purpose": p.purpose}


def title_rows(month_end: dt.date, unit_row: str = "单位：元") -> list[Row]:
    day = f"{month_end.year}年{month_end.month}月{month_end.day}日"
    return [[f"{DEPARTMENT[1]}国库集中支付明细表"], [f"截至{day}    {unit_row}"]]


def pay_xlsx_title(path: Path, pays: Sequence[Pay], end: dt.date, *, economic_header: str = "部门经济分类") -> Path:
    """Separate 单位编码 / 单位名称 columns, Excel dates and numbers, a 合计 row."""
    header = ["支付申请号", "支付日期", "单位编码", "单位名称", "指标编码", "功能分类科目", economic_header, "项目编码",
              "项目名称", "支付金额", "收款人全称", "资金用途", "支付状态"]
    rows: list[Row] = [*title_rows(end), header]
    for p in pays:
        f = _fields(p)
        rows.append([f["no"], p.day, f["unit"], f["unit_name"], f["quota"], pair(*f["fun"], " "), pair(*f["eco"], " "),
                     f["project"][0] or None, f["project"][1] or None, float(Decimal(p.amount) / 100), f["payee"],
                     f["purpose"], f["status"]])
    rows.append(["合计", None, None, None, None, None, None, None, None,
                 float(Decimal(sum(p.amount for p in pays)) / 100)])
    return write_xlsx(path, [("支付明细", rows)])


def pay_gbk_csv(path: Path, pays: Sequence[Pay], end: dt.date, *, dateless: bool = False,
                cells: dict[tuple[int, str], str] | None = None, total: int | None = None) -> Path:
    """GBK, combined "code - name" cells, 2023/2/5 dates, 1,234.56 amounts, 凭证号 / 清算日期 / 摘要.
    ``cells``: (index of the payment, header) → another text; ``total``: another 合计."""
    header = ["凭证号", "清算日期", "预算单位", "指标明细号", "功能分类", "经济分类", "项目", "金额", "状态", "收款人",
              "摘要"]
    rows: list[Row] = [[f"{end.year}年{end.month}月支付明细"], ["金额单位：元"], header]
    for p in pays:
        f = _fields(p)
        day = _day(p, dateless)
        rows.append([f["no"], day and f"{p.day.year}/{p.day.month}/{p.day.day}", pair(f["unit"], f["unit_name"]),
                     f["quota"], pair(*f["fun"]), pair(*f["eco"]), pair(*f["project"]) if f["project"][0] else "",
                     money(p.amount, commas=True), f["status"], f["payee"], f["purpose"]])
    for (index, column), text in (cells or {}).items():
        rows[3 + index][header.index(column)] = text
    rows.append(["合计", "", "", "", "", "", "", money(sum(p.amount for p in pays) if total is None else total,
                                                      commas=True)])
    return write_text(path, rows, "gbk")


def pay_xls_merged(path: Path, pays: Sequence[Pay], end: dt.date) -> Path:
    top = [("支付信息", 3), ("预算单位", 2), ("指标明细号", 1), ("功能分类", 2), ("经济分类", 2), ("项目", 2),
           ("支付状态", 1), ("收款人", 1)]
    bottom = ["支付申请号", "支付日期", "支付金额", "编码", "名称", "", "编码", "名称", "编码", "名称", "编码", "名称",
              "", ""]
    body: list[Row] = []
    for p in pays:
        f = _fields(p)
        body.append([f["no"], p.day.isoformat(), float(Decimal(p.amount) / 100), f["unit"], f["unit_name"],
                     f["quota"], *f["fun"], *f["eco"], f["project"][0] or None, f["project"][1] or None,
                     f["status"], f["payee"]])
    body.append(["总计", None, float(Decimal(sum(p.amount for p in pays)) / 100)])
    return write_xls(path, title_rows(end), top, bottom, body)


def pay_bracket_xlsx(path: Path, pays: Sequence[Pay], end: dt.date) -> Path:
    """[code]name cells, 2023年4月5日 dates and 12,345.67 amounts as text."""
    header = ["支付申请编号", "支付日期", "预算单位", "指标明细号", "支出功能分类科目", "部门预算经济分类", "预算项目",
              "支付申请金额", "收款账户名称", "用途", "支付状态"]
    rows: list[Row] = [*title_rows(end), header]
    for p in pays:
        f = _fields(p)
        rows.append([f["no"], f"{p.day.year}年{p.day.month}月{p.day.day}日", pair(f["unit"], f["unit_name"], "[]"),
                     f["quota"], pair(*f["fun"], "[]"), pair(*f["eco"], "[]"),
                     pair(*f["project"], "[]") if f["project"][0] else None, money(p.amount, commas=True),
                     f["payee"], f["purpose"], f["status"]])
    return write_xlsx(path, [("Sheet1", rows)])


def pay_wan_xlsx(path: Path, pays: Sequence[Pay], end: dt.date, *, unit_row: bool = True, decimals: int = 6) -> Path:
    """Amounts in 万元 with six decimals (exact to the fen) under a 单位：万元 row."""
    header = ["支付申请号", "支付日期", "预算单位编码", "预算单位名称", "指标明细号", "功能分类编码", "经济分类编码",
              "项目代码", "支付金额", "支付状态"]
    bare = [[f"{DEPARTMENT[1]}国库集中支付明细表 截至{end.isoformat()}"]]
    title = title_rows(end, "单位：万元") if unit_row else bare
    rows: list[Row] = [*title, header]
    for p in pays:
        f = _fields(p)
        amount = wan(p.amount) if decimals == 6 else f"{Decimal(p.amount) / 1_000_000:.{decimals}f}"
        rows.append([f["no"], p.day.isoformat(), f["unit"], f["unit_name"], f["quota"], f["fun"][0], f["eco"][0],
                     f["project"][0] or None, float(amount) if decimals == 6 else amount, f["status"]])
    return write_xlsx(path, [("支付明细", rows)])


def pay_subtotal_csv(path: Path, pays: Sequence[Pay], end: dt.date, *, named: bool = False,
                     dateless: bool = False) -> Path:
    """Rows grouped by unit, a 小计 row after each unit (``named``: "天山市水务局 小计" as
    vendors print it), a grand 合计 of the rows; UTF-8 with a BOM, 20230615 dates."""
    header = ["支付申请号", "预算单位", "支付日期", "指标明细号", "经济分类", "支付金额", "支付状态", "收款人"]
    rows: list[Row] = [*title_rows(end), header]
    for unit, name in UNITS:
        own = [p for p in pays if p.line.unit == unit]
        for p in own:
            day = _day(p, dateless)
            rows.append([p.payment_no, pair(unit, name), day and day.replace("-", ""), p.line.quota_no,
                         pair(*p.line.economic), money(p.amount), p.status, p.payee])
        if own:
            label = f"{name} 小计" if named else "小计"
            rows.append([label, "", "", "", "", money(sum(p.amount for p in own)), "", ""])
    rows.append(["合计", "", "", "", "", money(sum(p.amount for p in pays)), "", ""])
    return write_text(path, rows, "utf-8-sig")


def pay_utf16_txt(path: Path, pays: Sequence[Pay], end: dt.date, *, dateless: bool = False) -> Path:
    """Excel's "Unicode 文本": UTF-16, tab-separated, negatives as (1,234.00), no title rows."""
    rows: list[Row] = [["支付凭证号", "支付日期", "单位代码", "单位名称", "指标明细号", "功能科目编码", "经济科目编码",
                        "项目编号", "支付金额", "支付状态", "收款人"]]
    for p in pays:
        f = _fields(p)
        rows.append([f["no"], _day(p, dateless), f["unit"], f["unit_name"], f["quota"], f["fun"][0], f["eco"][0],
                     f["project"][0], money(p.amount, commas=True, brackets=True), f["status"], f["payee"]])
    return write_text(path, rows, "utf-16", "\t")


def pay_cover_xlsx(path: Path, pays: Sequence[Pay], end: dt.date) -> Path:
    """A cover sheet, the data sheet, then a 说明 sheet."""
    cover = [[f"{DEPARTMENT[1]}{end.year}年{end.month}月国库集中支付明细"], ["制表单位：天山市水务局财务科"],
             [f"导出日期：{end.isoformat()}"]]
    header = ["支付申请号", "支付日期", "预算单位", "指标明细号", "功能分类", "经济分类", "支付金额", "支付状态",
              "结算方式"]
    rows: list[Row] = [["支付明细"], ["单位：元"], header]
    for p in pays:
        rows.append([p.payment_no, p.day, pair(p.line.unit, UNIT_NAME[p.line.unit]), p.line.quota_no,
                     pair(*p.line.functional), pair(*p.line.economic), float(Decimal(p.amount) / 100), p.status,
                     "国库集中支付"])
    notes = [["说明"], ["1. 本表数据来源于预算管理一体化系统。"], ["2. 已作废、待支付凭证不计入支付金额。"]]
    return write_xlsx(path, [("封面", cover), ("支付明细", rows), ("说明", notes)])
