"""The status table shared by the HTML report and the Excel export: one row per entity, ranked,
with the column titles in Chinese or English.

Values stay typed (Decimal, date, int, None); each output formats them its own way: 万元 with
two decimals in the HTML page, yuan as numbers in the workbook.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from jobs.execution import StatusReport
from monitor.assess import EntityStatus, rank
from monitor.i18n import render
from monitor.money import ZERO

TEXT = {
    "level.department": {"zh": "部门", "en": "department"},
    "level.unit": {"zh": "单位", "en": "unit"},
    "level.project": {"zh": "项目", "en": "project"},
    "level.quota_line": {"zh": "指标", "en": "quota line"},
    "method.history": {"zh": "按往年规律", "en": "past years"},
    "method.linear": {"zh": "按当前进度", "en": "current pace"},
    "method.none": {"zh": "—", "en": "—"},
    "schedule.months": {"zh": "按月", "en": "by months"},
    "schedule.calendar": {"zh": "按日历天数", "en": "by calendar days"},
    "schedule.working_days": {"zh": "按工作日", "en": "by working days"},
}


def say(language: str, code: str, **params) -> str:
    return render(TEXT, code, language, params)


@dataclass(frozen=True)
class StatusRow:
    level: str
    unit_code: str | None
    code: str
    name: str
    budget: Decimal  # yuan
    paid: Decimal  # yuan
    execution_rate: Decimal | None  # percent
    schedule_rate: Decimal  # percent
    behind: bool  # below the time schedule
    checkpoint_date: dt.date | None
    checkpoint_rate: Decimal | None  # percent
    gap: Decimal | None  # yuan still to pay for the next checkpoint
    daily_needed: Decimal | None  # yuan per working day
    working_days_left: int | None
    projected_rate: Decimal | None  # percent at the next checkpoint
    projected_method: str | None
    projected_to_miss: bool
    year_end_rate: Decimal | None
    year_end_method: str


def _row(status: EntityStatus) -> StatusRow:
    entity, upcoming = status.entity, status.next_checkpoint
    return StatusRow(
        level=entity.level, unit_code=entity.unit_code, code=entity.code, name=entity.name,
        budget=entity.budget, paid=entity.paid, execution_rate=entity.execution_rate,
        schedule_rate=status.schedule_rate, behind=status.behind > ZERO,
        checkpoint_date=upcoming.date if upcoming else None,
        checkpoint_rate=upcoming.target_rate if upcoming else None,
        gap=upcoming.gap if upcoming else None,
        daily_needed=upcoming.daily_needed if upcoming else None,
        working_days_left=upcoming.working_days_left if upcoming else None,
        projected_rate=upcoming.projection.rate if upcoming else None,
        projected_method=upcoming.projection.method if upcoming else None,
        projected_to_miss=upcoming.projected_to_miss if upcoming else False,
        year_end_rate=status.year_end.rate, year_end_method=status.year_end.method)


def status_rows(report: StatusReport, levels: Iterable[str] = ("department", "unit", "project", "quota_line")
                ) -> list[StatusRow]:
    """The entities of ``levels``, furthest behind the time schedule first (``monitor.assess.rank``)."""
    wanted = set(levels)
    return [_row(s) for s in rank([s for s in report.statuses if s.entity.level in wanted])]


def level_text(language: str, level: str) -> str:
    return say(language, f"level.{level}")


def method_text(language: str, method: str | None) -> str:
    return say(language, f"method.{method or 'none'}")


def schedule_text(language: str, method: str) -> str:
    return say(language, f"schedule.{method}")
