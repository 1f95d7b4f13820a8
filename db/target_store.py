"""Writing performance targets and their progress reports, and what the importer checks them
against (known units, projects and targets, as plain records).

Called inside one transaction per file (``db.engine.transaction``); nothing here commits.
Targets are upserted by (budget year, unit, scope, 三级指标) — scope is the project's code, or ""
for the unit as a whole — and never deleted when a later file leaves one out. Progress is one
value per (target, date): a later report replaces it. For both, the last import wins: unlike the
payment system's exports, a target table or a progress report is what a person gives, and a
revision dated earlier in its title is still the revision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Import, PerformanceTarget, Project, TargetProgress, Unit
from db.store import Counts, Progress, _chunks, _no_progress
from monitor.target_values import convert_measure


@dataclass(frozen=True)
class KnownUnit:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class KnownProject:
    id: int
    code: str
    name: str
    unit_id: int | None


@dataclass(frozen=True)
class KnownTarget:
    id: int
    budget_year: int
    unit_id: int
    project_id: int | None
    name: str
    target_text: str
    measure: str
    reports: int = 0  # progress reports stored for it


def known_units(session: Session) -> list[KnownUnit]:
    return [KnownUnit(*row) for row in session.execute(select(Unit.id, Unit.code, Unit.name).order_by(Unit.id))]


def known_projects(session: Session, unit_ids: Collection[int], codes: Collection[str]) -> list[KnownProject]:
    """The projects of ``unit_ids``, and those whose code is one of ``codes`` (whatever unit)."""
    found: dict[int, KnownProject] = {}
    columns = (Project.id, Project.code, Project.name, Project.unit_id)
    for chunk in _chunks(sorted(unit_ids)):
        for row in session.execute(select(*columns).where(Project.unit_id.in_(chunk))):
            found[row.id] = KnownProject(*row)
    for chunk in _chunks(sorted(codes)):
        for row in session.execute(select(*columns).where(Project.code.in_(chunk))):
            found[row.id] = KnownProject(*row)
    return sorted(found.values(), key=lambda p: p.id)


def known_targets(session: Session, year: int, unit_ids: Collection[int]) -> list[KnownTarget]:
    t = PerformanceTarget
    reports = (select(TargetProgress.target_id, func.count().label("reports"))
               .group_by(TargetProgress.target_id).subquery())
    found: list[KnownTarget] = []
    for chunk in _chunks(sorted(unit_ids)):
        query = (select(t.id, t.budget_year, t.unit_id, t.project_id, t.name, t.target_text, t.measure,
                        func.coalesce(reports.c.reports, 0))
                 .outerjoin(reports, reports.c.target_id == t.id)
                 .where(t.budget_year == year, t.unit_id.in_(chunk)).order_by(t.id))
        found.extend(KnownTarget(*row) for row in session.execute(query))
    return found


# --- targets -----------------------------------------------------------------------------------

TARGET_FIELDS = ("project_id", "level1", "level2", "target_text", "operator", "value", "measure", "weight",
                 "leader", "due_on", "window_start", "milestones", "economic_class")


def store_targets(session: Session, records: pd.DataFrame, import_row: Import,
                  progress: Progress = _no_progress) -> Counts:
    """Insert new targets and update changed ones. The last table imported wins, whatever the
    dates in its title (a revision is what the user gives). An optional column the file does not
    have (``keep``: 经济分类, 进度计划, 完成时限 …) leaves the stored value alone. A target whose
    measure changes by a 千/万/亿 prefix (人次 → 万人次) has its reports converted to the new
    measure (the importer refused the file when they cannot be: target_refs.py)."""
    rows = records.to_dict("records")
    new_units = _add_units(session, {r["new_unit"].code: r["new_unit"].name for r in rows if r.get("new_unit")})
    for row in rows:
        if row.get("new_unit"):
            row["unit_id"] = new_units[row["new_unit"].code]
    existing = _stored_targets(session, rows)
    inserted = updated = unchanged = 0
    for count, row in enumerate(rows, start=1):
        values = {name: row[name] for name in TARGET_FIELDS}
        values["measure"] = values["measure"] or ""
        key = (int(row["budget_year"]), row["unit_id"], row["scope"], row["indicator"])
        target = existing.get(key)
        if target is None:
            session.add(PerformanceTarget(budget_year=key[0], unit_id=key[1], scope=key[2], name=key[3],
                                          last_import_id=import_row.id, updated_at=import_row.imported_at,
                                          **values))
            inserted += 1
        else:
            kept = row.get("keep") or ()
            changed = {k: v for k, v in values.items() if k not in kept and getattr(target, k) != v}
            if "measure" in changed:
                _convert_reports(session, target.id, target.measure, changed["measure"])
            for name, value in changed.items():
                setattr(target, name, value)
            target.last_import_id = import_row.id
            if changed:
                target.updated_at = import_row.imported_at
            updated += bool(changed)
            unchanged += not changed
        if count % 500 == 0:
            progress(count, len(rows))
    session.flush()
    progress(len(rows), len(rows))
    return Counts(inserted, updated, unchanged)


def _convert_reports(session: Session, target_id: int, old: str, new: str) -> None:
    """The target's reports, from the ``old`` measure to the ``new`` one (人次 → 万人次: ÷ 10,000)."""
    reports = list(session.scalars(select(TargetProgress).where(TargetProgress.target_id == target_id)))
    if not reports:
        return
    for report in reports:
        converted = convert_measure(report.actual, old, new)
        if converted is None:  # the importer refuses such a file; never store a value in the wrong unit
            raise ValueError(f"target {target_id}: reports in {old!r} cannot be converted to {new!r}")
        report.actual = converted
    session.flush()


