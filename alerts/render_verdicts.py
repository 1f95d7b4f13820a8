"""The words of a checkpoint's verdict told again, and of the year's result (alerts/state.py's
``correct`` and ``withdraw`` events, alerts/rules.year_end), merged into alerts/render.py's
catalog. A verdict says which date its data reaches; a correction says what was told before and
why it changed (later data, or the full-year budget adjusted after the checkpoint):

    【更正】🔴 红色预警 · 考核节点未达标
    科协机关：3月31日 考核节点未达标，到期时已支付 17.20%（…），考核要求 25%，差 118.70 万元。
    此前按截至2026年3月27日的数据告知为 15.24%（…）。
"""

from __future__ import annotations

from decimal import InvalidOperation

from monitor.money import D

TEXT = {
    "title.correct": {"zh": "【更正】{badge} · {rule}", "en": "Correction · {badge} · {rule}"},
    "title.withdraw": {"zh": "✅ 【更正】撤回「{rule}」", "en": "✅ Correction · “{rule}” withdrawn"},
    "title.year_end.met": {"zh": "📋 {year} 年度结果：达标", "en": "📋 {year} result: met"},
    "title.year_end.missed": {"zh": "🔴 {year} 年度结果：未达标", "en": "🔴 {year} result: missed"},
    "rule.year_end": {"zh": "年度执行结果", "en": "the year's result"},
    "first_run": {"zh": "首次运行：以下是目前的状态，并非今天新发生的变化。",
                  "en": "First run: this is the current state, not what changed today."},
    # a verdict judged on data that does not reach the checkpoint yet
    "vd.provisional": {"zh": "尚无覆盖该考核日的支付导出，以上按截至{data_as_of}的数据判断；导入新数据后如有变化将更正",
                       "en": "No payment export covers that day yet: judged on the data to {data_as_of}; "
                             "a correction follows if newer data changes it"},
    # what was told before, and why it changed
    "vd.was": {"zh": "此前告知为 {was_rate}%（{was_paid} 万元 / {was_budget} 万元，数据截至{was_data_as_of}）",
               "en": "earlier told {was_rate}% ({was_paid} of {was_budget} × 10,000 yuan, data to {was_data_as_of})"},
    "vd.was_met": {"zh": "此前已达标（{was_rate}%，{was_paid} 万元 / {was_budget} 万元，数据截至{was_data_as_of}）",
                   "en": "it was met before ({was_rate}%, {was_paid} of {was_budget} × 10,000 yuan, "
                         "data to {was_data_as_of})"},
    "vd.why_budget": {"zh": "原因：全年预算由 {was_budget} 万元调整为 {budget} 万元，执行率按调整后的全年预算计算",
                      "en": "Why: the full-year budget went from {was_budget} to {budget} × 10,000 yuan, and the rate "
                            "is of the adjusted full-year budget"},
    "vd.why_data": {"zh": "原因：新的支付数据（截至{data_as_of}）", "en": "Why: newer payment data (to {data_as_of})"},
    "vd.reached": {"zh": "{checkpoint_date} 考核节点已达标，到期时已支付 {rate}%（{paid} 万元 / {budget} 万元），"
                         "考核要求 {target_rate}%",
                   "en": "the {checkpoint_date} checkpoint was met: {rate}% paid by then ({paid} of {budget} × 10,000 "
                         "yuan), {target_rate}% required"},
    # the year's result
    "ye.rate": {"zh": "全年已支付 {rate}%（{paid} 万元 / {budget} 万元），年末考核要求 {target_rate}%",
                "en": "{rate}% paid in the year ({paid} of {budget} × 10,000 yuan), {target_rate}% required"},
    "ye.gap": {"zh": "差 {gap} 万元", "en": "{gap} × 10,000 yuan short"},
    "ye.met": {"zh": "考核节点达标 {met}", "en": "checkpoints met: {met}"},
    "ye.score": {"zh": "预算执行得分 {score} / {weight}", "en": "score {score} of {weight}"},
}
_WHY: tuple[tuple[str, ...], ...] = (("vd.why_budget|budget_changed", "vd.why_data|data_changed"),)
_PROVISIONAL: tuple[tuple[str, ...], ...] = (("vd.provisional|provisional",),)
Sentences = tuple[tuple[tuple[str, ...], ...], ...]
FIRE: dict[str, Sentences] = {
    "year_end": ((("ye.rate",), ("ye.gap|missed",)), (("ye.met",), ("ye.score",)), _PROVISIONAL),
}
# checkpoint_missed's own sentences come first (alerts/render.py's FIRE); these follow them
AFTER: dict[str, Sentences] = {
    "fire": (_PROVISIONAL, (("vd.was_met|was_met",),), _WHY),
    "correct": (_PROVISIONAL, (("vd.was",),), _WHY),
    "year_end.correct": ((("vd.was",),), _WHY),
}
WITHDRAW: Sentences = ((("vd.reached",),), (("vd.was",),), _WHY)
AMOUNTS = frozenset({"was_paid", "was_budget"})
RATES = frozenset({"was_rate"})
DATES = frozenset({"data_as_of", "was_data_as_of"})


def conditions(facts) -> set[str]:
    """The conditions of the clauses above, from a verdict item's facts."""
    found = set()
    if facts.get("provisional"):
        found.add("provisional")
    if facts.get("verdict") == "missed":
        found.add("missed")
    if facts.get("was_verdict") == "met":
        found.add("was_met")
    try:
        if "was_budget" in facts and D(facts["was_budget"]) != D(facts.get("budget", "")):
            found.add("budget_changed")
        elif "was_budget" in facts:
            found.add("data_changed")
    except (InvalidOperation, TypeError, ValueError):
        pass
    return found
