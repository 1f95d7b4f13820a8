"""The inbox: real export files dropped in a real folder, imported into a real database, then
filed in done/<date>/ or refused/ (with the report a person reads). Time is a fake clock and
mtimes set with os.utime; the watcher test waits on an event, never sleeps."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import pytest
import watchfiles
from sqlalchemy import func, select

import jobs.ingest.inbox
from db.engine import transaction
from db.models import Payment
from jobs.ingest import ingest_file
from jobs.ingest.inbox import concerns_inbox, process_inbox, watch_inbox
from tests.helpers import payment, payment_rows, snapshot, write_csv, write_xlsx

CLOCK = 1_700_000_000.0  # the fake clock's "now", in seconds since the epoch
SETTLED = CLOCK - 60  # an mtime a minute old: the writer has finished
GOOD = payment_rows(payment("ZF001", "2023-03-01", "100.00"), payment("ZF002", "2023-03-02", "200.00"))
BAD = payment_rows(payment("ZF001", "2023-03-01", "100.00"), payment("ZF003", "2023-03-03", "abc"))


@pytest.fixture
def inbox(tmp_path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


def drop(path: Path, rows=GOOD, *, mtime: float = SETTLED, writer=write_csv) -> Path:
    writer(path, rows)
    os.utime(path, (mtime, mtime))
    return path


def run(factory, inbox: Path, now, **options):
    return process_inbox(factory, inbox, now=now, clock=lambda: CLOCK, **options)


def payments_in(factory) -> int:
    with transaction(factory) as session:
        return session.scalar(select(func.count()).select_from(Payment))


# ---------------------------------------------------------------------------- process_inbox


def test_ingested_exports_move_to_the_done_folder_of_the_day(factory, inbox, now):
    csv_bytes = drop(inbox / "2023-03-31_支付明细.csv").read_bytes()
    drop(inbox / "指标.XLSX", payment_rows(payment("ZF009", "2023-03-09", "9.00")), writer=write_xlsx)

    report = run(factory, inbox, now)

    done = inbox / "done" / "2023-04-03"
    assert [(name, where, o.status) for name, where, o in report.ingested] == [
        ("2023-03-31_支付明细.csv", done / "2023-03-31_支付明细.csv", "ingested"),
        ("指标.XLSX", done / "指标.XLSX", "ingested")]
    assert report.imported and not (report.unchanged or report.refused or report.errors or report.waiting)
    assert (done / "2023-03-31_支付明细.csv").read_bytes() == csv_bytes
    assert sorted(p.name for p in inbox.iterdir()) == ["done", "refused"]
    assert payments_in(factory) == 3


def test_a_refused_export_moves_to_refused_with_a_chinese_report_naming_row_and_column(
        engine, factory, inbox, now):
    drop(inbox / "bad.csv", BAD)
    before = snapshot(engine)

    report = run(factory, inbox, now)

    assert [(name, where) for name, where, _ in report.refused] == [("bad.csv", inbox / "refused" / "bad.csv")]
    assert not report.imported and snapshot(engine) == before
    text = (inbox / "refused" / "bad.csv.错误说明.txt").read_text(encoding="utf-8-sig")
    assert "文件“bad.csv”未导入" in text
    # title, unit line and header are rows 1-3: the second payment is row 5 as Excel shows it
    assert "bad.csv · 第5行 · 支付金额: 金额无法识别：应为数字" in text
    assert "（值：abc）" in text
    assert not (inbox / "bad.csv").exists()


def test_the_refusal_report_is_in_english_when_asked(factory, inbox, now):
    drop(inbox / "bad.csv", BAD)

    run(factory, inbox, now, language="en")

    text = (inbox / "refused" / "bad.csv.refused.txt").read_text(encoding="utf-8-sig")
    assert "bad.csv · row 5 · 支付金额: not an amount: expected a number" in text
    assert " (value: abc)" in text
    assert not (inbox / "refused" / "bad.csv.错误说明.txt").exists()


def test_a_file_written_moments_ago_waits_and_is_taken_once_settled(factory, inbox, now):
    drop(inbox / "fresh.csv", mtime=CLOCK - 1)

    report = run(factory, inbox, now)

    assert report.waiting == ["fresh.csv"] and not report.imported
    assert (inbox / "fresh.csv").exists() and payments_in(factory) == 0
    later = process_inbox(factory, inbox, now=now, clock=lambda: CLOCK + 2)
    assert [name for name, _, _ in later.ingested] == ["fresh.csv"] and later.waiting == []


def test_temporary_lock_hidden_linked_and_other_files_are_ignored_and_never_moved(factory, inbox, now, tmp_path):
    names = ["a.csv.part", "b.xlsx.tmp", "c.csv.crdownload", "d.CSV.Partial", "e.csv.download",
             "~$f.xlsx", ".g.csv", "readme.txt"]
    for name in names:
        drop(inbox / name)
    (inbox / "old").mkdir()
    (inbox / "outside.csv").symlink_to(drop(tmp_path / "elsewhere.csv"))
    (inbox / "inside.csv").symlink_to(drop(inbox / "old" / "kept.csv"))

    report = run(factory, inbox, now)

    ignored = dict(report.ignored)
    assert sorted(ignored) == sorted([*names, "old", "outside.csv", "inside.csv"])
    assert ignored["outside.csv"] == ignored["inside.csv"] == "符号链接：不跟随链接，请放入文件本身"
    assert ignored["~$f.xlsx"].startswith("Office 锁文件") and ignored["a.csv.part"].startswith("临时文件")
    assert not (report.ingested or report.unchanged or report.refused or report.errors)
    assert all((inbox / name).exists() for name in names) and (inbox / "inside.csv").is_symlink()
    assert list((inbox / "done").iterdir()) == [] and payments_in(factory) == 0


def test_a_name_taken_in_done_or_refused_gets_a_numbered_suffix_and_nothing_is_overwritten(factory, inbox, now):
    done = inbox / "done" / "2023-04-03"
    done.mkdir(parents=True)
    (done / "a.csv").write_text("earlier a")
    (done / "a (2).csv").write_text("earlier a (2)")
    (inbox / "refused").mkdir()
    (inbox / "refused" / "bad.csv").write_text("earlier bad")
    drop(inbox / "a.csv")
    drop(inbox / "bad.csv", BAD)

    report = run(factory, inbox, now)

    assert [where for _, where, _ in report.ingested] == [done / "a (3).csv"]
    assert [where for _, where, _ in report.refused] == [inbox / "refused" / "bad (2).csv"]
    assert (inbox / "refused" / "bad (2).csv.错误说明.txt").exists()
    assert (done / "a.csv").read_text() == "earlier a" and (done / "a (2).csv").read_text() == "earlier a (2)"
    assert (inbox / "refused" / "bad.csv").read_text() == "earlier bad"


def test_a_crash_between_import_and_move_is_finished_by_the_next_pass_as_unchanged(engine, factory, inbox, now):
    path = drop(inbox / "a.csv")
    assert ingest_file(factory, path, now=now).status == "ingested"  # committed; then the process died
    before = snapshot(engine)

    report = run(factory, inbox, now)

    assert [(name, where) for name, where, _ in report.unchanged] == [
        ("a.csv", inbox / "done" / "2023-04-03" / "a.csv")]
    assert not report.imported and snapshot(engine) == before and not path.exists()


def test_a_file_that_vanishes_between_listing_and_import_is_an_error_and_the_pass_goes_on(
        factory, inbox, now, monkeypatch):
    drop(inbox / "a_gone.csv")
    drop(inbox / "b_good.csv")

    def vanishing(factory, path, **options):  # another process takes the file just in time
        if path.name == "a_gone.csv":
            path.unlink()
        return ingest_file(factory, path, **options)

    monkeypatch.setattr(jobs.ingest.inbox, "ingest_file", vanishing)
    report = run(factory, inbox, now)

    assert report.errors == [("a_gone.csv", "无法读取，留在收件箱：文件不存在")]
    assert [name for name, _, _ in report.ingested] == ["b_good.csv"]
    assert list((inbox / "refused").iterdir()) == []


def test_a_missing_inbox_is_an_error_not_a_new_folder(factory, tmp_path, now):
    with pytest.raises(FileNotFoundError):
        run(factory, tmp_path / "unmounted", now)
    assert not (tmp_path / "unmounted").exists()


# ---------------------------------------------------------------------------- watch_inbox


def watching(inbox: Path, on_change, **options) -> tuple[threading.Event, threading.Thread]:
    stop = threading.Event()
    thread = threading.Thread(target=watch_inbox, args=(inbox, on_change, stop), kwargs=options, daemon=True)
    thread.start()
    return stop, thread


def keep_dropping_until(event: threading.Event, inbox: Path, attempts: int = 25) -> bool:
    """Drop a new export until ``event`` is set: the watcher starts in its thread, so the first
    drop may come before it watches. Waits on the event (0.2 s a drop), never sleeps."""
    for attempt in range(attempts):
        drop(inbox / f"drop{attempt}.csv")
        if event.wait(0.2):
            return True
    return False


def test_the_watcher_calls_on_change_when_an_export_is_dropped(inbox):
    changed = threading.Event()
    stop, thread = watching(inbox, changed.set, debounce_ms=50)
    try:
        assert keep_dropping_until(changed, inbox)
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()


def test_an_on_change_that_fails_is_logged_and_the_watcher_keeps_watching(inbox, caplog):
    calls, second = [], threading.Event()

    def on_change():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("evaluation failed")
        second.set()

    stop, thread = watching(inbox, on_change, debounce_ms=50)
    try:
        with caplog.at_level(logging.ERROR, logger="jobs.ingest.inbox"):
            assert keep_dropping_until(second, inbox)
    finally:
        stop.set()
        thread.join(timeout=5)
    assert "reacting to a change failed" in caplog.text and "evaluation failed" in caplog.text


def test_a_folder_that_cannot_be_watched_is_a_warning_and_the_watcher_returns(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="jobs.ingest.inbox"):
        watch_inbox(tmp_path / "unmounted", lambda: None, threading.Event())
    assert "relying on the periodic scan" in caplog.text


@pytest.mark.parametrize(("change", "relative", "concerns"), [
    (watchfiles.Change.added, "a.csv", True),
    (watchfiles.Change.modified, "b.XLS", True),
    (watchfiles.Change.added, "done/2023-04-03/a.csv", False),
    (watchfiles.Change.added, "refused/bad.csv", False),
    (watchfiles.Change.deleted, "a.csv", False),  # also what moving a file out of the inbox says
    (watchfiles.Change.added, "a.csv.part", False),
    (watchfiles.Change.added, "~$a.xlsx", False),
    (watchfiles.Change.added, ".a.csv", False),
    (watchfiles.Change.added, "done", False),
])
def test_only_exports_added_or_changed_in_the_inbox_itself_call_for_a_pass(inbox, change, relative, concerns):
    assert concerns_inbox(inbox.resolve(), change, str(inbox / relative)) is concerns
