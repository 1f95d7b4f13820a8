"""Storage of alert state, silences, evaluations and the outbox; the reads the alert rules need.

The outbox protocol (jobs/deliver.py): a message is claimed with a conditional UPDATE —
pending and due, or sending with an expired lease (its sender died) — so two deliverers never
both own it; the outcome is recorded in the next transaction with the attempt.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import CursorResult, and_, delete, func, insert, or_, select, text, update
from sqlalchemy.orm import Session

from alerts.notify import AlertItem, Recipient
from alerts.state import State, silenced_by
from db.models import AlertState, DeliveryAttempt, Evaluation, OutboxMessage, Payment, Silence, SlackUser

STATE_FIELDS = ("key", "rule", "level", "code", "name", "period", "severity", "status", "fired_on", "last_seen_on",
                "first_notified_on", "last_notified_on", "notify_count", "escalated", "resolved_on", "ack_until",
                "ack_reason", "facts", "routing")


UNSENT = ("pending", "sending")  # outbox statuses of a message not yet delivered
FAILED = "failed"  # a permanent error: waits for `alerts resend` (back to pending) or `alerts dismiss`
DISMISSED = "dismissed"  # a failure a person set aside, with a reason (a "dismissed" attempt row)

EVALUATION_LOCK = 0x626D_616C  # "bmal": the advisory lock key of the alert evaluation on PostgreSQL


def lock_evaluations(session: Session) -> None:
    """Serialise evaluations: the second waits for the first to commit, then reads its states, so
    two evaluations (a daemon and a command, or two daemons) never both tell the same news.
    PostgreSQL: a transaction-scoped advisory lock; SQLite: take the write lock at once (a write
    that changes nothing), waiting up to the busy timeout."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVALUATION_LOCK})
    elif dialect == "sqlite":
        session.execute(text("UPDATE evaluations SET id = id WHERE 0"))


def load_states(session: Session, year: int) -> dict[str, State]:
    """Every alert state of a year (plain rows, not ORM objects: a province has tens of thousands)."""
    columns = [getattr(AlertState, name) for name in STATE_FIELDS]
    return {row.key: State(**row._mapping) for row in session.execute(
        select(*columns).where(AlertState.budget_year == year))}


def save_states(session: Session, year: int, states: Iterable[State], now: dt.datetime) -> None:
    """Insert new states and update changed ones, in bulk (one statement each, executemany)."""
    ids = dict(session.execute(select(AlertState.key, AlertState.id).where(AlertState.budget_year == year)).all())
    new, changed = [], []
    for state in states:
        values = {name: getattr(state, name) for name in STATE_FIELDS}
        values |= {"facts": dict(state.facts), "routing": dict(state.routing), "updated_at": now}
        if state.key in ids:
            changed.append({"id": ids[state.key], **values})
        else:
            new.append({"budget_year": year, **values})
    if new:
        session.execute(insert(AlertState), new)
    if changed:
        session.execute(update(AlertState), changed)  # bulk UPDATE by primary key


def silenced_keys(session: Session, keys: Iterable[str], as_of: dt.date) -> dict[str, str]:
    """The keys a silence in force on ``as_of`` (the evaluation's date; ``until`` inclusive)
    matches, and how (alerts.state.NAMED or WILDCARD)."""
    patterns = list(session.scalars(select(Silence.pattern).where(Silence.until >= as_of)))
    found = {key: silenced_by(key, patterns) for key in keys}
    return {key: how for key, how in found.items() if how is not None}


def end_silences(session: Session, pattern: str) -> int:
    """`alerts unsilence`: remove every silence with exactly this pattern; how many there were."""
    result = cast(CursorResult[Any], session.execute(
        delete(Silence).where(Silence.pattern == pattern).execution_options(synchronize_session=False)))
    return result.rowcount


def last_evaluation_date(session: Session) -> dt.date | None:
    """The date the latest evaluation judged (its ``as_of``): what an ack or a silence is set against."""
    return session.scalar(select(Evaluation.as_of).order_by(Evaluation.id.desc()).limit(1))


