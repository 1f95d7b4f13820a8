"""Alerts end to end on the demo data: the real importer, engine, rules, state, outbox, and the
real slack_sdk WebClient talking HTTP to a fake Slack server on 127.0.0.1 (tests/fake_slack.py).
Dates and clocks are passed in; nothing sleeps except a Slack client waiting for its own timeout."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import io
import json
import sqlite3

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from alerts.notify import Recipient
from alerts.pipeline import DeliveryPolicy
from alerts.routing import Channel, Directory, Person
from alerts.slack import SlackNotifier
from alerts.state import Policy
from db.engine import make_engine, session_factory, transaction
from db.migrate import upgrade
from db.models import AlertState, DeliveryAttempt, OutboxMessage
from jobs.clock import BEIJING
from jobs.deliver import DbEmailCache, deliver, execution_charts
from jobs.demo.run import demo_settings, run_demo
from jobs.evaluate import AlertConfig, evaluate
from jobs.execution import status
from jobs.ingest import ingest_paths
from monitor.money import to_wan
from tests.helpers import payment, payment_rows, write_csv

ENGINE = demo_settings()
LEADER_EMAIL = "leader@kexie.example.cn"
PEOPLE = (
    Person("部门领导", "department_leader", slack_user="UDEP", departments=frozenset({"158"})),
    Person("科协领导", "unit_leader", email=LEADER_EMAIL, units=frozenset({"158001"})),
    Person("科协财务", "finance_staff", slack_user="UFIN", units=frozenset({"158001"})),
    Person("科技馆领导", "unit_leader", slack_user="UKJG", units=frozenset({"158003"})),
    Person("服务中心领导", "unit_leader", slack_user="UFWZX", units=frozenset({"158002"})),
)
# The slot at 09:00, the hour these scenarios evaluate and deliver at: the slot stage is on (one message a
# person a day, merged, capped), and the delivery timings below count from the slot.
ALERTS = AlertConfig(directory=Directory(PEOPLE, fallback=None), quiet_hours=None, quiet_on_rest_days=False,
                     delivery=DeliveryPolicy(slot=dt.time(9, 0)))


def at(day: str, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), tzinfo=BEIJING)


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory):
    """The demo's exports and its SQLite database, built once for the module."""
    folder = tmp_path_factory.mktemp("demo")
    with contextlib.redirect_stdout(io.StringIO()):
        run_demo(folder, as_json=True, now=at("2023-04-03"))
    return folder


@pytest.fixture
def demo(demo_folder, database_url):
    """A session factory on a database holding the demo data: a copy of the module's SQLite
    file, or the demo exports imported through the real importer into PostgreSQL."""
    if database_url.startswith("sqlite"):
        source = sqlite3.connect(demo_folder / "demo.sqlite")  # the backup API: WAL content included
        with contextlib.closing(sqlite3.connect(database_url.removeprefix("sqlite:///"))) as target:
            source.backup(target)
        source.close()
    engine = make_engine(database_url)
    upgrade(engine)
    factory = session_factory(engine)
    if not database_url.startswith("sqlite"):
        outcomes = ingest_paths(factory, sorted((demo_folder / "exports").iterdir()), now=at("2023-04-03"))
        assert {o.status for o in outcomes} == {"ingested"}
    yield factory
    engine.dispose()


@pytest.fixture
def slack(fake_slack, demo):
    fake_slack.users[LEADER_EMAIL] = "ULEAD"
    clock = lambda: at("2023-03-01")  # noqa: E731
    return {"slack": SlackNotifier("xoxb-test-token", base_url=fake_slack.base_url, timeout=1.0,
                                   lookup=DbEmailCache(demo, clock))}


def run(factory, notifiers, day: str, *, alerts: AlertConfig = ALERTS, hour: int = 9, charts: bool = False):
    """One evaluation and one delivery, as the daemon runs them at ``day`` ``hour``:00."""
    now = at(day, hour)
    result = evaluate(factory, execution=ENGINE, alerts=alerts, now=now)
    report = deliver(factory, notifiers, now=now, chart_maker=execution_charts(factory, ENGINE) if charts else None)
    return result, report


def posts_to(server, channel: str) -> list[str]:
    return [p["text"] for p in server.posted() if p["channel"] == channel]


def wan(amount) -> str:
    return f"{to_wan(amount):,}"


# --- the scenarios of the issue ------------------------------------------------------------------


