"""Notices that are not alerts: the weekly brief and the weekly calendar warning.

They have no state to step: the job's (job, period) fence makes each one go out once, and they
reach people through the same outbox, slot stage and notifiers as the alerts (jobs/outbox.py
``queue``: the person's slot on a working day, outside the quiet hours, the week's cap). Each
function here writes its messages to the outbox and returns; the job that calls it
(jobs/scheduled.py) delivers.

The brief (``send_digest``), to every person on the first working day of the week: the checkpoint
line of each entity they answer for (paid, the gap to the next checkpoint, the daily pace
needed, the projection, the score it is heading for), per unit with performance targets how
many are met, on track, behind …, and then every alert still open for them, one line each.
"""

from __future__ import annotations

import datetime as dt

from alerts.catalog import RECOVERING_RULES
from alerts.findings import fact
from alerts.notify import AlertItem, Recipient, rank
from alerts.pipeline import worth_telling
from alerts.routing import Directory, Draft, responsible
from alerts.rules import checkpoints_met
from alerts.state import FIRING, Event, holds, item_of
from db.alert_store import add_evaluation, load_states, silenced_keys
from db.engine import SessionFactory, transaction
from db.outbox_store import told_notices
from jobs.config.settings import Settings
from jobs.execution import data_date, status_and_scores
from jobs.outbox import queue, queue_notice
from jobs.targets_eval import watch_targets


def checkpoint_line(status, card, year: int) -> AlertItem:
    """One entity's checkpoint line: paid, the gap to the next checkpoint, the daily pace needed
    and the projection; the checkpoints met so far and the score it is heading for."""
    e, upcoming = status.entity, status.next_checkpoint
    facts = {"rate": fact(e.execution_rate), "paid": fact(e.paid), "budget": fact(e.budget),
             "met": checkpoints_met(card)}
    if upcoming is not None:
        facts |= {"checkpoint_date": upcoming.date.isoformat(), "target_rate": fact(upcoming.target_rate),
                  "gap": fact(upcoming.gap), "daily_needed": fact(upcoming.daily_needed),
                  "working_days_left": str(upcoming.working_days_left)}
        if upcoming.projection.method != "none" and e.paid > 0 and upcoming.gap > 0:  # reached: no projection
            facts |= {"projected_rate": fact(upcoming.projection.rate),
                      "projection_method": upcoming.projection.method}
    if card is not None:
        facts |= {"score": fact(card.score), "weight": fact(card.weight)}
    return AlertItem(f"digest:{e.level}:{e.code}:{year}", "digest", "brief", "blue", e.level, e.code, e.name,
                     str(year), facts)


ATTENTION = ("missed", "window_missed", "cap_crossed", "behind", "window_open", "cap_near")


def target_items(watched, period: str) -> dict[str, list[AlertItem]]:
    """Per department code: one item per unit with targets, counted by state, the worst named
    (``period``: the year, so that each person's last brief line of a unit can be compared)."""
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
            f"digest_targets:unit:{unit}:{period}", "digest_targets", "brief", "blue", "unit", unit, unit_name,
            period, facts))
    return result


def brief_day(day: dt.date, first_weekday: int, is_working_day) -> bool:
    """The brief goes on the first working day of the week from ``first_weekday`` (0 = Monday) on,
    Monday to Friday (a make-up Saturday of 调休 is not a week's start)."""
    if day.weekday() < first_weekday or day.weekday() > 4 or not is_working_day(day):
        return False
    monday = day - dt.timedelta(days=day.weekday())
    earlier = (monday + dt.timedelta(days=n) for n in range(first_weekday, day.weekday()) if n < 5)
    return not any(is_working_day(d) for d in earlier)


def _open_items(states, directory: Directory, recipient: Recipient, escalate_from: str, as_of: dt.date
                ) -> list[AlertItem]:
    """The alerts still firing that reach ``recipient``: the brief's reminder lines."""
    found = []
    for state in states.values():
        if (state.status != FIRING or state.rule not in RECOVERING_RULES  # a lost score is told once, not weekly
                or (state.ack_until is not None and as_of < state.ack_until)):
            continue
        item = item_of(state, "open")
        if recipient in responsible(Event(item, state.routing, state.escalated), directory, escalate_from):
            found.append(item)
    return found


