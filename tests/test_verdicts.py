"""A verdict is dated by its data (issue 15): a checkpoint is judged only on an export that covers
it (or, after ``verdict_wait_days`` working days without one, on what the data reaches, saying so);
the past year is judged on its last day when its late exports come. Invented department through the
real importer."""

from __future__ import annotations

import datetime as dt

from alerts.catalog import find
from alerts.findings import AlertSettings
from alerts.state import Policy, step
from jobs.evaluate import AlertConfig, open_years, snapshot
from jobs.execution import ExecutionSettings
from tests.conftest import NOW
from tests.helpers import ingest_rows, payment, payment_rows, quota_export, quota_line
from tests.reliability import record

A = "901001 - 市测试局本级"


def load(factory, tmp_path, exported: dt.date, year: int = 2023):
    ingest_rows(factory, tmp_path / "q.csv", quota_export(dt.date(year, 1, 3), quota_line("ZB1", A, "600000.00",
                                                                                         year=year)), now=NOW)
    ingest_rows(factory, tmp_path / f"p{exported}.csv", payment_rows(
        payment("P1", f"{year}-02-10", "60,000.00", unit=A, quota="ZB1")), now=NOW, as_of=exported)


def found(factory, day: dt.date, year: int = 2023):
    seen = snapshot(factory, year=year, as_of=day, execution=ExecutionSettings())
    return seen, {f.key: f for f in find(seen, AlertSettings())}


MISSED = "checkpoint_missed:unit:901001:2023-03-31"


def test_no_checkpoint_verdict_before_an_export_covers_the_day(factory, tmp_path):
    load(factory, tmp_path, dt.date(2023, 3, 27))
    seen, on_the_day = found(factory, dt.date(2023, 3, 31))
    assert seen.data_date == dt.date(2023, 3, 27)
    assert MISSED not in on_the_day, "judged from last week's export"


def test_after_the_wait_the_verdict_says_which_date_its_data_reaches(factory, tmp_path):
    load(factory, tmp_path, dt.date(2023, 3, 27))
    _, later = found(factory, dt.date(2023, 4, 10))  # 5 working days after 31 March (3–7 April)
    missed = later[MISSED]
    assert missed.facts["provisional"] == "1" and missed.facts["data_as_of"] == "2023-03-27"


def test_an_export_covering_the_day_gives_the_verdict_at_once(factory, tmp_path):
    load(factory, tmp_path, dt.date(2023, 3, 31))
    _, on_the_day = found(factory, dt.date(2023, 3, 31))
    assert "provisional" not in on_the_day[MISSED].facts and on_the_day[MISSED].facts["rate"] == "10.00"


def test_later_data_that_moves_a_told_verdict_is_told_once_as_a_correction(factory, tmp_path):
    load(factory, tmp_path, dt.date(2023, 3, 27))
    _, early = found(factory, dt.date(2023, 4, 10))
    state, events = step(None, early[MISSED], as_of=dt.date(2023, 4, 10), policy=Policy())
    assert [e.item.event for e in events] == ["fire"]
    ingest_rows(factory, tmp_path / "p2.csv", payment_rows(
        payment("P2", "2023-03-30", "30,000.00", unit=A, quota="ZB1")), now=NOW, as_of=dt.date(2023, 4, 11))
    _, covered = found(factory, dt.date(2023, 4, 11))
    state, events = step(state, covered[MISSED], as_of=dt.date(2023, 4, 11), policy=Policy())
    (event,) = events
    assert event.item.event == "correct" and event.item.facts["rate"] == "15.00"
    assert event.item.facts["was_rate"] == "10.00" and event.item.facts["was_data_as_of"] == "2023-03-27"
    _, again = found(factory, dt.date(2023, 4, 12))
    assert step(state, again[MISSED], as_of=dt.date(2023, 4, 12), policy=Policy())[1] == []
    record("verdicts", "a checkpoint told missed at 10.00% from the export of 27 March (after the wait), then an "
           "export covering 31 March raises it to 15.00%",
           "no verdict before the wait; then one provisional verdict saying its data reaches 27 March; one "
           "correction with the old and new rate; nothing more the day after")


def test_the_past_year_is_judged_on_its_last_day_when_its_late_export_comes(factory, tmp_path):
    load(factory, tmp_path, dt.date(2023, 12, 31))
    assert open_years(dt.date(2024, 1, 4), AlertConfig()) == [2023, 2024]
    assert open_years(dt.date(2024, 2, 1), AlertConfig()) == [2024]
    seen, result = found(factory, dt.date(2024, 1, 4))
    assert seen.data_date == dt.date(2023, 12, 31)
    year_end = result["year_end:unit:901001:2023-12-31"]
    assert year_end.severity == "red" and year_end.facts["verdict"] == "missed" and year_end.facts["rate"] == "10.00"
    assert "checkpoint_missed:unit:901001:2023-12-31" not in result  # the year's result speaks for it
    _, on_new_years_eve = found(factory, dt.date(2023, 12, 31))
    assert not any(k.startswith("year_end") for k in on_new_years_eve), "not before the year is over"
