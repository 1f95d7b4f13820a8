"""Which budget year each row of an export belongs to, when the file itself does not say.

A file says its year through a 预算年度 column or a year in its title (jobs/ingest/validate.py
``_budget_year``); ``--year`` says it for the file. Without any of them, each row tells:

- a dated row (a payment, an adjustment) by its date's year: a payment is made in its own budget
  year (treasury payments of a year close on 31 December), which ``date_outside_year`` already
  holds every row to;
- a quota line, which carries no date, by the year leading its 指标明细号 (``2026ZB0012``,
  ``YS-2027-0003``). A year in the middle of an id is not taken: it may be a serial number.

Rows of one year make a file of that year. Rows of two consecutive years (an export spanning New
Year: a week-53 file, a 12-28 to 01-03 query) are *split*: each row is stored in its own year, all
of them in the import's one transaction, so the file is still taken or refused whole. Rows of
years further apart are no New Year export: the file is refused and the user asked to say the year.

With ``--year`` the given year holds for every row; a dated row of another year is refused
(``date_outside_year``) and ``year_given_spans`` adds, once, that the file spans New Year and that
ingesting it without ``--year`` splits it. Taking only the given year's rows would be worse: the
file's content hash would then be known, and the rest of it never imported.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from types import MappingProxyType

import pandas as pd

from jobs.ingest.problems import Problem, problem
from jobs.ingest.records import Context

QUOTA_YEAR = re.compile(r"^[A-Za-z]{0,4}[-_]?(20\d{2})(?!\d)")
# What tells a row's year, for the kinds that are split. Not target progress: a report on a
# year's targets may be dated early in the next year (jobs/ingest/target_records.py).
BY = {"payments": "date", "adjustments": "date", "quota": "quota_no"}


def _quota_year(text: object) -> int | None:
    match = QUOTA_YEAR.match(str(text or "").strip())
    return int(match[1]) if match else None


def row_years(context: Context, records: pd.DataFrame) -> pd.Series:
    """Each row's year as its date or its quota id tells it (None where neither does)."""
    field_name = context.date_field
    if field_name is not None and field_name in records:
        years = [None if d is None else d.year for d in records[field_name].tolist()]
    elif context.kind == "quota" and "quota_no" in records:
        years = [_quota_year(q) for q in records["quota_no"].tolist()]
    else:
        years = [None] * len(records)
    return pd.Series(years, index=records.index, dtype=object)


# A year in a file name that is no date's: "指标_2023.xlsx", "2023年指标.xls", not "2024-01-05_支付.csv".
NAME_YEAR = re.compile(r"(?<!\d)(20\d{2})(?:年|(?![-_.]?\d))")
# The year of a document number: 乌财预〔2023〕12号, [2023], （2023）.
DOC_YEAR = re.compile(r"[〔\[【(（﹝]\s*(20\d{2})\s*[〕\]】)）﹞]")
SOURCES = {"ids": ("指标明细号中的年份", "the year in the 指标明细号"), "name": ("文件名", "the file name"),
           "doc": ("指标文号中的年份", "the year in the 指标文号")}


def name_year(file_name: str | None) -> int | None:
    stem = (file_name or "").rsplit(".", 1)[0]
    years = {int(m) for m in NAME_YEAR.findall(stem)}
    return years.pop() if len(years) == 1 else None


def doc_year(records: pd.DataFrame) -> int | None:
    """The latest year of the file's 文号: a quota line may rest on a document of the year before
    (指标提前下达), never on one of the year after."""
    if "doc_no" not in records:
        return None
    years = [int(m[1]) for d in records["doc_no"].dropna().unique() if (m := DOC_YEAR.search(str(d)))]
    return max(years) if years else None


