"""Slack failing for a whole working day while the daemon's jobs run on a simulated clock
(docs/PITFALLS.md: call the job functions with ``now``, never time-travel a scheduler): the 09:00
evaluation, two payment exports dropped into the inbox (each import evaluates and delivers at
once), and the delivery job every minute from 09:00 to 18:30. Slack answers 429 with Retry-After,
then 500, then takes posts without answering (timeouts), then refuses connections, then 500 again,
and recovers at 17:00. Every message goes out once it has, each person's in order, within the
backoff's one-hour cap; the only duplicates are posts Slack took whose answer was lost (README:
the documented bound)."""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter, defaultdict

from sqlalchemy import text

from alerts.console import ConsoleNotifier
from alerts.slack import SlackNotifier
from jobs import scheduled
from jobs.deliver import MAX_BACKOFF
from tests.fake_slack import PROXY_VARIABLES
from tests.fault_helpers import TOKEN, ScriptedSlack, alert_data, at, load, outbox, unit, write_config
from tests.helpers import payment, payment_rows, write_csv
from tests.reliability import record

LEADERS = 6
DAY = "2023-03-01"
NEXT_DAY = "2023-03-02"
RETRY_AFTER = 600
# (from, what Slack does from then on): None is "answers"; "down" refuses connections.
SCRIPT = [("09:00", "429"), ("10:30", "500"), ("12:00", "timeout"), ("13:00", "down"), ("16:00", "500"),
          ("17:00", None)]
RECOVERED = "17:00"
WARNING, RECOVERY = "预计达不到考核进度", "已恢复正常"


def _at(day: str, hhmm: str) -> dt.datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return at(day, hours) + dt.timedelta(minutes=minutes)


def _drop(inbox, name: str, units: range) -> None:
    """A payment export in the inbox, settled: 300,000 paid on 1 March by each of ``units``, which
    puts them back on schedule (25% by 31 March)."""
    path = write_csv(inbox / name, payment_rows(*(payment(f"PR-{name[:12]}-{i}", DAY, "300,000.00", unit=unit(i),
                                                          quota=f"ZBF{i:03d}") for i in units)))
    os.utime(path, (0, 0))


