"""Builders of real export files (xlsx via openpyxl, xls via xlwt, CSV in GBK or UTF-8) and a
snapshot of every table, to prove that a refused file changed nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import openpyxl
from sqlalchemy import Engine, MetaData, select

Row = Sequence[object]


def write_csv(path: Path, rows: Sequence[Row], encoding: str = "utf-8-sig") -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in row])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, rows: Sequence[Row], merges: Sequence[str] = ()) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    for cell_range in merges:
        sheet.merge_cells(cell_range)
    workbook.save(path)
    return path


def write_xls(path: Path, rows: Sequence[Row]) -> Path:
    import xlwt

    workbook = xlwt.Workbook(encoding="utf-8")
    sheet = workbook.add_sheet("Sheet1")
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            if cell is not None:
                sheet.write(r, c, cell)
    workbook.save(str(path))
    return path


def snapshot(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table, sorted: equal snapshots mean an unchanged database."""
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        return {
            name: sorted(tuple(map(repr, row)) for row in connection.execute(select(table)))
            for name, table in metadata.tables.items()
        }


PAYMENT_HEADER = ["支付申请号", "支付日期", "预算单位", "指标明细号", "功能分类", "经济分类", "支付金额", "支付状态"]


def payment_rows(*rows: Row, title: bool = True, total: str | None = None) -> list[Row]:
    """A payment export: optional title and unit rows, the header, rows, optional totals row."""
    head: list[Row] = [["支付明细导出表"], ["金额单位：元"]] if title else []
    tail: list[Row] = [["合计", "", "", "", "", "", total, ""]] if total is not None else []
    return [*head, PAYMENT_HEADER, *rows, *tail]


def payment(no: str, date: str, amount: str, *, unit: str = "158001 - 乌鲁木齐市科学技术协会",
            quota: str = "ZB001", status: str = "已支付") -> Row:
    return [no, date, unit, quota, "2060701 - 机构运行", "30201 - 办公费", amount, status]


# --- exports of invented departments, for the engine tests -------------------------------------

QUOTA_HEADER = ["指标明细号", "预算年度", "主管部门", "预算单位", "功能分类", "经济分类", "项目", "支出类型",
                "三公经费", "年初预算数", "调整数", "调整后预算数"]
ADJUSTMENT_HEADER = ["调整单号", "调整日期", "指标明细号", "调整类型", "调整金额", "调整原因", "豁免类别"]


def quota_line(no: str, unit: str, initial: str, adjustment: str = "0.00", *, year: int = 2023,
               department: str = "901 - 市测试局", economic: str = "30201 - 办公费",
               functional: str = "2010101 - 行政运行", project: str | None = None,
               three_public: bool = False) -> Row:
    """One quota line as the payment system exports it; 调整后预算数 = 年初预算数 + 调整数."""
    from decimal import Decimal

    current = Decimal(initial.replace(",", "")) + Decimal(adjustment.replace(",", ""))
    return [no, year, department, unit, functional, economic, project or "",
            "项目支出" if project else "基本支出", "是" if three_public else "否", initial, adjustment,
            f"{current:.2f}"]


def quota_export(day, *lines: Row) -> list[Row]:
    """A quota export dated ``day`` (its title row says 截至…, the date the importer reads)."""
    return [["单位指标额度查询导出明细表"],
            [f"预算年度：{day.year}年    截至{day.year}年{day.month}月{day.day}日    金额单位：元"],
            QUOTA_HEADER, *lines]


def adjustment(no: str, day: str, quota: str, kind: str, amount: str, exempt: str = "",
               reason: str = "") -> Row:
    return [no, day, quota, kind, amount, reason, exempt]


def adjustment_rows(*rows: Row) -> list[Row]:
    return [ADJUSTMENT_HEADER, *rows]


def ingest_rows(factory, path: Path, rows: Sequence[Row], *, now, **options):
    """Write ``rows`` as a CSV export at ``path`` and import it through the real importer; the
    file must be taken."""
    from jobs.ingest import ingest_file

    outcome = ingest_file(factory, write_csv(path, rows), now=now, **options)
    assert outcome.status == "ingested", [p for p in outcome.problems]
    return outcome
