"""The people directory checked against the database: the lines ``health``, ``evaluate`` and the
daemon's start show (alerts/directory_check.py says what is checked)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from alerts.directory_check import check_directory
from db.lookups import known_codes
from jobs.evaluate import AlertConfig


def directory_warnings(session: Session, alerts: AlertConfig, *, chat: bool, language: str) -> list[str]:
    """Every routing mistake of the configured directory, one line each (none: an empty list)."""
    return check_directory(alerts.directory, known_codes(session), chat=chat, language=language)


def chat_configured(environ: Mapping[str, str]) -> bool:
    """A chat platform is configured: its token is set (readable or not)."""
    from alerts.slack import slack_token

    try:
        return bool(slack_token(environ))  # "" when neither variable is set
    except ValueError:
        return True
