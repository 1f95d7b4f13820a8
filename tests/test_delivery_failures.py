"""A message that fails for good (issue 15, case 8), on the demo data with the real slack_sdk client
and a fake Slack on 127.0.0.1: it is resent once the address is fixed (once, however often it is
resent or retried), `health` stays red until each failure is resent or dismissed, and a message
too long for one post goes in parts instead of failing."""

from __future__ import annotations

import datetime as dt
import json
import re

from click.testing import CliRunner
from sqlalchemy import select

from alerts.notify import AlertItem, Message, Recipient
from alerts.routing import Directory, Person
from db.alert_store import add_evaluation, add_message
from db.engine import transaction
from db.models import DeliveryAttempt, OutboxMessage
from jobs.deliver import deliver
from jobs.evaluate import evaluate
from tests.reliability import record
from tests.test_alert_delivery import (  # noqa: F401  (fixtures)
    ALERTS,
    ENGINE,
    LEADER_EMAIL,
    PEOPLE,
    at,
    demo,
    demo_folder,
    posts_to,
    run,
    slack,
)

CONFIG = """
[alerts]
quiet_hours = false
quiet_on_rest_days = false
slot = "09:00"
[[people]]
name = "科协领导"
role = "unit_leader"
email = "leader@kexie.example.cn"
units = ["158001"]
"""


def _cli():
    from jobs.cli.app import cli

    return cli


def _invoke(database_url, config, *args, env=None):
    return CliRunner().invoke(_cli(), ["--db", database_url, "--config", str(config), *args], env=env or {},
                              catch_exceptions=False)


def _statuses(factory) -> dict[int, str]:
    with transaction(factory) as session:
        return dict(session.execute(select(OutboxMessage.id, OutboxMessage.status)).all())


def _delivery_check(database_url, config, language="zh") -> dict:
    shown = _invoke(database_url, config, "--lang", language, "health", "--json")
    return json.loads(shown.output)["checks"]["delivery"]


def test_a_message_failed_for_good_is_resent_after_the_fix_and_arrives_once(demo, slack, fake_slack, database_url,
                                                                            tmp_path):
    config = tmp_path / "bm.toml"
    config.write_text(CONFIG, encoding="utf-8")
    fake_slack.users.pop(LEADER_EMAIL)  # the leader's e-mail is not (yet) a Slack account
    _, report = run(demo, slack, "2023-03-01")
    assert report.failed == 1 and "users_not_found" in report.errors[0]
    [failed] = [i for i, s in _statuses(demo).items() if s == "failed"]
    assert posts_to(fake_slack, "DULEAD") == []
    fake_slack.users[LEADER_EMAIL] = "ULEAD"  # the account is made
    first = _invoke(database_url, config, "alerts", "resend", "--all")
    assert first.exit_code == 0, first.output
    assert f"已重发 #{failed} → 科协领导" in first.output and "一分钟内发出" in first.output
    again = _invoke(database_url, config, "alerts", "resend", str(failed))
    assert again.exit_code == 1 and f"#{failed} 不是发送失败的消息（待发送）" in again.output
    assert deliver(demo, slack, now=at("2023-03-01", 10)).sent == 1
    assert deliver(demo, slack, now=at("2023-03-01", 11)).sent == 0
    [told] = posts_to(fake_slack, "DULEAD")
    assert "预计达不到考核进度" in told
    assert _invoke(database_url, config, "alerts", "resend", "--all").output.strip() == "没有发送失败的消息"
    record("slack", "a message failed for good (users_not_found), resent twice after the account was made",
           "delivered once; the second resend refused; nothing left failed")


def test_a_resent_message_goes_to_the_address_the_config_now_gives_and_is_not_told_again(
        demo, slack, fake_slack):
    from jobs.deliver import resend_failed

    fake_slack.fail_next("chat.postMessage", "error:channel_not_found")  # the first post: the leader's
    moved = tuple(Person(p.name, p.role, slack_user="UNEW", units=p.units) if p.name == "部门领导" else p
                  for p in PEOPLE)
    run(demo, slack, "2023-03-01")
    [failed] = [i for i, s in _statuses(demo).items() if s == "failed"]
    done, refused = resend_failed(demo, Directory(moved, fallback=None), now=at("2023-03-01", 10))
    assert [(r.message_id, r.readdressed) for r in done] == [(failed, True)] and refused == {}
    assert deliver(demo, slack, now=at("2023-03-01", 10)).sent == 1
    [told] = posts_to(fake_slack, "DUNEW")
    assert "预计达不到考核进度" in told
    config = ALERTS.__class__(**{**ALERTS.__dict__, "directory": Directory(moved, fallback=None)})
    result = evaluate(demo, execution=ENGINE, alerts=config, now=at("2023-03-02"))
    assert all(p.draft.recipient.address != "UNEW" for p in result.messages), "what they heard moved with them"


