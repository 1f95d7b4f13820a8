"""Read-side queries. Sums run in SQL (GROUP BY), never by loading payments into Python."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from db.models import Department, Payment, QuotaLine, Unit
from db.types import Money
from monitor.money import ZERO

# Only paid rows count; a negative row (a 退回 voucher) counts with its sign.
counted_amount = case((Payment.status == "paid", Payment.amount), else_=0)


@dataclass(frozen=True)
class UnitTotals:
    department_code: str | None
    unit_code: str
    unit_name: str
    budget: Decimal
    paid: Decimal


def unit_totals(session: Session, budget_year: int, as_of: dt.date) -> list[UnitTotals]:
    """Current budget and cumulative paid up to ``as_of`` for each unit of a year."""
    budgets = (
        select(QuotaLine.unit_id, func.sum(QuotaLine.current).label("budget"))
        .where(QuotaLine.budget_year == budget_year)
        .group_by(QuotaLine.unit_id)
        .subquery()
    )
    paid = (
        select(Payment.unit_id, func.sum(counted_amount).label("paid"))
        .where(and_(Payment.budget_year == budget_year, Payment.pay_date <= as_of))
        .group_by(Payment.unit_id)
        .subquery()
    )
    query = (
        select(Department.code, Unit.code, Unit.name,
               func.coalesce(budgets.c.budget, 0).label("budget"),
               func.coalesce(paid.c.paid, 0).label("paid"))
        .select_from(Unit)
        .outerjoin(Department, Department.id == Unit.department_id)
        .outerjoin(budgets, budgets.c.unit_id == Unit.id)
        .outerjoin(paid, paid.c.unit_id == Unit.id)
        .where((budgets.c.budget.is_not(None)) | (paid.c.paid.is_not(None)))
        .order_by(Unit.code)
    )
    money = Money()
    return [
        UnitTotals(dep, code, name, money.process_result_value(budget, None) or ZERO,
                   money.process_result_value(paid_fen, None) or ZERO)
        for dep, code, name, budget, paid_fen in session.execute(query)
    ]