def send_digest(factory: SessionFactory, settings: Settings, now: dt.datetime) -> dict[str, int]:
    """The weekly brief, to every person and channel: the checkpoint line of each entity they answer
    for, then every alert still open for them (reminders as lines, not messages). Skipped for a
    person when nothing in it moved since their last one — never for a department leader. Written
    to the outbox through the slot stage (jobs/outbox.py): it counts toward the week's cap and is
    merged with that day's alerts."""
    year, as_of = now.year, now.date()
    alerts, directory = settings.alerts, settings.alerts.directory
    reached = data_date(factory, year, as_of)  # the figures are of the day the payment data reaches
    report, cards = status_and_scores(factory, year=year, as_of=reached, settings=settings.execution)
    by_key = {(c.level, c.code): c for c in cards}
    statuses = [s for s in report.statuses if s.entity.level in ("department", "unit", "project")]
    departments = {s.entity.code: s.entity.department_code for s in report.statuses if s.entity.level == "unit"}
    watched = watch_targets(factory, year=year, as_of=as_of, execution=settings.execution, alerts=alerts.rules,
                            departments=departments)
    targets = [i for items in target_items(watched, str(year)).values() for i in items]
    with transaction(factory) as session:
        states = load_states(session, year)
        silenced = silenced_keys(session, set(states), as_of)
        states = {k: v for k, v in states.items() if not holds(silenced.get(k), v.rule)}
        audience = briefed(directory, statuses)
        told = told_notices(session, year, [r for r, _, _ in audience])
        drafts = []
        for recipient, scope, always in audience:
            lines = [checkpoint_line(s, by_key.get(s.entity.key), year) for s in statuses if _in(s.entity, scope)]
            lines += [i for i in targets if i.code in scope["unit"] or departments.get(i.code) in scope["department"]]
            opened = sorted(_open_items(states, directory, recipient, alerts.delivery.escalate_from, as_of),
                            key=lambda i: (-rank(i.severity), i.rule, i.code))
            items = lines + opened
            known = told.get((recipient.kind, recipient.address), {})
            if not items or not (always or any(worth_telling(i, known.get(i.key), alerts.delivery) for i in items)):
                continue
            drafts.append(Draft(recipient, directory.language_of(recipient), tuple(items)))
        evaluation = add_evaluation(session, as_of, now, {"kind": "digest"})
        planned = queue(session, drafts, year=year, as_of=reached, now=now,
                        evaluation_id=evaluation.id, policy=alerts.delivery,
                        quiet=alerts.quiet(settings.execution.calendar), chart_of=lambda items: None, dedupe=False)
        evaluation.detail = {"kind": "digest", "messages": len(planned), "skipped": len(audience) - len(drafts)}
    return {"people": len(audience), "messages": len(planned)}


def _in(entity, scope: dict[str, set[str]]) -> bool:
    if entity.level == "department":
        return entity.code in scope["department"]
    if entity.level == "unit":
        return entity.code in scope["unit"] or entity.department_code in scope["department"]
    return entity.code in scope["project"]


def briefed(directory: Directory, statuses) -> list[tuple[Recipient, dict[str, set[str]], bool]]:
    """Who gets a brief, what it covers (department, unit and project codes) and whether it goes
    even when nothing moved (department leaders). Department people cover the department and its
    units; unit people their units; project leaders their projects; a channel its departments
    (every one when it lists none); the fallback, when there is nobody else, everything."""
    every = {s.entity.code for s in statuses if s.entity.level == "department"}
    found: dict[Recipient, tuple[dict[str, set[str]], bool]] = {}
    for person in directory.people:
        scope = {"department": set(person.departments), "unit": set(person.units), "project": set(person.projects)}
        if person.role == "project_leader":
            scope["department"] = scope["unit"] = set()
        elif person.role == "unit_leader":
            scope["department"] = set()
        if any(scope.values()):  # one address may be listed twice (two roles): one brief covering both
            known, always = found.setdefault(person.recipient, ({k: set() for k in scope}, False))
            for kind, codes in scope.items():
                known[kind] |= codes
            found[person.recipient] = (known, always or person.role == "department_leader")
    for channel in directory.channels:
        found.setdefault(channel.recipient, ({"department": set(channel.departments) or every, "unit": set(),
                                              "project": set()}, False))
    if not found and directory.fallback is not None:
        found[directory.fallback] = ({"department": every, "unit": set(), "project": set()}, True)
    return [(r, scope, always) for r, (scope, always) in found.items()]


def send_calendar_warning(factory: SessionFactory, settings: Settings, now: dt.datetime,
                          unsettled: list[tuple[int, str]]) -> dict:
    """One message to each finance person and channel (else the fallback) naming every year in
    ``unsettled`` (year, source: ``WorkCalendar.unsettled``) and the source its rest days come
    from meanwhile."""
    items = [AlertItem(f"calendar_missing:data:calendar:{year}", "calendar_missing", "fire", "orange", "data",
                       "calendar", "", str(year), {"year": str(year), "source": source})
             for year, source in unsettled]
    directory = settings.alerts.directory
    recipients = [p.recipient for p in directory.finance_staff] + [c.recipient for c in directory.channels]
    if not recipients and directory.fallback is not None:
        recipients.append(directory.fallback)
    drafts = [Draft(r, directory.language_of(r), tuple(items)) for r in dict.fromkeys(recipients)]
    return {"years": [y for y, _ in unsettled],
            "messages": _queue_notice(factory, settings, now, drafts)}


def _queue_notice(factory: SessionFactory, settings: Settings, now: dt.datetime, drafts: list[Draft]) -> int:
    """The calendar notice, once for everyone (the job's fence makes it go once: no dedupe)."""
    with transaction(factory) as session:
        return len(queue_notice(session, drafts, alerts=settings.alerts, calendar=settings.execution.calendar,
                                now=now, kind="calendar", year=now.year, dedupe=False))


