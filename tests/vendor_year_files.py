"""The year of ``tests/vendor_year.py`` written as the exports of several payment-system vendors.

Two sets of files carry the same records. ``accepted_today`` uses vendor styles the importer
already takes (xlsx with a title and a 单位：元 row, GBK CSV with combined cells, a BIFF8 .xls
with a merged two-row header, [code]name cells, 万元 with 6 decimals, bare 小计 rows per unit,
UTF-16 tab-separated .txt with (1,234.00) negatives, a workbook with a cover and a 说明 sheet,
an overlapping half-year re-export). ``as_vendors_send_them`` adds what issue 16 found refused
or misread: named subtotals (case 1), voided and pending rows without a date (2), a 调剂 under
one 调整单号 (3), merged 预算单位 / 项目 cells in the target table (4, 6), a quota export whose
year is only in its file name and ids (5) and whose department is only in a title row (7), and
the header 经济分类科目 (14). The files that must be refused are in ``tests/vendor_year_broken.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

from tests.vendor_year import DEPARTMENT, QUARTER_ENDS, UNITS, YEAR, Adjust, Pay, Year
from tests.vendor_year_payments import (
    UNIT_NAME,
    Row,
    money,
    pair,
    pay_bracket_xlsx,
    pay_cover_xlsx,
    pay_gbk_csv,
    pay_subtotal_csv,
    pay_utf16_txt,
    pay_wan_xlsx,
    pay_xls_merged,
    pay_xlsx_title,
    write_text,
    write_xlsx,
)

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


def merged_projects_only(year: Year, folder: Path) -> Path:
    """A revision of the target table with 项目名称 merged over each project's rows (case 6)."""
    folder.mkdir(parents=True, exist_ok=True)
    rows, merges = merged_target_sheet(year, unit_merged=False)
    return write_xlsx(folder / "绩效目标表_修订.xlsx", [("绩效目标", rows)], {"绩效目标": merges})
