"""Performance targets beside the money: ``score`` gains the output-indicator part (completion,
score by the evaluation's rule, weight) per unit, ``status`` a count of each project's (and each
unit's own) targets by state — as tables, JSON and Excel, in Chinese or English."""

from __future__ import annotations

import json

import openpyxl
import pytest
from click.testing import CliRunner

from jobs.cli.app import cli
from tests.helpers import write_csv
from tests.target_helpers import (  # noqa: F401  (fixtures)
    ELDER_CODE,
    PAYMENTS,
    UNIT_TARGETS,
    gbk_csv,
    progress_file,
    quota,
    targets_file,
)

AS_OF = ("--year", "2024", "--as-of", "2024-06-30")
SCIENCE_CODE = "158001240001"


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], env={}, catch_exceptions=False)


def row_of(output: str, name: str) -> str:
    lines = [line for line in output.splitlines() if name in line]
    assert len(lines) == 1, output
    return lines[0]


@pytest.fixture
def db(database_url, progress_file):
    """The 老年科技工作者协会活动经费 targets of 2024 with the good progress report, and one more
    report: 19 of the 20 老年科技大学 sessions (95%: a score in proportion)."""
    run = invoke("--db", database_url, "progress", "add", "--unit", "158001", "--project", ELDER_CODE,
                 "--indicator", "老年科技大学教学参学场次", "--date", "2024-06-30", "--actual", "19场次")
    assert run.exit_code == 0, run.output
    return database_url


# --- score -------------------------------------------------------------------------------------

def test_score_follows_the_unit_card_with_its_targets_completion_weight_and_score(db):
    run = invoke("--db", db, "score", *AS_OF)
    assert run.exit_code == 0, run.output
    out = run.output
    title = "绩效目标（产出、成本、效益、满意度等各类指标）"  # cost indicators are listed too
    assert title in out and "产出、效益、满意度指标" not in out
    assert out.index("资金支付进度") < out.index(title)
    assert row_of(out, "聘请人员劳务费")  # a cost indicator, under that title
    lectures = row_of(out, "开展科普讲座科技培训场次")
    for cell in ("老年科技工作者协会活动经费", "≥35 场次", "17 场次（06-30）", "48.57%", "20.00", "落后"):
        assert cell in lectures, lectures
    assert lectures.rstrip("│ ").split("│")[-2].strip() == "0.00"  # under 90%: nothing
    sessions = row_of(out, "老年科技大学教学参学场次")
    assert "95.00%" in sessions and "9.50" in sessions  # 10 × 95%
    judged = row_of(out, "提高老年群体科学素质")
    assert "不断提高" in judged and "需人工判断" in judged and "—" in judged
    assert "—" in row_of(out, "科普讲座培训考核合格率")  # nothing reported yet
    # scored: 0 + 9.50 + 10 (劳务费 within its cap) + 10 (差旅费) + 10 (satisfaction met) of 50
    assert ("绩效目标合计：已计分 5 项，得分 39.50 / 60.00；需人工判断 1 项（权重 20.00）；"
            "尚无完成值 1 项（权重 10.00）") in out
    assert "Traceback" not in out


def test_score_json_carries_each_target_with_completion_and_score_by_the_rule(db):
    run = invoke("--db", db, "score", *AS_OF, "--json")
    assert run.exit_code == 0, run.output
    cards = json.loads(run.output)["cards"]
    department, unit = cards
    assert set(department) == {"level", "code", "name", "score", "weight", "indicators"}  # as before
    assert set(unit) == {"level", "code", "name", "score", "weight", "indicators", "targets", "targets_score"}
    assert [i["key"] for i in unit["indicators"]][0] == "payment_progress"
    targets = {t["name"]: t for t in unit["targets"]}
    assert len(targets) == 7
    lectures = targets["开展科普讲座科技培训场次"]
    assert {k: lectures[k] for k in ("project", "scope", "target", "value", "measure", "actual", "reported_on",
                                     "completion", "weight", "score", "status", "needs_judgement")} == {
        "project": ELDER_CODE, "scope": "老年科技工作者协会活动经费", "target": "≥35 场次", "value": "35.00",
        "measure": "场次", "actual": "17.00", "reported_on": "2024-06-30", "completion": "48.57", "weight": "20.00",
        "score": "0.00", "status": "behind", "needs_judgement": False}
    sessions = targets["老年科技大学教学参学场次"]
    assert (sessions["completion"], sessions["score"]) == ("95.00", "9.50")  # in proportion from 90%
    satisfaction = targets["群众满意度(%)"]
    assert (satisfaction["completion"], satisfaction["score"], satisfaction["status"]) == ("102.22", "10.00", "met")
    fees = targets["聘请人员劳务费"]
    assert (fees["target"], fees["completion"], fees["score"], fees["mode"]) == (
        "≤60,000.00 元", "100.00", "10.00", "cap")
    judged = targets["提高老年群体科学素质"]
    assert (judged["score"], judged["completion"], judged["needs_judgement"], judged["status"]) == (
        None, None, True, "not_measurable")
    assert unit["targets_score"] == {
        "score": "39.50", "weight": "60.00", "scored": 5, "needs_judgement": 1, "needs_judgement_weight": "20.00",
        "without_value": 1, "without_value_weight": "10.00", "unweighted": 0}
    assert unit["score"] == department["score"]  # the money indicators' score is untouched


