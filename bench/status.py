"""Benchmark of the execution engine's read side on a generated province, against a DuckDB floor.

    .venv/bin/python bench/status.py                     # 5,000 units, 1,000,000 payments, SQLite
    .venv/bin/python bench/status.py --small             # 500 units, 100,000 payments
    .venv/bin/python bench/status.py --explain --profile # plus the query plans and a cProfile
    .venv/bin/python bench/status.py --db postgresql+psycopg://u@host/empty_db

As in bench/ingest.py, the parent process only orchestrates: every step (the data generation
included) runs as ``python bench/status.py --step NAME`` in a fresh interpreter, which reads its
own peak RSS and writes its figures to ``OUT/results/NAME.json``. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

GENERATOR_VERSION = 1
SEED = 20230615
YEAR = 2023
UNITS_PER_DEPARTMENT = 25
LINES_PER_UNIT = 10
QUOTA_EXPORT_DAYS = ("01-05", "03-31", "06-30", "09-30", "12-31")  # one quota export at each

ENGINE_STEPS = ("status-all", "status-unit", "scores-all", "scores-unit", "figures-all", "figures-unit")
CLI_STEPS = ("cli-all", "cli-unit")
FLOOR_STEPS = ("duckdb",)
LABELS = {
    "status-all": "status, whole province",
    "status-unit": "status, one unit",
    "scores-all": "scores, whole province",
    "scores-unit": "scores, one unit",
    "figures-all": "  of which line_figures",
    "figures-unit": "  of which line_figures (1 unit)",
    "cli-all": "CLI status --json, province",
    "cli-unit": "CLI status --json, one unit",
    "duckdb": "floor: DuckDB",
}


# --- helpers usable in every process ------------------------------------------------------------

def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident set size in MB (Linux reports ru_maxrss in KiB)."""
    maxrss = resource.getrusage(who).ru_maxrss
    return maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024


def paths(out: Path) -> dict[str, Path]:
    data = out / "data"
    return {"data": data, "meta": data / "meta.json", "sqlite": data / "province.sqlite",
            "parquet": data / "parquet", "results": out / "results"}


def db_url(args) -> str:
    if args.db != "sqlite":
        return args.db
    from db.engine import sqlite_url
    return sqlite_url(paths(args.out)["sqlite"])


def load_meta(args) -> dict:
    return json.loads(paths(args.out)["meta"].read_text(encoding="utf-8"))


def write_result(out: Path, step: str, result: dict) -> None:
    result.setdefault("peak_rss_mb", round(peak_rss_mb(), 1))
    target = paths(out)["results"] / f"{step}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str), encoding="utf-8")


