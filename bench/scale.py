"""Scale benchmark: a province's year of exports through the real importer, the alert evaluation
and status, on SQLite and PostgreSQL, against a DuckDB floor reading the same files.

Full size (5,000 units in 200 departments, 50,000 quota lines, 2,000,000 payments in 52 weekly
GBK exports; 5-15 minutes for both on 2 cores), both backends in one run, one table:

    .venv/bin/python bench/scale.py --db sqlite --db "$BUDGET_MONITOR_TEST_POSTGRES_URL"

    .venv/bin/python bench/scale.py                          # full size, SQLite only
    .venv/bin/python bench/scale.py --scale 0.02             # CI size: 100 units, 40,000 payments
    .venv/bin/python bench/scale.py --scale 0.1 --profile    # plus a cProfile of our steps
    .venv/bin/python bench/scale.py --code /tmp/snap         # the project imported from a frozen copy

A PostgreSQL URL names a server: a fresh database is created on it for the run (the URL's
user needs CREATEDB) and dropped afterwards (--keep-db keeps it). As bench/ingest.py, the parent
only orchestrates: every step runs as ``python bench/scale.py --step NAME`` in a fresh
interpreter, which reads its own peak RSS and writes its figures to ``OUT/results/…/NAME.json``;
the table also goes to a JSON file (--json). See bench/README.md, "Scale benchmark".
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The helpers and the province generator of the other benchmarks (their top level imports only
# the standard library; the project itself is imported inside the steps, after --code).
from bench.ingest import code_version, fmt_yuan, peak_rss_mb, peak_so_far_mb  # noqa: E402
from bench.status import ECONOMIC, FUNCTIONAL, build_province  # noqa: E402

GENERATOR_VERSION = 1
YEAR = 2023
FULL_UNITS = 5000  # 200 departments of 25 (bench/status.py's layout), 10 quota lines each
FULL_PAYMENTS = 2_000_000
WEEKS = 52
YEAR_END_EXECUTION = 0.97  # budgets scaled so that the province pays about 97 % by 31 December
AS_OF = dt.date(YEAR, 12, 31)  # the evaluation's and status's date: the last export's
ENCODING = "gbk"  # as the payment system writes them

QUOTA_TITLE = "单位指标额度查询导出明细表"
QUOTA_HEADER = ["指标明细号", "指标文号", "预算年度", "主管部门", "预算单位", "功能分类", "经济分类", "项目",
                "支出类型", "资金性质", "三公经费", "年初预算数", "调整数", "调整后预算数"]
PAYMENT_TITLE = "支付明细导出表"
PAYMENT_HEADER = ["支付申请号", "支付日期", "预算单位", "指标明细号", "功能分类", "经济分类", "项目", "收款人", "用途",
                  "支付金额", "支付状态", "结算方式"]
STATUS_TEXT = {"paid": "已支付", "returned": "已退回", "voided": "已作废", "pending": "待支付"}

OUR_STEPS = ("import-year", "import-week", "evaluate", "status-all", "status-unit")
FLOOR_STEPS = ("duckdb-year", "duckdb-week")
LABELS = {
    "import-year": "first import of the year",
    "import-week": "incremental import (week 52)",
    "evaluate": "full evaluation",
    "status-all": "status, whole province",
    "status-unit": "status, one unit",
    "duckdb-year": "floor: DuckDB, every file",
    "duckdb-week": "floor: DuckDB, week 52 alone",
}
FLOOR_OF = {"import-year": "duckdb-year", "import-week": "duckdb-week", "evaluate": "duckdb-year",
            "status-all": "duckdb-year", "status-unit": "duckdb-year"}
DEFAULT_PROFILE = "import-year,import-week,evaluate,status-all"
DB_URL_VARIABLE = "BUDGET_MONITOR_SCALE_STEP_DB_URL"  # parent → step process
FLOOR_REPEAT = 3


# --- helpers usable in every process ------------------------------------------------------------

def paths(out: Path) -> dict[str, Path]:
    data = out / "data"
    return {"data": data, "exports": data / "exports", "utf8": data / "utf8", "meta": data / "meta.json",
            "db": out / "db", "results": out / "results"}


def sizes(scale: float) -> tuple[int, int]:
    """(units, payments) at a scale of the full province."""
    return max(1, round(FULL_UNITS * scale)), max(1, round(FULL_PAYMENTS * scale))


def load_meta(args) -> dict:
    return json.loads(paths(args.out)["meta"].read_text(encoding="utf-8"))


def result_file(out: Path, backend: str, step: str) -> Path:
    return paths(out)["results"] / backend / f"{step}.json"


def write_result(args, step: str, result: dict) -> None:
    result.setdefault("peak_rss_mb", round(peak_rss_mb(), 1))
    target = result_file(args.out, args.backend, step)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str), encoding="utf-8")


def export_files(meta: dict, folder: Path) -> list[Path]:
    """The exports in import order: the quota export, then the 52 weekly payment exports."""
    return [folder / f["name"] for f in meta["files"]]


def week_of_day(day_index):
    """Week 1 is 1-7 January, …, week 51 ends 23 December, week 52 is 24-31 December (8 days)."""
    import numpy as np
    return np.minimum(day_index // 7, WEEKS - 1) + 1


def week_end(week: int) -> dt.date:
    return dt.date(YEAR, 12, 31) if week == WEEKS else dt.date(YEAR, 1, 1) + dt.timedelta(days=7 * week - 1)


def unit_sums(codes, budget_fen, paid_fen) -> dict[str, list[int]]:
    """{unit code: [budget fen, paid fen]} from parallel sequences (several rows per unit)."""
    sums: dict[str, list[int]] = {}
    for code, budget, paid in zip(codes, budget_fen, paid_fen):
        entry = sums.setdefault(code, [0, 0])
        entry[0] += int(budget)
        entry[1] += int(paid)
    return sums


class Timer:
    """Times a call, under cProfile when asked (the figures are then the profiled ones)."""

    def __init__(self, args, step: str):
        wanted = {s.strip() for s in (args.profile or "").split(",") if s.strip()}
        self.step, self.args, self.profiler = step, args, None
        if step in wanted:
            import cProfile
            self.profiler = cProfile.Profile()

    def __enter__(self):
        if self.profiler is not None:
            self.profiler.enable()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *_exc):
        self.seconds = time.perf_counter() - self.t0
        if self.profiler is not None:
            self.profiler.disable()

    def report(self) -> dict:
        if self.profiler is None:
            return {}
        import io
        import pstats
        target = result_file(self.args.out, self.args.backend, self.step).with_suffix(".prof")
        target.parent.mkdir(parents=True, exist_ok=True)
        self.profiler.dump_stats(target)
        text = io.StringIO()
        stats = pstats.Stats(self.profiler, stream=text)
        stats.sort_stats("cumulative").print_stats(self.args.profile_top)
        stats.sort_stats("tottime").print_stats(self.args.profile_top)
        return {"profiled": True, "profile_file": str(target), "profile_text": text.getvalue()}


# --- step: generate -------------------------------------------------------------------------------

def _labels(codes, names) -> list[str]:
    return [f"{c} - {n}" for c, n in zip(codes, names)]


def _yuan_texts(fen) -> list[str]:
    """Integer fen → the payment system's text: "12,345.67", "-1,234.00"."""
    return [fmt_yuan(f) for f in fen.tolist()]


