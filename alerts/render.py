"""What a leader reads: one Message as plain text (console, Slack's ``text`` fallback) and as
Slack Block Kit blocks. Pure: no Slack client, no clock.

Each item becomes a title ("🔴 红色预警 · 预计达不到考核进度") and one or two sentences built
from its facts, e.g. for behind_checkpoint:

    乌鲁木齐市科学技术协会：距 3月31日 考核节点还有 30 天（22 个工作日），目前已支付 11.23%
    （168.50 万元 / 1,500.97 万元），按当前进度预计届时 16.84%，低于考核要求 25%。还需支付
    206.75 万元，日均约 9.40 万元（按工作日）。

A sentence is a row of clauses; a clause lists alternative templates and the first whose figures
are all known is used, so a missing or unreadable fact drops a clause, never the message.
Amounts arrive as yuan strings and are shown in 万元 with two decimals (``monitor.money.to_wan``).

Slack's limits (https://api.slack.com/reference/block-kit/blocks): at most 50 blocks a message,
3,000 characters in a section's text, 150 in a header; names from files are escaped for mrkdwn
(&, <, >: https://api.slack.com/reference/surfaces/formatting#escaping).
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from decimal import Decimal, InvalidOperation

from alerts import render_inbox as inbox
from alerts import render_targets as targets
from alerts import render_verdicts as verdicts
from alerts.notify import CHECKPOINT_RULES, RULE_ORDER, AlertItem, Message
from monitor.calendar import SOURCE_NAMES, source_name
from monitor.i18n import DEFAULT_LANGUAGE, LANGUAGES
from monitor.i18n import render as _render
from monitor.money import D, to_wan

MAX_BLOCKS = 50
MAX_SECTION_CHARS = 3000
MAX_HEADER_CHARS = 150
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
BADGES = {"red": "🔴", "orange": "🟠", "yellow": "🟡", "blue": "🔵"}
RESOLVED_BADGE = "✅"

TEXT = {
    # message frame
    "header": {"zh": "{year} 年预算执行预警（{count} 条）", "en": "Budget execution alerts {year} ({count})"},
    "header.year_end": {"zh": "{year} 年度预算执行结果", "en": "Budget execution {year}: the year's result"},
    "header.digest": {"zh": "{year} 年预算执行周报", "en": "Budget execution {year}: the week's digest"},
    "header.brief": {"zh": "{year} 年预算执行周报（新预警 {count} 条）",
                     "en": "Budget execution {year}: the week's digest ({count} new alerts)"},
    "section.open": {"zh": "仍未解决的预警：", "en": "Still open:"},
    "title.notice": {"zh": "📋 {rule}", "en": "📋 {rule}"},
    "rule.digest": {"zh": "执行进度", "en": "execution"},
    "rule.calendar_missing": {"zh": "节假日安排尚未确定", "en": "the holiday arrangement is not known yet"},
    "dg.next": {"zh": "距 {checkpoint_date} 考核要求 {target_rate}% 还需支付 {gap} 万元",
                "en": "{gap} × 10,000 yuan to pay for the {target_rate}% due {checkpoint_date}"},
    "dg.reached": {"zh": "已达到 {checkpoint_date} 考核要求 {target_rate}%",
                   "en": "the {target_rate}% due {checkpoint_date} is reached"},
    "dg.pace": {"zh": "日均约 {daily_needed} 万元（{working_days_left} 个工作日）",
                "en": "about {daily_needed} × 10,000 yuan a working day ({working_days_left} left)"},
    "dg.projected": {"zh": "{method}预计届时 {projected_rate}%", "en": "{method} about {projected_rate}% by then"},
    "dg.met": {"zh": "已过考核节点达标 {met}", "en": "checkpoints met so far: {met}"},
    "dg.score": {"zh": "按目前进度预计得分 {score} / {weight}", "en": "heading for a score of {score} of {weight}"},
    "cal.missing": {"zh": "{year} 年的节假日安排（国务院通知）尚未配置，工作日暂按 {source} 计算。"
                          "公布后请在配置 [calendar] 中列出 {year} 年的节假日（holidays）和调休上班日（workdays），"
                          "并加上 complete_years = [{year}]",
                    "en": "{year}'s holiday arrangement (the State Council's notice) is not configured: working "
                          "days are counted on the {source} for now. Once it is published, list {year}'s holidays "
                          "and make-up working days under [calendar] (holidays, workdays) and add "
                          "complete_years = [{year}]"},
    "as_of": {"zh": "数据截至 {date}", "en": "Figures as of {date}"},
    "more": {"zh": "……另有 {count} 条：{breakdown}", "en": "…and {count} more: {breakdown}"},
    "chart_title": {"zh": "{year} 年预算执行进度图", "en": "Budget execution {year}"},
    "date.day": {"zh": "{month}月{day}日", "en": "{month_name} {day}"},
    "date.full": {"zh": "{year}年{month}月{day}日", "en": "{month_name} {day}, {year}"},
    "name": {"zh": "{name}：", "en": "{name}: "},
    "name.department": {"zh": "{name}（部门合计）：", "en": "{name} (department total): "},
    "name.project": {"zh": "项目「{name}」：", "en": "Project “{name}”: "},
    "name.quota_line": {"zh": "{name}（指标 {code}）：", "en": "{name} (quota line {code}): "},
    "name.quota_line_plain": {"zh": "指标 {code}：", "en": "Quota line {code}: "},
    "name.lines": {"zh": "{name}：", "en": "{name}: "},
    # titles
    "severity.red": {"zh": "🔴 红色预警", "en": "🔴 Red alert"},
    "severity.orange": {"zh": "🟠 橙色预警", "en": "🟠 Orange alert"},
    "severity.yellow": {"zh": "🟡 黄色预警", "en": "🟡 Yellow alert"},
    "severity.blue": {"zh": "🔵 蓝色预警", "en": "🔵 Blue alert"},
    "severity.other": {"zh": "⚪ {severity}", "en": "⚪ {severity}"},
    "title.fire": {"zh": "{badge} · {rule}", "en": "{badge} · {rule}"},
    "title.repeat": {"zh": "【提醒】{badge} · {rule}（仍未解决）",
                     "en": "Reminder · {badge} · {rule} (still unresolved)"},
    "title.countdown": {"zh": "【倒计时 {countdown} 个工作日】{badge} · {rule}",
                        "en": "{countdown} working days left · {badge} · {rule}"},
    "title.open": {"zh": "{badge_short} {rule}", "en": "{badge_short} {rule}"},
    "title.escalate": {"zh": "【升级】{badge} · {rule}（{why}）", "en": "Escalated · {badge} · {rule} ({why})"},
    "title.upgrade": {"zh": "{badge} · {rule}（预警级别已提高）", "en": "{badge} · {rule} (severity raised)"},
    "title.resolve": {"zh": "✅ 已恢复正常 · 解除「{rule}」预警", "en": "✅ Back on schedule · “{rule}” cleared"},
    "why.unresolved": {"zh": "持续未解决", "en": "still unresolved"},
    "why.missed": {"zh": "考核节点已过", "en": "the checkpoint has passed"},
    "rule.checkpoint_missed": {"zh": "考核节点未达标", "en": "checkpoint missed"},
    "rule.overspent": {"zh": "支付超出预算", "en": "paid beyond the budget"},
    "rule.behind_checkpoint": {"zh": "预计达不到考核进度", "en": "checkpoint at risk"},
    "rule.adjustment_rate": {"zh": "预算调整率偏高", "en": "budget adjustment rate high"},
    "rule.behind_schedule": {"zh": "落后于序时进度", "en": "behind the time schedule"},
    "rule.stalled": {"zh": "长时间没有支付", "en": "no payments for a while"},
    "rule.stale_data": {"zh": "支付数据未更新", "en": "payment data out of date"},
    "rule.no_budget": {"zh": "指标尚无预算却已有支付", "en": "payments on a line with no budget yet"},
    "method.linear": {"zh": "按当前进度", "en": "at the current pace"},
    "method.history": {"zh": "按往年规律", "en": "going by past years"},
    # clauses shared by several rules
    "paid.rate_of": {"zh": "目前已支付 {rate}%（{paid} 万元 / {budget} 万元）",
                     "en": "{rate}% paid so far ({paid} of {budget} × 10,000 yuan)"},
    "paid.rate": {"zh": "目前已支付 {rate}%", "en": "{rate}% paid so far"},
    "paid.of": {"zh": "已支付 {paid} 万元 / 预算 {budget} 万元", "en": "{paid} of {budget} × 10,000 yuan paid"},
    "daily": {"zh": "日均约 {daily_needed} 万元（按工作日）",
              "en": "about {daily_needed} × 10,000 yuan per working day"},
    # behind_checkpoint
    "bc.left": {"zh": "距 {checkpoint_date} 考核节点还有 {days_left} 天（{working_days_left} 个工作日）",
                "en": "{days_left} days ({working_days_left} working days) left to the {checkpoint_date} checkpoint"},
    "bc.left_working": {"zh": "距 {checkpoint_date} 考核节点还有 {working_days_left} 个工作日",
                        "en": "{working_days_left} working days left to the {checkpoint_date} checkpoint"},
    "bc.left_days": {"zh": "距 {checkpoint_date} 考核节点还有 {days_left} 天",
                     "en": "{days_left} days left to the {checkpoint_date} checkpoint"},
    "bc.projected": {"zh": "{method}预计届时 {projected_rate}%，低于考核要求 {target_rate}%",
                     "en": "{method} about {projected_rate}% by then, below the required {target_rate}%"},
    "bc.projected_plain": {"zh": "预计届时 {projected_rate}%，低于考核要求 {target_rate}%",
                           "en": "about {projected_rate}% by then, below the required {target_rate}%"},
    "bc.target": {"zh": "考核要求 {target_rate}%", "en": "{target_rate}% required"},
    "bc.gap": {"zh": "还需支付 {gap} 万元", "en": "{gap} × 10,000 yuan still to pay"},
    # checkpoint_missed
    "cm.missed": {"zh": "{checkpoint_date} 考核节点未达标", "en": "missed the {checkpoint_date} checkpoint"},
    "cm.paid": {"zh": "到期时已支付 {rate}%（{paid} 万元 / {budget} 万元），考核要求 {target_rate}%",
                "en": "{rate}% paid by then ({paid} of {budget} × 10,000 yuan) against the required {target_rate}%"},
    "cm.rate": {"zh": "到期时已支付 {rate}%，考核要求 {target_rate}%",
                "en": "{rate}% paid by then against the required {target_rate}%"},
    "cm.gap": {"zh": "差 {gap} 万元", "en": "{gap} × 10,000 yuan short"},
    "cm.next": {"zh": "下一个考核节点 {next_date} 要求 {next_target_rate}%",
                "en": "The next checkpoint, {next_date}, requires {next_target_rate}%"},
    "cm.next_gap": {"zh": "还需支付 {next_gap} 万元", "en": "{next_gap} × 10,000 yuan still to pay"},
    "cm.next_daily": {"zh": "日均约 {next_daily_needed} 万元（按工作日）",
                      "en": "about {next_daily_needed} × 10,000 yuan per working day"},
    # behind_schedule
    "bs.behind": {"zh": "落后序时进度（{schedule_rate}%）{points_behind} 个百分点",
                  "en": "{points_behind} points behind the time schedule ({schedule_rate}%)"},
    "bs.schedule": {"zh": "序时进度 {schedule_rate}%", "en": "time schedule {schedule_rate}%"},
    "bs.gap": {"zh": "需再支付 {gap} 万元才能赶上序时进度", "en": "{gap} × 10,000 yuan to pay to catch up"},
    # stalled
    "st.since": {"zh": "自 {last_payment} 以来已连续 {idle_working_days} 个工作日没有支付",
                 "en": "no payments for {idle_working_days} working days since {last_payment}"},
    "st.never": {"zh": "今年尚无支付，已过 {idle_working_days} 个工作日",
                 "en": "no payment yet this year, {idle_working_days} working days in"},
    "st.idle": {"zh": "已连续 {idle_working_days} 个工作日没有支付",
                "en": "no payments for {idle_working_days} working days"},
    "st.remaining_of": {"zh": "预算 {budget} 万元，已支付 {paid} 万元，尚余 {remaining} 万元未支付",
                        "en": "{paid} of {budget} × 10,000 yuan paid, {remaining} × 10,000 yuan left to pay"},
    "st.remaining": {"zh": "尚余 {remaining} 万元未支付", "en": "{remaining} × 10,000 yuan left to pay"},
    # overspent
    "os.over_of": {"zh": "已支付 {paid} 万元，超出预算（{budget} 万元）{over} 万元",
                   "en": "{paid} × 10,000 yuan paid, {over} × 10,000 yuan more than the budget of {budget}"},
    "os.over": {"zh": "超出预算 {over} 万元", "en": "{over} × 10,000 yuan over the budget"},
    "os.check": {"zh": "请核实支付数据或及时办理预算调整", "en": "Please check the payments or adjust the budget"},
    # no_budget
    "nb.paid": {"zh": "已支付 {paid} 万元，但该指标尚无预算（最近一次支付 {last_payment}）",
                "en": "{paid} × 10,000 yuan paid on it, but it has no budget yet (latest payment {last_payment})"},
    "nb.paid_plain": {"zh": "已支付 {paid} 万元，但该指标尚无预算", "en": "{paid} × 10,000 yuan paid, no budget yet"},
    "nb.check": {"zh": "请确认 {last_payment} 前后的指标导出是否已导入",
                 "en": "Has the quota export of {last_payment} been imported?"},
    "nb.check_plain": {"zh": "请确认指标导出是否已导入", "en": "Has the latest quota export been imported?"},
    # one item for several quota lines of a unit (alerts/pipeline.collapse_lines)
    "ln.count": {"zh": "{count} 条指标，合计 {amount} 万元",
                 "en": "{count} quota lines, {amount} × 10,000 yuan in all"},
    "ln.top": {"zh": "金额最大的：{lines}", "en": "the largest: {lines}"},
    # a unit at risk: its own stalled lines and lagging projects (alerts/catalog.one_story)
    "parts": {"zh": "长时间没有支付、尚有余额的：{parts}", "en": "No payments for a while, budget left: {parts}"},
    # adjustment_rate
    "ar.rate_of": {"zh": "预算调整率 {rate}%（调整 {adjusted} 万元 / 年初预算 {initial} 万元）",
                   "en": "budget adjustment rate {rate}% ({adjusted} adjusted against the initial {initial} "
                         "× 10,000 yuan)"},
    "ar.rate": {"zh": "预算调整率 {rate}%", "en": "budget adjustment rate {rate}%"},
    "ar.over_limit": {"zh": "已达到或超过上限 {limit}%，该项考核不得分",
                      "en": "at or above the {limit}% limit, so this indicator scores nothing"},
    "ar.near_limit": {"zh": "接近上限 {limit}%（预警线 {warning}%）",
                      "en": "close to the {limit}% limit (warning from {warning}%)"},
    "ar.limit": {"zh": "上限 {limit}%", "en": "limit {limit}%"},
    "ar.counts": {"zh": "计入调整 {counted} 笔，免计 {exempt} 笔（国家政策、不可抗力、上级交办）",
                  "en": "{counted} adjustments counted, {exempt} exempt (national policy, force majeure, "
                        "higher level)"},
    "ar.counted": {"zh": "计入调整 {counted} 笔", "en": "{counted} adjustments counted"},
    # stale_data
    "sd.old_limit": {"zh": "最新的支付数据导出于 {latest_export}，"
                           "已 {working_days_old} 个工作日未更新（上限 {limit} 个工作日）",
                     "en": "the latest payment export is from {latest_export}, {working_days_old} working days old "
                           "(limit {limit})"},
    "sd.old": {"zh": "最新的支付数据导出于 {latest_export}，已 {working_days_old} 个工作日未更新",
               "en": "the latest payment export is from {latest_export}, {working_days_old} working days old"},
    "sd.never": {"zh": "尚未导入任何支付数据", "en": "no payment data has been imported yet"},
    "sd.days": {"zh": "支付数据已 {working_days_old} 个工作日未更新",
                "en": "payment data {working_days_old} working days old"},
    "sd.paused": {"zh": "在导入新数据之前，进度类预警暂停发送",
                  "en": "Pacing alerts are paused until new data is imported"},
    # resolve: the figures of the day it resolved
    "rs.bc.projected": {"zh": "{method}预计 {checkpoint_date} 可达 {projected_rate}%（考核要求 {target_rate}%）",
                        "en": "{method} about {projected_rate}% by {checkpoint_date} ({target_rate}% required)"},
    "rs.bc.target": {"zh": "{checkpoint_date} 考核要求 {target_rate}%",
                     "en": "{target_rate}% required by {checkpoint_date}"},
    "rs.cm.reached": {"zh": "已达到 {checkpoint_date} 考核要求 {target_rate}%",
                      "en": "the {target_rate}% required by {checkpoint_date} is reached"},
    "rs.bs.within": {"zh": "与序时进度（{schedule_rate}%）的差距已缩小到 {points_allowed} 个百分点以内",
                     "en": "within {points_allowed} points of the time schedule ({schedule_rate}%) again"},
    "rs.bs.caught_up": {"zh": "已赶上序时进度 {schedule_rate}%", "en": "back on the time schedule of {schedule_rate}%"},
    "rs.st.paid_on": {"zh": "已恢复支付，最近一次支付在 {last_payment}",
                      "en": "payments resumed, the latest on {last_payment}"},
    "rs.st.resumed": {"zh": "已恢复支付", "en": "payments resumed"},
    "rs.os.within": {"zh": "已支付 {paid} 万元，未超出预算 {budget} 万元",
                     "en": "{paid} × 10,000 yuan paid, within the budget of {budget}"},
    "rs.nb.budget": {"zh": "该指标已有预算", "en": "the line has a budget now"},
    "rs.ar.rate": {"zh": "预算调整率降至 {rate}%（上限 {limit}%）",
                   "en": "budget adjustment rate down to {rate}% (limit {limit}%)"},
    "rs.sd.new": {"zh": "已导入新的支付数据（最新导出于 {latest_export}）",
                  "en": "new payment data imported (latest export {latest_export})"},
    "rs.sd.resumed": {"zh": "进度类预警恢复发送", "en": "Pacing alerts resume"},
}

# A sentence is a row of clauses; a clause is a tuple of alternative catalog codes. The first
# alternative whose template's figures are all known (and whose condition, after "|", holds) is used.
Sentences = tuple[tuple[tuple[str, ...], ...], ...]
LINES: Sentences = ((("ln.count",), ("ln.top",)),)
FIRE: dict[str, Sentences] = {
    "behind_checkpoint": ((("bc.left", "bc.left_working", "bc.left_days"), ("paid.rate_of", "paid.rate"),
                           ("bc.projected", "bc.projected_plain", "bc.target")),
                          (("bc.gap",), ("daily",)), (("parts",),)),
    "checkpoint_missed": ((("cm.missed",), ("cm.paid", "cm.rate"), ("cm.gap",)),
                          (("cm.next",), ("cm.next_gap",), ("cm.next_daily",)), (("parts",),)),
    "no_budget": ((("nb.paid", "nb.paid_plain"),), (("nb.check", "nb.check_plain"),)),
    "behind_schedule": ((("paid.rate_of", "paid.rate"), ("bs.behind", "bs.schedule")), (("bs.gap",),)),
    "stalled": ((("st.since", "st.never|never_paid", "st.idle"), ("st.remaining_of", "st.remaining")),),
    "overspent": ((("os.over_of", "os.over"),), (("os.check",),)),
    "adjustment_rate": ((("ar.rate_of", "ar.rate"), ("ar.over_limit|over_limit", "ar.near_limit", "ar.limit")),
                        (("ar.counts", "ar.counted"),)),
    "stale_data": ((("sd.old_limit", "sd.old", "sd.never|never_exported", "sd.days"),), (("sd.paused",),)),
    "digest": ((("paid.rate_of", "paid.rate"), ("dg.reached|reached", "dg.next"), ("dg.pace|pace",),
                ("dg.projected|pace",)), (("dg.met",), ("dg.score",))),
    "calendar_missing": ((("cal.missing",),),),
}
RESOLVE: dict[str, Sentences] = {
    "behind_checkpoint": ((("paid.rate_of", "paid.rate"), ("rs.bc.projected", "rs.bc.target")),),
    "checkpoint_missed": ((("paid.rate_of", "paid.rate"), ("rs.cm.reached",)),),
    "behind_schedule": ((("paid.rate_of", "paid.rate"), ("rs.bs.within", "rs.bs.caught_up")),),
    "stalled": ((("rs.st.paid_on", "rs.st.resumed"), ("paid.of",)),),
    "overspent": ((("rs.os.within",),),),
    "no_budget": ((("rs.nb.budget",),),),
    "adjustment_rate": ((("rs.ar.rate",),),),
    "stale_data": ((("rs.sd.new",),), (("rs.sd.resumed",),)),
}
TEXT |= targets.TEXT | verdicts.TEXT | inbox.TEXT
FIRE |= targets.FIRE | verdicts.FIRE | inbox.FIRE
RESOLVE |= targets.RESOLVE
CLAUSE_SEPARATOR = {"zh": "，", "en": ", "}
SENTENCE_END = {"zh": "。", "en": "."}
SENTENCE_SEPARATOR = {"zh": "", "en": " "}

AMOUNTS = frozenset({"paid", "budget", "gap", "daily_needed", "remaining", "over", "adjusted", "initial",
                     "next_gap", "next_daily_needed", "amount"}) | verdicts.AMOUNTS
RATES = frozenset({"rate", "target_rate", "schedule_rate", "points_behind", "points_allowed", "projected_rate",
                   "limit", "warning", "next_target_rate"}) | targets.RATES | verdicts.RATES
DAYS = frozenset({"checkpoint_date", "next_date"}) | targets.DAYS  # a day of the year: "3月31日"
# may be of an earlier year: "2023年2月10日"
DATES = frozenset({"last_payment", "latest_export"}) | targets.DATES | verdicts.DATES
COUNTS = frozenset({"working_days_left", "days_left", "idle_working_days", "working_days_old", "counted", "exempt",
                    "count", "countdown"}) | targets.COUNTS
COUNT_OVERRIDES = {"stale_data": frozenset({"limit"})}  # stale_data's limit is working days, not percent
SCORES = frozenset({"score", "weight"})
TEXTS = frozenset({"met", "year"}) | targets.TEXTS | inbox.TEXTS  # shown as they are (left out when empty)
NAMED_AMOUNTS = frozenset({"lines", "parts"})  # "name|yuan；name|yuan" (alerts/pipeline, alerts/catalog)
_FIELDS = string.Formatter()


def say(language: str, code: str, **params) -> str:
    return _render(TEXT, code, language, params)


def render_text(message: Message) -> str:
    """The whole message as plain text: a header line, each item as a title line and its
    sentences, and the as-of line. Not escaped (the console prints it as is; see ``escape_mrkdwn``)."""
    language = _language(message)
    parts = [_header(message, language), *_first_run(message, language)]
    items = _ordered(message.items)
    for item in (i for i in items if i.event != "open"):
        parts.append(f"{item_title(item, language)}\n{item_body(item, language)}")
    opened = [i for i in items if i.event == "open"]
    if opened:
        parts.append("\n".join([say(language, "section.open"), *_open_lines(opened, language)]))
    parts.append(say(language, "as_of", date=_date(language, message.as_of, full=True)))
    return "\n\n".join(parts)


OPEN_LINES_SHOWN = 6  # a brief lists at most this many open alerts, the worst first, then counts the rest


def _open_lines(opened: list[AlertItem], language: str) -> list[str]:
    lines = [open_line(i, language) for i in opened[:OPEN_LINES_SHOWN]]
    rest = opened[OPEN_LINES_SHOWN:]
    if rest:
        breakdown = " · ".join(f"{badge} {count}" for badge, count in Counter(_badge(i) for i in rest).items())
        lines.append(say(language, "more", count=len(rest), breakdown=breakdown))
    return lines


def open_line(item: AlertItem, language: str) -> str:
    """An alert still open, as one line of the weekly brief: badge, rule, whom, the first sentence."""
    body = item_body(item, language)
    end = SENTENCE_END[language]
    first = body.split(end, 1)[0] + end if end in body else body
    return f"• {_badge(item)} {item_title(item, language)}｜{first}" if language == "zh" else \
        f"• {_badge(item)} {item_title(item, language)} | {first}"


def render_blocks(message: Message) -> list[dict]:
    """Block Kit: a header, one mrkdwn section per item (at most 50 blocks in all, the rest summed
    up in one section), and a context line with the as-of date."""
    language = _language(message)
    items = _ordered(message.items)
    room = MAX_BLOCKS - 2 - len(_first_run(message, language))  # the header, the first-run line, the context
    opened = [i for i in items if i.event == "open"]
    items = [i for i in items if i.event != "open"]
    if opened:
        room -= 1  # one section holds the open alerts' lines
    shown = items if len(items) <= room else items[:room - 1]
    blocks: list[dict] = [{"type": "header",
                           "text": {"type": "plain_text", "text": _cut(_header(message, language), MAX_HEADER_CHARS),
                                    "emoji": True}}]
    blocks += [_section(escape_mrkdwn(line)) for line in _first_run(message, language)]
    for item in shown:
        text = f"*{escape_mrkdwn(item_title(item, language))}*\n{escape_mrkdwn(item_body(item, language))}"
        blocks.append(_section(text))
    if opened:
        lines = "\n".join(escape_mrkdwn(line) for line in _open_lines(opened, language))
        blocks.append(_section(f"*{escape_mrkdwn(say(language, 'section.open'))}*\n{lines}"))
    if len(shown) < len(items):
        rest = items[len(shown):]
        breakdown = " · ".join(f"{badge} {count}" for badge, count in Counter(_badge(i) for i in rest).items())
        blocks.append(_section(escape_mrkdwn(say(language, "more", count=len(rest), breakdown=breakdown))))
    as_of = say(language, "as_of", date=_date(language, message.as_of, full=True))
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape_mrkdwn(as_of)}]})
    return blocks


def blocks_hold(message: Message) -> bool:
    """Whether ``render_blocks`` shows every item in its own section (none summed up in "more")."""
    language = _language(message)
    items = [i for i in message.items if i.event != "open"]
    opened = len(items) < len(message.items)
    return len(items) <= MAX_BLOCKS - 2 - len(_first_run(message, language)) - opened


def split_items(message: Message, fits: Callable[[Message], bool]) -> list[tuple[AlertItem, ...]]:
    """A message's items in the order it shows them, cut at item boundaries into parts that each
    ``fits``; a lone item that does not fit is a part of its own. One part when it fits whole."""
    parts: list[tuple[AlertItem, ...]] = []
    current: list[AlertItem] = []
    for item in _ordered(message.items):
        if current and not fits(replace(message, items=(*current, item))):
            parts.append(tuple(current))
            current = []
        current.append(item)
    if current:
        parts.append(tuple(current))
    return parts


def _first_run(message: Message, language: str) -> list[str]:
    """The line a first run's message opens with (its items are the state found, not news)."""
    return [say(language, "first_run")] if any(i.facts.get("first_run") for i in message.items) else []


