"""The state machine of one alert key, and the routing and quiet hours around it: pure functions,
dates passed in."""

from __future__ import annotations

import datetime as dt

import pytest

from alerts.findings import Finding
from alerts.notify import Recipient
from alerts.routing import Channel, Directory, Person, group, release_time, responsible
from alerts.state import CLOSED, FIRING, RESOLVED, Event, Policy, step
from jobs.clock import BEIJING
from monitor.calendar import WorkCalendar

POLICY = Policy({"blue": 14, "yellow": 7, "orange": 3, "red": 1}, escalate_after_days=14, interval_reminders=True)
MAR1 = dt.date(2023, 3, 1)


def finding(rule="behind_checkpoint", severity="yellow", level="unit", code="158001", period="2023-03-31", **facts):
    routing = {"department": "158", "unit": "158001"}
    if level == "project":
        routing["project"] = code
    return Finding(rule, severity, level, code, "科协", period, {"rate": "11.34", **facts}, routing)


def day(n: int) -> dt.date:
    return MAR1 + dt.timedelta(days=n)


def run(days_and_findings, policy=POLICY, **flags):
    """Step one key through (day offset, finding or None) pairs; the events told on each day."""
    state, told = None, []
    for offset, found in days_and_findings:
        state, events = step(state, found, as_of=day(offset), policy=policy, **flags)
        told.append([e.item.event for e in events])
    return state, told


def test_a_new_finding_fires_once_and_the_same_day_again_tells_nothing():
    state, told = run([(0, finding()), (0, finding())])
    assert told == [["fire"], []]
    assert state.status == FIRING and state.notify_count == 1


def test_a_firing_alert_is_repeated_after_its_severitys_interval_and_not_before():
    _, told = run([(0, finding()), (6, finding()), (7, finding()), (13, finding()), (14, finding())])
    assert told == [["fire"], [], ["repeat"], [], ["repeat"]]


def test_a_higher_severity_is_told_at_once_and_a_lower_one_is_not():
    _, told = run([(0, finding()), (1, finding(severity="orange")), (2, finding(severity="yellow"))])
    assert told == [["fire"], ["upgrade"], []]


def test_recovery_sends_one_back_on_schedule_with_todays_figures():
    state, _ = run([(0, finding())])
    resolved, events = step(state, None, as_of=day(5), policy=POLICY, current={"rate": "26.10"})
    assert [e.item.event for e in events] == ["resolve"]
    assert events[0].item.facts["rate"] == "26.10"
    assert resolved.status == RESOLVED
    again, events = step(resolved, None, as_of=day(6), policy=POLICY)
    assert events == [] and again is resolved


def test_an_alert_never_told_resolves_silently():
    state, _ = run([(0, finding())], silenced=True)
    resolved, events = step(state, None, as_of=day(1), policy=POLICY)
    assert events == [] and resolved.status == RESOLVED


def test_a_behind_checkpoint_alert_superseded_by_a_missed_checkpoint_closes_without_good_news():
    state, _ = run([(0, finding())])
    closed, events = step(state, None, as_of=day(30), policy=POLICY, superseded=True)
    assert events == [] and closed.status == CLOSED


def test_a_missed_checkpoint_is_told_once_escalated_and_never_repeated():
    missed = finding(rule="checkpoint_missed", severity="red")
    state, told = run([(30, missed), (31, missed), (45, missed)])
    assert told == [["fire"], [], []]
    assert state.escalated
    closed, events = step(state, None, as_of=day(60), policy=POLICY)
    assert events == [] and closed.status == CLOSED


def test_a_project_alert_unresolved_past_the_deadline_is_escalated_once():
    project = finding(rule="behind_schedule", level="project", code="158001230001", period="2023")
    _, told = run([(0, project), (7, project), (14, project), (15, project), (21, project)])
    assert told == [["fire"], ["repeat"], ["escalate"], [], ["repeat"]]


def test_an_acknowledged_alert_is_quiet_until_its_date_except_for_a_red_upgrade():
    state, _ = run([(0, finding())])
    acked = state.__class__(**{**state.__dict__, "ack_until": day(20), "ack_reason": "4月10日付物业费"})
    quiet, events = step(acked, finding(), as_of=day(10), policy=POLICY)
    assert events == []
    _, events = step(quiet, finding(severity="red"), as_of=day(11), policy=POLICY)
    assert [e.item.event for e in events] == ["upgrade"]
    _, events = step(quiet, finding(), as_of=day(20), policy=POLICY)
    assert [e.item.event for e in events] == ["repeat"]


def test_muted_by_stale_data_an_alert_neither_repeats_nor_resolves():
    state, _ = run([(0, finding())])
    kept, events = step(state, None, as_of=day(9), policy=POLICY, muted=True)
    assert events == [] and kept is state
    kept, events = step(state, finding(), as_of=day(9), policy=POLICY, muted=True)
    assert events == [] and kept.status == FIRING


