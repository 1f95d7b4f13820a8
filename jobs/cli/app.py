"""The ``budget-monitor`` command: a thin layer over the jobs (sqlite-utils' ``cli.py`` habit).

Messages people read are Chinese by default; ``--lang en`` (or BUDGET_MONITOR_LANGUAGE=en)
switches to English. Every command that reports has ``--json``. Errors are one line of words
and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from db.exceptions import StorageError
from jobs.cli.base import CliError, Context, _package_version, as_of_option, say
from jobs.clock import beijing_now
from jobs.config.settings import ENV_LANGUAGE, load_settings
from jobs.exceptions import ConfigError
from jobs.ingest import ingest_paths
from jobs.ingest.headers import KINDS
from jobs.ingest.report import print_outcomes


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(_package_version(), "--version", prog_name="budget-monitor")
@click.option("--db", "database", metavar="URL|PATH",
              help="Database: a SQLAlchemy URL (sqlite or postgresql) or a SQLite file path "
                   "(default ./budget-monitor.sqlite, or BUDGET_MONITOR_DATABASE_URL). 数据库。")
@click.option("--config", "config_path", metavar="FILE", type=click.Path(dir_okay=False),
              help="TOML config file (default ./budget-monitor.toml if present, or BUDGET_MONITOR_CONFIG). 配置文件。")
@click.option("--lang", "language", type=click.Choice(["zh", "en"]),
              help="Language of messages: zh (default) or en; or BUDGET_MONITOR_LANGUAGE. 提示语言。")
@click.pass_context
def cli(ctx: click.Context, database: str | None, config_path: str | None, language: str | None) -> None:
    """budget-monitor: watch the budget execution of public units against the assessed
    checkpoints (25% / 50% / 75% of the full-year budget by the ends of Q1–Q3, 95% by year end).

    预算执行监控：导入预算管理一体化系统导出的指标、支付、调整明细，计算累计执行进度。

    Global options (--db, --config, --lang) go before the command:

    \b
        budget-monitor --db monitor.sqlite ingest exports/
    """
    fallback = language or os.environ.get(ENV_LANGUAGE, "zh").lower()[:2]
    try:
        settings = load_settings(config_path, database=database, language=language)
    except ConfigError as exc:
        raise CliError(say(fallback if fallback in ("zh", "en") else "zh", "config", reason=exc),
                       "zh" if fallback != "en" else "en") from exc
    ctx.obj = Context(settings, explicit_database=database is not None)
    _remember_secrets(settings)
    for warning in settings.warnings:  # a config or secret file others may read or change
        click.echo(warning, err=True)


def _remember_secrets(settings) -> None:
    """What an unexpected traceback must not show (main() masks it)."""
    from db.engine import url_password
    from jobs.daemon.logs import remember_secrets

    try:
        remember_secrets(url_password(settings.database_url))
    except Exception:  # noqa: BLE001 — an unreadable URL is reported when it is used
        pass


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path, readable=False))
@click.option("--kind", type=click.Choice(KINDS),
              help="Kind of export (指标/支付/调整); detected from the headers if omitted.")
@click.option("--year", type=click.IntRange(2000, 2100),
              help="Budget year, when the file has no 预算年度 column or title year.")
@click.option("--as-of", "as_of", metavar="DATE", callback=as_of_option,
              help="Date of the export, e.g. 2023-03-31 (default: 截至 date in the title, a date in "
                   "the file name, or the latest payment date). 导出日期。")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document with a result per file.")
@click.pass_obj
def ingest(obj: Context, paths: tuple[Path, ...], kind: str | None, year: int | None, as_of, as_json: bool) -> None:
    """Import payment-system exports: files or folders of .xlsx / .xls / .csv (UTF-8 or GBK).

    导入指标、支付或调整明细（文件或文件夹）。每个文件要么整体导入，要么整体拒绝并列出全部
    问题（行号、列名、取值）；重复导入同一文件或重叠的导出不会重复计数。同一批文件按数据的依赖
    顺序导入（先指标明细，再调整单、支付明细，再绩效目标表、完成情况），与文件名和参数顺序无关。
    有文件被拒绝时退出码为 1。
    """
    factory = obj.factory()
    files = expand_paths(paths)
    options = {"kind": kind, "year": year, "as_of": as_of, "synonyms": obj.settings.synonyms,
               "departments": obj.settings.departments}
    err = Console(stderr=True)
    try:
        if err.is_terminal and not as_json:
            outcomes = _ingest_with_progress(err, obj.language, factory, files, options)
        else:
            outcomes = ingest_paths(factory, files, now=beijing_now(), **options)
    except StorageError as exc:  # opened fine above: a write failed (disk full, locked, connection lost)
        raise CliError(say(obj.language, "database_write", url=obj.settings.redacted_url(), reason=exc),
                       obj.language, exit_code=2) from exc
    if as_json:
        click.echo(json.dumps({"files": [o.to_json(obj.language) for o in outcomes]},
                              ensure_ascii=False, indent=2))
    else:
        print_outcomes(Console(highlight=False, soft_wrap=True), outcomes, obj.language)
    if any(o.status == "refused" for o in outcomes):
        sys.exit(1)


SUFFIXES = {".xlsx", ".xlsm", ".xls", ".csv", ".txt"}


def expand_paths(paths) -> list[Path]:
    """A folder stands for the export files in it (sorted by name, hidden files left out)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir()
                                if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith((".", "~$"))))
        else:
            files.append(path)
    return files


