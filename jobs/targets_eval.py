"""Performance targets at a date: read from the database (db/target_queries.py), evaluated by
monitor/targets.py, with where each belongs (routing) — one unit of work the alert evaluation,
the digest and the status / score commands share.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from alerts.findings import DEFAULT_SETTINGS, AlertSettings
from alerts.target_rules import WatchedTarget
from db.engine import transaction
from db.target_queries import TargetFacts, load_targets
from jobs.execution import ExecutionSettings
from monitor.target_values import TargetValue
from monitor.targets import Report, Target, evaluate_target, score_target


def target_of(facts: TargetFacts) -> Target:
    spec = TargetValue(facts.operator, facts.value, facts.measure, facts.target_text)
    return Target(key=str(facts.id), name=facts.name, level1=facts.level1 or "", level2=facts.level2 or "",
                  spec=spec, year=facts.budget_year, due=facts.due_on, weight=facts.weight,
                  window_start=facts.window_start, milestones=facts.milestones,
                  measured_from_payments=facts.spent is not None)


def watch_targets(factory, *, year: int, as_of: dt.date, execution: ExecutionSettings,
                  alerts: AlertSettings = DEFAULT_SETTINGS,
                  departments: Mapping[str, str] | None = None) -> list[WatchedTarget]:
    """Every target of ``year`` evaluated at ``as_of``. ``departments``: unit code → department
    code, for routing (the engine's statuses know it)."""
    with transaction(factory) as session:
        stored = load_targets(session, year, as_of)
    watched = []
    for facts in stored:
        department = (departments or {}).get(facts.unit_code)
        rules = execution.rule_book.rules_for(year, department)
        status = evaluate_target(target_of(facts), [Report(r.reported_on, r.actual) for r in facts.reports], as_of,
                                 spent=facts.spent, calendar=execution.calendar, schedule=rules.schedule,
                                 cap_warn=alerts.target_cap_warning, window_notice_days=alerts.target_window_days,
                                 report_grace_days=alerts.target_report_grace_days)
        routing = {"unit": facts.unit_code}
        if department:
            routing["department"] = department
        if facts.project_code:
            routing["project"] = facts.project_code
        if facts.leader:
            routing["leader"] = facts.leader
        watched.append(WatchedTarget(status, routing, facts.project_name or facts.unit_name, facts.unit_name))
    return watched


@dataclass(frozen=True)
class TargetScore:
    """A target's line in the output-indicator part of the score: completion and score by the rule."""

    watched: WatchedTarget
    completion: Decimal | None
    score: Decimal | None


def target_scores(watched: list[WatchedTarget]) -> list[TargetScore]:
    return [TargetScore(w, *score_target(w.status.target, w.status.actual)) for w in watched]


STATE_ORDER = ("missed", "window_missed", "cap_crossed", "behind", "window_open", "cap_near", "window_soon",
               "no_data", "on_track", "met", "not_measurable")


def summary(watched: list[WatchedTarget]) -> dict[str, int]:
    """How many targets are in each state, worst first (for status tables and the digest)."""
    counts: dict[str, int] = {}
    for w in watched:
        counts[w.status.status] = counts.get(w.status.status, 0) + 1
    return {state: counts[state] for state in STATE_ORDER if state in counts}
