"""The execution engine on real export files, through the real importer, on SQLite and PostgreSQL.

Every department here is invented (codes 901…) except the demo's 乌鲁木齐市科学技术协会, whose
figures are those of the 2023 evaluation (表 6-1 and the appendix).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from decimal import Decimal

import pytest

from db.engine import make_engine, session_factory, sqlite_url
from jobs.demo.run import demo_settings, run_demo
from jobs.execution import ExecutionSettings, curve, scores, status
from monitor.money import two
from monitor.rulebook import RuleBook
from tests.conftest import NOW
from tests.helpers import (
    adjustment,
    adjustment_rows,
    ingest_rows,
    payment,
    payment_rows,
    quota_export,
    quota_line,
)

D = Decimal
DEFAULT = ExecutionSettings()
A = "901001 - 市测试局本级"
B = "901002 - 市测试中心"
JAN3, JUN30, DEC31 = dt.date(2023, 1, 3), dt.date(2023, 6, 30), dt.date(2023, 12, 31)


# --- reading the results ------------------------------------------------------------------------


def entity(report, level: str, code: str):
    return next(s for s in report.statuses if s.entity.level == level and s.entity.code == code)


def card(cards, level: str, code: str):
    return next(c for c in cards if c.level == level and c.code == code)


def indicator(score_card, key: str):
    return next(i for i in score_card.indicators if i.key == key)


def inputs(score) -> dict[str, object]:
    return {i.name: i.value for i in score.inputs}


def budgets(report) -> dict[str, Decimal]:
    return {line.quota_no: line.budget for line in report.lines}


# --- the demo: 乌鲁木齐市科学技术协会, 2023 -----------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo's exports imported into its own SQLite file, once for the module (several seconds)."""
    folder = tmp_path_factory.mktemp("demo")
    with contextlib.redirect_stdout(io.StringIO()):
        run_demo(folder, as_json=True, now=NOW)
    engine = make_engine(sqlite_url(folder / "demo.sqlite"))
    yield session_factory(engine)
    engine.dispose()


def test_the_demo_scores_reproduce_the_quarterly_rates_of_the_2023_evaluation(demo):
    department = card(scores(demo, year=2023, as_of=DEC31, settings=DEFAULT), "department", "158")
    progress = inputs(indicator(department, "payment_progress"))
    assert progress["budget"] == D("15009700.00")  # 1500.97 万元, the full-year adjusted budget
    assert [two(progress[f"2023-{day}.rate"]) for day in ("03-31", "06-30", "09-30")] == [  # exact inside
        "17.96", "35.55", "64.85"]
    assert [progress[f"2023-{day}.paid"] for day in ("03-31", "06-30", "09-30")] == [
        D("2696400.00"), D("5336600.00"), D("9733700.00")]
    assert progress["met"] == "0/3"
    assert indicator(department, "payment_progress").score == D("0.00")
    assert indicator(department, "payment_progress").status == "final"


def test_the_demo_execution_rate_at_year_end_is_95_72_percent_and_earns_the_full_weight(demo):
    department = card(scores(demo, year=2023, as_of=DEC31, settings=DEFAULT), "department", "158")
    execution = indicator(department, "execution_rate")
    assert two(inputs(execution)["rate"]) == "95.72"
    assert inputs(execution)["paid"] == D("14367200.00")
    assert execution.score == D("3.00")


def test_the_demo_status_at_each_quarter_end_shows_what_had_been_paid_by_then(demo):
    paid = {day: entity(status(demo, year=2023, as_of=day, settings=DEFAULT), "department", "158").entity.paid
            for day in (dt.date(2023, 3, 31), JUN30, dt.date(2023, 9, 30), DEC31)}
    assert list(paid.values()) == [D("2696400.00"), D("5336600.00"), D("9733700.00"), D("14367200.00")]
    year_end = entity(status(demo, year=2023, as_of=DEC31, settings=DEFAULT), "department", "158")
    assert (year_end.entity.budget, year_end.entity.execution_rate) == (D("15009700.00"), D("95.72"))


def test_the_demo_department_is_the_sum_of_its_three_units(demo):
    report = status(demo, year=2023, as_of=DEC31, settings=DEFAULT)
    units = [s.entity for s in report.statuses if s.entity.level == "unit"]
    department = entity(report, "department", "158").entity
    assert {u.code for u in units} == {"158001", "158002", "158003"}
    assert sum(u.budget for u in units) == department.budget
    assert sum(u.paid for u in units) == department.paid


