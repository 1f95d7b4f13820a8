"""Notices that are not alerts: the weekly digest and the December calendar check.

They have no state to step: the job's (job, period) fence makes each one go out once, and they
reach people through the same outbox and notifiers as the alerts. Each function here writes its
messages to the outbox and returns; the job that calls it (jobs/scheduled.py) delivers.

The digest, per department, to its leader and finance staff (and its channels): the department
and then its units ranked by the amount still to pay for the next checkpoint, each with its
rate, the checkpoints met so far and the score it is heading for; then, per unit with
performance targets, how many are met, on track, behind … and the ones that need attention.
"""

from __future__ import annotations

import datetime as dt

from alerts.findings import fact
from alerts.notify import AlertItem, Recipient
from alerts.routing import Directory
from alerts.rules import indicator_inputs
from db.alert_store import add_evaluation, add_message
from db.engine import SessionFactory, transaction
from jobs.config.settings import Settings
from jobs.execution import status_and_scores
from jobs.targets_eval import watch_targets


def _recipients(directory: Directory, department: str | None) -> list[Recipient]:
    people = (directory.finance_staff if department is None else
              directory.who("department_leader", "department", department)
              + directory.who("finance_staff", "department", department))
    found = [p.recipient for p in people]
    found += [c.recipient for c in directory.channels if department is None or not c.departments
              or department in c.departments]
    if not found and directory.fallback is not None:
        found.append(directory.fallback)
    return list(dict.fromkeys(found))


def _met(card) -> str:
    if card is None:
        return ""
    values = indicator_inputs(card, "payment_progress")
    passed = [k for k in values if k.endswith(".projected") and values[k] is False]
    met = sum(1 for k in passed if values[k.replace(".projected", ".met")])
    return f"{met}/{len(passed)}" if passed else ""


def digest_items(statuses, cards, period: str) -> dict[str, list[AlertItem]]:
    """Per department code: the department's item, then its units', most still to pay first."""
    cards_by_key = {(c.level, c.code): c for c in cards}
    by_department: dict[str, list] = {}
    for status in statuses:
        if status.entity.level in ("department", "unit"):
            by_department.setdefault(status.entity.department_code, []).append(status)
    result = {}
    for department, members in by_department.items():
        members.sort(key=lambda s: (s.entity.level != "department",
                                    -(s.next_checkpoint.gap if s.next_checkpoint else 0), s.entity.code))
        items = []
        for s in members:
            e, upcoming, card = s.entity, s.next_checkpoint, cards_by_key.get(s.entity.key)
            facts = {"rate": fact(e.execution_rate), "paid": fact(e.paid), "budget": fact(e.budget), "met": _met(card)}
            if upcoming is not None:
                facts |= {"checkpoint_date": upcoming.date.isoformat(), "target_rate": fact(upcoming.target_rate),
                          "gap": fact(upcoming.gap)}
            if card is not None:
                facts |= {"score": fact(card.score), "weight": fact(card.weight)}
            items.append(AlertItem(f"digest:{e.level}:{e.code}:{period}", "digest", "fire", "blue", e.level, e.code,
                                   e.name, period, facts))
        result[department] = items
    return result


ATTENTION = ("missed", "window_missed", "cap_crossed", "behind", "window_open", "cap_near")


def target_items(watched, period: str) -> dict[str, list[AlertItem]]:
    """Per department code: one item per unit with targets, counted by state, the worst named."""
    from alerts.render_targets import DIGEST_COUNTS

    by_unit: dict[tuple[str, str], list] = {}
    for w in watched:
        by_unit.setdefault((w.routing.get("department", ""), w.routing["unit"]), []).append(w)
    result: dict[str, list[AlertItem]] = {}
    for (department, unit), targets in sorted(by_unit.items()):
        states = [w.status.status for w in targets]
        facts = {"n_total": str(len(targets))}
        for key, counted in DIGEST_COUNTS.items():
            if n := sum(states.count(state) for state in counted):
                facts[key] = str(n)
        worst = sorted((w for w in targets if w.status.status in ATTENTION),
                       key=lambda w: ATTENTION.index(w.status.status))
        if worst:
            facts["attention"] = "、".join(w.status.target.name for w in worst[:3]) + ("…" if len(worst) > 3 else "")
        unit_name = targets[0].unit_name or unit
        result.setdefault(department, []).append(AlertItem(
            f"digest_targets:unit:{unit}:{period}", "digest_targets", "fire", "blue", "unit", unit, unit_name,
            period, facts))
    return result


def _send(factory: SessionFactory, settings: Settings, now: dt.datetime, kind: str,
          batches: list[tuple[Recipient, list[AlertItem]]]) -> int:
    """Write one message per batch to the outbox, in one transaction."""
    with transaction(factory) as session:
        evaluation = add_evaluation(session, now.date(), now, {"kind": kind, "messages": len(batches)})
        for recipient, items in batches:
            add_message(session, evaluation_id=evaluation.id, recipient=recipient,
                        language=settings.alerts.directory.language_of(recipient), year=now.year, as_of=now.date(),
                        items=items, chart=None, due=now, now=now)
    return len(batches)


def send_digest(factory: SessionFactory, settings: Settings, now: dt.datetime) -> dict[str, int]:
    year, week, _ = now.date().isocalendar()
    report, cards = status_and_scores(factory, year=now.year, as_of=now.date(), settings=settings.execution)
    period = f"{year}-W{week:02d}"
    per_department = digest_items(report.statuses, cards, period)
    departments = {s.entity.code: s.entity.department_code for s in report.statuses if s.entity.level == "unit"}
    watched = watch_targets(factory, year=now.year, as_of=now.date(), execution=settings.execution,
                            alerts=settings.alerts.rules, departments=departments)
    for department, items in target_items(watched, period).items():
        per_department.setdefault(department, []).extend(items)
    batches = [(recipient, items) for department, items in sorted(per_department.items())
               for recipient in _recipients(settings.alerts.directory, department)]
    return {"departments": len(per_department), "messages": _send(factory, settings, now, "digest", batches)}


def send_calendar_warning(factory: SessionFactory, settings: Settings, now: dt.datetime, year: int) -> dict[str, int]:
    item = AlertItem(f"calendar_missing:data:calendar:{year}", "calendar_missing", "fire", "orange", "data",
                     "calendar", "", str(year), {"year": str(year)})
    batches = [(r, [item]) for r in _recipients(settings.alerts.directory, None)]
    return {"year": year, "messages": _send(factory, settings, now, "calendar", batches)}
