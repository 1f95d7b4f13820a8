"""Header vocabulary: which column is which, through synonyms (docs/DOMAIN.md, "Inputs").

No official column specification of the 预算管理一体化 exports is public, and vendors differ, so
every field has a list of names; a user adds more in the config file (``[ingest.synonyms]``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

KINDS = ("quota", "payments", "adjustments", "targets", "progress")

# field → accepted header names. The first name is the one shown in messages.
COMMON: dict[str, tuple[str, ...]] = {
    "budget_year": ("预算年度", "年度", "指标年度"),
    "department": ("主管部门", "主管部门名称", "部门"),
    "department_code": ("主管部门编码", "主管部门代码", "部门编码", "部门代码"),
    "department_name": ("主管部门名称", "部门名称"),
    "unit": ("预算单位", "单位", "预算单位名称"),
    "unit_code": ("单位编码", "预算单位编码", "单位代码", "预算单位代码"),
    "unit_name": ("单位名称", "预算单位名称"),
    "functional": ("功能分类", "支出功能分类科目", "功能分类科目", "支出功能分类", "功能科目", "支出功能科目"),
    "functional_code": ("功能分类编码", "功能科目编码", "功能分类代码", "支出功能分类科目编码"),
    "functional_name": ("功能分类名称", "功能科目名称", "支出功能分类科目名称"),
    "economic": ("经济分类", "部门预算经济分类", "部门经济分类", "部门预算支出经济分类", "经济科目",
                 "经济分类科目", "部门经济分类科目", "部门支出经济分类", "部门支出经济分类科目", "支出经济分类",
                 "支出经济分类科目", "部门预算支出经济分类科目", "部门预算经济科目分类", "部门经济科目分类"),
    "economic_code": ("经济分类编码", "部门经济分类编码", "经济科目编码", "部门预算经济分类编码", "经济分类科目编码",
                      "部门经济分类科目编码", "支出经济分类科目编码"),
    "economic_name": ("经济分类名称", "部门经济分类名称", "经济科目名称", "部门预算经济分类名称", "经济分类科目名称",
                      "部门经济分类科目名称", "支出经济分类科目名称"),
    "gov_economic": ("政府预算经济分类", "政府经济分类", "政府预算支出经济分类", "政府经济分类科目", "政府支出经济分类",
                     "政府预算经济分类科目", "政府预算支出经济分类科目", "政府支出经济分类科目", "政府预算经济科目分类",
                     "政府经济科目分类"),
    "project": ("项目", "支出项目", "预算项目"),
    "project_code": ("项目代码", "项目编码", "预算项目编码", "项目编号"),
    "project_name": ("项目名称", "预算项目名称", "支出项目名称"),
    "fund_type": ("资金性质", "资金性质名称"),
    "quota_no": ("指标明细号", "指标编码", "指标ID", "指标编号", "指标明细编号"),
    "doc_no": ("指标文号", "文号", "指标文件号", "预算文号"),
}

BY_KIND: dict[str, dict[str, tuple[str, ...]]] = {
    "quota": {
        "expense_type": ("支出类型", "支出类别"),
        "source": ("指标来源", "资金来源"),
        "initial": ("年初预算数", "年初指标", "年初预算", "年初批复数", "年初数", "年初金额"),
        "adjustment": ("调整数", "调整金额", "调整指标"),
        "current": ("调整后预算数", "指标金额", "当前指标", "调整后指标", "指标总额", "预算指标", "调整后预算",
                    "调整后数", "调整后金额"),
        "reported_paid": ("已支付金额", "已支付", "累计支付", "累计支付金额", "已支付数", "支出数", "执行数"),
        "available": ("可用余额", "可用金额", "指标余额", "指标可用数", "指标可用金额", "可用指标", "指标可用余额"),
        "three_public": ("三公经费", "是否三公经费", "三公经费标识"),
    },
    "payments": {
        "payment_no": ("支付申请号", "支付凭证号", "凭证号", "支付申请编号", "支付凭证编号", "凭证编号", "支付令号"),
        "pay_date": ("支付日期", "清算日期", "凭证日期", "付款日期", "支付时间", "实际支付日期"),
        "amount": ("金额", "支付金额", "支付申请金额", "实际支付金额", "支付凭证金额"),
        "payee": ("收款人", "收款账户名称", "收款人全称", "收款人名称", "收款单位", "收款单位名称", "收款方账户名称",
                  "收款人账户名称"),
        "purpose": ("用途", "资金用途", "摘要", "支付用途", "用途说明"),
        "status": ("支付状态", "状态", "凭证状态"),
        "settlement": ("结算方式",),
        "original_payment_no": ("原支付申请号", "原凭证号"),
    },
    "adjustments": {
        "adjustment_no": ("调整单号", "调整单编号"),
        "adjusted_on": ("调整日期",),
        "adjustment_type": ("调整类型",),
        "amount": ("调整金额", "调整数"),
        "reason": ("调整原因",),
        "exempt_category": ("豁免类别", "调整性质", "不计入调整率类别"),
    },
    # 绩效目标表: one row per indicator (三级指标) of a project, or of the unit as a whole.
    "targets": {
        "level1": ("一级指标",),
        "level2": ("二级指标",),
        "indicator": ("三级指标", "三级指标名称", "指标名称"),
        "target_value": ("指标值", "目标值", "年度指标值"),
        "weight": ("分值权重", "指标分值权重", "权重", "分值"),
        "leader": ("项目负责人", "负责人"),
        "due_on": ("完成时限", "截止日期"),
        "window_start": ("开始日期", "时间窗口开始"),
        "milestones": ("进度计划", "里程碑", "阶段目标"),
    },
    # 绩效目标完成情况: the actual value of an indicator reached by a date.
    "progress": {
        "indicator": ("三级指标", "三级指标名称", "指标名称"),
        "reported_on": ("日期", "报告日期", "截至日期"),
        "actual": ("实际完成值", "完成值", "实际值"),
        "note": ("备注", "说明"),
    },
}

# Names that give way to another name of the same field in the same header: an export that has
# both 支付申请金额 and 实际支付金额 paid the latter; 凭证日期 beside 支付日期 is the voucher's date;
# 摘要 beside 用途 is a note. Two columns of the same name, or of two strong names, stay a problem.
WEAK: dict[str, frozenset[str]] = {
    "amount": frozenset({"支付申请金额", "支付凭证金额"}),
    "pay_date": frozenset({"凭证日期", "支付时间"}),
    "purpose": frozenset({"摘要", "用途说明"}),
    "status": frozenset({"状态"}),
    "current": frozenset({"预算指标"}),
    "payee": frozenset({"收款单位", "收款单位名称"}),
}

# The column a header of each kind must name, and the record key where that is one column.
# Targets are keyed by (unit, project, 三级指标) and progress by (target, date): their key
# columns may come from the rows above the header, and are checked in target_refs.py.
KEY_FIELD = {"quota": "quota_no", "payments": "payment_no", "adjustments": "adjustment_no",
             "targets": "indicator", "progress": "indicator"}
HEADER_SCAN_ROWS = 30

_UNIT_IN_HEADER = re.compile(r"[(（\[]\s*(万元|元)\s*[)）\]]$")
_NOISE = re.compile("[\\s*＊:：\u200b\u2060\ufeff\x00-\x1f]")  # and a BOM or zero-width space


def normalize_header(text: str) -> str:
    """Full-width → ASCII, no spaces, no required-field stars, no "(元)" suffix."""
    s = unicodedata.normalize("NFKC", str(text))
    s = _NOISE.sub("", s)
    s = re.sub(r"\((万元|元)\)$", "", s)
    return s.upper()


def header_scale(text: str) -> int | None:
    """fen per unit when the header itself names the unit, e.g. ``金额（万元）``."""
    match = _UNIT_IN_HEADER.search(unicodedata.normalize("NFKC", str(text)).strip())
    if not match:
        return None
    return 1_000_000 if match.group(1) == "万元" else 100


def vocabulary(kind: str, extra: Mapping[str, Sequence[str]] | None = None) -> dict[str, tuple[str, ...]]:
    """The fields of ``kind`` and their names, the user's synonyms first."""
    fields = {**COMMON, **BY_KIND[kind]}
    for name, synonyms in (extra or {}).items():
        if name in fields:
            fields[name] = tuple(synonyms) + fields[name]
    return fields


