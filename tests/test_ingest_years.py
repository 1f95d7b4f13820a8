"""An export without a 预算年度 column whose rows span New Year (a week-53 file) is split: each
row goes to the year its date (or, for quota lines, its 指标明细号) tells, in one transaction;
``--year`` on such a file refuses it whole and says why (jobs/ingest/years.py).

The files are real: .xlsx through openpyxl and CSV in GBK (GB18030), as the payment systems write
them; the database is queried afterwards."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from db.engine import transaction
from db.figures import latest_payment_export
from db.models import Adjustment, Import, Payment, QuotaLine
from jobs.cli.app import cli
from jobs.execution import data_date
from jobs.ingest import ingest_file
from tests.helpers import (
    adjustment,
    adjustment_rows,
    payment,
    payment_rows,
    quota_export,
    quota_line,
    snapshot,
    write_csv,
    write_xlsx,
)

NOW = dt.datetime(2027, 1, 4, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
WEEK_53 = [payment("ZF2601", "2026-12-28", "100.00"), payment("ZF2602", "2026-12-30", "200.00"),
           payment("ZF2603", "2026-12-31", "300.00"), payment("ZF2701", "2027-01-02", "40.00"),
           payment("ZF2702", "2027-01-03", "50.00")]
QUOTA_HEADER = ["指标明细号", "预算单位", "功能分类", "经济分类", "年初预算数", "调整数", "调整后预算数"]
UNIT = "158001 - 乌鲁木齐市科学技术协会"


def write(path: Path, rows) -> Path:
    if path.suffix == ".xlsx":
        return write_xlsx(path, rows)
    return write_csv(path, rows, encoding="gb18030")


def stored_payments(factory) -> dict[str, int]:
    with transaction(factory) as session:
        return {no: year for no, year in session.execute(select(Payment.payment_no, Payment.budget_year))}


@pytest.mark.parametrize("name", ["2027-W53_支付.xlsx", "2027-W53_支付.csv"])
def test_a_payment_export_spanning_new_year_is_split_into_its_two_years(factory, tmp_path, name):
    outcome = ingest_file(factory, write(tmp_path / name, payment_rows(*WEEK_53)), now=NOW)
    assert outcome.status == "ingested", outcome.problems
    assert outcome.years == {2026: 3, 2027: 2} and outcome.inserted == 5
    assert stored_payments(factory) == {"ZF2601": 2026, "ZF2602": 2026, "ZF2603": 2026,
                                        "ZF2701": 2027, "ZF2702": 2027}
    with transaction(factory) as session:
        [row] = session.scalars(select(Import)).all()
        assert (row.budget_year, row.detail["years"]) == (2027, {"2026": 3, "2027": 2})
        assert latest_payment_export(session, 2026) == latest_payment_export(session, 2027) == dt.date(2027, 1, 3)
    assert data_date(factory, 2026, dt.date(2027, 1, 4)) == dt.date(2026, 12, 31), "the file reaches 2026's end"
    assert ingest_file(factory, tmp_path / name, now=NOW).status == "unchanged"


def test_the_command_line_says_how_a_spanning_file_was_split(tmp_path):
    path = write(tmp_path / "w53.csv", payment_rows(*WEEK_53))
    db = str(tmp_path / "m.sqlite")
    said = CliRunner().invoke(cli, ["--db", db, "ingest", str(path)], env={})
    assert said.exit_code == 0, said.output
    assert "跨新年，按日期分别导入各自年度：2026 年 3 行、2027 年 2 行" in said.output
    again = CliRunner().invoke(cli, ["--db", str(tmp_path / "n.sqlite"), "--lang", "en", "ingest", "--json",
                                     str(path)], env={})
    assert json.loads(again.output)["files"][0]["years"] == {"2026": 3, "2027": 2}


@pytest.mark.parametrize("name", ["w53.xlsx", "w53.csv"])
def test_year_2026_on_a_spanning_file_refuses_it_naming_the_2027_rows_and_the_way_out(engine, factory, tmp_path,
                                                                                   name):
    before = snapshot(engine)
    outcome = ingest_file(factory, write(tmp_path / name, payment_rows(*WEEK_53)), now=NOW, year=2026)
    assert outcome.status == "refused" and snapshot(engine) == before
    spans, *rows = outcome.problems
    assert spans.code == "year_given_spans" and spans.row is None
    assert "不加 --year 导入，各行即分别导入各自的年度" in spans.describe(name)
    assert "2026 年 3 行、2027 年 2 行" in spans.describe(name)
    assert "3 rows of 2026, 2 rows of 2027" in spans.describe(name, "en")
    assert [(p.code, p.row, p.value) for p in rows] == [("date_outside_year", 7, "2027-01-02"),
                                                        ("date_outside_year", 8, "2027-01-03")]


def test_a_spanning_file_with_one_bad_row_is_refused_whole(engine, factory, tmp_path):
    before = snapshot(engine)
    bad = [*WEEK_53[:4], payment("ZF2702", "2027-01-03", "五十")]
    outcome = ingest_file(factory, write(tmp_path / "bad.csv", payment_rows(*bad)), now=NOW)
    assert outcome.status == "refused" and [p.row for p in outcome.problems] == [8]
    assert snapshot(engine) == before, "not the 2026 part either"


def test_rows_of_years_further_apart_are_no_new_year_export_and_are_refused(engine, factory, tmp_path):
    before = snapshot(engine)
    rows = [payment("ZF1", "2025-12-30", "1.00"), payment("ZF2", "2027-01-02", "2.00")]
    outcome = ingest_file(factory, write(tmp_path / "apart.csv", payment_rows(*rows)), now=NOW)
    assert [p.code for p in outcome.problems] == ["years_apart"] and snapshot(engine) == before
    assert "分属 2025、2027 年（2025 年 1 行、2027 年 1 行）" in outcome.problems[0].describe("apart.csv")


def test_an_adjustment_export_spanning_new_year_is_split_by_its_dates(factory, tmp_path):
    rows = adjustment_rows(adjustment("TZ2601", "2026-12-29", "ZB001", "追加", "10.00"),
                           adjustment("TZ2701", "2027-01-02", "ZB101", "追减", "-5.00"))
    for year, line in ((2026, "ZB001"), (2027, "ZB101")):  # each year's lines must be known
        ingest_file(factory, write_csv(tmp_path / f"q{year}.csv", quota_export(
            dt.date(year, 1, 3), quota_line(line, "158001 - 科协", "100.00", year=year))), now=NOW)
    outcome = ingest_file(factory, write(tmp_path / "调整.xlsx", rows), now=NOW)
    assert outcome.status == "ingested" and outcome.years == {2026: 1, 2027: 1}
    with transaction(factory) as session:
        assert {n: y for n, y in session.execute(select(Adjustment.adjustment_no, Adjustment.budget_year))} == {
            "TZ2601": 2026, "TZ2701": 2027}


def test_a_quota_export_without_a_year_column_takes_each_line_s_year_from_its_id(factory, tmp_path):
    def line(no: str):
        return [no, UNIT, "2060701 - 机构运行", "30201 - 办公费", "1000.00", "0.00", "1000.00"]

    rows = [QUOTA_HEADER, line("2026ZB0001"), line("2026ZB0002"), line("2027ZB0001")]
    outcome = ingest_file(factory, write(tmp_path / "指标.csv", rows), now=NOW)
    assert outcome.status == "ingested" and outcome.years == {2026: 2, 2027: 1}
    with transaction(factory) as session:
        assert sorted(tuple(r) for r in session.execute(select(QuotaLine.quota_no, QuotaLine.budget_year))) == [
            ("2026ZB0001", 2026), ("2026ZB0002", 2026), ("2027ZB0001", 2027)]
    plain = [QUOTA_HEADER, line("ZB0001"), line("2027ZB0009")]
    refused = ingest_file(factory, write(tmp_path / "混合.csv", plain), now=NOW)
    assert [p.code for p in refused.problems] == ["no_year"], "an id without a year: the file must say it"


def test_a_file_of_one_year_still_takes_that_year_from_its_dates(factory, tmp_path):
    outcome = ingest_file(factory, write(tmp_path / "p.csv", payment_rows(*WEEK_53[:3])), now=NOW)
    assert (outcome.status, outcome.budget_year, outcome.years) == ("ingested", 2026, {})
