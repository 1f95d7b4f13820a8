"""The engine's settings as a config file gives them: rule layers, bad values, the calendar."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from jobs.config.settings import load_settings
from jobs.exceptions import ConfigError
from jobs.execution import ExecutionSettings, scores, status
from monitor.calendar import WorkCalendar
from monitor.schedule import year_fraction
from tests.conftest import NOW
from tests.helpers import ingest_rows, payment, payment_rows, quota_export, quota_line

D = Decimal


def settings_from(tmp_path, text: str):
    path = tmp_path / "budget-monitor.toml"
    path.write_text(text, encoding="utf-8")
    return load_settings(str(path), environ={})


def engine_from(tmp_path, text: str) -> ExecutionSettings:
    return settings_from(tmp_path, text).execution


def target_rates(rules) -> list[Decimal]:
    return [c.target_rate for c in rules.checkpoints]


def entity(report, level: str, code: str):
    return next(s for s in report.statuses if s.entity.level == level and s.entity.code == code)


def indicator(cards, level: str, code: str, key: str):
    card = next(c for c in cards if c.level == level and c.code == code)
    return next(i for i in card.indicators if i.key == key)


# --- layers -------------------------------------------------------------------------------------


DEPARTMENT_901_CHECKPOINTS = """
[evaluation.departments."901"]
checkpoints = { "03-31" = 20, "06-30" = 45, "09-30" = 75, "12-31" = 95 }
"""


def test_a_department_s_checkpoints_apply_to_that_department_only(tmp_path):
    book = engine_from(tmp_path, DEPARTMENT_901_CHECKPOINTS).rule_book
    assert target_rates(book.rules_for(2023, "901")) == [20, 45, 75, 95]
    assert target_rates(book.rules_for(2024, "901")) == [20, 45, 75, 95]  # every year
    assert target_rates(book.rules_for(2023, "902")) == [25, 50, 75, 95]
    assert target_rates(book.rules_for(2023)) == [25, 50, 75, 95]


def import_twin_departments(factory, tmp_path):
    """901 and 902, each 1,000,000.00 and 22% paid by 31 March."""
    lines = [quota_line(f"ZB{code}", f"{code}001 - 单位{code}", "1000000.00", department=f"{code} - 部门{code}")
             for code in ("901", "902")]
    ingest_rows(factory, tmp_path / "q.csv", quota_export(dt.date(2023, 1, 3), *lines), now=NOW)
    ingest_rows(factory, tmp_path / "p.csv", payment_rows(*(
        payment(f"P{code}", "2023-03-10", "220,000.00", unit=f"{code}001 - 单位{code}", quota=f"ZB{code}")
        for code in ("901", "902"))), now=NOW)


def test_a_department_s_checkpoint_override_changes_its_score_and_its_next_target_only(factory, tmp_path):
    import_twin_departments(factory, tmp_path)
    settings = engine_from(tmp_path, DEPARTMENT_901_CHECKPOINTS)
    cards = scores(factory, year=2023, as_of=dt.date(2023, 12, 31), settings=settings)
    met = {code: {i.name: i.value for i in indicator(cards, "department", code, "payment_progress").inputs}
           ["2023-03-31.met"] for code in ("901", "902")}
    assert met == {"901": True, "902": False}  # 22% against 20% and against 25%
    report = status(factory, year=2023, as_of=dt.date(2023, 3, 20), settings=settings)
    assert entity(report, "department", "901").next_checkpoint.target_rate == 20
    assert entity(report, "unit", "901001").next_checkpoint.target_rate == 20
    assert entity(report, "department", "902").next_checkpoint.target_rate == 25
    assert entity(report, "department", "901").next_checkpoint.gap == D("0")
    assert entity(report, "department", "902").next_checkpoint.gap == D("30000.00")


def test_a_year_s_settings_apply_to_that_year_only(tmp_path):
    book = engine_from(tmp_path, """