def render_chart_title(message: Message) -> str:
    return say(_language(message), "chart_title", year=message.year)


def escape_mrkdwn(text: str) -> str:
    """Slack's three control characters; nothing else is to be escaped (Slack's formatting guide)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


NOTICES = frozenset({"digest", "digest_targets", "calendar_missing"})  # not alerts: no severity, no state


def item_title(item: AlertItem, language: str) -> str:
    rule = say(language, f"rule.{item.rule}") if f"rule.{item.rule}" in TEXT else item.rule
    if item.rule in NOTICES:
        return say(language, "title.notice", rule=rule)
    if f"title.{item.rule}" in TEXT:  # a rule with a title of its own (a refused export)
        return say(language, f"title.{item.rule}", rule=rule)
    if item.event in ("resolve", "withdraw"):
        return say(language, f"title.{item.event}", rule=rule)
    if item.event == "open":
        return rule
    if item.rule == "year_end":
        title = say(language, f"title.year_end.{item.facts.get('verdict', 'missed')}", year=item.period[:4])
        return title if item.event != "correct" else say(language, "title.correct", badge=title, rule="")
    badge = (say(language, f"severity.{item.severity}") if item.severity in BADGES
             else say(language, "severity.other", severity=item.severity))
    event = item.event if f"title.{item.event}" in TEXT else "fire"
    why = say(language, "why.missed" if item.rule == "checkpoint_missed" else "why.unresolved")
    if item.event == "repeat" and item.facts.get("countdown"):
        return say(language, "title.countdown", badge=badge, rule=rule, countdown=item.facts["countdown"])
    return say(language, f"title.{event}", badge=badge, rule=rule, why=why)


def item_body(item: AlertItem, language: str) -> str:
    """"{name}：" and the rule's sentences; a rule this module does not know shows its facts as is."""
    form = f"name.{item.level}" if f"name.{item.level}" in TEXT else "name"
    shown_name = item.name
    if item.level == "quota_line":
        shown_name = line_name(item.facts) or ("" if item.name == item.code else item.name)
        form = "name.quota_line" if shown_name else "name.quota_line_plain"
    name = _render(TEXT, form, language, {"name": shown_name, "code": item.code}) if item.name else ""
    if item.level == "lines":
        params, conditions = _params(item, language)
        return name + _sentences(language, LINES, params, conditions)
    sentences = _sentences_of(item)
    if sentences is None:
        return name + CLAUSE_SEPARATOR[language].join(f"{key} {value}" for key, value in item.facts.items())
    params, conditions = _params(item, language)
    return name + _sentences(language, sentences, params, conditions)


