"""The order the files of one batch are imported in: what their data depends on first.

A batch is the files of one inbox pass or of one ``budget-monitor ingest a b c``. Their names do
not decide what goes first; their kinds do (docs/DOMAIN.md, "Order within a batch"):

    1 quota exports (指标明细)      the lines, units and projects everything else names
    2 adjustments (调整单)          checked against the lines' budgets
    3 payments (支付明细)           matched to the lines (else listed as unmatched)
    4 target tables (绩效目标表)     of the units and projects of the quota exports
    5 progress reports (完成情况)    of the targets

Within a kind the files keep the order they came in (the inbox: by name, which puts a
``2023-03-31_…`` file before a ``2023-06-30_…`` one; ``ingest``: the order of the arguments). A
file's kind is found as the import finds it, from the header of its first sheet that has one
(``find_header``), which means reading the file once more before the import (a CSV's head
rows only: about 1 s for a GBK export of 200,000 payments, 38 MB, against 3 s read whole; a
workbook whole). A file whose kind cannot be told (unreadable, no header) keeps its place among
the others and is refused by its import as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TypeVar

from jobs.ingest.headers import find_header
from jobs.ingest.reader import read_heads

T = TypeVar("T")
KIND_ORDER = ("quota", "adjustments", "payments", "targets", "progress")


def kind_of(path: Path, data: bytes, synonyms: Mapping[str, Sequence[str]] | None = None) -> str | None:
    """The kind the import would find in the file ``path`` holding ``data`` (its first sheet with a
    header), without importing it; None when it cannot be told (the import then says why)."""
    try:
        for head in read_heads(Path(path), data):
            found = find_header(head, None, synonyms)
            if found is not None:
                return found[1]
    except Exception:  # unreadable, refused by the reader: its import says why
        return None
    return None


def sorted_by_kind(kinds: Sequence[tuple[str | None, T]]) -> list[tuple[str | None, T]]:
    """(kind, file) pairs by KIND_ORDER, each kind in the order given. A file of no known kind
    keeps its place; the others are ordered among the places they hold."""
    known = sorted((pair for pair in kinds if pair[0] in KIND_ORDER),
                   key=lambda pair: KIND_ORDER.index(str(pair[0])))  # stable: a kind keeps its order
    taken = iter(known)
    return [pair if pair[0] not in KIND_ORDER else next(taken) for pair in kinds]