def test_an_alert_that_fires_again_after_resolving_starts_afresh_without_its_old_acknowledgement():
    state, _ = run([(0, finding())])
    state = state.__class__(**{**state.__dict__, "ack_until": day(60)})
    resolved, _ = step(state, None, as_of=day(3), policy=POLICY)
    again, events = step(resolved, finding(), as_of=day(3 + POLICY.hysteresis_days), policy=POLICY)
    assert [e.item.event for e in events] == ["fire"] and again.ack_until is None
    assert again.fired_on == day(3 + POLICY.hysteresis_days)


def test_an_alert_back_within_the_hysteresis_is_silent_unless_worse_and_its_next_resolve_is_silent_too():
    """A projection flapping around the line: fire, resolve, fire … is told once, not eight times."""
    state, told = run([(0, finding()), (2, None), (5, finding()), (9, None), (12, finding()),
                       (14, finding(severity="orange")), (16, None)])
    assert told == [["fire"], ["resolve"], [], [], [], ["upgrade"], ["resolve"]]
    assert state.status == "resolved"
    late, events = step(state, finding(), as_of=day(16 + POLICY.hysteresis_days), policy=POLICY)
    assert [e.item.event for e in events] == ["fire"], "three weeks on, it is news again"


def test_by_default_an_open_alert_is_not_reminded_by_interval_but_on_a_countdown_day():
    quiet = Policy()
    _, told = run([(0, finding()), (7, finding()), (30, finding())], policy=quiet)
    assert told == [["fire"], [], []], "the weekly brief carries it"
    state, _ = run([(0, finding())], policy=quiet)
    _, events = step(state, finding(), as_of=day(8), policy=quiet, remind=True)
    assert [e.item.event for e in events] == ["repeat"]


def test_an_alert_first_told_when_its_silence_ends_is_not_escalated_that_day_nor_before_its_deadline():
    project = finding(rule="stalled", level="project", code="158001230001", period="2023")
    state, told = run([(0, project), (30, project)], silenced=True)
    assert told == [[], []]
    state, events = step(state, project, as_of=day(31), policy=POLICY)
    assert [e.item.event for e in events] == ["fire"]
    state, events = step(state, project, as_of=day(31), policy=POLICY)
    assert events == [], "the same day twice tells nothing new"
    state, events = step(state, project, as_of=day(38), policy=POLICY)
    assert [e.item.event for e in events] == ["repeat"], "fired 38 days ago, but first told 7 days ago"
    state, events = step(state, project, as_of=day(45), policy=POLICY)
    assert [e.item.event for e in events] == ["escalate"]


def test_a_red_adjustment_rate_is_a_lost_score_reminded_monthly_not_daily():
    rate = finding(rule="adjustment_rate", severity="red", period="2023")
    _, told = run([(0, rate), (1, rate), (29, rate), (30, rate)])
    assert told == [["fire"], [], [], ["repeat"]]


# --- routing -------------------------------------------------------------------------------------

DIRECTORY = Directory(
    people=(
        Person("部门领导", "department_leader", slack_user="UDEP", departments=frozenset({"158"})),
        Person("单位领导", "unit_leader", slack_user="UUNIT", units=frozenset({"158001"})),
        Person("项目负责人", "project_leader", email="pl@example.cn", projects=frozenset({"158001230001"})),
        Person("财务", "finance_staff", slack_user="UFIN", units=frozenset({"158001"})),
    ),
    channels=(Channel("C158", frozenset({"158"})), Channel("C999", frozenset({"999"}))),
)


def event_of(found: Finding, escalated=False) -> Event:
    state, events = step(None, found, as_of=MAR1, policy=POLICY)
    return Event(events[0].item, found.routing, escalated)


@pytest.mark.parametrize("found, escalated, expected", [
    (finding(level="department", code="158"), False, ["UDEP", "C158"]),  # UFIN keeps to its unit
    (finding(severity="blue"), False, ["UUNIT", "UFIN", "C158"]),
    (finding(), False, ["UDEP", "UUNIT", "UFIN", "C158"]),  # a unit's checkpoint risk, yellow: the head hears
    (finding(rule="behind_schedule", period="2023"), False, ["UUNIT", "UFIN", "C158"]),
    (finding(severity="blue"), True, ["UDEP", "UUNIT", "UFIN", "C158"]),
    (finding(rule="behind_schedule", level="project", code="158001230001", period="2023"), False,
     ["pl@example.cn", "C158"]),
    (finding(rule="behind_schedule", level="project", code="158001230001", period="2023"), True,
     ["UUNIT", "pl@example.cn", "C158"]),
])
def test_each_alert_goes_to_whoever_leads_its_entity_and_up_one_level_when_escalated(found, escalated, expected):
    recipients = responsible(event_of(found, escalated), DIRECTORY)
    assert sorted(r.address for r in recipients) == sorted(expected)


