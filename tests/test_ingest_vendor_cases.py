"""Issue 16, cases 1, 2, 5, 14 and 15: real exports as the vendors write them, each a real file
through the real importer into a real database."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal

from click.testing import CliRunner
from sqlalchemy import select

from db.engine import transaction
from db.models import Import, Payment, QuotaLine
from db.queries import unit_totals
from jobs.cli.app import cli
from jobs.ingest import ingest_file
from jobs.ingest.headers import BY_KIND, COMMON, KINDS, normalize_header
from jobs.ingest.report import outcome_lines
from tests.helpers import payment, payment_rows, snapshot, write_csv, write_xlsx

UNIT_A, UNIT_B = ("312001", "乌鲁木齐市水务局"), ("312002", "乌鲁木齐市水利工程管理站")
QUOTA_HEADER = ["预算单位名称", "指标明细号", "单位编码", "经济分类", "年初预算数", "调整数", "调整后预算数"]


def quota(no: str, unit, initial: str, adjustment: str = "0.00", name: str | None = None) -> list[str]:
    current = Decimal(initial) + Decimal(adjustment)
    return [name or unit[1], no, unit[0], "30201 - 办公费", initial, adjustment, f"{current:.2f}"]


def totals(label: str, *rows: list[str]) -> list[str]:
    return [label, "", "", "", *(f"{sum(Decimal(r[i]) for r in rows):.2f}" for i in (4, 5, 6))]


def codes(outcome):
    return [p.code for p in outcome.problems]


# --- case 1: subtotal rows that carry a name ---------------------------------------------------

A1, A2 = quota("ZB2023-001", UNIT_A, "1000.00", "200.00"), quota("ZB2023-002", UNIT_A, "500.50")
B1 = quota("ZB2023-003", UNIT_B, "3000.00", "-100.00")


def test_named_subtotals_are_skipped_and_the_grand_total_is_checked_against_the_detail_rows(factory, tmp_path, now):
    rows = [["2023年指标明细账"], QUOTA_HEADER, A1, A2, totals("乌鲁木齐市水务局 小计", A1, A2),
            B1, totals("312002小计", B1), totals("本单位小计", B1), totals("合计：", A1, A2, B1)]
    outcome = ingest_file(factory, write_xlsx(tmp_path / "指标.xlsx", rows), now=now)
    assert (outcome.status, outcome.rows) == ("ingested", 3), codes(outcome)
    with transaction(factory) as session:
        budgets = {t.unit_code: t.budget for t in unit_totals(session, 2023, dt.date(2023, 12, 31))}
    assert budgets == {"312001": Decimal("1700.50"), "312002": Decimal("2900.00")}


def test_a_grand_total_that_counts_the_subtotals_again_is_refused(factory, engine, tmp_path, now):
    before = snapshot(engine)
    doubled = totals("总计", A1, A2, totals("x", A1, A2), B1, totals("x", B1))
    rows = [QUOTA_HEADER, A1, A2, totals("乌鲁木齐市水务局 小计", A1, A2), B1,
            totals("乌鲁木齐市水利工程管理站 小计", B1), doubled]
    outcome = ingest_file(factory, write_csv(tmp_path / "指标_2023.csv", rows), now=now)
    assert codes(outcome) == ["totals_mismatch"] * 3 and outcome.problems[0].row == 7
    assert snapshot(engine) == before


def test_a_unit_s_subtotal_is_checked_against_that_unit_s_rows(factory, tmp_path, now):
    wrong = totals("乌鲁木齐市水务局 小计", A1)  # leaves A2 out
    rows = [QUOTA_HEADER, A1, A2, wrong, B1, totals("合计", A1, A2, B1)]
    outcome = ingest_file(factory, write_csv(tmp_path / "指标_2023.csv", rows), now=now)
    assert codes(outcome) == ["subtotal_mismatch"] * 2 and outcome.problems[0].row == 4  # 年初 and 调整后
    assert "“乌鲁木齐市水务局”的小计为 1,000.00，而该单位明细之和为 1,500.50" in outcome.problems[0].message("zh")


def test_a_line_whose_name_contains_the_word_total_is_a_line_not_a_total(factory, tmp_path, now):
    named = quota("ZB2023-009", UNIT_B, "80.00", name="合计项目")
    rows = [QUOTA_HEADER, A1, named, totals("合计", A1, named)]
    outcome = ingest_file(factory, write_csv(tmp_path / "指标_2023.csv", rows), now=now)
    assert (outcome.status, outcome.rows) == ("ingested", 2), codes(outcome)
    keyless = [*named[:1], "", *named[2:]]
    refused = ingest_file(factory, write_csv(tmp_path / "指标2_2023.csv", [QUOTA_HEADER, A1, keyless]), now=now)
    assert [(p.code, p.row) for p in refused.problems] == [("missing_value", 3)], "a keyless 合计项目 is no total"


# --- case 2: rows that do not count need no payment date ---------------------------------------

def test_voided_and_pending_payments_without_a_date_are_taken_and_counted_in_the_outcome(factory, tmp_path, now):
    rows = [payment(f"ZF{n:04d}", f"2023-03-{1 + n % 28:02d}", "10.00") for n in range(1418)]
    rows += [payment("ZF9001", "", "99.00", status="已作废"), payment("ZF9002", "", "5.00", status="待支付")]
    outcome = ingest_file(factory, write_csv(tmp_path / "支付.csv", payment_rows(*rows)), now=now)
    assert (outcome.status, outcome.rows) == ("ingested", 1420), codes(outcome)
    assert outcome.reading == {"not_counted": 2, "undated": 2}
    assert outcome_lines(outcome)[1] == "  其中 2 行不计入支付（已作废、待支付或已退回），照收；其中 2 行无支付日期"
    assert "2 of the rows do not count as paid" in outcome_lines(outcome, "en")[1]
    dated = ingest_file(factory, write_csv(tmp_path / "支付2.csv", payment_rows(
        payment("ZF9101", "2023-03-02", "99.00", status="已作废"))), now=now)
    assert outcome_lines(dated)[1] == "  其中 1 行不计入支付（已作废、待支付或已退回），照收"  # no "0 行无支付日期"
    with transaction(factory) as session:
        assert [t.paid for t in unit_totals(session, 2023, dt.date(2023, 12, 31))] == [Decimal("14180.00")]
        assert session.scalar(select(Import.detail)).get("reading") == {"not_counted": 2, "undated": 2}


def test_a_paid_row_still_needs_its_date(factory, engine, tmp_path, now):
    before = snapshot(engine)
    rows = payment_rows(payment("ZF1", "2023-03-01", "1.00"), payment("ZF2", "", "2.00"))
    outcome = ingest_file(factory, write_csv(tmp_path / "支付.csv", rows), now=now)
    assert [(p.code, p.row) for p in outcome.problems] == [("missing_value", 5)]
    assert snapshot(engine) == before


def test_a_later_export_that_voids_a_payment_without_a_date_keeps_the_stored_date(factory, tmp_path, now):
    first = [["支付明细 截至2023年3月31日"], *payment_rows(payment("ZF1", "2023-03-05", "40.00"), title=False)]
    ingest_file(factory, write_csv(tmp_path / "q1.csv", first), now=now)
    later = [["支付明细 截至2023年6月30日"], *payment_rows(payment("ZF1", "", "40.00", status="已作废"), title=False)]
    outcome = ingest_file(factory, write_csv(tmp_path / "h1.csv", later), now=now)
    assert outcome.status == "ingested", codes(outcome)
    with transaction(factory) as session:
        stored = session.scalar(select(Payment))
        assert (stored.status, stored.pay_date) == ("voided", dt.date(2023, 3, 5))


# --- case 5: the year from the file name, the ids or the 文号 ------------------------------------

QUOTA_NO_YEAR = ["指标明细号", "指标文号", "预算单位", "年初预算数", "调整数", "调整后预算数"]


def line(no: str, doc: str = "") -> list[str]:
    return [no, doc, "312001 - 乌鲁木齐市水务局", "100.00", "0.00", "100.00"]


def test_a_quota_export_without_a_year_takes_it_from_its_file_name_and_says_so(factory, tmp_path, now):
    rows = [["单位指标额度查询导出明细表"], QUOTA_NO_YEAR, line("ZB0001"), line("ZB0002")]
    outcome = ingest_file(factory, write_xlsx(tmp_path / "指标明细_2023.xlsx", rows), now=now)
    assert (outcome.status, outcome.budget_year) == ("ingested", 2023), codes(outcome)
    assert outcome_lines(outcome)[1] == "  预算年度 2023 取自文件名（文件中没有“预算年度”列，标题中也没有年份）"
    assert "taken from the file name" in outcome_lines(outcome, "en")[1]


def test_the_year_is_taken_from_the_document_numbers_when_nothing_else_tells(factory, tmp_path, now):
    rows = [QUOTA_NO_YEAR, line("ZB0001", "乌财预〔2023〕12号"), line("ZB0002", "乌财预〔2022〕88号")]
    outcome = ingest_file(factory, write_csv(tmp_path / "指标.csv", rows), now=now)
    assert (outcome.status, outcome.budget_year) == ("ingested", 2023), codes(outcome)
    assert "取自指标文号中的年份" in outcome_lines(outcome)[1]
    agreeing = [QUOTA_NO_YEAR, line("ZB2024-0001"), line("ZB2024-0002", "新财预〔2024〕1号")]
    outcome = ingest_file(factory, write_csv(tmp_path / "2024年指标.csv", agreeing), now=now)
    assert (outcome.status, outcome.budget_year) == ("ingested", 2024), codes(outcome)
    assert "取自指标明细号中的年份、文件名、指标文号中的年份" in outcome_lines(outcome)[1]


def test_a_file_name_and_ids_that_disagree_refuse_the_file_naming_both(factory, engine, tmp_path, now):
    before = snapshot(engine)
    rows = [QUOTA_NO_YEAR, line("ZB2024-0001"), line("ZB2024-0002")]
    outcome = ingest_file(factory, write_csv(tmp_path / "指标_2023.csv", rows), now=now)
    assert codes(outcome) == ["year_sources_disagree"]
    assert "指标明细号中的年份（2024）、文件名（2023）不一致" in outcome.problems[0].message("zh")
    assert snapshot(engine) == before


def test_a_date_in_the_file_name_is_no_year_of_the_name(factory, tmp_path, now):
    rows = [QUOTA_NO_YEAR, line("ZB0001")]
    outcome = ingest_file(factory, write_csv(tmp_path / "2024-01-05_指标.csv", rows), now=now)
    assert codes(outcome) == ["no_year"]


# --- case 14: the headers of the vendors' exports ----------------------------------------------

def test_the_vendors_payment_headers_land_in_their_fields(factory, tmp_path, now):
    header = ["支付申请编号", "凭证日期", "预算单位", "指标明细号", "支出功能分类科目", "部门经济分类科目",
              "政府经济分类科目", "支付申请金额", "实际支付金额（元）", "收款人名称", "资金用途", "凭证状态"]
    row = ["ZF1", "2023-03-01", "312001 - 乌鲁木齐市水务局", "ZB001", "2130101 - 行政运行", "30211 - 差旅费",
           "50201 - 办公经费", "120.00", "100.00", "乌鲁木齐某酒店", "出差住宿", "已支付"]
    outcome = ingest_file(factory, write_xlsx(tmp_path / "国库集中支付明细表.xlsx", [header, row]), now=now)
    assert outcome.status == "ingested", codes(outcome)
    with transaction(factory) as session:
        stored = session.scalar(select(Payment))
        assert (stored.economic_class, stored.functional_class, stored.payee, stored.purpose, stored.amount) == (
            "30211", "2130101", "乌鲁木齐某酒店", "出差住宿", Decimal("100.00"))


def test_the_vendors_quota_headers_land_in_their_fields(factory, tmp_path, now):
    header = ["指标编码", "预算年度", "预算单位", "经济分类科目", "预算指标", "累计支付金额", "指标可用数"]
    row = ["ZB001", "2023", "312001 - 乌鲁木齐市水务局", "30201 - 办公费", "5000.00", "1200.00", "3800.00"]
    outcome = ingest_file(factory, write_xlsx(tmp_path / "指标台账.xlsx", [header, row]), now=now)
    assert outcome.status == "ingested", codes(outcome)
    with transaction(factory) as session:
        stored = session.scalar(select(QuotaLine))
        assert (stored.economic_class, stored.current) == ("30201", Decimal("5000.00"))


def test_no_header_name_means_two_fields_of_one_kind():
    known = {"主管部门名称", "预算单位名称"}  # a combined column, or the name beside a code column
    for kind in KINDS:
        seen: dict[str, str] = {}
        for field, names in {**COMMON, **BY_KIND[kind]}.items():
            for name in names:
                other = seen.setdefault(normalize_header(name), field)
                assert other == field or name in known, (kind, name, other, field)


# --- case 15: the kind given contradicts the file ------------------------------------------------

def test_a_payment_file_ingested_as_quota_is_said_to_be_a_payment_export(factory, tmp_path, now):
    path = write_csv(tmp_path / "支付.csv", payment_rows(payment("ZF1", "2023-03-01", "1.00")))
    outcome = ingest_file(factory, path, now=now, kind="quota")
    assert codes(outcome) == ["other_kind"]
    assert outcome.problems[0].message("zh") == (
        "按 --kind quota 导入，但此文件的表头（第 3 行）是支付明细导出：请去掉 --kind 或改为 --kind payments")


def test_a_file_ingested_again_with_another_kind_is_refused_naming_its_first_kind(tmp_path):
    database = str(tmp_path / "m.sqlite")
    path = write_csv(tmp_path / "支付.csv", payment_rows(payment("ZF1", "2023-03-01", "1.00")))
    runner = CliRunner()
    first = runner.invoke(cli, ["--db", database, "ingest", str(path)], env={}, catch_exceptions=False)
    assert first.exit_code == 0, first.output
    again = runner.invoke(cli, ["--db", database, "ingest", str(path), "--kind", "quota", "--json"], env={},
                          catch_exceptions=False)
    assert again.exit_code == 1, again.output
    [problem] = json.loads(again.output)["files"][0]["problems"]
    assert problem["code"] == "imported_as_other_kind" and "作为支付明细导出导入" in problem["message"]
    same = runner.invoke(cli, ["--db", database, "ingest", str(path), "--kind", "payments"], env={},
                         catch_exceptions=False)
    assert same.exit_code == 0 and "未变化" in same.output


def test_how_the_file_was_read_is_part_of_the_outcome_json(factory, tmp_path, now):
    rows = [["单位指标额度查询导出明细表"], QUOTA_NO_YEAR, line("ZB0001")]
    outcome = ingest_file(factory, write_csv(tmp_path / "指标_2023.csv", rows), now=now)
    assert outcome.to_json()["reading"] == {"year_from": ["name"]}
    assert dataclasses.replace(outcome, reading={}).to_json().get("reading") is None


def test_a_keyless_row_whose_text_ends_in_a_totals_word_is_refused_not_skipped(factory, tmp_path, now):
    keyless = payment("", "2023-03-02", "5.00")
    keyless[5] = "30201 - 办公费合计"  # the word at the end of a later cell, not the row's first
    outcome = ingest_file(factory, write_csv(tmp_path / "支付.csv", payment_rows(payment("ZF1", "2023-03-01", "1.00"),
                                                                               keyless)), now=now)
    assert [(p.code, p.row) for p in outcome.problems] == [("missing_value", 5)]


def test_a_weak_name_gives_way_to_a_strong_one_and_two_strong_names_are_still_refused(factory, tmp_path, now):
    header = ["支付申请号", "支付日期", "预算单位", "指标明细号", "支付金额", "摘要", "用途"]
    row = ["ZF1", "2023-03-01", "312001 - 乌鲁木齐市水务局", "ZB001", "10.00", "备注文字", "购买办公用品"]
    outcome = ingest_file(factory, write_csv(tmp_path / "支付.csv", [header, row]), now=now)
    assert outcome.status == "ingested", codes(outcome)
    with transaction(factory) as session:
        assert session.scalar(select(Payment.purpose)) == "购买办公用品"
    both = [[*header[:5], "实际支付金额"], [*row[:5], "9.00"]]
    refused = ingest_file(factory, write_csv(tmp_path / "支付2.csv", both), now=now)
    assert codes(refused) == ["duplicate_column"]
