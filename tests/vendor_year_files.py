"""The year of ``tests/vendor_year.py`` written as the exports of several payment-system vendors.

Two sets of files carry the same records. ``accepted_today`` uses vendor styles the importer
already takes (xlsx with a title and a 单位：元 row, GBK CSV with combined cells, a BIFF8 .xls
with a merged two-row header, [code]name cells, 万元 with 6 decimals, bare 小计 rows per unit,
UTF-16 tab-separated .txt with (1,234.00) negatives, a workbook with a cover and a 说明 sheet,
an overlapping half-year re-export). ``as_vendors_send_them`` adds what issue 16 found refused
or misread: named subtotals (case 1), voided and pending rows without a date (2), a 调剂 under
one 调整单号 (3), merged 预算单位 / 项目 cells in the target table (4, 6), a quota export whose
year is only in its file name and ids (5) and whose department is only in a title row (7), and
the header 经济分类科目 (14). ``broken`` writes the files that must be refused.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path

import openpyxl

from tests.vendor_year import DEPARTMENT, QUARTER_ENDS, UNITS, YEAR, Adjust, Line, Pay, Year

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


def _title(month_end: dt.date, unit_row: str = "单位：元") -> list[Row]:
    day = f"{month_end.year}年{month_end.month}月{month_end.day}日"
    return [[f"{DEPARTMENT[1]}国库集中支付明细表"], [f"截至{day}    {unit_row}"]]


def pay_xlsx_title(path: Path, pays: Sequence[Pay], end: dt.date, *, economic_header: str = "部门经济分类") -> Path:
    """Separate 单位编码 / 单位名称 columns, Excel dates and numbers, a 合计 row."""
    header = ["支付申请号", "支付日期", "单位编码", "单位名称", "指标编码", "功能分类科目", economic_header, "项目编码",
              "项目名称", "支付金额", "收款人全称", "资金用途", "支付状态"]
    rows: list[Row] = [*_title(end), header]
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
    return write_xls(path, _title(end), top, bottom, body)


def pay_bracket_xlsx(path: Path, pays: Sequence[Pay], end: dt.date) -> Path:
    """[code]name cells, 2023年4月5日 dates and 12,345.67 amounts as text."""
    header = ["支付申请编号", "支付日期", "预算单位", "指标明细号", "支出功能分类科目", "部门预算经济分类", "预算项目",
              "支付申请金额", "收款账户名称", "用途", "支付状态"]
    rows: list[Row] = [*_title(end), header]
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
    title = _title(end, "单位：万元") if unit_row else [[f"{DEPARTMENT[1]}国库集中支付明细表 截至{end.isoformat()}"]]
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
    rows: list[Row] = [*_title(end), header]
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


# --- quota lines, adjustments, targets, progress ------------------------------------------------

QUOTA_HEADER = ["指标明细号", "指标文号", "预算年度", "主管部门", "预算单位", "功能分类", "经济分类", "项目",
                "支出类型", "资金性质", "三公经费", "年初预算数", "调整数", "调整后预算数"]


def quota_rows(year: Year, day: dt.date, *, department_column: bool = True, year_column: bool = True,
               title_year: bool = True) -> list[Row]:
    rows: list[Row] = []
    for line in year.lines:
        moved = year.adjusted(line, day)
        row: list[object] = [line.quota_no, line.doc_no, YEAR, pair(*DEPARTMENT), pair(line.unit, UNIT_NAME[line.unit]),
                             pair(*line.functional), pair(*line.economic),
                             pair(*line.project) if line.project else "", line.expense_type, "一般公共预算",
                             "是" if line.three_public else "否", money(line.initial), money(moved),
                             money(line.initial + moved)]
        rows.append(row)
    header = list(QUOTA_HEADER)
    drop = [i for i, name in enumerate(header) if (name == "主管部门" and not department_column)
            or (name == "预算年度" and not year_column)]
    for i in reversed(drop):
        header.pop(i)
        for row in rows:
            row.pop(i)
    when = f"截至{day.year}年{day.month}月{day.day}日" if title_year else f"截至{day.month}月{day.day}日"
    title: list[Row] = [["单位指标额度查询导出明细表"], [f"{when}    金额单位：元"]]
    if not department_column:
        title.insert(1, [f"主管部门：{DEPARTMENT[0]} {DEPARTMENT[1]}"])
    return [*title, header, *rows]


def previous_quota_rows(year: Year, *, department_column: bool = True) -> list[Row]:
    """Last year's 三公 lines (a 2022 quota export): the control compares with them."""
    rows: list[Row] = [["单位指标额度查询导出明细表"], [f"截至{YEAR - 1}年12月31日    金额单位：元"],
                       list(QUOTA_HEADER)]
    for unit, name in UNITS:
        fen = year.previous_three_public[unit]
        rows.append([f"ZB{YEAR - 1}-{unit}-007", f"天财预〔{YEAR - 1}〕1号", YEAR - 1, pair(*DEPARTMENT),
                     pair(unit, name), "2130301 - 行政运行", "30217 - 公务接待费", "", "基本支出", "一般公共预算", "是",
                     money(fen), "0.00", money(fen)])
    if not department_column:  # named in a title row instead (case 7)
        rows.insert(1, [f"主管部门：{DEPARTMENT[0]} {DEPARTMENT[1]}"])
        for row in rows[3:]:
            row.pop(QUOTA_HEADER.index("主管部门"))
    return rows


