"""What an alert rule says: a ``Finding`` for one entity and period, seen in a ``Snapshot`` of
the engine's results, under the thresholds of ``AlertSettings``. Shared by the execution rules
(alerts/rules.py) and the performance-target rules (alerts/target_rules.py); pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from monitor.assess import EntityStatus, ScoreCard
from monitor.calendar import WorkCalendar
from monitor.execution import LineFigures
from monitor.money import two
from monitor.rulebook import Rules

DEFAULT_LEVELS = {
    "behind_checkpoint": ("department", "unit"),
    "checkpoint_missed": ("department", "unit"),
    "behind_schedule": ("unit", "project"),
    "stalled": ("project", "quota_line"),
    "overspent": ("project", "quota_line"),
    "adjustment_rate": ("department", "unit"),
}


@dataclass(frozen=True)
class AlertSettings:
    """Thresholds of the rules ([alerts] in the config)."""

    blue_days: int = 30  # behind_checkpoint: blue while the checkpoint is more than this many days away
    orange_days: int = 15  # … orange from this many days before it; yellow in between
    behind_schedule_points: Decimal = Decimal(5)  # execution this many points under the time schedule
    stalled_working_days: int = 30  # no payment for this many working days, with budget left
    stale_working_days: int = 7  # no payment export for this many working days
    verdict_wait_days: int = 5  # a checkpoint's verdict waits this many working days for data covering it
    adjustment_warning: Decimal = Decimal(8)  # percent; the limit itself is the evaluation's (10)
    min_amount: Decimal = Decimal(1000)  # yuan: a gap or a remainder smaller than this is not worth a message
    target_cap_warning: Decimal = Decimal(90)  # target_cap: warn when this percent of a cost cap is spent
    target_window_days: int = 14  # target_window: remind this many days before a timeliness window opens
    target_report_grace_days: int = 10  # a milestone's progress report may come this many days after it
    target_silent_weeks: int = 15  # target_silent: no progress report for this many weeks (a quarter and its grace)
    delivery_gap_points: Decimal = Decimal(30)  # delivery_gap: execution rate vs target completion, in points
    levels: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_LEVELS))

    def applies(self, rule: str, level: str) -> bool:
        return level in self.levels.get(rule, ())


DEFAULT_SETTINGS = AlertSettings()  # the default of the functions that take settings (frozen: shared)


@dataclass(frozen=True)
class Snapshot:
    """What one evaluation sees. ``as_of``: the day judged (today, or the year's last day once
    the year is over). ``data_as_of``: the day the payment data reaches (the latest payment
    export, at most ``as_of``): the engine's figures and projections are computed on it, and no
    pacing verdict is given for a day after it."""

    year: int
    as_of: dt.date
    statuses: Sequence[EntityStatus]
    cards: Mapping[tuple[str, str], ScoreCard]  # by (level, code): departments and units
    lines: Sequence[LineFigures]
    last_payment: Mapping[tuple[str, str], dt.date]  # by (level, code): projects and quota lines
    latest_export: dt.date | None  # the date of the latest payment export of the year
    calendar: WorkCalendar
    rules_for: Callable[[str | None], Rules]
    targets: Sequence = ()  # alerts.target_rules.WatchedTarget: the performance targets at as_of
    data_as_of: dt.date | None = None  # None: the data reaches as_of
    # Payments of units no quota export has (left out of the figures: db/unmatched.py), one line per
    # 指标明细号 at budget 0, with the date of its latest payment: ``no_budget`` tells their finance staff.
    unmatched: Sequence[tuple[LineFigures, dt.date | None]] = ()

    @property
    def data_date(self) -> dt.date:
        return self.data_as_of or self.as_of


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str  # blue | yellow | orange | red
    level: str
    code: str
    name: str
    period: str
    facts: Mapping[str, str]
    routing: Mapping[str, str]  # department, unit and project codes the entity belongs to
    covers: tuple[str, ...] = ()  # keys this finding tells inside its own item (alerts/catalog.one_story)

    @property
    def key(self) -> str:
        return f"{self.rule}:{self.level}:{self.code}:{self.period}"


def fact(value: Decimal | None) -> str:
    """An amount (yuan) or a rate (percent) as a fact: two decimals, "" when unknown."""
    return two(value) or ""


def routing_of(status: EntityStatus, project_of: Mapping[str, str] | None = None) -> dict[str, str]:
    entity = status.entity
    codes = {"department": entity.department_code}
    if entity.unit_code:
        codes["unit"] = entity.unit_code
    if entity.level == "project":
        codes["project"] = entity.code
    elif entity.level == "quota_line" and project_of and entity.code in project_of:
        codes["project"] = project_of[entity.code]
    return codes


def entity_finding(rule: str, severity: str, status: EntityStatus, period: str, facts: dict[str, str],
             project_of: Mapping[str, str] | None = None) -> Finding:
    entity = status.entity
    return Finding(rule, severity, entity.level, entity.code, entity.name, period, facts,
                   routing_of(status, project_of))
