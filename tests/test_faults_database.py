"""The database locked, unreachable or full while the daemon's jobs run.

- SQLite locked by another connection holding a write transaction (BEGIN EXCLUSIVE) past the
  busy timeout (shortened to 300 ms here, tests/fault_hooks.py; 30 s in production): the job
  fails with "database is locked" and writes nothing; a fence it took is let go (by the next
  run when the database was still locked then, jobs/scheduled.py ``_let_go``); the scheduler
  stays up (jobs/daemon/run.py ``_resilient``), and the next run succeeds once the lock is gone —
  in process with the job functions on a simulated clock, and in a real `budget-monitor run`.
- PostgreSQL unreachable (connections refused, through tests/tcp_proxy.py; a closed port): the
  same, with the scheduler's job store on the same server.
- Disk full (SQLite ``PRAGMA max_page_count`` set on connect): the import fails with the reason,
  nothing of it stays, and the inbox keeps the file for the next pass.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from alerts.console import ConsoleNotifier
from db import engine as db_engine
from db.exceptions import DatabaseUnavailable
from db.migrate import upgrade
from jobs import evaluate as evaluation
from jobs import scheduled
from jobs.cli.app import cli
from jobs.clock import BEIJING
from jobs.daemon.run import build_scheduler, job_specs, register
from jobs.ingest.inbox import process_inbox
from tests.fault_helpers import (  # noqa: F401
    Daemon,
    at,
    load,
    numbered_payments,
    outbox,
    postgres_url,
    prepare_alerts,
    query,
    until,
    write_config,
)
from tests.helpers import payment, payment_rows, snapshot, write_csv
from tests.reliability import record
from tests.tcp_proxy import TcpProxy, closed_port

LEADERS = 4
BUSY_MS = 300
FREE_PAGES = 16  # 64 KB: less than the import needs


@contextlib.contextmanager
def exclusive(path):
    """Another connection holding SQLite's write lock until the block ends."""
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield holder
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def short_busy_timeout(monkeypatch, ms: int = BUSY_MS) -> None:
    pragmas = db_engine._sqlite_pragmas

    def shorter(dbapi_connection, record_):
        pragmas(dbapi_connection, record_)
        dbapi_connection.execute(f"PRAGMA busy_timeout={ms}")

    monkeypatch.setattr(db_engine, "_sqlite_pragmas", shorter)


@pytest.fixture
def sqlite_runtime(tmp_path, monkeypatch):
    """A SQLite database with alerts waiting to be evaluated, its runtime installed for the jobs."""
    short_busy_timeout(monkeypatch)
    path = tmp_path / "monitor.sqlite"
    url = f"sqlite:///{path}"
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    config = write_config(tmp_path / "budget-monitor.toml", LEADERS, daemon=f'inbox = "{inbox}"')
    prepare_alerts(url, config, tmp_path / "exports", LEADERS, [])
    settings, factory, engine = load(url, config)
    scheduled.install(str(config), scheduled.Runtime(settings, factory, {"console": ConsoleNotifier()},
                                                     clock=lambda: at("2023-03-01")))
    yield {"path": path, "url": url, "key": str(config), "inbox": inbox, "engine": engine}
    scheduled._RUNTIMES.pop(str(config), None)
    engine.dispose()


def fences(url: str, job: str) -> list[tuple]:
    return query(url, "SELECT period, outcome FROM job_runs WHERE job = :job ORDER BY id", job=job)


