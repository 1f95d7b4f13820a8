"""The engine's results as JSON documents: amounts in yuan and rates in percent, both as strings
with two decimals (17.96), so no reader turns money into a float.

Performance targets (绩效目标) are added without moving any existing key: in ``status`` an entity
with targets gains ``targets`` (how many are in each state, worst first); in ``score`` a unit card
with targets gains ``targets`` (one object per target: completion and score by the evaluation's
rule) and ``targets_score`` (the totals). Target values are strings with two decimals in the
target's own measure (场次, %, 万元 …).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from alerts.target_rules import amount
from jobs.execution import StatusReport
from jobs.targets_eval import TargetScore
from monitor.assess import EntityStatus, ScoreCard
from monitor.execution import BREAKDOWNS, breakdown
from monitor.money import near, two
from monitor.scores import IndicatorScore, Input
from monitor.target_values import TargetValue

SIGNS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "=": "="}


def entity_json(status: EntityStatus) -> dict:
    e, upcoming = status.entity, status.next_checkpoint
    projection = upcoming.projection if upcoming else status.year_end
    return {
        "level": e.level,
        "code": e.code,
        "name": e.name,
        "department": e.department_code,
        "unit": e.unit_code,
        "budget": two(e.budget),
        "paid": two(e.paid),
        "execution_rate": two(e.execution_rate),
        "schedule_rate": two(status.schedule_rate),
        "behind": two(status.behind),
        "next_checkpoint": None if upcoming is None else {
            "date": upcoming.date.isoformat(),
            "target_rate": two(upcoming.target_rate),
            "target_amount": two(upcoming.target_amount),
            "gap": two(upcoming.gap),
            "working_days_left": upcoming.working_days_left,
            "daily_needed": two(upcoming.daily_needed),
        },
        "projected_rate": two(projection.rate),
        "projection": {"date": projection.date.isoformat(), "method": projection.method,
                       "years": list(projection.years)},
        "year_end": {"projected_rate": two(status.year_end.rate), "projected_paid": two(status.year_end.paid),
                     "method": status.year_end.method, "years": list(status.year_end.years)},
    }


def status_json(report: StatusReport, statuses: Sequence[EntityStatus],
                targets: Mapping[tuple[str, str], Mapping[str, int]] | None = None) -> dict:
    """``targets``: (level, code) → how many targets are in each state (jobs.targets_eval.summary),
    for the entities that have targets; each of those entities gets it as ``targets``."""
    targets = targets or {}

    def one(status: EntityStatus) -> dict:
        document = entity_json(status)
        counts = targets.get((status.entity.level, status.entity.code))
        if counts:
            document["targets"] = dict(counts)
        return document

    return {
        "year": report.year,
        "as_of": report.as_of.isoformat(),
        "latest_export": report.latest_export.isoformat() if report.latest_export else None,
        "calendar_uncovered_years": report.uncovered_years,
        "calendar_source": report.calendar_source,
        "entities": [one(s) for s in statuses],
        "breakdowns": {name: [{"value": share.value, "budget": two(share.budget), "paid": two(share.paid),
                               "execution_rate": two(share.execution_rate)}
                              for share in breakdown(report.lines, name)]
                       for name in BREAKDOWNS},
    }


def input_value(item: Input, limit: Decimal | None = None):
    """An input as JSON: amounts and rates as two-decimal strings; a rate judged against ``limit``
    with the decimals that keep it on its side of it (9.9996, not 10.00)."""
    if item.kind in ("amount", "rate"):
        if item.value is not None and not isinstance(item.value, Decimal):  # monitor/scores.py: always Decimal
            raise TypeError(f"input {item.name}: an {item.kind} that is not a Decimal: {item.value!r}")
        return near(item.value, limit) if item.kind == "rate" else two(item.value)
    if isinstance(item.value, dt.date):
        return item.value.isoformat()
    if isinstance(item.value, tuple):
        return list(item.value)
    return item.value


def indicator_json(indicator: IndicatorScore) -> dict:
    values = {i.name: i.value for i in indicator.inputs}

    def limit_of(name: str) -> Decimal | None:  # what a rate is judged against
        limit = values.get("limit" if name == "rate" else name.removesuffix(".rate") + ".target_rate")
        return limit if isinstance(limit, Decimal) and name.endswith("rate") else None

    return {"key": indicator.key, "weight": two(indicator.weight), "score": two(indicator.score),
            "status": indicator.status, "inputs": {i.name: input_value(i, limit_of(i.name)) for i in indicator.inputs}}


def target_text(spec: TargetValue) -> str:
    """A target value written the one way: ≥35 场次, ≤61.85 万元, ≥90%, 不断提高."""
    sign = SIGNS.get(spec.operator)
    if sign is None or spec.value is None:
        return "".join(spec.text.split())
    return f"{sign}{amount(spec.value, spec.measure)}"


def needs_judgement(item: TargetScore) -> bool:
    """A qualitative target (不断提高 …): its score is a judgement, not a computation."""
    return item.watched.status.target.spec.operator == "improve"


def target_json(item: TargetScore) -> dict:
    status = item.watched.status
    target, spec = status.target, status.target.spec
    if target.due is None:  # Target.__post_init__ sets 31 December when the table leaves it out
        raise TypeError(f"target {target.key} has no due date")
    return {
        "id": target.key, "unit": item.watched.routing.get("unit"), "project": item.watched.routing.get("project"),
        "scope": item.watched.scope_name, "level1": target.level1, "level2": target.level2, "name": target.name,
        "target_text": spec.text, "target": target_text(spec), "operator": spec.operator, "value": two(spec.value),
        "measure": spec.measure, "weight": two(target.weight), "due": target.due.isoformat(),
        "mode": status.mode, "status": status.status, "actual": two(status.actual),
        "reported_on": status.reported_on.isoformat() if status.reported_on else None,
        "completion": two(item.completion), "score": two(item.score), "needs_judgement": needs_judgement(item),
    }


def targets_total(items: Sequence[TargetScore]) -> dict:
    """The score of the scored targets over their weight, and what is left out and why:
    qualitative targets (a judgement), targets with no value reported yet, targets without a weight."""
    scored = [i for i in items if i.score is not None]
    judged = [i for i in items if needs_judgement(i)]
    missing = [i for i in items if not needs_judgement(i) and i.completion is None]
    unweighted = [i for i in items if i.completion is not None and i.score is None]

    def weight(group: Sequence[TargetScore]) -> Decimal:
        return sum((i.watched.status.target.weight or Decimal(0) for i in group), Decimal(0))

    return {
        "score": two(sum((i.score for i in scored if i.score is not None), Decimal(0))), "weight": two(weight(scored)),
        "scored": len(scored), "needs_judgement": len(judged), "needs_judgement_weight": two(weight(judged)),
        "without_value": len(missing), "without_value_weight": two(weight(missing)), "unweighted": len(unweighted),
    }


def scores_json(cards: Sequence[ScoreCard], targets: Mapping[str, Sequence[TargetScore]] | None = None) -> dict:
    """``targets``: unit code → its targets scored (jobs.targets_eval.target_scores); each unit
    card with targets gets ``targets`` and ``targets_score``. A unit with targets but no card
    (no quota lines that year) is listed under ``targets_without_card``, present only then."""
    targets = targets or {}
    first = cards[0] if cards else None
    document = {
        "year": first.year if first else None,
        "as_of": first.as_of.isoformat() if first else None,
        "cards": [card_json(c, targets.get(c.code) if c.level == "unit" else None) for c in cards],
    }
    carded = {c.code for c in cards if c.level == "unit"}
    orphans = [{"unit": code, "targets": [target_json(i) for i in items], "targets_score": targets_total(items)}
               for code, items in targets.items() if code not in carded and items]
    if orphans:
        document["targets_without_card"] = orphans
    return document


def card_json(card: ScoreCard, targets: Sequence[TargetScore] | None = None) -> dict:
    document: dict[str, Any] = {"level": card.level, "code": card.code, "name": card.name,
                                "score": two(card.score), "weight": two(card.weight),
                                "indicators": [indicator_json(i) for i in card.indicators]}
    if targets:
        document["targets"] = [target_json(i) for i in targets]
        document["targets_score"] = targets_total(targets)
    return document


def unmatched_json(figures) -> dict:
    """The payments no quota export explains (db/unmatched.py), for ``status --json``."""
    return {"count": figures.payments, "amount": str(figures.amount),
            "units": [{"code": u.code, "name": u.name, "count": u.payments, "amount": str(u.amount),
                       "counted": u.budgeted} for u in figures.units],
            "quota_nos": list(figures.quota_nos)}
