"""The command line as a user meets it: words and exit codes, never a traceback."""

import json
import os

from click.testing import CliRunner

from jobs.cli.app import cli
from tests.helpers import payment, payment_rows, write_csv


def invoke(*args, env=None):
    return CliRunner().invoke(cli, list(args), env=env or {}, catch_exceptions=False)


def test_a_database_that_cannot_be_opened_is_one_line_in_chinese_and_exit_code_2(tmp_path):
    (tmp_path / "not.sqlite").write_text("hello")
    for target in (str(tmp_path / "missing" / "x.sqlite"), str(tmp_path / "not.sqlite"),
                   "postgresql://nobody@127.0.0.1:1/db", "mysql://x@localhost/db"):
        run = invoke("--db", target, "migrate")
        assert run.exit_code == 2, run.output
        assert run.output.startswith("错误：无法打开数据库"), run.output
        assert "Traceback" not in run.output


def test_a_folder_argument_ingests_the_export_files_in_it(tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    write_csv(folder / "a.csv", payment_rows(payment("P1", "2023-03-01", "1")))
    write_csv(folder / "b.csv", payment_rows(payment("P2", "2023-03-02", "2")), "gb18030")
    (folder / "readme.md").write_text("not an export")
    run = invoke("--db", str(tmp_path / "m.sqlite"), "ingest", str(folder), "--json")
    assert run.exit_code == 0, run.output
    assert [(os.path.basename(f["path"]), f["status"]) for f in json.loads(run.output)["files"]] == [
        ("a.csv", "ingested"), ("b.csv", "ingested")]


def test_a_missing_file_is_refused_on_its_own_and_the_others_still_go_in(tmp_path):
    good = write_csv(tmp_path / "good.csv", payment_rows(payment("P1", "2023-03-01", "1")))
    run = invoke("--db", str(tmp_path / "m.sqlite"), "ingest", str(tmp_path / "nope.csv"), str(good), "--json")
    assert run.exit_code == 1
    files = json.loads(run.output)["files"]
    assert [(f["status"], [p["message"] for p in f["problems"]]) for f in files] == [
        ("refused", ["文件不存在"]), ("ingested", [])]


def test_reimporting_reports_every_row_unchanged_in_json(tmp_path):
    good = write_csv(tmp_path / "good.csv", payment_rows(payment("P1", "2023-03-01", "1")))
    invoke("--db", str(tmp_path / "m.sqlite"), "ingest", str(good))
    run = invoke("--db", str(tmp_path / "m.sqlite"), "ingest", str(good), "--json")
    assert {k: json.loads(run.output)["files"][0][k] for k in ("status", "rows", "unchanged")} == {
        "status": "unchanged", "rows": 1, "unchanged": 1}


def test_the_demo_never_writes_into_the_database_named_by_db(tmp_path):
    run = invoke("--db", str(tmp_path / "prod.sqlite"), "demo", "--folder", str(tmp_path / "d"))
    assert run.exit_code == 2
    assert "演示总是使用" in run.output
    assert not (tmp_path / "prod.sqlite").exists()


def test_the_demo_ignores_the_database_of_the_environment(tmp_path):
    env = {"BUDGET_MONITOR_DATABASE_URL": str(tmp_path / "prod.sqlite")}
    run = invoke("demo", "--folder", str(tmp_path / "d"), "--json", env=env)
    assert run.exit_code == 0, run.output
    assert not (tmp_path / "prod.sqlite").exists()
    assert (tmp_path / "d" / "demo.sqlite").exists()


def test_a_config_file_with_an_unknown_setting_or_in_gbk_is_refused_naming_the_problem(tmp_path):
    typo = tmp_path / "typo.toml"
    typo.write_text('langauge = "en"\n', encoding="utf-8")
    run = invoke("--config", str(typo), "migrate")
    assert run.exit_code == 1 and "langauge" in run.output
    gbk = tmp_path / "gbk.toml"
    gbk.write_bytes('# 配置\nlanguage = "zh"\n'.encode("gbk"))
    run = invoke("--config", str(gbk), "migrate")
    assert run.exit_code == 1 and "UTF-8" in run.output


def test_a_config_file_saved_with_a_bom_and_synonyms_is_used(tmp_path):
    config = tmp_path / "c.toml"
    config.write_bytes('language = "en"\n[ingest.synonyms]\npayment_no = ["交易流水号"]\n'.encode("utf-8-sig"))
    path = write_csv(tmp_path / "p.csv", [["交易流水号", "支付日期", "预算单位", "支付金额"],
                                          ["T1", "2023-03-01", "158001 - 科协", "9"]])
    run = invoke("--config", str(config), "--db", str(tmp_path / "m.sqlite"), "ingest", str(path))
    assert run.exit_code == 0, run.output
    assert run.output.startswith(f"{path}: ingested (payments, 1 rows")


def test_english_refusals_name_file_row_and_column(tmp_path):
    bad = write_csv(tmp_path / "bad.csv", payment_rows(payment("P1", "2023-03-01", "12元3角")))
    run = invoke("--lang", "en", "--db", str(tmp_path / "m.sqlite"), "ingest", str(bad))
    assert run.exit_code == 1
    assert "bad.csv · row 4 · 支付金额: not an amount" in run.output
