"""One leader among daemons: a real lock file next to a real SQLite file, a real advisory lock on
a real PostgreSQL server, and real leader processes killed with SIGKILL. Waiting is on events
with deadlines, never a fixed sleep."""

from __future__ import annotations

import logging
import os
import random
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from db.engine import sqlite_url
from db.exceptions import DatabaseUnavailable
from jobs.daemon.leader import (
    LEADER_LOCK,
    THE_LOCK,
    PostgresLeadership,
    SqliteLeadership,
    leadership_for,
    wait_for_leadership,
)

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_URL = os.environ.get("BUDGET_MONITOR_TEST_POSTGRES_URL")
REQUIRE_POSTGRES = os.environ.get("BUDGET_MONITOR_REQUIRE_POSTGRES") == "1"
TAKEOVER_SECONDS = 10  # "within seconds": a standby polling every 0.1 s needs far less

CHILD = """
import sys
from jobs.daemon.leader import PostgresLeadership, leadership_for
leadership = {make}
assert leadership.try_acquire(), leadership.holder()
print("held", flush=True)
sys.stdin.read()
"""


@dataclass
class Target:
    """One lock that several Leadership objects compete for, here and in child processes."""
    make: Callable[[], object]
    child_expression: str


def postgres_url() -> str:
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("BUDGET_MONITOR_REQUIRE_POSTGRES=1 but BUDGET_MONITOR_TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL not available (set BUDGET_MONITOR_TEST_POSTGRES_URL)")
    return POSTGRES_URL


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def target(request, tmp_path) -> Iterator[Target]:
    made = []
    if request.param == "sqlite":
        url = sqlite_url(tmp_path / "monitor.sqlite")
        build, expression = (lambda: leadership_for(url)), f"leadership_for({url!r})"
    else:
        url, key = postgres_url(), random.randrange(-2**63, 2**63)  # a lock of this test's own
        build, expression = (lambda: PostgresLeadership(url, key=key)), f"PostgresLeadership({url!r}, key={key})"

    def make():
        made.append(build())
        return made[-1]

    yield Target(make, expression)
    for leadership in made:
        leadership.release()


