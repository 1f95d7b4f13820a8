"""Files a finance officer may drop into the inbox by mistake: what else sits on a finance PC
beside the payment system's exports (a bank statement, a payroll sheet, a voucher listing from
the accounting software, a trial balance, the financial statements, a fixed-asset list, an
invoice list). Such a file is refused anyway (no header of ours, or a payment export's header
without its columns: a statement's 凭证号 and 摘要 pass for one); it is then named for what it
looks like, and for what the product takes instead.

Only a file already refused for its header or its columns is looked at (jobs/ingest/validate.py
``parse_export``): a real export that happens to carry a 余额 or 姓名 column is never refused
for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jobs.ingest.headers import HEADER_SCAN_ROWS, normalize_header
from jobs.ingest.problems import Problem, problem


@dataclass(frozen=True)
class Foreign:
    """One kind of file that is not an export: its name, the title words that name it, and the
    column groups a header row of it has (each group: any one of its names)."""

    what: str
    what_en: str
    titles: tuple[str, ...]
    columns: tuple[frozenset[str], ...]


def _any(*names: str) -> frozenset[str]:
    return frozenset(normalize_header(n) for n in names)


_BALANCE = _any("余额", "账户余额", "本次余额", "交易后余额", "当前余额")
_DEBIT_CREDIT = _any("借方发生额", "贷方发生额", "借方金额", "贷方金额", "收入金额", "支出金额", "借方", "贷方",
                     "收入", "支出", "交易金额", "发生额")
FOREIGN: tuple[Foreign, ...] = (
    Foreign("银行对账单（银行流水）", "a bank statement", ("对账单", "银行流水", "账户交易明细", "账户明细查询"),
            (_BALANCE, _DEBIT_CREDIT,
             _any("交易日期", "交易时间", "记账日期", "对方户名", "对方账号", "对方账户", "对方单位", "对方户名称",
                  "对方开户行", "对方行名"))),
    Foreign("工资表", "a payroll sheet", ("工资表", "工资发放表", "工资明细表", "工资条", "薪酬发放表"),
            (_any("姓名", "职工姓名", "人员姓名"),
             _any("应发工资", "应发合计", "应发数", "应发金额"),
             _any("实发工资", "实发合计", "实发数", "实发金额", "个人所得税", "代扣个税", "基本工资", "岗位工资",
                  "薪级工资", "津贴补贴", "住房公积金", "养老保险", "职业年金"))),
    Foreign("记账凭证（凭证列表）", "a voucher listing", ("记账凭证", "凭证列表", "凭证汇总表", "序时账"),
            (_any("凭证号", "凭证字号", "凭证编号", "凭证字"),
             _any("科目编码", "科目名称", "会计科目", "科目代码", "科目"),
             _any("借方金额", "贷方金额", "借方", "贷方"))),
    Foreign("科目余额表", "a trial balance", ("科目余额表", "余额表", "总账"),
            (_any("科目编码", "科目名称", "会计科目", "科目代码"),
             _any("期初余额", "年初余额", "期初借方", "期初贷方"),
             _any("期末余额", "期末借方", "期末贷方"))),
    Foreign("资产负债表", "a balance sheet", ("资产负债表",),
            (_any("资产"), _any("负债和净资产", "负债及净资产", "负债和所有者权益", "负债"),
             _any("期末余额", "年末余额", "期末数", "年初余额", "年初数"))),
    Foreign("收入支出表（收入费用表）", "an income and expenditure statement",
            ("收入支出表", "收入费用表", "收入支出决算表", "预算收入支出表", "支出决算表", "收入决算表"),
            (_any("项目"), _any("行次"), _any("本月数", "本期数", "本年累计数", "本年数", "本年累计"))),
    Foreign("固定资产清单（资产卡片）", "a fixed-asset list", ("固定资产卡片", "固定资产清单", "资产卡片", "资产清单"),
            (_any("资产编号", "资产编码", "卡片编号", "卡片号"), _any("资产名称"),
             _any("原值", "资产原值", "累计折旧", "净值", "账面价值"))),
    Foreign("发票清单", "an invoice list", ("发票清单", "发票明细", "发票汇总表", "开票明细"),
            (_any("发票号码", "发票代码", "数电票号码"), _any("价税合计", "税额", "开票日期", "税率"))),
)


def recognize(head: Sequence[Sequence[str]], expected: tuple[str, str]) -> Problem | None:
    """A ``not_an_export`` problem when the first rows are those of a file that is not an export:
    a header row with every column group of one kind (its row named), else a title above the
    first full row naming it. ``expected``: what the product takes, in Chinese and English."""
    rows = [[str(c) for c in row] for row in head[:HEADER_SCAN_ROWS]]
    for number, row in enumerate(rows):
        names = {normalize_header(c) for c in row if c.strip()}
        for kind in FOREIGN:
            found = [sorted(group & names) for group in kind.columns]
            if all(found):
                columns = "、".join(dict.fromkeys(f[0] for f in found))
                return _problem(kind, number + 1, f"列 {columns}", f"columns {columns.replace('、', ', ')}", expected)
    for number, row in enumerate(rows):
        filled = [c.strip() for c in row if c.strip()]
        if len(filled) >= 3:  # the header or the data: the title is above
            break
        for text in filled:
            compact = normalize_header(text)
            titled = next((k for k in FOREIGN if any(t in compact for t in k.titles)), None)
            if titled is not None:
                shown = text if len(text) <= 40 else text[:40] + "…"
                return _problem(titled, number + 1, f"标题“{shown}”", f"the title '{shown}'", expected)
    return None


def _problem(kind: Foreign, row: int, evidence: str, evidence_en: str, expected: tuple[str, str]) -> Problem:
    return problem("not_an_export", row=row, what=kind.what, what_en=kind.what_en, evidence=evidence,
                   evidence_en=evidence_en, expected=expected[0], expected_en=expected[1])
