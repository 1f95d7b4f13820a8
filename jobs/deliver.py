"""Delivery of the outbox: one unit of work, callable directly (the daemon runs it every minute).

Each due message is claimed with a conditional UPDATE in its own short transaction, sent, and
its outcome recorded with the attempt in the next one. Messages to one recipient go oldest
first, and a recipient whose message failed for now gets nothing newer in the same run, so
each person's messages arrive in order.

The guarantee (at least once, at most one duplicate per crash):
- an evaluation writes its messages in the transaction that changes the alert states, so a
  message exists exactly when its state change does;
- a message leaves the outbox only when a send succeeded *and* was recorded; a crash after the
  send and before the record leaves it "sending", and it is sent again once its lease
  (``LEASE``) expires — the one duplicate a crash can cause, never a loss; likewise a timeout
  after Slack took the post is retried and posts once more (chat.postMessage has no
  idempotency key);
- 429 / 5xx / timeouts / no connection: the message waits (``Retry-After`` when given, else
  exponential backoff from one minute up to an hour) and is retried by a later run, for as
  long as it takes; a wrong target fails the message for good (shown by ``budget-monitor
  alerts`` and ``health`` until ``alerts resend`` puts it back in the outbox — to the address
  the config now gives that person — or ``alerts dismiss`` sets it aside with a reason); a
  refused token stops the run and keeps every message for when it is fixed;
- a message too long for one post (the notifier's ``fits``, or Slack's msg_too_long) is split
  at item boundaries into parts that fit, in the transaction that records the attempt, and the
  parts go in order in the same run: every item once.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, overload

from alerts.notify import AuthError, DeliveryError, Message, Notifier, PermanentError, Recipient, TooLongError
from alerts.render import split_items
from alerts.routing import unaddressed
from db.alert_store import (
    cache_slack_user,
    cached_slack_user,
    claim,
    failed_messages,
    item_from_json,
    message_status,
    record_attempt,
    resend,
    split_message,
    unsent_messages,
)
from db.engine import SessionFactory, transaction
from db.models import OutboxMessage
from db.outbox_store import move_told

if TYPE_CHECKING:
    from alerts.routing import Directory
    from jobs.execution import ExecutionSettings

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=10)  # longer than any send (Slack timeouts are seconds)
FIRST_BACKOFF = dt.timedelta(minutes=1)
MAX_BACKOFF = dt.timedelta(hours=1)


@dataclass
class DeliveryReport:
    sent: int = 0
    deferred: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    stopped: str | None = None  # why the run stopped early (a refused token)


def backoff(attempts: int, retry_after: float | None) -> dt.timedelta:
    """How long a message waits after its ``attempts``-th failed try: doubling from a minute up
    to an hour, and never less than the provider's Retry-After."""
    wait = min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** max(0, attempts - 1))
    return max(wait, dt.timedelta(seconds=retry_after or 0))


def choose(notifiers: Mapping[str, Notifier], recipient: Recipient) -> Notifier:
    """The notifier for a recipient: the first that serves its kind; the console otherwise (the
    default set-up has no Slack token, and every message still reaches someone)."""
    for notifier in notifiers.values():
        if recipient.kind in notifier.kinds:
            return notifier
    return notifiers["console"]


def chat_on(notifiers: Mapping[str, Notifier]) -> bool:
    """True when a chat platform is configured (a notifier besides the console)."""
    return any(name != "console" for name in notifiers)


class DbEmailCache:
    """users.lookupByEmail answers kept in the database, so an address is looked up once."""

    def __init__(self, factory: SessionFactory, clock: Callable[[], dt.datetime]):
        self.factory, self.clock = factory, clock

    def get(self, email: str) -> str | None:
        with transaction(self.factory) as session:
            return cached_slack_user(session, email)

    def put(self, email: str, user_id: str) -> None:
        with transaction(self.factory) as session:
            cache_slack_user(session, email, user_id, self.clock())


ChartMaker = Callable[[dict, int, dt.date, str, Path], Path | None]  # spec, year, as_of, language, folder