def test_nobody_responsible_goes_to_the_channel_of_its_department_else_to_the_console():
    lonely = Finding("behind_schedule", "yellow", "unit", "999001", "其他", "2023", {},
                     {"department": "999", "unit": "999001"})
    assert [r.address for r in responsible(event_of(lonely), DIRECTORY)] == ["C999"]
    alone = Directory(people=DIRECTORY.people)
    assert [r.kind for r in responsible(event_of(lonely), alone)] == ["console"]
    assert responsible(event_of(lonely), Directory(fallback=None)) == []


def test_a_project_nobody_leads_goes_to_its_unit_leader_and_a_unit_nobody_leads_to_its_department_leader():
    orphan = finding(rule="stalled", level="project", code="158001230009", period="2023")
    assert [r.address for r in responsible(event_of(orphan), Directory(DIRECTORY.people))] == ["UUNIT"]
    no_unit_leader = Directory(people=(DIRECTORY.people[0],))
    assert [r.address for r in responsible(event_of(finding()), no_unit_leader)] == ["UDEP"]


def test_all_events_of_one_evaluation_for_one_person_are_one_message_most_urgent_first():
    events = [event_of(finding(rule="behind_schedule", period="2023")), event_of(finding()),
              event_of(finding(rule="checkpoint_missed", severity="red", period="2023-03-31"))]
    drafts, unrouted = group(events, Directory(people=DIRECTORY.people[1:2], fallback=None))
    assert unrouted == 0 and len(drafts) == 1
    assert drafts[0].recipient == Recipient("slack_user", "UUNIT", "单位领导")
    assert [i.rule for i in drafts[0].items] == ["checkpoint_missed", "behind_checkpoint", "behind_schedule"]
    assert drafts[0].urgent


# --- quiet hours ---------------------------------------------------------------------------------

QUIET = (dt.time(21), dt.time(8))


@pytest.mark.parametrize("now, urgent, expected", [
    ("2023-03-01 10:00", False, "2023-03-01 10:00"),  # a Wednesday morning: at once
    ("2023-03-01 22:30", False, "2023-03-02 08:00"),  # evening: the next morning
    ("2023-03-02 06:00", False, "2023-03-02 08:00"),  # early morning: at 08:00 that day
    ("2023-03-03 23:00", False, "2023-03-06 08:00"),  # Friday night: Monday
    ("2023-09-29 10:00", False, "2023-10-07 08:00"),  # 中秋/国庆: 7 October 2023 was a 调休 workday
    ("2023-03-04 10:00", True, "2023-03-04 10:00"),   # red goes out on a Saturday too
])
def test_non_red_messages_wait_for_the_end_of_quiet_hours_on_a_working_day(now, urgent, expected):
    moment = dt.datetime.fromisoformat(now).replace(tzinfo=BEIJING)
    due = release_time(moment, urgent, quiet=QUIET, rest_days_quiet=True, is_working_day=WorkCalendar().is_working_day)
    assert due == dt.datetime.fromisoformat(expected).replace(tzinfo=BEIJING)


# --- routing mistakes are not silent (issue 15, case 9) ------------------------------------------

DEPARTMENT_FINANCE = Person("部门财务", "finance_staff", slack_user="UDFIN", departments=frozenset({"158"}))


def test_department_finance_staff_stand_in_only_for_a_unit_without_finance_staff_of_its_own():
    directory = Directory(people=(*DIRECTORY.people, DEPARTMENT_FINANCE))
    own, other = (Finding("stalled", "yellow", "quota_line", f"ZB{unit}", "办公费", "2023", {},
                          {"department": "158", "unit": unit}) for unit in ("158001", "158002"))
    assert [r.address for r in responsible(event_of(own), directory)] == ["UFIN"], "158001 has its own"
    assert [r.address for r in responsible(event_of(other), directory)] == ["UDFIN"]
    department = finding(level="department", code="158")
    assert "UDFIN" in [r.address for r in responsible(event_of(department), directory)]


def test_an_escalation_reaching_someone_who_leads_the_project_himself_is_a_plain_reminder_not_an_escalation():
    from alerts.render import item_title

    leader = DIRECTORY.people[1]
    leads_it = Person(leader.name, "project_leader", slack_user=leader.slack_user, projects=frozenset({"158001230009"}))
    directory = Directory(people=(*DIRECTORY.people, leads_it), fallback=None)
    project = finding(rule="behind_schedule", level="project", code="158001230009", period="2023")
    state, _ = run([(0, project)])
    state, events = step(state, project, as_of=day(14), policy=POLICY)
    assert [e.item.event for e in events] == ["escalate"]
    drafts, _ = group(events, directory)
    [mine] = [d for d in drafts if d.recipient.address == "UUNIT"]
    assert [i.event for i in mine.items] == ["repeat"]
    assert "升级" not in item_title(mine.items[0], "zh")
    orphan = finding(rule="behind_schedule", level="project", code="158001230008", period="2023")
    state, _ = run([(0, orphan)])
    _, events = step(state, orphan, as_of=day(14), policy=POLICY)
    drafts, _ = group(events, directory)  # nobody leads it: the unit leader had it all along, not one level up
    assert [(d.recipient.address, [i.event for i in d.items]) for d in drafts] == [("UUNIT", ["repeat"])]
