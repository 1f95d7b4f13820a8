"""An invented department's whole budget year, generated from a seed, with its ground truth.

天山市水务局 (department 427, invented): 4 units, 54 quota lines, about 2,900 payments from
January to December, six adjustment documents (one 调剂 between two units and one inside a
unit, both two-sided), a 绩效目标表 with project and 单位整体 targets and a progress report.

The ground truth is computed here, from the generator's own records, by the evaluation's rules
as docs/DOMAIN.md states them (sums in fen first, then one division; thresholds compared on the
exact rate; a rate shown with two decimals, ROUND_HALF_UP) — never by calling the product's
functions. ``tests/vendor_year_files.py`` writes the records into vendor-style export files.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

YEAR = 2023
DEPARTMENT = ("427", "天山市水务局")
UNITS = (("427001", "天山市水务局"), ("427002", "天山市水文水资源勘测站"),
         ("427003", "天山市河道管理处"), ("427004", "天山市节约用水办公室"))
QUARTER_ENDS = (dt.date(YEAR, 3, 31), dt.date(YEAR, 6, 30), dt.date(YEAR, 9, 30), dt.date(YEAR, 12, 31))
CHECKPOINTS = {QUARTER_ENDS[0]: Decimal(25), QUARTER_ENDS[1]: Decimal(50), QUARTER_ENDS[2]: Decimal(75)}
WEIGHT = Decimal(3)  # each of the four indicators weighs 3 (2023 appendix)
BANDS = ((Decimal(95), Decimal(1)), (Decimal(80), Decimal("0.9")), (Decimal(75), Decimal("0.7")),
         (Decimal(70), Decimal("0.5")))
ADJUSTMENT_LIMIT = Decimal(10)
FEN = Decimal("0.01")

# (economic class, name, functional class, name, budget range in yuan, 三公)
BASIC = (("30101", "基本工资", "2130301", "行政运行", (900_000, 2_400_000), False),
         ("30102", "津贴补贴", "2130301", "行政运行", (400_000, 1_200_000), False),
         ("30108", "机关事业单位基本养老保险缴费", "2080505", "机关事业单位基本养老保险缴费支出",
          (200_000, 600_000), False),
         ("30201", "办公费", "2130301", "行政运行", (60_000, 180_000), False),
         ("30205", "水费", "2130301", "行政运行", (20_000, 60_000), False),
         ("30211", "差旅费", "2130301", "行政运行", (40_000, 120_000), False),
         ("30217", "公务接待费", "2130301", "行政运行", (20_000, 50_000), True),
         ("30231", "公务用车运行维护费", "2130301", "行政运行", (60_000, 150_000), True))
PROJECT_CLASSES = (("30227", "委托业务费"), ("30226", "劳务费"), ("31005", "基础设施建设"))
PROJECTS = {  # unit → ((name, functional class, functional name, lines), …)
    "427001": (("防汛抗旱应急保障经费", "2130314", "防汛", 3),
               ("水资源规划编制经费", "2130304", "水利行业业务管理", 3)),
    "427002": (("水文监测站网运行维护经费", "2130306", "水利工程运行与维护", 3),
               ("地下水超采区监测经费", "2130304", "水利行业业务管理", 3)),
    "427003": (("河道堤防日常维修养护经费", "2130306", "水利工程运行与维护", 3),
               ("河湖长制工作经费", "2130310", "水土保持", 2)),
    "427004": (("节水型社会建设经费", "2130316", "农村水利", 3),
               ("节水宣传教育经费", "2130304", "水利行业业务管理", 2)),
}
# Cumulative share of a line's full-year budget paid by each month's end, per unit: 427001 meets
# every checkpoint, 427002 misses Q1, 427003 misses all three, 427004 meets Q1 only.
PACE = {
    "427001": (9, 17, 28, 35, 43, 54, 61, 69, 80, 86, 92, 97),
    "427002": (5, 11, 19, 27, 36, 54, 60, 67, 79, 84, 90, 96),
    "427003": (4, 9, 15, 21, 28, 35, 41, 48, 56, 65, 74, 83),
    "427004": (8, 16, 29, 34, 40, 45, 53, 61, 70, 79, 86, 91),
}


@dataclass(frozen=True)
class Line:
    quota_no: str
    unit: str
    economic: tuple[str, str]
    functional: tuple[str, str]
    project: tuple[str, str] | None
    three_public: bool
    initial: int  # fen
    doc_no: str

    @property
    def expense_type(self) -> str:
        return "项目支出" if self.project else "基本支出"


@dataclass(frozen=True)
class Pay:
    payment_no: str
    line: Line
    day: dt.date
    amount: int  # fen, negative for a 退回 voucher
    status: str  # 已支付 | 已退回 | 已作废 | 待支付
    payee: str
    purpose: str

    @property
    def counted(self) -> int:
        """What counts as paid: 已支付 rows, and 已退回 rows that are negative (the reversal vouchers)."""
        if self.status == "已支付" or (self.status == "已退回" and self.amount < 0):
            return self.amount
        return 0


@dataclass(frozen=True)
class Adjust:
    number: str  # 调整单号
    day: dt.date
    kind: str  # 追加 | 追减 | 调剂
    legs: tuple[tuple[Line, int], ...]  # (line, signed fen): a 调剂 has two legs
    reason: str
    exempt: str = ""  # 政策性 … (left out of the adjustment rate)


@dataclass(frozen=True)
class Target:
    unit: str
    project: tuple[str, str] | None  # None: 单位整体
    level1: str
    level2: str
    name: str
    text: str  # 指标值 as written
    weight: int
    leader: str
    economic: str = ""  # a cost cap names the class it is measured on
    reports: tuple[tuple[dt.date, str], ...] = ()  # (date, actual as reported)


@dataclass
class Year:
    seed: int
    lines: list[Line] = field(default_factory=list)
    payments: list[Pay] = field(default_factory=list)
    adjustments: list[Adjust] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    previous_three_public: dict[str, int] = field(default_factory=dict)  # unit → 2022 三公 budget, fen

    # --- ground truth, all in fen or exact Decimal percent -----------------------------------

    def members(self, entity: str) -> list[Line]:
        """The lines of a unit code, or of the department (its code)."""
        return [l for l in self.lines if entity in (l.unit, DEPARTMENT[0])]

    def adjusted(self, line: Line, day: dt.date) -> int:
        """Σ adjustments of ``line`` dated on or before ``day``."""
        return sum(amount for a in self.adjustments if a.day <= day for l, amount in a.legs if l == line)

    def budget(self, entity: str, day: dt.date = QUARTER_ENDS[-1]) -> int:
        """The budget in force at ``day``: initial plus the adjustments dated up to it."""
        return sum(l.initial + self.adjusted(l, day) for l in self.members(entity))

    def initial(self, entity: str) -> int:
        return sum(l.initial for l in self.members(entity))

    def paid(self, entity: str, day: dt.date, *, lines: list[Line] | None = None) -> int:
        chosen = set(map(id, lines if lines is not None else self.members(entity)))
        return sum(p.counted for p in self.payments if p.day <= day and id(p.line) in chosen)

    def progress(self, entity: str) -> list[tuple[dt.date, Decimal, bool]]:
        """资金支付进度: (checkpoint, exact rate, met) against the full-year adjusted budget."""
        budget = self.budget(entity)
        return [(day, exact_rate(self.paid(entity, day), budget), exact_rate(self.paid(entity, day), budget) >= target)
                for day, target in CHECKPOINTS.items()]

    def progress_score(self, entity: str) -> Decimal:
        met = sum(1 for *_, hit in self.progress(entity) if hit)
        return points(WEIGHT * met / len(CHECKPOINTS))

    def execution(self, entity: str) -> tuple[Decimal, Decimal]:
        """预算执行率 at year end and its score by the bands."""
        achieved = exact_rate(self.paid(entity, QUARTER_ENDS[-1]), self.budget(entity))
        share = next((s for floor, s in BANDS if achieved >= floor), Decimal(0))
        return achieved, points(WEIGHT * share)

    def adjusted_amount(self, entity: str) -> int:
        """预算调整数 (gross, the 财政部 definition): 追加 + |追减| + the amount each 调剂 moves in
        or out of the entity (a transfer inside the entity counts once); exempt ones left out."""
        own = set(map(id, self.members(entity)))
        total = 0
        for a in self.adjustments:
            if a.exempt:
                continue
            legs = [amount for line, amount in a.legs if id(line) in own]
            if a.kind == "调剂":
                total += max(sum(x for x in legs if x > 0), -sum(x for x in legs if x < 0), 0)
            else:
                total += sum(abs(x) for x in legs)
        return total

    def adjustment(self, entity: str) -> tuple[Decimal, Decimal]:
        achieved = exact_rate(self.adjusted_amount(entity), self.initial(entity))
        return achieved, WEIGHT if achieved < ADJUSTMENT_LIMIT else points(Decimal(0))

    def three_public(self, entity: str) -> tuple[int, int, int, Decimal]:
        """(budget, spent, last year's budget, score): full only if spent ≤ budget ≤ last year's."""
        lines = [l for l in self.members(entity) if l.three_public]
        budget = sum(l.initial + self.adjusted(l, QUARTER_ENDS[-1]) for l in lines)
        spent = self.paid(entity, QUARTER_ENDS[-1], lines=lines)
        units = {l.unit for l in lines}
        previous = sum(v for u, v in self.previous_three_public.items() if u in units)
        return budget, spent, previous, WEIGHT if spent <= budget <= previous else points(Decimal(0))

    def target_truth(self, target: Target) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
        """(actual in the target's measure, completion %, score) at year end."""
        value = Decimal("".join(ch for ch in target.text if ch.isdigit() or ch == "."))
        if target.economic:  # a cost cap in 万元, measured on the project's payments of that class
            lines = [l for l in self.lines if l.unit == target.unit and l.project == target.project
                     and l.economic[0].startswith(target.economic)]
            actual = Decimal(self.paid(target.unit, QUARTER_ENDS[-1], lines=lines)) / 1_000_000
            completion = Decimal(100) if actual <= value else rounded(value * 100 / actual)
        else:
            if not target.reports:
                return None, None, None
            actual = Decimal(re.match(r"[\d.]+", target.reports[-1][1])[0])  # "13个", "91%", "50次"
            completion = rounded(actual * 100 / value)
        if target.level1 == "满意度指标":
            earned = Decimal(100) if actual >= value else Decimal(0)
        else:
            earned = min(completion, Decimal(100)) if completion >= 90 else Decimal(0)
        return actual, completion, rounded(target.weight * earned / 100)

    def entities(self) -> list[str]:
        return [DEPARTMENT[0], *(code for code, _ in UNITS)]


def exact_rate(numerator: int, denominator: int) -> Decimal:
    return Decimal(numerator) * 100 / Decimal(denominator)


def rounded(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def beside(value: Decimal, limit: Decimal) -> str:
    """A rate as the scoring shows it next to its limit: two decimals, more only where two would
    put the shown figure on the limit or across it (24.9955 → "24.996", not "25.00")."""
    places = 2
    while True:
        shown = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        if places >= 10 or (shown == limit) == (value == limit) and (shown < limit) == (value < limit):
            return f"{shown:.{places}f}"
        places += 1


def points(value: Decimal) -> Decimal:
    return rounded(value)


def yuan(fen: int) -> str:
    """Fen as the two-decimal yuan text the product's JSON prints."""
    return f"{Decimal(fen) / 100:.2f}"


PAYEES = ("天山市宏源水利工程有限公司", "天山市清泉环境监测中心", "新疆天河建设集团有限公司", "天山市机关服务中心",
          "中国石油天山销售分公司",
          "天山市国库集中支付中心代发工资", "天山市社会保险事业管理局", "天山市润泽物业管理有限公司")


def generate(seed: int = 16) -> Year:
    rnd = random.Random(seed)
    year = Year(seed)
    for unit, _ in UNITS:
        _unit_lines(rnd, year, unit)
    _adjustments(year)
    for line in year.lines:
        _payments(rnd, year, line)
    year.payments.sort(key=lambda p: (p.day, p.payment_no))
    _targets(year)
    for unit, _ in UNITS:  # last year's 三公 budgets: 427002 budgets more than last year (fails the control)
        this_year = sum(l.initial for l in year.lines if l.unit == unit and l.three_public)
        year.previous_three_public[unit] = this_year - 800_000 if unit == "427002" else this_year + 500_000
    return year


def _unit_lines(rnd: random.Random, year: Year, unit: str) -> None:
    serial = 0
    for economic, ename, functional, fname, (low, high), three in BASIC:
        serial += 1
        year.lines.append(Line(f"ZB{YEAR}-{unit}-{serial:03d}", unit, (economic, ename), (functional, fname), None,
                               three, rnd.randrange(low, high, 100) * 100, f"天财预〔{YEAR}〕1号"))
    for p, (pname, functional, fname, count) in enumerate(PROJECTS[unit], start=1):
        project = (f"{unit}{YEAR % 100}{p:04d}", pname)
        for economic, ename in PROJECT_CLASSES[:count]:
            serial += 1
            year.lines.append(Line(f"ZB{YEAR}-{unit}-{serial:03d}", unit, (economic, ename), (functional, fname),
                                   project, False, rnd.randrange(200_000, 2_600_000, 100) * 100,
                                   f"天财预〔{YEAR}〕{10 + p}号"))


def _line(year: Year, unit: str, economic: str, project: bool = False) -> Line:
    return next(l for l in year.lines if l.unit == unit and l.economic[0] == economic and bool(l.project) == project)


def _adjustments(year: Year) -> None:
    u1_office, u1_travel = _line(year, "427001", "30201"), _line(year, "427001", "30211")
    u1_flood = _line(year, "427001", "30227", True)
    u2_survey, u3_river = _line(year, "427002", "30227", True), _line(year, "427003", "30227", True)
    u3_labour = _line(year, "427003", "30226", True)
    u4_save = _line(year, "427004", "30227", True)
    u4_initial = sum(l.initial for l in year.lines if l.unit == "427004")
    big = (u4_initial * 13 // 100) // 10_000 * 10_000  # 13% of 427004's initial budget: over the 10% limit
    year.adjustments = [
        Adjust(f"TZ{YEAR}-001", dt.date(YEAR, 3, 15), "追加", ((u4_save, big),), "节水型社会建设追加"),
        Adjust(f"TZ{YEAR}-002", dt.date(YEAR, 5, 20), "追减", ((u3_labour, -120_000_00),), "压减一般性支出"),
        Adjust(f"TZ{YEAR}-003", dt.date(YEAR, 6, 10), "调剂", ((u2_survey, -300_000_00), (u3_river, 300_000_00)),
               "汛期河道应急整治调剂"),
        Adjust(f"TZ{YEAR}-004", dt.date(YEAR, 8, 8), "追加", ((u1_flood, 1_500_000_00),), "中央水利发展资金",
               "政策性"),
        Adjust(f"TZ{YEAR}-005", dt.date(YEAR, 9, 12), "调剂", ((u1_office, -20_000_00), (u1_travel, 20_000_00)),
               "差旅费不足调剂"),
        Adjust(f"TZ{YEAR}-006", dt.date(YEAR, 11, 3), "追加", ((_line(year, "427002", "30201"), 15_000_00),),
               "办公设备更新"),
    ]


def _payments(rnd: random.Random, year: Year, line: Line) -> None:
    final = line.initial + year.adjusted(line, QUARTER_ENDS[-1])
    share = [Decimal(s) / 100 + Decimal(rnd.randrange(-15, 16)) / 1000 for s in PACE[line.unit]]
    share = [min(max(s, Decimal(0)), Decimal("0.995")) for s in share]
    for i in range(1, 12):
        share[i] = max(share[i], share[i - 1])  # cumulative: never down
    done = 0
    serial = len(year.payments)
    for month in range(1, 13):
        target = int(final * share[month - 1])
        amount = target - done
        if amount <= 0:
            continue
        count = max(1, min(10, int(rnd.gauss(5.0, 1.7))))
        cuts = sorted(rnd.sample(range(1, amount), count - 1)) if amount > count else []
        pieces = [b - a for a, b in zip([0, *cuts], [*cuts, amount])]
        last = (dt.date(YEAR, month % 12 + 1, 1) - dt.timedelta(days=1)).day if month < 12 else 31
        for piece in pieces:
            serial += 1
            day = dt.date(YEAR, month, rnd.choice((last, *range(3, last + 1))))  # quarter ends get theirs
            year.payments.append(Pay(f"ZF{YEAR}{month:02d}{serial:05d}", line, day, piece, "已支付",
                                     rnd.choice(PAYEES), f"{line.economic[1]}支出"))
        done = target
        if rnd.random() < 0.05:  # a voucher voided before payment (never counts)
            serial += 1
            year.payments.append(Pay(f"ZF{YEAR}{month:02d}{serial:05d}", line, dt.date(YEAR, month, 2),
                                     rnd.randrange(1_000_00, 50_000_00), "已作废", rnd.choice(PAYEES), "作废凭证"))
        if rnd.random() < 0.04 and pieces and month < 12:  # part of a payment comes back next month
            serial += 1
            back = -min(pieces[0] // 3, 8_000_00) or -1
            year.payments.append(Pay(f"ZF{YEAR}{month + 1:02d}{serial:05d}", line, dt.date(YEAR, month + 1, 5), back,
                                     "已退回", rnd.choice(PAYEES), "收款账户信息有误退回"))
    if rnd.random() < 0.3:  # a request still pending at year end (never counts)
        serial += 1
        year.payments.append(Pay(f"ZF{YEAR}12{serial:05d}", line, dt.date(YEAR, 12, 29),
                                 rnd.randrange(5_000_00, 80_000_00), "待支付", rnd.choice(PAYEES), "年末待支付"))


LEADERS = {"427001": "古丽娜·热合曼", "427002": "马志远", "427003": "阿不都·买买提", "427004": "周晓琳"}


def _targets(year: Year) -> None:
    """Per project: a quantity floor, a cost cap in 万元 on its 委托业务费, a satisfaction
    target; per unit one 单位整体 target. Progress reports through the year."""
    for unit, _ in UNITS:
        leader = LEADERS[unit]
        projects = sorted({l.project for l in year.lines if l.unit == unit and l.project})
        for n, project in enumerate(projects):
            floor = 12 + 6 * n
            reached = (floor * 3 // 10, floor * 6 // 10, floor * 8 // 10, floor + (-2 if unit == "427003" else 1))
            year.targets.append(Target(unit, project, "产出指标", "数量指标", f"{project[1][:6]}完成工程（任务）数",
                                       f"≥{floor}个", 20, leader,
                                       reports=tuple(zip(QUARTER_ENDS, (f"{r}个" for r in reached)))))
            lines = [l for l in year.lines if l.project == project and l.economic[0] == "30227"]
            spent = sum(p.counted for p in year.payments if p.line in lines)
            cap = Decimal(spent) / 1_000_000 * (Decimal("0.97") if n == 1 else Decimal("1.08"))
            year.targets.append(Target(unit, project, "成本指标", "经济成本指标", "委托业务费支出成本",
                                       f"≤{cap.quantize(FEN)}万元", 10, leader, economic="30227"))
            year.targets.append(Target(unit, project, "满意度指标", "服务对象满意度指标", "受益群众满意度",
                                       "≥90%", 10, leader,
                                       reports=((QUARTER_ENDS[1], "88%"), (QUARTER_ENDS[3], f"{91 + n}%"))))
        year.targets.append(Target(unit, None, "履职效能", "数量指标", "开展河湖巡查次数", "≥48次", 5, leader,
                                   reports=((QUARTER_ENDS[1], "20次"), (QUARTER_ENDS[3], "50次"))))
