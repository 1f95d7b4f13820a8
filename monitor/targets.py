"""绩效目标, performance targets: where each stands at a date, and its score by the evaluation's rule.

Pure: frozen dataclasses in and out, Decimal numbers, the date passed in as ``as_of``.

How a target is followed (its ``mode``), in this order:

- ``qualitative`` — 不断提高 and the like: never measurable (status ``not_measurable``).
- ``window`` — a timeliness window [window_start, due]: any report dated on or before due meets it.
- ``cap`` — ``<=`` / ``<`` (``<=61.85万元``, ``<=24小时``): the value used against the cap.
- ``level`` — a percentage or a satisfaction indicator (``>=90%``): no time schedule; the latest
  report is judged against the value.
- ``cumulative`` — every other floor (``>=35场次``, a cost floor ``>=2万元``): the latest report is
  the cumulative value to date, held against the milestones or the time schedule.

Reports are cumulative values to date (the latest one on or before ``as_of`` counts).
``measured_from_payments`` targets take ``spent`` (yuan, as of ``spent_on``) instead, converted to
the target's money measure; without ``spent`` they fall back to the reports.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from monitor.calendar import WorkCalendar
from monitor.money import FEN, ZERO, rate
from monitor.schedule import year_fraction
from monitor.target_values import MilestoneError, TargetValue, parse_milestones

__all__ = [
    "Target", "Report", "TargetStatus", "MilestoneError", "COUNT_MEASURES", "is_count", "kind_of", "mode_of",
    "parse_milestones",
    "evaluate_target", "score_target", "delivery_gap",
]

HUNDRED = Decimal(100)
PASS_COMPLETION = Decimal(90)  # the evaluation gives nothing below 90% completion
# Counts of whole things: an expected or projected count is rounded down to whole units. Only
# these, as written (no 万/千/亿 prefix: 2.9 万人次 is not 2), never a continuous measure.
COUNT_MEASURES = frozenset((
    "个", "场次", "人次", "次", "场", "人", "家", "所", "条", "本", "件", "项", "部", "期", "篇", "台", "套", "名",
    "户", "批", "处", "座", "间", "册", "份", "张", "幅", "节", "门", "类", "支", "队", "村", "校", "辆",
    "架", "艘", "株", "棵", "头", "只", "位", "例", "起", "宗", "笔", "单", "封", "届", "轮", "集", "首", "部次",
    "批次",
))
# 二级指标 words first (the seed's PDF tables split them: "满意 度指 标"), then 一级指标 words.
_LEVEL2_WORDS = (("成本", "cost"), ("时效", "timeliness"), ("满意", "satisfaction"), ("质量", "quality"),
                 ("效益", "benefit"), ("影响", "benefit"), ("数量", "quantity"))
_LEVEL1_WORDS = (("成本", "cost"), ("满意", "satisfaction"), ("效益", "benefit"))
# The default of evaluate_target's calendar: one instance, made once (a default argument is too).
_MAINLAND = WorkCalendar()


@dataclass(frozen=True)
class Target:
    key: str  # stable id given by the caller (e.g. the database id)
    name: str  # 三级指标
    level1: str  # 一级指标
    level2: str  # 二级指标
    spec: TargetValue
    year: int
    due: dt.date | None = None  # None → 31 December of ``year``
    weight: Decimal | None = None
    window_start: dt.date | None = None  # a timeliness window [window_start, due]
    milestones: tuple[tuple[dt.date, Decimal], ...] = ()  # () = along the time schedule
    measured_from_payments: bool = False  # actual = spent, from payments (money measures only)

    def __post_init__(self) -> None:
        due = dt.date(self.year, 12, 31) if self.due is None else self.due
        if self.due is None:
            object.__setattr__(self, "due", due)
        if self.spec.implied and self.spec.is_money and kind_of(self) == "cost":
            object.__setattr__(self, "spec", replace(self.spec, operator="<="))  # a bare cost is a cap
        if self.window_start is not None and self.window_start > due:
            raise ValueError(f"target {self.key}: window_start {self.window_start} is after due {due}")
        if self.measured_from_payments and not self.spec.is_money:
            raise ValueError(
                f"target {self.key}: measured from payments needs a money measure, not {self.spec.measure!r}")


@dataclass(frozen=True)
class Report:
    on: dt.date
    actual: Decimal  # the cumulative value to date, in the target's measure


@dataclass(frozen=True)
class TargetStatus:
    target: Target
    as_of: dt.date
    kind: str  # see kind_of
    mode: str  # see mode_of
    actual: Decimal | None  # in the target's measure
    reported_on: dt.date | None
    expected: Decimal | None  # cumulative: milestone or schedule; level: the value; else None
    completion: Decimal | None  # percent, 2 decimals: actual ÷ value (for caps: share of the cap used)
    projected: Decimal | None  # at due, at the current pace (cumulative values); else the latest actual
    status: str
    days_since_report: int | None
    days_left: int  # days from as_of to due (negative once due has passed)
    gap: Decimal | None  # expected − actual (floors; a missing report counts as 0)
    headroom: Decimal | None  # cap − actual (caps; negative once crossed)
    next_milestone: tuple[dt.date, Decimal] | None  # the first milestone after as_of
    to_next: Decimal | None  # still needed by the next milestone


def kind_of(target: Target) -> str:
    """quantity | quality | timeliness | cost | benefit | satisfaction | qualitative."""
    if target.spec.operator == "improve":
        return "qualitative"
    level1, level2 = ("".join(level.split()) for level in (target.level1, target.level2))
    for word, kind in _LEVEL2_WORDS:
        if word in level2:
            return kind
    for word, kind in _LEVEL1_WORDS:
        if word in level1:
            return kind
    if target.spec.is_money or target.measured_from_payments:
        return "cost"
    return "quality" if target.spec.measure in ("%", "‰") else "quantity"


def mode_of(target: Target) -> str:
    """qualitative | window | cap | level | cumulative (see the module docstring)."""
    kind = kind_of(target)
    if kind == "qualitative":
        return "qualitative"
    if target.window_start is not None:
        return "window"
    if target.spec.is_cap:
        return "cap"
    if target.spec.measure in ("%", "‰") or kind == "satisfaction":
        return "level"
    return "cumulative"


def _due(target: Target) -> dt.date:
    """``target.due``, which __post_init__ sets to 31 December when the caller leaves it out."""
    if target.due is None:  # only an object that went around __post_init__
        raise TypeError(f"target {target.key} has no due date")
    return target.due


def _value(spec: TargetValue) -> Decimal:
    """The number a measured target is held to. Only ``improve`` has none, and it is never
    measured (mode ``qualitative``); called where the value is used, no earlier, as the value itself
    was: a broken spec fails as the arithmetic on None did."""
    if spec.value is None:
        raise TypeError(f"the target value {spec.text!r} ({spec.operator}) has no number")
    return spec.value


def _meets(spec: TargetValue, actual: Decimal) -> bool:
    """Floors: ``>`` strictly; ``>=`` and ``=`` when reached (a cumulative value reaches it)."""
    value = _value(spec)
    return actual > value if spec.operator == ">" else actual >= value


def _crossed(spec: TargetValue, actual: Decimal) -> bool:
    value = _value(spec)
    return actual >= value if spec.operator == "<" else actual > value


def _satisfies(spec: TargetValue, actual: Decimal) -> bool:
    return not _crossed(spec, actual) if spec.is_cap else _meets(spec, actual)


def _pct(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def evaluate_target(
    target: Target,
    reports: Iterable[Report],
    as_of: dt.date,
    *,
    spent: Decimal | None = None,
    spent_on: dt.date | None = None,
    calendar: WorkCalendar = _MAINLAND,
    schedule: str = "months",
    cap_warn: Decimal = Decimal("90"),
    window_notice_days: int = 14,
    report_grace_days: int = 0,
) -> TargetStatus:
    """Where ``target`` stands at the end of ``as_of``. ``spent`` is in yuan, as of ``spent_on``
    (default ``as_of``); it is used only for ``measured_from_payments`` targets."""
    spec, due, kind, mode = target.spec, _due(target), kind_of(target), mode_of(target)
    actual: Decimal | None = None
    reported_on: dt.date | None = None
    seen = [r for r in reports if r.on <= as_of]
    if target.measured_from_payments and spent is not None:
        yuan = spec.yuan_per_unit
        assert yuan is not None  # a money measure (Target.__post_init__): its yuan per unit is known
        actual, reported_on = spent / yuan, spent_on or as_of
    elif seen:
        latest = max(seen, key=lambda r: r.on)
        actual, reported_on = latest.actual, latest.on

    def share(day: dt.date) -> Decimal:
        return year_fraction(schedule, day, target.year, calendar)

    cumulative = mode == "cumulative" or (mode == "cap" and spec.is_money)
    projected = actual
    if actual is not None and reported_on is not None and cumulative and reported_on < due:  # set together
        elapsed = share(reported_on)
        projected = _pct(actual * share(due) / elapsed) if elapsed else None
        if projected is not None and is_count(spec):
            projected = projected.to_integral_value(rounding=ROUND_FLOOR)  # 42 场次, not 42.25

    expected = next_milestone = to_next = gap = headroom = completion = None
    status = "no_data"
    if mode == "qualitative":
        status, projected = "not_measurable", None
    elif mode == "window":
        window_start = target.window_start
        assert window_start is not None  # mode_of: a target is followed as a window for having a start
        if any(r.on <= due and _satisfies(spec, r.actual) for r in seen):
            status = "met"
        elif as_of > due:
            status = "window_missed"
        elif as_of >= window_start:
            status = "window_open"
        elif (window_start - as_of).days <= window_notice_days:
            status = "window_soon"
        completion = rate(actual, spec.value) if actual is not None and spec.value else None
    elif mode == "cap":
        if actual is not None:
            cap = _value(spec)
            completion, headroom = rate(actual, cap), cap - actual
            if _crossed(spec, actual):
                status = "cap_crossed"
            elif cap and actual * 100 >= cap * cap_warn:
                status = "met" if as_of > due else "cap_near"
            else:
                status = "met" if as_of > due else "on_track"
    else:
        if mode == "level":
            expected = _value(spec)
        else:
            # Milestones are dates: one passed without a report showing it is behind — once its
            # report has had ``report_grace_days`` to come in, or at once when a report dated on or
            # after it answers for it. The time schedule grows every day: a report is judged
            # against it at its own date (how stale it is, is target_silent's business), and no
            # report at all is no data yet.
            if target.milestones:
                judged_on = max([as_of - dt.timedelta(days=report_grace_days), *([reported_on] if reported_on else [])])
                expected = _expected(target, min(judged_on, as_of), share)[0]
                next_milestone = _expected(target, as_of, share)[1]
            else:
                expected = _expected(target, as_of if reported_on is None else reported_on, share)[0]
            if next_milestone is not None:
                to_next = max(ZERO, next_milestone[1] - (actual or ZERO))
        gap = expected - (actual or ZERO)
        completion = rate(actual, spec.value) if actual is not None and spec.value else None
        if actual is not None and _meets(spec, actual):
            status = "met"
        elif as_of > due:
            status = "missed"
        elif actual is None and (mode == "level" or expected == ZERO or not target.milestones):
            status = "no_data"
        else:
            status = "behind" if (actual or ZERO) < expected else "on_track"
    return TargetStatus(
        target=target, as_of=as_of, kind=kind, mode=mode, actual=actual, reported_on=reported_on,
        expected=expected, completion=completion, projected=projected, status=status,
        days_since_report=None if reported_on is None else (as_of - reported_on).days,
        days_left=(due - as_of).days, gap=gap, headroom=headroom, next_milestone=next_milestone,
        to_next=to_next,
    )


def _expected(target: Target, as_of: dt.date,
              share: Callable[[dt.date], Decimal]) -> tuple[Decimal, tuple[dt.date, Decimal] | None]:
    """The cumulative value due by ``as_of`` and the next milestone (None on the time schedule).

    On the time schedule the value grows with the elapsed share of the year up to ``due``; for a
    count (an integral value in 个, 场次, 人次 …: ``is_count``) it is rounded down to whole units."""
    due = _due(target)
    if target.milestones:
        reached = [v for day, v in target.milestones if day <= as_of]
        upcoming = [(day, v) for day, v in target.milestones if day > as_of]
        # the value only once due has come: before, the milestones say what is expected
        expected = _value(target.spec) if as_of >= due else (reached[-1] if reached else ZERO)
        return expected, (upcoming[0] if upcoming else None)
    value = _value(target.spec)
    whole = share(due)
    expected = value if as_of >= due or not whole else value * min(share(as_of) / whole, Decimal(1))
    if value == value.to_integral_value() and is_count(target.spec):
        return expected.to_integral_value(rounding=ROUND_FLOOR), None
    return _pct(expected), None


def is_count(spec: TargetValue) -> bool:
    """A count of whole things (COUNT_MEASURES), whose expected values are whole."""
    return spec.measure in COUNT_MEASURES


def score_target(target: Target, actual: Decimal | None) -> tuple[Decimal | None, Decimal | None]:
    """(completion %, score) by the evaluation's rule, for the actual value at year end.

    Floors: completion = actual ÷ value. Caps: 100% within the cap, cap ÷ actual above it.
    Score = weight × min(completion, 100%), nothing below 90%; satisfaction: full weight when met,
    otherwise nothing. Qualitative targets, missing actuals: (None, None); no weight: score None."""
    spec = target.spec
    if spec.operator == "improve" or actual is None:
        return None, None
    value = _value(spec)
    completion: Decimal | None
    if spec.is_cap:
        completion = HUNDRED if not _crossed(spec, actual) or actual == ZERO else rate(value, actual)
    elif value == ZERO:
        completion = HUNDRED if _meets(spec, actual) else ZERO
    else:
        completion = rate(actual, value)
    if target.weight is None:
        return completion, None
    if kind_of(target) == "satisfaction" and not spec.is_cap:
        earned = HUNDRED if _meets(spec, actual) else ZERO
    else:
        assert completion is not None  # rate() is None only over zero, and neither divisor above is
        earned = min(completion, HUNDRED) if completion >= PASS_COMPLETION else ZERO
    return completion, _pct(target.weight * earned / HUNDRED)


def delivery_gap(execution_rate: Decimal | None, completion_rates: Iterable[Decimal | None]) -> Decimal | None:
    """Execution rate (%) minus the mean target completion (%), each completion capped at 100%.

    Large and positive: money out, little delivered; negative: delivered ahead of spending.
    None without an execution rate or without a measurable target."""
    rates = [min(r, HUNDRED) for r in completion_rates if r is not None]
    if execution_rate is None or not rates:
        return None
    # sum() from ZERO, not from its default int 0: for the type checker that start makes the mean
    # int / int, a float. Decimal("0") + x is 0 + x, so the value is the same.
    return _pct(execution_rate - sum(rates, ZERO) / len(rates))