def test_the_demo_three_public_expenses_lose_the_weight_because_the_budget_grew_over_last_year(demo):
    department = card(scores(demo, year=2023, as_of=DEC31, settings=demo_settings()), "department", "158")
    control = indicator(department, "three_public_control")
    assert inputs(control)["previous_budget"] == D("80900")  # 8.09 万元, from the rules
    assert inputs(control)["budget"] > inputs(control)["previous_budget"]
    assert control.score == 0


# --- an invented department: 2 of 3 checkpoints, 88% at year end ------------------------------


def import_department_901(factory, tmp_path):
    """Budget 1,000,000.00 over three lines of two units; cumulative paid 30% at 03-31, 45% at
    06-30, 80% at 09-30 and 88% at 12-31, in an H1 export and an overlapping full-year one."""
    ingest_rows(factory, tmp_path / "2023-01-03_指标.csv", quota_export(
        JAN3,
        quota_line("ZB901001A", A, "300000.00"),
        quota_line("ZB901001B", A, "200000.00", economic="30101 - 基本工资"),
        quota_line("ZB901002A", B, "500000.00", project="901002230001 - 检测能力建设",
                   functional="2069999 - 其他科学技术支出")),
        now=NOW)
    first_half = [
        payment("P01", "2023-02-10", "100,000.00", unit=A, quota="ZB901001A"),
        payment("P02", "2023-03-31", "200,000.00", unit=B, quota="ZB901002A"),  # on the checkpoint day
        payment("P03", "2023-04-01", "150,000.00", unit=A, quota="ZB901001B"),
        payment("P04", "2023-06-30", "100,000.00", unit=B, quota="ZB901002A", status="已作废"),  # never paid
    ]
    rest = [
        payment("P05", "2023-07-15", "350,000.00", unit=B, quota="ZB901002A"),
        payment("P06", "2023-11-20", "80,000.00", unit=A, quota="ZB901001A"),
    ]
    ingest_rows(factory, tmp_path / "2023-06-30_支付.csv", payment_rows(*first_half), now=NOW)
    ingest_rows(factory, tmp_path / "2023-12-31_支付.csv", payment_rows(*first_half, *rest), now=NOW)


def test_a_department_at_30_45_80_percent_meets_two_of_three_checkpoints_and_scores_two_of_three_points(
        factory, tmp_path):
    import_department_901(factory, tmp_path)
    department = card(scores(factory, year=2023, as_of=DEC31, settings=DEFAULT), "department", "901")
    progress = indicator(department, "payment_progress")
    figures = inputs(progress)
    assert figures["budget"] == D("1000000.00")
    assert [figures[f"2023-{day}.rate"] for day in ("03-31", "06-30", "09-30")] == [D("30.00"), D("45.00"),
                                                                                   D("80.00")]
    assert [figures[f"2023-{day}.met"] for day in ("03-31", "06-30", "09-30")] == [True, False, True]
    assert figures["met"] == "2/3"
    assert (progress.score, progress.status) == (D("2.00"), "final")


def test_a_department_at_88_percent_at_year_end_earns_90_percent_of_the_execution_weight(factory, tmp_path):
    import_department_901(factory, tmp_path)
    department = card(scores(factory, year=2023, as_of=DEC31, settings=DEFAULT), "department", "901")
    execution = indicator(department, "execution_rate")
    assert (inputs(execution)["paid"], inputs(execution)["rate"]) == (D("880000.00"), D("88.00"))
    assert inputs(execution)["band_share"] == D("0.9")
    assert execution.score == D("2.70")
    # No adjustment: rate 0 → full; no 三公 budget of last year anywhere → not measurable.
    assert indicator(department, "adjustment_rate").score == D("3.00")
    assert indicator(department, "three_public_control").score is None
    assert (department.score, department.weight) == (D("7.70"), D("9"))


def test_each_unit_is_scored_on_its_own_payments(factory, tmp_path):
    import_department_901(factory, tmp_path)
    cards = scores(factory, year=2023, as_of=DEC31, settings=DEFAULT)
    own, centre = card(cards, "unit", "901001"), card(cards, "unit", "901002")
    # 901001: 100k of 500k at 03-31 (20%), 250k at 06-30 (50%), 250k at 09-30 (50%), 330k (66%) at the end
    assert inputs(indicator(own, "payment_progress"))["met"] == "1/3"
    assert indicator(own, "payment_progress").score == D("1.00")
    assert inputs(indicator(own, "execution_rate"))["rate"] == D("66.00")
    assert indicator(own, "execution_rate").score == D("0.00")
    # 901002: 40%, 40%, 110%, 110%
    assert inputs(indicator(centre, "payment_progress"))["met"] == "2/3"
    assert indicator(centre, "execution_rate").score == D("3.00")


