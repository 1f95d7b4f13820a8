"""Test-only crash points: kill -9 a process at the N-th point of its database work.

    python -c "import tests.crashpoint as c; c.arm(N); from jobs.cli.app import main; main()" --db URL ingest FILE

Points, counted over every engine of the process in the order they happen:

    sql        before a statement goes to the driver (ConnectionEvents.before_cursor_execute)
    row        each parameter row of an executemany, as the driver takes it: the rows before it
               are already with the database (a bulk insert of 5,000 rows is 5,000 points)
    commit     before the driver's COMMIT (ConnectionEvents.commit)
    committed  after a session's COMMIT returned (SessionEvents.after_commit)
    file       before and after each os.replace and Path.touch (the inbox's move), if asked for

At the N-th point the process sends itself SIGKILL: no exception, no handler, no atexit, no
flush — as ``kill -9`` from outside, but at a point chosen in advance. ``arm(0)`` only counts.

Starting a Python process that imports pandas and SQLAlchemy costs about a second, so the tests
use a fork server (``ForkServer``; ``python -m tests.crashpoint``): one interpreter imports the
project once, then forks one child per run; the child arms its point and calls the real entry
point (``jobs.cli:main`` with the command's arguments). Each run is still its own process with
its own database connections, killed by the kernel.
"""

from __future__ import annotations

import importlib
import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_armed = {"at": 0, "seen": 0, "trace": None}


def _point(kind: str, label: str = "") -> None:
    _armed["seen"] += 1
    if _armed["trace"] is not None:
        _armed["trace"].append((kind, label))
    if _armed["seen"] == _armed["at"]:
        os.kill(os.getpid(), signal.SIGKILL)


def arm(n: int, *, trace: bool = False, files: bool = False) -> None:
    """Kill this process at its ``n``-th point (0: never). ``trace``: keep (kind, label) of every
    point for ``points()``. ``files``: os.replace and Path.touch are points too."""
    from sqlalchemy import Engine, event
    from sqlalchemy.engine.interfaces import ExecuteStyle
    from sqlalchemy.orm import Session

    _armed.update(at=n, seen=0, trace=[] if trace else None)

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        label = " ".join(statement.split())[:60]
        _point("sql", label)
        if (executemany and context is not None and context.execute_style is ExecuteStyle.EXECUTEMANY
                and isinstance(parameters, (list, tuple))):
            parameters = _rows(parameters, label)  # the driver pulls them one by one
        return statement, parameters

    event.listen(Engine, "before_cursor_execute", before_cursor_execute, retval=True)
    event.listen(Engine, "commit", lambda conn: _point("commit"))
    event.listen(Session, "after_commit", lambda session: _point("committed"))
    if files:
        _wrap_files()


def _rows(rows, label: str):
    for number, row in enumerate(rows, 1):
        _point("row", f"{label} #{number}")
        yield row


def _wrap_files() -> None:
    import pathlib

    replace, touch = os.replace, pathlib.Path.touch

    def replacing(source, target, *args, **kwargs):
        _point("file", f"before os.replace {Path(target).name}")
        replace(source, target, *args, **kwargs)
        _point("file", f"after os.replace {Path(target).name}")

    def touching(self, *args, **kwargs):
        _point("file", f"before touch {self.name}")
        touch(self, *args, **kwargs)
        _point("file", f"after touch {self.name}")

    os.replace, pathlib.Path.touch = replacing, touching


def points() -> list[tuple[str, str]]:
    return list(_armed["trace"] or [])


# --- the fork server ------------------------------------------------------------------------------


def serve() -> None:
    """Read one JSON request a line from stdin, run it in a forked child, answer one JSON line:
    {"exit": code} or {"signal": number}. A request: {"n": N, "call": "module:function",
    "args": [...], "out": path for the child's stdout (its stderr: path + ".err"), "trace": path or null,
    "files": bool}."""
    import sqlite3  # noqa: F401

    import psycopg  # noqa: F401
    import sqlalchemy.dialects.postgresql.psycopg  # noqa: F401
    import sqlalchemy.dialects.sqlite.pysqlite  # noqa: F401

    import db.migrate  # noqa: F401
    import jobs.cli.app  # noqa: F401  the heavy imports, once, before any fork
    import jobs.ingest.inbox  # noqa: F401

    for line in sys.stdin:
        request = json.loads(line)
        importlib.import_module(request["call"].partition(":")[0])  # once, here: not in every child
        pid = os.fork()
        if pid == 0:
            _child(request)  # never returns
        _, status = os.waitpid(pid, 0)
        answer = ({"signal": os.WTERMSIG(status)} if os.WIFSIGNALED(status)
                  else {"exit": os.WEXITSTATUS(status)})
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


def _child(request: dict) -> None:
    code = 70
    try:
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        for fd, path in ((1, request["out"]), (2, request["out"] + ".err")):
            os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), fd)
        sys.stdin = open(0, closefd=False)
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False)
        arm(request["n"], trace=bool(request.get("trace")), files=bool(request.get("files")))
        module, _, name = request["call"].partition(":")
        try:
            result = getattr(importlib.import_module(module), name)(*request.get("args", []))
            code = result if isinstance(result, int) else 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        if request.get("trace"):
            Path(request["trace"]).write_text(json.dumps(points()), encoding="utf-8")
    except BaseException:  # noqa: BLE001  anything else: say it, exit non-zero
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


class ForkServer:
    """The test side: ``run(n, call, args, out)`` → {"exit": code} or {"signal": 9}."""

    def __init__(self, env: dict | None = None):
        # Its own session: a run that hangs is ended with its server and child, by group.
        self.process = subprocess.Popen([sys.executable, "-m", "tests.crashpoint"], cwd=ROOT, env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                        start_new_session=True)

    def run(self, n: int, call: str, args: list, out: Path, *, trace: Path | None = None, files: bool = False,
            timeout: float = 60) -> dict:
        request = {"n": n, "call": call, "args": args, "out": str(out), "trace": str(trace) if trace else None,
                   "files": files}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self.process.stdout], [], [], left)
            if ready:
                line = self.process.stdout.readline()
                if not line:
                    raise AssertionError(f"the fork server died (exit {self.process.wait(5)})")
                return json.loads(line)
        self.kill()
        raise AssertionError(f"run of {call} armed at {n} did not finish within {timeout} s")

    def kill(self) -> None:
        """End the server and any child it is waiting for (its process group)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


if __name__ == "__main__":
    serve()
