"""The scale benchmark (bench/scale.py) at a reduced size, as CI runs it: a province of 100 units,
1,000 quota lines and 40,000 payments in 52 weekly GBK exports, through the real importer, a full
evaluation and status, on SQLite and on the test PostgreSQL server, against DuckDB reading the same
files. The figures are not asserted (they are the benchmark's output); that every step ran, that
the table has its rows, and that our per-unit sums equal DuckDB's are — the benchmark checking
itself."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_URL, REQUIRE_POSTGRES
from tests.reliability import record

ROOT = Path(__file__).resolve().parents[1]
SCALE = "0.02"
ROWS = ("first import of the year", "incremental import (week 52)", "full evaluation", "status, whole province",
        "status, one unit")
FLOORS = ("floor: DuckDB, every file", "floor: DuckDB, week 52 alone")
NUMBER = r"[\d,]+(?:\.\d+)?"


def test_scale_benchmark_reduced(tmp_path):
    backends = ["sqlite"]
    if POSTGRES_URL:
        backends.append("postgresql")
    elif REQUIRE_POSTGRES:
        pytest.fail("BUDGET_MONITOR_REQUIRE_POSTGRES=1 but BUDGET_MONITOR_TEST_POSTGRES_URL is not set")
    command = [sys.executable, str(ROOT / "bench" / "scale.py"), "--scale", SCALE, "--out", str(tmp_path / "out"),
               "--json", str(tmp_path / "scale.json"), "--db", "sqlite"]
    if POSTGRES_URL:
        command += ["--db", POSTGRES_URL]
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    out = completed.stdout
    report = json.loads((tmp_path / "scale.json").read_text(encoding="utf-8"))

    # The province asked for.
    counts = report["data"]["counts"]
    assert (counts["departments"], counts["units"], counts["quota_lines"], counts["payments"]) == (4, 100, 1000, 40_000)

    # The printed table: one row per step, with seconds, peak RSS and × floor for each backend.
    header = next(line for line in out.splitlines() if line.startswith("step "))
    for backend in backends:
        assert f"{backend} s" in header
    for label in ROWS:
        line = next((ln for ln in out.splitlines() if ln.startswith(label)), None)
        assert line is not None, f"no row {label!r} in:\n{out}"
        assert len(re.findall(NUMBER, line[len(label):].split(maxsplit=1)[1])) >= 3 * len(backends), line
    for label in FLOORS:
        assert any(ln.startswith(label) for ln in out.splitlines()), label
    assert [row["label"] for row in report["table"]] == [*ROWS, *FLOORS]
    for row in report["table"][:len(ROWS)]:
        for backend in backends:
            cell = row[backend]
            assert cell["seconds"] > 0 and cell["peak_rss_mb"] > 0 and cell["x_floor"] is not None

    # The floor read every row written and found the generator's sums.
    assert report["floors"]["duckdb-year"]["ok"], report["floors"]["duckdb-year"]["problems"]
    assert report["floors"]["duckdb-year"]["payments_read"] == 40_000

    # Each backend: every step did what it should, and our per-unit sums are DuckDB's.
    assert sorted(report["backends"]) == sorted(backends)
    for backend in backends:
        result = report["backends"][backend]
        check, steps = result["check"], result["steps"]
        assert check["ok"], check["problems"]
        assert check["per_unit_equal"] and check["units_compared"] == 100 and check["unit_equal"]
        year, week = steps["import-year"], steps["import-week"]
        assert len(year["files"]) == 52 and all(f["status"] == "ingested" for f in year["files"])
        assert sum(f["inserted"] for f in year["files"]) == counts["quota_lines"] + counts["payments_year"]
        assert week["files"][0]["inserted"] == counts["payments_week"] and week["files"][0]["updated"] == 0
        assert steps["evaluate"]["findings"] > 0 and steps["evaluate"]["messages"] > 0
        assert steps["status-all"]["entities"] > counts["units"]
    assert report["ok"]
    assert "DIFFERENT" not in out and "PROBLEM" not in out

    if "postgresql" not in backends:
        pytest.skip("the PostgreSQL half needs BUDGET_MONITOR_TEST_POSTGRES_URL (SQLite half passed)")
    record("scale",
           f"a reduced province ({counts['units']:,} units in {counts['departments']} departments, "
           f"{counts['quota_lines']:,} quota lines, {counts['payments']:,} payments in 52 weekly GBK exports and a "
           f"quota export) through the real importer, a full evaluation and status (`bench/scale.py --scale {SCALE}`), "
           f"on SQLite and PostgreSQL",
           f"every step ran (52 files imported, then week 52 alone: {counts['payments_week']:,} new payments); "
           f"per-unit budget and paid of all {counts['units']} units equal to DuckDB's from the files on both")