def _sentences_of(item: AlertItem):
    """The rule's sentences for the event: a verdict told again adds what was told before and why."""
    if item.event == "resolve":
        return RESOLVE.get(item.rule)
    if item.event == "withdraw":
        return verdicts.WITHDRAW
    sentences = FIRE.get(item.rule)
    after = verdicts.AFTER.get(item.event if item.rule == "checkpoint_missed" else f"{item.rule}.{item.event}")
    if sentences is not None and after is not None and item.rule in ("checkpoint_missed", "year_end"):
        return (*sentences, *after)
    return sentences


def line_name(facts: Mapping[str, str]) -> str:
    """A quota line as people know it: its project and its economic class."""
    return "·".join(n for n in (facts.get("project_name", ""), facts.get("economic_name", "")) if n)


def _named_amounts(value: str, language: str) -> str:
    """"name|yuan；name|yuan" → "name 12.00 万元、name 3.00 万元"."""
    out = []
    for part in value.split("；"):
        name, _, amount = part.rpartition("|")
        out.append(f"{name} {to_wan(D(amount)):,} 万元" if language == "zh" else f"{name} {to_wan(D(amount)):,}")
    return ("、" if language == "zh" else "; ").join(out)


def _sentences(language: str, sentences, params: Mapping[str, str], conditions: set[str]) -> str:
    out = []
    for sentence in sentences:
        clauses = [text for clause in sentence if (text := _first(language, clause, params, conditions))]
        if clauses:
            joined = CLAUSE_SEPARATOR[language].join(clauses)
            out.append(joined[:1].upper() + joined[1:] + SENTENCE_END[language])
    return SENTENCE_SEPARATOR[language].join(out)


