"""What each kind of export must hold, field by field: quota lines, payments, adjustments.

Each kind is one function ``rule(context) -> DataFrame`` listed in ``KIND_RULES``; it parses
its columns into canonical record columns and adds every problem to ``context.log``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from jobs.ingest.columns import ProblemLog, parse_column
from jobs.ingest.departments import DepartmentRules
from jobs.ingest.departments import attach as attach_departments
from jobs.ingest.headers import KEY_FIELD, vocabulary
from jobs.ingest.problems import problem
from jobs.ingest.values import (
    CellError,
    normalize_text,
    parse_choice,
    parse_code_name,
    parse_date,
    parse_fen,
    parse_flag,
)
from monitor.execution import counts_as_paid
from monitor.money import from_fen

PAYMENT_STATUS = {
    "已支付": "paid", "支付成功": "paid", "已清算": "paid", "已到账": "paid", "已付款": "paid",
    "已退回": "returned", "退回": "returned", "已退票": "returned",
    "已作废": "voided", "作废": "voided", "已撤销": "voided", "已删除": "voided",
    "待支付": "pending", "未支付": "pending", "审核中": "pending", "待审核": "pending",
}
EXPENSE_TYPE = {"基本支出": "basic", "基本": "basic", "项目支出": "project", "项目": "project"}
ADJUSTMENT_TYPE = {"追加": "add", "调增": "add", "追减": "cut", "调减": "cut", "调剂": "transfer"}
EXEMPT = {
    "": None, "无": None, "否": None, "-": None,
    "政策性": "policy", "政策性调整": "policy", "国家政策": "policy", "政策": "policy",
    "不可抗力": "force_majeure", "上级交办": "higher_level", "上级交办任务": "higher_level",
}
# 三公经费 by economic class where the export has no flag: 因公出国（境）费用, 公务接待费,
# 公务用车运行维护费, 公务用车购置 (the 2023 evaluation counts 公务用车运行维护费 8.94 万元).
THREE_PUBLIC_CLASSES = ("30212", "30217", "30231", "31013")

# (pattern, what a person is told to write instead)
DATE_FIELD = {"payments": "pay_date", "adjustments": "adjusted_on",  # the date each record carries
              "progress": "reported_on"}

_FUNCTIONAL = (re.compile(r"\d{3}(\d{2}){0,2}"), "3、5 或 7 位数字（类/款/项），如 2060701",
               "3, 5 or 7 digits (类/款/项), such as 2060701")
_ECONOMIC = (re.compile(r"\d{3}(\d{2})?"), "3 或 5 位数字，如 30201", "3 or 5 digits, such as 30201")


@dataclass
class Context:
    """The mapped columns of one file (field → text cells), their header names, amount scales."""

    cells: Mapping[str, pd.Series]
    names: Mapping[str, str]
    scales: Mapping[str, int]
    log: ProblemLog
    kind: str
    synonyms: Mapping[str, Sequence[str]] | None = None
    header_row: int | None = None  # as Excel shows it: where a missing column was looked for
    preamble: Sequence[Sequence[str]] = ()  # the rows above the header (a target table's 预算单位 row)
    merged: frozenset[str] = frozenset()  # fields merged over several rows somewhere (jobs/ingest/merged.py)
    departments: DepartmentRules | None = None  # the config's word on departments (jobs/ingest/departments.py)

    @property
    def index(self) -> pd.Index:
        return next(iter(self.cells.values())).index

    @property
    def date_field(self) -> str | None:
        return DATE_FIELD.get(self.kind)

    @property
    def amount_fields(self) -> tuple[str, ...]:
        if self.kind == "quota":
            return ("initial", "adjustment", "current", "reported_paid", "available")
        return ("amount",)

    def label(self, field_name: str) -> str:
        return vocabulary(self.kind, self.synonyms)[field_name][0]

    def has(self, field_name: str) -> bool:
        return field_name in self.cells

    def parse(self, field_name: str, parser: Callable[[str], object], *, required: bool = False,
              **params) -> pd.Series:
        if field_name not in self.cells:
            return pd.Series(None, index=self.index, dtype=object)
        return parse_column(self.cells[field_name], parser, self.names[field_name], self.log,
                            required=required, problem_params=params or None)

    def text(self, field_name: str, *, required: bool = False) -> pd.Series:
        return self.parse(field_name, lambda t: normalize_text(t), required=required)

    def amount(self, field_name: str, *, required: bool = False) -> pd.Series:
        scale = self.scales.get(field_name, 100)
        return self.parse(field_name, lambda t: parse_fen(t, scale), required=required)

    def require(self, *field_names: str) -> bool:
        """Each field must have a column; report the missing ones. True if all are there."""
        missing = [f for f in field_names if f not in self.cells]
        for f in missing:
            names = "、".join(vocabulary(self.kind, self.synonyms)[f])
            self.log.add(problem("missing_column", row=self.header_row, field=self.label(f), names=names))
        return not missing


def _coded(context: Context, combined: str, code: str, name: str, *, what: tuple[str, str],
           example: str, pattern: tuple[re.Pattern, str, str] | None = None, name_only: bool = False,
           required: bool = False) -> tuple[pd.Series, pd.Series]:
    """A dimension given as one "code - name" column or as separate code and name columns."""
    zh, en = what
    if context.has(code):
        codes = context.text(code, required=required)
        # The name column; "预算单位名称" beside 单位编码 is read as the combined column: a name.
        names = context.text(name if context.has(name) or not context.has(combined) else combined)
    elif context.has(combined):
        def split(text: str) -> tuple[str, str | None]:
            try:
                return parse_code_name(text)
            except CellError:
                if name_only:
                    return normalize_text(text), normalize_text(text)
                raise
        pairs = context.parse(combined, split, required=required, what=zh, what_en=en, example=example)
        pair_list = pairs.tolist()
        codes = pd.Series([None if p is None else p[0] for p in pair_list], index=pairs.index, dtype=object)
        names = pd.Series([None if p is None else p[1] for p in pair_list], index=pairs.index, dtype=object)
        code = combined
    else:
        return context.text(code), context.text(name)  # neither column: all None
    if pattern is not None:
        regex, expected, expected_en = pattern
        malformed = {c for c in codes.dropna().unique() if not regex.fullmatch(c)}  # each code once
        for row, value in codes[codes.isin(malformed)].items():
            if value is not None:
                context.log.add(problem("bad_code", row=int(row), column=context.names[code], value=value,
                                        what=zh, what_en=en, found=value, expected=expected,
                                        expected_en=expected_en))
    return codes, names


def _dimensions(context: Context, frame: pd.DataFrame, *, unit_required: bool) -> None:
    frame["department_code"], frame["department_name"] = _coded(
        context, "department", "department_code", "department_name", what=("主管部门", "department"),
        example="158 - 乌鲁木齐市科学技术协会")
    frame["unit_code"], frame["unit_name"] = _coded(
        context, "unit", "unit_code", "unit_name", what=("预算单位", "budget unit"),
        example="158001 - 乌鲁木齐市科学技术协会", required=unit_required)
    if not (context.has("department") or context.has("department_code")):
        attach_departments(frame, context.preamble, context.departments)  # a title row, the config
    frame["functional_class"], frame["functional_name"] = _coded(
        context, "functional", "functional_code", "functional_name", what=("功能分类", "functional class"),
        example="2060701 - 机构运行", pattern=_FUNCTIONAL)
    frame["economic_class"], frame["economic_name"] = _coded(
        context, "economic", "economic_code", "economic_name", what=("经济分类", "economic class"),
        example="30201 - 办公费", pattern=_ECONOMIC)
    frame["gov_economic_class"], _ = _coded(
        context, "gov_economic", "gov_economic", "gov_economic", what=("政府预算经济分类", "class"),
        example="50201 - 办公经费")
    frame["project_code"], frame["project_name"] = _coded(
        context, "project", "project_code", "project_name", what=("项目", "project"),
        example="158001230001 - 科普经费", name_only=True)
    frame["fund_type"] = context.text("fund_type")
    frame["quota_no"] = context.text("quota_no", required=context.kind == "quota")
    frame["doc_no"] = context.text("doc_no")


def quota_lines(context: Context) -> pd.DataFrame:
    frame = pd.DataFrame(index=context.index)
    context.require("quota_no")
    if not (context.has("unit") or context.has("unit_code")):
        context.require("unit")
    if not (context.has("current") or context.has("initial")):
        context.require("current")
    _dimensions(context, frame, unit_required=True)
    given = [context.amount(f, required=f != "adjustment") if context.has(f) else None
             for f in ("initial", "adjustment", "current")]
    amounts = [_complete_amounts(context, row, *(s[row] if s is not None else None for s in given))
               for row in frame.index]
    for position, name in enumerate(("initial", "adjustment", "current")):
        frame[name] = pd.Series([a[position] for a in amounts], index=frame.index, dtype=object)
    frame["reported_paid"] = context.amount("reported_paid")
    frame["available"] = context.amount("available")
    expense = context.parse("expense_type", lambda t: parse_choice(t, EXPENSE_TYPE))
    if context.has("project") or context.has("project_code"):
        inferred = frame["project_code"].map(lambda p: "basic" if p is None else "project")
        frame["expense_type"] = expense.where(expense.notna(), inferred)
    else:  # neither column: the stored type stays (a later export that leaves both out changes nothing)
        frame["expense_type"] = expense
    frame["source"] = context.text("source")
    if context.has("three_public"):
        frame["three_public"] = context.parse("three_public", parse_flag).fillna(False).astype(bool)
    elif context.has("economic") or context.has("economic_code"):
        frame["three_public"] = frame["economic_class"].isin(THREE_PUBLIC_CLASSES)
    else:  # no economic class to tell from: the stored flag stays
        frame["three_public"] = None
    return _without_repeats(context, frame, "quota_no")


def _complete_amounts(context: Context, row, initial, adjustment, current):
    """年初预算数 + 调整数 = 调整后预算数: derive the one an export leaves out; check all three
    when it has them."""
    if None not in (initial, adjustment, current) and initial + adjustment != current:
        context.log.add(problem("quota_sum_mismatch", row=int(row), column=context.names.get("current"),
                                initial=f"{from_fen(initial):,}", adjustment=f"{from_fen(adjustment):,}",
                                current=f"{from_fen(current):,}"))
    if current is None and initial is not None:
        current = initial + (adjustment or 0)
    if initial is None and current is not None:
        initial = current - (adjustment or 0)
    if adjustment is None and None not in (initial, current):
        adjustment = current - initial
    return initial, adjustment, current


def payments(context: Context) -> pd.DataFrame:
    frame = pd.DataFrame(index=context.index)
    context.require("payment_no", "pay_date", "amount")
    frame["payment_no"] = context.text("payment_no", required=True)
    frame["pay_date"] = context.parse("pay_date", parse_date)
    frame["amount"] = context.amount("amount", required=True)
    status = context.parse("status", lambda t: parse_choice(t, PAYMENT_STATUS))
    frame["status"] = status.where(status.notna(), "paid")
    _require_dates_of_counted(context, frame)
    _dimensions(context, frame, unit_required=False)
    for name in ("payee", "purpose", "settlement", "original_payment_no"):
        frame[name] = context.text(name)
    _check_unit_or_quota(context, frame)
    return _without_repeats(context, frame, "payment_no")


def _require_dates_of_counted(context: Context, frame: pd.DataFrame) -> None:
    """A row that counts needs its 支付日期; a voided, pending or returned one does not (a voucher
    that was never paid has no payment date in most systems). Such rows are taken: the store keeps
    a date it already has, and a new one is dated the first day of its year, which no figure and
    no "data up to" date reads (they count paid rows only)."""
    if "pay_date" not in context.cells:
        return
    raw = context.cells["pay_date"]
    for row in frame.index[frame["pay_date"].isna()]:  # an unreadable date is a problem already
        if normalize_text(raw[row]) == "" and counts_as_paid(frame.at[row, "status"], frame.at[row, "amount"]):
            context.log.add(problem("missing_value", row=int(row), column=context.names["pay_date"]))


def adjustments(context: Context) -> pd.DataFrame:
    frame = pd.DataFrame(index=context.index)
    context.require("adjustment_no", "adjusted_on", "amount")
    frame["adjustment_no"] = context.text("adjustment_no", required=True)
    frame["adjusted_on"] = context.parse("adjusted_on", parse_date, required=True)
    frame["amount"] = context.amount("amount", required=True)
    kind = context.parse("adjustment_type", lambda t: parse_choice(t, ADJUSTMENT_TYPE))
    by_sign = frame["amount"].map(lambda a: None if a is None else ("add" if a >= 0 else "cut"))
    frame["adjustment_type"] = kind.where(kind.notna(), by_sign)
    frame["reason"] = context.text("reason")
    frame["exempt_category"] = context.parse("exempt_category", lambda t: parse_choice(t, EXEMPT))
    _dimensions(context, frame, unit_required=False)
    _check_unit_or_quota(context, frame)
    _check_signs(context, frame)
    _check_transfers_balance(context, frame)
    # One 调整单 may move several lines (a 调剂 leaves one line and joins another): a row is
    # the adjustment of one line, keyed by (调整单号, 指标明细号).
    return _without_repeats(context, frame, "adjustment_no", "quota_no")


_SIGN = {"add": 1, "cut": -1}  # 追加 adds, 追减 takes away; a 调剂 moves either way


def _check_signs(context: Context, frame: pd.DataFrame) -> None:
    """A 追加 with a negative amount (or a 追减 with a positive one) says two opposite things:
    which one is meant cannot be told, so the row is refused rather than read either way."""
    for row, kind, amount in zip(frame.index, frame["adjustment_type"], frame["amount"]):
        sign = _SIGN.get(kind)
        if sign is None or amount is None or amount * sign >= 0:
            continue
        context.log.add(problem("adjustment_sign", row=int(row), column=context.names.get("amount"),
                                value=f"{from_fen(amount):,}", amount=f"{from_fen(amount):,}",
                                kind=_KIND_ZH[kind], kind_en=kind))


_KIND_ZH = {"add": "追加", "cut": "追减", "transfer": "调剂"}


def _check_transfers_balance(context: Context, frame: pd.DataFrame) -> None:
    """The rows of one 调剂 (the line it leaves and the line it joins) net to zero: a transfer
    moves money, it neither adds nor takes any. A 调整单号 with one 调剂 row is one side of a
    transfer whose other side has its own number, and is not checked here."""
    moved = frame[(frame["adjustment_type"] == "transfer") & frame["adjustment_no"].notna()
                  & frame["amount"].notna()]
    for number, sides in moved.groupby("adjustment_no", sort=False):
        total = sum(int(a) for a in sides["amount"])
        if len(sides) < 2 or total == 0:
            continue
        rows = "、".join(str(int(r)) for r in sides.index)
        context.log.add(problem("transfer_unbalanced", row=int(sides.index[-1]), column=context.names.get("amount"),
                                value=number, key=number, rows=rows, total=f"{from_fen(total):,}"))


def _check_unit_or_quota(context: Context, frame: pd.DataFrame) -> None:
    if not (context.has("unit") or context.has("unit_code") or context.has("quota_no")):
        context.require("unit")
        return
    lacking = frame["unit_code"].isna() & frame["quota_no"].isna()
    for row in frame.index[lacking]:
        context.log.add(problem("unit_missing", row=int(row)))


def _without_repeats(context: Context, frame: pd.DataFrame, key: str, *also: str) -> pd.DataFrame:
    """The same key (``key`` with the columns ``also``) twice in one file is fine when the rows
    agree (an overlapping export) and a problem when they differ; agreeing repeats are dropped."""
    keyed = frame[frame[key].notna()]
    repeated = keyed[keyed.duplicated(subset=[key, *also], keep=False)]
    if repeated.empty:
        return frame
    first_rows: dict[str, int] = {}
    drop = []
    comparable = repeated.astype(str)
    for row, values in comparable.iterrows():
        k = " / ".join(values[c] for c in (key, *also) if values[c] != "None")
        if k not in first_rows:
            first_rows[k] = row
            continue
        if values.equals(comparable.loc[first_rows[k]]):
            drop.append(row)
        else:
            context.log.add(problem("duplicate_key", row=int(row), column=context.names.get(KEY_FIELD[context.kind]),
                                    value=k, key=k, other_row=first_rows[k]))
    return frame.drop(index=drop)


KIND_RULES: dict[str, Callable[[Context], pd.DataFrame]] = {
    "quota": quota_lines,
    "payments": payments,
    "adjustments": adjustments,
}
