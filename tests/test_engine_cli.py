"""`status` and `score` as a finance officer meets them: files in through `ingest`, figures out
as a ranked table or JSON, in Chinese or English, and one line of words when something is off."""

from __future__ import annotations

import json
from decimal import Decimal

import openpyxl
import pytest
from click.testing import CliRunner

from jobs.cli.app import cli
from tests.helpers import payment, payment_rows, quota_export, quota_line, write_csv

A = "901001 - 市测试局本级"
B = "901002 - 市测试中心"


def invoke(*args):
    return CliRunner().invoke(cli, list(args), env={}, catch_exceptions=False)


@pytest.fixture
def db(tmp_path, database_url):
    """Department 901: unit A 500,000.00 with 30% paid by 03-10, unit B 500,000.00 with 5%."""
    import datetime as dt

    write_csv(tmp_path / "2023-01-03_指标.csv", quota_export(
        dt.date(2023, 1, 3),
        quota_line("ZBA", A, "500000.00"),
        quota_line("ZBB", B, "500000.00", project="901002230001 - 检测能力建设")))
    write_csv(tmp_path / "2023-03-10_支付.csv", payment_rows(
        payment("P1", "2023-02-01", "150,000.00", unit=A, quota="ZBA"),
        payment("P2", "2023-02-20", "25,000.00", unit=B, quota="ZBB")), "gb18030")
    run = invoke("--db", database_url, "ingest", str(tmp_path / "2023-01-03_指标.csv"),
                 str(tmp_path / "2023-03-10_支付.csv"))
    assert run.exit_code == 0, run.output
    return database_url


def test_status_json_has_every_field_of_every_entity_with_amounts_and_rates_as_two_decimal_strings(db):
    run = invoke("--db", db, "status", "--as-of", "2023-03-10", "--json")
    assert run.exit_code == 0, run.output
    document = json.loads(run.output)
    levels = {(e["level"], e["code"]) for e in document["entities"]}
    assert levels == {("department", "901"), ("unit", "901001"), ("unit", "901002"),
                      ("project", "901002230001"), ("quota_line", "ZBA"), ("quota_line", "ZBB")}
    b = next(e for e in document["entities"] if e["level"] == "unit" and e["code"] == "901002")
    assert {k: b[k] for k in ("budget", "paid", "execution_rate")} == {
        "budget": "500000.00", "paid": "25000.00", "execution_rate": "5.00"}
    # 10 March under months/12: (2 + 10/31) / 12
    assert b["schedule_rate"] == "19.35"
    assert b["next_checkpoint"] == {
        "date": "2023-03-31", "target_rate": "25.00", "target_amount": "125000.00", "gap": "100000.00",
        "working_days_left": 15, "daily_needed": "6666.67", }
    # keeps the pace of 5% in 19.35% of the year: 5 × 25 / 19.35… at the checkpoint
    assert Decimal(b["projected_rate"]) == Decimal("6.46")
    assert b["projection"]["method"] == "linear"


def test_the_status_table_ranks_the_unit_furthest_behind_first(db):
    run = invoke("--db", db, "status", "--as-of", "2023-03-10", "--level", "unit")
    assert run.exit_code == 0, run.output
    assert run.output.index("901002 市测试中心") < run.output.index("901001 市测试局本级")
    assert "序时进度" in run.output and "日均需支付" in run.output


def test_status_in_english_speaks_english(db):
    run = invoke("--db", db, "--lang", "en", "status", "--as-of", "2023-03-10", "--level", "department")
    assert "budget execution at 2023-03-10" in run.output
    assert "序时进度" not in run.output


def test_status_of_one_unit_shows_that_unit_and_not_a_department_total_made_of_it_alone(db):
    document = json.loads(invoke("--db", db, "status", "--as-of", "2023-03-10", "--unit", "901001",
                                 "--json").output)
    assert {(e["level"], e["code"]) for e in document["entities"]} == {("unit", "901001"), ("quota_line", "ZBA")}


def test_status_writes_the_table_for_excel_with_numbers_as_numbers(db, tmp_path):
    target = tmp_path / "status.xlsx"
    run = invoke("--db", db, "status", "--as-of", "2023-03-10", "--xlsx", str(target))
    assert run.exit_code == 0, run.output
    sheet = openpyxl.load_workbook(target).worksheets[0]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert any(500000 in row and "901002" in row for row in values), values[:4]


def test_score_json_gives_key_weight_score_and_inputs_of_each_indicator(db):
    run = invoke("--db", db, "score", "--as-of", "2023-12-31", "--json")
    assert run.exit_code == 0, run.output
    cards = json.loads(run.output)["cards"]
    assert [(c["level"], c["code"]) for c in cards] == [("department", "901"), ("unit", "901001"),
                                                        ("unit", "901002")]
    progress = cards[0]["indicators"][0]
    assert (progress["key"], progress["weight"], progress["score"], progress["status"]) == (
        "payment_progress", "3.00", "0.00", "final")
    # nothing paid after February: 17.50% at every checkpoint, against the full-year budget
    assert [progress["inputs"][f"2023-{d}.rate"] for d in ("03-31", "06-30", "09-30")] == ["17.50"] * 3
    assert [i["key"] for i in cards[0]["indicators"]] == [
        "payment_progress", "execution_rate", "adjustment_rate", "three_public_control"]
    assert cards[0]["indicators"][3]["status"] == "not_measurable"


def test_during_the_year_the_score_table_says_where_the_unit_is_heading(db):
    run = invoke("--db", db, "score", "--as-of", "2023-03-10", "--unit", "901001")
    assert run.exit_code == 0, run.output
    assert "预计" in run.output and "资金支付进度" in run.output
    assert "部门 901" not in run.output


def test_a_year_without_data_is_one_line_naming_the_years_there_are(db):
    run = invoke("--db", db, "status", "--year", "2021")
    assert run.exit_code == 1
    assert run.output.strip() == "错误：没有 2021 年的指标或支付数据；数据库中有 2023 年的数据，可用 --year 指定"


def test_a_date_outside_the_year_asked_is_refused_in_words(db):
    run = invoke("--db", db, "score", "--year", "2023", "--as-of", "2024-01-05")
    assert run.exit_code == 2
    assert run.output.strip() == "错误：--as-of 2024-01-05 不在 2023 年内"
    assert "Traceback" not in run.output


def test_a_department_code_given_to_unit_is_named_as_a_department_code(db):
    run = invoke("--db", db, "status", "--year", "2023", "--unit", "901")
    assert run.exit_code == 1
    assert "901 是部门编码" in run.output


def test_an_empty_unit_is_refused_rather_than_read_as_every_unit(db):
    run = invoke("--db", db, "status", "--year", "2023", "--unit", " ")
    assert run.exit_code == 2
    assert "--unit 需要一个单位编码" in run.output


@pytest.mark.parametrize("args, language, words", [
    (["--lang", "xx", "status"], "zh", "'xx' is not one of"),
    (["status", "--as-of", "2023-02-30"], "zh", "--as-of 应为日期"),
    (["--lang", "en", "status", "--level", "line"], "en", "'line' is not one of"),
])
def test_a_usage_error_is_one_line_in_the_users_language_with_exit_code_2(capsys, args, language, words):
    from jobs.cli.app import main

    with pytest.raises(SystemExit) as stopped:
        main(["--db", "sqlite://", *args])
    assert stopped.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and words in lines[0]
    assert lines[0].startswith("错误：" if language == "zh" else "error: ")
    assert ("--help 查看用法" if language == "zh" else "--help)") in lines[0]
