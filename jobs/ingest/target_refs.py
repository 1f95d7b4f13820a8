"""The checks of target tables and progress reports that need the budget year or the database.

Once the year is known: the default 完成时限 (31 December), the milestone schedule, dates inside
the year. Against the database: each unit (by code, or by a name that matches exactly one unit),
each project (by code, or by exact name within its unit: projects come from the quota export),
and, for a progress report, the stored target of that year. Every problem names its row and
column; nothing is written here (the catalog only reads).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, Protocol

import pandas as pd
from sqlalchemy.orm import Session, sessionmaker

from db import target_store
from db.engine import transaction
from db.target_store import KnownProject, KnownTarget, KnownUnit
from jobs.ingest.adjustment_checks import LineBudgets
from jobs.ingest.problems import problem
from jobs.ingest.records import Context
from jobs.ingest.target_records import Ref, fraction_of_percent, is_whole_unit, name_key
from jobs.ingest.wan_check import StoredAmounts
from monitor.target_values import convert_measure
from monitor.targets import MilestoneError, parse_milestones


class Catalog(Protocol):
    """What the checks read from the database."""

    def units(self) -> Sequence[KnownUnit]: ...

    def projects(self, unit_ids: Collection[int], codes: Collection[str]) -> Sequence[KnownProject]: ...

    def targets(self, year: int, unit_ids: Collection[int]) -> Sequence[KnownTarget]: ...


class DbCatalog:
    """The catalog of a database: one short read transaction per question."""

    def __init__(self, factory: sessionmaker[Session]):
        self.factory = factory
        self.line_budgets = LineBudgets(factory)  # what an adjustment export is checked against
        self.stored_amounts = StoredAmounts(factory)  # what a payment export is checked against

    def units(self) -> Sequence[KnownUnit]:
        with transaction(self.factory) as session:
            return target_store.known_units(session)

    def projects(self, unit_ids: Collection[int], codes: Collection[str]) -> Sequence[KnownProject]:
        with transaction(self.factory) as session:
            return target_store.known_projects(session, unit_ids, codes)

    def targets(self, year: int, unit_ids: Collection[int]) -> Sequence[KnownTarget]:
        with transaction(self.factory) as session:
            return target_store.known_targets(session, year, unit_ids)


@dataclass(frozen=True)
class NewUnit:
    """A unit named by code that the database does not know yet: added with the targets, as the
    other exports add the units they name."""

    code: str
    name: str


# --- resolving names ---------------------------------------------------------------------------

class Finder:
    """Units and projects by what a file calls them. Each method returns what it found, or the
    problem code and parameters saying why nothing (or too much) was found."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        units = catalog.units()
        self.units_by_code = {u.code: u for u in units}
        self.units_by_name: dict[str, list[KnownUnit]] = defaultdict(list)
        for unit in units:
            self.units_by_name[name_key(unit.name)].append(unit)
        self.projects_by_code: dict[str, KnownProject] = {}
        self.projects_by_unit: dict[int, list[KnownProject]] = defaultdict(list)
        self.unit_codes = {u.id: u.code for u in units}

    def unit(self, ref: Ref, *, allow_new: bool) -> KnownUnit | NewUnit | tuple[str, dict]:
        if ref.code is not None and ref.code in self.units_by_code:
            return self.units_by_code[ref.code]
        named = [] if ref.code_column else self.units_by_name.get(name_key(ref.text), [])
        if len(named) == 1:
            return named[0]
        if ref.code is not None:
            if allow_new:
                return NewUnit(ref.code, ref.name or ref.code)
            return "unknown_unit_code", {"code": ref.code}
        if named:
            return "ambiguous_unit", {"name": ref.text, "count": len(named),
                                      "codes": "、".join(sorted(u.code for u in named))}
        return "unknown_unit", {"name": ref.text}

    def load_projects(self, unit_ids: Collection[int], refs: Collection[Ref]) -> None:
        codes = {c for r in refs for c in (r.text, r.code) if c}
        for project in self.catalog.projects(unit_ids, codes):
            self.projects_by_code[project.code] = project
            if project.unit_id is not None:
                self.projects_by_unit[project.unit_id].append(project)
        for projects in self.projects_by_unit.values():  # one row per project, loaded twice or not
            projects[:] = list({p.id: p for p in projects}.values())

    def project(self, ref: Ref, unit: KnownUnit | NewUnit) -> KnownProject | tuple[str, dict]:
        unit_id = unit.id if isinstance(unit, KnownUnit) else None
        for code in dict.fromkeys(c for c in (ref.text, ref.code) if c):
            found = self.projects_by_code.get(code)
            if found is None:
                continue
            if found.unit_id not in (None, unit_id):
                return "project_other_unit", {"project": ref.text, "unit": unit.code,
                                              "owner": self.unit_codes.get(found.unit_id, "?")}
            return found
        if not ref.code_column:
            own = self.projects_by_unit.get(unit_id, []) if unit_id is not None else []
            for name in dict.fromkeys(n for n in (ref.text, ref.name) if n):
                named = [p for p in own if name_key(p.name) == name_key(name)]
                if len(named) == 1:
                    return named[0]
                if named:
                    return "ambiguous_project", {"project": ref.text, "unit": unit.code, "count": len(named),
                                                 "codes": "、".join(sorted(p.code for p in named))}
        return "unknown_project", {"project": ref.text, "unit": unit.code}


