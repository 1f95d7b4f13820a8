"""Fixtures: a real SQLite file and, when the server is there, a real PostgreSQL database.

``.ci/run`` starts PostgreSQL on 127.0.0.1 and sets BUDGET_MONITOR_TEST_POSTGRES_URL and
BUDGET_MONITOR_REQUIRE_POSTGRES=1, so in CI the PostgreSQL half of every database test runs
(and fails rather than skips if the server is missing).
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from db.engine import make_engine, session_factory, sqlite_url
from db.migrate import upgrade
from tests.fake_slack import fake_slack  # noqa: F401  (a fixture for every test module)

POSTGRES_URL = os.environ.get("BUDGET_MONITOR_TEST_POSTGRES_URL")
REQUIRE_POSTGRES = os.environ.get("BUDGET_MONITOR_REQUIRE_POSTGRES") == "1"
NOW = dt.datetime(2023, 4, 3, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """A fresh, empty database URL on each backend."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "monitor.sqlite")
        return
    yield from fresh_postgres_database()


def fresh_postgres_database(prefix: str = "bm_test"):
    """A new PostgreSQL database on the test server, dropped afterwards (a generator for fixtures);
    required in CI, skipped elsewhere when there is no server."""
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("BUDGET_MONITOR_REQUIRE_POSTGRES=1 but BUDGET_MONITOR_TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL not available (set BUDGET_MONITOR_TEST_POSTGRES_URL)")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def factory(engine):
    return session_factory(engine)


@pytest.fixture
def now():
    return NOW
