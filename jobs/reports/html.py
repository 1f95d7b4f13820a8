"""The status report as one self-contained HTML page: inline CSS, the chart embedded as a
``data:`` URI, and the ranked status table of departments, units and projects.

Every value from the data (codes, names) goes through ``html.escape``: names come from files
people drop in, and a page that runs a ``<script>`` from a project name would be a hole.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
from decimal import Decimal

from jobs.execution import ExecutionCurve, StatusReport
from jobs.reports.chart import rate_text, render_chart
from jobs.reports.table import StatusRow, level_text, method_text, schedule_text, status_rows
from monitor.calendar import source_name
from monitor.i18n import render
from monitor.money import to_wan

LEVELS = ("department", "unit", "project")

TEXT = {
    "title": {"zh": "{name}{year} 年预算执行情况", "en": "{name}budget execution {year}"},
    "meta": {"zh": "统计截至 {as_of} · 序时进度{method} · 金额单位：万元",
             "en": "as of {as_of} · time schedule {method} · amounts in 10,000 yuan"},
    "stale": {"zh": "支付数据最新导出于 {latest}，此后的支付尚未导入，执行率可能偏低。",
              "en": "the latest payment export is of {latest}: payments after it are not imported yet, "
                    "so rates may be low."},
    "no_export": {"zh": "还没有导入 {year} 年的支付数据。", "en": "no payment export of {year} imported yet."},
    "calendar": {"zh": "{years} 年的节假日安排（国务院通知）尚未配置，工作日暂按 {source} 计算。",
                 "en": "{years}'s holiday arrangement (the State Council's notice) is not configured: working "
                       "days are counted on the {source} for now."},
    "chart_alt": {"zh": "累计执行率与序时进度、考核进度对比图",
                  "en": "cumulative execution against the schedule and checkpoints"},
    "table": {"zh": "各部门、单位、项目执行进度", "en": "Departments, units and projects"},
    "legend": {"zh": "按低于序时进度的幅度排序。红底：执行率低于序时进度；"
                     "红字：按当前进度到下一考核节点仍达不到考核进度。",
               "en": "Ranked by how far below the time schedule. Red rows: below the time schedule; red figures: "
                     "projected to miss the next checkpoint."},
    "empty": {"zh": "没有数据。", "en": "no data."},
    "warning": {"zh": "注意：", "en": "note: "},
}

HEADERS = {
    "zh": ("层级", "编码", "名称", "预算（万元）", "已支付（万元）", "执行率", "序时进度", "下一考核节点", "考核进度",
           "还需支付（万元）", "日均需支付（万元）", "剩余工作日", "预计节点执行率", "预计年末执行率"),
    "en": ("level", "code", "name", "budget", "paid", "execution", "schedule", "next checkpoint", "target",
           "still to pay", "per working day", "working days left", "projected at checkpoint",
           "projected at year end"),
}

STYLE = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",
 sans-serif;margin:24px;color:#24292f;background:#fff}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:18px;margin:28px 0 4px}
.meta,.legend{color:#57606a;margin:4px 0}
.warn{background:#fff8c5;border:1px solid #d4a72c;padding:6px 10px;border-radius:4px;margin:8px 0}
figure{margin:16px 0}
figure img{max-width:100%;height:auto;border:1px solid #d0d7de}
table{border-collapse:collapse;font-size:13px;width:100%}
th,td{border:1px solid #d0d7de;padding:4px 6px;vertical-align:top}
th{background:#f6f8fa;position:sticky;top:0}
td.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td.c{white-space:nowrap}
tr.behind td{background:#ffebe9}
tr.department td{font-weight:bold}
.miss{color:#cf222e;font-weight:bold}
small{color:#57606a}
"""


def say(language: str, code: str, **params) -> str:
    return render(TEXT, code, language, params)


def e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _wan(amount: Decimal | None) -> str:
    return "—" if amount is None else f"{to_wan(amount):,}"


def _rate(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:.2f}%"


def _chart_uri(curve: ExecutionCurve, language: str) -> tuple[str, str | None]:
    buffer = io.BytesIO()
    result = render_chart(curve, buffer, language)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii"), result.warning


def render_report(report: StatusReport, curve: ExecutionCurve, language: str) -> str:
    """The page, as text (UTF-8 when written)."""
    chart, chart_warning = _chart_uri(curve, language)
    name = f"{curve.name} " if curve.name else ""
    title = say(language, "title", name=name, year=report.year)
    meta = say(language, "meta", as_of=report.as_of.isoformat(), method=schedule_text(language, curve.schedule))
    warnings = _warnings(report, language) + ([chart_warning] if chart_warning else [])
    rows = status_rows(report, LEVELS)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if language == "zh" else "en"}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{e(title)}</h1>",
        f'<p class="meta">{e(meta)}</p>',
        *(f'<p class="warn">{e(say(language, "warning"))}{e(w)}</p>' for w in warnings),
        f'<figure><img alt="{e(say(language, "chart_alt"))}" src="{chart}"></figure>',
        f"<h2>{e(say(language, 'table'))}</h2>",
        f'<p class="legend">{e(say(language, "legend"))}</p>',
        _table(rows, language),
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def _warnings(report: StatusReport, language: str) -> list[str]:
    result = []
    if report.latest_export is None:
        result.append(say(language, "no_export", year=report.year))
    elif report.latest_export < report.as_of:
        result.append(say(language, "stale", latest=report.latest_export.isoformat()))
    if report.uncovered_years:
        result.append(say(language, "calendar", years=", ".join(str(y) for y in report.uncovered_years),
                          source=source_name(report.calendar_source, language)))
    return result


def _table(rows: list[StatusRow], language: str) -> str:
    if not rows:
        return f"<p>{e(say(language, 'empty'))}</p>"
    head = "".join(f"<th>{e(h)}</th>" for h in HEADERS[language])
    body = "\n".join(_row(row, language) for row in rows)
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def _date(day: dt.date | None) -> str:
    return "—" if day is None else day.isoformat()


def _projected(rate: Decimal | None, method: str | None, language: str, miss: bool = False) -> str:
    if method is None or rate is None:
        return "—"
    figure = f'<span class="miss">{e(_rate(rate))}</span>' if miss else e(_rate(rate))
    return f"{figure}<br><small>{e(method_text(language, method))}</small>"


def _row(row: StatusRow, language: str) -> str:
    classes = " ".join([row.level] + (["behind"] if row.behind else []))
    cells = [
        f'<td class="c">{e(level_text(language, row.level))}</td>',
        f'<td class="c">{e(row.code)}</td>',
        f"<td>{e(row.name)}</td>",
        f'<td class="n">{_wan(row.budget)}</td>',
        f'<td class="n">{_wan(row.paid)}</td>',
        f'<td class="n">{_rate(row.execution_rate)}</td>',
        f'<td class="n">{_rate(row.schedule_rate)}</td>',
        f'<td class="c">{_date(row.checkpoint_date)}</td>',
        f'<td class="n">{"—" if row.checkpoint_rate is None else rate_text(row.checkpoint_rate) + "%"}</td>',
        f'<td class="n">{_wan(row.gap)}</td>',
        f'<td class="n">{_wan(row.daily_needed)}</td>',
        f'<td class="n">{"—" if row.working_days_left is None else row.working_days_left}</td>',
        f'<td class="n">{_projected(row.projected_rate, row.projected_method, language, row.projected_to_miss)}</td>',
        f'<td class="n">{_projected(row.year_end_rate, row.year_end_method, language)}</td>',
    ]
    return f'<tr class="{classes}">{"".join(cells)}</tr>'