def _csv(frame, title: str, subtitle: str, header: list[str], total_row: list[str]) -> str:
    """An export's text: two title rows, the header, the rows (a DataFrame of text), the 合计 row."""
    def rows(lines: list[list[str]]) -> str:
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows(lines)
        return out.getvalue()

    body = frame.to_csv(index=False, header=False, lineterminator="\r\n")
    return rows([[title], [subtitle], header]) + body + rows([total_row])


def step_generate(args) -> dict:
    """The province of bench/status.py (``build_province``) written as the payment system exports
    it: one quota export dated 1 January and 52 weekly payment exports, GBK CSV; UTF-8 copies for
    DuckDB (made here, never timed)."""
    import hashlib

    import numpy as np
    import pandas as pd

    p = paths(args.out)
    n_units, n_payments = sizes(args.scale)
    wanted = {"version": GENERATOR_VERSION, "units": n_units, "payments": n_payments}
    if p["meta"].exists() and not args.regenerate:
        meta = json.loads(p["meta"].read_text(encoding="utf-8"))
        if {k: meta.get(k) for k in wanted} == wanted and all(
                (p["exports"] / f["name"]).exists() and (p["utf8"] / f["name"]).exists() for f in meta["files"]):
            return {**meta, "reused": True}
    t0 = time.perf_counter()
    province = build_province(n_units, n_payments)
    tables = province["tables"]
    departments, units, projects = tables["departments"], tables["units"], tables["projects"]
    lines, payments = tables["quota_lines"], tables["payments"]

    # Labels as the exports print them: "code - name".
    department_label = _labels(departments["code"], departments["name"])
    unit_label = np.array(_labels(units["code"], units["name"]), dtype=object)
    unit_code = np.array(units["code"], dtype=object)
    unit_department = np.array(units["department_id"]) - 1
    project_label = {pid: f"{c} - {n}" for pid, c, n in zip(projects["id"], projects["code"], projects["name"])}
    functional, economic = dict(FUNCTIONAL), dict(ECONOMIC)

    # Budgets: bench/status.py sizes them for 1,000,000 payments over mid-year figures; scale them
    # so the province pays about YEAR_END_EXECUTION of its budget by 31 December (whole 100 yuan).
    fen = np.array(payments["amount"], dtype=np.int64)
    status = np.array(payments["status"], dtype=object)
    counted = np.where((status == "paid") | ((status == "returned") & (fen < 0)), fen, 0)
    initial = np.array(lines["initial"], dtype=np.int64)
    factor = counted.sum() / (YEAR_END_EXECUTION * initial.sum())
    initial = np.maximum(np.rint(initial * factor / 10_000), 1).astype(np.int64) * 10_000
    line_unit = np.array(lines["unit_id"]) - 1

    p["exports"].mkdir(parents=True, exist_ok=True)
    p["utf8"].mkdir(parents=True, exist_ok=True)
    files = []

    def write(name: str, text: str, kind: str, rows: int, total_fen: int) -> None:
        data = text.encode(ENCODING)
        (p["exports"] / name).write_bytes(data)
        (p["utf8"] / name).write_bytes(text.encode("utf-8"))
        files.append({"name": name, "kind": kind, "rows": rows, "bytes": len(data), "total_fen": total_fen,
                      "sha256": hashlib.sha256(data).hexdigest()[:16]})

    # The quota export at the start of the year: every line, its budget, no adjustment yet.
    quota_day = dt.date(YEAR, 1, 1)
    initial_text = _yuan_texts(initial)
    quota = pd.DataFrame({
        0: lines["quota_no"], 1: lines["doc_no"], 2: str(YEAR),
        3: [department_label[unit_department[u]] for u in line_unit.tolist()],
        4: unit_label[line_unit],
        5: [f"{c} - {n}" for c, n in zip(lines["functional_class"], lines["functional_name"])],
        6: [f"{c} - {n}" for c, n in zip(lines["economic_class"], lines["economic_name"])],
        7: ["" if pid is None else project_label[pid] for pid in lines["project_id"]],
        8: ["项目支出" if e == "project" else "基本支出" for e in lines["expense_type"]],
        9: lines["fund_type"], 10: ["是" if t else "否" for t in lines["three_public"]],
        11: initial_text, 12: "0.00", 13: initial_text,
    })
    total = fmt_yuan(int(initial.sum()))
    text = _csv(quota, QUOTA_TITLE, f"预算年度：{YEAR}年    截至{quota_day.year}年{quota_day.month}月{quota_day.day}日"
                                    f"    金额单位：元", QUOTA_HEADER, ["合计", *[""] * 10, total, "0.00", total])
    write(f"{quota_day.isoformat()}_指标明细.csv", text, "quota", len(quota), int(initial.sum()))

    # The payments, in date order, one export per week.
    day = (pd.to_datetime(pd.Series(payments["pay_date"])) - pd.Timestamp(f"{YEAR}-01-01")).dt.days.to_numpy()
    week = week_of_day(day)
    pay_unit = np.array(payments["unit_id"]) - 1
    body = pd.DataFrame({
        0: payments["payment_no"], 1: payments["pay_date"], 2: unit_label[pay_unit],
        3: ["" if q is None else q for q in payments["quota_no"]],
        4: pd.Series(payments["functional_class"]).map(lambda c: f"{c} - {functional[c]}"),
        5: pd.Series(payments["economic_class"]).map(lambda c: f"{c} - {economic[c]}"),
        6: ["" if pid is None else project_label[pid] for pid in payments["project_id"]],
        7: payments["payee"], 8: payments["purpose"], 9: _yuan_texts(fen),
        10: [STATUS_TEXT[s] for s in payments["status"]], 11: payments["settlement"],
    })
    bounds = np.searchsorted(week, np.arange(1, WEEKS + 2))
    for w in range(1, WEEKS + 1):
        start, stop = int(bounds[w - 1]), int(bounds[w])
        end = week_end(w)
        total_fen = int(fen[start:stop].sum())
        text = _csv(body.iloc[start:stop], PAYMENT_TITLE, f"截至{end.year}年{end.month}月{end.day}日    金额单位：元",
                    PAYMENT_HEADER, ["合计", *[""] * 8, fmt_yuan(total_fen), "", ""])
        write(f"{end.isoformat()}_支付明细.csv", text, "payments", stop - start, total_fen)

    # What the files hold, per unit, as the generator knows it: the benchmark's own check.
    budgets = unit_sums(unit_code[line_unit], initial, np.zeros_like(initial))
    paid = unit_sums(unit_code[pay_unit], np.zeros_like(counted), counted)
    truth = {code: [budgets.get(code, [0, 0])[0], paid.get(code, [0, 0])[1]] for code in sorted({*budgets, *paid})}
    meta = {
        **wanted,
        "scale": args.scale,
        "year": YEAR,
        "as_of": AS_OF.isoformat(),
        "encoding": ENCODING,
        "unit_code": province["unit_code"],
        "counts": {"departments": len(departments["id"]), "units": n_units, "quota_lines": len(lines["id"]),
                   "projects": len(projects["id"]), "payments": n_payments,
                   "payments_year": int(bounds[WEEKS - 1]), "payments_week": int(n_payments - bounds[WEEKS - 1])},
        "files": files,
        "truth": truth,
        "generate_seconds": round(time.perf_counter() - t0, 1),
        "reused": False,
    }
    p["meta"].write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    return meta


