"""Merged cells in target tables, progress reports and exports, as the disclosures print them.

A 绩效目标表 prints its 预算单位, 项目名称, 一级/二级指标 and 项目负责人 once over the rows they
apply to (B4:B8 over a project's five indicators). A workbook keeps such a value in the range's
first cell only: read as written, the other rows had no unit (the file was refused) or no project
(their targets fell to the unit as a whole, and a project's cost cap was measured against the
whole unit's spending). Every file here is a real .xlsx (openpyxl) or BIFF8 .xls (xlwt) with real
merged ranges, taken end to end: the quota export, the target table, a progress report, payments,
and the daemon's evaluation with its routing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from alerts.findings import AlertSettings
from alerts.notify import Message
from alerts.render import render_text
from alerts.routing import Directory, Person
from db.engine import transaction
from db.models import PerformanceTarget, Project, QuotaLine, TargetProgress, Unit
from jobs.clock import BEIJING
from jobs.evaluate import AlertConfig, evaluate
from jobs.execution import ExecutionSettings
from jobs.ingest import ingest_file
from tests.helpers import payment, payment_rows, quota_export, quota_line, snapshot, write_csv, write_xlsx
from tests.target_helpers import ELDER, SCIENCE, UNIT, found

D = Decimal
DEPARTMENT = "158 - 乌鲁木齐市科学技术协会"
SCIENCE_CODE, ELDER_CODE = SCIENCE.split(" - ")[0], ELDER.split(" - ")[0]
QUOTA = quota_export(
    dt.date(2024, 1, 10),
    quota_line("ZB001", UNIT, "2,000,000.00", year=2024, department=DEPARTMENT),
    quota_line("ZB101", UNIT, "1,500,000.00", year=2024, department=DEPARTMENT, project=SCIENCE,
               economic="30227 - 委托业务费"),
    quota_line("ZB102", UNIT, "500,000.00", year=2024, department=DEPARTMENT, project=SCIENCE,
               economic="30226 - 劳务费"),
    quota_line("ZB201", UNIT, "600,000.00", year=2024, department=DEPARTMENT, project=ELDER,
               economic="30226 - 劳务费"),
)

HEADER = ["预算单位", "项目名称", "一级指标", "二级指标", "三级指标", "指标值", "分值权重", "项目负责人"]
_ = None  # a cell a merged range covers: blank as the workbook stores it


def target_rows(*, unit_merged: bool) -> list[list]:
    """Two projects of five indicators each, rows 4–13, the way the disclosure prints them."""
    u = _ if unit_merged else UNIT
    return [
        ["项目支出绩效目标表"], ["（2024 年）"], HEADER,
        [UNIT, "科普经费", "产出指标", "数量指标", "开展科普活动场次", ">=40 场次", 20, "穆兰娟"],
        [u, _, _, _, "科普活动受众人次", ">=5 万人次", 20, _],
        [u, _, _, "质量指标", "活动验收合格率", ">=95%", 20, _],
        [u, _, "效益指标", "社会效益指标", "公众科学素质", "不断提高", 20, _],
        [u, _, "成本指标", "经济成本指标", "项目成本", "<=178万元", 20, _],
        [u, "老年科技工作者协会活动经费", "成本指标", "经济成本指标", "活动经费成本", "<=55万元", 20, "武文彤"],
        [u, _, "产出指标", "数量指标", "开展老年科普讲座场次", ">=35 场次", 20, _],
        [u, _, _, "质量指标", "讲座考核合格率", ">=95%", 20, _],
        [u, _, "效益指标", "社会效益指标", "提高老年群体科学素质", "不断提高", 20, _],
        [u, _, "满意度指标", _, "群众满意度", ">=90%", 20, _],
    ]


PROJECT_MERGES = ["B4:B8", "B9:B13", "C4:C6", "D4:D5", "C10:C11", "H4:H8", "H9:H13", "C13:D13"]
UNIT_MERGE = ["A4:A13"]

# (project, 一级指标, 二级指标, 三级指标, leader): every target on its own project
EXPECTED = [
    (SCIENCE_CODE, "产出指标", "数量指标", "开展科普活动场次", "穆兰娟"),
    (SCIENCE_CODE, "产出指标", "数量指标", "科普活动受众人次", "穆兰娟"),
    (SCIENCE_CODE, "产出指标", "质量指标", "活动验收合格率", "穆兰娟"),
    (SCIENCE_CODE, "效益指标", "社会效益指标", "公众科学素质", "穆兰娟"),
    (SCIENCE_CODE, "成本指标", "经济成本指标", "项目成本", "穆兰娟"),
    (ELDER_CODE, "成本指标", "经济成本指标", "活动经费成本", "武文彤"),
    (ELDER_CODE, "产出指标", "数量指标", "开展老年科普讲座场次", "武文彤"),
    (ELDER_CODE, "产出指标", "质量指标", "讲座考核合格率", "武文彤"),
    (ELDER_CODE, "效益指标", "社会效益指标", "提高老年群体科学素质", "武文彤"),
    (ELDER_CODE, "满意度指标", "满意度指标", "群众满意度", "武文彤"),
]


def write_xls(path: Path, rows: list[list], merges: list[str]) -> Path:
    """A BIFF8 .xls with real merged ranges (xlwt ``write_merge``): the value in the first cell."""
    import xlwt
    from openpyxl.utils.cell import range_boundaries

    workbook = xlwt.Workbook(encoding="utf-8")
    sheet = workbook.add_sheet("绩效目标")
    covered = set()
    for cell_range in merges:
        left, top, right, bottom = range_boundaries(cell_range)
        sheet.write_merge(top - 1, bottom - 1, left - 1, right - 1, rows[top - 1][left - 1])
        covered |= {(r, c) for r in range(top - 1, bottom) for c in range(left - 1, right)}
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            if cell is not None and (r, c) not in covered:
                sheet.write(r, c, cell)
    workbook.save(str(path))
    return path


WRITERS = {"xlsx": write_xlsx, "xls": write_xls}


def workbook(tmp_path: Path, name: str, fmt: str, rows: list[list], merges: list[str]) -> Path:
    return WRITERS[fmt](tmp_path / f"{name}.{fmt}", rows, merges)


@pytest.fixture
def quota(factory, now, tmp_path) -> None:
    outcome = ingest_file(factory, write_csv(tmp_path / "指标.csv", QUOTA, encoding="gb18030"), now=now)
    assert outcome.status == "ingested", outcome.problems


def owners(factory) -> list[tuple]:
    with transaction(factory) as session:
        rows = session.execute(
            select(Project.code, PerformanceTarget.level1, PerformanceTarget.level2, PerformanceTarget.name,
                   PerformanceTarget.leader, Unit.code)
            .join(Unit, Unit.id == PerformanceTarget.unit_id)
            .outerjoin(Project, Project.id == PerformanceTarget.project_id)
            .order_by(PerformanceTarget.id)).all()
    assert {r[-1] for r in rows} <= {"158001"}
    return [tuple(r[:-1]) for r in rows]


def progress_owners(factory) -> list[tuple]:
    with transaction(factory) as session:
        rows = session.execute(
            select(Project.code, PerformanceTarget.name, TargetProgress.reported_on, TargetProgress.actual)
            .join(PerformanceTarget, PerformanceTarget.id == TargetProgress.target_id)
            .outerjoin(Project, Project.id == PerformanceTarget.project_id)
            .order_by(TargetProgress.id)).all()
    return [tuple(r) for r in rows]


PROGRESS = [
    ["绩效目标完成情况表（2024年）"],
    ["预算单位", "项目名称", "三级指标", "截至日期", "实际完成值", "备注"],
    [UNIT, "科普经费", "开展科普活动场次", "2024-02-29", "12场次", "寒假科普"],
    [_, _, "科普活动受众人次", _, "1.2万人次", _],
    [_, _, "活动验收合格率", _, "96%", _],
    [_, "老年科技工作者协会活动经费", "开展老年科普讲座场次", _, "6场次", _],
    [_, _, "讲座考核合格率", _, "97%", _],
]
PROGRESS_MERGES = ["A3:A7", "B3:B5", "B6:B7", "D3:D7"]
PROGRESS_STORED = [
    (SCIENCE_CODE, "开展科普活动场次", dt.date(2024, 2, 29), D("12")),
    (SCIENCE_CODE, "科普活动受众人次", dt.date(2024, 2, 29), D("1.2")),
    (SCIENCE_CODE, "活动验收合格率", dt.date(2024, 2, 29), D("96")),
    (ELDER_CODE, "开展老年科普讲座场次", dt.date(2024, 2, 29), D("6")),
    (ELDER_CODE, "讲座考核合格率", dt.date(2024, 2, 29), D("97")),
]

PEOPLE = (Person("穆兰娟", "project_leader", projects=frozenset({SCIENCE_CODE})),
          Person("武文彤", "project_leader", projects=frozenset({ELDER_CODE})),
          Person("科协机关负责人", "unit_leader", units=frozenset({"158001"})))
CONFIG = AlertConfig(rules=AlertSettings(target_silent_weeks=0), directory=Directory(people=PEOPLE, fallback=None),
                     quiet_hours=None, quiet_on_rest_days=False, charts=False)


def target_alerts(factory, day: str) -> tuple[dict[str, list[tuple]], dict[str, str]]:
    """Evaluate on ``day``: per recipient the (rule, event, severity) of each target item, and the text."""
    as_of = dt.date.fromisoformat(day)
    result = evaluate(factory, execution=ExecutionSettings(), alerts=CONFIG, as_of=as_of,
                      now=dt.datetime.combine(as_of, dt.time(9), tzinfo=BEIJING))
    told, texts = {}, {}
    for plan in result.messages:
        items = [i for i in plan.draft.items if i.rule.startswith("target")]
        if items:
            told[plan.draft.recipient.name] = [(i.rule, i.event, i.severity) for i in items]
            texts[plan.draft.recipient.name] = render_text(Message(
                1, plan.draft.recipient, plan.draft.language, as_of, as_of.year, tuple(items)))
    return told, texts


# Paid by 1 March: 科普经费 1,650,000 (92.7% of its cap of 178 万元), 老年 100,000 (18% of 55 万元),
# and 1,200,000 of the unit's basic line: the unit as a whole 2,950,000, far over 178 万元.
PAYMENTS = payment_rows(
    payment("CP1", "2024-01-20", "950,000.00", unit=UNIT, quota="ZB101"),
    payment("CP2", "2024-02-10", "700,000.00", unit=UNIT, quota="ZB102"),
    payment("CP3", "2024-02-15", "1,200,000.00", unit=UNIT, quota="ZB001"),
    payment("CP4", "2024-02-20", "100,000.00", unit=UNIT, quota="ZB201"),
)


def import_targets(factory, now, tmp_path, fmt: str, *, unit_merged: bool) -> None:
    merges = PROJECT_MERGES + (UNIT_MERGE if unit_merged else [])
    targets = ingest_file(factory, workbook(tmp_path, "绩效目标表", fmt, target_rows(unit_merged=unit_merged), merges),
                          now=now)
    assert (targets.status, targets.kind, targets.inserted) == ("ingested", "targets", 10), targets.problems


def import_progress(factory, now, tmp_path, fmt: str) -> None:
    progress = ingest_file(factory, workbook(tmp_path, "完成情况", fmt, PROGRESS, PROGRESS_MERGES), now=now)
    assert (progress.status, progress.kind, progress.inserted) == ("ingested", "progress", 5), progress.problems


@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
def test_merged_project_cells_put_every_target_on_its_project_and_its_cost_cap_on_the_project_spending(
        factory, now, tmp_path, quota, fmt):
    """Case 6: B4:B8 over 科普经费's five indicators. Before, 8 of the 10 targets fell to the unit
    as a whole, and 项目成本 (≤178 万元) was measured against the unit's 295 万元: a false red to
    the unit leader from 1 March."""
    import_targets(factory, now, tmp_path, fmt, unit_merged=False)
    paid = ingest_file(factory, write_csv(tmp_path / "支付.csv", PAYMENTS, encoding="gb18030"), now=now)
    assert paid.status == "ingested", paid.problems

    told, texts = target_alerts(factory, "2024-03-01")
    assert told == {"穆兰娟": [("target_cap", "fire", "yellow")]}, "the project's leader, near its cap; nobody red"
    assert "「科普经费 · 项目成本」：已支出 165.00 万元，已达成本上限 178.00 万元的 92.70%，仅余 13.00 万元" \
        in texts["穆兰娟"], "measured against 科普经费's 165 万元, not the unit's 295 万元"
    assert owners(factory) == EXPECTED
    import_progress(factory, now, tmp_path, fmt)
    assert progress_owners(factory) == PROGRESS_STORED


@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
def test_a_unit_cell_merged_over_the_projects_rows_is_read_on_every_row(factory, now, tmp_path, quota, fmt):
    """Case 4: 预算单位 merged A4:A13 (as the disclosures print it) was refused, "a value is
    required" on nine rows, and the progress report then could not find its targets."""
    import_targets(factory, now, tmp_path, fmt, unit_merged=True)
    assert owners(factory) == EXPECTED
    import_progress(factory, now, tmp_path, fmt)
    assert progress_owners(factory) == PROGRESS_STORED


