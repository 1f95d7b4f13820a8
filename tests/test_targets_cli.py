"""``budget-monitor progress add`` and ``budget-monitor targets`` as a user meets them: the words,
the exit codes, and what they leave in the real database."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from click.testing import CliRunner
from sqlalchemy import select

from db.engine import transaction
from db.models import PerformanceTarget, TargetProgress
from jobs.cli.app import cli
from jobs.ingest import ingest_file
from tests.helpers import snapshot
from tests.target_helpers import (  # noqa: F401  (fixtures)
    PAYMENTS,
    UNIT_TARGETS,
    gbk_csv,
    progress_file,
    quota,
    targets_file,
)

D = Decimal
ELDER = "老年科技工作者协会活动经费"
TALKS = "开展科普讲座科技培训场次"


@pytest.fixture
def run(database_url, engine, tmp_path, monkeypatch, progress_file):
    """The command on the test database (targets, progress and payments imported)."""
    for name in ("BUDGET_MONITOR_DATABASE_URL", "BUDGET_MONITOR_CONFIG", "BUDGET_MONITOR_LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)

    def invoke(*args):
        return CliRunner().invoke(cli, ["--db", database_url, *args], catch_exceptions=False)

    return invoke


@pytest.fixture
def with_payments(factory, now, tmp_path, progress_file):
    for name, rows in (("整体.csv", UNIT_TARGETS), ("支付.csv", PAYMENTS)):
        assert ingest_file(factory, gbk_csv(tmp_path / name, rows), now=now).status == "ingested"


def reports(factory, name: str) -> list[tuple]:
    with transaction(factory) as session:
        return [tuple(r) for r in session.execute(
            select(TargetProgress.reported_on, TargetProgress.actual, TargetProgress.note, TargetProgress.source)
            .join(PerformanceTarget, PerformanceTarget.id == TargetProgress.target_id)
            .where(PerformanceTarget.name == name).order_by(TargetProgress.reported_on))]


def add(run, *extra, unit="158001", project=ELDER, indicator=TALKS, date="2024-09-30", actual="27场次"):
    args = ["progress", "add", "--unit", unit, "--indicator", indicator, "--date", date, "--actual", actual, *extra]
    if project is not None:
        args[4:4] = ["--project", project]
    return run(*args)


def test_progress_added_by_hand_is_stored_and_said_in_one_line(run, factory):
    result = add(run, "--note", "三季度讲座台账")
    assert result.exit_code == 0, result.output
    assert result.stdout == ("已记录（新增）：158001 乌鲁木齐市科学技术协会 · 老年科技工作者协会活动经费 · "
                             "开展科普讲座科技培训场次 · 2024-09-30 完成值 27场次（目标 >=35 场次）\n")
    assert reports(factory, TALKS)[-1] == (dt.date(2024, 9, 30), D("27"), "三季度讲座台账", "cli")


def test_a_second_report_for_the_same_target_and_date_replaces_the_first(run, factory):
    assert add(run, "--project", "158001240002", project=None, actual="27").exit_code == 0
    result = run(  # the unit by its name, the indicator spaced out, another date notation
        "--lang", "en", "progress", "add", "--unit", "乌鲁木齐市科学技术协会", "--project", ELDER,
        "--indicator", "开展科普讲座 科技培训场次", "--date", "2024/9/30", "--actual", "28")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("recorded (replaced): 158001")
    assert reports(factory, TALKS) == [(dt.date(2024, 3, 31), D("8"), "一季度讲座", "file"),
                                       (dt.date(2024, 6, 30), D("17"), None, "file"),
                                       (dt.date(2024, 9, 30), D("28"), None, "cli")]


def test_a_report_by_hand_replaces_the_value_a_file_gave_for_that_date(run, factory):
    assert add(run, date="2024-06-30", actual="18").exit_code == 0
    assert reports(factory, TALKS)[1] == (dt.date(2024, 6, 30), D("18"), None, "cli")


def test_a_target_of_the_unit_as_a_whole_is_named_without_a_project(run, factory, with_payments):
    result = add(run, project=None, indicator="成立科普基地", actual="3个")
    assert result.exit_code == 0, result.output
    assert "单位整体" in result.stdout
    assert reports(factory, "成立科普基地") == [(dt.date(2024, 9, 30), D("3"), None, "cli")]


@pytest.mark.parametrize("options, code, message", [
    ({"unit": "158009"}, 1, "错误：数据库中没有编码为 158009 的预算单位\n"),
    ({"unit": "乌鲁木齐市科协"}, 1,
     "错误：数据库中没有名为“乌鲁木齐市科协”的预算单位（先导入指标明细，或写成“编码 - 名称”）\n"),
    ({"project": "老年协会"}, 1,
     "错误：预算单位 158001 没有项目“老年协会”（项目来自指标明细导出：先导入指标明细，或写项目代码）\n"),
    ({"actual": "1.9万元", "indicator": "聘请人员劳务费"}, 2,
     "错误：计量单位“万元”与目标“聘请人员劳务费”的指标值 < =6000 0 元 不一致（应为“元”）\n"),
    ({"actual": "很多"}, 2,
     "错误：完成值无法识别：应为一个不小于 0 的数，可带计量单位，如 8、8场次、92%、12.5万元\n"),
])
def test_a_report_that_names_nothing_stored_or_a_wrong_value_is_one_line_in_chinese(run, engine, options, code,
                                                                                     message):
    before = snapshot(engine)
    result = add(run, **options)
    assert (result.exit_code, result.stderr) == (code, message)
    assert "Traceback" not in result.output
    assert snapshot(engine) == before


def test_an_unknown_indicator_is_explained_in_english_with_the_indicators_there(run, engine):
    before = snapshot(engine)
    result = run("--lang", "en", "progress", "add", "--unit", "158001", "--project", ELDER, "--indicator", "讲座场次",
                 "--date", "2024-09-30", "--actual", "27")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "error: the project '老年科技工作者协会活动经费' of the budget unit 158001 has no performance target "
        "'讲座场次' in 2024 (import the target table first); the indicators there: 开展科普讲座科技培训场次、")
    assert snapshot(engine) == before


def test_a_date_outside_the_budget_year_and_a_bad_date_are_usage_errors(run):
    result = add(run, "--year", "2023")
    assert (result.exit_code, result.stderr) == (2, "错误：--date 2024-09-30 不在 2023 年内\n")
    result = add(run, date="9月底")
    assert result.exit_code == 2
    assert "--date 应为日期，如 2024-06-30" in result.output


def test_targets_lists_each_target_with_its_latest_progress_and_spending_as_json(run, with_payments):
    result = run("targets", "--json", "--as-of", "2024-06-30")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert (document["year"], document["as_of"], len(document["targets"])) == (2024, "2024-06-30", 10)
    by_name = {t["name"]: t for t in document["targets"]}
    assert by_name[TALKS]["latest"] == {"reported_on": "2024-06-30", "actual": "17", "note": None, "source": "file"}
    assert (by_name[TALKS]["reports"], by_name[TALKS]["spent"], by_name[TALKS]["value"]) == (2, None, "35")
    assert (by_name["聘请人员劳务费"]["spent"], by_name["聘请人员劳务费"]["economic_class"]) == ("19000.00", "30226")
    assert (by_name["单位整体支出"]["project_code"], by_name["单位整体支出"]["spent"]) == (None, "46800.00")
    assert by_name["提高老年群体科学素质"]["latest"] is None


def test_targets_prints_a_table_in_chinese_by_default(run, with_payments):
    result = run("targets", "--unit", "158001")
    assert result.exit_code == 0, result.output
    assert "2024 年绩效目标（进度截至 2024-12-31）" in result.stdout
    for text in ("三级指标", "最新进度", "已支出(万元)", TALKS, "2024-06-30：17场次", "单位整体", "2.80"):
        assert text in result.stdout, text


def test_targets_during_the_year_are_as_of_today_not_the_years_last_day(run, with_payments):
    """Found by the new-user trial: on 3 December the title said 进度截至 …-12-31, a day to come."""
    with time_machine.travel(dt.datetime(2024, 7, 15, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        result = run("targets", "--unit", "158001")
        document = json.loads(run("targets", "--json").stdout)
    assert "2024 年绩效目标（进度截至 2024-07-15）" in result.stdout, result.stdout
    assert (document["year"], document["as_of"]) == (2024, "2024-07-15")


def test_targets_of_a_year_without_any_and_of_an_unknown_unit_say_so(run):
    result = run("targets", "--year", "2023")
    assert (result.exit_code, result.stdout) == (
        0, "没有 2023 年的绩效目标（先用 budget-monitor ingest 导入绩效目标表）\n")
    result = run("--lang", "en", "targets", "--unit", "999999")
    assert (result.exit_code, result.stderr) == (1, "error: no unit with the code 999999\n")


# --- what a new user met ------------------------------------------------------------------------

SCIENCE_CAPS = [
    ["绩效目标表（2024年）"],
    ["预算单位", "项目", "一级指标", "二级指标", "三级指标", "指标值"],
    ["158001 - 乌鲁木齐市科学技术协会", "158001240001 - 科普经费", "成本指标", "经济成本指标", "科技工作者慰问成本",
     "<=15万元"],
]


def test_money_targets_sharing_a_project_without_a_class_show_needs_a_report_and_how_to_fix_it(
        run, factory, now, tmp_path, with_payments):
    assert ingest_file(factory, gbk_csv(tmp_path / "科普经费.csv", SCIENCE_CAPS), now=now).status == "ingested"

    result = run("targets", "--unit", "158001")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    for name in ("各种科普活动服务费", "科技工作者慰问成本"):
        assert "需报告" in next(line for line in lines if name in line), name
    assert "需报告" not in next(line for line in lines if "聘请人员劳务费" in line)
    note = [line for line in lines if line.startswith("需报告：")]
    assert len(note) == 1 and "progress add" in note[0] and "经济分类" in note[0]
    english = run("--lang", "en", "targets", "--unit", "158001").stdout
    assert "needs a report" in english and "add a 经济分类 column" in english
    document = json.loads(run("targets", "--json", "--as-of", "2024-06-30").stdout)
    by_name = {t["name"]: t for t in document["targets"]}
    assert (by_name["科技工作者慰问成本"]["spent"], by_name["科技工作者慰问成本"]["needs_report"]) == (None, True)
    assert (by_name["聘请人员劳务费"]["spent"], by_name["聘请人员劳务费"]["spent_unit"]) == ("19000.00", "yuan")
    assert (by_name[TALKS]["spent_unit"], by_name[TALKS]["needs_report"]) == (None, False)


def test_a_table_without_targets_needing_reports_has_no_note(run, with_payments):
    result = run("targets", "--unit", "158001")
    assert "需报告" not in result.stdout


@pytest.mark.parametrize("language, expected", [
    ("zh", "错误：缺少必需的选项：--indicator、--date、--actual（如 progress add --unit 158001"),
    ("en", "error: missing required options: --unit, --actual (e.g. progress add --unit 158001"),
])
def test_missing_options_of_progress_add_are_named_together_in_one_line(run, engine, language, expected):
    before = snapshot(engine)
    args = ["progress", "add", "--unit", "158001"] if language == "zh" else \
        ["--lang", "en", "progress", "add", "--indicator", TALKS, "--date", "2024-09-30"]
    result = run(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith(expected) and result.stderr.count("\n") == 1, result.stderr
    assert "Missing option" not in result.output
    assert snapshot(engine) == before


def test_a_fraction_for_a_percentage_target_is_refused_asking_for_the_percentage(run, engine, factory):
    before = snapshot(engine)
    result = add(run, indicator="科普讲座培训考核合格率", actual="0.97")
    assert result.exit_code == 2
    assert "是 97% 吗？请写 97%" in result.stderr
    english = run("--lang", "en", "progress", "add", "--unit", "158001", "--project", ELDER, "--indicator",
                  "科普讲座培训考核合格率", "--date", "2024-09-30", "--actual", "0.97")
    assert english.exit_code == 2 and "did you mean 97%? write 97%" in english.stderr
    assert snapshot(engine) == before
    assert add(run, indicator="科普讲座培训考核合格率", actual="97").exit_code == 0
    assert add(run, indicator="科普讲座培训考核合格率", actual="0.97%", date="2024-10-31").exit_code == 0
    assert [r[1] for r in reports(factory, "科普讲座培训考核合格率")] == [D("97"), D("0.97")]


def test_a_cumulative_report_lower_than_an_earlier_one_is_kept_with_a_note(run, factory):
    assert add(run, actual="30").exit_code == 0
    result = add(run, date="2024-10-31", actual="28")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and lines[0].startswith("已记录（新增）")
    assert lines[1] == "注意：此值低于 2024-09-30 的报告值 30场次（完成值是累计数，通常不会减少；若为更正可忽略）"
    assert reports(factory, TALKS)[-1][:2] == (dt.date(2024, 10, 31), D("28"))
    english = run("--lang", "en", "progress", "add", "--unit", "158001", "--project", ELDER, "--indicator", TALKS,
                  "--date", "2024-11-30", "--actual", "27")
    assert "note: this is lower than the report of 2024-10-31 (28场次)" in english.stdout
    assert len(add(run, date="2024-12-31", actual="35").stdout.splitlines()) == 1  # higher: no note


def test_a_lower_rate_or_satisfaction_is_not_noted(run):
    assert add(run, indicator="群众满意度(%)", actual="95%").exit_code == 0
    result = add(run, indicator="群众满意度(%)", date="2024-10-31", actual="93%")
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 1
