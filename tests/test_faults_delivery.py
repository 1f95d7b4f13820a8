"""kill -9 of the daemon while it delivers: the real `budget-monitor run` against the fake Slack,
whose chat.postMessage is held at a gate (tests/fault_helpers.py), so each kill comes exactly
while one post has reached Slack and its answer has not come back. The daemon is restarted after
each kill; at the end every message of the outbox has reached Slack, in order for each person,
with at most one duplicate per kill (jobs/deliver.py: the message a kill leaves "sending" is sent
again once its lease has run out)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from alerts.slack import SlackNotifier
from jobs.clock import BEIJING
from jobs.deliver import LEASE, deliver
from tests.fake_slack import PROXY_VARIABLES
from tests.fault_helpers import TOKEN, Daemon, GatedSlack, load, outbox, prepare_alerts, until, write_config
from tests.reliability import record

LEADERS, KILLS, ANSWERED_PER_ROUND = 12, 4, 2
FIRST, SECOND = "预计达不到考核进度", "考核节点未达标"  # 1 March's warning; 10 April: 31 March missed


def test_kill_9_of_the_daemon_with_posts_in_flight_loses_nothing_and_duplicates_at_most_one_per_kill(
        database_url, tmp_path, monkeypatch):
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    backend = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
    config = write_config(tmp_path / "budget-monitor.toml", LEADERS)
    messages = prepare_alerts(database_url, config, tmp_path / "exports", LEADERS, ["2023-03-01", "2023-04-10"])
    assert messages == 2 * LEADERS
    slack = GatedSlack().start()
    daemons = []
    try:
        for _ in range(KILLS):
            daemon = Daemon(database_url, config, slack.base_url)
            daemons.append(daemon)
            daemon.wait_for('"leader:')
            start = slack.arrived()
            slack.let_through(start + ANSWERED_PER_ROUND)
            until(lambda start=start: slack.arrived() == start + ANSWERED_PER_ROUND + 1, what="a post in flight")
            daemon.kill()  # the post is at Slack, its answer not yet back at the daemon
            slack.let_through(start + ANSWERED_PER_ROUND + 1)  # answered into a closed connection
        in_flight = {address for _, address, status in outbox(database_url) if status == "sending"}
        assert len(in_flight) == KILLS, "each kill left the message it was sending claimed"

        # Restarted: everything goes out except what waits for a claimed message's lease.
        last = Daemon(database_url, config, slack.base_url)
        daemons.append(last)
        last.wait_for('"leader:')
        slack.open()

        def settled():
            rows = outbox(database_url)
            waiting = {address for _, address, status in rows if status == "sending"}
            return all(status == "sent" or address in waiting for _, address, status in rows)

        until(settled, what="the restarted daemon sent what it may")
        assert last.stop() == 0
        # The next delivery after the lease: the claimed messages go again, and the ones behind them.
        _, factory, engine = load(database_url, config)
        try:
            notifiers = {"slack": SlackNotifier(TOKEN, base_url=slack.base_url, timeout=5.0)}
            later = deliver(factory, notifiers, now=dt.datetime.now(BEIJING) + LEASE + dt.timedelta(minutes=1))
        finally:
            engine.dispose()
        assert later.sent == 2 * KILLS and not later.errors
        assert {status for _, _, status in outbox(database_url)} == {"sent"}
    finally:
        for daemon in daemons:
            daemon.end()
        slack.close()

    posts = defaultdict(list)
    for body in slack.posted():
        posts[body["channel"]].append(body["text"])
    expected = defaultdict(int)
    for _, address, _ in outbox(database_url):
        expected[f"D{address}"] += 1
    assert set(posts) == set(expected)
    duplicates = 0
    for channel, texts in posts.items():
        assert len(set(texts)) == expected[channel] == 2, f"{channel}: every message arrived"
        first = [i for i, t in enumerate(texts) if FIRST in t and SECOND not in t]
        second = [i for i, t in enumerate(texts) if SECOND in t]
        assert first and second and max(first) < min(second), f"{channel}: in order"
        duplicates += len(texts) - len(set(texts))
    assert duplicates <= KILLS
    record("crash",
           f"kill -9 of `budget-monitor run` {KILLS} times, each while a chat.postMessage was at (a fake) Slack "
           f"and its answer not yet back, delivering {messages} messages to {LEADERS} people; restarted after "
           f"each kill ({backend})",
           f"all {messages} messages reached Slack, each person's in order; {duplicates} duplicates for {KILLS} "
           f"kills (the claimed message, re-sent after its 10-minute lease); none lost")
