"""kill -9 of an import at many points: the real `budget-monitor ingest` in a child process that
kills itself (SIGKILL) at a point chosen in advance — a statement, a row of a bulk statement as
the driver takes it, just before or just after a COMMIT (tests/crashpoint.py). After each kill
the database holds the whole file or none of it, and running the same command again imports it
exactly once. On SQLite and on PostgreSQL.

The file is an overlapping export, as the payment system's H1 export after its Q1 export: 10,500
payments in three batches (db/store.py: 5,000 a batch), 8,500 of them already stored unchanged,
500 stored and now 已退回 (updated), 1,500 new; each batch has all three."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import queue
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from db.engine import make_engine, session_factory, sqlite_url
from db.migrate import upgrade
from jobs.clock import BEIJING
from jobs.ingest import ingest_file
from tests.crashpoint import ForkServer
from tests.fault_helpers import numbered_payments
from tests.helpers import payment_rows, write_csv
from tests.reliability import record

ROWS = 10_500  # the file: three batches of db/store.py's 5,000
NEW = range(0, ROWS, 7)  # 1,500 payments the earlier export did not have, in every batch
RETURNED = range(1, ROWS, 21)  # 500 stored as paid and now 已退回: updated, in every batch
EARLIER_ROWS = ROWS - len(NEW)
WORKERS = 3


@pytest.fixture
def exports(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    earlier = write_csv(folder / "2023-03-31_支付明细.csv",
                        payment_rows(*numbered_payments(n for n in range(ROWS) if n not in NEW)), "gb18030")
    later = write_csv(folder / "2023-06-30_支付明细.csv",
                      payment_rows(*numbered_payments(range(ROWS), returned=RETURNED)), "gb18030")
    return earlier, later


class Copies:
    """Fresh databases, each a copy of a template: a SQLite file copied, or a PostgreSQL
    ``CREATE DATABASE … TEMPLATE``."""

    def __init__(self, template_url: str, folder: Path):
        self.template, self.folder = template_url, folder
        self.postgres = template_url.startswith("postgresql")
        self._lock = threading.Lock()
        if self.postgres:
            self._admin = create_engine(make_url(template_url).set(database="postgres"),
                                        isolation_level="AUTOCOMMIT")

    def new(self, name: str) -> str:
        if not self.postgres:
            path = self.folder / f"{name}.sqlite"
            shutil.copyfile(make_url(self.template).database, path)
            return sqlite_url(path)
        template = make_url(self.template).database
        with self._lock, self._admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{template}_{name}" TEMPLATE "{template}"'))
        return make_url(self.template).set(database=f"{template}_{name}").render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        if not self.postgres:
            for suffix in ("", "-wal", "-shm"):
                Path(make_url(url).database + suffix).unlink(missing_ok=True)
            return
        with self._lock, self._admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))

    def close(self) -> None:
        if self.postgres:
            self._admin.dispose()


def state(url: str) -> dict:
    """What the database holds, without what differs between two equal imports (ids, which a
    PostgreSQL sequence spends even in a rolled-back transaction, and the import time)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            counts = {name: connection.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()
                      for name in sorted(inspect(connection).get_table_names())}
            imports = sorted(tuple(map(str, row)) for row in connection.execute(text(
                "SELECT file_name, content_hash, kind, budget_year, rows, inserted, updated, unchanged, observed_on,"
                " outcome FROM imports")))
            units = sorted(tuple(map(str, row)) for row in connection.execute(text("SELECT code, name FROM units")))
            payments = sorted("|".join(map(str, row)) for row in connection.execute(text(
                "SELECT p.budget_year, p.payment_no, p.pay_date, p.amount, p.status, p.quota_no, u.code,"
                " p.observed_on, f.file_name, l.file_name FROM payments p LEFT JOIN units u ON u.id = p.unit_id"
                " LEFT JOIN imports f ON f.id = p.first_import_id LEFT JOIN imports l ON l.id = p.last_import_id")))
            distinct = connection.execute(text(
                "SELECT count(*) FROM (SELECT DISTINCT budget_year, payment_no FROM payments) d")).scalar_one()
    finally:
        engine.dispose()
    digest = hashlib.sha256("\n".join(payments).encode()).hexdigest()
    return {"counts": counts, "imports": imports, "units": units, "payments": digest, "distinct_payments": distinct}


def choose_points(trace: list[list[str]], spread: int = 20) -> list[int]:
    """Every statement and commit point; the first and last row of every bulk statement; and
    ``spread`` more rows evenly over all of them. Points are 1-based, as tests/crashpoint.py counts."""
    chosen = {i for i, (kind, _) in enumerate(trace, 1) if kind != "row"}
    rows = [i for i, (kind, _) in enumerate(trace, 1) if kind == "row"]
    for position, i in enumerate(rows):
        if position == 0 or rows[position - 1] != i - 1 or position == len(rows) - 1 or rows[position + 1] != i + 1:
            chosen.add(i)  # a first or last row of a bulk statement
    chosen.update(rows[round(j * (len(rows) - 1) / (spread - 1))] for j in range(spread))
    return sorted(chosen)


