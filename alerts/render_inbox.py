"""The words of a file the inbox refused (rule ``inbox_refused``, level ``file``,
jobs/refusals.py), merged into alerts/render.py's catalog:

    ❌ 导出文件未导入
    2023-03-31_支付明细.csv：已移到收件箱的 refused/2023-03-31_支付明细.csv，数据库未作任何改动。
    共 3 个问题，前几个：第 5 行“金额”列……。全部问题见 refused/2023-03-31_支付明细.csv.错误说明.txt，
    修正后请把文件重新放入收件箱。
"""

from __future__ import annotations

TEXT = {
    "title.inbox_refused": {"zh": "❌ 导出文件未导入", "en": "❌ An export was refused"},
    "rule.inbox_refused": {"zh": "导出文件未导入", "en": "export refused"},
    "ir.moved": {"zh": "已移到收件箱的 {moved_to}，数据库未作任何改动",
                 "en": "moved to {moved_to} in the inbox; the database was not changed"},
    "ir.problems": {"zh": "共 {count} 个问题，前几个：{problems_zh}",
                    "en": "{count} problem(s), the first: {problems_en}"},
    "ir.count": {"zh": "共 {count} 个问题", "en": "{count} problem(s)"},
    "ir.report": {"zh": "全部问题见 {report}，修正后请把文件重新放入收件箱",
                  "en": "Every problem is listed in {report}; fix them and drop the file into the inbox again"},
}
FIRE = {"inbox_refused": ((("ir.moved",),), (("ir.problems", "ir.count"),), (("ir.report",),))}
TEXTS = frozenset({"moved_to", "report", "problems_zh", "problems_en"})
