"""The Chinese working-day calendar: weekends, public holidays and 调休 make-up workdays.

A year's days come from one *source* (``WorkCalendar.source``), best first:

- ``chinesecalendar``: the package's table of the State Council's arrangement (holidays and 调休),
  2004 up to the year its release knows; later years raise NotImplementedError (docs/PITFALLS.md).
- ``config``: a year listed in ``[calendar] complete_years``, whose arrangement the config lists
  in full (``holidays`` and ``workdays``).
- ``estimate``: the ``holidays`` package's China holidays (the statutory days, lunar ones computed,
  a weekend holiday observed on a weekday), without 调休: the State Council's bridge days and
  make-up Saturdays are not known until it publishes them, usually in November for the next year.
- ``weekdays``: Monday to Friday, when neither package knows the year.

Only the first two *cover* a year (``covers``): the arrangement is known. Overrides from the
config win over every source day by day, so a partial override (a few dates of a year not yet
complete) corrects the estimate without making the year covered. A complete year is the config's
lists over Monday to Friday: the estimate's guesses (a weekend holiday observed on Monday) do not
slip under the State Council's own arrangement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache

import chinese_calendar
import holidays as holiday_tables

ONE_DAY = dt.timedelta(days=1)
SOURCES = ("chinesecalendar", "config", "estimate", "weekdays")
KNOWN = frozenset({"chinesecalendar", "config"})  # the State Council's arrangement is known


@cache
def _package_covers(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@cache
def _estimated_holidays(year: int) -> frozenset[dt.date]:
    """The ``holidays`` package's China holidays of ``year`` (empty when it knows none)."""
    return frozenset(holiday_tables.country_holidays("CN", years=year))


@lru_cache(maxsize=8192)
def _package_workday(day: dt.date) -> bool:
    if _package_covers(day.year):
        workday: bool = chinese_calendar.is_workday(day)  # the package is untyped; it returns a bool
        return workday
    return day.weekday() < 5 and day not in _estimated_holidays(day.year)


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are working days. ``holidays`` and ``workdays`` are the config's overrides;
    ``complete_years`` the years whose overrides are the whole arrangement."""

    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    workdays: frozenset[dt.date] = field(default_factory=frozenset)
    complete_years: frozenset[int] = field(default_factory=frozenset)

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        if day.year in self.complete_years and not _package_covers(day.year):
            return day.weekday() < 5  # the config lists the notice in full: no estimate beneath it
        return _package_workday(day)

    def working_days(self, after: dt.date, through: dt.date) -> int:
        """Working days in (after, through]: the days left after ``after`` up to and including
        ``through``. Zero when ``through`` is not later than ``after``."""
        return _count(self, after, through)

    def source(self, year: int) -> str:
        """Where the rest days of ``year`` come from: one of ``SOURCES``."""
        if _package_covers(year):
            return "chinesecalendar"
        if year in self.complete_years:
            return "config"
        return "estimate" if _estimated_holidays(year) else "weekdays"

    def covers(self, year: int) -> bool:
        """True when the State Council's arrangement of ``year`` is known (package or config)."""
        return self.source(year) in KNOWN

    def uncovered_years(self, years: Iterable[int]) -> list[int]:
        return sorted({y for y in years if not self.covers(y)})

    def unsettled(self, today: dt.date) -> list[tuple[int, str]]:
        """The years that matter on ``today`` (its own; in December the next one too) whose
        arrangement is not known yet, each with the source its rest days come from meanwhile."""
        years = [today.year, today.year + 1] if today.month == 12 else [today.year]
        return [(y, self.source(y)) for y in self.uncovered_years(years)]


@lru_cache(maxsize=65536)
def _count(calendar: WorkCalendar, after: dt.date, through: dt.date) -> int:
    count, day = 0, after + ONE_DAY
    while day <= through:
        count += calendar.is_working_day(day)
        day += ONE_DAY
    return count


SOURCE_NAMES = {
    "chinesecalendar": {"zh": "chinesecalendar 包", "en": "chinesecalendar"},
    "config": {"zh": "配置 [calendar]", "en": "[calendar] override"},
    "estimate": {"zh": "holidays 包估算（不含调休）", "en": "holidays package estimate (no 调休)"},
    "weekdays": {"zh": "周一至周五", "en": "Monday to Friday"},
}


def source_name(source: str, language: str) -> str:
    """How ``source`` is named to a reader (``SOURCE_NAMES``; Chinese unless ``language`` is en)."""
    names = SOURCE_NAMES[source]
    return names.get(language) or names["zh"]
