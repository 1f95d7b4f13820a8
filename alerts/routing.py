"""Who hears about what: people by what they lead, channels by department, grouping per person.

- project alert → the project's leader (escalated: also the unit leader);
- quota-line alert → the unit's finance staff and, for a line of a project, its leader
  (escalated: also the unit leader);
- unit alert → the unit leader and the unit's finance staff (escalated: also the department leader);
- department alert → the department leader and the department's finance staff;
- stale data → every finance staff member;
- a channel receives everything of the departments it lists (every department when it lists none).

Nobody responsible: the ``fallback`` recipient if there is one (the console in the default
set-up), else the event is counted as unrouted and shown by ``budget-monitor alerts``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from alerts.notify import RULES, SEVERITIES, AlertItem, Recipient
from alerts.state import Event

ROLES = ("department_leader", "unit_leader", "project_leader", "finance_staff")


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

    def leads(self, role: str, routing: dict) -> bool:
        if self.role != role:
            return False
        return ((routing.get("department") in self.departments) or (routing.get("unit") in self.units)
                or (routing.get("project") in self.projects))


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
        for someone in (*self.people, *self.channels):
            if someone.recipient == recipient and someone.language:
                return someone.language
        return self.language


def _unit_finance(person: Person, routing: dict) -> bool:
    return person.role == "finance_staff" and (routing.get("unit") in person.units
                                               or routing.get("department") in person.departments)


def responsible(event: Event, directory: Directory) -> list[Recipient]:
    """The people an event goes to, then the channels; the fallback when there is nobody."""
    level, routing = event.item.level, dict(event.routing)
    up = event.escalated
    chosen: list[Person] = []
    for person in directory.people:
        if level == "data":
            hit = person.role == "finance_staff"
        elif level == "department":
            hit = person.role in ("department_leader", "finance_staff") and routing.get("department") in person.departments
        elif level == "unit":
            hit = (person.leads("unit_leader", {"unit": routing.get("unit")}) or _unit_finance(person, routing)
                   or (up and person.leads("department_leader", {"department": routing.get("department")})))
        else:  # project, quota_line
            hit = (person.leads("project_leader", {"project": routing.get("project")})
                   or (level == "quota_line" and _unit_finance(person, routing))
                   or (up and person.leads("unit_leader", {"unit": routing.get("unit")})))
        if hit:
            chosen.append(person)
    recipients = list(dict.fromkeys(p.recipient for p in chosen))
    if not recipients and directory.fallback is not None:
        recipients.append(directory.fallback)
    for channel in directory.channels:
        if level == "data" or not channel.departments or routing.get("department") in channel.departments:
            recipients.append(channel.recipient)
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
    return (RULES.index(item.rule) if item.rule in RULES else len(RULES), -SEVERITIES.index(item.severity),
            item.level, item.code)


def group(events: Sequence[Event], directory: Directory) -> tuple[list[Draft], int]:
    """One draft per recipient with all of its events, most urgent first; and how many events
    reached nobody."""
    by_recipient: dict[Recipient, list[AlertItem]] = {}
    unrouted = 0
    for event in events:
        recipients = responsible(event, directory)
        unrouted += not recipients
        for recipient in recipients:
            by_recipient.setdefault(recipient, []).append(event.item)
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