def adjustment_rows(adjustments: Sequence[Adjust], *, one_number: bool = False) -> list[Row]:
    """A 调剂's two legs under one 调整单号 (``one_number``, cases 3) or as -1 / -2."""
    header = ["调整单号", "调整日期", "指标明细号", "预算单位", "调整类型", "调整金额", "调整原因", "豁免类别"]
    rows: list[Row] = [["指标调整明细表"], header]
    for a in adjustments:
        for leg, (line, amount) in enumerate(a.legs, start=1):
            number = a.number if one_number or len(a.legs) == 1 else f"{a.number}-{leg}"
            rows.append([number, a.day.isoformat(), line.quota_no, pair(line.unit, UNIT_NAME[line.unit]), a.kind,
                         money(amount), a.reason, a.exempt])
    return rows


TARGET_HEADER = ["预算单位", "项目", "一级指标", "二级指标", "三级指标", "指标值", "分值权重", "项目负责人", "经济分类"]


def target_rows(year: Year) -> list[Row]:
    rows: list[Row] = [[f"{YEAR}年度绩效目标表"], TARGET_HEADER]
    for t in year.targets:
        rows.append([pair(t.unit, UNIT_NAME[t.unit]), pair(*t.project) if t.project else "", t.level1, t.level2,
                     t.name, t.text, t.weight, t.leader, t.economic])
    return rows


def merged_target_sheet(year: Year, *, unit_merged: bool = True) -> tuple[list[Row], list[str]]:
    """The table as the disclosures print it: 预算单位 merged over its unit's rows (case 4; on
    every row unless ``unit_merged``) and 项目名称, the project's name alone, merged over the
    project's rows (case 6)."""
    header = [("项目名称" if name == "项目" else name) for name in TARGET_HEADER]
    rows: list[Row] = [[f"{YEAR}年度绩效目标表"], header]
    runs: dict[str, list[list[int]]] = {"A": [], "B": []}
    previous: tuple[str, str] | None = None
    for t in year.targets:
        unit, project = pair(t.unit, UNIT_NAME[t.unit]), t.project[1] if t.project else ""
        r = len(rows) + 1
        new_unit = previous is None or previous[0] != unit
        new_project = new_unit or previous is None or previous[1] != project
        for letter, new in (("A", new_unit), ("B", new_project)):
            if new:
                runs[letter].append([r, r])
            else:
                runs[letter][-1][1] = r
        rows.append([unit if new_unit or not unit_merged else None, project if new_project else None, t.level1,
                     t.level2, t.name,
                     t.text, t.weight, t.leader, t.economic])
        previous = (unit, project)
    merges = [f"{letter}{first}:{letter}{last}" for letter, spans in runs.items() for first, last in spans
              if last > first and (unit_merged or letter == "B")]
    return rows, merges


