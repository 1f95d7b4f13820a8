"""A later export that leaves a column out (another vendor's layout, a trimmed copy) does not
erase what an earlier export said: payments keep their quota line and unit (found by a new user:
a payment file without 指标明细号 unlinked 40 stored payments, and the good file, already
imported, could not repair it)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from db.engine import transaction
from db.models import Payment
from tests.conftest import NOW
from tests.helpers import ingest_rows, payment, payment_rows, quota_export, quota_line

A = "901001 - 市测试局本级"


def test_a_payment_export_without_the_quota_column_keeps_each_payments_quota_line(factory, tmp_path):
    ingest_rows(factory, tmp_path / "q.csv", quota_export(dt.date(2023, 1, 3), quota_line("ZB1", A, "600000.00")),
                now=NOW)
    ingest_rows(factory, tmp_path / "p.csv", payment_rows(
        payment("P1", "2023-02-10", "60,000.00", unit=A, quota="ZB1")), now=NOW)
    trimmed = [row[:3] + row[4:] for row in payment_rows(
        payment("P1", "2023-02-10", "61,000.00", unit=A, quota="ZB1"), title=False)]  # no 指标明细号 column
    outcome = ingest_rows(factory, tmp_path / "p2.csv", trimmed, now=NOW)
    assert outcome.updated == 1, "its new amount is taken"
    with transaction(factory) as session:
        (stored,) = session.scalars(select(Payment)).all()
    assert stored.quota_no == "ZB1" and stored.unit_id is not None and stored.amount == 61000
