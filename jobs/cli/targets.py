"""``budget-monitor targets`` (the stored performance targets and where each stands) and
``budget-monitor progress add`` (one progress report entered by hand).

Units, projects and indicators are found exactly as the importer finds them in a progress
report (jobs/ingest/target_refs.py), and refused with the same words.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from decimal import Decimal

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from db.engine import transaction
from db.exceptions import StorageError
from db.lookups import latest_target_year, previous_report, stored_target, unit_id
from db.target_queries import TargetFacts, load_targets
from db.target_store import KnownProject, KnownTarget, KnownUnit, record_progress
from jobs.cli.base import CliError, Context, as_of_option, unit_option
from jobs.clock import beijing_now
from jobs.execution import default_as_of
from jobs.ingest.problems import problem
from jobs.ingest.target_records import Actual, fraction_of_percent, name_key, parse_actual, read_ref
from jobs.ingest.target_refs import DbCatalog, Finder, owner_words
from jobs.ingest.values import CellError, parse_date
from monitor.i18n import render
from monitor.money import to_wan, two
from monitor.target_values import TargetValue
from monitor.targets import Target, mode_of

TEXT = {
    "need_date": {"zh": "--date 应为日期，如 2024-06-30", "en": "--date must be a date such as 2024-06-30"},
    "empty": {"zh": "{option} 不能为空", "en": "{option} must not be empty"},
    "date_year": {"zh": "--date {date} 不在 {year} 年内", "en": "--date {date} is not in {year}"},
    "choices": {"zh": "{message}；该{owner}的三级指标：{names}", "en": "{message}; the indicators there: {names}"},
    "owner.unit": {"zh": "单位", "en": "unit"}, "owner.project": {"zh": "项目", "en": "project"},
    "recorded": {"zh": "已记录（{outcome}）：{owner} · {name} · {date} 完成值 {actual}（目标 {target}）",
                 "en": "recorded ({outcome}): {owner} · {name} · {date} actual {actual} (target {target})"},
    "outcome.inserted": {"zh": "新增", "en": "new"}, "outcome.updated": {"zh": "已替换同日的值", "en": "replaced"},
    "outcome.unchanged": {"zh": "与已有的值相同", "en": "unchanged"},
    "whole": {"zh": "单位整体", "en": "unit as a whole"},
    "title": {"zh": "{year} 年绩效目标（进度截至 {as_of}）", "en": "{year} performance targets (progress to {as_of})"},
    "none": {"zh": "没有 {year} 年的绩效目标（先用 budget-monitor ingest 导入绩效目标表）",
             "en": "no performance targets for {year} (import a target table first with budget-monitor ingest)"},
    "no_unit": {"zh": "没有编码为 {unit} 的单位", "en": "no unit with the code {unit}"},
    "col.unit": {"zh": "单位", "en": "unit"}, "col.project": {"zh": "项目", "en": "project"},
    "col.name": {"zh": "三级指标", "en": "indicator"}, "col.target": {"zh": "指标值", "en": "target"},
    "col.weight": {"zh": "权重", "en": "weight"}, "col.leader": {"zh": "负责人", "en": "leader"},
    "col.due": {"zh": "完成时限", "en": "due"}, "col.latest": {"zh": "最新进度", "en": "latest progress"},
    "col.spent": {"zh": "已支出(万元)", "en": "spent (万元)"}, "colon": {"zh": "：", "en": ": "},
    "needs_report": {"zh": "需报告", "en": "needs a report"},
    "needs_report.note": {
        "zh": "需报告：同一项目（或单位整体）有多个未写经济分类的金额指标，无法从支付数据分别算出各自的支出——"
              "请用 budget-monitor progress add 报告已支出金额，或在绩效目标表中增加“经济分类”列后重新导入",
        "en": "needs a report: a project (or the unit as a whole) has several money targets without an economic "
              "class, so the payments cannot tell their spending apart — report it with budget-monitor progress "
              "add, or add a 经济分类 column to the target table and import it again"},
    "missing": {"zh": "缺少必需的选项：{options}（如 progress add --unit 158001 --indicator 三级指标 --date 2024-06-30 "
                      "--actual 8场次）",
                "en": "missing required options: {options} (e.g. progress add --unit 158001 --indicator NAME "
                      "--date 2024-06-30 --actual 8场次)"},
    "lower": {"zh": "注意：此值低于 {date} 的报告值 {earlier}（完成值是累计数，通常不会减少；若为更正可忽略）",
              "en": "note: this is lower than the report of {date} ({earlier}); actual values are cumulative and "
                    "rarely fall — ignore this if it is a correction"},
}


def say(language: str, code: str, **params) -> str:
    return render(TEXT, code, language, params)


# --- progress add ------------------------------------------------------------------------------

def _date(ctx, param, value):
    if value is None:  # missing: said with the other missing options
        return None
    try:
        return parse_date(value)
    except (CellError, TypeError) as exc:
        raise click.BadParameter(say(ctx.find_object(Context).language, "need_date")) from exc


@click.group()
def progress() -> None:
    """Progress reports on performance targets. 绩效目标完成进度。"""


@progress.command("add")
@click.option("--unit", callback=unit_option, metavar="CODE",
              help="The budget unit: its code (or its exact name). 预算单位编码。")
@click.option("--project", metavar="NAME_OR_CODE",
              help="The project: its code or exact name; leave out for a target of the unit as a whole. 项目。")
@click.option("--indicator", metavar="NAME", help="The indicator (三级指标) as the target table names it.")
@click.option("--date", "reported_on", metavar="DATE", callback=_date,
              help="The date the actual value is as of, e.g. 2024-06-30. 截至日期。")
@click.option("--actual", metavar="VALUE",
              help="The value reached by then, e.g. 8, 8场次, 92%, 12.5万元. 实际完成值。")
@click.option("--note", help="Evidence or remarks. 备注。")
@click.option("--year", type=click.IntRange(2000, 2100), help="Budget year of the target (default: the date's year).")
@click.pass_obj
def add(obj: Context, unit: str | None, project: str | None, indicator: str | None, reported_on: dt.date | None,
        actual: str | None, note: str | None, year: int | None) -> None:
    """Record one progress report; it replaces an earlier report of the same target and date.
    --unit, --indicator, --date and --actual are required.

    录入一条绩效目标完成进度（同一指标同一日期的旧值被替换）；--unit、--indicator、--date、--actual 必填。
    """
    language = obj.language
    missing = [option for option, given in (("--unit", unit), ("--indicator", indicator), ("--date", reported_on),
                                            ("--actual", actual)) if given is None]
    # all of them in one line, in the user's language (click names the first one, in English)
    if missing or unit is None or indicator is None or reported_on is None or actual is None:
        raise CliError(say(language, "missing", options=("、" if language == "zh" else ", ").join(missing)),
                       language, 2)
    year = year or reported_on.year
    if reported_on.year != year:
        raise CliError(say(language, "date_year", date=reported_on.isoformat(), year=year), language, 2)
    try:
        value = parse_actual(actual)
    except CellError as exc:
        raise CliError(problem(exc.code).message(language), language, 2) from exc
    for option, text in (("--project", project), ("--indicator", indicator)):
        if text is not None and not text.strip():
            raise CliError(say(language, "empty", option=option), language, 2)
    factory = obj.factory()
    try:
        target, owner = _target(DbCatalog(factory), language, unit, project, indicator, year)
        _check_measure(language, target, value, actual)
        with transaction(factory) as session:
            outcome = record_progress(session, target_id=target.id, reported_on=reported_on, actual=value.value,
                                      note=note.strip() if note and note.strip() else None,
                                      recorded_at=beijing_now(), source="cli")
            lower = _lower_than_before(session, target.id, reported_on, value.value)
    except StorageError as exc:
        raise CliError(str(exc), language, 2) from exc
    click.echo(say(language, "recorded", outcome=say(language, f"outcome.{outcome}"), owner=owner,
                   name=target.name, date=reported_on.isoformat(), actual=actual.strip(), target=target.target_text))
    if lower is not None:
        click.echo(say(language, "lower", date=lower[0].isoformat(), earlier=f"{lower[1]}{target.measure}"))


def _lower_than_before(session, target_id: int, reported_on: dt.date, actual) -> tuple[dt.date, Decimal] | None:
    """(date, value) of the latest earlier report when ``actual`` is lower and the target's reports
    are cumulative (a count, a cost: not a rate or a satisfaction level, which may fall); else None.
    Accepted all the same: a lower figure may be a correction."""
    stored = stored_target(session, target_id)
    if stored is None:
        return None
    spec = TargetValue(stored.operator, stored.value, stored.measure, stored.target_text)
    if spec.operator == "improve":
        return None
    target = Target(key=str(stored.id), name=stored.name, level1=stored.level1 or "", level2=stored.level2 or "",
                    spec=spec, year=stored.budget_year, due=stored.due_on, window_start=stored.window_start)
    if not (mode_of(target) == "cumulative" or (mode_of(target) == "cap" and spec.is_money)):
        return None
    earlier = previous_report(session, target_id, reported_on)
    if earlier is None or actual >= earlier[1]:
        return None
    return earlier


def _target(catalog: DbCatalog, language: str, unit_text: str, project_text: str | None, indicator: str,
            year: int) -> tuple[KnownTarget, str]:
    """The stored target the options name, or a CliError in the importer's words."""
    finder = Finder(catalog)

    def refuse(code: str, params: dict):
        return CliError(problem(code, **params).message(language), language)

    found_unit = finder.unit(read_ref(unit_text, 0, "--unit", code_column=False), allow_new=False)
    if isinstance(found_unit, tuple):
        raise refuse(*found_unit)
    if not isinstance(found_unit, KnownUnit):  # allow_new=False: never a unit to add
        raise TypeError(f"--unit found a unit the database does not know: {found_unit!r}")
    found_project: KnownProject | None = None
    if project_text is not None:
        ref = read_ref(project_text, 0, "--project", code_column=False)
        finder.load_projects([found_unit.id], [ref])
        found = finder.project(ref, found_unit)
        if isinstance(found, tuple):
            raise refuse(*found)
        found_project = found
    project_id = None if found_project is None else found_project.id
    candidates = [t for t in catalog.targets(year, [found_unit.id]) if t.project_id == project_id]
    matching = [t for t in candidates if name_key(t.name) == name_key(indicator)]
    owner = _owner(language, found_unit, found_project)
    if not matching:
        owner_zh, owner_en = owner_words(found_unit, found_project)
        message = problem("unknown_target", year=year, name=indicator.strip(), owner=owner_zh,
                          owner_en=owner_en).message(language)
        if candidates:
            kind = "owner.project" if found_project else "owner.unit"
            message = say(language, "choices", message=message, owner=say(language, kind),
                          names="、".join(t.name for t in candidates[:12]) + ("…" if len(candidates) > 12 else ""))
        raise CliError(message, language)
    return matching[0], owner


