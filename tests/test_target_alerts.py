"""Performance-target alerts end to end: target tables, progress reports and payments through the
real importer, the real evaluation (jobs/evaluate.py) and routing, the words a leader reads."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from alerts.findings import AlertSettings
from alerts.notify import Message
from alerts.render import render_text
from alerts.routing import Directory, Person
from jobs.clock import BEIJING
from jobs.evaluate import AlertConfig, evaluate
from jobs.execution import ExecutionSettings
from jobs.ingest import ingest_file
from tests.helpers import payment, payment_rows, write_xlsx
from tests.target_helpers import (  # noqa: F401 (fixtures)
    ELDER_CODE,
    MERGES,
    SCIENCE,
    UNIT,
    gbk_csv,
    progress_rows,
    quota,
    target_table,
    targets_file,
)

SCIENCE_CODE = SCIENCE.split(" - ")[0]
PEOPLE = (Person("武文彤", "project_leader", projects=frozenset({ELDER_CODE})),
          Person("穆兰娟", "project_leader"),  # named by the target table only
          Person("科协机关负责人", "unit_leader", units=frozenset({"158001"})))
CONFIG = AlertConfig(rules=AlertSettings(target_silent_weeks=0),  # target_silent has a test of its own
                     directory=Directory(people=PEOPLE, fallback=None), quiet_hours=None, quiet_on_rest_days=False,
                     charts=False)


def run(factory, day: str, config: AlertConfig = CONFIG) -> dict[str, list[tuple[str, str, str]]]:
    """Evaluate on ``day``; per recipient the (rule, event, severity) of each target item."""
    as_of = dt.date.fromisoformat(day)
    result = evaluate(factory, execution=ExecutionSettings(), alerts=config, as_of=as_of,
                      now=dt.datetime.combine(as_of, dt.time(9), tzinfo=BEIJING))
    told: dict[str, list[tuple[str, str, str]]] = {}
    for plan in result.messages:
        items = [i for i in plan.draft.items if i.rule.startswith("target") or i.rule == "delivery_gap"]
        if items:
            told[plan.draft.recipient.name] = [(i.rule, i.event, i.severity) for i in items]
            run.texts[plan.draft.recipient.name] = render_text(Message(
                1, plan.draft.recipient, plan.draft.language, as_of, as_of.year, tuple(items)))
    return told


run.texts = {}


def report(factory, now, tmp_path, name: str, *rows) -> None:
    path = gbk_csv(tmp_path / name, progress_rows(*rows))
    outcome = ingest_file(factory, path, now=now)
    assert outcome.status == "ingested", outcome.problems


def pay(factory, now, tmp_path, name: str, *payments) -> None:
    path = gbk_csv(tmp_path / name, payment_rows(*payments))
    assert ingest_file(factory, path, now=now).status == "ingested"


def test_lectures_behind_their_milestone_alert_the_project_leader_escalate_and_recover(
        factory, now, tmp_path, targets_file):
    """A lecture target of 35 with 8 held by 30 June against 9/18/27/35 by the quarter ends."""
    report(factory, now, tmp_path, "q1.csv", [UNIT, ELDER_CODE, "开展科普讲座科技培训场次", "2024-03-31", "9", ""])
    assert run(factory, "2024-04-01") == {}, "9 of the 9 due by 31 March: on track"
    report(factory, now, tmp_path, "q2.csv", [UNIT, ELDER_CODE, "开展科普讲座科技培训场次", "2024-06-30", "8场次", ""])
    told = run(factory, "2024-06-30")
    assert told == {"武文彤": [("target_behind", "fire", "yellow")]}, "the project leader, not yet the unit's"
    text = run.texts["武文彤"]
    assert "绩效目标「老年科技工作者协会活动经费 · 开展科普讲座科技培训场次」" in text
    assert "6月30日前应完成 18 场次，截至2024年6月30日报告完成 8 场次（全年目标 ≥35 场次），还差 10 场次" in text
    assert run(factory, "2024-07-01") == {}, "told once, not every day"
    escalated = run(factory, "2024-07-15")
    assert escalated["科协机关负责人"] == [("target_behind", "escalate", "yellow")]
    report(factory, now, tmp_path, "q3.csv", [UNIT, ELDER_CODE, "开展科普讲座科技培训场次", "2024-07-19", "18", ""])
    back = run(factory, "2024-07-22")
    assert ("target_behind", "resolve", "yellow") in back["武文彤"]
    assert "已赶上进度：完成 18 场次（全年目标 ≥35 场次）" in run.texts["武文彤"]


CAP_TABLE = [
    ["单位绩效目标表（2024年）"],
    ["预算单位", "项目", "一级指标", "二级指标", "三级指标", "指标值", "权重", "负责人"],
    [UNIT, SCIENCE, "成本指标", "经济成本指标", "各种科普活动服务费", "<=61.85万元", "8", "穆兰娟"],
]


def test_a_cost_cap_warns_at_ninety_percent_and_alarms_when_crossed_from_payments_alone(
        factory, now, tmp_path, quota):
    """科普经费's services capped at 61.85 万元: nobody reports spending; the payments say it."""
    path = write_xlsx(tmp_path / "成本指标.xlsx", CAP_TABLE)
    assert ingest_file(factory, path, now=now).status == "ingested"
    pay(factory, now, tmp_path, "p1.csv", payment("CP1", "2024-03-20", "556,000.00", quota="ZB101"))
    assert run(factory, "2024-03-29") == {}, "556,000 is 89.9% of 618,500: not yet"
    pay(factory, now, tmp_path, "p2.csv", payment("CP2", "2024-04-01", "650.00", quota="ZB101"))
    assert run(factory, "2024-04-01") == {"穆兰娟": [("target_cap", "fire", "yellow")]}
    assert ("已支出 55.67 万元，已达成本上限 61.85 万元的 90%，仅余 6.19 万元。请控制后续支出"
            in run.texts["穆兰娟"])
    pay(factory, now, tmp_path, "p3.csv", payment("CP3", "2024-04-10", "61,951.00", quota="ZB102"))
    assert run(factory, "2024-04-10") == {"穆兰娟": [("target_cap", "upgrade", "red")]}
    assert "已支出 61.86 万元，超出成本上限 61.85 万元（超出 0.01 万元）" in run.texts["穆兰娟"]
    assert run(factory, "2024-04-11") == {}, "a crossed cap is not reminded daily"
    assert run(factory, "2024-04-15") == {"科协机关负责人": [("target_cap", "escalate", "red")]}, \
        "escalated to the unit leader; its project leader, who knows, hears nothing more"
    assert run(factory, "2024-05-15") == {}, "reminders are lines of the weekly brief, not messages"


