"""Units of work of the execution engine: read the sums from the database, compute in ``monitor``.

``status`` (execution, schedule, next checkpoint and projections per entity), ``scores`` (the
evaluation's indicators per department and unit) and ``curve`` (the cumulative execution of a
year, for the chart). Each opens one read transaction; all arithmetic is in ``monitor``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from db.engine import transaction
from db.figures import (
    adjustment_records,
    budget_total,
    daily_paid,
    latest_payment_export,
    line_figures,
    unit_paid_at,
    years_with_payments,
)
from monitor.assess import EntityStatus, ScoreCard, ScoreInputs, assess, history_for, score_card
from monitor.calendar import WorkCalendar
from monitor.execution import Entity, LineFigures, roll_up
from monitor.money import ZERO
from monitor.pacing import History
from monitor.rulebook import Checkpoint, RuleBook, Rules
from monitor.scores import AdjustmentRecord, LineAdjustments

HISTORY_YEARS = 3  # earlier years whose shape a projection may follow


@dataclass(frozen=True)
class ExecutionSettings:
    rule_book: RuleBook = field(default_factory=RuleBook)
    calendar: WorkCalendar = field(default_factory=WorkCalendar)


@dataclass(frozen=True)
class StatusReport:
    year: int
    as_of: dt.date
    statuses: list[EntityStatus]
    lines: list[LineFigures]
    latest_export: dt.date | None  # the latest export date of the year's payments, if any
    uncovered_years: list[int]  # years whose holiday arrangement is not known (monitor/calendar.py)
    calendar_source: str = "chinesecalendar"  # where the year's rest days come from (calendar.SOURCES)


def default_as_of(year: int | None, today: dt.date) -> tuple[int, dt.date]:
    """No date: today, or the year's last day once that year is over."""
    if year is None:
        return today.year, today
    return year, min(today, dt.date(year, 12, 31))


def data_date(factory, year: int, as_of: dt.date) -> dt.date:
    """The day the year's payment data reaches, judged at ``as_of``: the latest payment export's
    date, at most ``as_of`` and the year's last day (``as_of`` itself before the first export).
    Alerts and the brief compute their figures and projections on it, and say it."""
    judged = min(as_of, dt.date(year, 12, 31))
    with transaction(factory) as session:
        latest = latest_payment_export(session, year)
    return judged if latest is None else min(judged, latest)


def same_day_in(year: int, day: dt.date) -> dt.date:
    """The same month and day in another year (29 February becomes the 28th)."""
    try:
        return day.replace(year=year)
    except ValueError:
        return dt.date(year, 2, 28)


def _histories(session, year: int, dates: Sequence[dt.date], entities: Sequence[Entity],
               unit_code: str | None) -> dict[tuple[str, str], History]:
    """Σ cumulative paid at the same month-days in up to HISTORY_YEARS earlier years, per unit
    and per department (departments as the sum of their current units)."""
    earlier = [y for y in years_with_payments(session) if y < year][-HISTORY_YEARS:]
    if not earlier:
        return {}
    sums: dict[tuple[str, str], dict[dt.date, Decimal]] = {}
    years: dict[tuple[str, str], set[int]] = {}
    department_of = {e.code: e.department_code for e in entities if e.level == "unit"}
    for past in earlier:
        paid = unit_paid_at(session, past, [same_day_in(past, d) for d in dates], unit_code)
        for unit, amounts in paid.items():
            if unit not in department_of or amounts[-1] == ZERO:
                continue
            for key in (("unit", unit), ("department", department_of[unit])):
                target = sums.setdefault(key, {d: ZERO for d in dates})
                for day, amount in zip(dates, amounts):
                    target[day] += amount
                years.setdefault(key, set()).add(past)
    return {key: History(tuple(sorted(years[key])), paid) for key, paid in sums.items()}


def _within(entities: list[Entity], unit_code: str | None) -> list[Entity]:
    """With one unit asked for, its department's figures would be that unit's alone: leave the
    department out rather than show a misleading total."""
    if unit_code is None:
        return entities
    return [e for e in entities if e.level != "department"]