def test_merged_indicator_levels_are_read_on_every_row_of_the_range(factory, now, tmp_path, quota):
    """一级指标 merged over rows that change 二级指标, and 满意度指标 merged across 一级 and 二级."""
    rows = target_rows(unit_merged=False)
    path = write_xlsx(tmp_path / "绩效目标表.xlsx", rows, PROJECT_MERGES)
    assert ingest_file(factory, path, now=now).inserted == 10

    levels = [(level1, level2) for _p, level1, level2, *_rest in owners(factory)]
    assert levels == [(e[1], e[2]) for e in EXPECTED]
    assert levels[-1] == ("满意度指标", "满意度指标"), "the merged cell says both"


def test_a_blank_project_cell_outside_the_merged_ranges_is_the_unit_as_a_whole(factory, now, tmp_path, quota):
    """In a workbook that merges its project cells, a blank one no range covers is a target of the
    unit as a whole: the merges say where each project's rows end."""
    rows = target_rows(unit_merged=False)[:8] + [[UNIT, _, "履职效能", "数量指标", "成立科普基地", ">=5 个", 10, _]]
    path = write_xlsx(tmp_path / "绩效目标表.xlsx", rows, ["B4:B8", "C4:C6", "D4:D5", "H4:H8"])
    outcome = ingest_file(factory, path, now=now)

    assert (outcome.status, outcome.inserted) == ("ingested", 6), outcome.problems
    assert owners(factory)[-1] == (None, "履职效能", "数量指标", "成立科普基地", None)
    assert [o[0] for o in owners(factory)[:5]] == [SCIENCE_CODE] * 5


