"""The alert evaluation: one unit of work, callable directly (the daemon and the CLI call it).

Reads the engine's status and scores at ``as_of``, runs the alert rules, steps every alert key's
state machine, and writes the new states, one outbox message per recipient and an evaluation
row in ONE transaction: a crash leaves either all of it or none of it, so no alert is lost or
doubled by the evaluation itself (jobs/deliver.py states the delivery's guarantee).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from sqlalchemy.exc import IntegrityError

from alerts import target_rules
from alerts.catalog import PACING_RULES, covered_keys, find, inhibited
from alerts.findings import DEFAULT_SETTINGS, AlertSettings, Finding, Snapshot, fact
from alerts.notify import CHECKPOINT_RULES, AlertItem
from alerts.pipeline import DeliveryPolicy
from alerts.routing import Directory, group
from alerts.rules import indicator_inputs
from alerts.state import Event, Policy, State, step
from db.alert_store import (
    add_evaluation,
    last_payment_by_line,
    load_states,
    lock_evaluations,
    save_states,
    set_evaluation_detail,
    silenced_keys,
)
from db.engine import SessionFactory, transaction
from jobs.deliver import DeliveryReport
from jobs.exceptions import EvaluationConflict
from jobs.execution import ExecutionSettings, rules_by_department, status_and_scores
from jobs.outbox import PlannedMessage, Quiet, queue
from jobs.targets_eval import watch_targets

__all__ = ["AlertConfig", "EvaluationResult", "PlannedMessage", "evaluate", "evaluate_and_deliver", "snapshot"]



@dataclass(frozen=True)
class AlertConfig:
    """[alerts], [[people]] and [[channels]] of the config (jobs/config/settings.py reads them)."""

    rules: AlertSettings = field(default_factory=AlertSettings)
    policy: Policy = field(default_factory=Policy)
    directory: Directory = field(default_factory=Directory)
    quiet_hours: tuple[dt.time, dt.time] | None = (dt.time(21, 0), dt.time(8, 0))
    quiet_on_rest_days: bool = True  # weekends and holidays, by the working-day calendar
    charts: bool = True  # attach the execution chart to checkpoint alerts
    delivery: DeliveryPolicy = field(default_factory=DeliveryPolicy)  # slots, caps, what counts as news

    def quiet(self, calendar) -> Quiet:
        return Quiet(self.quiet_hours, self.quiet_on_rest_days, calendar.is_working_day)


@dataclass(frozen=True)
class EvaluationResult:
    year: int
    as_of: dt.date
    findings: list[Finding]
    events: list[Event]
    messages: list[PlannedMessage]
    unrouted: int
    muted: bool  # stale data muted the pacing rules
    evaluation_id: int | None  # None on a dry run


def snapshot(factory, *, year: int, as_of: dt.date, execution: ExecutionSettings,
             settings: AlertSettings = DEFAULT_SETTINGS) -> Snapshot:
    report, cards = status_and_scores(factory, year=year, as_of=as_of, settings=execution)
    with transaction(factory) as session:
        by_line = last_payment_by_line(session, year, as_of)
    last_payment: dict[tuple[str, str], dt.date] = {}
    for line in report.lines:
        day = by_line.get(line.quota_no)
        if day is None:
            continue
        last_payment[("quota_line", line.quota_no)] = day
        if line.project_code:
            key = ("project", line.project_code)
            last_payment[key] = max(day, last_payment.get(key, day))
    departments = {s.entity.code: s.entity.department_code for s in report.statuses if s.entity.level == "unit"}
    targets = watch_targets(factory, year=year, as_of=as_of, execution=execution, alerts=settings,
                            departments=departments)
    return Snapshot(year, as_of, report.statuses, {(c.level, c.code): c for c in cards}, report.lines,
                    last_payment, report.latest_export, execution.calendar,
                    rules_by_department(execution.rule_book, year), targets)


def _current_facts(seen: Snapshot) -> dict[tuple[str, str], dict[str, str]]:
    """Each entity's figures today, for "back on schedule" notices."""
    facts = {}
    for s in seen.statuses:
        entity = s.entity
        today = {"rate": fact(entity.execution_rate), "paid": fact(entity.paid),
                 "budget": fact(entity.budget), "schedule_rate": fact(s.schedule_rate)}
        upcoming = s.next_checkpoint
        if upcoming is not None:
            today |= {"checkpoint_date": upcoming.date.isoformat(), "target_rate": fact(upcoming.target_rate),
                      "gap": fact(upcoming.gap), "projected_rate": fact(upcoming.projection.rate),
                      "projection_method": upcoming.projection.method}
        if entity.key in seen.last_payment:
            today["last_payment"] = seen.last_payment[entity.key].isoformat()
        facts[entity.key] = today
    facts[("data", "payments")] = {"latest_export": seen.latest_export.isoformat() if seen.latest_export else ""}
    for key, today in target_rules.current_facts(seen.targets).items():
        facts[key] = facts.get(key, {}) | today
    return facts


def _adjustment_facts(seen: Snapshot, key: tuple[str, str]) -> dict[str, str]:
    """The adjustment rate today, for the "back within the limit" notice of adjustment_rate."""
    card = seen.cards.get(key)
    if card is None:
        return {}
    inputs = indicator_inputs(card, "adjustment_rate")
    return {"rate": fact(inputs["rate"]), "limit": fact(inputs["limit"]), "adjusted": fact(inputs["adjusted"]),
            "initial": fact(inputs["initial"])}


