"""The words of the performance-target alerts (alerts/target_rules.py), merged into
alerts/render.py's catalog. Same shapes: TEXT codes with zh/en templates, FIRE and RESOLVE
sentences of clauses of alternatives ("code|condition": used only when the condition holds;
``state`` facts give the condition ``state_<value>``).

    🟡 黄色预警 · 绩效目标进度落后
    绩效目标「老年科技工作者协会活动经费 · 开展科普讲座科技培训场次」：6月30日前应完成 18 场次，
    截至2024年6月30日报告完成 8 场次（全年目标 ≥35 场次），还差 10 场次。按目前进度预计全年完成 16 场次。
"""

from __future__ import annotations

TEXT = {
    "name.target": {"zh": "绩效目标「{name}」：", "en": "Performance target “{name}”: "},
    "rule.target_missed": {"zh": "绩效目标未完成", "en": "performance target missed"},
    "rule.target_cap": {"zh": "成本指标接近或超出上限", "en": "cost cap near or crossed"},
    "rule.target_window": {"zh": "时效指标时间窗口", "en": "timeliness window"},
    "rule.target_behind": {"zh": "绩效目标进度落后", "en": "performance target behind"},
    "rule.target_silent": {"zh": "绩效目标长期未报告进度", "en": "no progress reported"},
    "rule.delivery_gap": {"zh": "资金执行与产出不匹配", "en": "spending and delivery out of step"},
    # target_behind
    "tb.milestone": {"zh": "{milestone_date}前应完成 {expected_text}", "en": "{expected_text} due by {milestone_date}"},
    "tb.schedule": {"zh": "按序时进度目前应完成 {expected_text}",
                    "en": "{expected_text} expected by now on the time schedule"},
    "tb.reported": {"zh": "截至{reported_on}报告完成 {actual_text}（全年目标 {target_text}）",
                    "en": "{actual_text} reported as of {reported_on} (target for the year {target_text})"},
    "tb.nothing": {"zh": "尚未报告完成情况（全年目标 {target_text}）",
                   "en": "nothing reported yet (target for the year {target_text})"},
    "tb.gap": {"zh": "还差 {gap_text}", "en": "{gap_text} short"},
    "tb.projected": {"zh": "按目前进度预计全年完成 {projected_text}",
                     "en": "at this pace about {projected_text} by the year end"},
    "rs.tb": {"zh": "已赶上进度：完成 {actual_text}（全年目标 {target_text}）",
              "en": "back on pace: {actual_text} done (target for the year {target_text})"},
    # target_missed
    "tm.missed": {"zh": "完成时限{due}已过，完成 {actual_text}，未达到目标 {target_text}",
                  "en": "due {due}: {actual_text} done, short of the target {target_text}"},
    "tm.unreported": {"zh": "完成时限{due}已过，未报告完成情况（目标 {target_text}）",
                      "en": "due {due} and nothing reported (target {target_text})"},
    "rs.tm": {"zh": "已完成 {actual_text}（目标 {target_text}）", "en": "{actual_text} done (target {target_text})"},
    "tm.completion": {"zh": "完成率 {completion}%（低于 90% 不得分）",
                      "en": "completion {completion}% (nothing below 90%)"},
    # target_cap
    "tc.crossed": {"zh": "已支出 {spent_text}，超出成本上限 {cap_text}（超出 {over_text}）",
                   "en": "{spent_text} spent, over the cost cap of {cap_text} by {over_text}"},
    "tc.near": {"zh": "已支出 {spent_text}，已达成本上限 {cap_text}的 {share}%，仅余 {left_text}",
                "en": "{spent_text} spent, {share}% of the cost cap of {cap_text}; {left_text} left"},
    "tc.advice_crossed": {"zh": "该成本指标将失分，请核实支出或说明原因",
                          "en": "This cost indicator will lose its points: check the payments or explain them"},
    "tc.advice_near": {"zh": "请控制后续支出，超出上限该指标将失分",
                       "en": "Hold further spending: crossing the cap loses this indicator's points"},
    "rs.tc": {"zh": "支出 {spent_text}，在成本上限 {cap_text} 以内",
              "en": "{spent_text} spent, within the cap of {cap_text}"},
    # target_window
    "tw.soon": {"zh": "完成时间窗口为 {window_start}—{window_end}，还有 {days_left} 天开始，请提前安排",
                "en": "due in the window {window_start}–{window_end}, which opens in {days_left} days: plan ahead"},
    "tw.open": {"zh": "完成时间窗口 {window_start}—{window_end} 已开始，尚未报告完成",
                "en": "the window {window_start}–{window_end} is open and nothing is reported yet"},
    "tw.missed": {"zh": "完成时间窗口 {window_start}—{window_end} 已过，未报告完成，该时效指标将失分",
                  "en": "the window {window_start}–{window_end} has passed with nothing reported: this timeliness "
                        "indicator loses its points"},
    "tw.report": {"zh": "完成后请报告：budget-monitor progress add",
                  "en": "Report it when done: budget-monitor progress add"},
    "rs.tw": {"zh": "已报告完成（{reported_on}）", "en": "reported done ({reported_on})"},
    # target_silent
    "ts.since": {"zh": "已有 {weeks_silent} 周没有报告完成情况（最近一次在{reported_on}，目标 {target_text}）",
                 "en": "no progress reported for {weeks_silent} weeks (last on {reported_on}; target {target_text})"},
    "ts.never": {"zh": "今年已过 {weeks_silent} 周，尚未报告完成情况（目标 {target_text}）",
                 "en": "{weeks_silent} weeks into the year and no progress reported (target {target_text})"},
    "rs.ts": {"zh": "已报告进度：完成 {actual_text}（{reported_on}）",
              "en": "progress reported: {actual_text} ({reported_on})"},
    # delivery_gap
    "dgap.money": {"zh": "预算已执行 {rate}%，绩效目标平均只完成 {delivered}%（{targets} 项），相差 {points} 个百分点："
                         "资金已支出，产出尚未跟上",
                   "en": "{rate}% of the budget paid but its targets only {delivered}% done on average ({targets}), "
                         "{points} points apart: the money is out, the delivery is not"},
    "dgap.delivery": {"zh": "绩效目标平均已完成 {delivered}%（{targets} 项），预算只执行 {rate}%，"
                            "相差 {points} 个百分点：请及时支付已完成工作的款项",
                      "en": "its targets are {delivered}% done on average ({targets}) but only {rate}% of the budget "
                            "is paid, {points} points apart: pay for the work done"},
    # the weekly digest's targets section: one item per unit with targets
    "rule.digest_targets": {"zh": "绩效目标", "en": "performance targets"},
    "dt.total": {"zh": "共 {n_total} 项", "en": "{n_total} in all"},
    "dt.met": {"zh": "已达成 {n_met}", "en": "{n_met} met"},
    "dt.on_track": {"zh": "进度正常 {n_on_track}", "en": "{n_on_track} on track"},
    "dt.behind": {"zh": "落后 {n_behind}", "en": "{n_behind} behind"},
    "dt.missed": {"zh": "未完成 {n_missed}", "en": "{n_missed} missed"},
    "dt.cap": {"zh": "成本接近或超出上限 {n_cap}", "en": "{n_cap} cost caps near or crossed"},
    "dt.window": {"zh": "时间窗口临近或已过 {n_window}", "en": "{n_window} timeliness windows near or passed"},
    "dt.no_data": {"zh": "尚无进度 {n_no_data}", "en": "{n_no_data} not reported yet"},
    "dt.judgement": {"zh": "需人工判断 {n_judgement}", "en": "{n_judgement} need a judgement"},
    "dt.attention": {"zh": "需关注：{attention}", "en": "Needs attention: {attention}"},
    "rs.dgap": {"zh": "执行率 {rate}% 与绩效目标完成度 {delivered}% 已基本匹配",
                "en": "execution {rate}% and target completion {delivered}% are in step again"},
}

