"""The execution chart: cumulative execution rate of the year against the time schedule and the
checkpoints, as a PNG a unit leader reads in five seconds.

The big title says the one fact that matters (e.g. "截至 2023-03-31 执行 17.96%，考核进度 25%，
未达标"); the curve, the schedule line and the checkpoint markers show how it came to be.
Checkpoints already passed are green (met) or red (missed) with the rate reached beside them.

matplotlib's object API with the Agg canvas, never pyplot (docs/PITFALLS.md: pyplot keeps global
figures and is not thread-safe). Fonts and ``axes.unicode_minus`` are read from rcParams while a
figure is drawn, so a chart is built and saved inside ``rc_context`` under one lock.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import MonthLocator
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, PercentFormatter

from jobs.execution import ExecutionCurve
from jobs.reports.fonts import CjkFont, find_cjk_font, has_bold, renders
from monitor.i18n import render
from monitor.money import ZERO, exact_rate, near, rate, to_wan
from monitor.pacing import shortfall
from monitor.schedule import schedule_rate

TEXT = {
    "heading": {"zh": "{name}  {year} 年预算执行进度（预算 {budget} 万元）",
                "en": "{name}  budget execution {year} (budget {budget} × 10,000 yuan)"},
    "heading_no_name": {"zh": "{year} 年预算执行进度（预算 {budget} 万元）",
                        "en": "Budget execution {year} (budget {budget} × 10,000 yuan)"},
    "judged": {"zh": "截至 {date} 执行 {rate}%，考核进度 {target}%，{verdict}",
               "en": "As of {date}: {rate}% paid, checkpoint {target}%, {verdict}"},
    "reached": {"zh": "截至 {date} 执行 {rate}%，已达 {when} 考核进度 {target}%",
                "en": "As of {date}: {rate}% paid, {target}% due {when} already reached"},
    "short": {"zh": "截至 {date} 执行 {rate}%，距 {when} 考核进度 {target}% 还差 {gap} 万元",
              "en": "As of {date}: {rate}% paid, {gap} × 10,000 yuan short of {target}% due {when}"},
    "no_budget": {"zh": "截至 {date} 没有预算数", "en": "As of {date}: no budget"},
    "plain": {"zh": "截至 {date} 执行 {rate}%", "en": "As of {date}: {rate}% paid"},
    "met": {"zh": "达标", "en": "met"},
    "missed": {"zh": "未达标", "en": "missed"},
    "when": {"zh": "{month}月{day}日", "en": "{month_name} {day}"},
    "subline": {"zh": "序时进度 {schedule}%（{method}）  ·  已支付 {paid} 万元",
                "en": "time schedule {schedule}% ({method})  ·  paid {paid} × 10,000 yuan"},
    "method.months": {"zh": "按月", "en": "by months"},
    "method.calendar": {"zh": "按日历天数", "en": "by calendar days"},
    "method.working_days": {"zh": "按工作日", "en": "by working days"},
    "curve": {"zh": "累计执行率", "en": "cumulative execution rate"},
    "schedule": {"zh": "序时进度（{method}）", "en": "time schedule ({method})"},
    "cp_met": {"zh": "考核节点：达标", "en": "checkpoint met"},
    "cp_missed": {"zh": "考核节点：未达标", "en": "checkpoint missed"},
    "cp_ahead": {"zh": "考核节点：未到期", "en": "checkpoint ahead"},
    "point_judged": {"zh": "{rate}%（目标 {target}%）", "en": "{rate}% (target {target}%)"},
    "point_then": {"zh": "当日预算 {budget} 万元：{rate}%", "en": "{rate}% of the {budget} then"},
    "point_waiting": {"zh": "目标 {target}%：数据截至 {date}，待判定",
                      "en": "target {target}%: data to {date}, not judged"},
    "data_to": {"zh": "（数据截至 {date}）", "en": " (data to {date})"},
    "point_ahead": {"zh": "目标 {target}%", "en": "target {target}%"},
    "as_of": {"zh": "截至 {when}", "en": "as of {when}"},
    "ylabel": {"zh": "占 {date} 的调整后预算 {budget} 万元（考核口径：全年调整后预算）",
               "en": "share of the adjusted budget of {date}, {budget} × 10,000 yuan (as the evaluation: full year)"},
    "month": {"zh": "{month}月", "en": "{month_name}"},
    "no_font": {"zh": "未找到中文字体（可安装 fonts-noto-cjk 或 fonts-wqy-microhei），图表改用英文",
                "en": "no CJK font found (install fonts-noto-cjk or fonts-wqy-microhei); chart labels are in English"},
}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

GREEN, RED, GREY, BLUE, INK = "#1a7f37", "#cf222e", "#8c959f", "#0969da", "#24292f"
_RC_LOCK = threading.Lock()


@dataclass(frozen=True)
class ChartResult:
    path: object  # where the PNG was written (a path or the file object given)
    language: str  # the language the labels are in (English when no CJK font was found)
    font: str | None  # the CJK font family used, None when none was found
    warning: str | None  # one line for the user, in the language asked for


@dataclass(frozen=True)
class Style:
    bold: str  # "bold" where the font has a bold face; WenQuanYi has none, and asking logs a warning


def say(language: str, code: str, **params) -> str:
    return render(TEXT, code, language, params)


def rate_text(value: Decimal) -> str:
    """25 → "25", 17.96 → "17.96": checkpoints are read as whole percentages."""
    text = f"{value:.2f}"
    return text.removesuffix(".00")


def when_text(language: str, day: dt.date) -> str:
    return say(language, "when", month=day.month, day=day.day, month_name=MONTHS[day.month - 1])


def paid_at(curve: ExecutionCurve, day: dt.date) -> Decimal:
    """Cumulative paid at the end of ``day`` (points are sorted by day)."""
    paid = ZERO
    for point_day, cumulative in curve.points:
        if point_day > day:
            break
        paid = cumulative
    return paid


def reaches(curve: ExecutionCurve, day: dt.date) -> bool:
    """The payment data reaches ``day``: its latest export is of that day, or of the last working
    day before it (nothing is paid on the rest days between)."""
    return curve.data_date is None or curve.calendar.working_days(curve.data_date, day) == 0


def headline(curve: ExecutionCurve, language: str) -> tuple[str, str]:
    """The one fact of the title and its colour."""
    paid = paid_at(curve, curve.as_of)
    current = rate(paid, curve.budget)
    date = curve.as_of.isoformat()
    if current is None:
        return say(language, "no_budget", date=date), INK
    data_date = curve.data_date or curve.as_of
    if not reaches(curve, curve.as_of):  # never judge a day the data has not reached
        date += say(language, "data_to", date=data_date.isoformat())
    for checkpoint in curve.checkpoints:
        if checkpoint.date == curve.as_of and not reaches(curve, checkpoint.date):
            return say(language, "plain", date=date, rate=rate_text(current)), INK
        if checkpoint.date == curve.as_of:
            met = current >= checkpoint.target_rate
            verdict = say(language, "met" if met else "missed")
            return (say(language, "judged", date=date, rate=rate_text(current),
                        target=rate_text(checkpoint.target_rate), verdict=verdict), GREEN if met else RED)
        if checkpoint.date > curve.as_of:
            gap = shortfall(paid, curve.budget, checkpoint.target_rate)
            when = when_text(language, checkpoint.date)
            if gap == ZERO:
                return (say(language, "reached", date=date, rate=rate_text(current), when=when,
                            target=rate_text(checkpoint.target_rate)), GREEN)
            schedule = schedule_rate(curve.schedule, curve.as_of, curve.year, curve.calendar)
            return (say(language, "short", date=date, rate=rate_text(current), when=when,
                        target=rate_text(checkpoint.target_rate), gap=f"{to_wan(gap):,}"),
                    RED if current < schedule else GREEN)
    return say(language, "plain", date=date, rate=rate_text(current)), INK  # no checkpoint left


def render_chart(curve: ExecutionCurve, path: str | Path | BinaryIO, language: str = "zh", *,
                 find_font: Callable[[], CjkFont | None] = find_cjk_font) -> ChartResult:
    """Write the PNG to ``path`` (a file name or a binary file object). Without a CJK font the
    labels are English and ``warning`` says why; data names that cannot be drawn are left out
    rather than drawn as empty boxes."""
    font = find_font()
    warning = None
    label_language = language
    if font is None and language != "en":
        label_language = "en"
        warning = say(language, "no_font")
    # A list of families falls back glyph by glyph (matplotlib ≥ 3.6): Chinese from the CJK font,
    # anything it lacks from DejaVu Sans.
    families = ([font.name] if font else []) + ["DejaVu Sans"]
    if label_language == "en":
        families.reverse()  # DejaVu's Latin letters, the CJK font only for Chinese names
    name = curve.name if curve.name and renders(curve.name, font) else ""
    style = Style(bold="bold" if font is None or has_bold(font) else "normal")
    # Text objects take their font from rcParams when they are made: build inside the context too.
    with _RC_LOCK, matplotlib.rc_context({"font.family": families, "axes.unicode_minus": False}):
        figure = _draw(curve, label_language, name, style)
        FigureCanvasAgg(figure)
        figure.savefig(path, format="png", dpi=110)
    return ChartResult(path, label_language, font.name if font else None, warning)


def _draw(curve: ExecutionCurve, language: str, name: str, style: Style) -> Figure:
    year, as_of = curve.year, curve.as_of
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    budget = curve.budget
    method = say(language, f"method.{curve.schedule}")

    figure = Figure(figsize=(12, 6.8), layout="constrained")
    axes = figure.add_subplot()

    paid = paid_at(curve, as_of)
    heading = (say(language, "heading", name=name, year=year, budget=f"{to_wan(budget):,}") if name else
               say(language, "heading_no_name", year=year, budget=f"{to_wan(budget):,}"))
    fact, colour = headline(curve, language)
    schedule_now = schedule_rate(curve.schedule, as_of, year, curve.calendar)
    subline = say(language, "subline", schedule=f"{schedule_now:.2f}", method=method, paid=f"{to_wan(paid):,}")
    renderer = FigureCanvasAgg(figure).get_renderer()
    # parse_math=False: a name from a file is text, and "$…$" in it would be mathtext (and raise).
    _fit(figure.suptitle(heading, fontsize=15, color=INK, x=0.01, ha="left", parse_math=False), figure, renderer)
    _fit(axes.set_title(f"{fact}\n", fontsize=22, fontweight=style.bold, color=colour, loc="left", pad=4),
         figure, renderer)
    axes.text(0, 1.015, subline, transform=axes.transAxes, fontsize=12, color="#57606a", va="bottom")

    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    # The x values are dates: matplotlib converts them through its units registry, but its stubs take
    # floats only (matplotlib/matplotlib#27140), hence the ignores on the calls given dates.
    axes.plot(days,  # type: ignore[arg-type]
              [float(schedule_rate(curve.schedule, d, year, curve.calendar)) for d in days],
              color=GREY, linestyle="--", linewidth=1.6, label=say(language, "schedule", method=method))

    top, bottom = 100.0, 0.0
    if budget > ZERO:
        xs = [start] + [d for d, _ in curve.points if d <= as_of] + [as_of]
        ys = [0.0] + [float(p * 100 / budget) for d, p in curve.points if d <= as_of] + [float(paid * 100 / budget)]
        axes.plot(xs, ys, drawstyle="steps-post", color=BLUE, linewidth=2.8,  # type: ignore[arg-type]
                  label=say(language, "curve"), zorder=3)
        current = rate(paid, budget)
        assert current is not None  # the budget is above zero here
        if all(c.date != as_of for c in curve.checkpoints):  # else the checkpoint's label says it
            # Above the curve's end, to its right (to its left late in the year, inside the axes):
            # the checkpoint labels sit below their points, so the two never meet.
            late = as_of >= dt.date(year, 11, 1)
            axes.annotate(f"{rate_text(current)}%", (as_of, float(current)), xytext=(-8 if late else 8, 6),
                          textcoords="offset points", fontsize=15, fontweight="bold", fontfamily="DejaVu Sans",
                          color=BLUE, ha="right" if late else "left", va="bottom", zorder=5)
        top, bottom = max(top, max(ys)), min(bottom, min(ys) * 1.15)  # reversals can go below zero
        _checkpoints(axes, curve, language)
    else:
        for checkpoint in curve.checkpoints:
            axes.plot([checkpoint.date], [float(checkpoint.target_rate)], marker="D",  # type: ignore[arg-type]
                      markersize=9, markerfacecolor="white", markeredgecolor=GREY, linestyle="none", zorder=4,
                      clip_on=False)

    axes.axvline(as_of, color=INK, linestyle=":", linewidth=1.3, zorder=2,  # type: ignore[arg-type]
                 label=say(language, "as_of", when=when_text(language, as_of)))

    axes.set_xlim(start, end)  # type: ignore[arg-type]
    axes.set_ylim(bottom, top * 1.08)
    axes.yaxis.set_major_formatter(PercentFormatter(xmax=100, decimals=0))
    axes.set_ylabel(say(language, "ylabel", date=as_of.isoformat(), budget=f"{to_wan(budget):,}"), fontsize=11)
    axes.xaxis.set_major_locator(MonthLocator())
    axes.xaxis.set_major_formatter(FuncFormatter(
        lambda x, _: _month_label(language, x)))
    axes.tick_params(labelsize=11)
    axes.grid(True, color="#d0d7de", linewidth=0.7)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)

    handles, _ = axes.get_legend_handles_labels()
    handles += [
        Line2D([], [], marker="D", linestyle="none", markersize=9, color=GREEN, label=say(language, "cp_met")),
        Line2D([], [], marker="D", linestyle="none", markersize=9, color=RED, label=say(language, "cp_missed")),
        Line2D([], [], marker="D", linestyle="none", markersize=9, markerfacecolor="white", markeredgecolor=GREY,
               label=say(language, "cp_ahead")),
    ]
    axes.legend(handles=handles, loc="upper left", fontsize=11, frameon=True, framealpha=0.95)
    return figure


def _fit(text, figure: Figure, renderer, share: float = 0.9) -> None:
    """Shrink a title until it fits the width of the figure (long unit names, English)."""
    while text.get_fontsize() > 9 and text.get_window_extent(renderer).width > share * figure.bbox.width:
        text.set_fontsize(text.get_fontsize() - 1)


def _month_label(language: str, x: float) -> str:
    from matplotlib.dates import num2date

    month = num2date(x).month
    return say(language, "month", month=month, month_name=MONTHS[month - 1])


def _checkpoints(axes, curve: ExecutionCurve, language: str) -> None:
    for checkpoint in curve.checkpoints:
        target = float(checkpoint.target_rate)
        target_label = rate_text(checkpoint.target_rate)
        if checkpoint.date > curve.as_of:
            axes.plot([checkpoint.date], [target], marker="D", markersize=10, markerfacecolor="white",
                      markeredgecolor=GREY, markeredgewidth=1.8, linestyle="none", zorder=4, clip_on=False)
            axes.annotate(say(language, "point_ahead", target=target_label), (checkpoint.date, target),
                          xytext=(-10, 0), textcoords="offset points", ha="right", va="center",
                          fontsize=11, color="#57606a")
            continue
        if not reaches(curve, checkpoint.date) and curve.data_date is not None:  # its verdict waits for data
            axes.plot([checkpoint.date], [target], marker="D", markersize=10, markerfacecolor="white",
                      markeredgecolor=GREY, markeredgewidth=1.8, linestyle="none", zorder=4, clip_on=False)
            axes.annotate(say(language, "point_waiting", target=target_label, date=curve.data_date.isoformat()),
                          (checkpoint.date, target), xytext=(-10, 0), textcoords="offset points", ha="right",
                          va="center", fontsize=11, color="#57606a")
            continue
        paid = paid_at(curve, checkpoint.date)
        reached = exact_rate(paid, curve.budget)
        assert reached is not None  # drawn only for a budget above zero
        met = reached >= checkpoint.target_rate
        label = say(language, "point_judged", rate=near(reached, checkpoint.target_rate), target=target_label)
        then = dict(curve.budgets_then).get(checkpoint.date)
        if then is not None and then != curve.budget and then > ZERO:
            # what status showed that day, against the budget known then
            label += "\n" + say(language, "point_then", budget=f"{to_wan(then):,}",
                                 rate=near(exact_rate(paid, then), checkpoint.target_rate))
        colour = GREEN if met else RED
        axes.plot([checkpoint.date, checkpoint.date], [float(reached), target], color=colour, linewidth=1.5,
                  linestyle=":", zorder=3)
        axes.plot([checkpoint.date], [target], marker="D", markersize=10, color=colour, linestyle="none", zorder=4,
                  clip_on=False)
        axes.plot([checkpoint.date], [float(reached)], marker="o", markersize=8, color=colour, linestyle="none",
                  zorder=4, clip_on=False)
        # Below and right of the point the curve never is (it only rises); for a checkpoint late in
        # the year there is no room on the right, so above and left, under the schedule line.
        late = checkpoint.date >= dt.date(checkpoint.date.year, 11, 1)
        axes.annotate(label, (checkpoint.date, float(reached)), xytext=(-12, 8) if late else (10, -4),
                      textcoords="offset points", ha="right" if late else "left", va="bottom" if late else "top",
                      fontsize=12, color=colour,
                      bbox={"boxstyle": "round,pad=0.25", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
                      zorder=6)