[evaluation.years.2024]
schedule = "working_days"
previous_three_public_budget = 8.09
""").rule_book
    assert (book.rules_for(2024).schedule, book.rules_for(2024, "901").schedule) == ("working_days", "working_days")
    assert book.rules_for(2024).previous_three_public_budget == D("80900.00")  # 万元 in the file, yuan inside
    assert (book.rules_for(2023).schedule, book.rules_for(2023).previous_three_public_budget) == ("months", None)


def test_layers_apply_in_order_every_year_then_the_year_then_the_department_then_both(tmp_path):
    book = engine_from(tmp_path, """
[evaluation]
adjustment_max_rate = 12
schedule = "calendar"
[evaluation.years.2023]
adjustment_max_rate = 11
[evaluation.departments."901"]
adjustment_max_rate = 9
[evaluation.years.2023.departments."901"]
adjustment_max_rate = 8
""").rule_book
    assert book.rules_for(2022, "902").adjustment_max_rate == 12
    assert book.rules_for(2023, "902").adjustment_max_rate == 11
    assert book.rules_for(2022, "901").adjustment_max_rate == 9
    assert book.rules_for(2023, "901").adjustment_max_rate == 8
    assert book.rules_for(2023, "901").schedule == "calendar"  # what no layer below changes stays


def test_a_department_s_weight_keeps_the_weights_set_for_every_department(tmp_path):
    # build_rules merges a partial weights table with the defaults; a layer should merge with the
    # layers under it in the same way, not throw the every-department weight away.
    book = engine_from(tmp_path, """