def test_slack_failing_a_whole_day_of_evaluations_loses_nothing_and_keeps_each_persons_order(
        database_url, tmp_path, monkeypatch):
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    backend = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    config = write_config(tmp_path / "budget-monitor.toml", LEADERS, daemon=f'inbox = "{inbox}"')
    settings, factory, engine = load(database_url, config)
    slack = ScriptedSlack().start()
    key = str(config)
    try:
        from jobs.ingest import ingest_paths

        assert {o.status for o in ingest_paths(factory, alert_data(tmp_path / "exports", LEADERS, march=False),
                                               now=at("2023-02-27"))} == {"ingested"}
        notifiers = {"slack": SlackNotifier(TOKEN, base_url=slack.base_url, timeout=1.0), "console": ConsoleNotifier()}
        clock = [_at(DAY, "08:00")]
        scheduled.install(key, scheduled.Runtime(settings, factory, notifiers, clock=lambda: clock[0]))
        events = {"09:00": lambda now: scheduled.evaluate_job(key, now=now),
                  "11:00": lambda now: (_drop(inbox, "2023-03-01_支付-上午.csv", range(1, 4)),
                                        scheduled.scan_inbox(key, now=now)),
                  "15:00": lambda now: (_drop(inbox, "2023-03-01_支付-下午.csv", range(4, LEADERS + 1)),
                                        scheduled.scan_inbox(key, now=now))}
        script = dict(SCRIPT)
        now, end = _at(DAY, "09:00"), _at(DAY, "18:30")
        while now <= end:
            hhmm = now.strftime("%H:%M")
            if hhmm in script:
                _behave(slack, script[hhmm])
            clock[0] = now
            if hhmm in events:
                events[hhmm](now)
            scheduled.deliver_job(key, now=now)
            now += dt.timedelta(minutes=1)
        # Each leader had the warning today; the good news found later waits for tomorrow's slot.
        assert {status for _, _, status in outbox(database_url)} == {"sent", "pending"}
        scheduled.deliver_job(key, now=_at(NEXT_DAY, "09:07"))
        imported = [p.name for p in (inbox / "done").rglob("*.csv")]
        assert len(imported) == 2, "both exports were imported while Slack was failing"
        with engine.connect() as connection:
            attempts = connection.execute(text(
                "SELECT outbox_id, attempted_at, outcome, error FROM delivery_attempts ORDER BY id")).all()
            sent_at = connection.execute(text("SELECT max(sent_at) FROM outbox WHERE id <= :n"),
                                         {"n": LEADERS}).scalar_one()
    finally:
        scheduled._RUNTIMES.pop(key, None)
        slack.close()
        engine.dispose()

    rows = outbox(database_url)
    assert len(rows) == 2 * LEADERS and {status for _, _, status in rows} == {"sent"}, rows
    sent_at = dt.datetime.fromisoformat(sent_at) if isinstance(sent_at, str) else sent_at
    sent_at = sent_at if sent_at.tzinfo else sent_at.replace(tzinfo=_at(DAY, RECOVERED).tzinfo)
    assert sent_at <= _at(DAY, RECOVERED) + MAX_BACKOFF, "the day's warnings went within the backoff's cap of recovery"

    failed = Counter(kind for kind, _ in slack.failures)
    refused = sum(1 for _, _, outcome, error in attempts
                  if outcome == "transient" and "Connection refused" in (error or ""))
    assert failed["429"] and failed["500"] and failed["timeout"] and refused, (failed, refused)
    assert all(outcome in ("transient", "sent") for _, _, outcome, _ in attempts), "no message failed for good"
    # Retry-After was honoured: after a 429 the message waited at least that long.
    by_message = defaultdict(list)
    for message, attempted, outcome, error in attempts:
        by_message[message].append((_aware(attempted), outcome, error or ""))
    for tries in by_message.values():
        for (when, _outcome, error), (after, _, _) in zip(tries, tries[1:]):
            if "ratelimited" in error:
                assert after - when >= dt.timedelta(seconds=RETRY_AFTER)

    posts = defaultdict(list)
    for body in slack.posted():
        posts[body["channel"]].append(body["text"])
    # Posts whose answer never came, as the deliverer recorded them (the client gave up waiting).
    recipients = {message: address for message, address, _ in rows}
    lost_answers = Counter(f"D{recipients[message]}" for message, _, outcome, error in attempts
                           if "chat.postMessage" in (error or "") and "timed out" in (error or ""))
    assert sum(lost_answers.values()) >= failed["timeout"]
    duplicates = 0
    for i in range(1, LEADERS + 1):
        texts = posts[f"DU{i:02d}"]
        assert len(set(texts)) == 2, f"U{i:02d} got both messages"
        first = [n for n, t in enumerate(texts) if WARNING in t and RECOVERY not in t]
        second = [n for n, t in enumerate(texts) if RECOVERY in t]
        assert first and second and max(first) < min(second), f"U{i:02d}: in order"
        extra = len(texts) - 2
        assert extra <= lost_answers[f"DU{i:02d}"], "a duplicate only where Slack took a post and its answer was lost"
        duplicates += extra
    record("slack",
           f"Slack failing for a whole working day of the daemon's jobs on a simulated clock (the 09:00 evaluation, "
           f"two imports that evaluate at once, delivery every minute): 429 with Retry-After {RETRY_AFTER} s, 500, "
           f"posts taken without an answer (timeouts), connection refused, 500 again, recovering at {RECOVERED}; "
           f"{2 * LEADERS} messages for {LEADERS} people ({backend})",
           f"{failed['429']} rate-limited, {failed['500']} server-error, {failed['timeout']} timed-out and {refused} "
           f"refused attempts; each person's warning of the day delivered within the one-hour backoff cap of "
           f"recovery, the good news found after it at the next working day's 09:07 slot (one message a day), each "
           f"person's "
           f"in order, Retry-After honoured; {duplicates} duplicates, all of posts whose answer was lost (at most "
           f"one per lost answer); none failed for good, none lost")


def _behave(slack: ScriptedSlack, what: str | None) -> None:
    slack.up()
    slack.failing, slack.retry_after = (None, None) if what in (None, "down") else (what, RETRY_AFTER)
    if what == "down":
        slack.down()


def _aware(moment):
    moment = dt.datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return moment if moment.tzinfo else moment.replace(tzinfo=at(DAY).tzinfo)