def test_health_stays_red_until_each_failure_is_resent_or_dismissed(demo, slack, fake_slack, database_url,
                                                                    tmp_path):
    config = tmp_path / "bm.toml"
    config.write_text(CONFIG, encoding="utf-8")
    fake_slack.fail_next("chat.postMessage", "error:not_in_channel", times=2)
    run(demo, slack, "2023-03-01")  # in 2023: long more than 7 days before the wall clock
    first, second = [i for i, s in _statuses(demo).items() if s == "failed"]
    check = _delivery_check(database_url, config)
    assert not check["ok"]
    assert "2 条消息无法送达" in check["detail"] and "budget-monitor alerts resend --all" in check["detail"]
    assert "budget-monitor alerts dismiss" in _delivery_check(database_url, config, "en")["detail"]
    listed = _invoke(database_url, config, "alerts").output
    assert re.search(rf"{first}\s.*失败", listed), "the list shows the id to resend or dismiss"
    refused = _invoke(database_url, config, "alerts", "dismiss", str(first))
    assert refused.exit_code == 2 and "--reason" in refused.output
    dismissed = _invoke(database_url, config, "alerts", "dismiss", str(first), "--reason", "已离职，改由财务转告")
    assert dismissed.exit_code == 0 and f"已放弃 #{first}" in dismissed.output
    assert "1 条消息无法送达" in _delivery_check(database_url, config)["detail"]
    assert _invoke(database_url, config, "alerts", "dismiss", str(first), "--reason", "x").exit_code == 1
    resent = _invoke(database_url, config, "alerts", "resend", str(second))
    assert resent.exit_code == 0, resent.output
    assert _delivery_check(database_url, config)["ok"]
    with transaction(demo) as session:
        kept = session.scalar(select(DeliveryAttempt.error).where(DeliveryAttempt.outbox_id == first,
                                                                   DeliveryAttempt.outcome == "dismissed"))
    assert kept == "已离职，改由财务转告"


def test_a_message_too_long_for_slack_goes_in_parts_each_item_once(demo, slack, fake_slack):
    fake_slack.max_text = 400
    result, report = run(demo, slack, "2023-03-01")
    assert report.failed == 0 and report.deferred == 0
    delivered = [p for p in fake_slack.posted() if len(p["text"]) <= fake_slack.max_text]
    assert len(delivered) > len(result.messages), "some messages went in parts"
    with transaction(demo) as session:
        sent = [(row.recipient_address, item["key"]) for row in session.scalars(select(OutboxMessage))
                if row.status == "sent" for item in row.items]
    planned = [(p.draft.recipient.address, i.key) for p in result.messages for i in p.draft.items]
    assert sorted(sent) == sorted(planned), "every item sent, once"
    assert len(delivered) == len(_statuses(demo))
    assert deliver(demo, slack, now=at("2023-03-01", 10)).sent == 0
    with transaction(demo) as session:
        outcomes = set(session.scalars(select(DeliveryAttempt.outcome)))
    assert "split" in outcomes and "permanent" not in outcomes


def test_a_message_of_more_items_than_slack_blocks_hold_is_sent_in_parts_not_summed_up(demo, slack, fake_slack):
    from alerts.render import split_items

    items = [AlertItem(f"stalled:quota_line:Q{n:03d}:2023", "stalled", "fire", "yellow", "quota_line", f"Q{n:03d}",
                       f"指标{n:03d}", "2023", {"last_payment": "", "idle_working_days": "40", "budget": "1000.00",
                                                "paid": "0.00", "remaining": "1000.00"}) for n in range(120)]
    recipient = Recipient("slack_user", "UFIN", "科协财务")
    assert len(split_items(Message(0, recipient, "zh", dt.date(2023, 3, 1), 2023, tuple(items)),
                           slack["slack"].fits)) >= 3
    with transaction(demo) as session:
        evaluation = add_evaluation(session, dt.date(2023, 3, 1), at("2023-03-01"), {})
        add_message(session, evaluation_id=evaluation.id, recipient=recipient, language="zh", year=2023,
                    as_of=dt.date(2023, 3, 1), items=items, chart=None, due=at("2023-03-01"), now=at("2023-03-01"))
    report = deliver(demo, slack, now=at("2023-03-01"))
    posts = [p for p in fake_slack.posted() if p["channel"] == "DUFIN"]
    texts = [p["text"] for p in posts]
    assert report.sent == len(texts) >= 3
    assert not any("另有" in str(p["blocks"]) for p in posts), "no item summed up in a 'more' line"
    assert [n for n in range(120) for t in texts if f"指标{n:03d}" in t] == list(range(120))