# --- steps: ours ----------------------------------------------------------------------------------

def _factory(args):
    from db.engine import make_engine, session_factory
    from db.migrate import upgrade

    engine = make_engine(args.db_url)
    upgrade(engine)  # not timed (a no-op after the first step)
    return engine, session_factory(engine)


def step_import(args, step: str) -> dict:
    """import-year: the quota export and weeks 1-51 into an empty database, in date order, each
    through ``ingest_file``; import-week: week 52 into what import-year left."""
    from jobs.clock import BEIJING
    from jobs.ingest import ingest_file

    meta = load_meta(args)
    files = export_files(meta, paths(args.out)["exports"])
    files = files[:-1] if step == "import-year" else files[-1:]
    engine, factory = _factory(args)
    phases: dict[str, float] = {}  # of the file being imported (ingest_file's progress calls)
    mark = {"phase": None, "at": 0.0}

    def progress(phase: str, _done: int = 0, _total: int = 0) -> None:
        now_ = time.perf_counter()
        if phase != mark["phase"]:
            if mark["phase"] is not None:
                phases[mark["phase"]] = phases.get(mark["phase"], 0.0) + now_ - mark["at"]
            mark["phase"], mark["at"] = phase, now_

    done = []
    rss_before = peak_rss_mb()
    with Timer(args, step) as timer:
        for path in files:
            name_date = dt.date.fromisoformat(path.name[:10])
            now = dt.datetime.combine(name_date, dt.time(18), tzinfo=BEIJING)
            phases.clear()
            mark["phase"], mark["at"] = "hash+lookup", time.perf_counter()
            t0 = time.perf_counter()
            outcome = ingest_file(factory, path, now=now, progress=progress)
            t1 = time.perf_counter()
            progress("end")
            done.append({"file": path.name, "kind": outcome.kind, "status": outcome.status, "rows": outcome.rows,
                         "inserted": outcome.inserted, "updated": outcome.updated, "unchanged": outcome.unchanged,
                         "seconds": round(t1 - t0, 3), "phases": {k: round(v, 3) for k, v in phases.items()},
                         "peak_rss_mb": round(peak_so_far_mb() or 0, 1),
                         "problems": [pr.to_json("en") for pr in outcome.problems[:3]]})
    engine.dispose()
    quota_files = [f for f in done if f["kind"] == "quota"]
    payment_files = [f for f in done if f["kind"] == "payments"]
    counts = meta["counts"]
    expected_payments = counts["payments_year"] if step == "import-year" else counts["payments_week"]
    problems = [f"{f['file']}: {f['status']} {f['problems']}" for f in done if f["status"] != "ingested"]
    if sum(f["inserted"] for f in payment_files) != expected_payments:
        problems.append(f"payments inserted {sum(f['inserted'] for f in payment_files):,} ≠ {expected_payments:,}")
    if step == "import-year" and sum(f["inserted"] for f in quota_files) != counts["quota_lines"]:
        problems.append(f"quota lines inserted {sum(f['inserted'] for f in quota_files):,} ≠ {counts['quota_lines']:,}")
    if any(f["updated"] or f["unchanged"] for f in done):
        problems.append("rows updated or unchanged in exports that do not overlap")
    totals: dict[str, float] = {}
    for f in done:
        for phase, seconds in f["phases"].items():
            totals[phase] = totals.get(phase, 0.0) + seconds
    return {"step": step, "seconds": round(timer.seconds, 3), "files": done, "rows": sum(f["rows"] for f in done),
            "phases": {k: round(v, 2) for k, v in totals.items()}, "rss_before_mb": round(rss_before, 1),
            "ok": not problems, "problems": problems, **timer.report()}


