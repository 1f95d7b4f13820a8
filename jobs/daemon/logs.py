"""The daemon's log: JSON lines for journald and log shippers, readable text on a terminal, and
never a secret (docs/CONVENTIONS.md habit 7).

Redaction works on the finished text of each record, not on the record: a ``logging.Filter``
runs before formatting, so a traceback (formatted later, from ``exc_info``) or an ``extra`` value
would slip past it. Every form a secret takes in the output is replaced: as is, escaped inside a
JSON string or a Python repr (a traceback's exception message), and percent-encoded (a password
inside a database URL).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import traceback
from collections.abc import Iterable
from typing import TextIO
from urllib.parse import quote

from jobs.clock import BEIJING

MASK = "***"
# What every LogRecord has; anything else on a record came from ``extra=``.
STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def _time(record: logging.LogRecord) -> str:
    return dt.datetime.fromtimestamp(record.created, BEIJING).isoformat(timespec="milliseconds")


class JsonLinesFormatter(logging.Formatter):
    """One JSON object a line: time (Asia/Shanghai), level, logger, message, the ``extra``
    fields, and ``exc_info`` / ``stack_info`` as text."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": _time(record), "level": record.levelname, "logger": record.name,
                 "message": record.getMessage()}
        for key, value in vars(record).items():
            if key not in STANDARD and not key.startswith("_"):
                entry.setdefault(key, value)
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``2024-03-01T09:00:00.123+08:00 INFO jobs.daemon.run: leader: …``, then any traceback."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _time(record)


def secret_forms(secrets: Iterable[str]) -> tuple[str, ...]:
    """Each secret as it may appear in the output, longest first (so that a secret that contains
    another is masked whole)."""
    forms = set()
    for secret in secrets:
        if secret:
            forms |= {secret, json.dumps(secret, ensure_ascii=False)[1:-1], repr(secret)[1:-1],
                      quote(secret, safe="")}
    return tuple(sorted(forms, key=len, reverse=True))


_KNOWN: set[str] = set()  # the secrets of this process, as the command found them


def remember_secrets(*secrets: str | None) -> None:
    """Note the secrets in use (the CLI does, once its settings are read), for ``redact``."""
    _KNOWN.update(s for s in secrets if s)


def environment_secrets(environ, argv=()) -> list[str]:
    """The secrets this process may hold though nothing remembered them yet: the Slack token and
    the database password, from the environment, the files it names, or a --db argument."""
    from sqlalchemy.engine import make_url

    found = [environ.get("BUDGET_MONITOR_SLACK_TOKEN", "")]
    urls = [environ.get("BUDGET_MONITOR_DATABASE_URL", "")]
    for name, into in (("BUDGET_MONITOR_SLACK_TOKEN_FILE", found), ("BUDGET_MONITOR_DATABASE_URL_FILE", urls)):
        try:
            into.append(open(environ[name], encoding="utf-8").read().strip() if environ.get(name) else "")
        except OSError:
            pass
    argv = list(argv)
    urls += [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == "--db"]
    urls += [arg.removeprefix("--db=") for arg in argv if arg.startswith("--db=")]
    for url in urls:
        try:
            found.append(make_url(url).password or "" if "://" in url else "")
        except Exception:  # not a URL SQLAlchemy reads: mask what sits between "user:" and "@"
            found.append(url.split("://", 1)[-1].rpartition("@")[0].partition(":")[2])
    return [s.strip() for s in found if s and s.strip()]


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every form of every known secret (and of ``secrets``) masked."""
    for form in secret_forms([*_KNOWN, *secrets]):
        text = text.replace(form, MASK)
    return text


class RedactingHandler(logging.StreamHandler):
    """A stream handler whose every line, and every report of its own errors, is redacted."""

    def __init__(self, stream: TextIO, secrets: Iterable[str]):
        super().__init__(stream)
        self.forms = secret_forms(secrets)

    def redact(self, text: str) -> str:
        for form in self.forms:
            text = text.replace(form, MASK)
        return text

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))

    def handleError(self, record: logging.LogRecord) -> None:
        # logging's own version prints the record's raw arguments, where a secret may be.
        if logging.raiseExceptions and self.stream:
            self.stream.write(self.redact(f"--- logging error in {record.name} ({record.pathname}:{record.lineno})\n"
                                          f"{traceback.format_exc()}"))


def setup_logging(*, json_lines: bool | None = None, level: int | str = "INFO", stream: TextIO | None = None,
                  secrets: Iterable[str] = ()) -> logging.Handler:
    """Send every log record to ``stream`` (standard error by default): JSON lines when
    ``json_lines`` is true, or when it is None and the stream is not a terminal; text otherwise.
    Calling again replaces the handler this installed (with the new secrets), never adds one."""
    stream = stream if stream is not None else sys.stderr
    if json_lines is None:
        json_lines = not (hasattr(stream, "isatty") and stream.isatty())
    handler = RedactingHandler(stream, secrets)
    handler.setFormatter(JsonLinesFormatter() if json_lines else TextFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, RedactingHandler)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    return handler