def test_on_1_march_2023_the_kexie_leaders_are_warned_that_q1_will_be_missed_with_the_figures(
        demo, slack, fake_slack):
    run(demo, slack, "2023-03-01", charts=True)
    expected = next(s for s in status(demo, year=2023, as_of=dt.date(2023, 3, 1), settings=ENGINE).statuses
                    if s.entity.key == ("unit", "158001"))
    upcoming = expected.next_checkpoint
    assert upcoming.projected_to_miss
    [leader] = posts_to(fake_slack, "DULEAD")  # a DM opened with the user found by e-mail
    assert "预计达不到考核进度" in leader and "3月31日" in leader and "25%" in leader
    assert f"还需支付 {wan(upcoming.gap)} 万元" in leader
    assert f"日均约 {wan(upcoming.daily_needed)} 万元" in leader
    assert f"预计届时 {upcoming.projection.rate}%" in leader
    [department] = posts_to(fake_slack, "DUDEP")
    assert "预计达不到考核进度" in department
    assert [r.body["email"] for r in fake_slack.received("users.lookupByEmail")] == [LEADER_EMAIL]
    assert fake_slack.received("files.completeUploadExternal"), "the chart goes with a checkpoint alert"


def test_evaluating_again_the_same_day_sends_nothing_new(demo, slack, fake_slack):
    run(demo, slack, "2023-03-01")
    before = len(fake_slack.posted())
    result, report = run(demo, slack, "2023-03-01", hour=15)
    assert result.events == [] and report.sent == 0
    assert len(fake_slack.posted()) == before


def test_on_31_march_one_checkpoint_missed_goes_to_each_leader_and_never_again(demo, slack, fake_slack):
    run(demo, slack, "2023-03-01")
    first = len(fake_slack.posted())
    run(demo, slack, "2023-03-31")
    leader = posts_to(fake_slack, "DULEAD")[1:]
    assert len(leader) == 1 and leader[0].count("· 考核节点未达标") == 1
    assert "预计达不到考核进度" not in leader[0], "the missed checkpoint speaks instead of the warning"
    assert len(fake_slack.received("users.lookupByEmail")) == 1, "the e-mail was looked up once, then cached"
    q1 = next(s for s in status(demo, year=2023, as_of=dt.date(2023, 3, 31), settings=ENGINE).statuses
              if s.entity.key == ("department", "158")).entity
    department = posts_to(fake_slack, "DUDEP")[1:]
    assert len(department) == 1 and "3月31日 考核节点未达标" in department[0]
    assert f"到期时已支付 {q1.execution_rate}%" in department[0] and "考核要求 25%" in department[0]
    run(demo, slack, "2023-04-03")
    later = [t for t in fake_slack.posted()[first:] if "· 考核节点未达标" in t["text"]]
    assert len(later) == len({t["channel"] for t in later}), "one 'checkpoint missed' per person"


def test_a_unit_that_catches_up_gets_one_back_on_schedule(demo, slack, fake_slack, tmp_path):
    run(demo, slack, "2023-03-01")
    report = status(demo, year=2023, as_of=dt.date(2023, 3, 2), settings=ENGINE)
    lines = [line for line in report.lines if line.unit_code == "158001" and line.budget > 0]
    rows = [payment(f"CATCHUP-{n}", "2023-03-02", f"{line.budget * 35 / 100:.2f}", quota=line.quota_no)
            for n, line in enumerate(lines)]
    outcomes = ingest_paths(demo, [write_csv(tmp_path / "2023-03-02_支付.csv", payment_rows(*rows))],
                            now=at("2023-03-02"))
    assert outcomes[0].status == "ingested"
    run(demo, slack, "2023-03-02")
    leader = posts_to(fake_slack, "DULEAD")
    assert len(leader) == 2 and "已恢复正常" in leader[1] and "预计达不到考核进度" in leader[1]
    run(demo, slack, "2023-03-03")
    assert len(posts_to(fake_slack, "DULEAD")) == 2, "one back-on-schedule notice, not one a day"


# --- Slack failing -------------------------------------------------------------------------------


def test_slack_down_for_a_whole_evaluation_loses_nothing_and_delivers_everything_once_back(
        demo, slack, fake_slack):
    fake_slack.down()
    result, report = run(demo, slack, "2023-03-01")
    assert report.sent == 0 and report.deferred >= 1
    fake_slack.up()
    later = deliver(demo, slack, now=at("2023-03-01", 11))
    assert later.sent == len(result.messages)
    channels = [p["channel"] for p in fake_slack.posted()]
    assert len(channels) == len(set(channels)) == len(result.messages)
    assert deliver(demo, slack, now=at("2023-03-01", 12)).sent == 0


