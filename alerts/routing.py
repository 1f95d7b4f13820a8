"""Who hears about what: people by what they lead, channels by department, grouping per person.

- project alert → the project's leader (escalated: also the unit leader);
- target alert → the project's leader and the person the target table names as its leader, or
  the unit leader for a target of the whole unit (escalated: also the unit leader);
- quota-line alert → the unit's finance staff only (nobody there: the unit leader);
- unit alert → the unit leader and the unit's finance staff (escalated, or a checkpoint risk from
  yellow on: also the department leader);
- department alert → the department leader and the department's finance staff;
- a unit's finance staff are the people listed with the unit. The department's finance staff
  (listed with ``departments``) stand in for a unit only when it has none of its own, and
  ``alerts/directory_check.py`` names every such unit (``health``, ``evaluate``, the daemon's
  start): they never silently act as every unit's finance staff;
- an escalation (``escalate``: one level up after ``escalate_after_days``) reaches whoever would
  have had the alert anyway — a unit leader who leads the project himself, or has it because
  nobody leads it — as a plain reminder (``repeat``), never as 【升级】 about his own work;
- stale data → every finance staff member;
- a file the inbox refused (level ``file``, jobs/refusals.py) → the finance staff of the unit its
  rows name, as a quota line's alert goes; of the department when it names several units of one
  (or only a department); when it names nothing readable, the departments' finance staff, else
  every finance staff member;
- a channel receives everything of the departments it lists (every department when it lists none).

Nobody at the entity's own level: the nearest leader above (a project or line with no leader
or finance staff → the unit leader; then the department leader). Nobody at all, not even a
channel: the ``fallback`` recipient if there is one (the console in the default set-up), else
the event is counted as unrouted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

from alerts.notify import CHECKPOINT_RULES, RULE_ORDER, AlertItem, Recipient, rank
from alerts.pipeline import DEFAULT_DELIVERY, DeliveryPolicy
from alerts.state import Event

ROLES = ("department_leader", "unit_leader", "project_leader", "finance_staff")
FALLBACK_ADDRESS = "console"  # the Directory's fallback: what nobody leads, printed by design


def unaddressed(recipient: Recipient) -> bool:
    """A person with no chat address (neither slack_user nor email): the console is their only
    way, which is a routing mistake wherever a chat platform is configured."""
    return recipient.kind == "console" and recipient.address != FALLBACK_ADDRESS


@dataclass(frozen=True)
class Person:
    name: str
    role: str
    slack_user: str | None = None
    email: str | None = None
    departments: frozenset[str] = frozenset()
    units: frozenset[str] = frozenset()
    projects: frozenset[str] = frozenset()
    language: str | None = None

    @property
    def recipient(self) -> Recipient:
        if self.slack_user:
            return Recipient("slack_user", self.slack_user, self.name)
        if self.email:
            return Recipient("slack_email", self.email, self.name)
        return Recipient("console", self.name, self.name)


@dataclass(frozen=True)
class Channel:
    channel: str  # "C…" or "#name"
    departments: frozenset[str] = frozenset()  # empty: every department
    language: str | None = None

    @property
    def recipient(self) -> Recipient:
        return Recipient("slack_channel", self.channel, self.channel)


@dataclass(frozen=True)
class Directory:
    people: tuple[Person, ...] = ()
    channels: tuple[Channel, ...] = ()
    fallback: Recipient | None = field(default_factory=lambda: Recipient("console", "console", "控制台"))
    language: str = "zh"

    def language_of(self, recipient: Recipient) -> str:
        return self._languages.get(recipient, self.language)

    @cached_property
    def _languages(self) -> dict[Recipient, str]:
        everyone: tuple[Person | Channel, ...] = (*self.people, *self.channels)
        return {someone.recipient: someone.language for someone in everyone if someone.language}

    @cached_property
    def _index(self) -> dict[tuple[str, str, str], list[Person]]:
        """(role, "department" | "unit" | "project", code) → the people: a province has thousands."""
        index: dict[tuple[str, str, str], list[Person]] = {}
        for person in self.people:
            for kind, codes in (("department", person.departments), ("unit", person.units),
                                ("project", person.projects)):
                for code in codes:
                    index.setdefault((person.role, kind, code), []).append(person)
        return index

    def who(self, role: str, kind: str, code: str | None) -> list[Person]:
        return self._index.get((role, kind, code), []) if code is not None else []

    def named(self, name: str | None) -> list[Person]:
        """The people called ``name`` (a target table names its 项目负责人)."""
        return self._by_name.get(name, []) if name else []

    @cached_property
    def _by_name(self) -> dict[str, list[Person]]:
        names: dict[str, list[Person]] = {}
        for person in self.people:
            names.setdefault(person.name, []).append(person)
        return names

    @cached_property
    def finance_staff(self) -> list[Person]:
        return [p for p in self.people if p.role == "finance_staff"]


def responsible(event: Event, directory: Directory, escalate_from: str = "yellow") -> list[Recipient]:
    """The people an event goes to, then the channels; the fallback when there is nobody. A unit's
    checkpoint risk reaches the department leader from ``escalate_from`` on."""
    level, routing, up = event.item.level, event.routing, event.escalated
    if level == "unit" and event.item.rule in CHECKPOINT_RULES and rank(event.item.severity) >= rank(escalate_from):
        up = True
    department, unit, project = routing.get("department"), routing.get("unit"), routing.get("project")
    who = directory.who
    if level == "data":
        chosen = directory.finance_staff
    elif level == "file" and not unit and not department:  # nothing readable in it: the departments' staff
        chosen = [p for p in directory.finance_staff if p.departments] or directory.finance_staff
    elif level == "file" and not unit:
        chosen = who("finance_staff", "department", department) or who("department_leader", "department", department)
    elif level == "department":
        chosen = who("department_leader", "department", department) + who("finance_staff", "department", department)
    else:
        unit_finance = who("finance_staff", "unit", unit) or who("finance_staff", "department", department)
        if level == "unit":
            chosen = (who("unit_leader", "unit", unit) + unit_finance
                      + (who("department_leader", "department", department) if up else []))
        elif level in ("quota_line", "file"):  # the finance staff's business; their leader hears if they are none
            chosen = unit_finance
        else:  # project, target (of a project or of a whole unit)
            leads = (who("project_leader", "project", project) if project
                     else who("unit_leader", "unit", unit) if level == "target" else [])
            chosen = (leads + (directory.named(routing.get("leader")) if level == "target" else [])
                      + (who("unit_leader", "unit", unit) if up else []))
    if not chosen and level in ("project", "quota_line", "target", "file"):
        chosen = who("unit_leader", "unit", unit)  # nobody leads it: the unit's leader does
    if not chosen and level in ("unit", "project", "quota_line", "target", "file"):
        chosen = who("department_leader", "department", department)
    recipients = [p.recipient for p in chosen]
    for channel in directory.channels:
        if level == "data" or not channel.departments or department in channel.departments or (
                level == "file" and not department):
            recipients.append(channel.recipient)
    if not recipients and directory.fallback is not None:
        recipients.append(directory.fallback)
    return list(dict.fromkeys(recipients))


@dataclass(frozen=True)
class Draft:
    """A message not yet stored: one recipient, the items of one evaluation."""

    recipient: Recipient
    language: str
    items: tuple[AlertItem, ...]

    @property
    def urgent(self) -> bool:
        return any(i.severity == "red" for i in self.items)


def _order(item: AlertItem) -> tuple:
    return (RULE_ORDER.index(item.rule) if item.rule in RULE_ORDER else len(RULE_ORDER),
            -rank(item.severity), item.level, item.code)


def group(events: Sequence[Event], directory: Directory, policy: DeliveryPolicy = DEFAULT_DELIVERY
          ) -> tuple[list[Draft], int]:
    """One draft per recipient with all of its events, most urgent first; and how many events
    reached nobody."""
    by_recipient: dict[Recipient, list[AlertItem]] = {}
    unrouted = 0
    for event in events:
        recipients = responsible(event, directory, policy.escalate_from)
        unrouted += not recipients
        anyway = (set(responsible(replace(event, escalated=False), directory, policy.escalate_from))
                  if event.item.event == "escalate" else set())
        reminder = replace(event.item, event="repeat")
        for recipient in recipients:  # 【升级】 only for those it reaches because it was escalated
            by_recipient.setdefault(recipient, []).append(reminder if recipient in anyway else event.item)
    drafts = [Draft(r, directory.language_of(r), tuple(sorted(items, key=_order)))
              for r, items in by_recipient.items()]
    return drafts, unrouted


def release_time(now: dt.datetime, urgent: bool, *, quiet: tuple[dt.time, dt.time] | None,
                 rest_days_quiet: bool, is_working_day) -> dt.datetime:
    """When a message may go out: at once if urgent (red) or outside quiet hours on a working day;
    else at the end of the quiet hours of the next working day. ``quiet`` = (start, end), e.g.
    (21:00, 08:00) spans midnight."""
    if urgent:
        return now
    moment = now
    for _ in range(60):  # the longest Chinese holiday is 8 days; 60 bounds a bad calendar
        rest = rest_days_quiet and not is_working_day(moment.date())
        in_quiet = quiet is not None and _in_quiet(moment.time(), quiet)
        if not rest and not in_quiet:
            return moment
        end = quiet[1] if quiet is not None else dt.time(0)
        next_day = moment.date() + dt.timedelta(days=1)
        if in_quiet and not rest and quiet is not None and moment.time() < quiet[1]:
            return moment.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
        moment = dt.datetime.combine(next_day, end, tzinfo=moment.tzinfo)
    return moment


def _in_quiet(time: dt.time, quiet: tuple[dt.time, dt.time]) -> bool:
    start, end = quiet
    if start <= end:
        return start <= time < end
    return time >= start or time < end

