"""The notifier seam: what a message to one person is, and what sending it may raise.

An evaluation groups the alert events meant for one recipient into one ``Message`` (stored in the
outbox); the delivery job hands it to a ``Notifier``. A notifier builds its payload apart from
sending it (healthchecks' transports do the same), and says by the error it raises whether a
retry can help:

    DeliveryError
     ├── TransientError   (429, 5xx, timeouts, connection refused: retry later, after retry_after)
     └── PermanentError   (a wrong target — channel_not_found, user_not_found …: never retried)
          ├── AuthError   (the token itself — invalid_auth, token_revoked …: stop the whole run)
          └── TooLongError (msg_too_long …: the delivery job splits the message at item boundaries)

A notifier may also have ``fits(message) -> bool``: whether the message goes in one post. The
delivery job then splits a message that does not fit into parts that do (``render.split_items``).

A new transport (WeCom, DingTalk, Feishu webhooks, e-mail) is one module with one class that has
``name``, ``kinds`` and ``send``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

# Every rule name, in the order a message lists them (most urgent first).
RULE_ORDER = ("inbox_refused", "year_end", "checkpoint_missed", "overspent", "no_budget", "behind_checkpoint",
              "adjustment_rate", "behind_schedule", "stalled", "stale_data", "target_missed", "target_cap",
              "target_window", "target_behind", "target_silent", "delivery_gap")
SEVERITIES = ("blue", "yellow", "orange", "red")  # 蓝 < 黄 < 橙 < 红
# A checkpoint at risk or missed: the rules that carry the chart, reach the department leader from
# yellow on, and carry a unit's stalled lines in their item.
CHECKPOINT_RULES = frozenset({"behind_checkpoint", "checkpoint_missed"})


def rank(severity: str) -> int:
    """A severity's place in SEVERITIES (-1 for one it does not know)."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else -1

EVENTS = ("fire", "repeat", "upgrade", "escalate", "resolve")
VERDICT_EVENTS = ("correct", "withdraw")  # a checkpoint's verdict told again (alerts/state.VERDICT_RULES)


@dataclass(frozen=True)
class AlertItem:
    """One alert event as the recipient reads it.

    ``facts`` are the figures that matter, as strings: amounts in yuan with two decimals
    ("1613000.00"; renderers show them in 万元), rates in percent with two decimals ("17.96"),
    dates ISO ("2023-03-31"), counts as integers ("22"). Keys by rule:

    - behind_checkpoint: checkpoint_date, target_rate, rate, paid, budget, gap, working_days_left,
      days_left (calendar), daily_needed, projected_rate, projection_method (history|linear|none)
    - checkpoint_missed: checkpoint_date, target_rate, rate, paid, budget, gap (the shortfall at the
      checkpoint); and, when a checkpoint follows, next_date, next_target_rate, next_gap,
      next_daily_needed
    - behind_schedule: rate, schedule_rate, points_behind, paid, budget, gap (to reach the schedule)
    - stalled: last_payment (date or ""), idle_working_days, budget, paid, remaining
    - overspent: budget, paid, over
    - adjustment_rate: adjusted, initial, rate, limit, warning, counted, exempt
    - stale_data: latest_export (date or ""), working_days_old, limit
    - target_* (level "target"): indicator, scope (project or unit name), target_text ("≥35 场次"),
      actual_text, due, reported_on, completion; target_behind adds expected_text, gap_text,
      milestone_date, projected_text; target_missed gap_text; target_cap cap_text, spent_text,
      share, left_text, over_text; target_window window_start, window_end, days_left;
      target_silent weeks_silent; ``state`` picks the wording: target_cap near | crossed,
      target_window soon | open | missed
    - delivery_gap (level "project"): rate, delivered, points, targets, state (money_ahead |
      delivery_ahead)
    - every ``resolve`` item: the same keys with the figures of the day it resolved
    """

    key: str  # rule:level:code:period — stable across evaluations
    rule: str
    event: str  # fire | repeat | upgrade | escalate | resolve
    severity: str  # blue | yellow | orange | red
    level: str  # department | unit | project | quota_line | target | data
    code: str
    name: str
    period: str  # what the alert is about in time: a checkpoint date, or the year
    facts: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Recipient:
    """Where a message goes. ``kind``: slack_user (address "U…"), slack_email (an e-mail address
    looked up once with users.lookupByEmail), slack_channel ("C…" or "#name"), console."""

    kind: str
    address: str
    name: str = ""


@dataclass(frozen=True)
class Message:
    id: int  # the outbox row
    recipient: Recipient
    language: str  # zh | en
    as_of: dt.date  # the evaluation date the figures are of
    year: int
    items: tuple[AlertItem, ...]
    chart: Path | None = None  # a PNG to attach (checkpoint alerts), made by the delivery job


@dataclass(frozen=True)
class Sent:
    """What a successful send returns: the provider's reference (Slack: channel and ts)."""

    reference: str = ""


class DeliveryError(Exception):
    """Raised by ``Notifier.send`` when a message was not delivered."""

    def __init__(self, message: str, *, code: str = "", retry_after: float | None = None):
        super().__init__(message)
        self.code = code  # the provider's error code, e.g. "ratelimited", "channel_not_found"
        self.retry_after = retry_after  # seconds the provider asked us to wait, if it said


class TransientError(DeliveryError):
    """Raised when a retry later may succeed: rate limited, server error, timeout, no connection."""


class PermanentError(DeliveryError):
    """Raised when this target can never receive the message as addressed: never retried."""


class AuthError(PermanentError):
    """Raised when the credentials are refused: every target would fail, so the run stops."""


class TooLongError(PermanentError):
    """Raised when a message is too long for one post (Slack: msg_too_long, msg_blocks_too_long, or
    more than ``fits`` allows): split at item boundaries it goes; a lone item that is too long fails."""


class Notifier(Protocol):
    name: str  # "slack", "console", …
    kinds: frozenset[str]  # the Recipient kinds it can deliver to

    def send(self, message: Message) -> Sent:
        """Deliver one message or raise a DeliveryError subclass."""
        ...