def _owners(context: Context, records: pd.DataFrame, finder: Finder, *, allow_new: bool) -> tuple[list, list]:
    """Each row's unit (KnownUnit / NewUnit) and project (KnownProject, or None for the unit as a
    whole); None where it cannot be told, with a problem at the cell that names it (once per
    cell: a unit stated above the header is one problem, not one per row)."""
    told: set[tuple] = set()

    def tell(ref: Ref, code: str, params: dict) -> None:
        if (code, ref.row, ref.column, ref.text) not in told:
            told.add((code, ref.row, ref.column, ref.text))
            context.log.add(problem(code, row=ref.row, column=ref.column, value=ref.text, **params))

    units = []
    for ref in records["unit_ref"].tolist():
        found = None if ref is None else finder.unit(ref, allow_new=allow_new)
        if isinstance(found, tuple):
            tell(ref, *found)
            found = None
        units.append(found)
    unit_ids = {u.id for u in units if isinstance(u, KnownUnit)}
    finder.load_projects(unit_ids, [r for r in records["project_ref"].tolist() if r is not None])
    projects = []
    for ref, unit in zip(records["project_ref"].tolist(), units):
        project: KnownProject | tuple[str, dict] | Literal[False] | None = (
            None if ref is None or unit is None or is_whole_unit(ref) else finder.project(ref, unit))
        if isinstance(project, tuple):
            tell(ref, *project)
            project = False  # named, but not found: not "the unit as a whole"
        projects.append(project)
    _blank_under_project(context, records, units)
    return units, projects


def _blank_under_project(context: Context, records: pd.DataFrame, units: list) -> None:
    """A blank project cell right under a project's row of the same unit, in a file that says
    neither which cells are merged (a CSV, or a workbook without merged cells in that column) nor,
    by writing a project again on the next row, that it writes the project on every row of it: it
    may continue the project (a merged table saved as CSV names each project once, atop its rows)
    or be a target of the unit as a whole. Refused, naming each such row: a target attached to
    the wrong owner is worse than a file refused. Where the merges or the repeated names tell, a
    blank cell is the unit as a whole, as it always was."""
    fields = {"project_code", "project", "project_name"}
    column = next((f for f in ("project_code", "project", "project_name") if context.has(f)), None)
    if column is None or context.merged & fields:
        return
    owners = [_identity(unit, ref) for unit, ref in zip(units, records["unit_ref"].tolist())]
    named = [None if ref is None or is_whole_unit(ref) else (owner, name_key(ref.text))
             for ref, owner in zip(records["project_ref"].tolist(), owners)]
    if any(a is not None and a == b for a, b in zip(named, named[1:])):
        return  # the file names the project on each of its rows
    above: tuple | None = None  # (unit, the project's Ref) of the last row that named a project
    for row, ref, unit, owner in zip(records.index, records["project_ref"].tolist(), units, owners):
        if ref is not None:
            above = None if is_whole_unit(ref) else (owner, ref)
        elif above is not None and above[0] == owner and unit is not None:
            context.log.add(problem("blank_project", row=int(row), column=context.names[column],
                                    above=above[1].row, project=above[1].text))


# --- target tables -----------------------------------------------------------------------------