def execution_charts(factory: SessionFactory, execution: ExecutionSettings) -> ChartMaker:
    """Charts from the execution engine: the execution curve of the unit (or of the whole
    database, for a department that is alone in it) at the message's date."""

    def make(spec: dict, year: int, as_of: dt.date, language: str, folder: Path) -> Path | None:
        from jobs.execution import curve
        from jobs.reports.chart import render_chart

        figures = curve(factory, year=year, as_of=as_of, settings=execution, unit_code=spec.get("unit"))
        path = folder / f"chart-{spec.get('unit') or spec.get('department')}-{as_of.isoformat()}.png"
        render_chart(figures, path, language)
        return path

    return make


def notifiers_from_env(factory: SessionFactory, environ: Mapping[str, str], clock: Callable[[], dt.datetime], *,
                       console_stream: TextIO | None = None) -> dict[str, Notifier]:
    """The transports a delivery run uses: Slack when its token is set, and always the console (for
    what no other transport takes). The daemon and the ``evaluate`` command build them here, so a
    new chat platform is registered once. Raises ValueError when a token is set but unreadable."""
    from alerts.console import ConsoleNotifier
    from alerts.slack import slack_notifier_from_env

    slack = slack_notifier_from_env(environ, lookup=DbEmailCache(factory, clock))
    found: dict[str, Notifier] = {"slack": slack} if slack is not None else {}
    return found | {"console": ConsoleNotifier(console_stream)}


def deliver_outbox(factory: SessionFactory, notifiers: Mapping[str, Notifier], *, now: dt.datetime,
                   execution: ExecutionSettings, charts: bool) -> DeliveryReport:
    """One delivery run as the daemon and the CLI make it: checkpoint alerts carry the execution
    chart when ``charts`` ([alerts] charts) is on."""
    return deliver(factory, notifiers, now=now, chart_maker=execution_charts(factory, execution) if charts else None)


def _message(row: OutboxMessage, chart: Path | None) -> Message:
    recipient = Recipient(row.recipient_kind, row.recipient_address, row.recipient_name)
    return Message(row.id, recipient, row.language, row.as_of, row.budget_year,
                   tuple(item_from_json(i) for i in row.items), chart)


def _unsent(factory: SessionFactory) -> list[tuple[int, tuple[str, str], str, dt.datetime, dt.datetime | None]]:
    with transaction(factory) as session:
        return unsent_messages(session)


@overload
def _aware(moment: dt.datetime, zone: dt.tzinfo | None) -> dt.datetime: ...


@overload
def _aware(moment: None, zone: dt.tzinfo | None) -> None: ...


