"""Performance targets with what their evaluation needs at a date: the progress reports up to it
and, for a target in money (元, 万元 …), the amount spent up to it.

Spending is summed in SQL (GROUP BY), each payment counted as ``db.queries.counted_amount`` and
owned as the engine owns it (db/figures.py): a payment belongs to the unit, project and economic
class of its quota line when that line is known, else to the unit its own row names (and to no
project or class). A project target spends its project's payments; a unit-wide target, all of its
unit's; with an economic class (3 or 5 digits), only lines of that class (302 takes 30201 … 30299).

A money target without an economic class is measured from payments only when it is its owner's
(the project's, or the unit's as a whole) only money target without a class. Real target tables
have no 经济分类 column, and their cost caps usually partition the project's budget (科普经费:
61.85 + 15 + 30 = 106.85 万元): measuring each cap against the whole project would cross every
one of them. Such targets get ``spent`` None and ``needs_report`` True: their spending comes from
progress reports (``progress add``), or from payments once the table gives their 经济分类.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from db.models import Payment, PerformanceTarget, Project, QuotaLine, TargetProgress, Unit
from db.queries import counted_amount
from monitor.money import ZERO
from monitor.target_values import MONEY_YUAN


@dataclass(frozen=True)
class ProgressReport:
    reported_on: dt.date
    actual: Decimal  # in the target's measure
    note: str | None
    source: str  # file | cli


@dataclass(frozen=True)
class TargetFacts:
    """One stored target, its reports on or before ``as_of`` (oldest first), and ``spent``: yuan
    paid up to ``as_of`` for a money measure measured from payments (0 when nothing was paid),
    None otherwise — ``needs_report`` tells a money target whose spending must be reported."""

    id: int
    budget_year: int
    unit_code: str
    unit_name: str
    project_code: str | None  # None: a target of the unit as a whole
    project_name: str | None
    level1: str | None
    level2: str | None
    name: str  # 三级指标
    target_text: str  # 指标值 as written
    operator: str  # >= <= > < = improve
    value: Decimal | None
    measure: str  # "" when none
    weight: Decimal | None
    leader: str | None
    due_on: dt.date
    window_start: dt.date | None
    milestones: tuple[tuple[dt.date, Decimal], ...]
    economic_class: str | None
    reports: tuple[ProgressReport, ...]
    spent: Decimal | None
    needs_report: bool = False  # in money, but not measurable from payments (module docstring)

    @property
    def latest(self) -> ProgressReport | None:
        return self.reports[-1] if self.reports else None


def load_targets(session: Session, year: int, as_of: dt.date,
                 unit_ids: Collection[int] | None = None) -> list[TargetFacts]:
    """Every target of ``year`` (of ``unit_ids`` only, when given), by unit, project, row order."""
    t = PerformanceTarget
    query = (
        select(t.id, t.budget_year, Unit.code, Unit.name, Project.code, Project.name, t.level1, t.level2, t.name,
               t.target_text, t.operator, t.value, t.measure, t.weight, t.leader, t.due_on, t.window_start,
               t.milestones, t.economic_class)
        .join(Unit, Unit.id == t.unit_id)
        .outerjoin(Project, Project.id == t.project_id)
        .where(t.budget_year == year, *_of_units(t.unit_id, unit_ids))
        .order_by(Unit.code, t.scope, t.id)
    )
    rows = session.execute(query).all()
    reports = _reports(session, year, as_of, unit_ids)
    spent = _spent(session, year, as_of, unit_ids)
    unmeasured = _sharing_owners(rows)
    facts: list[TargetFacts] = []
    for row in rows:
        (target_id, budget_year, unit_code, unit_name, project_code, project_name, level1, level2, name,
         target_text, operator, value, measure, weight, leader, due_on, window_start, milestones,
         economic_class) = row
        money = measure in MONEY_YUAN
        shared = money and not economic_class and (unit_code, project_code) in unmeasured
        facts.append(TargetFacts(
            target_id, budget_year, unit_code, unit_name, project_code, project_name, level1, level2, name,
            target_text, operator, value, measure, weight, leader, due_on, window_start, _milestones(milestones),
            economic_class, tuple(reports.get(target_id, ())),
            spent.get(target_id, ZERO) if money and not shared else None, needs_report=shared))
    return facts


def _sharing_owners(rows) -> set[tuple]:
    """(unit code, project code or None) of the owners with more than one money target without an
    economic class: none of those can be measured from the owner's payments."""
    counts: dict[tuple, int] = {}
    for row in rows:
        if row[12] in MONEY_YUAN and not row[18]:
            counts[(row[2], row[4])] = counts.get((row[2], row[4]), 0) + 1
    return {owner for owner, count in counts.items() if count > 1}