def _first(language: str, alternatives: Iterable[str], params: Mapping[str, str], conditions: set[str]) -> str:
    for alternative in alternatives:
        code, _, condition = alternative.partition("|")
        template = TEXT[code].get(language) or TEXT[code][DEFAULT_LANGUAGE]
        needed = {name for _, name, _, _ in _FIELDS.parse(template) if name}
        if needed <= params.keys() and (not condition or condition in conditions):
            return say(language, code, **params)
    return ""


def _params(item: AlertItem, language: str) -> tuple[dict[str, str], set[str]]:
    """The facts as people read them; a fact that cannot be read is left out (its clause drops)."""
    counts = COUNTS | COUNT_OVERRIDES.get(item.rule, frozenset())
    params: dict[str, str] = {}
    for key, value in item.facts.items():
        try:
            if key in counts:
                params[key] = str(int(value))
            elif key in AMOUNTS:
                params[key] = f"{to_wan(D(value)):,}"
            elif key in RATES:
                params[key] = _rate(D(value))
            elif key in SCORES:
                params[key] = f"{D(value):.2f}"
            elif key in NAMED_AMOUNTS and value:
                params[key] = _named_amounts(value, language)
            elif key in TEXTS and value != "":
                params[key] = targets.localize(str(value), language)
            elif key in DAYS or key in DATES:
                params[key] = _date(language, dt.date.fromisoformat(value), full=key in DATES)
        except (ValueError, TypeError, InvalidOperation):
            continue
    if item.rule == "calendar_missing" and item.facts.get("source") in SOURCE_NAMES:
        params["source"] = source_name(item.facts["source"], language)
    method = item.facts.get("projection_method")
    if method in ("linear", "history"):
        params["method"] = say(language, f"method.{method}")
    elif method == "none":
        params.pop("projected_rate", None)  # no projection was made: say only the target
    conditions = {f"state_{item.facts['state']}"} if "state" in item.facts else set()
    conditions |= verdicts.conditions(item.facts)
    if item.facts.get("last_payment") == "":
        conditions.add("never_paid")
    if item.facts.get("latest_export") == "":
        conditions.add("never_exported")
    if item.rule == "digest" and item.facts.get("gap") == "0.00":
        conditions.add("reached")
    elif item.rule == "digest":
        conditions.add("pace")
    try:
        if item.rule == "adjustment_rate" and D(item.facts["rate"]) >= D(item.facts["limit"]):
            conditions.add("over_limit")
    except (KeyError, ValueError, TypeError, InvalidOperation):
        pass
    return params, conditions


