"""Column-wise parsing: each distinct cell text is parsed once, and problems are reported on
every row that holds a bad value (so a million-row export costs a few thousand parses)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from jobs.ingest.problems import Problem, problem
from jobs.ingest.values import CellError

MAX_PROBLEMS = 1000


@dataclass
class ProblemLog:
    """Collects problems; keeps the first MAX_PROBLEMS and counts the rest."""

    problems: list[Problem] = field(default_factory=list)
    total: int = 0

    def add(self, item: Problem) -> None:
        self.total += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(item)

    def __bool__(self) -> bool:
        return self.total > 0

    def listed(self) -> list[Problem]:
        """File-level problems first, then by row as a person reads the file."""
        ordered = sorted(self.problems, key=lambda p: (p.row is not None, p.row or 0))
        if self.total <= len(self.problems):
            return ordered
        return [*ordered, problem("too_many_problems", shown=len(self.problems), total=self.total)]


def parse_column(
    cells: pd.Series,
    parser: Callable[[str], object],
    column: str,
    log: ProblemLog,
    *,
    required: bool = False,
    problem_params: dict | None = None,
) -> pd.Series:
    """Parse a column of text. Empty cells give None (a problem if ``required``)."""
    values: dict[str, object] = {}
    bad: dict[str, CellError] = {}
    for text in cells.unique():
        if text == "":
            continue
        try:
            values[text] = parser(text)
        except CellError as exc:
            bad[text] = exc
    if bad:
        for row, text in cells[cells.isin(list(bad))].items():
            error = bad[text]
            log.add(problem(error.code, row=int(row), column=column, value=text,
                            **{**error.params, **(problem_params or {})}))
    # A cell of spaces or invisible characters only (a BOM, a zero-width space) is as empty as "".
    blank = [text for text, value in values.items() if isinstance(value, str) and value == ""]
    for text in blank:
        values[text] = None
    if required:
        empty = (cells == "") | cells.isin(blank) if blank else cells == ""
        for row in cells.index[empty]:
            log.add(problem("missing_value", row=int(row), column=column))
    get = values.get
    # tolist() first: iterating a pandas string array element by element is several times slower.
    return pd.Series([get(text) for text in cells.tolist()], index=cells.index, dtype=object)