def test_during_the_year_payment_progress_is_heading_for_the_checkpoints_still_ahead(factory, tmp_path):
    import_department_901(factory, tmp_path)
    as_of = dt.date(2023, 5, 15)
    department = card(scores(factory, year=2023, as_of=as_of, settings=DEFAULT), "department", "901")
    progress = indicator(department, "payment_progress")
    figures = inputs(progress)
    assert progress.status == "heading"
    assert (figures["2023-03-31.paid"], figures["2023-03-31.projected"]) == (D("300000.00"), False)
    # 450,000.00 paid by 15 May, kept at the pace of the months schedule: × 6 ÷ (4 + 15/31)
    assert (figures["2023-06-30.paid"], figures["2023-06-30.projected"]) == (D("602158.27"), True)
    assert indicator(department, "execution_rate").status == "heading"


# --- the budget in force at a date ------------------------------------------------------------


BUDGET_FILES = {
    "first": quota_export(JAN3, quota_line("ZB1", A, "100000.00"), quota_line("ZB2", B, "200000.00")),
    # ZB1 at 06-30 shows 128,000: the two 调整单 below (+50,000, −20,000) and a cut of 2,000 that
    # the adjustment export does not list; ZB3 was created on 05-10.
    "second": quota_export(JUN30, quota_line("ZB1", A, "100000.00", "28000.00"), quota_line("ZB2", B, "200000.00"),
                           quota_line("ZB3", B, "0.00", "30000.00")),
    "adjustments": adjustment_rows(
        adjustment("TZ1", "2023-04-15", "ZB1", "追加", "50000.00"),
        adjustment("TZ2", "2023-06-20", "ZB1", "追减", "-20000.00"),
        adjustment("TZ3", "2023-05-10", "ZB3", "追加", "30000.00"),
        adjustment("TZ4", "2023-08-01", "ZB1", "追加", "5000.00")),
}


# (Adjustments of a year before any of its quota exports are refused: tests/test_adjustments_sanity.py.)
@pytest.mark.parametrize("order", [("first", "adjustments", "second"), ("second", "adjustments", "first")],
                         ids=["by-date", "newest-first"])
def test_the_budget_in_force_is_the_latest_export_before_the_date_moved_by_later_adjustments(
        factory, tmp_path, order):
    for name in order:
        ingest_rows(factory, tmp_path / f"{name}.csv", BUDGET_FILES[name], now=NOW)

    def at(day):
        return budgets(status(factory, year=2023, as_of=dt.date(2023, *day), settings=DEFAULT))

    assert at((3, 31)) == {"ZB1": D("100000.00"), "ZB2": D("200000.00"), "ZB3": D("0")}
    assert at((5, 1)) == {"ZB1": D("150000.00"), "ZB2": D("200000.00"), "ZB3": D("0")}
    assert at((5, 10))["ZB3"] == D("30000.00")
    assert at((6, 25))["ZB1"] == D("130000.00")  # still the first export, with both adjustments
    assert at((7, 1))["ZB1"] == D("128000.00")  # the second export
    assert at((8, 15))["ZB1"] == D("133000.00")  # the second export and TZ4
    department = entity(status(factory, year=2023, as_of=dt.date(2023, 7, 1), settings=DEFAULT), "department", "901")
    assert department.entity.budget == D("358000.00")


# --- the next checkpoint ------------------------------------------------------------------------


def import_pacing_department(factory, tmp_path):
    ingest_rows(factory, tmp_path / "q.csv", quota_export(JAN3, quota_line("ZB1", A, "600000.00"),
                                                          quota_line("ZB2", B, "400000.00")), now=NOW)
    ingest_rows(factory, tmp_path / "p.csv", payment_rows(
        payment("P1", "2023-03-01", "250,000.00", unit=B, quota="ZB2"),
        payment("P2", "2023-05-05", "150,000.02", unit=A, quota="ZB1")), now=NOW)


