"""序时进度, the time schedule: the share of the budget year that has elapsed at a date.

Three methods (``Rules.schedule``):

- ``months`` — months/12, the common practice: 25% at 31 March, 50% at 30 June. Inside a month
  the share grows day by day, so that it is continuous and equals m/12 at every month end.
- ``calendar`` — elapsed calendar days ÷ days in the year.
- ``working_days`` — elapsed Chinese working days ÷ working days in the year (holidays, 调休).

Also the linear projection ("if it keeps its pace"), which measures pace in the same unit as
the schedule, so that an entity exactly on schedule is projected exactly on schedule.
"""

from __future__ import annotations

import calendar as _gregorian
import datetime as dt
from decimal import Decimal
from functools import lru_cache

from monitor.calendar import WorkCalendar

ONE = Decimal(1)


@lru_cache(maxsize=4096)
def year_fraction(method: str, day: dt.date, year: int, calendar: WorkCalendar) -> Decimal:
    """Elapsed share of ``year`` at the end of ``day``: 0 before the year, 1 after it. Cached: a
    run asks it for the same few dates once per entity (a province has tens of thousands)."""
    if day < dt.date(year, 1, 1):
        return Decimal(0)
    if day >= dt.date(year, 12, 31):
        return ONE
    if method == "months":
        days_in_month = _gregorian.monthrange(year, day.month)[1]
        return (Decimal(day.month - 1) + Decimal(day.day) / days_in_month) / 12
    start = dt.date(year - 1, 12, 31)
    if method == "calendar":
        return Decimal((day - start).days) / Decimal((dt.date(year, 12, 31) - start).days)
    if method == "working_days":
        total = calendar.working_days(start, dt.date(year, 12, 31))
        return Decimal(calendar.working_days(start, day)) / total
    raise ValueError(f"unknown schedule method {method!r}")


def schedule_rate(method: str, day: dt.date, year: int, calendar: WorkCalendar) -> Decimal:
    """The time schedule in percent (unrounded)."""
    return year_fraction(method, day, year, calendar) * 100
