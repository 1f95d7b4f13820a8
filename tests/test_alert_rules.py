"""Each alert rule on an invented department imported through the real importer: what it finds,
how severe, with which facts, and what it leaves alone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from alerts.catalog import find
from alerts.findings import AlertSettings
from jobs.evaluate import snapshot
from jobs.execution import ExecutionSettings
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

A = "901001 - 市测试局本级"
PROJECT = "901001230001 - 检测能力建设"


@pytest.fixture
def department(factory, tmp_path):
    """Unit A: a basic line of 600,000 paid 60,000 on 10 February; a project line of 300,000
    never paid; a small line of 10,000 paid 12,000 (over its budget); and 50,000 of counted
    adjustments against an initial 910,000."""
    ingest_rows(factory, tmp_path / "q.csv", quota_export(
        dt.date(2023, 1, 3),
        quota_line("ZB1", A, "600000.00"),
        quota_line("ZB2", A, "300000.00", project=PROJECT),
        quota_line("ZB3", A, "10000.00", economic="30211 - 差旅费")), now=NOW)
    ingest_rows(factory, tmp_path / "p.csv", payment_rows(
        payment("P1", "2023-02-10", "60,000.00", unit=A, quota="ZB1"),
        payment("P2", "2023-02-10", "12,000.00", unit=A, quota="ZB3")), now=NOW, as_of=NOW.date())
    ingest_rows(factory, tmp_path / "a.csv", adjustment_rows(
        adjustment("T1", "2023-02-01", "ZB1", "追加", "50000.00")), now=NOW)
    return factory


def findings(factory, day: str, **settings):
    seen = snapshot(factory, year=2023, as_of=dt.date.fromisoformat(day), execution=ExecutionSettings())
    return {f.key: f for f in find(seen, AlertSettings(**settings))}


def test_a_checkpoint_projected_to_be_missed_is_blue_far_out_yellow_nearer_and_orange_close(department):
    assert findings(department, "2023-02-14")["behind_checkpoint:unit:901001:2023-03-31"].severity == "blue"
    assert findings(department, "2023-03-01")["behind_checkpoint:unit:901001:2023-03-31"].severity == "yellow"
    close = findings(department, "2023-03-20")["behind_checkpoint:unit:901001:2023-03-31"]
    assert close.severity == "orange"
    assert close.facts["days_left"] == "11" and close.facts["target_rate"] == "25.00"
    assert Decimal(close.facts["gap"]) == Decimal("960000.00") * 25 / 100 - Decimal("72000.00")


def test_on_the_checkpoint_date_the_miss_is_red_and_the_warning_is_gone(department):
    found = findings(department, "2023-03-31")
    missed = found["checkpoint_missed:unit:901001:2023-03-31"]
    assert missed.severity == "red" and missed.facts["rate"] == "7.50"  # 72,000 / 960,000
    assert missed.facts["next_date"] == "2023-06-30"
    assert not any(k.startswith("behind_checkpoint:unit:901001:2023-03-31") for k in found)


def test_a_line_paid_beyond_its_budget_is_overspent_by_the_difference(department):
    overspent = findings(department, "2023-03-01")["overspent:quota_line:ZB3:2023"]
    assert overspent.severity == "red" and overspent.facts["over"] == "2000.00"
    assert overspent.routing == {"department": "901", "unit": "901001"}


def test_a_project_never_paid_is_stalled_after_the_working_days_and_its_lines_are_left_to_it(department):
    assert "stalled:project:901001230001:2023" not in findings(department, "2023-02-01")
    found = findings(department, "2023-03-01")
    stalled = found["stalled:project:901001230001:2023"]
    assert stalled.facts["last_payment"] == "" and int(stalled.facts["idle_working_days"]) >= 30
    assert "stalled:quota_line:ZB2:2023" not in found, "the project speaks for its line"
    assert "stalled:quota_line:ZB1:2023" not in found, "paid on 10 February: 13 working days"


def test_counted_adjustments_warn_from_the_warning_level_and_are_red_at_the_limit(department):
    found = findings(department, "2023-03-01", adjustment_warning=Decimal(5))
    rate = found["adjustment_rate:unit:901001:2023"]
    assert (rate.severity, rate.facts["rate"], rate.facts["counted"]) == ("yellow", "5.49", "1")  # 50,000 / 910,000
    assert "adjustment_rate:unit:901001:2023" not in findings(department, "2023-03-01")  # default warning 8%


def test_behind_schedule_needs_more_than_the_configured_points_and_gives_way_to_the_checkpoint_alert(department):
    from alerts.rules import behind_schedule

    seen = snapshot(department, year=2023, as_of=dt.date(2023, 3, 1), execution=ExecutionSettings())
    behind = {f.key: f for f in behind_schedule(seen, AlertSettings())}["behind_schedule:unit:901001:2023"]
    assert Decimal(behind.facts["points_behind"]) > 5 and behind.facts["points_allowed"] == "5.00"
    lenient = behind_schedule(seen, AlertSettings(behind_schedule_points=Decimal(50)))
    assert "behind_schedule:unit:901001:2023" not in {f.key for f in lenient}
    found = findings(department, "2023-03-01")
    assert "behind_checkpoint:unit:901001:2023-03-31" in found
    assert "behind_schedule:unit:901001:2023" not in found, "one problem, one item: the checkpoint speaks"


def test_amounts_below_the_minimum_are_not_worth_a_message(department):
    found = findings(department, "2023-03-01", min_amount=Decimal(400000))
    assert "stalled:project:901001230001:2023" not in found  # 300,000 left
    assert "behind_checkpoint:unit:901001:2023-03-31" not in found  # 168,000 to pay