def test_a_429_waits_for_its_retry_after_and_then_goes(demo, slack, fake_slack):
    fake_slack.fail_next("chat.postMessage", "429", retry_after=300)
    _, report = run(demo, slack, "2023-03-01")
    assert report.deferred == 1 and "ratelimited" in report.errors[0]
    assert deliver(demo, slack, now=at("2023-03-01") + dt.timedelta(minutes=4)).sent == 0
    assert deliver(demo, slack, now=at("2023-03-01") + dt.timedelta(minutes=5)).sent == 1


@pytest.mark.parametrize("failure", ["500", "timeout"])
def test_a_server_error_or_a_timeout_is_retried_with_backoff(demo, slack, fake_slack, failure):
    fake_slack.fail_next("chat.postMessage", failure)
    result, report = run(demo, slack, "2023-03-01")
    assert report.deferred == 1 and report.sent == len(result.messages) - 1
    assert deliver(demo, slack, now=at("2023-03-01") + dt.timedelta(seconds=59)).sent == 0
    assert deliver(demo, slack, now=at("2023-03-01") + dt.timedelta(minutes=1)).sent == 1
    with transaction(demo) as session:
        outcomes = list(session.scalars(select(DeliveryAttempt.outcome).order_by(DeliveryAttempt.id)))
    assert outcomes.count("transient") == 1 and outcomes.count("sent") == len(result.messages)


def test_a_wrong_channel_fails_for_good_is_listed_and_does_not_stop_the_others(demo, slack, fake_slack):
    config = AlertConfig(directory=Directory(PEOPLE, (Channel("CGONE", frozenset({"158"})),), fallback=None),
                         quiet_hours=None, quiet_on_rest_days=False,
                         delivery=DeliveryPolicy(slot=dt.time(9, 0)))
    fake_slack.fail_next("chat.postMessage", "error:channel_not_found", times=10)
    result, report = run(demo, slack, "2023-03-01", alerts=config)
    assert report.failed >= 1 and report.stopped is None
    assert report.sent + report.failed == len(result.messages)
    assert deliver(demo, slack, now=at("2023-03-02")).sent == 0, "never retried"
    with transaction(demo) as session:
        failed = session.scalar(select(func.count()).where(OutboxMessage.status == "failed"))
    assert failed == report.failed


def test_a_refused_token_stops_the_run_and_keeps_every_message_for_later(demo, slack, fake_slack):
    fake_slack.fail_next("conversations.open", "error:invalid_auth")
    result, report = run(demo, slack, "2023-03-01")
    assert report.stopped and "invalid_auth" in report.stopped and report.sent == 0
    assert len(fake_slack.received("conversations.open")) == 1, "one refusal stops the run"
    assert "xoxb-test-token" not in report.stopped
    later = deliver(demo, slack, now=at("2023-03-01", 10))
    assert later.sent == len(result.messages)


def test_a_crash_between_sending_and_recording_causes_one_duplicate_after_the_lease_never_a_loss(
        demo, slack, fake_slack):
    now = at("2023-03-01")
    result = evaluate(demo, execution=ENGINE, alerts=ALERTS, now=now)

    def crash(message_id):
        raise KeyboardInterrupt("killed after the send, before the record")

    with pytest.raises(KeyboardInterrupt):
        deliver(demo, slack, now=now, after_send=crash)
    assert len(fake_slack.posted()) == 1
    assert deliver(demo, slack, now=now + dt.timedelta(minutes=5)).sent == len(result.messages) - 1
    assert len(fake_slack.posted()) == len(result.messages), "the claimed message waits for its lease"
    assert deliver(demo, slack, now=now + dt.timedelta(minutes=11)).sent == 1
    assert len(fake_slack.posted()) == len(result.messages) + 1, "exactly one duplicate"
    assert deliver(demo, slack, now=now + dt.timedelta(hours=1)).sent == 0