def progress_rows(year: Year) -> list[Row]:
    rows: list[Row] = [["绩效目标完成情况表"], ["预算单位", "项目", "三级指标", "截至日期", "实际完成值", "备注"]]
    for t in year.targets:
        for day, actual in t.reports:
            rows.append([pair(t.unit, UNIT_NAME[t.unit]), pair(*t.project) if t.project else "", t.name,
                         day.isoformat(), actual, "季度报告"])
    return rows


# --- the year as files --------------------------------------------------------------------------

Writer = Callable[[Path, Sequence[Pay], dt.date], Path]
MONTHLY: tuple[tuple[str, Writer], ...] = (
    ("xlsx", pay_xlsx_title), ("csv", pay_gbk_csv), ("xls", pay_xls_merged), ("xlsx", pay_bracket_xlsx),
    ("xlsx", pay_wan_xlsx), ("csv", pay_subtotal_csv), ("txt", pay_utf16_txt), ("xlsx", pay_cover_xlsx),
    ("xlsx", pay_xlsx_title), ("xls", pay_xls_merged), ("xlsx", pay_wan_xlsx), ("txt", pay_utf16_txt),
)


def month_end(month: int) -> dt.date:
    return dt.date(YEAR, 12, 31) if month == 12 else dt.date(YEAR, month + 1, 1) - dt.timedelta(days=1)


def of_month(year: Year, month: int) -> list[Pay]:
    return [p for p in year.payments if p.day.month == month]


def accepted_today(year: Year, folder: Path) -> list[Path]:
    """The year in vendor styles the importer takes today, in the order they are imported."""
    folder.mkdir(parents=True, exist_ok=True)
    jan5, jun30 = dt.date(YEAR, 1, 5), QUARTER_ENDS[1]
    files = [write_xlsx(folder / f"{YEAR - 1}_三公指标.xlsx", [("指标", previous_quota_rows(year))]),
             write_xlsx(folder / "指标明细_年初.xlsx", [("指标明细", quota_rows(year, jan5))]),
             write_xlsx(folder / "绩效目标表.xlsx", [("绩效目标", target_rows(year))])]
    for month in range(1, 13):
        suffix, writer = MONTHLY[month - 1]
        files.append(writer(folder / f"{YEAR}-{month:02d}_支付明细.{suffix}", of_month(year, month), month_end(month)))
        if month == 6:
            files.append(write_text(folder / "指标明细_年中.csv", quota_rows(year, jun30), "gbk"))
            half = [p for p in year.payments if p.day <= jun30]  # an overlapping re-export of January–June
            files.append(pay_gbk_csv(folder / f"{YEAR}-01至06_支付明细.csv", half, jun30))
    files += [write_text(folder / "指标调整明细.csv", adjustment_rows(year.adjustments), "utf-8-sig"),
              write_xlsx(folder / "指标明细_年末.xlsx", [("指标明细", quota_rows(year, QUARTER_ENDS[3]))]),
              write_xlsx(folder / "绩效目标完成情况.xlsx", [("完成情况", progress_rows(year))])]
    return files


