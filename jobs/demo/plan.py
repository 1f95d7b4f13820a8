"""The 2023 demo as data: quota ids, adjustments and payments, decided without touching files.

Payments are built so that 表 6-1 holds by construction:

1. the year's total (1436.72 万元) is split over the lines in proportion to each line's 执行数
   (the lines' 执行数 sum to 1485.68: the seed disagrees with itself and 表 6-1 wins, so every
   line is paid about 96.7% of its 执行数, never more than its 执行数 or its budget);
2. lines with a fixed rhythm (salaries and contributions 301xx, 退休费: monthly; two one-off
   projects) are scheduled first;
3. each quarter's remaining total is split over the other lines by a spending profile (projects
   back-loaded), never above what a line has left; the fourth quarter takes what is left;
4. each line's quarter amount is split over a few working days.

All money is integer fen; every split is exact (largest remainder), so the quarter sums are the
seed's to the fen. One extra payment is returned (退回) a few weeks later in the same quarter, so
the net sums are unchanged.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

import chinese_calendar

from jobs.demo import seed2023
from jobs.demo.seed2023 import QuotaLine
from monitor.money import YUAN_PER_WAN, to_fen

SEED = 2023
DOCUMENT_PREFIX = "乌财预"


def wan_to_fen(amount: Decimal) -> int:
    return to_fen(amount * YUAN_PER_WAN)


# --- data -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quota:
    id: str  # 指标明细号
    document: str  # 指标文号
    line: QuotaLine


@dataclass(frozen=True)
class Adjustment:
    id: str  # 调整单号
    day: dt.date
    quota: Quota
    kind: str  # 追加 / 追减 / 调剂
    fen: int  # signed
    reason: str
    exempt: str  # 豁免类别, "" or 上级交办


@dataclass(frozen=True)
class Payment:
    id: str  # 支付申请号
    day: dt.date
    day_text: str  # as the export prints it: 2023-03-31 or 2023/3/31
    quota: Quota
    fen: int  # negative for a reversal
    payee: str
    purpose: str
    status: str  # 已支付 / 已退回
    settlement: str


@dataclass(frozen=True)
class DemoPlan:
    year: int
    quotas: tuple[Quota, ...]
    adjustments: tuple[Adjustment, ...]
    payments: tuple[Payment, ...]


# --- exact integer splitting ------------------------------------------------------------------


def _proportional(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` in proportion to positive ``weights``; leftover units go to the largest
    remainders (ties to the first), so the parts always sum to ``total``."""
    weight_sum = sum(weights)
    parts = [total * weight // weight_sum for weight in weights]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % weight_sum), i))
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


def allocate(total: int, weights: Sequence[int], caps: Sequence[int] | None = None) -> list[int]:
    """Split ``total`` (fen, >= 0) by ``weights``, never giving a part more than its cap."""
    caps = list(caps) if caps is not None else [total] * len(weights)
    amounts = [0] * len(weights)
    open_ = [i for i, weight in enumerate(weights) if weight > 0 and caps[i] > 0]
    left = total
    while left > 0:
        if not open_:
            raise ValueError(f"cannot place {left} fen: every weighted part is full")
        shares = _proportional(left, [weights[i] for i in open_])
        full = [i for i, share in zip(open_, shares) if amounts[i] + share >= caps[i]]
        if not full:
            for i, share in zip(open_, shares):
                amounts[i] += share
            return amounts
        for i in full:
            left -= caps[i] - amounts[i]
            amounts[i] = caps[i]
        open_ = [i for i in open_ if i not in full]
    return amounts


# --- calendar ---------------------------------------------------------------------------------


def working_days(start: dt.date, end: dt.date) -> list[dt.date]:
    """Working days on the Chinese calendar (holidays and 调休 included), start..end inclusive."""
    days = (start + dt.timedelta(days=n) for n in range((end - start).days + 1))
    return [day for day in days if chinese_calendar.is_workday(day)]


def next_working_day(day: dt.date) -> dt.date:
    while not chinese_calendar.is_workday(day):
        day += dt.timedelta(days=1)
    return day


def quarter_of(day: dt.date) -> int:
    return (day.month - 1) // 3  # 0..3


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, 3 * quarter + 1, 1)
    end = dt.date(year + 1, 1, 1) if quarter == 3 else dt.date(year, 3 * quarter + 4, 1)
    return start, end - dt.timedelta(days=1)


