"""The alert evaluation: one unit of work, callable directly (the daemon and the CLI call it).

Reads the engine's status and scores at ``as_of``, runs the alert rules, steps every alert key's
state machine, and writes the new states, one outbox message per recipient and an evaluation
row in ONE transaction: a crash leaves either all of it or none of it, so no alert is lost or
doubled by the evaluation itself (jobs/deliver.py states the delivery's guarantee).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy.exc import IntegrityError

from alerts import target_rules
from alerts.catalog import PACING_RULES, covered_keys, find, inhibited
from alerts.findings import DEFAULT_SETTINGS, AlertSettings, Finding, Snapshot, fact, routing_of
from alerts.notify import CHECKPOINT_RULES, AlertItem
from alerts.pipeline import DeliveryPolicy
from alerts.routing import Directory, group
from alerts.rules import Verdict, indicator_inputs, verdicts
from alerts.state import CLOSED, FIRING, MET, RESOLVED, WILDCARD, Event, Policy, State, holds, recorded, step
from db.alert_store import (
    add_evaluation,
    has_alert_history,
    last_payment_by_line,
    load_states,
    lock_evaluations,
    save_states,
    set_evaluation_detail,
    silenced_keys,
)
from db.engine import SessionFactory, transaction
from db.unmatched import phantom_lines
from jobs.deliver import DeliveryReport
from jobs.exceptions import EvaluationConflict
from jobs.execution import ExecutionSettings, data_date, rules_by_department, status_and_scores
from jobs.outbox import PlannedMessage, Quiet, queue
from jobs.targets_eval import watch_targets

__all__ = ["AlertConfig", "EvaluationResult", "PlannedMessage", "evaluate", "evaluate_and_deliver",
           "evaluate_open_years", "snapshot"]



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
    year_close: tuple[int, int] = (1, 31)  # (month, day) of the next year: the past year is evaluated until then

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
    data_as_of: dt.date | None = None  # the day the payment data reaches (the figures are of that day)


def snapshot(factory, *, year: int, as_of: dt.date, execution: ExecutionSettings,
             settings: AlertSettings = DEFAULT_SETTINGS) -> Snapshot:
    """What an evaluation of ``year`` on ``as_of`` sees: the engine's figures on the day the data
    reaches (``data_date``), the performance targets on ``as_of`` (at most the year's last day)."""
    reached = data_date(factory, year, as_of)
    report, cards = status_and_scores(factory, year=year, as_of=reached, settings=execution)
    with transaction(factory) as session:
        by_line = last_payment_by_line(session, year, reached)
        unmatched = phantom_lines(session, year, reached)
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
    targets = watch_targets(factory, year=year, as_of=min(as_of, dt.date(year, 12, 31)), execution=execution,
                            alerts=settings, departments=departments)
    return Snapshot(year, as_of, report.statuses, {(c.level, c.code): c for c in cards}, report.lines,
                    last_payment, report.latest_export, execution.calendar,
                    rules_by_department(execution.rule_book, year), targets, data_as_of=reached,
                    unmatched=unmatched)


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
                silenced: Mapping[str, str], remind: frozenset[str] = frozenset(),
                met: Sequence[Verdict] = ()) -> tuple[list[State], list[Event], bool]:
    """Every key's step: the changed states, the events to tell, and whether stale data muted
    the pacing rules. ``met``: the checkpoints reached (``rules.verdicts``): a told "missed" is
    withdrawn, and each is kept so that a later turn to "missed" can say what changed."""
    by_key = {f.key: f for f in findings}
    muted = inhibited(findings)
    current = _current_facts(seen)
    reached = {v.key: {**v.facts, "verdict": MET} for v in met}
    covered = covered_keys(findings, seen.year)
    changed: list[State] = []
    events: list[Event] = []
    for key in sorted(set(states) | set(by_key)):
        state, finding = states.get(key), by_key.get(key)
        rule, level, code, period = key.split(":", 3)
        today = reached.get(key) or current.get((level, code))
        if rule == "adjustment_rate" and today is not None:  # its "rate" is the adjustment rate, not execution's
            today = {**today, **_adjustment_facts(seen, (level, code))}
        # Good news only about an entity still there with a budget: one cut to nothing, or gone
        # from the exports, closes quietly ("back on schedule" with 0 of 0 would mislead).
        vanished = rule != "stale_data" and (today is None or today.get("budget") == "0.00")
        # A forecast for a checkpoint whose day has come hands over to its verdict, which waits
        # for data covering the day: "back on schedule" then would be false good news.
        handed_over = rule == "behind_checkpoint" and period <= seen.as_of.isoformat()
        how = silenced.get(key)  # a wildcard silence holds no verdict and lets a first red through
        new, told = step(state, finding, as_of=seen.as_of, policy=policy, silenced=holds(how, rule),
                         loosely=how == WILDCARD,
                         muted=muted and rule in PACING_RULES, superseded=key in covered or vanished or handed_over,
                         current=today, remind=rule in remind)
        if new is not None and new != state:
            changed.append(new)
        events.extend(_countdown(e) if rule in remind and e.item.event == "repeat" else e for e in told)
    stepped = {s.key for s in changed}
    for verdict in met:
        if verdict.key not in stepped and not muted:
            kept = recorded(states.get(verdict.key), verdict.key, verdict.facts, routing_of(verdict.status),
                            verdict.status.entity.name, seen.as_of)
            if kept is not None:
                changed.append(kept)
    return changed, events, muted


