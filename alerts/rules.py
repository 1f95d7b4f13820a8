"""Alert rules: each a small function ``rule(snapshot, settings) -> list[Finding]`` over the
engine's results, listed in ``EXECUTION_RULES``; alerts/catalog.py runs them all with the
performance-target rules (alerts/target_rules.py).

A finding says "this is wrong now" for one entity and one period; alerts/state.py turns the
findings of one evaluation into fire / repeat / upgrade / escalate / resolve events. Pure: the
date comes in the snapshot, the thresholds in ``AlertSettings``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from alerts.findings import AlertSettings, Finding, Snapshot, entity_finding, fact
from monitor.assess import EntityStatus, ScoreCard
from monitor.money import ZERO, exact_rate, near
from monitor.pacing import daily_pace, next_checkpoint, shortfall
from monitor.rulebook import Checkpoint


def _base_facts(status: EntityStatus) -> dict[str, str]:
    entity = status.entity
    return {"rate": fact(entity.execution_rate), "paid": fact(entity.paid), "budget": fact(entity.budget)}


def behind_checkpoint(snapshot: Snapshot, settings: AlertSettings) -> list[Finding]:
    """Projected to miss the next checkpoint; blue far from it, yellow nearer, orange within
    ``orange_days``. The projection and the gap are the data date's (``data_as_of``); the days
    left, and so the daily pace needed, are counted from the evaluation's date. A checkpoint
    on or before that date is checkpoint_missed's business."""
    found = []
    for status in snapshot.statuses:
        upcoming = status.next_checkpoint
        if (upcoming is None or not settings.applies("behind_checkpoint", status.entity.level)
                or upcoming.date <= snapshot.as_of or not upcoming.projected_to_miss
                or upcoming.gap < settings.min_amount):
            continue
        days_left = (upcoming.date - snapshot.as_of).days
        working_days_left = snapshot.calendar.working_days(snapshot.as_of, upcoming.date)
        severity = ("blue" if days_left > settings.blue_days else
                    "orange" if days_left <= settings.orange_days else "yellow")
        facts = _base_facts(status) | {
            "checkpoint_date": upcoming.date.isoformat(), "target_rate": fact(upcoming.target_rate),
            "gap": fact(upcoming.gap), "working_days_left": str(working_days_left),
            "days_left": str(days_left), "daily_needed": fact(daily_pace(upcoming.gap, working_days_left)),
            "projected_rate": fact(upcoming.projection.rate),
            # a projection of nothing paid is no projection: say what is needed, not "0% by then"
            "projection_method": upcoming.projection.method if status.entity.paid > ZERO else "none"}
        found.append(entity_finding("behind_checkpoint", severity, status, upcoming.date.isoformat(), facts))
    return found


def indicator_inputs(card: ScoreCard, key: str) -> dict:
    """The figures one indicator of a score card was computed from, by name."""
    return {i.name: i.value for i in next(i for i in card.indicators if i.key == key).inputs}


def checkpoints_met(card: ScoreCard | None) -> str:
    """"met/passed" of the checkpoints before year end the score card measured ("" before the first)."""
    if card is None:
        return ""
    values = indicator_inputs(card, "payment_progress")
    passed = [k for k in values if k.endswith(".projected") and values[k] is False]
    met = sum(1 for k in passed if values[k.replace(".projected", ".met")])
    return f"{met}/{len(passed)}" if passed else ""


def _paid_at(card: ScoreCard, day: dt.date) -> Decimal | None:
    """Cumulative paid at a passed checkpoint, as the score card measured it."""
    for indicator in card.indicators:
        if indicator.key == "payment_progress":
            for item in indicator.inputs:
                if item.name == f"{day.isoformat()}.paid":
                    value = item.value
                    if not isinstance(value, Decimal):  # monitor/scores.py records the paid amount
                        raise TypeError(f"{item.name} is not an amount: {value!r}")
                    return value
    return None


@dataclass(frozen=True)
class Verdict:
    """A checkpoint's verdict for one department or unit, on the data there is."""

    status: EntityStatus
    checkpoint: Checkpoint
    met: bool
    facts: dict[str, str]

    @property
    def key(self) -> str:
        return f"checkpoint_missed:{self.status.entity.level}:{self.status.entity.code}:{self.checkpoint.date}"


