"""Benchmark of the ingest job on a large payment export, against DuckDB and pandas floors.

    .venv/bin/python bench/ingest.py                      # 1,000,000 rows, fresh SQLite files
    .venv/bin/python bench/ingest.py --rows 100000 --profile
    .venv/bin/python bench/ingest.py --db postgresql+psycopg://u:p@host/emptydb

The parent process only orchestrates: it imports neither pandas nor the project, and runs
every step (data generation included) as ``python bench/ingest.py --step NAME`` in a child
process, which reads its own peak RSS (``getrusage(RUSAGE_SELF).ru_maxrss``) and writes its
figures to ``OUT/results/NAME.json``. Steps therefore do not pollute each other's peak.
See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

GENERATOR_VERSION = 1
SEED = 20230331
TITLE = "支付明细导出表"
OVERLAP_TITLE = "支付明细导出表（重新导出）"
UNIT_LINE = "金额单位：元"
HEADER = ["支付申请号", "支付日期", "预算单位", "指标明细号", "功能分类", "经济分类", "项目", "收款人",
          "用途", "支付金额", "支付状态"]
N_UNITS = 200
N_QUOTAS = 5000
RETURNED_SHARE = 0.01

IMPORT_STEPS = ("first", "reimport", "overlap")
FLOOR_STEPS = ("duckdb", "pandas")
LABELS = {
    "first": "(a) first import",
    "reimport": "(b) re-import, same file",
    "overlap": "(c) overlapping file",
    "duckdb": "(d) floor: DuckDB",
    "pandas": "(d) floor: pandas",
}


# --- helpers usable in every process ------------------------------------------------------------

def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB (Linux reports ru_maxrss in KiB)."""
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024


