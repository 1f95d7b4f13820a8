"""Whose department a row is, when the export has no 主管部门 column.

In this order: the title row (``主管部门：312 乌鲁木齐市水务局``, ``部门：…``, ``主管部门名称：…``, with
a code, a name or both); the config (``[ingest.unit_departments]``, a unit's department); the
unit code's first digits when the config says so (``[ingest] department_from_unit_code = 3``),
taken only for a department the config names or the database knows (db/dimensions.py). The
column ``department_source`` says which, for the import outcome; a unit left without one is
named there with the config line to add (db/dimensions.py ``department_unknown``) — never put
under a department "?" whose alerts nobody hears.

    [ingest]
    department_from_unit_code = 3
    [ingest.unit_departments]
    "312001" = "312"
    [ingest.departments]          # names of departments no export names
    "312" = "乌鲁木齐市水务局"
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy.orm import Session

from db.dimensions import SHOWN, departmentless_units, known_departments, link_units
from jobs.exceptions import ConfigError
from jobs.ingest.problems import Problem, problem

_TITLE = re.compile(r"(?:主管部门名称|主管部门|部门(?:名称)?)\s*[:：]\s*"
                    r"(?:[\[【(（]?\s*(\d{2,12})\s*[\]】)）]?\s*[-－—_·.、]?\s*)?([^\s:：,，;；|]*)")


@dataclass(frozen=True)
class DepartmentRules:
    """The config's word on departments (all optional)."""

    units: Mapping[str, str] = field(default_factory=dict)  # unit code → department code
    names: Mapping[str, str] = field(default_factory=dict)  # department code → name
    prefix: int | None = None  # a unit code's first digits are its department's code

    def of_unit(self, unit: str) -> tuple[str, str] | None:
        """(department code, source) the config gives a unit."""
        if unit in self.units:
            return self.units[unit], "config"
        if self.prefix and len(unit) > self.prefix:
            return unit[: self.prefix], "prefix"
        return None


def rules_from_config(section: Mapping) -> DepartmentRules:
    """The [ingest] table's department settings, checked."""
    units = section.get("unit_departments", {})
    names = section.get("departments", {})
    prefix = section.get("department_from_unit_code")
    for key, table in (("unit_departments", units), ("departments", names)):
        if not isinstance(table, dict) or not all(isinstance(v, str | int) for v in table.values()):
            raise ConfigError(f'ingest.{key} must be a table of codes, e.g. "312001" = "312"')
    if prefix is not None and (isinstance(prefix, bool) or not isinstance(prefix, int) or not 1 <= prefix <= 12):
        raise ConfigError("ingest.department_from_unit_code must be a number of digits, e.g. 3")
    return DepartmentRules({str(k): str(v) for k, v in units.items()}, {str(k): str(v) for k, v in names.items()},
                           prefix)


def from_title(preamble: Sequence[Sequence[str]]) -> tuple[str | None, str | None] | None:
    """(code, name) of the department a title row names, either may be None; None if none does."""
    for row in preamble:
        text = unicodedata.normalize("NFKC", " ".join(cell for cell in row if cell))
        match = _TITLE.search(text)
        if match and (match[1] or match[2]):
            return match[1], match[2] or None
    return None


def attach(frame: pd.DataFrame, preamble: Sequence[Sequence[str]], rules: DepartmentRules | None) -> None:
    """Fill ``department_code`` / ``department_name`` of the rows that have a unit and no
    department, and say where each came from in ``department_source``."""
    rules = rules or DepartmentRules()
    title = from_title(preamble)
    codes, names = frame["department_code"].tolist(), frame["department_name"].tolist()
    sources: list[str | None] = [None] * len(frame)
    for i, unit in enumerate(frame["unit_code"].tolist()):
        if not pd.isna(codes[i]) or pd.isna(unit):
            continue
        found = rules.of_unit(unit)
        if title is not None:
            code, name = title
            if code is None:  # a name only: the code the config gives that name
                code = next((c for c, n in rules.names.items() if n == name), None)
            if code is not None:
                codes[i], names[i], sources[i] = code, name or rules.names.get(code), "title"
                continue
            if found is None:  # a name only, which a stored department may have (db/dimensions.py)
                names[i], sources[i] = name, "title_name"
                continue
        if found is not None:
            codes[i], sources[i] = found
            names[i] = rules.names.get(found[0])
    frame["department_code"] = pd.Series(codes, index=frame.index, dtype=object)
    frame["department_name"] = pd.Series(names, index=frame.index, dtype=object)
    frame["department_source"] = pd.Series(sources, index=frame.index, dtype=object)


def relink(session: Session, rules: DepartmentRules | None) -> list[Problem]:
    """Stored units without a department that the config now places: attached (a file imported
    before the config line was added is fixed by importing it again, even if it is unchanged)."""
    if rules is None or not (rules.units or rules.prefix):
        return []
    known = known_departments(session)
    links: dict[str, tuple[str, str | None]] = {}
    for unit in departmentless_units(session):
        found = rules.of_unit(unit)
        if found is None:
            continue
        code, source = found
        if source == "prefix" and code not in known and code not in rules.names:
            continue
        links[unit] = (code, rules.names.get(code) or known.get(code))
    if not links:
        return []
    link_units(session, links)
    shown = "、".join(f"{u} → {d}" for u, (d, _) in list(links.items())[:SHOWN]) + ("…" if len(links) > SHOWN else "")
    return [problem("department_linked", count=len(links), units=shown)]
