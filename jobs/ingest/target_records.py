"""What a performance target table (绩效目标表) and a progress report must hold, row by row.

Each kind is one rule ``rule(context) -> DataFrame``, as in records.py. Real target tables name
their unit, project and leader once, in the rows above the header (``预算单位 | 乌鲁木齐市科学
技术协会``, ``项目名称 | 科普经费 | 项目负责人 | 穆兰娟``), and merge the 一级/二级指标 cells of
a group (blank below its first row): both are read as if every row said them.

What needs the budget year (the default 完成时限, the milestone schedule) or the database (units,
projects, stored targets) is checked once the year is known, in target_refs.py.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import pandas as pd

from jobs.ingest.headers import normalize_header, vocabulary
from jobs.ingest.records import _ECONOMIC, Context, _coded
from jobs.ingest.values import CellError, normalize_text, parse_code_name, parse_date
from monitor.target_values import TargetParseError, TargetValue, parse_target

# The fields a target table may state once above its header instead of in a column.
PREAMBLE_FIELDS = ("unit", "unit_code", "unit_name", "project", "project_code", "project_name", "leader")
_SEAL = re.compile(r"[(（]\s*盖章\s*[)）]")
_SPACE_BESIDE_WIDE = re.compile(r"\s+(?=[^\x00-\x7f])|(?<=[^\x00-\x7f])\s+")


@dataclass(frozen=True)
class Ref:
    """A unit or project as a file names it, and where: the cell (``row``, ``column``) a problem
    with it is reported at. ``code`` / ``name`` are what the text reads as ("code - name", a bare
    code, or a name); which of them identifies something is decided against the database."""

    text: str
    code: str | None
    name: str | None
    row: int
    column: str
    code_column: bool = False  # from a code column (单位编码, 项目代码): the text is a code


@dataclass(frozen=True)
class Actual:
    """A reported value: the number and the measure written after it ("" when none)."""

    value: Decimal
    measure: str


def compact_name(text: str) -> str:
    """An indicator or level name as stored: NFKC, no spaces beside Chinese characters (PDF and
    wrapped cells put them anywhere: "满意 度指 标"), other runs of spaces made one."""
    folded = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()
    return _SPACE_BESIDE_WIDE.sub("", folded)


def name_key(text: str) -> str:
    """What two spellings of one name share: no spaces at all."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _target(text: str) -> TargetValue:
    try:
        return parse_target(text)
    except TargetParseError as exc:
        raise CellError("bad_target", reason=exc.zh, reason_en=exc.en) from exc


def parse_weight(text: str) -> Decimal:
    """分值权重: a number of at least 0, "10", "10分" or "10%"."""
    s = normalize_text(text).replace(" ", "").removesuffix("分").removesuffix("%")
    try:
        weight = Decimal(s)
    except InvalidOperation:
        raise CellError("bad_weight") from None
    if not weight.is_finite() or weight < 0:
        raise CellError("bad_weight")
    return weight


def parse_actual(text: str) -> Actual:
    """实际完成值: one number of at least 0, its measure optionally after it (8场次, 92%, 12.5万元);
    read like a 指标值 without a comparison, so the measures are spelt the same way."""
    try:
        spec = parse_target(text)
    except TargetParseError:
        raise CellError("bad_actual") from None
    if spec.operator == "improve" or not spec.implied or spec.value is None:
        raise CellError("bad_actual")
    return Actual(spec.value, spec.measure)


def targets(context: Context) -> pd.DataFrame:
    frame = pd.DataFrame(index=context.index)
    context.require("indicator", "target_value")
    frame["indicator"] = context.parse("indicator", compact_name, required=True)
    frame["level1"], frame["level2"] = _levels(context)
    frame["target"] = context.parse("target_value", _target, required=True)
    frame["target_text"] = context.parse("target_value", lambda t: t.strip())
    frame["weight"] = context.parse("weight", parse_weight)
    frame["leader"] = _with_preamble(context, "leader")
    frame["due_on"] = context.parse("due_on", parse_date)
    frame["window_start"] = context.parse("window_start", parse_date)
    frame["milestones_text"] = context.text("milestones")  # parsed once the year is known
    frame["economic_class"], _ = _coded(
        context, "economic", "economic_code", "economic_name", what=("经济分类", "economic class"),
        example="30201 - 办公费", pattern=_ECONOMIC)
    frame["unit_ref"] = _refs(context, ("unit_code", "unit", "unit_name"), required=True)
    frame["project_ref"] = _refs(context, ("project_code", "project", "project_name"), required=False)
    frame["keep"] = pd.Series([absent_fields(context)] * len(frame), index=frame.index, dtype=object)
    return frame