def test_sqlite_locked_past_the_busy_timeout_fails_the_job_cleanly_and_the_next_run_succeeds(
        sqlite_runtime, monkeypatch):
    s = sqlite_runtime
    url, key = s["url"], s["key"]
    before = snapshot(s["engine"])
    # 1. Locked before the 09:00 evaluation starts: it cannot even take its fence.
    with exclusive(s["path"]):
        with pytest.raises(DatabaseUnavailable, match="database is locked"):
            scheduled.evaluate_job(key, now=at("2023-03-01", 9))
    assert fences(url, "evaluate") == [] and snapshot(s["engine"]) == before

    # 2. Locked while it runs, after it took its fence: the evaluation fails; its fence cannot be
    #    deleted while the lock is held, and is let go by the next fenced run.
    real = evaluation.evaluate
    holder: list = []

    def lock_then_evaluate(*args, **kwargs):
        lock = exclusive(s["path"])
        holder.append(lock)
        lock.__enter__()
        return real(*args, **kwargs)

    monkeypatch.setattr(evaluation, "evaluate", lock_then_evaluate)
    try:
        with pytest.raises(DatabaseUnavailable, match="database is locked"):
            scheduled.evaluate_job(key, now=at("2023-03-01", 10))
    finally:
        for lock in holder:
            lock.__exit__(None, None, None)
    monkeypatch.setattr(evaluation, "evaluate", real)
    assert fences(url, "evaluate") == [("2023-03-01", None)], "still locked when it tried to let its period go"
    assert outbox(url) == [], "nothing half-written"

    # 3. The lock is gone: the next run lets the failed run's period go, runs it, delivers.
    done = scheduled.evaluate_job(key, now=at("2023-03-01", 11))
    assert done is not None and done["messages"] == LEADERS and done["sent"] == 0, "after the 09:07 slot"
    assert fences(url, "evaluate") == [("2023-03-01", "done")]
    assert scheduled.deliver_job(key, now=at("2023-03-02", 9) + dt.timedelta(minutes=7)).sent == LEADERS

    # 4. The inbox pass locked: the file stays in the inbox, nothing of it is stored; next pass takes it.
    export = write_csv(s["inbox"] / "2023-03-01_支付.csv",
                       payment_rows(payment("PL-1", "2023-03-01", "1,000.00", unit="990001 - 测试单位1",
                                            quota="ZBF001")))
    os.utime(export, (0, 0))
    imports = query(url, "SELECT count(*) FROM imports")
    with exclusive(s["path"]):
        with pytest.raises(DatabaseUnavailable, match="database is locked"):
            scheduled.scan_inbox(key, now=at("2023-03-01", 12))
    assert export.exists() and query(url, "SELECT count(*) FROM imports") == imports
    report = scheduled.scan_inbox(key, now=at("2023-03-01", 13))
    assert [name for name, _, _ in report.ingested] == [export.name] and not export.exists()
    record("database",
           "SQLite locked by another connection's BEGIN EXCLUSIVE past the busy timeout: before the daily "
           "evaluation took its fence, after it took it, and during an inbox import (job functions, simulated clock)",
           f"each job failed with 'database is locked' and wrote nothing (no message, no import; the export stayed "
           f"in the inbox); once the lock was gone the next run let the failed run's fence go, evaluated the same "
           f"day once and delivered its {LEADERS} messages at the next slot, and the next pass imported the file")


def latest_beat(url: str) -> dt.datetime | None:
    times = [t if isinstance(t, dt.datetime) else dt.datetime.fromisoformat(t)
             for (t,) in query(url, "SELECT finished_at FROM job_runs WHERE job = 'heartbeat'")]
    return max((t if t.tzinfo else t.replace(tzinfo=BEIJING) for t in times), default=None)


def test_the_daemon_stays_up_through_a_sqlite_lock_held_past_the_busy_timeout(tmp_path):
    """A write of the scheduler's own job store fails too (each run's next run time): APScheduler 3
    lets that end its thread (jobs/daemon/run.py ``_resilient``)."""
    path = tmp_path / "monitor.sqlite"
    url = f"sqlite:///{path}"
    config = write_config(tmp_path / "budget-monitor.toml", LEADERS)
    hooks = f"import tests.fault_hooks as h; h.sqlite_busy_timeout({BUSY_MS}); h.scheduler_retry(1)"
    daemon = Daemon(url, config, None, preload=hooks)
    try:
        daemon.wait_for('"leader:')
        until(lambda: latest_beat(url) is not None, what="a first heartbeat")
        with exclusive(path):
            said = json.loads(daemon.wait_for("could not use its job store"))
        released = dt.datetime.now(dt.UTC)
        until(lambda: (latest_beat(url) or released) > released, timeout=20, what="a heartbeat after the lock")
        assert daemon.process.poll() is None, "the daemon is still up"
        assert daemon.stop() == 0
    finally:
        daemon.end()
    assert said["level"] == "ERROR" and "database is locked" in said["exc_info"]
    assert not any("Exception in thread" in line for line in daemon.seen)
    record("database",
           "a real `budget-monitor run` on SQLite, another connection holding BEGIN EXCLUSIVE past the busy timeout "
           "(shortened to 300 ms, the scheduler's retry to 1 s) while its jobs ran every second, then letting go",
           "the scheduler logged that it could not write its job store ('database is locked') and tried again; the "
           "daemon stayed up, wrote its heartbeat again once the lock was gone, and stopped on SIGTERM with exit 0")


