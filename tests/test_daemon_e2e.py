"""The real daemon as a subprocess (`python -m jobs.cli.app … run`) against a temporary database, a
temporary inbox and the fake Slack server: a dropped export becomes an alert at Slack; SIGTERM
stops it cleanly; a restart sends nothing twice; on PostgreSQL a standby takes over from a
killed leader. Waiting is on the daemon's own log lines and on the fake server's records, each
with a deadline — never a fixed sleep."""

from __future__ import annotations

import datetime as dt
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from jobs.clock import BEIJING
from tests.helpers import payment, payment_rows, quota_export, quota_line, write_csv

ROOT = Path(__file__).resolve().parents[1]
UNIT = "990001 - 测试单位"
TOKEN = "xoxb-e2e-secret-token"


class Daemon:
    """One `budget-monitor run` process whose log lines (JSON, stderr) are read by a thread."""

    def __init__(self, database_url: str, config: Path, slack_url: str):
        env = {**os.environ, "BUDGET_MONITOR_SLACK_TOKEN": TOKEN, "BUDGET_MONITOR_SLACK_BASE_URL": slack_url,
               "PYTHONUNBUFFERED": "1"}
        for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
            env.pop(name, None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jobs.cli.app", "--db", database_url, "--config", str(config), "run"],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, words: str, timeout: float = 30) -> str:
        deadline = dt.datetime.now() + dt.timedelta(seconds=timeout)
        while (left := (deadline - dt.datetime.now()).total_seconds()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            self.seen.append(line)
            if words in line:
                return line
        raise AssertionError(f"no {words!r} from the daemon within {timeout} s; it said:\n" + "\n".join(self.seen))

    def stop(self, sig=signal.SIGTERM, timeout: float = 60) -> int:
        self.process.send_signal(sig)
        return self.process.wait(timeout)


def until(condition, timeout: float = 30) -> None:
    """Wait for a condition of the fake server or the database, checking every tenth of a second."""
    done = threading.Event()
    deadline = dt.datetime.now() + dt.timedelta(seconds=timeout)
    while not condition():
        if dt.datetime.now() > deadline:
            raise AssertionError("condition not met in time")
        done.wait(0.1)


def config_file(tmp_path: Path, inbox: Path) -> Path:
    path = tmp_path / "budget-monitor.toml"
    path.write_text(f'''
[daemon]
inbox = {json.dumps(str(inbox))}
deliver_every_seconds = 1
scan_every_seconds = 2
heartbeat_seconds = 1
[alerts]
quiet_hours = false
quiet_on_rest_days = false
charts = false
[[people]]
name = "测试单位领导"
role = "unit_leader"
slack_user = "ULEAD"
units = ["990001"]
''', encoding="utf-8")
    return path


def drop_exports(inbox: Path, tmp_path: Path) -> None:
    """This year's budget of 1,000,000 with 10,000 paid in January: far behind at any date."""
    today = dt.datetime.now(BEIJING).date()
    year = today.year
    staging = tmp_path / "staging"
    staging.mkdir(exist_ok=True)
    quota = write_csv(staging / f"{today}_1_指标.csv", quota_export(dt.date(year, 1, 3),
                                                          quota_line("ZBE2E", UNIT, "1000000.00", year=year,
                                                                     department="990 - 测试部门")))
    # Dated today by their names (the export's date): fresh data, so pacing alerts are not muted.
    paid = write_csv(staging / f"{today}_2_支付.csv",
                     payment_rows(payment("PE2E-1", f"{year}-01-10", "10,000.00", unit=UNIT, quota="ZBE2E")),
                     "gb18030")
    for path in (quota, paid):
        os.replace(path, inbox / path.name)  # whole files appear at once, as a finished copy would


@pytest.fixture
def setup(tmp_path, database_url, fake_slack):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    return database_url, config_file(tmp_path, inbox), inbox


def test_a_dropped_export_becomes_an_alert_at_slack_sigterm_stops_cleanly_and_a_restart_sends_nothing_twice(
        setup, tmp_path, fake_slack):
    database_url, config, inbox = setup
    daemon = Daemon(database_url, config, fake_slack.base_url)
    try:
        daemon.wait_for('"leader:')
        drop_exports(inbox, tmp_path)
        until(lambda: any(p["channel"] == "DULEAD" for p in fake_slack.posted()))
        assert len(list((inbox / "done").rglob("*.csv"))) == 2
        assert daemon.stop() == 0
        daemon.wait_for('"message": "stopped"', timeout=5)  # it waited for its jobs, then said so
    finally:
        if daemon.process.poll() is None:
            daemon.process.kill()
    posts = len(fake_slack.posted())
    assert all(TOKEN not in line for line in daemon.seen), "the token is never logged"

    assert outbox_states(database_url) == {"sent"}, "everything was sent and recorded before the stop"
    again = Daemon(database_url, config, fake_slack.base_url)
    try:
        again.wait_for('"leader:')
        restarted = dt.datetime.now(BEIJING)
        until(lambda: beats_since(database_url, restarted) >= 3)  # it has run for a few seconds: the
        assert len(fake_slack.posted()) == posts, "nothing sent twice"  # outbox every second
        assert again.stop() == 0
    finally:
        if again.process.poll() is None:
            again.process.kill()


@pytest.mark.postgres
def test_on_postgresql_a_standby_takes_over_from_a_killed_leader_and_no_period_runs_twice(
        setup, tmp_path, fake_slack):
    database_url, config, inbox = setup
    if not database_url.startswith("postgresql"):
        pytest.skip("leader election by advisory lock is PostgreSQL's; SQLite has its file lock")
    first = Daemon(database_url, config, fake_slack.base_url)
    second = None
    try:
        first.wait_for('"leader:')
        second = Daemon(database_url, config, fake_slack.base_url)
        second.wait_for("standing by")
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(10)
        second.wait_for('"leader:', timeout=20)
        drop_exports(inbox, tmp_path)
        until(lambda: any(p["channel"] == "DULEAD" for p in fake_slack.posted()))
        texts = [p["text"] for p in fake_slack.posted()]
        assert len(texts) == len(set(texts)), "no message twice"
        assert second.stop() == 0
    finally:
        for daemon in (first, second):
            if daemon is not None and daemon.process.poll() is None:
                daemon.process.kill()
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        periods = connection.execute(text("SELECT job, period, count(*) FROM job_runs GROUP BY job, period")).all()
    engine.dispose()
    assert all(count == 1 for _, _, count in periods)


def test_a_second_daemon_on_the_same_sqlite_file_says_who_runs_and_exits(setup, fake_slack):
    database_url, config, _ = setup
    if not database_url.startswith("sqlite"):
        pytest.skip("on PostgreSQL the second one stands by instead")
    first = Daemon(database_url, config, fake_slack.base_url)
    try:
        first.wait_for('"leader:')
        second = Daemon(database_url, config, fake_slack.base_url)
        assert second.process.wait(60) == 3
        second.wait_for("another daemon runs on this database")
        assert first.stop() == 0
    finally:
        if first.process.poll() is None:
            first.process.kill()


def _query(database_url: str, sql: str, **params):
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql), params).all()
    finally:
        engine.dispose()


def outbox_states(database_url: str) -> set[str]:
    return {status for (status,) in _query(database_url, "SELECT status FROM outbox")}


def beats_since(database_url: str, moment: dt.datetime) -> int:
    """Seconds of heartbeats since ``moment``, by the latest heartbeat's time (one a second)."""
    rows = _query(database_url, "SELECT finished_at FROM job_runs WHERE job = 'heartbeat'")
    times = [dt.datetime.fromisoformat(r[0]) if isinstance(r[0], str) else r[0] for r in rows]  # SQLite: text
    latest = max((t if t.tzinfo else t.replace(tzinfo=BEIJING) for t in times), default=None)
    return 0 if latest is None else int((latest - moment).total_seconds())