def as_vendors_send_them(year: Year, folder: Path) -> list[Path]:
    """The same year with the layouts issue 16 found refused or misread (cases 1–7, 14)."""
    folder.mkdir(parents=True, exist_ok=True)
    jan5, jun30 = dt.date(YEAR, 1, 5), QUARTER_ENDS[1]
    no_department = {"department_column": False, "year_column": False, "title_year": False}  # cases 5, 7
    targets, merges = merged_target_sheet(year)  # cases 4, 6
    files = [write_xlsx(folder / f"{YEAR - 1}_三公指标.xlsx",
                        [("指标", previous_quota_rows(year, department_column=False))]),
             write_xlsx(folder / f"指标明细_{YEAR}.xlsx", [("指标明细", quota_rows(year, jan5, **no_department))]),
             write_xlsx(folder / "绩效目标表.xlsx", [("绩效目标", targets)], {"绩效目标": merges})]
    for month in range(1, 13):
        pays, end, name = of_month(year, month), month_end(month), folder / f"{YEAR}-{month:02d}_支付明细"
        if month in (3, 9):  # case 1: "天山市水务局 小计"; case 2: voided / pending rows without a date
            files.append(pay_subtotal_csv(name.with_suffix(".csv"), pays, end, named=True, dateless=True))
        elif month == 7:  # case 14: 经济分类科目
            files.append(pay_xlsx_title(name.with_suffix(".xlsx"), pays, end, economic_header="经济分类科目"))
        elif month == 12:  # case 2: the year-end pending requests carry no date
            files.append(pay_gbk_csv(name.with_suffix(".csv"), pays, end, dateless=True))
        else:
            suffix, writer = MONTHLY[month - 1]
            files.append(writer(name.with_suffix(f".{suffix}"), pays, end))
        if month == 6:
            files.append(write_xlsx(folder / f"指标明细_{YEAR}0630.xlsx",
                                    [("指标明细", quota_rows(year, jun30, **no_department))]))
    files += [write_text(folder / "指标调整明细.csv", adjustment_rows(year.adjustments, one_number=True), "utf-8-sig"),
              write_xlsx(folder / f"指标明细_{YEAR}1231.xlsx",
                         [("指标明细", quota_rows(year, QUARTER_ENDS[3], **no_department))]),
              write_xlsx(folder / "绩效目标完成情况.xlsx", [("完成情况", progress_rows(year))])]
    return files


# --- files that must be refused ------------------------------------------------------------------

FIRST_DATA_ROW = 4  # pay_gbk_csv: title, unit row, header, then the rows


