"""Rows under and among an export's data that are not records: totals and subtotals (合计,
小计, "乌鲁木齐市水务局 小计"), checked against the rows they total, and footers (制表人：…,
打印日期：…, 注：…), skipped."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

import pandas as pd

from jobs.ingest.problems import problem
from jobs.ingest.records import Context
from jobs.ingest.values import CellError, parse_fen
from monitor.money import from_fen

# What the rows under an export's data say about the export itself: who made it and when, notes.
_FOOTER = re.compile(r"^(制表人|制表|制表日期|制表时间|打印人|打印日期|打印时间|导出人|导出日期|导出时间|审核人|审核|"
                     r"复核人|复核|单位负责人|财务负责人|部门负责人|经办人|填报人|填表人|填报日期|联系人|联系电话|"
                     r"注|说明|备注)\s*[:：]")


def footer_rows(body: pd.DataFrame) -> int:
    """How many rows at the bottom are a footer: their first filled cell is a 制表人：/打印日期：/
    注： note. Only at the bottom: such a row among the data is data."""
    count = 0
    for row in body.iloc[::-1].head(20).itertuples(index=False, name=None):  # a footer is a few rows
        first = next((t for t in row if t.strip()), "")
        if not _FOOTER.match(unicodedata.normalize("NFKC", first).strip()):
            break
        count += 1
    return count


# A totals cell: the word alone ("合计", "合　计：", "总计(元)"), or after what it totals
# ("乌鲁木齐市水务局 小计", "312001小计", "本单位小计"). Not "合计项目": a name that only starts
# with the word. Only rows without a key are searched, so a quota line named so is never a total.
_TOTAL = re.compile(r"^(?P<of>.{0,60}?)[\[【(（]?(?P<word>总合计|合计|总计|小计)[\]】)）]?"
                    r"(?:[:：]|[(（](?:万?元)[)）])?$")
_GRAND = ("合计", "总计", "总合计")


def _total_text(text: str) -> tuple[str, str] | None:
    """(what the total is of, the word) for a totals cell; None for any other text."""
    match = _TOTAL.match(re.sub(r"\s", "", unicodedata.normalize("NFKC", text)))
    return None if match is None else (match["of"].rstrip("-—_:：|/ "), match["word"])


def _is_total(cells: pd.Series) -> pd.Series:
    return cells.map(lambda t: _total_text(t) is not None)


def _totals_mask(body: pd.DataFrame) -> pd.Series:
    """The word alone in one of the first columns, or what it totals and the word in the row's
    first filled cell: a keyless row whose 用途 ends in 合计 is a row lacking its key, not a total."""
    def total(row: tuple) -> bool:
        first = True
        for text in row[:12]:
            found = _total_text(text) if "计" in text else None
            if found is not None and (first or not found[0]):
                return True
            first = first and not text.strip()
        return False
    return pd.Series([total(r) for r in body.itertuples(index=False, name=None)], index=body.index, dtype=bool)


def _total_of(cells: pd.Series) -> tuple[str, str]:
    """What a totals row totals and its word, from its first totals cell."""
    for text in cells.tolist()[:12]:
        found = _total_text(text)
        if found is not None:
            return found
    return "", "合计"


def split_totals(body: pd.DataFrame, key_column: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the totals rows, the other rows). A totals row has no key of its own (or a totals text in
    the key column); only such rows are searched for the word, which keeps this cheap on a million
    rows."""
    key_cells = body[key_column]
    spaced = key_cells.str.contains("计", regex=False)  # "合　计" is written spaced out, too
    keyed_total = pd.Series(False, index=body.index)
    keyed_total[spaced] = _is_total(key_cells[spaced])
    candidates = body[(key_cells.str.strip() == "") | keyed_total]
    mask = pd.Series(False, index=body.index)
    mask[candidates.index] = _totals_mask(candidates)
    return body[mask], body[~mask]


def check_totals(context: Context, records: pd.DataFrame, totals: pd.DataFrame,
                  columns: Mapping[str, int]) -> None:
    """A totals row is skipped, but where it carries an amount it must equal the rows' sum: the
    grand total (the last 合计 / 总计 that names nothing) the sum of every row, a unit's 小计 (a
    totals row that names a unit by its code or name) the sum of that unit's rows. Other 小计 rows
    (a bare 小计, a project's) are not checked; none of them is ever counted in the grand total."""
    grand = None
    for row, cells in totals.iterrows():
        of, word = _total_of(cells)
        if not of and word in _GRAND:
            grand = (row, cells)
        elif of:
            rows = _rows_of_unit(records, of)
            if rows is not None:
                _check_total(context, records.loc[rows], row, cells, columns, of)
    if grand is None and len(totals) == 1 and not _total_of(totals.iloc[0])[0]:
        grand = (totals.index[0], totals.iloc[0])  # one bare 小计 under the rows: the file's total
    if grand is not None:
        _check_total(context, records, grand[0], grand[1], columns, None)


def _rows_of_unit(records: pd.DataFrame, of: str) -> pd.Series | None:
    """The rows of the one unit a 小计 names (by code, name or "code name"), or None."""
    if "unit_code" not in records:
        return None
    codes, names = records["unit_code"].astype(str), records["unit_name"].astype(str)
    for mask in ((codes == of), (names == of), [f"{c}{n}" == of for c, n in zip(codes, names)]):
        mask = pd.Series(mask, index=records.index)
        if mask.any() and records.loc[mask, "unit_code"].nunique() == 1:
            return mask
    return None


def _unread(context: Context, field_name: str, amounts: pd.Series) -> bool:
    """Whether one of these rows has an amount that could not be read (text, finer than a fen)
    or is missing where one is required: a problem already named on its row."""
    cells = context.cells[field_name].reindex(amounts.index, fill_value="")
    if (amounts.isna() & (cells.str.strip() != "")).any():
        return True
    column = context.names[field_name]
    rows = set(amounts.index)
    return any(p.column == column and p.row in rows for p in context.log.problems)


def _check_total(context: Context, records: pd.DataFrame, row, cells: pd.Series,
                 columns: Mapping[str, int], of: str | None) -> None:
    for field_name in context.amount_fields:
        if field_name not in columns or field_name not in records:
            continue
        text = cells[columns[field_name]]
        if text == "":
            continue
        try:
            total = parse_fen(text, context.scales[field_name])
        except CellError as exc:
            context.log.add(problem(exc.code, row=int(row), column=context.names[field_name],
                                    value=text, **exc.params))
            continue
        amounts = records[field_name]
        if _unread(context, field_name, amounts):
            continue  # the rows' sum leaves an unreadable amount out: that cell is the problem, not the total
        rows_sum = int(sum(v for v in amounts if v is not None))
        if "status" in records:  # some systems total only the rows that were paid
            counted = int(sum(v for v, st in zip(amounts, records["status"]) if v is not None and st == "paid"))
        else:
            counted = rows_sum
        if total in (rows_sum, counted):
            continue
        figures = {"total": f"{from_fen(total):,}", "sum": f"{from_fen(rows_sum):,}",
                   "diff": f"{from_fen(total - rows_sum):,}"}
        if of is None:
            context.log.add(problem("totals_mismatch", row=int(row), column=context.names[field_name],
                                    value=text, **figures))
        else:
            context.log.add(problem("subtotal_mismatch", row=int(row), column=context.names[field_name],
                                    value=text, of=of, **figures))