def transitions(states: dict[str, State], findings: list[Finding], *, seen: Snapshot, policy: Policy,
                silenced: set[str], remind: frozenset[str] = frozenset()) -> tuple[list[State], list[Event], bool]:
    """Every key's step: the changed states, the events to tell, and whether stale data muted
    the pacing rules."""
    by_key = {f.key: f for f in findings}
    muted = inhibited(findings)
    current = _current_facts(seen)
    covered = covered_keys(findings, seen.year)
    changed: list[State] = []
    events: list[Event] = []
    for key in sorted(set(states) | set(by_key)):
        state, finding = states.get(key), by_key.get(key)
        rule, level, code, period = key.split(":", 3)
        today = current.get((level, code))
        if rule == "adjustment_rate" and today is not None:  # its "rate" is the adjustment rate, not execution's
            today = {**today, **_adjustment_facts(seen, (level, code))}
        # Good news only about an entity still there with a budget: one cut to nothing, or gone
        # from the exports, closes quietly ("back on schedule" with 0 of 0 would mislead).
        vanished = rule != "stale_data" and (today is None or today.get("budget") == "0.00")
        new, told = step(state, finding, as_of=seen.as_of, policy=policy, silenced=key in silenced,
                         muted=muted and rule in PACING_RULES, superseded=key in covered or vanished,
                         current=today, remind=rule in remind)
        if new is not None and new != state:
            changed.append(new)
        events.extend(_countdown(e) if rule in remind and e.item.event == "repeat" else e for e in told)
    return changed, events, muted


def _countdown(event: Event) -> Event:
    """A countdown reminder says how many working days are left: that is its news."""
    facts = {**event.item.facts, "countdown": event.item.facts.get("working_days_left", "")}
    return replace(event, item=replace(event.item, facts=facts))


def _chart_of(items: tuple[AlertItem, ...], departments: set[str]) -> dict | None:
    """The chart a message attaches: the first unit's with a checkpoint alert; a department's
    when it is the only one in the database (the chart of everything is then its chart)."""
    for item in items:
        if item.rule in CHECKPOINT_RULES and item.level == "unit":
            return {"unit": item.code}
    for item in items:
        if item.rule in CHECKPOINT_RULES and item.level == "department" and departments == {item.code}:
            return {"department": item.code}
    return None


def evaluate(factory, *, execution: ExecutionSettings, alerts: AlertConfig, now: dt.datetime,
             as_of: dt.date | None = None, dry_run: bool = False,
             remind: frozenset[str] = frozenset()) -> EvaluationResult:
    """One evaluation at ``as_of`` (default: today in ``now``'s zone). ``now`` is when messages are
    due (quiet hours are counted from it). A dry run computes everything and writes nothing.
    ``remind``: rules whose firing alerts are told again today (a checkpoint countdown)."""
    as_of = as_of or now.date()
    year = as_of.year
    seen = snapshot(factory, year=year, as_of=as_of, execution=execution, settings=alerts.rules)
    findings = find(seen, alerts.rules)
    departments = {s.entity.code for s in seen.statuses if s.entity.level == "department"}
    try:
        return _evaluate(factory, seen, findings, departments, execution=execution, alerts=alerts, now=now,
                         dry_run=dry_run, remind=remind)
    except IntegrityError as exc:  # two evaluations raced to create the same alert key
        raise EvaluationConflict("another evaluation wrote the same alerts at the same time; run again") from exc


def _evaluate(factory, seen: Snapshot, findings: list[Finding], departments: set[str], *, execution: ExecutionSettings,
              alerts: AlertConfig, now: dt.datetime, dry_run: bool, remind: frozenset[str]) -> EvaluationResult:
    as_of, year = seen.as_of, seen.year
    with transaction(factory) as session:
        lock_evaluations(session)
        states = load_states(session, year)
        silenced = silenced_keys(session, set(states) | {f.key for f in findings}, as_of)
        changed, events, muted = transitions(states, findings, seen=seen, policy=alerts.policy, silenced=silenced,
                                             remind=remind)
        drafts, unrouted = group(events, alerts.directory, alerts.delivery)
        evaluation_id = None
        if not dry_run:
            evaluation_id = add_evaluation(session, as_of, now, {}).id
            save_states(session, year, changed, now)
        planned = queue(session, drafts, year=year, as_of=as_of, now=now, evaluation_id=evaluation_id or 0,
                        policy=alerts.delivery, quiet=alerts.quiet(execution.calendar), write=not dry_run,
                        chart_of=lambda items: _chart_of(items, departments) if alerts.charts else None)
        if evaluation_id is not None:
            set_evaluation_detail(session, evaluation_id, {
                "findings": len(findings), "events": len(events), "messages": len(planned),
                "merged": sum(p.merged for p in planned), "unrouted": unrouted, "muted": muted})
    return EvaluationResult(year, as_of, findings, events, planned, unrouted, muted, evaluation_id)


def evaluate_and_deliver(factory: SessionFactory, *, execution: ExecutionSettings, alerts: AlertConfig,
                         now: dt.datetime, deliver: Callable[[dt.datetime], DeliveryReport],
                         as_of: dt.date | None = None,
                         remind: frozenset[str] = frozenset()) -> tuple[EvaluationResult, DeliveryReport]:
    """An evaluation, then a delivery run (``deliver(now)``): what the daemon's jobs and the
    ``evaluate`` command both do, so the command does exactly what the daemon will."""
    result = evaluate(factory, execution=execution, alerts=alerts, now=now, as_of=as_of, remind=remind)
    return result, deliver(now)
