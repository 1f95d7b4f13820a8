"""Putting the pieces together for each entity: schedule, next checkpoint, projections, scores."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from monitor.calendar import WorkCalendar
from monitor.execution import Entity
from monitor.money import ZERO, exact_rate
from monitor.pacing import History, NextCheckpoint, Projection, next_checkpoint, project
from monitor.rulebook import Rules
from monitor.schedule import schedule_rate
from monitor.scores import (
    AdjustmentRecord,
    CheckpointFigure,
    IndicatorScore,
    LineAdjustments,
    adjustment_rate,
    execution_rate,
    payment_progress,
    three_public_control,
)


@dataclass(frozen=True)
class EntityStatus:
    entity: Entity
    schedule_rate: Decimal  # 序时进度 at as_of, percent, exact (rounded only for display)
    next_checkpoint: NextCheckpoint | None
    year_end: Projection

    @property
    def behind(self) -> Decimal:
        """Points below the time schedule (negative when ahead), exact: how the status table ranks
        and what ``behind_schedule`` compares with its limit (a rounded 5.00 can be 5.004)."""
        achieved = exact_rate(self.entity.paid, self.entity.budget)
        return self.schedule_rate - (achieved if achieved is not None else self.schedule_rate)


def history_for(entity: Entity, histories: Mapping[tuple[str, str], History]) -> History | None:
    """An entity's own earlier years; a project or quota line (new codes every year) takes its
    unit's."""
    own = histories.get(entity.key)
    if own is not None or entity.unit_code is None:
        return own
    return histories.get(("unit", entity.unit_code))


def assess(entities: Sequence[Entity], *, year: int, as_of: dt.date, rules_for: Callable[[str], Rules],
           calendar: WorkCalendar, histories: Mapping[tuple[str, str], History] = {}) -> list[EntityStatus]:
    result = []
    year_end = dt.date(year, 12, 31)
    for entity in entities:
        rules = rules_for(entity.department_code)
        history = history_for(entity, histories)
        schedule = schedule_rate(rules.schedule, as_of, year, calendar)
        upcoming = next_checkpoint(entity.paid, entity.budget, as_of, rules.checkpoints, year=year,
                                   schedule=rules.schedule, calendar=calendar, history=history)
        final = project(entity.paid, entity.budget, as_of, year_end, year=year, schedule=rules.schedule,
                        calendar=calendar, history=history)
        result.append(EntityStatus(entity, schedule, upcoming, final))
    return result


def rank(statuses: Sequence[EntityStatus]) -> list[EntityStatus]:
    """Furthest behind the time schedule first; then the largest gap to the next checkpoint."""
    return sorted(statuses, key=lambda s: (-s.behind, -(s.next_checkpoint.gap if s.next_checkpoint else ZERO),
                                           s.entity.level, s.entity.code))


@dataclass(frozen=True)
class ScoreInputs:
    """What the scores of one department or unit are computed from."""

    budget: Decimal  # adjusted budget in force at as_of (the full-year budget once the year is over)
    paid: Decimal  # cumulative paid at as_of
    initial: Decimal  # 年初预算数
    checkpoint_paid: Mapping[dt.date, Decimal]  # cumulative paid at each checkpoint date already passed
    adjustments: Sequence[AdjustmentRecord]
    three_public_budget: Decimal
    three_public_paid: Decimal
    previous_three_public_budget: Decimal | None
    line_adjustments: LineAdjustments | None = None  # the quota export's 调整数 (scores.adjustment_rate)


@dataclass(frozen=True)
class ScoreCard:
    level: str
    code: str
    name: str
    year: int
    as_of: dt.date
    indicators: tuple[IndicatorScore, ...]

    @property
    def score(self) -> Decimal:
        return sum((i.score for i in self.indicators if i.score is not None), ZERO)

    @property
    def weight(self) -> Decimal:
        return sum((i.weight for i in self.indicators if i.score is not None), ZERO)


def score_card(level: str, code: str, name: str, figures: ScoreInputs, *, rules: Rules, as_of: dt.date,
               calendar: WorkCalendar, history: History | None = None) -> ScoreCard:
    year = rules.year
    year_end = dt.date(year, 12, 31)
    over = as_of >= year_end

    def heading(paid: Decimal, budget: Decimal, target: dt.date, with_history: bool = True) -> Decimal:
        return project(paid, budget, as_of, target, year=year, schedule=rules.schedule, calendar=calendar,
                       history=history if with_history else None).paid

    checkpoints = []
    for checkpoint in rules.progress_checkpoints:
        if checkpoint.date <= as_of:
            checkpoints.append(CheckpointFigure(checkpoint, figures.checkpoint_paid[checkpoint.date], False))
        else:
            checkpoints.append(CheckpointFigure(checkpoint, heading(figures.paid, figures.budget, checkpoint.date),
                                                True))
    final_paid = figures.paid if over else heading(figures.paid, figures.budget, year_end)
    three_public_spent = (figures.three_public_paid if over else
                          heading(figures.three_public_paid, figures.three_public_budget, year_end, False))
    previous, previous_source = figures.previous_three_public_budget, "quota_lines"
    if previous is None and level == "department":
        # The config's figure is the department's last year: a unit is never held to it.
        previous, previous_source = rules.previous_three_public_budget, "config"
    indicators = (
        payment_progress(rules, figures.budget, checkpoints),
        execution_rate(rules, figures.budget, final_paid, not over),
        adjustment_rate(rules, figures.initial, figures.adjustments, over, figures.line_adjustments),
        three_public_control(rules, figures.three_public_budget, three_public_spent, previous, not over,
                             previous_source),
    )
    return ScoreCard(level, code, name, year, as_of, indicators)