def add_silence(session: Session, pattern: str, until: dt.date, reason: str, now: dt.datetime) -> Silence:
    silence = Silence(pattern=pattern, until=until, reason=reason, created_at=now)
    session.add(silence)
    session.flush()
    return silence


def acknowledge(session: Session, key: str, until: dt.date, reason: str) -> AlertState | None:
    """Acknowledge one alert. Takes the evaluations' lock first: an evaluation writes back every
    state it stepped, so on PostgreSQL an ack committed between its read and its write would be
    written over (SQLite's single writer serialised them already)."""
    lock_evaluations(session)
    row = session.scalar(select(AlertState).where(AlertState.key == key))
    if row is not None:
        row.ack_until, row.ack_reason = until, reason
    return row


def has_alert_history(session: Session) -> bool:
    """Whether any alert (of any year) was ever recorded on this database. Evaluations of an
    empty database (a daemon started before its first import) leave none, and do not count."""
    return session.scalar(select(AlertState.id).limit(1)) is not None


def add_evaluation(session: Session, as_of: dt.date, now: dt.datetime, detail: dict) -> Evaluation:
    evaluation = Evaluation(as_of=as_of, ran_at=now, detail=detail)
    session.add(evaluation)
    session.flush()
    return evaluation


def set_evaluation_detail(session: Session, evaluation_id: int, detail: dict) -> None:
    evaluation = session.get(Evaluation, evaluation_id)
    if evaluation is not None:
        evaluation.detail = detail


def item_json(item: AlertItem) -> dict:
    return {"key": item.key, "rule": item.rule, "event": item.event, "severity": item.severity, "level": item.level,
            "code": item.code, "name": item.name, "period": item.period, "facts": dict(item.facts)}


def item_from_json(data: dict) -> AlertItem:
    return AlertItem(**data)


def add_message(session: Session, *, evaluation_id: int, recipient: Recipient, language: str, year: int,
                as_of: dt.date, items: Iterable[AlertItem], chart: dict | None, due: dt.datetime,
                now: dt.datetime) -> OutboxMessage:
    message = OutboxMessage(evaluation_id=evaluation_id, recipient_kind=recipient.kind,
                            recipient_address=recipient.address, recipient_name=recipient.name, language=language,
                            budget_year=year, as_of=as_of, items=[item_json(i) for i in items], chart=chart,
                            status="pending", next_attempt_at=due, attempts=0, created_at=now)
    session.add(message)
    return message


# --- delivery ------------------------------------------------------------------------------------


def unsent_messages(session: Session) -> list[tuple[int, tuple[str, str], str, dt.datetime, dt.datetime | None]]:
    """(id, (recipient kind, address), status, next attempt, claimed at) of every message not yet
    sent or failed, oldest first: each person's messages go in this order."""
    query = (select(OutboxMessage.id, OutboxMessage.recipient_kind, OutboxMessage.recipient_address,
                    OutboxMessage.status, OutboxMessage.next_attempt_at, OutboxMessage.claimed_at)
             .where(OutboxMessage.status.in_(("pending", "sending")))
             .order_by(OutboxMessage.id))
    return [(i, (kind, address), status, due, claimed) for i, kind, address, status, due, claimed
            in session.execute(query)]


def claim(session: Session, message_id: int, now: dt.datetime, lease: dt.timedelta) -> OutboxMessage | None:
    """pending (due) → sending, or a stale sending → sending again; None if someone else has it."""
    result = cast(CursorResult[Any], session.execute(  # an UPDATE: Session.execute is typed for SELECTs
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id,
               or_(and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
                   and_(OutboxMessage.status == "sending", OutboxMessage.claimed_at <= now - lease)))
        .values(status="sending", claimed_at=now, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)))
    if result.rowcount != 1:
        return None
    return session.get(OutboxMessage, message_id, populate_existing=True)


