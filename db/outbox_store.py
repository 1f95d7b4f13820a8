"""What the slot and dedupe stages read and write (alerts/pipeline.py): each recipient's ledger
(the days they got or will get a message, and the message still waiting for its slot), what each
recipient last heard of each key, and the merge of new items into a waiting message.

The merge is a conditional UPDATE (still pending, never tried): a message the delivery job has
claimed meanwhile is left alone and the caller writes a new one, so merging never loses items
and never changes a message while it is being sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, cast

from sqlalchemy import CursorResult, insert, select, update
from sqlalchemy.orm import Session

from alerts.notify import AlertItem, Recipient
from alerts.pipeline import Ledger, Told
from db.alert_store import item_json
from db.models import OutboxMessage, ToldNotice

Target = tuple[str, str]  # (recipient kind, address)
CANCELLED = "cancelled"  # an outbox status: everything in it was taken back before its slot


def _target(recipient: Recipient) -> Target:
    return recipient.kind, recipient.address


def _local(moment: dt.datetime, zone: dt.tzinfo | None) -> dt.datetime:
    """A stored moment in the daemon's zone (SQLite gives back naive datetimes, stored in it)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone)
    return moment.astimezone(zone) if zone is not None else moment


def ledgers(session: Session, recipients: Iterable[Recipient], since: dt.datetime) -> dict[Target, Ledger]:
    """Per recipient: the days since ``since`` with a message sent, being sent or due (a message
    failed for good still counts: it was meant for that day), and the waiting message (pending,
    never tried), if any."""
    targets = {_target(r) for r in recipients}
    days: dict[Target, set[dt.date]] = {t: set() for t in targets}
    waiting: dict[Target, tuple[int, dt.datetime]] = {}
    if not targets:
        return {}
    zone = since.tzinfo
    query = (select(OutboxMessage.id, OutboxMessage.recipient_kind, OutboxMessage.recipient_address,
                    OutboxMessage.status, OutboxMessage.attempts, OutboxMessage.next_attempt_at,
                    OutboxMessage.sent_at)
             .where(OutboxMessage.recipient_address.in_({a for _, a in targets}),
                    OutboxMessage.next_attempt_at >= since, OutboxMessage.status != CANCELLED)
             .order_by(OutboxMessage.id))
    for message_id, kind, address, status, attempts, due, sent_at in session.execute(query):
        target = (kind, address)
        if target not in targets:
            continue
        due = _local(due, zone)
        days[target].add(_local(sent_at, zone).date() if sent_at is not None else due.date())
        if status == "pending" and attempts == 0:
            waiting[target] = (message_id, due)
    return {t: Ledger(frozenset(days[t]), waiting.get(t)) for t in targets}


def told_notices(session: Session, year: int, recipients: Iterable[Recipient]) -> dict[Target, dict[str, Told]]:
    """What each recipient last heard of each key this year."""
    targets = {_target(r) for r in recipients}
    found: dict[Target, dict[str, Told]] = {t: {} for t in targets}
    if not targets:
        return found
    query = (select(ToldNotice.recipient_kind, ToldNotice.recipient_address, ToldNotice.key, ToldNotice.severity,
                    ToldNotice.facts, ToldNotice.told_on)
             .where(ToldNotice.budget_year == year, ToldNotice.recipient_address.in_({a for _, a in targets})))
    for kind, address, key, severity, facts, told_on in session.execute(query):
        if (kind, address) in found:
            found[(kind, address)][key] = Told(severity, dict(facts or {}), told_on)
    return found


def remember(session: Session, year: int, recipient: Recipient, items: Iterable[AlertItem], day: dt.date,
             known: Mapping[str, Told]) -> None:
    """Record that ``recipient`` was told ``items`` (their severity and figures) on ``day``."""
    kind, address = _target(recipient)
    new, changed = [], []
    for item in items:
        values = {"severity": item.severity, "facts": dict(item.facts), "told_on": day}
        if item.key in known:
            changed.append((item.key, values))
        else:
            new.append({"budget_year": year, "recipient_kind": kind, "recipient_address": address, "key": item.key,
                        **values})
    if new:  # a key told under another budget year (a notice about next year's calendar): moved here
        elsewhere = set(session.scalars(select(ToldNotice.key).where(
            ToldNotice.recipient_kind == kind, ToldNotice.recipient_address == address,
            ToldNotice.key.in_([row["key"] for row in new]))))
        changed += [(row["key"], {k: row[k] for k in ("budget_year", "severity", "facts", "told_on")})
                    for row in new if row["key"] in elsewhere]
        new = [row for row in new if row["key"] not in elsewhere]
    if new:
        session.execute(insert(ToldNotice), new)
    for key, values in changed:
        session.execute(update(ToldNotice).where(ToldNotice.recipient_kind == kind,
                                                 ToldNotice.recipient_address == address, ToldNotice.key == key)
                        .values(**values).execution_options(synchronize_session=False))


def move_told(session: Session, old: Recipient, new: Recipient) -> None:
    """What ``old`` heard becomes what ``new`` heard (the same person at a corrected address), for
    the keys ``new`` has not heard of itself: their next evaluation does not tell it all again."""
    heard = set(session.scalars(select(ToldNotice.key).where(ToldNotice.recipient_kind == new.kind,
                                                             ToldNotice.recipient_address == new.address)))
    session.execute(update(ToldNotice)
                    .where(ToldNotice.recipient_kind == old.kind, ToldNotice.recipient_address == old.address,
                           ToldNotice.key.not_in(heard))
                    .values(recipient_kind=new.kind, recipient_address=new.address)
                    .execution_options(synchronize_session=False))


def waiting_items(session: Session, message_id: int) -> tuple[list[dict], dict | None, dt.date | None]:
    """A waiting message's items, chart and as-of date."""
    row = session.get(OutboxMessage, message_id)
    if row is None:
        return [], None, None
    return list(row.items), row.chart, row.as_of


def merge_into(session: Session, message_id: int, *, items: Iterable[AlertItem], as_of: dt.date,
               due: dt.datetime, chart: dict | None) -> bool:
    """Replace a waiting message's items (still pending and never tried); False when the delivery
    job has it already."""
    shown = [item_json(i) for i in items]
    result = cast(CursorResult[Any], session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending", OutboxMessage.attempts == 0)
        # nothing left to say (good news cancelled the news it followed): the message is not sent
        .values(items=shown, as_of=as_of, next_attempt_at=due, chart=chart,
                status="pending" if shown else CANCELLED)
        .execution_options(synchronize_session=False)))
    return result.rowcount == 1