def test_the_next_checkpoint_counts_the_working_days_left_around_the_dragon_boat_festival(factory, tmp_path):
    import_pacing_department(factory, tmp_path)
    report = status(factory, year=2023, as_of=dt.date(2023, 6, 20), settings=DEFAULT)
    upcoming = entity(report, "department", "901").next_checkpoint
    assert (upcoming.date, upcoming.target_rate) == (JUN30, D(50))
    assert upcoming.target_amount == D("500000.00")
    assert upcoming.gap == D("99999.98")  # 500,000.00 − 400,000.02
    # 21 Jun, 25 Jun (Sunday, 调休) and 26–30 Jun; 22–23 Jun are 端午节, 24 Jun a Saturday.
    assert upcoming.working_days_left == 7
    assert upcoming.daily_needed == D("14285.72")  # 99,999.98 ÷ 7 = 14,285.711… rounded up to the fen
    assert upcoming.daily_needed * upcoming.working_days_left >= upcoming.gap


def test_a_unit_past_its_next_checkpoint_target_needs_nothing_more(factory, tmp_path):
    import_pacing_department(factory, tmp_path)
    report = status(factory, year=2023, as_of=dt.date(2023, 6, 20), settings=DEFAULT)
    ahead, behind = entity(report, "unit", "901002").next_checkpoint, entity(report, "unit", "901001").next_checkpoint
    assert (ahead.gap, ahead.daily_needed) == (D("0"), D("0"))
    assert behind.gap == D("149999.98")
    assert behind.daily_needed == D("21428.57")


def test_the_next_checkpoint_counts_the_adjusted_sunday_before_labour_day_as_a_working_day(factory, tmp_path):
    import_pacing_department(factory, tmp_path)
    book = RuleBook(base={"checkpoints": {"05-10": 30, "06-30": 50, "09-30": 75, "12-31": 95}})
    report = status(factory, year=2023, as_of=dt.date(2023, 4, 20), settings=ExecutionSettings(rule_book=book))
    upcoming = entity(report, "department", "901").next_checkpoint
    assert (upcoming.date, upcoming.gap) == (dt.date(2023, 5, 10), D("50000.00"))
    # 21 Apr, 23 Apr (Sunday, 调休), 24–28 Apr, 4–5 May, 6 May (Saturday, 调休), 8–10 May;
    # 29 Apr – 3 May are 劳动节. Monday to Friday would give 14.
    assert upcoming.working_days_left == 13
    assert upcoming.daily_needed == D("3846.16")  # 50,000 ÷ 13 = 3,846.153… rounded up, not to nearest


def test_on_a_checkpoint_day_the_whole_gap_is_due_that_day(factory, tmp_path):
    import_pacing_department(factory, tmp_path)
    report = status(factory, year=2023, as_of=dt.date(2023, 3, 31), settings=DEFAULT)
    upcoming = entity(report, "unit", "901001").next_checkpoint
    assert upcoming.date == dt.date(2023, 3, 31)
    assert (upcoming.working_days_left, upcoming.gap, upcoming.daily_needed) == (0, D("150000.00"), D("150000.00"))


# --- projections from the shape of earlier years ----------------------------------------------


def import_history_year(factory, tmp_path, year: int, amounts: dict[str, str]):
    """One earlier year of unit 901001: a quota line and payments on the given days."""
    ingest_rows(factory, tmp_path / f"{year}-q.csv", quota_export(
        dt.date(year, 12, 31), quota_line(f"ZB{year}", A, "1000000.00", year=year)), now=NOW)
    ingest_rows(factory, tmp_path / f"{year}-p.csv", payment_rows(*(
        payment(f"P{year}-{i}", f"{year}-{day}", amount, unit=A, quota=f"ZB{year}")
        for i, (day, amount) in enumerate(amounts.items()))), now=NOW)


def import_2023_for_history(factory, tmp_path):
    ingest_rows(factory, tmp_path / "2023-q.csv", quota_export(JAN3, quota_line("ZB1", A, "1000000.00")), now=NOW)
    ingest_rows(factory, tmp_path / "2023-p.csv",
                payment_rows(payment("P1", "2023-02-20", "100,000.00", unit=A, quota="ZB1")), now=NOW)


# 2022 was back-loaded: 100,000 by 30 April, 200,000 by 30 June, 400,000 by 30 September, 900,000 in all.
SHAPE_2022 = {"02-15": "100000.00", "05-10": "100000.00", "08-10": "200000.00", "11-20": "500000.00"}