@dataclass(frozen=True)
class _Read:
    """Everything status and scores read from the database in one transaction."""

    lines: list[LineFigures]
    unit_paid: dict
    entities: list[Entity]
    histories: dict[tuple[str, str], History]
    latest: dt.date | None
    records: list
    previous_lines: list[LineFigures]
    checkpoint_dates: list[dt.date]


def _read(factory, year: int, as_of: dt.date, settings: ExecutionSettings, unit_code: str | None,
          with_scores: bool) -> _Read:
    book = settings.rule_book
    checkpoint_dates = [d for d in book.checkpoint_dates(year) if d <= as_of] if with_scores else []
    with transaction(factory) as session:
        lines, unit_paid = line_figures(session, year, as_of, unit_code, paid_dates=checkpoint_dates)
        entities = _within(roll_up(lines), unit_code)
        histories = _histories(session, year, _history_dates(book, year, as_of, entities), entities, unit_code)
        latest = latest_payment_export(session, year)
        records: list[AdjustmentRecord] = []
        previous_lines: list[LineFigures] = []
        if with_scores:
            records = [r for r in adjustment_records(session, year, unit_code) if r.adjusted_on <= as_of]
            previous_lines, _ = line_figures(session, year - 1, dt.date(year - 1, 12, 31), unit_code)
    return _Read(lines, unit_paid, entities, histories, latest, records, previous_lines, checkpoint_dates)


def _report(read: _Read, year: int, as_of: dt.date, settings: ExecutionSettings) -> StatusReport:
    statuses = assess(read.entities, year=year, as_of=as_of, rules_for=rules_by_department(settings.rule_book, year),
                      calendar=settings.calendar, histories=read.histories)
    return StatusReport(year, as_of, statuses, read.lines, read.latest, settings.calendar.uncovered_years({year}),
                        settings.calendar.source(year))


def status(factory, *, year: int, as_of: dt.date, settings: ExecutionSettings,
           unit_code: str | None = None) -> StatusReport:
    return _report(_read(factory, year, as_of, settings, unit_code, False), year, as_of, settings)


def status_and_scores(factory, *, year: int, as_of: dt.date,
                      settings: ExecutionSettings) -> tuple[StatusReport, list[ScoreCard]]:
    """Both at once, from one read of the database (the alert evaluation needs both)."""
    read = _read(factory, year, as_of, settings, None, True)
    return _report(read, year, as_of, settings), _cards(read, year, as_of, settings)


def _history_dates(book: RuleBook, year: int, as_of: dt.date, entities: Sequence[Entity]) -> list[dt.date]:
    """as_of, every checkpoint still ahead (of any department's rules), and the year end."""
    year_end = dt.date(year, 12, 31)
    ahead = [d for d in book.checkpoint_dates(year) if as_of < d < year_end]
    return [as_of, *ahead, year_end]


def rules_by_department(book: RuleBook, year: int):
    """``rules_for(department)`` of one year, each department's rules built once."""
    cache: dict[str | None, Rules] = {}

    def rules_for(department: str | None) -> Rules:
        if department not in cache:
            cache[department] = book.rules_for(year, department)
        return cache[department]

    return rules_for


def scores(factory, *, year: int, as_of: dt.date, settings: ExecutionSettings,
           unit_code: str | None = None) -> list[ScoreCard]:
    """Score cards of every department and unit (or of one unit) at ``as_of``."""
    return _cards(_read(factory, year, as_of, settings, unit_code, True), year, as_of, settings)