def year_of_rows(context: Context, records: pd.DataFrame, file_name: str | None = None
                 ) -> tuple[int | None, tuple[str, ...]]:
    """The file's year told by its rows, or None with a problem logged, and what told it when that
    is not a date. A quota export without dates may tell its year by its 指标明细号, its file name
    and its 文号: they must agree. Rows of two consecutive years are split:
    ``records["budget_year"]`` gets each row's year, and the later is returned."""
    years = row_years(context, records)
    counts = Counter(int(y) for y in years.dropna())
    # A payment without a date is one that does not count (records.py): it follows the file.
    complete = bool(counts) and (context.date_field is not None or not years.isna().any())
    told = {} if context.date_field is not None else \
        {k: y for k, y in (("name", name_year(file_name)), ("doc", doc_year(records))) if y is not None}
    if not complete or len(counts) == 1:
        if complete:  # every row tells, one year
            told = {"ids" if context.kind == "quota" else "date": next(iter(counts)), **told}
        if not told:
            if not context.log:  # a bad date already explains why the year cannot be told
                context.log.add(problem("no_year"))
            return None, ()
        year = next((y for k, y in told.items() if k != "doc"), told.get("doc"))
        partial = set() if complete else set(counts)  # ids of some rows only: they must not contradict
        if any(y != year for k, y in told.items() if k != "doc") or not _doc_agrees(told.get("doc"), year) \
                or partial - {year}:
            context.log.add(_disagree({**{f"ids{y}": y for y in sorted(partial)}, **told}))
            return None, ()
        return year, tuple(k for k in told if k != "date")
    if context.kind not in BY:  # a progress report of one year may be dated in the next: ask
        context.log.add(problem("no_year"))
        return None, ()
    first, last = min(counts), max(counts)
    if len(counts) > 2 or last != first + 1:
        context.log.add(_told("years_apart", counts, context.kind, years="、".join(map(str, sorted(counts)))))
        return None, ()
    if told.get("name", last) not in counts or not _doc_agrees(told.get("doc"), last):
        context.log.add(_disagree({**{f"ids{y}": y for y in sorted(counts)}, **told}))
        return None, ()
    records["budget_year"] = years.astype(object)
    return last, ()


def _doc_agrees(doc: int | None, year: int | None) -> bool:
    """A 文号 of the year, or of the year before (a quota issued in advance, 提前下达)."""
    return doc is None or year is None or doc in (year, year - 1)


def _disagree(told: Mapping[str, int]) -> Problem:
    def said(language: int) -> str:
        parts = [f"{SOURCES[k.rstrip('0123456789')][language]}（{y}）" if language == 0
                 else f"{SOURCES[k.rstrip('0123456789')][language]} ({y})" for k, y in told.items()]
        return ("、" if language == 0 else ", ").join(dict.fromkeys(parts))
    return problem("year_sources_disagree", told_zh=said(0), told_en=said(1))


def told_by(sources: tuple[str, ...], language: str) -> str:
    """What told a file's year, as the outcome says it."""
    position = 0 if language == "zh" else 1
    return ("、" if position == 0 else " and ").join(SOURCES[s][position] for s in sources)


def check_given_year(context: Context, records: pd.DataFrame, year: int) -> None:
    """With ``--year``: a file whose dated rows span New Year around ``year`` is said to be one,
    once, beside the rows refused for their dates."""
    if context.date_field is None or context.kind not in BY:
        return
    counts = Counter(int(y) for y in row_years(context, records).dropna())
    if len(counts) == 2 and year in counts and max(counts) == min(counts) + 1:
        context.log.add(_told("year_given_spans", counts, context.kind, year=year))


def split_counts(records: pd.DataFrame) -> dict[int, int]:
    """Rows per budget year of a validated file (one entry unless it was split)."""
    return dict(sorted(Counter(int(y) for y in records["budget_year"].tolist()).items()))


def _told(code: str, counts: Mapping[int, int], kind: str, **params: object) -> Problem:
    """A file-level problem that says the rows per year and what told them."""
    return Problem(code, None, None, None, MappingProxyType({**params, **counted(counts, kind)}))


def counted(counts: Mapping[int, int], kind: str) -> dict[str, str]:
    """Rows per year and what told them, as the problems and the outcome say it (zh and en)."""
    parts = sorted(counts.items())
    return {"rows_zh": "、".join(f"{y} 年 {n} 行" for y, n in parts),
            "rows_en": ", ".join(f"{n} row{'s' if n != 1 else ''} of {y}" for y, n in parts),
            "by_zh": "指标明细号中的年份" if BY.get(kind) == "quota_no" else "日期",
            "by_en": "the year in the 指标明细号" if BY.get(kind) == "quota_no" else "date"}
