"""Payments no quota export explains: on a 指标明细号 the year's quota lines do not have, or
(without one) of a unit that has no quota line that year. They are accepted and kept; the import
outcome lists them, ``status`` and ``health`` show them until the quota export that explains
them arrives. A payment of a unit with no quota line at all is left out of the execution
figures (db/figures.py): a unit with no budget is not a unit at 0 budget overspent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from sqlalchemy import BigInteger, and_, case, exists, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from db.dimensions import SHOWN, Note, chunks
from db.models import Department, Payment, QuotaLine, Unit
from db.queries import counted_amount
from monitor.execution import LineFigures, counts_as_paid
from monitor.money import from_fen


@dataclass(frozen=True)
class UnmatchedUnit:
    code: str | None
    name: str | None
    department_code: str | None
    payments: int
    amount: Decimal  # counted (paid, net of reversal vouchers)
    budgeted: bool  # the unit has quota lines of the year (its unmatched payments count for it)


@dataclass(frozen=True)
class Unmatched:
    year: int
    payments: int
    amount: Decimal
    units: tuple[UnmatchedUnit, ...]
    quota_nos: tuple[str, ...]  # the first few 指标明细号 they name


def _unmatched(year: int):
    """The condition on Payment rows of ``year`` that no quota line explains."""
    known_line = exists().where(QuotaLine.budget_year == year, QuotaLine.quota_no == Payment.quota_no)
    unit_has_lines = exists().where(QuotaLine.budget_year == year, QuotaLine.unit_id == Payment.unit_id)
    return and_(Payment.budget_year == year,
                or_(and_(Payment.quota_no.is_not(None), ~known_line),
                    and_(Payment.quota_no.is_(None), ~unit_has_lines)))


def unmatched_payments(session: Session, year: int, as_of: dt.date | None = None) -> Unmatched:
    """The year's unmatched payments (paid on or before ``as_of``), by unit."""
    where = [_unmatched(year)] + ([Payment.pay_date <= as_of] if as_of is not None else [])
    has_lines = exists().where(QuotaLine.budget_year == year, QuotaLine.unit_id == Payment.unit_id)
    rows = session.execute(
        select(Unit.code, Unit.name, Department.code, has_lines.label("budgeted"), func.count(),
               func.coalesce(func.sum(type_coerce(counted_amount, BigInteger)), 0))
        .select_from(Payment)
        .outerjoin(Unit, Unit.id == Payment.unit_id)
        .outerjoin(Department, Department.id == Unit.department_id)
        .where(*where)
        .group_by(Unit.code, Unit.name, Department.code, has_lines)
        .order_by(Unit.code)).all()
    units = tuple(UnmatchedUnit(code, name, dep, int(n), from_fen(int(fen)), bool(budgeted))
                  for code, name, dep, budgeted, n, fen in rows)
    numbers = select(Payment.quota_no).where(*where, Payment.quota_no.is_not(None)).distinct()
    quota_nos = tuple(str(q) for q in session.scalars(numbers.order_by(Payment.quota_no).limit(SHOWN)))
    return Unmatched(year, sum(u.payments for u in units), sum((u.amount for u in units), Decimal(0)),
                     units, quota_nos)


def unmatched_in_file(session: Session, row_numbers: Sequence[int], rows: Sequence[dict]) -> list[Note]:
    """A note listing the rows of a payment file that no stored quota line explains (none: [])."""
    years = {r["budget_year"] for r in rows}
    lines: set[tuple[int, str]] = set()
    budgeted: set[tuple[int, int]] = set()
    for year in years:
        numbers = sorted({r["quota_no"] for r in rows if r["budget_year"] == year and r["quota_no"]})
        for chunk in chunks(numbers):
            lines.update((year, q) for q in session.scalars(
                select(QuotaLine.quota_no).where(QuotaLine.budget_year == year, QuotaLine.quota_no.in_(chunk))))
        budgeted.update((year, u) for u in session.scalars(
            select(QuotaLine.unit_id).where(QuotaLine.budget_year == year).distinct()))
    found = [(n, r) for n, r in zip(row_numbers, rows)
             if ((r["budget_year"], r["quota_no"]) not in lines if r["quota_no"]
                 else (r["budget_year"], r["unit_id"]) not in budgeted)]
    if not found:
        return []
    unit_codes = {id_: code for id_, code in session.execute(
        select(Unit.id, Unit.code).where(Unit.id.in_({r["unit_id"] for _, r in found if r["unit_id"]})))}
    amount = sum(r["amount"] for _, r in found if counts_as_paid(r["status"], r["amount"]))
    shown = [(n, r["payment_no"], r["quota_no"] or "—", unit_codes.get(r["unit_id"], "—")) for n, r in found[:SHOWN]]
    more = "…" if len(found) > SHOWN else ""
    return [Note("unmatched_payments", MappingProxyType({
        "count": len(found), "amount": f"{from_fen(int(amount)):,}",
        "rows": "；".join(f"第 {n} 行 {p}（指标 {q}，单位 {u}）" for n, p, q, u in shown) + more,
        "rows_en": "; ".join(f"row {n} {p} (line {q}, unit {u})" for n, p, q, u in shown) + more}))]


def phantom_lines(session: Session, year: int, as_of: dt.date) -> list[tuple[LineFigures, dt.date | None]]:
    """The payments of units with no quota line of ``year`` (left out of the figures), one line
    per (指标明细号, unit) as the payments name them, at budget 0, with the latest payment's date:
    what the evaluation's ``no_budget`` tells the unit's finance staff until the quota export
    that explains them arrives."""
    has_lines = exists().where(QuotaLine.budget_year == year, QuotaLine.unit_id == Payment.unit_id)
    known_line = exists().where(QuotaLine.budget_year == year, QuotaLine.quota_no == Payment.quota_no)
    rows = session.execute(
        select(Payment.quota_no, Unit.code, Unit.name, Department.code, Department.name,
               func.coalesce(func.sum(type_coerce(counted_amount, BigInteger)), 0),
               func.max(case((and_(Payment.status == "paid", Payment.amount > 0), Payment.pay_date))))
        .select_from(Payment)
        .outerjoin(Unit, Unit.id == Payment.unit_id)
        .outerjoin(Department, Department.id == Unit.department_id)
        .where(Payment.budget_year == year, Payment.pay_date <= as_of, ~has_lines,
               or_(Payment.quota_no.is_(None), ~known_line))
        .group_by(Payment.quota_no, Unit.code, Unit.name, Department.code, Department.name)
        .order_by(Unit.code, Payment.quota_no)).all()
    found = []
    for quota_no, unit, unit_name, dep, dep_name, fen, last in rows:
        paid = from_fen(int(fen))
        if paid <= 0:
            continue
        found.append((LineFigures(quota_no or "?", dep or "?", dep_name or "", unit or "?", unit_name or "", None,
                                  None, None, None, None, None, False, Decimal(0), Decimal(0), paid), last))
    return found
