"""The ingest job: one file in, whole or not at all.

    read bytes → same content already ingested? → "unchanged"
               → read grid → validate (all problems) → refused, database untouched
               → one transaction: import row, dimensions, records → "ingested"
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import os
import re
import stat
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from db import store, target_store
from db.engine import transaction
from jobs.ingest.batch import kind_of, sorted_by_kind
from jobs.ingest.departments import DepartmentRules
from jobs.ingest.departments import relink as relink_departments
from jobs.ingest.headers import find_header
from jobs.ingest.problems import Problem, Refused, problem
from jobs.ingest.reader import read_grids
from jobs.ingest.records import DATE_FIELD
from jobs.ingest.target_refs import DbCatalog
from jobs.ingest.validate import KIND_NAMES, ParsedExport, parse_export


class Progress(Protocol):
    """progress(phase) at each phase; progress("store", rows done, rows in all) while storing."""

    def __call__(self, phase: str, done: int = ..., total: int = ..., /) -> None: ...


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
    notes: tuple[Problem, ...] = ()  # what a person should know of an accepted file (not problems)
    source_format: str | None = None
    detail: dict = field(default_factory=dict)
    years: Mapping[int, int] = field(default_factory=dict)  # rows per year of a file split at New Year
    reading: Mapping[str, object] = field(default_factory=dict)  # how the file was read: ParsedExport.reading

    def to_json(self, language: str = "zh") -> dict:
        return {
            "path": str(self.path),
            "kind": self.kind,
            "status": self.status,
            "rows": self.rows,
            "budget_year": self.budget_year,
            "years": {str(y): n for y, n in self.years.items()},
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "problems": [p.to_json(language) for p in self.problems],
            "notes": [p.to_json(language) for p in self.notes],
            **({"reading": _json_reading(self.reading)} if self.reading else {}),
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
    departments: DepartmentRules | None = None,
    progress: Progress | None = None,
    follow_symlinks: bool = True,
) -> FileOutcome:
    """Ingest one export. ``now`` is the import time (Beijing); ``as_of`` the export's date if
    known better than its title or its latest payment tells. ``follow_symlinks=False`` (the
    inbox) refuses a path that is a symbolic link instead of reading what it points to."""
    step: Progress = progress or (lambda _phase, _done=0, _total=0: None)
    path = Path(path)
    try:
        data = read_export(path, follow_symlinks=follow_symlinks)
    except _TooLarge as exc:
        return FileOutcome(path, "refused", problems=(problem("file_too_large", size=_megabytes(exc.size),
                                                              limit=_megabytes(MAX_FILE_BYTES)),))
    except OSError as exc:
        return FileOutcome(path, "refused", problems=(_os_problem(exc),))
    content_hash = hashlib.sha256(data).hexdigest()
    with transaction(factory) as session:
        previous = store.find_import(session, content_hash)
        if previous is not None and kind is not None and kind != previous.kind:
            what, what_en = KIND_NAMES.get(previous.kind, (previous.kind, previous.kind))
            return FileOutcome(path, "refused", kind, problems=(problem(
                "imported_as_other_kind", given=kind, what=what, what_en=what_en, import_id=previous.id,
                imported_at=f"{previous.imported_at:%Y-%m-%d %H:%M}"),), import_id=previous.id,
                detail={"content_hash": content_hash})
        if previous is not None:
            return FileOutcome(path, "unchanged", previous.kind, previous.rows, previous.budget_year,
                               unchanged=previous.rows, import_id=previous.id,
                               notes=tuple(relink_departments(session, departments)))
    try:
        step("read")
        parsed = _first_export(read_grids(path, data), kind=kind, year=year, synonyms=synonyms,
                               catalog=DbCatalog(factory), departments=departments, step=step,
                               file_name=path.name)
    except Refused as refused:
        return FileOutcome(path, "refused", refused.kind or kind, problems=tuple(refused.problems),
                           detail={"content_hash": content_hash, "units": sorted(refused.units),
                                   "departments": sorted(refused.departments)})
    del data  # the raw file is not needed while storing: free it before the peak
    step("store")
    # The export's own date decides which of two overlapping exports is newer.
    observed_on = as_of or parsed.title_date or _name_date(path) or _latest_date(parsed) or now.date()
    if as_of is not None and "title_date" in parsed.reading:  # the date given wins over the title's
        parsed = replace(parsed, reading={k: v for k, v in parsed.reading.items() if k != "title_date"})
    try:
        with transaction(factory) as session:
            import_row = store.new_import(
                session, file_name=path.name, content_hash=content_hash, kind=parsed.kind,
                budget_year=parsed.budget_year, rows=len(parsed.records), observed_on=observed_on,
                imported_at=now, detail={"format": parsed.source_format, "header_row": parsed.header_row,
                                         **store.spanned_years(parsed.years),
                                         **({"reading": _json_reading(parsed.reading)} if parsed.reading else {})})
            counts = STORE[parsed.kind](session, parsed.records, import_row,
                                        lambda done, total: step("store", done, total))
            import_row.inserted, import_row.updated, import_row.unchanged = (
                counts.inserted, counts.updated, counts.unchanged)
            notes = (*relink_departments(session, departments),
                     *(Problem(n.code, n.row, params=n.params) for n in counts.notes))
    except IntegrityError:
        # Another process ingested the same content meanwhile: same answer as a re-import.
        with transaction(factory) as session:
            if store.find_import(session, content_hash) is None:
                raise
        return FileOutcome(path, "unchanged", parsed.kind, len(parsed.records), parsed.budget_year,
                           unchanged=len(parsed.records))
    return FileOutcome(path, "ingested", parsed.kind, len(parsed.records), parsed.budget_year,
                       inserted=counts.inserted, updated=counts.updated, unchanged=counts.unchanged,
                       import_id=import_row.id, notes=notes, source_format=parsed.source_format,
                       years=parsed.years if len(parsed.years) > 1 else {}, reading=parsed.reading)


def _json_reading(reading: Mapping[str, object]) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in reading.items()}


def _first_export(grids, *, step, **options) -> ParsedExport:
    """The first sheet that has a header is the export (a cover sheet may come before it). A later
    sheet with a header of the same kind is never dropped silently: the file is refused, naming it."""
    first_refusal: Refused | None = None
    grids = iter(grids)
    for grid in grids:
        step("validate")
        try:
            parsed = parse_export(grid, **options)
        except Refused as refused:
            codes = [p.code for p in refused.problems]
            if codes not in (["no_header"], ["not_an_export"]):  # a sheet of the export itself: refused
                refused.problems = [*_other_sheets(grid, grids, refused.kind, options.get("synonyms")),
                                    *refused.problems]  # problems of the whole file first
                raise
            # A cover sheet, or one that is no export (a note naming a 工资表): the export may follow.
            # If none does, the sheet that looks like something is named rather than a cover.
            if first_refusal is None or (codes == ["not_an_export"] and first_refusal.problems[0].code == "no_header"):
                first_refusal = refused
            continue
        others = _other_sheets(grid, grids, parsed.kind, options.get("synonyms"))
        if others:
            raise Refused(others, parsed.kind)
        return parsed
    assert first_refusal is not None  # read_grids yields at least one grid or raises
    raise first_refusal


_SHEET_KINDS = {"quota": ("指标明细", "a quota export"), "payments": ("支付明细", "a payment export"),
                "adjustments": ("调整明细", "an adjustment export"), "targets": ("绩效目标表", "a target table"),
                "progress": ("绩效目标完成情况表", "a progress report")}


def _other_sheets(first, grids, kind: str | None, synonyms) -> list[Problem]:
    """A problem for each sheet after ``first`` with a header of ``kind`` (a sheet that cannot be
    read is left out, as before)."""
    if kind is None or first.sheet is None:
        return []
    found = []
    try:
        for grid in grids:
            header = find_header(grid.head, kind, synonyms)
            if header is not None:
                what, what_en = _SHEET_KINDS[kind]
                found.append(problem("other_sheet", sheet=grid.sheet, header_row=header[0].first + 1,
                                     first=first.sheet, what=what, what_en=what_en))
    except Refused:
        pass
    return found


MAX_FILE_BYTES = 1 << 30  # 1 GiB: five times the largest real export seen (bench/README.md)


class _TooLarge(Exception):
    def __init__(self, size: int):
        super().__init__(size)
        self.size = size


class _NotRegular(OSError):
    pass


def read_export(path: Path, *, follow_symlinks: bool = True) -> bytes:
    """The file's bytes, opened read-only (and never executed, whatever its mode). Not a link
    when ``follow_symlinks`` is false (O_NOFOLLOW: no race between a check and the open), never
    a pipe or a device (O_NONBLOCK: opening a FIFO does not wait for a writer), at most
    MAX_FILE_BYTES."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(path, flags)
    with os.fdopen(descriptor, "rb") as file:
        info = os.fstat(descriptor)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if not stat.S_ISREG(info.st_mode):
            raise _NotRegular(errno.EINVAL, "not a regular file", str(path))
        if info.st_size > MAX_FILE_BYTES:
            raise _TooLarge(info.st_size)
        data = file.read()  # sized from fstat: read(n) would allocate n bytes first, then copy
    if len(data) > MAX_FILE_BYTES:  # grew while being read
        raise _TooLarge(len(data))
    return data


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:,.1f} MB"


