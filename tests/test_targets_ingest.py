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
from tests.helpers import payment, payment_rows, quota_export, quota_line, snapshot, write_xlsx
from tests.target_helpers import (  # noqa: F401  (fixtures)
    ELDER_CODE,
    GOOD_PROGRESS,
    MERGES,
    STORED,
    TARGET_HEADER,
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
        ("158001240001", "成本指标", "经济成本指标", "各种科普活动服务费", "<=61.85万元", "<=", D("61.85"), "万元",
         D("8"), "穆兰娟", dt.date(2024, 12, 31), None, [], None),
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


def test_the_last_target_table_imported_wins_whatever_the_dates_in_its_name_or_title(factory, now, tmp_path, quota):
    """A target table is what a person gives: a revision imported later is applied even when its
    name or title is dated earlier (unlike the payment system's exports)."""
    first = write_xlsx(tmp_path / "2024-05-10_绩效目标表.xlsx", target_table(), MERGES)
    rows = target_table(changes={(10, "指标值"): "<=55000元"})
    rows[1] = ["（2024 年，截至2024年1月10日）"]
    revision = write_xlsx(tmp_path / "绩效目标表（修订）.xlsx", rows, MERGES)
    assert ingest_file(factory, first, now=now).inserted == 7

    outcome = ingest_file(factory, revision, now=now)

    assert (outcome.status, outcome.inserted, outcome.updated, outcome.unchanged) == ("ingested", 0, 1, 6)
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
    other = quota_export(dt.date(2024, 3, 31),
                         quota_line("ZB901", "158009 - 乌鲁木齐市科学技术协会", "1.00", year=2024))
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
        "2024 年预算单位 158001 项目“老年科技工作者协会活动经费”没有三级指标“开展科普讲座场次”的绩效目标"
        "（先导入绩效目标表）")


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


# ---------------------------------------------------------------------------- what a new user met


def _without_columns(rows: list[list], *names: str) -> list[list]:
    """A target table (target_table()) without some of its columns, and without the leader above
    the header when 项目负责人 is one of them."""
    drop = [TARGET_HEADER.index(n) for n in names if n in TARGET_HEADER]
    out = [list(r) for r in rows]
    if "项目负责人" in names:
        out[3] = out[3][:3]
    for r in out[5:]:
        for i in sorted(drop, reverse=True):
            del r[i]
    return out


def test_a_newer_table_without_the_optional_columns_keeps_what_the_earlier_table_gave(factory, now, tmp_path,
                                                                                      targets_file):
    rows = _without_columns(target_table(changes={(10, "指标值"): "<=55000元"}),
                            "指标分值权重", "完成时限", "经济分类", "进度计划", "项目负责人")

    outcome = ingest_file(factory, write_xlsx(tmp_path / "绩效目标表（无可选列）.xlsx", rows, MERGES), now=now)

    assert (outcome.status, outcome.updated, outcome.unchanged) == ("ingested", 1, 6), outcome.problems
    expected = list(STORED)  # weight, leader, due date, milestones and economic class all kept
    expected[3] = expected[3][:4] + ("<=55000元", "<=", D("55000"), "元") + expected[3][8:]
    assert stored_targets(factory) == expected


def test_a_column_present_but_blank_still_clears_the_value(factory, now, tmp_path, targets_file):
    rows = target_table(changes={(10, "经济分类"): None, (7, "进度计划"): None})
    outcome = ingest_file(factory, write_xlsx(tmp_path / "清空.xlsx", rows, MERGES), now=now)
    assert (outcome.status, outcome.updated) == ("ingested", 2), outcome.problems
    stored = stored_targets(factory)
    assert (stored[0][12], stored[3][13]) == ([], None)