# --- quota lines ------------------------------------------------------------------------------


def _line_order(line: QuotaLine) -> tuple:
    return (line.unit.code, line.is_project, line.economic.code, line.project.code if line.project else "")


def _document(line: QuotaLine, terms: AdjustmentTerms | None) -> str:
    """Lines in the year-start budget carry its document; lines created mid-year carry the
    document of the adjustment that created them."""
    if line.initial > 0 or terms is None:
        return f"{DOCUMENT_PREFIX}〔{seed2023.YEAR}〕1号"
    return f"{DOCUMENT_PREFIX}〔{seed2023.YEAR}〕{terms.day.timetuple().tm_yday // 3 + 1}号"


def build_quotas() -> tuple[Quota, ...]:
    quotas = []
    per_unit: dict[str, int] = {}
    for line in sorted(seed2023.QUOTA_LINES, key=_line_order):
        sequence = per_unit[line.unit.code] = per_unit.get(line.unit.code, 100) + 1
        quota_id = f"ZB{seed2023.YEAR}{line.unit.code}{sequence:06d}"
        quotas.append(Quota(quota_id, _document(line, adjustment_terms(line)), line))
    return tuple(quotas)


# --- adjustments (dates and reasons invented; amounts from the seed) --------------------------


@dataclass(frozen=True)
class AdjustmentTerms:
    day: dt.date
    kind: str
    reason: str
    exempt: str = ""


def _d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# project code -> (date, reason, exemption)
_PROJECT_ADJUSTMENTS = {
    "158001230001": ("2023-08-15", "项目预算调减", ""),
    "158001230002": ("2023-06-13", "项目预算追加", ""),
    "158001230003": ("2023-11-21", "项目预算调减", ""),
    "158002230001": ("2023-06-20", "项目预算调减", ""),  # 保安服务费, paid via 物业管理费 instead
    "158002230002": ("2023-07-25", "新疆科协下拨科普大篷车展品配套资金", "上级交办"),
    "158002230003": ("2023-07-04", "中国电子学会专项拨款", ""),
    "158002220001": ("2023-10-17", "上年结转项目资金追加", ""),
    "158003230001": ("2023-09-19", "项目预算调减", ""),
    "158003230002": ("2023-07-11", "第二批科技馆免费开放补助资金下达", "上级交办"),
    "158003230003": ("2023-09-19", "项目预算调减", ""),
    "158003230004": ("2023-09-19", "项目预算调减", ""),
}
_CONTRIBUTIONS = {"30108", "30110", "30113"}
_TRANSFER_DAY = "2023-06-20"  # 印刷费 -> 物业管理费, the day 保安服务费 was cut


def _basic_terms(line: QuotaLine) -> AdjustmentTerms:
    code = line.economic.code
    kind = "追加" if line.adjustment > 0 else "追减"
    if code == "30202":
        return AdjustmentTerms(_d(_TRANSFER_DAY), "调剂", "经费调剂至物业管理费")
    if code == "30209":
        return AdjustmentTerms(_d(_TRANSFER_DAY), "调剂", "经费调剂：保安服务费在物业管理费列支")
    if code in _CONTRIBUTIONS:
        return AdjustmentTerms(_d("2023-04-18"), kind, "社保缴费基数调增")
    if code.startswith("301"):
        return AdjustmentTerms(_d("2023-04-18"), kind, "实编薪资调整")
    if code == "30302":
        return AdjustmentTerms(_d("2023-05-16"), kind, "离退休人员待遇调整")
    if code == "31002":
        return AdjustmentTerms(_d("2023-05-23"), kind, "办公设备购置追加")
    if line.adjustment > 0:
        return AdjustmentTerms(_d("2023-03-21"), kind, "公用经费追加")
    return AdjustmentTerms(_d("2023-11-14"), kind, "公用经费调减")


