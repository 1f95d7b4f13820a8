"""Departments, units and projects named by export records: added, renamed, linked.

An older export imported late never renames a unit, project or department, nor moves a unit to
another department: a stored row of that entity from a newer export speaks for it. A unit's
department is the one the records give (a 主管部门 column, or what jobs/ingest/departments.py
found in the title row, the config or the unit code), else the stored one; the units left with
none are named in a note, and so are two names given to one code in one export.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import pandas as pd
from sqlalchemy import any_, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from db.models import Department, Import, Payment, Project, QuotaLine, Unit

CHUNK = 5000
SHOWN = 5  # the first rows or codes a note lists


@dataclass(frozen=True)
class Note:
    """Something a person should know about an accepted export: a problem code of
    jobs/ingest/problems.py (the db layer knows no jobs) with its parameters."""

    code: str
    params: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    row: int | None = None


def chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def among(session: Session, column, values: list):
    """``column IN (values)``; on PostgreSQL ``column = ANY(:array)``, one parameter instead of
    5,000: psycopg parses a statement's placeholders in Python, about 50 ms for 5,000, which was
    most of the dimensions' 0.3 s per weekly export (bench/RESULTS.md)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def ensure_dimensions(session: Session, records: pd.DataFrame, observed_on: dt.date,
                      notes: list[Note] | None = None) -> tuple[dict[str, int], dict[str, int]]:
    """Departments, units and projects named by the records: add new ones, refresh names (unless
    a newer export has spoken for them). Returns unit code → id and project code → id; adds
    to ``notes`` what a person should hear (two names for a code, a unit without department)."""
    notes = notes if notes is not None else []
    for code, name, what in (("unit_code", "unit_name", "unit"), ("department_code", "department_name", "department")):
        notes.extend(_two_names(records, code, name, what))
    unit_names = _pairs(records, "unit_code", "unit_name")
    existing_units = _ids(session, Unit, list(unit_names))
    newer_units = _newer(session, Unit, list(existing_units.values()), observed_on)
    if "department_source" in records:
        records = _by_name(session, records)
    dep_pairs = _pairs(records, "department_code", "department_name")
    if "department_source" in records:  # a code prefix names a department only if it is known
        guessed = set(records.loc[records["department_source"] == "prefix", "department_code"].dropna())
        known = set(_ids(session, Department, sorted(guessed)))
        unknown = {c for c in guessed if c not in known and not dep_pairs.get(c)}
        if unknown:
            records = records.copy()
            records.loc[records["department_code"].isin(unknown), ["department_code", "department_source"]] = None
            dep_pairs = _pairs(records, "department_code", "department_name")
    existing_deps = _ids(session, Department, list(dep_pairs))
    newer_deps = _newer(session, Department, list(existing_deps.values()), observed_on)
    departments = _upsert_named(session, Department, dep_pairs, keep=newer_deps)
    units = _upsert_named(session, Unit, unit_names, keep=newer_units)
    links = records[["unit_code", "department_code"]].dropna().drop_duplicates("unit_code")
    links = [{"id": units[u], "department_id": departments[d]} for u, d in links.itertuples(index=False)
             if units[u] not in newer_units]
    if links:
        session.execute(update(Unit), links)
    notes.extend(_department_notes(session, records, units))
    projects = _upsert_named(session, Project, _pairs(records, "project_code", "project_name"),
                             keep=_newer(session, Project, list(_ids(session, Project, list(
                                 _pairs(records, "project_code", "project_name"))).values()), observed_on))
    owners = records[["project_code", "unit_code"]].dropna().drop_duplicates("project_code")
    ownerless = {pid for chunk in chunks(list(projects.values()))
                 for pid in session.scalars(select(Project.id).where(among(session, Project.id, chunk),
                                                                     Project.unit_id.is_(None)))}
    project_links = [{"id": projects[p], "unit_id": units[u]} for p, u in owners.itertuples(index=False)
                     if projects[p] in ownerless]
    if project_links:
        session.execute(update(Project), project_links)
    return units, projects


def _by_name(session: Session, records: pd.DataFrame) -> pd.DataFrame:
    """A title row naming its department without a code: the stored department of that name."""
    named = records["department_source"] == "title_name"
    if not named.any():
        return records
    records = records.copy()
    for name in records.loc[named, "department_name"].dropna().unique():
        found = session.scalars(select(Department.code).where(Department.name == name)).all()
        rows = named & (records["department_name"] == name)
        if len(found) == 1:
            records.loc[rows, ["department_code", "department_source"]] = [found[0], "title"]
    records.loc[records["department_source"] == "title_name", ["department_name", "department_source"]] = None
    return records


def _pairs(records: pd.DataFrame, code: str, name: str) -> dict[str, str | None]:
    """code → name; a code given with a name and without one keeps the name."""
    if code not in records:
        return {}
    pairs = records[[code, name]].dropna(subset=[code])
    named = pairs.dropna(subset=[name]).drop_duplicates(code)
    result: dict[str, str | None] = dict.fromkeys(pairs[code].unique().tolist())
    result.update({c: n for c, n in named.itertuples(index=False)})
    return result


