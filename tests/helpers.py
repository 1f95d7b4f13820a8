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
