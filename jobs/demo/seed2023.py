"""The 2023 figures of 乌鲁木齐市科学技术协会 (seed 004), as plain data in 万元.

Sources in ``/work/shared/seeds/004_d0e9528ac85107e8.txt``:

- 表 1-1 (基本支出预算明细表) and 表 1-2 (项目支出预算明细表): 年初预算数 / 调整数 / 执行数 of every
  leaf line; the 调整后预算数 is always initial + adjustment here (see ``QuotaLine.adjusted``).
- 表 6-1 (季度支出表): cumulative payments at the four quarter ends.
- the performance-management text (lines ~2420–2460) for which unit owns which project.

Amounts are ``Decimal`` in 万元 with two decimals; nothing here is a float. Figures that are not in
the seed (the split of 工资福利支出 over units and economic classes, project codes, the economic
class of each project) are marked as invented. ``check_seed()`` proves the lines add up to the
seed's totals.

Where the seed disagrees with itself:

- 物业管理费 (basic, 30209) reads 年初 0.00, 调整 0.00, 调整后 1.92, 执行 1.92. The 公用支出 subtotal
  (114.79 / 3.61 / 118.40) only adds up *without* that 1.92 on the budget side but *with* it on the
  execution side (107.80). The seed explains why: the 保安服务费 project of the 科普服务中心 is
  paid "从基本支出物业管理费科目下" (line ~2457). We give the line an adjustment of +1.92 (so
  adjusted = 1.92) and, to keep 940.03 / 1500.97 exact, fund it by a 调剂 (transfer) of -1.92 from
  印刷费 (5.40 -> 3.48; it only spent 1.47). Every subtotal of 表 1-1 then holds.
- 三公经费 budget: 8.92 in the text, 8.94 (公务用车运行维护费) in 表 1-1. We keep the table's 8.94.
- 6-30 cumulative: 533.64 in the text, 533.66 in 表 6-1. We keep the table's 533.66.
- the per-line 执行数 sum to 1485.68, but 表 6-1 says 1436.72 paid at 12-31 (the 执行数 include
  spending outside the treasury payment system). The payment generator follows 表 6-1.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from monitor.money import D

YEAR = 2023


@dataclass(frozen=True)
class Unit:
    code: str
    name: str


@dataclass(frozen=True)
class Coded:
    """A classification or project: code and name, as exports print "code - name"."""

    code: str
    name: str


@dataclass(frozen=True)
class QuotaLine:
    """One 指标 line in 万元: unit × functional class × economic class × project."""

    unit: Unit
    functional: Coded
    economic: Coded
    project: Coded | None
    initial: Decimal  # 年初预算数
    adjustment: Decimal  # 调整数
    executed: Decimal  # 执行数 (the seed's, may exceed what the payment system shows)
    three_public: bool = False  # 三公经费

    @property
    def adjusted(self) -> Decimal:  # 调整后预算数
        return self.initial + self.adjustment

    @property
    def is_project(self) -> bool:
        return self.project is not None

    @property
    def expenditure_type(self) -> str:
        return "项目支出" if self.is_project else "基本支出"


DEPARTMENT = Unit("158", "乌鲁木齐市科学技术协会")
HQ = Unit("158001", "乌鲁木齐市科学技术协会")  # 本级
SERVICE_CENTER = Unit("158002", "乌鲁木齐市科普服务中心")
MUSEUM = Unit("158003", "乌鲁木齐市科学技术馆")
UNITS = (HQ, SERVICE_CENTER, MUSEUM)

FUND_TYPE = "一般公共预算"

# Functional classes (支出功能分类, 类/款/项). The brief named 科技馆站 2060704; in the national
# classification 2060704 is 学术交流活动 and 科技馆站 is 2060705, which we use.
OPERATION = Coded("2060701", "机构运行")
OUTREACH = Coded("2060702", "科普活动")
SCIENCE_MUSEUM = Coded("2060705", "科技馆站")
RETIREMENT = Coded("2080502", "事业单位离退休")
PENSION_INSURANCE = Coded("2080505", "机关事业单位基本养老保险缴费支出")
CIVIL_MEDICAL = Coded("2101101", "行政单位医疗")
PUBLIC_INSTITUTION_MEDICAL = Coded("2101102", "事业单位医疗")
HOUSING_FUND = Coded("2210201", "住房公积金")


def _basic(unit: Unit, economic: tuple[str, str], initial: str, adjustment: str,
           executed: str, functional: Coded = OPERATION, three_public: bool = False) -> QuotaLine:
    return QuotaLine(unit, functional, Coded(*economic), None, D(initial), D(adjustment),
                     D(executed), three_public)


# 表 1-1, 公用支出 and 办公设备购置: (经济分类, 年初预算数, 调整数, 执行数). All at the 本级 except
# 物业管理费, which the seed places at the 科普服务中心 (see the module docstring).
_PUBLIC_ROWS = (
    (("30201", "办公费"), "37.26", "3.61", "40.53"),
    (("30202", "印刷费"), "5.40", "-1.92", "1.47"),  # seed: 调整 0.00; -1.92 调剂 to 物业管理费
    (("30203", "咨询费"), "1.00", "0.00", "0.00"),
    (("30204", "手续费"), "0.40", "0.00", "0.20"),
    (("30205", "水费"), "0.67", "0.00", "0.67"),
    (("30206", "电费"), "0.50", "0.00", "0.50"),
    (("30207", "邮电费"), "1.70", "1.01", "2.71"),
    (("30208", "取暖费"), "17.17", "0.13", "17.30"),
    (("30211", "差旅费"), "7.80", "0.00", "4.58"),
    (("30213", "维修(护)费"), "0.50", "0.81", "1.31"),
    (("30216", "培训费"), "2.62", "-1.57", "0.04"),
    (("30226", "劳务费"), "5.30", "0.00", "4.88"),
    (("30227", "委托业务费"), "2.50", "-1.67", "0.83"),
    (("30228", "工会经费"), "8.18", "0.52", "8.70"),
    (("30229", "福利费"), "11.27", "0.00", "10.43"),
    (("30299", "其他商品和服务支出"), "3.58", "0.77", "4.35"),
    (("31002", "办公设备购置"), "0.00", "3.58", "3.58"),
)

PUBLIC_LINES = (
    *(_basic(HQ, economic, initial, adjustment, executed) for economic, initial, adjustment, executed in _PUBLIC_ROWS),
    # seed: 年初 0.00, 调整 0.00, 调整后 1.92 — inconsistent; we use 调整 +1.92 (a 调剂 in).
    _basic(SERVICE_CENTER, ("30209", "物业管理费"), "0.00", "1.92", "1.92"),
    _basic(HQ, ("30231", "公务用车运行维护费"), "8.94", "0.00", "7.38", three_public=True),
)

# 表 1-1, 工资福利支出 301: 693.32 + 91.70 = 785.02, all executed. The split over units (by the
# staffing in the seed: 机关 16+2, 科普服务中心 10+1, 科技馆 20+1) and classes is invented; the
# 本级 is an organ (30103 奖金), the two others public institutions (30107 绩效工资).
# (unit, 经济分类, 功能分类, 年初预算数, 调整数); 执行数 = 调整后预算数.
_SALARY_ROWS = (
    (HQ, ("30101", "基本工资"), OPERATION, "66.25", "8.73"),
    (HQ, ("30102", "津贴补贴"), OPERATION, "79.50", "10.46"),
    (HQ, ("30103", "奖金"), OPERATION, "39.75", "5.24"),
    (HQ, ("30108", "机关事业单位基本养老保险缴费"), PENSION_INSURANCE, "31.80", "4.19"),
    (HQ, ("30110", "职工基本医疗保险缴费"), CIVIL_MEDICAL, "15.90", "2.09"),
    (HQ, ("30113", "住房公积金"), HOUSING_FUND, "31.80", "4.19"),
    (SERVICE_CENTER, ("30101", "基本工资"), OPERATION, "37.08", "4.90"),
    (SERVICE_CENTER, ("30102", "津贴补贴"), OPERATION, "44.47", "5.88"),
    (SERVICE_CENTER, ("30107", "绩效工资"), OPERATION, "22.25", "2.94"),
    (SERVICE_CENTER, ("30108", "机关事业单位基本养老保险缴费"), PENSION_INSURANCE, "17.80", "2.35"),
    (SERVICE_CENTER, ("30110", "职工基本医疗保险缴费"), PUBLIC_INSTITUTION_MEDICAL, "8.90", "1.18"),
    (SERVICE_CENTER, ("30113", "住房公积金"), HOUSING_FUND, "17.80", "2.35"),
    (MUSEUM, ("30101", "基本工资"), OPERATION, "70.01", "9.30"),
    (MUSEUM, ("30102", "津贴补贴"), OPERATION, "84.01", "11.17"),
    (MUSEUM, ("30107", "绩效工资"), OPERATION, "42.00", "5.58"),
    (MUSEUM, ("30108", "机关事业单位基本养老保险缴费"), PENSION_INSURANCE, "33.60", "4.46"),
    (MUSEUM, ("30110", "职工基本医疗保险缴费"), PUBLIC_INSTITUTION_MEDICAL, "16.80", "2.23"),
    (MUSEUM, ("30113", "住房公积金"), HOUSING_FUND, "33.60", "4.46"),
)

SALARY_LINES = tuple(
    QuotaLine(unit, functional, Coded(*economic), None, D(initial), D(adjustment),
              D(initial) + D(adjustment))
    for unit, economic, functional, initial, adjustment in _SALARY_ROWS
)

# 表 1-1, 对个人和家庭的补助支出: 退休费 22.35 + 10.68 = 33.03, all executed.
RETIREMENT_LINES = (
    _basic(HQ, ("30302", "退休费"), "22.35", "10.68", "33.03", functional=RETIREMENT),
)

BASIC_LINES = PUBLIC_LINES + SALARY_LINES + RETIREMENT_LINES


def _project(unit: Unit, code: str, name: str, functional: Coded, economic: tuple[str, str],
             initial: str, adjustment: str, executed: str) -> QuotaLine:
    return QuotaLine(unit, functional, Coded(*economic), Coded(code, name), D(initial),
                     D(adjustment), D(executed))


# 表 1-2. Units follow the seed (lines ~2420–2460): the 科普服务中心 runs 科普大篷车, 专项拨款
# (中国电子学会), 22年推进企业科协组织建设 and 保安服务费 (classed 2060701 by the seed); the 科技馆
# runs the free-opening, property and venue projects; the 本级 the rest. Project codes (unit +
# year + sequence) and economic classes are invented.
PROJECT_LINES = (
    _project(HQ, "158001230001", "科普经费", OUTREACH, ("30227", "委托业务费"),
             "238.82", "-115.70", "122.47"),
    _project(HQ, "158001230002", "2023年“基层科普行动”计划", OUTREACH,
             ("30299", "其他商品和服务支出"), "24.00", "8.00", "32.00"),
    _project(HQ, "158001230003", "老科技工作经费", OUTREACH, ("30299", "其他商品和服务支出"),
             "10.00", "-0.19", "9.81"),
    _project(HQ, "158001230004", "访惠聚为民办实事工作经费", OUTREACH,
             ("30299", "其他商品和服务支出"), "4.25", "0.00", "4.25"),
    _project(SERVICE_CENTER, "158002230001", "保安服务费", OPERATION, ("30209", "物业管理费"),
             "5.70", "-5.70", "0.00"),
    _project(SERVICE_CENTER, "158002230002", "科普大篷车车载展品配套资金", OUTREACH,
             ("31003", "专用设备购置"), "0.00", "37.00", "37.00"),
    _project(SERVICE_CENTER, "158002230003", "专项拨款（中国电子学会）", OUTREACH,
             ("30299", "其他商品和服务支出"), "0.00", "3.25", "3.21"),
    _project(SERVICE_CENTER, "158002220001", "22年推进企业科协组织建设项目", OUTREACH,
             ("30299", "其他商品和服务支出"), "0.00", "4.00", "0.00"),
    _project(MUSEUM, "158003230001", "2023年全国科技馆免费开放补助资金", SCIENCE_MUSEUM,
             ("30299", "其他商品和服务支出"), "225.00", "-23.76", "201.24"),
    _project(MUSEUM, "158003230002", "2023年第二批科技馆免费开放补助资金", SCIENCE_MUSEUM,
             ("30299", "其他商品和服务支出"), "0.00", "15.90", "15.90"),
    _project(MUSEUM, "158003230003", "物业管理费", SCIENCE_MUSEUM, ("30209", "物业管理费"),
             "66.76", "-28.86", "37.90"),
    _project(MUSEUM, "158003230004", "场馆运行", SCIENCE_MUSEUM,
             ("30299", "其他商品和服务支出"), "125.51", "-33.04", "92.47"),
)

QUOTA_LINES = BASIC_LINES + PROJECT_LINES


@dataclass(frozen=True)
class SeedTotals:
    """The seed's own totals in 万元, which the lines above must reproduce."""

    basic_initial: Decimal = D("830.46")
    basic_adjustment: Decimal = D("109.57")
    basic_adjusted: Decimal = D("940.03")
    basic_executed: Decimal = D("929.43")
    project_initial: Decimal = D("700.04")
    project_adjustment: Decimal = D("-139.10")
    project_adjusted: Decimal = D("560.94")
    project_executed: Decimal = D("556.25")
    adjusted: Decimal = D("1500.97")
    three_public_budget: Decimal = D("8.94")  # the text says 8.92
    three_public_executed: Decimal = D("7.38")