def finish_targets(context: Context, records: pd.DataFrame, budget_year: int,
                   catalog: Catalog | None) -> pd.DataFrame:
    years = _row_years(records, budget_year)
    _dates(context, records, years)
    _milestones(context, records, years)
    targets = records["target"].tolist()
    _put(records, "operator", [None if t is None else t.operator for t in targets])
    _put(records, "value", [None if t is None else t.value for t in targets])
    _put(records, "measure", [None if t is None else t.measure for t in targets])
    if catalog is None:
        return records
    units, projects = _owners(context, records, Finder(catalog), allow_new=True)
    _put(records, "unit_id", [u.id if isinstance(u, KnownUnit) else None for u in units])
    _put(records, "new_unit", [u if isinstance(u, NewUnit) else None for u in units])
    _put(records, "project_id", [p.id if p else None for p in projects])
    _put(records, "scope", [p.code if p else "" for p in projects])
    _no_repeated_indicators(context, records, units, projects)
    _measure_changes(context, records, catalog, years, units, projects)
    return records


def _measure_changes(context: Context, records: pd.DataFrame, catalog: Catalog, years: list[int],
                     units: list, projects: list) -> None:
    """A target whose measure changes while reports in the old one are stored: converted on import
    when the two differ by a 千/万/亿 prefix (人次 → 万人次), refused here otherwise — the stored
    reports would be read in the new measure."""
    unit_ids = {u.id for u in units if isinstance(u, KnownUnit)}
    if not unit_ids:
        return
    stored: dict[tuple, KnownTarget] = {}
    for year in set(years):
        for known in catalog.targets(year, unit_ids):
            stored[(year, known.unit_id, known.project_id, name_key(known.name))] = known
    for row, year, name, unit, project, measure in zip(
            records.index, years, records["indicator"].tolist(), units, projects, records["measure"].tolist()):
        if name is None or measure is None or not isinstance(unit, KnownUnit) or project is False:
            continue
        target = stored.get((year, unit.id, project.id if project else None, name_key(name)))
        if target is None or not target.reports or target.measure == measure:
            continue
        if convert_measure(Decimal(1), target.measure, measure) is None:
            context.log.add(problem("measure_changed", row=int(row), column=context.names["target_value"],
                                    value=records.at[row, "target_text"], name=name, old=target.measure or "（无）",
                                    old_en=target.measure or "(none)", new=measure or "（无）",
                                    new_en=measure or "(none)", reports=target.reports, target=target.target_text))


def _put(records: pd.DataFrame, column: str, values: list) -> None:
    """A column of Python objects: ids stay int (pandas would make [1, None] floats)."""
    records[column] = pd.Series(values, index=records.index, dtype=object)


def _row_years(records: pd.DataFrame, budget_year: int) -> list[int]:
    if "budget_year" not in records:
        return [budget_year] * len(records)
    return [budget_year if y is None or pd.isna(y) else int(y) for y in records["budget_year"].tolist()]


def _dates(context: Context, records: pd.DataFrame, years: list[int]) -> None:
    """完成时限 defaults to the year's last day; it and the start date lie inside the year."""
    due = []
    for row, year, due_on, start in zip(records.index, years, records["due_on"].tolist(),
                                        records["window_start"].tolist()):
        for field_name, day in (("due_on", due_on), ("window_start", start)):
            if day is not None and day.year != year:
                context.log.add(problem("date_outside_year", row=int(row), column=context.names[field_name],
                                        value=day.isoformat(), date=day.isoformat(), year=year))
        if due_on is not None and start is not None and start > due_on:
            context.log.add(problem("window_after_due", row=int(row), column=context.names["window_start"],
                                    value=start.isoformat(), start=start.isoformat(), due=due_on.isoformat()))
        due.append(due_on or dt.date(year, 12, 31))
    _put(records, "due_on", due)


def _milestones(context: Context, records: pd.DataFrame, years: list[int]) -> None:
    parsed = []
    for row, year, text in zip(records.index, years, records["milestones_text"].tolist()):
        try:
            points = parse_milestones(text or "", year)
        except MilestoneError as exc:
            context.log.add(problem("bad_milestones", row=int(row), column=context.names["milestones"],
                                    value=text, reason=exc.zh, reason_en=exc.en))
            points = ()
        parsed.append([[day.isoformat(), str(value)] for day, value in points])
    _put(records, "milestones", parsed)


