"""The one module that reads configuration: a TOML file and the environment, read once at start.

    database_url = "sqlite:////var/lib/budget-monitor/monitor.sqlite"   # or BUDGET_MONITOR_DATABASE_URL
    language = "zh"                                                     # or "en"

    [ingest.synonyms]            # extra header names, by field (see jobs/ingest/headers.py)
    payment_no = ["交易流水号"]

Everything else takes the values it needs as arguments.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from db.engine import DEFAULT_SQLITE_FILE, normalize_url
from jobs.exceptions import ConfigError
from jobs.ingest.headers import BY_KIND, COMMON
from monitor.i18n import LANGUAGES

ENV_DATABASE_URL = "BUDGET_MONITOR_DATABASE_URL"
ENV_CONFIG = "BUDGET_MONITOR_CONFIG"
ENV_LANGUAGE = "BUDGET_MONITOR_LANGUAGE"
DEFAULT_CONFIG = "budget-monitor.toml"


@dataclass(frozen=True)
class Settings:
    database_url: str
    language: str = "zh"
    synonyms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    source: str | None = None  # the config file read, if any

    def redacted_url(self) -> str:
        """The database URL without its password: the only form that may be shown or logged."""
        from sqlalchemy.engine import make_url

        return make_url(self.database_url).render_as_string(hide_password=True)


def load_settings(config_path: str | None = None, *, database: str | None = None,
                  language: str | None = None, environ: Mapping[str, str] = os.environ) -> Settings:
    """Command-line values win over the environment, which wins over the file."""
    path = config_path or environ.get(ENV_CONFIG)
    data: dict = {}
    if path:
        data = _read_toml(Path(path))
    elif Path(DEFAULT_CONFIG).is_file():
        path = DEFAULT_CONFIG
        data = _read_toml(Path(path))
    url = database or environ.get(ENV_DATABASE_URL) or data.get("database_url") or DEFAULT_SQLITE_FILE
    if not isinstance(url, str):
        raise ConfigError("database_url must be a string")
    lang = (language or environ.get(ENV_LANGUAGE) or data.get("language", "zh")).lower()[:2]
    if lang not in LANGUAGES:
        raise ConfigError(f"language must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    return Settings(normalize_url(url), lang, _synonyms(data), str(path) if path else None)


KNOWN_KEYS = {"database_url", "language", "ingest"}


def _read_toml(path: Path) -> dict:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8-sig")  # Windows editors add a BOM; TOML itself is UTF-8
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {path} is not UTF-8 (save it as UTF-8, not GBK)") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    unknown = sorted(set(data) - KNOWN_KEYS)
    if unknown:
        raise ConfigError(f"config file {path}: unknown setting(s) {', '.join(unknown)}; "
                          f"known: {', '.join(sorted(KNOWN_KEYS))}")
    return data


def _synonyms(data: dict) -> dict[str, tuple[str, ...]]:
    raw = data.get("ingest", {}).get("synonyms", {})
    known = set(COMMON).union(*BY_KIND.values())
    result = {}
    for name, names in raw.items():
        if name not in known:
            raise ConfigError(f"ingest.synonyms.{name}: unknown field; known fields: {', '.join(sorted(known))}")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ConfigError(f"ingest.synonyms.{name} must be a list of header names")
        result[name] = tuple(names)
    return result