def broken(year: Year, folder: Path) -> dict[str, tuple[Path, str, int | None, str | None]]:
    """name → (file, the problem code, its row as Excel shows it, its column): each file is a
    realistic export of October with one thing wrong."""
    folder.mkdir(parents=True, exist_ok=True)
    october = of_month(year, 10)[:40]
    end = month_end(10)
    cases: dict[str, tuple[Path, str, int | None, str | None]] = {}
    cases["wrong amount"] = (pay_gbk_csv(folder / "错误金额.csv", october, end, cells={(6, "金额"): "壹万贰仟元整"}),
                             "bad_amount", FIRST_DATA_ROW + 6, "金额")
    cases["totals mismatch"] = (pay_gbk_csv(folder / "合计不符.csv", october, end,
                                            total=sum(p.amount for p in october) + 100_00),
                                "totals_mismatch", FIRST_DATA_ROW + len(october), "金额")
    rows: list[Row] = [*_title(end), ["支付申请号", "预算单位", "指标明细号", "经济分类", "支付金额", "支付状态"]]
    rows += [[p.payment_no, pair(p.line.unit, UNIT_NAME[p.line.unit]), p.line.quota_no, pair(*p.line.economic),
              money(p.amount), p.status] for p in october]
    cases["missing column"] = (write_xlsx(folder / "缺支付日期.xlsx", [("支付明细", rows)]), "missing_column", 3, None)
    statement: list[Row] = [["中国工商银行客户存款对账单"], ["账号：3004 0211 0920 0012 345    户名：天山市水务局"],
                            ["交易日期", "凭证种类", "凭证号", "摘要", "借方发生额", "贷方发生额", "余额", "对方户名"]]
    balance = 5_000_000_00
    for p in october:
        balance -= p.amount
        statement.append([p.day.strftime("%Y%m%d"), "电汇凭证", p.payment_no[-8:], p.purpose, money(p.amount), "",
                          money(balance), p.payee])
    cases["bank statement"] = (write_xlsx(folder / "银行对账单.xlsx", [("对账单", statement)]), "missing_column", 3,
                               None)
    payroll: list[Row] = [["天山市水务局2023年10月工资发放表"], ["单位：元"],
                          ["序号", "姓名", "身份证号", "预算单位", "岗位工资", "薪级工资", "津贴补贴", "应发工资",
                           "个人所得税", "实发工资"]]
    for n in range(1, 31):
        gross = 6_000_00 + n * 137_00
        payroll.append([n, f"职工{n:02d}", f"65010219800101{n:04d}", pair("427001", UNIT_NAME["427001"]),
                        money(3_000_00), money(2_000_00 + n * 137_00), money(1_000_00), money(gross),
                        money(gross // 50), money(gross - gross // 50)])
    cases["payroll sheet"] = (write_xlsx(folder / "工资表.xlsx", [("工资表", payroll)]), "no_header", None, None)
    twice = [*october[:12], october[3], *october[12:]]  # the voucher of row 4 + 3 again, another amount
    other = money(october[3].amount + 1_000_00, commas=True)
    cases["duplicate voucher"] = (pay_gbk_csv(folder / "重复凭证.csv", twice, end, cells={(12, "金额"): other},
                                              total=sum(p.amount for p in twice) + 1_000_00),
                                  "duplicate_key", FIRST_DATA_ROW + 12, "凭证号")
    cases["万元 without its unit row"] = (pay_wan_xlsx(folder / "万元无单位行.xlsx", october, end, unit_row=False),
                                       "sub_fen", None, "支付金额")
    outside = [*october[:20], replace_day(october[20], dt.date(YEAR + 1, 1, 3)), *october[21:]]
    cases["date outside the year"] = (pay_gbk_csv(folder / "跨年日期.csv", outside, end), "date_outside_year",
                                      FIRST_DATA_ROW + 20, "清算日期")
    return cases


def merged_projects_only(year: Year, folder: Path) -> Path:
    """A revision of the target table with 项目名称 merged over each project's rows (case 6)."""
    folder.mkdir(parents=True, exist_ok=True)
    rows, merges = merged_target_sheet(year, unit_merged=False)
    return write_xlsx(folder / "绩效目标表_修订.xlsx", [("绩效目标", rows)], {"绩效目标": merges})


def near_the_limit(year: Year, folder: Path) -> tuple[Path, Pay]:
    """One payment of 31 March that lifts 427002 to just under 25% of its full-year budget at
    the Q1 checkpoint: shown as 25.00%, not met (case 9)."""
    from tests.vendor_year import CHECKPOINTS

    folder.mkdir(parents=True, exist_ok=True)
    day = QUARTER_ENDS[0]
    budget, paid = year.budget("427002"), year.paid("427002", day)
    target = -(-budget * 249_955 // 1_000_000)  # the least fen at or above 24.9955%
    assert Decimal(target) * 100 / budget < CHECKPOINTS[day]
    line = next(l for l in year.lines if l.unit == "427002" and l.economic[0] == "30201")
    extra = Pay(f"ZF{YEAR}0399999", line, day, target - paid, "已支付", "天山市机关服务中心", "补录一季度办公费")
    return pay_gbk_csv(folder / f"{YEAR}-03-31_补录支付.csv", [extra], day), extra


def rounded_wan(year: Year, folder: Path) -> Path:
    """万元 with two decimals and no 单位：万元 row: every amount reads as a few yuan."""
    folder.mkdir(parents=True, exist_ok=True)
    return pay_wan_xlsx(folder / "万元两位小数无单位行.xlsx", of_month(year, 10)[:40], month_end(10), unit_row=False,
                        decimals=2)


def replace_day(pay: Pay, day: dt.date) -> Pay:
    from dataclasses import replace

    return replace(pay, day=day)