def _rate(value: Decimal) -> str:
    """A rate fact as read: two decimals ("25" for 25.00), or the few more a rule gave it to stay
    on its side of a limit (monitor/money.near: 9.9996 against 10 is never shown as 10)."""
    exponent = value.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) else 0
    if 2 < places <= 10:
        return f"{value:f}"
    return f"{value:.2f}".removesuffix(".00")


def _ordered(items: Iterable[AlertItem]) -> list[AlertItem]:
    """What needs acting on first: new alerts (RULE_ORDER order, red before blue), then the brief's
    checkpoint lines, then the alerts still open, "back on schedule" notices last (stable). A brief
    line of an entity that has a checkpoint alert in the same message is left out: the alert says
    it, with its own figures (one entity, one set of figures)."""
    items = list(items)
    alerted = {(i.level, i.code) for i in items if i.rule in CHECKPOINT_RULES and i.event not in ("open", "resolve")}
    items = [i for i in items if not (i.rule == "digest" and (i.level, i.code) in alerted)]
    severity = {"red": 0, "orange": 1, "yellow": 2, "blue": 3}
    part = {"brief": 1, "open": 2, "resolve": 3, "withdraw": 3}
    return sorted(items, key=lambda i: (part.get(i.event, 1 if i.rule in NOTICES else 0),
                                        severity.get(i.severity, len(severity)) if i.event == "open" else 0,
                                        RULE_ORDER.index(i.rule) if i.rule in RULE_ORDER else len(RULE_ORDER),
                                        severity.get(i.severity, len(severity))))


