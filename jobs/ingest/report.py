"""How ingest outcomes read for a person, in Chinese or English."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console

from jobs.ingest.job import FileOutcome
from jobs.ingest.years import counted, told_by
from monitor.i18n import render

TEXT = {
    "ingested": {"zh": "已导入", "en": "ingested"},
    "unchanged": {"zh": "未变化（同一文件已导入过）", "en": "unchanged (this file was ingested before)"},
    "refused": {"zh": "已拒绝", "en": "refused"},
    "kind.quota": {"zh": "指标", "en": "quota lines"},
    "kind.payments": {"zh": "支付", "en": "payments"},
    "kind.adjustments": {"zh": "调整", "en": "adjustments"},
    "kind.targets": {"zh": "绩效目标", "en": "performance targets"},
    "kind.progress": {"zh": "目标完成进度", "en": "target progress"},
    "kind.None": {"zh": "未知", "en": "unknown"},
    "summary": {"zh": "{path}：{status}（{kind}，{rows} 行；新增 {inserted}，更新 {updated}，未变 {unchanged}）",
                "en": "{path}: {status} ({kind}, {rows} rows; {inserted} new, {updated} updated, "
                      "{unchanged} unchanged)"},
    "short": {"zh": "{path}：{status}", "en": "{path}: {status}"},
    "split": {"zh": "  跨新年，按{by}分别导入各自年度：{rows}",
              "en": "  spans New Year, each row stored in its year by {by}: {rows}"},
    "year_from": {"zh": "  预算年度 {year} 取自{by}（文件中没有“预算年度”列，标题中也没有年份）",
                  "en": "  budget year {year} taken from {by} (the file has no 预算年度 column and no year in "
                        "its title)"},
    "not_counted": {"zh": "  其中 {count} 行不计入支付（已作废、待支付或已退回），照收",
                    "en": "  {count} of the rows do not count as paid (voided, pending or returned) and were taken"},
    "undated": {"zh": "；其中 {undated} 行无支付日期", "en": "; {undated} of them without a payment date"},
    "title_date.budget_year": {
        "zh": "  导出日期 {date} 取自标题“{text}”：标题未写年份，按预算年度 {year} 年",
        "en": "  export date {date} taken from the title '{text}': no year in it, so the budget year {year}"},
    "title_date.next_year": {
        "zh": "  导出日期 {date} 取自标题“{text}”：标题未写年份，行中已有当日之后的日期，故为预算年度的次年",
        "en": "  export date {date} taken from the title '{text}': no year in it, and the rows are dated after "
              "that day in the budget year, so the year after it"},
    "refused_head": {"zh": "{path}：已拒绝，共 {count} 个问题，数据库未作任何改动：",
                     "en": "{path}: refused with {count} problem(s); the database was not changed:"},
}


def outcome_lines(outcome: FileOutcome, language: str = "zh", *, name_only: bool = False) -> list[str]:
    """The lines that report one file: a summary, and for a refusal every problem."""
    path = outcome.path.name if name_only else str(outcome.path)

    def say(code: str, **params) -> str:
        return render(TEXT, code, language, params)

    if outcome.status == "refused":
        return [say("refused_head", path=path, count=len(outcome.problems)),
                *("  " + p.describe(outcome.path.name, language) for p in outcome.problems)]
    notes = ["  " + note.describe(outcome.path.name, language) for note in outcome.notes]
    if outcome.status == "unchanged":
        return [say("short", path=path, status=say("unchanged")), *notes]
    lines = [say("summary", path=path, status=say(outcome.status), kind=say(f"kind.{outcome.kind}"),
                 rows=outcome.rows, inserted=outcome.inserted, updated=outcome.updated,
                 unchanged=outcome.unchanged)]
    if outcome.years:
        told = counted(outcome.years, outcome.kind or "")
        lines.append(say("split", by=told[f"by_{language}"], rows=told[f"rows_{language}"]))
    if outcome.reading.get("year_from"):
        lines.append(say("year_from", year=outcome.budget_year,
                         by=told_by(tuple(outcome.reading["year_from"]), language)))  # type: ignore[arg-type]
    title_date = outcome.reading.get("title_date")
    if isinstance(title_date, dict):
        lines.append(say(f"title_date.{title_date['year']}", date=title_date["date"], text=title_date["text"],
                         year=outcome.budget_year))
    if outcome.reading.get("not_counted"):
        undated = outcome.reading.get("undated", 0)
        lines.append(say("not_counted", count=outcome.reading["not_counted"])
                     + (say("undated", undated=undated) if undated else ""))  # not "0 rows without a date"
    return [*lines, *notes]


def print_outcomes(console: Console, outcomes: Sequence[FileOutcome], language: str = "zh", *,
                   name_only: bool = False) -> None:
    for outcome in outcomes:
        lines = outcome_lines(outcome, language, name_only=name_only)
        console.print(lines[0], style="bold red" if outcome.status == "refused" else None, markup=False)
        for line in lines[1:]:
            console.print(line, markup=False)
