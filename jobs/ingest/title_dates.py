"""An export's date from its title rows ("截至2023年3月31日", "导出日期：2023-03-31"), and a
title date written without its year ("截至1月5日", "截止日期：01-05")."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import pandas as pd

from jobs.ingest.records import Context
from jobs.ingest.values import CellError, parse_date

_TITLE_DATE = re.compile(r"(?:截至|截止|导出日期|查询日期|日期)[:：]?\s*(\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?)")
# "截至1月5日", "截止日期：01-05": a date without its year (see title_date_of).
_TITLE_DAY = re.compile(r"(?:截至|截止|导出日期|查询日期|日期)[:：]?\s*(?<!\d)(\d{1,2})"
                        r"(?:月(\d{1,2})日?|[-/.](\d{1,2}))(?![\d/.-])")


def title_date_of(preamble: str, budget_year: int, latest: dt.date | None) -> tuple[dt.date | None, dict]:
    """The export's date from its title rows: "截至2023年3月31日", "导出日期：2023-03-31"; and what
    the outcome says of it when the title gives no year ("截至1月5日", "截止日期：01-05"). Such a
    day is in the budget year: a 2023 export "截至1月5日" was made on 5 January 2023. Only when
    the file's own rows are dated later (a December payment in an export "截至1月5日") was it made
    the year after. A day its rows contradict either way dates nothing. docs/DOMAIN.md."""
    text = unicodedata.normalize("NFKC", preamble)
    match = _TITLE_DATE.search(text)
    if match:
        try:
            return parse_date(match[1]), {}
        except CellError:
            return None, {}
    day = _TITLE_DAY.search(text)
    if not day:
        return None, {}
    month, mday = int(day[1]), int(day[2] or day[3])
    for year, told in ((budget_year, "budget_year"), (budget_year + 1, "next_year")):
        try:
            date = dt.date(year, month, mday)
        except ValueError:
            return None, {}
        if latest is None or date >= latest:
            return date, {"title_date": {"date": date.isoformat(), "text": day[0].strip(), "year": told}}
    return None, {}


def latest_date(context: Context, records: pd.DataFrame) -> dt.date | None:
    field_name = context.date_field
    if field_name is None or field_name not in records:
        return None
    dates = [d for d in records[field_name].tolist() if d is not None]
    return max(dates) if dates else None
