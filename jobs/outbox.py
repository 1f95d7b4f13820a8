"""Into the outbox through the dedupe and slot stages (alerts/pipeline.py), inside the caller's
transaction: the evaluation's and the weekly brief's. Per recipient: drop what tells them
nothing new, roll up quota lines, pick the slot, merge into the message waiting there or write
a new one, and remember what they were told — all in the transaction that changes the alert
states, so the delivery guarantee of jobs/deliver.py holds as before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from alerts.notify import AlertItem
from alerts.pipeline import (
    DeliveryPolicy,
    as_told_to,
    collapse_lines,
    merge_items,
    plan_due,
    pressing,
    red_news,
    urgent,
    worth_telling,
)
from alerts.routing import Draft, release_time
from db.alert_store import add_evaluation, add_message, item_from_json
from db.outbox_store import ledgers, merge_into, remember, told_notices, waiting_items


@dataclass(frozen=True)
class Quiet:
    """When nothing but the urgent may go out: quiet hours and rest days."""

    hours: tuple[dt.time, dt.time] | None
    rest_days: bool
    is_working_day: Callable[[dt.date], bool]

    def open_at(self, now: dt.datetime) -> bool:
        return release_time(now, False, quiet=self.hours, rest_days_quiet=self.rest_days,
                            is_working_day=self.is_working_day) == now


@dataclass(frozen=True)
class PlannedMessage:
    draft: Draft  # the recipient and what they are told (after the dedupe and roll-up stages)
    due: dt.datetime
    chart: dict | None
    merged: bool = False  # into a message already waiting for its slot (the draft is then the whole message)


def queue(session: Session, drafts: Sequence[Draft], *, year: int, as_of: dt.date, now: dt.datetime,
          evaluation_id: int, policy: DeliveryPolicy, quiet: Quiet,
          chart_of: Callable[[tuple[AlertItem, ...]], dict | None], dedupe: bool = True,
          write: bool = True) -> list[PlannedMessage]:
    """Queue each draft for its recipient; what was queued (a draft with nothing new is dropped).
    ``dedupe`` off: every item goes (the brief decided itself). ``write`` off: a dry run."""
    recipients = [d.recipient for d in drafts]
    told = told_notices(session, year, recipients)
    monday = now.date() - dt.timedelta(days=now.date().weekday())
    books = ledgers(session, recipients, dt.datetime.combine(monday, dt.time(0), tzinfo=now.tzinfo))
    queued = []
    for draft in drafts:
        target = (draft.recipient.kind, draft.recipient.address)
        known = told.get(target, {})
        items = [as_told_to(i, known.get(i.key)) if dedupe else i for i in draft.items
                 if not dedupe or worth_telling(i, known.get(i.key), policy)]
        if not items:
            continue
        now_or_never = any(urgent(i, known.get(i.key)) for i in items) if dedupe else False
        soon = any(pressing(i, known.get(i.key)) for i in items) if dedupe else False
        shown = tuple(collapse_lines(items, policy))
        if policy.slot is None:
            due = release_time(now, now_or_never or red_news(shown), quiet=quiet.hours,
                               rest_days_quiet=quiet.rest_days, is_working_day=quiet.is_working_day)
            waiting = None
        else:
            due, waiting = plan_due(now, now_or_never, books[target], policy, quiet.is_working_day,
                                    quiet.open_at(now), is_pressing=soon)
        merged, chart = False, chart_of(shown)
        if write:
            if waiting is not None:
                old, old_chart, old_as_of = waiting_items(session, waiting)
                combined = tuple(merge_items([item_from_json(i) for i in old], shown))
                merged = merge_into(session, waiting, items=combined, as_of=max(as_of, old_as_of or as_of), due=due,
                                    chart=old_chart or chart_of(combined))
                if merged:
                    shown, chart = combined, old_chart or chart_of(combined)
            if not merged:
                add_message(session, evaluation_id=evaluation_id, recipient=draft.recipient, language=draft.language,
                            year=year, as_of=as_of, items=shown, chart=chart, due=due, now=now)
            remember(session, year, draft.recipient, items, as_of, known)
        if shown:  # empty: good news cancelled what was waiting unsaid, and the message with it
            queued.append(PlannedMessage(Draft(draft.recipient, draft.language, shown), due, chart, merged))
    return queued


def queue_notice(session: Session, drafts: Sequence[Draft], *, alerts, calendar, now: dt.datetime, kind: str,
                 year: int, dedupe: bool = True, detail: dict | None = None) -> list[PlannedMessage]:
    """A notice (a refused export, the calendar warning: no evaluation's alerts) into the outbox
    through the slot stage, as every message goes: the person's slot on a working day, outside
    the quiet hours, merged with that day's alerts, counted toward the week's cap. ``alerts``:
    the ``[alerts]`` settings (jobs/evaluate.AlertConfig); its record is an evaluation of ``kind``."""
    evaluation = add_evaluation(session, now.date(), now, {"kind": kind, **(detail or {})})
    planned = queue(session, drafts, year=year, as_of=now.date(), now=now, evaluation_id=evaluation.id,
                    policy=alerts.delivery, quiet=alerts.quiet(calendar), chart_of=lambda items: None, dedupe=dedupe)
    evaluation.detail = {**evaluation.detail, "messages": len(planned)}
    return planned
