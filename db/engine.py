"""Engines and transactions: one place that knows how to open SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from db.exceptions import DatabaseUnavailable

DEFAULT_SQLITE_FILE = "budget-monitor.sqlite"


def sqlite_url(path: str | Path) -> str:
    return f"sqlite:///{Path(path).expanduser().resolve()}"


SUPPORTED_BACKENDS = ("sqlite", "postgresql")


def url_password(url: str) -> str | None:
    """The password of a database URL, if it has one (to mask it in logs and tracebacks)."""
    return make_url(url).password


def sqlite_file(url: str) -> str | None:
    """The file of a SQLite URL; None for another backend or an in-memory database."""
    parsed = make_url(url)
    return parsed.database if parsed.get_backend_name() == "sqlite" and parsed.database else None


def normalize_url(url_or_path: str) -> str:
    """Accept a SQLAlchemy URL, or a plain file path meaning a SQLite file. ``postgres://`` and
    ``postgresql://`` mean the psycopg 3 driver, the one this project installs."""
    if "://" not in url_or_path:
        return sqlite_url(url_or_path)
    scheme, rest = url_or_path.split("://", 1)
    if scheme in ("postgres", "postgresql"):
        return f"postgresql+psycopg://{rest}"
    return url_or_path


def make_engine(url: str) -> Engine:
    """An engine with pre-ping; for SQLite, WAL mode, a busy timeout and enforced foreign keys."""
    url = normalize_url(url)
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:  # ValueError: a port that is not a number
        raise DatabaseUnavailable(f"not a database URL: {exc}") from exc
    if parsed.get_backend_name() not in SUPPORTED_BACKENDS:
        raise DatabaseUnavailable(f"unsupported database '{parsed.get_backend_name()}': use sqlite or postgresql")
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            parent = Path(database).parent
            if not parent.is_dir():
                raise DatabaseUnavailable(f"folder of the SQLite file does not exist: {parent}")
        engine = create_engine(url, pool_pre_ping=True, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA cache_size=-131072")  # 128 MB: bulk imports into big tables (bench/README.md)
    cursor.close()


def check_connection(engine: Engine) -> None:
    """Open one connection, so a wrong path, a file that is not a database or a server that is
    down is reported once, in words, before any work starts."""
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except DBAPIError as exc:
        raise DatabaseUnavailable(_describe(exc)) from exc


SessionFactory = sessionmaker[Session]  # what every unit of work takes to open its transactions


def session_factory(engine: Engine) -> SessionFactory:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """The one transaction helper: commit on success, roll back on any error, always close."""
    session = factory()
    try:
        with session.begin():
            yield session
    except OperationalError as exc:
        raise DatabaseUnavailable(_describe(exc)) from exc
    finally:
        session.close()


def _describe(exc: DBAPIError) -> str:
    # The DBAPI message, without the SQL statement and parameters (which may be large).
    return str(exc.orig).strip() if exc.orig is not None else str(exc)
