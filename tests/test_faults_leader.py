"""Two daemons on PostgreSQL, the leader killed (SIGKILL) again and again, each time while a post is
at Slack and its answer not yet back: the standby takes over within a bound, a new standby is
started, so the leadership alternates between the two places. A short-interval fenced job
(tests/fault_hooks.py ``tick_every``: a (job, period) fence per one-second period, as the daily
jobs have per day) runs all along. No period is worked twice (the unique fence, and a log the work
appends to), and no message is posted twice beyond one duplicate per kill."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter, defaultdict

import pytest

from alerts.slack import SlackNotifier
from jobs.clock import BEIJING
from jobs.deliver import LEASE, deliver
from tests.fake_slack import PROXY_VARIABLES
from tests.fault_helpers import (  # noqa: F401
    TOKEN,
    Daemon,
    GatedSlack,
    load,
    outbox,
    postgres_url,
    prepare_alerts,
    query,
    until,
    write_config,
)
from tests.reliability import record

LEADERS, KILLS, ANSWERED_PER_ROUND = 12, 5, 2
TAKEOVER_BOUND = 10.0  # seconds from the kill to the standby saying it leads
FIRST, SECOND = "预计达不到考核进度", "考核节点未达标"


@pytest.mark.postgres
def test_two_daemons_with_the_leader_killed_again_and_again_run_each_period_once_and_post_nothing_twice(
        postgres_url, tmp_path, monkeypatch):
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    config = write_config(tmp_path / "budget-monitor.toml", LEADERS)
    messages = prepare_alerts(postgres_url, config, tmp_path / "exports", LEADERS, ["2023-03-01", "2023-04-10"])
    assert messages == 2 * LEADERS
    ticks = tmp_path / "ticks.log"
    preload = f"import tests.fault_hooks as h; h.tick_every(1, {str(ticks)!r})"
    slack = GatedSlack().start()
    started: list[Daemon] = []

    def start() -> Daemon:
        daemon = Daemon(postgres_url, config, slack.base_url, preload=preload)
        started.append(daemon)
        return daemon

    takeovers, leaders = [], []
    try:
        leader = start()
        leader.wait_for('"leader:')
        leaders.append(leader.pid)
        standby = start()
        standby.wait_for("standing by")
        for _ in range(KILLS):
            until(lambda leader=leader: ticks.is_file() and f" {leader.pid}\n" in ticks.read_text(),
                  what="the leader ticks")
            begin = slack.arrived()
            slack.let_through(begin + ANSWERED_PER_ROUND)
            until(lambda begin=begin: slack.arrived() == begin + ANSWERED_PER_ROUND + 1, what="a post in flight")
            killed = time.monotonic()
            leader.kill()
            slack.let_through(begin + ANSWERED_PER_ROUND + 1)  # answered into a closed connection
            standby.wait_for('"leader:', timeout=TAKEOVER_BOUND + 5)
            takeovers.append(time.monotonic() - killed)
            leader, standby = standby, start()
            leaders.append(leader.pid)
            standby.wait_for("standing by")
        until(lambda: f" {leader.pid}\n" in ticks.read_text(), what="the last leader ticks")
        slack.open()

        def settled():
            rows = outbox(postgres_url)
            waiting = {address for _, address, status in rows if status == "sending"}
            return all(status == "sent" or address in waiting for _, address, status in rows)

        until(settled, what="the last leader sent what it may")
        assert standby.stop() == 0 and leader.stop() == 0
        in_flight = sum(1 for _, _, status in outbox(postgres_url) if status == "sending")
        assert in_flight == KILLS, "each kill left the message it was sending claimed"
        _, factory, engine = load(postgres_url, config)
        try:
            notifiers = {"slack": SlackNotifier(TOKEN, base_url=slack.base_url, timeout=5.0)}
            later = deliver(factory, notifiers, now=dt.datetime.now(BEIJING) + LEASE + dt.timedelta(minutes=1))
        finally:
            engine.dispose()
        assert not later.errors and {status for _, _, status in outbox(postgres_url)} == {"sent"}
    finally:
        for daemon in started:
            daemon.end()
        slack.close()

    assert max(takeovers) <= TAKEOVER_BOUND, takeovers
    # Fences: one row per (job, period), and each period's work done once, by one leader.
    assert query(postgres_url, "SELECT job, period FROM job_runs GROUP BY job, period HAVING count(*) > 1") == []
    worked = [line.split() for line in ticks.read_text().splitlines()]
    periods = Counter(period for period, _ in worked)
    assert periods and max(periods.values()) == 1, [p for p, n in periods.items() if n > 1]
    fenced = {period for (period,) in query(postgres_url, "SELECT period FROM job_runs WHERE job = 'tick'")}
    assert set(periods) <= fenced
    workers = {pid for _, pid in worked}
    assert {str(pid) for pid in leaders} <= workers, "every leader in turn did the periodic work"
    # Messages: all of them, each person's in order, at most one duplicate per kill.
    posts = defaultdict(list)
    for body in slack.posted():
        posts[body["channel"]].append(body["text"])
    duplicates = 0
    for i in range(1, LEADERS + 1):
        texts = posts[f"DU{i:02d}"]
        assert len(set(texts)) == 2, f"U{i:02d} got both messages"
        first = [n for n, t in enumerate(texts) if FIRST in t and SECOND not in t]
        second = [n for n, t in enumerate(texts) if SECOND in t]
        assert first and second and max(first) < min(second), f"U{i:02d}: in order"
        duplicates += len(texts) - 2
    assert duplicates <= KILLS
    record("leader",
           f"two `budget-monitor run` on PostgreSQL, the leader killed (SIGKILL) {KILLS} times, each time while a "
           f"post was at Slack, a new standby started after each takeover ({len(leaders)} leaders in turn); a fenced "
           f"job every second all along; {messages} messages to deliver",
           f"the standby took over within {TAKEOVER_BOUND:g} s each time; no (job, period) fence twice and no "
           f"period worked twice, every leader in turn doing the periodic work; all {messages} messages reached "
           f"Slack, each person's in order, {duplicates} duplicates for {KILLS} kills")