def record_attempt(session: Session, message_id: int, *, notifier: str, now: dt.datetime, outcome: str,
                   error: str | None = None, reference: str | None = None,
                   next_attempt_at: dt.datetime | None = None) -> None:
    """Record one attempt and its effect: sent, back to pending (transient) or failed."""
    session.add(DeliveryAttempt(outbox_id=message_id, notifier=notifier, attempted_at=now, outcome=outcome,
                                error=error, reference=reference))
    message = session.get(OutboxMessage, message_id)
    if message is None:  # claimed in an earlier transaction: outbox messages are never deleted
        raise LookupError(f"outbox message {message_id} not found")
    message.last_error = error
    if outcome == "sent":
        message.status, message.sent_at = "sent", now
    elif outcome in ("transient", "auth"):  # auth: the token, not the message, is wrong
        if next_attempt_at is None:  # a pending message must have a due time (the column is NOT NULL)
            raise ValueError(f"outbox message {message_id}: a {outcome} failure needs next_attempt_at")
        message.status, message.next_attempt_at, message.claimed_at = "pending", next_attempt_at, None
    else:
        message.status = FAILED


def split_message(session: Session, message_id: int, parts: list[tuple[AlertItem, ...]], *, notifier: str,
                  now: dt.datetime, error: str) -> list[int]:
    """A message too long for one post, in parts: the first stays on its row, due again at once,
    the others are new rows after it; one transaction, so every item goes exactly once. The ids,
    in order."""
    row = session.get(OutboxMessage, message_id)
    if row is None:
        raise LookupError(f"outbox message {message_id} not found")
    session.add(DeliveryAttempt(outbox_id=message_id, notifier=notifier, attempted_at=now, outcome="split",
                                error=f"{error} (split in {len(parts)})"))
    first, *rest = parts
    row.items, row.status, row.next_attempt_at, row.claimed_at = [item_json(i) for i in first], "pending", now, None
    added = [OutboxMessage(evaluation_id=row.evaluation_id, recipient_kind=row.recipient_kind,
                           recipient_address=row.recipient_address, recipient_name=row.recipient_name,
                           language=row.language, budget_year=row.budget_year, as_of=row.as_of,
                           items=[item_json(i) for i in part], chart=None, status="pending", next_attempt_at=now,
                           attempts=0, created_at=now) for part in rest]
    session.add_all(added)
    session.flush()
    return [message_id, *(m.id for m in added)]


def failed_messages(session: Session, ids: Iterable[int] | None = None) -> list[OutboxMessage]:
    """Messages failed for good and neither resent nor dismissed (all, or those of ``ids``)."""
    query = select(OutboxMessage).where(OutboxMessage.status == FAILED).order_by(OutboxMessage.id)
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(list(ids)))
    return list(session.scalars(query))


def message_status(session: Session, message_id: int) -> str | None:
    return session.scalar(select(OutboxMessage.status).where(OutboxMessage.id == message_id))


def resend(session: Session, message_id: int, *, now: dt.datetime, recipient: Recipient | None = None) -> bool:
    """A failed message back in the outbox (to ``recipient`` when its address changed), due at
    once: its due time, long past, is kept (the day it was meant for, which the slot stage
    counts). A conditional UPDATE (still failed), so resending twice, or a message that is being
    retried, never makes a second copy. False when it was not failed."""
    values: dict[str, Any] = {"status": "pending", "claimed_at": None}
    if recipient is not None:
        values |= {"recipient_kind": recipient.kind, "recipient_address": recipient.address,
                   "recipient_name": recipient.name}
    result = cast(CursorResult[Any], session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.status == FAILED)
        .values(**values).execution_options(synchronize_session=False)))
    if result.rowcount != 1:
        return False
    to = f" to {recipient.kind}:{recipient.address}" if recipient is not None else ""
    session.add(DeliveryAttempt(outbox_id=message_id, notifier="cli", attempted_at=now, outcome="resent",
                                error=f"resent{to}"))
    return True


def dismiss(session: Session, message_id: int, *, reason: str, now: dt.datetime) -> bool:
    """Set a failed message aside for good, with the reason (kept as a "dismissed" attempt);
    False when it was not failed."""
    result = cast(CursorResult[Any], session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.status == FAILED)
        .values(status=DISMISSED).execution_options(synchronize_session=False)))
    if result.rowcount != 1:
        return False
    session.add(DeliveryAttempt(outbox_id=message_id, notifier="cli", attempted_at=now, outcome="dismissed",
                                error=reason))
    return True


