"""Performance target tables (绩效目标表) and progress reports through the real importer.

The target table is an .xlsx shaped like the 项目支出绩效目标表 of the 2024 budget disclosure
(seeds/000_…txt): title rows, the unit and project named above the header, merged 一级/二级指标
cells, and the stray spaces its values carry (``< =6000 0 元``, ``> =90%``, ``不断 提高``). The
progress report is a GBK CSV. Bad files are refused whole, every problem named by (code, row,
column), and the database — which already holds good imports — is left exactly as it was.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from db.engine import transaction
from db.models import PerformanceTarget, Project, Unit
from jobs.ingest import ingest_file
from monitor.target_values import TargetParseError, parse_target
from tests.helpers import quota_export, quota_line, snapshot, write_xlsx
from tests.target_helpers import (  # noqa: F401  (fixtures)
    ELDER_CODE,
    GOOD_PROGRESS,
    MERGES,
    STORED,
    UNIT,
    UNIT_TARGETS,
    found,
    gbk_csv,
    progress_file,
    progress_rows,
    quota,
    stored_progress,
    stored_targets,
    target_table,
    targets_file,
)

D = Decimal


# ---------------------------------------------------------------------------- good files


def test_a_project_target_table_shaped_like_the_budget_disclosure_is_stored_row_by_row(factory, now, tmp_path, quota):
    path = write_xlsx(tmp_path / "绩效目标表.xlsx", target_table(), MERGES)

    outcome = ingest_file(factory, path, now=now)

    assert (outcome.status, outcome.kind, outcome.rows, outcome.budget_year) == ("ingested", "targets", 7, 2024)
    assert stored_targets(factory) == STORED
    with transaction(factory) as session:
        owners = set(session.execute(select(Unit.code, Project.code, PerformanceTarget.budget_year)
                                     .join(Unit, Unit.id == PerformanceTarget.unit_id)
                                     .join(Project, Project.id == PerformanceTarget.project_id)).all())
    assert owners == {("158001", ELDER_CODE, 2024)}


def test_a_gbk_progress_report_is_stored_against_its_targets(factory, now, tmp_path, targets_file):
    outcome = ingest_file(factory, gbk_csv(tmp_path / "完成情况.csv", GOOD_PROGRESS), now=now)

    assert (outcome.status, outcome.kind, outcome.budget_year, outcome.inserted) == ("ingested", "progress", 2024, 4)
    assert stored_progress(factory) == [
        ("开展科普讲座科技培训场次", dt.date(2024, 3, 31), D("8"), "一季度讲座", "file"),
        ("开展科普讲座科技培训场次", dt.date(2024, 6, 30), D("17"), None, "file"),
        ("聘请人员劳务费", dt.date(2024, 6, 30), D("19000"), None, "file"),
        ("群众满意度(%)", dt.date(2024, 6, 30), D("92"), "问卷调查", "file"),
    ]


def test_a_unit_wide_target_table_with_unit_and_project_columns_is_read_too(factory, now, tmp_path, quota):
    outcome = ingest_file(factory, gbk_csv(tmp_path / "整体.csv", UNIT_TARGETS), now=now)

    assert (outcome.status, outcome.kind, outcome.inserted) == ("ingested", "targets", 3), outcome.problems
    assert stored_targets(factory) == [
        ("", "履职效能", "数量指标", "成立科普基地", "≥5 个", ">=", D("5"), "个", None, "石佳", dt.date(2024, 11, 30),
         dt.date(2024, 3, 1), [], None),
        ("", "履职效能", "数量指标", "单位整体支出", "<=50万元", "<=", D("50"), "万元", D("5"), None,
         dt.date(2024, 12, 31), None, [], None),
        ("158001240001", "成本指标", "经济成本指标", "各种科普活动服务费", "<=61.85万元", "<=", D("61.85"), "万元", D("8"),
         "穆兰娟", dt.date(2024, 12, 31), None, [], None),
    ]


def test_reimporting_the_same_target_table_reports_unchanged_and_changes_nothing(engine, factory, now, targets_file):
    before = snapshot(engine)
    outcome = ingest_file(factory, targets_file, now=now)
    assert (outcome.status, outcome.kind) == ("unchanged", "targets")
    assert snapshot(engine) == before


def test_a_newer_target_table_updates_the_rows_and_keeps_the_targets_it_leaves_out(factory, now, tmp_path,
                                                                                   targets_file):
    rows = target_table(changes={(10, "指标值"): "<=55000元"})[:-1]  # 群众满意度 (row 13) left out
    del rows[8]  # and 科普讲座培训考核合格率 (row 9)
    path = write_xlsx(tmp_path / "绩效目标表（调整）.xlsx", rows, ["A7:A8", "B7:B8", "A9:A10", "B9:B10"])

    outcome = ingest_file(factory, path, now=now)

    assert (outcome.status, outcome.inserted, outcome.updated, outcome.unchanged) == ("ingested", 0, 1, 4)
    expected = list(STORED)
    expected[3] = expected[3][:4] + ("<=55000元", "<=", D("55000"), "元") + expected[3][8:]
    assert stored_targets(factory) == expected


def test_an_older_target_table_imported_late_does_not_undo_a_newer_one(factory, now, tmp_path, quota):
    newer = write_xlsx(tmp_path / "2024-05-10_绩效目标表.xlsx",
                       target_table(changes={(10, "指标值"): "<=55000元"}), MERGES)
    older = write_xlsx(tmp_path / "2024-01-10_绩效目标表.xlsx", target_table(), MERGES)
    assert ingest_file(factory, newer, now=now).inserted == 7

    outcome = ingest_file(factory, older, now=now)

    assert (outcome.status, outcome.inserted, outcome.updated, outcome.unchanged) == ("ingested", 0, 0, 7)
    assert stored_targets(factory)[3][4:7] == ("<=55000元", "<=", D("55000"))


def test_a_later_progress_report_for_the_same_target_and_date_replaces_the_value(factory, now, tmp_path,
                                                                                  progress_file):
    later = progress_rows([UNIT, ELDER_CODE, "开展科普讲座科技培训场次", "2024-06-30", "18场次", "补报"],
                          [UNIT, ELDER_CODE, "开展科普讲座科技培训场次", "2024-06-30", "18场次", "补报"])

    outcome = ingest_file(factory, gbk_csv(tmp_path / "补报.csv", later), now=now)

    assert (outcome.status, outcome.rows, outcome.inserted, outcome.updated) == ("ingested", 1, 0, 1)
    assert stored_progress(factory)[:2] == [
        ("开展科普讲座科技培训场次", dt.date(2024, 3, 31), D("8"), "一季度讲座", "file"),
        ("开展科普讲座科技培训场次", dt.date(2024, 6, 30), D("18"), "补报", "file"),
    ]


# ---------------------------------------------------------------------------- refusals


@pytest.fixture
def refuse(engine, factory, now, progress_file):
    """A bad file is refused, twice alike, and every table stays as it was."""

    def run(path: Path, **options):
        before = snapshot(engine)
        outcome = ingest_file(factory, path, now=now, **options)
        assert outcome.status == "refused", outcome
        assert (outcome.rows, outcome.inserted, outcome.import_id) == (0, 0, None)
        assert snapshot(engine) == before
        again = ingest_file(factory, path, now=now, **options)
        assert (again.status, again.problems) == ("refused", outcome.problems)
        assert snapshot(engine) == before
        return outcome

    return run


def test_a_target_table_of_a_project_the_database_does_not_know_is_refused_at_the_project_cell(refuse, tmp_path):
    rows = target_table(project="老年科技协会经费", changes={(10, "指标值"): "<=50000元"})
    outcome = refuse(write_xlsx(tmp_path / "未知项目.xlsx", rows, MERGES))
    assert outcome.kind == "targets"
    assert found(outcome) == [("unknown_project", 4, "项目名称")]
    assert outcome.problems[0].message("zh") == (
        "预算单位 158001 没有项目“老年科技协会经费”（项目来自指标明细导出：先导入指标明细，或写项目代码）")
    assert outcome.problems[0].message("en").startswith("the budget unit 158001 has no project '老年科技协会经费'")


def test_a_unit_name_that_matches_no_unit_is_refused_at_the_unit_cell(refuse, tmp_path):
    outcome = refuse(write_xlsx(tmp_path / "未知单位.xlsx", target_table(unit="乌鲁木齐市科协"), MERGES))
    assert found(outcome) == [("unknown_unit", 3, "预算单位")]
    assert outcome.problems[0].message("zh") == (
        "数据库中没有名为“乌鲁木齐市科协”的预算单位（先导入指标明细，或写成“编码 - 名称”）")


def test_an_unreadable_target_value_is_refused_at_its_row_and_column_with_the_parsers_words(refuse, tmp_path):
    rows = target_table(changes={(8, "指标值"): "约20场", (10, "指标值"): "<=50000元"})
    outcome = refuse(write_xlsx(tmp_path / "指标值.xlsx", rows, MERGES))
    assert found(outcome) == [("bad_target", 8, "指标值")]
    assert outcome.problems[0].value == "约20场"
    with pytest.raises(TargetParseError) as parsed:
        parse_target("约20场")
    assert outcome.problems[0].message("zh") == parsed.value.zh
    assert outcome.problems[0].message("en") == parsed.value.en


def test_a_milestone_schedule_that_cannot_be_read_is_refused(refuse, tmp_path):
    rows = target_table(changes={(7, "进度计划"): "9/18/27", (10, "指标值"): "<=50000元"})
    outcome = refuse(write_xlsx(tmp_path / "进度计划.xlsx", rows, MERGES))
    assert found(outcome) == [("bad_milestones", 7, "进度计划")]
    assert outcome.problems[0].message("zh").startswith(
        "进度计划无法识别：不带日期的节点须为2个（半年）、4个（季度）或12个（月度），实际为3个")


def test_an_indicator_repeated_for_the_same_project_is_refused_naming_both_rows(refuse, tmp_path):
    rows = target_table(changes={(12, "三级指标"): "老年科技大学教学参学场次", (10, "指标值"): "<=50000元"})
    outcome = refuse(write_xlsx(tmp_path / "重复.xlsx", rows, MERGES))
    assert found(outcome) == [("duplicate_indicator", 12, "三级指标")]
    assert outcome.problems[0].message("zh") == (
        "“老年科技大学教学参学场次”与第 8 行重复：同一单位、同一项目的三级指标只能有一行")
    assert outcome.problems[0].message("en") == (
        "'老年科技大学教学参学场次' repeats row 8: an indicator of one unit and project has one row only")


def test_every_problem_of_a_target_table_is_listed_in_row_order(refuse, tmp_path):
    rows = target_table(project="老年协会", changes={
        (7, "进度计划"): "3-31:9; 2-28:18", (9, "指标值"): "5-10%", (10, "指标分值权重"): "十分",
        (11, "完成时限"): "2025-01-31", (13, "三级指标"): None})
    outcome = refuse(write_xlsx(tmp_path / "多处.xlsx", rows, MERGES))
    assert found(outcome) == [("unknown_project", 4, "项目名称"), ("bad_milestones", 7, "进度计划"),
                              ("bad_target", 9, "指标值"), ("bad_weight", 10, "指标分值权重"),
                              ("date_outside_year", 11, "完成时限"), ("missing_value", 13, "三级指标")]


def test_a_unit_name_shared_by_two_units_is_refused_asking_for_the_code(refuse, factory, now, tmp_path):
    other = quota_export(dt.date(2024, 3, 31), quota_line("ZB901", "158009 - 乌鲁木齐市科学技术协会", "1.00", year=2024))
    assert ingest_file(factory, gbk_csv(tmp_path / "另一单位.csv", other), now=now).status == "ingested"
    rows = target_table(changes={(10, "指标值"): "<=50000元"})
    outcome = refuse(write_xlsx(tmp_path / "同名.xlsx", rows, MERGES))
    assert found(outcome) == [("ambiguous_unit", 3, "预算单位")]
    assert outcome.problems[0].message("zh") == (
        "有 2 个预算单位名为“乌鲁木齐市科学技术协会”（158001、158009）：请写成“编码 - 名称”")


def test_progress_for_a_target_that_is_not_stored_is_refused_naming_the_row(refuse, tmp_path):
    rows = progress_rows([UNIT, ELDER_CODE, "开展科普讲座科技培训场次", "2024-09-30", "27", ""],
                         [UNIT, ELDER_CODE, "开展科普讲座场次", "2024-09-30", "27", ""])
    outcome = refuse(gbk_csv(tmp_path / "未知指标.csv", rows))
    assert outcome.kind == "progress"
    assert found(outcome) == [("unknown_target", 4, "三级指标")]
    assert outcome.problems[0].message("zh") == (
        "2024 年预算单位 158001 项目“老年科技工作者协会活动经费”没有三级指标“开展科普讲座场次”的绩效目标（先导入绩效目标表）")


def test_progress_whose_measure_disagrees_with_the_targets_is_refused(refuse, tmp_path):
    rows = progress_rows([UNIT, ELDER_CODE, "开展科普讲座科技培训场次", "2024-09-30", "27场次", ""],
                         [UNIT, ELDER_CODE, "聘请人员劳务费", "2024-09-30", "1.9万元", ""])
    outcome = refuse(gbk_csv(tmp_path / "单位不符.csv", rows))
    assert found(outcome) == [("measure_mismatch", 4, "实际完成值")]
    assert outcome.problems[0].message("zh") == (
        "计量单位“万元”与目标“聘请人员劳务费”的指标值 < =6000 0 元 不一致（应为“元”）")


def test_two_different_values_for_one_target_and_date_in_one_report_are_refused(refuse, tmp_path):
    rows = progress_rows([UNIT, ELDER_CODE, "开展科普讲座科技培训场次", "2024-09-30", "27", ""],
                         [UNIT, ELDER_CODE, "开展科普讲座科技培训场次", "2024-09-30", "28", ""])
    outcome = refuse(gbk_csv(tmp_path / "两个值.csv", rows))
    assert found(outcome) == [("duplicate_report", 4, "实际完成值")]
    assert outcome.problems[0].message("en") == "repeats the indicator and date of row 3 with another actual value"


def test_a_progress_value_that_is_not_a_number_is_refused(refuse, tmp_path):
    rows = progress_rows([UNIT, ELDER_CODE, "开展科普讲座科技培训场次", "2024-09-30", "已完成", ""],
                         [UNIT, ELDER_CODE, "群众满意度(%)", "2024-09-30", ">=90%", ""])
    outcome = refuse(gbk_csv(tmp_path / "非数值.csv", rows))
    assert found(outcome) == [("bad_actual", 3, "实际完成值"), ("bad_actual", 4, "实际完成值")]