@contextmanager
def leader_process(target: Target) -> Iterator[subprocess.Popen]:
    """A child process that holds the lock until its stdin closes or it is killed."""
    child = subprocess.Popen([sys.executable, "-c", CHILD.format(make=target.child_expression)], cwd=ROOT,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([child.stdout], [], [], 30)
        line = child.stdout.readline() if ready else ""
        assert line.strip() == "held", child.stderr.read() if child.poll() is not None else "no 'held' in 30 s"
        yield child
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(10)
        for stream in (child.stdin, child.stdout, child.stderr):
            stream.close()


def take_over(leadership, timeout: float = TAKEOVER_SECONDS) -> bool:
    stop = threading.Event()
    timer = threading.Timer(timeout, stop.set)
    timer.start()
    try:
        return wait_for_leadership(leadership, stop, poll_seconds=0.1)
    finally:
        timer.cancel()


def test_a_second_leadership_cannot_take_the_lock_while_the_first_holds_it_and_can_once_released(target):
    first, second = target.make(), target.make()
    assert first.try_acquire()
    assert first.try_acquire(), "asking again while holding keeps it"
    assert not second.try_acquire()
    assert first.holds() and not second.holds()
    first.release()
    first.release()  # safe twice
    assert not first.holds()
    assert second.try_acquire() and second.holds()


def test_the_one_left_waiting_is_told_the_pid_and_host_of_the_leader(target):
    first, second = target.make(), target.make()
    assert second.holder() is None, "nobody holds it yet"
    assert first.try_acquire()
    assert f"pid {os.getpid()} on {socket.gethostname()}" in second.holder()
    first.release()
    assert second.holder() is None


def test_a_leader_in_another_process_keeps_this_one_out_and_is_named(target):
    here = target.make()
    with leader_process(target) as child:
        assert not here.try_acquire()
        assert f"pid {child.pid} on " in here.holder()
        child.stdin.close()  # the child reads to the end of its stdin, then exits and lets go
        child.wait(10)
        assert take_over(here)


def test_a_standby_takes_over_within_seconds_when_the_leader_process_is_killed(target):
    standby, told = target.make(), []
    waiting, result = threading.Event(), {}
    stop = threading.Event()

    def on_wait(holder):
        told.append(holder)
        waiting.set()

    def stand_by():
        result["acquired"] = wait_for_leadership(standby, stop, poll_seconds=0.1, on_wait=on_wait)

    with leader_process(target) as child:
        thread = threading.Thread(target=stand_by)
        thread.start()
        try:
            assert waiting.wait(10), "the standby did not start waiting"
            child.send_signal(signal.SIGKILL)
            killed = time.monotonic()
            thread.join(TAKEOVER_SECONDS)
        finally:
            stop.set()
            thread.join(10)
    assert result == {"acquired": True}
    assert time.monotonic() - killed < TAKEOVER_SECONDS
    assert standby.holds()
    assert len(told) == 1 and f"pid {child.pid} on " in told[0]


def test_waiting_ends_without_the_lock_when_stopped_and_on_wait_is_called_once(target):
    first, second = target.make(), target.make()
    assert first.try_acquire()
    told = []
    stop = threading.Event()
    timer = threading.Timer(0.5, stop.set)
    timer.start()
    assert wait_for_leadership(second, stop, poll_seconds=0.05, on_wait=told.append) is False
    assert len(told) == 1 and f"pid {os.getpid()}" in told[0]
    assert not second.holds()


def test_waiting_when_already_stopped_returns_at_once_without_trying(target):
    stop = threading.Event()
    stop.set()
    leadership = target.make()
    assert wait_for_leadership(leadership, stop) is False
    assert not leadership.holds()


# --- SQLite: a lock file ---------------------------------------------------------------------


def test_the_sqlite_lock_file_sits_next_to_the_database_readable_by_its_owner_only(tmp_path):
    leadership = leadership_for(sqlite_url(tmp_path / "monitor.sqlite"))
    try:
        assert leadership.try_acquire()
        lock = tmp_path / "monitor.sqlite.lock"
        assert leadership.path == lock.resolve()
        assert lock.stat().st_mode & 0o777 == 0o600
        assert lock.read_text().startswith(f"pid {os.getpid()} on {socket.gethostname()} since ")
        assert "+08:00" in lock.read_text(), "Beijing time, whatever the server's zone"
    finally:
        leadership.release()
    assert lock.read_text() == "", "a released lock names nobody"


def test_a_sqlite_leader_whose_lock_file_was_deleted_no_longer_holds(tmp_path):
    leadership = SqliteLeadership(tmp_path / "monitor.sqlite")
    assert leadership.try_acquire() and leadership.holds()
    leadership.path.unlink()
    assert not leadership.holds(), "a newcomer could lock a new file: this one must stop"
    leadership.release()


def test_a_database_reached_through_a_link_shares_the_lock_of_the_real_file(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    first = SqliteLeadership(tmp_path / "real" / "monitor.sqlite")
    second = SqliteLeadership(tmp_path / "link" / "monitor.sqlite")
    try:
        assert first.try_acquire()
        assert not second.try_acquire()
    finally:
        first.release()


def test_a_lock_file_that_cannot_be_created_is_a_database_error_naming_it(tmp_path):
    leadership = SqliteLeadership(tmp_path / "missing" / "monitor.sqlite")
    with pytest.raises(DatabaseUnavailable, match="monitor.sqlite.lock"):
        leadership.try_acquire()


def test_leadership_for_picks_the_lock_that_fits_the_database(tmp_path):
    by_path = leadership_for(str(tmp_path / "monitor.sqlite"))
    assert isinstance(by_path, SqliteLeadership) and by_path.path == (tmp_path / "monitor.sqlite.lock").resolve()
    on_postgres = leadership_for("postgres://bm:secret@db.example.cn/budget")  # no connection yet
    assert isinstance(on_postgres, PostgresLeadership) and on_postgres.key == LEADER_LOCK
    with pytest.raises(DatabaseUnavailable, match="unsupported database 'mysql'"):
        leadership_for("mysql://bm@db.example.cn/budget")


def test_in_memory_sqlite_databases_are_not_shared_so_neither_are_their_locks():
    first, second = leadership_for("sqlite://"), leadership_for("sqlite:///:memory:")
    try:
        assert first.try_acquire() and second.try_acquire()
        assert first.path != second.path
        assert first.path.parent.name.startswith("budget-monitor-")
    finally:
        for leadership in (first, second):
            leadership.release()
            shutil.rmtree(leadership.path.parent)


# --- PostgreSQL: a session advisory lock --------------------------------------------------------


def test_a_server_that_cannot_be_reached_is_a_database_error_and_a_standby_keeps_waiting(caplog):
    leadership = PostgresLeadership("postgresql+psycopg://bm@127.0.0.1:1/budget")  # nothing listens
    with pytest.raises(DatabaseUnavailable, match="leader lock"):
        leadership.try_acquire()
    told = []
    stop = threading.Event()
    timer = threading.Timer(0.5, stop.set)
    timer.start()
    with caplog.at_level(logging.WARNING, logger="jobs.daemon.leader"):
        assert wait_for_leadership(leadership, stop, poll_seconds=0.05, on_wait=told.append) is False
    assert told == [None]
    assert len([r for r in caplog.records if "cannot reach the database" in r.getMessage()]) == 1, "once an outage"


@pytest.mark.postgres
@pytest.mark.parametrize("key", [LEADER_LOCK, -5, 2**40 + 7, -2**63])
def test_any_bigint_key_is_found_again_in_pg_locks(key):
    url = postgres_url()
    first, second = PostgresLeadership(url, key=key), PostgresLeadership(url, key=key)
    try:
        assert first.try_acquire()
        assert first.holds(), "holds() finds its own key's halves in pg_locks"
        assert f"pid {os.getpid()}" in second.holder()
    finally:
        first.release()
        second.release()


@pytest.mark.postgres
def test_the_postgres_leader_connection_sits_idle_not_idle_in_a_transaction():
    # idle_in_transaction_session_timeout would end a session left in a transaction, and the lock with it.
    url, key = postgres_url(), random.randrange(2**62)
    leader = PostgresLeadership(url, key=key)
    try:
        assert leader.try_acquire() and leader.holds()
        with psycopg.connect(**_params(url)) as admin:
            state = admin.execute(f"SELECT a.state FROM pg_locks JOIN pg_stat_activity a USING (pid) WHERE {THE_LOCK}",
                                  leader._halves).fetchone()
        assert state == ("idle",)
    finally:
        leader.release()


@pytest.mark.postgres
def test_holds_turns_false_when_the_server_ends_the_leaders_session_and_a_standby_takes_over():
    url, key = postgres_url(), random.randrange(2**62)
    leader, standby = PostgresLeadership(url, key=key), PostgresLeadership(url, key=key)
    try:
        assert leader.try_acquire() and not standby.try_acquire()
        with psycopg.connect(**_params(url), autocommit=True) as admin:
            (pid,) = admin.execute(f"SELECT pid FROM pg_locks WHERE {THE_LOCK}", leader._halves).fetchone()
            # With a timeout, pg_terminate_backend returns once the session is gone (PostgreSQL 14+).
            assert admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,)).fetchone() == (True,)
        assert not leader.holds()
        assert not leader.holds(), "and stays so"
        assert take_over(standby)
        assert not leader.try_acquire(), "the old leader, reconnected, is now the one kept out"
    finally:
        leader.release()
        standby.release()


def _params(url: str) -> dict:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return parsed.get_dialect()().create_connect_args(parsed)[1]
