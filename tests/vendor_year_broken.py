"""Files of the year of ``tests/vendor_year.py`` that must be refused (a wrong amount, a totals
mismatch, a missing column, a bank statement, a payroll sheet, a duplicate voucher, 万元 without
its unit row, a date outside the year), and two that test a limit: 万元 with two decimals and no
unit row, and a payment that lifts a unit to just under a checkpoint's rate.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from tests.vendor_year import CHECKPOINTS, QUARTER_ENDS, YEAR, Pay, Year
from tests.vendor_year_files import month_end, of_month
from tests.vendor_year_payments import UNIT_NAME, Row, money, pair, pay_gbk_csv, pay_wan_xlsx, title_rows, write_xlsx

# --- files that must be refused ------------------------------------------------------------------

FIRST_DATA_ROW = 4  # pay_gbk_csv: title, unit row, header, then the rows


def broken(year: Year, folder: Path) -> dict[str, tuple[Path, str, int | None, str | None]]:
    """name → (file, the problem code, its row as Excel shows it, its column): each file is a
    realistic export of October with one thing wrong."""
    folder.mkdir(parents=True, exist_ok=True)
    october = of_month(year, 10)[:40]
    end = month_end(10)
    cases: dict[str, tuple[Path, str, int | None, str | None]] = {}
    cases["wrong amount"] = (pay_gbk_csv(folder / "错误金额.csv", october, end, cells={(6, "金额"): "壹万贰仟元整"}),
                             "bad_amount", FIRST_DATA_ROW + 6, "金额")
    cases["totals mismatch"] = (pay_gbk_csv(folder / "合计不符.csv", october, end,
                                            total=sum(p.amount for p in october) + 100_00),
                                "totals_mismatch", FIRST_DATA_ROW + len(october), "金额")
    rows: list[Row] = [*title_rows(end), ["支付申请号", "预算单位", "指标明细号", "经济分类", "支付金额", "支付状态"]]
    rows += [[p.payment_no, pair(p.line.unit, UNIT_NAME[p.line.unit]), p.line.quota_no, pair(*p.line.economic),
              money(p.amount), p.status] for p in october]
    cases["missing column"] = (write_xlsx(folder / "缺支付日期.xlsx", [("支付明细", rows)]), "missing_column", 3, None)
    statement: list[Row] = [["中国工商银行客户存款对账单"], ["账号：3004 0211 0920 0012 345    户名：天山市水务局"],
                            ["交易日期", "凭证种类", "凭证号", "摘要", "借方发生额", "贷方发生额", "余额", "对方户名"]]
    balance = 5_000_000_00
    for p in october:
        balance -= p.amount
        statement.append([p.day.strftime("%Y%m%d"), "电汇凭证", p.payment_no[-8:], p.purpose, money(p.amount), "",
                          money(balance), p.payee])
    # A statement or a payroll sheet is named as what it is, on the row that shows it (its header).
    cases["bank statement"] = (write_xlsx(folder / "银行对账单.xlsx", [("对账单", statement)]), "not_an_export", 3,
                               None)
    payroll: list[Row] = [["天山市水务局2023年10月工资发放表"], ["单位：元"],
                          ["序号", "姓名", "身份证号", "预算单位", "岗位工资", "薪级工资", "津贴补贴", "应发工资",
                           "个人所得税", "实发工资"]]
    for n in range(1, 31):
        gross = 6_000_00 + n * 137_00
        payroll.append([n, f"职工{n:02d}", f"65010219800101{n:04d}", pair("427001", UNIT_NAME["427001"]),
                        money(3_000_00), money(2_000_00 + n * 137_00), money(1_000_00), money(gross),
                        money(gross // 50), money(gross - gross // 50)])
    cases["payroll sheet"] = (write_xlsx(folder / "工资表.xlsx", [("工资表", payroll)]), "not_an_export", 3, None)
    twice = [*october[:12], october[3], *october[12:]]  # the voucher of row 4 + 3 again, another amount
    other = money(october[3].amount + 1_000_00, commas=True)
    cases["duplicate voucher"] = (pay_gbk_csv(folder / "重复凭证.csv", twice, end, cells={(12, "金额"): other},
                                              total=sum(p.amount for p in twice) + 1_000_00),
                                  "duplicate_key", FIRST_DATA_ROW + 12, "凭证号")
    wan_file = pay_wan_xlsx(folder / "万元无单位行.xlsx", october, end, unit_row=False)
    cases["wan (10,000 yuan) without its unit row"] = (wan_file, "sub_fen", None, "支付金额")
    outside = [*october[:20], replace_day(october[20], dt.date(YEAR + 1, 1, 3)), *october[21:]]
    cases["date outside the year"] = (pay_gbk_csv(folder / "跨年日期.csv", outside, end), "date_outside_year",
                                      FIRST_DATA_ROW + 20, "清算日期")
    return cases


def near_the_limit(year: Year, folder: Path) -> tuple[Path, Pay]:
    """One payment of 31 March that lifts 427002 to just under 25% of its full-year budget at
    the Q1 checkpoint: shown as 25.00%, not met (case 9)."""
    folder.mkdir(parents=True, exist_ok=True)
    day = QUARTER_ENDS[0]
    budget, paid = year.budget("427002"), year.paid("427002", day)
    target = -(-budget * 249_955 // 1_000_000)  # the least fen at or above 24.9955%
    assert Decimal(target) * 100 / budget < CHECKPOINTS[day]
    line = next(l for l in year.lines if l.unit == "427002" and l.economic[0] == "30201")
    extra = Pay(f"ZF{YEAR}0399999", line, day, target - paid, "已支付", "天山市机关服务中心", "补录一季度办公费")
    return pay_gbk_csv(folder / f"{YEAR}-03-31_补录支付.csv", [extra], day), extra


def rounded_wan(year: Year, folder: Path) -> Path:
    """万元 with two decimals and no 单位：万元 row: every amount reads as a few yuan."""
    folder.mkdir(parents=True, exist_ok=True)
    return pay_wan_xlsx(folder / "万元两位小数无单位行.xlsx", of_month(year, 10)[:40], month_end(10), unit_row=False,
                        decimals=2)


def replace_day(pay: Pay, day: dt.date) -> Pay:
    from dataclasses import replace

    return replace(pay, day=day)
