"""The notification pipeline's stages on an invented department (市测试局, two units), through the
real importer, engine, rules, state machine and outbox: one message per person per slot, rest
days, the weekly cap, the brief, nothing-new suppression, the roll-up of quota lines, a line
paid before its budget, and the head told of a unit's checkpoint risk. Dates are passed in."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from alerts.notify import AlertItem
from alerts.pipeline import DeliveryPolicy, Ledger, Told, collapse_lines, merge_items, plan_due, worth_telling
from db.engine import transaction
from db.models import OutboxMessage
from jobs.clock import BEIJING
from jobs.config.settings import load_settings
from jobs.deliver import deliver
from jobs.digest import brief_day, send_digest
from jobs.evaluate import evaluate
from tests.helpers import ingest_rows, payment, payment_rows, quota_export, quota_line

DEPARTMENT = "901 - 市测试局"
ONE, TWO = "901001 - 测试一中心", "901002 - 测试二中心"
POLICY = DeliveryPolicy()


def at(day: str, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), tzinfo=BEIJING)


def weekdays(day: dt.date) -> bool:
    return day.weekday() < 5


# --- the stages, pure ------------------------------------------------------------------------------


def test_found_after_the_slot_or_on_a_rest_day_waits_for_the_next_working_days_slot():
    ledger = Ledger()
    assert plan_due(at("2023-03-01", 8), False, ledger, POLICY, weekdays, True) == (at("2023-03-01", 9, 7), None)
    assert plan_due(at("2023-03-01", 18), False, ledger, POLICY, weekdays, True) == (at("2023-03-02", 9, 7), None)
    assert plan_due(at("2023-03-04", 10), False, ledger, POLICY, weekdays, False) == (at("2023-03-06", 9, 7), None)
    # urgent on a working day goes at once, unless the person had a message that day
    assert plan_due(at("2023-03-01", 15), True, ledger, POLICY, weekdays, True) == (at("2023-03-01", 15), None)
    today = Ledger(frozenset({dt.date(2023, 3, 1)}))
    assert plan_due(at("2023-03-01", 15), True, today, POLICY, weekdays, True) == (at("2023-03-02", 9, 7), None)
    # a message already waiting takes the new items, at its own time
    waiting = Ledger(frozenset({dt.date(2023, 3, 2)}), (41, at("2023-03-02", 9, 7)))
    assert plan_due(at("2023-03-01", 18), False, waiting, POLICY, weekdays, True) == (at("2023-03-02", 9, 7), 41)


def test_the_weekly_cap_keeps_room_for_the_urgent_and_sends_the_rest_to_next_weeks_first_slot():
    two = Ledger(frozenset({dt.date(2023, 3, 6), dt.date(2023, 3, 7)}))  # Monday's brief, Tuesday's news
    assert plan_due(at("2023-03-08", 8), False, two, POLICY, weekdays, True) == (at("2023-03-13", 9, 7), None)
    assert plan_due(at("2023-03-08", 10), True, two, POLICY, weekdays, True) == (at("2023-03-08", 10), None)
    three = Ledger(two.days | {dt.date(2023, 3, 8)})
    assert plan_due(at("2023-03-09", 10), True, three, POLICY, weekdays, True) == (at("2023-03-13", 9, 7), None)


def item(rule="behind_checkpoint", event="repeat", severity="yellow", level="unit", code="901001", **facts):
    return AlertItem(f"{rule}:{level}:{code}:2023-03-31", rule, event, severity, level, code, code, "2023-03-31",
                     {"rate": "10.00", "gap": "200000.00", **facts})


def test_an_item_is_news_only_when_its_figures_moved_its_severity_rose_or_a_countdown_point_came():
    told = Told("yellow", {"rate": "10.00", "gap": "200000.00"}, dt.date(2023, 3, 1))
    assert not worth_telling(item(rate="10.50", gap="190000.00"), told), "half a point, 10,000 yuan: not news"
    assert worth_telling(item(rate="11.00"), told)
    assert worth_telling(item(gap="140000.00"), told)
    assert worth_telling(item(severity="orange"), told)
    assert worth_telling(item(countdown="7"), told)
    assert not worth_telling(item(event="escalate"), told), "an escalation to someone who knows is noise"
    assert not worth_telling(item(event="resolve"), None), "good news about something never told"
    assert worth_telling(item(event="fire"), None)


def test_quota_lines_of_one_unit_become_one_item_with_a_count_and_the_three_largest():
    lines = [AlertItem(f"stalled:quota_line:ZB{n}:2023", "stalled", "fire", "yellow", "quota_line", f"ZB{n}",
                       f"费用{n}", "2023", {"remaining": f"{n * 10000}.00", "unit_code": "901001",
                                           "unit_name": "测试一中心"}) for n in range(1, 6)]
    [rolled] = collapse_lines(lines)
    assert rolled.level == "lines" and rolled.facts["count"] == "5" and rolled.facts["amount"] == "150000.00"
    assert rolled.facts["lines"] == "费用5|50000.00；费用4|40000.00；费用3|30000.00"


def test_good_news_about_an_item_still_waiting_unsaid_cancels_both():
    fired = item(event="fire")
    assert merge_items([fired], [item(event="resolve")]) == []
    (merged,) = merge_items([fired], [item(event="upgrade", severity="orange")])
    assert (merged.event, merged.severity) == ("fire", "orange"), "never told: a first at its newest level, not 'risen'"


# --- the stages on a database ----------------------------------------------------------------------

CONFIG = """
[alerts]
fallback = "none"
charts = false
[[people]]
name = "局长"
role = "department_leader"
departments = ["901"]
[[people]]
name = "一中心主任"
role = "unit_leader"
units = ["901001"]
[[people]]
name = "一中心财务"
role = "finance_staff"
units = ["901001"]
[[people]]
name = "二中心主任"
role = "unit_leader"
units = ["901002"]
"""


@pytest.fixture
def settings(tmp_path, database_url):
    config = tmp_path / "budget-monitor.toml"
    config.write_text(CONFIG, encoding="utf-8")
    return load_settings(str(config), database=database_url, environ={})


def load_year(factory, folder: Path, *, stalled_lines: int = 0, unbudgeted: bool = False) -> None:
    """Two units of 1,000,000 each; 901001 pays 50,000 in January (far behind), 901002 260,000
    (on pace). ``stalled_lines``: small lines of 901001 never paid; ``unbudgeted``: a payment of
    901002 against a line no quota export has."""
    extra = [quota_line(f"ZBS{n}", ONE, f"{20000 + n * 1000}.00", department=DEPARTMENT,
                        economic=f"3021{n} - 费用{n}") for n in range(stalled_lines)]
    ingest_rows(factory, folder / "2023-01-03_指标.csv", quota_export(
        dt.date(2023, 1, 3), quota_line("ZB1", ONE, "1000000.00", department=DEPARTMENT),
        quota_line("ZB2", TWO, "1000000.00", department=DEPARTMENT), *extra), now=at("2023-01-03"))
    rows = [payment("P1", "2023-01-10", "50,000.00", unit=ONE, quota="ZB1"),
            payment("P2", "2023-01-12", "260,000.00", unit=TWO, quota="ZB2")]
    if unbudgeted:
        rows.append(payment("P3", "2023-02-20", "8,000.00", unit=TWO, quota="ZBNEW"))
    ingest_rows(factory, folder / "2023-02-24_支付.csv", payment_rows(*rows), now=at("2023-02-24", 18))


def messages(factory) -> list[tuple[str, str, list[tuple[str, str, str]]]]:
    """(recipient, due, [(rule, event, level)]) of every outbox message, oldest first."""
    with transaction(factory) as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        return [(r.recipient_name, _beijing(r.next_attempt_at).strftime("%m-%d %H:%M"),
                 [(i["rule"], i["event"], i["level"]) for i in r.items]) for r in rows]


def _beijing(moment: dt.datetime) -> dt.datetime:
    """PostgreSQL gives timestamptz back in UTC; SQLite naive, in the zone it was written in."""
    return moment.astimezone(BEIJING) if moment.tzinfo is not None else moment


class Recorder:
    name, kinds = "console", frozenset({"console"})

    def __init__(self):
        self.sent = []

    def send(self, message):
        from alerts.notify import Sent

        self.sent.append(message)
        return Sent()


def run(factory, settings, moment: dt.datetime, **options):
    return evaluate(factory, execution=settings.execution, alerts=settings.alerts, now=moment, **options)


def test_what_one_day_finds_is_one_message_per_person_at_the_slot_and_later_finds_wait_for_the_next(
        factory, settings, tmp_path):
    load_year(factory, tmp_path)
    run(factory, settings, at("2023-02-27", 9))
    first = messages(factory)
    # projected on 24 February, the day the data reaches, the department total makes 25%: only unit one is told
    assert {name for name, *_ in first} == {"一中心主任", "一中心财务"}
    assert {due for _, due, _ in first} == {"02-27 09:07"}
    recorder = Recorder()
    assert deliver(factory, {"console": recorder}, now=at("2023-02-27", 9, 7)).sent == 2
    ingest_rows(factory, tmp_path / "2023-02-27_支付.csv", payment_rows(
        payment("P4", "2023-02-27", "90,000.00", unit=TWO, quota="ZB9")), now=at("2023-02-27", 18))
    run(factory, settings, at("2023-02-27", 18))  # found after the slot: tomorrow's slot
    later = messages(factory)[len(first):]
    assert later and {due for _, due, _ in later} == {"02-28 09:07"}
    run(factory, settings, at("2023-02-28", 9))  # tomorrow's own findings merge into it
    assert len(messages(factory)) == len(first) + len(later), "one message per person per day"


def test_found_on_a_rest_day_waits_for_monday(factory, settings, tmp_path):
    load_year(factory, tmp_path)
    run(factory, settings, at("2023-02-25", 11))  # a Saturday
    assert {due for _, due, _ in messages(factory)} == {"02-27 09:07"}


def test_nothing_new_is_not_sent_but_a_countdown_point_is(factory, settings, tmp_path):
    load_year(factory, tmp_path)
    ingest_rows(factory, tmp_path / "2023-03-16_支付.csv", payment_rows(  # data recent enough to judge on
        payment("P5", "2023-03-15", "1,000.00", unit=TWO, quota="ZB2")), now=at("2023-03-16", 18))
    run(factory, settings, at("2023-03-17", 9))  # orange already: 14 days before 31 March
    deliver(factory, {"console": Recorder()}, now=at("2023-03-17", 10))
    told = len(messages(factory))
    run(factory, settings, at("2023-03-20", 9))
    run(factory, settings, at("2023-03-21", 9))
    assert len(messages(factory)) == told, "the same figures days later are not a message"
    run(factory, settings, at("2023-03-22", 9), remind=frozenset({"behind_checkpoint"}))
    countdown = [m for m in messages(factory)[told:] if m[0] == "一中心主任"]
    assert countdown and ("behind_checkpoint", "repeat", "unit") in countdown[0][2]


def test_a_units_checkpoint_risk_reaches_the_department_leader_from_yellow_on(factory, settings, tmp_path):
    load_year(factory, tmp_path)
    run(factory, settings, at("2023-02-20", 9))  # 39 days before 31 March: blue
    head = [items for name, _, items in messages(factory) if name == "局长"]
    assert ("behind_checkpoint", "fire", "unit") not in [i for items in head for i in items]
    run(factory, settings, at("2023-03-01", 9))  # 30 days: yellow
    head = [items for name, _, items in messages(factory) if name == "局长"]
    # the unit heard it rise; to the leader it is a first, not "risen" (he never heard it blue)
    assert ("behind_checkpoint", "fire", "unit") in [i for items in head for i in items]


def test_a_unit_at_risk_carries_its_stalled_lines_in_its_own_item(factory, settings, tmp_path):
    load_year(factory, tmp_path, stalled_lines=4)
    result = run(factory, settings, at("2023-03-01", 9))
    [unit] = [f for f in result.findings if f.rule == "behind_checkpoint" and f.code == "901001"]
    assert unit.facts["parts_count"] == "5", "its four small lines and its main line, unpaid since January"
    assert unit.facts["parts"] == "办公费|950000.00；费用3|23000.00；费用2|22000.00"
    assert not [f for f in result.findings if f.level == "quota_line" and f.routing["unit"] == "901001"], \
        "told inside the unit's item"
    from alerts.notify import Message, Recipient
    from alerts.render import render_text

    text = render_text(Message(1, Recipient("console", "x"), "zh", result.as_of, 2023, (
        AlertItem(unit.key, unit.rule, "fire", unit.severity, unit.level, unit.code, unit.name, unit.period,
                  unit.facts),)))
    assert "长时间没有支付、尚有余额的：办公费 95.00 万元、费用3 2.30 万元、费用2 2.20 万元" in text


def test_a_line_paid_before_its_budget_is_a_data_problem_for_finance_staff_not_a_daily_red(
        factory, settings, tmp_path):
    load_year(factory, tmp_path, unbudgeted=True)
    result = run(factory, settings, at("2023-02-27", 9))
    assert not [f for f in result.findings if f.rule == "overspent"]
    [problem] = [f for f in result.findings if f.rule == "no_budget"]
    assert problem.severity == "yellow" and problem.facts["paid"] == "8000.00"
    told = {p.draft.recipient.name for p in result.messages if any(i.rule == "no_budget" for i in p.draft.items)}
    assert told == {"二中心主任"}, "901002 has no finance staff: its leader is told, nobody else"
    for day in ("2023-02-28", "2023-03-01", "2023-03-05"):
        again = run(factory, settings, at(day, 9))
        assert not [e for e in again.events if e.item.rule == "no_budget"], f"told once, not again on {day}"


def test_the_weekly_brief_reaches_everyone_with_their_checkpoint_lines_and_their_open_alerts_as_lines(
        factory, settings, tmp_path):
    load_year(factory, tmp_path)
    run(factory, settings, at("2023-02-27", 9))
    deliver(factory, {"console": Recorder()}, now=at("2023-02-27", 10))
    before = len(messages(factory))
    send_digest(factory, settings, at("2023-03-06", 8, 30))
    briefs = {name: items for name, due, items in messages(factory)[before:]}
    assert set(briefs) == {"局长", "一中心主任", "一中心财务", "二中心主任"}
    assert briefs["二中心主任"] == [("digest", "brief", "unit")], "on pace: its line and nothing open"
    assert ("digest", "brief", "department") in briefs["局长"] and ("digest", "brief", "unit") in briefs["局长"]
    assert ("behind_checkpoint", "open", "unit") in briefs["一中心主任"]
    deliver(factory, {"console": Recorder()}, now=at("2023-03-06", 9, 7))
    before = len(messages(factory))
    send_digest(factory, settings, at("2023-03-13", 8, 30))  # nothing moved since last week
    assert {name for name, *_ in messages(factory)[before:]} == {"局长"}, "only the department leader, always"


def test_the_brief_goes_on_the_first_working_day_of_the_week():
    assert brief_day(dt.date(2023, 3, 6), 0, weekdays)
    assert not brief_day(dt.date(2023, 3, 7), 0, weekdays)
    holiday = lambda d: weekdays(d) and d != dt.date(2023, 5, 1)  # noqa: E731  Labour Day, a Monday
    assert brief_day(dt.date(2023, 5, 2), 0, holiday)
    assert not brief_day(dt.date(2023, 1, 28), 0, lambda d: d == dt.date(2023, 1, 28)), "a make-up Saturday"
    assert Decimal(POLICY.week_cap) == 3