def adjustment_terms(line: QuotaLine) -> AdjustmentTerms | None:
    """When and why a line's 调整数 was made; None when it has none."""
    if line.adjustment == 0:
        return None
    if line.project is None:
        return _basic_terms(line)
    day, reason, exempt = _PROJECT_ADJUSTMENTS[line.project.code]
    return AdjustmentTerms(_d(day), "追加" if line.adjustment > 0 else "追减", reason, exempt)


def build_adjustments(quotas: Sequence[Quota]) -> tuple[Adjustment, ...]:
    """One adjustment per line with a 调整数, numbered in date order."""
    dated = sorted(((terms.day, position, terms, quota) for position, quota in enumerate(quotas)
                    if (terms := adjustment_terms(quota.line)) is not None),
                   key=lambda entry: entry[:2])
    return tuple(
        Adjustment(f"TZ{seed2023.YEAR}{n:04d}", terms.day, quota, terms.kind,
                   wan_to_fen(quota.line.adjustment), terms.reason, terms.exempt)
        for n, (_, _, terms, quota) in enumerate(dated, start=1)
    )


def payable_from(quota: Quota, year: int) -> dt.date:
    """A line created mid-year (no initial budget) is paid from the working day after."""
    terms = adjustment_terms(quota.line)
    if quota.line.initial > 0 or terms is None:
        return dt.date(year, 1, 1)
    return next_working_day(terms.day + dt.timedelta(days=1))


# --- payments: how much per line, then per quarter, then per day ------------------------------


def quarter_totals() -> list[int]:
    """表 6-1 as fen paid within each quarter."""
    cumulative = [wan_to_fen(paid) for _, paid in seed2023.QUARTER_END_PAID]
    return [cumulative[0]] + [b - a for a, b in zip(cumulative, cumulative[1:])]


def line_targets(quotas: Sequence[Quota]) -> list[int]:
    """The year's paid total (表 6-1) spread over lines in proportion to their 执行数."""
    executed = [wan_to_fen(q.line.executed) for q in quotas]
    return allocate(sum(quarter_totals()), executed, caps=executed)


def _monthly_day(quota: Quota, year: int, month: int) -> dt.date:
    code = quota.line.economic.code
    day_of_month = 5 if code == "30302" else 20 if code in _CONTRIBUTIONS else 10
    return next_working_day(dt.date(year, month, day_of_month))


def fixed_days(quota: Quota, year: int) -> list[dt.date] | None:
    """Payment days of lines with a fixed rhythm; None for the lines spread by profile."""
    code = quota.line.economic.code
    if not quota.line.is_project and (code.startswith("301") or code == "30302"):
        return [_monthly_day(quota, year, month) for month in range(1, 13)]
    project = quota.line.project.code if quota.line.project else ""
    if project == "158002230002":  # 科普大篷车: remitted to 中国科技馆 as soon as it arrived
        return [next_working_day(payable_from(quota, year) + dt.timedelta(days=1))]
    if project == "158002230003":  # 专项拨款（中国电子学会）: finished by August (seed)
        return [next_working_day(dt.date(year, 7, 20)), next_working_day(dt.date(year, 8, 17))]
    return None


# Relative spending per quarter of the lines spread by profile (the last must be > 0).
_BASIC_PROFILES = {
    "30208": (50, 5, 0, 45),  # 取暖费: the heating season
    "30211": (15, 30, 35, 20),  # 差旅费
    "30216": (0, 40, 40, 20),  # 培训费
    "30228": (0, 50, 0, 50),  # 工会经费: remitted twice a year
    "30229": (40, 10, 35, 15),  # 福利费: Spring Festival, Mid-Autumn
}
_BASIC_PROFILE = (22, 25, 25, 28)
_MUSEUM_PROJECT_PROFILE = (10, 15, 30, 45)
_PROJECT_PROFILE = (5, 10, 35, 50)  # back-loaded


def quarter_profile(quota: Quota) -> tuple[int, ...]:
    line = quota.line
    if line.initial == 0:  # created mid-year: nothing before it exists
        first = quarter_of(payable_from(quota, seed2023.YEAR))
        return tuple(0 if q < first else 1 + q for q in range(4))
    if not line.is_project:
        return _BASIC_PROFILES.get(line.economic.code, _BASIC_PROFILE)
    return _MUSEUM_PROJECT_PROFILE if line.unit.code == "158003" else _PROJECT_PROFILE


