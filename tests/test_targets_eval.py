"""Performance targets at a date: schedules, caps from payments, windows, levels, and scores."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from monitor.calendar import WorkCalendar
from monitor.target_values import parse_target
from monitor.targets import (
    Report,
    Target,
    delivery_gap,
    evaluate_target,
    kind_of,
    mode_of,
    parse_milestones,
    score_target,
)

day = dt.date


def target(text, level1="产出指标", level2="数量指标", *, name="指标", **kw):
    return Target(key="t1", name=name, level1=level1, level2=level2, spec=parse_target(text), year=2024, **kw)


LECTURES = target(">=35 场次", name="开展科普讲座科技培训场次", milestones=parse_milestones("9/18/27/35", 2024),
                  weight=D(20))
SERVICE_FEES = target("<=61.85万元", "成本指标", "经济成本指标", name="各种科普活动服务费", measured_from_payments=True)
SCIENCE_DAY = target(">=1次", "产出指标", "时效指标", name="全国科普日活动", window_start=day(2024, 9, 17),
                     due=day(2024, 9, 23))
SATISFACTION = target("> =90%", "满意 度指 标", "满意 度指 标", name="群众满意度", weight=D(10))


# --- quantities on milestones and on the time schedule ---------------------------------------

def test_lectures_behind_their_quarter_milestone():
    status = evaluate_target(LECTURES, [Report(day(2024, 6, 30), D(8))], day(2024, 6, 30))
    assert status.status == "behind"
    assert status.expected == D(18)
    assert status.gap == D(10)
    assert status.actual == D(8) and status.reported_on == day(2024, 6, 30)
    assert status.completion == D("22.86")
    assert status.projected == D("16.00")  # 8 at half the year
    assert status.next_milestone == (day(2024, 9, 30), D(27))
    assert status.to_next == D(19)
    assert status.days_since_report == 0 and status.days_left == 184
    assert (status.kind, status.mode) == ("quantity", "cumulative")


def test_lectures_steps_and_outcomes():
    reports = [Report(day(2024, 3, 20), D(10)), Report(day(2024, 7, 10), D(20))]
    assert evaluate_target(LECTURES, [], day(2024, 2, 1)).status == "no_data"  # nothing due before 3-31
    early = evaluate_target(LECTURES, reports, day(2024, 6, 29))
    assert (early.status, early.expected, early.actual) == ("on_track", D(9), D(10))
    assert early.days_since_report == 101
    late = evaluate_target(LECTURES, reports, day(2024, 6, 30))
    assert (late.status, late.gap) == ("behind", D(8))  # the 7-10 report is not known yet
    assert evaluate_target(LECTURES, reports, day(2024, 7, 10)).status == "on_track"
    assert evaluate_target(LECTURES, [], day(2024, 4, 1)).status == "behind"
    done = reports + [Report(day(2024, 11, 30), D(35))]
    assert evaluate_target(LECTURES, done, day(2024, 12, 1)).status == "met"
    final = evaluate_target(LECTURES, reports, day(2025, 1, 5))
    assert (final.status, final.expected, final.gap) == ("missed", D(35), D(15))


def test_time_schedule_rounds_counts_down_and_follows_the_method():
    visitors = target(">=100个")
    assert evaluate_target(visitors, [], day(2024, 1, 2)).status == "no_data"  # 0.5 → 0 due
    months = evaluate_target(visitors, [Report(day(2024, 6, 30), D(49))], day(2024, 6, 30))
    assert (months.expected, months.status) == (D(50), "behind")
    by_days = evaluate_target(visitors, [Report(day(2024, 6, 30), D(49))], day(2024, 6, 30), schedule="calendar")
    assert (by_days.expected, by_days.status) == (D(49), "on_track")  # 182/366 of 100
    working = evaluate_target(visitors, [Report(day(2024, 6, 30), D(0))], day(2024, 6, 30), schedule="working_days",
                              calendar=WorkCalendar())
    assert working.expected != months.expected
    # On the time schedule a report is judged at its own date: 49 by 1 June is ahead of the 41 due
    # then, and stays so until a newer report (silence is target_silent's business); nothing
    # reported is no data, not behind.
    earlier = evaluate_target(visitors, [Report(day(2024, 6, 1), D(49))], day(2024, 6, 30))
    assert (earlier.expected, earlier.status) == (D(41), "on_track")
    assert evaluate_target(visitors, [], day(2024, 6, 30)).status == "no_data"
    with pytest.raises(ValueError):
        evaluate_target(visitors, [], day(2024, 6, 30), schedule="weeks")


def test_strictly_greater_and_due_before_year_end():
    spec = target(">5个", due=day(2024, 6, 30))
    assert evaluate_target(spec, [Report(day(2024, 5, 1), D(5))], day(2024, 5, 2)).status == "on_track"  # not met: > 5
    assert evaluate_target(spec, [Report(day(2024, 5, 1), D(5))], day(2024, 7, 1)).status == "missed"
    assert evaluate_target(spec, [Report(day(2024, 5, 1), D(6))], day(2024, 5, 2)).status == "met"
    half = evaluate_target(spec, [], day(2024, 3, 31))
    assert half.expected == D(2)  # the value is due by 6-30: half of it by 3-31, rounded down


# --- costs from payments ----------------------------------------------------------------------

@pytest.mark.parametrize(
    "spent_yuan,status,completion",
    [("550000", "on_track", "88.92"), ("557000", "cap_near", "90.06"), ("618500", "cap_near", "100.00"),
     ("618600", "cap_crossed", "100.02"), ("0", "on_track", "0.00")],
)
def test_cap_from_payments(spent_yuan, status, completion):
    result = evaluate_target(SERVICE_FEES, [], day(2024, 10, 15), spent=D(spent_yuan))
    assert result.status == status
    assert result.actual == D(spent_yuan) / 10000  # in 万元, the target's measure
    assert result.completion == D(completion)
    assert result.headroom == D("61.85") - D(spent_yuan) / 10000
    assert result.mode == "cap" and result.kind == "cost"


def test_cap_details():
    assert evaluate_target(SERVICE_FEES, [], day(2024, 10, 15)).status == "no_data"
    reported = evaluate_target(SERVICE_FEES, [Report(day(2024, 9, 30), D("30"))], day(2024, 10, 15))
    assert (reported.status, reported.actual) == ("on_track", D(30))  # no payments given: the reports
    stale = evaluate_target(SERVICE_FEES, [], day(2024, 10, 15), spent=D(300000), spent_on=day(2024, 6, 30))
    assert stale.days_since_report == 107 and stale.projected == D("60.00")
    assert evaluate_target(SERVICE_FEES, [], day(2025, 1, 2), spent=D(600000)).status == "met"
    assert evaluate_target(SERVICE_FEES, [], day(2025, 1, 2), spent=D(700000)).status == "cap_crossed"
    labour = target("< =6000 0 元", "成本指标", "经济成本指标", measured_from_payments=True)
    assert evaluate_target(labour, [], day(2024, 8, 1), spent=D("53999.99")).status == "on_track"
    assert evaluate_target(labour, [], day(2024, 8, 1), spent=D("54000")).status == "cap_near"
    assert evaluate_target(labour, [], day(2024, 8, 1), spent=D("54000"), cap_warn=D(95)).status == "on_track"
    response = target("<=24小时", "产出指标", "质量指标")
    hours = evaluate_target(response, [Report(day(2024, 5, 1), D(30))], day(2024, 5, 2))
    assert (hours.kind, hours.mode, hours.status, hours.projected) == ("quality", "cap", "cap_crossed", D(30))
    strict = target("<5天", "产出指标", "时效指标")
    assert evaluate_target(strict, [Report(day(2024, 5, 1), D(5))], day(2024, 5, 2)).status == "cap_crossed"


def test_cost_floor_from_payments_behaves_like_a_quantity():
    lectures_cost = target(">=2万元", "成本指标", "经济成本指标", measured_from_payments=True)
    assert mode_of(lectures_cost) == "cumulative"
    half = evaluate_target(lectures_cost, [], day(2024, 6, 30), spent=D(5000))
    assert (half.status, half.expected, half.actual, half.gap) == ("behind", D("1.00"), D("0.5"), D("0.50"))
    assert evaluate_target(lectures_cost, [], day(2024, 6, 30), spent=D(12000)).status == "on_track"
    assert evaluate_target(lectures_cost, [], day(2024, 12, 1), spent=D(20000)).status == "met"
    assert evaluate_target(lectures_cost, [], day(2025, 1, 1), spent=D(19999)).status == "missed"


def test_bare_money_of_a_cost_indicator_is_a_cap():
    bare = target("60000元", "成本指标", "经济成本指标")
    assert bare.spec.operator == "<=" and mode_of(bare) == "cap"
    assert target("35场次").spec.operator == ">="


# --- windows, levels, qualitative ----------------------------------------------------------

@pytest.mark.parametrize(
    "as_of,reports,status",
    [
        (day(2024, 9, 2), [], "no_data"),
        (day(2024, 9, 3), [], "window_soon"),
        (day(2024, 9, 5), [], "window_soon"),
        (day(2024, 9, 17), [], "window_open"),
        (day(2024, 9, 20), [], "window_open"),
        (day(2024, 9, 23), [], "window_open"),
        (day(2024, 9, 24), [], "window_missed"),
        (day(2024, 9, 24), [Report(day(2024, 9, 20), D(1))], "met"),
        (day(2024, 9, 20), [Report(day(2024, 9, 20), D(1))], "met"),
        (day(2024, 9, 5), [Report(day(2024, 9, 1), D(1))], "met"),
        (day(2024, 10, 9), [Report(day(2024, 9, 20), D(1)), Report(day(2024, 10, 8), D(2))], "met"),
        (day(2024, 9, 30), [Report(day(2024, 9, 25), D(1))], "window_missed"),
        (day(2024, 9, 30), [Report(day(2024, 9, 20), D(0))], "window_missed"),
        (day(2024, 9, 19), [Report(day(2024, 9, 20), D(1))], "window_open"),
    ],
)
def test_science_day_window(as_of, reports, status):
    assert evaluate_target(SCIENCE_DAY, reports, as_of).status == status


def test_window_notice_is_configurable():
    assert evaluate_target(SCIENCE_DAY, [], day(2024, 9, 5), window_notice_days=7).status == "no_data"
    assert kind_of(SCIENCE_DAY) == "timeliness" and mode_of(SCIENCE_DAY) == "window"


def test_satisfaction_has_no_time_schedule():
    assert evaluate_target(SATISFACTION, [], day(2024, 11, 30)).status == "no_data"
    assert evaluate_target(SATISFACTION, [], day(2025, 1, 1)).status == "missed"
    low = evaluate_target(SATISFACTION, [Report(day(2024, 6, 1), D(85))], day(2024, 6, 30))
    assert (low.status, low.expected, low.gap, low.projected) == ("behind", D(90), D(5), D(85))
    assert evaluate_target(SATISFACTION, [Report(day(2024, 6, 1), D(92))], day(2024, 6, 30)).status == "met"
    later = [Report(day(2024, 6, 1), D(92)), Report(day(2024, 12, 20), D(88))]
    assert evaluate_target(SATISFACTION, later, day(2025, 1, 3)).status == "missed"  # the latest counts
    assert kind_of(SATISFACTION) == "satisfaction" and mode_of(SATISFACTION) == "level"


def test_qualitative_is_never_measurable():
    improve = target("不断 提高", "效益 指标", "社会 效益 指标", weight=D(20))
    for as_of in (day(2024, 1, 1), day(2025, 3, 1)):
        result = evaluate_target(improve, [Report(day(2024, 6, 1), D(1))], as_of)
        assert result.status == "not_measurable" and result.projected is None
    assert kind_of(improve) == "qualitative"
    assert score_target(improve, D(100)) == (None, None)


@pytest.mark.parametrize(
    "level1,level2,text,kind",
    [
        ("履职效能", "数量指标", "≥5 个", "quantity"),
        ("产出指标", "质量指标", "> =95%", "quality"),
        ("产出指标", "质量指标", ">=5个", "quality"),
        ("成本指标", "经济成本指标", "<=15万元", "cost"),
        ("效益 指标", "社会 效益 指标", ">=80%", "benefit"),
        ("满意度指标", "满意度指标", ">=90%", "satisfaction"),
        ("产出指标", "时效指标", "<=24小时", "timeliness"),
        ("", "", ">=90%", "quality"),
        ("", "", ">=3万元", "cost"),
        ("", "", ">=3个", "quantity"),
    ],
)
def test_kind_of(level1, level2, text, kind):
    assert kind_of(target(text, level1, level2)) == kind


def test_invalid_targets():
    with pytest.raises(ValueError, match="money measure"):
        target(">=5个", measured_from_payments=True)
    with pytest.raises(ValueError, match="window_start"):
        target(">=1次", window_start=day(2024, 10, 1), due=day(2024, 9, 30))
    assert target(">=1次").due == day(2024, 12, 31)


# --- scores and the delivery gap -----------------------------------------------------------

def test_scores():
    assert score_target(LECTURES, D(33)) == (D("94.29"), D("18.86"))
    assert score_target(LECTURES, D(31)) == (D("88.57"), D("0.00"))  # nothing below 90%
    assert score_target(LECTURES, D(40)) == (D("114.29"), D("20.00"))  # capped at the weight
    assert score_target(LECTURES, None) == (None, None)
    fees = target("<=61.85万元", "成本指标", "经济成本指标", weight=D(8))
    assert score_target(fees, D("61.85")) == (D("100"), D("8.00"))
    assert score_target(fees, D("65")) == (D("95.15"), D("7.61"))
    assert score_target(fees, D("70")) == (D("88.36"), D("0.00"))
    assert score_target(SATISFACTION, D(92)) == (D("102.22"), D("10.00"))
    assert score_target(SATISFACTION, D(89)) == (D("98.89"), D("0.00"))  # satisfaction: all or nothing
    assert score_target(target(">=5个"), D(5)) == (D("100.00"), None)  # no weight, no score


def test_delivery_gap():
    assert delivery_gap(D("98.98"), [D(100), D(80), None]) == D("8.98")
    assert delivery_gap(D("50"), [D(150), D(100)]) == D("-50.00")  # completions capped at 100%
    assert delivery_gap(D("50"), [None]) is None
    assert delivery_gap(None, [D(100)]) is None


def test_a_milestone_waits_for_its_report_a_grace_period_unless_a_report_already_answers_for_it():
    """Reports of a quarter come in the days after it: 31 March's 9 lectures are not missing on
    1 April, but are on 11 April; a report dated 31 March showing 8 is behind at once."""
    q1 = [Report(day(2024, 1, 15), D(2))]
    assert evaluate_target(LECTURES, q1, day(2024, 4, 1), report_grace_days=10).status == "on_track"
    late = evaluate_target(LECTURES, q1, day(2024, 4, 11), report_grace_days=10)
    assert (late.status, late.expected, late.gap) == ("behind", D(9), D(7))
    answered = evaluate_target(LECTURES, [Report(day(2024, 3, 31), D(8))], day(2024, 4, 1), report_grace_days=10)
    assert (answered.status, answered.expected, answered.next_milestone) == ("behind", D(9), (day(2024, 6, 30), D(18)))
    assert evaluate_target(LECTURES, q1, day(2024, 4, 1)).status == "behind", "no grace: due on the day"


# --- which expected values are whole: counts only ----------------------------------------------

def test_a_target_in_wan_ren_ci_is_not_rounded_down_and_falls_behind():
    visitors = target(">=3万人次", name="开展各类科普活动参与人数")
    # 30 June (months): 1.5 万人次 due; 1.2 reported is behind (rounded down, 1 was due: "on track")
    status = evaluate_target(visitors, [Report(day(2024, 6, 30), D("1.2"))], day(2024, 6, 30))
    assert (status.expected, status.status, status.gap) == (D("1.50"), "behind", D("0.30"))
    november = evaluate_target(visitors, [Report(day(2024, 11, 30), D("2.8"))], day(2024, 11, 30))
    assert (november.expected, november.status) == (D("2.75"), "on_track")
    late = evaluate_target(visitors, [Report(day(2024, 11, 30), D("2.7"))], day(2024, 11, 30))
    assert late.status == "behind"  # 2.7 < 2.75 (was: 2 due, on track)


@pytest.mark.parametrize("text,expected", [
    (">=35 场次", D(17)), (">=35人次", D(17)), (">=35个", D(17)), (">=35家", D(17)), (">=35篇", D(17)),
    (">=35", D("17.50")), (">=35千人次", D("17.50")), (">=35小时", D("17.50")), (">=35吨", D("17.50")),
    (">=35公里", D("17.50")),
])
def test_only_counts_of_whole_things_are_rounded_down(text, expected):
    status = evaluate_target(target(text), [Report(day(2024, 6, 30), D(1))], day(2024, 6, 30))
    assert status.expected == expected


def test_the_projection_of_a_count_is_whole_and_of_other_measures_keeps_its_decimals():
    talks = evaluate_target(target(">=35 场次"), [Report(day(2024, 8, 31), D(13))], day(2024, 8, 31))
    assert str(talks.projected) == "19"  # 13 × 12/8 = 19.5: 19 whole sessions, not "19.50 场次"
    hours = evaluate_target(target(">=35小时"), [Report(day(2024, 8, 31), D(13))], day(2024, 8, 31))
    assert hours.projected == D("19.50")
