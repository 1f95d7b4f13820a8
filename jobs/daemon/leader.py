"""One leader among the daemons of a database (docs/PITFALLS.md: two schedulers on one job store run
jobs twice), by a lock the server or the kernel gives back when the leader dies, so a standby
takes over without anyone cleaning up. PostgreSQL: a session advisory lock on a dedicated
connection (SIGKILL closes the socket, the session ends, the lock is free). SQLite: an exclusive
``flock`` on ``<database file>.lock``. A server that cannot be reached: ``DatabaseUnavailable``."""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import psycopg
from sqlalchemy.engine import make_url

from db.engine import normalize_url
from db.exceptions import DatabaseUnavailable
from jobs.clock import BEIJING, beijing_now

log = logging.getLogger(__name__)

LEADER_LOCK = 0x626D_6C64  # "bmld"; db/alert_store.py's EVALUATION_LOCK is another key
# A leader whose server stopped answering notices within ~10 s (libpq tcp_user_timeout, ms); the
# server drops a vanished leader host after ~25 s, not the kernel's default two hours, and frees
# its lock. The client's limit is the shorter: the old leader stops before a new one starts.
CLIENT_TCP = {"connect_timeout": 10, "keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2,
              "keepalives_count": 3, "tcp_user_timeout": 10_000}
SERVER_TCP = ("SET tcp_keepalives_idle = 10", "SET tcp_keepalives_interval = 5", "SET tcp_keepalives_count = 3")
# pg_locks shows a bigint key as its high half (classid) and its low half (objid), objsubid 1.
THE_LOCK = "locktype = 'advisory' AND granted AND classid::bigint = %s AND objid::bigint = %s AND objsubid = 1"


class Leadership(Protocol):
    """``try_acquire``: take the lock if it is free, never waiting. ``holds``: the lock taken is
    still ours (its connection, its file is still there). ``release``: give it back, close what
    held it; safe twice. ``holder``: who holds it, in words, or None when nobody does."""

    def try_acquire(self) -> bool: ...
    def holds(self) -> bool: ...
    def release(self) -> None: ...
    def holder(self) -> str | None: ...


def _me() -> str:
    return f"pid {os.getpid()} on {socket.gethostname()}"


class PostgresLeadership:
    """A session advisory lock on a raw psycopg connection of its own. Not a pooled SQLAlchemy
    connection: an invalidated one silently reconnects on next use, without the lock."""

    def __init__(self, url: str, key: int = LEADER_LOCK):
        parsed = make_url(normalize_url(url))
        _, params = parsed.get_dialect()().create_connect_args(parsed)
        self._params = {**CLIENT_TCP, **params,
                        # Named so that holder() can say who it is (at most 63 bytes are kept).
                        "application_name": f"budget-monitor {_me()}"[:63], "autocommit": True}
        self.key = key
        self._halves = ((key >> 32) & 0xFFFF_FFFF, key & 0xFFFF_FFFF)
        self._connection: psycopg.Connection | None = None
        self._held = False

    def _query(self, sql: str, params: tuple) -> tuple | None:
        """One row of ``sql`` on the dedicated connection, opened first if need be."""
        try:
            if self._connection is None or self._connection.closed:
                self._connection = psycopg.connect(**self._params)
                for statement in SERVER_TCP:
                    self._connection.execute(statement)
            return self._connection.execute(sql, params).fetchone()
        except psycopg.OperationalError as exc:
            self._close()
            raise DatabaseUnavailable(f"leader lock: {str(exc).strip()}") from exc

    def _close(self) -> None:
        self._held = False
        if self._connection is not None:
            connection = self._connection
            self._connection = None
            connection.close()

    def try_acquire(self) -> bool:
        if self._held and self.holds():
            return True
        row = self._query("SELECT pg_try_advisory_lock(%s)", (self.key,))
        if row is None:  # a SELECT of a function: always one row
            raise TypeError("pg_try_advisory_lock returned no row")
        self._held = row[0]
        return self._held

    def holds(self) -> bool:
        # More than SELECT 1: whether this very session still has the lock (pg_locks).
        if self._held:
            try:
                row = self._query(f"SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = pg_backend_pid()"
                                  f" AND {THE_LOCK})", self._halves)
                if row is None:  # a SELECT EXISTS: always one row
                    raise TypeError("SELECT EXISTS returned no row")
                self._held = row[0]
            except DatabaseUnavailable:  # the session is gone, and its lock with it
                pass
        return self._held

    def release(self) -> None:
        # Unlock first: the server answers only once the lock is free, whereas a closed socket is
        # noticed by the server a moment later (a standby asking at once would still see it held).
        if self._held and self._connection is not None and not self._connection.closed:
            try:
                self._connection.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
            except psycopg.Error:
                pass  # the session is going anyway; closing it frees the lock
        self._close()  # ending the session frees its advisory locks

    def holder(self) -> str | None:
        row = self._query(
            "SELECT a.application_name, a.pid, host(a.client_addr), a.backend_start FROM pg_locks"
            " JOIN pg_stat_activity a USING (pid) WHERE database = (SELECT oid FROM pg_database"
            f" WHERE datname = current_database()) AND {THE_LOCK}", self._halves)
        if row is None:
            return None
        name, pid, address, started = row
        since = started.astimezone(BEIJING).isoformat(timespec="seconds") if started else "?"
        return f"{name or 'unnamed'} (server pid {pid}, from {address or 'a local socket'}, connected since {since})"


