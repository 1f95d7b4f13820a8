"""The ``budget-monitor`` command: a thin layer over the jobs (sqlite-utils' ``cli.py`` habit).

Messages people read are Chinese by default; ``--lang en`` (or BUDGET_MONITOR_LANGUAGE=en)
switches to English. Every command that reports has ``--json``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from db.engine import make_engine, session_factory
from db.exceptions import StorageError
from db.migrate import upgrade
from jobs.config import ENV_DATABASE_URL, Settings, load_settings
from jobs.exceptions import ConfigError
from jobs.clock import beijing_now
from jobs.ingest import ingest_paths
from jobs.ingest.report import print_outcomes
from jobs.ingest.headers import KINDS
from monitor.i18n import render

TEXT = {
    "error": {"zh": "错误：{message}", "en": "error: {message}"},
    "reading": {"zh": "读取", "en": "reading"},
    "phase.read": {"zh": "读取", "en": "reading"},
    "phase.validate": {"zh": "校验", "en": "validating"},
    "phase.store": {"zh": "写入", "en": "storing"},
}


def say(settings_or_lang, code: str, **params) -> str:
    language = settings_or_lang if isinstance(settings_or_lang, str) else settings_or_lang.language
    return render(TEXT, code, language, params)


class Context:
    def __init__(self, settings: Settings, explicit_database: bool):
        self.settings = settings
        self.explicit_database = explicit_database
        self._factory = None

    def factory(self):
        """The session factory, with the schema migrated to this version first."""
        if self._factory is None:
            engine = make_engine(self.settings.database_url)
            upgrade(engine)
            self._factory = session_factory(engine)
        return self._factory


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "database", metavar="URL|PATH",
              help="Database: a SQLAlchemy URL or a SQLite file path (default: ./budget-monitor.sqlite, "
                   "or BUDGET_MONITOR_DATABASE_URL).")
@click.option("--config", "config_path", metavar="FILE", type=click.Path(dir_okay=False),
              help="TOML config file (default: ./budget-monitor.toml if present, or BUDGET_MONITOR_CONFIG).")
@click.option("--lang", "language", type=click.Choice(["zh", "en"]),
              help="Language of messages (default zh, or BUDGET_MONITOR_LANGUAGE).")
@click.pass_context
def cli(ctx: click.Context, database: str | None, config_path: str | None, language: str | None) -> None:
    """budget-monitor: watch budget execution of public units against the assessed checkpoints
    (25% / 50% / 75% by the ends of Q1–Q3, 95% by year end) and warn the leaders in time.

    预算执行监控：导入预算管理一体化系统导出的指标、支付、调整明细，按考核进度预警。
    """
    try:
        settings = load_settings(config_path, database=database, language=language)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    ctx.obj = Context(settings, explicit_database=bool(database or os.environ.get(ENV_DATABASE_URL)))


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--kind", type=click.Choice(KINDS), help="Kind of export; detected from its headers if omitted.")
@click.option("--year", type=int, help="Budget year, when the file has no 预算年度 column or title year.")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]),
              help="Date of the export (默认取标题中的截至日期或最新支付日期).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document with a result per file.")
@click.pass_obj
def ingest(obj: Context, paths: tuple[Path, ...], kind: str | None, year: int | None,
           as_of: dt.datetime | None, as_json: bool) -> None:
    """Import payment-system exports (.xlsx / .xls / .csv, UTF-8 or GBK).

    导入指标、支付或调整明细。每个文件要么整体导入，要么整体拒绝并列出全部问题；
    重复导入同一文件或重叠的导出不会重复计数。有文件被拒绝时退出码为 1。
    """
    settings = obj.settings
    factory = _factory(obj)
    options = {"kind": kind, "year": year, "as_of": as_of.date() if as_of else None,
               "synonyms": settings.synonyms}
    err = Console(stderr=True)
    show_progress = err.is_terminal and not as_json
    if show_progress:
        outcomes = _ingest_with_progress(err, settings, factory, paths, options)
    else:
        outcomes = ingest_paths(factory, list(paths), now=beijing_now(), **options)
    if as_json:
        click.echo(json.dumps({"files": [o.to_json(settings.language) for o in outcomes]},
                              ensure_ascii=False, indent=2))
    else:
        print_outcomes(Console(highlight=False), outcomes, settings.language)
    if any(o.status == "refused" for o in outcomes):
        sys.exit(1)


def _ingest_with_progress(console: Console, settings: Settings, factory, paths, options):
    """A bar per run on a terminal: the file and phase, and rows written once storing starts."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(say(settings, "reading"), total=None)

        def report(path: Path, phase: str, done: int, total: int) -> None:
            label = say(settings, f"phase.{phase}")
            bar.update(task, description=f"{path.name} · {label}", completed=done, total=total or None)

        return ingest_paths(factory, list(paths), now=beijing_now(), progress=report, **options)


def _factory(obj: Context):
    try:
        return obj.factory()
    except StorageError as exc:
        raise click.ClickException(say(obj.settings, "error", message=exc)) from exc


@cli.command()
@click.pass_obj
def migrate(obj: Context) -> None:
    """Create or upgrade the database schema (every command also does this first)."""
    _factory(obj)
    click.echo(obj.settings.redacted_url())


@cli.command()
@click.option("--folder", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-data"),
              show_default=True, help="Where the demo writes its exports and its SQLite database.")
@click.option("--json", "as_json", is_flag=True, help="Print the demo's figures as JSON.")
@click.pass_obj
def demo(obj: Context, folder: Path, as_json: bool) -> None:
    """Run the demo: the 2023 exports of 乌鲁木齐市科学技术协会 through the real importer.

    演示：生成 2023 年市科协的指标、支付、调整导出文件，经真实导入流程入库，并按季度末统计执行率。
    """
    from jobs.demo.run import run_demo

    database = obj.settings.database_url if obj.explicit_database else None
    run_demo(folder, language=obj.settings.language, database=database, as_json=as_json)


def main() -> None:
    try:
        cli(prog_name="budget-monitor")
    except StorageError as exc:
        click.echo(f"budget-monitor: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