def test_a_csv_with_a_blank_project_cell_under_a_project_is_refused_naming_each_row(engine, factory, now, tmp_path,
                                                                                     quota):
    """A CSV says nothing of merges: a blank 项目名称 under 科普经费 may continue it (a merged table
    saved as CSV) or be the unit's own target. Refused row by row, rather than guessed."""
    before = snapshot(engine)
    path = write_csv(tmp_path / "绩效目标表.csv", target_rows(unit_merged=False), encoding="gb18030")

    outcome = ingest_file(factory, path, now=now)

    assert outcome.status == "refused"
    assert found(outcome) == [("blank_project", row, "项目名称") for row in (5, 6, 7, 8, 10, 11, 12, 13)]
    assert "上方第 4 行是项目“科普经费”" in outcome.problems[0].message()
    assert "row 4, which names the project '科普经费'" in outcome.problems[0].message("en")
    assert snapshot(engine) == before


def test_a_csv_saying_单位整体_under_a_project_and_blanks_before_any_project_are_the_unit_as_a_whole(
        factory, now, tmp_path, quota):
    rows = [
        ["单位整体绩效目标表（2024年）"], HEADER,
        [UNIT, "", "履职效能", "数量指标", "成立科普基地", ">=5 个", 10, ""],
        [UNIT, "科普经费", "成本指标", "经济成本指标", "项目成本", "<=178万元", 10, "穆兰娟"],
        [UNIT, "单位整体", "履职效能", "数量指标", "科普讲解员培训人次", ">=200 人次", 10, ""],
        [UNIT, "", "履职效能", "数量指标", "科普宣传场次", ">=12 场次", 10, ""],
    ]
    outcome = ingest_file(factory, write_csv(tmp_path / "整体.csv", rows, encoding="gb18030"), now=now)

    assert (outcome.status, outcome.inserted) == ("ingested", 4), outcome.problems
    assert [(o[0], o[3]) for o in owners(factory)] == [
        (None, "成立科普基地"), (SCIENCE_CODE, "项目成本"), (None, "科普讲解员培训人次"), (None, "科普宣传场次")]


