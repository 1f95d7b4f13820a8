"""The inbox: finance staff drop payment-system exports in a folder; each pass imports the files
that are complete and files them away, so the inbox holds only what still needs a person.

    inbox/2023-03-31_支付明细.csv                 dropped here
    inbox/done/2023-04-03/2023-03-31_支付明细.csv  ingested or unchanged (the date of the pass)
    inbox/refused/x.csv                           refused: the database was not changed
    inbox/refused/x.csv.错误说明.txt               every problem: file, row, column, value, expected

- Stateless: a file is still being written while its mtime is less than ``settle_seconds`` old;
  it is left alone and reported as waiting. A restart loses nothing. A writer that pauses longer
  than that mid-file cannot be told from a finished one: senders should write under a temporary
  name (``x.csv.part``, ``x.tmp``) and rename when done; temporary names are never read.
- Crash safety: ``ingest_file`` commits before the file is moved. If the process dies between
  the commit and the move, the file is still in the inbox; the next pass reads the same bytes,
  finds their content hash already imported ("unchanged", nothing stored twice) and moves it to
  done/. A file is always in the inbox, in done/ or in refused/; never lost, never imported twice.
- Never overwritten: a name taken in done/ or refused/ gets `` (2)``, `` (3)``… The new name is
  reserved with an exclusive create before the rename, so not even a concurrent pass overwrites.
- Input files are only opened for reading (``O_RDONLY``; never executed, whatever their mode);
  symbolic links are never followed, not even one swapped in after the listing (``O_NOFOLLOW``),
  and a pipe or device is never waited on (``O_NONBLOCK``).
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import watchfiles
from watchfiles._rust_notify import WatchfilesRustInternalError  # listed in the package's stub

from jobs.ingest import FileOutcome, ingest_file
from jobs.ingest import report as ingest_report
from jobs.ingest.batch import sorted_by_kind
from jobs.ingest.departments import DepartmentRules
from jobs.ingest.job import file_kind
from jobs.ingest.report import outcome_lines
from monitor.i18n import render

log = logging.getLogger(__name__)

EXPORT_SUFFIXES = (".xlsx", ".xls", ".csv")
TEMPORARY_SUFFIXES = (".tmp", ".part", ".crdownload", ".partial", ".download")
DONE, REFUSED = "done", "refused"
REPORT_SUFFIX = {"zh": ".错误说明.txt", "en": ".refused.txt"}
# ingest_file turns these OSErrors into problems; here they mean "gone or locked", not "wrong".
NOT_READ = frozenset({"file_missing", "file_forbidden", "is_folder", "is_symlink", "not_regular"})

TEXT = {
    "symlink": {"zh": "符号链接：不跟随链接，请放入文件本身",
                "en": "a symbolic link: links are not followed; drop the file itself"},
    "folder": {"zh": "文件夹：只读取收件箱中的文件，不读取子文件夹",
               "en": "a folder: only files in the inbox itself are read"},
    "hidden": {"zh": "隐藏文件", "en": "a hidden file"},
    "lock": {"zh": "Office 锁文件（该文件正在 Excel 中打开）",
             "en": "an Office lock file (the workbook is open in Excel)"},
    "temporary": {"zh": "临时文件（仍在下载或复制中）", "en": "a temporary file (still downloading or copying)"},
    "special": {"zh": "不是普通文件", "en": "not a regular file"},
    "other": {"zh": "不是 .xlsx、.xls 或 .csv 文件", "en": "not an .xlsx, .xls or .csv file"},
    "not_read": {"zh": "无法读取，留在收件箱：{reason}", "en": "cannot be read; left in the inbox: {reason}"},
    "not_filed": {"zh": "{status}，但未能归档（现位于 {where}）：{reason}",
                  "en": "{status} but not filed away (it is at {where}): {reason}"},
    "report_head": {"zh": "文件“{name}”未导入，已移到此文件夹。请修正下列问题后，把文件重新放入收件箱。",
                    "en": "The file '{name}' was not imported and was moved here. Fix the problems "
                          "below, then drop the file into the inbox again."},
}

Moved = tuple[str, Path, FileOutcome]  # (name in the inbox, where the file is now, outcome)


@dataclass(frozen=True)
class InboxReport:
    """One pass. ``ignored`` and ``errors`` pair a name with a reason in the pass's language."""

    ingested: list[Moved]
    unchanged: list[Moved]
    refused: list[Moved]
    waiting: list[str]
    ignored: list[tuple[str, str]]
    errors: list[tuple[str, str]]

    @property
    def imported(self) -> bool:
        """True when the database took new data: time to evaluate."""
        return bool(self.ingested)


Teller = Callable[[FileOutcome, Path], None]  # a refused file's outcome and where it is about to go


