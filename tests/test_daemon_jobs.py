"""The daemon's jobs called directly with the dates passed in (docs/PITFALLS.md: test the job
functions, not a time-travelled scheduler): fences, the checkpoint countdown, the weekly digest,
the weekly calendar warning; and the scheduler's registration and catch-up after a misfire."""

from __future__ import annotations

import datetime as dt
import os
import threading
from dataclasses import replace

import pytest

from alerts.routing import Directory
from db.engine import transaction
from db.job_runs import runs
from jobs import scheduled
from jobs.config.daemon import DaemonSettings
from jobs.config.settings import Settings
from jobs.evaluate import AlertConfig
from tests.reliability import record
from tests.test_alert_delivery import ENGINE, PEOPLE, at, demo, demo_folder, posts_to, slack  # noqa: F401

ALERTS = AlertConfig(directory=Directory(PEOPLE, fallback=None), quiet_hours=None, quiet_on_rest_days=False,
                     charts=False)


@pytest.fixture
def rt(demo, slack, database_url):  # noqa: F811
    settings = Settings(database_url, execution=ENGINE, alerts=ALERTS, daemon=DaemonSettings())
    runtime = scheduled.Runtime(settings, demo, slack, clock=lambda: at("2023-03-01"))
    scheduled.install("test.toml", runtime)
    yield runtime
    scheduled._RUNTIMES.pop("test.toml", None)


def test_the_daily_evaluation_runs_once_a_day_and_not_on_rest_days(rt, fake_slack):
    first = scheduled.evaluate_job("test.toml", now=at("2023-03-01"))
    assert first["events"] > 0 and first["sent"] == 0, "found at 09:00, due at the 09:07 slot"
    assert scheduled.deliver_job("test.toml", now=at("2023-03-01", 9, 7)).sent == first["messages"] > 0
    assert scheduled.evaluate_job("test.toml", now=at("2023-03-01", 15)) is None, "fenced: ran today"
    assert scheduled.evaluate_job("test.toml", now=at("2023-03-04")) is None, "a Saturday"
    with transaction(rt.factory) as session:
        assert [(r.job, r.period, r.outcome) for r in runs(session, "evaluate")] == [
            ("evaluate", "2023-03-01", "done")]