# A stored target's value of an optional column the file does not have is kept: column → the
# fields that give it (a table that drops its 经济分类 column does not erase the stored class).
OPTIONAL_COLUMNS = {
    "level1": ("level1",), "level2": ("level2",), "weight": ("weight",), "leader": ("leader",),
    "due_on": ("due_on",), "window_start": ("window_start",), "milestones": ("milestones",),
    "economic_class": ("economic", "economic_code", "economic_name"),
}


def absent_fields(context: Context) -> frozenset[str]:
    """The optional target columns this file does not have (the leader may be above the header)."""
    absent = {column for column, fields in OPTIONAL_COLUMNS.items() if not any(context.has(f) for f in fields)}
    if "leader" in absent and "leader" in preamble_values(context):
        absent.discard("leader")
    return frozenset(absent)


def progress(context: Context) -> pd.DataFrame:
    frame = pd.DataFrame(index=context.index)
    context.require("indicator", "reported_on", "actual")
    frame["indicator"] = context.parse("indicator", compact_name, required=True)
    frame["reported_on"] = context.parse("reported_on", parse_date, required=True)
    frame["actual"] = context.parse("actual", parse_actual, required=True)
    frame["actual_text"] = context.parse("actual", lambda t: t.strip())
    frame["note"] = context.text("note")
    frame["unit_ref"] = _refs(context, ("unit_code", "unit", "unit_name"), required=True)
    frame["project_ref"] = _refs(context, ("project_code", "project", "project_name"), required=False)
    _year_of_most_dates(context, frame["reported_on"])
    return frame


_TITLE_YEAR = re.compile(r"(20\d{2})\s*年")  # as validate.py reads a year in the title rows


def _year_of_most_dates(context: Context, dates: pd.Series) -> None:
    """A progress report without a 预算年度 column or a year in its title is of the year most of its
    dates are in: that year is given to every row as if the file had a 预算年度 column, so that a
    row dated in another year (2032 for 2023) is named at its date cell, and the checks against the
    database run on the other rows, whatever else is wrong with the file. No date, or a tie: the
    year is not told (the importer asks for --year, as before)."""
    if context.has("budget_year") or _TITLE_YEAR.search(unicodedata.normalize("NFKC", " ".join(
            " ".join(row) for row in context.preamble))):
        return
    counts = pd.Series([d.year for d in dates.tolist() if d is not None], dtype=object).value_counts()
    if counts.empty or (len(counts) > 1 and counts.iloc[0] == counts.iloc[1]):
        return
    year = str(counts.index[0])
    cells = dict(context.cells)
    cells["budget_year"] = pd.Series(year, index=context.index, dtype=object)
    names = dict(context.names)
    names["budget_year"] = context.names.get("reported_on", context.label("budget_year"))
    context.cells, context.names = cells, names


def fraction_of_percent(actual: Actual, measure: str) -> str | None:
    """The percentage a bare fraction probably means, for a target in %: "0.97" → "97" (refused
    with that hint); None when the value is not such a fraction (92, 0.97%, 5, 1)."""
    if measure != "%" or actual.measure or not 0 < actual.value <= 1:
        return None
    exponent = actual.value.as_tuple().exponent  # an int: the value is finite here (0 < value <= 1)
    if not isinstance(exponent, int) or exponent >= 0:
        return None
    percent = (actual.value * 100).normalize()
    return format(percent.quantize(Decimal(1)) if percent == percent.to_integral_value() else percent, "f")


