"""The notification pipeline after the state machine, stage by stage (Alertmanager's order:
inhibit → silence → group → dedupe/repeat → deliver; inhibit and silence are alerts/catalog.py
and alerts/state.py). Pure: what each person was told before (``Told``) and their outbox
(``Ledger``) come in as arguments; jobs/outbox.py reads and writes them in the evaluation's
transaction.

- **dedupe** (``worth_telling``): an item goes to a person only when it says something new to
  *that person*: a first notice, a higher severity, "back on schedule", a countdown point, or
  figures that moved by ``move_points`` / ``move_amount`` since they last heard of that key. An
  escalation to someone who already heard of the alert is dropped.
- **roll-up** (``collapse_lines``): a person's quota-line items of one rule and unit become one
  item: how many lines, the three with the most money at stake.
- **slot** (``plan_due``): one message per person per working day, at ``slot`` (09:07 Beijing
  time by default: chat platforms throttle on-the-hour sends). What is found later that day, on a
  rest day or at night waits for the next slot and is merged into the message already waiting
  there. At most ``week_cap`` messages a week (the weekly brief counts), ``urgent_reserve`` of
  them kept for ``urgent`` items — a checkpoint missed, a first red — which alone may go out
  between slots, and still never twice on one day nor past the cap.

``slot = None`` turns the slots off: every message is due when found (tests, and an installation
that wants every finding at once).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from alerts.notify import AlertItem, rank

URGENT_RULES = frozenset({"checkpoint_missed", "inbox_refused"})
GOOD_NEWS = ("resolve", "withdraw")  # back on schedule; a verdict withdrawn (later data says it was met)
NOT_NEWS = ("open", "brief")  # the weekly brief's lines: an alert still open, an entity's checkpoint line
LINE_RULES = frozenset({"stalled", "overspent", "no_budget"})  # rolled up per unit for finance staff
POINT_FACTS = ("rate", "projected_rate")  # percent
AMOUNT_FACTS = ("gap", "paid", "remaining", "over")  # yuan


@dataclass(frozen=True)
class DeliveryPolicy:
    """[alerts] slot, week_cap, move_points, move_amount, escalate_from (hysteresis_days is the
    state machine's: alerts/state.Policy)."""

    slot: dt.time | None = dt.time(9, 7)
    week_cap: int = 3
    urgent_reserve: int = 1  # of the week's cap, kept for what cannot wait (a missed checkpoint, a first red)
    move_points: Decimal = Decimal(1)  # a rate moved by at least this many points is news
    move_amount: Decimal = Decimal(50000)  # … an amount by at least this many yuan
    escalate_from: str = "yellow"  # a unit's checkpoint risk reaches the department leader from this severity
    lines_shown: int = 3  # quota lines named in a rolled-up item


DEFAULT_DELIVERY = DeliveryPolicy()


@dataclass(frozen=True)
class Told:
    """What one person last heard of one key: its severity and figures, and when."""

    severity: str
    facts: Mapping[str, str]
    told_on: dt.date


@dataclass(frozen=True)
class Ledger:
    """A person's outbox: the days a message went (or is due) to them, and the message still
    waiting for its slot, if any (its id and due time)."""

    days: frozenset[dt.date] = frozenset()
    waiting: tuple[int, dt.datetime] | None = None


def _number(value: str | None) -> Decimal | None:
    try:
        return Decimal(value) if value not in (None, "") else None
    except (InvalidOperation, TypeError):
        return None


def moved(before: Mapping[str, str], after: Mapping[str, str], policy: DeliveryPolicy = DEFAULT_DELIVERY) -> bool:
    """True when a figure people act on moved enough to be news: a rate by ``move_points``, an
    amount by ``move_amount``, or a fact that appeared or went away."""
    for name in (*POINT_FACTS, *AMOUNT_FACTS, "countdown", "count", "state"):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        a, b = _number(old), _number(new)
        if a is None or b is None or name in ("countdown", "count", "state"):
            return True
        limit = policy.move_points if name in POINT_FACTS else policy.move_amount
        if abs(b - a) >= limit:
            return True
    return False


def worth_telling(item: AlertItem, last: Told | None, policy: DeliveryPolicy = DEFAULT_DELIVERY) -> bool:
    """The dedupe stage for one person: does this item tell them something they do not know?"""
    if last is None:
        return item.event not in GOOD_NEWS  # good news about something they never heard of is noise
    if item.event in (*GOOD_NEWS, "correct"):  # a verdict corrected is news, however small the change
        return True
    if rank(item.severity) > rank(last.severity):
        return True
    return moved(last.facts, item.facts, policy)


def as_told_to(item: AlertItem, last: Told | None) -> AlertItem:
    """The item as this person reads it: what they never heard (an escalation reaching them, a
    first message lost to a failed address) is a first to them, not "risen", "again" or "corrected"."""
    if last is not None or item.event not in ("upgrade", "repeat", "correct"):
        return item
    facts = {k: v for k, v in item.facts.items() if not k.startswith("was_")}
    return AlertItem(item.key, item.rule, "fire", item.severity, item.level, item.code, item.name, item.period, facts)


PRESSING_RULES = frozenset({"behind_checkpoint"})  # a checkpoint at risk: its rises and countdowns


def pressing(item: AlertItem, last: Told | None) -> bool:
    """What may take the week's reserved room, though it waits for the slot: a checkpoint risk
    first told or risen (yellow 30 days before, orange 15) and its countdowns."""
    if item.rule not in PRESSING_RULES or item.event in GOOD_NEWS or item.facts.get("first_run"):
        return False
    return item.event == "repeat" or last is None or rank(item.severity) > rank(last.severity)


def urgent(item: AlertItem, last: Told | None) -> bool:
    """What cannot wait for the next slot: a missed checkpoint (or its correction), a refused
    export, a first red (a first run's state too: a new installation shows what it found at once,
    and the message says itself that it is not news). A line of the weekly brief never is: it
    reminds of what was told."""
    if item.event in GOOD_NEWS or item.event in NOT_NEWS:
        return False
    if item.rule in URGENT_RULES:
        return True
    return item.severity == "red" and (last is None or last.severity != "red")


def red_news(items: Iterable[AlertItem]) -> bool:
    """A red item that is news (not a line of the brief): with ``slot = false`` it goes at once."""
    return any(i.severity == "red" and i.event not in NOT_NEWS for i in items)


def collapse_lines(items: Sequence[AlertItem], policy: DeliveryPolicy = DEFAULT_DELIVERY) -> list[AlertItem]:
    """Quota-line items of one rule, event and unit, more than one: one item with the count and
    the ``lines_shown`` with the most money at stake (facts ``count``, ``lines``, ``amount``)."""
    groups: dict[tuple[str, str, str], list[AlertItem]] = {}
    for item in items:
        if item.level == "quota_line" and item.rule in LINE_RULES:
            unit = item.facts.get("unit_code", "")
            groups.setdefault((item.rule, item.event, unit), []).append(item)
    out: list[AlertItem] = []
    done: set[tuple[str, str, str]] = set()
    for item in items:
        group_key = (item.rule, item.event, item.facts.get("unit_code", ""))
        lines = groups.get(group_key) if item.level == "quota_line" else None
        if not lines or len(lines) == 1:
            out.append(item)
            continue
        if group_key in done:
            continue
        done.add(group_key)
        out.append(_rolled_up(lines, policy))
    return out


def at_stake(facts: Mapping[str, str]) -> Decimal:
    """The money a line's alert is about: what is left unpaid, over, or paid without a budget."""
    for name in ("remaining", "over", "paid"):
        value = _number(facts.get(name))
        if value is not None:
            return value
    return Decimal(0)


def _rolled_up(lines: list[AlertItem], policy: DeliveryPolicy) -> AlertItem:
    ranked = sorted(lines, key=lambda i: (-at_stake(i.facts), i.code))
    first = ranked[0]
    shown = "；".join(f"{i.name}|{at_stake(i.facts):.2f}" for i in ranked[:policy.lines_shown])
    worst = max(lines, key=lambda i: rank(i.severity)).severity
    unit = first.facts.get("unit_code", "")
    facts = {"count": str(len(lines)), "lines": shown, "amount": f"{sum(at_stake(i.facts) for i in lines):.2f}",
             "unit_code": unit, "unit_name": first.facts.get("unit_name", "")}
    return AlertItem(f"{first.rule}:lines:{unit}:{first.period}", first.rule, first.event, worst, "lines", unit,
                     first.facts.get("unit_name", "") or unit, first.period, facts)


def slot_on(day: dt.date, policy: DeliveryPolicy, zone: dt.tzinfo | None) -> dt.datetime:
    assert policy.slot is not None
    return dt.datetime.combine(day, policy.slot, tzinfo=zone)


def next_slot(moment: dt.datetime, policy: DeliveryPolicy, is_working_day: Callable[[dt.date], bool],
              *, after: dt.date | None = None) -> dt.datetime:
    """The first slot at or after ``moment`` on a working day (and after the day ``after``)."""
    day = moment.date()
    for _ in range(60):  # the longest Chinese holiday is 8 days; 60 bounds a bad calendar
        candidate = slot_on(day, policy, moment.tzinfo)
        if is_working_day(day) and candidate >= moment and (after is None or day > after):
            return candidate
        day += dt.timedelta(days=1)
    return slot_on(day, policy, moment.tzinfo)


def week_of(day: dt.date) -> tuple[int, int]:
    year, week, _ = day.isocalendar()
    return year, week


def plan_due(now: dt.datetime, is_urgent: bool, ledger: Ledger, policy: DeliveryPolicy,
             is_working_day: Callable[[dt.date], bool], open_now: bool,
             is_pressing: bool = False) -> tuple[dt.datetime, int | None]:
    """When a person's new items go out, and the waiting message to merge them into (or None for a
    new message). ``open_now``: an urgent item may go at this moment (not quiet hours).
    ``is_pressing``: it waits for the slot but may use the room kept for the urgent."""
    if policy.slot is None:
        return now, None
    waiting_day = ledger.waiting[1].date() if ledger.waiting is not None else None
    others = Ledger(ledger.days - {waiting_day} if waiting_day is not None else ledger.days)
    at_once = (is_urgent and open_now and now.date() not in others.days
               and _room(others, now.date(), policy.week_cap))
    if ledger.waiting is not None:
        message_id, due = ledger.waiting
        return (min(due, now) if at_once else due), message_id  # at once: the waiting message goes with it
    if at_once:
        return now, None
    due = next_slot(now, policy, is_working_day)
    if due.date() in ledger.days:
        due = next_slot(due, policy, is_working_day, after=due.date())
    limit = policy.week_cap if is_urgent or is_pressing else max(1, policy.week_cap - policy.urgent_reserve)
    for _ in range(60):
        if _room(ledger, due.date(), limit) and due.date() not in ledger.days:
            break
        if not _room(ledger, due.date(), limit):  # the week is full: the first slot of the next one
            monday = due.date() - dt.timedelta(days=due.date().weekday()) + dt.timedelta(days=7)
            due = next_slot(dt.datetime.combine(monday, dt.time(0), tzinfo=now.tzinfo), policy, is_working_day)
        else:
            due = next_slot(due, policy, is_working_day, after=due.date())
    return due, None


def _room(ledger: Ledger, day: dt.date, limit: int) -> bool:
    return sum(1 for d in ledger.days if week_of(d) == week_of(day)) < limit


def merge_items(waiting: Iterable[AlertItem], new: Iterable[AlertItem]) -> list[AlertItem]:
    """A waiting message's items with the new ones: a newer item of a key replaces the older; good
    news about something still waiting unsaid cancels both."""
    merged: dict[str, AlertItem] = {item.key: item for item in waiting}
    for item in new:
        older = merged.get(item.key)
        if older is not None and item.event in GOOD_NEWS and older.event not in GOOD_NEWS:
            del merged[item.key]
            continue
        if older is not None and older.event in ("fire", "upgrade") and item.event not in GOOD_NEWS:
            # still unsaid: it is told once, with the newest figures (a correction of it corrects nothing)
            # (a first told at its newest severity stays a first, not "risen"; a first run's stays marked)
            facts = {k: v for k, v in item.facts.items() if not k.startswith("was_")}
            if "first_run" in older.facts:
                facts["first_run"] = older.facts["first_run"]
            item = AlertItem(item.key, item.rule, older.event, item.severity, item.level, item.code, item.name,
                             item.period, facts)
        merged[item.key] = item
    return list(merged.values())
