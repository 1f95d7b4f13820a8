"""Rendering alert messages, and delivering them with the real slack_sdk client to a fake Slack
server on 127.0.0.1 (tests/fake_slack.py)."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import struct
import zlib

import pytest

from alerts.console import ConsoleNotifier
from alerts.notify import (
    EVENTS,
    RULE_ORDER,
    AlertItem,
    AuthError,
    Message,
    PermanentError,
    Recipient,
    Sent,
    TransientError,
)
from alerts.render import MAX_BLOCKS, MAX_SECTION_CHARS, render_blocks, render_text
from alerts.slack import MemoryEmailCache, SlackNotifier, slack_notifier_from_env

TOKEN = "xoxb-test-0000-secret"
AS_OF = dt.date(2023, 3, 1)
UNIT = "乌鲁木齐市科学技术协会"

FACTS = {
    "behind_checkpoint": {"checkpoint_date": "2023-03-31", "target_rate": "25.00", "rate": "11.23",
                          "paid": "1685000.00", "budget": "15009700.00", "gap": "2067500.00",
                          "working_days_left": "22", "days_left": "30", "daily_needed": "94000.00",
                          "projected_rate": "16.84", "projection_method": "linear"},
    "checkpoint_missed": {"checkpoint_date": "2023-03-31", "target_rate": "25.00", "rate": "17.96",
                          "paid": "2695800.00", "budget": "15009700.00", "gap": "1056625.00",
                          "next_date": "2023-06-30", "next_target_rate": "50.00", "next_gap": "4809050.00",
                          "next_daily_needed": "81509.32"},
    "behind_schedule": {"rate": "17.96", "schedule_rate": "25.00", "points_behind": "7.04", "paid": "2695800.00",
                        "budget": "15009700.00", "gap": "1056625.00"},
    "stalled": {"last_payment": "2023-02-10", "idle_working_days": "15", "budget": "3200000.00",
                "paid": "480000.00", "remaining": "2720000.00"},
    "overspent": {"budget": "1000000.00", "paid": "1023456.78", "over": "23456.78"},
    "no_budget": {"paid": "80000.00", "last_payment": "2023-02-20"},
    "adjustment_rate": {"adjusted": "2537500.00", "initial": "12472200.00", "rate": "20.35", "limit": "10.00",
                        "warning": "8.00", "counted": "4", "exempt": "2"},
    "stale_data": {"latest_export": "2023-03-20", "working_days_old": "6", "limit": "5"},
    "target_behind": {"indicator": "开展科普讲座科技培训场次", "scope": "老科技工作经费", "target_text": "≥35 场次",
                      "actual_text": "8 场次", "due": "2023-12-31", "reported_on": "2023-06-30", "completion": "22.86",
                      "expected_text": "18 场次", "gap_text": "10 场次", "milestone_date": "2023-06-30",
                      "projected_text": "16 场次"},
    "target_missed": {"target_text": "≥35 场次", "actual_text": "30 场次", "due": "2023-12-31", "completion": "85.71",
                      "gap_text": "5 场次"},
    "target_cap": {"target_text": "≤61.85 万元", "cap_text": "61.85 万元", "spent_text": "63.20 万元",
                   "share": "102.18", "over_text": "1.35 万元", "state": "crossed", "actual_text": "63.20 万元",
                   "due": "2023-12-31"},
    "target_window": {"target_text": "≥1 次", "window_start": "2023-09-17", "window_end": "2023-09-23",
                      "state": "open", "days_left": "0", "due": "2023-09-23", "reported_on": "2023-09-20"},
    "target_silent": {"target_text": "≥35 场次", "weeks_silent": "14", "reported_on": "2023-03-31",
                      "actual_text": "8 场次"},
    "delivery_gap": {"rate": "85.00", "delivered": "20.00", "points": "65.00", "targets": "3",
                     "state": "money_ahead"},
}
SEVERITY = {"checkpoint_missed": "red", "overspent": "red", "no_budget": "yellow", "behind_checkpoint": "orange",
            "adjustment_rate": "red",
            "behind_schedule": "yellow", "stalled": "yellow", "stale_data": "orange", "target_behind": "yellow",
            "target_missed": "red", "target_cap": "red", "target_window": "orange", "target_silent": "yellow",
            "delivery_gap": "yellow"}

# What a leader reads when each rule fires, word for word (amounts in 万元, ROUND_HALF_UP).
CHINESE = {
    "behind_checkpoint": f"{UNIT}：距 3月31日 考核节点还有 30 天（22 个工作日），目前已支付 11.23%（168.50 万元 / "
                         "1,500.97 万元），按当前进度预计届时 16.84%，低于考核要求 25%。还需支付 206.75 万元，"
                         "日均约 9.40 万元（按工作日）。",
    "checkpoint_missed": f"{UNIT}：3月31日 考核节点未达标，到期时已支付 17.96%（269.58 万元 / 1,500.97 万元），"
                         "考核要求 25%，差 105.66 万元。下一个考核节点 6月30日 要求 50%，还需支付 480.91 万元，"
                         "日均约 8.15 万元（按工作日）。",
    "behind_schedule": f"{UNIT}：目前已支付 17.96%（269.58 万元 / 1,500.97 万元），落后序时进度（25%）7.04 个百分点。"
                       "需再支付 105.66 万元才能赶上序时进度。",
    "stalled": f"{UNIT}：自 2023年2月10日 以来已连续 15 个工作日没有支付，预算 320.00 万元，已支付 48.00 万元，"
               "尚余 272.00 万元未支付。",
    "overspent": f"{UNIT}：已支付 102.35 万元，超出预算（100.00 万元）2.35 万元。请核实支付数据或及时办理预算调整。",
    "no_budget": f"{UNIT}：已支付 8.00 万元，但该指标尚无预算（最近一次支付 2023年2月20日）。"
                 "请确认 2023年2月20日 前后的指标导出是否已导入。",
    "adjustment_rate": f"{UNIT}：预算调整率 20.35%（调整 253.75 万元 / 年初预算 1,247.22 万元），已达到或超过上限 10%，"
                       "该项考核不得分。计入调整 4 笔，免计 2 笔（国家政策、不可抗力、上级交办）。",
    "stale_data": f"{UNIT}：最新的支付数据导出于 2023年3月20日，已 6 个工作日未更新（上限 5 个工作日）。"
                  "在导入新数据之前，进度类预警暂停发送。",
    "target_behind": f"{UNIT}：6月30日前应完成 18 场次，截至2023年6月30日报告完成 8 场次（全年目标 ≥35 场次），"
                     "还差 10 场次。按目前进度预计全年完成 16 场次。",
    "target_missed": f"{UNIT}：完成时限12月31日已过，完成 30 场次，未达到目标 ≥35 场次，"
                     "完成率 85.71%（低于 90% 不得分）。",
    "target_cap": f"{UNIT}：已支出 63.20 万元，超出成本上限 61.85 万元（超出 1.35 万元）。"
                  "该成本指标将失分，请核实支出或说明原因。",
    "target_window": f"{UNIT}：完成时间窗口 9月17日—9月23日 已开始，尚未报告完成。"
                     "完成后请报告：budget-monitor progress add。",
    "target_silent": f"{UNIT}：已有 14 周没有报告完成情况（最近一次在2023年3月31日，目标 ≥35 场次）。",
    "delivery_gap": f"{UNIT}：预算已执行 85%，绩效目标平均只完成 20%（3 项），相差 65 个百分点："
                    "资金已支出，产出尚未跟上。",
}
ENGLISH = {
    "behind_checkpoint": ("30 days (22 working days) left to the Mar 31 checkpoint",
                          "11.23% paid so far (168.50 of 1,500.97 × 10,000 yuan)",
                          "at the current pace about 16.84% by then, below the required 25%.",
                          "206.75 × 10,000 yuan still to pay, about 9.40 × 10,000 yuan per working day."),
    "checkpoint_missed": ("Missed the Mar 31 checkpoint", "17.96% paid by then (269.58 of 1,500.97 × 10,000 yuan)",
                          "105.66 × 10,000 yuan short.", "The next checkpoint, Jun 30, requires 50%",
                          "480.91 × 10,000 yuan still to pay", "about 8.15 × 10,000 yuan per working day."),
    "behind_schedule": ("17.96% paid so far (269.58 of 1,500.97 × 10,000 yuan)",
                        "7.04 points behind the time schedule (25%)", "105.66 × 10,000 yuan to pay to catch up."),
    "stalled": ("No payments for 15 working days since Feb 10, 2023",
                "48.00 of 320.00 × 10,000 yuan paid, 272.00 × 10,000 yuan left to pay."),
    "overspent": ("102.35 × 10,000 yuan paid, 2.35 × 10,000 yuan more than the budget of 100.00",),
    "no_budget": ("8.00 × 10,000 yuan paid on it, but it has no budget yet (latest payment Feb 20, 2023).",
                  "Has the quota export of Feb 20, 2023 been imported?"),
    "adjustment_rate": ("Budget adjustment rate 20.35% (253.75 adjusted against the initial 1,247.22 × 10,000 yuan)",
                        "at or above the 10% limit", "4 adjustments counted, 2 exempt"),
    "stale_data": ("The latest payment export is from Mar 20, 2023, 6 working days old (limit 5).",
                   "Pacing alerts are paused until new data is imported."),
    "target_behind": ("18 sessions due by Jun 30",
                      "8 sessions reported as of Jun 30, 2023 (target for the year ≥35 sessions)",
                      "10 sessions short."),
    "target_missed": ("Due Dec 31: 30 sessions done, short of the target ≥35 sessions",
                      "completion 85.71% (nothing below 90%)"),
    "target_cap": ("63.20 × 10,000 yuan spent, over the cost cap of 61.85 × 10,000 yuan by 1.35 × 10,000 yuan.",),
    "target_window": ("The window Sep 17–Sep 23 is open and nothing is reported yet.",),
    "target_silent": ("No progress reported for 14 weeks (last on Mar 31, 2023; target ≥35 sessions).",),
    "delivery_gap": ("85% of the budget paid but its targets only 20% done on average (3), 65 points apart",),
}
# "Back on schedule" shows the day's figures.
RESOLVED = {
    "behind_checkpoint": ("目前已支付 11.23%（168.50 万元 / 1,500.97 万元）", "（考核要求 25%）"),
    "checkpoint_missed": ("目前已支付 17.96%（269.58 万元 / 1,500.97 万元）", "已达到 3月31日 考核要求 25%"),
    "behind_schedule": ("目前已支付 17.96%（269.58 万元 / 1,500.97 万元）", "已赶上序时进度 25%"),
    "stalled": ("已恢复支付，最近一次支付在 2023年2月10日", "已支付 48.00 万元 / 预算 320.00 万元"),
    "overspent": ("已支付 102.35 万元，未超出预算 100.00 万元",),
    "no_budget": ("该指标已有预算",),
    "adjustment_rate": ("预算调整率降至 20.35%（上限 10%）",),
    "stale_data": ("已导入新的支付数据（最新导出于 2023年3月20日）", "进度类预警恢复发送"),
    "target_behind": ("已赶上进度：完成 8 场次（全年目标 ≥35 场次）",),
    "target_missed": ("已完成 30 场次（目标 ≥35 场次）",),
    "target_cap": ("支出 63.20 万元，在成本上限 61.85 万元 以内",),
    "target_window": ("已报告完成（2023年9月20日）",),
    "target_silent": ("已报告进度：完成 8 场次（2023年3月31日）",),
    "delivery_gap": ("执行率 85% 与绩效目标完成度 20% 已基本匹配",),
}
TITLES = {  # event → (Chinese, English) marks of the title
    "fire": ("预警 · ", "alert · "), "repeat": ("【提醒】", "Reminder · "), "escalate": ("【升级】", "Escalated · "),
    "upgrade": ("（预警级别已提高）", "(severity raised)"), "resolve": ("✅ 已恢复正常", "✅ Back on schedule"),
}


# the year's result and a refused export have titles of their own (below)
ALERT_RULES = [r for r in RULE_ORDER if r not in ("year_end", "inbox_refused")]


def alert(rule: str, event: str = "fire", *, name: str = UNIT, facts=None, severity: str | None = None) -> AlertItem:
    return AlertItem(key=f"{rule}:unit:001:2023", rule=rule, event=event, severity=severity or SEVERITY[rule],
                     level="unit", code="001", name=name, period="2023",
                     facts=FACTS[rule] if facts is None else facts)


def message(*items: AlertItem, language: str = "zh", recipient: Recipient | None = None, chart=None) -> Message:
    return Message(id=1, recipient=recipient or Recipient("slack_user", "U100", "王主任"), language=language,
                   as_of=AS_OF, year=2023, items=items, chart=chart)


def sections(blocks: list[dict]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section"]


# --- rendering


def test_behind_checkpoint_reads_as_one_sentence_a_leader_understands():
    text = render_text(message(alert("behind_checkpoint")))
    assert CHINESE["behind_checkpoint"] in text
    assert "🟠 橙色预警 · 预计达不到考核进度" in text


@pytest.mark.parametrize("rule", ALERT_RULES)
def test_each_rule_says_in_chinese_what_is_wrong_with_the_amounts_in_wan_yuan(rule):
    text = render_text(message(alert(rule)))
    assert CHINESE[rule] in text.splitlines()


@pytest.mark.parametrize("rule", ALERT_RULES)
def test_each_rule_says_it_in_english_when_asked(rule):
    text = render_text(message(alert(rule), language="en"))
    for fragment in ENGLISH[rule]:
        assert fragment in text
    assert "万元" not in text


@pytest.mark.parametrize("rule", ALERT_RULES)
def test_back_on_schedule_shows_the_figures_of_the_day(rule):
    item = alert(rule, "resolve")
    text = render_text(message(item))
    assert "✅ 已恢复正常 · 解除「" in text
    for fragment in RESOLVED[rule]:
        assert fragment in text
    assert "Back on schedule" in render_text(message(item, language="en"))


@pytest.mark.parametrize("event", EVENTS)
@pytest.mark.parametrize("rule", ALERT_RULES)
def test_every_rule_and_event_has_a_title_and_the_figures_in_both_languages(rule, event):
    item = alert(rule, event)
    for language, mark in zip(("zh", "en"), TITLES[event]):
        title, body = render_text(message(item, language=language)).split("\n\n")[1].split("\n")
        assert mark in title
        assert body.startswith(UNIT)
        assert body.endswith("。" if language == "zh" else ".")
    if event != "resolve":
        assert CHINESE[rule] in render_text(message(item))


def test_escalation_says_why():
    assert "【升级】🔴 红色预警 · 落后于序时进度（持续未解决）" in render_text(
        message(alert("behind_schedule", "escalate", severity="red")))
    assert "（考核节点已过）" in render_text(message(alert("checkpoint_missed", "escalate")))


def test_an_upgrade_shows_the_new_severity():
    text = render_text(message(alert("behind_checkpoint", "upgrade", severity="red"), language="en"))
    assert "🔴 Red alert · checkpoint at risk (severity raised)" in text


@pytest.mark.parametrize("event", EVENTS)
@pytest.mark.parametrize("rule", ALERT_RULES)
def test_missing_facts_leave_out_their_clause_instead_of_failing(rule, event):
    item = alert(rule, event, facts={})
    for language in ("zh", "en"):
        assert UNIT in render_text(message(item, language=language))
        assert len(render_blocks(message(item, language=language))) == 3


def test_a_partial_or_unreadable_fact_drops_only_its_clause():
    facts = {"rate": "11.23", "paid": "n/a", "budget": "15009700.00", "checkpoint_date": "31/03/2023",
             "target_rate": "25", "gap": "2067500.00"}
    text = render_text(message(alert("behind_checkpoint", facts=facts)))
    assert f"{UNIT}：目前已支付 11.23%，考核要求 25%。还需支付 206.75 万元。" in text


def test_without_a_projection_only_the_target_is_said():
    facts = FACTS["behind_checkpoint"] | {"projection_method": "none"}
    text = render_text(message(alert("behind_checkpoint", facts=facts)))
    assert "目前已支付 11.23%（168.50 万元 / 1,500.97 万元），考核要求 25%。还需支付" in text
    assert "预计届时" not in text
    history = FACTS["behind_checkpoint"] | {"projection_method": "history"}
    assert "按往年规律预计届时 16.84%" in render_text(message(alert("behind_checkpoint", facts=history)))


def test_no_payment_this_year_and_no_data_yet_are_said_as_such():
    stalled = FACTS["stalled"] | {"last_payment": ""}
    assert "今年尚无支付，已过 15 个工作日" in render_text(message(alert("stalled", facts=stalled)))
    stale = {"latest_export": "", "working_days_old": "0", "limit": "5"}
    item = AlertItem("stale_data:data:payments:2023", "stale_data", "fire", "orange", "data", "payments", "", "2023",
                     stale)
    assert "\n尚未导入任何支付数据。在导入新数据之前，进度类预警暂停发送。" in render_text(message(item))


def test_an_adjustment_rate_below_the_limit_is_said_to_be_close_to_it():
    facts = FACTS["adjustment_rate"] | {"rate": "8.50"}
    text = render_text(message(alert("adjustment_rate", facts=facts, severity="yellow")))
    assert "预算调整率 8.50%（调整 253.75 万元 / 年初预算 1,247.22 万元），接近上限 10%（预警线 8%）。" in text


def test_the_most_urgent_items_come_first_and_back_on_schedule_last():
    text = render_text(message(alert("stalled"), alert("behind_schedule", "resolve"), alert("checkpoint_missed")))
    assert text.index("考核节点未达标") < text.index("长时间没有支付") < text.index("已恢复正常")


def test_blocks_have_a_header_a_section_per_item_and_the_as_of_date():
    blocks = render_blocks(message(alert("checkpoint_missed"), alert("stalled")))
    assert [b["type"] for b in blocks] == ["header", "section", "section", "context"]
    assert blocks[0]["text"] == {"type": "plain_text", "text": "2023 年预算执行预警（2 条）", "emoji": True}
    assert blocks[1]["text"]["text"] == f"*🔴 红色预警 · 考核节点未达标*\n{CHINESE['checkpoint_missed']}"
    assert blocks[-1]["elements"][0]["text"] == "数据截至 2023年3月1日"
    en = render_blocks(message(alert("stalled"), language="en"))
    assert en[-1]["elements"][0]["text"] == "Figures as of Mar 1, 2023"


def test_sixty_items_fit_in_fifty_blocks_with_the_rest_summed_up():
    items = [alert("behind_schedule", name=f"单位{n:02d}") for n in range(60)]
    blocks = render_blocks(message(*items))
    assert len(blocks) == MAX_BLOCKS
    assert sections(blocks)[-1] == "……另有 13 条：🟡 13"
    assert "单位46" in sections(blocks)[-2] and "单位47" not in "".join(sections(blocks))
    assert "…and 13 more: 🟡 13" in sections(render_blocks(message(*items, language="en")))[-1]


def test_a_section_never_exceeds_slacks_three_thousand_characters():
    blocks = render_blocks(message(alert("stalled", name="&" * 4000)))
    text = sections(blocks)[0]
    assert len(text) <= MAX_SECTION_CHARS
    assert text.endswith("&amp;…")


def test_names_from_files_are_escaped_for_mrkdwn_but_not_on_the_console():
    item = alert("overspent", name="<script>&")
    section = sections(render_blocks(message(item)))[0]
    assert "&lt;script&gt;&amp;：已支付 102.35 万元" in section and "<script>" not in section
    assert "<script>&：已支付" in render_text(message(item))


def test_the_console_notifier_prints_who_it_is_for_and_the_message():
    stream = io.StringIO()
    notifier = ConsoleNotifier(stream)
    sent = notifier.send(message(alert("stalled")))
    assert sent == Sent("console")
    assert stream.getvalue().startswith("→ 王主任\n2023 年预算执行预警（1 条）")
    assert CHINESE["stalled"] in stream.getvalue()
    assert {"slack_user", "slack_email", "slack_channel", "console"} <= notifier.kinds


# --- delivery to the fake Slack


@pytest.fixture
def slack(fake_slack):
    return SlackNotifier(TOKEN, base_url=fake_slack.base_url, timeout=5)


def png_bytes() -> bytes:
    """A valid 1×1 white PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff"))
            + chunk(b"IEND", b""))


