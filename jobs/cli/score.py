"""``budget-monitor score``: the evaluation's scores that data decides, per department and unit,
each indicator with its weight, its status and the figures it was computed from, then each
unit's performance targets (绩效目标) with their completion and score by the evaluation's rule
(qualitative ones are left to a judgement). The texts and the helpers it shares with ``status``
are in jobs/cli/execution.py.
"""

from __future__ import annotations

import json
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from alerts.target_rules import amount
from db.exceptions import StorageError
from jobs.cli.base import Context, as_of_option, resolve_period, unit_option
from jobs.cli.execution import (
    BAD_STATES,
    WATCH_STATES,
    console_for_tables,
    no_data,
    percent,
    say,
    storage_error,
    target_percent,
    wan,
    watched_targets,
)
from jobs.cli.execution_json import needs_judgement, scores_json, target_text, targets_total
from jobs.execution import scores as load_scores
from jobs.targets_eval import TargetScore, target_scores
from monitor.assess import ScoreCard
from monitor.money import near, two
from monitor.scores import IndicatorScore


@click.command()
@click.option("--year", type=click.IntRange(2000, 2100), help="Budget year (default: the year of --as-of).")
@click.option("--as-of", "as_of", metavar="DATE", callback=as_of_option,
              help="Score at this date; during the year the score is where the unit is heading. 统计日期。")
@click.option("--unit", "unit_code", metavar="CODE", callback=unit_option, help="Only this unit. 单位编码。")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON document: per indicator key, weight, score, inputs; per unit its targets.")
@click.pass_obj
def score(obj: Context, year, as_of, unit_code, as_json) -> None:
    """The evaluation's scores that data decides, per department and unit: payment progress,
    execution rate, adjustment rate and three-public-expense control, each with its weight and
    the figures it was computed from. During the year: the score each is heading for. Then, per
    unit, its performance targets: completion (actual ÷ target), weight and score by the rule
    (nothing below 90%; satisfaction all or nothing; qualitative targets need a judgement).

    绩效评价得分（资金支付进度、预算执行率、预算调整率、三公经费控制），列出权重、得分和计算依据；
    年度未结束时为按当前进度预计的得分。其后列出各单位的绩效目标：完成率、权重、按规则计算的得分
    （完成率低于 90% 不得分，满意度指标达标得满分，定性指标需人工判断）。
    """
    year, as_of = resolve_period(obj, year, as_of)
    language = obj.language
    try:
        cards = load_scores(obj.factory(), year=year, as_of=as_of, settings=obj.settings.execution,
                            unit_code=unit_code)
    except StorageError as exc:
        raise storage_error(obj, exc) from exc
    if not cards:
        raise no_data(obj, year, unit_code)
    by_unit: dict[str, list[TargetScore]] = {}
    for item in target_scores(watched_targets(obj, year, as_of, _departments(obj), unit_code)):
        by_unit.setdefault(item.watched.routing["unit"], []).append(item)
    if as_json:
        click.echo(json.dumps(scores_json(cards, by_unit), ensure_ascii=False, indent=2))
        return
    console = console_for_tables()
    for card in cards:
        print_score_card(console, language, card)
        if card.level == "unit" and card.code in by_unit:
            _print_targets(console, language, card.code, card.name, as_of, by_unit[card.code])
    carded = {c.code for c in cards if c.level == "unit"}
    for code, items in by_unit.items():
        if code not in carded:  # targets of a unit without quota lines this year
            name = next((i.watched.scope_name for i in items if "project" not in i.watched.routing), "")
            _print_targets(console, language, code, name, as_of, items)


def _departments(obj: Context) -> dict[str, str]:
    """unit code → department code (the targets' rules and routing follow the department)."""
    from db.engine import transaction
    from db.lookups import unit_departments

    try:
        with transaction(obj.factory()) as session:
            return unit_departments(session)
    except StorageError as exc:
        raise storage_error(obj, exc) from exc


def _actual_text(language: str, item: TargetScore) -> str:
    status = item.watched.status
    if status.actual is None:
        return "—"
    text = amount(status.actual, status.target.spec.measure)
    if status.reported_on is None:
        return text
    return say(language, "actual_on", actual=text, date=f"{status.reported_on:%m-%d}")