def _badge(item: AlertItem) -> str:
    return RESOLVED_BADGE if item.event in ("resolve", "withdraw") else BADGES.get(item.severity, "⚪")


def _header(message: Message, language: str) -> str:
    if message.items and any(i.rule in ("digest", "digest_targets") for i in message.items):
        news = sum(1 for i in message.items if i.rule not in NOTICES and i.event not in ("open", "resolve", "withdraw"))
        if news:
            return say(language, "header.brief", year=message.year, count=news)
        return say(language, "header.digest", year=message.year)
    if message.items and all(i.rule == "year_end" for i in message.items):  # a result, not a warning
        return say(language, "header.year_end", year=message.year)
    return say(language, "header", year=message.year, count=len(message.items))


def _date(language: str, day: dt.date, *, full: bool) -> str:
    return say(language, "date.full" if full else "date.day", year=day.year, month=day.month, day=day.day,
               month_name=MONTHS[day.month - 1])


def _language(message: Message) -> str:
    return message.language if message.language in LANGUAGES else DEFAULT_LANGUAGE


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(text, MAX_SECTION_CHARS)}}


def _cut(text: str, limit: int) -> str:
    """At most ``limit`` characters, ending in "…" when cut, never inside an &amp; escape."""
    if len(text) <= limit:
        return text
    return re.sub(r"&[a-z]*$", "", text[:limit - 1]) + "…"
