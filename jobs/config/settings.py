"""The one module that reads configuration: a TOML file and the environment, read once at start.

    database_url = "sqlite:////var/lib/budget-monitor/monitor.sqlite"   # or BUDGET_MONITOR_DATABASE_URL
    language = "zh"                                                     # or "en"

    [ingest.synonyms]            # extra header names, by field (see jobs/ingest/headers.py)
    payment_no = ["交易流水号"]
    [ingest]                     # a unit's department where an export has no 主管部门 column
    department_from_unit_code = 3         # the first 3 digits of a unit code (jobs/ingest/departments.py)
    [ingest.unit_departments]
    "312001" = "312"

    [evaluation]                 # the evaluation's rules (monitor/rulebook.py DEFAULTS); all optional
    schedule = "working_days"    # 序时进度: months (default) | calendar | working_days
    checkpoints = { "03-31" = 25, "06-30" = 50, "09-30" = 75, "12-31" = 95 }
    [evaluation.years.2023]      # one year
    previous_three_public_budget = 8.09   # 万元, when last year's quota lines are not imported
    [evaluation.departments."158"]        # one department, every year (years.Y.departments: one year)
    checkpoints = { "03-31" = 20, "06-30" = 45, "09-30" = 75, "12-31" = 95 }

    [calendar]                   # overrides of the chinesecalendar package (monitor/calendar.py)
    holidays = ["2027-01-01"]
    workdays = ["2027-02-07"]    # 调休 make-up working days
    complete_years = [2027]      # the State Council's whole arrangement of 2027 is listed above;
                                 # without it a year's overrides only correct the estimate

    [alerts] / [[people]] / [[channels]]   # alert thresholds and who hears what: jobs/config/alerts.py
    [daemon]                               # inbox, schedule and clock of `run`: jobs/config/daemon.py

Secrets come from the environment or a file it names, never from the config file:
BUDGET_MONITOR_SLACK_TOKEN or BUDGET_MONITOR_SLACK_TOKEN_FILE, BUDGET_MONITOR_DATABASE_URL or
BUDGET_MONITOR_DATABASE_URL_FILE (and, for tests or a proxy, BUDGET_MONITOR_SLACK_BASE_URL).

Everything else takes the values it needs as arguments.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from db.engine import DEFAULT_SQLITE_FILE, normalize_url
from jobs.config.alerts import alert_config
from jobs.config.daemon import DaemonSettings, daemon_settings
from jobs.evaluate import AlertConfig
from jobs.exceptions import ConfigError
from jobs.execution import ExecutionSettings
from jobs.ingest.departments import DepartmentRules, rules_from_config
from jobs.ingest.headers import BY_KIND, COMMON
from monitor.calendar import WorkCalendar
from monitor.i18n import LANGUAGES
from monitor.rulebook import RuleBook, RuleError

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
    execution: ExecutionSettings = field(default_factory=ExecutionSettings)
    alerts: AlertConfig = field(default_factory=AlertConfig)
    daemon: DaemonSettings = field(default_factory=DaemonSettings)
    departments: DepartmentRules = field(default_factory=DepartmentRules)  # [ingest] department settings
    warnings: tuple[str, ...] = ()  # for standard error: a config or secret file others can read or change

    def __repr__(self) -> str:  # never the database password, wherever a Settings is printed
        return f"Settings(database_url={self.redacted_url()!r}, language={self.language!r}, source={self.source!r})"

    def redacted_url(self) -> str:
        """The database URL without its password: the only form that may be shown or logged."""
        from sqlalchemy.engine import make_url

        try:
            return make_url(self.database_url).render_as_string(hide_password=True)
        except Exception:  # a URL SQLAlchemy cannot read (a port that is not a number…): mask by hand
            return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", self.database_url)


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
    url = database or environ.get(ENV_DATABASE_URL) or _from_file(environ) or data.get("database_url") \
        or DEFAULT_SQLITE_FILE
    if not isinstance(url, str):
        raise ConfigError("database_url must be a string")
    lang = (language or environ.get(ENV_LANGUAGE) or data.get("language", "zh")).lower()[:2]
    if lang not in LANGUAGES:
        raise ConfigError(f"language must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    execution = ExecutionSettings(_rule_book(data.get("evaluation", {})), _calendar(data.get("calendar", {})))
    warnings = permission_warnings(Path(path) if path else None, data, environ, lang)
    ingest = data.get("ingest", {})
    departments = rules_from_config(ingest if isinstance(ingest, dict) else {})
    return Settings(normalize_url(url), lang, _synonyms(data), str(path) if path else None, execution,
                    alert_config(data, lang), daemon_settings(data), departments, warnings)


SECRET_FILES = (ENV_DATABASE_URL + "_FILE", "BUDGET_MONITOR_SLACK_TOKEN_FILE")
WARNINGS = {
    "writable": {"zh": "警告：{what} {path} 的权限是 {mode}，本机任何用户都能修改它；请执行 chmod {fix} {quoted}",
                 "en": "warning: {what_en} {path} has mode {mode}: any user on this machine can change it; "
                       "run chmod {fix} {quoted}"},
    "readable": {"zh": "警告：{what} {path} 含有{secret}，而权限是 {mode}，本机任何用户都能读取；"
                       "请执行 chmod {fix} {quoted}",
                 "en": "warning: {what_en} {path} holds {secret_en} and has mode {mode}: any user on this machine "
                       "can read it; run chmod {fix} {quoted}"},
}


def permission_warnings(config: Path | None, data: dict, environ: Mapping[str, str], language: str) -> tuple[str, ...]:
    """A warning for the config file when anyone may change it (it says where alerts go and which
    database is used) or read it while it holds a database password; and for a *_FILE secret
    anyone may read or change. Each names the file, its mode and the chmod that fixes it."""
    found = []
    if config is not None:
        url = data.get("database_url")
        secret = isinstance(url, str) and _password_of(url) is not None
        found += _mode_warnings(config, ("配置文件", "the config file"), secret, ("数据库密码", "a database password"),
                                language)
    for name in SECRET_FILES:
        if environ.get(name):
            found += _mode_warnings(Path(environ[name]), (f"{name} 指向的文件", f"the file {name} names"), True,
                                    ("密钥", "a secret"), language)
    return tuple(found)


def _mode_warnings(path: Path, what: tuple[str, str], secret: bool, kind: tuple[str, str],
                   language: str) -> list[str]:
    from monitor.i18n import render

    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return []  # reading it reports that
    writable, readable = bool(mode & stat.S_IWOTH), secret and bool(mode & stat.S_IROTH)
    if not (writable or readable):
        return []
    fix = "o-rw" if writable and readable else ("o-w" if writable else "o-r")
    params = {"what": what[0], "what_en": what[1], "path": str(path), "quoted": shlex.quote(str(path)),
              "mode": f"{mode:04o}", "fix": fix, "secret": kind[0], "secret_en": kind[1]}
    return [render(WARNINGS, "readable" if readable else "writable", language, params)]


def _password_of(url: str) -> str | None:
    from sqlalchemy.engine import make_url

    try:
        return make_url(normalize_url(url)).password
    except Exception:  # an unreadable URL is reported when the database is opened
        return None


def _from_file(environ: Mapping[str, str]) -> str | None:
    """BUDGET_MONITOR_DATABASE_URL_FILE: a file holding the URL (with its password), for secrets
    kept out of the environment (systemd credentials, Docker secrets)."""
    path = environ.get(ENV_DATABASE_URL + "_FILE")
    if not path:
        return None
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{ENV_DATABASE_URL}_FILE: cannot read {path}: {exc.strerror or exc}") from exc


KNOWN_KEYS = {"database_url", "language", "ingest", "evaluation", "calendar", "alerts", "people", "channels",
              "daemon"}


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


def _table(name: str, value) -> dict:
    if not isinstance(value, dict):
        raise ConfigError(f"{name} must be a table")
    return value


def _rule_book(data: dict) -> RuleBook:
    """[evaluation] with [evaluation.years.Y], [evaluation.departments.D] and
    [evaluation.years.Y.departments.D] layers, checked now so a bad value stops the start."""
    data = _table("evaluation", data)
    base = {k: v for k, v in data.items() if k not in ("years", "departments")}
    departments = {str(code): _table(f"evaluation.departments.{code}", layer)
                   for code, layer in _table("evaluation.departments", data.get("departments", {})).items()}
    years, year_departments = {}, {}
    for key, layer in _table("evaluation.years", data.get("years", {})).items():
        try:
            year = int(key)
        except ValueError:
            raise ConfigError(f"evaluation.years.{key}: a year such as 2024 is expected") from None
        layer = dict(_table(f"evaluation.years.{key}", layer))
        for code, dep_layer in _table(f"evaluation.years.{key}.departments", layer.pop("departments", {})).items():
            year_departments[year, str(code)] = _table(f"evaluation.years.{key}.departments.{code}", dep_layer)
        years[year] = layer
    book = RuleBook(base, years, departments, year_departments)
    try:
        book.check()
    except RuleError as exc:
        raise ConfigError(f"evaluation: {exc}") from exc
    return book


def _calendar(data: dict) -> WorkCalendar:
    data = _table("calendar", data)
    unknown = sorted(set(data) - {"holidays", "workdays", "complete_years"})
    if unknown:
        raise ConfigError(f"calendar: unknown setting(s) {', '.join(unknown)}; known: holidays, workdays, "
                          "complete_years")
    days = {}
    for name in ("holidays", "workdays"):
        values = data.get(name, [])
        if not isinstance(values, list):
            raise ConfigError(f"calendar.{name} must be a list of dates")
        parsed = set()
        for value in values:
            if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                parsed.add(value)
                continue
            try:
                parsed.add(dt.date.fromisoformat(str(value)))
            except ValueError:
                raise ConfigError(f"calendar.{name}: {value!r} is not a date such as 2027-01-01") from None
        days[name] = frozenset(parsed)
    if days["holidays"] & days["workdays"]:
        both = ", ".join(sorted(d.isoformat() for d in days["holidays"] & days["workdays"]))
        raise ConfigError(f"calendar: {both} listed both as holiday and as workday")
    complete = data.get("complete_years", [])
    if not isinstance(complete, list) or not all(type(y) is int and 2000 <= y <= 2100 for y in complete):
        raise ConfigError("calendar.complete_years must be a list of years such as [2027]")
    listed = {d.year for d in days["holidays"]}
    empty = sorted(set(complete) - listed)
    if empty:  # a year declared complete with none of its holidays listed is a slip, not an arrangement
        raise ConfigError(f"calendar.complete_years: no holidays of {', '.join(map(str, empty))} are listed "
                          "under calendar.holidays")
    return WorkCalendar(days["holidays"], days["workdays"], frozenset(complete))