def test_a_job_that_raises_lets_its_period_go_so_the_next_run_retries_it(rt, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(scheduled, "_evaluate_and_deliver", broken)
    with pytest.raises(RuntimeError):
        scheduled.evaluate_job("test.toml", now=at("2023-03-01"))
    monkeypatch.undo()
    assert scheduled.evaluate_job("test.toml", now=at("2023-03-01", 10)) is not None


def test_the_countdown_reminds_everyone_projected_to_miss_the_checkpoint_7_and_3_working_days_before(
        rt, fake_slack):
    scheduled.evaluate_job("test.toml", now=at("2023-03-20"))  # orange since 16 March
    scheduled.deliver_job("test.toml", now=at("2023-03-20", 9, 7))
    assert scheduled.countdown_job("test.toml", now=at("2023-03-21", 9)) is None, "8 working days before"
    assert scheduled.evaluate_job("test.toml", now=at("2023-03-22")) is not None
    reminded = scheduled.countdown_job("test.toml", now=at("2023-03-22", 9, 1))  # 7 working days before 31 March
    assert reminded is not None and reminded["events"] > 0
    scheduled.deliver_job("test.toml", now=at("2023-03-22", 9, 7))
    last = posts_to(fake_slack, "DULEAD")[-1]
    assert "【倒计时 7 个工作日】🟠 橙色预警 · 预计达不到考核进度" in last and "3月31日" in last
    assert scheduled.countdown_job("test.toml", now=at("2023-03-22", 10)) is None
    assert scheduled.countdown_job("test.toml", now=at("2023-03-23")) is None, "6 working days: not a countdown day"
    assert scheduled.countdown_job("test.toml", now=at("2023-03-28", 9, 1)) is not None, "3 working days before"


def test_the_weekly_brief_goes_once_a_week_to_everyone_the_department_first_then_its_units(rt, fake_slack):
    sent = scheduled.digest_job("test.toml", now=at("2023-03-06", 8))
    assert sent == {"people": 5, "messages": 5}
    scheduled.deliver_job("test.toml", now=at("2023-03-06", 9, 7))
    [digest] = posts_to(fake_slack, "DUDEP")
    assert digest.startswith("2023 年预算执行周报")
    assert digest.index("（部门合计）") < digest.index("乌鲁木齐市科学技术馆") and "3月31日" in digest
    assert len(posts_to(fake_slack, "DUKJG")) == 1, "a unit leader has a brief too"
    assert scheduled.digest_job("test.toml", now=at("2023-03-07", 8)) is None, "not the week's first working day"


def test_while_a_year_s_holiday_arrangement_is_unknown_finance_hears_it_once_a_week_naming_the_source(
        rt, fake_slack):
    rt.settings = Settings(rt.settings.database_url, execution=ENGINE,
                           alerts=AlertConfig(directory=Directory(PEOPLE), quiet_hours=None,
                                              quiet_on_rest_days=False),
                           daemon=DaemonSettings())
    assert not rt.settings.execution.calendar.covers(2027), "chinesecalendar knows up to 2026"
    assert scheduled.calendar_check_job("test.toml", now=at("2026-11-30", 10)) is None, "2027 matters from December"
    assert scheduled.calendar_check_job("test.toml", now=at("2026-12-01", 10)) is None, "the week's first working day"
    assert scheduled.calendar_check_job("test.toml", now=at("2026-12-07", 10))["years"] == [2027]
    scheduled.deliver_job("test.toml", now=at("2026-12-08", 9, 7))  # at the next slot, as every message
    told = posts_to(fake_slack, "DUFIN")
    assert "2027 年的节假日安排（国务院通知）尚未配置" in told[-1] and "holidays 包估算（不含调休）" in told[-1]
    assert "complete_years = [2027]" in told[-1]
    assert scheduled.calendar_check_job("test.toml", now=at("2026-12-07", 15)) is None, "once a week"
    assert scheduled.calendar_check_job("test.toml", now=at("2026-12-08", 10)) is None
    assert scheduled.calendar_check_job("test.toml", now=at("2026-12-14", 10))["messages"] >= 1, "every week"
    scheduled.deliver_job("test.toml", now=at("2026-12-15", 9, 7))
    assert scheduled.calendar_check_job("test.toml", now=at("2027-03-01", 10))["years"] == [2027], \
        "and on into the year itself"
    scheduled.deliver_job("test.toml", now=at("2027-03-02", 9, 7))
    assert len(posts_to(fake_slack, "DUFIN")) == len(told) + 2


def test_a_year_the_config_lists_in_full_is_not_warned_about(rt, fake_slack):
    from monitor.calendar import WorkCalendar

    listed = WorkCalendar(frozenset({dt.date(2027, 1, 1)}), complete_years=frozenset({2027}))
    rt.settings = Settings(rt.settings.database_url, execution=replace(ENGINE, calendar=listed),
                           alerts=AlertConfig(directory=Directory(PEOPLE), quiet_hours=None,
                                              quiet_on_rest_days=False),
                           daemon=DaemonSettings())
    assert scheduled.calendar_check_job("test.toml", now=at("2026-12-07", 10)) is None
    assert posts_to(fake_slack, "DUFIN") == []


# --- the scheduler --------------------------------------------------------------------------------


def test_jobs_are_registered_by_reference_with_fixed_ids_and_kept_across_restarts(rt, tmp_path):
    from jobs.daemon.run import build_scheduler, job_specs, register

    daemon = DaemonSettings(inbox=tmp_path / "inbox")
    engine = rt.factory.kw["bind"]
    for expected in ("added", "kept"):
        scheduler = build_scheduler(engine, daemon)
        scheduler.start(paused=True)
        done = register(scheduler, job_specs("test.toml", daemon, "host:1"))
        assert set(done.values()) == {expected}
        assert {j.id: j.func_ref for j in scheduler.get_jobs()}["evaluate"] == "jobs.scheduled:evaluate_job"
        assert all(j.misfire_grace_time == 72 * 3600 and j.coalesce and j.max_instances == 1
                   for j in scheduler.get_jobs())
        scheduler.shutdown(wait=False)


def test_a_daemon_down_over_its_run_time_catches_up_once_on_start(rt, monkeypatch):
    """Jobs stored with a run time two days past (the daemon was down): on start the evaluation
    runs once, not once per missed day, and its fence row says so."""
    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED

    from jobs.daemon.run import build_scheduler, job_specs, register

    daemon = DaemonSettings()
    engine = rt.factory.kw["bind"]
    calls, ran = [], threading.Event()
    monkeypatch.setattr(scheduled, "_evaluate_and_deliver",
                        lambda rt_, now, remind=frozenset(): calls.append(now) or {})
    scheduler = build_scheduler(engine, daemon)
    scheduler.start(paused=True)
    register(scheduler, [s for s in job_specs("test.toml", daemon, "host:1") if s.id == "evaluate"])
    scheduler.shutdown(wait=False)
    _store_next_run(engine, "evaluate", dt.datetime.now(daemon.zone) - dt.timedelta(days=2))  # as a down daemon left it

    rt.clock = lambda: dt.datetime.now(daemon.zone)
    monkeypatch.setattr(rt.settings.execution.calendar.__class__, "is_working_day", lambda self, day: True)
    scheduler = build_scheduler(engine, daemon)
    scheduler.add_listener(lambda event: ran.set(), EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    scheduler.start(paused=True)
    assert register(scheduler, [s for s in job_specs("test.toml", daemon, "host:1") if s.id == "evaluate"]) == {
        "evaluate": "kept"}
    scheduler.resume()
    assert ran.wait(10), "the missed run happens on start"
    scheduler.shutdown(wait=True)
    assert len(calls) == 1
    with transaction(rt.factory) as session:
        assert len(runs(session, "evaluate")) == 1


def _store_next_run(engine, job_id: str, when: dt.datetime) -> None:
    """Set a stored job's next run time in APScheduler's table (both the column it queries and the
    pickled state it loads), without a scheduler running."""
    import pickle

    from sqlalchemy import text

    with engine.begin() as connection:
        state = pickle.loads(connection.execute(text("SELECT job_state FROM apscheduler_jobs WHERE id = :id"),
                                                {"id": job_id}).scalar_one())
        state["next_run_time"] = when
        connection.execute(text("UPDATE apscheduler_jobs SET job_state = :state, next_run_time = :at WHERE id = :id"),
                           {"state": pickle.dumps(state, pickle.HIGHEST_PROTOCOL), "at": when.timestamp(),
                            "id": job_id})


def test_the_example_server_config_in_deploy_is_valid():
    from pathlib import Path

    from jobs.config.settings import load_settings

    settings = load_settings(str(Path(__file__).parents[1] / "deploy" / "budget-monitor.toml"), environ={})
    assert settings.daemon.inbox is not None and settings.daemon.timezone == "Asia/Shanghai"
    assert settings.alerts.directory.people, "the example shows whom alerts reach"


def test_health_fails_until_the_daemon_beats_fresh_data_is_in_and_nothing_is_stuck(tmp_path, database_url):
    import json as json_

    from click.testing import CliRunner

    from db.engine import make_engine, session_factory
    from db.migrate import upgrade
    from jobs.cli.app import cli
    from jobs.clock import BEIJING
    from jobs.ingest import ingest_paths
    from tests.helpers import payment, payment_rows, quota_export, quota_line, write_csv

    def health():
        run = CliRunner().invoke(cli, ["--db", database_url, "health", "--json"], env={})
        return run.exit_code, json_.loads(run.output)

    code, report = health()
    assert code == 1 and not report["checks"]["scheduler"]["ok"] and not report["checks"]["imports"]["ok"]
    engine = make_engine(database_url)
    upgrade(engine)
    factory = session_factory(engine)
    today = dt.datetime.now(BEIJING).date()
    unit = "990001 - 测试单位"
    files = [write_csv(tmp_path / f"{today}_指标.csv", quota_export(today, quota_line("ZBH", unit, "1000.00",
                                                                                     year=today.year))),
             write_csv(tmp_path / f"{today}_支付.csv", payment_rows(payment("PH1", today.isoformat(), "10.00",
                                                                            unit=unit, quota="ZBH")))]
    assert {o.status for o in ingest_paths(factory, files, now=dt.datetime.now(BEIJING))} == {"ingested"}
    settings = Settings(database_url)
    scheduled.install("health.toml", scheduled.Runtime(settings, factory, {}, clock=lambda: dt.datetime.now(BEIJING)))
    try:
        scheduled.heartbeat_job("health.toml")
    finally:
        scheduled._RUNTIMES.pop("health.toml", None)
    engine.dispose()
    code, report = health()
    assert code == 0 and report["healthy"], report


def test_health_warns_while_a_year_s_holiday_arrangement_is_unknown_and_names_the_source(tmp_path, database_url):
    import json as json_

    import time_machine
    from click.testing import CliRunner

    from jobs.cli.app import cli

    def health(*options, command=("health",)):
        return CliRunner().invoke(cli, ["--db", database_url, *options, *command], env={}).output

    config = tmp_path / "complete.toml"
    config.write_text('[calendar]\nholidays = ["2027-01-01"]\ncomplete_years = [2027]\n', encoding="utf-8")
    with time_machine.travel(at("2026-06-01", 10), tick=False):
        assert "✓ 节假日日历：2026 年已知（chinesecalendar 包）" in health()
    with time_machine.travel(at("2026-12-07", 10), tick=False):
        said = health()
        assert "! 节假日日历：2027 年的节假日安排（国务院通知）尚未配置" in said
        assert "工作日暂按 holidays 包估算（不含调休） 计算" in said
        assert "holidays package estimate (no 调休)" in health("--lang", "en")
        check = json_.loads(health(command=("health", "--json")))["checks"]["calendar"]
        assert check["ok"] and check["warning"] and check["unsettled"] == [{"year": 2027, "source": "estimate"}]
        assert "! 节假日日历" not in health("--config", str(config))
    with time_machine.travel(at("2027-03-01", 10), tick=False):
        assert "! 节假日日历：2027 年" in health(), "the year itself, while its arrangement is unknown"
        assert "✓ 节假日日历：2027 年已知（配置 [calendar]）" in health("--config", str(config))


def test_replay_prints_what_the_monitor_would_have_said_and_leaves_the_database_as_it_was(demo_folder, tmp_path):
    from click.testing import CliRunner

    from db.engine import make_engine
    from jobs.cli.app import cli
    from jobs.daemon.replay import copy_sqlite
    from tests.helpers import snapshot as database_snapshot

    database = copy_sqlite(demo_folder / "demo.sqlite", tmp_path / "copy.sqlite")
    engine = make_engine(f"sqlite:///{database}")
    before = database_snapshot(engine)
    run = CliRunner().invoke(cli, ["--db", str(database), "--config", str(demo_folder / "budget-monitor.toml"),
                                   "replay", "--from", "2023-03-27", "--to", "2023-03-31"], env={})
    assert run.exit_code == 0, run.output
    assert "3月31日 考核节点未达标" in run.output and "回放 5 天" in run.output
    assert database_snapshot(engine) == before
    engine.dispose()


def test_the_slack_token_may_come_from_a_file_named_in_the_environment(tmp_path):
    from alerts.slack import slack_token

    secret = tmp_path / "token"
    secret.write_text("xoxb-from-a-file\n", encoding="utf-8")
    assert slack_token({"BUDGET_MONITOR_SLACK_TOKEN_FILE": str(secret)}) == "xoxb-from-a-file"
    assert slack_token({"BUDGET_MONITOR_SLACK_TOKEN": "xoxb-env",
                        "BUDGET_MONITOR_SLACK_TOKEN_FILE": str(secret)}) == "xoxb-env"
    with pytest.raises(ValueError, match="TOKEN_FILE"):
        slack_token({"BUDGET_MONITOR_SLACK_TOKEN_FILE": str(tmp_path / "missing")})


# --- notices keep the quiet hours and rest days of every other message (issue 15, case 12) --------

QUIET_ALERTS = AlertConfig(directory=Directory(PEOPLE), quiet_hours=(dt.time(21), dt.time(8)), quiet_on_rest_days=True)


def _due_times(factory) -> set[dt.datetime]:
    from db.models import OutboxMessage
    from jobs.clock import BEIJING

    with transaction(factory) as session:  # SQLite gives back naive times in Beijing, PostgreSQL aware ones
        return {(row.next_attempt_at.astimezone(BEIJING) if row.next_attempt_at.tzinfo
                 else row.next_attempt_at.replace(tzinfo=BEIJING)) for row in session.query(OutboxMessage)}


def test_a_calendar_notice_sent_on_a_saturday_waits_for_the_next_working_days_slot(rt, fake_slack):
    from jobs.digest import send_calendar_warning

    rt.settings = Settings(rt.settings.database_url, execution=ENGINE, alerts=QUIET_ALERTS, daemon=DaemonSettings())
    calendar = rt.settings.execution.calendar
    saturday, monday = dt.date(2026, 12, 5), dt.date(2026, 12, 7)
    assert calendar.is_working_day(monday) and not calendar.is_working_day(saturday)
    sent = send_calendar_warning(rt.factory, rt.settings, at(saturday.isoformat(), 10), [(2027, "estimate")])
    assert sent["messages"] >= 1
    assert not fake_slack.posted(), "a rest day: nothing goes out"
    assert _due_times(rt.factory) == {at(monday.isoformat(), 9, 7)}
    scheduled.deliver_job("test.toml", now=at(monday.isoformat(), 9, 7))
    assert "2027 年的节假日安排（国务院通知）尚未配置" in posts_to(fake_slack, "DUFIN")[-1]


def test_a_brief_with_a_red_alert_among_its_open_lines_still_waits_for_the_end_of_the_quiet_hours(rt):
    """slot = false: a message goes when found unless it is quiet; the brief's red *open* line is a
    reminder, not news that cannot wait (before: a brief at 07:30 holding one went at 07:30)."""
    from alerts.notify import AlertItem, Recipient
    from alerts.pipeline import DeliveryPolicy
    from alerts.routing import Draft
    from jobs.outbox import queue

    open_red = AlertItem("overspent:unit:158001:2023", "overspent", "open", "red", "unit", "158001", "科协", "2023")
    line = AlertItem("digest:unit:158001:2023", "digest", "brief", "blue", "unit", "158001", "科协", "2023")
    draft = Draft(Recipient("slack_user", "UFIN", "科协财务"), "zh", (line, open_red))
    monday = at("2023-03-06", 7, 30)
    with transaction(rt.factory) as session:
        from db.alert_store import add_evaluation

        evaluation = add_evaluation(session, monday.date(), monday, {"kind": "digest"})
        [planned] = queue(session, [draft], year=2023, as_of=monday.date(), now=monday, evaluation_id=evaluation.id,
                          policy=DeliveryPolicy(slot=None), quiet=QUIET_ALERTS.quiet(ENGINE.calendar),
                          chart_of=lambda items: None, dedupe=False)
    assert planned.due == at("2023-03-06", 8, 0)


# --- a file the inbox refuses is told (issue 15, case 10) -----------------------------------------


def _with_inbox(rt, folder, alerts=ALERTS):
    import dataclasses

    rt.settings = dataclasses.replace(rt.settings, alerts=alerts,
                                      daemon=dataclasses.replace(rt.settings.daemon, inbox=folder))


def _bad_export(folder, name="2023-03-01_支付.csv"):
    from tests.helpers import payment, payment_rows, write_csv

    folder.mkdir(exist_ok=True)
    path = write_csv(folder / name, payment_rows(payment("PX1", "2023-03-01", "一百元"), payment("PX2", "2023-03-01",
                                                                                              "12.00")))
    import os

    os.utime(path, (0, 0))  # settled long ago
    return path


def test_the_log_says_what_each_file_of_the_inbox_gave(rt, tmp_path, caplog):
    """Found by the new-user trial: the log said only "imported, evaluated" — no file, no counts,
    none of the notes `ingest` prints (a department taken from the title row, rows not counted)."""
    from tests.helpers import payment, payment_rows, write_csv

    inbox = tmp_path / "inbox"
    _with_inbox(rt, inbox)
    inbox.mkdir()
    path = write_csv(inbox / "2023-03-02_支付.csv", payment_rows(payment("PY1", "2023-03-02", "12.00"),
                                                                 payment("PY2", "2023-03-02", "30.00")))
    os.utime(path, (0, 0))
    with caplog.at_level("INFO", logger="jobs.scheduled"):
        report = scheduled.scan_inbox("test.toml", now=at("2023-03-02", 10))
    assert [name for name, _, _ in report.ingested] == ["2023-03-02_支付.csv"]
    [line] = [r.getMessage() for r in caplog.records if "2023-03-02_支付.csv" in r.getMessage()]
    assert "inbox: 2023-03-02_支付.csv" in line and "2 new" in line, line


def test_a_refused_export_is_told_to_its_units_finance_staff_naming_the_file_its_report_and_the_first_problems(
        rt, fake_slack, tmp_path, caplog):
    inbox = tmp_path / "inbox"
    _with_inbox(rt, inbox)
    _bad_export(inbox)
    with caplog.at_level("WARNING", logger="jobs.scheduled"):
        report = scheduled.scan_inbox("test.toml", now=at("2023-03-01", 10))
    assert [name for name, _, _ in report.refused] == ["2023-03-01_支付.csv"]
    assert any("2023-03-01_支付.csv refused" in r.getMessage() for r in caplog.records), "a log line"
    [told] = posts_to(fake_slack, "DUFIN")  # 科协财务: the unit the rows name; at once, outside the quiet hours
    assert "导出文件未导入" in told and "refused/2023-03-01_支付.csv" in told
    assert "refused/2023-03-01_支付.csv.错误说明.txt" in told and "一百元" in told
    assert not any(p["channel"] != "DUFIN" for p in fake_slack.posted()), "only the finance staff responsible"


def test_a_pass_that_dies_after_telling_and_before_the_move_tells_nobody_twice(rt, fake_slack, tmp_path, monkeypatch):
    from jobs.ingest import inbox as inbox_module

    inbox = tmp_path / "inbox"
    _with_inbox(rt, inbox)
    _bad_export(inbox)

    def killed(source, target):
        raise KeyboardInterrupt("killed between the message and the move")

    monkeypatch.setattr(inbox_module, "_put", killed)
    with pytest.raises(KeyboardInterrupt):
        scheduled.scan_inbox("test.toml", now=at("2023-03-01", 10))
    monkeypatch.undo()
    assert (inbox / "2023-03-01_支付.csv").exists() and not list((inbox / "refused").iterdir())
    report = scheduled.scan_inbox("test.toml", now=at("2023-03-01", 10, 5))
    assert len(report.refused) == 1
    scheduled.deliver_job("test.toml", now=at("2023-03-02", 10))
    assert len(posts_to(fake_slack, "DUFIN")) == 1, "told once"
    record("crash", "an inbox pass killed after telling the finance staff of a refused export, before moving it",
           "the next pass refused it again and told nobody twice (1 message)")


def test_a_file_refused_at_night_waits_for_the_end_of_the_quiet_hours(rt, fake_slack, tmp_path):
    inbox = tmp_path / "inbox"
    _with_inbox(rt, inbox, alerts=QUIET_ALERTS)
    _bad_export(inbox)
    scheduled.scan_inbox("test.toml", now=at("2023-03-01", 22))
    assert not fake_slack.posted()
    scheduled.deliver_job("test.toml", now=at("2023-03-02", 9, 7))
    assert len(posts_to(fake_slack, "DUFIN")) == 1


def test_health_shows_the_files_still_in_refused(rt, tmp_path, database_url):
    import json as json_

    from click.testing import CliRunner

    from jobs.cli.app import cli

    inbox = tmp_path / "inbox"
    _with_inbox(rt, inbox)
    _bad_export(inbox)
    scheduled.scan_inbox("test.toml", now=at("2023-03-01", 10))
    config = tmp_path / "bm.toml"
    config.write_text(f'[daemon]\ninbox = "{inbox}"\n', encoding="utf-8")
    refused_at = dt.datetime(2023, 3, 1, 2, 0, tzinfo=dt.UTC).timestamp()  # 10:00 in Beijing
    for path in (inbox / "refused").iterdir():
        os.utime(path, (refused_at, refused_at))
    run = CliRunner().invoke(cli, ["--db", database_url, "--config", str(config), "health", "--json"], env={})
    warnings = json_.loads(run.output)["warnings"]
    assert [w["check"] for w in warnings if "2023-03-01_支付.csv" in w["detail"]] == ["inbox"]
    # the time the file was refused in the daemon's zone, as the heartbeat is (it was the server's, UTC)
    assert any("2023-03-01 10:00" in w["detail"] for w in warnings if w["check"] == "inbox"), warnings
    (inbox / "refused" / "2023-03-01_支付.csv").unlink()  # dealt with
    run = CliRunner().invoke(cli, ["--db", database_url, "--config", str(config), "health", "--json"], env={})
    assert not [w for w in json_.loads(run.output)["warnings"] if w["check"] == "inbox"]