def _desired(remaining: int, profile: Sequence[int], quarter: int) -> int:
    """What a line would pay this quarter: its share of what it has left."""
    return remaining * profile[quarter] // sum(profile[quarter:])


def split_by_quarter(remaining: list[int], profiles: Sequence[Sequence[int]],
                     totals: Sequence[int]) -> list[list[int]]:
    """Per line, the fen paid in each quarter: quarters 1–3 take exactly ``totals[q]`` split by
    profile and capped by what each line has left; quarter 4 takes the rest of every line."""
    remaining = list(remaining)
    per_line = [[0] * 4 for _ in remaining]
    for quarter in range(3):
        desired = [_desired(left, profile, quarter) for left, profile in zip(remaining, profiles)]
        for i, paid in enumerate(allocate(totals[quarter], desired, caps=remaining)):
            per_line[i][quarter] = paid
            remaining[i] -= paid
    for i, left in enumerate(remaining):
        per_line[i][3] = left
    if sum(remaining) != totals[3]:
        raise ValueError("quarter 4 does not close: the line targets and 表 6-1 disagree")
    return per_line


def _payment_count(quota: Quota, fen: int) -> int:
    code = quota.line.economic.code
    if code in {"30208", "30209", "30228"} and not quota.line.is_project:
        return 1
    if code in {"30205", "30206", "30207", "30231"}:
        return 3  # monthly bills
    return max(1, min(6, fen // 3_000_000 + 1))  # one per 3 万元, at most six a quarter


def split_by_day(quota: Quota, quarter: int, fen: int, rng: random.Random,
                 year: int) -> list[tuple[dt.date, int]]:
    start, end = quarter_bounds(year, quarter)
    days = working_days(max(start, payable_from(quota, year)), end)
    count = min(_payment_count(quota, fen), len(days))
    chosen = sorted(rng.sample(days, count))
    amounts = allocate(fen, [rng.randint(60, 140) for _ in chosen])
    return [(day, amount) for day, amount in zip(chosen, amounts) if amount > 0]


@dataclass(frozen=True)
class _Draft:
    day: dt.date
    quota: Quota
    fen: int
    returns: str = ""  # "original" / "reversal" for the returned payment


def _fixed_drafts(quotas: Sequence[Quota], targets: Sequence[int], year: int) -> list[_Draft]:
    drafts = []
    for quota, target in zip(quotas, targets):
        days = fixed_days(quota, year)
        if days:
            for day, fen in zip(days, allocate(target, [1] * len(days))):
                drafts.append(_Draft(day, quota, fen))
    return drafts


def _flexible_drafts(quotas: Sequence[Quota], targets: Sequence[int], fixed: Sequence[_Draft],
                     rng: random.Random, year: int) -> list[_Draft]:
    flexible = [(q, t) for q, t in zip(quotas, targets) if fixed_days(q, year) is None]
    totals = quarter_totals()
    for draft in fixed:
        totals[quarter_of(draft.day)] -= draft.fen
    if min(totals) < 0:
        raise ValueError("fixed payments exceed a quarter's total")
    per_quarter = split_by_quarter([t for _, t in flexible],
                                   [quarter_profile(q) for q, _ in flexible], totals)
    drafts = []
    for (quota, _), amounts in zip(flexible, per_quarter):
        for quarter, fen in enumerate(amounts):
            if fen:
                drafts += [_Draft(day, quota, part)
                           for day, part in split_by_day(quota, quarter, fen, rng, year)]
    return drafts


# The returned payment: 差旅费 of the 本级, paid in week 19 and returned in week 22 (both Q2).
# The reversal is a row of its own: negative amount, status 已退回, 用途 "退回: <original id>".
RETURNED_FEN = 428_600
REVERSAL_STATUS = "已退回"
RETURNED_PAID_ON = dt.date(2023, 5, 10)
RETURNED_BACK_ON = dt.date(2023, 5, 31)


def _returned_drafts(quotas: Sequence[Quota]) -> list[_Draft]:
    travel = next(q for q in quotas
                  if q.line.unit.code == "158001" and q.line.economic.code == "30211")
    return [_Draft(RETURNED_PAID_ON, travel, RETURNED_FEN, returns="original"),
            _Draft(RETURNED_BACK_ON, travel, -RETURNED_FEN, returns="reversal")]


# --- payees, purposes, settlement (invented, for realism) -------------------------------------

_STAFF = {"158001": 16, "158002": 10, "158003": 16}  # 在职 42 (seed)
_PAYEES = {
    "30108": ["乌鲁木齐市社会保险中心"],
    "30110": ["乌鲁木齐市医疗保障基金专户"],
    "30113": ["乌鲁木齐住房公积金管理中心"],
    "30302": ["批量代发（退休人员）"],
    "30201": ["新疆天山办公用品有限公司", "乌鲁木齐市文华办公设备商行", "新疆博文图书有限公司"],
    "30202": ["乌鲁木齐市金彩印务有限公司"],
    "30204": ["中国工商银行乌鲁木齐人民路支行"],
    "30205": ["乌鲁木齐水业集团有限公司"],
    "30206": ["国网新疆电力有限公司乌鲁木齐供电公司"],
    "30207": ["中国电信股份有限公司乌鲁木齐分公司", "中国邮政集团有限公司乌鲁木齐市分公司"],
    "30208": ["乌鲁木齐热力集团有限公司"],
    "30209": ["新疆安邦保安服务有限公司"],  # the 保安服务费 paid as 物业管理费 (seed)
    "30211": ["中国建设银行新疆分行（公务卡还款）", "新疆丝路国际旅行社有限公司"],
    "30213": ["乌鲁木齐市安达维修服务部"],
    "30216": ["新疆科技干部培训中心"],
    "30226": ["批量代发（劳务人员）"],
    "30227": ["新疆科普文化传播有限公司", "乌鲁木齐市星火科技咨询服务有限公司"],
    "30228": ["乌鲁木齐市科学技术协会工会委员会"],
    "30229": ["批量代发（福利费）"],
    "30231": ["中国石油新疆乌鲁木齐销售分公司", "乌鲁木齐市顺达汽车维修有限公司",
              "中国人民财产保险乌鲁木齐市分公司"],
    "30299": ["新疆科普文化传播有限公司", "新疆科普展品制作有限公司", "乌鲁木齐市青少年科技活动中心"],
    "31002": ["新疆联创电脑科技有限公司"],
}
_PURPOSES = {
    "30201": ["购买办公用品", "购买复印纸及耗材", "订阅报刊"],
    "30202": ["印制科普宣传资料"],
    "30204": ["银行手续费"],
    "30205": ["{m}月水费"],
    "30206": ["{m}月电费"],
    "30207": ["{m}月电话及网络费"],
    "30208": ["采暖季取暖费", "办公楼取暖费"],
    "30209": ["保安服务费"],  # the seed: 保安服务费 is paid from 物业管理费
    "30211": ["差旅费报销", "机票款"],
    "30213": ["办公楼维修费", "设备维护费"],
    "30216": ["干部培训费"],
    "30226": ["专家劳务费", "临时人员劳务费"],
    "30227": ["委托业务费"],
    "30228": ["拨付工会经费"],
    "30229": ["职工福利费"],
    "30231": ["车辆加油费", "车辆维修保养费", "车辆保险费"],
    "30299": ["其他商品和服务支出"],
    "31002": ["购置办公设备"],
}
# project code -> (payees, purposes)
_PROJECT_PAYMENTS = {
    "158001230001": (["新疆科普文化传播有限公司", "乌鲁木齐市星火科技咨询服务有限公司",
                      "新疆博文图书有限公司"],
                     ["全国科普日活动委托费", "科普宣传活动经费", "科普系列图书编印费"]),
    "158001230002": (["乌鲁木齐市青少年科技活动中心", "新疆科普文化传播有限公司"],
                     ["基层科普行动计划奖补资金", "科普教育基地创建经费"]),
    "158001230003": (["乌鲁木齐市老科技工作者协会"], ["老科技工作者协会活动经费"]),
    "158001230004": (["乌鲁木齐市科学技术协会访惠聚工作队"], ["访惠聚驻村为民办实事经费"]),
    "158002230002": (["中国科学技术馆"], ["支付科普大篷车车载展品货款"]),
    "158002230003": (["新疆科普文化传播有限公司"], ["科技支撑乡村振兴启迪义教活动经费"]),
    "158003230001": (["新疆科普展品制作有限公司", "新疆科普文化传播有限公司"],
                     ["免费开放展品维护费", "科普展教活动经费", "临时展览布展费"]),
    "158003230002": (["新疆科普展品制作有限公司"], ["展品更新拓展费", "科普展教活动经费"]),
    "158003230003": (["新疆恒泰物业服务有限公司"], ["场馆物业服务费"]),
    "158003230004": (["国网新疆电力有限公司乌鲁木齐供电公司", "乌鲁木齐热力集团有限公司",
                      "新疆科普展品制作有限公司"], ["场馆水电暖费", "场馆运行维护费", "展品维修费"]),
}
_MONTHLY_TO_PAYROLL = {"30101", "30102", "30103", "30107"}


def _payee(quota: Quota, rng: random.Random) -> str:
    code = quota.line.economic.code
    if quota.line.project is not None:
        return rng.choice(_PROJECT_PAYMENTS[quota.line.project.code][0])
    if code in _MONTHLY_TO_PAYROLL:
        return f"批量代发（{_STAFF[quota.line.unit.code]}人）"
    return rng.choice(_PAYEES[code])


def _purpose(quota: Quota, day: dt.date, rng: random.Random) -> str:
    line = quota.line
    if line.project is not None:
        return rng.choice(_PROJECT_PAYMENTS[line.project.code][1])
    if line.economic.code.startswith("301") or line.economic.code == "30302":
        return f"{day.month}月{line.economic.name}"
    return rng.choice(_PURPOSES[line.economic.code]).format(m=day.month)


def _settlement(quota: Quota) -> str:
    code = quota.line.economic.code
    if code in _MONTHLY_TO_PAYROLL or code in {"30302", "30226", "30229"}:
        return "批量代发"
    if code in {"30211", "30231"}:
        return "公务卡"
    return "转账"


def _day_text(day: dt.date, rng: random.Random) -> str:
    if rng.random() < 0.5:
        return day.isoformat()
    return f"{day.year}/{day.month}/{day.day}"


def _finish(drafts: Sequence[_Draft], rng: random.Random) -> tuple[Payment, ...]:
    """Give each draft an id (in date order), payee, purpose and settlement."""
    ordered = sorted(drafts, key=lambda d: (d.day, d.fen < 0))  # stable: ties keep their order
    payments: list[Payment] = []
    original: Payment | None = None
    for n, draft in enumerate(ordered, start=1):
        payment = Payment(
            id=f"ZF{draft.day.year}{n:06d}", day=draft.day, day_text=_day_text(draft.day, rng),
            quota=draft.quota, fen=draft.fen, payee=_payee(draft.quota, rng),
            purpose=_purpose(draft.quota, draft.day, rng), status="已支付",
            settlement=_settlement(draft.quota))
        if draft.returns == "original":
            original = payment
        elif draft.returns == "reversal":
            assert original is not None, "a reversal comes after its payment"
            payment = replace(payment, payee=original.payee, status=REVERSAL_STATUS,
                              purpose=f"退回: {original.id}", settlement=original.settlement)
        payments.append(payment)
    return tuple(payments)


def build_payments(quotas: Sequence[Quota], year: int) -> tuple[Payment, ...]:
    rng = random.Random(SEED)
    targets = line_targets(quotas)
    fixed = _fixed_drafts(quotas, targets, year)
    flexible = _flexible_drafts(quotas, targets, fixed, rng, year)
    return _finish(fixed + flexible + _returned_drafts(quotas), rng)


def build_plan(year: int = seed2023.YEAR) -> DemoPlan:
    if year != seed2023.YEAR:
        raise ValueError(f"the demo seed only has {seed2023.YEAR}, not {year}")
    seed2023.check_seed()
    quotas = build_quotas()
    return DemoPlan(year, quotas, build_adjustments(quotas), build_payments(quotas, year))
