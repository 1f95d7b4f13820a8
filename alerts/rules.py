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
from decimal import Decimal

from alerts.findings import AlertSettings, Finding, Snapshot, entity_finding, fact
from monitor.assess import EntityStatus, ScoreCard
from monitor.money import ZERO, rate
from monitor.pacing import next_checkpoint, shortfall


def _base_facts(status: EntityStatus) -> dict[str, str]:
    entity = status.entity
    return {"rate": fact(entity.execution_rate), "paid": fact(entity.paid), "budget": fact(entity.budget)}


def behind_checkpoint(snapshot: Snapshot, settings: AlertSettings) -> list[Finding]:
    """Projected to miss the next checkpoint; blue far from it, yellow nearer, orange within
    ``orange_days``. On the checkpoint's own date it is checkpoint_missed's business."""
    found = []
    for status in snapshot.statuses:
        upcoming = status.next_checkpoint
        if (upcoming is None or not settings.applies("behind_checkpoint", status.entity.level)
                or upcoming.date <= snapshot.as_of or not upcoming.projected_to_miss
                or upcoming.gap < settings.min_amount):
            continue
        days_left = (upcoming.date - snapshot.as_of).days
        severity = ("blue" if days_left > settings.blue_days else
                    "orange" if days_left <= settings.orange_days else "yellow")
        facts = _base_facts(status) | {
            "checkpoint_date": upcoming.date.isoformat(), "target_rate": fact(upcoming.target_rate),
            "gap": fact(upcoming.gap), "working_days_left": str(upcoming.working_days_left),
            "days_left": str(days_left), "daily_needed": fact(upcoming.daily_needed),
            "projected_rate": fact(upcoming.projection.rate),
            # a projection of nothing paid is no projection: say what is needed, not "0% by then"
            "projection_method": upcoming.projection.method if status.entity.paid > ZERO else "none"}
        found.append(entity_finding("behind_checkpoint", severity, status, upcoming.date.isoformat(), facts))
    return found


def indicator_inputs(card: ScoreCard, key: str) -> dict:
    """The figures one indicator of a score card was computed from, by name."""
    return {i.name: i.value for i in next(i for i in card.indicators if i.key == key).inputs}


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


def checkpoint_missed(snapshot: Snapshot, settings: AlertSettings) -> list[Finding]:
    """The latest checkpoint on or before as_of was not reached: its score is lost. Fired once
    (the state machine does not repeat it); escalated at once."""
    found = []
    for status in snapshot.statuses:
        entity = status.entity
        if not settings.applies("checkpoint_missed", entity.level):
            continue
        rules = snapshot.rules_for(entity.department_code)
        passed = [c for c in rules.checkpoints if c.date <= snapshot.as_of]
        if not passed:
            continue
        checkpoint = passed[-1]
        card = snapshot.cards.get(entity.key)
        if checkpoint.date == snapshot.as_of:
            paid: Decimal | None = entity.paid
        else:
            paid = None if card is None else _paid_at(card, checkpoint.date)
        if paid is None or entity.budget == ZERO:
            continue
        achieved = rate(paid, entity.budget)
        if achieved is None or achieved >= checkpoint.target_rate:  # None: no budget, skipped above
            continue
        facts = {"checkpoint_date": checkpoint.date.isoformat(), "target_rate": fact(checkpoint.target_rate),
                 "rate": fact(achieved), "paid": fact(paid), "budget": fact(entity.budget),
                 "gap": fact(shortfall(paid, entity.budget, checkpoint.target_rate))}
        later = tuple(c for c in rules.checkpoints if c.date > checkpoint.date)
        upcoming = next_checkpoint(entity.paid, entity.budget, snapshot.as_of, later, year=snapshot.year,
                                   schedule=rules.schedule, calendar=snapshot.calendar)
        if upcoming is not None:
            facts |= {"next_date": upcoming.date.isoformat(), "next_target_rate": fact(upcoming.target_rate),
                      "next_gap": fact(upcoming.gap), "next_daily_needed": fact(upcoming.daily_needed)}
        found.append(entity_finding("checkpoint_missed", "red", status, checkpoint.date.isoformat(), facts))
    return found


def behind_schedule(snapshot: Snapshot, settings: AlertSettings) -> list[Finding]:
    """Execution more than ``behind_schedule_points`` under the time schedule (序时进度)."""
    found = []
    for status in snapshot.statuses:
        entity = status.entity
        if not settings.applies("behind_schedule", entity.level) or entity.execution_rate is None:
            continue
        behind = status.behind
        if behind <= settings.behind_schedule_points:
            continue
        gap = shortfall(entity.paid, entity.budget, status.schedule_rate)
        if gap < settings.min_amount:
            continue
        facts = _base_facts(status) | {"schedule_rate": fact(status.schedule_rate), "points_behind": fact(behind),
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
        idle = snapshot.calendar.working_days(last or start, snapshot.as_of)
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
                 "rate": fact(achieved), "limit": fact(inputs["limit"]),
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
    old = snapshot.calendar.working_days(latest or start, snapshot.as_of)
    if old < settings.stale_working_days:
        return []
    facts = {"latest_export": latest.isoformat() if latest else "", "working_days_old": str(old),
             "limit": str(settings.stale_working_days)}
    return [Finding("stale_data", "orange", "data", "payments", "", str(snapshot.year), facts, {})]


EXECUTION_RULES: tuple[Callable[[Snapshot, AlertSettings], list[Finding]], ...] = (
    checkpoint_missed, overspent, no_budget, behind_checkpoint, adjustment_rate, behind_schedule, stalled,
    stale_data)
