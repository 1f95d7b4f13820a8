"""Which budget a rate is divided by, said wherever a rate is shown (case 15 of issue 16): the
chart, status and score at one date divide by the same budget (the adjusted budget in force at
that date, as the evaluation divides by the full year's), a checkpoint's point also says the rate
against the budget of its own day, and no checkpoint is judged on a day the data has not reached."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from jobs.cli.score import explain
from jobs.execution import ExecutionSettings, curve, scores, status
from jobs.reports.chart import Style, _draw, headline
from tests.conftest import NOW
from tests.helpers import adjustment, adjustment_rows, ingest_rows, payment, payment_rows, quota_export, quota_line

A = "901001 - 市测试局本级"
DEFAULT = ExecutionSettings()
pytestmark = pytest.mark.filterwarnings("ignore:Glyph")  # the figures are read, not looked at: no CJK font needed
MAR31, JUN30 = dt.date(2023, 3, 31), dt.date(2023, 6, 30)


def import_year(factory, tmp_path, *, paid_export: dt.date = MAR31):
    """100,000 at the start of the year, 20,000 paid by 31 March, +60,000 added on 1 May."""
    ingest_rows(factory, tmp_path / "q.csv", quota_export(dt.date(2023, 1, 3), quota_line("ZB1", A, "100000.00")),
                now=NOW)
    ingest_rows(factory, tmp_path / "p.csv", payment_rows(payment("P1", "2023-03-10", "20,000.00", unit=A,
                                                                  quota="ZB1")), now=NOW, as_of=paid_export)
    ingest_rows(factory, tmp_path / "a.csv", adjustment_rows(adjustment("TZ1", "2023-05-01", "ZB1", "追加",
                                                                        "60000.00")), now=NOW)


def texts(figure) -> str:
    return "\n".join(t.get_text() for t in figure.findobj(lambda a: hasattr(a, "get_text")))


def test_chart_status_and_score_at_one_date_divide_by_the_same_budget_and_the_chart_says_which(factory, tmp_path):
    import_year(factory, tmp_path)
    chart = curve(factory, year=2023, as_of=JUN30, settings=DEFAULT)
    department = next(s for s in status(factory, year=2023, as_of=JUN30, settings=DEFAULT).statuses
                      if s.entity.level == "department")
    progress = next(i for i in next(c for c in scores(factory, year=2023, as_of=JUN30, settings=DEFAULT)
                                    if c.level == "department").indicators if i.key == "payment_progress")
    assert chart.budget == department.entity.budget == {i.name: i.value for i in progress.inputs}["budget"] == D(
        "160000.00")
    assert chart.budgets_then == ((MAR31, D("100000.00")),)  # what status divided by on 31 March
    drawn = texts(_draw(chart, "zh", "测试", Style("bold")))
    assert "12.50%（目标 25%）" in drawn  # the evaluation's way: ÷ the latest (full-year) budget
    assert "当日预算 10.00 万元：20.00%" in drawn  # and what status said on the day
    assert "占 2023-06-30 的调整后预算 16.00 万元" in drawn


def test_the_score_table_names_the_budget_the_checkpoints_are_divided_by(factory, tmp_path):
    import_year(factory, tmp_path)
    card = next(c for c in scores(factory, year=2023, as_of=JUN30, settings=DEFAULT) if c.level == "unit")
    line = explain(next(i for i in card.indicators if i.key == "payment_progress"), "zh")
    assert "03-31 12.50%" in line and "÷ 调整后预算 16.00 万元（考核口径：全年调整后预算）" in line


def test_the_chart_does_not_judge_a_checkpoint_the_data_has_not_reached(factory, tmp_path):
    import_year(factory, tmp_path, paid_export=dt.date(2023, 3, 24))  # a Friday: 27–31 March are working days
    chart = curve(factory, year=2023, as_of=dt.date(2023, 4, 10), settings=DEFAULT)
    assert chart.data_date == dt.date(2023, 3, 24)
    drawn = texts(_draw(chart, "zh", "测试", Style("bold")))
    assert "数据截至 2023-03-24，待判定" in drawn and "（目标 25%）" not in drawn
    on_the_day = curve(factory, year=2023, as_of=MAR31, settings=DEFAULT)
    title, _ = headline(on_the_day, "zh")
    assert "数据截至 2023-03-24" in title and "未达标" not in title