def _add_units(session: Session, names: dict[str, str]) -> dict[str, int]:
    """Units named by code that were not known when the file was checked: added, never renamed
    (a target table is not the authority on unit names)."""
    ids = {code: id_ for code, id_ in session.execute(select(Unit.code, Unit.id).where(Unit.code.in_(list(names))))} \
        if names else {}
    for code in names:
        if code not in ids:
            unit = Unit(code=code, name=names[code])
            session.add(unit)
            session.flush()
            ids[code] = unit.id
    return ids


def _stored_targets(session: Session, rows: list[dict]) -> dict[tuple, PerformanceTarget]:
    t = PerformanceTarget
    found = {}
    pairs = {(int(r["budget_year"]), r["unit_id"]) for r in rows}
    for year, unit_id in pairs:
        for target in session.scalars(select(t).where(t.budget_year == year, t.unit_id == unit_id)):
            found[(target.budget_year, target.unit_id, target.scope, target.name)] = target
    return found


# --- progress ----------------------------------------------------------------------------------

def store_progress(session: Session, records: pd.DataFrame, import_row: Import,
                   progress: Progress = _no_progress) -> Counts:
    """One value per (target, date): the last report imported replaces the one stored, whatever the
    dates in the titles of the two files (a correction is what the user gives)."""
    rows = records.to_dict("records")
    existing = _stored_reports(session, {r["target_id"] for r in rows})
    inserted = updated = unchanged = 0
    for row in rows:
        stored = existing.get((row["target_id"], row["reported_on"]))
        actual, note = row["actual"].value, row["note"]
        outcome = _put_report(session, stored, target_id=row["target_id"], reported_on=row["reported_on"],
                              actual=actual, note=note, source="file", import_id=import_row.id,
                              recorded_at=import_row.imported_at)
        inserted += outcome == "inserted"
        updated += outcome == "updated"
        unchanged += outcome == "unchanged"
    session.flush()
    progress(len(rows), len(rows))
    return Counts(inserted, updated, unchanged)


def record_progress(session: Session, *, target_id: int, reported_on: dt.date, actual: Decimal,
                    note: str | None, recorded_at: dt.datetime, source: str = "cli") -> str:
    """One report entered by hand: it replaces any report of the same target and date.
    Returns inserted | updated | unchanged."""
    stored = session.scalar(select(TargetProgress).where(TargetProgress.target_id == target_id,
                                                         TargetProgress.reported_on == reported_on))
    return _put_report(session, stored, target_id=target_id, reported_on=reported_on, actual=actual, note=note,
                       source=source, import_id=None, recorded_at=recorded_at)


def _put_report(session: Session, stored: TargetProgress | None, *, target_id: int, reported_on: dt.date,
                actual: Decimal, note: str | None, source: str, import_id: int | None,
                recorded_at: dt.datetime) -> str:
    if stored is None:
        session.add(TargetProgress(target_id=target_id, reported_on=reported_on, actual=actual, note=note,
                                   source=source, import_id=import_id, recorded_at=recorded_at))
        session.flush()
        return "inserted"
    if stored.actual == actual and stored.note == note:
        return "unchanged"
    stored.actual, stored.note, stored.source = actual, note, source
    stored.import_id, stored.recorded_at = import_id, recorded_at
    session.flush()
    return "updated"


def _stored_reports(session: Session, target_ids: set[int]) -> dict[tuple, TargetProgress]:
    found = {}
    for chunk in _chunks(sorted(target_ids)):
        for report in session.scalars(select(TargetProgress).where(TargetProgress.target_id.in_(chunk))):
            found[(report.target_id, report.reported_on)] = report
    return found


__all__ = ["KnownProject", "KnownTarget", "KnownUnit", "known_projects", "known_targets",
           "known_units", "record_progress", "store_progress", "store_targets"]