def test_kill_9_at_many_points_of_an_import_leaves_all_or_nothing_and_a_rerun_imports_it_once(
        database_url, exports, tmp_path):
    earlier, later = exports
    backend = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
    # The template: the schema and the earlier (Q1) export, as a database in use would have them.
    engine = make_engine(database_url)
    upgrade(engine)
    first = ingest_file(session_factory(engine), earlier, now=_now())
    assert first.status == "ingested" and first.inserted == EARLIER_ROWS
    if not database_url.startswith("postgresql"):
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    copies = Copies(database_url, tmp_path)
    settings = tmp_path / "budget-monitor.toml"
    settings.write_text("", encoding="utf-8")  # not whatever ./budget-monitor.toml the tree may hold
    command = ["--db", "{url}", "--config", str(settings), "ingest", "--json", str(later)]
    servers: queue.Queue[ForkServer] = queue.Queue()
    for _ in range(WORKERS):
        servers.put(ForkServer())
    try:
        before = state(database_url)
        # An unarmed run counts the points and gives the state a whole import leaves.
        url = copies.new("reference")
        server = servers.get()
        try:
            trace_file = tmp_path / "trace.json"
            assert server.run(0, "jobs.cli:main", [_args(command, url)], tmp_path / "reference.out",
                              trace=trace_file) == {"exit": 0}, (tmp_path / "reference.out.err").read_text()
        finally:
            servers.put(server)
        trace = json.loads(trace_file.read_text())
        reference = state(url)
        copies.drop(url)
        assert reference["counts"]["payments"] == reference["distinct_payments"] == ROWS
        assert [i[0] for i in reference["imports"]] == [earlier.name, later.name]
        assert reference["imports"][1][5:8] == (str(len(NEW)), str(len(RETURNED)), str(EARLIER_ROWS - len(RETURNED)))
        assert before["counts"]["payments"] == EARLIER_ROWS
        kinds = [kind for kind, _ in trace]
        assert kinds.count("row") >= len(NEW), "each row of a bulk statement is a point"

        points = choose_points(trace)

        def one(n: int) -> str:
            server = servers.get()
            url = copies.new(f"p{n}")
            try:
                out = tmp_path / f"run-{n}.out"
                killed = server.run(n, "jobs.cli:main", [_args(command, url)], out)
                assert killed == {"signal": 9}, f"point {n} {trace[n - 1]}: {killed}"
                after = state(url)
                if after == before:
                    left, expected = "nothing", "ingested"
                else:
                    assert after == reference, f"kill at point {n} {trace[n - 1]} left a partial import: " \
                                               f"{after['counts']} vs {reference['counts']}"
                    left, expected = "whole", "unchanged"
                again = server.run(0, "jobs.cli:main", [_args(command, url)], out)
                assert again == {"exit": 0}, (Path(f"{out}.err")).read_text()
                [outcome] = json.loads(out.read_text())["files"]
                assert outcome["status"] == expected, (n, trace[n - 1], outcome)
                assert state(url) == reference, f"the re-run after a kill at point {n} did not import it once"
                return left
            finally:
                servers.put(server)
                copies.drop(url)

        with ThreadPoolExecutor(WORKERS) as pool:
            outcomes = list(pool.map(one, points))
    finally:
        while not servers.empty():
            servers.get().close()
        copies.close()

    nothing, whole = outcomes.count("nothing"), outcomes.count("whole")
    assert nothing + whole == len(points) >= 50
    assert whole >= 1 and nothing >= 1, "kills before and after the commit were both tried"
    statements = sum(1 for i in points if trace[i - 1][0] == "sql")
    rows = sum(1 for i in points if trace[i - 1][0] == "row")
    commits = len(points) - statements - rows
    record("crash",
           f"kill -9 of `budget-monitor ingest` at {len(points)} different points of a {ROWS:,}-row payment import "
           f"overlapping an earlier export (3 batches: {len(NEW):,} new, {len(RETURNED)} changed, "
           f"{EARLIER_ROWS - len(RETURNED):,} unchanged): {statements} statements, {rows} rows inside bulk statements, "
           f"{commits} just before or after a commit ({backend})",
           f"{len(points)} of {len(points)} left all or nothing ({nothing} nothing, {whole} the whole file); each "
           f"re-run imported the file once: {ROWS:,} payments, no duplicates, one imports row for the file")


def _args(command: list[str], url: str) -> list[str]:
    return [url if part == "{url}" else part for part in command]


