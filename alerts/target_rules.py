"""Alert rules over performance targets (绩效目标): what the money must deliver, not only how fast
it goes out. Each is ``rule(snapshot, settings) -> list[Finding]`` like those of alerts/rules.py,
over ``snapshot.targets`` (monitor/targets.py evaluated each target at as_of):

- target_behind — a cumulative target (lectures, visitors…) under its milestone or time schedule;
- target_missed — the due date passed and the target was not reached (red, told once: a lost score);
- target_cap — a cost indicator (经济成本指标) measured from payments near its cap (yellow) or over it (red);
- target_window — a timeliness window (e.g. 科普日 17–23 September) approaching (blue), open with
  nothing reported (orange), passed with nothing reported (red);
- target_silent — no progress report for ``target_silent_weeks`` weeks;
- delivery_gap — a project whose execution rate runs far ahead of its targets' completion (money
  out, little delivered: yellow) or far behind it (delivered, money not out: blue).

Routed to the project leader (and the leader the target table names), escalated to the unit leader.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from alerts.findings import Finding, entity_finding
from monitor.money import FEN
from monitor.target_values import MONEY_YUAN, TargetValue
from monitor.targets import TargetStatus
from monitor.targets import delivery_gap as gap_of


@dataclass(frozen=True)
class WatchedTarget:
    """A target's status at as_of and where it belongs: routing codes (department, unit, project,
    and ``leader``: the name the target table gives) and the project's or unit's name."""

    status: TargetStatus
    routing: Mapping[str, str]
    scope_name: str
    unit_name: str = ""

    @property
    def code(self) -> str:
        return self.status.target.key

    @property
    def name(self) -> str:
        return f"{self.scope_name} · {self.status.target.name}"


def amount(value: Decimal | None, measure: str) -> str:
    """8 场次, 55.70 万元, 92.5%: a target's figure as people write it (money with two decimals)."""
    if value is None:
        return ""
    if measure in MONEY_YUAN:
        text = f"{value.quantize(FEN, rounding=ROUND_HALF_UP):,f}"
    else:
        text = f"{value.quantize(FEN).normalize():f}" if value != value.to_integral_value() else f"{value:.0f}"
    return f"{text}{measure}" if measure == "%" else f"{text} {measure}".strip()


def _facts(watched: WatchedTarget) -> dict[str, str]:
    status = watched.status
    target, spec = status.target, status.target.spec
    if target.due is None:  # Target.__post_init__ sets 31 December when the table leaves it out
        raise TypeError(f"target {target.key} has no due date")
    facts = {"indicator": target.name, "scope": watched.scope_name, "target_text": _spec_text(spec),
             "actual_text": amount(status.actual, spec.measure), "due": target.due.isoformat()}
    if status.reported_on is not None:
        facts["reported_on"] = status.reported_on.isoformat()
    if status.completion is not None:
        facts["completion"] = f"{status.completion:.2f}"
    return facts


def _spec_text(spec: TargetValue) -> str:
    sign = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "=": "="}.get(spec.operator)
    return spec.text if sign is None else f"{sign}{amount(spec.value, spec.measure)}"


def _finding(rule: str, severity: str, watched: WatchedTarget, facts: dict[str, str]) -> Finding:
    return Finding(rule, severity, "target", watched.code, watched.name, str(watched.status.target.year), facts,
                   dict(watched.routing))


def target_behind(snapshot, settings) -> list:
    found = []
    for watched in snapshot.targets:
        status = watched.status
        if status.status != "behind":
            continue
        measure = status.target.spec.measure
        facts = _facts(watched) | {"expected_text": amount(status.expected, measure),
                                   "gap_text": amount(status.gap, measure)}
        passed = [day for day, _ in status.target.milestones if day <= snapshot.as_of]
        if passed:
            facts["milestone_date"] = passed[-1].isoformat()
        if status.projected is not None:
            facts["projected_text"] = amount(status.projected, measure)
        found.append(_finding("target_behind", "yellow", watched, facts))
    return found


def target_missed(snapshot, settings) -> list:
    return [_finding("target_missed", "red", w,
                     _facts(w) | {"gap_text": amount(w.status.gap, w.status.target.spec.measure)})
            for w in snapshot.targets
            if w.status.status == "missed" and w.status.mode != "window"]


