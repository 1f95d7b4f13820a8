"""The Chinese working-day calendar: weekends, public holidays and 调休 make-up workdays.

Holidays and make-up days come from the ``chinesecalendar`` package (a table, no clock, no I/O),
which covers 2004 up to the year its release knows; beyond that it raises NotImplementedError
and we fall back to Monday–Friday (docs/PITFALLS.md), saying so through ``uncovered_years``.
Overrides from the config win over both: a State Council notice is sometimes published after
the package was released.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache

import chinese_calendar

ONE_DAY = dt.timedelta(days=1)


@cache
def _package_covers(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=8192)
def _package_workday(day: dt.date) -> bool:
    if _package_covers(day.year):
        workday: bool = chinese_calendar.is_workday(day)  # the package is untyped; it returns a bool
        return workday
    return day.weekday() < 5


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are working days. ``holidays`` and ``workdays`` are the config's overrides."""

    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    workdays: frozenset[dt.date] = field(default_factory=frozenset)

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return _package_workday(day)

    def working_days(self, after: dt.date, through: dt.date) -> int:
        """Working days in (after, through]: the days left after ``after`` up to and including
        ``through``. Zero when ``through`` is not later than ``after``."""
        return _count(self, after, through)

    def covers(self, year: int) -> bool:
        """True when holidays of ``year`` are known (from the package or from overrides)."""
        return _package_covers(year) or any(d.year == year for d in self.holidays)

    def uncovered_years(self, years: Iterable[int]) -> list[int]:
        return sorted({y for y in years if not self.covers(y)})


@lru_cache(maxsize=65536)
def _count(calendar: WorkCalendar, after: dt.date, through: dt.date) -> int:
    count, day = 0, after + ONE_DAY
    while day <= through:
        count += calendar.is_working_day(day)
        day += ONE_DAY
    return count