def _ids(session: Session, model, codes: list[str]) -> dict[str, int]:
    return {code: id_ for chunk in chunks(codes)
            for code, id_ in session.execute(select(model.code, model.id).where(among(session, model.code, chunk)))}


def _newer(session: Session, model, ids: list[int], observed_on: dt.date) -> set[int]:
    """The entities (ids) a stored quota line or payment from an export newer than
    ``observed_on`` belongs to: their names and links are that export's to keep."""
    if not ids:
        return set()
    latest = session.scalar(select(func.max(Import.observed_on)).where(Import.kind.in_(("quota", "payments"))))
    if latest is None or latest <= observed_on:  # the usual case, exports in order: one read of a small table
        return set()
    found: set[int] = set()
    for chunk in chunks(ids):
        for record in (QuotaLine, Payment):
            if model is Department:
                query = (select(Unit.department_id).join(record, record.unit_id == Unit.id)
                         .where(among(session, Unit.department_id, chunk)))
            else:
                column = record.unit_id if model is Unit else record.project_id
                query = select(column).where(among(session, column, chunk))
            found.update(session.scalars(query.where(record.observed_on > observed_on).distinct()))
    return found


def _upsert_named(session: Session, model, names: dict[str, str | None],
                  keep: frozenset[int] | set[int] = frozenset()) -> dict[str, int]:
    ids: dict[str, int] = {}
    codes = list(names)
    for chunk in chunks(codes):
        for row in session.execute(select(model.id, model.code, model.name).where(among(session, model.code, chunk))):
            ids[row.code] = row.id
            new_name = names[row.code]
            if new_name and new_name != row.name and row.id not in keep:
                session.execute(update(model).where(model.id == row.id).values(name=new_name))
    missing = [code for code in codes if code not in ids]
    if missing:
        session.execute(model.__table__.insert(), [{"code": c, "name": names[c] or c} for c in missing])
        ids.update(_ids(session, model, missing))
    return ids


def _two_names(records: pd.DataFrame, code: str, name: str, what: str) -> list[Note]:
    """One note per code the records give two (or more) names, with the first rows of each."""
    if code not in records or name not in records:
        return []
    named = records[[code, name]].dropna()
    counts = named.groupby(code)[name].nunique()
    notes = []
    for value in counts[counts > 1].index:
        rows = named[named[code] == value]
        listed = "；".join(f"“{n}”（{_rows(rows.index[rows[name] == n])}）" for n in rows[name].unique())
        listed_en = "; ".join(f"'{n}' ({_rows(rows.index[rows[name] == n], 'rows ')})" for n in rows[name].unique())
        notes.append(Note(f"{what}_two_names",
                          MappingProxyType({"code": value, "names": listed, "names_en": listed_en})))
    return notes


def _rows(index, prefix: str = "第 ") -> str:
    shown = ", ".join(str(int(r)) for r in list(index)[:SHOWN])
    more = "…" if len(index) > SHOWN else ""
    return f"{prefix}{shown}{more}{' 行' if prefix == '第 ' else ''}"


def _department_notes(session: Session, records: pd.DataFrame, units: dict[str, int]) -> list[Note]:
    """Where the departments came from (when not from a 主管部门 column) and which units have none."""
    notes = []
    if "department_source" in records:
        sources = records[["unit_code", "department_code", "department_name", "department_source"]].dropna(
            subset=["unit_code", "department_source"]).drop_duplicates("unit_code")
        for source, group in sources.groupby("department_source"):
            departments = "、".join(sorted({f"{c} {n or ''}".strip() for c, n in
                                           group[["department_code", "department_name"]].itertuples(index=False)}))
            notes.append(Note(f"department_from_{source}",
                              MappingProxyType({"departments": departments, "units": len(group)})))
    codes = sorted(units)
    lacking = [code for chunk in chunks(codes)
               for code in session.scalars(select(Unit.code).where(among(session, Unit.code, chunk),
                                                                   Unit.department_id.is_(None)))]
    if lacking:
        shown = "、".join(lacking[:SHOWN]) + ("…" if len(lacking) > SHOWN else "")
        notes.append(Note("department_unknown", MappingProxyType(
            {"count": len(lacking), "units": shown, "example": lacking[0]})))
    return notes


def departmentless_units(session: Session) -> list[str]:
    """The codes of the stored units that have no department."""
    return list(session.scalars(select(Unit.code).where(Unit.department_id.is_(None)).order_by(Unit.code)))


def known_departments(session: Session) -> dict[str, str]:
    return {code: name for code, name in session.execute(select(Department.code, Department.name))}


def link_units(session: Session, links: Mapping[str, tuple[str, str | None]]) -> None:
    """Attach stored units (code) to departments (code, name), adding the departments not stored."""
    departments = _upsert_named(session, Department, {d: n for d, n in links.values()})
    units = _ids(session, Unit, list(links))
    rows = [{"id": units[u], "department_id": departments[d]} for u, (d, _) in links.items() if u in units]
    if rows:
        session.execute(update(Unit), rows)