def _no_repeated_indicators(context: Context, records: pd.DataFrame, units: list, projects: list) -> None:
    """One row per (unit, project, 三级指标): a second one is refused, naming the first."""
    first: dict[tuple, int] = {}
    refs = zip(records["unit_ref"].tolist(), records["project_ref"].tolist())
    for row, name, unit, project, (unit_ref, project_ref) in zip(
            records.index, records["indicator"].tolist(), units, projects, refs):
        if name is None:
            continue
        key = (_identity(unit, unit_ref), _identity(project, project_ref), name_key(name))
        if key in first:
            context.log.add(problem("duplicate_indicator", row=int(row), column=context.names["indicator"],
                                    value=name, name=name, other_row=first[key]))
        else:
            first[key] = int(row)


def _identity(found, ref: Ref | None):
    if isinstance(found, (KnownUnit, KnownProject)):
        return ("id", found.id)
    if isinstance(found, NewUnit):
        return ("new", found.code)
    return ("text", None if ref is None else name_key(ref.text))


# --- progress reports --------------------------------------------------------------------------

def finish_progress(context: Context, records: pd.DataFrame, budget_year: int,
                    catalog: Catalog | None) -> pd.DataFrame:
    if catalog is None:
        return records
    years = _row_years(records, budget_year)
    units, projects = _owners(context, records, Finder(catalog), allow_new=False)
    unit_ids = {u.id for u in units if isinstance(u, KnownUnit)}
    stored: dict[tuple, KnownTarget] = {}
    for year in set(years):
        for known in catalog.targets(year, unit_ids):
            stored[(year, known.unit_id, known.project_id, name_key(known.name))] = known
    target_ids: list[int | None] = []
    for row, year, name, unit, project, actual, text in zip(
            records.index, years, records["indicator"].tolist(), units, projects,
            records["actual"].tolist(), records["actual_text"].tolist()):
        if name is None or unit is None or project is False:
            target_ids.append(None)
            continue
        target = stored.get((year, unit.id, project.id if project else None, name_key(name)))
        if target is None:
            owner, owner_en = owner_words(unit, project)
            context.log.add(problem("unknown_target", row=int(row), column=context.names["indicator"], value=name,
                                    year=year, name=name, owner=owner, owner_en=owner_en))
        elif actual is not None and actual.measure and target.measure and actual.measure != target.measure:
            context.log.add(problem("measure_mismatch", row=int(row), column=context.names["actual"], value=text,
                                    found=actual.measure, expected=target.measure, name=target.name,
                                    target=target.target_text))
        elif actual is not None and (percent := fraction_of_percent(actual, target.measure)) is not None:
            context.log.add(problem("fraction_percent", row=int(row), column=context.names["actual"], value=text,
                                    name=target.name, target=target.target_text, percent=percent,
                                    actual=text))
        target_ids.append(None if target is None else target.id)
    _put(records, "target_id", target_ids)
    return _without_repeated_reports(context, records)


def owner_words(unit: KnownUnit, project: KnownProject | None) -> tuple[str, str]:
    """Whose target it is, in Chinese and in English."""
    if project is None:
        return f"预算单位 {unit.code}（单位整体）", f"the budget unit {unit.code} (as a whole)"
    return f"预算单位 {unit.code} 项目“{project.name}”", f"the project '{project.name}' of the budget unit {unit.code}"


def _without_repeated_reports(context: Context, records: pd.DataFrame) -> pd.DataFrame:
    """One value per (target, date): the same again is dropped, another value is refused."""
    first: dict[tuple, int] = {}
    drop = []
    for row, target_id, day, actual in zip(records.index, records["target_id"].tolist(),
                                           records["reported_on"].tolist(), records["actual"].tolist()):
        if target_id is None or day is None:
            continue
        key = (target_id, day)
        if key not in first:
            first[key] = int(row)
        elif records.at[first[key], "actual"] == actual and records.at[first[key], "note"] == records.at[row, "note"]:
            drop.append(row)
        else:
            context.log.add(problem("duplicate_report", row=int(row), column=context.names["actual"],
                                    value=records.at[row, "actual_text"], other_row=first[key]))
    return records.drop(index=drop)


FINISH = {"targets": finish_targets, "progress": finish_progress}
