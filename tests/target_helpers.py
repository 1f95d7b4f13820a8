"""Builders of performance target tables and progress reports for the tests, and fixtures that
import them (with the quota export that makes their unit and projects known).

The target table is an .xlsx shaped like the 项目支出绩效目标表 of the 2024 budget disclosure
(seeds/000_…txt): title rows, the unit and project named above the header, merged 一级/二级指标
cells, and the stray spaces its values carry (``< =6000 0 元``, ``> =90%``, ``不断 提高``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from db.engine import transaction
from db.models import PerformanceTarget, TargetProgress
from jobs.ingest import ingest_file
from tests.helpers import payment, payment_rows, quota_export, quota_line, write_csv, write_xlsx

D = Decimal
UNIT = "158001 - 乌鲁木齐市科学技术协会"
DEPARTMENT = "158 - 乌鲁木齐市科学技术协会"
SCIENCE = "158001240001 - 科普经费"
ELDER = "158001240002 - 老年科技工作者协会活动经费"
ELDER_CODE = "158001240002"

QUOTA = quota_export(
    dt.date(2024, 3, 31),
    quota_line("ZB001", UNIT, "100000.00", year=2024, department=DEPARTMENT),
    quota_line("ZB101", UNIT, "600000.00", year=2024, department=DEPARTMENT, project=SCIENCE,
               economic="30227 - 委托业务费"),
    quota_line("ZB102", UNIT, "150000.00", year=2024, department=DEPARTMENT, project=SCIENCE,
               economic="30226 - 劳务费"),
    quota_line("ZB201", UNIT, "60000.00", year=2024, department=DEPARTMENT, project=ELDER,
               economic="30226 - 劳务费"),
    quota_line("ZB202", UNIT, "40000.00", year=2024, department=DEPARTMENT, project=ELDER,
               economic="30211 - 差旅费"),
)

TARGET_HEADER = ["一级指标", "二级指标", "三级指标", "指标值", "指标值设置依据", "上年完成值", "指标分值权重",
                 "指标赋分规则", "佐证资料", "完成时限", "经济分类", "进度计划"]
MERGES = ["A7:A9", "B7:B8", "A10:A11", "B10:B11"]


def target_table(*, unit="乌鲁木齐市科学技术协会", project="老年科技工作者协会活动经费", changes=None,
                 rows=None) -> list[list]:
    """The 项目支出绩效目标表 of 老年科技工作者协会活动经费 (2024), rows 7–13 as Excel numbers them;
    ``changes`` maps (Excel row, header) → a new cell value."""
    body = rows if rows is not None else [
        ["产出指标", "数量指标", "开展科普讲座科技培训场次", ">=35 场次", "计划标准", "35 场次", 20, "按照完成比例赋分",
         "正式材料,工作资料", None, None, "9/18/27/35"],
        [None, None, "老年科技大学教学参学场次", ">=20 场次", "计划标准", "20 场次", 10, "按照完成比例赋分",
         "正式材料,工作资料", "2024-10-31", None, None],
        [None, "质量指标", "科普讲座培训考核合格率", "> =95%", "计划标准", "95%", 10, "按照完成比例赋分",
         "正式材料,工作资料,原始凭证", None, None, None],
        ["成本指标", "经济成本指标", "聘请人员劳务费", "< =6000 0 元", "历史标准", "60000 元", 10, "按照完成比例赋分",
         "正式材料,工作资料", None, "30226", None],
        [None, None, "科普培训支出及差旅费成本", "< =4000 0 元", "计划标准", "当年指标,无上年完成值", 10,
         "按照完成比例赋分", "正式材料,原始凭证", None, "30211 - 差旅费", None],
        ["效益指标", "社会效益指标", "提高老年群体科学素质", "不断 提高", "计划标准", "不断 提高", 20, "按评判等级赋分",
         "正式材料,工作资料", None, None, None],
        ["满意度指标", "满意度指标", "群众满意度 (%)", "> =90%", "计划标准", "95%", 10, "满意度赋分",
         "正式材料,工作资料", None, None, None],
    ]
    body = [list(r) for r in body]
    for (row, header), value in (changes or {}).items():
        body[row - 7][TARGET_HEADER.index(header)] = value
    return [["项目支出绩效目标表"], ["(2024 年)"],
            ["预算单位", None, unit],
            ["项目名称", None, project, None, None, "项目负责人", "武文彤"],
            ["项目资金(万元)", None, "年度预算总额", 10.00, "其中：财政拨款", 10.00, "其他资金", 0.00],
            TARGET_HEADER, *body]


# (scope, level1, level2, name, as written, operator, value, measure, weight, leader, due, start, milestones, class)
STORED = [
    (ELDER_CODE, "产出指标", "数量指标", "开展科普讲座科技培训场次", ">=35 场次", ">=", D("35"), "场次", D("20"),
     "武文彤", dt.date(2024, 12, 31), None, [["2024-03-31", "9"], ["2024-06-30", "18"], ["2024-09-30", "27"],
                                             ["2024-12-31", "35"]], None),
    (ELDER_CODE, "产出指标", "数量指标", "老年科技大学教学参学场次", ">=20 场次", ">=", D("20"), "场次", D("10"),
     "武文彤", dt.date(2024, 10, 31), None, [], None),
    (ELDER_CODE, "产出指标", "质量指标", "科普讲座培训考核合格率", "> =95%", ">=", D("95"), "%", D("10"), "武文彤",
     dt.date(2024, 12, 31), None, [], None),
    (ELDER_CODE, "成本指标", "经济成本指标", "聘请人员劳务费", "< =6000 0 元", "<=", D("60000"), "元", D("10"),
     "武文彤", dt.date(2024, 12, 31), None, [], "30226"),
    (ELDER_CODE, "成本指标", "经济成本指标", "科普培训支出及差旅费成本", "< =4000 0 元", "<=", D("40000"), "元",
     D("10"), "武文彤", dt.date(2024, 12, 31), None, [], "30211"),
    (ELDER_CODE, "效益指标", "社会效益指标", "提高老年群体科学素质", "不断 提高", "improve", None, "", D("20"),
     "武文彤", dt.date(2024, 12, 31), None, [], None),
    (ELDER_CODE, "满意度指标", "满意度指标", "群众满意度(%)", "> =90%", ">=", D("90"), "%", D("10"), "武文彤",
     dt.date(2024, 12, 31), None, [], None),
]

PROGRESS_HEADER = ["预算单位", "项目", "三级指标", "截至日期", "实际完成值", "备注"]


def progress_rows(*rows) -> list[list]:
    return [["绩效目标完成情况表"], PROGRESS_HEADER, *rows]


GOOD_PROGRESS = progress_rows(
    [UNIT, "老年科技工作者协会活动经费", "开展科普讲座科技培训场次", "2024-03-31", "8场次", "一季度讲座"],
    [UNIT, ELDER_CODE, "开展科普讲座科技培训场次", "2024-06-30", "17", ""],
    ["乌鲁木齐市科学技术协会", "老年科技工作者协会活动经费", "群众满意度 (%)", "2024/6/30", "92%", "问卷调查"],
    [UNIT, ELDER, "聘请人员劳务费", "20240630", "19,000元", ""],
)


UNIT_TARGETS = [
    ["单位整体绩效目标表（2024年）"],
    ["预算单位", "项目", "一级指标", "二级指标", "三级指标", "指标值", "权重", "负责人", "开始日期", "截止日期"],
    ["乌鲁木齐市科学技术协会", "", "履职效能", "数量指标", "成立科普基地", "≥5 个", "", "石佳",
     "2024-03-01", "2024-11-30"],
    [UNIT, None, None, None, "单位整体支出", "<=50万元", "5", "", "", ""],
    [UNIT, SCIENCE, "成本指标", "经济成本指标", "各种科普活动服务费", "<=61.85万元", "8", "穆兰娟", "", ""],
]

# Paid by 2024-06-30: 老年 劳务费 (ZB201) 12,000 + 8,000 − 1,000 (a reversal) = 19,000, its 差旅费 (ZB202)
# 7,000; 科普经费 20,000; the unit as a whole 46,800 (with 500 of its basic line and 300 against no
# known line). A returned, a voided and a July payment do not count.
PAYMENTS = payment_rows(
    payment("ZF001", "2024-03-10", "12,000.00", unit=UNIT, quota="ZB201"),
    payment("ZF002", "2024-04-15", "8,000.00", unit=UNIT, quota="ZB201"),
    payment("ZF003", "2024-05-20", "5,000.00", unit=UNIT, quota="ZB201", status="已退回"),
    payment("ZF004", "2024-05-21", "-1,000.00", unit=UNIT, quota="ZB201", status="已退回"),
    payment("ZF005", "2024-05-22", "3,000.00", unit=UNIT, quota="ZB201", status="已作废"),
    payment("ZF006", "2024-06-10", "7,000.00", unit=UNIT, quota="ZB202"),
    payment("ZF007", "2024-07-05", "9,000.00", unit=UNIT, quota="ZB201"),
    payment("ZF008", "2024-02-01", "20,000.00", unit=UNIT, quota="ZB102"),
    payment("ZF009", "2024-02-02", "500.00", unit=UNIT, quota="ZB001"),
    payment("ZF010", "2024-03-03", "300.00", unit=UNIT, quota="ZB999"),
)


def gbk_csv(path: Path, rows) -> Path:
    return write_csv(path, rows, encoding="gb18030")


def found(outcome) -> list[tuple]:
    return [(p.code, p.row, p.column) for p in outcome.problems]


def stored_targets(factory) -> list[tuple]:
    with transaction(factory) as session:
        rows = session.execute(
            select(PerformanceTarget.scope, PerformanceTarget.level1, PerformanceTarget.level2, PerformanceTarget.name,
                   PerformanceTarget.target_text, PerformanceTarget.operator, PerformanceTarget.value,
                   PerformanceTarget.measure, PerformanceTarget.weight, PerformanceTarget.leader,
                   PerformanceTarget.due_on, PerformanceTarget.window_start, PerformanceTarget.milestones,
                   PerformanceTarget.economic_class)
            .order_by(PerformanceTarget.id)).all()
    return [tuple(r) for r in rows]


def stored_progress(factory) -> list[tuple]:
    with transaction(factory) as session:
        rows = session.execute(
            select(PerformanceTarget.name, TargetProgress.reported_on, TargetProgress.actual, TargetProgress.note,
                   TargetProgress.source)
            .join(PerformanceTarget, PerformanceTarget.id == TargetProgress.target_id)
            .order_by(TargetProgress.target_id, TargetProgress.reported_on)).all()
    return [tuple(r) for r in rows]


@pytest.fixture
def quota(factory, now, tmp_path) -> Path:
    """The quota export that makes the unit and its projects known."""
    path = gbk_csv(tmp_path / "指标.csv", QUOTA)
    assert ingest_file(factory, path, now=now).status == "ingested"
    return path


@pytest.fixture
def targets_file(factory, now, tmp_path, quota) -> Path:
    path = write_xlsx(tmp_path / "绩效目标表.xlsx", target_table(), MERGES)
    outcome = ingest_file(factory, path, now=now)
    assert (outcome.status, outcome.kind, outcome.inserted) == ("ingested", "targets", 7), outcome.problems
    return path


@pytest.fixture
def progress_file(factory, now, tmp_path, targets_file) -> Path:
    path = gbk_csv(tmp_path / "完成情况.csv", GOOD_PROGRESS)
    outcome = ingest_file(factory, path, now=now)
    assert (outcome.status, outcome.kind, outcome.inserted) == ("ingested", "progress", 4), outcome.problems
    return path