def _of_units(column, unit_ids: Collection[int] | None) -> tuple:
    return () if unit_ids is None else (column.in_(list(unit_ids)),)


def _milestones(stored: list) -> tuple[tuple[dt.date, Decimal], ...]:
    return tuple((dt.date.fromisoformat(day), Decimal(value)) for day, value in stored or ())


def _reports(session: Session, year: int, as_of: dt.date,
             unit_ids: Collection[int] | None) -> dict[int, list[ProgressReport]]:
    t, p = PerformanceTarget, TargetProgress
    query = (select(p.target_id, p.reported_on, p.actual, p.note, p.source)
             .join(t, t.id == p.target_id)
             .where(t.budget_year == year, p.reported_on <= as_of, *_of_units(t.unit_id, unit_ids))
             .order_by(p.target_id, p.reported_on))
    found: dict[int, list[ProgressReport]] = {}
    for target_id, reported_on, actual, note, source in session.execute(query):
        found.setdefault(target_id, []).append(ProgressReport(reported_on, actual, note, source))
    return found


def _paid_groups(year: int, as_of: dt.date, unit_ids: Collection[int] | None):
    """Subquery (unit_id, project_id, economic_class, paid): the year's counted payments up to
    ``as_of`` summed per owner, as the engine owns them (the module docstring)."""
    line = aliased(QuotaLine)
    unit = func.coalesce(line.unit_id, Payment.unit_id)
    owned = (
        select(unit.label("unit_id"), line.project_id.label("project_id"),
               line.economic_class.label("economic_class"), counted_amount.label("counted"))
        .select_from(Payment)
        .outerjoin(line, and_(line.budget_year == year, line.quota_no == Payment.quota_no))
        .where(Payment.budget_year == year, Payment.pay_date <= as_of, *_of_units(unit, unit_ids))
        .subquery()
    )
    return (select(owned.c.unit_id, owned.c.project_id, owned.c.economic_class,
                   func.sum(owned.c.counted).label("paid"))
            .group_by(owned.c.unit_id, owned.c.project_id, owned.c.economic_class)
            .subquery())


def _spent(session: Session, year: int, as_of: dt.date, unit_ids: Collection[int] | None) -> dict[int, Decimal]:
    """target id → yuan spent up to ``as_of``, for the targets in money."""
    t = PerformanceTarget
    paid = _paid_groups(year, as_of, unit_ids)
    owner = or_(and_(t.project_id.is_not(None), paid.c.project_id == t.project_id),
                and_(t.project_id.is_(None), paid.c.unit_id == t.unit_id))
    of_class = or_(t.economic_class.is_(None), paid.c.economic_class.like(t.economic_class + "%"))
    query = (select(t.id, func.sum(paid.c.paid))
             .join(paid, and_(owner, of_class))
             .where(t.budget_year == year, t.measure.in_(list(MONEY_YUAN)), *_of_units(t.unit_id, unit_ids))
             .group_by(t.id))
    # sum() of a Money column stays Money: the amounts come back as Decimal yuan.
    return {target_id: amount if amount is not None else ZERO for target_id, amount in session.execute(query)}