def _levels(context: Context) -> tuple[pd.Series, pd.Series]:
    """一级/二级指标 carried down from the row above where the cell is blank (a merged cell).
    A new 一级指标 starts a new group: its blank 二级指标 is not the previous group's."""
    level1 = context.parse("level1", compact_name).tolist()
    level2 = context.parse("level2", compact_name).tolist()
    first, second, out1, out2 = None, None, [], []
    for upper, lower in zip(level1, level2):
        if upper is not None:
            first, second = upper, None
        if lower is not None:
            second = lower
        out1.append(first)
        out2.append(second)
    return (pd.Series(out1, index=context.index, dtype=object),
            pd.Series(out2, index=context.index, dtype=object))


def preamble_values(context: Context) -> dict[str, tuple[str, int, str]]:
    """field → (value, row as Excel shows it, label as written) for each field a row above the
    header labels: the label's cell, then the value in the next filled cell to its right."""
    names = vocabulary(context.kind, context.synonyms)
    lookup: dict[str, str] = {}
    for field_name in PREAMBLE_FIELDS:
        for name in names.get(field_name, ()):
            lookup.setdefault(normalize_header(name), field_name)
    found: dict[str, tuple[str, int, str]] = {}
    for position, row in enumerate(context.preamble):
        cells = [str(c).strip() for c in row]
        for column, cell in enumerate(cells):
            labelled = lookup.get(normalize_header(_SEAL.sub("", cell))) if cell else None
            if labelled is None or labelled in found:
                continue
            value = next((c for c in cells[column + 1:] if c), None)
            if value is not None and normalize_header(_SEAL.sub("", value)) not in lookup:
                found[labelled] = (value, position + 1, cell)
    return found


def _with_preamble(context: Context, field_name: str) -> pd.Series:
    """A text column, its blank cells filled from the rows above the header."""
    cells = context.text(field_name)
    above = preamble_values(context).get(field_name)
    if above is None:
        return cells
    return cells.where(cells.notna(), normalize_text(above[0]))


def _refs(context: Context, fields: tuple[str, str, str], *, required: bool) -> pd.Series:
    """The unit (or project) of each row: from its code column, its combined column, its name
    column, else from the rows above the header; None where a row names none."""
    code_field = fields[0]
    above = preamble_values(context)
    default = None  # what the rows above the header say, for the rows that say nothing
    for field_name in fields:
        if field_name in above:
            text, row, label = above[field_name]
            default = read_ref(text, row, label, code_column=field_name == code_field)
            break
    column = next((f for f in fields if context.has(f)), None)
    if column is None:
        if default is None and required:
            context.require(fields[1])
        return pd.Series([default] * len(context.index), index=context.index, dtype=object)
    texts = context.text(column, required=required and default is None)
    label = context.names[column]
    name_cells = context.text(fields[2]) if column == code_field and context.has(fields[2]) else None
    refs = []
    for row, text in texts.items():
        if text is None:
            refs.append(default)
        elif name_cells is not None:
            refs.append(Ref(text, text, name_cells[row], int(row), label, code_column=True))
        else:
            refs.append(read_ref(text, int(row), label, code_column=column == code_field))
    return pd.Series(refs, index=context.index, dtype=object)


# What a project cell may say for a target of the unit as a whole (a blank cell says it too, but
# not under a project's row in a file without merged cells: jobs/ingest/target_refs.py).
WHOLE_UNIT = frozenset({"单位整体", "整体", "单位整体目标", "无", "-", "—", "/"})


def is_whole_unit(ref: Ref) -> bool:
    return name_key(ref.text).strip("（）()") in WHOLE_UNIT


def read_ref(text: str, row: int, column: str, *, code_column: bool) -> Ref:
    """A cell (or a command-line value) naming a unit or a project."""
    text = normalize_text(text)
    if code_column:
        return Ref(text, text, None, row, column, code_column=True)
    try:
        code, name = parse_code_name(text)
    except CellError:
        return Ref(text, None, text, row, column)
    return Ref(text, code, name, row, column)


READERS: dict[str, Callable[[Context], pd.DataFrame]] = {"targets": targets, "progress": progress}