def first_run_marked(events: list[Event]) -> list[Event]:
    """A first run over an existing history: what it finds is the current state, not news of
    today (fact ``first_run``: told at the slot, not at once, and said so)."""
    return [replace(e, item=replace(e.item, facts={**e.item.facts, "first_run": "1"})) for e in events]


def closed_year(states: dict[str, State], changed: list[State], as_of: dt.date) -> list[State]:
    """The year is closed: every alert still open (firing, or resolved and able to fire again)
    closes silently (its year-end result was told)."""
    latest = {s.key: s for s in changed}
    for key, state in {**states, **latest}.items():
        if state.status in (FIRING, RESOLVED):
            latest[key] = replace(state, status=CLOSED, resolved_on=as_of)
    return list(latest.values())


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


def closes_on(year: int, alerts: AlertConfig) -> dt.date:
    """The day the evaluation of ``year`` ends (``[alerts] year_close`` of the next year)."""
    return dt.date(year + 1, *alerts.year_close)


def open_years(today: dt.date, alerts: AlertConfig) -> list[int]:
    """The years evaluated on ``today``: the past one too until its close date (its late exports)."""
    return [today.year - 1, today.year] if today <= closes_on(today.year - 1, alerts) else [today.year]


def evaluate(factory, *, execution: ExecutionSettings, alerts: AlertConfig, now: dt.datetime,
             as_of: dt.date | None = None, year: int | None = None, dry_run: bool = False,
             remind: frozenset[str] = frozenset()) -> EvaluationResult:
    """One evaluation of ``year`` (default: as_of's) on ``as_of`` (default: today in ``now``'s
    zone). ``now`` is when messages are due (quiet hours are counted from it). A past year is
    judged on its last day, and on its close date (``open_years``) its alerts close. A dry run
    computes everything and writes nothing. ``remind``: rules whose firing alerts are told again
    today (a checkpoint countdown)."""
    as_of = as_of or now.date()
    year = year or as_of.year
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
    met = [v for v in verdicts(seen, alerts.rules) if v.met]
    with transaction(factory) as session:
        lock_evaluations(session)
        states = load_states(session, year)
        first = not states and not has_alert_history(session) and seen.data_date > min(
            execution.rule_book.checkpoint_dates(year), default=seen.data_date)
        silenced = silenced_keys(session, set(states) | {f.key for f in findings}, as_of)
        changed, events, muted = transitions(states, findings, seen=seen, policy=alerts.policy, silenced=silenced,
                                             remind=remind, met=met)
        if first:
            events = first_run_marked(events)
        if year < as_of.year and as_of >= closes_on(year, alerts):
            changed = closed_year(states, changed, as_of)
        drafts, unrouted = group(events, alerts.directory, alerts.delivery)
        evaluation_id = None
        if not dry_run:
            evaluation_id = add_evaluation(session, as_of, now, {}).id
            save_states(session, year, changed, now)
        planned = queue(session, drafts, year=year, as_of=seen.data_date, now=now,
                        evaluation_id=evaluation_id or 0, policy=alerts.delivery,
                        quiet=alerts.quiet(execution.calendar), write=not dry_run,
                        chart_of=lambda items: _chart_of(items, departments) if alerts.charts else None)
        if evaluation_id is not None:
            set_evaluation_detail(session, evaluation_id, {
                "year": year, "data_as_of": seen.data_date.isoformat(), "findings": len(findings),
                "events": len(events), "messages": len(planned), "merged": sum(p.merged for p in planned),
                "unrouted": unrouted, "muted": muted, "first_run": first})
    return EvaluationResult(year, as_of, findings, events, planned, unrouted, muted, evaluation_id,
                            seen.data_date)


def evaluate_open_years(factory: SessionFactory, *, execution: ExecutionSettings, alerts: AlertConfig,
                        now: dt.datetime, as_of: dt.date | None = None, dry_run: bool = False,
                        remind: frozenset[str] = frozenset()) -> list[EvaluationResult]:
    """An evaluation of every open year (``open_years``: the past one too until its close date),
    the past year first."""
    as_of = as_of or now.date()
    return [evaluate(factory, execution=execution, alerts=alerts, now=now, as_of=as_of, year=year, dry_run=dry_run,
                     remind=remind) for year in open_years(as_of, alerts)]


def evaluate_and_deliver(factory: SessionFactory, *, execution: ExecutionSettings, alerts: AlertConfig,
                         now: dt.datetime, deliver: Callable[[dt.datetime], DeliveryReport],
                         as_of: dt.date | None = None,
                         remind: frozenset[str] = frozenset()) -> tuple[list[EvaluationResult], DeliveryReport]:
    """``evaluate_open_years``, then a delivery run (``deliver(now)``): what the daemon's jobs and
    the ``evaluate`` command both do, so the command does exactly what the daemon will. The
    results are the past year's (while it is open) and the current year's, in that order."""
    results = evaluate_open_years(factory, execution=execution, alerts=alerts, now=now, as_of=as_of, remind=remind)
    return results, deliver(now)