WINDOW_TABLE = [
    ["单位整体绩效目标表（2024年）"],
    ["预算单位", "项目", "一级指标", "二级指标", "三级指标", "指标值", "权重", "开始日期", "完成时限"],
    [UNIT, "", "产出指标", "时效指标", "举办全国“科普日”活动", ">=1次", "3", "2024-09-17", "2024-09-23"],
]


@pytest.mark.parametrize("reported", [False, True])
def test_the_science_day_window_is_reminded_before_and_alarmed_when_it_passes_unreported(
        factory, now, tmp_path, quota, reported):
    path = write_xlsx(tmp_path / "时效指标.xlsx", WINDOW_TABLE)
    assert ingest_file(factory, path, now=now).status == "ingested"
    assert run(factory, "2024-09-02") == {}, "more than 14 days before the window"
    soon = run(factory, "2024-09-03")
    assert soon == {"科协机关负责人": [("target_window", "fire", "blue")]}, "a unit's target: its leader"
    assert "完成时间窗口为 9月17日—9月23日，还有 14 天开始，请提前安排" in run.texts["科协机关负责人"]
    assert run(factory, "2024-09-17") == {"科协机关负责人": [("target_window", "upgrade", "orange")]}
    if reported:
        report(factory, now, tmp_path, "kpr.csv", [UNIT, "", "举办全国“科普日”活动", "2024-09-20", "1", "主场活动"])
        done = run(factory, "2024-09-24")
        assert done == {"科协机关负责人": [("target_window", "resolve", "orange")]}
        assert "已报告完成（2024年9月20日）" in run.texts["科协机关负责人"]
    else:
        missed = run(factory, "2024-09-24")
        assert missed == {"科协机关负责人": [("target_window", "upgrade", "red")]}
        assert "完成时间窗口 9月17日—9月23日 已过，未报告完成，该时效指标将失分" in run.texts["科协机关负责人"]


