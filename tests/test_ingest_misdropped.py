"""Files that are wrong as a whole, named for what is wrong (issue 16, the broken files of its
year): an unreadable amount blamed once, not also on its right totals row; a bank statement, a
payroll sheet or a ledger dropped by mistake named as such; 万元 read as yuan; and an export
whose title gives a date without its year, dated in its budget year. Real files through the real
importer into a real database."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from db.engine import transaction
from db.models import Import, Payment
from jobs.cli.app import cli
from jobs.ingest import ingest_file
from jobs.ingest.report import outcome_lines
from tests.helpers import PAYMENT_HEADER, payment, quota_line, snapshot, write_csv, write_xlsx
from tests.helpers import QUOTA_HEADER as FULL_QUOTA_HEADER
from tests.vendor_year_payments import write_xlsx as write_sheets

UNIT_A, UNIT_B = "158001 - 乌鲁木齐市科学技术协会", "158002 - 乌鲁木齐市科技馆"


def found(outcome) -> list[tuple]:
    return [(p.code, p.row, p.column) for p in outcome.problems]


def rows_of(*rows, title=(), total=None):
    tail = [["合计", "", "", "", "", "", total, ""]] if total is not None else []
    return [*title, PAYMENT_HEADER, *rows, *tail]


# --- an unreadable amount is the only problem named ------------------------------------------------

def test_an_unreadable_amount_leaves_its_units_subtotal_and_the_grand_total_unchecked_not_another_units(
        factory, tmp_path, now):
    a = [payment("ZF001", "2023-03-01", "100.00"), payment("ZF002", "2023-03-02", "一百元")]
    b = [payment("ZF003", "2023-03-03", "300.00", unit=UNIT_B, quota="ZB002")]
    rows = [PAYMENT_HEADER, *a, ["158001 小计", "", "", "", "", "", "200.00", ""],
            *b, ["158002 小计", "", "", "", "", "", "333.00", ""],  # wrong: B's rows make 300.00
            ["合计", "", "", "", "", "", "500.00", ""]]
    outcome = ingest_file(factory, write_csv(tmp_path / "p.csv", rows), now=now)
    assert found(outcome) == [("bad_amount", 3, "支付金额"), ("subtotal_mismatch", 6, "支付金额")]


def test_a_wrong_total_of_readable_amounts_is_still_named(factory, tmp_path, now):
    rows = rows_of(payment("ZF001", "2023-03-01", "100.00"), payment("ZF002", "2023-03-02", "200.00"), total="310.00")
    outcome = ingest_file(factory, write_csv(tmp_path / "p.csv", rows), now=now)
    assert found(outcome) == [("totals_mismatch", 4, "支付金额")]


def test_a_missing_amount_is_named_alone_too(factory, tmp_path, now):
    rows = rows_of(payment("ZF001", "2023-03-01", "100.00"), payment("ZF002", "2023-03-02", ""), total="300.00")
    outcome = ingest_file(factory, write_csv(tmp_path / "p.csv", rows), now=now)
    assert found(outcome) == [("missing_value", 3, "支付金额")]


# --- a file that is no export, named as what it is ---------------------------------------------------

VOUCHERS = [["记账凭证列表"], ["凭证日期", "凭证号", "摘要", "科目编码", "科目名称", "借方金额", "贷方金额"],
            ["2023-03-01", "记-0001", "付办公费", "5001", "行政支出", "100.00", ""],
            ["2023-03-01", "记-0001", "付办公费", "1011", "零余额账户用款额度", "", "100.00"]]
BALANCE_SHEET = [["资产负债表"], ["编制单位：天山市水务局", "", "2023年12月31日", "单位：元"],
                 ["资产", "期末余额", "年初余额", "负债和净资产", "期末余额", "年初余额"],
                 ["货币资金", "1,000.00", "800.00", "应付账款", "200.00", "100.00"]]
INCOME = [["收入费用表"], ["会政财02表"], ["项目", "本月数", "本年累计数"], ["一、本期收入", "1,000.00", "9,000.00"]]
TRIAL = [["科目编码", "科目名称", "期初余额", "本期借方", "本期贷方", "期末余额"],
         ["1011", "零余额账户用款额度", "0", "1", "1", "0"]]
STATEMENT = [["交易日期", "凭证号", "摘要", "借方发生额", "贷方发生额", "余额", "对方户名"],
             ["20231003", "00000001", "办公费", "100.00", "", "900.00", "天山市机关服务中心"]]
PAYROLL = [["2023年10月工资表"], ["序号", "姓名", "基本工资", "应发工资", "个人所得税", "实发工资"],
           ["1", "职工01", "3,000.00", "6,000.00", "120.00", "5,880.00"]]


@pytest.mark.parametrize(("rows", "what", "row"), [
    (VOUCHERS, "记账凭证", 2), (BALANCE_SHEET, "资产负债表", 3), (INCOME, "收入支出表", 1), (TRIAL, "科目余额表", 1),
    (STATEMENT, "银行对账单", 1), (PAYROLL, "工资表", 2)],
    ids=["vouchers", "balance-sheet", "income-statement", "trial-balance", "bank-statement", "payroll"])
def test_a_file_from_the_finance_pc_is_refused_as_what_it_is(engine, factory, tmp_path, now, rows, what, row):
    before = snapshot(engine)
    outcome = ingest_file(factory, write_xlsx(tmp_path / "f.xlsx", rows), now=now)
    assert found(outcome) == [("not_an_export", row, None)]
    assert what in outcome.problems[0].message("zh") and "支付明细" in outcome.problems[0].message("zh")
    assert "not an export the monitor reads" in outcome.problems[0].message("en")
    assert snapshot(engine) == before


def test_given_a_kind_the_refusal_says_that_kind_is_what_was_expected(factory, tmp_path, now):
    outcome = ingest_file(factory, write_xlsx(tmp_path / "f.xlsx", STATEMENT), now=now, kind="payments")
    assert found(outcome) == [("not_an_export", 1, None)]
    assert "请放入支付明细导出文件" in outcome.problems[0].message("zh")
    assert "drop a payment export instead" in outcome.problems[0].message("en")


def test_a_payment_export_with_a_balance_and_a_payee_account_is_taken_as_the_export_it_is(factory, tmp_path, now):
    header = [*PAYMENT_HEADER, "余额", "借方金额", "对方户名"]
    rows = [header, [*payment("ZF001", "2023-03-01", "100.00"), "900.00", "100.00", "天山市机关服务中心"]]
    outcome = ingest_file(factory, write_xlsx(tmp_path / "f.xlsx", rows), now=now)
    assert outcome.status == "ingested", found(outcome)


def test_a_file_of_unknown_columns_still_says_no_header(factory, tmp_path, now):
    outcome = ingest_file(factory, write_xlsx(tmp_path / "f.xlsx", [["甲", "乙", "丙"], ["1", "2", "3"]]), now=now)
    assert [p.code for p in outcome.problems] == ["no_header"]


# --- 万元 read as yuan --------------------------------------------------------------------------------

YUAN = ["12,300.00", "4,560.00", "78,900.00", "1,000.00", "250,000.00"]
WAN = ["1.23", "0.46", "7.89", "0.10", "25.00"]  # the same, in 万元 with two decimals


def _stored(factory, tmp_path, now, amounts=YUAN):
    quota = [FULL_QUOTA_HEADER, quota_line("ZB001", UNIT_A, "2,000,000.00")]
    assert ingest_file(factory, write_csv(tmp_path / "q.csv", quota), now=now).status == "ingested"
    if amounts:
        rows = rows_of(*(payment(f"ZF00{i}", "2023-03-01", a) for i, a in enumerate(amounts, 1)))
        assert ingest_file(factory, write_csv(tmp_path / "p1.csv", rows), now=now).status == "ingested"


def test_a_re_export_in_wan_without_its_unit_row_is_refused_naming_each_row(engine, factory, tmp_path, now):
    _stored(factory, tmp_path, now)
    before = snapshot(engine)
    rows = rows_of(*(payment(f"ZF00{i}", "2023-03-01", a) for i, a in enumerate(WAN, 1)))
    outcome = ingest_file(factory, write_csv(tmp_path / "p2.csv", rows), now=now)
    assert found(outcome) == [("wan_suspected", None, "支付金额"),
                              *(("wan_suspected_row", r, "支付金额") for r in range(2, 7))]
    assert "缺少“单位：万元”行" in outcome.problems[0].message("zh")
    assert outcome.problems[1].message("zh") == "金额疑为万元：同一支付申请号已存金额 12,300.00 元，约为此数的 1 万倍"
    assert snapshot(engine) == before


def test_new_payments_under_a_ten_thousandth_of_their_lines_budget_are_refused(factory, tmp_path, now):
    _stored(factory, tmp_path, now, amounts=[])
    amounts = ["1.23", "0.46", "7.89", "2.50", "250.00"]  # four of five under 200.00 yuan
    rows = rows_of(*(payment(f"ZF10{i}", "2023-03-01", a) for i, a in enumerate(amounts)))
    outcome = ingest_file(factory, write_csv(tmp_path / "p2.csv", rows), now=now)
    assert [c for c, _, _ in found(outcome)] == ["wan_suspected", *["wan_suspected_row"] * 4]
    assert "不足其指标 ZB001 预算 2,000,000.00 元的万分之一" in outcome.problems[1].message("zh")


def test_a_genuine_correction_of_one_payment_is_taken(factory, tmp_path, now):
    _stored(factory, tmp_path, now)
    corrected = [*YUAN[:2], "7.89", *YUAN[3:]]  # one payment of five down to a ten-thousandth: a correction
    rows = rows_of(*(payment(f"ZF00{i}", "2023-03-01", a) for i, a in enumerate(corrected, 1)))
    outcome = ingest_file(factory, write_csv(tmp_path / "p2.csv", rows), now=now)
    assert (outcome.status, outcome.updated) == ("ingested", 1), found(outcome)
    alone = rows_of(payment("ZF001", "2023-03-01", "1.23"))  # one row alone cannot tell a unit from a correction
    assert ingest_file(factory, write_csv(tmp_path / "p3.csv", alone), now=now).status == "ingested"


def test_a_few_bank_fees_among_the_payments_are_taken(factory, tmp_path, now):
    _stored(factory, tmp_path, now, amounts=[])
    amounts = ["12.00", "5.00", "13,400.00", "8,800.00", "2,300.00", "45,000.00"]  # two fees under 200 yuan
    rows = rows_of(*(payment(f"ZF20{i}", "2023-03-01", a) for i, a in enumerate(amounts)))
    assert ingest_file(factory, write_csv(tmp_path / "p.csv", rows), now=now).status == "ingested"


def test_the_same_amounts_under_a_wan_unit_row_are_taken_unchanged(factory, tmp_path, now):
    _stored(factory, tmp_path, now)
    rows = rows_of(*(payment(f"ZF00{i}", "2023-03-01", a) for i, a in enumerate(WAN, 1)),
                   title=[["支付明细"], ["单位：万元"]])
    outcome = ingest_file(factory, write_csv(tmp_path / "p2.csv", rows), now=now)
    assert outcome.status == "ingested", found(outcome)
    with transaction(factory) as session:
        assert session.scalar(select(Payment.amount).where(Payment.payment_no == "ZF001")) == 12_300


def test_six_decimals_on_every_row_say_the_file_is_likely_in_wan(factory, tmp_path, now):
    rows = rows_of(payment("ZF001", "2023-03-01", "1.234567"), payment("ZF002", "2023-03-01", "0.045600"))
    outcome = ingest_file(factory, write_csv(tmp_path / "p.csv", rows), now=now)
    assert found(outcome) == [("sub_fen", 2, "支付金额"), ("sub_fen", 3, "支付金额")]
    assert "疑为万元而缺少“单位：万元”行" in outcome.problems[0].message("zh")
    assert "likely in 万元" in outcome.problems[1].message("en")


def test_one_row_finer_than_a_fen_is_only_that(factory, tmp_path, now):
    rows = rows_of(payment("ZF001", "2023-03-01", "1.234567"), payment("ZF002", "2023-03-01", "100.00"))
    outcome = ingest_file(factory, write_csv(tmp_path / "p.csv", rows), now=now)
    assert [p.message("zh") for p in outcome.problems] == ["金额精度超过 1 分（元）"]


# --- a title date without its year -------------------------------------------------------------------

def _observed(factory, name: str) -> dt.date:
    with transaction(factory) as session:
        return session.scalar(select(Import.observed_on).where(Import.file_name == name))


@pytest.mark.parametrize("title", ["截至1月5日    金额单位：元", "截止日期：01-05", "截至 1月5日"])
def test_a_quota_export_titled_without_a_year_is_dated_in_its_budget_year(factory, tmp_path, now, title):
    rows = [["单位指标额度查询导出明细表"], [title], FULL_QUOTA_HEADER, quota_line("ZB001", UNIT_A, "1,000.00")]
    outcome = ingest_file(factory, write_csv(tmp_path / "q.csv", rows), now=now)
    assert outcome.status == "ingested", found(outcome)
    assert _observed(factory, "q.csv") == dt.date(2023, 1, 5)
    assert outcome.reading["title_date"]["date"] == "2023-01-05"
    assert "导出日期 2023-01-05 取自标题" in "\n".join(outcome_lines(outcome))


def test_an_export_titled_without_a_year_whose_rows_are_later_was_made_the_year_after(factory, tmp_path, now):
    rows = rows_of(payment("ZF001", "2023-12-28", "100.00"), title=[["支付明细"], ["截至1月5日"]])
    outcome = ingest_file(factory, write_csv(tmp_path / "p.csv", rows), now=now)
    assert (outcome.status, outcome.budget_year) == ("ingested", 2023)
    assert _observed(factory, "p.csv") == dt.date(2024, 1, 5)
    assert "故为预算年度的次年" in "\n".join(outcome_lines(outcome))


def test_the_date_given_wins_over_a_title_without_a_year(factory, tmp_path, now):
    rows = rows_of(payment("ZF001", "2023-03-01", "100.00"), title=[["支付明细"], ["截至3月5日"]])
    outcome = ingest_file(factory, write_csv(tmp_path / "p.csv", rows), now=now, as_of=dt.date(2023, 3, 6))
    assert _observed(factory, "p.csv") == dt.date(2023, 3, 6) and "title_date" not in outcome.reading


def test_the_outcome_json_says_the_date_came_from_the_title(tmp_path):
    rows = [["单位指标额度查询导出明细表"], ["截至1月5日"], FULL_QUOTA_HEADER, quota_line("ZB001", UNIT_A, "1,000.00")]
    path = write_csv(tmp_path / "q.csv", rows)
    run = CliRunner().invoke(cli, ["--db", str(tmp_path / "m.sqlite"), "ingest", "--json", str(path)], env={},
                             catch_exceptions=False)
    reading = json.loads(run.output)["files"][0]["reading"]
    assert reading["title_date"] == {"date": "2023-01-05", "text": "截至1月5日", "year": "budget_year"}


def test_a_cover_sheet_that_names_a_payroll_does_not_hide_the_export_behind_it(factory, tmp_path, now):
    cover = [["填报说明"], ["本表不含工资表"]]
    export = rows_of(payment("ZF001", "2023-03-01", "1.00"))
    path = write_sheets(tmp_path / "f.xlsx", [("说明", cover), ("支付明细", export)])
    assert ingest_file(factory, path, now=now).status == "ingested"
    alone = write_sheets(tmp_path / "g.xlsx", [("说明", [["填报说明"]]), ("工资", PAYROLL)])
    assert found(ingest_file(factory, alone, now=now)) == [("not_an_export", 2, None)]
