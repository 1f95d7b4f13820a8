"""Scores on exact figures, through the real importer and the real rules: a threshold is compared
with the exact rate (a 9.9996% is under 10%, and is never shown as 10.00%), the adjustment rate
is measured from the quota export's 调整数 when no 调整单 is there (and is not decided when the two
disagree), and a unit's 三公 control is measured against its own last year or not at all."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from click.testing import CliRunner

from alerts.catalog import find
from alerts.findings import AlertSettings
from jobs.cli.app import cli
from jobs.evaluate import snapshot
from jobs.execution import ExecutionSettings, scores
from monitor.money import near
from monitor.rulebook import RuleBook
from tests.conftest import NOW
from tests.helpers import adjustment, adjustment_rows, ingest_rows, payment, payment_rows, quota_export, quota_line

A = "901001 - 市测试局本级"
B = "901002 - 市测试中心"
JAN3, MAR31, JUN30, DEC31 = dt.date(2023, 1, 3), dt.date(2023, 3, 31), dt.date(2023, 6, 30), dt.date(2023, 12, 31)
DEFAULT = ExecutionSettings()


def card(cards, level, code):
    return next(c for c in cards if (c.level, c.code) == (level, code))


def indicator(score_card, key):
    return next(i for i in score_card.indicators if i.key == key)


def inputs(score) -> dict:
    return {i.name: i.value for i in score.inputs}


# --- case 9: exact values against thresholds ---------------------------------------------------


@pytest.fixture
def near_the_limit(factory, tmp_path):
    """45,000.00 adjusted against an initial 450,020.00: 9.99955…%, under the 10% limit; and
    24,999.60 paid of 100,000.00 on 31 March: 24.9996%, under the 25% checkpoint."""
    ingest_rows(factory, tmp_path / "q.csv", quota_export(
        JAN3, quota_line("ZB1", A, "450020.00"), quota_line("ZB2", B, "100000.00")), now=NOW)
    ingest_rows(factory, tmp_path / "a.csv", adjustment_rows(
        adjustment("TZ1", "2023-02-01", "ZB1", "追加", "45000.00")), now=NOW)
    ingest_rows(factory, tmp_path / "p.csv", payment_rows(
        payment("P1", "2023-03-20", "24,999.60", unit=B, quota="ZB2")), now=NOW, as_of=MAR31)
    return factory


def test_an_adjustment_rate_just_under_the_limit_keeps_its_points_and_is_shown_under_it(near_the_limit):
    unit = indicator(card(scores(near_the_limit, year=2023, as_of=JUN30, settings=DEFAULT), "unit", "901001"),
                     "adjustment_rate")
    assert inputs(unit)["rate"] < 10 and inputs(unit)["rate"] == D("45000.00") * 100 / D("450020.00")
    assert unit.score == D("3.00")
    assert near(inputs(unit)["rate"], inputs(unit)["limit"]) == "9.9996"


def test_a_checkpoint_just_under_its_target_is_missed_and_not_shown_as_reached(near_the_limit):
    unit = indicator(card(scores(near_the_limit, year=2023, as_of=JUN30, settings=DEFAULT), "unit", "901002"),
                     "payment_progress")
    assert inputs(unit)["2023-03-31.met"] is False
    assert near(inputs(unit)["2023-03-31.rate"], D(25)) == "24.9996"


def test_the_alert_is_yellow_under_the_limit_and_its_rate_is_not_rounded_onto_it(near_the_limit):
    seen = snapshot(near_the_limit, year=2023, as_of=JUN30, execution=DEFAULT)
    found = {f.key: f for f in find(seen, AlertSettings())}
    alert = found["adjustment_rate:unit:901001:2023"]
    assert (alert.severity, alert.facts["rate"]) == ("yellow", "9.9996")
    # the verdict of 31 March: missed, and said as 24.9996%, not 25.00%
    missed = found["checkpoint_missed:unit:901002:2023-03-31"]
    assert missed.facts["rate"] == "24.9996"


def test_the_score_table_shows_the_decimals_that_keep_the_verdict_readable(near_the_limit, database_url):
    run = CliRunner().invoke(cli, ["--db", database_url, "score", "--as-of", "2023-06-30", "--unit", "901001"],
                             env={}, catch_exceptions=False)
    assert "9.9996%" in run.output and "10.00%" not in run.output


def test_behind_the_time_schedule_is_judged_on_exact_rates():
    """The status table's and behind_schedule's points behind came from two rounded rates: a unit
    5.004 points behind showed 5.00 and was not warned (more than 5 points is the rule)."""
    from monitor.assess import EntityStatus
    from monitor.execution import Entity
    from monitor.pacing import Projection

    entity = Entity("unit", "901001", "甲", budget=D("1000000.00"), paid=D("199960.00"), department_code="901")
    status = EntityStatus(entity, D("25.0000"), None, Projection(dt.date(2023, 12, 31), D(0), None, "none"))
    assert status.behind == D("5.004")  # 19.996% paid: not 25.00 - 20.00 = 5.00
    assert status.behind > AlertSettings().behind_schedule_points


def test_near_shows_two_decimals_away_from_the_limit_and_more_only_where_needed():
    assert near(D("17.964383"), D(25)) == "17.96"
    assert near(D("9.99955"), D(10)) == "9.9996"
    assert near(D("10.00004"), D(10)) == "10.00004"
    assert near(D(10), D(10)) == "10.00"
    assert near(D("24.996"), None) == "25.00"


# --- case 8: the adjustment rate without adjustment documents ----------------------------------


@pytest.fixture
def adjusted_export(factory, tmp_path):
    """The quota export says ZB1 was 100,000.00 at the start of the year and 111,330.00 now
    (11.33%); no adjustment export is imported."""
    ingest_rows(factory, tmp_path / "q.csv", quota_export(
        JUN30, quota_line("ZB1", A, "100000.00", "11330.00"), quota_line("ZB2", B, "100000.00")), now=NOW)
    return factory


def test_without_adjustment_documents_the_rate_comes_from_the_quota_export_and_says_so(adjusted_export):
    unit = indicator(card(scores(adjusted_export, year=2023, as_of=DEC31, settings=DEFAULT), "unit", "901001"),
                     "adjustment_rate")
    assert (inputs(unit)["adjusted"], inputs(unit)["rate"], inputs(unit)["source"]) == (
        D("11330.00"), D("11.33"), "quota_export")
    assert unit.score == D("0.00")
    other = indicator(card(scores(adjusted_export, year=2023, as_of=DEC31, settings=DEFAULT), "unit", "901002"),
                      "adjustment_rate")
    assert (inputs(other)["source"], other.score) == ("none", D("3.00"))


def test_the_score_table_names_the_quota_export_as_the_source(adjusted_export, database_url):
    run = CliRunner().invoke(cli, ["--db", database_url, "score", "--as-of", "2023-12-31", "--unit", "901001"],
                             env={}, catch_exceptions=False)
    assert "11.33%" in run.output and "依据指标明细的调整数" in run.output


def test_documents_that_disagree_with_the_quota_export_leave_the_score_undecided(adjusted_export, tmp_path,
                                                                                database_url):
    ingest_rows(adjusted_export, tmp_path / "a.csv", adjustment_rows(
        adjustment("TZ1", "2023-02-01", "ZB1", "追加", "1000.00")), now=NOW)
    unit = indicator(card(scores(adjusted_export, year=2023, as_of=DEC31, settings=DEFAULT), "unit", "901001"),
                     "adjustment_rate")
    assert unit.status == "conflict"  # not "final": 1,000 documented, 11,330 in the export
    assert (inputs(unit)["documents_net"], inputs(unit)["quota_export_net"]) == (D("1000.00"), D("11330.00"))
    run = CliRunner().invoke(cli, ["--db", database_url, "score", "--as-of", "2023-12-31", "--unit", "901001"],
                             env={}, catch_exceptions=False)
    assert "数据矛盾" in run.output and "已定" not in run.output.split("预算调整率")[1].split("\n")[0]


# --- case 10: a unit's 三公 control --------------------------------------------------------------


@pytest.fixture
def three_public(factory, tmp_path):
    ingest_rows(factory, tmp_path / "q.csv", quota_export(
        JAN3, quota_line("ZB1", A, "60000.00", economic="30217 - 公务接待费", three_public=True),
        quota_line("ZB2", B, "30000.00", economic="30231 - 公务用车运行维护费", three_public=True)), now=NOW)
    return factory


def test_a_unit_is_not_measured_against_the_department_s_previous_year_budget(three_public):
    settings = ExecutionSettings(rule_book=RuleBook(base={"previous_three_public_budget": 8.09}))  # 万元
    cards = scores(three_public, year=2023, as_of=DEC31, settings=settings)
    for code in ("901001", "901002"):
        unit = indicator(card(cards, "unit", code), "three_public_control")
        assert (unit.score, unit.status, inputs(unit)["previous_source"]) == (None, "not_measurable", "none")
    department = indicator(card(cards, "department", "901"), "three_public_control")
    assert (inputs(department)["previous_budget"], inputs(department)["previous_source"]) == (
        D("80900.00"), "config")
    assert department.score == D("0.00")  # 90,000 this year > 80,900 last year


def test_a_unit_with_its_own_previous_year_lines_is_measured_against_them(three_public, tmp_path):
    ingest_rows(three_public, tmp_path / "q22.csv", quota_export(
        dt.date(2022, 1, 4), quota_line("ZA1", A, "50000.00", year=2022, economic="30217 - 公务接待费",
                                        three_public=True)), now=NOW)
    cards = scores(three_public, year=2023, as_of=DEC31, settings=DEFAULT)
    unit = indicator(card(cards, "unit", "901001"), "three_public_control")
    assert (inputs(unit)["previous_budget"], inputs(unit)["previous_source"], unit.score) == (
        D("50000.00"), "quota_lines", D("0.00"))


def test_score_json_gives_a_rate_near_its_limit_with_the_decimals_that_keep_it_under(near_the_limit, database_url):
    import json

    run = CliRunner().invoke(cli, ["--db", database_url, "score", "--as-of", "2023-06-30", "--json"],
                             env={}, catch_exceptions=False)
    cards = {(c["level"], c["code"]): c for c in json.loads(run.output)["cards"]}
    rate = next(i for i in cards["unit", "901001"]["indicators"] if i["key"] == "adjustment_rate")
    progress = next(i for i in cards["unit", "901002"]["indicators"] if i["key"] == "payment_progress")
    assert (rate["inputs"]["rate"], rate["inputs"]["limit"], rate["score"]) == ("9.9996", "10.00", "3.00")
    assert progress["inputs"]["2023-03-31.rate"] == "24.9996"
