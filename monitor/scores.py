"""The evaluation's indicators that data decides (附件 综合评分表; docs/DOMAIN.md), one function each.

Each returns an ``IndicatorScore`` with its weight, its score and every input it used, so a score
is never shown without the figures behind it. During the year an indicator is scored on where
the unit is heading if nothing changes (projected figures), and says so (``status="heading"``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from monitor.money import FEN, ZERO, exact_rate
from monitor.rulebook import Checkpoint, Rules

FINAL, HEADING, NOT_MEASURABLE = "final", "heading", "not_measurable"
CONFLICT = "conflict"  # the data contradicts itself: a score that is not decided
# Rates in the inputs are exact (thresholds are compared on them); round them only to show them.


@dataclass(frozen=True)
class AdjustmentRecord:
    """One 调整单 line as the scores see it."""

    adjustment_no: str
    quota_no: str | None
    adjusted_on: dt.date
    adjustment_type: str  # add | cut | transfer
    amount: Decimal  # signed
    exempt_category: str | None
    reason: str | None
    unit_code: str
    department_code: str


@dataclass(frozen=True)
class Input:
    """A figure an indicator used. ``kind`` says how to print it: amount (yuan), rate (percent),
    count, date, flag or text."""

    name: str
    value: object
    kind: str = "amount"


@dataclass(frozen=True)
class IndicatorScore:
    key: str
    weight: Decimal
    score: Decimal | None  # None when not measurable
    status: str  # final | heading | not_measurable
    inputs: tuple[Input, ...]


def _points(weight: Decimal, share: Decimal) -> Decimal:
    return (weight * share).quantize(FEN, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class CheckpointFigure:
    checkpoint: Checkpoint
    paid: Decimal  # cumulative paid at the checkpoint, or projected to it
    projected: bool


def payment_progress(rules: Rules, budget: Decimal, figures: Sequence[CheckpointFigure]) -> IndicatorScore:
    """资金支付进度: at each checkpoint before year end, cumulative paid ÷ full-year adjusted budget
    must reach the target; each miss loses its share of the weight."""
    weight = rules.weights["payment_progress"]
    if not figures or budget == ZERO:
        return IndicatorScore("payment_progress", weight, None, NOT_MEASURABLE, (Input("budget", budget),))
    inputs = [Input("budget", budget)]
    met = 0
    for figure in figures:
        achieved = exact_rate(figure.paid, budget)
        assert achieved is not None  # a zero budget returned above
        hit = achieved >= figure.checkpoint.target_rate
        met += hit
        day = figure.checkpoint.date.isoformat()
        inputs += [Input(f"{day}.paid", figure.paid), Input(f"{day}.rate", achieved, "rate"),
                   Input(f"{day}.target_rate", figure.checkpoint.target_rate, "rate"),
                   Input(f"{day}.met", hit, "flag"), Input(f"{day}.projected", figure.projected, "flag")]
    inputs.append(Input("met", f"{met}/{len(figures)}", "text"))
    status = HEADING if any(f.projected for f in figures) else FINAL
    return IndicatorScore("payment_progress", weight, _points(weight, Decimal(met) / len(figures)), status,
                          tuple(inputs))


def execution_rate(rules: Rules, budget: Decimal, paid: Decimal, projected: bool) -> IndicatorScore:
    """预算执行率: paid ÷ adjusted budget at year end, scored by bands."""
    weight = rules.weights["execution_rate"]
    achieved = exact_rate(paid, budget)
    inputs = (Input("budget", budget), Input("paid", paid), Input("rate", achieved, "rate"),
              Input("projected", projected, "flag"))
    if achieved is None:
        return IndicatorScore("execution_rate", weight, None, NOT_MEASURABLE, inputs)
    share = next((band.share for band in rules.execution_bands if achieved >= band.floor), ZERO)
    return IndicatorScore("execution_rate", weight, _points(weight, share), HEADING if projected else FINAL,
                          inputs + (Input("band_share", share, "rate"),))


def adjusted_amount(records: Sequence[AdjustmentRecord], measure: str) -> Decimal:
    """预算调整数. ``gross``: additions + cuts + the amount moved by transfers. A 调剂 is a cut of
    one line and an addition to another, perhaps of another unit: what it moves in or out of the
    entity is the larger of its sides there, so a transfer inside the entity counts once and one
    to another unit counts for the side the entity has. The sides are paired by their 调整单号
    (one 调整单, two rows); sides written under numbers of their own are pooled. ``net``: the net
    change of the budget."""
    if measure == "net":
        return abs(sum((r.amount for r in records), ZERO))
    by_document: dict[str, list[Decimal]] = {}
    for r in records:
        if r.adjustment_type == "transfer":
            by_document.setdefault(r.adjustment_no, []).append(r.amount)
    paired = [sides for sides in by_document.values() if len(sides) > 1]
    pooled = [a for sides in by_document.values() if len(sides) == 1 for a in sides]
    moved = sum((_moved(sides) for sides in paired), ZERO) + _moved(pooled)
    changed = sum((abs(r.amount) for r in records if r.adjustment_type != "transfer"), ZERO)
    return moved + changed


def _moved(sides: Sequence[Decimal]) -> Decimal:
    return max(sum((a for a in sides if a > ZERO), ZERO), -sum((a for a in sides if a < ZERO), ZERO))


@dataclass(frozen=True)
class LineAdjustments:
    """What the quota export itself says of an entity's adjustments (调整数 per line, in force at
    the date): the net change and the sum of each line's change. A transfer between two of its
    lines is in the gross sum twice: a quota export cannot tell it from a cut and an addition."""

    net: Decimal
    gross: Decimal


def adjustment_rate(rules: Rules, initial: Decimal, records: Sequence[AdjustmentRecord],
                    year_over: bool, lines: LineAdjustments | None = None) -> IndicatorScore:
    """预算调整率: adjustments ÷ 年初预算数, leaving out the exempt categories (policy, force
    majeure, tasks from higher levels); at or above the limit the indicator scores nothing.

    From the 调整单 when there are any; else from the quota export's 调整数 (``lines``), which
    knows no exempt category (source ``quota_export``). When both are there and the documents do
    not add up to the export's net change, the score is not decided (status ``conflict``)."""
    weight = rules.weights["adjustment_rate"]
    counted = [r for r in records if r.exempt_category not in rules.adjustment_exempt]
    excluded = [r for r in records if r.exempt_category in rules.adjustment_exempt]
    documents_net = sum((r.amount for r in records), ZERO)
    if records or lines is None:
        source = "adjustments" if records else "none"
        amount = adjusted_amount(counted, rules.adjustment_measure)
    else:
        source = "quota_export" if lines.net != ZERO or lines.gross != ZERO else "none"
        amount = abs(lines.net) if rules.adjustment_measure == "net" else lines.gross
    achieved = exact_rate(amount, initial)
    inputs = [Input("initial", initial), Input("adjusted", amount), Input("rate", achieved, "rate"),
              Input("limit", rules.adjustment_max_rate, "rate"), Input("measure", rules.adjustment_measure, "text"),
              Input("source", source, "text"),
              Input("counted", tuple(dict.fromkeys(r.adjustment_no for r in counted)), "list"),
              Input("excluded", tuple(dict.fromkeys(f"{r.adjustment_no}:{r.exempt_category}" for r in excluded)),
                    "list")]
    conflict = records and lines is not None and documents_net != lines.net
    if lines is not None:
        inputs += [Input("documents_net", documents_net), Input("quota_export_net", lines.net)]
    if achieved is None:
        return IndicatorScore("adjustment_rate", weight, None, NOT_MEASURABLE, tuple(inputs))
    score = weight if achieved < rules.adjustment_max_rate else ZERO
    status = CONFLICT if conflict else FINAL if year_over else HEADING
    return IndicatorScore("adjustment_rate", weight, _points(score, Decimal(1)), status, tuple(inputs))


def three_public_control(rules: Rules, budget: Decimal, spent: Decimal, previous_budget: Decimal | None,
                         projected: bool, previous_source: str = "quota_lines") -> IndicatorScore:
    """三公经费控制: full only if spent ≤ budget and budget ≤ last year's budget — the entity's
    own last year (``previous_source``: quota_lines, config, or none when it is not known)."""
    weight = rules.weights["three_public_control"]
    inputs = (Input("budget", budget), Input("spent", spent), Input("previous_budget", previous_budget),
              Input("projected", projected, "flag"),
              Input("previous_source", previous_source if previous_budget is not None else "none", "text"))
    if previous_budget is None:
        return IndicatorScore("three_public_control", weight, None, NOT_MEASURABLE, inputs)
    full = spent <= budget and budget <= previous_budget
    return IndicatorScore("three_public_control", weight, weight if full else _points(weight, ZERO),
                          HEADING if projected else FINAL, inputs)