def _ingest_with_progress(console: Console, language: str, factory, paths, options):
    """A bar on a terminal: the file and phase, and rows written once storing starts."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(say(language, "reading"), total=None)

        def report(path: Path, phase: str, done: int, total: int) -> None:
            label = say(language, f"phase.{phase}")
            bar.update(task, description=f"{path.name} · {label}", completed=done, total=total or None)

        return ingest_paths(factory, list(paths), now=beijing_now(), progress=report, **options)


@cli.command()
@click.pass_obj
def migrate(obj: Context) -> None:
    """Create or upgrade the database schema (every command also does this first). 建库或升级。"""
    obj.factory()
    click.echo(obj.settings.redacted_url())


@cli.command()
@click.option("--folder", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-data"),
              show_default=True, help="Where the demo writes its exports and its own SQLite database.")
@click.option("--json", "as_json", is_flag=True, help="Print the demo's figures as JSON.")
@click.option("--replay/--no-replay", default=True, show_default=True,
              help="Replay 2023 day by day through the inbox with the daemon's jobs, printing every alert; "
                   "--no-replay imports everything at once.")
@click.pass_obj
def demo(obj: Context, folder: Path, as_json: bool, replay: bool) -> None:
    """Run the demo: the 2023 exports of 乌鲁木齐市科学技术协会 through the real importer, replayed
    day by day with the daemon's jobs on a simulated clock.

    演示：生成 2023 年市科协的指标、支付、调整导出文件，按产生日期逐日放入收件箱，由后台服务的
    真实任务在模拟时钟上导入、评估并发出预警（输出到控制台），最后统计季度执行率与考核得分。
    """
    from jobs.demo.run import run_demo

    if obj.explicit_database:
        raise CliError(say(obj.language, "demo_db"), obj.language, exit_code=2)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(say(obj.language, "folder", folder=folder, reason=exc.strerror or exc),
                       obj.language) from exc
    try:
        run_demo(folder, language=obj.language, as_json=as_json, replay=replay)
    except StorageError as exc:
        raise CliError(say(obj.language, "database", url=str(folder), reason=exc), obj.language, 2) from exc


from jobs.cli.execution import status  # noqa: E402
from jobs.cli.score import score  # noqa: E402

cli.add_command(status)
cli.add_command(score)


from jobs.cli.reports import chart, report  # noqa: E402

cli.add_command(chart)
cli.add_command(report)


from jobs.cli.alerts import alerts, evaluate  # noqa: E402

cli.add_command(evaluate)
cli.add_command(alerts)


from jobs.cli.daemon import health, replay, run  # noqa: E402

cli.add_command(run)
cli.add_command(health)
cli.add_command(replay)


from jobs.cli.targets import progress, targets  # noqa: E402

cli.add_command(progress)
cli.add_command(targets)


def _language_of(argv: list[str]) -> str:
    """The language for an error found before the options were parsed."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return "en" if argv[i + 1] == "en" else "zh"
        if arg.startswith("--lang="):
            return "en" if arg.endswith("=en") else "zh"
    return "en" if os.environ.get(ENV_LANGUAGE, "zh").lower().startswith("en") else "zh"


def main(argv: list[str] | None = None) -> None:
    """Run the command; a usage error is one line (not click's four), exit code 2."""
    args = sys.argv[1:] if argv is None else argv
    try:
        code = cli.main(args, prog_name="budget-monitor", standalone_mode=False)
    except click.UsageError as exc:
        language = _language_of(args)
        command = exc.ctx.command_path if exc.ctx is not None else "budget-monitor"
        message = say(language, "usage", message=exc.format_message(), command=command)
        click.echo(say(language, "error", message=message), err=True)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo(say(_language_of(args), "aborted"), err=True)
        sys.exit(1)
    except Exception:  # a bug: its traceback, with every secret this process holds masked
        import traceback

        from jobs.daemon.logs import environment_secrets, redact

        sys.stderr.write(redact(traceback.format_exc(), environment_secrets(os.environ, args)))
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
