"""The engine's results as JSON documents: amounts in yuan and rates in percent, both as strings
with two decimals (17.96), so no reader turns money into a float."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from jobs.engine import StatusReport
from monitor.assess import EntityStatus, ScoreCard
from monitor.execution import BREAKDOWNS, breakdown
from monitor.money import two
from monitor.scores import IndicatorScore, Input


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


def status_json(report: StatusReport, statuses: Sequence[EntityStatus]) -> dict:
    return {
        "year": report.year,
        "as_of": report.as_of.isoformat(),
        "latest_export": report.latest_export.isoformat() if report.latest_export else None,
        "calendar_uncovered_years": report.uncovered_years,
        "entities": [entity_json(s) for s in statuses],
        "breakdowns": {name: [{"value": share.value, "budget": two(share.budget), "paid": two(share.paid),
                               "execution_rate": two(share.execution_rate)}
                              for share in breakdown(report.lines, name)]
                       for name in BREAKDOWNS},
    }


def input_value(item: Input):
    if item.kind in ("amount", "rate"):
        return two(item.value)
    if isinstance(item.value, dt.date):
        return item.value.isoformat()
    if isinstance(item.value, tuple):
        return list(item.value)
    return item.value


def indicator_json(indicator: IndicatorScore) -> dict:
    return {"key": indicator.key, "weight": two(indicator.weight), "score": two(indicator.score),
            "status": indicator.status, "inputs": {i.name: input_value(i) for i in indicator.inputs}}


def scores_json(cards: Sequence[ScoreCard]) -> dict:
    first = cards[0] if cards else None
    return {
        "year": first.year if first else None,
        "as_of": first.as_of.isoformat() if first else None,
        "cards": [{"level": c.level, "code": c.code, "name": c.name, "score": two(c.score), "weight": two(c.weight),
                   "indicators": [indicator_json(i) for i in c.indicators]} for c in cards],
    }