def test_each_persons_messages_arrive_in_order_when_an_earlier_one_has_to_wait(demo, slack, fake_slack):
    fake_slack.down()
    run(demo, slack, "2023-03-01")
    fake_slack.up()
    evaluate(demo, execution=ENGINE, alerts=ALERTS, now=at("2023-03-31"))
    deliver(demo, slack, now=at("2023-03-31"))
    leader = posts_to(fake_slack, "DULEAD")
    assert len(leader) == 2 and "预计达不到考核进度" in leader[0] and "考核节点未达标" in leader[1]


# --- stale data, listing, acknowledgement ---------------------------------------------------------


def test_stale_data_warns_finance_staff_and_mutes_the_pacing_alerts(demo_folder, tmp_path, fake_slack):
    """Only the exports up to week 8 (dated 24 February) are in: on 20 March the figures are
    three weeks old, so no pacing alert may go out; the finance staff hear why."""
    engine = make_engine(f"sqlite:///{tmp_path / 'stale.sqlite'}")
    upgrade(engine)
    factory = session_factory(engine)
    exports = sorted((demo_folder / "exports").iterdir())
    early = [p for p in exports if "指标明细" in p.name or ("支付明细" in p.name and p.name < "2023-W09")]
    assert {o.status for o in ingest_paths(factory, early, now=at("2023-02-24"))} == {"ingested"}
    notifiers = {"slack": SlackNotifier("xoxb-test-token", base_url=fake_slack.base_url, timeout=1.0)}
    fake_slack.users[LEADER_EMAIL] = "ULEAD"
    result, _ = run(factory, notifiers, "2023-03-20")
    assert result.muted
    assert {e.item.rule for e in result.events} <= {"stale_data", "overspent", "adjustment_rate"}
    [finance] = posts_to(fake_slack, "DUFIN")
    assert "支付数据未更新" in finance and "进度类预警暂停" in finance and "2023年2月24日" in finance
    assert posts_to(fake_slack, "DULEAD") == []
    engine.dispose()


def test_the_alerts_command_lists_state_and_delivery_failures_and_ack_snoozes_an_alert(
        demo, slack, fake_slack, database_url):
    fake_slack.fail_next("chat.postMessage", "error:is_archived")
    run(demo, slack, "2023-03-01")
    runner = CliRunner()
    listed = runner.invoke(_cli(), ["--db", database_url, "alerts", "--json"], env={}, catch_exceptions=False)
    document = json.loads(listed.output)
    keys = {a["key"] for a in document["alerts"]}
    assert "behind_checkpoint:unit:158001:2023-03-31" in keys
    assert [f["error"].split(":")[0] for f in document["delivery_failures"]] == ["is_archived"]
    key = "behind_checkpoint:department:158:2023-03-31"
    acked = runner.invoke(_cli(), ["--db", database_url, "alerts", "ack", key, "--until", "2023-04-15",
                                   "--reason", "4月10日支付物业费"], env={}, catch_exceptions=False)
    assert acked.exit_code == 0, acked.output
    reminding = dataclasses.replace(ALERTS, policy=Policy(interval_reminders=True))  # a week on: reminded
    result, _ = run(demo, slack, "2023-03-08", alerts=reminding)
    assert key not in {e.item.key for e in result.events}
    assert "behind_checkpoint:unit:158001:2023-03-31" in {e.item.key for e in result.events}
    unknown = runner.invoke(_cli(), ["--db", database_url, "alerts", "ack", "nope", "--until", "2023-04-15",
                                     "--reason", "x"], env={})
    assert unknown.exit_code == 1 and "没有标识为 nope 的提醒" in unknown.output


def test_a_dry_run_shows_the_messages_and_writes_nothing(demo, database_url, tmp_path):
    config = tmp_path / "bm.toml"
    config.write_text('[alerts]\nquiet_hours = false\nquiet_on_rest_days = false\nslot = false\n'
                      '[[people]]\nname = "科协领导"\nrole = "unit_leader"\nslack_user = "ULEAD"\nunits = ["158001"]\n',
                      encoding="utf-8")
    run_ = CliRunner().invoke(_cli(), ["--db", database_url, "--config", str(config), "evaluate", "--as-of",
                                       "2023-03-01", "--dry-run"], env={}, catch_exceptions=False)
    assert run_.exit_code == 0, run_.output
    assert "→ 科协领导" in run_.output and "预计达不到考核进度" in run_.output and "试运行" in run_.output
    with transaction(demo) as session:
        assert session.scalar(select(func.count()).select_from(AlertState)) == 0
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_without_a_token_the_evaluate_command_prints_the_messages_on_the_console(demo, database_url, tmp_path):
    config = tmp_path / "bm.toml"
    config.write_text('[alerts]\nquiet_hours = false\nquiet_on_rest_days = false\nslot = false\n', encoding="utf-8")
    run_ = CliRunner().invoke(_cli(), ["--db", database_url, "--config", str(config), "evaluate", "--as-of",
                                       "2023-03-01"], env={}, catch_exceptions=False)
    assert run_.exit_code == 0, run_.output
    assert "→ 控制台" in run_.output and "预计达不到考核进度" in run_.output
    assert "成功 1" in run_.output
    again = CliRunner().invoke(_cli(), ["--db", database_url, "--config", str(config), "evaluate", "--as-of",
                                        "2023-03-01", "--json"], env={}, catch_exceptions=False)
    assert json.loads(again.output)["events"] == []


