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

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from db.models import Adjustment, Department, Payment, Project, QuotaLine, QuotaSnapshot, Unit
from db.queries import counted_amount
from monitor.execution import LineFigures
from monitor.money import ZERO
from monitor.scores import AdjustmentRecord

UNKNOWN = "?"  # department / unit code of a payment that names neither a known line nor a unit


@dataclass(frozen=True)
class _Line:
    id: int
    quota_no: str
    unit_id: int
    department_code: str
    department_name: str
    unit_code: str
    unit_name: str
    project_code: str | None
    project_name: str | None
    expense_type: str | None
    economic_class: str | None
    economic_name: str | None
    fund_type: str | None
    three_public: bool
    initial: Decimal


def _unit_filter(session: Session, unit_code: str | None) -> int | None:
    if unit_code is None:
        return None
    unit_id = session.scalar(select(Unit.id).where(Unit.code == unit_code))
    return -1 if unit_id is None else unit_id  # -1 matches nothing


def _lines(session: Session, year: int, unit_id: int | None) -> list[_Line]:
    query = (
        select(QuotaLine.id, QuotaLine.quota_no, QuotaLine.unit_id,
               func.coalesce(Department.code, UNKNOWN), func.coalesce(Department.name, ""),
               Unit.code, Unit.name, Project.code, Project.name, QuotaLine.expense_type,
               QuotaLine.economic_class, QuotaLine.economic_name, QuotaLine.fund_type,
               QuotaLine.three_public, QuotaLine.initial)
        .join(Unit, Unit.id == QuotaLine.unit_id)
        .outerjoin(Department, Department.id == Unit.department_id)
        .outerjoin(Project, Project.id == QuotaLine.project_id)
        .where(QuotaLine.budget_year == year)
    )
    if unit_id is not None:
        query = query.where(QuotaLine.unit_id == unit_id)
    return [_Line(*row) for row in session.execute(query)]


def _snapshots(session: Session, year: int, as_of: dt.date, unit_id: int | None,
               latest: bool) -> dict[int, tuple[dt.date, Decimal]]:
    """Per line, the latest snapshot on or before ``as_of`` (``latest``), or the earliest after."""
    order = ((QuotaSnapshot.observed_on.desc(), QuotaSnapshot.import_id.desc()) if latest
             else (QuotaSnapshot.observed_on.asc(), QuotaSnapshot.import_id.desc()))
    ranked = (
        select(QuotaSnapshot.quota_line_id, QuotaSnapshot.observed_on, QuotaSnapshot.current,
               func.row_number().over(partition_by=QuotaSnapshot.quota_line_id, order_by=order).label("rank"))
        .join(QuotaLine, QuotaLine.id == QuotaSnapshot.quota_line_id)
        .where(QuotaLine.budget_year == year,
               QuotaSnapshot.observed_on <= as_of if latest else QuotaSnapshot.observed_on > as_of)
    )
    if unit_id is not None:
        ranked = ranked.where(QuotaLine.unit_id == unit_id)
    ranked = ranked.subquery()
    rows = session.execute(select(ranked.c.quota_line_id, ranked.c.observed_on, ranked.c.current)
                           .where(ranked.c.rank == 1))
    return {line_id: (observed_on, current) for line_id, observed_on, current in rows}


def _adjustment_days(session: Session, year: int, unit_id: int | None) -> dict[str, list[tuple[dt.date, Decimal]]]:
    query = (select(Adjustment.quota_no, Adjustment.adjusted_on, func.sum(Adjustment.amount))
             .where(Adjustment.budget_year == year, Adjustment.quota_no.is_not(None))
             .group_by(Adjustment.quota_no, Adjustment.adjusted_on))
    if unit_id is not None:
        query = query.where(Adjustment.unit_id == unit_id)
    result: dict[str, list[tuple[dt.date, Decimal]]] = {}
    for quota_no, day, amount in session.execute(query):
        result.setdefault(quota_no, []).append((day, amount))
    return result


def budgets_in_force(session: Session, year: int, as_of: dt.date,
                     unit_id: int | None = None) -> dict[str, Decimal]:
    """Budget in force at ``as_of`` per quota_no (see the module docstring)."""
    before = _snapshots(session, year, as_of, unit_id, latest=True)
    after = _snapshots(session, year, as_of, unit_id, latest=False)
    lines = session.execute(select(QuotaLine.id, QuotaLine.quota_no, QuotaLine.current)
                            .where(QuotaLine.budget_year == year,
                                   *(() if unit_id is None else (QuotaLine.unit_id == unit_id,))))
    adjustments = _adjustment_days(session, year, unit_id)
    result = {}
    for line_id, quota_no, current in lines:
        days = adjustments.get(quota_no, ())
        if line_id in before:
            seen_on, seen = before[line_id]
            result[quota_no] = seen + sum((a for d, a in days if seen_on < d <= as_of), ZERO)
        elif line_id in after:
            seen_on, seen = after[line_id]
            result[quota_no] = seen - sum((a for d, a in days if as_of < d <= seen_on), ZERO)
        else:  # no snapshot at all (a line stored before snapshots were kept): its current budget
            result[quota_no] = current
    return result


