"""The state machine of one alert key: firing → repeat → escalated → resolved (or closed).

``step(state, finding, ...)`` takes what was stored for a key and what this evaluation found
for it, and returns the new state and the events to tell people. Pure: the date and the
policy come in as arguments; jobs/evaluate.py stores the states and the events' messages in
one transaction.

- A finding with no firing state fires (told at once unless silenced or muted).
- While it keeps firing: a higher severity is told at once (upgrade); a project or quota-line
  alert still firing ``escalate_after_days`` after people were first told goes to the unit leader;
  otherwise it is quiet — people find it in their weekly brief — unless ``interval_reminders`` is
  on: then it is repeated every ``repeat_days[severity]`` days (``rule_repeat_days`` for a rule
  whose red is a lost score: adjustment_rate); never twice on one day. A countdown day
  (``remind``) tells it again.
- Back within ``hysteresis_days`` of a resolve people were told, and no worse: it fires silently,
  and resolves silently again (a flapping projection is not news either way). A rule that does not recover
  (checkpoint_missed: the score is lost) is told once and not repeated; it is escalated at once.
- Acknowledged (``ack_until``) or silenced: nothing is told until the date passes — except an
  upgrade to red, which is always told. A silence whose pattern does not name the rule (its
  first part has a wildcard: ``*``, ``*:unit:158001:*``) holds neither a checkpoint verdict
  (VERDICT_RULES: told once, so muting it loses it for good) nor a first red (``silenced_by``).
- Muted (stale data, for the pacing rules): nothing is told and nothing resolves, since the
  figures cannot be trusted either way.
- No finding any more: "back on schedule" (resolve) if people were told it was wrong and the
  rule recovers; otherwise it closes silently. A behind_checkpoint alert whose checkpoint then
  fails closes silently too: checkpoint_missed says it instead.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation

from alerts.catalog import RECOVERING_RULES
from alerts.findings import Finding
from alerts.notify import AlertItem, rank

FIRING, RESOLVED, CLOSED = "firing", "resolved", "closed"
# Rules whose finding is a verdict on data (a checkpoint's): told once, and told again only as a
# correction when later data or a budget change alters it (alerts/rules.verdicts).
VERDICT_RULES = frozenset({"checkpoint_missed", "year_end"})
VERDICT_FACTS = ("rate", "paid", "budget", "provisional")  # what a correction shows of the verdict told before
MET = "met"  # facts["verdict"] of a checkpoint reached: kept as a closed state, to say what changed if it turns
ESCALATING_LEVELS = ("project", "quota_line", "target")
NAMED, WILDCARD = "named", "wildcard"  # how a silence matches a key: its pattern names the rule, or not


def silenced_by(key: str, patterns: Iterable[str]) -> str | None:
    """How the silences (shell-style patterns) match ``key``: NAMED when a matching pattern names
    its rule (the part before the first ":" has no wildcard), WILDCARD when only others match."""
    rule = key.split(":", 1)[0]
    found = None
    for pattern in patterns:
        if fnmatch.fnmatchcase(key, pattern):
            head = pattern.split(":", 1)[0]
            if head == rule:
                return NAMED
            found = WILDCARD
    return found


def holds(how: str | None, rule: str) -> bool:
    """Whether a silence matching so mutes the rule at all: a wildcard never mutes a verdict."""
    return how == NAMED or (how == WILDCARD and rule not in VERDICT_RULES)


@dataclass(frozen=True)
class Policy:
    repeat_days: Mapping[str, int] = field(default_factory=lambda: {"blue": 14, "yellow": 7, "orange": 3, "red": 1})
    escalate_after_days: int = 14
    # A rule (or "rule.severity") whose red means a lost score, not a fire to put out today:
    # reminded monthly — a crossed cost cap or a passed window cannot be undone by tomorrow.
    rule_repeat_days: Mapping[str, int] = field(default_factory=lambda: {
        "adjustment_rate": 30, "target_cap.red": 30, "target_window.red": 30, "target_silent": 14})

    # Off by default: open alerts are folded into each person's weekly brief instead of reminded
    # one by one (jobs/digest.py); a countdown before a checkpoint still reminds (``remind``).
    interval_reminders: bool = False
    # An alert that comes back within this many days of resolving is not news unless worse: it
    # fires silently (a line in the brief) and its next resolve is silent too.
    hysteresis_days: int = 21
    # A told checkpoint verdict is corrected (told again) when later data or a budget change moves
    # its rate by this many points, or turns it.
    correct_points: Decimal = Decimal(1)

    def repeat_after(self, rule: str, severity: str) -> int:
        days = self.rule_repeat_days
        return days.get(f"{rule}.{severity}", days.get(rule, self.repeat_days.get(severity, 7)))


@dataclass(frozen=True)
class State:
    key: str
    rule: str
    level: str
    code: str
    name: str
    period: str
    severity: str
    status: str  # firing | resolved | closed
    fired_on: dt.date
    last_seen_on: dt.date
    first_notified_on: dt.date | None = None
    last_notified_on: dt.date | None = None
    notify_count: int = 0
    escalated: bool = False
    resolved_on: dt.date | None = None
    ack_until: dt.date | None = None
    ack_reason: str | None = None
    facts: Mapping[str, str] = field(default_factory=dict)
    routing: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Event:
    item: AlertItem
    routing: Mapping[str, str]
    escalated: bool  # also to the leader one level up


def item_of(state: State, event: str) -> AlertItem:
    """A state as one item of a message (``event``: fire, repeat, …, or "open" in the weekly brief)."""
    return AlertItem(state.key, state.rule, event, state.severity, state.level, state.code, state.name,
                     state.period, dict(state.facts))


def _told(state: State, event: str, as_of: dt.date,
          was: Mapping[str, str] | None = None) -> tuple[State, list[Event]]:
    """``was``: the figures people were told before (or a met verdict's), shown beside the new
    ones as facts ``was_rate``, ``was_budget``, … (the state keeps only the new ones)."""
    told = replace(state, first_notified_on=state.first_notified_on or as_of, last_notified_on=as_of,
                   notify_count=state.notify_count + 1)
    item = item_of(told, event)
    if was is not None:
        item = _with_was(item, was)
    return told, [Event(item, told.routing, told.escalated)]


def _with_was(item: AlertItem, was: Mapping[str, str]) -> AlertItem:
    return replace(item, facts={**item.facts, **{f"was_{k}": v for k, v in was.items()
                                                 if k in (*VERDICT_FACTS, "data_as_of", "verdict")}})


def recorded(state: State | None, key: str, facts: Mapping[str, str], routing: Mapping[str, str], name: str,
             as_of: dt.date) -> State | None:
    """A checkpoint reached, kept as a closed state (facts ``verdict`` = met) so that a later turn
    to missed can say what changed; None when the state already says so (nothing to write). A
    firing verdict is ``step``'s business (its withdrawal)."""
    if state is not None and (state.status == FIRING or dict(state.facts) == {**facts, "verdict": MET}):
        return None
    rule, level, code, period = key.split(":", 3)
    base = state or State(key, rule, level, code, name, period, "red", CLOSED, as_of, as_of)
    return replace(base, status=CLOSED, name=name, last_seen_on=as_of, resolved_on=base.resolved_on or as_of,
                   facts={**facts, "verdict": MET}, routing=dict(routing))


def step(state: State | None, finding: Finding | None, *, as_of: dt.date, policy: Policy,
         silenced: bool = False, muted: bool = False,
         superseded: bool = False, current: Mapping[str, str] | None = None,
         remind: bool = False, loosely: bool = False) -> tuple[State | None, list[Event]]:
    """One key's transition. ``muted``: stale data, for a pacing rule. ``superseded``: a
    checkpoint_missed finding now speaks for this behind_checkpoint alert. ``current``: the
    entity's figures today, which a "back on schedule" notice shows. ``remind``: a checkpoint
    countdown day: a firing alert not told today is told again, whatever its interval.
    ``loosely``: the silence is a wildcard one, which lets a first red through."""
    if finding is None:
        return _gone(state, as_of, silenced, muted, superseded, current)
    if state is None or state.status != FIRING:
        new = State(finding.key, finding.rule, finding.level, finding.code, finding.name, finding.period,
                    finding.severity, FIRING, as_of, as_of, facts=dict(finding.facts), routing=dict(finding.routing),
                    escalated=finding.rule not in RECOVERING_RULES)
        if _flapping(state, finding, as_of, policy):
            assert state is not None  # _flapping needs a resolved state
            return replace(new, first_notified_on=state.first_notified_on, last_notified_on=state.last_notified_on,
                           notify_count=state.notify_count), []
        if muted or (silenced and not (loosely and finding.severity == "red")):
            return new, []
        if state is not None and state.facts.get("verdict") == MET:  # met once: say what turned it
            return _told(new, "fire", as_of, was=state.facts)
        return _told(new, "fire", as_of)
    previous = state
    state = replace(state, name=finding.name, severity=finding.severity, last_seen_on=as_of,
                    facts=dict(finding.facts), routing=dict(finding.routing))
    acked = state.ack_until is not None and as_of < state.ack_until
    upgraded = rank(state.severity) > rank(previous.severity)
    if upgraded and state.severity == "red" and not muted:
        return _told(state, "upgrade", as_of)
    if state.rule in VERDICT_RULES and previous.last_notified_on is not None:
        if not (silenced or muted) and _verdict_moved(previous.facts, state.facts, policy):
            return _told(state, "correct", as_of, was=previous.facts)  # later data or a budget change altered it
        state = replace(state, facts=previous.facts)  # keep what people were told: the next change is against it
    if silenced or muted or acked:
        return state, []
    if previous.last_notified_on is None:
        return _told(state, "fire", as_of)
    if previous.last_notified_on >= as_of:
        return state, []  # told today already: the same day twice tells nothing new
    if upgraded:
        return _told(state, "upgrade", as_of)
    if remind:
        return _told(state, "repeat", as_of)
    if state.rule not in RECOVERING_RULES:
        return state, []  # told once: a lost score is not news the next day
    if (not state.escalated and state.level in ESCALATING_LEVELS
            and (as_of - _first_told(state)).days >= policy.escalate_after_days):
        return _told(replace(state, escalated=True), "escalate", as_of)
    if (policy.interval_reminders
            and (as_of - previous.last_notified_on).days >= policy.repeat_after(state.rule, state.severity)):
        return _told(state, "repeat", as_of)
    return state, []


def _verdict_moved(told: Mapping[str, str], now: Mapping[str, str], policy: Policy) -> bool:
    """A told verdict turned (met ↔ missed) or its rate moved by ``correct_points`` or more."""
    if told.get("verdict") != now.get("verdict"):
        return True
    try:
        return abs(Decimal(now["rate"]) - Decimal(told["rate"])) >= policy.correct_points
    except (KeyError, InvalidOperation):
        return told.get("rate") != now.get("rate")


def _flapping(state: State | None, finding: Finding, as_of: dt.date, policy: Policy) -> bool:
    """Back within ``hysteresis_days`` of a resolve people were told, and no worse than then."""
    return (state is not None and state.status == RESOLVED and state.resolved_on is not None
            and state.last_notified_on is not None and (as_of - state.resolved_on).days < policy.hysteresis_days
            and rank(finding.severity) <= rank(state.severity))


def _first_told(state: State) -> dt.date:
    """When people were first told; set by ``_told`` with last_notified_on (and filled for the
    rows stored before it by migration 0004)."""
    if state.first_notified_on is None:
        raise ValueError(f"alert {state.key} was told but has no first_notified_on")
    return state.first_notified_on


def _gone(state: State | None, as_of: dt.date, silenced: bool, muted: bool, superseded: bool,
          current: Mapping[str, str] | None) -> tuple[State | None, list[Event]]:
    if state is None or state.status != FIRING or muted:
        return state, []
    if state.rule in VERDICT_RULES and current is not None and current.get("verdict") == MET:
        # later data or a budget change turned a told "missed" into "met": say so, once
        closed = replace(state, status=CLOSED, resolved_on=as_of, facts=dict(current))
        if state.last_notified_on is None or silenced:
            return closed, []
        return closed, [Event(_with_was(item_of(closed, "withdraw"), state.facts), closed.routing, closed.escalated)]
    # never told of this firing (first told before it fired again: a silent return, see _flapping)
    untold = state.last_notified_on is None or state.last_notified_on < state.fired_on
    quiet = superseded or silenced or state.rule not in RECOVERING_RULES or untold
    if quiet:
        return replace(state, status=CLOSED if superseded or state.rule not in RECOVERING_RULES else RESOLVED,
                       resolved_on=as_of), []
    facts = {**state.facts, **(current or {})}
    resolved = replace(state, status=RESOLVED, resolved_on=as_of, facts=facts)
    return resolved, [Event(item_of(resolved, "resolve"), resolved.routing, False)]
