"""From a grid of text to validated records of one kind, or every problem found.

The checks follow beancount's ``ops/validation.py`` habit: each is a small step over the data
that adds problems to one log; nothing stops at the first problem.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from jobs.ingest.adjustment_checks import finish_adjustments
from jobs.ingest.columns import ProblemLog, parse_column
from jobs.ingest.departments import DepartmentRules
from jobs.ingest.headers import KEY_FIELD, find_header, header_scale, map_columns, vocabulary
from jobs.ingest.merged import fill_merged
from jobs.ingest.misdropped import recognize
from jobs.ingest.problems import Refused, problem
from jobs.ingest.reader import Grid, column_letter
from jobs.ingest.records import KIND_RULES, Context
from jobs.ingest.target_records import READERS as TARGET_READERS
from jobs.ingest.target_refs import FINISH, Catalog
from jobs.ingest.title_dates import latest_date, title_date_of
from jobs.ingest.totals import check_totals, footer_rows, split_totals
from jobs.ingest.values import parse_year
from jobs.ingest.wan_check import check_wan, wan_hint
from jobs.ingest.years import check_given_year, split_counts, year_of_rows

_SCALE_WAN = re.compile(r"单位[:：]?\s*万元")
_SCALE_YUAN = re.compile(r"单位[:：]?\s*元")
KIND_NAMES = {"quota": ("指标导出", "a quota export"), "payments": ("支付明细导出", "a payment export"),
              "adjustments": ("调整单导出", "an adjustment export"), "targets": ("绩效目标表", "a target table"),
              "progress": ("绩效目标完成情况表", "a progress report")}
_TITLE_YEAR = re.compile(r"(20\d{2})\s*年")


@dataclass(frozen=True)
class ParsedExport:
    """A validated export: its kind, budget year and records (index: Excel row numbers).
    ``years``: rows per budget year; two entries when the file spans New Year and was split
    (``budget_year`` is then the later one; jobs/ingest/years.py)."""

    kind: str
    budget_year: int
    records: pd.DataFrame
    title_date: dt.date | None
    source_format: str
    header_row: int  # as Excel shows it
    years: Mapping[int, int] = field(default_factory=dict)
    # What the outcome says beyond the counts: "year_from" (what told the year when the file does
    # not say it: see jobs/ingest/years.py SOURCES), "not_counted" / "undated" (payment rows taken
    # that do not count as paid, and of them those without a 支付日期).
    reading: Mapping[str, object] = field(default_factory=dict)


def parse_export(
    grid: Grid,
    *,
    kind: str | None = None,
    year: int | None = None,
    synonyms: Mapping[str, Sequence[str]] | None = None,
    catalog: Catalog | None = None,
    departments: DepartmentRules | None = None,
    file_name: str | None = None,
) -> ParsedExport:
    """Validate a whole file; raise Refused with every problem if anything is wrong.

    ``catalog`` is what target tables and progress reports are checked against (the units,
    projects and targets of the database); without it those checks are left out. A file refused
    for its header or columns that is a bank statement, a payroll sheet or the like is refused
    as that (jobs/ingest/misdropped.py)."""
    try:
        return _parse_export(grid, kind=kind, year=year, synonyms=synonyms, catalog=catalog,
                             departments=departments, file_name=file_name)
    except Refused as refused:
        if not any(p.code in _STRUCTURAL for p in refused.problems):
            raise
        expected = KIND_NAMES[kind] if kind else _ANY_EXPORT
        named = recognize(grid.head, (f"{expected[0]}文件", expected[1]))
        if named is None:
            raise
        raise Refused([named], kind, units=refused.units, departments=refused.departments) from None


_STRUCTURAL = frozenset({"no_header", "missing_column"})  # what a file that is no export is refused for
_ANY_EXPORT = ("预算管理一体化系统导出的指标明细、支付明细、指标调整、绩效目标表或绩效目标完成情况表",
               "a quota, payment or adjustment export of the budget management system, a target table or a "
               "progress report")


def _parse_export(grid: Grid, *, kind: str | None, year: int | None, synonyms: Mapping[str, Sequence[str]] | None,
                  catalog: Catalog | None, departments: DepartmentRules | None,
                  file_name: str | None) -> ParsedExport:
    found = find_header(grid.head, kind, synonyms)
    if found is None:
        garbled = _garbled(grid)
        if garbled:
            raise Refused([garbled])
        if kind:
            other = find_header(grid.head, None, synonyms)
            if other is not None:  # the header of another kind: say which, not "a column is missing"
                what, what_en = KIND_NAMES[other[1]]
                raise Refused([problem("other_kind", given=kind, kind=other[1], header_row=other[0].first + 1,
                                       what=what, what_en=what_en)], kind)
            names = "、".join(vocabulary(kind, synonyms)[KEY_FIELD[kind]])
            raise Refused([problem("missing_column", field=_label(kind, KEY_FIELD[kind], synonyms), names=names)])
        raise Refused([problem("no_header", rows=min(len(grid.head), 30))])
    header, kind = found
    log = ProblemLog()
    preamble = " ".join(" ".join(row) for row in grid.head[: header.first])
    mapped = map_columns(header.texts, kind, synonyms)
    for field_name, positions in mapped.items():
        if len(positions) > 1:
            log.add(problem("duplicate_column", field=_label(kind, field_name, synonyms),
                            columns="、".join(f"{column_letter(p)}（{header.texts[p]}）" for p in positions)))
    columns = {f: p[0] for f, p in mapped.items()}

    body = grid.rows.loc[header.last + 2:]
    body = body[(body != "").any(axis=1)]
    body, merged = fill_merged(body, grid.merges, columns, {f: _display(header.texts[p]) for f, p in columns.items()},
                               log)  # a merged cell's value in all its rows, of text fields only
    body = body.iloc[: len(body) - footer_rows(body)]
    _check_ragged(body, header.texts, log)
    totals, body = split_totals(body, columns[KEY_FIELD[kind]])
    if body.empty:
        raise Refused([*log.listed(), problem("no_rows")], kind)

    file_scale = 1_000_000 if _SCALE_WAN.search(preamble) else 100
    context = Context(
        cells={f: body[p] for f, p in columns.items()},
        names={f: _display(header.texts[p]) for f, p in columns.items()},
        scales={f: header_scale(header.texts[p]) or file_scale for f, p in columns.items()},
        log=log,
        kind=kind,
        synonyms=synonyms,
        header_row=header.last + 1,
        preamble=grid.head[: header.first],
        merged=merged,
        departments=departments,
    )
    records = {**KIND_RULES, **TARGET_READERS}[kind](context)
    records = records.astype(object).where(records.notna(), None)
    wan_hint(context)
    budget_year, year_from = _budget_year(context, records, year, preamble, file_name)
    if budget_year is not None:
        if year is not None:  # first: the rows its dates refuse come after it
            check_given_year(context, records, year)
        _check_dates_in_year(context, records, budget_year)
        finish = {**FINISH, "adjustments": finish_adjustments, "payments": check_wan}
        if kind in finish:  # what needs the year, or the database
            records = finish[kind](context, records, budget_year, catalog)
    check_totals(context, records, totals, columns)
    _check_lengths(context, records)
    if log:
        raise Refused(log.listed(), kind, units=_codes(records, "unit_code"),
                      departments=_codes(records, "department_code"))
    assert budget_year is not None
    records["budget_year"] = records["budget_year"].where(records["budget_year"].notna(), budget_year) \
        if "budget_year" in records else budget_year
    title_date, dated = title_date_of(preamble, budget_year, latest_date(context, records))
    return ParsedExport(kind, budget_year, records, title_date, grid.source_format,
                        header.first + 1, split_counts(records), {**_reading(records, year_from), **dated})


def _reading(records: pd.DataFrame, year_from: tuple[str, ...]) -> dict[str, object]:
    reading: dict[str, object] = {"year_from": year_from} if year_from else {}
    if "status" in records:
        status = records["status"]
        counted = (status == "paid") | ((status == "returned") & (records["amount"].fillna(0) < 0))  # counts_as_paid()
        not_counted = int((~counted).sum())
        if not_counted:
            reading["not_counted"] = not_counted
            reading["undated"] = int(records["pay_date"].isna().sum())
    return reading


def _codes(records: pd.DataFrame, column: str) -> frozenset[str]:
    """The codes a refused file's rows name (its finance staff are told: jobs/refusals.py)."""
    if column not in records:
        return frozenset()
    return frozenset(str(c) for c in records[column].dropna().unique() if str(c))