def _aware(moment: dt.datetime | None, zone: dt.tzinfo | None) -> dt.datetime | None:
    """SQLite gives back naive datetimes; they were stored in the daemon's zone."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=zone)


def deliver(factory: SessionFactory, notifiers: Mapping[str, Notifier], *, now: dt.datetime,
            chart_maker: ChartMaker | None = None, after_send: Callable[[int], None] | None = None) -> DeliveryReport:
    """Send what is due at ``now``. ``after_send`` is called between a successful send and its
    record (the tests crash there)."""
    report = DeliveryReport()
    blocked: set[tuple[str, str]] = set()
    with tempfile.TemporaryDirectory(prefix="budget-monitor-charts-") as charts:
        queue = _unsent(factory)
        while queue:
            message_id, target, state, due, claimed = queue.pop(0)
            due, claimed = _aware(due, now.tzinfo), _aware(claimed, now.tzinfo)
            ready = (due <= now) if state == "pending" else (claimed is not None and claimed <= now - LEASE)
            if target in blocked or not ready:
                blocked.add(target)  # an older message of this recipient waits: so do the newer ones
                continue
            with transaction(factory) as session:
                row = claim(session, message_id, now, LEASE)
                if row is None:
                    continue  # another deliverer has it
                attempts, spec = row.attempts, row.chart
                message = _message(row, None)
            notifier = choose(notifiers, message.recipient)
            if notifier.name == "console" and unaddressed(message.recipient) and chat_on(notifiers):
                # not "sent": the person should have had it in chat (alerts/directory_check.py names them)
                _failed(factory, message_id, "console", now, attempts, PermanentError(
                    f"{message.recipient.name} has no slack_user or email in [[people]]", code="no_address"), report)
                blocked.add(target)
                continue
            if chart_maker is not None and spec and notifier.name != "console":  # a file the console cannot show
                chart = chart_maker(spec, message.year, message.as_of, message.language, Path(charts))
                message = replace(message, chart=chart)
            try:
                sent = notifier.send(message)
            except TooLongError as exc:
                parts = _split(factory, message, notifier, now, exc)
                if parts:  # the parts go next, in order, before this person's newer messages
                    queue[0:0] = [(part, target, "pending", now, None) for part in parts]
                    continue
                _failed(factory, message_id, notifier.name, now, attempts, exc, report)
                blocked.add(target)
                continue
            except DeliveryError as exc:
                stop = _failed(factory, message_id, notifier.name, now, attempts, exc, report)
                blocked.add(target)
                if stop:
                    break
                continue
            if after_send is not None:
                after_send(message_id)
            with transaction(factory) as session:
                record_attempt(session, message_id, notifier=notifier.name, now=now, outcome="sent",
                               reference=sent.reference)
            report.sent += 1
    return report


def _split(factory: SessionFactory, message: Message, notifier: Notifier, now: dt.datetime,
           exc: TooLongError) -> list[int]:
    """Cut a message that is too long into parts at item boundaries: those the notifier's
    ``fits`` allows, or halves when it says it fits whole (the provider disagreed); [] for a lone
    item, which fails."""
    if len(message.items) < 2:
        return []
    fits = getattr(notifier, "fits", None)
    parts = split_items(message, fits) if fits is not None else []
    if len(parts) < 2:
        ordered = split_items(message, lambda m: True)[0]
        parts = [ordered[:len(ordered) // 2], ordered[len(ordered) // 2:]]
    with transaction(factory) as session:
        return split_message(session, message.id, parts, notifier=notifier.name, now=now,
                             error=f"{exc.code or type(exc).__name__}: {exc}")


@dataclass(frozen=True)
class Resent:
    message_id: int
    to: str  # the recipient's name or address
    readdressed: bool  # sent to the address the config now gives this person


def resend_failed(factory: SessionFactory, directory: Directory, *, now: dt.datetime,
                  ids: list[int] | None = None) -> tuple[list[Resent], dict[int, str | None]]:
    """`alerts resend`: messages failed for good back in the outbox, due at once, each to the
    address the config now gives its person (matched by name; a channel keeps its address). The
    next delivery run sends them; a message resent twice, or being retried, is sent once. Also
    what each of ``ids`` was when it could not be resent (its status, or None when unknown)."""
    people = {p.name: p.recipient for p in directory.people}
    done: list[Resent] = []
    refused: dict[int, str | None] = {}
    with transaction(factory) as session:
        found = failed_messages(session, ids)
        for row in found:
            old = Recipient(row.recipient_kind, row.recipient_address, row.recipient_name)
            new = people.get(row.recipient_name)
            moved = new is not None and (new.kind, new.address) != (old.kind, old.address)
            if resend(session, row.id, now=now, recipient=new if moved else None):
                if moved and new is not None:
                    move_told(session, old, new)
                done.append(Resent(row.id, row.recipient_name or row.recipient_address, moved))
        for message_id in set(ids or ()) - {r.id for r in found}:
            refused[message_id] = message_status(session, message_id)
    return done, refused


def _failed(factory: SessionFactory, message_id: int, notifier: str, now: dt.datetime, attempts: int,
            exc: DeliveryError, report: DeliveryReport) -> bool:
    """Record a failed attempt; True when the run must stop (the token was refused)."""
    error = f"{exc.code or type(exc).__name__}: {exc}"
    if isinstance(exc, AuthError):
        outcome, retry = "auth", now + backoff(attempts, exc.retry_after)
    elif isinstance(exc, PermanentError):
        outcome, retry = "permanent", None
    else:
        outcome, retry = "transient", now + backoff(attempts, exc.retry_after)
    with transaction(factory) as session:
        record_attempt(session, message_id, notifier=notifier, now=now, outcome=outcome, error=error,
                       next_attempt_at=retry)
    if outcome == "permanent":
        report.failed += 1
        log.error("alert message %s failed for good: %s", message_id, error)
    else:
        report.deferred += 1
    report.errors.append(f"#{message_id}: {error}")
    if outcome == "auth":
        report.stopped = error
        log.error("delivery stopped, the notifier's credentials were refused: %s", error)
        return True
    return False

