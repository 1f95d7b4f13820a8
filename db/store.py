"""Writing validated export records: upserts keyed by the payment system's own ids.

Called inside one transaction per file (``db.engine.transaction``); nothing here commits.
Re-importing the same rows changes nothing; an overlapping export updates what changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

import pandas as pd
from sqlalchemy import BigInteger, Date, String, and_, bindparam, exists, func, select, type_coerce, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from db.dimensions import SHOWN, Note, chunks, ensure_dimensions
from db.models import FIRST_YEAR, Adjustment, Import, Payment, QuotaLine, QuotaSnapshot, Unit
from db.queries import counted_amount
from db.unmatched import unmatched_in_file
from monitor.money import from_fen

Progress = Callable[[int, int], None]  # (rows done, rows in all)


_chunks = chunks  # the name db/target_store.py imports


def _no_progress(_done: int, _total: int) -> None:
    pass


@dataclass(frozen=True)
class Counts:
    inserted: int = 0
    updated: int = 0  # rows where a stored value changed
    unchanged: int = 0
    notes: tuple[Note, ...] = ()  # what a person should know of the accepted file (db/dimensions.py)


def find_import(session: Session, content_hash: str) -> Import | None:
    return session.scalar(select(Import).where(Import.content_hash == content_hash))


def _fen(value) -> Decimal | None:
    return None if value is None else from_fen(int(value))


# --- quota lines -------------------------------------------------------------------------------

QUOTA_FIELDS = ("doc_no", "functional_class", "functional_name", "economic_class", "economic_name",
                "gov_economic_class", "expense_type", "fund_type", "source", "three_public")
QUOTA_AMOUNTS = ("initial", "adjustment", "current", "reported_paid", "available")


def store_quota_lines(session: Session, records: pd.DataFrame, import_row: Import,
                      progress: Progress = _no_progress) -> Counts:
    """Upsert lines by (year, 指标明细号) and keep a snapshot of each: the budget in force at the
    export's date. An older export imported late adds its snapshot but does not overwrite."""
    notes: list[Note] = []
    units, projects = ensure_dimensions(session, records, import_row.observed_on, notes)
    existing = {
        (line.budget_year, line.quota_no): line
        for chunk in chunks(records["quota_no"].unique().tolist())
        for line in session.scalars(select(QuotaLine).where(QuotaLine.quota_no.in_(chunk)))
    }
    inserted = updated = unchanged = 0
    new_lines: list[dict] = []
    snapshots: list[tuple[tuple[int, str], dict]] = []  # ((year, quota_no), amounts) of every row
    moved: list[tuple[int, int, str, int, int]] = []  # (row, year, quota_no, unit id before, after)
    for row_number, row in zip(records.index, records.itertuples(index=False)):
        values = {name: getattr(row, name) for name in QUOTA_FIELDS}
        values.update({name: _fen(getattr(row, name)) for name in QUOTA_AMOUNTS})
        values["reported_available"] = values.pop("available")
        values["unit_id"] = units[row.unit_code]
        values["project_id"] = projects.get(row.project_code) if row.project_code else None
        key = (int(row.budget_year), row.quota_no)
        line = existing.get(key)
        if line is None:
            new_lines.append({"budget_year": key[0], "quota_no": key[1], "observed_on": import_row.observed_on,
                              "last_import_id": import_row.id, **values,
                              "three_public": bool(values["three_public"]),
                              "expense_type": values["expense_type"] or "basic"})
            inserted += 1
        else:
            # A value the export does not give (a column left out) keeps the stored one, and an
            # older export imported late only fills what nothing newer said.
            newer = line.observed_on <= import_row.observed_on
            changed = {k: v for k, v in values.items() if v is not None and getattr(line, k) != v
                       and (newer or getattr(line, k) is None)}
            if newer and "unit_id" in changed:
                moved.append((int(row_number), key[0], key[1], line.unit_id, values["unit_id"]))
            for name, value in changed.items():
                setattr(line, name, value)
            if newer:
                line.observed_on, line.last_import_id = import_row.observed_on, import_row.id
            updated += bool(changed)
            unchanged += not changed
        snapshots.append((key, values))
    notes.extend(_moved_notes(session, moved))
    # In bulk, not one flush per line (on PostgreSQL 50,000 lines were 100,000 round trips;
    # bench/RESULTS.md): the changed lines' UPDATEs, the new lines through the driver, their ids
    # read back, then every snapshot. Ids follow the rows' order, as one line at a time did.
    session.flush()
    ids = {key: line.id for key, line in existing.items()}
    for chunk in chunks(new_lines):
        bulk_insert(session, QuotaLine.__table__, chunk, fen_columns=set())
        for year in {line["budget_year"] for line in chunk}:
            numbers = [line["quota_no"] for line in chunk if line["budget_year"] == year]
            ids.update(((year, number), id_) for number, id_ in session.execute(
                select(QuotaLine.quota_no, QuotaLine.id)
                .where(QuotaLine.budget_year == year, QuotaLine.quota_no.in_(numbers))))
        progress(len(ids), len(records))
    for chunk in chunks(snapshots):
        bulk_insert(session, QuotaSnapshot.__table__, [
            {"quota_line_id": ids[key], "import_id": import_row.id, "observed_on": import_row.observed_on,
             "initial": values["initial"], "adjustment": values["adjustment"], "current": values["current"]}
            for key, values in chunk], fen_columns=set())
    return Counts(inserted, updated, unchanged, tuple(notes))


