"""The alert part of the config file, read by jobs/config/settings.py: thresholds, people, channels.

    [alerts]
    behind_schedule_points = 5      # behind_schedule: points under the time schedule
    stalled_working_days = 30       # stalled: no payment for this many working days
    stale_working_days = 7          # stale_data: no payment export for this many working days
    verdict_wait_days = 5           # a checkpoint verdict waits this many working days for an export covering it
    year_close = "01-31"            # the past year is still evaluated (late exports) until this day of the next
    adjustment_warning = 8          # adjustment_rate: warn from this percent (the limit is [evaluation]'s)
    min_amount = 1000               # yuan: a gap or remainder below this is not worth a message
    blue_days = 30                  # behind_checkpoint: blue further out, orange within orange_days
    orange_days = 15
    target_cap_warning = 90         # target_cap: warn when this percent of a cost indicator's cap is spent
    target_window_days = 14         # target_window: remind this many days before a timeliness window
    target_silent_weeks = 15        # target_silent: no progress report for this many weeks
    target_report_grace_days = 10   # target_behind: a milestone's report may come this many days after it
    delivery_gap_points = 30        # delivery_gap: execution rate and target completion this far apart
    slot = "09:07"                  # each person's one message a working day goes out then; false: at once
    week_cap = 3                    # at most this many messages a person a week (the weekly brief counts)
    move_points = 1                 # a rate that moved this many points since a person last heard is news
    move_amount = 50000             # … an amount that moved this many yuan
    hysteresis_days = 21            # an alert back within this many days of resolving: only if worse
    escalate_from = "yellow"        # a unit's checkpoint risk reaches the department leader from this severity
    interval_reminders = false      # true: remind open alerts every repeat_days too, not only in the brief
    repeat_days = { blue = 14, yellow = 7, orange = 3, red = 1 }
    escalate_after_days = 14        # a project alert unresolved this long goes to the unit leader too
    quiet_hours = "21:00-08:00"     # even urgent messages wait; false: none
    quiet_on_rest_days = true       # weekends and holidays (调休 counted) are quiet too
    charts = true                   # attach the execution chart to checkpoint alerts
    fallback = "console"            # who gets what nobody leads: "console" or "none"
    [alerts.levels]                 # which levels each rule watches
    stalled = ["project"]            # default: projects and the quota lines outside projects

    [[people]]
    name = "王主任"
    role = "unit_leader"            # department_leader | unit_leader | project_leader | finance_staff
    slack_user = "U012AB3CD"        # or email = "wang@example.cn" (looked up once)
    units = ["158001"]              # departments = [...], projects = [...]
    language = "zh"

    [[channels]]
    channel = "C0123456789"
    departments = ["158"]           # empty or absent: every department
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from alerts.findings import DEFAULT_LEVELS, AlertSettings
from alerts.notify import SEVERITIES, Recipient
from alerts.pipeline import DeliveryPolicy
from alerts.routing import FALLBACK_ADDRESS, ROLES, Channel, Directory, Person
from alerts.state import Policy
from jobs.evaluate import AlertConfig
from jobs.exceptions import ConfigError
from monitor.execution import LEVELS
from monitor.i18n import LANGUAGES

INTS = ("stalled_working_days", "stale_working_days", "verdict_wait_days", "blue_days", "orange_days",
        "escalate_after_days", "target_window_days", "target_silent_weeks", "target_report_grace_days")
DECIMALS = ("behind_schedule_points", "adjustment_warning", "min_amount", "target_cap_warning", "delivery_gap_points")
DELIVERY = ("slot", "week_cap", "move_points", "move_amount", "escalate_from")  # alerts/pipeline.DeliveryPolicy
KNOWN = {*INTS, *DECIMALS, *DELIVERY, "repeat_days", "quiet_hours", "quiet_on_rest_days", "charts", "fallback",
         "levels", "hysteresis_days", "interval_reminders", "year_close"}
PERSON_KEYS = {"name", "role", "slack_user", "email", "departments", "units", "projects", "language"}


def _int(name: str, value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigError(f"alerts.{name} must be a whole number ≥ 0, not {value!r}")
    return value


def _decimal(name: str, value) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ConfigError(f"alerts.{name} must be a number, not {value!r}") from None
    if isinstance(value, bool) or number < 0:
        raise ConfigError(f"alerts.{name} must be a number ≥ 0, not {value!r}")
    return number


def _quiet(value) -> tuple[dt.time, dt.time] | None:
    if value is False:
        return None
    try:
        start, end = (dt.time.fromisoformat(part.strip()) for part in str(value).split("-"))
    except ValueError:
        raise ConfigError(f'alerts.quiet_hours must look like "21:00-08:00" or be false, not {value!r}') from None
    return start, end


def _year_close(value) -> tuple[int, int]:
    try:
        month, day = (int(part) for part in str(value).split("-"))
        dt.date(2001, month, day)  # a day of a common year: no 29 February
    except ValueError:
        raise ConfigError(f'alerts.year_close must be a month and day like "01-31", not {value!r}') from None
    if month > 6:
        raise ConfigError(f"alerts.year_close must be in the first half of the next year, not {value!r}")
    return month, day


def _delivery(section: dict) -> DeliveryPolicy:
    values: dict[str, Any] = {}
    if "slot" in section:
        slot = section["slot"]
        try:
            values["slot"] = None if slot is False else dt.time.fromisoformat(str(slot).strip())
        except ValueError:
            raise ConfigError(f'alerts.slot must look like "09:07" or be false, not {slot!r}') from None
    if "week_cap" in section:
        values["week_cap"] = _int("week_cap", section["week_cap"])
        if values["week_cap"] < 1:
            raise ConfigError("alerts.week_cap must be at least 1")
    for name in ("move_points", "move_amount"):
        if name in section:
            values[name] = _decimal(name, section[name])
    if "escalate_from" in section:
        if section["escalate_from"] not in SEVERITIES:
            raise ConfigError(f"alerts.escalate_from must be one of {', '.join(SEVERITIES)}")
        values["escalate_from"] = section["escalate_from"]
    return DeliveryPolicy(**values)


def _codes(where: str, value) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        raise ConfigError(f"{where} must be a list of codes")
    return frozenset(str(v) for v in value)


def _language(where: str, value) -> str | None:
    if value is not None and value not in LANGUAGES:
        raise ConfigError(f"{where}.language must be one of {', '.join(LANGUAGES)}")
    return value


def _people(entries, language: str) -> tuple[Person, ...]:
    if not isinstance(entries, list):
        raise ConfigError("people must be a list of [[people]] tables")
    people = []
    for n, entry in enumerate(entries, 1):
        where = f"people #{n}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where} must be a table")
        unknown = sorted(set(entry) - PERSON_KEYS)
        if unknown:
            raise ConfigError(f"{where}: unknown setting(s) {', '.join(unknown)}; "
                              f"known: {', '.join(sorted(PERSON_KEYS))}")
        if not entry.get("name"):
            raise ConfigError(f"{where} needs a name")
        where = f"people {entry['name']!r}"
        if entry.get("role") not in ROLES:
            raise ConfigError(f"{where}: role must be one of {', '.join(ROLES)}")
        if entry.get("slack_user") and entry.get("email"):
            raise ConfigError(f"{where}: give slack_user or email, not both")
        departments, units, projects = (_codes(f"{where}.{k}", entry.get(k, []))
                                        for k in ("departments", "units", "projects"))
        people.append(Person(str(entry["name"]), entry["role"], entry.get("slack_user"), entry.get("email"),
                             departments, units, projects, _language(where, entry.get("language"))))
    return tuple(people)


def _channels(entries) -> tuple[Channel, ...]:
    if not isinstance(entries, list):
        raise ConfigError("channels must be a list of [[channels]] tables")
    channels = []
    for n, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not entry.get("channel"):
            raise ConfigError(f"channels #{n} needs a channel (an ID such as C0123456789)")
        channels.append(Channel(str(entry["channel"]),
                                _codes(f"channels #{n}.departments", entry.get("departments", [])),
                                _language(f"channels #{n}", entry.get("language"))))
    return tuple(channels)


def alert_config(data: dict, language: str) -> AlertConfig:
    """[alerts], [[people]], [[channels]] of a parsed config file, checked now."""
    section = data.get("alerts", {})
    if not isinstance(section, dict):
        raise ConfigError("alerts must be a table")
    unknown = sorted(set(section) - KNOWN)
    if unknown:
        raise ConfigError(f"alerts: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(KNOWN))}")
    values: dict[str, Any] = {name: _int(name, section[name]) for name in INTS if name in section}
    values |= {name: _decimal(name, section[name]) for name in DECIMALS if name in section}
    escalate = values.pop("escalate_after_days", None)
    levels = dict(DEFAULT_LEVELS)
    for rule, listed in section.get("levels", {}).items():
        if rule not in DEFAULT_LEVELS:
            raise ConfigError(f"alerts.levels.{rule}: unknown rule; known: {', '.join(DEFAULT_LEVELS)}")
        if not isinstance(listed, list) or not set(listed) <= set(LEVELS):
            raise ConfigError(f"alerts.levels.{rule} must list some of {', '.join(LEVELS)}")
        levels[rule] = tuple(listed)
    policy = Policy()
    repeat = section.get("repeat_days", {})
    if not isinstance(repeat, dict) or not set(repeat) <= set(SEVERITIES):
        raise ConfigError(f"alerts.repeat_days must be a table with keys among {', '.join(SEVERITIES)}")
    if not isinstance(section.get("interval_reminders", False), bool):
        raise ConfigError("alerts.interval_reminders must be true or false")
    policy = Policy({**policy.repeat_days, **{k: _int(f"repeat_days.{k}", v) for k, v in repeat.items()}},
                    escalate if escalate is not None else policy.escalate_after_days,
                    interval_reminders=section.get("interval_reminders", False),
                    hysteresis_days=_int("hysteresis_days", section.get("hysteresis_days", policy.hysteresis_days)))
    fallback = section.get("fallback", "console")
    if fallback not in ("console", "none"):
        raise ConfigError('alerts.fallback must be "console" or "none"')
    directory = Directory(_people(data.get("people", []), language), _channels(data.get("channels", [])),
                          Recipient("console", FALLBACK_ADDRESS, "控制台" if language == "zh" else "console")
                          if fallback == "console" else None, language)
    for flag in ("quiet_on_rest_days", "charts"):
        if not isinstance(section.get(flag, True), bool):
            raise ConfigError(f"alerts.{flag} must be true or false")
    return AlertConfig(AlertSettings(**values, levels=levels), policy, directory,
                       _quiet(section.get("quiet_hours", "21:00-08:00")),
                       section.get("quiet_on_rest_days", True), section.get("charts", True), _delivery(section),
                       _year_close(section.get("year_close", "01-31")))