def test_a_user_gets_a_direct_message_with_text_and_blocks(slack, fake_slack):
    sent = slack.send(message(alert("behind_checkpoint")))
    assert fake_slack.methods() == ["conversations.open", "chat.postMessage"]
    assert fake_slack.received("conversations.open")[0].body == {"users": "U100"}
    [posted] = fake_slack.posted()
    assert posted["channel"] == "DU100"
    assert CHINESE["behind_checkpoint"] in posted["text"]
    assert posted["blocks"] == render_blocks(message(alert("behind_checkpoint")))
    assert sent == Sent("DU100:1700000000.000001")
    assert fake_slack.received()[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_an_email_is_looked_up_once_and_then_taken_from_the_cache(fake_slack):
    fake_slack.users["li.ming@example.gov.cn"] = "U200"
    cache = MemoryEmailCache()
    slack = SlackNotifier(TOKEN, base_url=fake_slack.base_url, lookup=cache)
    to_li = Recipient("slack_email", "Li.Ming@example.gov.cn", "李明")
    slack.send(message(alert("stalled"), recipient=to_li))
    slack.send(message(alert("overspent"), recipient=to_li))
    assert fake_slack.methods() == ["users.lookupByEmail", "conversations.open", "chat.postMessage",
                                    "conversations.open", "chat.postMessage"]
    assert [p["channel"] for p in fake_slack.posted()] == ["DU200", "DU200"]
    assert cache.get("li.ming@example.gov.cn") == "U200"
    # a notifier of the next run, given the kept cache, asks no more
    SlackNotifier(TOKEN, base_url=fake_slack.base_url, lookup=cache).send(message(alert("stalled"), recipient=to_li))
    assert len(fake_slack.received("users.lookupByEmail")) == 1


def test_an_unknown_email_is_a_permanent_error(slack, fake_slack):
    with pytest.raises(PermanentError) as raised:
        slack.send(message(alert("stalled"), recipient=Recipient("slack_email", "nobody@example.gov.cn")))
    assert raised.value.code == "users_not_found" and not isinstance(raised.value, AuthError)
    assert fake_slack.posted() == []


def test_a_channel_is_posted_to_as_given(slack, fake_slack):
    sent = slack.send(message(alert("stale_data"), recipient=Recipient("slack_channel", "#budget-alerts")))
    assert fake_slack.methods() == ["chat.postMessage"]
    assert fake_slack.posted()[0]["channel"] == "#budget-alerts"
    assert sent.reference.startswith("CBUDGET-ALERTS:")


def test_the_chart_is_uploaded_into_the_dm_after_the_message(slack, fake_slack, tmp_path):
    chart = tmp_path / "unit-001.png"
    chart.write_bytes(png_bytes())
    sent = slack.send(message(alert("behind_checkpoint"), chart=chart))
    assert fake_slack.methods() == ["conversations.open", "chat.postMessage", "files.getUploadURLExternal",
                                    "upload", "files.completeUploadExternal"]
    asked = fake_slack.received("files.getUploadURLExternal")[0].body
    assert asked["filename"] == "unit-001.png" and asked["length"] == str(len(png_bytes()))
    assert fake_slack.received("upload")[0].data == png_bytes()
    completed = fake_slack.received("files.completeUploadExternal")[0].body
    assert completed["channel_id"] == "DU100"
    assert json.loads(completed["files"]) == [{"id": "F0002", "title": "2023 年预算执行进度图"}]
    assert sent == Sent("DU100:1700000000.000001")


def test_a_failed_chart_upload_keeps_the_message_delivered_once(slack, fake_slack, tmp_path, caplog):
    chart = tmp_path / "unit-001.png"
    chart.write_bytes(png_bytes())
    fake_slack.fail_next("upload", "500")
    with caplog.at_level(logging.WARNING, logger="alerts.slack"):
        sent = slack.send(message(alert("behind_checkpoint"), chart=chart))
    assert sent.reference == "DU100:1700000000.000001 (chart not attached: network)"
    assert len(fake_slack.posted()) == 1
    assert "chart unit-001.png not attached in DU100" in caplog.text


def test_a_missing_scope_for_the_chart_does_not_fail_the_message(slack, fake_slack, tmp_path):
    chart = tmp_path / "unit-001.png"
    chart.write_bytes(png_bytes())
    fake_slack.fail_next("files.getUploadURLExternal", "error:missing_scope")
    assert slack.send(message(alert("behind_checkpoint"), chart=chart)).reference.endswith(
        "(chart not attached: missing_scope)")


def test_rate_limiting_is_transient_with_retry_after_and_not_retried_inside_the_client(slack, fake_slack):
    fake_slack.fail_next("chat.postMessage", "429", retry_after=7)
    with pytest.raises(TransientError) as raised:
        slack.send(message(alert("stalled")))
    assert raised.value.code == "ratelimited" and raised.value.retry_after == 7.0
    assert len(fake_slack.posted()) == 1  # no sleeping retry inside slack_sdk


def test_a_server_error_is_transient(slack, fake_slack):
    fake_slack.fail_next("chat.postMessage", "500")
    with pytest.raises(TransientError) as raised:
        slack.send(message(alert("stalled")))
    assert raised.value.code == "http_500" and raised.value.retry_after is None
    assert len(fake_slack.posted()) == 1


def test_a_transient_slack_error_code_is_transient(slack, fake_slack):
    fake_slack.fail_next("chat.postMessage", "error:internal_error")
    with pytest.raises(TransientError):
        slack.send(message(alert("stalled")))


def test_no_answer_within_the_timeout_is_transient(fake_slack):
    slack = SlackNotifier(TOKEN, base_url=fake_slack.base_url, timeout=0.5)
    fake_slack.fail_next("chat.postMessage", "timeout")
    with pytest.raises(TransientError) as raised:
        slack.send(message(alert("stalled")))
    assert raised.value.code == "network"
    assert len(fake_slack.posted()) == 1


def test_a_refused_connection_is_transient_and_the_next_send_succeeds(slack, fake_slack):
    fake_slack.down()
    with pytest.raises(TransientError) as raised:
        slack.send(message(alert("stalled")))
    assert raised.value.code == "network"
    fake_slack.up()
    assert slack.send(message(alert("stalled"))).reference.startswith("DU100:")


@pytest.mark.parametrize("code", ["channel_not_found", "is_archived", "not_in_channel", "cannot_dm_bot",
                                  "user_disabled", "msg_too_long", "invalid_blocks", "no_text", "something_new"])
def test_a_wrong_target_or_payload_is_a_permanent_error(slack, fake_slack, code):
    fake_slack.fail_next("chat.postMessage", f"error:{code}")
    with pytest.raises(PermanentError) as raised:
        slack.send(message(alert("stalled"), recipient=Recipient("slack_channel", "C999")))
    assert raised.value.code == code and not isinstance(raised.value, (AuthError, TransientError))


@pytest.mark.parametrize("code", ["invalid_auth", "not_authed", "account_inactive", "token_revoked",
                                  "token_expired", "no_permission", "missing_scope"])
def test_a_refused_token_is_an_auth_error(slack, fake_slack, code):
    fake_slack.fail_next("conversations.open", f"error:{code}")
    with pytest.raises(AuthError) as raised:
        slack.send(message(alert("stalled")))
    assert raised.value.code == code
    assert fake_slack.posted() == []


def test_an_unsupported_recipient_kind_is_a_permanent_error(slack):
    with pytest.raises(PermanentError):
        slack.send(message(alert("stalled"), recipient=Recipient("console", "")))


def test_the_token_is_never_shown(fake_slack, caplog):
    slack = SlackNotifier(TOKEN, base_url=fake_slack.base_url, timeout=0.5)
    assert TOKEN not in repr(slack) and TOKEN not in str(slack)
    errors = []
    with caplog.at_level(logging.DEBUG):
        for kind in ("429", "500", "error:invalid_auth", "error:channel_not_found"):
            fake_slack.fail_next("chat.postMessage", kind)
            with pytest.raises(PermanentError if kind.startswith("error:") else TransientError) as raised:
                slack.send(message(alert("stalled")))
            errors.append(raised.value)
        fake_slack.down()
        with pytest.raises(TransientError) as raised:
            slack.send(message(alert("stalled")))
        errors.append(raised.value)
    for error in errors:
        assert TOKEN not in str(error) and TOKEN not in repr(error) and TOKEN not in str(error.__cause__)
    assert TOKEN not in caplog.text


def test_the_notifier_comes_from_the_environment_only_when_a_token_is_set():
    assert slack_notifier_from_env({}) is None
    assert slack_notifier_from_env({"BUDGET_MONITOR_SLACK_TOKEN": "  "}) is None
    notifier = slack_notifier_from_env({"BUDGET_MONITOR_SLACK_TOKEN": TOKEN,
                                        "BUDGET_MONITOR_SLACK_BASE_URL": "http://127.0.0.1:9/api/"})
    assert notifier.base_url == "http://127.0.0.1:9/api/" and notifier.name == "slack"
    assert slack_notifier_from_env({"BUDGET_MONITOR_SLACK_TOKEN": TOKEN}).base_url == "https://slack.com/api/"
    with pytest.raises(ValueError, match="BUDGET_MONITOR_SLACK_BASE_URL"):
        slack_notifier_from_env({"BUDGET_MONITOR_SLACK_TOKEN": TOKEN, "BUDGET_MONITOR_SLACK_BASE_URL": "127.0.0.1:9"})


# --- a verdict told again, and the year's result (alerts/render_verdicts.py)

MISSED = FACTS["checkpoint_missed"]


def test_a_correction_says_what_was_told_before_on_which_data_and_what_the_new_data_says():
    facts = {**MISSED, "rate": "17.20", "paid": "2581000.00", "data_as_of": "2023-03-31", "was_rate": "15.24",
             "was_paid": "2287000.00", "was_budget": MISSED["budget"], "was_data_as_of": "2023-03-27"}
    text = render_text(message(alert("checkpoint_missed", "correct", facts=facts)))
    assert "【更正】🔴 红色预警 · 考核节点未达标" in text
    assert "到期时已支付 17.20%（258.10 万元 / 1,500.97 万元）" in text
    assert "此前告知为 15.24%（228.70 万元 / 1,500.97 万元，数据截至2023年3月27日）" in text
    assert "原因：新的支付数据（截至2023年3月31日）" in text
    english = render_text(message(alert("checkpoint_missed", "correct", facts=facts), language="en"))
    assert "Correction · 🔴 Red alert · checkpoint missed" in english and "Earlier told 15.24%" in english


def test_a_checkpoint_turned_missed_by_a_budget_rise_says_it_was_met_and_why_it_is_not_now():
    facts = {**MISSED, "rate": "24.20", "budget": "1736000.00", "was_verdict": "met", "was_rate": "27.30",
             "was_paid": "420420.00", "was_budget": "1540000.00", "was_data_as_of": "2023-03-31"}
    text = render_text(message(alert("checkpoint_missed", facts=facts)))
    assert "此前已达标（27.30%，42.04 万元 / 154.00 万元，数据截至2023年3月31日）" in text
    assert "原因：全年预算由 154.00 万元调整为 173.60 万元，执行率按调整后的全年预算计算" in text


def test_a_withdrawn_verdict_says_the_checkpoint_was_met_after_all():
    facts = {**MISSED, "rate": "25.40", "verdict": "met", "data_as_of": "2023-04-07", "was_rate": "23.90",
             "was_paid": MISSED["paid"], "was_budget": "16000000.00", "was_data_as_of": "2023-03-31"}
    text = render_text(message(alert("checkpoint_missed", "withdraw", facts=facts)))
    assert "✅ 【更正】撤回「考核节点未达标」" in text
    assert "3月31日 考核节点已达标，到期时已支付 25.40%" in text
    assert "原因：全年预算由 1,600.00 万元调整为 1,500.97 万元" in text


def test_a_verdict_on_data_short_of_the_checkpoint_says_which_date_the_data_reaches():
    facts = {**MISSED, "provisional": "1", "data_as_of": "2023-03-27"}
    text = render_text(message(alert("checkpoint_missed", facts=facts)))
    assert "尚无覆盖该考核日的支付导出，以上按截至2023年3月27日的数据判断" in text


@pytest.mark.parametrize("verdict, title", [("met", "📋 2023 年度结果：达标"), ("missed", "🔴 2023 年度结果：未达标")])
def test_the_years_result_says_the_rate_the_checkpoints_met_and_the_score(verdict, title):
    facts = {"checkpoint_date": "2023-12-31", "target_rate": "95.00", "rate": "93.10", "paid": "13973000.00",
             "budget": "15009700.00", "gap": "286000.00", "data_as_of": "2023-12-31", "met": "1/3",
             "verdict": verdict, "score": "12.50", "weight": "20.00"}
    item = AlertItem("year_end:unit:001:2023-12-31", "year_end", "fire", "red", "unit", "001", UNIT,
                     "2023-12-31", facts)
    text = render_text(message(item))
    assert title in text and text.startswith("2023 年度预算执行结果"), "a result, not a warning"
    assert "全年已支付 93.10%（1,397.30 万元 / 1,500.97 万元），年末考核要求 95%" in text
    assert "考核节点达标 1/3，预算执行得分 12.50 / 20.00" in text
    assert ("差 28.60 万元" in text) == (verdict == "missed")
    assert "2023 result" in render_text(message(item, language="en"))


def test_a_first_run_says_its_items_are_the_current_state_not_news():
    item = alert("checkpoint_missed", facts={**MISSED, "first_run": "1"})
    assert "首次运行：以下是目前的状态，并非今天新发生的变化。" in render_text(message(item))
    assert any("首次运行" in s for s in sections(render_blocks(message(item))))


def test_a_refused_export_says_where_the_file_went_and_its_first_problems_in_chinese_and_english():
    facts = {"file": "x.csv", "moved_to": "refused/x.csv", "report": "refused/x.csv.错误说明.txt", "count": "4",
             "problems_zh": "第 5 行 · 金额: 金额无法识别", "problems_en": "row 5 · 金额: not an amount"}
    item = AlertItem("inbox_refused:file:ab12:2023", "inbox_refused", "fire", "red", "file", "ab12", "x.csv", "2023",
                     facts)
    zh, en = render_text(message(item)), render_text(message(item, language="en"))
    assert "❌ 导出文件未导入" in zh and "已移到收件箱的 refused/x.csv" in zh and "共 4 个问题，前几个：第 5 行" in zh
    assert "refused/x.csv.错误说明.txt" in zh and "升级" not in zh
    assert "An export was refused" in en and "4 problem(s), the first: row 5" in en and "万元" not in en


def test_a_rate_near_its_limit_keeps_in_the_message_the_decimals_that_keep_it_on_its_side():
    """Issue 16, case 9: the facts said 9.9996 and 24.9996, but the message rounded them to
    "10%" and "25%" — the limit the verdict says they are under."""
    under = alert("adjustment_rate", facts={**FACTS["adjustment_rate"], "rate": "9.9996"}, severity="yellow")
    missed = alert("checkpoint_missed", facts={**FACTS["checkpoint_missed"], "rate": "24.9996"})
    text = render_text(message(under, missed))
    assert "9.9996%" in text and "24.9996%" in text
    assert text.count("10%") == 1 and "上限 10%" in text  # the limit, never the rate
    assert "已支付 25%" not in text
    assert "17.96%" in render_text(message(alert("checkpoint_missed")))  # two decimals stay two