def leaders(factory):
    """The directory of bench/alerts.py: a leader for every department and every unit, on Slack."""
    from alerts.routing import Directory, Person
    from db.engine import transaction
    from db.models import Department, Unit

    with transaction(factory) as session:
        departments = list(session.scalars(Department.__table__.select().with_only_columns(Department.code)))
        units = list(session.scalars(Unit.__table__.select().with_only_columns(Unit.code)))
    people = tuple(Person(f"D{c}", "department_leader", slack_user=f"UD{c}", departments=frozenset({c}))
                   for c in departments) + tuple(
        Person(f"U{c}", "unit_leader", slack_user=f"UU{c}", units=frozenset({c})) for c in units)
    return Directory(people, fallback=None), len(people)


def step_evaluate(args) -> dict:
    """One real evaluation (states, messages and the evaluation row written) at the last export's
    date: every rule, every entity, routed to the leaders."""
    from jobs.clock import BEIJING
    from jobs.evaluate import AlertConfig, evaluate
    from jobs.execution import ExecutionSettings

    meta = load_meta(args)
    engine, factory = _factory(args)
    directory, people = leaders(factory)
    config = AlertConfig(directory=directory, quiet_hours=None, quiet_on_rest_days=False, charts=False)
    as_of = dt.date.fromisoformat(meta["as_of"])
    now = dt.datetime.combine(as_of, dt.time(20), tzinfo=BEIJING)
    with Timer(args, "evaluate") as timer:
        result = evaluate(factory, execution=ExecutionSettings(), alerts=config, now=now, as_of=as_of)
    engine.dispose()
    ok = result.evaluation_id is not None and len(result.findings) > 0
    return {"step": "evaluate", "seconds": round(timer.seconds, 3), "people": people,
            "findings": len(result.findings), "events": len(result.events), "messages": len(result.messages),
            "unrouted": result.unrouted, "muted": result.muted, "ok": ok,
            "problems": [] if ok else ["no evaluation written or nothing found"], **timer.report()}


def step_status(args, step: str) -> dict:
    from jobs.execution import ExecutionSettings, status

    meta = load_meta(args)
    engine, factory = _factory(args)
    unit_code = meta["unit_code"] if step == "status-unit" else None
    as_of = dt.date.fromisoformat(meta["as_of"])
    with Timer(args, step) as timer:
        report = status(factory, year=meta["year"], as_of=as_of, settings=ExecutionSettings(), unit_code=unit_code)
    engine.dispose()
    per_unit = {s.entity.code: [int(s.entity.budget * 100), int(s.entity.paid * 100)]
                for s in report.statuses if s.entity.level == "unit"}
    return {"step": step, "seconds": round(timer.seconds, 3), "unit_code": unit_code,
            "entities": len(report.statuses), "lines": len(report.lines), "per_unit": per_unit, **timer.report()}


# --- steps: the floor -----------------------------------------------------------------------------

# The layout is given, not sniffed: DuckDB's sniffer costs more than the reading on 52 small files.
READ_CSV = ("read_csv({files}, skip = 2, header = true, auto_detect = false, columns = {columns}, delim = ',', "
            "quote = '\"', encoding = '{encoding}')")
BUDGET_SQL = """
    SELECT split_part(预算单位, ' - ', 1) AS unit,
           sum(CAST(replace(调整后预算数, ',', '') AS DECIMAL(18, 2))) AS budget, count(*) AS n
    FROM {read}
    WHERE 指标明细号 <> '合计'
    GROUP BY unit"""