def test_a_projection_follows_the_shape_of_the_year_before(factory, tmp_path):
    import_history_year(factory, tmp_path, 2022, SHAPE_2022)
    import_2023_for_history(factory, tmp_path)
    report = status(factory, year=2023, as_of=dt.date(2023, 4, 30), settings=DEFAULT)
    for level, code in (("department", "901"), ("unit", "901001")):
        now = entity(report, level, code)
        assert (now.year_end.method, now.year_end.years) == ("history", (2022,))
        # 100,000 paid × (900,000 by 12-31 ÷ 100,000 by 04-30 in 2022)
        assert now.year_end.paid == D("900000.00")
        upcoming = now.next_checkpoint.projection
        assert (upcoming.date, upcoming.method, upcoming.paid) == (JUN30, "history", D("200000.00"))
        assert now.next_checkpoint.projected_to_miss  # 20% projected against 50%


def test_a_projection_follows_the_summed_shape_of_several_earlier_years(factory, tmp_path):
    import_history_year(factory, tmp_path, 2022, SHAPE_2022)
    # 2021 was front-loaded: 300,000 by 30 April, 500,000 by 30 June, 600,000 in all.
    import_history_year(factory, tmp_path, 2021, {"03-01": "300000.00", "06-01": "200000.00", "12-01": "100000.00"})
    import_2023_for_history(factory, tmp_path)
    report = status(factory, year=2023, as_of=dt.date(2023, 4, 30), settings=DEFAULT)
    year_end = entity(report, "unit", "901001").year_end
    assert (year_end.method, year_end.years) == ("history", (2021, 2022))
    # 100,000 × (900,000 + 600,000) ÷ (100,000 + 300,000)
    assert year_end.paid == D("375000.00")


def test_without_earlier_years_a_projection_keeps_the_pace_of_the_time_schedule(factory, tmp_path):
    import_2023_for_history(factory, tmp_path)
    report = status(factory, year=2023, as_of=dt.date(2023, 4, 30), settings=DEFAULT)
    now = entity(report, "unit", "901001")
    assert (now.year_end.method, now.year_end.years) == ("linear", ())
    assert now.year_end.paid == D("300000.00")  # 4 of 12 months gone: × 3
    assert now.next_checkpoint.projection.paid == D("150000.00")  # × 6/4


# --- payments without a known quota line, one unit at a time ----------------------------------


def import_two_units_with_loose_ends(factory, tmp_path):
    """Two units; a payment against a quota line no export shows; adjustments imported after
    the quota lines, one exempt; a 2022 whose shape the projections follow and whose 三公 line
    the three-public control compares with."""
    ingest_rows(factory, tmp_path / "2022-q.csv", quota_export(
        dt.date(2022, 12, 31),
        quota_line("ZB22-1", A, "500000.00", year=2022),
        quota_line("ZB22-3", B, "120000.00", year=2022, economic="30217 - 公务接待费", three_public=True)),
        now=NOW)
    ingest_rows(factory, tmp_path / "2022-p.csv", payment_rows(
        payment("P22-1", "2022-02-01", "50,000.00", unit=A, quota="ZB22-1"),
        payment("P22-2", "2022-09-01", "200,000.00", unit=A, quota="ZB22-1"),
        payment("P22-3", "2022-03-01", "20,000.00", unit=B, quota="ZB22-3"),
        payment("P22-4", "2022-05-01", "5,000.00", unit=B, quota="ZB22-X"),
        payment("P22-5", "2022-10-01", "60,000.00", unit=B, quota="ZB22-3")), now=NOW)
    ingest_rows(factory, tmp_path / "q.csv", quota_export(
        JAN3,
        quota_line("ZB1", A, "600000.00"),
        quota_line("ZB2", B, "300000.00", project="901002230001 - 检测能力建设"),
        quota_line("ZB3", B, "100000.00", economic="30217 - 公务接待费", three_public=True)), now=NOW)
    ingest_rows(factory, tmp_path / "adj.csv", adjustment_rows(
        adjustment("TZ1", "2023-02-01", "ZB1", "追加", "20000.00"),
        adjustment("TZ2", "2023-03-01", "ZB2", "追加", "50000.00", exempt="上级交办")), now=NOW)
    ingest_rows(factory, tmp_path / "p.csv", payment_rows(
        payment("P1", "2023-01-20", "120,000.00", unit=A, quota="ZB1"),
        payment("P2", "2023-02-20", "90,000.00", unit=B, quota="ZB2"),
        payment("P3", "2023-03-10", "30,000.00", unit=B, quota="ZB-UNKNOWN"),
        payment("P4", "2023-04-10", "8,000.00", unit=B, quota="ZB3"),
        payment("P5", "2023-05-10", "-5,000.00", unit=A, quota="ZB1", status="已退回")), now=NOW)


