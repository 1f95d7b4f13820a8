"""The checks of an adjustment export (调整单) against the stored quota lines.

Each adjustment must be of a year that has quota lines; a cut (or the side a 调剂 leaves) must
name a line the year's quota exports hold (an addition may create a line that a later quota
export shows first), and no cut may take a line below zero: the line's budget in force the day before, moved by the
file's own rows of that line up to that day (those not stored yet, and those of the same day).
Every problem names its row, its column and the line's budget; nothing is written here.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy.orm import Session, sessionmaker

from db.engine import transaction
from db.figures import LineBudgetsBefore, budgets_before
from jobs.ingest.problems import problem
from jobs.ingest.records import Context
from monitor.money import from_fen, to_fen


class LineBudgets:
    """Reads the lines' budgets for the checks (one short read transaction)."""

    def __init__(self, factory: sessionmaker[Session]):
        self.factory = factory

    def __call__(self, year: int, quota_nos: list[str], days: list[dt.date]) -> LineBudgetsBefore | None:
        with transaction(self.factory) as session:
            return budgets_before(session, year, quota_nos, days)


def finish_adjustments(context: Context, records: pd.DataFrame, budget_year: int, catalog) -> pd.DataFrame:
    """``catalog.line_budgets`` (a ``LineBudgets``) reads the database; without it (a file checked
    on its own) these checks are left out."""
    budgets_of = getattr(catalog, "line_budgets", None)
    if budgets_of is None:
        return records
    years = (records["budget_year"].where(records["budget_year"].notna(), budget_year)
             if "budget_year" in records else pd.Series(budget_year, index=records.index))
    for year in sorted({int(y) for y in years}):
        rows = records[(years == year) & records["quota_no"].notna() & records["adjusted_on"].notna()
                       & records["amount"].notna()]
        if rows.empty:
            continue
        found = budgets_of(year, sorted(set(rows["quota_no"])), sorted(set(rows["adjusted_on"])))
        if found is None:
            context.log.add(problem("adjustment_unknown_year", row=int(rows.index[0]),
                                    column=context.names.get("adjusted_on"), value=str(year), year=year))
            continue
        _check_lines(context, rows, year, found)
    return records


def _check_lines(context: Context, rows: pd.DataFrame, year: int, found: LineBudgetsBefore) -> None:
    known = {quota_no for quota_no, _ in found.budgets}
    ordered = rows.sort_values("adjusted_on", kind="stable")
    sides = list(zip(ordered.index, ordered["adjustment_no"], ordered["quota_no"], ordered["adjusted_on"],
                     (int(a) for a in ordered["amount"])))
    for row, _number, quota_no, day, amount in sides:
        if quota_no not in known:
            if amount > 0:  # a line is created by its first addition; its quota export may come later
                continue
            context.log.add(problem("adjustment_unknown_line", row=int(row), column=context.names.get("quota_no"),
                                    value=quota_no, quota_no=quota_no, year=year))
            continue
        if amount >= 0:
            continue
        before = to_fen(found.budgets[quota_no, day])
        # The database's figure holds the stored adjustments dated before ``day``.
        moved = sum(a for _, n, q, d, a in sides
                    if q == quota_no and (d == day or (d < day and (n, q) not in found.stored)))
        after = before + moved
        if after < 0:
            context.log.add(problem("adjustment_exceeds_line", row=int(row), column=context.names.get("amount"),
                                    value=f"{from_fen(amount):,}", amount=f"{from_fen(-amount):,}",
                                    quota_no=quota_no, date=day.isoformat(), budget=f"{from_fen(before):,}",
                                    after=f"{from_fen(after):,}"))
