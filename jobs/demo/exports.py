"""Write the 2023 demo as the payment system would export it: files to feed the importer.

``write_demo_exports(folder)`` writes:

- five quota exports ``2023-01-03_指标明细.xlsx``, ``2023-03-31_…``, ``2023-06-30_…``,
  ``2023-09-30_…``, ``2023-12-31_指标明细.xlsx`` — each the quota lines as the payment system showed
  them on that day (title row 2 says ``截至2023年3月31日``, the export's date for the importer): the
  lines that existed then (a line created mid-year appears with the adjustment that creates it),
  年初预算数, the 调整数 dated on or before that day and their sum 调整后预算数; a two-row merged
  header and a 合计 row. The 12-31 export holds the whole year's adjustments;
- ``2023-W01_支付明细.csv`` … ``2023-W52_支付明细.csv`` — one payment export per ISO week,
  GB18030 for odd weeks and UTF-8 with BOM for even weeks; every 4th week is a "quarter to date"
  export repeating the quarter's earlier payments (same 支付申请号, same values);
- ``2023_指标调整.csv`` — the adjustments (UTF-8 without BOM).

It returns them in import order, by the day each file shows: a quota export by its 截至 date, a
weekly payment export by its last day (Sunday), a quota export before the payment export of the
week it falls in (so the budget in force on a day is known before the week's payments); the
adjustments last, once every quota export has made the lines they name known. That is not the
files' name order.

Money stays integer fen / Decimal; only the xlsx amount cells are written as floats (two decimals,
as Excel stores them).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from jobs.demo import seed2023
from jobs.demo.plan import Adjustment, DemoPlan, Payment, Quota, build_plan, quarter_bounds, quarter_of, wan_to_fen
from monitor.money import from_fen

QUOTA_TITLE = "单位指标额度查询导出明细表"
# The days the quota lines were exported: the year's start, then each quarter end (month, day).
QUOTA_EXPORT_DAYS = ((1, 3), (3, 31), (6, 30), (9, 30), (12, 31))
PAYMENT_TITLE = "支付明细导出表"
PAYMENT_HEADER = ("支付申请号", "支付日期", "预算单位", "指标明细号", "功能分类", "经济分类", "项目",
                  "收款人", "用途", "支付金额", "支付状态", "结算方式")
ADJUSTMENT_HEADER = ("调整单号", "调整日期", "指标明细号", "调整类型", "调整金额", "调整原因", "豁免类别")
CUMULATIVE_EVERY = 4  # every 4th weekly export repeats the quarter so far


def write_demo_exports(folder: Path, year: int = seed2023.YEAR) -> list[Path]:
    """Write the demo exports into ``folder`` (created if missing); return them in import order."""
    plan = build_plan(year)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    dated: list[tuple[dt.date, int, Path]] = []  # (the day the file shows, quota first, path)
    for day in quota_export_days(year):
        path = folder / f"{day.isoformat()}_指标明细.xlsx"
        dated.append((day, 0, write_quota_export(path, plan, day)))
    for week in range(1, weeks_in(year) + 1):
        path = folder / f"{year}-W{week:02d}_支付明细.csv"
        written = write_payment_export(path, week_payments(plan, week), encoding_of(week))
        dated.append((week_span(year, week)[1], 1, written))
    paths = [path for _, _, path in sorted(dated)]
    paths.append(write_adjustment_export(folder / f"{year}_指标调整.csv", plan.adjustments))
    return paths


# --- shared formatting ------------------------------------------------------------------------


def coded(code: str, name: str) -> str:
    return f"{code} - {name}"


def yuan_text(fen: int) -> str:
    """1234567 fen -> "12,345.67" (thousand separators, as the payment system prints)."""
    return f"{from_fen(fen):,.2f}"


def _csv_text(rows: Iterable[Sequence[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)  # quotes "1,234.56"; lines end in \r\n
    return buffer.getvalue()


# --- quota lines (xlsx) -----------------------------------------------------------------------

# (top header, second-row header or None when merged vertically, column width)
QUOTA_COLUMNS = (
    ("指标明细号", None, 22), ("指标文号", None, 18), ("预算年度", None, 9),
    ("主管部门", None, 28), ("预算单位", "单位编码", 10), ("预算单位", "单位名称", 24),
    ("功能分类", None, 26), ("经济分类", None, 30), ("项目", None, 44), ("支出类型", None, 10),
    ("资金性质", None, 12), ("三公经费", None, 9), ("指标金额", "年初预算数", 15),
    ("指标金额", "调整数", 15), ("指标金额", "调整后预算数", 15),
)
AMOUNT_COLUMNS = 3  # the last three
HEADER_ROW = 3
FIRST_DATA_ROW = 5


def _cell_amount(fen: int) -> float:
    """The only place money becomes a float: an Excel numeric cell (e.g. 372600.0)."""
    return float(from_fen(fen))


def quota_export_days(year: int) -> list[dt.date]:
    return [dt.date(year, month, day) for month, day in QUOTA_EXPORT_DAYS]


@dataclass(frozen=True)
class QuotaState:
    """A quota line as the payment system showed it on a day, in fen."""

    quota: Quota
    initial: int
    adjustment: int  # the adjustments dated on or before that day

    @property
    def adjusted(self) -> int:
        return self.initial + self.adjustment


def quota_states(plan: DemoPlan, day: dt.date) -> list[QuotaState]:
    """The lines that exist on ``day``: those of the year-start budget, and those created by an
    adjustment dated on or before it; each with the adjustments made by then."""
    made: dict[str, int] = {}
    for adjustment in plan.adjustments:
        if adjustment.day <= day:
            made[adjustment.quota.id] = made.get(adjustment.quota.id, 0) + adjustment.fen
    states = []
    for quota in plan.quotas:
        initial = wan_to_fen(quota.line.initial)
        if initial > 0 or quota.id in made:
            states.append(QuotaState(quota, initial, made.get(quota.id, 0)))
    return states


def quota_row(state: QuotaState) -> list:
    quota = state.quota
    line = quota.line
    return [
        quota.id, quota.document, seed2023.YEAR, coded(seed2023.DEPARTMENT.code,
                                                       seed2023.DEPARTMENT.name),
        line.unit.code, line.unit.name, coded(line.functional.code, line.functional.name),
        coded(line.economic.code, line.economic.name),
        coded(line.project.code, line.project.name) if line.project else None,
        line.expenditure_type, seed2023.FUND_TYPE, "是" if line.three_public else "否",
        *(_cell_amount(fen) for fen in (state.initial, state.adjustment, state.adjusted)),
    ]


def quota_title(year: int, day: dt.date) -> str:
    """Title row 2: the budget year and the export's date (截至…), which the importer reads."""
    return f"预算年度：{year}年    截至{day.year}年{day.month}月{day.day}日    金额单位：元"