def peak_so_far_mb() -> float | None:
    """VmHWM (peak RSS so far) from /proc, to tell in which phase the peak is reached; Linux only."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def paths(out: Path) -> dict[str, Path]:
    data = out / "data"
    return {
        "data": data,
        "csv": data / "payments.csv",
        "overlap_csv": data / "payments-overlap.csv",
        "utf8_csv": data / "payments.utf8.csv",
        "meta": data / "meta.json",
        "db": out / "db",
        "results": out / "results",
    }


def write_result(out: Path, step: str, result: dict) -> None:
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    target = paths(out)["results"] / f"{step}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str), encoding="utf-8")


def fmt_yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{yuan:,}.{cents:02d}"


# --- step: generate -------------------------------------------------------------------------------

def _unit_table():
    departments = [
        "科学技术协会", "教育局", "卫生健康委员会", "财政局", "交通运输局", "农业农村局", "文化和旅游局",
        "民政局", "人力资源和社会保障局", "住房和城乡建设局", "生态环境局", "水务局", "市场监督管理局",
        "司法局", "公安局", "林业和草原局", "商务局", "统计局", "审计局", "应急管理局",
    ]
    subordinate = ["本级", "机关服务中心", "信息中心", "培训中心", "事务中心", "监测站", "研究所", "档案馆",
                   "执法支队", "服务站"]
    codes, names = [], []
    for d, dept in enumerate(departments):
        for k, suffix in enumerate(subordinate):
            codes.append(f"{158 + d:03d}{k + 1:03d}")
            names.append(f"乌鲁木齐市{dept}" + ("" if k == 0 else suffix))
    assert len(codes) == N_UNITS
    return codes, names


FUNCTIONAL = ["2060701 - 机构运行", "2060702 - 一般行政管理事务", "2060799 - 其他科学技术普及支出",
              "2050201 - 学前教育", "2050202 - 小学教育", "2050203 - 初中教育", "2100201 - 综合医院",
              "2080501 - 行政单位离退休", "2080505 - 机关事业单位基本养老保险缴费支出",
              "2101101 - 行政单位医疗", "2210201 - 住房公积金", "2130101 - 行政运行",
              "2120101 - 行政运行", "2011001 - 行政运行", "2040101 - 武装警察"]
ECONOMIC = ["30101 - 基本工资", "30102 - 津贴补贴", "30103 - 奖金", "30108 - 机关事业单位基本养老保险缴费",
            "30113 - 住房公积金", "30201 - 办公费", "30202 - 印刷费", "30205 - 水费", "30206 - 电费",
            "30207 - 邮电费", "30211 - 差旅费", "30213 - 维修（护）费", "30215 - 会议费", "30216 - 培训费",
            "30217 - 公务接待费", "30226 - 劳务费", "30227 - 委托业务费", "30228 - 工会经费",
            "30231 - 公务用车运行维护费", "31002 - 办公设备购置"]
PROJECT_WORDS = ["科普经费", "信息化建设", "设备更新", "专项业务费", "培训项目", "宣传经费", "运维经费",
                 "课题研究", "监测经费", "综合治理"]
PURPOSES = ["办公用品采购", "差旅费报销", "会议费", "培训费", "水电费", "物业管理费", "印刷费", "邮电费",
            "车辆维修", "车辆加油", "公务接待", "劳务费", "委托业务费", "工资发放", "养老保险缴费",
            "住房公积金", "设备购置", "软件服务费", "网络租赁费", "专家咨询费"]
PAYEE_A = ["天山", "昆仑", "丝路", "博格达", "红山", "西域", "雪莲", "绿洲", "金桥", "新天", "瑞达", "华信",
           "中泰", "恒通", "百川", "宏远", "安达", "明德", "嘉和", "润泽"]
PAYEE_B = ["科技", "商贸", "物业", "印务", "汽车服务", "信息技术", "文化传媒", "建设工程", "餐饮管理", "办公设备",
           "电子", "咨询", "会展", "物流", "能源"]
PAYEE_C = ["有限公司", "有限责任公司", "股份有限公司", "服务部", "经营部", "中心", "商行", "工作室", "事务所", "厂"]


def step_generate(args) -> dict:
    import hashlib

    import numpy as np
    import pandas as pd

    p = paths(args.out)
    p["data"].mkdir(parents=True, exist_ok=True)
    if p["meta"].exists() and not args.regenerate:
        meta = json.loads(p["meta"].read_text(encoding="utf-8"))
        if meta.get("rows") == args.rows and meta.get("version") == GENERATOR_VERSION and all(
                p[k].exists() for k in ("csv", "overlap_csv", "utf8_csv")):
            meta["reused"] = True
            return meta

    t0 = time.perf_counter()
    n = args.rows
    rng = np.random.default_rng(SEED)

    # Dimensions: 200 units; 5000 quota lines, each of one unit, class pair and (60 %) a project.
    unit_codes, unit_names = _unit_table()
    unit_labels = np.array([f"{c} - {nm}" for c, nm in zip(unit_codes, unit_names)], dtype=object)
    q_unit = rng.integers(0, N_UNITS, N_QUOTAS)
    q_func = rng.integers(0, len(FUNCTIONAL), N_QUOTAS)
    q_econ = rng.integers(0, len(ECONOMIC), N_QUOTAS)
    q_has_project = rng.random(N_QUOTAS) < 0.6
    q_proj = rng.integers(0, 4, N_QUOTAS)  # up to 4 projects per unit → ~800 projects
    quota_nos = np.array([f"2023{unit_codes[u]}{i:05d}" for i, u in enumerate(q_unit)], dtype=object)
    q_project = np.array([
        f"{unit_codes[u]}23{k + 1:04d} - {PROJECT_WORDS[(u + k) % len(PROJECT_WORDS)]}" if has else ""
        for u, k, has in zip(q_unit, q_proj, q_has_project)], dtype=object)
    functional = np.array(FUNCTIONAL, dtype=object)
    economic = np.array(ECONOMIC, dtype=object)
    payees = np.array([f"新疆{a}{b}{c}" for a in PAYEE_A for b in PAYEE_B for c in PAYEE_C[:10]],
                      dtype=object)  # 3000 payees
    purposes = np.array([f"{m}月{w}" for m in range(1, 13) for w in PURPOSES], dtype=object)

    # Rows, in date order as exports are; payment ids follow the dates.
    day = np.sort(rng.integers(0, 365, n))
    base = pd.Timestamp("2023-01-01")
    days = [base + pd.Timedelta(days=int(d)) for d in range(365)]
    date_texts = np.array([d.strftime("%Y-%m-%d") for d in days]
                          + [f"{d.year}/{d.month}/{d.day}" for d in days], dtype=object)
    slash = rng.random(n) < 0.5
    q = rng.integers(0, N_QUOTAS, n)
    fen = np.clip(np.rint(rng.lognormal(np.log(5_000), 1.4, n) * 100), 100, 500_000_000).astype(np.int64)
    returned = rng.random(n) < RETURNED_SHARE
    payment_ids = pd.Series(np.arange(1, n + 1)).map("ZF2023{:010d}".format).to_numpy(dtype=object)
    yuan, cents = np.divmod(fen, 100)
    amounts = np.array([f"{y:,}.{c:02d}" for y, c in zip(yuan.tolist(), cents.tolist())], dtype=object)

    body = pd.DataFrame({
        0: payment_ids,
        1: date_texts[day + 365 * slash],
        2: unit_labels[q_unit[q]],
        3: quota_nos[q],
        4: functional[q_func[q]],
        5: economic[q_econ[q]],
        6: q_project[q],
        7: payees[rng.integers(0, len(payees), n)],
        8: purposes[rng.integers(0, len(purposes), n)],
        9: amounts,
        10: np.where(returned, "已退回", "已支付").astype(object),
    })
    total_fen = int(fen.sum())
    total_row = ["合计"] + [""] * 8 + [fmt_yuan(total_fen), ""]
    body.loc[n] = total_row
    rows_text = body.to_csv(index=False, header=False, lineterminator="\r\n")
    header_text = ",".join(HEADER) + "\r\n"
    rest = f"{UNIT_LINE}\r\n{header_text}{rows_text}"

    gb_rest = rest.encode("gb18030")
    p["csv"].write_bytes(f"{TITLE}\r\n".encode("gb18030") + gb_rest)
    p["overlap_csv"].write_bytes(f"{OVERLAP_TITLE}\r\n".encode("gb18030") + gb_rest)
    p["utf8_csv"].write_bytes(f"{TITLE}\r\n{rest}".encode())

    per_unit = pd.Series(fen).groupby(unit_labels[q_unit[q]]).sum()
    meta = {
        "version": GENERATOR_VERSION,
        "rows": n,
        "seed": SEED,
        "total_fen": total_fen,
        "total_text": fmt_yuan(total_fen),
        "returned_rows": int(returned.sum()),
        "units": int(len(per_unit)),
        "quota_lines": int(len(np.unique(q))),
        "projects": int(len({x for x in q_project[np.unique(q)] if x})),
        "per_unit_check": {k: int(v) for k, v in per_unit.head(3).items()},
        "csv_bytes": p["csv"].stat().st_size,
        "overlap_csv_bytes": p["overlap_csv"].stat().st_size,
        "utf8_csv_bytes": p["utf8_csv"].stat().st_size,
        "csv_sha256": hashlib.sha256(p["csv"].read_bytes()).hexdigest(),
        "generate_seconds": round(time.perf_counter() - t0, 2),
        "reused": False,
    }
    p["meta"].write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    return meta


# --- steps: imports -------------------------------------------------------------------------------

def _db_url(args, step: str) -> str:
    if args.db != "sqlite":
        return args.db
    from db.engine import sqlite_url
    return sqlite_url(paths(args.out)["db"] / f"{step}.sqlite")


def _sqlite_files(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def _prepare_sqlite(args, step: str) -> None:
    """A fresh SQLite file for each step; re-import and overlap start from a copy of the
    database the first import left (the copy is not timed)."""
    if args.db != "sqlite":
        return
    db_dir = paths(args.out)["db"]
    db_dir.mkdir(parents=True, exist_ok=True)
    target = db_dir / f"{step}.sqlite"
    for f in _sqlite_files(target):
        f.unlink(missing_ok=True)
    if step in ("reimport", "overlap"):
        source = db_dir / "first.sqlite"
        if not source.exists():
            raise SystemExit(f"{source} missing: run the 'first' step before '{step}'")
        for src, dst in zip(_sqlite_files(source), _sqlite_files(target)):
            if src.exists():
                shutil.copyfile(src, dst)


def step_import(args, step: str, profile: bool = False) -> dict:
    import datetime as dt
    from zoneinfo import ZoneInfo

    from db.engine import make_engine, session_factory
    from db.migrate import upgrade
    from jobs.ingest import ingest_file

    p = paths(args.out)
    meta = json.loads(p["meta"].read_text(encoding="utf-8"))
    db_step = "profile" if profile else step
    if profile and args.db != "sqlite":
        # A database URL is shared by the steps: profile the first import on its own SQLite file.
        args = argparse.Namespace(**{**vars(args), "db": "sqlite"})
    _prepare_sqlite(args, db_step)
    url = _db_url(args, db_step)
    engine = make_engine(url)
    upgrade(engine)  # not timed
    factory = session_factory(engine)
    file = p["overlap_csv"] if step == "overlap" else p["csv"]
    now = dt.datetime(2024, 1, 5, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    rss_before = peak_rss_mb()

    marks: list[tuple[str, float]] = []
    hwm: list[float | None] = []  # peak RSS so far at each phase change
    store_marks: list[tuple[int, float]] = []

    def progress(phase: str, done: int = 0, _total: int = 0) -> None:
        """ingest_file calls progress(phase) at each phase, and progress("store", done, total)
        after each chunk the store writes (older versions: the phases only)."""
        now_ = time.perf_counter()
        if not marks or marks[-1][0] != phase:
            marks.append((phase, now_))
            hwm.append(peak_so_far_mb())
        if phase == "store" and done:
            store_marks.append((done, now_))
    profiler = None
    if profile:
        import cProfile
        profiler = cProfile.Profile()
        profiler.enable()
    t0 = time.perf_counter()
    outcome = ingest_file(factory, file, now=now, progress=progress)
    t1 = time.perf_counter()
    if profiler is not None:
        profiler.disable()
    engine.dispose()

    hwm.append(peak_so_far_mb())
    phases, phase_peaks = {}, {}
    points = [("hash+lookup", t0)] + marks + [("end", t1)]
    for (name, start), (_next, end) in zip(points, points[1:]):
        phases[name] = round(end - start, 3)
    for (name, _start), peak in zip(points, hwm):  # hwm[i] is the peak when phase i ended
        phase_peaks[name] = None if peak is None else round(peak, 1)

    store_chunks = {}
    if store_marks and "store" in dict(marks):
        start = dict(marks)["store"]
        times = [t - prev for (_d, t), prev in zip(store_marks, [start] + [t for _d, t in store_marks])]
        rows_per = [d - prev for (d, _t), prev in zip(store_marks, [0] + [d for d, _t in store_marks])]
        store_chunks = {
            "chunks": len(times),
            "first_chunk_s": round(times[0], 3),  # includes dimensions and building the rows
            "second_chunk_s": round(times[1], 3) if len(times) > 1 else None,
            "last_chunk_s": round(times[-1], 3),
            "chunk_rows": rows_per[1] if len(rows_per) > 1 else rows_per[0],
            "after_last_chunk_s": round(t1 - store_marks[-1][1], 3),
            "every_chunk_s": [round(x, 3) for x in times],
        }

    n = meta["rows"]
    expected = {
        "first": dict(status="ingested", inserted=n, updated=0, unchanged=0),
        "reimport": dict(status="unchanged"),
        "overlap": dict(status="ingested", inserted=0, updated=0, unchanged=n),
    }[step]
    got = {"status": outcome.status, "inserted": outcome.inserted, "updated": outcome.updated,
           "unchanged": outcome.unchanged}
    mismatches = {k: {"expected": v, "got": got[k]} for k, v in expected.items() if got[k] != v}
    result = {
        "step": step,
        "rows": n,
        "seconds": round(t1 - t0, 3),
        "phases": phases,
        "peak_rss_mb_by_end_of_phase": phase_peaks,
        "store_chunks": store_chunks,
        "rss_before_mb": round(rss_before, 1),
        "outcome": {**got, "rows": outcome.rows, "kind": outcome.kind, "budget_year": outcome.budget_year,
                    "problems": [pr.to_json("en") for pr in outcome.problems[:5]]},
        "ok": not mismatches,
        "mismatches": mismatches,
        "database": url if args.db == "sqlite" else "(given URL)",
    }
    if profiler is not None:
        import io
        import pstats
        prof_file = args.out / "results" / "first-import.prof"
        prof_file.parent.mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(prof_file)
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats("cumulative").print_stats(args.profile_top)
        stats.sort_stats("tottime").print_stats(args.profile_top)
        result["profile_text"] = text.getvalue()
        result["profile_file"] = str(prof_file)
    return result


# --- steps: floors --------------------------------------------------------------------------------

def step_duckdb(args) -> dict:
    import duckdb

    p = paths(args.out)
    meta = json.loads(p["meta"].read_text(encoding="utf-8"))
    con = duckdb.connect()
    try:
        con.execute("LOAD encodings")  # only if someone installed the extension; never downloaded here
        source, encoding, note = p["csv"], "gb18030", "read the GB18030 file (encodings extension)"
    except duckdb.Error:
        source, encoding, note = p["utf8_csv"], "utf-8", "read a UTF-8 copy made beforehand (not timed)"
    path_sql = str(source).replace("'", "''")
    t0 = time.perf_counter()
    rows = con.execute(f"""
        SELECT 预算单位 AS unit,
               sum(CAST(replace(支付金额, ',', '') AS DECIMAL(18, 2))) AS total,
               count(*) AS n
        FROM read_csv('{path_sql}', skip = 2, header = true, all_varchar = true, delim = ',',
                      quote = '"', encoding = '{encoding}')
        WHERE 支付申请号 <> '合计'
        GROUP BY unit
    """).fetchall()
    t1 = time.perf_counter()
    total_fen = sum(int(r[1] * 100) for r in rows)
    count = sum(r[2] for r in rows)
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    return {
        "step": "duckdb", "rows": meta["rows"], "seconds": round(t1 - t0, 3), "note": note,
        "threads": threads, "units": len(rows), "counted": count,
        "ok": total_fen == meta["total_fen"] and count == meta["rows"],
        "total_text": fmt_yuan(total_fen), "duckdb_version": duckdb.__version__,
    }


def step_pandas(args) -> dict:
    import pandas as pd

    p = paths(args.out)
    meta = json.loads(p["meta"].read_text(encoding="utf-8"))
    t0 = time.perf_counter()
    frame = pd.read_csv(p["csv"], encoding="gb18030", skiprows=2, dtype=str, keep_default_na=False)
    frame = frame[frame["支付申请号"] != "合计"]
    # Exact: every generated amount has two decimals, so dropping "," and "." gives fen.
    fen = frame["支付金额"].str.replace(",", "", regex=False).str.replace(".", "", regex=False).astype("int64")
    per_unit = fen.groupby(frame["预算单位"]).sum()
    t1 = time.perf_counter()
    total_fen = int(per_unit.sum())
    return {
        "step": "pandas", "rows": meta["rows"], "seconds": round(t1 - t0, 3),
        "note": "read_csv(dtype=str, encoding=gb18030) + per-unit sum of fen",
        "units": int(len(per_unit)), "counted": int(len(frame)),
        "ok": total_fen == meta["total_fen"] and len(frame) == meta["rows"],
        "total_text": fmt_yuan(total_fen), "pandas_version": pd.__version__,
    }


def run_step(args) -> int:
    step = args.step
    if args.code is not None:
        import jobs
        assert Path(jobs.__file__).resolve().is_relative_to(args.code), jobs.__file__
    if step == "generate":
        result = step_generate(args)
    elif step in IMPORT_STEPS:
        result = step_import(args, step)
    elif step == "profile":
        result = step_import(args, "first", profile=True)
        result["step"] = "profile"
    elif step == "duckdb":
        result = step_duckdb(args)
    elif step == "pandas":
        result = step_pandas(args)
    else:
        raise SystemExit(f"unknown step {step!r}")
    write_result(args.out, step, result)
    return 0


# --- orchestration --------------------------------------------------------------------------------

def code_version(code: Path | None = None) -> str:
    """The commit, and which files of the importer differ from it: others may be editing."""
    if code is not None:
        return f"snapshot in {code}"
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "jobs", "db", "monitor"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.split("\n")
        changed = [line[3:] for line in dirty if line.strip()]
    except (OSError, subprocess.CalledProcessError):
        return "unknown (no git)"
    return head + (f" + uncommitted changes in {', '.join(changed)}" if changed else "")


def spawn(args, step: str) -> dict:
    """Run one step in a fresh interpreter and read back its figures."""
    command = [sys.executable, str(Path(__file__).resolve()), "--step", step, "--rows", str(args.rows),
               "--db", args.db, "--out", str(args.out), "--profile-top", str(args.profile_top)]
    if args.regenerate and step == "generate":
        command.append("--regenerate")
    if args.code is not None:
        command += ["--code", str(args.code)]
    result_file = paths(args.out)["results"] / f"{step}.json"
    result_file.unlink(missing_ok=True)
    started = time.perf_counter()
    print(f"[bench] {step} …", file=sys.stderr, flush=True)
    completed = subprocess.run(command, cwd=ROOT)
    if completed.returncode != 0 or not result_file.exists():
        raise SystemExit(f"step {step} failed (exit code {completed.returncode})")
    result = json.loads(result_file.read_text(encoding="utf-8"))
    print(f"[bench] {step} done in {time.perf_counter() - started:.1f}s (process)", file=sys.stderr, flush=True)
    return result


def print_report(args, meta: dict, results: dict[str, dict]) -> None:
    n = meta["rows"]
    mb = lambda b: b / 1e6  # noqa: E731
    print()
    print(f"Payment export: {n:,} rows, {meta['units']} units, {meta['quota_lines']:,} quota lines, "
          f"{meta['projects']} projects, {meta['returned_rows']:,} 已退回; 合计 {meta['total_text']}")
    print(f"  {paths(args.out)['csv']}: {mb(meta['csv_bytes']):.1f} MB (GB18030); overlap copy "
          f"{mb(meta['overlap_csv_bytes']):.1f} MB; UTF-8 copy {mb(meta['utf8_csv_bytes']):.1f} MB"
          + (" (reused)" if meta.get("reused") else f"; generated in {meta['generate_seconds']}s"))
    print(f"  database: {'fresh SQLite file per step' if args.db == 'sqlite' else 'given URL, steps in order'}")
    print(f"  code: {meta['code_before']}")
    if meta["code_after"] != meta["code_before"]:
        print(f"  WARNING: the code changed during the run; now: {meta['code_after']}")
    floor = results.get("duckdb", {}).get("seconds")
    print()
    header = f"{'step':<28} {'seconds':>9} {'rows/s':>11} {'peak RSS MB':>12} {'× DuckDB':>9}  result"
    print(header)
    print("-" * (len(header) + 30))
    for step in (*IMPORT_STEPS, *FLOOR_STEPS):
        r = results.get(step)
        if r is None:
            continue
        seconds = r["seconds"]
        rate = n / seconds if seconds > 0 else float("inf")
        ratio = f"{seconds / floor:.1f}" if floor else "-"
        if step in IMPORT_STEPS:
            o = r["outcome"]
            outcome = o["status"] + ("" if o["status"] != "ingested" else
                                     f": {o['inserted']:,} new, {o['updated']:,} updated, {o['unchanged']:,} unchanged")
        else:
            outcome = f"{r['units']} units, {r['counted']:,} rows, Σ {r['total_text']}"
        flag = "ok" if r.get("ok") else "MISMATCH"
        print(f"{LABELS[step]:<28} {seconds:>9.2f} {rate:>11,.0f} {r['peak_rss_mb']:>12,.0f} {ratio:>9}  "
              f"{flag}: {outcome}")
    print()
    print("Phases of the imports (seconds, from ingest_file's progress callback; below each, the peak RSS "
          "in MB reached by the end of that phase):")
    print(f"{'step':<28} {'hash+lookup':>11} {'read':>8} {'validate':>9} {'store':>8} {'RSS before MB':>14}")
    widths = (11, 8, 9, 8)
    for step in IMPORT_STEPS:
        r = results.get(step)
        if r is None:
            continue
        names = ("hash+lookup", "read", "validate", "store")
        cells = [r["phases"].get(k) for k in names]
        text = " ".join(f"{c:>{w}.2f}" if c is not None else f"{'-':>{w}}" for c, w in zip(cells, widths))
        print(f"{LABELS[step]:<28} {text} {r['rss_before_mb']:>14,.0f}")
        peaks = r.get("peak_rss_mb_by_end_of_phase") or {}
        if len(peaks) > 1 and any(v is not None for v in peaks.values()):
            cells = [peaks.get(k) for k in names]
            text = " ".join(f"{c:>{w},.0f}" if c is not None else f"{'-':>{w}}" for c, w in zip(cells, widths))
            print(f"{'':<28} {text}")
    chunked = [(s, results[s]["store_chunks"]) for s in IMPORT_STEPS if results.get(s, {}).get("store_chunks")]
    if chunked:
        print()
        print("Store phase by chunk (seconds; from the store's per-chunk progress calls):")
        print(f"{'step':<28} {'chunks':>7} {'rows each':>10} {'1st chunk*':>11} {'2nd chunk':>10} "
              f"{'last chunk':>11} {'commit':>8}")
        for step, c in chunked:
            second = f"{c['second_chunk_s']:>10.3f}" if c["second_chunk_s"] is not None else f"{'-':>10}"
            print(f"{LABELS[step]:<28} {c['chunks']:>7} {c['chunk_rows']:>10,} {c['first_chunk_s']:>11.3f} "
                  f"{second} {c['last_chunk_s']:>11.3f} {c['after_last_chunk_s']:>8.3f}")
        print("  * the first chunk includes the dimensions (units, projects) and building every row dict; "
              "'commit' is the time after the last chunk.")
    for step in IMPORT_STEPS:
        r = results.get(step)
        if r and not r["ok"]:
            print(f"  {step}: expected vs got: {r['mismatches']}; problems: {r['outcome']['problems']}")
    notes = [f"  {LABELS[s].split(': ')[-1]}: {results[s]['note']}" for s in FLOOR_STEPS if s in results]
    if "duckdb" in results:
        notes.append(f"  DuckDB {results['duckdb']['duckdb_version']} used {results['duckdb']['threads']} threads; "
                     f"the importer and pandas use one core.")
    if notes:
        print()
        print("Floors:")
        print("\n".join(notes))
    if "profile" in results:
        r = results["profile"]
        print()
        print(f"Profile of a first import (cProfile; {r['seconds']:.1f}s under the profiler; "
              f"stats saved to {r['profile_file']}):")
        print(r["profile_text"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Benchmark jobs.ingest.ingest_file on a generated GB18030 payment export, "
                    "against DuckDB and pandas floors. Each step runs in its own process.")
    parser.add_argument("--rows", type=int, default=1_000_000, help="payment rows to generate (default 1,000,000)")
    parser.add_argument("--db", default="sqlite", metavar="sqlite|URL",
                        help="'sqlite' (default): a fresh SQLite file per step under OUT/db; or a SQLAlchemy "
                             "URL of an EMPTY database, used by the import steps in order")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out",
                        help="working folder for data, databases and results (default bench/out)")
    parser.add_argument("--profile", action="store_true",
                        help="also run a first import under cProfile (extra run, fresh SQLite file) and print "
                             "the top entries by cumulative and by own time")
    parser.add_argument("--profile-top", type=int, default=15, help="profile entries to show (default 15)")
    parser.add_argument("--only", metavar="STEPS",
                        help="comma-separated subset of first,reimport,overlap,duckdb,pandas "
                             "(reimport and overlap need first)")
    parser.add_argument("--regenerate", action="store_true", help="rebuild the CSV files even if they exist")
    parser.add_argument("--code", type=Path, metavar="DIR",
                        help="import the project from DIR instead of this checkout, e.g. a snapshot made "
                             "with 'git archive COMMIT | tar -x -C DIR' while others edit the tree")
    parser.add_argument("--step", help=argparse.SUPPRESS)  # internal: run one step in this process
    args = parser.parse_args(argv)
    args.out = args.out.resolve()
    if args.code is not None:
        args.code = args.code.resolve()
        if not (args.code / "jobs" / "ingest").is_dir():
            parser.error(f"--code {args.code}: no jobs/ingest there")
        sys.path.insert(0, str(args.code))
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    if args.step:
        return run_step(args)

    steps = [*IMPORT_STEPS, *FLOOR_STEPS]
    if args.only:
        wanted = [s.strip() for s in args.only.split(",") if s.strip()]
        unknown = set(wanted) - set(steps)
        if unknown:
            parser.error(f"unknown steps: {', '.join(sorted(unknown))}")
        steps = [s for s in steps if s in wanted]
    if args.db != "sqlite" and "://" not in args.db:
        parser.error("--db is 'sqlite' or a SQLAlchemy URL")

    code_before = code_version(args.code)
    meta = spawn(args, "generate")
    print(f"[bench] data: {meta['rows']:,} rows, {meta['csv_bytes'] / 1e6:.1f} MB GB18030"
          + (" (reused)" if meta.get("reused") else f", generated in {meta['generate_seconds']}s"),
          file=sys.stderr, flush=True)
    results = {}
    for step in steps:
        results[step] = spawn(args, step)
    if args.profile:
        results["profile"] = spawn(args, "profile")
    meta["code_before"], meta["code_after"] = code_before, code_version(args.code)
    print_report(args, meta, results)
    return 0 if all(r.get("ok", True) for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
