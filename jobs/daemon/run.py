"""``budget-monitor run``: the daemon. One leader among the daemons of a database runs an
APScheduler 3 scheduler whose jobs live in a SQLAlchemy job store in the same database.

- Jobs are registered at start by text reference (``jobs.scheduled:…``) with fixed ids and one
  primitive argument. A job already stored with the same function, trigger and argument is kept
  as it is, so its stored next run time survives a restart: a daemon that was down over a run
  time catches up once on start (``coalesce``), within ``misfire_grace_hours`` — not never
  (APScheduler's default grace is one second) and not once per missed day.
- The scheduler's clock is the configured zone (Asia/Shanghai), never the server's.
- Leader: PostgreSQL — a session advisory lock on a dedicated connection; a standby waits and
  takes over within seconds when the leader dies. SQLite — a file lock; a second daemon says
  who holds it and exits. A leader that loses its lock (its connection died) stops at once.
- The inbox is watched for file-system events; an event runs the inbox job now. The periodic
  scan is the fallback (network shares lose events).
- SIGTERM / SIGINT: no new runs, wait up to ``stop_timeout_seconds`` for the running ones, exit.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import threading
from dataclasses import dataclass

from jobs import scheduled

log = logging.getLogger(__name__)

EXIT_OK, EXIT_NOT_LEADER, EXIT_LOST_LEADERSHIP, EXIT_STUCK = 0, 3, 4, 5
SETTLE_SECONDS = 2.0  # jobs.ingest.inbox.process_inbox's default: a file unchanged this long is complete


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: str
    trigger: object
    args: tuple


def job_specs(config_path: str | None, daemon, who: str) -> list[JobSpec]:
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    zone = daemon.zone
    at = daemon.evaluate_at
    later = (dt.datetime.combine(dt.date(2000, 1, 1), at) + dt.timedelta(minutes=1)).time()
    arg = config_path or ""
    specs = [
        JobSpec("evaluate", "jobs.scheduled:evaluate_job", CronTrigger(hour=at.hour, minute=at.minute, timezone=zone),
                (arg,)),
        JobSpec("countdown", "jobs.scheduled:countdown_job",
                CronTrigger(hour=later.hour, minute=later.minute, timezone=zone), (arg,)),
        JobSpec("deliver", "jobs.scheduled:deliver_job", IntervalTrigger(seconds=daemon.deliver_every_seconds,
                                                                         timezone=zone), (arg,)),
        JobSpec("digest", "jobs.scheduled:digest_job",
                CronTrigger(hour=daemon.digest_at.hour, minute=daemon.digest_at.minute, timezone=zone), (arg,)),
        JobSpec("calendar-check", "jobs.scheduled:calendar_check_job",
                CronTrigger(hour=10, minute=0, timezone=zone), (arg,)),
        JobSpec("heartbeat", "jobs.scheduled:heartbeat_job",
                IntervalTrigger(seconds=daemon.heartbeat_seconds, timezone=zone), (arg, None, who)),
    ]
    if daemon.inbox is not None:
        specs.append(JobSpec("inbox", "jobs.scheduled:scan_inbox",
                             IntervalTrigger(seconds=daemon.scan_every_seconds, timezone=zone), (arg,)))
    return specs


def build_scheduler(engine, daemon):
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    return _resilient(BackgroundScheduler)(
        jobstores={"default": SQLAlchemyJobStore(engine=engine)},
        executors={"default": ThreadPoolExecutor(3)},
        job_defaults={"coalesce": True, "max_instances": 1,
                      "misfire_grace_time": daemon.misfire_grace_hours * 3600},
        timezone=daemon.zone)


def _resilient(base):
    """APScheduler 3 reads the due jobs under a try, but not the store's update of a job's next run
    time after submitting it: an error there (the database locked past the busy timeout, or gone)
    ends the scheduler's thread, and the daemon lives on running nothing. This scheduler logs it
    and looks again after ``jobstore_retry_interval``, as APScheduler does when the read fails."""

    class Resilient(base):
        def _process_jobs(self):
            try:
                return super()._process_jobs()
            except Exception:
                log.exception("the scheduler could not use its job store; trying again in %g s",
                              self.jobstore_retry_interval)
                return self.jobstore_retry_interval

    return Resilient


def register(scheduler, specs: list[JobSpec]) -> dict[str, str]:
    """Add each job, or keep the stored one when it is the same (its next run time with it).
    Call on a scheduler started paused. Returns what was done per id."""
    done = {}
    wanted = {spec.id for spec in specs}
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            job.remove()
            done[job.id] = "removed"
    for spec in specs:
        job = scheduler.get_job(spec.id)
        same = (job is not None and job.func_ref == spec.func and str(job.trigger) == str(spec.trigger)
                and tuple(job.args) == spec.args)
        if same:
            done[spec.id] = "kept"
            continue
        scheduler.add_job(spec.func, spec.trigger, args=list(spec.args), id=spec.id, name=spec.id,
                          replace_existing=True)
        done[spec.id] = "added"
    return done


def run_daemon(config_path: str | None, runtime: scheduled.Runtime, *, stop: threading.Event | None = None,
               install_signals: bool = True) -> int:
    """Run until stopped. Returns the exit code."""
    from jobs.daemon.leader import leadership_for, wait_for_leadership

    stop = stop or threading.Event()
    if install_signals:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    settings = runtime.settings
    scheduled.install(config_path, runtime)
    who = f"{os.uname().nodename}:{os.getpid()}"
    leadership = leadership_for(settings.database_url)
    if not leadership.try_acquire():
        holder = leadership.holder() or "?"
        if settings.database_url.startswith("sqlite"):
            log.error("another daemon runs on this database (%s): only one may; exiting", holder)
            return EXIT_NOT_LEADER
        log.info("standing by: the leader is %s", holder)
        if not wait_for_leadership(leadership, stop):
            return EXIT_OK
    log.info("leader: %s", who)
    _warn_about_the_directory(runtime)
    try:
        return _lead(config_path, runtime, leadership, stop, who)
    finally:
        leadership.release()


def _warn_about_the_directory(runtime: scheduled.Runtime) -> None:
    """Routing mistakes in the journal at start (alerts/directory_check.py), one line each."""
    from db.engine import transaction
    from jobs.deliver import chat_on
    from jobs.directory import directory_warnings

    settings = runtime.settings
    with transaction(runtime.factory) as session:
        lines = directory_warnings(session, settings.alerts, chat=chat_on(runtime.notifiers),
                                   language=settings.language)
    for line in lines:
        log.warning("people directory: %s", line)


def _lead(config_path, runtime, leadership, stop: threading.Event, who: str) -> int:
    daemon = runtime.settings.daemon
    engine = runtime.factory.kw["bind"]
    # APScheduler says "Running job …" at INFO for every run of every job (the outbox: every
    # minute): the journal keeps its warnings and errors only.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    scheduler = build_scheduler(engine, daemon)
    scheduler.start(paused=True)
    done = register(scheduler, job_specs(config_path, daemon, who))
    log.info("jobs: %s", ", ".join(f"{k} {v}" for k, v in sorted(done.items())))
    scheduler.resume()
    watcher = _watch(scheduler, daemon, stop)
    code = EXIT_OK
    while not stop.wait(2.0):
        if not leadership.holds():
            log.error("leadership lost (the lock's connection is gone): stopping")
            code = EXIT_LOST_LEADERSHIP
            break
    stop.set()
    if watcher is not None:
        watcher.join(timeout=5)
    return _shutdown(scheduler, daemon.stop_timeout_seconds) or code


def _watch(scheduler, daemon, stop: threading.Event) -> threading.Thread | None:
    if daemon.inbox is None:
        return None
    from jobs.ingest.inbox import watch_inbox

    daemon.inbox.mkdir(parents=True, exist_ok=True)

    def now_please():
        # Just after the settle time: a file the event announced is complete by then (a pass at
        # once would find it still "being written" and leave it to the periodic scan).
        soon = dt.datetime.now(daemon.zone) + dt.timedelta(seconds=SETTLE_SECONDS + 0.5)
        scheduler.modify_job("inbox", next_run_time=soon)

    thread = threading.Thread(target=watch_inbox, args=(daemon.inbox, now_please, stop), name="inbox-watch",
                              daemon=True)
    thread.start()
    return thread


def _shutdown(scheduler, timeout: int) -> int:
    """Stop the scheduler, waiting for running jobs, at most ``timeout`` seconds."""
    finished = threading.Event()

    def stop_scheduler():
        scheduler.shutdown(wait=True)
        finished.set()

    threading.Thread(target=stop_scheduler, name="shutdown", daemon=True).start()
    if finished.wait(timeout):
        log.info("stopped")
        return EXIT_OK
    log.error("a job still runs after %s s: exiting without waiting for it", timeout)
    return EXIT_STUCK