def _lookup(kind: str, extra) -> dict[str, str]:
    table: dict[str, str] = {}
    for field, names in vocabulary(kind, extra).items():
        for name in names:
            table.setdefault(normalize_header(name), field)
    return table


@dataclass(frozen=True)
class Header:
    """Where the header is (0-based grid rows ``first``..``last``) and each column's text."""

    first: int
    last: int
    texts: tuple[str, ...]


def _flatten(grid: Sequence[Sequence[str]], first: int, height: int) -> tuple[str, ...]:
    """A header over two rows with merged cells: the top cell spreads right over empty cells
    (that is how a merged cell reads), and each column is named by its lower cell, or by
    top+lower when that is a known name (单位 + 编码 → 单位编码), or by the top cell alone."""
    top = list(grid[first])
    if height == 1:
        return tuple(str(t).strip() for t in top)
    bottom = list(grid[first + 1])
    width = max(len(top), len(bottom))
    top += [""] * (width - len(top))
    bottom += [""] * (width - len(bottom))
    texts, group = [], ""
    for upper, lower in zip(top, bottom):
        upper, lower = upper.strip(), lower.strip()
        group = upper or group  # a horizontally merged cell is empty right of its first column
        if not lower:
            texts.append(upper)
        elif group and lower != group:
            texts.append(f"{group}\u0000{lower}")  # resolved against the vocabulary later
        else:
            texts.append(lower)
    return tuple(texts)


