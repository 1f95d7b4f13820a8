"""``budget-monitor chart`` and ``budget-monitor report``: the execution chart as a PNG and the
status report as one HTML page, written to ``-o FILE``. Registered in ``jobs/cli/app.py``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from db.exceptions import StorageError
from jobs.cli.base import CliError, Context, as_of_option, resolve_period, unit_option
from jobs.execution import ExecutionCurve, StatusReport, curve, status
from monitor.i18n import render

# matplotlib takes about half a second to import: the chart modules are imported by the two
# commands that draw, not by every command of the CLI.

TEXT = {
    "database": {"zh": "无法读取数据库 {url}：{reason}", "en": "cannot read the database {url}: {reason}"},
    "no_data": {"zh": "数据库中没有 {year} 年的指标或支付数据",
                "en": "the database has no quota lines or payments of {year}"},
    "no_unit": {"zh": "数据库中没有单位 {unit} 在 {year} 年的指标或支付数据",
                "en": "the database has no quota lines or payments of unit {unit} in {year}"},
    "cannot_write": {"zh": "无法写入 {path}：{reason}", "en": "cannot write {path}: {reason}"},
    "warning": {"zh": "警告：{message}", "en": "warning: {message}"},
}

period_options = (
    click.option("--year", type=click.IntRange(2000, 2100),
                 help="Budget year (default: the year of --as-of, or this year). 预算年度。"),
    click.option("--as-of", "as_of", metavar="DATE", callback=as_of_option,
                 help="Compute at this date, e.g. 2023-03-31 (default: today, or the year's last day "
                      "once it is over). 统计截至日期。"),
    click.option("--unit", "unit_code", metavar="CODE", callback=unit_option,
                 help="One budget unit, e.g. 158001 (default: every unit). 单位编码。"),
)


def _with_period(command):
    for option in reversed(period_options):
        command = option(command)
    return command


def say(language: str, code: str, **params) -> str:
    return render(TEXT, code, language, params)


def _storage_error(obj: Context, exc: StorageError) -> CliError:
    return CliError(say(obj.language, "database", url=obj.settings.redacted_url(), reason=exc), obj.language, 2)


def _no_data(obj: Context, year: int, unit_code: str | None) -> CliError:
    if unit_code:
        return CliError(say(obj.language, "no_unit", unit=unit_code, year=year), obj.language)
    return CliError(say(obj.language, "no_data", year=year), obj.language)


def _cannot_write(obj: Context, path: Path, exc: OSError) -> CliError:
    return CliError(say(obj.language, "cannot_write", path=path, reason=exc.strerror or exc), obj.language)


def _load(obj: Context, year: int, as_of: dt.date, unit_code: str | None, *,
          with_status: bool) -> tuple[StatusReport | None, ExecutionCurve]:
    factory = obj.factory()
    engine = obj.settings.execution
    try:
        report = status(factory, year=year, as_of=as_of, settings=engine, unit_code=unit_code) if with_status else None
        figures = curve(factory, year=year, as_of=as_of, settings=engine, unit_code=unit_code, report=report)
    except StorageError as exc:
        raise _storage_error(obj, exc) from exc
    if (report is not None and not report.statuses) or (not figures.name and not figures.points):
        raise _no_data(obj, year, unit_code)
    return report, figures


def _done(obj: Context, output: Path, warning: str | None, as_json: bool, **extra) -> None:
    if warning:
        click.echo(say(obj.language, "warning", message=warning), err=True)
    if as_json:
        click.echo(json.dumps({"path": str(output), "warning": warning, **extra}, ensure_ascii=False, indent=2))
    else:
        click.echo(str(output))


@click.command()
@_with_period
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, metavar="FILE.png",
              help="Where to write the PNG. 输出文件。")
@click.option("--json", "as_json", is_flag=True, help="Print the path, the font and any warning as JSON.")
@click.pass_obj
def chart(obj: Context, year: int | None, as_of: dt.date | None, unit_code: str | None, output: Path,
          as_json: bool) -> None:
    """Draw the cumulative execution rate of the year against the time schedule and the
    checkpoints, as a PNG.

    绘制全年累计执行率曲线，对照序时进度和考核进度节点（已过节点标出达标或未达标）。
    """
    from jobs.reports.chart import render_chart

    year, as_of = resolve_period(obj, year, as_of)
    _, figures = _load(obj, year, as_of, unit_code, with_status=False)
    try:
        result = render_chart(figures, output, obj.language)
    except OSError as exc:
        raise _cannot_write(obj, output, exc) from exc
    _done(obj, output, result.warning, as_json, language=result.language, font=result.font)


@click.command()
@_with_period
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, metavar="FILE.html",
              help="Where to write the HTML page. 输出文件。")
@click.option("--json", "as_json", is_flag=True, help="Print the path and any warning as JSON.")
@click.pass_obj
def report(obj: Context, year: int | None, as_of: dt.date | None, unit_code: str | None, output: Path,
           as_json: bool) -> None:
    """Write the status report: one self-contained HTML page with the chart and the ranked
    table of departments, units and projects.

    生成执行情况报告（单个 HTML 文件，含进度图和按落后程度排序的部门、单位、项目执行表）。
    """
    from jobs.reports.html import render_report

    year, as_of = resolve_period(obj, year, as_of)
    status_report, figures = _load(obj, year, as_of, unit_code, with_status=True)
    if status_report is None:  # with_status=True: always read
        raise TypeError("the status report was not read")
    page = render_report(status_report, figures, obj.language)
    try:
        output.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise _cannot_write(obj, output, exc) from exc
    _done(obj, output, None, as_json)
