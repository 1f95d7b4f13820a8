"""Merged cells in the rows of a workbook: read as if every row of the range said its value.

Disclosures and many exports print a value once over the rows it applies to: the 预算单位 and
项目名称 of a target table over the project's indicators, the 一级/二级指标 over a group, a unit
over its quota lines. A workbook stores such a value in the range's first cell only; read as
written, the rows below it would belong to nobody (or to the unit as a whole). So, once the
header says what each column is, the value is copied into every cell of the range — of the rows
below the header only (the header and the rows above it are read as written).

A figure is never copied: an amount (or a 分值权重, or a 实际完成值) merged over several rows is one
figure for all of them, and which row it belongs to cannot be told; the file is refused naming
the rows. An amount merged sideways over text cells of its own row stays in its own cell.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from jobs.ingest.columns import ProblemLog
from jobs.ingest.problems import problem
from jobs.ingest.reader import Merge

# Fields holding one figure per row (jobs/ingest/records.py Context.amount_fields, and a target's
# weight or a progress report's actual value): never copied from a merged cell.
FIGURES = frozenset({"initial", "adjustment", "current", "reported_paid", "available", "amount", "weight",
                     "actual"})


def fill_merged(body: pd.DataFrame, merges: Sequence[Merge], columns: Mapping[str, int],
                names: Mapping[str, str], log: ProblemLog) -> tuple[pd.DataFrame, frozenset[str]]:
    """``body``: the rows below the header (index: rows as Excel shows them, columns: positions);
    ``columns``: field → position; ``names``: field → the header as written. Returns the rows with
    each merged range's value in all its cells of a text field, and the fields that have a merged
    range of several rows below the header (a blank cell of theirs outside any range is a blank the
    file means: jobs/ingest/target_refs.py)."""
    field_at = {position: field_name for field_name, position in columns.items()}
    start = int(body.index[0]) if not body.empty else 0
    merges = [m for m in merges if m.first_row >= start and any(
        p in field_at for p in range(m.first_column, m.last_column + 1))]
    if not merges or body.empty:  # the usual case: a title or a header merged, nothing below
        return body, frozenset()
    cells: dict[int, np.ndarray] = {}  # position → its column, copied once a range writes into it

    def column(position: int) -> np.ndarray:
        if position not in cells:
            cells[position] = body[position].to_numpy(dtype=object, copy=True)
        return cells[position]

    index = np.asarray(body.index)
    tops = np.searchsorted(index, [m.first_row for m in merges], "left").tolist()
    bottoms = np.searchsorted(index, [m.last_row for m in merges], "right").tolist()
    merged: set[str] = set()
    for merge, top, bottom in zip(merges, tops, bottoms):  # the header's own merges, the title's: left out
        covered = [field_at[p] for p in range(merge.first_column, merge.last_column + 1) if p in field_at]
        figures = [f for f in covered if f in FIGURES]
        value = body.iat[top, merge.first_column] if top < len(index) and index[top] == merge.first_row else ""
        rows = bottom - top  # the range's rows that hold anything: a tall row (its cells all merged
        # over two rows, the second blank) is one row
        if figures and (rows > 1 or len(figures) > 1):
            for field_name in figures:
                log.add(problem("merged_figure", row=merge.first_row, column=names[field_name], value=value or None,
                                first=merge.first_row, last=merge.last_row, field=names[field_name]))
            continue
        if rows > 1:
            merged.update(covered)
        if value == "" or field_at.get(merge.first_column) in FIGURES:
            continue  # nothing to copy, or a figure beside its own row's text cells
        for field_name in covered:
            if field_name not in FIGURES:
                column(columns[field_name])[top:bottom] = value
    filled = body.copy(deep=False)
    for position, values in cells.items():
        filled[position] = pd.Series(values, index=body.index, dtype=str)
    return filled, frozenset(merged)