def resolve_two_row(text: str, lookup: Mapping[str, str]) -> str:
    if "\u0000" not in text:
        return text
    upper, lower = text.split("\u0000")
    if normalize_header(lower) in lookup:
        return lower
    if normalize_header(upper + lower) in lookup:
        return upper + lower
    if normalize_header(lower + upper) in lookup:  # 金额 over 年初 / 调整 / 调整后: 年初金额, 调整金额 …
        return lower + upper
    return lower


def find_header(grid: Sequence[Sequence[str]], kind: str | None, extra=None) -> tuple[Header, str] | None:
    """Scan the first rows for the header: the row (or pair of rows) naming the most known
    fields including the key field of its kind. Returns the header and the kind, or None."""
    kinds = (kind,) if kind else KINDS
    lookups = {k: _lookup(k, extra) for k in KINDS}
    best: tuple[int, int, Header, str] | None = None
    for kind_ in kinds:
        for first in range(min(len(grid), HEADER_SCAN_ROWS)):
            for height in (1, 2):
                if first + height > len(grid):
                    continue
                texts = tuple(resolve_two_row(t, lookups[kind_]) for t in _flatten(grid, first, height))
                names = {normalize_header(t) for t in texts}
                fields = {f for f in (lookups[kind_].get(n) for n in names) if f is not None}
                if not _plausible(kind_, fields, names, lookups):
                    continue
                candidate = (len(fields), -height, Header(first, first + height - 1, texts), kind_)
                if best is None or candidate[:2] > best[:2]:
                    best = candidate
    return None if best is None else (best[2], best[3])


def _plausible(kind: str, fields: set[str], names: set[str], lookups) -> bool:
    """A header of ``kind`` names its key field and one more. A quota export also names a
    budget amount, and never a payment's or an adjustment's own id: a payment export names
    its quota line (指标明细号) too, and must not pass for a quota export without its id.
    A target table names its 指标值 and a progress report its actual value and date."""
    if KEY_FIELD[kind] not in fields or len(fields) < 2:
        return False
    if kind == "targets":  # a progress report may repeat the 指标值 beside its actual value
        return "target_value" in fields and "actual" not in {lookups["progress"].get(n) for n in names}
    if kind == "progress":
        return {"actual", "reported_on"} <= fields
    if kind != "quota":
        return True
    others = {lookups["payments"].get(n) for n in names} | {lookups["adjustments"].get(n) for n in names}
    foreign = {"payment_no", "pay_date", "adjustment_no", "adjusted_on"} & others
    return bool({"initial", "current"} & fields) and not foreign


def map_columns(texts: Sequence[str], kind: str, extra=None) -> dict[str, list[int]]:
    """field → the column positions whose header names it (more than one is a problem)."""
    lookup = _lookup(kind, extra)
    found: dict[str, list[int]] = {}
    for position, text in enumerate(texts):
        field = lookup.get(normalize_header(text))
        if field:
            found.setdefault(field, []).append(position)
    for field, positions in found.items():
        weak = {normalize_header(n) for n in WEAK.get(field, ())}
        strong = [p for p in positions if normalize_header(texts[p]) not in weak]
        if len(positions) > 1 and strong:
            found[field] = strong
    return found