def process_inbox(factory, inbox: Path, *, now: dt.datetime,
                  synonyms: Mapping[str, Sequence[str]] | None = None, language: str = "zh",
                  departments: DepartmentRules | None = None, settle_seconds: float = 2.0,
                  clock: Callable[[], float] = time.time,
                  tell: Teller | None = None) -> InboxReport:
    """Import every complete export in ``inbox`` (not its subfolders) and move it out; the
    files of a pass are taken in the order their data depends on (quota exports first, then
    adjustments, payments, target tables, progress reports: jobs/ingest/batch.py), whatever
    their names, and by name within a kind.
    Raises FileNotFoundError if ``inbox`` does not exist: it is not created here, so an
    unmounted share is an error rather than a new empty folder. ``tell(outcome, where)``: called
    for a refused file once its name in refused/ is reserved and before it moves there (it writes
    the message to its finance staff: jobs/refusals.py); if it raises, the file stays in the
    inbox and the next pass tries again — the message is never lost, and its dedupe (what each
    person was told) keeps it from being doubled."""
    inbox = Path(inbox)
    for folder in (DONE, REFUSED):
        (inbox / folder).mkdir(exist_ok=True)
    report = InboxReport([], [], [], [], [], [])
    settled_before = clock() - settle_seconds
    with os.scandir(inbox) as scan:
        entries = sorted(scan, key=lambda e: e.name)
    settled: list[Path] = []
    for entry in entries:
        reason = _reason_to_ignore(entry)
        if reason == "ours":
            continue
        if reason is not None:
            report.ignored.append((entry.name, _say(language, reason)))
            continue
        try:
            if entry.stat(follow_symlinks=False).st_mtime > settled_before:
                report.waiting.append(entry.name)
                continue
        except OSError as exc:
            report.errors.append((entry.name, _say(language, "not_read", reason=exc.strerror or exc)))
            continue
        settled.append(Path(entry.path))
    for kind, path in _batch(settled, synonyms, still_written=bool(report.waiting)):
        if kind == _HELD:
            report.waiting.append(path.name)
            continue
        _take(factory, path, inbox, now=now, synonyms=synonyms, language=language,
              report=report, tell=tell, departments=departments)
    report.waiting.sort()
    return report


_HELD = "held"


def _batch(paths: list[Path], synonyms, *, still_written: bool) -> list[tuple[str | None, Path]]:
    """The settled files of a pass in the order their data depends on (jobs/ingest/batch.py),
    each with its kind. While another export is still being written (it may be the quota export
    the others wait for), only quota exports and files of no known kind are taken; the others
    are ``_HELD`` for the next pass and reported as waiting."""
    if len(paths) < 2 and not still_written:
        return [(None, p) for p in paths]
    ordered = sorted_by_kind([(file_kind(p, synonyms=synonyms, follow_symlinks=False), p) for p in paths])
    if still_written:
        ordered = [(_HELD if kind not in (None, "quota") else kind, p) for kind, p in ordered]
    return ordered


def _take(factory, path: Path, inbox: Path, *, now, synonyms, language, report: InboxReport,
          tell: Teller | None = None, departments: DepartmentRules | None = None) -> None:
    """Import one settled file and move it to done/ or refused/ (with its report)."""
    # Not following links here too: the file may have been swapped for one since the listing.
    outcome = ingest_file(factory, path, now=now, synonyms=synonyms, departments=departments, follow_symlinks=False)
    codes = {p.code for p in outcome.problems}
    if outcome.status == "refused" and codes and codes <= NOT_READ:
        # Gone or locked since the listing: not the file's fault, so not moved to refused/.
        reason = "; ".join(p.message(language) for p in outcome.problems)
        report.errors.append((path.name, _say(language, "not_read", reason=reason)))
        return
    where = path
    try:
        if outcome.status == "refused":
            target = _reserve(path, inbox / REFUSED)
            try:
                if tell is not None:
                    tell(outcome, target)
                _put(path, target)
            except BaseException:
                target.unlink(missing_ok=True)
                raise
            where = target
            _write_refusal(where, outcome, language)
        else:
            where = _move(path, inbox / DONE / now.date().isoformat())
    except OSError as exc:
        status = render(ingest_report.TEXT, outcome.status, language, {})
        report.errors.append((path.name, _say(language, "not_filed", status=status, where=where,
                                              reason=exc.strerror or exc)))
    getattr(report, outcome.status).append((path.name, where, outcome))


def _say(language: str, code: str, **params) -> str:
    return render(TEXT, code, language, params)


