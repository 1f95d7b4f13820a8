"""Adjustment exports (调整单) through the real importer: a 调剂 is two rows under one number, and
an adjustment that cannot be true (a cut larger than its line, a negative 追加, a line or year no
quota export has) is refused with the problem named and the database untouched."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from db.engine import transaction
from db.models import Adjustment
from jobs.execution import ExecutionSettings, scores, status
from jobs.ingest import ingest_file
from tests.conftest import NOW
from tests.helpers import adjustment, adjustment_rows, ingest_rows, quota_export, quota_line, snapshot, write_csv

A = "901001 - 市测试局本级"
B = "901002 - 市测试中心"
JAN3 = dt.date(2023, 1, 3)


@pytest.fixture
def lines(factory, tmp_path):
    ingest_rows(factory, tmp_path / "q.csv", quota_export(
        JAN3, quota_line("ZB1", A, "40870.00"), quota_line("ZB2", A, "100000.00"),
        quota_line("ZB3", B, "500000.00")), now=NOW)
    return factory


def refused(factory, tmp_path, *rows, name="adj.csv"):
    outcome = ingest_file(factory, write_csv(tmp_path / name, adjustment_rows(*rows)), now=NOW)
    assert outcome.status == "refused"
    return outcome


def _card(cards, level, code):
    return next(c for c in cards if (c.level, c.code) == (level, code))


def _inputs(card, key):
    return {i.name: i.value for i in next(i for i in card.indicators if i.key == key).inputs}


# --- case 3: a transfer is two-sided -----------------------------------------------------------


def test_a_transfer_written_as_two_rows_under_one_number_is_taken_and_moves_both_lines(lines, tmp_path):
    outcome = ingest_rows(lines, tmp_path / "t.csv", adjustment_rows(
        adjustment("TJ1", "2023-05-01", "ZB2", "调剂", "-30000.00", reason="调剂至印刷费"),
        adjustment("TJ1", "2023-05-01", "ZB1", "调剂", "30000.00", reason="调剂至印刷费")), now=NOW)
    assert (outcome.inserted, outcome.unchanged) == (2, 0)
    budgets = {s.entity.code: s.entity.budget
               for s in status(lines, year=2023, as_of=dt.date(2023, 6, 1), settings=ExecutionSettings()).statuses
               if s.entity.level == "quota_line"}
    assert (budgets["ZB1"], budgets["ZB2"]) == (D("70870.00"), D("70000.00"))
    # counted once: the transfer moves 30,000 inside the unit (and the department)
    cards = scores(lines, year=2023, as_of=dt.date(2023, 6, 1), settings=ExecutionSettings())
    unit = _inputs(_card(cards, "unit", "901001"), "adjustment_rate")
    assert (unit["adjusted"], unit["counted"], unit["source"]) == (D("30000.00"), ("TJ1",), "adjustments")
    assert _inputs(_card(cards, "department", "901"), "adjustment_rate")["adjusted"] == D("30000.00")
    # the same file again: nothing changes; both sides are still there
    again = ingest_file(lines, write_csv(tmp_path / "t2.csv", adjustment_rows(
        adjustment("TJ1", "2023-05-01", "ZB2", "调剂", "-30000.00", reason="调剂至印刷费 "),
        adjustment("TJ1", "2023-05-01", "ZB1", "调剂", "30000.00", reason="调剂至印刷费 "))), now=NOW)
    assert again.status == "ingested"
    with transaction(lines) as session:
        assert sorted(session.execute(select(Adjustment.adjustment_no, Adjustment.quota_no, Adjustment.amount))) == [
            ("TJ1", "ZB1", D("30000.00")), ("TJ1", "ZB2", D("-30000.00"))]


def test_a_transfer_to_another_unit_counts_for_the_side_each_unit_has(lines, tmp_path):
    ingest_rows(lines, tmp_path / "t.csv", adjustment_rows(
        adjustment("TJ2", "2023-05-01", "ZB3", "调剂", "-20000.00"),
        adjustment("TJ2", "2023-05-01", "ZB2", "调剂", "20000.00")), now=NOW)
    cards = scores(lines, year=2023, as_of=dt.date(2023, 6, 1), settings=ExecutionSettings())
    assert _inputs(_card(cards, "unit", "901001"), "adjustment_rate")["adjusted"] == D("20000.00")
    assert _inputs(_card(cards, "unit", "901002"), "adjustment_rate")["adjusted"] == D("20000.00")
    assert _inputs(_card(cards, "department", "901"), "adjustment_rate")["adjusted"] == D("20000.00")


def test_a_transfer_whose_rows_do_not_net_to_zero_is_refused(lines, engine, tmp_path):
    before = snapshot(engine)
    outcome = refused(lines, tmp_path, adjustment("TJ3", "2023-05-01", "ZB2", "调剂", "-30000.00"),
                      adjustment("TJ3", "2023-05-01", "ZB1", "调剂", "25000.00"))
    assert [(p.code, p.row, p.column) for p in outcome.problems] == [("transfer_unbalanced", 3, "调整金额")]
    assert "合计 -5,000.00，不为零" in outcome.problems[0].message("zh")
    assert snapshot(engine) == before


def test_one_document_with_two_different_rows_for_the_same_line_is_still_a_duplicate(lines, tmp_path):
    outcome = refused(lines, tmp_path, adjustment("TZ1", "2023-05-01", "ZB1", "追加", "100.00"),
                      adjustment("TZ1", "2023-05-01", "ZB1", "追加", "200.00"))
    assert [p.code for p in outcome.problems] == ["duplicate_key"]


# --- case 13: adjustments that cannot be true --------------------------------------------------


def test_a_cut_larger_than_its_line_is_refused_naming_the_row_column_and_the_line_s_budget(lines, engine, tmp_path):
    before = snapshot(engine)
    outcome = refused(lines, tmp_path, adjustment("TZ9", "2023-05-01", "ZB1", "追减", "-99999999.00"))
    assert [(p.code, p.row, p.column) for p in outcome.problems] == [("adjustment_exceeds_line", 2, "调整金额")]
    text = outcome.problems[0].message("zh")
    assert "ZB1" in text and "40,870.00" in text and "-99,959,129.00" in text
    assert "40,870.00" in outcome.problems[0].message("en")
    assert snapshot(engine) == before
    department = next(s for s in status(lines, year=2023, as_of=dt.date(2023, 6, 1),
                                        settings=ExecutionSettings()).statuses if s.entity.level == "department")
    assert department.entity.budget == D("640870.00")


def test_cuts_of_one_file_add_up_against_their_line(lines, tmp_path):
    outcome = refused(lines, tmp_path, adjustment("TZ1", "2023-04-01", "ZB1", "追减", "-30000.00"),
                      adjustment("TZ2", "2023-05-01", "ZB1", "追减", "-20000.00"))
    assert [(p.code, p.row) for p in outcome.problems] == [("adjustment_exceeds_line", 3)]
    # a cut that the file's own addition funds first is fine
    ingest_rows(lines, tmp_path / "ok.csv", adjustment_rows(
        adjustment("TZ3", "2023-04-01", "ZB1", "追加", "20000.00"),
        adjustment("TZ4", "2023-05-01", "ZB1", "追减", "-60000.00")), now=NOW)


def test_a_negative_addition_and_a_positive_cut_are_refused(lines, tmp_path):
    outcome = refused(lines, tmp_path, adjustment("TZ1", "2023-04-01", "ZB2", "追加", "-500.00"),
                      adjustment("TZ2", "2023-04-01", "ZB2", "追减", "500.00"))
    assert [(p.code, p.row, p.column) for p in outcome.problems] == [
        ("adjustment_sign", 2, "调整金额"), ("adjustment_sign", 3, "调整金额")]
    assert "调整类型为追加，调整金额却是 -500.00" in outcome.problems[0].message("zh")
    assert "addition" in outcome.problems[0].message("en")


def test_a_cut_of_a_line_no_quota_export_has_is_refused(lines, tmp_path):
    outcome = refused(lines, tmp_path, adjustment("TZ1", "2023-04-01", "ZB404", "追减", "-500.00"))
    assert [(p.code, p.row, p.column, p.value) for p in outcome.problems] == [
        ("adjustment_unknown_line", 2, "指标明细号", "ZB404")]


def test_an_adjustment_of_a_year_without_quota_lines_is_refused(lines, engine, tmp_path):
    before = snapshot(engine)
    outcome = refused(lines, tmp_path, adjustment("TZ1", "2024-04-01", "ZB1", "追加", "500.00"))
    assert [(p.code, p.row, p.column) for p in outcome.problems] == [("adjustment_unknown_year", 2, "调整日期")]
    assert "2024" in outcome.problems[0].message("zh")
    assert snapshot(engine) == before


def test_migration_0007_keeps_the_stored_adjustments_both_ways(lines, engine, tmp_path):
    from db.migrate import downgrade, is_current, upgrade

    ingest_rows(lines, tmp_path / "a.csv", adjustment_rows(
        adjustment("TZ1", "2023-04-01", "ZB1", "追加", "100.00"),
        adjustment("TZ2", "2023-04-02", "ZB2", "追减", "-50.00")), now=NOW)

    def stored():
        with engine.connect() as connection:
            return sorted(connection.exec_driver_sql(
                "SELECT adjustment_no, quota_no, amount FROM adjustments").all())

    before = stored()
    downgrade(engine, "0006")
    assert stored() == before
    upgrade(engine)
    assert is_current(engine) and stored() == before == [("TZ1", "ZB1", 10000), ("TZ2", "ZB2", -5000)]
    ingest_rows(lines, tmp_path / "t.csv", adjustment_rows(  # and a two-sided transfer is taken after it
        adjustment("TJ1", "2023-05-01", "ZB2", "调剂", "-10.00"),
        adjustment("TJ1", "2023-05-01", "ZB1", "调剂", "10.00")), now=NOW)
    assert len(stored()) == 4