def test_a_payment_against_an_unknown_quota_line_still_counts_for_its_unit(factory, tmp_path):
    import_two_units_with_loose_ends(factory, tmp_path)
    report = status(factory, year=2023, as_of=dt.date(2023, 6, 1), settings=DEFAULT)
    assert entity(report, "unit", "901002").entity.paid == D("128000.00")  # 90,000 + 30,000 + 8,000
    assert entity(report, "department", "901").entity.paid == D("243000.00")  # and 120,000 − 5,000 of 901001
    loose = next(line for line in report.lines if line.quota_no == "ZB-UNKNOWN")
    assert (loose.unit_code, loose.department_code, loose.budget, loose.paid) == ("901002", "901", D("0"),
                                                                                  D("30000.00"))
    centre = card(scores(factory, year=2023, as_of=DEC31, settings=DEFAULT), "unit", "901002")
    assert inputs(indicator(centre, "payment_progress"))["2023-03-31.paid"] == D("120000.00")  # 90,000 + 30,000


@pytest.mark.parametrize("unit_code", ["901001", "901002"])
def test_status_of_one_unit_gives_the_same_figures_as_the_whole_run(factory, tmp_path, unit_code):
    import_two_units_with_loose_ends(factory, tmp_path)
    as_of = dt.date(2023, 6, 1)
    whole = entity(status(factory, year=2023, as_of=as_of, settings=DEFAULT), "unit", unit_code)
    alone_report = status(factory, year=2023, as_of=as_of, settings=DEFAULT, unit_code=unit_code)
    alone = entity(alone_report, "unit", unit_code)
    assert alone.entity == whole.entity
    assert alone.schedule_rate == whole.schedule_rate
    assert alone.next_checkpoint == whole.next_checkpoint
    assert alone.year_end == whole.year_end
    assert alone.year_end.method == "history"  # the 2022 shape, one unit or all
    whole_lines = [line for line in status(factory, year=2023, as_of=as_of, settings=DEFAULT).lines
                   if line.unit_code == unit_code]
    assert sorted(alone_report.lines, key=lambda l: l.quota_no) == sorted(whole_lines, key=lambda l: l.quota_no)
    assert {s.entity.level for s in alone_report.statuses} >= {"unit", "quota_line"}


@pytest.mark.parametrize("as_of", [dt.date(2023, 6, 1), DEC31])
@pytest.mark.parametrize("unit_code", ["901001", "901002"])
def test_scores_of_one_unit_are_the_same_as_in_the_whole_run(factory, tmp_path, unit_code, as_of):
    import_two_units_with_loose_ends(factory, tmp_path)
    whole = card(scores(factory, year=2023, as_of=as_of, settings=DEFAULT), "unit", unit_code)
    alone = scores(factory, year=2023, as_of=as_of, settings=DEFAULT, unit_code=unit_code)
    assert [c.level for c in alone] == ["unit"]
    assert alone[0] == whole


def test_a_payment_naming_another_unit_than_its_quota_line_counts_for_the_line_s_unit_also_for_one_unit(
        factory, tmp_path):
    # db/figures.py: "A payment belongs to the unit of its quota line when that line is known".
    import_two_units_with_loose_ends(factory, tmp_path)
    ingest_rows(factory, tmp_path / "p2.csv", payment_rows(
        payment("P9", "2023-05-20", "1,000.00", unit=A, quota="ZB2")), now=NOW)  # ZB2 is 901002's line
    as_of = dt.date(2023, 6, 1)
    whole = status(factory, year=2023, as_of=as_of, settings=DEFAULT)
    assert entity(whole, "unit", "901001").entity.paid == D("115000.00")
    assert entity(whole, "unit", "901002").entity.paid == D("129000.00")
    for code in ("901001", "901002"):
        alone = status(factory, year=2023, as_of=as_of, settings=DEFAULT, unit_code=code)
        assert entity(alone, "unit", code).entity.paid == entity(whole, "unit", code).entity.paid, code
        points = curve(factory, year=2023, as_of=as_of, settings=DEFAULT, unit_code=code).points
        assert points[-1][1] == entity(whole, "unit", code).entity.paid, code


def test_one_unit_s_budget_keeps_an_adjustment_imported_before_its_quota_line(factory, tmp_path):
    # The 调整单 that creates ZB3 on 05-10 is exported (and imported) before the quota export
    # that first shows ZB3: the adjustment row then names no unit the importer knows.
    for name in ("first", "adjustments", "second"):
        ingest_rows(factory, tmp_path / f"{name}.csv", BUDGET_FILES[name], now=NOW)
    as_of = dt.date(2023, 4, 1)
    whole = entity(status(factory, year=2023, as_of=as_of, settings=DEFAULT), "unit", "901002").entity
    alone = entity(status(factory, year=2023, as_of=as_of, settings=DEFAULT, unit_code="901002"), "unit",
                   "901002").entity
    assert whole.budget == D("200000.00")  # ZB3 did not exist yet
    assert alone.budget == whole.budget