def _reason_to_ignore(entry: os.DirEntry) -> str | None:
    """A TEXT code saying why ``entry`` is not an export to read, "ours" for done/ and
    refused/, or None for a candidate."""
    if entry.is_symlink():  # checked first: nothing below may follow a link
        return "symlink"
    if entry.is_dir(follow_symlinks=False):
        return "ours" if entry.name in (DONE, REFUSED) else "folder"
    if not entry.is_file(follow_symlinks=False):
        return "special"
    return _reason_to_ignore_name(entry.name)


def _reason_to_ignore_name(name: str) -> str | None:
    lower = name.lower()
    if name.startswith("~$"):  # Excel's owner file beside an open workbook
        return "lock"
    if name.startswith("."):
        return "hidden"
    if lower.endswith(TEMPORARY_SUFFIXES):
        return "temporary"
    if not lower.endswith(EXPORT_SUFFIXES):
        return "other"
    return None


def _move(source: Path, folder: Path) -> Path:
    """Move ``source`` into ``folder`` under its own name or the first free `` (n)`` variant.
    The name is reserved by an exclusive create (O_EXCL), then replaced by the file: a rename
    alone would silently overwrite a file that appeared meanwhile."""
    target = _reserve(source, folder)
    _put(source, target)
    return target


def _reserve(source: Path, folder: Path) -> Path:
    """The first free name for ``source`` in ``folder``, taken by an exclusive create."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in itertools.count(1):
        target = folder / (source.name if n == 1 else f"{source.stem} ({n}){source.suffix}")
        try:
            target.touch(exist_ok=False)
        except FileExistsError:
            continue
        return target
    raise AssertionError("unreachable")


def _put(source: Path, target: Path) -> None:
    """Replace the reserved ``target`` by ``source`` (the reservation goes if that fails)."""
    try:
        os.replace(source, target)
    except OSError:
        target.unlink(missing_ok=True)
        raise


def report_path(where: Path, language: str) -> Path:
    """The report beside a refused file in refused/."""
    return where.with_name(where.name + REPORT_SUFFIX.get(language, REPORT_SUFFIX["zh"]))


def still_refused(inbox: Path) -> list[tuple[Path, dt.datetime | None]]:
    """The exports in refused/ (each with the time its report was written, if it has one): what
    still needs a person. A file leaves the list when it leaves refused/ (fixed and dropped into
    the inbox again, or deleted)."""
    folder = Path(inbox) / REFUSED
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or _reason_to_ignore_name(path.name) is not None:
            continue  # reports, temporary and hidden files
        reports = [report_path(path, lang) for lang in REPORT_SUFFIX]
        times = [r.stat().st_mtime for r in reports if r.exists()]
        found.append((path, dt.datetime.fromtimestamp(max(times), dt.UTC) if times else None))  # aware
    return found


def _write_refusal(where: Path, outcome: FileOutcome, language: str) -> None:
    """The report beside a refused file. UTF-8 with BOM and CRLF, so that Notepad on older
    Windows shows the Chinese text instead of reading it as GBK."""
    lines = [_say(language, "report_head", name=outcome.path.name), "",
             *outcome_lines(outcome, language, name_only=True)]
    text = report_path(where, language)
    text.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8-sig", newline="")


def concerns_inbox(root: Path, change: watchfiles.Change, path: str) -> bool:
    """Whether a file-system event at ``path`` calls for a pass over the inbox ``root``."""
    changed = Path(path)
    return (change != watchfiles.Change.deleted and changed.parent.resolve() == root
            and _reason_to_ignore_name(changed.name) is None)


def watch_inbox(inbox: Path, on_change: Callable[[], None], stop: threading.Event, *,
                debounce_ms: int = 500) -> None:
    """Call ``on_change()`` after each batch of file-system events that added or changed an
    export in ``inbox`` itself, until ``stop`` is set. Deletions are left out: a pass has
    nothing to do for them, and each move out of the inbox would otherwise trigger one more.
    If the folder cannot be watched (it is missing, the inotify limit is reached, the backend
    fails), this logs a warning and returns. A network share may also accept the watch and
    never report what other machines write: the daemon's periodic scan covers both."""
    root = Path(inbox).resolve()
    concerns = functools.partial(concerns_inbox, root)
    try:
        for _changes in watchfiles.watch(root, watch_filter=concerns, stop_event=stop,
                                         debounce=debounce_ms, recursive=False):
            try:
                on_change()
            except Exception:  # the watcher outlives one failed trigger
                log.exception("inbox %s: reacting to a change failed; still watching", root)
    except (OSError, WatchfilesRustInternalError) as exc:
        # WatchfilesRustInternalError: the backend failed after it started (e.g. the share went away).
        log.warning("inbox %s cannot be watched (%s): relying on the periodic scan", root, exc)
