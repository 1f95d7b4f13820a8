"""Read-side queries. Sums run in SQL (GROUP BY), never by loading payments into Python."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from db.models import Department, Payment, QuotaLine, Unit
from monitor.money import ZERO

# What counts as paid: rows 已支付, and negative rows marked 已退回 — those are the reversal
# vouchers themselves (退回凭证) and subtract. A positive row marked 已退回 is a payment that was
# returned, and a 已作废 / pending row was never paid: neither counts.
counted_amount = case(
    (Payment.status == "paid", Payment.amount),
    (and_(Payment.status == "returned", Payment.amount < 0), Payment.amount),
    else_=0,
)


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
    # coalesce() keeps the Money type of its first argument, so the sums come back as Decimal.
    return [UnitTotals(dep, code, name, budget or ZERO, paid_amount or ZERO)
            for dep, code, name, budget, paid_amount in session.execute(query)]