def test_a_measure_changed_by_a_wan_prefix_converts_the_stored_reports(factory, now, tmp_path, quota):
    first = target_table(changes={(8, "指标值"): ">=30000 人次"})
    assert ingest_file(factory, write_xlsx(tmp_path / "目标.xlsx", first, MERGES), now=now).status == "ingested"
    report = progress_rows([UNIT, ELDER_CODE, "老年科技大学教学参学场次", "2024-06-30", "12000", ""])
    assert ingest_file(factory, gbk_csv(tmp_path / "进度.csv", report), now=now).status == "ingested"
    revised = target_table(changes={(8, "指标值"): ">=3万人次"})

    outcome = ingest_file(factory, write_xlsx(tmp_path / "目标（修订）.xlsx", revised, MERGES), now=now)

    assert (outcome.status, outcome.updated) == ("ingested", 1), outcome.problems
    assert stored_targets(factory)[1][4:8] == (">=3万人次", ">=", D("3"), "万人次")
    assert stored_progress(factory) == [("老年科技大学教学参学场次", dt.date(2024, 6, 30), D("1.2"), None, "file")]
    back = write_xlsx(tmp_path / "目标（改回）.xlsx", target_table(changes={(8, "指标值"): ">=30000人次"}), MERGES)
    assert ingest_file(factory, back, now=now).status == "ingested"
    assert stored_progress(factory)[0][2] == D("12000")


def test_a_measure_change_that_cannot_be_converted_is_refused_while_reports_exist(refuse, factory, now, tmp_path):
    rows = target_table(changes={(7, "指标值"): ">=35个", (8, "指标值"): ">=20个"})
    outcome = refuse(write_xlsx(tmp_path / "改单位.xlsx", rows, MERGES))
    # 讲座 has two reports in 场次: refused; 老年科技大学 has none: its measure may change
    assert found(outcome) == [("measure_changed", 7, "指标值")]
    assert outcome.problems[0].message("zh") == (
        "“开展科普讲座科技培训场次”的计量单位由“场次”改为“个”，而已有 2 条按“场次”填报的完成进度，"
        "两者无法换算：请仍按“场次”书写指标值（原为 >=35 场次）")
    assert "cannot be converted" in outcome.problems[0].message("en")


def _workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
    book.save(path)
    return path


def test_a_second_sheet_with_another_target_table_is_not_dropped_silently(engine, factory, now, tmp_path, quota):
    science = target_table(project="科普经费", rows=[
        ["产出指标", "数量指标", "当年开展各类科普活动的次数", ">=6场", "", "", 10, "", "", None, None, None]])
    path = _workbook(tmp_path / "两个项目.xlsx", {"说明": [["填表说明"], ["见各工作表"]],
                                                 "老年协会": target_table(), "科普经费": science})
    before = snapshot(engine)

    outcome = ingest_file(factory, path, now=now)

    assert (outcome.status, outcome.kind) == ("refused", "targets")
    assert found(outcome) == [("other_sheet", None, None)]
    assert outcome.problems[0].message("zh").startswith(
        "工作表“科普经费”（第 6 行是表头）也是绩效目标表，而一个文件只导入一个工作表（已读工作表“老年协会”）")
    assert "the sheet '科普经费' (header on row 6) is also a target table" in outcome.problems[0].message("en")
    assert snapshot(engine) == before


def test_a_second_sheet_is_named_beside_the_problems_of_the_first(factory, now, tmp_path, quota):
    bad = target_table(changes={(8, "指标值"): "约20场"})
    outcome = ingest_file(factory, _workbook(tmp_path / "两表.xlsx", {"表1": bad, "表2": target_table()}), now=now)
    assert found(outcome) == [("other_sheet", None, None), ("bad_target", 8, "指标值")]


def test_a_second_payment_sheet_is_refused_too_and_a_sheet_of_another_kind_is_still_ignored(factory, now, tmp_path,
                                                                                           quota):
    first = payment_rows(payment("ZF001", "2024-03-10", "12,000.00", unit=UNIT, quota="ZB201"))
    second = payment_rows(payment("ZF002", "2024-04-15", "8,000.00", unit=UNIT, quota="ZB201"))
    outcome = ingest_file(factory, _workbook(tmp_path / "支付.xlsx", {"一月": first, "二月": second}), now=now)
    assert (outcome.status, found(outcome)) == ("refused", [("other_sheet", None, None)])
    assert "工作表“二月”（第 3 行是表头）也是支付明细" in outcome.problems[0].message("zh")
    with_notes = _workbook(tmp_path / "支付及目标.xlsx", {"一月": first, "目标": target_table()})
    assert ingest_file(factory, with_notes, now=now).status == "ingested"


