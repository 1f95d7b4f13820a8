"""Pacing: the next checkpoint, the gap to it, the daily amount needed, and projections.

A projection says where an entity will stand at a date if it keeps its pace:

- ``history`` — the shape of earlier years: cumulative paid at the target date ÷ cumulative paid
  at today's date, summed over the earlier years that have data (same month and day);
- ``linear`` — today's paid × schedule share at the target ÷ schedule share today, pace measured
  in the unit of the time schedule, so an entity exactly on schedule stays on schedule;
- ``none`` — nothing to go on yet (the year has not started); the projection is what is paid.

A projection never exceeds the budget (nothing more can be paid) unless more is already paid.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from monitor.calendar import WorkCalendar
from monitor.money import FEN, ZERO, rate
from monitor.rulebook import Checkpoint
from monitor.schedule import year_fraction


@dataclass(frozen=True)
class History:
    """Earlier years of one entity: Σ cumulative paid at the same month-day, keyed by this
    year's date, over ``years``."""

    years: tuple[int, ...]
    paid: Mapping[dt.date, Decimal]


@dataclass(frozen=True)
class Projection:
    date: dt.date
    paid: Decimal
    rate: Decimal | None
    method: str  # history | linear | none
    years: tuple[int, ...] = ()  # the earlier years a history projection used


def project(paid: Decimal, budget: Decimal, as_of: dt.date, target: dt.date, *, year: int,
            schedule: str, calendar: WorkCalendar, history: History | None = None) -> Projection:
    """Where cumulative paid will be at ``target`` if the pace up to ``as_of`` is kept."""
    if target <= as_of:
        return Projection(target, paid, rate(paid, budget), "none")
    if history is not None and history.paid.get(as_of, ZERO) > ZERO and target in history.paid:
        factor, method, years = history.paid[target] / history.paid[as_of], "history", history.years
    else:
        now = year_fraction(schedule, as_of, year, calendar)
        if now == ZERO:
            return Projection(target, paid, rate(paid, budget), "none")
        factor, method, years = year_fraction(schedule, target, year, calendar) / now, "linear", ()
    projected = (paid * factor).quantize(FEN, rounding=ROUND_HALF_UP)
    if projected > budget:
        projected = max(budget, paid)
    return Projection(target, projected, rate(projected, budget), method, years)


@dataclass(frozen=True)
class NextCheckpoint:
    """What it takes to meet the next checkpoint."""

    checkpoint: Checkpoint
    target_amount: Decimal  # target_rate × budget, rounded up to the fen
    gap: Decimal  # still to pay; zero when already reached
    working_days_left: int  # working days after as_of up to and including the checkpoint date
    daily_needed: Decimal  # gap ÷ working days left (the whole gap when none are left)
    projection: Projection

    @property
    def date(self) -> dt.date:
        return self.checkpoint.date

    @property
    def target_rate(self) -> Decimal:
        return self.checkpoint.target_rate

    @property
    def projected_to_miss(self) -> bool:
        return self.projection.rate is not None and self.projection.rate < self.target_rate


def upcoming(checkpoints: tuple[Checkpoint, ...], as_of: dt.date) -> Checkpoint | None:
    """The first checkpoint on or after ``as_of`` (on its own date it is still to be met)."""
    return next((c for c in checkpoints if c.date >= as_of), None)


def target_amount(budget: Decimal, target_rate: Decimal) -> Decimal:
    """The amount paid that reaches ``target_rate`` percent of ``budget``: rounded *up* to the fen,
    so paying it is enough (a half-even rounding could leave the rate a hair under the target)."""
    return (budget * target_rate / 100).quantize(FEN, rounding=ROUND_CEILING)


def shortfall(paid: Decimal, budget: Decimal, target_rate: Decimal) -> Decimal:
    """What is still to pay to reach ``target_rate`` percent of ``budget``: the one formula of a
    checkpoint's (or the time schedule's) gap, never negative."""
    return max(ZERO, target_amount(budget, target_rate) - paid)


def daily_pace(gap: Decimal, working_days: int) -> Decimal:
    """What must be paid each working day to close ``gap`` in ``working_days`` (the whole gap
    when none are left), rounded up to the fen."""
    return gap if working_days == 0 else (gap / working_days).quantize(FEN, rounding=ROUND_CEILING)


def next_checkpoint(paid: Decimal, budget: Decimal, as_of: dt.date, checkpoints: tuple[Checkpoint, ...], *,
                    year: int, schedule: str, calendar: WorkCalendar,
                    history: History | None = None) -> NextCheckpoint | None:
    checkpoint = upcoming(checkpoints, as_of)
    if checkpoint is None:
        return None
    target = target_amount(budget, checkpoint.target_rate)
    gap = shortfall(paid, budget, checkpoint.target_rate)
    days = calendar.working_days(as_of, checkpoint.date)
    daily = daily_pace(gap, days)
    projection = project(paid, budget, as_of, checkpoint.date, year=year, schedule=schedule,
                         calendar=calendar, history=history)
    return NextCheckpoint(checkpoint, target, gap, days, daily, projection)