_LATIN_MOJIBAKE = frozenset("€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ")


def _garbled(grid: Grid):
    """A garbled_header problem when the first rows of a text file read as mojibake: Shift-JIS or
    Big5 read as GBK gives rare characters outside GB2312 (and private-use ones), UTF-8 once saved
    as Latin-1 gives accented Latin letters. None otherwise (a header that is simply not ours)."""
    encoding = grid.source_format.partition("/")[2]
    rows = [",".join(cell for cell in row if cell) for row in grid.head[:10]]
    others = [ch for ch in " ".join(rows) if ord(ch) > 127]
    if len(others) < 4:
        return None
    if encoding == "gb18030":
        common = sum(1 for ch in others if _in_gb2312(ch) and not "\u3040" <= ch <= "\u30ff")  # kana: not Chinese
        garbled = common < len(others) / 2
        shown = "GBK/GB18030"
    elif encoding in ("utf-8", "utf-16"):
        latin = sum(1 for ch in others if "\u0080" <= ch <= "\u024f" or ch in _LATIN_MOJIBAKE)
        garbled = latin > len(others) / 2
        shown = encoding.upper()
    else:
        return None
    if not garbled:
        return None
    sample = "".join(ch for ch in next(r for r in rows if r) if ch.isprintable())
    return problem("garbled_header", encoding=shown, sample=sample[:40] + ("…" if len(sample) > 40 else ""))


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _column_limits() -> dict[str, tuple[int, tuple[str, ...]]]:
    """record column → (the most characters its database column holds, the fields it is read
    from). PostgreSQL refuses a longer value in the middle of the import (SQLite stores it):
    the file is refused up front instead, naming the row and column."""
    from db.models import Adjustment, Department, Payment, PerformanceTarget, Project, QuotaLine, Unit

    def length(model, name: str) -> int:
        return model.__table__.c[name].type.length

    return {
        "payment_no": (length(Payment, "payment_no"), ("payment_no",)),
        "adjustment_no": (length(Adjustment, "adjustment_no"), ("adjustment_no",)),
        "quota_no": (length(QuotaLine, "quota_no"), ("quota_no",)),
        "doc_no": (length(QuotaLine, "doc_no"), ("doc_no",)),
        "department_code": (length(Department, "code"), ("department_code", "department")),
        "department_name": (length(Department, "name"), ("department_name", "department")),
        "unit_code": (length(Unit, "code"), ("unit_code", "unit")),
        "unit_name": (length(Unit, "name"), ("unit_name", "unit")),
        "project_code": (length(Project, "code"), ("project_code", "project")),
        "project_name": (length(Project, "name"), ("project_name", "project")),
        "functional_class": (length(QuotaLine, "functional_class"), ("functional_code", "functional")),
        "functional_name": (length(QuotaLine, "functional_name"), ("functional_name", "functional")),
        "economic_class": (length(QuotaLine, "economic_class"), ("economic_code", "economic")),
        "economic_name": (length(QuotaLine, "economic_name"), ("economic_name", "economic")),
        "gov_economic_class": (length(QuotaLine, "gov_economic_class"), ("gov_economic",)),
        "fund_type": (length(QuotaLine, "fund_type"), ("fund_type",)),
        "source": (length(QuotaLine, "source"), ("source",)),
        "payee": (length(Payment, "payee"), ("payee",)),
        "settlement": (length(Payment, "settlement"), ("settlement",)),
        "indicator": (length(PerformanceTarget, "name"), ("indicator",)),
        "level1": (length(PerformanceTarget, "level1"), ("level1",)),
        "level2": (length(PerformanceTarget, "level2"), ("level2",)),
        "target_text": (length(PerformanceTarget, "target_text"), ("target_value",)),
        "leader": (length(PerformanceTarget, "leader"), ("leader",)),
    }


