"""Test-only hooks for a daemon started by a fault test, run before the CLI in the same process:

    python -c "import tests.fault_hooks as h; h.sqlite_busy_timeout(300); from jobs.cli.app import main; main()" run

- ``sqlite_busy_timeout(ms)``: SQLite gives up on a lock after ``ms`` instead of db/engine.py's
  30 s, so a lock held "past the busy timeout" takes a test seconds, not minutes.
- ``scheduler_retry(seconds)``: the scheduler looks at its job store again this soon after it
  could not (APScheduler's ``jobstore_retry_interval``, 10 s by default).
- ``tick_every(seconds, log)``: one more scheduled job, ``tick``, fenced by a (job, period) row
  like the daemon's periodic jobs (jobs/scheduled.py ``_fenced``), whose period is the
  ``seconds``-long slot of the clock; its work appends "period pid" to ``log``. Short-interval
  periodic work for the leader-election tests: no period may be worked twice.
"""

from __future__ import annotations

import datetime as dt
import os


def sqlite_busy_timeout(ms: int) -> None:
    from db import engine

    pragmas = engine._sqlite_pragmas

    def shorter(dbapi_connection, record):
        pragmas(dbapi_connection, record)
        dbapi_connection.execute(f"PRAGMA busy_timeout={int(ms)}")

    engine._sqlite_pragmas = shorter


def scheduler_retry(seconds: float) -> None:
    from jobs.daemon import run as daemon

    build = daemon.build_scheduler

    def sooner(engine, settings):
        scheduler = build(engine, settings)
        scheduler.jobstore_retry_interval = float(seconds)
        return scheduler

    daemon.build_scheduler = sooner


def tick_every(seconds: int, log: str) -> None:
    from apscheduler.triggers.interval import IntervalTrigger

    from jobs.daemon import run as daemon

    specs = daemon.job_specs

    def with_tick(config_path, settings, who):
        return [*specs(config_path, settings, who),
                daemon.JobSpec("tick", "tests.fault_hooks:tick_job",
                               IntervalTrigger(seconds=seconds, timezone=settings.zone),
                               (config_path or "", seconds, log))]

    daemon.job_specs = with_tick


def tick_job(config_path: str, seconds: int, log: str) -> dict | None:
    from jobs import scheduled

    rt = scheduled.runtime(config_path)
    now = rt.now()
    slot = int(now.timestamp()) // seconds * seconds
    period = dt.datetime.fromtimestamp(slot, now.tzinfo).isoformat()

    def work() -> dict:
        with open(log, "a", encoding="utf-8") as out:  # one short append: whole lines
            out.write(f"{period} {os.getpid()}\n")
        return {"pid": os.getpid()}

    return scheduled._fenced(rt, "tick", period, work)