TOTALS = SeedTotals()

# 表 6-1: cumulative payments (万元) at each quarter end.
QUARTER_END_PAID = (
    (dt.date(YEAR, 3, 31), D("269.64")),
    (dt.date(YEAR, 6, 30), D("533.66")),  # the text says 533.64
    (dt.date(YEAR, 9, 30), D("973.37")),
    (dt.date(YEAR, 12, 31), D("1436.72")),
)


def _sum(values) -> Decimal:
    return sum(values, D("0"))


def check_seed() -> None:
    """Raise ValueError unless the lines reproduce every total the seed states."""
    sums = {
        "basic_initial": _sum(line.initial for line in BASIC_LINES),
        "basic_adjustment": _sum(line.adjustment for line in BASIC_LINES),
        "basic_adjusted": _sum(line.adjusted for line in BASIC_LINES),
        "basic_executed": _sum(line.executed for line in BASIC_LINES),
        "project_initial": _sum(line.initial for line in PROJECT_LINES),
        "project_adjustment": _sum(line.adjustment for line in PROJECT_LINES),
        "project_adjusted": _sum(line.adjusted for line in PROJECT_LINES),
        "project_executed": _sum(line.executed for line in PROJECT_LINES),
        "adjusted": _sum(line.adjusted for line in QUOTA_LINES),
        "three_public_budget": _sum(line.adjusted for line in QUOTA_LINES if line.three_public),
        "three_public_executed": _sum(line.executed for line in QUOTA_LINES if line.three_public),
    }
    wrong = [f"{name}: lines give {value}, seed says {getattr(TOTALS, name)}"
             for name, value in sums.items() if value != getattr(TOTALS, name)]
    overspent = [line for line in QUOTA_LINES if not D("0") <= line.executed <= line.adjusted]
    if overspent:
        wrong.append(f"{len(overspent)} lines executed outside [0, adjusted]")
    if QUARTER_END_PAID[-1][1] > TOTALS.adjusted:
        wrong.append("表 6-1 pays more than the adjusted budget")
    if wrong:
        raise ValueError("seed 2023 does not add up: " + "; ".join(wrong))

# 表 1-11 and the text of the 三公 indicator: the 2022 三公经费 budget was 8.09 万元 (表 1-5 lists
# 8.94 for 公务用车运行维护费 in 2022; the evaluation scored with 8.09). The demo imports no 2022
# quota lines, so this goes to the rules as ``previous_three_public_budget``.
PREVIOUS_THREE_PUBLIC_BUDGET = D("8.09")