def digest(per_unit: dict[str, tuple[int, int]]) -> str:
    """One hash of every unit's (budget, paid) in fen, to compare our figures with the floor's."""
    text = json.dumps(sorted([code, int(b), int(p)] for code, (b, p) in per_unit.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- step: generate -------------------------------------------------------------------------------

REGIONS = ["乌鲁木齐市", "克拉玛依市", "吐鲁番市", "哈密市", "昌吉州", "博州", "巴州", "阿克苏地区", "克州",
           "喀什地区"]
DEPARTMENTS = ["科学技术协会", "教育局", "卫生健康委员会", "财政局", "交通运输局", "农业农村局", "文化和旅游局",
               "民政局", "人力资源和社会保障局", "住房和城乡建设局", "生态环境局", "水务局", "市场监督管理局",
               "司法局", "公安局", "林业和草原局", "商务局", "统计局", "审计局", "应急管理局"]
SUBORDINATE = ["本级", "机关服务中心", "信息中心", "培训中心", "事务中心", "监测站", "研究所", "档案馆", "执法支队",
               "服务站", "综合保障中心", "宣传中心"]
FUNCTIONAL = [("2060701", "机构运行"), ("2060702", "一般行政管理事务"), ("2060799", "其他科学技术普及支出"),
              ("2050201", "学前教育"), ("2050202", "小学教育"), ("2100201", "综合医院"),
              ("2080505", "机关事业单位基本养老保险缴费支出"), ("2101101", "行政单位医疗"), ("2210201", "住房公积金"),
              ("2130101", "行政运行"), ("2011001", "行政运行"), ("2040101", "武装警察")]
ECONOMIC = [("30101", "基本工资"), ("30102", "津贴补贴"), ("30103", "奖金"), ("30108", "机关事业单位基本养老保险缴费"),
            ("30113", "住房公积金"), ("30201", "办公费"), ("30202", "印刷费"), ("30206", "电费"), ("30211", "差旅费"),
            ("30213", "维修（护）费"), ("30215", "会议费"), ("30216", "培训费"), ("30217", "公务接待费"),
            ("30226", "劳务费"), ("30227", "委托业务费"), ("30231", "公务用车运行维护费"), ("31002", "办公设备购置")]
THREE_PUBLIC = {"30217", "30231"}
PROJECT_WORDS = ["科普经费", "信息化建设", "设备更新", "专项业务费", "培训项目", "宣传经费", "运维经费", "课题研究",
                 "监测经费", "综合治理"]
PURPOSES = ["办公用品采购", "差旅费报销", "会议费", "培训费", "水电费", "物业管理费", "印刷费", "邮电费", "车辆维修",
            "车辆加油", "公务接待", "劳务费", "委托业务费", "工资发放", "养老保险缴费", "住房公积金", "设备购置",
            "软件服务费", "网络租赁费", "专家咨询费"]
PAYEE_A = ["天山", "昆仑", "丝路", "博格达", "红山", "西域", "雪莲", "绿洲", "金桥", "新天", "瑞达", "华信", "中泰",
           "恒通", "百川", "宏远", "安达", "明德", "嘉和", "润泽"]
PAYEE_B = ["科技", "商贸", "物业", "印务", "汽车服务", "信息技术", "文化传媒", "建设工程", "餐饮管理", "办公设备"]
PAYEE_C = ["有限公司", "有限责任公司", "股份有限公司", "服务部", "经营部"]


def build_province(n_units: int, n_payments: int, year: int = YEAR) -> dict:
    """Every table's rows as lists of column lists (amounts in fen, dates as ISO text)."""
    import numpy as np

    rng = np.random.default_rng(SEED + YEAR - year)
    iso = lambda d: d.isoformat()  # noqa: E731
    year_start = dt.date(year, 1, 1)
    days = [year_start + dt.timedelta(days=i) for i in range(365)]
    day_text = np.array([iso(d) for d in days], dtype=object)
    month_end = [dt.date(year, m + 1, 1) - dt.timedelta(days=1) if m < 12 else dt.date(year, 12, 31)
                 for m in range(1, 13)]
    now = "2024-01-05 09:00:00+08:00"

    n_departments = max(1, n_units // UNITS_PER_DEPARTMENT)
    departments = {"id": [], "code": [], "name": []}
    for d in range(n_departments):
        departments["id"].append(d + 1)
        departments["code"].append(f"{101 + d:03d}" if d < 899 else f"D{d + 1:05d}")
        lap = d // (len(DEPARTMENTS) * len(REGIONS))
        departments["name"].append(REGIONS[d // len(DEPARTMENTS) % len(REGIONS)] + DEPARTMENTS[d % len(DEPARTMENTS)]
                                   + (f"（{lap + 1}）" if lap else ""))

    # Imports: five quota exports, twelve monthly payment exports, one adjustment export.
    imports = {k: [] for k in ("id", "file_name", "content_hash", "kind", "budget_year", "rows", "inserted", "updated",
                               "unchanged", "observed_on", "imported_at", "outcome", "detail")}

    def add_import(kind: str, day: dt.date, name: str) -> int:
        imports["id"].append(len(imports["id"]) + 1)
        imports["file_name"].append(name)
        imports["content_hash"].append(hashlib.sha256(f"{kind}{day}{name}".encode()).hexdigest())
        imports["kind"].append(kind)
        imports["budget_year"].append(year)
        for k in ("rows", "inserted", "updated", "unchanged"):
            imports[k].append(0)
        imports["observed_on"].append(iso(day))
        imports["imported_at"].append(now)
        imports["outcome"].append("ingested")
        imports["detail"].append("{}")
        return imports["id"][-1]

    quota_days = [dt.date.fromisoformat(f"{year}-{md}") for md in QUOTA_EXPORT_DAYS]
    quota_imports = [add_import("quota", d, f"{d}_指标明细.xlsx") for d in quota_days]
    payment_imports = [add_import("payments", d, f"{d}_支付明细.csv") for d in month_end]
    adjustment_import = add_import("adjustments", dt.date(year, 12, 31), f"{year}-12-31_调整明细.xlsx")

    # Units: UNITS_PER_DEPARTMENT per department (本级 first), the rest to the last department.
    units = {"id": [], "code": [], "name": [], "department_id": []}
    for u in range(n_units):
        d = min(u // UNITS_PER_DEPARTMENT, n_departments - 1)
        k = u - d * UNITS_PER_DEPARTMENT
        units["id"].append(u + 1)
        units["code"].append(f"{departments['code'][d]}{k + 1:03d}")
        suffix = "" if k == 0 else SUBORDINATE[k % len(SUBORDINATE)] + (str(k // len(SUBORDINATE) + 1)
                                                                         if k >= len(SUBORDINATE) else "")
        units["name"].append(departments["name"][d] + suffix)
        units["department_id"].append(d + 1)

    # Quota lines: LINES_PER_UNIT per unit; 40 % project lines over up to 4 projects of the unit.
    n_lines = n_units * LINES_PER_UNIT
    line_unit = np.repeat(np.arange(n_units), LINES_PER_UNIT)
    is_project = rng.random(n_lines) < 0.4
    project_k = rng.integers(0, 4, n_lines)
    func_i = rng.integers(0, len(FUNCTIONAL), n_lines)
    econ_i = rng.integers(0, len(ECONOMIC), n_lines)
    initial = (np.rint(rng.lognormal(np.log(200_000), 1.0, n_lines) / 100) * 10_000).astype(np.int64)  # fen
    projects = {"id": [], "code": [], "name": [], "unit_id": []}
    project_ids: dict[tuple[int, int], int] = {}
    line_project: list[int | None] = []
    for u, has, k in zip(line_unit.tolist(), is_project.tolist(), project_k.tolist()):
        if not has:
            line_project.append(None)
            continue
        if (u, k) not in project_ids:
            project_ids[u, k] = len(projects["id"]) + 1
            projects["id"].append(project_ids[u, k])
            projects["code"].append(f"{units['code'][u]}{year % 100}{k + 1:04d}")
            projects["name"].append(PROJECT_WORDS[(u + k) % len(PROJECT_WORDS)])
            projects["unit_id"].append(u + 1)
        line_project.append(project_ids[u, k])
    quota_nos = [f"{year}{units['code'][u]}{i % LINES_PER_UNIT:04d}" for i, u in enumerate(line_unit.tolist())]

    # Adjustments: 20 % of the lines get one or two, ±10–30 % of the initial budget, in whole yuan hundreds.
    adjusted = np.flatnonzero(rng.random(n_lines) < 0.2)
    adj_line = np.concatenate([adjusted, adjusted[rng.random(len(adjusted)) < 0.3]])
    n_adj = len(adj_line)
    adj_day = rng.integers(0, 365, n_adj)
    adj_share = rng.uniform(0.1, 0.3, n_adj) * np.where(rng.random(n_adj) < 0.7, 1, -1)
    adj_amount = (np.rint(initial[adj_line] * adj_share / 10_000) * 10_000).astype(np.int64)
    adj_kind = np.where(rng.random(n_adj) < 0.15, "transfer", np.where(adj_amount >= 0, "add", "cut"))
    adj_exempt = np.where(rng.random(n_adj) < 0.1, "policy", None)
    adjustments = {
        "id": list(range(1, n_adj + 1)),
        "adjustment_no": [f"TZ{year}{i:07d}" for i in range(1, n_adj + 1)],
        "adjusted_on": day_text[adj_day].tolist(),
        "adjustment_type": adj_kind.tolist(),
        "reason": ["年中追加" if a >= 0 else "结余收回" for a in adj_amount.tolist()],
        "exempt_category": adj_exempt.tolist(),
        "budget_year": [year] * n_adj,
        "quota_no": [quota_nos[i] for i in adj_line.tolist()],
        "unit_id": (line_unit[adj_line] + 1).tolist(),
        "amount": adj_amount.tolist(),
        "observed_on": [f"{year}-12-31"] * n_adj,
        "first_import_id": [adjustment_import] * n_adj,
        "last_import_id": [adjustment_import] * n_adj,
    }
    moves: dict[int, list[tuple[dt.date, int]]] = {}
    for line, day, amount in zip(adj_line.tolist(), adj_day.tolist(), adj_amount.tolist()):
        moves.setdefault(line, []).append((days[day], amount))

    # Snapshots: 1–3 of the five quota exports per line; 85 % of the lines are in the first one,
    # the others appear later in the year (some after as_of). Each sees the adjustments up to its date.
    snapshots = {k: [] for k in ("id", "quota_line_id", "import_id", "observed_on", "initial", "adjustment", "current")}
    last_seen: list[tuple[int, dt.date, int]] = []  # per line: (import, date, current) of its latest export
    n_snapshots = rng.choice([1, 2, 3], n_lines, p=[0.3, 0.4, 0.3])
    first_export = np.where(rng.random(n_lines) < 0.85, 0, rng.integers(1, 4, n_lines))
    for line in range(n_lines):
        first = int(first_export[line])
        later = sorted(rng.choice(np.arange(first + 1, 5), min(int(n_snapshots[line]) - 1, 4 - first),
                                  replace=False).tolist()) if first < 4 else []
        for e in [first, *later]:
            current = int(initial[line]) + sum(a for d, a in moves.get(line, ()) if d <= quota_days[e])
            snapshots["id"].append(len(snapshots["id"]) + 1)
            snapshots["quota_line_id"].append(line + 1)
            snapshots["import_id"].append(quota_imports[e])
            snapshots["observed_on"].append(iso(quota_days[e]))
            snapshots["initial"].append(int(initial[line]))
            snapshots["adjustment"].append(current - int(initial[line]))
            snapshots["current"].append(current)
        last_seen.append((quota_imports[e], quota_days[e], current))
    quota_lines = {
        "id": list(range(1, n_lines + 1)),
        "budget_year": [year] * n_lines,
        "quota_no": quota_nos,
        "doc_no": [f"新财预〔{year}〕{1 + i % 97}号" for i in range(n_lines)],
        "unit_id": (line_unit + 1).tolist(),
        "functional_class": [FUNCTIONAL[i][0] for i in func_i.tolist()],
        "functional_name": [FUNCTIONAL[i][1] for i in func_i.tolist()],
        "economic_class": [ECONOMIC[i][0] for i in econ_i.tolist()],
        "economic_name": [ECONOMIC[i][1] for i in econ_i.tolist()],
        "gov_economic_class": ["50201" for _ in range(n_lines)],
        "project_id": line_project,
        "expense_type": ["project" if p else "basic" for p in is_project.tolist()],
        "fund_type": ["一般公共预算资金" if r < 0.9 else "政府性基金预算资金" for r in rng.random(n_lines).tolist()],
        "source": ["年初批复" for _ in range(n_lines)],
        "three_public": [ECONOMIC[i][0] in THREE_PUBLIC for i in econ_i.tolist()],
        "initial": initial.tolist(),
        "adjustment": [c - int(i) for (_imp, _d, c), i in zip(last_seen, initial.tolist())],
        "current": [c for _imp, _d, c in last_seen],
        "reported_paid": [None] * n_lines,
        "reported_available": [None] * n_lines,
        "observed_on": [iso(d) for _imp, d, _c in last_seen],
        "last_import_id": [imp for imp, _d, _c in last_seen],
    }

    # Payments, in date order (more towards the year end, a December rush), to lines in
    # proportion to their budgets; statuses: 95.5 % paid, 2 % returned (not counted), 1.5 %
    # voided, 0.5 % pending, 0.5 % reversal vouchers (returned, negative: counted). 0.1 % name a
    # quota line that is not in the quota exports, 0.01 % none at all.
    weight = np.linspace(1.0, 2.0, 365)
    weight[-31:] *= 2.5
    pay_day = np.sort(rng.choice(365, n_payments, p=weight / weight.sum()))
    pay_line = rng.choice(n_lines, n_payments, p=initial / initial.sum())
    fen = np.clip(np.rint(rng.lognormal(np.log(5_000), 1.4, n_payments)) * 100, 100, 500_000_000).astype(np.int64)
    r = rng.random(n_payments)
    status = np.select([r < 0.955, r < 0.975, r < 0.99, r < 0.995], ["paid", "returned", "voided", "pending"],
                       "returned").astype(object)
    fen = np.where(r >= 0.995, -fen, fen)
    quota_no = np.array(quota_nos, dtype=object)[pay_line]
    o = rng.random(n_payments)
    quota_no[o < 0.001] = np.array([f"{year}X{i:07d}" for i in range(int((o < 0.001).sum()))], dtype=object)
    quota_no[o < 0.0001] = None
    months = np.array([d.month for d in days])[pay_day] - 1
    payees = np.array([f"新疆{a}{b}{c}" for a in PAYEE_A for b in PAYEE_B for c in PAYEE_C], dtype=object)
    purposes = np.array([f"{m}月{w}" for m in range(1, 13) for w in PURPOSES], dtype=object)
    month_end_text = np.array([iso(d) for d in month_end], dtype=object)
    payment_import = np.array(payment_imports)[months]
    payments = {
        "id": np.arange(1, n_payments + 1).tolist(),
        "payment_no": [f"ZF{year}{i:010d}" for i in range(1, n_payments + 1)],
        "pay_date": day_text[pay_day].tolist(),
        "status": status.tolist(),
        "doc_no": np.array(quota_lines["doc_no"], dtype=object)[pay_line].tolist(),
        "functional_class": np.array(quota_lines["functional_class"], dtype=object)[pay_line].tolist(),
        "economic_class": np.array(quota_lines["economic_class"], dtype=object)[pay_line].tolist(),
        "project_id": np.array(line_project, dtype=object)[pay_line].tolist(),
        "payee": payees[rng.integers(0, len(payees), n_payments)].tolist(),
        "purpose": purposes[months * len(PURPOSES) + rng.integers(0, len(PURPOSES), n_payments)].tolist(),
        "settlement": np.where(rng.random(n_payments) < 0.9, "国库集中支付", "授权支付").astype(object).tolist(),
        "budget_year": [year] * n_payments,
        "quota_no": quota_no.tolist(),
        "unit_id": (line_unit[pay_line] + 1).tolist(),
        "amount": fen.tolist(),
        "observed_on": month_end_text[months].tolist(),
        "first_import_id": payment_import.tolist(),
        "last_import_id": payment_import.tolist(),
    }
    tables = {"departments": departments, "imports": imports, "units": units, "projects": projects,
              "quota_lines": quota_lines, "quota_snapshots": snapshots, "adjustments": adjustments,
              "payments": payments}
    return {"tables": tables, "unit_code": units["code"][n_units // 2 + 1]}


# Foreign keys of the tables an earlier year adds (units and departments are shared).
REFERENCES = {"imports": {}, "projects": {},
              "quota_lines": {"project_id": "projects", "last_import_id": "imports"},
              "quota_snapshots": {"quota_line_id": "quota_lines", "import_id": "imports"},
              "adjustments": {"first_import_id": "imports", "last_import_id": "imports"},
              "payments": {"project_id": "projects", "first_import_id": "imports", "last_import_id": "imports"}}


def shifted(tables: dict, offsets: dict[str, int]) -> dict:
    """An earlier year's tables with every id (and reference) moved past the ids already used."""
    result = {}
    for table, references in REFERENCES.items():
        columns = dict(tables[table])
        columns["id"] = [i + offsets[table] for i in columns["id"]]
        for column, target in references.items():
            columns[column] = [None if v is None else v + offsets[target] for v in columns[column]]
        result[table] = columns
    return result


def _insert(connection, table: str, columns: dict[str, list], postgres: bool, chunk: int = 100_000) -> None:
    """Straight into the table through the driver: executemany on SQLite, COPY on PostgreSQL."""
    names = list(columns)
    rows = zip(*columns.values())
    if postgres:
        cursor = connection.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    while batch := [row for _, row in zip(range(chunk), rows)]:
        connection.exec_driver_sql(sql, batch)


def _counts(connection) -> dict[str, int]:
    from sqlalchemy import text
    return {t: connection.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("departments", "units", "quota_lines", "quota_snapshots", "adjustments", "payments")}


def step_generate(args) -> dict:
    from sqlalchemy import inspect, text

    from db.engine import make_engine
    from db.migrate import upgrade

    p = paths(args.out)
    p["data"].mkdir(parents=True, exist_ok=True)
    wanted = {"version": GENERATOR_VERSION, "units": args.units, "payments": args.payments,
              "history_years": args.history_years, "db": args.db}
    postgres = args.db != "sqlite"
    if p["meta"].exists() and not args.regenerate:
        meta = json.loads(p["meta"].read_text(encoding="utf-8"))
        if {k: meta.get(k) for k in wanted} == wanted and (p["parquet"] / "payments.parquet").exists():
            engine = make_engine(db_url(args))
            if inspect(engine).has_table("payments"):
                with engine.connect() as connection:
                    if _counts(connection) == meta["counts"]:
                        upgrade(engine)  # a new migration (an index) applies to the kept data
                        engine.dispose()
                        return {**meta, "reused": True}
            engine.dispose()
    if not postgres:
        for suffix in ("", "-wal", "-shm"):
            Path(str(p["sqlite"]) + suffix).unlink(missing_ok=True)
    engine = make_engine(db_url(args))
    upgrade(engine)
    with engine.connect() as connection:
        if postgres and connection.execute(text("SELECT count(*) FROM payments")).scalar_one():
            raise SystemExit("--db: the database already holds payments; give an empty database")

    t0 = time.perf_counter()
    province = build_province(args.units, args.payments)
    years = [province["tables"]]
    offsets = {table: len(province["tables"][table]["id"]) for table in REFERENCES}
    for year in range(YEAR - args.history_years, YEAR):
        earlier = shifted(build_province(args.units, args.payments, year)["tables"], offsets)
        offsets = {table: offsets[table] + len(earlier[table]["id"]) for table in REFERENCES}
        years.append(earlier)
    t1 = time.perf_counter()
    with engine.begin() as connection:
        for tables in years:
            for table, columns in tables.items():
                _insert(connection, table, columns, postgres)
        if postgres:  # the tables were filled with COPY: move the id sequences past the ids given
            for table in province["tables"]:
                connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                        f"(SELECT max(id) FROM {table}))"))
    t2 = time.perf_counter()
    if postgres:
        # What autovacuum does soon after a bulk load in production: statistics and the visibility
        # map (which index-only scans need).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    t3 = time.perf_counter()
    with engine.connect() as connection:
        counts = _counts(connection)
    export_seconds = export_parquet(engine, p["parquet"])
    engine.dispose()
    meta = {
        **wanted,
        "year": YEAR,
        "unit_code": province["unit_code"],
        "counts": counts,
        "build_seconds": round(t1 - t0, 2),
        "insert_seconds": round(t2 - t1, 2),
        "vacuum_or_checkpoint_seconds": round(t3 - t2, 2),
        "parquet_export_seconds": round(export_seconds, 2),
        "sqlite_bytes": p["sqlite"].stat().st_size if not postgres else None,
        "reused": False,
    }
    p["meta"].write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    return meta


FLOOR_COLUMNS = {
    "payments": "budget_year, quota_no, unit_id, pay_date, status, amount",
    "quota_lines": "id, budget_year, quota_no, unit_id",
    "quota_snapshots": "quota_line_id, import_id, observed_on, current",
    "adjustments": "budget_year, quota_no, adjusted_on, amount",
    "units": "id, code",
}


def export_parquet(engine, folder: Path) -> float:
    """The columns the floor reads, copied from the database into Parquet files (not timed in the
    floor): DuckDB's sqlite extension is not installed here and would have to be downloaded."""
    import duckdb
    import pandas as pd

    t0 = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    for table, columns in FLOOR_COLUMNS.items():
        with engine.connect() as connection:
            frame = pd.DataFrame(connection.exec_driver_sql(f"SELECT {columns} FROM {table}").fetchall(),
                                 columns=[c.strip() for c in columns.split(",")])
        casts = ", ".join(f"CAST({c} AS DATE) AS {c}" if c in ("pay_date", "observed_on", "adjusted_on")
                          else f"CAST({c} AS BIGINT) AS {c}" if c in ("amount", "current")
                          else c for c in frame.columns)
        con.register("frame", frame)
        target = str(folder / f"{table}.parquet").replace("'", "''")
        con.execute(f"COPY (SELECT {casts} FROM frame) TO '{target}' (FORMAT parquet)")
        con.unregister("frame")
    return time.perf_counter() - t0


# --- steps: the engine ----------------------------------------------------------------------------

def _unit_figures(statuses) -> dict[str, tuple[int, int]]:
    return {s.entity.code: (int(s.entity.budget * 100), int(s.entity.paid * 100))
            for s in statuses if s.entity.level == "unit"}


def step_engine(args, step: str) -> dict:
    from db.engine import make_engine, session_factory, transaction
    from db.figures import line_figures
    from jobs.execution import ExecutionSettings, scores, status

    meta = load_meta(args)
    what, scope = step.split("-")
    unit_code = meta["unit_code"] if scope == "unit" else None
    as_of = dt.date.fromisoformat(args.as_of)
    engine = make_engine(db_url(args))
    factory = session_factory(engine)
    settings = ExecutionSettings()

    def figures():
        with transaction(factory) as session:
            return line_figures(session, meta["year"], as_of, unit_code)

    call = {
        "status": lambda: status(factory, year=meta["year"], as_of=as_of, settings=settings, unit_code=unit_code),
        "scores": lambda: scores(factory, year=meta["year"], as_of=as_of, settings=settings, unit_code=unit_code),
        "figures": figures,
    }[what]
    rss_before = peak_rss_mb()
    seconds, result = [], None
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        result = call()
        seconds.append(time.perf_counter() - t0)
    engine.dispose()
    out = {"step": step, "unit_code": unit_code, "seconds": [round(s, 3) for s in seconds],
           "first": round(seconds[0], 3), "best": round(min(seconds), 3), "rss_before_mb": round(rss_before, 1)}
    if what == "status":
        per_unit = _unit_figures(result.statuses)
        out.update(entities=len(result.statuses), lines=len(result.lines), units=len(per_unit), digest=digest(per_unit),
                   unit_figures=per_unit.get(unit_code) if unit_code else None)
    elif what == "scores":
        out.update(cards=len(result), units=sum(c.level == "unit" for c in result),
                   departments=sum(c.level == "department" for c in result))
    else:
        lines, _ = result
        out.update(lines=len(lines))
    return out


def step_cli(args, step: str) -> dict:
    """``budget-monitor --db URL status --json`` end to end, in a child process (interpreter
    start, imports and the migration check included)."""
    meta = load_meta(args)
    exe = Path(sys.executable).with_name("budget-monitor")
    base = [str(exe), "--db", db_url(args)]
    listing = subprocess.run([*base, "--help"], capture_output=True, text=True, cwd=ROOT)
    commands = listing.stdout.split("Commands:", 1)[-1].split()
    if "status" not in commands:
        return {"step": step, "skipped": "no 'status' command yet", "peak_rss_mb": None}
    options = subprocess.run([*base, "status", "--help"], capture_output=True, text=True, cwd=ROOT).stdout
    command = [*base, "status"]
    for option, value in (("--year", str(meta["year"])), ("--as-of", args.as_of)):
        if option in options:
            command += [option, value]
    if "--json" in options:
        command.append("--json")
    if step == "cli-unit":
        option = next((o for o in ("--unit", "--unit-code") if o in options), None)
        if option is None:
            return {"step": step, "skipped": "'status' has no --unit option", "peak_rss_mb": None}
        command += [option, meta["unit_code"]]
    t0 = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, cwd=ROOT)
    seconds = time.perf_counter() - t0
    out = {"step": step, "command": " ".join(command[1:]), "first": round(seconds, 3), "best": round(seconds, 3),
           "seconds": [round(seconds, 3)], "returncode": completed.returncode, "stdout_bytes": len(completed.stdout),
           "stderr_tail": completed.stderr.decode(errors="replace")[-500:],
           "peak_rss_mb": round(peak_rss_mb(resource.RUSAGE_CHILDREN), 1)}
    if "--json" in command:
        try:
            json.loads(completed.stdout)
            out["json"] = True
        except ValueError:
            out["json"] = False
    return out


# --- step: the DuckDB floor -----------------------------------------------------------------------

FLOOR_SQL = """
WITH lines AS (SELECT id, quota_no, unit_id FROM '{d}/quota_lines.parquet' WHERE budget_year = $year),
paid AS (
    SELECT quota_no, unit_id,
           sum(CASE WHEN status = 'paid' OR (status = 'returned' AND amount < 0) THEN amount ELSE 0 END) AS paid
    FROM '{d}/payments.parquet'
    WHERE budget_year = $year AND pay_date <= $as_of
    GROUP BY ALL),
snaps AS (SELECT s.* FROM '{d}/quota_snapshots.parquet' s JOIN lines l ON l.id = s.quota_line_id),
before AS (SELECT quota_line_id, observed_on, current FROM snaps WHERE observed_on <= $as_of
           QUALIFY row_number() OVER (PARTITION BY quota_line_id ORDER BY observed_on DESC, import_id DESC) = 1),
after AS (SELECT quota_line_id, observed_on, current FROM snaps WHERE observed_on > $as_of
          QUALIFY row_number() OVER (PARTITION BY quota_line_id ORDER BY observed_on, import_id DESC) = 1),
adj AS (SELECT quota_no, adjusted_on, amount FROM '{d}/adjustments.parquet'
        WHERE budget_year = $year AND quota_no IS NOT NULL),
budget AS (
    SELECT l.unit_id, l.quota_no,
           any_value(coalesce(b.current, a.current)) + coalesce(sum(CASE
               WHEN b.quota_line_id IS NOT NULL AND j.adjusted_on > b.observed_on AND j.adjusted_on <= $as_of
                   THEN j.amount
               WHEN b.quota_line_id IS NULL AND j.adjusted_on > $as_of AND j.adjusted_on <= a.observed_on
                   THEN -j.amount END), 0) AS budget
    FROM lines l LEFT JOIN before b ON b.quota_line_id = l.id LEFT JOIN after a ON a.quota_line_id = l.id
    LEFT JOIN adj j ON j.quota_no = l.quota_no
    GROUP BY ALL),
figures AS (
    SELECT unit_id, budget, 0 AS paid FROM budget
    UNION ALL
    SELECT coalesce(l.unit_id, p.unit_id), 0, p.paid FROM paid p LEFT JOIN lines l ON l.quota_no = p.quota_no)
SELECT coalesce(u.code, '?'), sum(budget)::BIGINT, sum(paid)::BIGINT
FROM figures f LEFT JOIN '{d}/units.parquet' u ON u.id = f.unit_id
GROUP BY ALL
"""


def step_duckdb(args) -> dict:
    import duckdb

    meta = load_meta(args)
    folder = str(paths(args.out)["parquet"]).replace("'", "''")
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    sql = FLOOR_SQL.format(d=folder)
    params = {"year": meta["year"], "as_of": dt.date.fromisoformat(args.as_of)}
    seconds = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        rows = con.execute(sql, params).fetchall()
        seconds.append(time.perf_counter() - t0)
    per_unit = {code: (budget, paid) for code, budget, paid in rows}
    return {"step": "duckdb", "seconds": [round(s, 3) for s in seconds], "first": round(seconds[0], 3),
            "best": round(min(seconds), 3), "units": len(per_unit), "digest": digest(per_unit),
            "unit_figures": list(per_unit.get(meta["unit_code"], (0, 0))),
            "total_budget_fen": sum(b for b, _ in per_unit.values()),
            "total_paid_fen": sum(p for _, p in per_unit.values()),
            "threads": con.execute("SELECT current_setting('threads')").fetchone()[0],
            "duckdb_version": duckdb.__version__,
            "note": "Parquet copies of the columns it reads, made from the database beforehand (not timed)"}


# --- steps: plans and profile ---------------------------------------------------------------------

def capture_statements(factory, call) -> list[tuple[str, str, object]]:
    """Run ``call`` and return every SELECT it sent, with its parameters and the db/figures.py
    (or jobs/execution.py) function that sent it."""
    from sqlalchemy import event

    engine = factory.kw["bind"]
    seen: list[tuple[str, str, object]] = []

    def listen(_conn, _cursor, statement, parameters, _context, _executemany):
        if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
            return
        frame, caller = sys._getframe(), "?"
        while frame is not None:
            name = frame.f_code.co_filename.replace("\\", "/")
            if name.endswith(("db/figures.py", "jobs/execution.py")):
                caller = f"{Path(name).parent.name}/{Path(name).name}:{frame.f_code.co_name}"
                break
            frame = frame.f_back
        seen.append((caller, statement, parameters))

    event.listen(engine, "before_cursor_execute", listen)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    return seen


def explain(engine, statement: str, parameters) -> str:
    with engine.connect() as connection:
        cursor = connection.connection.driver_connection.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
            rows = cursor.fetchall()
            depth: dict[int, int] = {0: 0}
            lines = []
            for node, parent, _unused, detail in rows:
                depth[node] = depth.get(parent, 0) + 1
                lines.append("  " * (depth[node] - 1) + detail)
            return "\n".join(lines)
        cursor.execute("EXPLAIN " + statement, parameters)
        return "\n".join(row[0] for row in cursor.fetchall())


def step_explain(args) -> dict:
    from db.engine import make_engine, session_factory
    from jobs.execution import ExecutionSettings, status

    meta = load_meta(args)
    as_of = dt.date.fromisoformat(args.as_of)
    engine = make_engine(db_url(args))
    factory = session_factory(engine)
    plans = []
    for scope, unit_code in (("whole province", None), ("one unit", meta["unit_code"])):
        statements = capture_statements(factory, lambda unit_code=unit_code: status(
            factory, year=meta["year"], as_of=as_of, settings=ExecutionSettings(), unit_code=unit_code))
        for caller, statement, parameters in statements:
            plans.append({"scope": scope, "caller": caller, "sql": statement,
                          "plan": explain(engine, statement, parameters)})
    engine.dispose()
    return {"step": "explain", "dialect": engine.dialect.name, "plans": plans}


def step_profile(args) -> dict:
    import cProfile
    import io
    import pstats

    from db.engine import make_engine, session_factory
    from jobs.execution import ExecutionSettings, scores, status

    meta = load_meta(args)
    as_of = dt.date.fromisoformat(args.as_of)
    engine = make_engine(db_url(args))
    factory = session_factory(engine)
    settings = ExecutionSettings()
    what, scope = args.profile_target.split("-")
    call = {"status": status, "scores": scores}[what]
    unit_code = meta["unit_code"] if scope == "unit" else None
    profiler = cProfile.Profile()
    t0 = time.perf_counter()
    profiler.enable()
    call(factory, year=meta["year"], as_of=as_of, settings=settings, unit_code=unit_code)
    profiler.disable()
    seconds = time.perf_counter() - t0
    engine.dispose()
    target = paths(args.out)["results"] / f"{args.profile_target}.prof"
    target.parent.mkdir(parents=True, exist_ok=True)
    profiler.dump_stats(target)
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("cumulative").print_stats(args.profile_top)
    stats.sort_stats("tottime").print_stats(args.profile_top)
    return {"step": "profile", "target": args.profile_target, "seconds": round(seconds, 3),
            "profile_file": str(target), "profile_text": text.getvalue()}


def run_step(args) -> int:
    step = args.step
    if step == "generate":
        result = step_generate(args)
    elif step in ENGINE_STEPS:
        result = step_engine(args, step)
    elif step in CLI_STEPS:
        result = step_cli(args, step)
    elif step == "duckdb":
        result = step_duckdb(args)
    elif step == "explain":
        result = step_explain(args)
    elif step == "profile":
        result = step_profile(args)
    else:
        raise SystemExit(f"unknown step {step!r}")
    write_result(args.out, step, result)
    return 0


# --- orchestration --------------------------------------------------------------------------------

def code_version() -> str:
    """The commit, and which files of the read side differ from it: others may be editing."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "jobs", "db", "monitor"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (no git)"
    changed = [line[3:] for line in dirty if line.strip()]
    return head + (f" + uncommitted changes in {', '.join(changed)}" if changed else "")


def spawn(args, step: str) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--step", step, "--units", str(args.units),
               "--payments", str(args.payments), "--history-years", str(args.history_years), "--db", args.db,
               "--out", str(args.out), "--as-of", args.as_of,
               "--repeat", str(args.repeat), "--profile-top", str(args.profile_top),
               "--profile-target", args.profile_target]
    if args.regenerate and step == "generate":
        command.append("--regenerate")
    result_file = paths(args.out)["results"] / f"{step}.json"
    result_file.unlink(missing_ok=True)
    started = time.perf_counter()
    print(f"[bench] {step} …", file=sys.stderr, flush=True)
    completed = subprocess.run(command, cwd=ROOT)
    if completed.returncode != 0 or not result_file.exists():
        raise SystemExit(f"step {step} failed (exit code {completed.returncode})")
    print(f"[bench] {step} done in {time.perf_counter() - started:.1f}s (process)", file=sys.stderr, flush=True)
    return json.loads(result_file.read_text(encoding="utf-8"))


def check(step: str, r: dict, floor: dict | None, meta: dict) -> str:
    """ok when our figures are the floor's (status) or the counts are right (scores, lines)."""
    c = meta["counts"]
    if r.get("skipped"):
        return "skipped: " + r["skipped"]
    if step.startswith("status"):
        if floor is None:
            return f"{r['units']:,} units, {r['entities']:,} entities (no floor to compare)"
        same = (r["digest"] == floor["digest"] if step == "status-all"
                else r["unit_figures"] == floor["unit_figures"])
        return f"{'ok' if same else 'MISMATCH'}: {r['units']:,} units, {r['entities']:,} entities, " \
               f"figures {'=' if same else '≠'} floor"
    if step.startswith("scores"):
        expected = (c["units"] + c["departments"]) if step == "scores-all" else 1
        return f"{'ok' if r['cards'] == expected else 'MISMATCH'}: {r['cards']:,} score cards"
    if step.startswith("figures"):
        return f"{r['lines']:,} lines"
    if step.startswith("cli"):
        good = r["returncode"] == 0 and r.get("json", True)
        return f"{'ok' if good else 'FAILED'}: exit {r['returncode']}, {r['stdout_bytes'] / 1e6:.1f} MB of output"
    return ""


def print_report(args, meta: dict, results: dict[str, dict]) -> None:
    c = meta["counts"]
    print()
    years = meta.get("history_years", 0) + 1
    print(f"Province {meta['year']}: {c['departments']:,} departments, {c['units']:,} units, "
          f"{c['quota_lines']:,} quota lines, {c['quota_snapshots']:,} snapshots, {c['adjustments']:,} adjustments, "
          f"{c['payments']:,} payments" + (f" ({years} years: {meta['year'] - years + 1}–{meta['year']})" if years > 1
                                           else "") + f"; as_of {args.as_of}; one unit = {meta['unit_code']}")
    where = (f"SQLite file {paths(args.out)['sqlite']} ({meta['sqlite_bytes'] / 1e6:.0f} MB)"
             if args.db == "sqlite" else "the given PostgreSQL database")
    print(f"  {where}; " + ("reused" if meta.get("reused") else
                             f"built in {meta['build_seconds']}s, inserted in {meta['insert_seconds']}s"))
    print(f"  code: {meta['code_before']}")
    if meta["code_after"] != meta["code_before"]:
        print(f"  WARNING: the code changed during the run; now: {meta['code_after']}")
    floor = results.get("duckdb")
    floor_s = floor["best"] if floor else None
    print()
    header = f"{'step':<32} {'first s':>8} {'best s':>8} {'peak RSS MB':>12} {'× floor':>8}  result"
    print(header)
    print("-" * (len(header) + 40))
    for step in (*ENGINE_STEPS, *CLI_STEPS, *FLOOR_STEPS):
        r = results.get(step)
        if r is None:
            continue
        if r.get("skipped"):
            print(f"{LABELS[step]:<32} {'-':>8} {'-':>8} {'-':>12} {'-':>8}  skipped: {r['skipped']}")
            continue
        ratio = f"{r['best'] / floor_s:.1f}" if floor_s else "-"
        if step == "duckdb":
            outcome = (f"{r['units']:,} units, Σ budget {r['total_budget_fen'] / 100:,.2f}, "
                       f"Σ paid {r['total_paid_fen'] / 100:,.2f}")
        else:
            outcome = check(step, r, floor, meta)
        print(f"{LABELS[step]:<32} {r['first']:>8.3f} {r['best']:>8.3f} {r['peak_rss_mb']:>12,.0f} {ratio:>8}  "
              f"{outcome}")
    print()
    print(f"first: the first call in a fresh process; best: the best of {args.repeat} calls in it (the CLI runs "
          f"once). × floor: best ÷ the floor's best.")
    if floor:
        print(f"Floor: DuckDB {floor['duckdb_version']}, {floor['threads']} threads, per-unit budget in force and "
              f"paid at as_of from {floor['note']}.")
    for step in CLI_STEPS:
        r = results.get(step)
        if r and not r.get("skipped"):
            print(f"  {step}: {r['command']}" + (f"\n    stderr: {r['stderr_tail']}" if r["returncode"] else ""))
    if "explain" in results:
        print()
        print(f"Query plans ({results['explain']['dialect']}), as status sends them:")
        for plan in results["explain"]["plans"]:
            print(f"\n-- {plan['scope']}: {plan['caller']}")
            print("   " + plan["plan"].replace("\n", "\n   "))
    if "profile" in results:
        r = results["profile"]
        print()
        print(f"Profile of {r['target']} (cProfile, {r['seconds']:.2f}s under the profiler; {r['profile_file']}):")
        print(r["profile_text"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Benchmark jobs.execution.status and scores on a generated province, against a DuckDB floor. "
                    "Each step runs in its own process.")
    parser.add_argument("--units", type=int, default=5000,
                        help=f"budget units (default 5,000; {UNITS_PER_DEPARTMENT} per department, "
                             f"{LINES_PER_UNIT} quota lines each)")
    parser.add_argument("--payments", type=int, default=1_000_000, help="payments over the year (default 1,000,000)")
    parser.add_argument("--history-years", type=int, default=0, metavar="N",
                        help="also N earlier years of the same size (status and scores follow the shape of up to "
                             "3 earlier years; default 0)")
    parser.add_argument("--small", action="store_true", help="a quick run: 500 units, 100,000 payments")
    parser.add_argument("--db", default="sqlite", metavar="sqlite|URL",
                        help="'sqlite' (default): a SQLite file under OUT/data; or the SQLAlchemy URL of an EMPTY "
                             "database (PostgreSQL)")
    parser.add_argument("--out", type=Path, help="working folder (default bench/out/status[-small][-postgresql])")
    parser.add_argument("--as-of", default=f"{YEAR}-06-15", help=f"the date of the figures (default {YEAR}-06-15)")
    parser.add_argument("--repeat", type=int, default=3, help="calls per engine step (default 3)")
    parser.add_argument("--only", metavar="STEPS", help="comma-separated subset of the steps: "
                        + ",".join((*ENGINE_STEPS, *CLI_STEPS, *FLOOR_STEPS)))
    parser.add_argument("--explain", action="store_true", help="print the plan of every query status sends")
    parser.add_argument("--profile", action="store_true", help="profile one call (--profile-target) with cProfile")
    parser.add_argument("--profile-target", default="status-all",
                        choices=["status-all", "status-unit", "scores-all", "scores-unit"])
    parser.add_argument("--profile-top", type=int, default=20, help="profile entries to show (default 20)")
    parser.add_argument("--regenerate", action="store_true", help="rebuild the database even if it matches")
    parser.add_argument("--step", help=argparse.SUPPRESS)  # internal: run one step in this process
    args = parser.parse_args(argv)
    if args.small:
        args.units, args.payments = 500, 100_000
    if args.units < 1 or args.payments < 1:
        parser.error("--units and --payments must be at least 1")
    if args.db != "sqlite" and "://" not in args.db:
        parser.error("--db is 'sqlite' or a SQLAlchemy URL")
    if args.out is None:
        default_size = args.units == 5000 and args.payments == 1_000_000
        name = "status" + ("" if default_size else f"-{args.units}-{args.payments}") \
            + (f"-history{args.history_years}" if args.history_years else "")
        backend = "" if args.db == "sqlite" else "-" + args.db.split(":")[0].split("+")[0]
        args.out = ROOT / "bench" / "out" / (name + backend)
    args.out = args.out.resolve()
    if args.step:
        return run_step(args)

    steps = [*ENGINE_STEPS, *CLI_STEPS, *FLOOR_STEPS]
    if args.only:
        wanted = [s.strip() for s in args.only.split(",") if s.strip()]
        unknown = set(wanted) - set(steps)
        if unknown:
            parser.error(f"unknown steps: {', '.join(sorted(unknown))}")
        steps = [s for s in steps if s in wanted]
    code_before = code_version()
    meta = spawn(args, "generate")
    c = meta["counts"]
    print(f"[bench] data: {c['units']:,} units, {c['payments']:,} payments"
          + (" (reused)" if meta.get("reused") else f", inserted in {meta['insert_seconds']}s"),
          file=sys.stderr, flush=True)
    results = {step: spawn(args, step) for step in steps}
    if args.explain:
        results["explain"] = spawn(args, "explain")
    if args.profile:
        results["profile"] = spawn(args, "profile")
    meta["code_before"], meta["code_after"] = code_before, code_version()
    print_report(args, meta, results)
    bad = [s for s in steps if s in results and any(w in check(s, results[s], results.get("duckdb"), meta)
                                                    for w in ("MISMATCH", "FAILED"))]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