def _now() -> dt.datetime:
    return dt.datetime(2023, 4, 3, 9, 0, tzinfo=BEIJING)


# --- the inbox: the import and the move to done/ ----------------------------------------------------

INBOX_ROWS = 40


def inbox_pass(database_url: str, inbox: str) -> int:
    """One pass of the daemon's inbox job over ``inbox`` (run in the armed child)."""
    from jobs.ingest.inbox import process_inbox

    engine = make_engine(database_url)
    upgrade(engine)
    report = process_inbox(session_factory(engine), Path(inbox), now=_now())
    engine.dispose()
    return 0 if not report.errors else 1


def _files(inbox: Path) -> dict[str, bytes]:
    return {str(p.relative_to(inbox)): p.read_bytes() for p in sorted(inbox.rglob("*")) if p.is_file()}


def test_kill_9_at_every_point_of_an_inbox_pass_loses_no_file_and_imports_it_once(tmp_path):
    """SQLite: the inbox's guarantee is about the file system and one transaction."""
    template = tmp_path / "template.sqlite"
    engine = make_engine(sqlite_url(template))
    upgrade(engine)
    engine.dispose()
    export = write_csv(tmp_path / "2023-03-31_支付明细.csv", payment_rows(*numbered_payments(range(INBOX_ROWS))),
                       "gb18030")
    content = export.read_bytes()
    copies = Copies(sqlite_url(template), tmp_path)
    server = ForkServer()

    def fresh(name: str) -> tuple[str, Path]:
        inbox = tmp_path / f"inbox-{name}"
        inbox.mkdir()
        dropped = inbox / export.name
        shutil.copyfile(export, dropped)
        os.utime(dropped, (0, 0))  # written long ago: settled
        return copies.new(name), inbox

    try:
        before = state(sqlite_url(template))
        url, inbox = fresh("reference")
        trace_file = tmp_path / "inbox-trace.json"
        assert server.run(0, f"{__name__}:inbox_pass", [url, str(inbox)], tmp_path / "inbox.out",
                          trace=trace_file, files=True) == {"exit": 0}, (tmp_path / "inbox.out.err").read_text()
        trace = json.loads(trace_file.read_text())
        reference, moved = state(url), _files(inbox)
        assert reference["counts"]["payments"] == INBOX_ROWS
        assert moved == {f"done/2023-04-03/{export.name}": content}
        moves = [i for i, (kind, _) in enumerate(trace, 1) if kind == "file"]
        assert len(moves) == 4, trace  # before and after reserving the name; before and after the rename
        points = choose_points(trace, spread=2)
        outcomes, placeholders = [], 0
        for n in points:
            url, inbox = fresh(f"p{n}")
            assert server.run(n, f"{__name__}:inbox_pass", [url, str(inbox)], tmp_path / "inbox.out",
                              files=True) == {"signal": 9}, trace[n - 1]
            after, files = state(url), _files(inbox)
            holding = [name for name, data in files.items() if data == content]
            assert len(holding) == 1, f"kill at {trace[n - 1]}: the export is at {holding}"
            assert all(data in (content, b"") for data in files.values()), files.keys()
            if holding[0].startswith("done/"):
                assert after == reference, "a file is moved to done/ only once its import is committed"
            else:
                assert after in (before, reference), f"kill at {trace[n - 1]} left a partial import"
            outcomes.append("nothing" if after == before else "whole")
            assert server.run(0, f"{__name__}:inbox_pass", [url, str(inbox)], tmp_path / "inbox.out") == {"exit": 0}
            files = _files(inbox)
            assert state(url) == reference, f"after a kill at {trace[n - 1]}, the next pass imported it once"
            assert [name for name, data in files.items() if data == content] in (
                [f"done/2023-04-03/{export.name}"], [f"done/2023-04-03/{export.stem} (2){export.suffix}"]), files.keys()
            empty = [name for name, data in files.items() if data == b""]
            assert not any(name.count("/") == 0 for name in files), "nothing is left in the inbox"
            placeholders += bool(empty)
            copies.drop(url)
    finally:
        server.close()
    assert len(points) >= 20
    nothing, whole = outcomes.count("nothing"), outcomes.count("whole")
    record("crash",
           f"kill -9 of the daemon's inbox pass at {len(points)} different points: every statement and commit of "
           f"the import of a {INBOX_ROWS}-row payment export, and before and after each step of its move to done/ "
           f"(SQLite)",
           f"{len(points)} of {len(points)} left the file in the inbox or in done/ (never lost, never in both) and "
           f"the database all or nothing ({nothing} nothing, {whole} the whole file, moved only once committed); "
           f"the next pass imported it once and filed it in done/; {placeholders} kills between reserving the "
           f"name in done/ and the rename left an empty placeholder there")