_LIMITS: dict[str, tuple[int, tuple[str, ...]]] = {}


def _check_lengths(context: Context, records: pd.DataFrame) -> None:
    if not _LIMITS:
        _LIMITS.update(_column_limits())
    for name, (limit, fields) in _LIMITS.items():
        if name not in records:
            continue
        source = next((f for f in fields if f in context.names), None)
        values = records[name]
        if max(map(len, values.dropna().tolist()), default=0) <= limit:  # the usual case: 0.1 s a million rows
            continue
        lengths = values.map(lambda v: len(v) if isinstance(v, str) else 0, na_action="ignore")
        for row in records.index[lengths.fillna(0) > limit]:
            context.log.add(problem("too_long", row=int(row),
                                    column=None if source is None else context.names.get(source),
                                    value=values[row], length=int(lengths[row]), limit=limit))


def _label(kind: str, field_name: str, synonyms) -> str:
    return vocabulary(kind, synonyms)[field_name][0]




def _display(text: str) -> str:
    return text.replace("\u0000", "/")


def _check_ragged(body: pd.DataFrame, texts: Sequence[str], log: ProblemLog) -> None:
    """Cells right of the header's last named column: a row with more fields than the header."""
    named = [i for i, t in enumerate(texts) if t.strip()]
    width = (named[-1] + 1) if named else 0
    beyond = [c for c in body.columns if c >= width]
    if not beyond:
        return
    filled = body[beyond] != ""
    for row in body.index[filled.any(axis=1)]:
        last = max(c for c in beyond if filled.at[row, c])
        log.add(problem("ragged_row", row=int(row), found=last + 1, expected=width))