PAID_SQL = """
    SELECT split_part(预算单位, ' - ', 1) AS unit,
           sum(CASE WHEN 支付状态 = '已支付' OR (支付状态 = '已退回' AND amount < 0) THEN amount ELSE 0 END) AS paid,
           count(*) AS n
    FROM (SELECT *, CAST(replace(支付金额, ',', '') AS DECIMAL(18, 2)) AS amount FROM {read})
    WHERE 支付申请号 <> '合计' AND CAST(支付日期 AS DATE) <= DATE '{as_of}'
    GROUP BY unit"""
FLOOR_SQL = {  # (unit, budget fen, paid fen, quota lines read, payments read)
    "duckdb-year": """WITH budget AS ({budget}), paid AS ({paid})
SELECT coalesce(b.unit, p.unit), CAST(coalesce(b.budget, 0) * 100 AS BIGINT),
       CAST(coalesce(p.paid, 0) * 100 AS BIGINT), coalesce(b.n, 0), coalesce(p.n, 0)
FROM budget b FULL JOIN paid p ON p.unit = b.unit""",
    "duckdb-week": """WITH paid AS ({paid})
SELECT unit, 0, CAST(paid * 100 AS BIGINT), 0, n FROM paid""",
}


def step_duckdb(args, step: str) -> dict:
    """DuckDB reads the files and sums, per unit, the budget (the quota export) and what was paid
    by ``as_of`` (the same rule as ours: 已支付, and negative 已退回 rows with their sign). The
    payment's own unit is the one it names: in this data a payment's unit is its line's."""
    import duckdb

    meta = load_meta(args)
    p = paths(args.out)
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    try:
        con.execute("LOAD encodings")  # only if someone installed the extension; never downloaded here
        folder, encoding, note = p["exports"], "gb18030", "read the GBK files (encodings extension)"
    except duckdb.Error:
        folder, encoding = p["utf8"], "utf-8"
        note = "read UTF-8 copies of the GBK files, made when they were generated (not timed)"
    files = export_files(meta, folder)
    quota, weeks = files[0], (files[1:] if step == "duckdb-year" else files[-1:])
    def read(fs: list[Path], header: list[str]) -> str:
        names = "[" + ", ".join("'" + str(f).replace("'", "''") + "'" for f in fs) + "]"
        columns = "{" + ", ".join(f"'{h}': 'VARCHAR'" for h in header) + "}"
        return READ_CSV.format(files=names, columns=columns, encoding=encoding)

    sql = FLOOR_SQL[step].format(budget=BUDGET_SQL.format(read=read([quota], QUOTA_HEADER)),
                                 paid=PAID_SQL.format(read=read(weeks, PAYMENT_HEADER), as_of=meta["as_of"]))
    times = []
    for _ in range(FLOOR_REPEAT):  # the best of three: the floor is the least the work can take
        with Timer(args, step) as timer:
            rows = con.execute(sql).fetchall()
        times.append(timer.seconds)
    per_unit = {code: [int(budget), int(paid)] for code, budget, paid, _nq, _np in rows}
    expected_rows = meta["counts"]["payments"] if step == "duckdb-year" else meta["counts"]["payments_week"]
    payments_read = sum(r[4] for r in rows)
    lines_read = sum(r[3] for r in rows)
    problems = []
    if payments_read != expected_rows:
        problems.append(f"{payments_read:,} payments read, {expected_rows:,} written")
    if step == "duckdb-year":
        if lines_read != meta["counts"]["quota_lines"]:
            problems.append(f"{lines_read:,} quota lines read, {meta['counts']['quota_lines']:,} written")
        if per_unit != meta["truth"]:
            problems.append("per-unit sums differ from the generator's")
    return {"step": step, "seconds": round(min(times), 3), "first_seconds": round(times[0], 3),
            "per_unit": per_unit, "payments_read": payments_read,
            "quota_lines_read": lines_read, "note": note, "duckdb_version": duckdb.__version__,
            "threads": con.execute("SELECT current_setting('threads')").fetchone()[0],
            "ok": not problems, "problems": problems}


def run_step(args) -> int:
    if args.code is not None:
        import jobs
        assert Path(jobs.__file__).resolve().is_relative_to(args.code), jobs.__file__
    step = args.step
    if step == "generate":
        result = step_generate(args)
    elif step in ("import-year", "import-week"):
        result = step_import(args, step)
    elif step == "evaluate":
        result = step_evaluate(args)
    elif step in ("status-all", "status-unit"):
        result = step_status(args, step)
    elif step in FLOOR_STEPS:
        result = step_duckdb(args, step)
    else:
        raise SystemExit(f"unknown step {step!r}")
    write_result(args, step, result)
    return 0


# --- orchestration --------------------------------------------------------------------------------

def spawn(args, step: str, backend: str, db_url: str = "") -> dict:
    """Run one step in a fresh interpreter and read back its figures."""
    command = [sys.executable, str(Path(__file__).resolve()), "--step", step, "--scale", repr(args.scale),
               "--out", str(args.out), "--backend", backend, "--profile-top", str(args.profile_top)]
    if args.profile:
        command += ["--profile", args.profile]
    if args.regenerate and step == "generate":
        command.append("--regenerate")
    if args.code is not None:
        command += ["--code", str(args.code)]
    target = result_file(args.out, backend, step)
    target.unlink(missing_ok=True)
    started = time.perf_counter()
    print(f"[scale] {backend}: {step} …", file=sys.stderr, flush=True)
    # The database URL (with its password, if any) goes through the environment, not the command line.
    completed = subprocess.run(command, cwd=ROOT, env={**os.environ, DB_URL_VARIABLE: db_url})
    if completed.returncode != 0 or not target.exists():
        raise SystemExit(f"step {step} ({backend}) failed (exit code {completed.returncode})")
    result = json.loads(target.read_text(encoding="utf-8"))
    print(f"[scale] {backend}: {step} done in {time.perf_counter() - started:.1f}s (process)", file=sys.stderr,
          flush=True)
    return result


