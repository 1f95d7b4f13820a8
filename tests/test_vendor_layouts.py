"""The same department's year exported by different vendors' systems (tests/vendor_layouts.py):
each layout is imported through the real importer into a real database, and its figures (lines,
budgets, payments and adjustments per unit) must equal the sums of the generated records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from db.engine import transaction
from db.models import Adjustment, Payment, QuotaLine, Unit
from db.queries import unit_totals
from jobs.ingest import ingest_paths
from tests.vendor_layouts import STYLES, YEAR, Records, adjustment_table, generate, payment_table, quota_table, write

RECORDS = generate()


def _import(factory, tmp_path, style, now, records: Records = RECORDS):
    paths = [write(tmp_path / f"{style.name}-{kind}", table(records, style), style)
             for kind, table in (("quota", quota_table), ("payments", payment_table),
                                 ("adjustments", adjustment_table))]
    outcomes = ingest_paths(factory, paths, now=now)
    for outcome in outcomes:
        assert outcome.status == "ingested", [p.describe(outcome.path.name, "en") for p in outcome.problems]
    return outcomes


@pytest.mark.parametrize("style", STYLES, ids=[s.name for s in STYLES])
def test_each_vendor_layout_imports_every_figure_of_the_records(factory, tmp_path, now, style):
    quota, payments, adjustments = _import(factory, tmp_path, style, now)
    assert (quota.kind, quota.rows, quota.budget_year) == ("quota", len(RECORDS.lines), YEAR)
    assert (payments.kind, payments.rows) == ("payments", len(RECORDS.payments))
    assert (adjustments.kind, adjustments.rows) == ("adjustments", len(RECORDS.adjustments))
    with transaction(factory) as session:
        totals = {t.unit_code: t for t in unit_totals(session, YEAR, dt.date(YEAR, 12, 31))}
        assert {u: t.budget for u, t in totals.items()} == RECORDS.budget_by_unit()
        assert {u: t.paid for u, t in totals.items()} == RECORDS.paid_by_unit()
        assert session.scalar(select(func.sum(QuotaLine.current))) == sum(RECORDS.budget_by_unit().values())
        adjusted = dict(session.execute(select(Unit.code, func.sum(Adjustment.amount))
                                        .join(QuotaLine, QuotaLine.quota_no == Adjustment.quota_no)
                                        .join(Unit, Unit.id == QuotaLine.unit_id).group_by(Unit.code)).all())
        assert adjusted == RECORDS.adjusted_by_unit()
        names = dict(session.execute(select(Unit.code, Unit.name)).all())
        assert names == {line.unit[0]: line.unit[1] for line in RECORDS.lines}
        assert session.scalar(select(func.count()).select_from(Payment)) == len(RECORDS.payments)


def test_the_records_are_a_plausible_year(now):
    """The generator itself: four units, payments of every status, reversals, cuts and additions."""
    assert len({line.unit for line in RECORDS.lines}) == 4
    assert {p.status for p in RECORDS.payments} == {"paid", "voided", "pending", "returned"}
    assert any(p.amount < 0 for p in RECORDS.payments)
    assert {a.amount > 0 for a in RECORDS.adjustments} == {True, False}
    assert sum(RECORDS.paid_by_unit().values()) < sum(RECORDS.budget_by_unit().values())
    assert all(isinstance(v, Decimal) for v in RECORDS.paid_by_unit().values())