def _os_problem(exc: OSError) -> Problem:
    if isinstance(exc, _NotRegular):
        return problem("not_regular")
    if exc.errno == errno.ELOOP:  # O_NOFOLLOW on a symbolic link
        return problem("is_symlink")
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


def file_kind(path: Path, *, synonyms: Mapping[str, Sequence[str]] | None = None,
              follow_symlinks: bool = True) -> str | None:
    """The kind of export ``path`` holds, read from its header before importing it (None: it
    cannot be told; its import says why)."""
    try:
        return kind_of(path, read_export(path, follow_symlinks=follow_symlinks), synonyms)
    except (OSError, _TooLarge):
        return None


def batch_order(paths: Sequence[Path], *, kind: str | None = None,
                synonyms: Mapping[str, Sequence[str]] | None = None) -> list[int]:
    """The positions of ``paths`` in the order they are to be imported (jobs/ingest/batch.py).
    With ``kind`` given (``--kind``) every file is of that kind, and a single file waits for
    nothing: the order stays."""
    if kind is not None or len(paths) < 2:
        return list(range(len(paths)))
    return [i for _, i in sorted_by_kind([(file_kind(p, synonyms=synonyms), i) for i, p in enumerate(paths)])]


def ingest_paths(factory: sessionmaker[Session], paths: Sequence[Path], *, now: dt.datetime,
                 progress: Callable[[Path, str, int, int], None] | None = None,
                 **options) -> list[FileOutcome]:
    """Each file on its own: one file's refusal does not undo the others. The files are taken in
    the order their data depends on (quota exports first: jobs/ingest/batch.py), whatever the
    order given; the outcomes are listed as the paths were given (one per path, in place)."""
    outcomes: dict[int, FileOutcome] = {}
    for i in batch_order(paths, kind=options.get("kind"), synonyms=options.get("synonyms")):
        path = paths[i]
        step = (lambda phase, done=0, total=0, p=path: progress(p, phase, done, total)) if progress else None
        outcomes[i] = ingest_file(factory, path, now=now, progress=step, **options)
    return [outcomes[i] for i in range(len(paths))]
