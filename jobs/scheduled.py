"""The daemon's jobs: each a unit of work the scheduler calls by text reference
(``"jobs.scheduled:evaluate_job"``) with one primitive argument, the config file's path, and
that a test or the replay calls directly with ``now``.

Periodic work is fenced by a (job, period) row (db/job_runs.py): a restart, a catch-up after a
misfire or a second daemon never runs the same period twice. The price: a run that dies half-way
is not run again for its period — the next import or the next day's evaluation catches up, and
no alert is lost (the outbox and the alert state are transactional). A job that raises lets its
fence go, is logged with its traceback by the scheduler, and runs again next time.

The process-wide ``Runtime`` (settings, session factory, notifiers) is built once per config
path, so the engine's connection pool is reused; tests and the replay install their own.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from alerts.notify import Notifier
from db.engine import SessionFactory, make_engine, session_factory, transaction
from db.exceptions import StorageError
from db.job_runs import beat, claim, finish
from db.migrate import upgrade
from db.models import JobRun
from jobs.config.settings import Settings, load_settings
from jobs.deliver import DeliveryReport, deliver_outbox, notifiers_from_env
from jobs.evaluate import evaluate_and_deliver

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    factory: SessionFactory
    notifiers: Mapping[str, Notifier]
    clock: Callable[[], dt.datetime]
    on_delivered: list[Callable[[DeliveryReport], None]] = field(default_factory=list)
    on_imported: Callable[[object], None] | None = None  # called with each inbox pass's report
    unreleased: set[int] = field(default_factory=set)  # fences of failed runs still to let go (_let_go)

    def now(self) -> dt.datetime:
        return self.clock()


_RUNTIMES: dict[str | None, Runtime] = {}


def build_runtime(config_path: str | None, *, environ: Mapping[str, str] = os.environ) -> Runtime:
    return runtime_for(load_settings(config_path or None, environ=environ), environ=environ)


def runtime_for(settings: Settings, *, environ: Mapping[str, str] = os.environ) -> Runtime:
    engine = make_engine(settings.database_url)
    upgrade(engine)
    factory = session_factory(engine)
    zone = settings.daemon.zone
    clock = lambda: dt.datetime.now(zone)  # noqa: E731
    return Runtime(settings, factory, notifiers_from_env(factory, environ, clock), clock)


def install(config_path: str | None, runtime: Runtime) -> None:
    _RUNTIMES[config_path or None] = runtime


def runtime(config_path: str | None) -> Runtime:
    key = config_path or None
    if key not in _RUNTIMES:
        _RUNTIMES[key] = build_runtime(key)
    return _RUNTIMES[key]


def _fenced(rt: Runtime, job: str, period: str, work: Callable[[], dict]) -> dict | None:
    """Run ``work`` once for (job, period); None if that period ran before."""
    now = rt.now()
    for pending in list(rt.unreleased):  # fences a failed run could not let go (the database was away)
        _let_go(rt, pending)
    with transaction(rt.factory) as session:
        run = claim(session, job, period, now)
        run_id = run.id if run is not None else None
    if run_id is None:
        log.info("%s for %s ran before: skipped", job, period)
        return None
    try:
        detail = work()
    except BaseException:
        _let_go(rt, run_id)  # let the period go: the next run retries it
        raise
    with transaction(rt.factory) as session:
        finish(session, run_id, rt.now(), "done", detail)
    return detail


def _let_go(rt: Runtime, run_id: int) -> None:
    """Delete a failed run's fence. The failure may be the database itself (locked past the busy
    timeout, unreachable): then the fence is kept in ``rt.unreleased`` and let go before the next
    fenced run, instead of holding its period for good."""
    try:
        with transaction(rt.factory) as session:
            run = session.get(JobRun, run_id)
            if run is not None:
                session.delete(run)
    except StorageError as exc:
        rt.unreleased.add(run_id)
        log.warning("the fence of a failed run (job_runs %s) could not be let go yet: %s", run_id, exc)
    else:
        rt.unreleased.discard(run_id)


def _evaluate_and_deliver(rt: Runtime, now: dt.datetime, remind: frozenset[str] = frozenset()) -> dict:
    settings = rt.settings
    results, report = evaluate_and_deliver(rt.factory, execution=settings.execution, alerts=settings.alerts, now=now,
                                           remind=remind, deliver=lambda when: deliver_now(rt, when))
    return {"as_of": results[-1].as_of.isoformat(), "years": [r.year for r in results],
            "findings": sum(len(r.findings) for r in results), "events": sum(len(r.events) for r in results),
            "messages": sum(len(r.messages) for r in results), "sent": report.sent}


# One delivery at a time in a process: the deliver job, and the inbox and evaluate jobs that
# deliver at once, would otherwise have several posts in flight, and a crash could then leave
# more than the one duplicate jobs/deliver.py promises.
_DELIVERING = threading.Lock()


def deliver_now(rt: Runtime, now: dt.datetime) -> DeliveryReport:
    with _DELIVERING:
        report = deliver_outbox(rt.factory, rt.notifiers, now=now, execution=rt.settings.execution,
                                charts=rt.settings.alerts.charts)
    for listener in rt.on_delivered:
        listener(report)
    if report.errors:
        log.warning("delivery: %s sent, %s to retry, %s failed: %s", report.sent, report.deferred, report.failed,
                    "; ".join(report.errors))
    return report


def _then_deliver(rt: Runtime, now: dt.datetime, detail: dict) -> dict:
    """Deliver at once what a notice job just wrote to the outbox."""
    deliver_now(rt, now)
    return detail


# --- the jobs ----------------------------------------------------------------------------------


def scan_inbox(config_path: str | None = None, now: dt.datetime | None = None):
    """Import what is complete in the inbox; after an import, evaluate and deliver at once."""
    from jobs.ingest.inbox import process_inbox
    from jobs.ingest.report import outcome_lines

    rt = runtime(config_path)
    inbox = rt.settings.daemon.inbox
    if inbox is None:
        return None
    from jobs.refusals import tell_refusal

    now = now or rt.now()
    moment = now

    def tell(outcome, where):  # the finance staff hear of a refused file (jobs/refusals.py)
        tell_refusal(rt.factory, rt.settings, outcome, where, inbox, moment)

    report = process_inbox(rt.factory, inbox, now=now, synonyms=rt.settings.synonyms, language=rt.settings.language,
                           tell=tell, departments=rt.settings.departments)
    for name, where, outcome in report.refused:
        log.warning("inbox: %s refused with %s problem(s), moved to %s: its finance staff are told", name,
                    len(outcome.problems), where)
    for _name, _where, outcome in report.ingested:  # what `ingest` prints: the counts and the notes
        log.log(logging.WARNING if outcome.notes else logging.INFO, "inbox: %s",
                " ".join(line.strip() for line in outcome_lines(outcome, "en", name_only=True)))
    if rt.on_imported is not None:
        rt.on_imported(report)
    if report.imported:
        detail = _evaluate_and_deliver(rt, now)
        log.info("inbox: imported, evaluated: %s", detail)
    elif report.refused:
        deliver_now(rt, now)  # the notice cannot wait for the slot (outside the quiet hours)
    return report


def evaluate_job(config_path: str | None = None, now: dt.datetime | None = None) -> dict | None:
    """The daily evaluation, on working days only, once a day."""
    rt = runtime(config_path)
    now = now or rt.now()
    if not rt.settings.execution.calendar.is_working_day(now.date()):
        return None
    return _fenced(rt, "evaluate", now.date().isoformat(), lambda: _evaluate_and_deliver(rt, now))


def countdown_job(config_path: str | None = None, now: dt.datetime | None = None) -> dict | None:
    """7 and 3 working days (config) before each checkpoint: remind everyone projected to miss it."""
    rt = runtime(config_path)
    now = now or rt.now()
    today = now.date()
    calendar = rt.settings.execution.calendar
    if not calendar.is_working_day(today):
        return None
    days = rt.settings.daemon.countdown_days
    ahead = [d for d in rt.settings.execution.rule_book.checkpoint_dates(today.year)
             if calendar.working_days(today, d) in days and d > today]
    if not ahead:
        return None
    period = f"{ahead[0].isoformat()}-{calendar.working_days(today, ahead[0])}wd"
    return _fenced(rt, "countdown", period,
                   lambda: _evaluate_and_deliver(rt, now, remind=frozenset({"behind_checkpoint"})))


def deliver_job(config_path: str | None = None, now: dt.datetime | None = None) -> DeliveryReport:
    rt = runtime(config_path)
    return deliver_now(rt, now or rt.now())


def heartbeat_job(config_path: str | None = None, now: dt.datetime | None = None, who: str = "") -> None:
    rt = runtime(config_path)
    with transaction(rt.factory) as session:
        beat(session, who or f"{os.uname().nodename}:{os.getpid()}", now or rt.now())


def digest_job(config_path: str | None = None, now: dt.datetime | None = None) -> dict | None:
    """The weekly brief to every person, once a week, on its first working day (from the
    configured weekday on): the scheduler calls it daily."""
    from jobs.config.daemon import WEEKDAYS
    from jobs.digest import brief_day, send_digest

    rt = runtime(config_path)
    now = now or rt.now()
    if not brief_day(now.date(), WEEKDAYS.index(rt.settings.daemon.digest_day),
                     rt.settings.execution.calendar.is_working_day):
        return None
    year, week, _ = now.date().isocalendar()
    return _fenced(rt, "digest", f"{year}-W{week:02d}",
                   lambda: _then_deliver(rt, now, send_digest(rt.factory, rt.settings, now)))


def calendar_check_job(config_path: str | None = None, now: dt.datetime | None = None) -> dict | None:
    """Once a week, on its first working day, while the State Council's holiday arrangement of this
    year (in December: of next year too) is not known: say so, and which source the working days
    are counted on meanwhile (monitor/calendar.py). The scheduler calls it daily."""
    from jobs.digest import brief_day, send_calendar_warning

    rt = runtime(config_path)
    now = now or rt.now()
    calendar = rt.settings.execution.calendar
    unsettled = calendar.unsettled(now.date())
    if not unsettled or not brief_day(now.date(), 0, calendar.is_working_day):
        return None
    year, week, _ = now.date().isocalendar()
    return _fenced(rt, "calendar-check", f"{year}-W{week:02d}",
                   lambda: _then_deliver(rt, now, send_calendar_warning(rt.factory, rt.settings, now, unsettled)))


