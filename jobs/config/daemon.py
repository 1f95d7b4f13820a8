"""The [daemon] part of the config file, read by jobs/config/settings.py.

    [daemon]
    inbox = "/var/lib/budget-monitor/inbox"   # exports dropped here are imported within seconds
    timezone = "Asia/Shanghai"                # the scheduler's clock, whatever the server's zone
    evaluate_at = "09:00"                     # the daily evaluation, on working days
    deliver_every_seconds = 60                # the outbox
    scan_every_seconds = 60                   # the inbox, besides file-system events
    digest = "mon 08:30"                      # the weekly digest
    countdown_days = [7, 3]                   # reminders this many working days before each checkpoint
    misfire_grace_hours = 72                  # a daemon down longer than this skips, not catches up
    stop_timeout_seconds = 60                 # SIGTERM waits this long for a running job
    heartbeat_seconds = 30                    # what `health` reads to tell the daemon runs
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jobs.exceptions import ConfigError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
KNOWN = {"inbox", "timezone", "evaluate_at", "deliver_every_seconds", "scan_every_seconds", "digest",
         "countdown_days", "misfire_grace_hours", "stop_timeout_seconds", "heartbeat_seconds"}


@dataclass(frozen=True)
class DaemonSettings:
    inbox: Path | None = None
    timezone: str = "Asia/Shanghai"
    evaluate_at: dt.time = dt.time(9, 0)
    deliver_every_seconds: int = 60
    scan_every_seconds: int = 60
    digest_day: str = "mon"
    digest_at: dt.time = dt.time(8, 30)
    countdown_days: tuple[int, ...] = (7, 3)  # working days before a checkpoint
    misfire_grace_hours: int = 72
    stop_timeout_seconds: int = 60
    heartbeat_seconds: int = 30

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _time(name: str, value) -> dt.time:
    try:
        return dt.time.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f'daemon.{name} must be a time such as "09:00", not {value!r}') from None


def _positive(name: str, value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ConfigError(f"daemon.{name} must be a whole number above 0, not {value!r}")
    return value


def daemon_settings(data: dict) -> DaemonSettings:
    section = data.get("daemon", {})
    if not isinstance(section, dict):
        raise ConfigError("daemon must be a table")
    unknown = sorted(set(section) - KNOWN)
    if unknown:
        raise ConfigError(f"daemon: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(KNOWN))}")
    values: dict = {}
    if "inbox" in section:
        values["inbox"] = Path(str(section["inbox"]))
    if "timezone" in section:
        try:
            ZoneInfo(str(section["timezone"]))
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"daemon.timezone: unknown time zone {section['timezone']!r}") from None
        values["timezone"] = str(section["timezone"])
    if "evaluate_at" in section:
        values["evaluate_at"] = _time("evaluate_at", section["evaluate_at"])
    for name in ("deliver_every_seconds", "scan_every_seconds", "misfire_grace_hours", "stop_timeout_seconds",
                 "heartbeat_seconds"):
        if name in section:
            values[name] = _positive(name, section[name])
    if "digest" in section:
        day, _, at = str(section["digest"]).strip().partition(" ")
        if day.lower() not in WEEKDAYS:
            raise ConfigError(f'daemon.digest must look like "mon 08:30", not {section["digest"]!r}')
        values["digest_day"], values["digest_at"] = day.lower(), _time("digest", at)
    if "countdown_days" in section:
        days = section["countdown_days"]
        if not isinstance(days, list):
            raise ConfigError("daemon.countdown_days must be a list of whole numbers of working days such as [7, 3]")
        values["countdown_days"] = tuple(sorted({_positive("countdown_days", d) for d in days}, reverse=True))
    return DaemonSettings(**values)
