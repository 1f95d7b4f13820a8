"""Fences for scheduled work: one row per (job, period), so a restart, a catch-up after a misfire
or a second daemon never runs the same period twice; and the daemon's heartbeat.

``claim`` inserts the row and says whether this caller won it (the unique constraint decides, in
the database, even between two processes); ``finish`` records the outcome.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import JobRun


def claim(session: Session, job: str, period: str, now: dt.datetime) -> JobRun | None:
    """The run of ``job`` for ``period``, newly inserted; None when it was claimed before."""
    run = JobRun(job=job, period=period, started_at=now, detail={})
    try:
        with session.begin_nested():  # a savepoint: a lost race leaves the transaction usable
            session.add(run)
            session.flush()
    except IntegrityError:
        return None
    return run


def finish(session: Session, run_id: int, now: dt.datetime, outcome: str, detail: dict | None = None) -> None:
    run = session.get(JobRun, run_id)
    if run is None:  # claimed and never let go by this caller: only a hand-deleted row is missing
        raise LookupError(f"job run {run_id} is not in the database: cannot record its outcome")
    run.finished_at, run.outcome, run.detail = now, outcome, detail or {}


def runs(session: Session, job: str | None = None) -> list[JobRun]:
    query = select(JobRun).order_by(JobRun.id)
    if job is not None:
        query = query.where(JobRun.job == job)
    return list(session.scalars(query))


def beat(session: Session, who: str, now: dt.datetime) -> None:
    """The leader's heartbeat: one row per daemon (job "heartbeat", period = who), refreshed."""
    row = session.scalar(select(JobRun).where(JobRun.job == "heartbeat", JobRun.period == who))
    if row is None:
        session.add(JobRun(job="heartbeat", period=who, started_at=now, finished_at=now, outcome="alive", detail={}))
    else:
        row.finished_at = now


def last_beat(session: Session) -> dt.datetime | None:
    return session.scalar(select(JobRun.finished_at).where(JobRun.job == "heartbeat")
                          .order_by(JobRun.finished_at.desc()).limit(1))
