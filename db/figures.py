"""The engine's read side: per-quota-line sums at a date, aggregated in SQL.

Payments are summed with GROUP BY per (quota line, unit) — 50,000 groups for a province, not
millions of rows — and the lines are rolled up in ``monitor.execution``. A payment belongs to the
unit of its quota line when that line is known, else to the unit its own row names.

The budget in force at ``as_of`` is the adjusted budget (调整后预算数) of the latest quota export
dated on or before ``as_of``, moved by the dated adjustments (调整单) between that export and
``as_of``; for a line first exported after ``as_of`` it is that export's figure with the later
adjustments taken back out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, and_, case, exists, func, or_, select, type_coerce, union_all
from sqlalchemy.orm import Session, aliased

from db.models import FIRST_YEAR, Adjustment, Department, Import, Payment, Project, QuotaLine, QuotaSnapshot, Unit
from db.queries import counted_amount
from db.types import Money
from monitor.execution import LineFigures
from monitor.money import ZERO
from monitor.scores import AdjustmentRecord

UNKNOWN = "?"  # department / unit code of a payment that names neither a known line nor a unit


def _unit_filter(session: Session, unit_code: str | None) -> int | None:
    if unit_code is None:
        return None
    unit_id = session.scalar(select(Unit.id).where(Unit.code == unit_code))
    return -1 if unit_id is None else unit_id  # -1 matches nothing


def _fen(column):
    """A Money column as its stored integer fen, for arithmetic in SQL."""
    return type_coerce(column, BigInteger)


def _in_force(year: int, as_of: dt.date, unit_id: int | None):
    """Subquery (quota_line_id, budget): each line's budget in force at ``as_of``, in one pass.

    The snapshot in force is ranked first: on or before ``as_of`` the latest, else the earliest
    after (ties: the latest import); the dated adjustments between its date and ``as_of`` are
    then added (or, for a snapshot after ``as_of``, taken back out). A line with no snapshot
    keeps its current budget. The ranked rows drive the join (one per line): SQLite would otherwise
    scan the materialised ranking once per line.
    """
    seen_before = QuotaSnapshot.observed_on <= as_of
    ranked = (
        select(QuotaLine.id, QuotaLine.quota_no, QuotaLine.current.label("line_current"), QuotaSnapshot.observed_on,
               QuotaSnapshot.current,
               func.row_number().over(
                   partition_by=QuotaLine.id,
                   order_by=(case((seen_before, 0), else_=1), case((seen_before, QuotaSnapshot.observed_on)).desc(),
                             QuotaSnapshot.observed_on, QuotaSnapshot.import_id.desc())).label("rank"))
        .outerjoin(QuotaSnapshot, QuotaSnapshot.quota_line_id == QuotaLine.id)
        .where(QuotaLine.budget_year == year, *_of_unit(QuotaLine, unit_id))
        .subquery()
    )
    seen = select(ranked).where(ranked.c.rank == 1).subquery()
    seen_on = seen.c.observed_on
    moved = case(
        (and_(seen_on <= as_of, Adjustment.adjusted_on > seen_on, Adjustment.adjusted_on <= as_of),
         _fen(Adjustment.amount)),
        (and_(seen_on > as_of, Adjustment.adjusted_on > as_of, Adjustment.adjusted_on <= seen_on),
         -_fen(Adjustment.amount)),
        else_=0)
    budget = func.coalesce(_fen(seen.c.current), _fen(seen.c.line_current)) + func.coalesce(func.sum(moved), 0)
    return (
        select(seen.c.id.label("quota_line_id"), type_coerce(budget, Money).label("budget"))
        .outerjoin(Adjustment, and_(Adjustment.budget_year == year, Adjustment.quota_no == seen.c.quota_no))
        .group_by(seen.c.id, seen.c.current, seen.c.line_current)
        .subquery()
    )


def budget_total(session: Session, year: int, as_of: dt.date, unit_code: str | None = None) -> Decimal:
    """The budget in force at ``as_of`` of one unit, or of every line of the year: the denominator
    ``status`` divides by on that day."""
    budgets = _in_force(year, as_of, _unit_filter(session, unit_code))
    total = session.scalar(select(func.sum(budgets.c.budget)))
    return total if total is not None else ZERO


def _of_unit(model, unit_id: int | None) -> tuple:
    return () if unit_id is None else (model.unit_id == unit_id,)


def budgets_in_force(session: Session, year: int, as_of: dt.date,
                     unit_id: int | None = None) -> dict[str, Decimal]:
    """Budget in force at ``as_of`` per quota_no (see the module docstring)."""
    budgets = _in_force(year, as_of, unit_id)
    return dict(session.execute(select(QuotaLine.quota_no, budgets.c.budget)
                                .join(budgets, budgets.c.quota_line_id == QuotaLine.id)).all())


def _payments(year: int, until: dt.date | None, unit_id: int | None):
    """Subquery (quota_no, unit_id, pay_date, counted) of the year's payments (up to ``until``).

    For one unit, what the whole run gives it: the payments against its quota lines (whatever
    unit they name), and its own payments against no known line of the year; as a UNION ALL of
    two index searches. An OR of the two conditions would be read by SQLite, which has no
    statistics unless ANALYZE ran, as a search of every payment of the year through the
    (budget_year, …) index, and by PostgreSQL as a scan of the table.
    """
    columns = (Payment.quota_no, Payment.unit_id, Payment.pay_date, counted_amount.label("counted"))
    of_year = (Payment.budget_year == year, *(() if until is None else (Payment.pay_date <= until,)))
    if unit_id is None:
        return select(*columns).where(*of_year).subquery()
    own_lines = select(QuotaLine.quota_no).where(QuotaLine.budget_year == year, QuotaLine.unit_id == unit_id)
    known_line = exists().where(QuotaLine.budget_year == year, QuotaLine.quota_no == Payment.quota_no)
    return union_all(
        select(*columns).where(Payment.quota_no.in_(own_lines), *of_year),
        select(*columns).where(Payment.unit_id == unit_id, *of_year, ~known_line),
    ).subquery()


def _sums_by_line(year: int, dates: Sequence[dt.date], unit_id: int | None):
    """SELECT quota_no, unit_id, paid at each of ``dates`` … GROUP BY quota_no, unit_id."""
    last = max(dates)
    paid = _payments(year, last, unit_id)
    # Every payment read is on or before the last date: its sum needs no comparison per row.
    sums = [func.sum(paid.c.counted if day == last else case((paid.c.pay_date <= day, paid.c.counted), else_=0))
            .label(f"paid_{i}") for i, day in enumerate(dates)]
    return select(paid.c.quota_no, paid.c.unit_id, *sums).group_by(paid.c.quota_no, paid.c.unit_id)


def paid_by_line(session: Session, year: int, dates: Sequence[dt.date],
                 unit_id: int | None = None) -> dict[tuple[str | None, int | None], list[Decimal]]:
    """Cumulative paid at each of ``dates`` per (quota_no, unit_id) of the payments, in one scan."""
    # sum() of a Money column stays Money: the values come back as Decimal yuan.
    return {(quota_no, unit): [v if v is not None else ZERO for v in values]
            for quota_no, unit, *values in session.execute(_sums_by_line(year, dates, unit_id))}


def line_figures(session: Session, year: int, as_of: dt.date, unit_code: str | None = None,
                 paid_dates: Sequence[dt.date] = ()) -> tuple[list[LineFigures], dict[str, list[Decimal]]]:
    """Every quota line of ``year`` with its budget in force and paid at ``as_of``.

    Also returns, per unit code, cumulative paid at each of ``paid_dates`` (checkpoint dates, for
    the scores), from the same scan of the payments.
    """
    unit_id = _unit_filter(session, unit_code)
    budgets = _in_force(year, as_of, unit_id)
    # The columns of LineFigures up to the budget, in its order; paid is added below. (Plain tuples to
    # mypy: it cannot unpack a typed row of more than ten columns, with paid after it, into LineFigures.)
    lines: Sequence[tuple[Any, ...]] = session.execute(
        select(QuotaLine.quota_no, func.coalesce(Department.code, UNKNOWN), func.coalesce(Department.name, ""),
               Unit.code, Unit.name, Project.code, Project.name, QuotaLine.expense_type, QuotaLine.economic_class,
               QuotaLine.economic_name, QuotaLine.fund_type, QuotaLine.three_public, QuotaLine.initial,
               budgets.c.budget)
        .join(budgets, budgets.c.quota_line_id == QuotaLine.id)
        .join(Unit, Unit.id == QuotaLine.unit_id)
        .outerjoin(Department, Department.id == Unit.department_id)
        .outerjoin(Project, Project.id == QuotaLine.project_id)
        .where(QuotaLine.budget_year == year, *_of_unit(QuotaLine, unit_id))
        .order_by(QuotaLine.id)
    ).all()
    dates = [as_of, *paid_dates]
    paid = paid_by_line(session, year, dates, unit_id)
    unit_of = {line[0]: line[3] for line in lines}
    line_paid: dict[str, Decimal] = {}
    unit_paid: dict[str, list[Decimal]] = {}
    orphans: dict[tuple[str | None, int | None], list[Decimal]] = {}
    for (quota_no, pay_unit), amounts in paid.items():
        code = None if quota_no is None else unit_of.get(quota_no)
        if quota_no is None or code is None:  # a payment of no known quota line
            orphans[quota_no, pay_unit] = amounts
            continue
        line_paid[quota_no] = line_paid.get(quota_no, ZERO) + amounts[0]
        _add(unit_paid, code, amounts[1:])
    figures = [LineFigures(*(*line, line_paid.get(line[0], ZERO))) for line in lines]
    if orphans:
        units = _units(session, {u for _, u in orphans if u is not None})
        budgeted = {line[3] for line in lines}
        for (quota_no, pay_unit), amounts in sorted(orphans.items(), key=lambda kv: (str(kv[0][0]), kv[0][1] or 0)):
            nowhere = (UNKNOWN, "", UNKNOWN, "")
            dep_code, dep_name, code, name = nowhere if pay_unit is None else units.get(pay_unit, nowhere)
            if code not in budgeted:  # a unit no quota export has: listed apart (db/unmatched.py),
                continue              # never a unit with no budget, overspent
            figures.append(LineFigures(quota_no or UNKNOWN, dep_code, dep_name, code, name, None, None, None,
                                       None, None, None, False, ZERO, ZERO, amounts[0]))
            _add(unit_paid, code, amounts[1:])
    return figures, unit_paid


def _add(totals: dict[str, list[Decimal]], key: str, amounts: Sequence[Decimal]) -> None:
    current = totals.setdefault(key, [ZERO] * len(amounts))
    for i, amount in enumerate(amounts):
        current[i] += amount


def _units(session: Session, ids: set[int]) -> dict[int, tuple[str, str, str, str]]:
    if not ids:
        return {}
    rows = session.execute(select(Unit.id, func.coalesce(Department.code, UNKNOWN),
                                  func.coalesce(Department.name, ""), Unit.code, Unit.name)
                           .outerjoin(Department, Department.id == Unit.department_id)
                           .where(Unit.id.in_(ids)))
    return {unit_id: (dep_code, dep_name, code, name) for unit_id, dep_code, dep_name, code, name in rows}


def unit_paid_at(session: Session, year: int, dates: Sequence[dt.date],
                 unit_code: str | None = None) -> dict[str, list[Decimal]]:
    """Cumulative paid at each of ``dates`` per unit code (earlier years' shape, checkpoints).

    The per-line sums are rolled up to the unit in SQL (the line's unit, else the payment's):
    one row per unit comes back, not one per line.
    """
    unit_id = _unit_filter(session, unit_code)
    by_line = _sums_by_line(year, dates, unit_id).subquery()
    owner, payer = aliased(Unit), aliased(Unit)
    code = func.coalesce(owner.code, payer.code)
    query = (
        select(code, *(func.sum(by_line.c[f"paid_{i}"]) for i in range(len(dates))))
        .select_from(by_line)
        .outerjoin(QuotaLine, and_(QuotaLine.budget_year == year, QuotaLine.quota_no == by_line.c.quota_no))
        .outerjoin(owner, owner.id == QuotaLine.unit_id)
        .outerjoin(payer, payer.id == by_line.c.unit_id)
        .group_by(code)
    )
    result: dict[str, list[Decimal]] = {}
    for unit, *amounts in session.execute(query):
        _add(result, unit if unit is not None else UNKNOWN, [a if a is not None else ZERO for a in amounts])
    return result


def daily_paid(session: Session, year: int, unit_code: str | None = None) -> list[tuple[dt.date, Decimal]]:
    """Paid per day of ``year`` (net), for the execution curve."""
    unit_id = _unit_filter(session, unit_code)
    if unit_id is None:
        query = (select(Payment.pay_date, func.sum(counted_amount))
                 .where(Payment.budget_year == year).group_by(Payment.pay_date).order_by(Payment.pay_date))
    else:
        paid = _payments(year, None, unit_id)
        query = (select(paid.c.pay_date, func.sum(paid.c.counted))
                 .group_by(paid.c.pay_date).order_by(paid.c.pay_date))
    return [(day, amount if amount is not None else ZERO) for day, amount in session.execute(query)]


def adjustment_records(session: Session, year: int, unit_code: str | None = None) -> list[AdjustmentRecord]:
    """Every adjustment of ``year`` with the unit and department it belongs to."""
    line = aliased(QuotaLine)
    unit = aliased(Unit)
    query = (
        select(Adjustment.adjustment_no, Adjustment.quota_no, Adjustment.adjusted_on, Adjustment.adjustment_type,
               Adjustment.amount, Adjustment.exempt_category, Adjustment.reason,
               func.coalesce(unit.code, UNKNOWN), func.coalesce(Department.code, UNKNOWN))
        .outerjoin(line, and_(line.budget_year == Adjustment.budget_year, line.quota_no == Adjustment.quota_no))
        .outerjoin(unit, unit.id == func.coalesce(line.unit_id, Adjustment.unit_id))
        .outerjoin(Department, Department.id == unit.department_id)
        .where(Adjustment.budget_year == year)
        .order_by(Adjustment.adjusted_on, Adjustment.adjustment_no)
    )
    if unit_code is not None:
        query = query.where(unit.code == unit_code)
    return [AdjustmentRecord(*row) for row in session.execute(query)]


def _distinct_years(session: Session, column) -> list[int]:
    """The distinct values of an indexed year column, one index search each (a loose index scan)
    instead of reading every row: SELECT DISTINCT reads all the payments of every year."""
    first = select(func.min(column).label("year"))
    years = first.cte("years", recursive=True)
    following = (select(select(func.min(column)).where(column > years.c.year).scalar_subquery())
                 .where(years.c.year.is_not(None)))
    years = years.union_all(following)
    return list(session.scalars(select(years.c.year).where(years.c.year.is_not(None)).order_by(years.c.year)))


def years_with_data(session: Session) -> list[int]:
    """Budget years with quota lines or payments."""
    return sorted(set(_distinct_years(session, QuotaLine.budget_year))
                  | set(_distinct_years(session, Payment.budget_year)))


def years_with_payments(session: Session) -> list[int]:
    return _distinct_years(session, Payment.budget_year)


def latest_payment_export(session: Session, year: int) -> dt.date | None:
    """The date of the latest payment export of the year. One dated after the evaluation's date
    (a replay of the past, or a whole-year export) means the figures of that date are in."""
    spans = Import.detail[FIRST_YEAR].as_integer() == year  # a file split at New Year reaches 31 December
    return session.scalar(select(func.max(Import.observed_on))
                          .where(or_(Import.budget_year == year, spans), Import.kind == "payments"))



@dataclass(frozen=True)
class LineBudgetsBefore:
    """What an adjustment export is checked against (jobs/ingest/adjustment_checks.py)."""

    budgets: dict[tuple[str, dt.date], Decimal]  # (quota_no, day) → budget in force the day before
    stored: frozenset[tuple[str, str | None]]  # (adjustment_no, quota_no) of the lines' stored adjustments


def budgets_before(session: Session, year: int, quota_nos: Sequence[str],
                   days: Sequence[dt.date]) -> LineBudgetsBefore | None:
    """Each named line's budget in force the day before each of ``days`` (what an adjustment
    dated that day starts from); lines of ``year`` not stored are absent. None when no quota
    line of ``year`` is stored at all."""
    if session.scalar(select(exists().where(QuotaLine.budget_year == year))) is False:
        return None
    wanted = set(quota_nos)
    result: dict[tuple[str, dt.date], Decimal] = {}
    for day in sorted(set(days)):
        for quota_no, budget in budgets_in_force(session, year, day - dt.timedelta(days=1)).items():
            if quota_no in wanted:
                result[quota_no, day] = budget
    stored = session.execute(select(Adjustment.adjustment_no, Adjustment.quota_no)
                             .where(Adjustment.budget_year == year, Adjustment.quota_no.in_(sorted(wanted))))
    return LineBudgetsBefore(result, frozenset((no, line) for no, line in stored))