def _cli():
    from jobs.cli.app import cli

    return cli


def test_a_recipient_without_slack_is_printed_by_the_console_notifier(demo):
    from alerts.console import ConsoleNotifier

    stream = io.StringIO()
    config = AlertConfig(directory=Directory(fallback=Recipient("console", "console", "控制台")),
                         quiet_hours=None, quiet_on_rest_days=False,
                         delivery=DeliveryPolicy(slot=dt.time(9, 0)))
    run(demo, {"console": ConsoleNotifier(stream)}, "2023-03-01", alerts=config)
    assert stream.getvalue().startswith("→ 控制台")


def test_two_evaluations_at_the_same_time_tell_each_alert_once(demo):
    import threading

    start = threading.Barrier(2)
    results, errors = [], []

    def one():
        start.wait()
        try:
            results.append(evaluate(demo, execution=ENGINE, alerts=ALERTS, now=at("2023-03-01")))
        except Exception as exc:  # noqa: BLE001 — reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    told = [e.item.key for r in results for e in r.events]
    assert told and len(told) == len(set(told)), "no alert told by both"
    assert sorted(len(r.events) == 0 for r in results) == [False, True], "the second found it all told"


def test_a_silence_holds_through_its_last_day_and_is_listed_while_active(demo, slack, fake_slack, database_url):
    runner = CliRunner()
    run(demo, slack, "2023-03-01")  # the evaluation date the silence is set against
    told = len(fake_slack.posted())
    silenced = runner.invoke(_cli(), ["--db", database_url, "alerts", "silence", "stalled:*", "--until",
                                      "2023-03-31", "--reason", "单位主要负责人出差"], env={}, catch_exceptions=False)
    assert silenced.exit_code == 0 and "含当日" in silenced.output
    listed = json.loads(runner.invoke(_cli(), ["--db", database_url, "alerts", "--json"], env={}).output)
    assert [s["pattern"] for s in listed["silences"]] == ["stalled:*"], "in force on the evaluation date"
    result, _ = run(demo, slack, "2023-03-31")
    assert "stalled" not in {e.item.rule for e in result.events} and len(fake_slack.posted()) > told


def test_a_person_with_no_address_while_slack_is_on_is_not_counted_as_sent_and_the_message_says_who(
        demo, slack, fake_slack):
    """Issue 15, case 9: the console fallback for a person who should have had Slack is a failure."""
    from alerts.console import ConsoleNotifier

    nobody = Person("无地址财务", "finance_staff", units=frozenset({"158001"}))
    people = (*[p for p in PEOPLE if p.role != "finance_staff"], nobody)
    config = dataclasses.replace(ALERTS, directory=Directory(people, fallback=None))
    stream = io.StringIO()
    _, report = run(demo, slack | {"console": ConsoleNotifier(stream)}, "2023-03-01", alerts=config)
    with transaction(demo) as session:
        rows = session.query(OutboxMessage).filter(OutboxMessage.recipient_name == "无地址财务").all()
    assert rows and {r.status for r in rows} == {"failed"}
    assert report.failed == len(rows) and "无地址财务 has no slack_user or email" in " ".join(report.errors)
    assert "无地址财务" not in stream.getvalue(), "not quietly printed and counted as sent"
    assert report.sent == len(fake_slack.posted())


TYPO_CONFIG = ('[alerts]\nquiet_hours = false\nquiet_on_rest_days = false\nslot = false\n'
               '[[people]]\nname = "科协领导"\nrole = "unit_leader"\nslack_user = "ULEAD"\nunits = ["158O01"]\n'
               '[[people]]\nname = "李会计"\nrole = "finance_staff"\nunits = ["158001"]\n'
               '[[people]]\nname = "部门财务"\nrole = "finance_staff"\nslack_user = "UDF"\ndepartments = ["158"]\n')


