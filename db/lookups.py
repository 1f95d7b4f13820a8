"""Small reads the commands need: names and codes of departments and units, the latest target
year, a target's previous progress report, the stored amounts a payment export is checked
against. Queries live here so the CLI stays a thin layer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Department, Payment, PerformanceTarget, Project, QuotaLine, TargetProgress, Unit


def department_name(session: Session, code: str) -> str | None:
    return session.scalar(select(Department.name).where(Department.code == code))


def unit_departments(session: Session) -> dict[str, str]:
    """unit code → department code."""
    rows = session.execute(select(Unit.code, Department.code).join(Department, Department.id == Unit.department_id))
    return {unit: department for unit, department in rows}


def known_codes(session: Session) -> dict[str, dict[str, str]]:
    """The codes the exports brought in, by kind ("department", "unit", "project") → code → name;
    a unit's name carries its department code after a tab (what [[people]] is checked against)."""
    units = session.execute(select(Unit.code, Unit.name, Department.code)
                            .outerjoin(Department, Department.id == Unit.department_id))
    return {"department": {code: name for code, name in session.execute(select(Department.code, Department.name))},
            "unit": {code: f"{name}\t{department or ''}" for code, name, department in units},
            "project": {code: name for code, name in session.execute(select(Project.code, Project.name))}}


def unit_id(session: Session, code: str) -> int | None:
    return session.scalar(select(Unit.id).where(Unit.code == code))


def latest_target_year(session: Session) -> int | None:
    """The latest budget year with performance targets, if any."""
    return session.scalar(select(func.max(PerformanceTarget.budget_year)))


def stored_target(session: Session, target_id: int) -> PerformanceTarget | None:
    return session.get(PerformanceTarget, target_id)


def previous_report(session: Session, target_id: int, before: dt.date) -> tuple[dt.date, Decimal] | None:
    """(date, actual) of the latest progress report of a target dated before ``before``."""
    row = session.execute(
        select(TargetProgress.reported_on, TargetProgress.actual)
        .where(TargetProgress.target_id == target_id, TargetProgress.reported_on < before)
        .order_by(TargetProgress.reported_on.desc()).limit(1)).first()
    return None if row is None else (row.reported_on, row.actual)


_CHUNK = 500  # bound parameters per IN list (SQLite allows 999 in old builds)


def payment_amounts(session: Session, year: int, payment_nos: Collection[str]) -> dict[str, Decimal]:
    """payment_no → stored amount (yuan) of the payments of ``year`` named."""
    wanted, found = sorted(set(payment_nos)), dict[str, Decimal]()
    for start in range(0, len(wanted), _CHUNK):
        found.update((no, amount) for no, amount in session.execute(select(Payment.payment_no, Payment.amount).where(
            Payment.budget_year == year, Payment.payment_no.in_(wanted[start:start + _CHUNK]))))
    return found


def line_budgets(session: Session, year: int, quota_nos: Collection[str]) -> dict[str, Decimal]:
    """quota_no → the stored budget (调整后, yuan) of the quota lines of ``year`` named."""
    wanted, found = sorted(set(quota_nos)), dict[str, Decimal]()
    for start in range(0, len(wanted), _CHUNK):
        found.update((no, budget) for no, budget in session.execute(select(QuotaLine.quota_no, QuotaLine.current).where(
            QuotaLine.budget_year == year, QuotaLine.quota_no.in_(wanted[start:start + _CHUNK]))))
    return found
