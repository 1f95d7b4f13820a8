"""Ingest problems as values: each names the file, the row as Excel shows it, the column, the
value found and what was expected. They are collected, never raised one by one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from monitor.i18n import render

MESSAGES: Mapping[str, Mapping[str, str]] = {
    "file_unreadable": {
        "zh": "无法读取文件：{reason}",
        "en": "cannot read the file: {reason}",
    },
    "file_missing": {"zh": "文件不存在", "en": "the file does not exist"},
    "file_forbidden": {"zh": "没有读取该文件的权限", "en": "no permission to read the file"},
    "is_folder": {"zh": "这是一个文件夹，不是文件", "en": "this is a folder, not a file"},
    "unsupported_format": {
        "zh": "不支持的文件类型“{suffix}”：请使用 .xlsx、.xls 或 .csv",
        "en": "unsupported file type '{suffix}': use .xlsx, .xls or .csv",
    },
    "empty_file": {"zh": "文件为空", "en": "the file is empty"},
    "not_text": {
        "zh": "不是文本文件（含二进制内容），不能作为 CSV 读取",
        "en": "not a text file (it has binary content); cannot be read as CSV",
    },
    "unknown_encoding": {
        "zh": "无法识别文件编码：既不是 UTF-8 也不是 GBK/GB18030{hint}",
        "en": "unknown text encoding: neither UTF-8 nor GBK/GB18030{hint_en}",
    },
    "ragged_row": {
        "zh": "该行有 {found} 列，多于表头的 {expected} 列",
        "en": "the row has {found} columns, more than the header's {expected}",
    },
    "no_header": {
        "zh": "找不到表头：前 {rows} 行中没有可识别的列名（如 指标明细号、支付申请号、调整单号）",
        "en": "no header found: none of the first {rows} rows has known column names "
        "(such as 指标明细号, 支付申请号, 调整单号)",
    },
    "unknown_kind": {
        "zh": "无法判断是指标、支付还是调整文件；请用 --kind 指定",
        "en": "cannot tell whether this is a quota, payment or adjustment export; use --kind",
    },
    "missing_column": {
        "zh": "缺少必需的列“{field}”（可用的列名：{names}）",
        "en": "required column '{field}' is missing (accepted names: {names})",
    },
    "duplicate_column": {
        "zh": "“{field}”出现在多列：{columns}",
        "en": "'{field}' appears in more than one column: {columns}",
    },
    "no_rows": {"zh": "表头下没有数据行", "en": "there are no data rows under the header"},
    "missing_value": {"zh": "必填项为空", "en": "a value is required here"},
    "bad_amount": {
        "zh": "金额无法识别：应为数字，如 1,234.56、-100 或 (1,234.00)",
        "en": "not an amount: expected a number such as 1,234.56, -100 or (1,234.00)",
    },
    "sub_fen": {
        "zh": "金额精度超过 1 分（{unit}）",
        "en": "the amount is finer than one fen ({unit})",
    },
    "amount_too_large": {
        "zh": "金额过大（超过 1 万亿元），疑为错误数据",
        "en": "the amount is implausibly large (over 1 trillion yuan)",
    },
    "bad_date": {
        "zh": "日期无法识别：应为 2023-03-31、2023/3/31、20230331、2023年3月31日 或 Excel 日期",
        "en": "not a date: expected 2023-03-31, 2023/3/31, 20230331, 2023年3月31日 or an Excel date",
    },
    "date_outside_year": {
        "zh": "日期 {date} 不在预算年度 {year} 年内",
        "en": "the date {date} is outside the budget year {year}",
    },
    "bad_year": {
        "zh": "预算年度无法识别：应为四位年份，如 2023",
        "en": "not a budget year: expected four digits such as 2023",
    },
    "no_year": {
        "zh": "无法确定预算年度：文件中没有“预算年度”列或标题中的年份；请用 --year 指定",
        "en": "cannot tell the budget year: no 预算年度 column or year in the title; use --year",
    },
    "bad_code_name": {
        "zh": "无法识别{what}：应为“编码 - 名称”，如 {example}",
        "en": "cannot read the {what_en}: expected 'code - name', such as {example}",
    },
    "bad_code": {
        "zh": "{what}编码“{found}”格式不对：应为 {expected}",
        "en": "the {what_en} code '{found}' is malformed: expected {expected_en}",
    },
    "bad_choice": {
        "zh": "无法识别的取值：应为 {choices} 之一",
        "en": "unknown value: expected one of {choices}",
    },
    "duplicate_key": {
        "zh": "{key} 与第 {other_row} 行重复，且内容不同",
        "en": "{key} repeats row {other_row} with different content",
    },
    "totals_mismatch": {
        "zh": "合计行为 {total}，而明细之和为 {sum}（差 {diff}）",
        "en": "the totals row says {total} but the rows sum to {sum} (off by {diff})",
    },
    "quota_sum_mismatch": {
        "zh": "年初预算数 {initial} + 调整数 {adjustment} ≠ 调整后预算数 {current}",
        "en": "initial {initial} + adjustment {adjustment} ≠ current budget {current}",
    },
    "unit_missing": {
        "zh": "没有预算单位，也没有可关联的指标明细号",
        "en": "neither a budget unit nor a quota line id to find it by",
    },
    "unit_name_conflict": {
        "zh": "单位 {code} 在第 {other_row} 行名为“{other}”，此处为“{name}”",
        "en": "unit {code} is named '{other}' on row {other_row} but '{name}' here",
    },
    # --- performance targets (绩效目标表) and progress reports -----------------------------
    "bad_target": {"zh": "{reason}", "en": "{reason_en}"},
    "bad_milestones": {
        "zh": "进度计划无法识别：{reason}",
        "en": "cannot read the milestone schedule: {reason_en}",
    },
    "bad_weight": {
        "zh": "分值权重无法识别：应为不小于 0 的数，如 10",
        "en": "not a weight: expected a number of at least 0, such as 10",
    },
    "bad_actual": {
        "zh": "完成值无法识别：应为一个不小于 0 的数，可带计量单位，如 8、8场次、92%、12.5万元",
        "en": "not an actual value: expected one number of at least 0, optionally with its measure, "
              "such as 8, 8场次, 92% or 12.5万元",
    },
    "measure_mismatch": {
        "zh": "计量单位“{found}”与目标“{name}”的指标值 {target} 不一致（应为“{expected}”）",
        "en": "the measure '{found}' disagrees with the target '{name}' ({target}: expected '{expected}')",
    },
    "window_after_due": {
        "zh": "开始日期 {start} 晚于完成时限 {due}",
        "en": "the start date {start} is after the due date {due}",
    },
    "unknown_unit": {
        "zh": "数据库中没有名为“{name}”的预算单位（先导入指标明细，或写成“编码 - 名称”）",
        "en": "no budget unit named '{name}' in the database (import the quota lines first, or write "
              "'code - name')",
    },
    "unknown_unit_code": {
        "zh": "数据库中没有编码为 {code} 的预算单位",
        "en": "no budget unit with the code {code} in the database",
    },
    "ambiguous_unit": {
        "zh": "有 {count} 个预算单位名为“{name}”（{codes}）：请写成“编码 - 名称”",
        "en": "{count} budget units are named '{name}' ({codes}): write 'code - name'",
    },
    "unknown_project": {
        "zh": "预算单位 {unit} 没有项目“{project}”（项目来自指标明细导出：先导入指标明细，或写项目代码）",
        "en": "the budget unit {unit} has no project '{project}' (projects come from the quota export: "
              "import it first, or give the project code)",
    },
    "ambiguous_project": {
        "zh": "预算单位 {unit} 有 {count} 个项目名为“{project}”（{codes}）：请写项目代码",
        "en": "the budget unit {unit} has {count} projects named '{project}' ({codes}): give the project code",
    },
    "project_other_unit": {
        "zh": "项目 {project} 属于预算单位 {owner}，不属于 {unit}",
        "en": "the project {project} belongs to the budget unit {owner}, not to {unit}",
    },
    "duplicate_indicator": {
        "zh": "“{name}”与第 {other_row} 行重复：同一单位、同一项目的三级指标只能有一行",
        "en": "'{name}' repeats row {other_row}: an indicator of one unit and project has one row only",
    },
    "unknown_target": {
        "zh": "{year} 年{owner}没有三级指标“{name}”的绩效目标（先导入绩效目标表）",
        "en": "{owner_en} has no performance target '{name}' in {year} (import the target table first)",
    },
    "duplicate_report": {
        "zh": "与第 {other_row} 行是同一指标、同一日期，而完成值不同",
        "en": "repeats the indicator and date of row {other_row} with another actual value",
    },
    "too_many_problems": {
        "zh": "问题过多，仅列出前 {shown} 个（共 {total} 个）",
        "en": "too many problems: the first {shown} of {total} are listed",
    },
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file. ``row`` is the row number Excel shows (1-based), or None
    for a problem of the whole file; ``column`` is the header text as the file has it."""

    code: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    params: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))

    def message(self, language: str = "zh") -> str:
        return render(MESSAGES, self.code, language, self.params)

    def to_json(self, language: str = "zh") -> dict:
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "code": self.code,
            "message": self.message(language),
        }

    def describe(self, file_name: str, language: str = "zh") -> str:
        """One line a person reads: ``file:row:column: message (value)``."""
        where = [file_name]
        if self.row is not None:
            where.append(f"{'第' if language == 'zh' else 'row '}{self.row}{'行' if language == 'zh' else ''}")
        if self.column:
            where.append(self.column)
        found = ""
        if self.value not in (None, ""):
            found = f"（值：{self.value}）" if language == "zh" else f" (value: {self.value})"
        return f"{' · '.join(where)}: {self.message(language)}{found}"


def problem(code: str, /, row: int | None = None, column: str | None = None,
            value: object = None, **params: object) -> Problem:
    text = None if value is None else str(value)[:200]
    return Problem(code, row, column, text, MappingProxyType(dict(params)))


class Refused(Exception):
    """Raised inside the ingest pipeline when a file cannot go on; carries every problem."""

    def __init__(self, problems: list[Problem], kind: str | None = None):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems
        self.kind = kind