def _moved_notes(session: Session, moved: list[tuple[int, int, str, int, int]]) -> list[Note]:
    """A line a later quota export gives another unit: its budget and its payments now count for
    the new unit over the whole year, the past figures of both units included. Said, naming both."""
    if not moved:
        return []
    ids = {unit for *_, before, after in moved for unit in (before, after)}
    names = {id_: f"{code} {name}" for id_, code, name in session.execute(
        select(Unit.id, Unit.code, Unit.name).where(Unit.id.in_(ids)))}
    notes = []
    for row, year, quota_no, before, after in moved:
        count, paid = session.execute(
            select(func.count(), func.coalesce(func.sum(type_coerce(counted_amount, BigInteger)), 0))
            .where(Payment.budget_year == year, Payment.quota_no == quota_no)).one()
        notes.append(Note("line_moved", MappingProxyType({
            "quota_no": quota_no, "year": year, "before": names.get(before, "?"), "after": names.get(after, "?"),
            "payments": count, "amount": f"{from_fen(int(paid)):,}"}), row))
    return notes


# --- payments and adjustments ------------------------------------------------------------------

PAYMENT_FIELDS = ("pay_date", "amount", "status", "quota_no", "doc_no", "unit_id", "functional_class",
                  "economic_class", "project_id", "payee", "purpose", "settlement")
ADJUSTMENT_FIELDS = ("adjusted_on", "quota_no", "unit_id", "adjustment_type", "amount", "reason",
                     "exempt_category")


def store_payments(session: Session, records: pd.DataFrame, import_row: Import,
                   progress: Progress = _no_progress) -> Counts:
    return _store_events(session, records, import_row, Payment, "payment_no", PAYMENT_FIELDS, progress)


def store_adjustments(session: Session, records: pd.DataFrame, import_row: Import,
                      progress: Progress = _no_progress) -> Counts:
    return _store_events(session, records, import_row, Adjustment, "adjustment_no", ADJUSTMENT_FIELDS,
                         progress)