def paid_by_line(session: Session, year: int, dates: Sequence[dt.date],
                 unit_id: int | None = None) -> dict[tuple[str | None, int | None], list[Decimal]]:
    """Cumulative paid at each of ``dates`` per (quota_no, unit_id) of the payments, in one scan."""
    sums = [func.sum(case((Payment.pay_date <= day, counted_amount), else_=0)) for day in dates]
    query = (select(Payment.quota_no, Payment.unit_id, *sums)
             .where(Payment.budget_year == year, Payment.pay_date <= max(dates))
             .group_by(Payment.quota_no, Payment.unit_id))
    if unit_id is not None:
        own = select(QuotaLine.quota_no).where(QuotaLine.budget_year == year, QuotaLine.unit_id == unit_id)
        query = query.where(or_(Payment.unit_id == unit_id, Payment.quota_no.in_(own)))
    # sum() of a Money column stays Money: the values come back as Decimal yuan.
    return {(quota_no, unit): [v if v is not None else ZERO for v in values]
            for quota_no, unit, *values in session.execute(query)}


def line_figures(session: Session, year: int, as_of: dt.date, unit_code: str | None = None,
                 paid_dates: Sequence[dt.date] = ()) -> tuple[list[LineFigures], dict[str, list[Decimal]]]:
    """Every quota line of ``year`` with its budget in force and paid at ``as_of``.

    Also returns, per unit code, cumulative paid at each of ``paid_dates`` (checkpoint dates, for
    the scores), from the same scan of the payments.
    """
    unit_id = _unit_filter(session, unit_code)
    lines = _lines(session, year, unit_id)
    budgets = budgets_in_force(session, year, as_of, unit_id)
    dates = [as_of, *paid_dates]
    paid = paid_by_line(session, year, dates, unit_id)
    by_number = {line.quota_no: line for line in lines}
    line_paid: dict[str, Decimal] = {}
    unit_paid: dict[str, list[Decimal]] = {}
    orphans: dict[tuple[str | None, int | None], list[Decimal]] = {}
    for (quota_no, pay_unit), amounts in paid.items():
        line = by_number.get(quota_no)
        if line is None:
            orphans[quota_no, pay_unit] = amounts
            continue
        line_paid[quota_no] = line_paid.get(quota_no, ZERO) + amounts[0]
        _add(unit_paid, line.unit_code, amounts[1:])
    figures = [LineFigures(l.quota_no, l.department_code, l.department_name, l.unit_code, l.unit_name,
                           l.project_code, l.project_name, l.expense_type, l.economic_class, l.economic_name,
                           l.fund_type, l.three_public, l.initial, budgets[l.quota_no],
                           line_paid.get(l.quota_no, ZERO))
               for l in lines]
    if orphans:
        units = _units(session, {u for _, u in orphans if u is not None})
        for (quota_no, pay_unit), amounts in sorted(orphans.items(), key=lambda kv: (str(kv[0][0]), kv[0][1] or 0)):
            dep_code, dep_name, code, name = units.get(pay_unit, (UNKNOWN, "", UNKNOWN, ""))
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
    """Cumulative paid at each of ``dates`` per unit code (earlier years' shape, checkpoints)."""
    unit_id = _unit_filter(session, unit_code)
    owners = dict(session.execute(
        select(QuotaLine.quota_no, Unit.code).join(Unit, Unit.id == QuotaLine.unit_id)
        .where(QuotaLine.budget_year == year)).all())
    paid = paid_by_line(session, year, dates, unit_id)
    codes = _units(session, {u for q, u in paid if u is not None and q not in owners})
    result: dict[str, list[Decimal]] = {}
    for (quota_no, pay_unit), amounts in paid.items():
        code = owners.get(quota_no) or codes.get(pay_unit, (None, None, UNKNOWN, None))[2]
        _add(result, code, amounts)
    return result


def daily_paid(session: Session, year: int, unit_code: str | None = None) -> list[tuple[dt.date, Decimal]]:
    """Paid per day of ``year`` (net), for the execution curve."""
    unit_id = _unit_filter(session, unit_code)
    query = (select(Payment.pay_date, func.sum(counted_amount))
             .where(Payment.budget_year == year).group_by(Payment.pay_date).order_by(Payment.pay_date))
    if unit_id is not None:
        own = select(QuotaLine.quota_no).where(QuotaLine.budget_year == year, QuotaLine.unit_id == unit_id)
        query = query.where(or_(Payment.unit_id == unit_id, Payment.quota_no.in_(own)))
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


def years_with_data(session: Session) -> list[int]:
    """Budget years with quota lines or payments."""
    quota = select(QuotaLine.budget_year).distinct()
    paid = select(Payment.budget_year).distinct()
    return sorted(set(session.scalars(quota)) | set(session.scalars(paid)))


def years_with_payments(session: Session) -> list[int]:
    return list(session.scalars(select(Payment.budget_year).distinct().order_by(Payment.budget_year)))