def test_the_curve_rises_through_every_payment_day_to_what_status_shows(factory, tmp_path):
    import_two_units_with_loose_ends(factory, tmp_path)
    as_of = dt.date(2023, 6, 1)
    chart = curve(factory, year=2023, as_of=as_of, settings=DEFAULT)
    assert [day for day, _ in chart.points] == [dt.date(2023, m, d) for m, d in
                                                ((1, 20), (2, 20), (3, 10), (4, 10), (5, 10))]
    assert [paid for _, paid in chart.points] == [D("120000.00"), D("210000.00"), D("240000.00"),
                                                  D("248000.00"), D("243000.00")]
    assert chart.budget == entity(status(factory, year=2023, as_of=as_of, settings=DEFAULT), "department",
                                  "901").entity.budget


# --- adjustment rate and three public expenses -------------------------------------------------


def import_adjusted_department(factory, tmp_path):
    ingest_rows(factory, tmp_path / "q.csv", quota_export(
        JAN3, quota_line("ZB1", A, "600000.00"), quota_line("ZB2", B, "400000.00")), now=NOW)
    ingest_rows(factory, tmp_path / "adj.csv", adjustment_rows(
        adjustment("TZ1", "2023-03-01", "ZB1", "追加", "50000.00"),
        adjustment("TZ2", "2023-03-15", "ZB2", "追加", "200000.00", exempt="政策性"),
        adjustment("TZ3", "2023-04-01", "ZB2", "追减", "-20000.00"),
        adjustment("TZ4", "2023-05-01", "ZB1", "调剂", "-20000.00"),
        adjustment("TZ5", "2023-05-01", "ZB2", "调剂", "20000.00"),
        adjustment("TZ6", "2023-06-01", "ZB1", "追加", "100000.00", exempt="不可抗力"),
        adjustment("TZ7", "2023-08-01", "ZB1", "追加", "70000.00")), now=NOW)


def test_the_adjustment_rate_counts_only_adjustments_that_are_not_exempt_and_says_which(factory, tmp_path):
    import_adjusted_department(factory, tmp_path)
    department = card(scores(factory, year=2023, as_of=JUN30, settings=DEFAULT), "department", "901")
    rate = indicator(department, "adjustment_rate")
    figures = inputs(rate)
    # gross: 50,000 + 20,000 + the 20,000 moved by the 调剂; TZ2 and TZ6 are exempt, TZ7 comes later
    assert figures["initial"] == D("1000000.00")
    assert figures["adjusted"] == D("90000.00")
    assert figures["rate"] == D("9.00")
    assert figures["counted"] == ("TZ1", "TZ3", "TZ4", "TZ5")
    assert figures["excluded"] == ("TZ2:policy", "TZ6:force_majeure")
    assert rate.score == D("3.00")  # below 10%; with TZ2 counted it would be 29% and score nothing


def test_the_net_adjustment_rate_counts_the_net_change(factory, tmp_path):
    import_adjusted_department(factory, tmp_path)
    settings = ExecutionSettings(rule_book=RuleBook(base={"adjustment_measure": "net"}))
    rate = indicator(card(scores(factory, year=2023, as_of=JUN30, settings=settings), "department", "901"),
                     "adjustment_rate")
    assert (inputs(rate)["adjusted"], inputs(rate)["rate"]) == (D("30000.00"), D("3.00"))


def test_an_adjustment_rate_at_the_limit_scores_nothing(factory, tmp_path):
    import_adjusted_department(factory, tmp_path)
    department = card(scores(factory, year=2023, as_of=DEC31, settings=DEFAULT), "department", "901")
    rate = indicator(department, "adjustment_rate")
    assert (inputs(rate)["adjusted"], inputs(rate)["rate"]) == (D("160000.00"), D("16.00"))  # TZ7 counted now
    assert (rate.score, rate.status) == (D("0.00"), "final")


def test_each_unit_s_adjustment_rate_counts_its_own_adjustments(factory, tmp_path):
    import_adjusted_department(factory, tmp_path)
    cards = scores(factory, year=2023, as_of=JUN30, settings=DEFAULT)
    assert inputs(indicator(card(cards, "unit", "901001"), "adjustment_rate"))["counted"] == ("TZ1", "TZ4")
    assert inputs(indicator(card(cards, "unit", "901002"), "adjustment_rate"))["excluded"] == ("TZ2:policy",)