def _write_header(sheet, year: int, day: dt.date) -> None:
    width = len(QUOTA_COLUMNS)
    last = get_column_letter(width)
    sheet["A1"] = QUOTA_TITLE
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.merge_cells(f"A1:{last}1")
    sheet["A2"] = quota_title(year, day)
    sheet.merge_cells(f"A2:{last}2")
    top, sub = HEADER_ROW, HEADER_ROW + 1
    column = 1
    while column <= width:
        group, child, _ = QUOTA_COLUMNS[column - 1]
        span = sum(1 for g, _, _ in QUOTA_COLUMNS[column - 1:] if g == group)
        sheet.cell(top, column, group)
        if child is None:
            sheet.merge_cells(start_row=top, start_column=column, end_row=sub, end_column=column)
        else:
            for offset in range(span):
                sheet.cell(sub, column + offset, QUOTA_COLUMNS[column - 1 + offset][1])
            sheet.merge_cells(start_row=top, start_column=column, end_row=top,
                              end_column=column + span - 1)
        column += span
    thin = Side(style="thin")
    for row in sheet.iter_rows(min_row=top, max_row=sub, max_col=width):
        for cell in row:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center", vertical="center")
            cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)


def write_quota_export(path: Path, plan: DemoPlan, day: dt.date) -> Path:
    """The quota lines as exported on ``day``."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "指标明细"
    _write_header(sheet, plan.year, day)
    states = quota_states(plan, day)
    for state in states:
        sheet.append(quota_row(state))
    totals = [sum(getattr(state, name) for state in states)
              for name in ("initial", "adjustment", "adjusted")]
    blanks = [None] * (len(QUOTA_COLUMNS) - AMOUNT_COLUMNS - 1)
    sheet.append(["合计", *blanks, *(_cell_amount(fen) for fen in totals)])
    first_amount = len(QUOTA_COLUMNS) - AMOUNT_COLUMNS + 1
    for row in sheet.iter_rows(min_row=FIRST_DATA_ROW, min_col=first_amount):
        for cell in row:
            cell.number_format = "#,##0.00"
    for index, (_, _, width) in enumerate(QUOTA_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = sheet.cell(FIRST_DATA_ROW, 1)
    workbook.properties.creator = "预算管理一体化系统"
    workbook.save(path)
    return path


# --- payments (weekly csv) --------------------------------------------------------------------


def weeks_in(year: int) -> int:
    return dt.date(year, 12, 28).isocalendar().week


def encoding_of(week: int) -> str:
    return "gb18030" if week % 2 else "utf-8-sig"


def week_span(year: int, week: int) -> tuple[dt.date, dt.date]:
    """The days a weekly export covers: Monday..Sunday, or for every 4th week, from the start
    of the Monday's quarter (a cumulative "quarter to date" export)."""
    monday = dt.date.fromisocalendar(year, week, 1)
    sunday = monday + dt.timedelta(days=6)
    if week % CUMULATIVE_EVERY == 0:
        return quarter_bounds(year, quarter_of(monday))[0], sunday
    return monday, sunday