def _budget_year(context: Context, records: pd.DataFrame, year: int | None, preamble: str,
                 file_name: str | None) -> tuple[int | None, tuple[str, ...]]:
    """The file's year, and what told it when not a column, the title, --year or the dates."""
    if year is not None:
        return year, ()
    if "budget_year" in context.cells:
        years = parse_column(context.cells["budget_year"], parse_year, context.names["budget_year"],
                             context.log, required=True)
        records["budget_year"] = years
        known = years.dropna()
        return (int(known.mode().iloc[0]) if not known.empty else None), ()
    match = _TITLE_YEAR.search(unicodedata.normalize("NFKC", preamble))
    if match:
        return int(match[1]), ()
    return year_of_rows(context, records, file_name)  # dates, quota ids, file name, 文号; two years: split


def _check_dates_in_year(context: Context, records: pd.DataFrame, budget_year: int) -> None:
    field_name = context.date_field
    if field_name is None or field_name not in records:
        return
    dates = records[field_name]
    years = records["budget_year"].where(records["budget_year"].notna(), budget_year) \
        if "budget_year" in records else pd.Series(budget_year, index=records.index)
    date_years = pd.Series([None if d is None else d.year for d in dates.tolist()], index=dates.index)
    outside = date_years.notna() & (date_years != years)
    for row in records.index[outside]:
        date, row_year = dates[row], years[row]
        context.log.add(problem("date_outside_year", row=int(row), column=context.names[field_name],
                                value=date.isoformat(), date=date.isoformat(), year=row_year))
