"""The plans of the engine's payment sums, read from the databases themselves (bench/README.md, "status").

A province has a million payments: the sums of one unit must search an index of payments, not
read every payment of the year, and the sums must be grouped by the database (one row per quota
line, not one per payment). The statements checked are the ones ``db.figures`` really sends.

SQLite: ``EXPLAIN QUERY PLAN``, without statistics (the application never runs ANALYZE, and SQLite
plans the same way for ten rows as for a million then). PostgreSQL: ``EXPLAIN (ANALYZE, FORMAT
JSON)`` with ``enable_seqscan = off`` (on tables this small a sequential scan is always cheaper),
and the rows each scan of payments really read are counted, so the checks do not hang on the
planner's wording.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
from sqlalchemy import event, insert, select

from db.engine import transaction
from db.figures import paid_by_line, years_with_payments
from db.models import Department, Import, Payment, QuotaLine, QuotaSnapshot, Unit
from tests.conftest import NOW

YEAR = 2023
AS_OF = dt.date(2023, 6, 15)
UNITS, LINES_PER_UNIT, PAYMENTS_PER_LINE = 8, 3, 100


@pytest.fixture
def province(factory) -> dict:
    """Two departments of four units, three quota lines each, a hundred payments per line over the
    year (some returned, voided, reversed), and payments of the year before: a few thousand rows,
    enough for PostgreSQL's statistics to tell one unit from the whole."""
    with transaction(factory) as session:
        imp = Import(file_name="x", content_hash="h", kind="payments", budget_year=YEAR, rows=0,
                     observed_on=dt.date(YEAR, 12, 31), imported_at=NOW, outcome="ingested", detail={})
        departments = [Department(code=f"90{d}", name=f"部门{d}") for d in (1, 2)]
        session.add_all([imp, *departments])
        session.flush()
        units = [Unit(code=f"90{u // 4 + 1}00{u % 4 + 1}", name=f"单位{u}", department_id=departments[u // 4].id)
                 for u in range(UNITS)]
        session.add_all(units)
        session.flush()
        lines = [QuotaLine(budget_year=YEAR, quota_no=f"ZB{u}{k}", unit_id=unit.id, three_public=False,
                           initial=Decimal("100000.00"), adjustment=Decimal("0.00"), current=Decimal("100000.00"),
                           observed_on=dt.date(YEAR, 1, 5), last_import_id=imp.id)
                 for u, unit in enumerate(units) for k in range(LINES_PER_UNIT)]
        session.add_all(lines)
        session.flush()
        session.add_all([QuotaSnapshot(quota_line_id=line.id, import_id=imp.id, observed_on=dt.date(YEAR, 1, 5),
                                       initial=line.initial, adjustment=line.adjustment, current=line.current)
                         for line in lines])
        statuses = ["paid"] * 8 + ["returned", "voided"]
        rows = [dict(budget_year=year, payment_no=f"ZF{year}-{l}-{n}",
                     pay_date=dt.date(year, 1, 1) + dt.timedelta(days=n * 3), status=statuses[n % len(statuses)],
                     amount=Decimal("-50.00") if n % 17 == 16 else Decimal(f"{100 + n}.00"), quota_no=line.quota_no,
                     unit_id=line.unit_id, observed_on=dt.date(year, 12, 31), first_import_id=imp.id,
                     last_import_id=imp.id)
                for year, per_line in ((YEAR, PAYMENTS_PER_LINE), (YEAR - 1, 10))
                for l, line in enumerate(lines) for n in range(per_line)]
        session.execute(insert(Payment), rows)
        unit_id = units[1].id
    engine = factory.kw["bind"]
    if engine.dialect.name == "postgresql":
        # What autovacuum does after an import: statistics, and the visibility map that index-only
        # scans need.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    with transaction(factory) as session:
        groups = set(session.execute(select(Payment.quota_no, Payment.unit_id)
                                     .where(Payment.budget_year == YEAR, Payment.pay_date <= AS_OF)).all())
    return {"unit_id": unit_id, "payments": len(rows), "groups": len(groups),
            "groups_of_unit": len({g for g in groups if g[1] == unit_id}),
            "payments_of_unit": sum(r["unit_id"] == unit_id for r in rows)}


# --- reading plans ------------------------------------------------------------------------------


@contextmanager
def statements_sent(engine) -> Iterator[list[tuple[str, object]]]:
    sent: list[tuple[str, object]] = []

    def listen(_conn, _cursor, statement, parameters, _context, _executemany):
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def the_sums_query(engine, factory, unit_id: int | None) -> tuple[str, object, int]:
    """The one statement paid_by_line sends, its parameters, and how many rows it returned."""
    with transaction(factory) as session, statements_sent(engine) as sent:
        result = paid_by_line(session, YEAR, [AS_OF], unit_id)
    assert len(sent) == 1, sent
    return sent[0][0], sent[0][1], len(result)


def sqlite_plan(engine, statement: str, parameters) -> list[str]:
    with engine.connect() as connection:
        cursor = connection.connection.driver_connection.cursor()
        cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
        return [row[3] for row in cursor.fetchall()]


def postgres_plan(engine, statement: str, parameters) -> dict:
    """The executed plan (EXPLAIN ANALYZE), with sequential scans priced out."""
    with engine.connect() as connection:
        cursor = connection.connection.driver_connection.cursor()
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
        document = cursor.fetchone()[0]
        connection.rollback()
    return (json.loads(document) if isinstance(document, str) else document)[0]["Plan"]


def nodes(plan: dict) -> Iterator[dict]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from nodes(child)


def payment_accesses(plan: dict) -> list[dict]:
    """The scans that read payments, from the table or an index alone (a Bitmap Index Scan has no
    relation: its rows are counted by the Bitmap Heap Scan above it)."""
    return [n for n in nodes(plan) if n.get("Relation Name") == "payments"]


def index_columns(engine, index: str) -> list[str]:
    with engine.connect() as connection:
        return list(connection.exec_driver_sql(
            "SELECT a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position) "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
            "WHERE c.relname = %s ORDER BY k.position", (index,)).scalars())


def searched_prefix(engine, node: dict) -> list[str]:
    """The leading columns of the node's index that its condition fixes by equality: what the
    search really narrows on (a condition on a later column is checked entry by entry)."""
    fixed = set(re.findall(r"(\w+)\)?(?:::\w+(?: \w+)*)? = ", node.get("Index Cond", "")))  # (quota_no)::text = …
    prefix = []
    for column in index_columns(engine, node["Index Name"]):
        if column not in fixed:
            break
        prefix.append(column)
    return prefix


def rows_read(node: dict) -> int:
    """Rows a scan produced plus the rows it read and threw away, over all its loops."""
    kept_and_dropped = node["Actual Rows"] + node.get("Rows Removed by Filter", 0) \
        + node.get("Rows Removed by Index Recheck", 0)
    return kept_and_dropped * node["Actual Loops"]


PAYMENTS_LINE = re.compile(r"^(SCAN|SEARCH)( TABLE)? payments\b(.*)$")


def sqlite_payment_lines(plan: list[str]) -> list[re.Match]:
    return [m for m in map(PAYMENTS_LINE.match, plan) if m]


# --- the checks ---------------------------------------------------------------------------------


def test_the_payments_of_one_unit_are_searched_through_an_index_not_read_whole(engine, factory, province):
    statement, parameters, _rows = the_sums_query(engine, factory, province["unit_id"])
    if engine.dialect.name == "sqlite":
        plan = sqlite_plan(engine, statement, parameters)
        accesses = sqlite_payment_lines(plan)
        assert accesses, plan
        for access in accesses:
            # A SEARCH on the unit or its quota lines, not a SCAN, and not a search on the year alone
            # (which reads every payment of the province's year through the index).
            assert access.group(1) == "SEARCH" and "INDEX" in access.group(3), plan
            constraint = re.search(r"\((.*)\)", access.group(3))
            assert constraint and re.search(r"\b(unit_id|quota_no)=", constraint.group(1)), plan
    else:
        plan = postgres_plan(engine, statement, parameters)
        accesses = payment_accesses(plan)
        assert accesses, plan
        assert all(n["Node Type"] != "Seq Scan" for n in accesses), plan
        searches = [n for n in nodes(plan) if (n.get("Index Name") or "").startswith(("ix_payments", "uq_payments"))]
        assert searches, plan
        for search in searches:
            assert {"unit_id", "quota_no"} & set(searched_prefix(engine, search)), search
        # No payment of another unit is read: at most the unit's own (of any year), once per branch.
        assert sum(rows_read(n) for n in accesses) <= 2 * province["payments_of_unit"] < province["payments"], plan


@pytest.mark.parametrize("scope", ["province", "one unit"])
def test_the_sums_are_grouped_by_the_database_one_row_per_quota_line(engine, factory, province, scope):
    unit_id = province["unit_id"] if scope == "one unit" else None
    statement, parameters, rows = the_sums_query(engine, factory, unit_id)
    groups = province["groups_of_unit"] if unit_id else province["groups"]
    assert rows == groups < province["payments"]
    if engine.dialect.name == "sqlite":
        plan = sqlite_plan(engine, statement, parameters)
        accesses = sqlite_payment_lines(plan)
        # Grouped in a temporary B-tree, or read in group order from the index that starts with
        # (budget_year, quota_no, unit_id) and covers the sums: the table rows are never read.
        in_group_order = any("COVERING INDEX ix_payments_year_line_sums" in m.group(3) for m in accesses)
        assert any("GROUP BY" in line for line in plan) or in_group_order, plan
        if unit_id is None:
            assert in_group_order and len(accesses) == 1, plan
    else:
        plan = postgres_plan(engine, statement, parameters)
        aggregates = [n for n in nodes(plan) if n["Node Type"] == "Aggregate" and n.get("Group Key")]
        assert aggregates and all(n.get("Strategy") in ("Hashed", "Sorted", "Mixed") for n in aggregates), plan
        assert aggregates[0]["Actual Rows"] == groups, plan


def test_finding_the_years_with_payments_reads_one_index_entry_per_year(engine, factory, province):
    with transaction(factory) as session, statements_sent(engine) as sent:
        assert years_with_payments(session) == [YEAR - 1, YEAR]
    (statement, parameters), = sent
    if engine.dialect.name == "sqlite":
        plan = sqlite_plan(engine, statement, parameters)
        accesses = sqlite_payment_lines(plan)
        # min() searches the index for its first entry (SEARCH), where DISTINCT would SCAN it all.
        assert accesses and all(m.group(1) == "SEARCH" and "INDEX" in m.group(3) for m in accesses), plan
    else:
        plan = postgres_plan(engine, statement, parameters)
        accesses = payment_accesses(plan)
        assert accesses, plan
        # One index entry per year found, plus the search that finds no further year.
        assert sum(rows_read(n) for n in accesses) <= 2 * 2 + 1, plan