def test_score_in_english(db):
    run = invoke("--db", db, "--lang", "en", "score", *AS_OF, "--unit", "158001")
    assert run.exit_code == 0, run.output
    assert "performance targets (output, cost, benefit, satisfaction and other indicators)" in run.output
    assert "needs a judgement" in row_of(run.output, "提高老年群体科学素质")
    assert "behind" in row_of(run.output, "开展科普讲座科技培训场次")
    assert "17 场次 (06-30)" in run.output
    assert "targets in total: 39.50 of 60.00 over 5 scored; 1 need a judgement (weight 20.00)" in run.output
    assert "需人工判断" not in run.output and "落后" not in run.output


# --- status ------------------------------------------------------------------------------------

def test_status_shows_the_targets_of_each_project_on_its_row_worst_first(db):
    run = invoke("--db", db, "status", "--as-of", "2024-06-30")
    assert run.exit_code == 0, run.output
    assert "绩效目标" in run.output
    assert "7 项：落后 1" in row_of(run.output, "7 项")
    assert "需人工判断 1" in run.output and "达成 1" in run.output  # the words score uses
    assert "待判断" not in run.output
    assert run.output.index("落后 1") < run.output.index("达成 1") < run.output.index("需人工判断 1")


def test_status_json_has_target_counts_only_for_entities_with_targets(db):
    run = invoke("--db", db, "status", "--as-of", "2024-06-30", "--json")
    assert run.exit_code == 0, run.output
    entities = {(e["level"], e["code"]): e for e in json.loads(run.output)["entities"]}
    elder = entities[("project", ELDER_CODE)]
    assert elder["targets"] == {"behind": 1, "no_data": 1, "on_track": 3, "met": 1, "not_measurable": 1}
    assert list(elder["targets"]) == ["behind", "no_data", "on_track", "met", "not_measurable"]
    assert elder["budget"] == "100000.00" and "next_checkpoint" in elder
    assert [key for key, e in entities.items() if "targets" in e] == [("project", ELDER_CODE)]


def test_status_in_english(db):
    run = invoke("--db", db, "--lang", "en", "status", "--as-of", "2024-06-30", "--level", "project")
    assert run.exit_code == 0, run.output
    assert "targets" in run.output
    assert "7: 1 behind" in run.output and "1 need a" in run.output  # "1 need a judgement", folded
    assert "[project]" in run.output  # the level label is text, not rich markup
    assert "待判断" not in run.output


def test_status_xlsx_has_a_targets_column(db, tmp_path):
    path = tmp_path / "status.xlsx"
    run = invoke("--db", db, "status", "--as-of", "2024-06-30", "--xlsx", path)
    assert run.exit_code == 0, run.output
    rows = [[c.value for c in row] for row in openpyxl.load_workbook(path).worksheets[0].iter_rows()]
    assert rows[0][-1] == "绩效目标"
    elder = next(row for row in rows if row[2] == ELDER_CODE)
    assert elder[-1] == "7 项：落后 1 · 无数据 1 · 正常 3 · 达成 1 · 需人工判断 1"
    assert next(row for row in rows if row[2] == SCIENCE_CODE)[-1] in (None, "")


# --- unit-wide targets, and a database without targets -------------------------------------------

@pytest.fixture
def unit_db(database_url, quota, tmp_path):
    """The unit's own targets (科普基地, 单位整体支出) and one of 科普经费, with the payments."""
    for name, rows in (("整体.csv", UNIT_TARGETS), ("支付.csv", PAYMENTS)):
        run = invoke("--db", database_url, "ingest", gbk_csv(tmp_path / name, rows))
        assert run.exit_code == 0, run.output
    return database_url


def test_unit_wide_targets_stand_on_the_unit_row_and_as_the_unit_as_a_whole(unit_db):
    document = json.loads(invoke("--db", unit_db, "status", "--as-of", "2024-06-30", "--json").output)
    entities = {(e["level"], e["code"]): e for e in document["entities"]}
    assert entities[("unit", "158001")]["targets"] == {"window_open": 1, "on_track": 1}
    assert entities[("project", SCIENCE_CODE)]["targets"] == {"on_track": 1}
    assert "targets" not in entities[("department", "158")]
    run = invoke("--db", unit_db, "score", *AS_OF)
    assert run.exit_code == 0, run.output
    whole = row_of(run.output, "单位整体支出")
    assert "单位整体" in whole and "≤50.00 万元" in whole and "4.68 万元（06-30）" in whole and "5.00" in whole
    assert "时限进行中" in row_of(run.output, "成立科普基地")


def test_without_targets_there_is_no_targets_table_column_or_key(database_url, quota, tmp_path):
    run = invoke("--db", database_url, "score", *AS_OF)
    assert run.exit_code == 0, run.output
    assert "绩效目标" not in run.output and "Traceback" not in run.output
    cards = json.loads(invoke("--db", database_url, "score", *AS_OF, "--json").output)["cards"]
    assert all("targets" not in c for c in cards)
    run = invoke("--db", database_url, "status", "--as-of", "2024-06-30")
    assert run.exit_code == 0 and "绩效目标" not in run.output
    entities = json.loads(invoke("--db", database_url, "status", "--as-of", "2024-06-30", "--json").output)["entities"]
    assert all("targets" not in e for e in entities)
    path = tmp_path / "status.xlsx"
    assert invoke("--db", database_url, "status", "--as-of", "2024-06-30", "--xlsx", path).exit_code == 0
    assert "绩效目标" not in [c.value for c in openpyxl.load_workbook(path).worksheets[0][1]]