def test_a_unit_s_adjustment_rate_counts_what_a_transfer_moved_out_of_it(factory, tmp_path):
    # TZ4 moves 20,000 from 901001's ZB1 to 901002's ZB2 (TZ5): for 901001 that is a 调剂 of
    # 20,000 as much as it is for 901002. scores.adjusted_amount counts only the addition side
    # of transfers, which is right when both sides are inside the entity, as in a department.
    import_adjusted_department(factory, tmp_path)
    cards = scores(factory, year=2023, as_of=JUN30, settings=DEFAULT)
    assert inputs(indicator(card(cards, "unit", "901002"), "adjustment_rate"))["adjusted"] == D("40000.00")
    assert inputs(indicator(card(cards, "unit", "901001"), "adjustment_rate"))["adjusted"] == D("70000.00")


def test_only_the_categories_the_rules_exempt_are_left_out_of_the_adjustment_rate(factory, tmp_path):
    import_adjusted_department(factory, tmp_path)
    settings = ExecutionSettings(rule_book=RuleBook(base={"adjustment_exempt": ["policy"]}))
    rate = indicator(card(scores(factory, year=2023, as_of=JUN30, settings=settings), "department", "901"),
                     "adjustment_rate")
    assert inputs(rate)["counted"] == ("TZ1", "TZ3", "TZ4", "TZ5", "TZ6")
    assert inputs(rate)["excluded"] == ("TZ2:policy",)
    assert (inputs(rate)["adjusted"], inputs(rate)["rate"], rate.score) == (D("190000.00"), D("19.00"), D("0.00"))


def import_three_public(factory, tmp_path, *, last_year: bool):
    if last_year:
        ingest_rows(factory, tmp_path / "2022-q.csv", quota_export(
            dt.date(2022, 12, 31),
            quota_line("ZB22-1", A, "500000.00", year=2022),
            quota_line("ZB22-3P", A, "80000.00", year=2022, economic="30217 - 公务接待费", three_public=True)),
            now=NOW)
    ingest_rows(factory, tmp_path / "2023-q.csv", quota_export(
        JAN3, quota_line("ZB1", A, "910000.00"),
        quota_line("ZB3P", A, "90000.00", economic="30217 - 公务接待费", three_public=True)), now=NOW)
    ingest_rows(factory, tmp_path / "2023-p.csv", payment_rows(
        payment("P1", "2023-03-01", "500,000.00", unit=A, quota="ZB1"),
        payment("P2", "2023-09-01", "60,000.00", unit=A, quota="ZB3P")), now=NOW)


TEN_WAN = ExecutionSettings(rule_book=RuleBook(base={"previous_three_public_budget": 10}))


def test_three_public_control_uses_last_year_s_budget_from_last_year_s_quota_lines(factory, tmp_path):
    import_three_public(factory, tmp_path, last_year=True)
    control = indicator(card(scores(factory, year=2023, as_of=DEC31, settings=TEN_WAN), "unit", "901001"),
                        "three_public_control")
    figures = inputs(control)
    # 90,000 > 80,000 of 2022: nothing, although the rules' 10 万元 would have allowed it
    assert (figures["budget"], figures["spent"], figures["previous_budget"]) == (
        D("90000.00"), D("60000.00"), D("80000.00"))
    assert (control.score, control.status) == (D("0"), "final")


def test_three_public_control_falls_back_to_last_year_s_budget_in_the_rules(factory, tmp_path):
    import_three_public(factory, tmp_path, last_year=False)
    department = card(scores(factory, year=2023, as_of=DEC31, settings=TEN_WAN), "department", "901")
    control = indicator(department, "three_public_control")
    assert inputs(control)["previous_budget"] == D("100000")
    assert (control.score, control.status) == (D("3"), "final")  # 60,000 ≤ 90,000 ≤ 100,000


def test_three_public_control_without_last_year_s_budget_is_not_measurable(factory, tmp_path):
    import_three_public(factory, tmp_path, last_year=False)
    department = card(scores(factory, year=2023, as_of=DEC31, settings=DEFAULT), "department", "901")
    control = indicator(department, "three_public_control")
    assert (control.score, control.status, inputs(control)["previous_budget"]) == (None, "not_measurable", None)
    assert department.weight == D("9")  # an indicator that cannot be measured is left out of the total