def test_a_unit_merged_over_quota_lines_is_read_on_each_line(factory, now, tmp_path):
    """The same for every kind: 预算单位 and 主管部门 merged over a unit's lines of a quota export."""
    rows = [r if i < 4 else [r[0], r[1], _, _, *r[4:]] for i, r in enumerate(QUOTA)]
    path = write_xlsx(tmp_path / "指标.xlsx", rows, ["C4:C7", "D4:D7"])

    outcome = ingest_file(factory, path, now=now)

    assert (outcome.status, outcome.inserted) == ("ingested", 4), outcome.problems
    with transaction(factory) as session:
        lines = session.execute(select(QuotaLine.quota_no, Unit.code).join(Unit, Unit.id == QuotaLine.unit_id)
                                .order_by(QuotaLine.quota_no)).all()
    assert [tuple(line) for line in lines] == [("ZB001", "158001"), ("ZB101", "158001"), ("ZB102", "158001"),
                                               ("ZB201", "158001")]


@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
def test_an_amount_merged_over_rows_is_refused_never_copied(engine, factory, now, tmp_path, fmt):
    """调整数 merged over two lines is one figure for both: which line it belongs to cannot be told."""
    rows = [list(r) for r in QUOTA]
    rows[4][10], rows[4][11], rows[5][10] = "30,000.00", "1530000.00", _
    before = snapshot(engine)

    outcome = ingest_file(factory, workbook(tmp_path, "指标", fmt, rows, ["K5:K6"]), now=now)

    assert outcome.status == "refused"
    assert found(outcome) == [("merged_figure", 5, "调整数")]
    assert "“调整数”第 5–6 行是一个合并单元格" in outcome.problems[0].message()
    assert snapshot(engine) == before


