"""Replay: run the daemon's jobs over past days on a simulated clock — "what would the monitor
have told us". Each day, in the daemon's order: the weekly brief (08:30; the job knows its day), the daily
evaluation and the checkpoint countdown (working days, 09:00), the delivery slot (09:07), then at 18:00 the exports the
payment system produced that day are dropped into the inbox and the inbox job imports them
(and evaluates and delivers at once). Messages go to the console notifier only: a replay never
posts to Slack.

The jobs are the real ones (jobs/scheduled.py), called with ``now``; their fences and the alert
state live in the database being replayed, so run it on a copy (``copy_sqlite``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from alerts.console import ConsoleNotifier
from jobs import scheduled

REPLAY_KEY = "<replay>"


@dataclass
class ReplayReport:
    days: int = 0
    imported: int = 0
    evaluations: int = 0
    messages_sent: int = 0


def copy_sqlite(source: Path, target: Path) -> Path:
    """A consistent copy of a SQLite database (WAL content included)."""
    with contextlib.closing(sqlite3.connect(source)) as src, contextlib.closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    return target


def _at(day: dt.date, at: dt.time, zone) -> dt.datetime:
    return dt.datetime.combine(day, at, tzinfo=zone)


def _drop(files: Sequence[Path], inbox: Path) -> None:
    """Put the day's exports in the inbox as finished files (their mtime a minute old)."""
    inbox.mkdir(parents=True, exist_ok=True)
    settled = time.time() - 60
    for path in files:
        target = inbox / path.name
        shutil.copyfile(path, target)
        os.utime(target, (settled, settled))


def replay(runtime: scheduled.Runtime, start: dt.date, end: dt.date, *,
           drops: Mapping[dt.date, Sequence[Path]] | None = None,
           on_day: Callable[[dt.date], None] | None = None) -> ReplayReport:
    """Replay ``start``..``end`` (inclusive). ``drops``: the exports to drop into the inbox, by day."""
    settings = runtime.settings
    daemon = settings.daemon
    zone = daemon.zone
    runtime.notifiers = {"console": next((n for n in runtime.notifiers.values() if n.name == "console"),
                                         ConsoleNotifier())}
    scheduled.install(REPLAY_KEY, runtime)
    report = ReplayReport()
    sent = []
    runtime.on_delivered.append(lambda delivery: sent.append(delivery.sent))
    try:
        day = start
        while day <= end:
            report.days += 1
            if on_day is not None:
                on_day(day)
            _run(runtime, _at(day, daemon.digest_at, zone), scheduled.digest_job)  # it knows its day
            morning = _at(day, daemon.evaluate_at, zone)
            report.evaluations += _run(runtime, morning, scheduled.evaluate_job) is not None
            report.evaluations += _run(runtime, morning + dt.timedelta(minutes=1), scheduled.countdown_job) is not None
            slot = settings.alerts.delivery.slot
            if slot is not None:  # the delivery job runs every minute in the daemon: here at the slot
                _run(runtime, _at(day, slot, zone), scheduled.deliver_job)
            if drops and drops.get(day) and daemon.inbox is not None:
                _drop(drops[day], daemon.inbox)
                inbox = _run(runtime, _at(day, dt.time(18, 0), zone), scheduled.scan_inbox)
                if inbox is not None:
                    report.imported += len(inbox.ingested)
                    report.evaluations += inbox.imported
            day += dt.timedelta(days=1)
    finally:
        scheduled._RUNTIMES.pop(REPLAY_KEY, None)
    report.messages_sent = sum(sent)
    return report


def _run(runtime: scheduled.Runtime, now: dt.datetime, job):
    runtime.clock = lambda: now
    return job(REPLAY_KEY, now=now)