# --- PostgreSQL unreachable -------------------------------------------------------------------------


@pytest.mark.postgres
def test_postgresql_unreachable_fails_the_job_cleanly_the_scheduler_stays_up_and_the_next_run_succeeds(
        postgres_url, tmp_path, monkeypatch, caplog):
    config = write_config(tmp_path / "budget-monitor.toml", LEADERS)
    prepare_alerts(postgres_url, config, tmp_path / "exports", LEADERS, [])
    target = make_url(postgres_url)
    proxy = TcpProxy(target.host, target.port).start()
    proxied = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    settings, factory, engine = load(proxied, config)
    zone = settings.daemon.zone
    notifiers = {"console": ConsoleNotifier()}
    key, live, closed = f"{config}#simulated", f"{config}#live", f"{config}#closed"
    scheduled.install(key, scheduled.Runtime(settings, factory, notifiers, clock=lambda: at("2023-03-01")))
    scheduled.install(live, scheduled.Runtime(settings, factory, notifiers, clock=lambda: dt.datetime.now(zone)))
    nowhere = target.set(host="127.0.0.1", port=closed_port()).render_as_string(hide_password=False)
    nowhere_engine = db_engine.make_engine(nowhere)
    scheduled.install(closed, scheduled.Runtime(settings, db_engine.session_factory(nowhere_engine), notifiers,
                                                clock=lambda: at("2023-03-01")))
    scheduler = None
    try:
        # 1. Refused before the 09:00 evaluation: no fence taken; the delivery job fails too.
        proxy.down()
        with pytest.raises(DatabaseUnavailable, match="refused"):
            scheduled.evaluate_job(key, now=at("2023-03-01", 9))
        with pytest.raises(DatabaseUnavailable, match="refused"):
            scheduled.deliver_job(key, now=at("2023-03-01", 9))
        assert fences(postgres_url, "evaluate") == []
        proxy.up()

        # 2. Cut while it runs, after it took its fence: nothing half-written; the next run lets the
        #    fence go, runs the same day once and delivers.
        real = evaluation.evaluate

        def cut_then_evaluate(*args, **kwargs):
            proxy.down()
            return real(*args, **kwargs)

        monkeypatch.setattr(evaluation, "evaluate", cut_then_evaluate)
        with pytest.raises(DatabaseUnavailable):
            scheduled.evaluate_job(key, now=at("2023-03-01", 10))
        monkeypatch.setattr(evaluation, "evaluate", real)
        assert fences(postgres_url, "evaluate") == [("2023-03-01", None)] and outbox(postgres_url) == []
        proxy.up()
        done = scheduled.evaluate_job(key, now=at("2023-03-01", 11))
        assert done is not None and done["messages"] == LEADERS and done["sent"] == 0, "after the 09:07 slot"
        assert fences(postgres_url, "evaluate") == [("2023-03-01", "done")]
        assert scheduled.deliver_job(key, now=at("2023-03-02", 9) + dt.timedelta(minutes=7)).sent == LEADERS

        # 3. A URL to a closed port: the job fails, saying so.
        with pytest.raises(DatabaseUnavailable, match="refused"):
            scheduled.evaluate_job(closed, now=at("2023-03-02", 9))

        # 4. The scheduler (jobs/daemon/run.py's, its job store on the same server) stays up.
        scheduler = build_scheduler(engine, settings.daemon)
        scheduler.jobstore_retry_interval = 1.0  # APScheduler's 10 s, shortened for the test
        scheduler.start(paused=True)
        register(scheduler, [spec for spec in job_specs(live, settings.daemon, "faults:1")
                             if spec.id in ("heartbeat", "deliver")])
        scheduler.resume()
        until(lambda: latest_beat(postgres_url) is not None, what="a first heartbeat")
        seen = len(caplog.records)
        proxy.down()
        until(lambda: any("job store" in r.getMessage() or "raised an exception" in r.getMessage()
                          for r in caplog.records[seen:]), what="the scheduler said the database was away")
        failed = [r.getMessage() for r in caplog.records[seen:] if r.levelname in ("WARNING", "ERROR")]
        back = dt.datetime.now(dt.UTC)
        proxy.up()
        until(lambda: (latest_beat(postgres_url) or back) > back, timeout=20, what="a heartbeat once reachable")
        assert scheduler.running and scheduler._thread.is_alive()
    finally:
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=True)
        for name in (key, live, closed):
            scheduled._RUNTIMES.pop(name, None)
        proxy.close()
        engine.dispose()
        nowhere_engine.dispose()
    assert failed and any("refused" in r.getMessage() or "job store" in r.getMessage() for r in caplog.records)
    record("database",
           "PostgreSQL unreachable (connections cut and refused through a proxy; a URL to a closed port): before "
           "the daily evaluation took its fence, after it took it, and under the running scheduler whose job store "
           "is on the same server",
           "each job failed with the connection refused and wrote nothing; the next run let the failed run's fence "
           f"go, evaluated the same day once and delivered its {LEADERS} messages at the next slot; the scheduler "
           "logged the outage, "
           "stayed up and wrote its heartbeat again once the server was reachable")


