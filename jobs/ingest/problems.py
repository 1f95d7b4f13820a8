"""Ingest problems as values: each names the file, the row as Excel shows it, the column, the
value found and what was expected. They are collected, never raised one by one."""

from __future__ import annotations

import re
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
    "is_symlink": {"zh": "这是一个符号链接：不跟随链接，请放入文件本身",
                   "en": "this is a symbolic link: links are not followed; drop the file itself"},
    "not_regular": {"zh": "不是普通文件（如管道或设备）", "en": "not a regular file (a pipe or a device)"},
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
    "wrong_content": {
        "zh": "文件扩展名是 {suffix}，内容却是{found}：{advice}",
        "en": "the file is named {suffix} but holds {found_en}: {advice_en}",
    },
    "mixed_encoding": {
        "zh": "文件前面是 {first} 编码，从此行起却是{then}：请把整个文件另存为 UTF-8",
        "en": "the file is in {first} before this line and in {then_en} from it on: save the whole file as UTF-8",
    },
    "bom_in_middle": {
        "zh": "此行以 BOM（U+FEFF）开头：疑为两个导出文件首尾拼接而成，请分别导入",
        "en": "this line starts with a byte-order mark (U+FEFF): two exports pasted together? Import them "
              "one by one",
    },
    "nul_character": {
        "zh": "此行含有 NUL 空字符（\\0），不是正常的文本：请从系统重新导出",
        "en": "this line holds a NUL character (\\0), which no text export has: export the file again",
    },
    "unclosed_quote": {
        "zh": "从此行开始的引号直到文件末尾都没有闭合：请检查该行的双引号",
        "en": "a quote opened on this line is never closed before the end of the file: check its double quotes",
    },
    "cell_too_long": {
        "zh": "单元格至少有 {length:,} 个字符，超过 Excel 单元格的上限 {limit:,}",
        "en": "the cell holds at least {length:,} characters, more than Excel allows in a cell ({limit:,})",
    },
    "too_long": {
        "zh": "内容过长：{length:,} 个字符，此列至多 {limit} 个",
        "en": "too long: {length:,} characters, at most {limit} in this column",
    },
    "too_many_columns": {
        "zh": "文件至少有 {found:,} 列，至多读取 {limit} 列",
        "en": "the file has at least {found:,} columns; at most {limit} are read",
    },
    "too_many_cells": {
        "zh": "工作表的区域过大：至少 {rows:,} 行 × {columns:,} 列，至多 {limit:,} 个单元格",
        "en": "a sheet spans too many cells: at least {rows:,} rows × {columns:,} columns, at most {limit:,} cells",
    },
    "workbook_too_large": {
        "zh": "工作簿解压后将有 {size}（文件本身 {packed}），上限 {limit}：疑为压缩炸弹或损坏的文件",
        "en": "the workbook would inflate to {size} (the file itself is {packed}), at most {limit}: "
              "a zip bomb or a damaged file",
    },
    "file_too_large": {
        "zh": "文件过大（{size}），上限 {limit}：请按时间段分别导出",
        "en": "the file is too large ({size}), at most {limit}: export shorter periods separately",
    },
    "garbled_header": {
        "zh": "找不到表头，且前几行像是乱码（按 {encoding} 读出“{sample}”）：文件可能是其他编码"
              "（如 Shift-JIS、Big5、按 Latin-1 转存过的 UTF-8），请另存为 UTF-8 或 Excel 文件",
        "en": "no header found, and the first rows look garbled (read as {encoding}: '{sample}'): the file may be "
              "in another encoding (Shift-JIS, Big5, UTF-8 once saved as Latin-1); save it as UTF-8 or Excel",
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
    "not_an_export": {
        "zh": "此文件看来是{what}（{evidence}），不是本系统读取的导出文件：请放入{expected}",
        "en": "this file looks like {what_en} ({evidence_en}), not an export the monitor reads: drop "
              "{expected_en} instead",
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
        "zh": "金额精度超过 1 分（{unit}）{hint}",
        "en": "the amount is finer than one fen ({unit}){hint_en}",
    },
    "wan_suspected": {
        "zh": "金额疑为万元，缺少“单位：万元”行：{rows} 行中有 {count} 行的金额约为应有的万分之一（见以下各行）；"
              "请在标题下加一行“单位：万元”，或按元重新导出",
        "en": "the amounts look like 万元 (10,000 yuan) without a 单位：万元 row: {count} of {rows} rows are about "
              "1/10,000 of what they should be (see the rows below); add a 单位：万元 row under the title, or "
              "export in yuan",
    },
    "wan_suspected_row": {
        "zh": "金额疑为万元：{reason}",
        "en": "the amount looks like 万元: {reason_en}",
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
        "zh": "无法确定预算年度：文件中没有“预算年度”列或标题中的年份，行中也看不出；请用 --year 指定，"
              "或在文件名中写明年度（如 指标明细_2023.xlsx）",
        "en": "cannot tell the budget year: no 预算年度 column or year in the title, and the rows do not tell "
              "it; use --year, or put the year in the file name (such as 指标明细_2023.xlsx)",
    },
    "years_apart": {
        "zh": "按{by_zh}，此文件的行分属 {years} 年（{rows_zh}），不是跨新年的导出：请按年度分别导出，"
              "或用 --year 指定预算年度",
        "en": "by {by_en}, the rows belong to {years} ({rows_en}), which is no export spanning New Year: "
              "export each year apart, or give the budget year with --year",
    },
    "year_given_spans": {
        "zh": "按{by_zh}，此文件跨新年（{rows_zh}）：不加 --year 导入，各行即分别导入各自的年度；"
              "--year {year} 只适用于全部行都属于 {year} 年的文件",
        "en": "by {by_en}, the file spans New Year ({rows_en}): ingest it without --year and each row goes to "
              "its own year; --year {year} fits a file whose rows are all of {year}",
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
    "subtotal_mismatch": {
        "zh": "“{of}”的小计为 {total}，而该单位明细之和为 {sum}（差 {diff}）",
        "en": "the subtotal of '{of}' says {total} but its unit's rows sum to {sum} (off by {diff})",
    },
    "other_kind": {
        "zh": "按 --kind {given} 导入，但此文件的表头（第 {header_row} 行）是{what}："
              "请去掉 --kind 或改为 --kind {kind}",
        "en": "ingested with --kind {given}, but the header of this file (row {header_row}) is that of "
              "{what_en}: leave out --kind, or use --kind {kind}",
    },
    "imported_as_other_kind": {
        "zh": "同一文件已于 {imported_at} 作为{what}导入（导入号 {import_id}），不能再按 --kind {given} 导入",
        "en": "this same file was ingested as {what_en} on {imported_at} (import {import_id}); it cannot "
              "be ingested again as --kind {given}",
    },
    "year_sources_disagree": {
        "zh": "无法确定预算年度：文件中没有“预算年度”列或标题中的年份，而{told_zh}不一致；请核对后用 --year 指定",
        "en": "cannot tell the budget year: no 预算年度 column or year in the title, and {told_en} "
              "disagree; check them and give the year with --year",
    },
    "quota_sum_mismatch": {
        "zh": "年初预算数 {initial} + 调整数 {adjustment} ≠ 调整后预算数 {current}",
        "en": "initial {initial} + adjustment {adjustment} ≠ current budget {current}",
    },
    "adjustment_sign": {
        "zh": "调整类型为{kind}，调整金额却是 {amount}：追加应为正数，追减应为负数；请核对类型或金额",
        "en": "the adjustment is of type {kind_en} but its amount is {amount}: an addition is positive, "
              "a cut negative; check the type or the amount",
    },
    "transfer_unbalanced": {
        "zh": "调剂 {key} 的各行（第 {rows} 行）合计 {total}，不为零：调剂只在指标之间移动资金",
        "en": "the rows of transfer {key} (rows {rows}) sum to {total}, not zero: a transfer only moves money "
              "between quota lines",
    },
    "adjustment_unknown_year": {
        "zh": "数据库中没有 {year} 年的指标，调整单无从核对：先导入指标明细导出，再导入本调整单"
              "（把该年的指标明细导出与本调整单一起放入收件箱即可，会先导入指标明细）",
        "en": "no quota lines of {year} are stored, so the adjustments cannot be checked: import the quota "
              "export first, then this file (put that year's quota export in the inbox together with this "
              "file: quota exports are imported first)",
    },
    "adjustment_unknown_line": {
        "zh": "指标明细号 {quota_no} 不在已导入的 {year} 年指标中：不能从不存在的指标调减；请核对指标明细号，"
              "或先导入含该指标的指标明细导出，再导入本调整单（两者一起放入收件箱即可，会先导入指标明细）",
        "en": "quota line {quota_no} is not among the stored quota lines of {year}: nothing can be taken from a "
              "line that does not exist; check the id, or import the quota export that has it first, then this "
              "file (put both in the inbox together: quota exports are imported first)",
    },
    "adjustment_exceeds_line": {
        "zh": "调减 {amount} 超过指标 {quota_no} 在 {date} 的预算 {budget}：调整后为 {after}，预算不能为负",
        "en": "the cut of {amount} exceeds the budget of quota line {quota_no} on {date}, {budget}: it would "
              "leave {after}; a budget cannot be negative",
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
    "too_many_merges": {
        "zh": "工作表的合并单元格超过 {limit} 处（已数到 {found} 处），不像是系统导出的文件：请取消合并后重新保存",
        "en": "the sheet has more than {limit} merged cells ({found} counted so far), which no export has: "
              "unmerge them and save it again",
    },
    "merged_figure": {
        "zh": "“{field}”第 {first}–{last} 行是一个合并单元格：每行的数值须分别填写，不能由几行共用"
              "（请取消合并，逐行填写）",
        "en": "'{field}' is one merged cell over rows {first}–{last}: each row needs its own figure, one "
              "cannot be shared by several rows (unmerge it and fill every row)",
    },
    "blank_project": {
        "zh": "项目为空，而上方第 {above} 行是项目“{project}”：此行是该项目的目标，还是单位整体的目标，"
              "无法判断（文件没有合并单元格信息）。属该项目请填写项目名称，属单位整体请填写“单位整体”",
        "en": "the project is blank under row {above}, which names the project '{project}': whether this is "
              "that project's target or the unit's as a whole cannot be told (the file has no merged cells). "
              "Write the project's name if it is the project's, or 单位整体 if it is the unit's as a whole",
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
    "measure_changed": {
        "zh": "“{name}”的计量单位由“{old}”改为“{new}”，而已有 {reports} 条按“{old}”填报的完成进度，"
              "两者无法换算：请仍按“{old}”书写指标值（原为 {target}）",
        "en": "the measure of '{name}' changes from '{old_en}' to '{new_en}', but {reports} progress report(s) "
              "in '{old_en}' are stored and cannot be converted: keep writing the value in '{old_en}' (it was "
              "{target})",
    },
    "fraction_percent": {
        "zh": "目标“{name}”以 % 计（{target}），完成值 {actual} 像是小数：是 {percent}% 吗？请写 {percent}%"
              "（确为 {actual}% 时请写 {actual}%）",
        "en": "the target '{name}' is in % ({target}) and {actual} looks like a fraction: did you mean "
              "{percent}%? write {percent}% (or {actual}% if that is what you mean)",
    },
    "other_sheet": {
        "zh": "工作表“{sheet}”（第 {header_row} 行是表头）也是{what}，而一个文件只导入一个工作表"
              "（已读工作表“{first}”）：为免遗漏，整个文件未导入；请把每个工作表另存为单独的文件再分别导入",
        "en": "the sheet '{sheet}' (header on row {header_row}) is also {what_en}, and one file imports one sheet "
              "(the sheet '{first}' was read): so that nothing is left out, the file is not imported; save each "
              "sheet as a file of its own and import them one by one",
    },
    "too_many_problems": {
        "zh": "问题过多，仅列出前 {shown} 个（共 {total} 个）",
        "en": "too many problems: the first {shown} of {total} are listed",
    },
    # Notes: an accepted file's rows a person should know about (the outcome lists them).
    "department_from_title": {
        "zh": "文件没有“主管部门”列：{units} 个单位的主管部门取自标题行（{departments}）",
        "en": "the file has no 主管部门 column: the department of {units} unit(s) is taken from the title row "
              "({departments})",
    },
    "department_from_config": {
        "zh": "文件没有“主管部门”列：{units} 个单位的主管部门取自配置 [ingest.unit_departments]（{departments}）",
        "en": "the file has no 主管部门 column: the department of {units} unit(s) is taken from the config's "
              "[ingest.unit_departments] ({departments})",
    },
    "department_from_prefix": {
        "zh": "文件没有“主管部门”列：{units} 个单位的主管部门按单位编码前几位确定"
              "（配置 department_from_unit_code；{departments}）",
        "en": "the file has no 主管部门 column: the department of {units} unit(s) is the first digits of the unit "
              "code (the config's department_from_unit_code; {departments})",
    },
    "department_unknown": {
        "zh": "警告：{count} 个预算单位没有主管部门（{units}）：文件没有“主管部门”列，标题行和配置也未写明。"
              "这些单位的部门级预警无人接收、不进入部门评分。请在配置文件中写明，如 "
              "[ingest.unit_departments] \"{example}\" = \"部门编码\"，或 [ingest] department_from_unit_code = 3"
              "（单位编码前 3 位即部门编码），然后再次导入此文件",
        "en": "warning: {count} budget unit(s) have no department ({units}): the file has no 主管部门 column and "
              "neither the title row nor the config names one. Department alerts about them reach nobody and they "
              "are in no department's score. Add to the config file e.g. [ingest.unit_departments] "
              "\"{example}\" = \"<department code>\", or [ingest] department_from_unit_code = 3 (the first 3 "
              "digits of a unit code are its department's), then import this file again",
    },
    "department_linked": {
        "zh": "按配置补上了 {count} 个已导入单位的主管部门：{units}",
        "en": "the config placed {count} stored unit(s) in their department: {units}",
    },
    "unit_two_names": {
        "zh": "警告：同一单位编码 {code} 在此文件中有两个名称：{names}；保存的是第一个",
        "en": "warning: unit code {code} has two names in this file: {names_en}; the first is kept",
    },
    "department_two_names": {
        "zh": "警告：同一主管部门编码 {code} 在此文件中有两个名称：{names}；保存的是第一个",
        "en": "warning: department code {code} has two names in this file: {names_en}; the first is kept",
    },
    "line_moved": {
        "zh": "警告：指标 {quota_no}（{year} 年）原属 {before}，此文件改为 {after}。该指标的预算和已有的 "
              "{payments} 笔支付（{amount} 元）从此全年计入 {after}，两个单位以往各日的执行数都随之改变；"
              "如非机构调整所致，请核对导出文件",
        "en": "warning: quota line {quota_no} ({year}) belonged to {before}; this file gives it to {after}. Its "
              "budget and its {payments} payment(s) ({amount} yuan) now count for {after} over the whole year, and "
              "the past figures of both units change; if this is no reorganisation, check the export",
    },
    "paid_amount_changed": {
        "zh": "注意：{count} 笔已支付凭证的金额与此前导入的不同，已按此文件更新（合计变动 {difference} 元）："
              "{payments}。如非支付系统中的更正，请核对导出文件",
        "en": "note: {count} paid payment(s) have another amount than imported before and were updated (a change of "
              "{difference} yuan in all): {payments}. If the payment system made no correction, check the export",
    },
    "unmatched_payments": {
        "zh": "警告：{count} 笔支付（{amount} 元）的指标明细号或单位不在已导入的指标中：{rows}。已保存；"
              "单位有指标的计入该单位，单位没有任何指标的暂不计入执行。导入说明它们的指标文件后即会匹配",
        "en": "warning: {count} payment(s) ({amount} yuan) match no stored quota line or budgeted unit: "
              "{rows_en}. Kept; counted for a unit that has quota lines, not for a unit with none. They match "
              "once the quota export that explains them is imported",
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


_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f]")  # all but the tab


def visible(text: str) -> str:
    """Control characters shown as \\x1b and the like: a value from a file is printed on a
    terminal and written to a report, where an escape sequence would act instead of show."""
    return _CONTROL.sub(lambda m: m[0].encode("unicode_escape").decode("ascii"), text)


def problem(code: str, /, row: int | None = None, column: str | None = None,
            value: object = None, **params: object) -> Problem:
    text = None if value is None else visible(str(value)[:200])
    return Problem(code, row, column, text, MappingProxyType(dict(params)))


class Refused(Exception):
    """Raised inside the ingest pipeline when a file cannot go on; carries every problem."""

    def __init__(self, problems: list[Problem], kind: str | None = None, *,
                 units: frozenset[str] = frozenset(), departments: frozenset[str] = frozenset()):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems
        self.kind = kind
        self.units, self.departments = units, departments  # the codes the rows name: who is told of it