class Backend:
    """One database to run our steps on: a fresh SQLite file, or a fresh PostgreSQL database made on
    the server the URL names (dropped afterwards unless kept)."""

    def __init__(self, args, spec: str):
        self.args, self.spec = args, spec
        self.name = "sqlite" if spec == "sqlite" else "postgresql"
        self.url = ""
        self.database = None

    def __enter__(self):
        if self.spec == "sqlite":
            folder = paths(self.args.out)["db"]
            folder.mkdir(parents=True, exist_ok=True)
            file = folder / "scale.sqlite"
            for suffix in ("", "-wal", "-shm"):
                Path(str(file) + suffix).unlink(missing_ok=True)
            self.url = f"sqlite:///{file}"
            self.where = f"SQLite file {file}"
            return self
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        scheme, rest = self.spec.split("://", 1)
        server = make_url(self.spec if "+" in scheme else f"postgresql+psycopg://{rest}")  # psycopg 3, as the project
        self.database = f"bm_scale_{os.getpid()}_{int(time.time())}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{self.database}"'))
            self.version = connection.execute(text("SHOW server_version")).scalar_one()
        admin.dispose()
        self.server = server
        self.url = server.set(database=self.database).render_as_string(hide_password=False)
        self.where = f"PostgreSQL {self.version}, fresh database {self.database} on {server.host}:{server.port}"
        return self

    def size_mb(self) -> float | None:
        if self.spec == "sqlite":
            file = Path(self.url.removeprefix("sqlite:///"))
            return sum(f.stat().st_size for f in (file, Path(f"{file}-wal")) if f.exists()) / 1e6
        from sqlalchemy import create_engine, text
        engine = create_engine(self.url)
        with engine.connect() as connection:
            size = connection.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
        engine.dispose()
        return size / 1e6

    def __exit__(self, *_exc):
        if self.database is None or self.args.keep_db:
            if self.database:
                print(f"[scale] kept {self.server.set(database=self.database).render_as_string()}", file=sys.stderr)
            return
        from sqlalchemy import create_engine, text
        admin = create_engine(self.server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)'))
        admin.dispose()


def checks(results: dict, floors: dict, meta: dict) -> dict:
    """Our per-unit budget and paid (status) against DuckDB's from the files, and each step's own."""
    floor = floors.get("duckdb-year", {}).get("per_unit")
    out = {"steps_ok": {s: r.get("ok", True) for s, r in results.items()}}
    problems = [f"{s}: {p}" for s, r in results.items() for p in r.get("problems", [])]
    whole, one = results.get("status-all"), results.get("status-unit")
    if floor is not None and whole is not None:
        ours = whole["per_unit"]
        differ = sorted(code for code in {*ours, *floor} if ours.get(code) != floor.get(code))
        out["per_unit_equal"] = not differ
        out["units_compared"] = len(floor)
        out["units_differing"] = differ[:10]
        if differ:
            problems.append(f"status-all: {len(differ)} units differ from DuckDB's, e.g. {differ[:3]}")
    if floor is not None and one is not None:
        code = meta["unit_code"]
        out["unit_equal"] = one["per_unit"].get(code) == floor.get(code)
        if not out["unit_equal"]:
            problems.append(f"status-unit: {code} {one['per_unit'].get(code)} ≠ DuckDB's {floor.get(code)}")
    out["problems"] = problems
    out["ok"] = not problems
    return out


def masked(argument: str) -> str:
    """A database URL without its password (for the JSON file)."""
    if "://" not in argument:
        return argument
    from sqlalchemy.engine import make_url
    return make_url(argument).render_as_string(hide_password=True)


def ratio(seconds: float, floor: float | None) -> float | None:
    if not floor:
        return None
    value = seconds / floor
    return round(value, 2 if value < 10 else 1)


def table(meta: dict, runs: dict, floors: dict) -> list[dict]:
    """One row per step; for each backend: seconds, peak RSS, × its floor."""
    rows = []
    for step in (*OUR_STEPS, *FLOOR_STEPS):
        row = {"step": step, "label": LABELS[step], "floor": FLOOR_OF.get(step, step)}
        if step in FLOOR_STEPS:
            if step not in floors:
                continue
            r = floors[step]
            row["floor_seconds"] = r["seconds"]
            row["peak_rss_mb"] = r["peak_rss_mb"]
        else:
            floor_s = floors.get(FLOOR_OF[step], {}).get("seconds")
            for backend, run in runs.items():
                r = run["results"].get(step)
                if r is None:
                    continue
                row[backend] = {"seconds": r["seconds"], "peak_rss_mb": r["peak_rss_mb"],
                                "x_floor": ratio(r["seconds"], floor_s)}
            if not any(b in row for b in runs):
                continue
        rows.append(row)
    return rows