def _store_events(session: Session, records: pd.DataFrame, import_row: Import, model, key: str,
                  fields: tuple[str, ...], progress: Progress) -> Counts:
    """Insert new rows and update changed ones, by (budget year, key). Bulk statements in
    chunks: a million payments are a few hundred round trips, not a million. Amounts stay
    integer fen from the parser to the database on this path (no Decimal round trip)."""
    notes: list[Note] = []
    repaid: list[tuple[str, int, int]] = []  # a paid payment whose amount this export changes
    units, projects = ensure_dimensions(session, records, import_row.observed_on, notes)
    quota_units = _quota_units(session, records)
    inserted = updated = unchanged = 0
    rows = list(_event_rows(records, key, units, projects, quota_units))
    stamp = {"observed_on": import_row.observed_on, "last_import_id": import_row.id}
    first = {**stamp, "first_import_id": import_row.id}
    newer = import_row.observed_on
    empty_years = {year for year in {r["budget_year"] for r in rows}
                   if session.scalar(select(exists().where(model.budget_year == year))) is False}
    for chunk in chunks(rows):
        found = _existing(session, model, key, fields, [r for r in chunk if r["budget_year"] not in empty_years])
        new: list[dict] = []
        changed: list[dict] = []
        filled: list[dict] = []
        for values in chunk:
            old = found.get(_event_key(model, values, key))
            if old is None:
                new.append({**values, **first, **_undated(values)})
            else:
                # A value the export does not give (a column the vendor left out, a blank cell)
                # keeps the stored one: a later export never erases a payment's quota line or unit.
                # An older export imported late never undoes a newer one: it only fills blanks.
                later = old[1] <= newer
                kept = {f: values[f] if values[f] is not None and (later or stored is None) else stored
                        for f, stored in zip(fields, old[3:])}
                if tuple(old[3:]) != tuple(kept[f] for f in fields):
                    if model is Payment and later:
                        _note_paid_amount(repaid, dict(zip(fields, old[3:])), kept, values[key])
                    (changed if later else filled).append({**values, **kept, **(stamp if later else {}),
                                                           "id": old[0], "amount": from_fen(kept["amount"])})
                else:
                    unchanged += 1
        if new:
            bulk_insert(session, model.__table__, new, fen_columns={"amount"})
        for batch in (changed, filled):  # one key set per statement
            if batch:
                session.execute(update(model), batch)
        inserted += len(new)
        updated += len(changed) + len(filled)
        progress(inserted + updated + unchanged, len(rows))
    if model is Payment:
        notes.extend(unmatched_in_file(session, records.index.tolist(), rows))
    if repaid:
        shown = "；".join(f"{no} {from_fen(before):,} → {from_fen(after):,}" for no, before, after in repaid[:SHOWN])
        notes.append(Note("paid_amount_changed", MappingProxyType({
            "count": len(repaid), "payments": shown + ("…" if len(repaid) > SHOWN else ""),
            "difference": f"{from_fen(sum(after - before for _, before, after in repaid)):,}"})))
    return Counts(inserted, updated, unchanged, tuple(notes))


def _note_paid_amount(repaid: list, stored: Mapping, kept: Mapping, payment_no: str) -> None:
    """A payment paid before and after whose amount the export changes: a correction in the
    payment system, or an export to check — said either way, never taken in silence."""
    if stored["status"] == kept["status"] == "paid" and stored["amount"] != kept["amount"]:
        repaid.append((payment_no, int(stored["amount"]), int(kept["amount"])))


def _undated(values: dict) -> dict:
    """A new payment that does not count and has no date (jobs/ingest/records.py): dated the first
    day of its year, a date no sum (paid rows only) and no "data up to" date reads."""
    if "pay_date" in values and values["pay_date"] is None:
        return {"pay_date": dt.date(values["budget_year"], 1, 1)}
    return {}


def bulk_insert(session: Session, table, rows: list[dict], fen_columns: set[str]) -> None:
    """INSERT many rows through the driver's executemany, with each column's own bind
    conversion (e.g. dates as text on SQLite) but amounts passed as the integer fen they are.
    SQLAlchemy's per-row parameter processing costs more than the insert itself at this size."""
    connection = session.connection()
    dialect = connection.dialect
    names = list(rows[0])
    processors = [None if name in fen_columns else table.c[name].type.bind_processor(dialect)
                  for name in names]
    if dialect.name == "sqlite":  # the text SQLAlchemy's SQLite DATE stores; sqlite3's own date
        processors = [dt.date.isoformat if isinstance(table.c[name].type, Date) else p  # adapter is
                      for name, p in zip(names, processors)]                         # deprecated (3.12)
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join([mark] * len(names))})"
    data = [tuple(row[name] for name in names) for row in rows]
    for position, process in enumerate(processors):
        if process is not None:  # convert only the columns whose type needs it
            data = [(*t[:position], None if t[position] is None else process(t[position]), *t[position + 1:])
                    for t in data]
    connection.exec_driver_sql(sql, data)


