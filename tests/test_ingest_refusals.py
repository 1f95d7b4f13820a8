"""Bad exports are refused whole: every problem is listed (code, Excel row, header text) and
the database — which already holds a good earlier import — is left exactly as it was.

Every bad file is a real file written here: .xlsx through openpyxl, .xls through xlwt, CSV in
GBK (GB18030) as the payment systems write it. Each bad payment file also carries a row that
would change a payment of the earlier import (ZF001) and one that would add a payment, so a
partial write would show in the snapshot.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from db.engine import transaction
from db.models import Payment
from jobs.cli.app import cli
from jobs.ingest import ingest_file, ingest_paths
from tests.helpers import (
    PAYMENT_HEADER,
    payment,
    payment_rows,
    snapshot,
    write_csv,
    write_xls,
    write_xlsx,
)

EARLIER = [payment("ZF001", "2023-03-01", "100.00"), payment("ZF002", "2023-03-02", "200.00")]
CHANGED = payment("ZF001", "2023-03-01", "150.00")  # would update a payment of the earlier import
NEW = payment("ZF010", "2023-03-10", "10.00")  # would add a payment
QUOTA_HEADER = ["指标明细号", "预算单位", "功能分类", "经济分类", "年初预算数", "调整数", "调整后预算数"]
UNIT = "158001 - 乌鲁木齐市科学技术协会"


# ---------------------------------------------------------------------------- helpers


def gbk_csv(path: Path, rows) -> Path:
    return write_csv(path, rows, encoding="gb18030")


def without(column: str, rows):
    """The rows of a payment export with one column of PAYMENT_HEADER left out."""
    position = PAYMENT_HEADER.index(column)
    return [list(r[:position]) + list(r[position + 1:]) if len(r) == len(PAYMENT_HEADER) else r for r in rows]


def found(outcome) -> list[tuple]:
    return [(p.code, p.row, p.column) for p in outcome.problems]


def quota_row(no: str, initial, adjustment, current, functional: str = "2060701 - 机构运行"):
    return [no, UNIT, functional, "30201 - 办公费", initial, adjustment, current]


def payments_in(factory) -> dict[str, str]:
    with transaction(factory) as session:
        return {no: str(amount) for no, amount in session.execute(select(Payment.payment_no, Payment.amount))}


@pytest.fixture
def earlier(factory, now, tmp_path) -> Path:
    """A good payment export already ingested: the database the bad files meet."""
    path = gbk_csv(tmp_path / "earlier.csv", payment_rows(*EARLIER))
    outcome = ingest_file(factory, path, now=now)
    assert (outcome.status, outcome.inserted) == ("ingested", 2)
    return path


@pytest.fixture
def refuse(engine, factory, now, earlier):
    """Ingest a bad file: it must be refused, twice alike (a refusal is not remembered as
    "already imported"), and leave every table as it was; the earlier file stays "unchanged"."""

    def run(path: Path, **options):
        before = snapshot(engine)
        outcome = ingest_file(factory, path, now=now, **options)
        assert outcome.status == "refused", outcome
        assert (outcome.rows, outcome.inserted, outcome.updated, outcome.import_id) == (0, 0, 0, None)
        assert snapshot(engine) == before
        again = ingest_file(factory, path, now=now, **options)
        assert (again.status, again.problems) == ("refused", outcome.problems)
        assert ingest_file(factory, earlier, now=now).status == "unchanged"
        assert snapshot(engine) == before
        return outcome

    return run


# ---------------------------------------------------------------------------- missing columns


def test_a_file_naming_neither_a_payment_id_nor_a_quota_line_id_has_no_recognisable_header(refuse, tmp_path):
    rows = [["支付明细导出表"], ["金额单位：元"], ["支付日期", "预算单位", "支付金额"], ["2023-03-10", UNIT, "10.00"]]
    outcome = refuse(gbk_csv(tmp_path / "no-key.csv", rows))
    assert found(outcome) == [("no_header", None, None)]
    assert outcome.kind is None
    assert outcome.problems[0].message("zh") == (
        "找不到表头：前 4 行中没有可识别的列名（如 指标明细号、支付申请号、调整单号）")


def test_a_payment_export_without_its_payment_id_column_is_not_mistaken_for_a_quota_export(refuse, tmp_path):
    outcome = refuse(gbk_csv(tmp_path / "no-payment-id.csv", without("支付申请号", payment_rows(CHANGED, NEW))))
    assert found(outcome) == [("no_header", None, None)]


def test_a_payment_export_without_its_payment_id_column_names_that_column_when_the_kind_is_given(refuse, tmp_path):
    outcome = refuse(gbk_csv(tmp_path / "no-payment-id.csv", without("支付申请号", payment_rows(CHANGED, NEW))),
                     kind="payments")
    assert found(outcome) == [("missing_column", None, None)]
    assert outcome.kind == "payments"
    assert outcome.problems[0].message("zh") == (
        "缺少必需的列“支付申请号”（可用的列名：支付申请号、支付凭证号、凭证号、支付申请编号、支付凭证编号、凭证编号、"
        "支付令号）")


def test_a_payment_export_without_an_amount_column_is_refused_naming_the_column(refuse, tmp_path):
    outcome = refuse(write_xlsx(tmp_path / "no-amount.xlsx", without("支付金额", payment_rows(CHANGED, NEW))))
    assert found(outcome) == [("missing_column", 3, None)]  # row: the header row it looked in
    assert outcome.problems[0].message("zh") == (
        "缺少必需的列“金额”（可用的列名：金额、支付金额、支付申请金额、实际支付金额、支付凭证金额）")
    assert outcome.problems[0].message("en") == (
        "required column '金额' is missing (accepted names: 金额、支付金额、支付申请金额、实际支付金额、支付凭证金额)")


def test_two_columns_for_the_same_field_are_refused_naming_both(refuse, tmp_path):
    rows = [[*PAYMENT_HEADER, "支付金额"], [*CHANGED, "150.00"], [*NEW, "10.00"]]
    outcome = refuse(gbk_csv(tmp_path / "two-amounts.csv", rows))
    assert found(outcome) == [("duplicate_column", None, None)]
    assert outcome.problems[0].message("zh") == "“金额”出现在多列：G（支付金额）、I（支付金额）"


# ---------------------------------------------------------------------------- amounts


def test_an_amount_written_in_words_is_refused_at_its_row_and_column(refuse, tmp_path):
    rows = payment_rows(CHANGED, payment("ZF010", "2023-03-10", "12元3角"))
    outcome = refuse(write_xlsx(tmp_path / "words.xlsx", rows))
    assert found(outcome) == [("bad_amount", 5, "支付金额")]
    assert outcome.problems[0].value == "12元3角"
    assert outcome.problems[0].message("en") == (
        "not an amount: expected a number such as 1,234.56, -100 or (1,234.00)")


def test_an_amount_finer_than_a_fen_is_refused(refuse, tmp_path):
    outcome = refuse(write_xls(tmp_path / "sub-fen.xls", payment_rows(CHANGED, payment("ZF010", "2023-03-10", 1.005))))
    assert found(outcome) == [("sub_fen", 5, "支付金额")]
    assert outcome.problems[0].message("zh") == "金额精度超过 1 分（元）"


def test_a_wan_yuan_csv_with_an_amount_of_seven_decimals_is_refused_as_finer_than_a_fen(refuse, tmp_path):
    rows = [["支付明细导出表"], ["金额单位：万元"], PAYMENT_HEADER,
            payment("ZF001", "2023-03-01", "0.015"), payment("ZF010", "2023-03-10", "1.2345678")]
    outcome = refuse(gbk_csv(tmp_path / "wan.csv", rows))
    assert found(outcome) == [("sub_fen", 5, "支付金额")]
    assert outcome.problems[0].message("en") == "the amount is finer than one fen (万元)"


def test_a_wan_yuan_workbook_with_an_amount_of_seven_decimals_is_refused_as_finer_than_a_fen(refuse, tmp_path):
    rows = [["支付明细导出表"], ["金额单位：万元"], PAYMENT_HEADER,
            payment("ZF001", "2023-03-01", 0.015), payment("ZF010", "2023-03-10", 1.2345675)]
    outcome = refuse(write_xlsx(tmp_path / "wan.xlsx", rows))
    assert found(outcome) == [("sub_fen", 5, "支付金额")]


def test_a_totals_row_that_disagrees_with_the_rows_is_refused_at_the_totals_row(refuse, tmp_path):
    outcome = refuse(gbk_csv(tmp_path / "totals.csv", payment_rows(CHANGED, NEW, total="170.00")))
    assert found(outcome) == [("totals_mismatch", 6, "支付金额")]
    assert outcome.problems[0].message("zh") == "合计行为 170.00，而明细之和为 160.00（差 10.00）"
    assert outcome.problems[0].message("en") == "the totals row says 170.00 but the rows sum to 160.00 (off by 10.00)"


# ---------------------------------------------------------------------------- keys, units, choices


def test_a_payment_id_repeated_with_another_amount_is_refused_on_the_later_row_naming_the_earlier(refuse, tmp_path):
    rows = payment_rows(CHANGED, NEW, payment("ZF001", "2023-03-01", "151.00"))
    outcome = refuse(gbk_csv(tmp_path / "repeated.csv", rows))
    assert found(outcome) == [("duplicate_key", 6, "支付申请号")]
    assert outcome.problems[0].message("zh") == "ZF001 与第 4 行重复，且内容不同"
    assert outcome.problems[0].message("en") == "ZF001 repeats row 4 with different content"


def test_a_budget_unit_given_by_name_without_its_code_is_refused(refuse, tmp_path):
    rows = payment_rows(CHANGED, payment("ZF010", "2023-03-10", "10.00", unit="科协"))
    outcome = refuse(gbk_csv(tmp_path / "unit-name.csv", rows))
    assert found(outcome) == [("bad_code_name", 5, "预算单位")]
    assert outcome.problems[0].message("zh") == (
        "无法识别预算单位：应为“编码 - 名称”，如 158001 - 乌鲁木齐市科学技术协会")


def test_a_payment_row_with_neither_a_budget_unit_nor_a_quota_line_is_refused(refuse, tmp_path):
    rows = payment_rows(CHANGED, payment("ZF010", "2023-03-10", "10.00", unit="", quota=""))
    outcome = refuse(write_xlsx(tmp_path / "no-unit.xlsx", rows))
    assert found(outcome) == [("unit_missing", 5, None)]
    assert outcome.problems[0].message("zh") == "没有预算单位，也没有可关联的指标明细号"


def test_an_unknown_payment_status_is_refused(refuse, tmp_path):
    rows = payment_rows(CHANGED, payment("ZF010", "2023-03-10", "10.00", status="已挂起"))
    outcome = refuse(gbk_csv(tmp_path / "status.csv", rows))
    assert found(outcome) == [("bad_choice", 5, "支付状态")]
    assert outcome.problems[0].value == "已挂起"
    assert outcome.problems[0].message("en").startswith("unknown value: expected one of 已支付、支付成功")


# ---------------------------------------------------------------------------- dates


def test_a_date_outside_the_budget_year_of_its_row_is_refused(refuse, tmp_path):
    rows = [["预算年度", *PAYMENT_HEADER], ["2023", *CHANGED], ["2023", *payment("ZF010", "2022-12-31", "10.00")]]
    outcome = refuse(gbk_csv(tmp_path / "last-year.csv", rows))
    assert found(outcome) == [("date_outside_year", 3, "支付日期")]
    assert outcome.problems[0].message("zh") == "日期 2022-12-31 不在预算年度 2023 年内"
    assert outcome.problems[0].message("en") == "the date 2022-12-31 is outside the budget year 2023"


def test_a_date_that_does_not_exist_is_refused(refuse, tmp_path):
    outcome = refuse(gbk_csv(tmp_path / "feb-30.csv", payment_rows(CHANGED, payment("ZF010", "2023-02-30", "10.00"))))
    assert found(outcome) == [("bad_date", 5, "支付日期")]
    assert outcome.problems[0].value == "2023-02-30"


# ---------------------------------------------------------------------------- all problems at once


MANY = payment_rows(
    payment("ZF010", "2023-03-10", "12元3角"),
    payment("ZF011", "2023-03-11", "10.00"),
    payment("ZF012", "2023-02-30", "10.00"),
    payment("ZF013", "2023-03-13", "1.001"),
    payment("ZF014", "2023-03-14", "一百元"),
)
MANY_PROBLEMS = [("bad_amount", 4, "支付金额"), ("bad_date", 6, "支付日期"),
                 ("sub_fen", 7, "支付金额"), ("bad_amount", 8, "支付金额")]


def test_every_problem_of_a_file_is_listed_not_only_the_first(refuse, tmp_path):
    outcome = refuse(write_xlsx(tmp_path / "many.xlsx", MANY))
    assert sorted(found(outcome), key=lambda p: p[1]) == MANY_PROBLEMS


def test_the_problems_of_a_file_are_listed_in_row_order(refuse, tmp_path):
    outcome = refuse(write_xlsx(tmp_path / "many.xlsx", MANY))
    assert found(outcome) == MANY_PROBLEMS


# ---------------------------------------------------------------------------- quota exports


def test_a_quota_line_whose_initial_plus_adjustment_is_not_its_current_budget_is_refused(refuse, tmp_path):
    rows = [["2023年指标明细"], QUOTA_HEADER, quota_row("ZB101", 1000, 0, 1000), quota_row("ZB102", 1000, 200, 1300)]
    outcome = refuse(write_xlsx(tmp_path / "quota-sum.xlsx", rows))
    assert outcome.kind == "quota"
    assert found(outcome) == [("quota_sum_mismatch", 4, "调整后预算数")]
    assert outcome.problems[0].message("zh") == "年初预算数 1,000.00 + 调整数 200.00 ≠ 调整后预算数 1,300.00"
    assert outcome.problems[0].message("en") == "initial 1,000.00 + adjustment 200.00 ≠ current budget 1,300.00"


def test_a_quota_line_with_a_malformed_functional_class_code_is_refused(refuse, tmp_path):
    rows = [["2023年指标明细"], QUOTA_HEADER, quota_row("ZB101", 1000, 0, 1000),
            quota_row("ZB102", 1000, 0, 1000, functional="20607A1 - 机构运行")]
    outcome = refuse(write_xlsx(tmp_path / "quota-code.xlsx", rows))
    assert found(outcome) == [("bad_code", 4, "功能分类")]
    assert outcome.problems[0].value == "20607A1"


def test_a_malformed_functional_class_code_is_explained_in_words(refuse, tmp_path):
    rows = [["2023年指标明细"], QUOTA_HEADER, quota_row("ZB101", 1000, 0, 1000, functional="20607A1 - 机构运行")]
    outcome = refuse(write_xlsx(tmp_path / "quota-code.xlsx", rows))
    message = outcome.problems[0].message("zh")
    assert "20607A1" in message and "\\d" not in message


# ---------------------------------------------------------------------------- files that are not exports


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".xls"])
def test_an_empty_file_is_refused_as_empty(refuse, tmp_path, suffix):
    path = tmp_path / f"empty{suffix}"
    path.write_bytes(b"")
    outcome = refuse(path)
    assert found(outcome) == [("empty_file", None, None)]
    assert outcome.problems[0].message("zh") == "文件为空"


def test_a_header_without_data_rows_is_refused(refuse, tmp_path):
    outcome = refuse(write_xls(tmp_path / "header-only.xls", payment_rows()))
    assert found(outcome) == [("no_rows", None, None)]
    assert outcome.kind == "payments"
    assert outcome.problems[0].message("en") == "there are no data rows under the header"


def test_a_picture_named_csv_is_refused_as_not_text(refuse, tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00"
                     + bytes(range(256)) + b"\x00\x00\x00\x00IEND\xaeB`\x82")
    outcome = refuse(path)
    assert found(outcome) == [("not_text", None, None)]
    assert outcome.problems[0].message("zh") == "不是文本文件（含二进制内容），不能作为 CSV 读取"


def test_a_csv_in_neither_utf8_nor_gb18030_is_refused_as_an_unknown_encoding(refuse, tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("支付申请号,金额\r\n".encode("gb18030") + b"ZF010,\xff\xfe10.00\r\n")
    outcome = refuse(path)
    assert found(outcome) == [("unknown_encoding", None, None)]
    assert outcome.problems[0].message("zh") == "无法识别文件编码：既不是 UTF-8 也不是 GBK/GB18030"


def test_a_utf16_csv_is_refused_as_an_unknown_encoding_not_as_binary(refuse, tmp_path):
    path = tmp_path / "utf16.csv"
    path.write_bytes("\r\n".join(",".join(map(str, r)) for r in payment_rows(CHANGED, NEW)).encode("utf-16-le"))
    outcome = refuse(path)
    assert found(outcome) == [("unknown_encoding", None, None)]


def test_a_truncated_workbook_is_refused_as_unreadable(refuse, tmp_path):
    whole = write_xlsx(tmp_path / "whole.xlsx", payment_rows(CHANGED, NEW)).read_bytes()
    path = tmp_path / "truncated.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    outcome = refuse(path)
    assert found(outcome) == [("file_unreadable", None, None)]
    assert outcome.problems[0].message("zh").startswith("无法读取文件：")


@pytest.mark.parametrize("suffix, content", [
    (".docx", b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00word/document.xml"),
    (".pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"),
])
def test_a_file_of_an_unsupported_type_is_refused_naming_its_suffix(refuse, tmp_path, suffix, content):
    path = tmp_path / f"支付明细{suffix}"
    path.write_bytes(content)
    outcome = refuse(path)
    assert found(outcome) == [("unsupported_format", None, None)]
    assert outcome.problems[0].message("zh") == f"不支持的文件类型“{suffix}”：请使用 .xlsx、.xls 或 .csv"
    assert outcome.problems[0].message("en") == f"unsupported file type '{suffix}': use .xlsx, .xls or .csv"


def test_a_csv_row_with_more_fields_than_the_header_is_refused_at_that_line(refuse, tmp_path):
    rows = payment_rows(CHANGED, *(payment(f"ZF{n:03}", "2023-03-10", "1.00") for n in range(10, 50)))
    rows[39] = [*rows[39], "多出的一列"]  # line 40
    outcome = refuse(gbk_csv(tmp_path / "ragged.csv", rows))
    assert found(outcome) == [("ragged_row", 40, None)]
    assert outcome.problems[0].message("zh") == "该行有 9 列，多于表头的 8 列"


def test_a_csv_row_with_more_fields_than_the_header_near_the_top_is_refused_too(refuse, tmp_path):
    rows = payment_rows(CHANGED, NEW, payment("ZF011", "2023-03-11", "1.00"), payment("ZF012", "2023-03-12", "1.00"))
    rows[5] = [*rows[5], "多出的一列"]  # line 6
    outcome = refuse(gbk_csv(tmp_path / "ragged-top.csv", rows))
    assert found(outcome) == [("ragged_row", 6, None)]


# ---------------------------------------------------------------------------- several files


def test_a_refused_file_does_not_undo_the_good_files_ingested_with_it(factory, now, earlier, tmp_path):
    good_before = gbk_csv(tmp_path / "good-1.csv", payment_rows(CHANGED, NEW))
    bad = gbk_csv(tmp_path / "bad.csv", payment_rows(payment("ZF020", "2023-03-20", "12元3角")))
    good_after = write_xlsx(tmp_path / "good-2.xlsx", payment_rows(payment("ZF030", "2023-03-30", "30.00")))
    outcomes = ingest_paths(factory, [good_before, bad, good_after], now=now)
    assert [o.status for o in outcomes] == ["ingested", "refused", "ingested"]
    assert found(outcomes[1]) == [("bad_amount", 4, "支付金额")]
    assert payments_in(factory) == {"ZF001": "150.00", "ZF002": "200.00", "ZF010": "10.00", "ZF030": "30.00"}


def test_the_cli_exits_1_and_reports_each_file_as_json_when_one_is_refused(tmp_path, monkeypatch):
    for name in ("BUDGET_MONITOR_DATABASE_URL", "BUDGET_MONITOR_CONFIG", "BUDGET_MONITOR_LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    database = str(tmp_path / "cli.sqlite")
    runner = CliRunner()
    earlier = gbk_csv(tmp_path / "earlier.csv", payment_rows(*EARLIER))
    assert runner.invoke(cli, ["--db", database, "ingest", str(earlier)]).exit_code == 0
    bad = gbk_csv(tmp_path / "bad.csv", payment_rows(CHANGED, payment("ZF020", "2023-02-30", "12元3角")))
    good = gbk_csv(tmp_path / "good.csv", payment_rows(NEW))

    result = runner.invoke(cli, ["--db", database, "ingest", str(bad), str(good), "--json"])

    assert result.exit_code == 1, result.output
    files = json.loads(result.stdout)["files"]
    assert [(f["path"], f["kind"], f["status"], f["rows"]) for f in files] == [
        (str(bad), "payments", "refused", 0), (str(good), "payments", "ingested", 1)]
    assert files[1]["problems"] == []
    assert [(p["code"], p["row"], p["column"], p["message"]) for p in files[0]["problems"]] == [
        ("bad_date", 5, "支付日期",
         "日期无法识别：应为 2023-03-31、2023/3/31、20230331、2023年3月31日 或 Excel 日期"),
        ("bad_amount", 5, "支付金额", "金额无法识别：应为数字，如 1,234.56、-100 或 (1,234.00)"),
    ]


@pytest.mark.parametrize("text", ["1.000,00", "1,2,3", "12,34.5", "(-100)", "1 000.00", "1e3", "100-"])
def test_an_amount_with_misplaced_separators_or_signs_is_refused_not_guessed(refuse, tmp_path, text):
    outcome = refuse(gbk_csv(tmp_path / "bad.csv", payment_rows(CHANGED, payment("ZF011", "2023-03-11", text))))
    assert found(outcome) == [("bad_amount", 5, "支付金额")]