def _print_targets(console: Console, language: str, code: str, name: str, as_of, items: list[TargetScore]) -> None:
    """The output-indicator part of the score: one row per target, then the total line."""
    table = Table(title=say(language, "targets_title", level=say(language, "level.unit"), who=f"{code} {name}".strip(),
                            as_of=as_of.isoformat()), title_justify="left")
    for column in ("col.scope", "indicator", "col.target", "col.actual", "col.completion", "weight", "score",
                   "status"):
        table.add_column(say(language, column), overflow="fold",
                         justify="right" if column in ("col.completion", "weight", "score") else "left")
    for item in items:
        status = item.watched.status
        target = status.target
        judgement = needs_judgement(item)
        scope = item.watched.scope_name if "project" in item.watched.routing else say(language, "whole")
        state = say(language, "judgement") if judgement else say(language, f"state.{status.status}")
        if status.status in BAD_STATES:
            style = "red"
        elif status.status in WATCH_STATES or judgement:
            style = "yellow"
        else:
            style = None
        cells = (scope, target.name, target_text(target.spec), _actual_text(language, item),
                 percent(item.completion), two(target.weight) or "—", two(item.score) or "—", state)
        table.add_row(*(Text(cell) for cell in cells), style=style)  # names are text, never rich markup
    console.print(table)
    total = targets_total(items)
    line = say(language, "targets_total", scored=total["scored"], score=total["score"], weight=total["weight"])
    if total["needs_judgement"]:
        line += say(language, "total.judgement", count=total["needs_judgement"],
                    weight=total["needs_judgement_weight"])
    if total["without_value"]:
        line += say(language, "total.missing", count=total["without_value"], weight=total["without_value_weight"])
    if total["unweighted"]:
        line += say(language, "total.unweighted", count=total["unweighted"])
    console.print(line, markup=False)


def print_score_card(console: Console, language: str, card: ScoreCard) -> None:
    """One score card as a table: each indicator with its weight, score, status and inputs (the
    demo prints the department's card the same way)."""
    table = Table(title=say(language, "score_title", level=say(language, f"level.{card.level}"), code=card.code,
                            name=card.name, year=card.year, score=two(card.score), weight=two(card.weight),
                            as_of=card.as_of.isoformat()), title_justify="left")
    for column in ("indicator", "weight", "score", "status", "inputs"):
        table.add_column(say(language, column), justify="right" if column in ("weight", "score") else "left",
                         overflow="fold")
    for indicator in card.indicators:
        full = indicator.score is not None and indicator.score == indicator.weight
        table.add_row(say(language, f"key.{indicator.key}"), two(indicator.weight),
                      two(indicator.score) if indicator.score is not None else "—",
                      say(language, f"status.{indicator.status}"), explain(indicator, language, card.level),
                      style=None if full else ("red" if indicator.score is not None else "yellow"))
    console.print(table)


def explain(indicator: IndicatorScore, language: str, level: str = "department") -> str:
    """The inputs of an indicator in one line a person can check."""
    values: dict[str, Any] = {i.name: i.value for i in indicator.inputs}  # each name's own type
    if indicator.key == "payment_progress":
        parts = []
        for name in values:
            if name.endswith(".rate"):
                day = name.removesuffix(".rate")
                mark = "✓" if values[f"{day}.met"] else "✗"
                if values[f"{day}.projected"]:
                    mark += say(language, "projected_mark")
                target = values[f"{day}.target_rate"]
                parts.append(say(language, "checkpoint", date=day[5:], rate=near(values[name], target),
                                 target=target_percent(target), mark=mark))
        if parts:  # the denominator: the adjusted budget known at the date (the evaluation's: the full year's)
            parts.append(say(language, "progress_of", budget=wan(values["budget"])))
        return "；".join(parts) if language == "zh" else "; ".join(parts)
    if indicator.key == "execution_rate":
        projected = say(language, "projected_mark") + " " if values["projected"] else ""
        return say(language, "execution", projected=projected, rate=two(values["rate"]),
                   paid=wan(values["paid"]), budget=wan(values["budget"]))
    if indicator.key == "adjustment_rate":
        return say(language, "adjustment", adjusted=wan(values["adjusted"]), initial=wan(values["initial"]),
                   rate=near(values["rate"], values["limit"]), limit=target_percent(values["limit"]),
                   counted=len(values["counted"]), excluded=len(values["excluded"]),
                   measure=values["measure"]) + say(language, f"adjustment_source.{values['source']}") + (
            say(language, "adjustment_conflict", documents=wan(values["documents_net"]),
                export=wan(values["quota_export_net"])) if indicator.status == "conflict" else "")
    if values.get("previous_budget") is None:
        return say(language, "no_previous_unit" if level == "unit" else "no_previous")
    projected = say(language, "projected_mark") if values["projected"] else ""
    return say(language, "three_public", budget=wan(values["budget"]), spent=wan(values["spent"]),
               previous=wan(values["previous_budget"]), projected=projected)