def target_cap(snapshot, settings) -> list:
    found = []
    for watched in snapshot.targets:
        status = watched.status
        if status.status not in ("cap_near", "cap_crossed"):
            continue
        spec = status.target.spec
        facts = _facts(watched) | {"cap_text": amount(spec.value, spec.measure),
                                   "spent_text": amount(status.actual, spec.measure),
                                   "share": f"{status.completion:.2f}" if status.completion is not None else ""}
        if status.headroom is not None:
            facts["left_text"] = amount(max(status.headroom, Decimal(0)), spec.measure)
            facts["over_text"] = amount(max(-status.headroom, Decimal(0)), spec.measure)
        severity = "red" if status.status == "cap_crossed" else "yellow"
        facts["state"] = "crossed" if severity == "red" else "near"
        if severity == "red":
            facts.pop("left_text", None)
        else:
            facts.pop("over_text", None)
        found.append(_finding("target_cap", severity, watched, facts))
    return found


WINDOW_SEVERITY = {"window_soon": "blue", "window_open": "orange", "window_missed": "red"}
WINDOW_STATE = {"window_soon": "soon", "window_open": "open", "window_missed": "missed"}


def target_window(snapshot, settings) -> list:
    found = []
    for watched in snapshot.targets:
        status = watched.status
        severity = WINDOW_SEVERITY.get(status.status)
        if severity is None:
            continue
        target = status.target
        opens = target.window_start or target.due
        facts = _facts(watched) | {"window_start": opens.isoformat(),
                                   "window_end": target.due.isoformat(), "state": WINDOW_STATE[status.status],
                                   "days_left": str(max((opens - snapshot.as_of).days, 0))}
        found.append(_finding("target_window", severity, watched, facts))
    return found


def target_silent(snapshot, settings) -> list:
    """A cumulative target with nothing reported for ``target_silent_weeks`` weeks (from 1 January
    when never reported), before its due date, once something is expected of it."""
    found = []
    limit = settings.target_silent_weeks * 7
    for watched in snapshot.targets:
        status, target = watched.status, watched.status.target
        if (status.mode != "cumulative" or target.measured_from_payments or limit <= 0
                or status.status in ("met", "missed") or snapshot.as_of > target.due or not status.expected):
            continue
        since = status.reported_on or snapshot.as_of.replace(month=1, day=1)
        days = (snapshot.as_of - since).days
        if days < limit:
            continue
        found.append(_finding("target_silent", "yellow", watched,
                              _facts(watched) | {"weeks_silent": str(days // 7)}))
    return found


def project_completions(targets: Sequence[WatchedTarget]) -> dict[str, list[Decimal]]:
    """Per project code, the completion of each cumulative target measured by reports, capped at
    100% (delivering more of one thing does not make up for another)."""
    by_project: dict[str, list[Decimal]] = {}
    for watched in targets:
        status, project = watched.status, watched.routing.get("project")
        if (project and status.mode == "cumulative" and not status.target.measured_from_payments
                and status.completion is not None):
            by_project.setdefault(project, []).append(min(status.completion, Decimal(100)))
    return by_project


def _mean(completions: Sequence[Decimal]) -> Decimal:
    return (sum(completions, Decimal(0)) / len(completions)).quantize(FEN)


def delivery_gap(snapshot, settings) -> list:
    """Execution rate against the mean completion of the project's counted targets."""
    by_project = project_completions(snapshot.targets)
    found = []
    for status in snapshot.statuses:
        entity = status.entity
        if entity.level != "project" or entity.code not in by_project or entity.execution_rate is None:
            continue
        completions = by_project[entity.code]
        gap = gap_of(entity.execution_rate, completions)
        if gap is None or abs(gap) < settings.delivery_gap_points:
            continue
        facts = {"rate": f"{entity.execution_rate:.2f}", "delivered": f"{_mean(completions):.2f}",
                 "points": f"{abs(gap):.2f}", "targets": str(len(completions)),
                 "state": "money_ahead" if gap > 0 else "delivery_ahead"}
        found.append(entity_finding("delivery_gap", "yellow" if gap > 0 else "blue", status, str(snapshot.year),
                                    facts))
    return found


def current_facts(targets: Sequence[WatchedTarget]) -> dict[tuple[str, str], dict[str, str]]:
    """Each target's figures today, and each project's mean completion, for "back on track"
    notices (and so that a target still there is not taken for one gone from the data)."""
    facts: dict[tuple[str, str], dict[str, str]] = {}
    for watched in targets:
        status, spec = watched.status, watched.status.target.spec
        today = _facts(watched)
        if status.mode == "cap" and status.actual is not None:
            today |= {"spent_text": amount(status.actual, spec.measure), "cap_text": amount(spec.value, spec.measure)}
        facts[("target", watched.code)] = today
    for project, completions in project_completions(targets).items():
        facts[("project", project)] = {"delivered": f"{_mean(completions):.2f}"}
    return facts


TARGET_RULES = (target_missed, target_cap, target_window, target_behind, target_silent, delivery_gap)