def _existing(session: Session, model, key: str, fields: tuple[str, ...], chunk: list[dict]) -> dict:
    """The stored rows of a chunk, by (year, key), amounts as integer fen. Filtering on the
    year too lets the database use the unique (budget_year, key) index."""
    columns = [type_coerce(getattr(model, f), BigInteger).label(f) if f == "amount" else getattr(model, f)
               for f in fields]
    found = {}
    postgres = session.get_bind().dialect.name == "postgresql"
    for year in {r["budget_year"] for r in chunk}:
        keys = [r[key] for r in chunk if r["budget_year"] == year]
        query = select(model.id, model.observed_on, getattr(model, key), *columns)
        if postgres:
            # The keys as a joined array, one search of the unique index each: PostgreSQL plans
            # "IN (5,000 keys)" as a scan of the whole table once it has statistics of a few
            # hundred thousand rows, a scan per chunk that grows with the table (bench/RESULTS.md).
            listed = (func.unnest(bindparam("keys", keys, type_=ARRAY(String)))
                      .table_valued("key").render_derived())
            query = query.join_from(listed, model, and_(model.budget_year == year,
                                                        getattr(model, key) == listed.c.key))
        else:  # SQLite searches the index for each key of an IN list
            query = query.where(model.budget_year == year, getattr(model, key).in_(keys))
        # Core rows, compared as whole tuples: (id, observed_on, key, *fields)
        for r in session.connection().execute(query):
            found[_event_key(model, {"budget_year": year, key: r[2], **dict(zip(fields, r[3:]))}, key)] = r
    return found


def _event_key(model, values: Mapping, key: str) -> tuple:
    """What identifies a stored event: (year, number); an adjustment adds its quota line, as one
    调整单 (a 调剂) moves two lines (migration 0007)."""
    if model is Adjustment:
        return values["budget_year"], values[key], values["quota_no"]
    return values["budget_year"], values[key]


def _quota_units(session: Session, records: pd.DataFrame) -> dict[tuple[int, str], int]:
    """Unit of each quota line the records name, for rows that give only 指标明细号."""
    lacking = records[records["unit_code"].isna() & records["quota_no"].notna()]
    result: dict[tuple[int, str], int] = {}
    for chunk in chunks(lacking["quota_no"].unique().tolist()):
        for year, quota_no, unit_id in session.execute(
                select(QuotaLine.budget_year, QuotaLine.quota_no, QuotaLine.unit_id)
                .where(QuotaLine.quota_no.in_(chunk))):
            result[(year, quota_no)] = unit_id
    return result


def _event_rows(records: pd.DataFrame, key: str, units, projects, quota_units) -> Iterable[dict]:
    names = list(records.columns)
    for values in records.itertuples(index=False, name=None):
        row = dict(zip(names, values))
        year = int(row["budget_year"])
        unit_id = units.get(row["unit_code"]) if row["unit_code"] else quota_units.get((year, row["quota_no"]))
        out = {
            "budget_year": year,
            key: row[key],
            "amount": int(row["amount"]),  # fen
            "quota_no": row["quota_no"],
            "unit_id": unit_id,
        }
        if key == "payment_no":
            out.update(pay_date=row["pay_date"], status=row["status"], doc_no=row["doc_no"],
                       functional_class=row["functional_class"], economic_class=row["economic_class"],
                       project_id=projects.get(row["project_code"]) if row["project_code"] else None,
                       payee=row["payee"], purpose=row["purpose"], settlement=row["settlement"])
        else:
            out.update(adjusted_on=row["adjusted_on"], adjustment_type=row["adjustment_type"],
                       reason=row["reason"], exempt_category=row["exempt_category"])
        yield out


def spanned_years(years: Mapping[int, int]) -> dict:
    """The import detail of a file whose rows span two years: the rows per year, the earlier one."""
    if len(years) < 2:
        return {}
    return {"years": {str(y): n for y, n in sorted(years.items())}, FIRST_YEAR: min(years)}


def new_import(session: Session, *, file_name: str, content_hash: str, kind: str, budget_year: int,
               rows: int, observed_on: dt.date, imported_at: dt.datetime, detail: dict) -> Import:
    row = Import(file_name=file_name, content_hash=content_hash, kind=kind, budget_year=budget_year,
                 rows=rows, observed_on=observed_on, imported_at=imported_at, outcome="ingested",
                 detail=detail)
    session.add(row)
    session.flush()
    return row