def describe(step: str, r: dict) -> str:
    if step.startswith("import"):
        payments = [f for f in r["files"] if f["kind"] == "payments"]
        quota = [f for f in r["files"] if f["kind"] == "quota"]
        what = f"1 quota export and {len(payments)} weekly" if quota else f"{len(payments)} weekly"
        return (f"{len(r['files'])} file{'s' if len(r['files']) > 1 else ''} ({what}), {r['rows']:,} rows; "
                f"{r['rows'] / r['seconds']:,.0f} rows/s")
    if step == "evaluate":
        return (f"{r['findings']:,} findings, {r['events']:,} events, {r['messages']:,} messages to "
                f"{r['people']:,} leaders")
    if step.startswith("status"):
        return f"{r['entities']:,} entities, {r['lines']:,} lines"
    if step.startswith("duckdb"):
        return f"{r['payments_read']:,} payments" + (f", {r['quota_lines_read']:,} quota lines"
                                                      if r["quota_lines_read"] else "")
    return ""


def print_report(args, meta: dict, runs: dict, floors: dict, rows: list[dict]) -> None:
    c = meta["counts"]
    exports = [f for f in meta["files"] if f["kind"] == "payments"]
    size = sum(f["bytes"] for f in meta["files"]) / 1e6
    print()
    print(f"Province {meta['year']}: {c['departments']:,} departments, {c['units']:,} units, "
          f"{c['quota_lines']:,} quota lines, {c['payments']:,} payments in {len(exports)} weekly "
          f"{meta['encoding'].upper()} CSV exports and 1 quota export ({size:,.1f} MB); as_of {meta['as_of']}; "
          f"one unit = {meta['unit_code']}")
    print(f"  data: {paths(args.out)['exports']}" + (" (reused)" if meta.get("reused")
                                                     else f" (generated in {meta['generate_seconds']}s)"))
    for backend, run in runs.items():
        db_mb = run.get("size_mb")
        print(f"  {backend}: {run['where']}" + (f"; {db_mb:,.0f} MB after the run" if db_mb else ""))
    print(f"  code: {meta['code_before']}")
    if meta["code_after"] != meta["code_before"]:
        print(f"  WARNING: the code changed during the run; now: {meta['code_after']}")
    profiled = {s for run in runs.values() for s, r in run["results"].items() if r.get("profiled")}
    if profiled:
        print(f"  NOTE: {', '.join(sorted(profiled))} ran under cProfile: their seconds are the profiled ones")
    print()
    backends = list(runs) or ["DuckDB"]  # the floors alone (--only)
    head = f"{'step':<32} {'floor':<12}" + "".join(f" {b + ' s':>13} {'peak RSS MB':>12} {'× floor':>8}"
                                                   for b in backends)
    print(head)
    print("-" * len(head))
    for row in rows:
        if row["step"] in FLOOR_STEPS:
            cells = f" {row['floor_seconds']:>13.3f} {row['peak_rss_mb']:>12,.0f} {1:>8}"
            print(f"{row['label']:<32} {'(itself)':<12}" + cells + " " * (34 * (len(backends) - 1)))
            continue
        cells = ""
        for b in backends:
            cell = row.get(b)
            if cell is None:
                cells += f" {'-':>13} {'-':>12} {'-':>8}"
                continue
            x = cell["x_floor"]
            shown = "-" if x is None else f"{x:,.2f}" if x < 10 else f"{x:,.1f}"
            cells += f" {cell['seconds']:>13.3f} {cell['peak_rss_mb']:>12,.0f} {shown:>8}"
        floor_label = {"duckdb-year": "every file", "duckdb-week": "week 52"}[row["floor"]]
        print(f"{row['label']:<32} {floor_label:<12}" + cells)
    print()
    print("seconds: wall time of the step's call(s) in a fresh process (migration and start-up not counted); "
          "peak RSS: the step process's ru_maxrss; × floor: seconds ÷ the DuckDB floor's named in 'floor'.")
    if floors:
        r = next(iter(floors.values()))
        print(f"Floor: DuckDB {r['duckdb_version']}, {r['threads']} threads, {r['note']}; per-unit budget and paid; "
              f"the best of {FLOOR_REPEAT} runs (the first: " + ", ".join(
                  f"{LABELS[s].split(', ')[-1]} {f['first_seconds']:.3f} s" for s, f in floors.items()) + ").")
    print()
    for backend, run in runs.items():
        print(f"{backend}:")
        for step, r in run["results"].items():
            print(f"  {LABELS[step]:<32} {describe(step, r)}")
        check = run["check"]
        if "per_unit_equal" in check:
            verdict = "equal to" if check["per_unit_equal"] else "DIFFERENT from"
            print(f"  check: per-unit budget and paid of status ({check['units_compared']:,} units) {verdict} "
                  f"DuckDB's from the files" + ("" if "unit_equal" not in check else
                                                 f"; one unit {'equal' if check['unit_equal'] else 'DIFFERENT'}"))
        for problem in check["problems"]:
            print(f"  PROBLEM: {problem}")
        year = run["results"].get("import-year")
        if year:
            files = year["files"]
            weekly = [f for f in files if f["kind"] == "payments"]
            picks = [("quota export", files[0])] + [(f"week {i}", weekly[i - 1]) for i in (1, 26, len(weekly))
                                                     if 0 < i <= len(weekly)]
            week = run["results"].get("import-week")
            if week:
                picks.append(("week 52 (incremental)", week["files"][0]))
            print("  per file (s): " + ", ".join(f"{label} {f['seconds']:.2f} ({f['rows']:,} rows)"
                                                 for label, f in picks))
            print("  phases of the first import (s, all files): " + ", ".join(
                f"{k} {v:.1f}" for k, v in year["phases"].items()))
    for floor_step, r in floors.items():
        for problem in r.get("problems", []):
            print(f"  PROBLEM ({floor_step}): {problem}")
    for backend, run in runs.items():
        for step, r in run["results"].items():
            if r.get("profile_text"):
                print()
                print(f"Profile of {LABELS[step]} on {backend} (cProfile, {r['seconds']:.1f}s under the profiler; "
                      f"{r['profile_file']}):")
                print(r["profile_text"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0,
                        help="size relative to the full province (default 1: 5,000 units, 50,000 quota lines, "
                             "2,000,000 payments; 0.02: 100 units, 1,000 lines, 40,000 payments)")
    parser.add_argument("--db", action="append", metavar="sqlite|URL",
                        help="a backend, repeatable (default: sqlite): 'sqlite' (a fresh file under OUT/db) or a "
                             "PostgreSQL URL of a server, on which a fresh database is created for the run")
    parser.add_argument("--out", type=Path, help="working folder (default bench/out/scale[-SCALE])")
    parser.add_argument("--json", type=Path, help="write the table and the checks here (default OUT/scale.json)")
    parser.add_argument("--only", metavar="STEPS", help="comma-separated subset of " + ",".join(OUR_STEPS + FLOOR_STEPS)
                        + " (the imports are what the others read)")
    parser.add_argument("--profile", nargs="?", const=DEFAULT_PROFILE, metavar="STEPS",
                        help=f"run these steps under cProfile (default {DEFAULT_PROFILE}) and print the top entries; "
                             "their seconds are then the profiled ones")
    parser.add_argument("--profile-top", type=int, default=25, help="profile entries to show (default 25)")
    parser.add_argument("--keep-db", action="store_true", help="keep the PostgreSQL database made for the run")
    parser.add_argument("--regenerate", action="store_true", help="rebuild the export files even if they match")
    parser.add_argument("--code", type=Path, metavar="DIR",
                        help="import the project from DIR instead of this checkout, e.g. a snapshot made with "
                             "'git archive HEAD | tar -x -C DIR' while others edit the tree")
    parser.add_argument("--step", help=argparse.SUPPRESS)  # internal: run one step in this process
    parser.add_argument("--backend", default="floor", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error("--scale must be positive")
    if args.out is None:
        args.out = ROOT / "bench" / "out" / ("scale" if args.scale == 1 else f"scale-{args.scale:g}")
    args.out = args.out.resolve()
    if args.code is not None:
        args.code = args.code.resolve()
        if not (args.code / "jobs" / "ingest").is_dir():
            parser.error(f"--code {args.code}: no jobs/ingest there")
        sys.path.insert(0, str(args.code))
    if args.step:
        args.db_url = os.environ.get(DB_URL_VARIABLE, "")
        return run_step(args)

    specs = args.db or ["sqlite"]
    for spec in specs:
        if spec != "sqlite" and not spec.split("://")[0].startswith(("postgres", "postgresql")):
            parser.error(f"--db {spec}: 'sqlite' or a PostgreSQL URL")
    steps = [*OUR_STEPS, *FLOOR_STEPS]
    if args.only:
        wanted = [s.strip() for s in args.only.split(",") if s.strip()]
        unknown = set(wanted) - set(steps)
        if unknown:
            parser.error(f"unknown steps: {', '.join(sorted(unknown))}")
        steps = [s for s in steps if s in wanted]

    code_before = code_version(args.code)
    meta = spawn(args, "generate", "floor")
    c = meta["counts"]
    print(f"[scale] data: {c['units']:,} units, {c['quota_lines']:,} quota lines, {c['payments']:,} payments"
          + (" (reused)" if meta.get("reused") else f", generated in {meta['generate_seconds']}s"),
          file=sys.stderr, flush=True)
    floors = {step: spawn(args, step, "floor") for step in FLOOR_STEPS if step in steps}
    runs = {}
    for spec in (specs if any(step in OUR_STEPS for step in steps) else ()):
        with Backend(args, spec) as backend:
            results = {step: spawn(args, step, backend.name, backend.url) for step in OUR_STEPS if step in steps}
            runs[backend.name] = {"where": backend.where, "results": results, "size_mb": backend.size_mb(),
                                  "check": checks(results, floors, meta)}
    meta["code_before"], meta["code_after"] = code_before, code_version(args.code)
    rows = table(meta, runs, floors)
    print_report(args, meta, runs, floors, rows)
    ok = all(run["check"]["ok"] for run in runs.values()) and all(r.get("ok", True) for r in floors.values())
    report = {
        "command": " ".join(["bench/scale.py", *map(masked, argv if argv is not None else sys.argv[1:])]),
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "code": meta["code_before"], "code_after": meta["code_after"],
        "machine": {"cpus": os.cpu_count(), "platform": sys.platform, "python": sys.version.split()[0]},
        "data": {k: meta[k] for k in ("scale", "units", "payments", "year", "as_of", "encoding", "unit_code",
                                      "counts")},
        "table": rows,
        "floors": {s: {k: v for k, v in r.items() if k != "per_unit"} for s, r in floors.items()},
        "backends": {b: {"where": run["where"], "size_mb": run["size_mb"], "check": run["check"],
                         "steps": {s: {k: v for k, v in r.items() if k not in ("per_unit", "profile_text")}
                                   for s, r in run["results"].items()}}
                     for b, run in runs.items()},
        "ok": ok,
    }
    target = (args.json or args.out / "scale.json").resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    print(f"\nJSON: {target}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
