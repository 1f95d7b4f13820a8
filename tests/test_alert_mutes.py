"""Acknowledgements and silences (issue 15, case 11), on the demo data, on SQLite and PostgreSQL:
an ack given while an evaluation runs is kept; a wildcard silence never swallows a missed
checkpoint or a first red; `alerts unsilence` undoes a silence; `--until` is bounded and judged,
like the evaluation judges it, on the evaluation's date rather than the wall clock."""

from __future__ import annotations

import datetime as dt
import json
import threading

from click.testing import CliRunner
from sqlalchemy import select, text

from db.alert_store import acknowledge
from db.engine import transaction
from db.models import AlertState
from jobs.evaluate import evaluate
from tests.reliability import record
from tests.test_alert_delivery import ALERTS, ENGINE, at, demo, demo_folder, posts_to, run, slack  # noqa: F401

KEY = "behind_checkpoint:unit:158001:2023-03-31"


def _cli():
    from jobs.cli.app import cli

    return cli


def _blocked_on_a_lock(factory) -> bool:
    """Whether some session waits for a lock (PostgreSQL only; SQLite's writer lock is not visible)."""
    with transaction(factory) as session:
        if session.get_bind().dialect.name != "postgresql":
            return False
        return bool(session.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted")))


def test_an_ack_given_while_an_evaluation_runs_is_not_written_over_by_it(demo, slack, monkeypatch):
    import jobs.evaluate as evaluation

    run(demo, slack, "2023-03-01")
    real_load = evaluation.load_states
    acked = threading.Event()
    errors: list[BaseException] = []

    def ack() -> None:
        try:
            with transaction(demo) as session:
                assert acknowledge(session, KEY, dt.date(2023, 4, 15), "4月10日支付") is not None
        except BaseException as exc:  # noqa: BLE001 — reported by the assertion below
            errors.append(exc)
        finally:
            acked.set()

    thread = threading.Thread(target=ack)

    def load_then_ack(session, year):
        """The ack arrives after the evaluation read the states, before it writes them back."""
        states = real_load(session, year)
        thread.start()
        deadline = dt.datetime.now() + dt.timedelta(seconds=20)
        while not acked.is_set() and not _blocked_on_a_lock(demo) and dt.datetime.now() < deadline:
            acked.wait(0.01)  # until the ack is committed, or it waits for this evaluation
        return states

    monkeypatch.setattr(evaluation, "load_states", load_then_ack)
    evaluate(demo, execution=ENGINE, alerts=ALERTS, now=at("2023-03-02"))
    thread.join()
    assert errors == []
    with transaction(demo) as session:
        row = session.scalar(select(AlertState).where(AlertState.key == KEY))
        assert (row.ack_until, row.ack_reason) == (dt.date(2023, 4, 15), "4月10日支付")
        assert row.last_seen_on == dt.date(2023, 3, 2), "and the evaluation's own write is there too"
    record("database", "an ack committed between an evaluation's read of the alert states and its write",
           "the ack and the evaluation's own write both kept")


def _invoke(database_url, *args):
    return CliRunner().invoke(_cli(), ["--db", database_url, *args], env={}, catch_exceptions=False)


def test_a_wildcard_silence_lets_a_missed_checkpoint_through_and_one_naming_the_rule_holds_it(
        demo, slack, fake_slack, database_url):
    run(demo, slack, "2023-03-01")
    before = len(posts_to(fake_slack, "DULEAD"))
    everything = _invoke(database_url, "alerts", "silence", "*", "--until", "2023-04-30", "--reason", "出差")
    assert everything.exit_code == 0 and "通配的静默不会压住" in everything.output
    named = _invoke(database_url, "alerts", "silence", "checkpoint_missed:unit:158003:*", "--until", "2023-04-30",
                    "--reason", "科技馆已约谈")
    assert named.exit_code == 0 and "通配" not in named.output
    result, _ = run(demo, slack, "2023-03-31")
    told = {e.item.key for e in result.events}
    assert "checkpoint_missed:unit:158001:2023-03-31" in told, "a verdict is told once: '*' does not swallow it"
    assert "checkpoint_missed:unit:158003:2023-03-31" not in told, "named, it is held"
    assert {e.item.rule for e in result.events} <= {"checkpoint_missed"}
    assert any("考核节点未达标" in t for t in posts_to(fake_slack, "DULEAD")[before:])


def test_a_first_red_comes_through_a_wildcard_silence_but_not_one_naming_its_rule():
    from alerts.findings import Finding
    from alerts.state import Policy, step

    finding = Finding("overspent", "red", "unit", "158001", "科协", "2023",
                      {"budget": "1.00", "paid": "2.00", "over": "1.00"}, {"unit": "158001"})
    day = dt.date(2023, 3, 1)
    _, loose = step(None, finding, as_of=day, policy=Policy(), silenced=True, loosely=True)
    _, named = step(None, finding, as_of=day, policy=Policy(), silenced=True)
    assert [e.item.event for e in loose] == ["fire"] and named == []


def test_unsilence_ends_a_silence_and_the_next_evaluation_tells_again(demo, slack, fake_slack, database_url):
    from alerts.state import Policy

    run(demo, slack, "2023-03-01")
    assert _invoke(database_url, "alerts", "silence", "behind_checkpoint:*", "--until", "2023-03-30",
                   "--reason", "x").exit_code == 0
    missing = _invoke(database_url, "alerts", "unsilence", "behind_checkpoint*")
    assert missing.exit_code == 1 and "没有匹配 behind_checkpoint* 的静默" in missing.output
    ended = _invoke(database_url, "alerts", "unsilence", "behind_checkpoint:*")
    assert ended.exit_code == 0 and "已取消静默 behind_checkpoint:*（1 条）" in ended.output
    assert json.loads(_invoke(database_url, "alerts", "--json").output)["silences"] == []
    reminding = ALERTS.__class__(**{**ALERTS.__dict__, "policy": Policy(interval_reminders=True)})
    result, _ = run(demo, slack, "2023-03-08", alerts=reminding)
    assert KEY in {e.item.key for e in result.events}


def test_until_is_bounded_and_judged_on_the_evaluation_date_not_the_wall_clock(demo, slack, database_url):
    run(demo, slack, "2023-03-01")  # the wall clock is years later; the evaluation judged 1 March 2023
    ok = _invoke(database_url, "alerts", "silence", "stalled:*", "--until", "2023-03-15", "--reason", "x")
    assert ok.exit_code == 0 and "早于" not in ok.output
    past = _invoke(database_url, "alerts", "silence", "stalled:*", "--until", "2023-02-28", "--reason", "x")
    assert past.exit_code == 2 and "早于评估日期 2023-03-01" in past.output
    forever = _invoke(database_url, "alerts", "silence", "*", "--until", "9999-12-31", "--reason", "x")
    assert forever.exit_code == 2 and "最多到评估日期 2023-03-01 之后 92 天（2023-06-01）" in forever.output
    ack = _invoke(database_url, "--lang", "en", "alerts", "ack", KEY, "--until", "2024-01-01", "--reason", "x")
    assert ack.exit_code == 2 and "at most 92 days after the evaluation date 2023-03-01" in ack.output
    listed = json.loads(_invoke(database_url, "alerts", "--json").output)
    assert [s["pattern"] for s in listed["silences"]] == ["stalled:*"], "listed as in force on the evaluation date"