def test_a_weight_merged_over_two_indicators_is_refused(engine, factory, now, tmp_path, quota):
    rows = target_rows(unit_merged=False)
    rows[4][6] = _
    before = snapshot(engine)

    outcome = ingest_file(factory, write_xlsx(tmp_path / "绩效目标表.xlsx", rows, [*PROJECT_MERGES, "G4:G5"]),
                          now=now)

    assert (outcome.status, found(outcome)) == ("refused", [("merged_figure", 4, "分值权重")])
    assert snapshot(engine) == before


# --- the corpus: a 项目支出绩效目标表 laid out as the 2024 disclosure prints it ---------------------

DISCLOSED = [  # (一级指标, 二级指标, 三级指标, 指标值, 分值权重) of 科普经费, rows 9–20 (row 18: row 17, printed tall)
    ("产出指标", "数量指标", "科普宣传、科技成果展示与媒体合作数", ">=1个", 5),
    (_, _, "科技工作者慰问人数", ">=510人", 5),
    (_, _, "当年开展各类科普活动的次数", ">=6场", 10),
    (_, "质量指标", "开展各类科普活动参与人数", ">=5000人次", 10),
    (_, _, "融媒体发布科普内容及及时性", "<=24小时", 5),
    (_, _, "科技工作者慰问行业领域覆盖率", ">=5个", 5),
    ("成本指标", "经济成本指标", "各种科普活动服务费", "<=61.85万元", 8),
    (_, _, "科技工作者慰问成本", "<=15万元", 5),
    (_, _, "融媒体宣传服务费", "<=30万元", 7),
    None,
    ("效益 指标", "社会 效益 指标", "不断提高公民科学素质比 例", "不断 提高", 20),
    ("满意 度指 标", _, "群众满意度", "> =90%", 10),
]


def disclosure_table() -> tuple[list[list], list[str]]:
    """Title and year merged across the sheet; 预算单位, 项目名称 and 项目负责人 in merged label and
    value cells above the header; a 年度总体目标 text block merged over two rows; 一级指标 merged
    over 二级指标 groups merged over 三级指标 rows; a row printed tall (each of its cells merged over
    two rows); 满意度指标 merged across 一级 and 二级."""
    rows: list[list] = [
        ["项目支出绩效目标表"], ["（2024 年）"],
        ["预算单位", _, "乌鲁木齐市科学技术协会"],
        ["项目名称", _, "科普经费", _, _, "项目负责人", "穆兰娟"],
        ["项目资金(万元)", _, "年度预算总额", 106.85, "其中：财政拨款", 106.85, "其他资金", 0.00],
        ["年度总体目标", _, "1、推动科普文化传播，通过开展科普宣传活动、青少年科技创新大赛、媒介传播和普及科学知识，"
                          "展示科技成果。2、开展“科学+艺术”活动。3、开展科技工作者慰问工作。"],
        [],
        ["一级指标", "二级指标", "三级指标", "指标值", "指标值设置依据", "上年完成值", "指标分值权重", "指标赋分规则",
         "佐证资料"],
    ]
    for indicator in DISCLOSED:
        rows.append([] if indicator is None else
                    [*indicator[:4], "计划标准", _, indicator[4], "按照完成比例赋分", "正式材料,工作资料"])
    merges = ["A1:I1", "A2:I2", "A3:B3", "C3:I3", "A4:B4", "C4:E4", "G4:I4", "A5:B5", "A6:B7", "C6:I7",
              "A9:A14", "B9:B11", "B12:B14", "A15:A18", "B15:B18", "A20:B20",
              *(f"{c}17:{c}18" for c in "CDEFGHI")]
    return rows, merges