[evaluation]
weights = { payment_progress = 5 }
[evaluation.departments."901"]
weights = { execution_rate = 4 }
""").rule_book
    assert book.rules_for(2023, "902").weights["payment_progress"] == 5
    assert book.rules_for(2023, "901").weights["execution_rate"] == 4
    assert book.rules_for(2023, "901").weights["payment_progress"] == 5


# --- bad values ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "named"), [
    ('[evaluation]\nschedule = "weekly"', "schedule"),
    ('[evaluation]\ncheckpoints = { "13-31" = 25 }', "checkpoints"),
    ('[evaluation]\ncheckpoints = { "02-30" = 25 }', "02-30"),
    ('[evaluation]\ncheckpoints = { "03-31" = 125 }', "checkpoints.03-31"),
    ('[evaluation]\ncheckpoints = "quarterly"', "checkpoints"),
    ('[evaluation]\nweights = { payment_progres = 3 }', "payment_progres"),
    ('[evaluation]\nweights = { payment_progress = "three" }', "weights.payment_progress"),
    ('[evaluation]\nexecution_bands = { "95" = 1.5 }', "execution_bands.95"),
    ('[evaluation]\nadjustment_max_rate = "ten"', "adjustment_max_rate"),
    ('[evaluation]\nadjustment_exempt = ["weather"]', "adjustment_exempt"),
    ('[evaluation]\nadjustment_measure = "both"', "adjustment_measure"),
    ('[evaluation]\nprevious_three_public_budget = "8.09万"', "previous_three_public_budget"),
    ('[evaluation]\ncheckpiont = { "03-31" = 25 }', "checkpiont"),
    ('[evaluation.years.next]\nschedule = "months"', "evaluation.years.next"),
    ('[evaluation.years.2024]\nschedule = "weekly"', "year 2024"),
    ('[evaluation.departments."901"]\nadjustment_max_rate = 150', "department 901"),
    ('[evaluation.years.2024.departments."901"]\nschedule = 3', "year 2024, department 901"),
    ('evaluation = 3', "evaluation"),
    ('[calendar]\nholidays = ["2027-13-01"]', "calendar.holidays"),
    ('[calendar]\nworkdays = "2027-02-07"', "calendar.workdays"),
    ('[calendar]\nholidays = [2027-02-07]\nworkdays = [2027-02-07]', "2027-02-07"),
    ('[calendar]\nholiday = ["2027-01-01"]', "holiday"),
], ids=lambda value: value if "\n" not in value and len(value) < 30 else None)
def test_a_bad_setting_stops_the_start_with_an_error_naming_it(tmp_path, text, named):
    with pytest.raises(ConfigError) as error:
        settings_from(tmp_path, text)
    assert named in str(error.value)


def test_a_negative_weight_is_refused_naming_the_setting(tmp_path):
    # A weight below zero would take points away from a department that meets the rule.
    with pytest.raises(ConfigError, match="weights.payment_progress"):
        settings_from(tmp_path, "[evaluation]\nweights = { payment_progress = -3 }")


def test_a_negative_previous_three_public_budget_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="previous_three_public_budget"):
        settings_from(tmp_path, "[evaluation.years.2023]\nprevious_three_public_budget = -1")


def test_the_error_of_a_department_layer_names_the_setting_as_well_as_the_department(tmp_path):
    with pytest.raises(ConfigError) as error:
        settings_from(tmp_path, '[evaluation.departments."158"]\nexecution_bands = { "95" = 2 }')
    assert "department 158" in str(error.value) and "execution_bands.95" in str(error.value)


# --- the working-day calendar ---------------------------------------------------------------


def import_pacing_department(factory, tmp_path, year: int = 2023):
    ingest_rows(factory, tmp_path / f"{year}-q.csv", quota_export(
        dt.date(year, 1, 3), quota_line(f"ZB{year}", "901001 - 市测试局本级", "700000.00", year=year)), now=NOW)
    ingest_rows(factory, tmp_path / f"{year}-p.csv", payment_rows(
        payment(f"P{year}", f"{year}-02-10", "140,000.00", unit="901001 - 市测试局本级", quota=f"ZB{year}")),
        now=NOW)


def test_a_holiday_in_the_config_takes_a_working_day_away_from_the_next_checkpoint(factory, tmp_path):
    import_pacing_department(factory, tmp_path)
    as_of = dt.date(2023, 6, 20)
    plain = entity(status(factory, year=2023, as_of=as_of, settings=ExecutionSettings()), "unit", "901001")
    settings = engine_from(tmp_path, '[calendar]\nholidays = ["2023-06-21"]')
    closed = entity(status(factory, year=2023, as_of=as_of, settings=settings), "unit", "901001")
    assert (plain.next_checkpoint.working_days_left, closed.next_checkpoint.working_days_left) == (7, 6)
    assert closed.next_checkpoint.gap == D("210000.00")  # 350,000 − 140,000
    assert closed.next_checkpoint.daily_needed == D("35000.00")  # ÷ 6, not ÷ 7 (30,000)


def test_a_make_up_working_day_in_the_config_adds_a_working_day(tmp_path):
    calendar = engine_from(tmp_path, "[calendar]\nworkdays = [2023-06-24]").calendar
    assert calendar.is_working_day(dt.date(2023, 6, 24))
    assert calendar.working_days(dt.date(2023, 6, 20), dt.date(2023, 6, 30)) == 8
    assert WorkCalendar().working_days(dt.date(2023, 6, 20), dt.date(2023, 6, 30)) == 7


def test_calendar_overrides_move_the_working_day_schedule(tmp_path):
    day = dt.date(2023, 3, 31)
    plain = year_fraction("working_days", day, 2023, WorkCalendar())
    closed = engine_from(tmp_path, '[calendar]\nholidays = ["2023-03-01", "2023-03-02"]').calendar
    assert plain == Decimal(61) / 249
    assert year_fraction("working_days", day, 2023, closed) == Decimal(59) / 247


def test_a_year_the_calendar_package_does_not_know_counts_the_holidays_package_estimate():
    calendar = WorkCalendar()
    assert calendar.source(2026) == "chinesecalendar" and calendar.source(2027) == "estimate"
    assert not calendar.is_working_day(dt.date(2027, 1, 1)), "元旦 is statutory: a rest day in any year"
    assert not calendar.is_working_day(dt.date(2027, 1, 2))
    assert [d.day for d in days(2027, 2, 4, 8) if not calendar.is_working_day(d)] == [5, 6, 7, 8, 9, 10], \
        "春节 (除夕 to 初三, the weekend ones observed on Tuesday and Wednesday)"
    assert [d.day for d in days(2027, 9, 30, 6) if not calendar.is_working_day(d)] == [1, 2, 3, 4, 5], \
        "国庆 1–3 October, the weekend ones observed on Monday and Tuesday"
    assert calendar.is_working_day(dt.date(2027, 2, 20)) is False, "no 调休: a Saturday stays a rest day"
    assert calendar.working_days(dt.date(2026, 12, 31), dt.date(2027, 1, 31)) == 20
    assert calendar.uncovered_years([2023, 2026, 2027, 2028]) == [2027, 2028]
    assert year_fraction("working_days", dt.date(2027, 1, 31), 2027, calendar) == Decimal(20) / 248


def days(year: int, month: int, first: int, count: int) -> list[dt.date]:
    start = dt.date(year, month, first)
    return [start + dt.timedelta(days=n) for n in range(count)]


def test_a_partial_override_of_a_later_year_corrects_the_estimate_and_stays_partial(tmp_path):
    calendar = engine_from(tmp_path, '[calendar]\nholidays = ["2027-02-11"]\nworkdays = ["2027-02-20"]').calendar
    assert not calendar.is_working_day(dt.date(2027, 2, 11)) and calendar.is_working_day(dt.date(2027, 2, 20))
    assert not calendar.is_working_day(dt.date(2027, 2, 8)), "the estimate still counts for the days not listed"
    assert not calendar.is_working_day(dt.date(2027, 10, 1)), "National Day is not a working day"
    assert calendar.source(2027) == "estimate" and calendar.uncovered_years([2027, 2028]) == [2027, 2028]


def test_a_year_the_config_lists_in_full_is_covered_by_the_config(tmp_path):
    calendar = engine_from(tmp_path, '[calendar]\nholidays = ["2027-01-01", "2027-02-11"]\n'
                                     'workdays = ["2027-02-20"]\ncomplete_years = [2027]').calendar
    assert calendar.source(2027) == "config" and calendar.covers(2027)
    assert calendar.uncovered_years([2027, 2028]) == [2028]
    assert calendar.working_days(dt.date(2027, 1, 31), dt.date(2027, 2, 28)) == 20 - 1 + 1, \
        "the config's lists over Monday to Friday: the estimate's 春节 days are not added beneath them"


@pytest.mark.parametrize("text, named", [
    ("[calendar]\ncomplete_years = [2027]", "no holidays of 2027"),
    ('[calendar]\nholidays = ["2027-01-01"]\ncomplete_years = ["2027"]', "calendar.complete_years"),
    ('[calendar]\nholidays = ["2027-01-01"]\ncomplete_years = 2027', "calendar.complete_years"),
])
def test_a_year_declared_complete_must_list_its_holidays(tmp_path, text, named):
    with pytest.raises(ConfigError, match=named):
        engine_from(tmp_path, text)


def test_what_is_unsettled_is_this_year_and_in_december_the_next():
    calendar = WorkCalendar()
    assert calendar.unsettled(dt.date(2026, 11, 30)) == []
    assert calendar.unsettled(dt.date(2026, 12, 1)) == [(2027, "estimate")]
    assert calendar.unsettled(dt.date(2027, 3, 1)) == [(2027, "estimate")]
    assert WorkCalendar(frozenset({dt.date(2027, 1, 1)}), complete_years=frozenset({2027})).unsettled(
        dt.date(2027, 3, 1)) == []


def test_status_of_a_year_the_calendar_does_not_know_says_so_and_which_source_it_counts_on(factory, tmp_path):
    import_pacing_department(factory, tmp_path, year=2027)
    report = status(factory, year=2027, as_of=dt.date(2027, 3, 22), settings=ExecutionSettings())
    assert report.uncovered_years == [2027] and report.calendar_source == "estimate"
    upcoming = entity(report, "unit", "901001").next_checkpoint
    assert upcoming.working_days_left == 7  # 23–26 and 29–31 March 2027
    assert status(factory, year=2027, as_of=dt.date(2027, 3, 22),
                  settings=engine_from(tmp_path, '[calendar]\nholidays = ["2027-01-01"]')).uncovered_years == [2027]
    listed = engine_from(tmp_path, '[calendar]\nholidays = ["2027-01-01"]\ncomplete_years = [2027]')
    assert status(factory, year=2027, as_of=dt.date(2027, 3, 22), settings=listed).calendar_source == "config"
    assert status(factory, year=2027, as_of=dt.date(2027, 3, 22), settings=listed).uncovered_years == []
    assert status(factory, year=2023, as_of=dt.date(2023, 3, 22), settings=ExecutionSettings()).uncovered_years == []