def _cards(read: _Read, year: int, as_of: dt.date, settings: ExecutionSettings) -> list[ScoreCard]:
    rules_for = rules_by_department(settings.rule_book, year)
    previous = _three_public_budgets(read.previous_lines)
    members: dict[tuple[str, str], list[LineFigures]] = {}
    for line in read.lines:
        members.setdefault(("unit", line.unit_code), []).append(line)
        members.setdefault(("department", line.department_code), []).append(line)
    adjustments: dict[tuple[str, str], list] = {}
    for record in read.records:
        adjustments.setdefault(("unit", record.unit_code), []).append(record)
        adjustments.setdefault(("department", record.department_code), []).append(record)
    unit_paid = read.unit_paid
    cards = []
    for entity in read.entities:
        if entity.level not in ("department", "unit"):
            continue
        own = members.get(entity.key, [])
        at_checkpoints = {}
        for i, day in enumerate(read.checkpoint_dates):
            at_checkpoints[day] = sum((unit_paid[u][i] for u in {l.unit_code for l in own} if u in unit_paid), ZERO)
        inputs = ScoreInputs(
            budget=entity.budget, paid=entity.paid, initial=sum((l.initial for l in own), ZERO),
            checkpoint_paid=at_checkpoints, adjustments=adjustments.get(entity.key, []),
            three_public_budget=sum((l.budget for l in own if l.three_public), ZERO),
            three_public_paid=sum((l.paid for l in own if l.three_public), ZERO),
            previous_three_public_budget=previous.get(entity.key),
            line_adjustments=LineAdjustments(sum((l.budget - l.initial for l in own), ZERO),
                                             sum((abs(l.budget - l.initial) for l in own), ZERO)))
        cards.append(score_card(entity.level, entity.code, entity.name, inputs,
                                rules=rules_for(entity.department_code), as_of=as_of,
                                calendar=settings.calendar, history=history_for(entity, read.histories)))
    return cards


def _three_public_budgets(lines: Sequence[LineFigures]) -> dict[tuple[str, str], Decimal]:
    """Last year's 三公 budget per unit and department, where last year's quota lines are known."""
    result: dict[tuple[str, str], Decimal] = {}
    for line in lines:
        if not line.three_public:
            continue
        for key in (("unit", line.unit_code), ("department", line.department_code)):
            result[key] = result.get(key, ZERO) + line.budget
    return result


@dataclass(frozen=True)
class ExecutionCurve:
    """The cumulative execution of one year, for the chart: one point per day with payments."""

    year: int
    as_of: dt.date
    name: str  # the department, unit or "all units" the curve is of
    budget: Decimal  # adjusted budget in force at as_of
    points: tuple[tuple[dt.date, Decimal], ...]  # (day, cumulative paid), up to as_of
    checkpoints: tuple[Checkpoint, ...]
    schedule: str  # the time-schedule method
    calendar: WorkCalendar
    # The budget in force on each checkpoint day passed (what ``status`` divided by that day): the
    # curve divides every point by ``budget``, the latest adjusted budget, as the evaluation divides
    # by the full-year one; the chart says both when they differ.
    budgets_then: tuple[tuple[dt.date, Decimal], ...] = ()
    data_date: dt.date | None = None  # the day the payment data reaches (the latest export), ≤ as_of


def curve(factory, *, year: int, as_of: dt.date, settings: ExecutionSettings, unit_code: str | None = None,
          report: StatusReport | None = None) -> ExecutionCurve:
    """The curve of one unit, or of everything in the database; ``report`` is the status of the
    same year, date and unit when the caller has it already."""
    if report is None:
        report = status(factory, year=year, as_of=as_of, settings=settings, unit_code=unit_code)
    level = "unit" if unit_code else "department"
    tops = [s.entity for s in report.statuses if s.entity.level == level]
    budget = sum((e.budget for e in tops), ZERO)
    name = tops[0].name if len(tops) == 1 else ""  # several departments: the chart says "all"
    departments = {e.department_code for e in tops}
    rules = settings.rule_book.rules_for(year, departments.pop() if len(departments) == 1 else None)
    with transaction(factory) as session:
        days = daily_paid(session, year, unit_code)
        passed = [c.date for c in rules.checkpoints if c.date < as_of]
        budgets_then = tuple((day, budget_total(session, year, day, unit_code)) for day in passed)
        latest = latest_payment_export(session, year)
    data_day = min(as_of, dt.date(year, 12, 31)) if latest is None else min(as_of, latest)
    running, points = ZERO, []
    for day, amount in days:
        if day > as_of:
            break
        running += amount
        points.append((day, running))
    return ExecutionCurve(year, as_of, name, budget, tuple(points), rules.checkpoints, rules.schedule,
                          settings.calendar, budgets_then, data_day)
