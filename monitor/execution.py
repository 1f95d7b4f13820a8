"""Execution at a date: budget, cumulative paid and rate for every level, from quota-line sums.

The database sums payments per quota line in SQL (``db.figures``); here the lines are rolled up
to projects, units and departments, and broken down by expense type, fund type and economic
class. Rates always come from summed amounts (docs/DOMAIN.md: never average ratios), and a
department is the sum of its units.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from monitor.money import ZERO, rate

_Item = TypeVar("_Item")
_Key = TypeVar("_Key")

LEVELS = ("department", "unit", "project", "quota_line")


@dataclass(frozen=True)
class LineFigures:
    """One quota line at ``as_of``: its place in the hierarchy, its budget in force then and what
    had been paid against it (net of reversals). A payment whose quota line is unknown is given
    a line of its own with no budget (``quota_no`` as the payment names it)."""

    quota_no: str
    department_code: str
    department_name: str
    unit_code: str
    unit_name: str
    project_code: str | None
    project_name: str | None
    expense_type: str | None  # basic | project
    economic_class: str | None
    economic_name: str | None
    fund_type: str | None
    three_public: bool
    initial: Decimal  # 年初预算数
    budget: Decimal  # the adjusted budget in force at as_of
    paid: Decimal


def counts_as_paid(status: object, amount_fen: object) -> bool:
    """Whether a payment counts as paid (the SQL of db/queries.py ``counted_amount`` says the
    same): 已支付, and a negative 已退回 row (the reversal voucher). An amount not known (a cell
    that could not be read) is taken to count, so a file's problems are still looked for."""
    return status == "paid" or (status == "returned" and (amount_fen is None or int(amount_fen) < 0))  # type: ignore[call-overload]


@dataclass(frozen=True)
class Entity:
    """A department, unit, project or quota line with its summed figures."""

    level: str
    code: str
    name: str
    budget: Decimal
    paid: Decimal
    department_code: str
    unit_code: str | None = None  # None for a department

    @property
    def execution_rate(self) -> Decimal | None:
        return rate(self.paid, self.budget)

    @property
    def key(self) -> tuple[str, str]:
        return self.level, self.code


def _sum(lines: Iterable[LineFigures]) -> tuple[Decimal, Decimal]:
    budget = paid = ZERO
    for line in lines:
        budget += line.budget
        paid += line.paid
    return budget, paid


def _group(items: Iterable[_Item], key: Callable[[_Item], _Key]) -> dict[_Key, list[_Item]]:
    """Quota lines or entities by ``key``, in the order they come."""
    groups: dict[_Key, list[_Item]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return groups


def roll_up(lines: Sequence[LineFigures]) -> list[Entity]:
    """Every department, unit, project and quota line, in that order, each sorted by code."""
    entities: list[Entity] = []
    units = _group(lines, lambda l: l.unit_code)
    unit_entities: dict[str, Entity] = {}
    for code in sorted(units):
        first = units[code][0]
        unit_entities[code] = Entity("unit", code, first.unit_name, *_sum(units[code]), first.department_code, code)
    # A department is the sum of its units, not of its lines: the same total, and the property
    # tests hold us to it.
    departments = _group(unit_entities.values(), lambda u: u.department_code)
    names = {l.department_code: l.department_name for l in lines}
    for code in sorted(departments):
        members = departments[code]
        entities.append(Entity("department", code, names[code], sum((u.budget for u in members), ZERO),
                               sum((u.paid for u in members), ZERO), code))
    entities.extend(unit_entities.values())
    projects: dict[tuple[str, str], list[LineFigures]] = {}
    for line in lines:
        if line.project_code:  # a line without a project is no project's
            projects.setdefault((line.unit_code, line.project_code), []).append(line)
    for unit_code, code in sorted(projects):
        project_lines = projects[unit_code, code]
        entities.append(Entity("project", code, project_lines[0].project_name or code, *_sum(project_lines),
                               project_lines[0].department_code, unit_code))
    for line in sorted(lines, key=lambda l: (l.unit_code, l.quota_no)):
        name = line.economic_name or line.project_name or line.quota_no
        entities.append(Entity("quota_line", line.quota_no, name, line.budget, line.paid,
                               line.department_code, line.unit_code))
    return entities


# 人员经费 are 301 工资福利支出 and 303 对个人和家庭的补助; 公用经费 are 302 商品和服务支出 and
# 310 资本性支出 of basic expenditure (部门预算支出经济分类科目).
PERSONNEL_PREFIXES = ("301", "303")
PUBLIC_PREFIXES = ("302", "310")


def basic_category(line: LineFigures) -> str | None:
    """人员经费 (personnel) or 公用经费 (public) for a basic-expenditure line, where the economic
    class tells; None otherwise."""
    if line.expense_type != "basic" or not line.economic_class:
        return None
    if line.economic_class.startswith(PERSONNEL_PREFIXES):
        return "personnel"
    if line.economic_class.startswith(PUBLIC_PREFIXES):
        return "public"
    return None


BREAKDOWNS: dict[str, Callable[[LineFigures], str | None]] = {
    "expense_type": lambda l: l.expense_type,
    "basic_category": basic_category,
    "fund_type": lambda l: l.fund_type,
    "economic_class": lambda l: l.economic_class[:3] if l.economic_class else None,
}


@dataclass(frozen=True)
class Share:
    """One group of a breakdown (e.g. expense_type = basic) with its summed figures."""

    dimension: str
    value: str | None
    budget: Decimal
    paid: Decimal

    @property
    def execution_rate(self) -> Decimal | None:
        return rate(self.paid, self.budget)


def breakdown(lines: Sequence[LineFigures], dimension: str) -> list[Share]:
    """Budget and paid grouped by ``dimension`` (a key of ``BREAKDOWNS``); lines the dimension
    does not apply to (None) form their own group."""
    groups = _group(lines, BREAKDOWNS[dimension])
    return [Share(dimension, value, *_sum(groups[value]))
            for value in sorted(groups, key=lambda v: (v is None, v or ""))]