def week_payments(plan: DemoPlan, week: int) -> list[Payment]:
    start, end = week_span(plan.year, week)
    return [payment for payment in plan.payments if start <= payment.day <= end]


def payment_row(payment: Payment) -> list[str]:
    line = payment.quota.line
    return [
        payment.id, payment.day_text, coded(line.unit.code, line.unit.name), payment.quota.id,
        coded(line.functional.code, line.functional.name),
        coded(line.economic.code, line.economic.name),
        coded(line.project.code, line.project.name) if line.project else "",
        payment.payee, payment.purpose, yuan_text(payment.fen), payment.status,
        payment.settlement,
    ]


def payment_export_text(payments: Sequence[Payment]) -> str:
    total = sum(payment.fen for payment in payments)
    totals_row = ["合计", *[""] * 8, yuan_text(total), "", ""]
    return _csv_text([[PAYMENT_TITLE], ["金额单位：元"], list(PAYMENT_HEADER),
                      *(payment_row(p) for p in payments), totals_row])


def write_payment_export(path: Path, payments: Sequence[Payment], encoding: str) -> Path:
    path.write_bytes(payment_export_text(payments).encode(encoding))
    return path


# --- adjustments (csv) ------------------------------------------------------------------------


def adjustment_row(adjustment: Adjustment) -> list[str]:
    return [adjustment.id, adjustment.day.isoformat(), adjustment.quota.id, adjustment.kind,
            f"{from_fen(adjustment.fen):.2f}", adjustment.reason, adjustment.exempt]


def write_adjustment_export(path: Path, adjustments: Sequence[Adjustment]) -> Path:
    text = _csv_text([list(ADJUSTMENT_HEADER), *(adjustment_row(a) for a in adjustments)])
    path.write_bytes(text.encode("utf-8"))
    return path
