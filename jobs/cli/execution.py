"""``budget-monitor status``: the engine's results for people (``score`` is in jobs/cli/score.py,
with the texts and helpers here).

Tables are ranked by how far each entity is behind the time schedule; ``--json`` prints the same
figures as one document (amounts in yuan, rates in percent, strings with two decimals).

Performance targets (绩效目标) stand beside the money: ``status`` gives each project (and each
unit, for its unit-wide targets) a count of its targets by state, worst first; ``score`` follows
each unit's card with its targets, each with its completion and its score by the evaluation's
rule (qualitative ones are left to a judgement).
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from alerts.target_rules import WatchedTarget
from db.exceptions import StorageError
from jobs.cli.base import CliError, Context, as_of_option, resolve_period, unit_option
from jobs.cli.execution_json import status_json, unmatched_json
from jobs.execution import status as load_status
from jobs.targets_eval import summary, watch_targets
from jobs.unmatched import no_department_line, unmatched_line
from monitor.assess import EntityStatus, rank
from monitor.calendar import source_name
from monitor.i18n import render
from monitor.money import to_wan, two

TEXT = {
    "title": {"zh": "{year} 年预算执行进度（截至 {as_of}，按落后序时进度排序）",
              "en": "{year} budget execution at {as_of}, most behind the time schedule first"},
    "level": {"zh": "层级", "en": "level"},
    "level.department": {"zh": "部门", "en": "department"},
    "level.unit": {"zh": "单位", "en": "unit"},
    "level.project": {"zh": "项目", "en": "project"},
    "level.quota_line": {"zh": "指标", "en": "quota line"},
    "entity": {"zh": "名称", "en": "name"},
    "budget": {"zh": "预算(万元)", "en": "budget (万元)"},
    "paid": {"zh": "已支付(万元)", "en": "paid (万元)"},
    "rate": {"zh": "执行率", "en": "rate"},
    "schedule": {"zh": "序时进度", "en": "schedule"},
    "next": {"zh": "下一考核点", "en": "next checkpoint"},
    "gap": {"zh": "还需支付(万元)", "en": "to pay (万元)"},
    "days": {"zh": "剩余工作日", "en": "working days"},
    "daily": {"zh": "日均需支付(万元)", "en": "per day (万元)"},
    "projected": {"zh": "预计到考核点", "en": "projected"},
    "method.history": {"zh": "按往年", "en": "by earlier years"},
    "method.linear": {"zh": "线性", "en": "linear"},
    "method.none": {"zh": "—", "en": "—"},
    "none": {"zh": "没有 {year} 年的指标或支付数据{hint}", "en": "no quota lines or payments for {year}{hint}"},
    "years_hint": {"zh": "；数据库中有 {years} 年的数据，可用 --year 指定",
                   "en": "; the database has {years}: use --year"},
    "empty_hint": {"zh": "；数据库是空的，先用 budget-monitor ingest 导入导出文件",
                   "en": "; the database is empty: import exports first with budget-monitor ingest"},
    "no_unit": {"zh": "没有单位 {unit} 在 {year} 年的数据", "en": "no data for unit {unit} in {year}"},
    "department_not_unit": {"zh": "{unit} 是部门编码；--unit 需要单位编码（不加 --unit 即显示部门及其各单位）",
                            "en": "{unit} is a department code; --unit takes a unit code (without --unit the "
                                  "departments are shown with their units)"},
    "stale": {"zh": "注意：最新支付导出截至 {latest}，晚于此日期的支付尚未导入",
              "en": "note: the latest payment export is of {latest}; later payments are not imported yet"},
    "uncovered": {"zh": "注意：{years} 年的节假日安排（国务院通知）尚未配置，工作日暂按 {source} 计算"
                        "（公布后在配置 [calendar] 中补充）",
                  "en": "note: {years}'s holiday arrangement (the State Council's notice) is not configured; working "
                        "days counted on the {source} for now (add it under [calendar] once published)"},
    "more": {"zh": "……另有 {count} 行（--limit 0 显示全部，或用 --json / --xlsx）",
             "en": "… {count} more rows (--limit 0 shows all, or use --json / --xlsx)"},
    "written": {"zh": "已写入 {path}", "en": "written: {path}"},
    "score_title": {"zh": "{level} {code} {name}：{year} 年得分 {score} / {weight}（截至 {as_of}）",
                    "en": "{level} {code} {name}: {year} score {score} of {weight} (at {as_of})"},
    "indicator": {"zh": "指标", "en": "indicator"},
    "weight": {"zh": "权重", "en": "weight"},
    "score": {"zh": "得分", "en": "score"},
    "status": {"zh": "状态", "en": "status"},
    "inputs": {"zh": "依据", "en": "based on"},
    "key.payment_progress": {"zh": "资金支付进度", "en": "payment progress"},
    "key.execution_rate": {"zh": "预算执行率", "en": "execution rate"},
    "key.adjustment_rate": {"zh": "预算调整率", "en": "adjustment rate"},
    "key.three_public_control": {"zh": "三公经费控制", "en": "three public expenses"},
    "status.final": {"zh": "已定", "en": "final"},
    "status.heading": {"zh": "预计", "en": "heading"},
    "status.not_measurable": {"zh": "无法计算", "en": "not measurable"},
    "status.conflict": {"zh": "数据矛盾", "en": "data disagree"},
    "adjustment_source.adjustments": {"zh": "；依据调整单", "en": "; from the adjustment documents"},
    "adjustment_source.quota_export": {"zh": "；依据指标明细的调整数（无调整单；无法区分豁免与调剂）",
                                       "en": "; from the quota export's 调整数 (no adjustment documents; "
                                             "exemptions and transfers cannot be told)"},
    "adjustment_source.none": {"zh": "；无调整", "en": "; no adjustments"},
    "adjustment_conflict": {"zh": "；调整单合计 {documents} 万元 ≠ 指标明细调整数 {export} 万元，得分未定",
                            "en": "; the documents sum to {documents} but the quota export says {export} "
                                  "(万元): not decided"},
    "no_previous_unit": {"zh": "缺本单位上年三公经费预算（导入上年指标）：不能用部门的上年数衡量单位",
                         "en": "the unit's own 三公 budget of last year is unknown (import last year's quota "
                               "lines): the department's figure does not measure a unit"},
    "checkpoint": {"zh": "{date} {rate}%（目标 {target}%）{mark}", "en": "{date} {rate}% (target {target}%) {mark}"},
    "projected_mark": {"zh": "预计", "en": "projected"},
    "progress_of": {"zh": "均 ÷ 调整后预算 {budget} 万元（考核口径：全年调整后预算）",
                    "en": "each ÷ the adjusted budget {budget} (万元; the evaluation's: the full year's)"},
    "execution": {"zh": "{projected}{rate}% = {paid} ÷ {budget} 万元",
                  "en": "{projected}{rate}% = {paid} ÷ {budget} (万元)"},
    "adjustment": {"zh": "调整 {adjusted} ÷ 年初 {initial} 万元 = {rate}%（{limit}% 及以上不得分）；计入 {counted} 笔，"
                         "剔除 {excluded} 笔（豁免）；口径 {measure}",
                   "en": "adjusted {adjusted} ÷ initial {initial} (万元) = {rate}% (0 at {limit}% or more); "
                         "{counted} counted, {excluded} exempt; measure {measure}"},
    "three_public": {"zh": "预算 {budget}，{projected}支出 {spent}，上年预算 {previous}（万元）",
                     "en": "budget {budget}, {projected}spent {spent}, last year's budget {previous} (万元)"},
    "no_previous": {"zh": "缺上年三公经费预算：导入上年指标，或在配置中设 previous_three_public_budget",
                    "en": "last year's 三公 budget unknown: import last year's quota lines or set "
                          "previous_three_public_budget in the config"},
    # performance targets (绩效目标)
    "targets": {"zh": "绩效目标", "en": "targets"},
    "targets_title": {"zh": "{level} {who}：绩效目标（产出、成本、效益、满意度等各类指标），"
                            "按截至 {as_of} 的完成值计分",
                      "en": "{level} {who}: performance targets (output, cost, benefit, satisfaction and other "
                            "indicators), scored on the values reached by {as_of}"},
    "col.scope": {"zh": "项目", "en": "project"},
    "col.target": {"zh": "目标值", "en": "target"},
    "col.actual": {"zh": "完成值", "en": "actual"},
    "col.completion": {"zh": "完成率", "en": "completion"},
    "whole": {"zh": "单位整体", "en": "unit as a whole"},
    "actual_on": {"zh": "{actual}（{date}）", "en": "{actual} ({date})"},
    "judgement": {"zh": "需人工判断", "en": "needs a judgement"},
    "targets_total": {"zh": "绩效目标合计：已计分 {scored} 项，得分 {score} / {weight}",
                      "en": "targets in total: {score} of {weight} over {scored} scored"},
    "total.judgement": {"zh": "；需人工判断 {count} 项（权重 {weight}）",
                        "en": "; {count} need a judgement (weight {weight})"},
    "total.missing": {"zh": "；尚无完成值 {count} 项（权重 {weight}）",
                      "en": "; {count} without a value yet (weight {weight})"},
    "total.unweighted": {"zh": "；未设权重 {count} 项", "en": "; {count} without a weight"},
    "summary": {"zh": "{total} 项：{parts}", "en": "{total}: {parts}"},
    "summary.part": {"zh": "{word} {count}", "en": "{count} {word}"},
    "state.on_track": {"zh": "正常", "en": "on track"},
    "state.behind": {"zh": "落后", "en": "behind"},
    "state.met": {"zh": "达成", "en": "met"},
    "state.missed": {"zh": "未达成", "en": "missed"},
    "state.not_measurable": {"zh": "需人工判断", "en": "needs a judgement"},
    "state.no_data": {"zh": "无数据", "en": "no data"},
    "state.cap_near": {"zh": "接近上限", "en": "near the cap"},
    "state.cap_crossed": {"zh": "超出上限", "en": "over the cap"},
    "state.window_soon": {"zh": "时限将至", "en": "window soon"},
    "state.window_open": {"zh": "时限进行中", "en": "window open"},
    "state.window_missed": {"zh": "错过时限", "en": "window missed"},
    "short.not_measurable": {"zh": "需人工判断", "en": "need a judgement"},  # as score says it
}

SUMMARY_WIDTH = 14  # the targets column of the status table, in cells (the table is wide already)
BAD_STATES = frozenset({"missed", "cap_crossed", "window_missed"})
WATCH_STATES = frozenset({"behind", "cap_near", "window_open", "window_soon", "not_measurable"})

LEVELS = ("department", "unit", "project", "quota_line")


def say(language: str, message: str, **params) -> str:
    return render(TEXT, message, language, params)


def console_for_tables() -> Console:
    """Wide tables stay readable when piped to a file or a pager (rich assumes 80 columns)."""
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=160)
    return console


def percent(value) -> str:
    return "—" if value is None else f"{two(value)}%"


def target_percent(value) -> str:
    text = two(value)
    if text is None:  # a checkpoint's or the limit's rate: always set
        raise TypeError("a target rate is missing")
    return text.removesuffix(".00")


def wan(value) -> str:
    return f"{to_wan(value):,}"


def storage_error(obj: Context, exc: StorageError) -> CliError:
    from jobs.cli.base import say as base_say

    return CliError(base_say(obj.language, "database", url=obj.settings.redacted_url(), reason=exc), obj.language, 2)


def no_data(obj: Context, year: int, unit_code: str | None) -> CliError:
    """Nothing for that year (or unit): say which years the database does have."""
    from db.engine import transaction
    from db.figures import years_with_data
    from db.lookups import department_name

    language = obj.language
    with transaction(obj.factory()) as session:
        if unit_code:
            department = department_name(session, unit_code)
            code = "department_not_unit" if department is not None else "no_unit"
            return CliError(say(language, code, year=year, unit=unit_code), language)
        years = years_with_data(session)
    hint = (say(language, "years_hint", years=", ".join(map(str, years))) if years
            else say(language, "empty_hint"))
    return CliError(say(language, "none", year=year, hint=hint), language)


@click.command()
@click.option("--year", type=click.IntRange(2000, 2100), help="Budget year (default: the year of --as-of).")
@click.option("--as-of", "as_of", metavar="DATE", callback=as_of_option,
              help="Compute at this date (default: today in Beijing; the last day of --year once it is over). "
                   "统计日期。")
@click.option("--unit", "unit_code", metavar="CODE", callback=unit_option,
              help="Only this unit (and its projects and quota lines). 单位编码。")
@click.option("--level", "levels", type=click.Choice(LEVELS), multiple=True,
              help="Levels in the table (repeatable; default department, unit, project). 层级。")
@click.option("--limit", type=click.IntRange(0), default=50, show_default=True,
              help="Rows in the table (0: all). --json and --xlsx always have every entity.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document with every entity, all levels.")
@click.option("--xlsx", "xlsx", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Also write the status table as an Excel file for finance staff. 导出 Excel。")
@click.pass_obj
def status(obj: Context, year, as_of, unit_code, levels, limit, as_json, xlsx) -> None:
    """Execution against the checkpoints and the time schedule, per department, unit, project
    and quota line: budget, paid, rate, schedule, next checkpoint with the gap and the daily
    amount needed, and the projected rate.

    执行进度：各部门、单位、项目、指标的预算、累计支付、执行率、序时进度，下一考核点的差额、
    剩余工作日和日均需支付金额，以及预计进度。按落后序时进度的程度排序。
    """
    year, as_of = resolve_period(obj, year, as_of)
    language = obj.language
    try:
        report = load_status(obj.factory(), year=year, as_of=as_of, settings=obj.settings.execution,
                             unit_code=unit_code)
    except StorageError as exc:
        raise storage_error(obj, exc) from exc
    try:
        unmatched, unmatched_figures = unmatched_line(obj.factory(), year, as_of, language, unit_code)
    except StorageError as exc:
        raise storage_error(obj, exc) from exc
    if not report.statuses:
        if unmatched and not as_json:  # payments with no quota export yet: said, not hidden by "no data"
            console_for_tables().print(unmatched, style="yellow", markup=False)
        raise no_data(obj, year, unit_code)
    ranked = rank(report.statuses)
    departments = {s.entity.code: s.entity.department_code for s in report.statuses if s.entity.level == "unit"}
    counts = target_counts(watched_targets(obj, year, as_of, departments, unit_code))
    if xlsx is not None:
        from jobs.reports.excel import write_status_xlsx

        try:
            write_status_xlsx(report, xlsx, language,
                              targets={key: summary_text(language, c) for key, c in counts.items()})
        except OSError as exc:
            raise CliError(f"{xlsx}: {exc.strerror or exc}", language) from exc
    if as_json:
        document = status_json(report, ranked, counts)
        document["unmatched_payments"] = unmatched_json(unmatched_figures)
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    console = console_for_tables()
    shown = [s for s in ranked if s.entity.level in (levels or LEVELS[:3])]
    _print_status(console, language, report.year, report.as_of, shown, limit, counts)
    if report.latest_export is not None and report.latest_export < as_of:
        console.print(say(language, "stale", latest=report.latest_export.isoformat()), style="yellow", markup=False)
    if unmatched:
        console.print(unmatched, style="yellow", markup=False)
    lacking = no_department_line([s.entity.code for s in report.statuses
                                  if s.entity.level == "unit" and s.entity.department_code == "?"], language)
    if lacking:
        console.print(lacking, style="yellow", markup=False)
    if report.uncovered_years:
        console.print(say(language, "uncovered", years=", ".join(map(str, report.uncovered_years)),
                          source=source_name(report.calendar_source, language)),
                      style="yellow", markup=False)
    if xlsx is not None:
        console.print(say(language, "written", path=xlsx), markup=False)


def watched_targets(obj: Context, year: int, as_of, departments: dict[str, str],
             unit_code: str | None) -> list[WatchedTarget]:
    """The year's performance targets at ``as_of`` (of ``unit_code`` only, when given); none
    when the database has none."""
    try:
        watched = watch_targets(obj.factory(), year=year, as_of=as_of, execution=obj.settings.execution,
                                alerts=obj.settings.alerts.rules, departments=departments)
    except StorageError as exc:
        raise storage_error(obj, exc) from exc
    return [w for w in watched if unit_code is None or w.routing.get("unit") == unit_code]


def target_counts(watched: list[WatchedTarget]) -> dict[tuple[str, str], dict[str, int]]:
    """(level, code) → targets by state, worst first: a project's targets on its row, a unit's
    own (unit-wide) targets on the unit's row."""
    groups: dict[tuple[str, str], list[WatchedTarget]] = {}
    for w in watched:
        project = w.routing.get("project")
        key = ("project", project) if project else ("unit", w.routing["unit"])
        groups.setdefault(key, []).append(w)
    return {key: summary(group) for key, group in groups.items()}