def test_routing_mistakes_are_named_by_evaluate_health_and_the_daemons_start(demo, database_url, tmp_path, caplog):
    """Issue 15, case 9: a typo in a unit code, a person with no address while Slack is on, units
    whose finance alerts fall to the department's finance staff — each named, person and code."""
    config = tmp_path / "bm.toml"
    config.write_text(TYPO_CONFIG, encoding="utf-8")
    env = {"BUDGET_MONITOR_SLACK_TOKEN": "xoxb-test-token"}
    shown = CliRunner().invoke(_cli(), ["--db", database_url, "--config", str(config), "evaluate", "--as-of",
                                        "2023-03-01", "--dry-run"], env=env, catch_exceptions=False)
    assert shown.exit_code == 0, shown.output
    assert "“科协领导”的单位代码 158O01 与数据库中任何单位都不匹配" in shown.output
    assert "是否应为 158001 乌鲁木齐市科学技术协会" in shown.output
    assert "“李会计”没有 slack_user 或 email" in shown.output
    assert "158002" in shown.output and "158003" in shown.output and "部门财务 部门财务" in shown.output
    health = CliRunner().invoke(_cli(), ["--db", database_url, "--config", str(config), "health", "--json"], env=env)
    warnings = [w["detail"] for w in json.loads(health.output)["warnings"]]
    assert any("158O01" in w for w in warnings) and any("李会计" in w for w in warnings)
    text = CliRunner().invoke(_cli(), ["--db", database_url, "--config", str(config), "--lang", "en", "health"],
                              env=env)
    assert "⚠ people directory: “科协领导”: unit code 158O01 matches no unit in the database" in text.output

    from jobs.config.settings import load_settings
    from jobs.daemon.run import _warn_about_the_directory
    from jobs.scheduled import Runtime

    settings = load_settings(str(config), database=database_url, environ={})
    with caplog.at_level("WARNING", logger="jobs.daemon.run"):
        _warn_about_the_directory(Runtime(settings, demo, {"slack": object(), "console": object()},  # type: ignore
                                          clock=lambda: at("2023-03-01")))
    logged = [r.getMessage() for r in caplog.records]
    assert any("158O01" in line for line in logged) and any("李会计" in line for line in logged)


def test_without_a_slack_token_nobody_is_said_to_lack_a_slack_address(demo, database_url, tmp_path):
    """Found by the new-user trial: health and evaluate warned "已配置 Slack" about every person
    without slack_user on the console-only default (slack_token gives "" when unset, not None)."""
    from jobs.directory import chat_configured

    assert chat_configured({}) is False and chat_configured({"BUDGET_MONITOR_SLACK_TOKEN": " "}) is False
    assert chat_configured({"BUDGET_MONITOR_SLACK_TOKEN": "xoxb-1"}) is True
    config = tmp_path / "bm.toml"
    config.write_text(TYPO_CONFIG, encoding="utf-8")
    health = CliRunner().invoke(_cli(), ["--db", database_url, "--config", str(config), "health", "--json"], env={
        "BUDGET_MONITOR_SLACK_TOKEN": "", "BUDGET_MONITOR_SLACK_TOKEN_FILE": ""})
    warnings = [w["detail"] for w in json.loads(health.output)["warnings"]]
    assert any("158O01" in w for w in warnings)  # the other routing mistakes are still said
    assert not any("李会计" in w and "slack_user" in w for w in warnings)


def test_a_directory_that_matches_the_database_says_nothing():
    from alerts.directory_check import check_directory

    known = {"department": {"158": "科协"}, "unit": {"158001": "科协机关\t158"}, "project": {}}
    fine = Directory((Person("甲", "unit_leader", slack_user="U1", units=frozenset({"158001"})),
                      Person("乙", "finance_staff", email="b@x.cn", units=frozenset({"158001"}))))
    assert check_directory(fine, known, chat=True, language="zh") == []
    nothing_yet = {"department": {}, "unit": {}, "project": {}}  # nothing imported: codes cannot be judged
    assert check_directory(Directory((Person("甲", "unit_leader", units=frozenset({"x"})),)), nothing_yet, chat=False,
                           language="en") == []