def test_a_project_paying_far_ahead_of_what_it_delivers_is_flagged(factory, now, tmp_path, quota):
    table = target_table(project=SCIENCE.split(" - ")[1], rows=[
        ["产出指标", "数量指标", "当年开展各类科普活动的次数", ">=10场", "计划标准", "", 10, "按照完成比例赋分", "",
         None, None, None]])
    assert ingest_file(factory, write_xlsx(tmp_path / "t.xlsx", table, ["A7:A7"][:0]), now=now).status == "ingested"
    report(factory, now, tmp_path, "r.csv", [UNIT, SCIENCE_CODE, "当年开展各类科普活动的次数", "2024-06-30", "1", ""])
    pay(factory, now, tmp_path, "p.csv", payment("DP1", "2024-06-20", "600,000.00", quota="ZB101"))
    told = run(factory, "2024-06-30")
    flagged = [rule for items in told.values() for rule, _, _ in items]
    assert "delivery_gap" in flagged
    text = next(t for t in run.texts.values() if "资金执行与产出不匹配" in t)
    assert "预算已执行 80%，绩效目标平均只完成 10%（1 项），相差 70 个百分点" in text


def test_a_target_nobody_reports_on_for_a_quarter_is_asked_about(factory, now, tmp_path, targets_file):
    report(factory, now, tmp_path, "q1.csv", [UNIT, ELDER_CODE, "开展科普讲座科技培训场次", "2024-03-31", "9", ""])
    config = replace(CONFIG, rules=AlertSettings(target_silent_weeks=13))
    assert run(factory, "2024-03-31", config) == {}
    told = run(factory, "2024-04-01", config)
    assert told == {"武文彤": [("target_silent", "fire", "yellow")]}, "the lectures were reported; the other was not"
    assert "老年科技大学教学参学场次」：今年已过 13 周，尚未报告完成情况（目标 ≥20 场次）" in run.texts["武文彤"]


def test_the_weekly_digest_counts_each_units_targets_and_names_those_needing_attention(
        factory, now, tmp_path, targets_file):
    from jobs.digest import target_items
    from jobs.targets_eval import watch_targets

    report(factory, now, tmp_path, "q2.csv", [UNIT, ELDER_CODE, "开展科普讲座科技培训场次", "2024-06-30", "8", ""])
    watched = watch_targets(factory, year=2024, as_of=dt.date(2024, 7, 1), execution=ExecutionSettings(),
                            departments={"158001": "158"})
    [item] = target_items(watched, "2024-W27")["158"]
    assert (item.rule, item.code, item.name) == ("digest_targets", "158001", "乌鲁木齐市科学技术协会")
    text = render_text(Message(1, PEOPLE[2].recipient, "zh", dt.date(2024, 7, 1), 2024, (item,)))
    assert text.startswith("2024 年预算执行周报")
    assert "共 7 项，进度正常 2，落后 1，尚无进度 3，需人工判断 1" in text  # the 2 cost caps are on track
    assert "需关注：开展科普讲座科技培训场次" in text
    english = render_text(Message(1, PEOPLE[2].recipient, "en", dt.date(2024, 7, 1), 2024, (item,)))
    assert "7 in all, 2 on track, 1 behind, 3 not reported yet, 1 need a judgement" in english


def test_back_within_the_adjustment_limit_shows_the_adjustment_rate_not_the_execution_rate(factory, now, tmp_path):
    """A bug found while trying issue 6's demo: the notice took today's execution rate as "rate"."""
    from alerts.findings import Finding
    from alerts.state import Policy, step
    from jobs.evaluate import snapshot, transitions
    from tests.helpers import adjustment, adjustment_rows, ingest_rows, quota_export, quota_line

    unit = "901001 - 市测试局本级"
    ingest_rows(factory, tmp_path / "q.csv", quota_export(dt.date(2023, 1, 3), quota_line("ZB1", unit, "1000000.00")),
                now=now)
    ingest_rows(factory, tmp_path / "p.csv", payment_rows(payment("P1", "2023-02-10", "300,000.00", unit=unit,
                                                                  quota="ZB1")), now=now)
    seen = snapshot(factory, year=2023, as_of=dt.date(2023, 3, 1), execution=ExecutionSettings())
    was = Finding("adjustment_rate", "red", "unit", "901001", "市测试局本级", "2023",
                  {"rate": "12.00", "limit": "10.00", "adjusted": "120000.00", "initial": "1000000.00"},
                  {"department": "901", "unit": "901001"})
    state, _ = step(None, was, as_of=dt.date(2023, 2, 1), policy=Policy())
    _, events, _ = transitions({state.key: state}, [], seen=seen, policy=Policy(), silenced={})
    [resolved] = [e.item for e in events]
    assert resolved.event == "resolve" and resolved.facts["rate"] == "0.00", "no adjustment any more: 0%, not 30%"
