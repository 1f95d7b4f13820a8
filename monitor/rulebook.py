"""The evaluation's rules as values: checkpoints, time-schedule method, weights and thresholds.

Defaults are those of the 2023 evaluation's appendix (附件 综合评分表, docs/DOMAIN.md). Every one can
be changed in the config, for all years, for one year, for one department or for one department
in one year; the layers are merged in that order (``RuleBook.rules_for``). The seed's own figures
disagree in places, which is why nothing here is fixed in code that reads data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from types import MappingProxyType

SCHEDULE_METHODS = ("months", "calendar", "working_days")
EXEMPT_CATEGORIES = ("policy", "force_majeure", "higher_level")
ADJUSTMENT_MEASURES = ("gross", "net")
INDICATORS = ("payment_progress", "execution_rate", "adjustment_rate", "three_public_control")

# Named on its own so that build_rules can fill in the indicators a config's weights leave out
# (DEFAULTS' values are plain objects to the type checker).
_DEFAULT_WEIGHTS: Mapping[str, object] = {
    "payment_progress": 3, "execution_rate": 3, "adjustment_rate": 3, "three_public_control": 3}

DEFAULTS: Mapping[str, object] = MappingProxyType({
    # 考核进度: cumulative paid ÷ full-year adjusted budget, by month-day (appendix: 25/50/75 at
    # the ends of Q1–Q3; 95 at year end is the execution-rate full band).
    "checkpoints": {"03-31": 25, "06-30": 50, "09-30": 75, "12-31": 95},
    "schedule": "months",  # 序时进度: months/12 (common practice); calendar | working_days
    "weights": _DEFAULT_WEIGHTS,
    # 预算执行率: rate ≥ floor earns share × weight (≥95 full; [80,95) 90%; [75,80) 70%; [70,75) 50%)
    "execution_bands": {"95": 1, "80": 0.9, "75": 0.7, "70": 0.5},
    "adjustment_max_rate": 10,  # 预算调整率 ≥ this → 0
    "adjustment_exempt": list(EXEMPT_CATEGORIES),  # 国家政策 / 不可抗力 / 上级交办
    # gross: 追加 + 追减 + 调剂 moved (财政部 definition, "追加、追减或结构调整的资金总和");
    # net: the year's net increase (how the 2023 report computed 253.75 ÷ 1247.22)
    "adjustment_measure": "gross",
    "previous_three_public_budget": None,  # 上年三公经费预算 (万元 in the config), when not in the database
})


class RuleError(ValueError):
    """Raised when a rule setting has a wrong value; the message names the setting."""


@dataclass(frozen=True, order=True)
class Checkpoint:
    """考核进度: cumulative paid must reach ``target_rate`` percent of the budget by ``date``."""

    date: dt.date
    target_rate: Decimal

    @property
    def is_year_end(self) -> bool:
        return (self.date.month, self.date.day) == (12, 31)


@dataclass(frozen=True)
class Band:
    floor: Decimal  # percent
    share: Decimal  # of the weight


@dataclass(frozen=True)
class Rules:
    """The rules that apply to one department in one budget year."""

    year: int
    checkpoints: tuple[Checkpoint, ...]
    schedule: str
    weights: Mapping[str, Decimal]
    execution_bands: tuple[Band, ...]  # highest floor first
    adjustment_max_rate: Decimal
    adjustment_exempt: frozenset[str]
    adjustment_measure: str
    previous_three_public_budget: Decimal | None  # yuan

    @property
    def progress_checkpoints(self) -> tuple[Checkpoint, ...]:
        """The checkpoints scored by payment progress: all but the year-end one."""
        return tuple(c for c in self.checkpoints if not c.is_year_end)


def _decimal(name: str, value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise RuleError(f"{name} must be a number, not {value!r}")
    try:
        # TOML floats such as 0.9 arrive as float: str() gives their shortest exact spelling.
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise RuleError(f"{name} must be a number, not {value!r}") from exc
    if not number.is_finite():
        raise RuleError(f"{name} must be a finite number, not {value!r}")
    return number


def _month_day(name: str, text: str, year: int) -> dt.date:
    try:
        month, day = (int(part) for part in str(text).split("-"))
        return dt.date(year, month, day)
    except ValueError as exc:
        raise RuleError(f"{name}: {text!r} is not a month-day such as \"03-31\"") from exc


def build_rules(year: int, settings: Mapping[str, object]) -> Rules:
    """Rules of one year from merged settings (DEFAULTS overlaid by the config's layers)."""
    merged = {**DEFAULTS, **settings}
    unknown = sorted(set(merged) - set(DEFAULTS))
    if unknown:
        raise RuleError(f"unknown evaluation setting(s) {', '.join(unknown)}; known: {', '.join(DEFAULTS)}")
    raw_checkpoints = merged["checkpoints"]
    if not isinstance(raw_checkpoints, Mapping) or not raw_checkpoints:
        raise RuleError("checkpoints must be a table of month-day = percent, e.g. {\"03-31\" = 25}")
    checkpoints = tuple(sorted(
        Checkpoint(_month_day("checkpoints", key, year), _rate(f"checkpoints.{key}", value))
        for key, value in raw_checkpoints.items()))
    schedule = merged["schedule"]
    if schedule not in SCHEDULE_METHODS:
        raise RuleError(f"schedule must be one of {', '.join(SCHEDULE_METHODS)}, not {schedule!r}")
    raw_weights = merged["weights"]
    if not isinstance(raw_weights, Mapping):
        raise RuleError("weights must be a table of indicator = weight")
    weights = {**_DEFAULT_WEIGHTS, **raw_weights}
    bad = sorted(set(weights) - set(INDICATORS))
    if bad:
        raise RuleError(f"weights: unknown indicator(s) {', '.join(bad)}; known: {', '.join(INDICATORS)}")
    bands_raw = merged["execution_bands"]
    if not isinstance(bands_raw, Mapping):
        raise RuleError("execution_bands must be a table of floor percent = share of the weight")
    bands = tuple(sorted((Band(_rate(f"execution_bands.{k}", k), _share(f"execution_bands.{k}", v))
                          for k, v in bands_raw.items()), key=lambda b: b.floor, reverse=True))
    exempt = merged["adjustment_exempt"]
    if not isinstance(exempt, (list, tuple)) or not set(exempt) <= set(EXEMPT_CATEGORIES):
        raise RuleError(f"adjustment_exempt must list some of {', '.join(EXEMPT_CATEGORIES)}")
    measure = merged["adjustment_measure"]
    if measure not in ADJUSTMENT_MEASURES:
        raise RuleError(f"adjustment_measure must be one of {', '.join(ADJUSTMENT_MEASURES)}, not {measure!r}")
    previous = merged["previous_three_public_budget"]
    if previous is not None and _decimal("previous_three_public_budget", previous) < 0:
        raise RuleError(f"previous_three_public_budget must not be negative, not {previous!r}")
    return Rules(
        year=year,
        checkpoints=checkpoints,
        schedule=schedule,
        weights=MappingProxyType({k: _weight(f"weights.{k}", v) for k, v in weights.items()}),
        execution_bands=bands,
        adjustment_max_rate=_rate("adjustment_max_rate", merged["adjustment_max_rate"]),
        adjustment_exempt=frozenset(exempt),
        adjustment_measure=measure,
        previous_three_public_budget=None if previous is None
        else _decimal("previous_three_public_budget", previous) * 10_000,
    )


def _rate(name: str, value: object) -> Decimal:
    number = _decimal(name, value)
    if not Decimal(0) <= number <= Decimal(100):
        raise RuleError(f"{name} must be a percentage between 0 and 100, not {value!r}")
    return number


def _weight(name: str, value: object) -> Decimal:
    number = _decimal(name, value)
    if number < 0:
        raise RuleError(f"{name} must not be negative, not {value!r}")
    return number


def _share(name: str, value: object) -> Decimal:
    number = _decimal(name, value)
    if not Decimal(0) <= number <= Decimal(1):
        raise RuleError(f"{name} must be a share between 0 and 1, not {value!r}")
    return number


@dataclass(frozen=True)
class RuleBook:
    """The config's layers: ``base`` for every year, then per year, per department, and per
    department in one year. Each layer is a mapping of the settings in ``DEFAULTS``."""

    base: Mapping[str, object] = field(default_factory=dict)
    years: Mapping[int, Mapping[str, object]] = field(default_factory=dict)
    departments: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    year_departments: Mapping[tuple[int, str], Mapping[str, object]] = field(default_factory=dict)

    def rules_for(self, year: int, department: str | None = None) -> Rules:
        layers = [self.base, self.years.get(year, {})]
        if department is not None:
            layers += [self.departments.get(department, {}), self.year_departments.get((year, department), {})]
        merged: dict[str, object] = {}
        weights: dict[str, object] = {}
        for layer in layers:
            merged.update(layer)
            layer_weights = layer.get("weights")
            if isinstance(layer_weights, Mapping):
                weights.update(layer_weights)  # a layer sets some weights and keeps the others
        if weights:
            merged["weights"] = weights
        return build_rules(year, merged)

    def checkpoint_dates(self, year: int) -> list[dt.date]:
        """Every checkpoint date of ``year`` under any department's rules (the base layer and
        every department the config names)."""
        departments = {None, *self.departments, *(d for y, d in self.year_departments if y == year)}
        return sorted({c.date for dep in departments for c in self.rules_for(year, dep).checkpoints})

    def check(self) -> None:
        """Build every layer once so that a bad setting fails at start, naming where it is."""
        self.rules_for(2000)
        for year in self.years:
            self._check(f"year {year}", year)
        for dep in self.departments:
            self._check(f"department {dep}", 2000, dep)
        for year, dep in self.year_departments:
            self._check(f"year {year}, department {dep}", year, dep)

    def _check(self, where: str, year: int, department: str | None = None) -> None:
        try:
            self.rules_for(year, department)
        except RuleError as exc:
            raise RuleError(f"{where}: {exc}") from exc
