"""The ingest job: one file in, whole or not at all.

    read bytes → same content already ingested? → "unchanged"
               → read grid → validate (all problems) → refused, database untouched
               → one transaction: import row, dimensions, records → "ingested"
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from db import store, target_store
from db.engine import transaction
from jobs.ingest.problems import Problem, Refused, problem
from jobs.ingest.reader import read_grids
from jobs.ingest.records import DATE_FIELD
from jobs.ingest.target_refs import DbCatalog
from jobs.ingest.validate import ParsedExport, parse_export

Progress = Callable[[str, int, int], None]  # (phase, rows done, rows in all)
STORE = {"quota": store.store_quota_lines, "payments": store.store_payments,
         "adjustments": store.store_adjustments, "targets": target_store.store_targets,
         "progress": target_store.store_progress}


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one file. ``status`` is ingested | unchanged | refused."""

    path: Path
    status: str
    kind: str | None = None
    rows: int = 0
    budget_year: int | None = None
    problems: tuple[Problem, ...] = ()
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    import_id: int | None = None
    source_format: str | None = None
    detail: dict = field(default_factory=dict)

    def to_json(self, language: str = "zh") -> dict:
        return {
            "path": str(self.path),
            "kind": self.kind,
            "status": self.status,
            "rows": self.rows,
            "budget_year": self.budget_year,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "problems": [p.to_json(language) for p in self.problems],
        }


def ingest_file(
    factory: sessionmaker[Session],
    path: Path,
    *,
    now: dt.datetime,
    kind: str | None = None,
    year: int | None = None,
    as_of: dt.date | None = None,
    synonyms: Mapping[str, Sequence[str]] | None = None,
    progress: Progress | None = None,
) -> FileOutcome:
    """Ingest one export. ``now`` is the import time (Beijing); ``as_of`` the export's date if
    known better than its title or its latest payment tells."""
    step = progress or (lambda _phase, _done=0, _total=0: None)
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return FileOutcome(path, "refused", problems=(_os_problem(exc),))
    content_hash = hashlib.sha256(data).hexdigest()
    with transaction(factory) as session:
        previous = store.find_import(session, content_hash)
        if previous is not None:
            return FileOutcome(path, "unchanged", previous.kind, previous.rows, previous.budget_year,
                               unchanged=previous.rows, import_id=previous.id)
    try:
        step("read")
        parsed = _first_export(read_grids(path, data), kind=kind, year=year, synonyms=synonyms,
                               catalog=DbCatalog(factory), step=step)
    except Refused as refused:
        return FileOutcome(path, "refused", refused.kind or kind, problems=tuple(refused.problems))
    del data  # the raw file is not needed while storing: free it before the peak
    step("store")
    # The export's own date decides which of two overlapping exports is newer.
    observed_on = as_of or parsed.title_date or _name_date(path) or _latest_date(parsed) or now.date()
    try:
        with transaction(factory) as session:
            import_row = store.new_import(
                session, file_name=path.name, content_hash=content_hash, kind=parsed.kind,
                budget_year=parsed.budget_year, rows=len(parsed.records), observed_on=observed_on,
                imported_at=now, detail={"format": parsed.source_format, "header_row": parsed.header_row})
            counts = STORE[parsed.kind](session, parsed.records, import_row,
                                        lambda done, total: step("store", done, total))
            import_row.inserted, import_row.updated, import_row.unchanged = (
                counts.inserted, counts.updated, counts.unchanged)
    except IntegrityError:
        # Another process ingested the same content meanwhile: same answer as a re-import.
        with transaction(factory) as session:
            if store.find_import(session, content_hash) is None:
                raise
        return FileOutcome(path, "unchanged", parsed.kind, len(parsed.records), parsed.budget_year,
                           unchanged=len(parsed.records))
    return FileOutcome(path, "ingested", parsed.kind, len(parsed.records), parsed.budget_year,
                       inserted=counts.inserted, updated=counts.updated, unchanged=counts.unchanged,
                       import_id=import_row.id, source_format=parsed.source_format)


def _first_export(grids, *, step, **options) -> ParsedExport:
    """The first sheet that has a header is the export (a cover sheet may come before it)."""
    first_refusal: Refused | None = None
    for grid in grids:
        step("validate")
        try:
            return parse_export(grid, **options)
        except Refused as refused:
            no_header = [p.code for p in refused.problems] == ["no_header"]
            if not no_header:
                raise
            first_refusal = first_refusal or refused
    assert first_refusal is not None  # read_grids yields at least one grid or raises
    raise first_refusal


def _os_problem(exc: OSError) -> Problem:
    if isinstance(exc, FileNotFoundError):
        return problem("file_missing")
    if isinstance(exc, PermissionError):
        return problem("file_forbidden")
    if isinstance(exc, IsADirectoryError):
        return problem("is_folder")
    return problem("file_unreadable", reason=exc.strerror or str(exc))


_NAME_DATE = re.compile(r"(?<!\d)(20\d{2})[-_.]?(\d{2})[-_.]?(\d{2})(?!\d)")


def _name_date(path: Path) -> dt.date | None:
    """A date in the file name, as exports are often saved: ``2023-03-31_支付明细.csv``."""
    match = _NAME_DATE.search(path.name)
    if not match:
        return None
    try:
        return dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def _latest_date(parsed: ParsedExport) -> dt.date | None:
    column = DATE_FIELD.get(parsed.kind)
    if column is None:
        return None
    dates = [d for d in parsed.records[column] if d is not None]
    return max(dates) if dates else None


def ingest_paths(factory: sessionmaker[Session], paths: Sequence[Path], *, now: dt.datetime,
                 progress: Callable[[Path, str, int, int], None] | None = None,
                 **options) -> list[FileOutcome]:
    """Each file on its own: one file's refusal does not undo the others."""
    outcomes = []
    for path in paths:
        step = (lambda phase, done=0, total=0, p=path: progress(p, phase, done, total)) if progress else None
        outcomes.append(ingest_file(factory, path, now=now, progress=step, **options))
    return outcomes