# --- e-mail → Slack user cache --------------------------------------------------------------------


def cached_slack_user(session: Session, email: str) -> str | None:
    return session.scalar(select(SlackUser.user_id).where(SlackUser.email == email.lower()))


def cache_slack_user(session: Session, email: str, user_id: str, now: dt.datetime) -> None:
    if cached_slack_user(session, email) is None:
        session.add(SlackUser(email=email.lower(), user_id=user_id, looked_up_at=now))


# --- what the rules read ------------------------------------------------------------------------


def last_payment_by_line(session: Session, year: int, as_of: dt.date) -> dict[str, dt.date]:
    """The date of the latest payment (a positive paid row) of each quota line up to as_of."""
    query = (select(Payment.quota_no, func.max(Payment.pay_date))
             .where(Payment.budget_year == year, Payment.pay_date <= as_of, Payment.status == "paid",
                    Payment.amount > 0, Payment.quota_no.is_not(None))
             .group_by(Payment.quota_no))
    return {quota_no: day for quota_no, day in session.execute(query) if quota_no is not None}


def alert_listing(session: Session, *, show_all: bool, today: dt.date) -> tuple[list[dict], list[dict], list[dict]]:
    """What `budget-monitor alerts` shows: the alert states (firing only unless ``show_all``), every
    message waiting or failed with its last error, and the silences still in force on ``today``."""
    query = select(AlertState).order_by(AlertState.status, AlertState.key)
    if not show_all:
        query = query.where(AlertState.status == "firing")
    states = [_state_json(s) for s in session.scalars(query)]
    unsent = [_failure_json(m, session) for m in session.scalars(
        select(OutboxMessage).where(OutboxMessage.status.in_((*UNSENT, FAILED)))
        .order_by(OutboxMessage.id))]
    silences = [{"id": x.id, "pattern": x.pattern, "until": x.until.isoformat(), "reason": x.reason}
                for x in session.scalars(select(Silence).where(Silence.until >= today)
                                         .order_by(Silence.id))]
    return states, unsent, silences


def _state_json(state: AlertState) -> dict:
    return {"key": state.key, "rule": state.rule, "severity": state.severity, "status": state.status,
            "name": state.name, "fired_on": state.fired_on.isoformat(),
            "last_notified_on": state.last_notified_on.isoformat() if state.last_notified_on else None,
            "notify_count": state.notify_count, "escalated": state.escalated,
            "ack_until": state.ack_until.isoformat() if state.ack_until else None, "ack_reason": state.ack_reason,
            "facts": state.facts}


def _failure_json(message: OutboxMessage, session: Session) -> dict:
    attempts = session.scalar(select(DeliveryAttempt.id).where(DeliveryAttempt.outbox_id == message.id)
                              .order_by(DeliveryAttempt.id.desc()).limit(1))
    return {"id": message.id, "to": message.recipient_name or message.recipient_address, "status": message.status,
            "attempts": message.attempts, "error": message.last_error,
            "next_attempt_at": message.next_attempt_at.isoformat() if message.status == "pending" else None,
            "last_attempt_id": attempts}


def count_unsent(session: Session) -> int:
    """Messages still waiting in the outbox (pending, or claimed by a sender)."""
    return session.scalar(select(func.count()).where(OutboxMessage.status.in_(UNSENT))) or 0


def delivery_trouble(session: Session, *, attempts: int) -> tuple[int, int]:
    """What `health` reports: messages failed for good and neither resent nor dismissed (however
    old: a failure stays until a person deals with it), and messages still unsent after
    ``attempts`` tries (stuck)."""
    failed = session.scalar(select(func.count()).where(OutboxMessage.status == FAILED)) or 0
    stuck = session.scalar(select(func.count()).where(OutboxMessage.status.in_(UNSENT),
                                                      OutboxMessage.attempts >= attempts)) or 0
    return failed, stuck


def matching_keys(session: Session, pattern: str) -> list[str]:
    """The alert keys a silence pattern (shell-style) matches."""
    return [key for key in session.scalars(select(AlertState.key)) if fnmatch.fnmatchcase(key, pattern)]