def test_the_last_progress_report_imported_wins_whatever_the_date_in_its_name(factory, now, tmp_path, targets_file):
    talks = "开展科普讲座科技培训场次"
    later = gbk_csv(tmp_path / "2024-07-05_完成情况.csv",
                    progress_rows([UNIT, ELDER_CODE, talks, "2024-06-30", "17", ""]))
    correction = gbk_csv(tmp_path / "2024-07-01_更正.csv",
                         progress_rows([UNIT, ELDER_CODE, talks, "2024-06-30", "16", "更正"]))
    assert ingest_file(factory, later, now=now).inserted == 1

    outcome = ingest_file(factory, correction, now=now)

    assert (outcome.status, outcome.updated) == ("ingested", 1)
    assert stored_progress(factory) == [(talks, dt.date(2024, 6, 30), D("16"), "更正", "file")]


def test_a_fraction_reported_for_a_percentage_target_is_refused_with_a_hint(refuse, tmp_path):
    rows = progress_rows([UNIT, ELDER_CODE, "科普讲座培训考核合格率", "2024-09-30", "0.97", ""],
                         [UNIT, ELDER_CODE, "群众满意度(%)", "2024-09-30", "0.5%", ""],
                         [UNIT, ELDER_CODE, "开展科普讲座科技培训场次", "2024-09-30", "0.5", ""])
    outcome = refuse(gbk_csv(tmp_path / "小数.csv", rows))
    assert found(outcome) == [("fraction_percent", 3, "实际完成值")]  # 0.5% is written as such; 0.5 场次 is not %
    assert "是 97% 吗？请写 97%" in outcome.problems[0].message("zh")
    assert "did you mean 97%? write 97%" in outcome.problems[0].message("en")


def test_one_refusal_lists_every_problem_of_a_progress_report(refuse, tmp_path):
    """One unreadable value, one date typed 2032, and rows the database does not know: all at once,
    the year taken from most of the dates."""
    talks = "开展科普讲座科技培训场次"
    rows = progress_rows(
        [UNIT, ELDER_CODE, talks, "2024-09-30", "二十七", ""],  # 3: unreadable
        [UNIT, ELDER_CODE, "群众满意度(%)", "2032-09-30", "93%", ""],  # 4: 2032 for 2024
        [UNIT, ELDER_CODE, "开展科普讲座场次", "2024-09-30", "27", ""],  # 5: no such indicator
        [UNIT, "老年协会", talks, "2024-09-30", "27", ""],  # 6: no such project
        [UNIT, ELDER_CODE, "聘请人员劳务费", "2024-09-30", "2.5万元", ""],  # 7: 万元 for 元
        [UNIT, ELDER_CODE, talks, "2024-10-31", "29", ""],
    )
    outcome = refuse(gbk_csv(tmp_path / "多处.csv", rows))
    assert found(outcome) == [("bad_actual", 3, "实际完成值"), ("date_outside_year", 4, "截至日期"),
                              ("unknown_target", 5, "三级指标"), ("unknown_project", 6, "项目"),
                              ("measure_mismatch", 7, "实际完成值")]
    assert outcome.problems[1].message("zh") == "日期 2032-09-30 不在预算年度 2024 年内"


def test_a_progress_report_split_evenly_between_two_years_still_asks_for_the_year(refuse, tmp_path):
    rows = progress_rows([UNIT, ELDER_CODE, "开展科普讲座科技培训场次", "2024-09-30", "27", ""],
                         [UNIT, ELDER_CODE, "开展科普讲座科技培训场次", "2025-01-31", "36", ""])
    assert found(refuse(gbk_csv(tmp_path / "两年.csv", rows))) == [("no_year", None, None)]
