"""What every command shares: messages, the one-line error, the context with settings and the
database, and the parsing of dates and periods."""

from __future__ import annotations

import datetime as dt
from importlib.metadata import PackageNotFoundError, version

import click

from db.engine import make_engine, session_factory
from db.exceptions import StorageError
from db.migrate import upgrade
from jobs.clock import beijing_now
from jobs.config.settings import Settings
from jobs.execution import default_as_of
from jobs.ingest.values import CellError, parse_date
from monitor.i18n import render

TEXT = {
    "error": {"zh": "错误：{message}", "en": "error: {message}"},
    "usage": {"zh": "{message}（用 {command} --help 查看用法）", "en": "{message} (see {command} --help)"},
    "aborted": {"zh": "已中止", "en": "aborted"},
    "empty_unit": {"zh": "--unit 需要一个单位编码，如 158001", "en": "--unit needs a unit code such as 158001"},
    "database": {"zh": "无法打开数据库 {url}：{reason}", "en": "cannot open the database {url}: {reason}"},
    "database_write": {"zh": "写入数据库 {url} 失败，正在导入的文件未导入（未留下任何部分）：{reason}",
                       "en": "writing to the database {url} failed; the file being imported was not stored, "
                             "not even in part: {reason}"},
    "config": {"zh": "配置有误：{reason}", "en": "configuration error: {reason}"},
    "bad_date": {"zh": "--as-of 应为日期，如 2023-03-31", "en": "--as-of must be a date such as 2023-03-31"},
    "folder": {"zh": "无法使用文件夹 {folder}：{reason}", "en": "cannot use the folder {folder}: {reason}"},
    "demo_db": {"zh": "演示总是使用 --folder 中自己的 SQLite 数据库，不写入 --db 指定的数据库",
                "en": "the demo always uses its own SQLite database in --folder, never the --db one"},
    "reading": {"zh": "读取", "en": "reading"},
    "as_of_year": {"zh": "--as-of {as_of} 不在 {year} 年内", "en": "--as-of {as_of} is not in {year}"},
    "phase.read": {"zh": "读取", "en": "reading"},
    "phase.validate": {"zh": "校验", "en": "validating"},
    "phase.store": {"zh": "写入", "en": "storing"},
}


def say(language: str, code: str, **params) -> str:
    return render(TEXT, code, language, params)


class CliError(click.ClickException):
    """One line in the user's language, exit code 1 (or ``exit_code``)."""

    def __init__(self, message: str, language: str, exit_code: int = 1):
        super().__init__(message)
        self.language = language
        # click annotates exit_code as a ClassVar, yet reads it from the exception instance: per instance here
        self.exit_code = exit_code  # type: ignore[misc]

    def show(self, file=None) -> None:
        click.echo(say(self.language, "error", message=self.message), err=True)


def _package_version() -> str:
    try:
        return version("budget-monitor")
    except PackageNotFoundError:  # running from a source tree that was not installed
        return "unknown"


class Context:
    def __init__(self, settings: Settings, explicit_database: bool):
        self.settings = settings
        self.explicit_database = explicit_database
        self._factory = None

    @property
    def language(self) -> str:
        return self.settings.language

    def factory(self):
        """The session factory, with the schema migrated to this version first."""
        if self._factory is None:
            try:
                engine = make_engine(self.settings.database_url)
                upgrade(engine)
            except StorageError as exc:
                raise CliError(say(self.language, "database", url=self.settings.redacted_url(), reason=exc),
                               self.language, exit_code=2) from exc
            self._factory = session_factory(engine)
        return self._factory


def as_of_option(ctx, param, value: str | None):
    """click callback: a date in any notation the importer reads."""
    if value is None:
        return None
    try:
        return parse_date(value)
    except CellError as exc:
        language = ctx.find_object(Context).language if ctx.find_object(Context) else "zh"
        raise click.BadParameter(say(language, "bad_date")) from exc


def unit_option(ctx, param, value: str | None):
    """click callback: a unit code, stripped; an empty one is an error, not "every unit"."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        language = ctx.find_object(Context).language if ctx.find_object(Context) else "zh"
        raise click.BadParameter(say(language, "empty_unit"))
    return value


def resolve_period(obj: Context, year: int | None, as_of: dt.date | None) -> tuple[int, dt.date]:
    """The budget year and the date to compute at: --as-of, or today (the year's last day once
    the year is over); the year defaults to the year of that date."""
    if as_of is None:
        return default_as_of(year, beijing_now().date())
    if year is None:
        return as_of.year, as_of
    if as_of.year != year:
        raise CliError(say(obj.language, "as_of_year", as_of=as_of.isoformat(), year=year), obj.language, 2)
    return year, as_of