FIRE = {
    "digest_targets": ((("dt.total",), ("dt.met",), ("dt.on_track",), ("dt.behind",), ("dt.missed",), ("dt.cap",),
                        ("dt.window",), ("dt.no_data",), ("dt.judgement",)), (("dt.attention",),)),
    "target_behind": ((("tb.milestone", "tb.schedule"), ("tb.reported", "tb.nothing"), ("tb.gap",)),
                      (("tb.projected",),)),
    "target_missed": ((("tm.missed", "tm.unreported"), ("tm.completion",)),),
    "target_cap": ((("tc.crossed|state_crossed", "tc.near"),),
                   (("tc.advice_crossed|state_crossed", "tc.advice_near"),)),
    "target_window": ((("tw.missed|state_missed", "tw.open|state_open", "tw.soon"),), (("tw.report",),)),
    "target_silent": ((("ts.since", "ts.never"),),),
    "delivery_gap": ((("dgap.money|state_money_ahead", "dgap.delivery"),),),
}
RESOLVE = {
    "target_behind": ((("rs.tb",),),),
    "target_missed": ((("rs.tm",),),),
    "target_cap": ((("rs.tc",),),),
    "target_window": ((("rs.tw",),),),
    "target_silent": ((("rs.ts",),),),
    "delivery_gap": ((("rs.dgap",),),),
}

# A target's measure as written in its table, for English readers; others are shown as written.
MEASURES_EN = (("万元", "× 10,000 yuan"), ("千元", "× 1,000 yuan"), ("元", "yuan"), ("人次", "person-times"),
               ("场次", "sessions"), ("小时", "hours"), ("个", "items"), ("人", "people"), ("场", "events"),
               ("次", "times"))


def localize(text: str, language: str) -> str:
    """"61.85 万元" → "61.85 × 10,000 yuan" in English; as it is in Chinese."""
    if language != "en":
        return text
    for measure, english in MEASURES_EN:
        if text.endswith(measure):
            return text[: -len(measure)].rstrip() + " " + english
    return text


TEXTS = frozenset({"attention", "indicator", "scope", "target_text", "actual_text", "expected_text", "gap_text",
                   "projected_text", "cap_text", "spent_text", "left_text", "over_text"})
RATES = frozenset({"completion", "share", "delivered", "points"})
DAYS = frozenset({"milestone_date", "window_start", "window_end", "due"})
DATES = frozenset({"reported_on"})
COUNTS = frozenset({"weeks_silent", "targets", "n_total", "n_met", "n_on_track", "n_behind", "n_missed", "n_cap",
                    "n_window", "n_no_data", "n_judgement"})
# digest_targets: the target states each count gathers
DIGEST_COUNTS = {"n_met": ("met",), "n_on_track": ("on_track",), "n_behind": ("behind",), "n_missed": ("missed",),
                 "n_cap": ("cap_near", "cap_crossed"), "n_window": ("window_soon", "window_open", "window_missed"),
                 "n_no_data": ("no_data",), "n_judgement": ("not_measurable",)}