def _summary_parts(language: str, counts: dict[str, int]) -> list[str]:
    parts = []
    for state, count in counts.items():
        word = say(language, f"short.{state}" if f"short.{state}" in TEXT else f"state.{state}")
        parts.append(say(language, "summary.part", word=word, count=count))
    return parts


def summary_text(language: str, counts: dict[str, int] | None) -> str:
    """7 项：落后 1 · 无数据 2 · 达成 1 · 需人工判断 1 — worst states first; "—" without targets."""
    if not counts:
        return "—"
    return say(language, "summary", total=sum(counts.values()), parts=" · ".join(_summary_parts(language, counts)))


def summary_lines(language: str, counts: dict[str, int] | None, width: int = SUMMARY_WIDTH) -> str:
    """``summary_text`` folded into lines of about ``width`` cells, never inside "落后 1" (a line
    break stands for the " · " it replaces)."""
    if not counts:
        return "—"
    lines: list[str] = []
    line = say(language, "summary", total=sum(counts.values()), parts="")
    for part in _summary_parts(language, counts):
        if line.endswith(("：", ": ")):
            line += part
        elif cell_len(f"{line} · {part}") <= width:
            line += f" · {part}"
        else:
            lines.append(line)
            line = part
    return "\n".join([*lines, line])


def _print_status(console: Console, language: str, year: int, as_of, statuses: list[EntityStatus],
                  limit: int, targets: dict[tuple[str, str], dict[str, int]] | None = None) -> None:
    targets = targets or {}
    table = Table(title=say(language, "title", year=year, as_of=as_of.isoformat()))
    for column in ("entity", "budget", "paid", "rate", "schedule", "next", "gap", "days", "daily", "projected"):
        table.add_column(say(language, column), justify="left" if column == "entity" else "right",
                         overflow="fold", no_wrap=column != "entity")
    if targets:
        table.add_column(say(language, "targets"), justify="left", overflow="fold")
    rows = statuses if limit == 0 else statuses[:limit]
    for s in rows:
        e, n = s.entity, s.next_checkpoint
        style = "red" if n is not None and n.projected_to_miss else ("yellow" if s.behind > 0 else None)
        projection = n.projection if n else s.year_end
        table.add_row(
            escape(f"[{say(language, f'level.{e.level}')}] {e.code} {e.name}"), wan(e.budget), wan(e.paid),
            percent(e.execution_rate), percent(s.schedule_rate),
            f"{n.date:%m-%d} {target_percent(n.target_rate)}%" if n else "—",
            wan(n.gap) if n else "—", str(n.working_days_left) if n else "—",
            wan(n.daily_needed) if n else "—",
            f"{percent(projection.rate)} {say(language, 'method.' + projection.method)}",
            *([summary_lines(language, targets.get((e.level, e.code)))] if targets else []),
            style=style)
    table.columns[0].ratio = 1
    console.print(table)
    if limit and len(statuses) > limit:
        console.print(say(language, "more", count=len(statuses) - limit), markup=False)
