"""The status table as an .xlsx workbook for finance staff: one row per entity of every level,
ranked, numbers as numbers (yuan with two decimals, rates in percent), a frozen header with an
auto-filter, and a second sheet saying what the figures are.

Codes and names come from files people drop in: a name such as ``=HYPERLINK(...)`` must stay
text, never become a formula (OWASP "CSV injection"; the same holds for cells of a workbook).
Such cells are written as strings with Excel's quote prefix, so that editing one keeps it text.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from jobs.execution import StatusReport
from jobs.reports.table import StatusRow, level_text, method_text, status_rows
from monitor.i18n import render

AMOUNT = "#,##0.00"
RATE = "0.00"
DATE = "yyyy-mm-dd"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

TEXT = {
    "sheet": {"zh": "执行情况", "en": "status"},
    "about": {"zh": "说明", "en": "about"},
    "year": {"zh": "预算年度", "en": "budget year"},
    "as_of": {"zh": "统计截至", "en": "as of"},
    "latest": {"zh": "最新支付导出日期", "en": "latest payment export"},
    "order": {"zh": "排序", "en": "order"},
    "order_text": {"zh": "低于序时进度越多越靠前，其次按距下一考核节点还需支付的金额",
                   "en": "furthest below the time schedule first, then the largest amount still to pay "
                         "for the next checkpoint"},
    "units": {"zh": "金额单位", "en": "amounts"},
    "units_text": {"zh": "元；比率为百分数（17.96 即 17.96%）",
                   "en": "yuan; rates in percent (17.96 means 17.96%)"},
    "none": {"zh": "无", "en": "none"},
}


@dataclass(frozen=True)
class Column:
    zh: str
    en: str
    kind: str  # text (from the data) | label (ours) | amount | rate | date | int
    value: Callable[[StatusRow, str], object]  # (StatusRow, language) -> cell value
    marks_behind: bool = False  # red when the entity is below the time schedule


def _columns() -> tuple[Column, ...]:
    return (
        Column("层级", "level", "label", lambda r, lang: level_text(lang, r.level)),
        Column("单位编码", "unit code", "text", lambda r, lang: r.unit_code or ""),
        Column("编码", "code", "text", lambda r, lang: r.code),
        Column("名称", "name", "text", lambda r, lang: r.name),
        Column("预算（元）", "budget (yuan)", "amount", lambda r, lang: r.budget),
        Column("已支付（元）", "paid (yuan)", "amount", lambda r, lang: r.paid),
        Column("执行率（%）", "execution rate (%)", "rate", lambda r, lang: r.execution_rate, marks_behind=True),
        Column("序时进度（%）", "time schedule (%)", "rate", lambda r, lang: r.schedule_rate),
        Column("下一考核节点", "next checkpoint", "date", lambda r, lang: r.checkpoint_date),
        Column("考核进度（%）", "checkpoint target (%)", "rate", lambda r, lang: r.checkpoint_rate),
        Column("距节点还需支付（元）", "still to pay (yuan)", "amount", lambda r, lang: r.gap),
        Column("剩余工作日", "working days left", "int", lambda r, lang: r.working_days_left),
        Column("日均需支付（元）", "needed per working day (yuan)", "amount", lambda r, lang: r.daily_needed),
        Column("预计节点执行率（%）", "projected at checkpoint (%)", "rate", lambda r, lang: r.projected_rate),
        Column("节点预测方法", "checkpoint projection", "label",
               lambda r, lang: method_text(lang, r.projected_method) if r.checkpoint_date else ""),
        Column("预计年末执行率（%）", "projected at year end (%)", "rate", lambda r, lang: r.year_end_rate),
        Column("年末预测方法", "year-end projection", "label", lambda r, lang: method_text(lang, r.year_end_method)),
    )


COLUMNS = _columns()
FORMATS = {"amount": AMOUNT, "rate": RATE, "date": DATE, "int": "0"}
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
BEHIND_FONT = Font(color="C00000")


def say(language: str, code: str, **params) -> str:
    return render(TEXT, code, language, params)


def safe_text(value: str) -> str:
    """Text a worksheet accepts: control characters other than tab and newline are dropped
    (openpyxl refuses them, and Excel cannot show them)."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _put_text(cell, value: str) -> None:
    cell.value = safe_text(value)
    cell.data_type = "s"  # never a formula, whatever it starts with
    if cell.value.startswith(FORMULA_STARTS):
        cell.quotePrefix = True  # Excel keeps it text when the cell is edited


def _display_width(text: str) -> int:
    """Column width in characters; CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def targets_column(texts: Mapping[tuple[str, str], str]) -> Column:
    """The performance targets of an entity, as the status table says them (e.g. "7 项：落后 1 · 达成 2")."""
    return Column("绩效目标", "performance targets", "text", lambda r, lang: texts.get((r.level, r.code), ""))


def write_status_xlsx(report: StatusReport, path: str | Path, language: str = "zh",
                      targets: Mapping[tuple[str, str], str] | None = None) -> Path:
    """Write the ranked status table of every entity (all levels) to ``path``; returns it.

    ``targets``: (level, code) → the summary of that entity's performance targets; when there
    are any, a last column shows them (empty for entities without targets)."""
    rows = status_rows(report)
    columns = COLUMNS + ((targets_column(targets),) if targets else ())
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = say(language, "sheet")
    widths = []
    for index, column in enumerate(columns, start=1):
        title = column.zh if language == "zh" else column.en
        cell = sheet.cell(row=1, column=index, value=title)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        widths.append(min(max(_display_width(title) + 2, 8), 24))
    for row_index, row in enumerate(rows, start=2):
        _write_row(sheet, row_index, row, language, widths, columns)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(len(rows) + 1, 2)}"
    sheet.row_dimensions[1].height = 32
    _about(workbook.create_sheet(say(language, "about")), report, language)
    path = Path(path)
    workbook.save(path)
    return path


def _write_row(sheet, row_index: int, row: StatusRow, language: str, widths: list[int],
               columns: tuple[Column, ...] = COLUMNS) -> None:
    for index, column in enumerate(columns, start=1):
        value = column.value(row, language)
        cell = sheet.cell(row=row_index, column=index)
        if column.kind in ("text", "label"):
            assert isinstance(value, str)  # text and label columns give text
            _put_text(cell, value)
            widths[index - 1] = min(max(widths[index - 1], _display_width(cell.value) + 2), 48)
            continue
        cell.value = value  # Decimal, date, int or None: written as numbers (dates as serials)
        cell.number_format = FORMATS[column.kind]
        if column.kind == "amount" and value is not None:
            widths[index - 1] = max(widths[index - 1], len(f"{value:,.2f}") + 2)
        if column.marks_behind and row.behind:
            cell.font = BEHIND_FONT


def _about(sheet, report: StatusReport, language: str) -> None:
    lines = [
        (say(language, "year"), report.year),
        (say(language, "as_of"), report.as_of),
        (say(language, "latest"), report.latest_export or say(language, "none")),
        (say(language, "order"), say(language, "order_text")),
        (say(language, "units"), say(language, "units_text")),
    ]
    for row_index, (label, value) in enumerate(lines, start=1):
        sheet.cell(row=row_index, column=1, value=label).font = Font(bold=True)
        cell = sheet.cell(row=row_index, column=2, value=value)
        if hasattr(value, "isoformat"):
            cell.number_format = DATE
    sheet.column_dimensions["A"].width = 20
    sheet.column_dimensions["B"].width = 70
