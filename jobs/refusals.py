"""A file the inbox refused, told to the finance staff responsible (issue 15, case 10).

The inbox (jobs/ingest/inbox.py ``process_inbox``) calls ``tell_refusal`` for each refused
file once its name in refused/ is reserved and before it moves there. The notice is an item
``inbox_refused:file:<id>:<year>`` (``<id>``: the first 16 hex digits of the file's SHA-256, or
of its name, size and time when it could not be read) written through the outbox's dedupe and
slot stages in one transaction (jobs/outbox.py ``queue``): it cannot wait for the slot (
alerts/pipeline ``URGENT_RULES``) but keeps the quiet hours, rest days and the one-a-day rule;
and what each person was told is remembered with it, so a pass that dies before the move, and
refuses the same file again, tells nobody twice. Routing: alerts/routing.responsible, level
``file`` (the unit the rows name, else their department, else the departments' finance staff).

``health`` lists what is still in refused/ (``jobs/ingest/inbox.still_refused``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from alerts.notify import AlertItem
from alerts.routing import group
from alerts.state import Event
from db.engine import SessionFactory, transaction
from db.lookups import unit_departments
from jobs.config.settings import Settings
from jobs.ingest import FileOutcome
from jobs.ingest.inbox import report_path
from jobs.outbox import queue_notice

PROBLEMS_SHOWN = 3


def _identity(outcome: FileOutcome) -> str:
    content = outcome.detail.get("content_hash")
    if not content:
        try:
            stat = outcome.path.stat()
            content = hashlib.sha256(f"{outcome.path.name}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()
        except OSError:
            content = hashlib.sha256(outcome.path.name.encode()).hexdigest()
    return str(content)[:16]


def refusal_item(outcome: FileOutcome, where: Path, inbox: Path, year: int, language: str) -> AlertItem:
    """The notice of one refused file: its name, where it went, its report, its first problems."""
    def relative(path: Path) -> str:
        try:
            return path.relative_to(inbox).as_posix()
        except ValueError:
            return str(path)

    shown = outcome.problems[:PROBLEMS_SHOWN]
    facts = {"file": outcome.path.name, "moved_to": relative(where), "report": relative(report_path(where, language)),
             "count": str(len(outcome.problems))}
    for lang in ("zh", "en"):
        if shown:
            name = outcome.path.name  # each problem as the report says it (row, column, value), the name once
            facts[f"problems_{lang}"] = ("；" if lang == "zh" else "; ").join(
                p.describe(name, lang).removeprefix(f"{name} · ") for p in shown)
    ident = _identity(outcome)
    return AlertItem(f"inbox_refused:file:{ident}:{year}", "inbox_refused", "fire", "red", "file", ident,
                     outcome.path.name, str(year), facts)


def tell_refusal(factory: SessionFactory, settings: Settings, outcome: FileOutcome, where: Path, inbox: Path,
                 now: dt.datetime) -> int:
    """Write the notice of a refused file to the outbox for its finance staff; how many messages
    were queued (0 when they were told of this file before)."""
    alerts, year = settings.alerts, now.year
    item = refusal_item(outcome, where, Path(inbox), year, settings.language)
    units = list(outcome.detail.get("units") or [])
    with transaction(factory) as session:
        departments = set(outcome.detail.get("departments") or [])
        known = unit_departments(session)
        departments |= {known[u] for u in units if u in known}
        routing = {}
        if len(units) == 1:
            routing["unit"] = units[0]
        if len(departments) == 1:
            routing["department"] = departments.pop()
        drafts, _ = group([Event(item, routing, False)], alerts.directory, alerts.delivery)
        planned = queue_notice(session, drafts, alerts=alerts, calendar=settings.execution.calendar, now=now,
                               kind="inbox_refused", year=year, detail={"file": outcome.path.name})
    return len(planned)