def _owner(language: str, unit: KnownUnit, project: KnownProject | None) -> str:
    return f"{unit.code} {unit.name}" + (f" · {project.name}" if project else f" · {say(language, 'whole')}")


def _check_measure(language: str, target: KnownTarget, value: Actual, text: str) -> None:
    if value.measure and target.measure and value.measure != target.measure:
        raise CliError(problem("measure_mismatch", found=value.measure, expected=target.measure, name=target.name,
                               target=target.target_text).message(language), language, 2)
    percent = fraction_of_percent(value, target.measure)
    if percent is not None:  # --actual 0.97 on a >=95% target: 97%, surely not 0.97%
        raise CliError(problem("fraction_percent", name=target.name, target=target.target_text, percent=percent,
                               actual=text.strip()).message(language), language, 2)


# --- targets -----------------------------------------------------------------------------------

@click.command()
@click.option("--unit", callback=unit_option, metavar="CODE", help="One unit only (its code).")
@click.option("--year", type=click.IntRange(2000, 2100),
              help="Budget year (default: the latest year with targets).")
@click.option("--as-of", "as_of", metavar="DATE", callback=as_of_option,
              help="Progress and spending up to this date (default: the year's last day).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_obj
def targets(obj: Context, unit: str | None, year: int | None, as_of: dt.date | None, as_json: bool) -> None:
    """List the stored performance targets with their latest progress and, for targets in money,
    the amount spent.

    列出绩效目标及最新完成进度；金额类指标同时列出已支出金额。
    """
    language = obj.language
    try:
        with transaction(obj.factory()) as session:
            unit_ids = None
            if unit is not None:
                found = unit_id(session, unit)
                if found is None:
                    raise CliError(say(language, "no_unit", unit=unit), language)
                unit_ids = [found]
            if year is None:
                year = (as_of.year if as_of else None) or latest_target_year(session) or beijing_now().year
            year, as_of = default_as_of(year, beijing_now().date()) if as_of is None else (year, as_of)
            facts = load_targets(session, year, as_of, unit_ids)
    except StorageError as exc:
        raise CliError(str(exc), language, 2) from exc
    if as_json:
        click.echo(json.dumps({"year": year, "as_of": as_of.isoformat(), "targets": [_json(f) for f in facts]},
                              ensure_ascii=False, indent=2))
        return
    _print(language, year, as_of, facts)


def _text(value) -> str | None:
    return None if value is None else str(value)


def _json(facts: TargetFacts) -> dict:
    latest = facts.latest
    return {
        "id": facts.id, "budget_year": facts.budget_year, "unit_code": facts.unit_code, "unit_name": facts.unit_name,
        "project_code": facts.project_code, "project_name": facts.project_name, "level1": facts.level1,
        "level2": facts.level2, "name": facts.name, "target_text": facts.target_text, "operator": facts.operator,
        "value": _text(facts.value), "measure": facts.measure, "weight": _text(facts.weight), "leader": facts.leader,
        "due_on": facts.due_on.isoformat(),
        "window_start": facts.window_start.isoformat() if facts.window_start else None,
        "milestones": [[day.isoformat(), str(value)] for day, value in facts.milestones],
        "economic_class": facts.economic_class,
        "latest": None if latest is None else {"reported_on": latest.reported_on.isoformat(),
                                               "actual": str(latest.actual), "note": latest.note,
                                               "source": latest.source},
        "reports": len(facts.reports),
        "spent": two(facts.spent),  # yuan, from payments
        "spent_unit": "yuan" if facts.spent is not None else None,
        "needs_report": facts.needs_report,  # in money, but its spending must be reported (several without a class)
    }


def _print(language: str, year: int, as_of: dt.date, facts: list[TargetFacts]) -> None:
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
    if not facts:
        console.print(say(language, "none", year=year), markup=False)
        return
    table = Table(title=say(language, "title", year=year, as_of=as_of.isoformat()))
    for column in ("unit", "project", "name", "target", "weight", "leader", "due", "latest", "spent"):
        table.add_column(say(language, f"col.{column}"), justify="right" if column in ("weight", "spent") else "left")
    for f in facts:
        latest = f.latest
        cells = (
            f.unit_code, f.project_name or say(language, "whole"), f.name, f.target_text, _text(f.weight) or "",
            f.leader or "", f.due_on.isoformat(),
            ("—" if latest is None
             else f"{latest.reported_on.isoformat()}{say(language, 'colon')}{latest.actual}{f.measure}"),
            # two() of an amount is never None
            say(language, "needs_report") if f.needs_report else "" if f.spent is None else two(to_wan(f.spent)) or "",
        )
        table.add_row(*(Text(cell) for cell in cells))  # names are text, never rich markup
    console.print(table)
    if any(f.needs_report for f in facts):
        console.print(say(language, "needs_report.note"), markup=False)