# --- disk full --------------------------------------------------------------------------------------


def test_a_full_disk_fails_the_import_with_the_reason_and_leaves_nothing_of_it(tmp_path, monkeypatch):
    """SQLite's ``max_page_count`` set low on every connection: the database cannot grow by more than
    a few pages, as on a full disk ("database or disk is full", SQLITE_FULL)."""
    path = tmp_path / "monitor.sqlite"
    url = f"sqlite:///{path}"
    engine = db_engine.make_engine(url)
    upgrade(engine)
    with engine.connect() as connection:
        pages = connection.exec_driver_sql("PRAGMA page_count").scalar_one()
    engine.dispose()
    pragmas = db_engine._sqlite_pragmas

    def full(dbapi_connection, record_):
        pragmas(dbapi_connection, record_)
        dbapi_connection.execute(f"PRAGMA max_page_count={pages + FREE_PAGES}")

    monkeypatch.setattr(db_engine, "_sqlite_pragmas", full)
    rows = 3_000
    export = write_csv(tmp_path / "2023-03-31_支付明细.csv", payment_rows(*numbered_payments(range(rows))),
                       "gb18030")
    engine = db_engine.make_engine(url)
    before = snapshot(engine)

    # The command: exit code 2, one line with the reason; nothing of the file stored.
    result = CliRunner().invoke(cli, ["--db", url, "ingest", str(export)], env={})
    said = result.output.strip()
    assert result.exit_code == 2, said
    assert len(said.splitlines()) == 1 and "Traceback" not in said
    assert said.startswith("错误：写入数据库") and "正在导入的文件未导入" in said
    assert said.endswith("database or disk is full")
    assert snapshot(engine) == before

    # The daemon's inbox: the pass fails, the file stays in the inbox (not refused: it is not wrong).
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    dropped = inbox / export.name
    dropped.write_bytes(export.read_bytes())
    os.utime(dropped, (0, 0))
    with pytest.raises(DatabaseUnavailable, match="database or disk is full"):
        process_inbox(db_engine.session_factory(engine), inbox, now=at("2023-04-03"))
    assert dropped.exists() and not any((inbox / "refused").iterdir())
    assert snapshot(engine) == before
    engine.dispose()

    # Space again: the next pass imports it, once.
    monkeypatch.setattr(db_engine, "_sqlite_pragmas", pragmas)
    engine = db_engine.make_engine(url)
    report = process_inbox(db_engine.session_factory(engine), inbox, now=at("2023-04-03"))
    assert [name for name, _, _ in report.ingested] == [export.name]
    assert query(url, "SELECT count(*), count(DISTINCT payment_no) FROM payments") == [(rows, rows)]
    engine.dispose()
    record("disk",
           f"the disk full while writing (SQLite max_page_count: {FREE_PAGES} pages free) during a {rows:,}-row "
           f"payment import, by `budget-monitor ingest` and by the daemon's inbox pass",
           "the command failed with exit code 2 and one line: writing to the database failed, the file was not "
           "stored, 'database or disk is full'; the inbox kept the file; every table unchanged; with space again "
           "the next pass imported it once "
           f"({rows:,} payments)")
