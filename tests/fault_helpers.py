"""What the fault tests (tests/test_faults_*.py) share: fake Slacks whose chat.postMessage waits at
a gate or that fail as a script says, a real `budget-monitor run` subprocess read line by line, a
database with alerts to deliver, a PostgreSQL database of its own, and waiting on conditions with
deadlines (never a fixed sleep)."""

from __future__ import annotations

import datetime as dt
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.fake_slack import PROXY_VARIABLES, FakeSlack, _Failure
from tests.helpers import payment, payment_rows, quota_export, quota_line, write_csv

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "xoxb-faults-secret-token"


def until(condition: Callable[[], object], timeout: float = 30, what: str = "condition") -> None:
    """Wait for ``condition()`` to be true, checking every 50 ms, at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not met within {timeout} s")
        pause.wait(0.05)


# --- a fake Slack that holds posts at a gate ------------------------------------------------------


class GatedSlack(FakeSlack):
    """chat.postMessage is recorded when it arrives, then answered only once the gate lets its
    ticket through (``let_through(n)``: the first n posts ever). ``open()`` lets every post
    through. The other methods answer at once."""

    def __post_init__(self):
        super().__post_init__()
        self._gate = threading.Condition()
        self._through = 0
        self._arrived = 0

    def let_through(self, count: int) -> None:
        with self._gate:
            self._through = max(self._through, count)
            self._gate.notify_all()

    def open(self) -> None:
        self.let_through(sys.maxsize)

    def arrived(self) -> int:
        with self._gate:
            return self._arrived

    def close(self) -> None:
        self.open()
        super().close()

    def _answer(self, method, body, raw):
        if method == "chat.postMessage":
            with self._gate:
                self._arrived += 1
                ticket = self._arrived
                self._gate.notify_all()
                if not self._gate.wait_for(lambda: self._through >= ticket, timeout=60):
                    return 503, "gate never opened"
        return super()._answer(method, body, raw)


class ScriptedSlack(FakeSlack):
    """Slack failing as a test's script says: ``failing`` is "429" (with ``retry_after``), "500"
    or "timeout" (for chat.postMessage only: the post is taken, the answer never comes), or None;
    ``down()`` refuses connections. Every failure given is kept in ``failures`` as (kind, request)."""

    def __post_init__(self):
        super().__post_init__()
        self.failing: str | None = None
        self.retry_after: float | None = None
        self.failures: list[tuple[str, object]] = []

    def _take_failure(self, method):  # called under the lock, just after the request was recorded
        if self.failing is not None and (self.failing != "timeout" or method == "chat.postMessage"):
            self.failures.append((self.failing, self._received[-1]))
            return _Failure(method, self.failing, 1, self.retry_after)
        return super()._take_failure(method)


def no_proxy_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, **extra}
    for name in PROXY_VARIABLES:
        env.pop(name, None)
    return env


# --- the daemon as a process ---------------------------------------------------------------------


class Daemon:
    """One `budget-monitor run` process; its log lines (JSON, stdout and stderr merged) are read by
    a thread. ``preload``: Python run before the CLI in the same process (a test-only hook, e.g.
    tests/fault_hooks.py), as ``python -c "<preload>; from jobs.cli.app import main; main()" …``."""

    def __init__(self, database_url: str, config: Path, slack_url: str | None, preload: str = ""):
        env = no_proxy_env(PYTHONUNBUFFERED="1")
        for name in ("BUDGET_MONITOR_SLACK_TOKEN", "BUDGET_MONITOR_SLACK_TOKEN_FILE", "BUDGET_MONITOR_SLACK_BASE_URL"):
            env.pop(name, None)  # never the Slack of whoever runs the tests
        if slack_url is not None:
            env |= {"BUDGET_MONITOR_SLACK_TOKEN": TOKEN, "BUDGET_MONITOR_SLACK_BASE_URL": slack_url}
        code = (f"{preload}; from jobs.cli.app import main; main()" if preload
                else "from jobs.cli.app import main; main()")
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, "--db", database_url, "--config", str(config), "run"],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, words: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            self.seen.append(line)
            if words in line:
                return line
        raise AssertionError(f"no {words!r} from daemon {self.pid} within {timeout} s; it said:\n"
                             + "\n".join(self.seen[-40:]))

    def drain(self) -> list[str]:
        """The lines said so far and not yet read."""
        while True:
            try:
                self.seen.append(self.lines.get_nowait())
            except queue.Empty:
                return self.seen

    def kill(self) -> None:
        """kill -9, and wait for the process to be gone."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self, timeout: float = 60) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def end(self) -> None:
        """For ``finally``: kill it if it still runs."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


# --- a database with alerts -----------------------------------------------------------------------

DEPARTMENT = "990 - 测试部门"


def unit(i: int) -> str:
    return f"99{i:04d} - 测试单位{i}"


def write_config(path: Path, leaders: int, *, daemon: str = "", extra: str = "") -> Path:
    """Each of ``leaders`` units has its leader on Slack (U01, U02, …); quiet hours off, no charts,
    nobody else (no console fallback). ``daemon``: lines of the [daemon] table."""
    people = "".join(f'''
[[people]]
name = "单位{i}领导"
role = "unit_leader"
slack_user = "U{i:02d}"
units = ["{unit(i).split(" - ")[0]}"]
''' for i in range(1, leaders + 1))
    path.write_text(f'''
[daemon]
deliver_every_seconds = 1
heartbeat_seconds = 1
{daemon}
[alerts]
quiet_hours = false
quiet_on_rest_days = false
charts = false
fallback = "none"
{extra}
{people}''', encoding="utf-8")
    return path


def alert_data(folder: Path, units: int, *, march: bool = True) -> list[Path]:
    """2023 exports: a budget of 1,000,000 for each unit, 10,000 paid in January (export dated 27
    February) and, with ``march``, 5,000 more in March (export dated 30 March): far behind all
    quarter, so each unit's leader is warned on 1 March and told on 31 March that the checkpoint
    was missed."""
    folder.mkdir(parents=True, exist_ok=True)
    quota = write_csv(folder / "2023-01-03_指标.csv", quota_export(dt.date(2023, 1, 3), *(
        quota_line(f"ZBF{i:03d}", unit(i), "1000000.00", department=DEPARTMENT) for i in range(1, units + 1))))
    january = write_csv(folder / "2023-02-27_支付.csv", payment_rows(*(
        payment(f"PF1-{i:03d}", "2023-01-10", "10,000.00", unit=unit(i), quota=f"ZBF{i:03d}")
        for i in range(1, units + 1))))
    if not march:
        return [quota, january]
    later = write_csv(folder / "2023-03-30_支付.csv", payment_rows(*(
        payment(f"PF2-{i:03d}", "2023-03-10", "5,000.00", unit=unit(i), quota=f"ZBF{i:03d}")
        for i in range(1, units + 1))))
    return [quota, january, later]


def numbered_payments(numbers, *, returned=()) -> list:
    """Payments ZF2023000000…, paid over the first half of 2023 (2,000 a month) by seven units;
    those whose number is in ``returned`` are 已退回."""
    rows = []
    for n in numbers:
        day = f"2023-{1 + n // 2000:02d}-{1 + n % 28:02d}"
        amount = f"{(n * 7919) % 90_000 + 100}.{n % 100:02d}"
        rows.append(payment(f"ZF2023{n:06d}", day, amount, unit=unit(1 + n % 7), quota=f"ZB{n % 31:03d}",
                            status="已退回" if n in returned else "已支付"))
    return rows


def at(day: str, hour: int = 9) -> dt.datetime:
    from jobs.clock import BEIJING

    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=BEIJING)


def load(database_url: str, config: Path):
    """Settings and a session factory on a migrated database (the caller disposes the engine)."""
    from db.engine import make_engine, session_factory
    from db.migrate import upgrade
    from jobs.config.settings import load_settings

    settings = load_settings(str(config), database=database_url, environ={})
    engine = make_engine(settings.database_url)
    upgrade(engine)
    return settings, session_factory(engine), engine


def prepare_alerts(database_url: str, config: Path, folder: Path, units: int, days: list[str]) -> int:
    """Import the exports and evaluate at each of ``days`` (09:00): the outbox fills with messages
    for Slack. Returns how many."""
    from jobs.evaluate import evaluate
    from jobs.ingest import ingest_paths

    settings, factory, engine = load(database_url, config)
    try:
        outcomes = ingest_paths(factory, alert_data(folder, units), now=at("2023-01-03"))
        assert {o.status for o in outcomes} == {"ingested"}, [o.problems for o in outcomes]
        return sum(len(evaluate(factory, execution=settings.execution, alerts=settings.alerts, now=at(day)).messages)
                   for day in days)
    finally:
        engine.dispose()


def query(database_url: str, sql: str, **params) -> list[tuple]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql), params)]
    finally:
        engine.dispose()


def outbox(database_url: str) -> list[tuple[int, str, str]]:
    """(id, recipient address, status) of every message, oldest first."""
    return query(database_url, "SELECT id, recipient_address, status FROM outbox ORDER BY id")


# --- a PostgreSQL database of its own --------------------------------------------------------------


@pytest.fixture
def postgres_url():
    """A fresh PostgreSQL database, for the tests that are about PostgreSQL only (as conftest.py's
    ``database_url``: required in CI, skipped elsewhere when there is no server)."""
    from tests.conftest import fresh_postgres_database

    yield from fresh_postgres_database("bm_faults")
