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


def year_of_rows(context: Context, records: pd.DataFrame) -> int | None:
    """The file's year told by its rows, or None with a problem logged. Rows of two consecutive
    years are split: ``records["budget_year"]`` gets each row's year, and the later is returned."""
    years = row_years(context, records)
    counts = Counter(int(y) for y in years.dropna())
    if not counts or years.isna().any():
        if not context.log:  # a bad date already explains why the year cannot be told
            context.log.add(problem("no_year"))
        return None
    if len(counts) == 1:
        return next(iter(counts))
    if context.kind not in BY:  # a progress report of one year may be dated in the next: ask
        context.log.add(problem("no_year"))
        return None
    first, last = min(counts), max(counts)
    if len(counts) > 2 or last != first + 1:
        context.log.add(_told("years_apart", counts, context.kind, years="、".join(map(str, sorted(counts)))))
        return None
    records["budget_year"] = years.astype(object)
    return last


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