@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
def test_a_target_table_laid_out_as_the_disclosure_prints_it_is_read_target_by_target(
        factory, now, tmp_path, quota, fmt):
    rows, merges = disclosure_table()
    outcome = ingest_file(factory, workbook(tmp_path, "科普经费绩效目标表", fmt, rows, merges), now=now)

    # what the table says, carried by hand: each group's levels, the names without the print's spaces
    expected, level1, level2 = [], "", ""
    for indicator in DISCLOSED:
        if indicator is None:
            continue
        level1 = "".join((indicator[0] or level1).split())
        # a row that starts a 一级指标 without a 二级指标 of its own is merged across both (A20:B20)
        level2 = "".join((indicator[1] or (level1 if indicator[0] else level2)).split())
        expected.append((SCIENCE_CODE, level1, level2, "".join(indicator[2].split()), "穆兰娟"))
    assert (outcome.status, outcome.kind, outcome.inserted, outcome.budget_year) == \
        ("ingested", "targets", 11, 2024), outcome.problems
    assert owners(factory) == expected
    with transaction(factory) as session:
        weights = session.execute(select(PerformanceTarget.target_text, PerformanceTarget.weight)
                                  .order_by(PerformanceTarget.id)).all()
    assert [w[0] for w in weights] == [i[3] for i in DISCLOSED if i is not None]
    assert sum(w[1] for w in weights) == sum(i[4] for i in DISCLOSED if i is not None) == 90


def test_a_workbook_with_more_merged_cells_than_any_export_is_refused_before_they_are_read(factory, now, tmp_path):
    """100,001 merged ranges in 3 MB of XML (a few hundred kB zipped): read into Python they would
    take memory by the gigabyte long before a limit on cells is reached."""
    import zipfile

    from jobs.ingest.reader import MAX_MERGES

    base = write_xlsx(tmp_path / "base.xlsx", QUOTA)
    path = tmp_path / "指标.xlsx"
    with zipfile.ZipFile(base) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                ranges = b"".join(b'<mergeCell ref="M%d:N%d"/>' % (2 * i + 10, 2 * i + 11)
                                  for i in range(MAX_MERGES + 1))
                data = data.replace(b"</sheetData>", b'</sheetData><mergeCells count="%d">' % (MAX_MERGES + 1)
                                    + ranges + b"</mergeCells>")
            target.writestr(item, data)

    outcome = ingest_file(factory, path, now=now)

    assert (outcome.status, found(outcome)) == ("refused", [("too_many_merges", None, None)])


def test_a_csv_naming_the_project_on_each_of_its_rows_leaves_the_unit_its_blank_rows(factory, now, tmp_path,
                                                                                      quota):
    """Where the file writes 科普经费 again on the next row, it writes the project on every row of
    it: a blank below is the unit's own target (the demo's table is written this way)."""
    rows = [
        ["绩效目标表（2024年）"], HEADER,
        [UNIT, "科普经费", "产出指标", "数量指标", "开展科普活动场次", ">=40 场次", 10, "穆兰娟"],
        [UNIT, "科普经费", "", "", "科普活动受众人次", ">=5 万人次", 10, "穆兰娟"],
        [UNIT, "", "产出指标", "数量指标", "成立科普基地", ">=5 个", 10, ""],
    ]
    outcome = ingest_file(factory, write_csv(tmp_path / "目标.csv", rows, encoding="gb18030"), now=now)

    assert (outcome.status, outcome.inserted) == ("ingested", 3), outcome.problems
    assert [(o[0], o[3]) for o in owners(factory)] == [
        (SCIENCE_CODE, "开展科普活动场次"), (SCIENCE_CODE, "科普活动受众人次"), (None, "成立科普基地")]