def verdicts(snapshot: Snapshot, settings: AlertSettings) -> list[Verdict]:
    """The verdict of each entity's latest checkpoint the data can judge: the latest on or before
    the data date (paid as the score card measured it, or the data date's own), or, once one has
    passed ``verdict_wait_days`` working days ago with no export covering it, that one, judged on
    what the data reaches (fact ``provisional``). Facts say which date the data reaches."""
    found = []
    day = snapshot.data_date
    for status in snapshot.statuses:
        entity = status.entity
        if not settings.applies("checkpoint_missed", entity.level) or entity.budget == ZERO:
            continue
        rules = snapshot.rules_for(entity.department_code)
        waited = [c for c in rules.checkpoints if day < c.date <= snapshot.as_of
                  and snapshot.calendar.working_days(c.date, snapshot.as_of) >= settings.verdict_wait_days]
        judged = [c for c in rules.checkpoints if c.date <= day]
        paid: Decimal | None
        if waited:
            checkpoint, paid = waited[-1], entity.paid
        elif judged:
            checkpoint = judged[-1]
            card = snapshot.cards.get(entity.key)
            paid = entity.paid if checkpoint.date == day else None if card is None else _paid_at(card, checkpoint.date)
        else:
            continue
        if paid is None:
            continue
        achieved = exact_rate(paid, entity.budget)  # judged exact; shown so as not to contradict it
        assert achieved is not None  # a zero budget was skipped above
        facts = {"checkpoint_date": checkpoint.date.isoformat(), "target_rate": fact(checkpoint.target_rate),
                 "rate": near(achieved, checkpoint.target_rate) or "", "paid": fact(paid),
                 "budget": fact(entity.budget),
                 "gap": fact(shortfall(paid, entity.budget, checkpoint.target_rate)), "data_as_of": day.isoformat()}
        if waited:
            facts["provisional"] = "1"
        found.append(Verdict(status, checkpoint, achieved >= checkpoint.target_rate, facts))
    return found


def checkpoint_missed(snapshot: Snapshot, settings: AlertSettings) -> list[Finding]:
    """The latest checkpoint judged (``verdicts``) was not reached: its score is lost. Fired once
    (the state machine does not repeat it, and tells a correction when later data or a budget
    change alters it); escalated at once."""
    found = []
    for verdict in verdicts(snapshot, settings):
        if verdict.met:
            continue
        status, checkpoint, entity = verdict.status, verdict.checkpoint, verdict.status.entity
        facts = dict(verdict.facts)
        rules = snapshot.rules_for(entity.department_code)
        later = tuple(c for c in rules.checkpoints if c.date > checkpoint.date)
        upcoming = next_checkpoint(entity.paid, entity.budget, snapshot.data_date, later, year=snapshot.year,
                                   schedule=rules.schedule, calendar=snapshot.calendar)
        if upcoming is not None:
            left = snapshot.calendar.working_days(snapshot.as_of, upcoming.date)
            facts |= {"next_date": upcoming.date.isoformat(), "next_target_rate": fact(upcoming.target_rate),
                      "next_gap": fact(upcoming.gap), "next_daily_needed": fact(daily_pace(upcoming.gap, left))}
        found.append(entity_finding("checkpoint_missed", "red", status, checkpoint.date.isoformat(), facts))
    return found


def year_end(snapshot: Snapshot, settings: AlertSettings) -> list[Finding]:
    """The year's result, once the year is over and its verdict can be given (``verdicts``: the
    data covers 31 December, or ``verdict_wait_days`` working days have passed without): the
    year-end rate against its target, the checkpoints met, the score. Red when the target was
    missed, blue when met; it speaks for that checkpoint's other alerts (alerts/catalog.py)."""
    last = dt.date(snapshot.year, 12, 31)
    if snapshot.as_of <= last:
        return []
    found = []
    for verdict in verdicts(snapshot, settings):
        if verdict.checkpoint.date != last:
            continue
        card = snapshot.cards.get(verdict.status.entity.key)
        facts = verdict.facts | {"met": checkpoints_met(card), "verdict": "met" if verdict.met else "missed"}
        if card is not None:
            facts |= {"score": fact(card.score), "weight": fact(card.weight)}
        found.append(entity_finding("year_end", "blue" if verdict.met else "red", verdict.status,
                                    last.isoformat(), facts))
    return found


def behind_schedule(snapshot: Snapshot, settings: AlertSettings) -> list[Finding]:
    """Execution more than ``behind_schedule_points`` under the time schedule (序时进度). Not once
    the year's last checkpoint has come: its verdict (which waits for data covering its day) speaks."""
    found = []
    for status in snapshot.statuses:
        entity = status.entity
        if (not settings.applies("behind_schedule", entity.level) or entity.execution_rate is None
                or status.next_checkpoint is None or status.next_checkpoint.date <= snapshot.as_of):
            continue
        behind = status.behind
        if behind <= settings.behind_schedule_points:
            continue
        gap = shortfall(entity.paid, entity.budget, status.schedule_rate)
        if gap < settings.min_amount:
            continue
        facts = _base_facts(status) | {"schedule_rate": fact(status.schedule_rate),
                                       "points_behind": near(behind, settings.behind_schedule_points) or "",
                                       "points_allowed": fact(settings.behind_schedule_points), "gap": fact(gap)}
        found.append(entity_finding("behind_schedule", "yellow", status, str(snapshot.year), facts))
    return found