class SqliteLeadership:
    """An exclusive flock on ``<db file>.lock``, which says in words who holds it."""

    def __init__(self, db_path: str | os.PathLike):
        # Resolved, so that daemons reaching the file through different links share one lock.
        self.path = Path(f"{Path(db_path).expanduser().resolve()}.lock")
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise DatabaseUnavailable(f"cannot open the leader lock file {self.path}: {exc.strerror}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{_me()} since {beijing_now().isoformat(timespec='seconds')}\n".encode(), 0)
        self._fd = fd
        return True

    def holds(self) -> bool:
        # A lock file deleted or replaced under us would let a newcomer lock a new file.
        try:
            return self._fd is not None and os.path.samestat(os.stat(self.path), os.fstat(self._fd))
        except FileNotFoundError:
            return False

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)  # before unlocking: the next holder's words are never erased
            os.close(self._fd)  # closing the only descriptor drops the flock
            self._fd = None

    def holder(self) -> str | None:
        try:
            return self.path.read_text(encoding="utf-8", errors="replace").strip() or None
        except FileNotFoundError:
            return None


def leadership_for(url: str) -> Leadership:
    """The lock that fits the database: PostgreSQL's advisory lock, else a file beside SQLite's."""
    parsed = make_url(normalize_url(url))
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        return PostgresLeadership(url)
    if backend != "sqlite":
        raise DatabaseUnavailable(f"unsupported database '{backend}': use sqlite or postgresql")
    database = parsed.database or ""
    if database in ("", ":memory:") or parsed.query.get("mode") == "memory":
        # Each process has its own in-memory database: nothing to share, a private lock.
        return SqliteLeadership(Path(tempfile.mkdtemp(prefix="budget-monitor-")) / "memory.sqlite")
    return SqliteLeadership(database)


def wait_for_leadership(leadership: Leadership, stop: threading.Event, poll_seconds: float = 1.0,
                        on_wait: Callable[[str | None], None] | None = None) -> bool:
    """Try every ``poll_seconds`` until the lock is ours (True) or ``stop`` is set (False).
    ``on_wait(holder)`` is called once, when waiting starts. A database that cannot be reached
    is waited for too: standing by through a server restart is a standby's job."""
    waiting, reachable, holder = False, True, None
    while not stop.is_set():
        try:
            if leadership.try_acquire():
                return True
            holder, reachable = (holder if waiting else leadership.holder()), True
        except DatabaseUnavailable as exc:
            if reachable:  # once per outage, not once a second
                log.warning("cannot reach the database to take the leader lock (still trying): %s", exc)
            reachable = False
        if not waiting and on_wait is not None:
            on_wait(holder)
        waiting = True
        stop.wait(poll_seconds)
    return False