def stalled(snapshot: Snapshot, settings: AlertSettings) -> list[Finding]:
    """A project or quota line with budget left and no payment for ``stalled_working_days``
    (counted from 1 January when it has never been paid). A line of a project is the project's
    business: its leader hears about the project, not about each of its lines."""
    found = []
    start = dt.date(snapshot.year, 1, 1) - dt.timedelta(days=1)
    of_projects = {l.quota_no for l in snapshot.lines if l.project_code}
    for status in snapshot.statuses:
        entity = status.entity
        if (not settings.applies("stalled", entity.level) or entity.budget - entity.paid < settings.min_amount
                or (entity.level == "quota_line" and entity.code in of_projects)):
            continue
        last = snapshot.last_payment.get(entity.key)
        idle = snapshot.calendar.working_days(last or start, snapshot.data_date)
        if idle < settings.stalled_working_days:
            continue
        facts = _base_facts(status) | {"last_payment": last.isoformat() if last else "",
                                       "idle_working_days": str(idle), "remaining": fact(entity.budget - entity.paid)}
        found.append(entity_finding("stalled", "yellow", status, str(snapshot.year), facts))
    return found


def overspent(snapshot: Snapshot, settings: AlertSettings) -> list[Finding]:
    """Paid above the current budget. A quota line paid with no budget at all is not overspent:
    its quota export is missing (``no_budget``, a data problem for finance staff)."""
    project_of = {l.quota_no: l.project_code for l in snapshot.lines if l.project_code}
    found = []
    for status in snapshot.statuses:
        entity = status.entity
        if (not settings.applies("overspent", entity.level) or entity.paid <= entity.budget
                or (entity.level == "quota_line" and entity.budget == ZERO)):
            continue
        facts = _base_facts(status) | {"over": fact(entity.paid - entity.budget)}
        found.append(entity_finding("overspent", "red", status, str(snapshot.year), facts, project_of))
    return found


def no_budget(snapshot: Snapshot, settings: AlertSettings) -> list[Finding]:
    """Payments against a quota line that has no budget yet: the quota export that carries it has
    not been imported (or the line is unknown to it). Yellow, told once, to finance staff."""
    project_of = {l.quota_no: l.project_code for l in snapshot.lines if l.project_code}
    found = []
    for status in snapshot.statuses:
        entity = status.entity
        if entity.level != "quota_line" or entity.budget != ZERO or entity.paid <= ZERO:
            continue
        last = snapshot.last_payment.get(entity.key)
        facts = {"paid": fact(entity.paid), "last_payment": last.isoformat() if last else ""}
        found.append(entity_finding("no_budget", "yellow", status, str(snapshot.year), facts, project_of))
    for line, last in snapshot.unmatched:  # a unit no quota export has: its lines, not a unit at 0 budget
        facts = {"paid": fact(line.paid), "last_payment": last.isoformat() if last else ""}
        routing = {"unit": line.unit_code} | ({"department": line.department_code}
                                               if line.department_code != "?" else {})
        found.append(Finding("no_budget", "yellow", "quota_line", line.quota_no,
                             f"{line.unit_name} {line.quota_no}".strip(), str(snapshot.year), facts, routing))
    return found


def adjustment_rate(snapshot: Snapshot, settings: AlertSettings) -> list[Finding]:
    """The year's counted adjustments reach the warning level (yellow) or the evaluation's limit
    (red: the indicator's points are lost)."""
    found = []
    for status in snapshot.statuses:
        card = snapshot.cards.get(status.entity.key)
        if card is None or not settings.applies("adjustment_rate", status.entity.level):
            continue
        inputs = indicator_inputs(card, "adjustment_rate")
        achieved = inputs["rate"]
        if achieved is None or achieved < settings.adjustment_warning:
            continue
        severity = "red" if achieved >= inputs["limit"] else "yellow"
        facts = {"adjusted": fact(inputs["adjusted"]), "initial": fact(inputs["initial"]),
                 "rate": near(achieved, inputs["limit"]) or "", "limit": fact(inputs["limit"]),
                 "warning": fact(settings.adjustment_warning), "counted": str(len(inputs["counted"])),
                 "exempt": str(len(inputs["excluded"]))}
        found.append(entity_finding("adjustment_rate", severity, status, str(snapshot.year), facts))
    return found


def stale_data(snapshot: Snapshot, settings: AlertSettings) -> list[Finding]:
    """No payment export dated within ``stale_working_days`` of as_of: pacing computed on old
    data is wrong, so this one finding mutes the pacing rules (see ``inhibited``)."""
    if not snapshot.statuses:
        return []
    latest = snapshot.latest_export
    start = dt.date(snapshot.year, 1, 1) - dt.timedelta(days=1)
    old = snapshot.calendar.working_days(latest or start, min(snapshot.as_of, dt.date(snapshot.year, 12, 31)))
    if old < settings.stale_working_days:
        return []
    facts = {"latest_export": latest.isoformat() if latest else "", "working_days_old": str(old),
             "limit": str(settings.stale_working_days)}
    return [Finding("stale_data", "orange", "data", "payments", "", str(snapshot.year), facts, {})]


EXECUTION_RULES: tuple[Callable[[Snapshot, AlertSettings], list[Finding]], ...] = (
    year_end, checkpoint_missed, overspent, no_budget, behind_checkpoint, adjustment_rate, behind_schedule, stalled,
    stale_data)
