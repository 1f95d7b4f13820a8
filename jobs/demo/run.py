"""``budget-monitor demo``: the 2023 exports of 乌鲁木齐市科学技术协会 through the real importer,
then cumulative execution at each quarter end against the assessed checkpoints.

The figures printed are computed from the imported data, never copied from the seed.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from db.engine import make_engine, session_factory, sqlite_url, transaction
from db.migrate import upgrade
from db.queries import unit_totals
from jobs.demo.exports import write_demo_exports
from jobs.clock import beijing_now
from jobs.ingest import ingest_paths
from jobs.ingest.report import print_outcomes
from monitor.i18n import render
from monitor.money import rate, to_wan

DEMO_YEAR = 2023
# The assessed checkpoints of the 2023 evaluation (appendix): cumulative paid ÷ full-year budget.
CHECKPOINTS = ((dt.date(2023, 3, 31), 25), (dt.date(2023, 6, 30), 50), (dt.date(2023, 9, 30), 75),
               (dt.date(2023, 12, 31), 95))

TEXT = {
    "writing": {"zh": "生成演示导出文件：{folder}", "en": "writing the demo exports to {folder}"},
    "database": {"zh": "数据库：{url}", "en": "database: {url}"},
    "title": {"zh": "{year} 年累计支付进度（全年调整后预算 {budget} 万元）",
              "en": "{year} cumulative payments (full-year adjusted budget {budget} × 10,000 yuan)"},
    "date": {"zh": "日期", "en": "date"},
    "paid": {"zh": "累计支付（万元）", "en": "paid (10,000 yuan)"},
    "rate": {"zh": "执行率", "en": "rate"},
    "target": {"zh": "考核进度", "en": "checkpoint"},
    "met": {"zh": "达标", "en": "met"},
    "missed": {"zh": "未达标", "en": "missed"},
    "units": {"zh": "各单位全年执行（截至 {date}）", "en": "units at {date}"},
    "unit": {"zh": "单位", "en": "unit"},
    "budget": {"zh": "预算（万元）", "en": "budget (10,000 yuan)"},
    "refused": {"zh": "有文件被拒绝，演示中止", "en": "a file was refused; the demo stops"},
}


def target_text(rate_text: str) -> str:
    return rate_text.removesuffix(".00")


def run_demo(folder: Path, *, language: str = "zh", database: str | None = None,
             as_json: bool = False, now: dt.datetime | None = None) -> dict:
    def say(code: str, **params) -> str:
        return render(TEXT, code, language, params)

    console = Console(highlight=False, quiet=as_json)
    folder.mkdir(parents=True, exist_ok=True)
    if database is None:
        db_file = folder / "demo.sqlite"
        for stale in (db_file, Path(f"{db_file}-wal"), Path(f"{db_file}-shm")):
            stale.unlink(missing_ok=True)  # the demo always starts from an empty database
        database = sqlite_url(db_file)
    console.print(say("writing", folder=folder / "exports"), markup=False)
    paths = write_demo_exports(folder / "exports")
    engine = make_engine(database)
    upgrade(engine)
    factory = session_factory(engine)
    console.print(say("database", url=engine.url.render_as_string(hide_password=True)), markup=False)
    outcomes = ingest_paths(factory, paths, now=now or beijing_now())
    print_outcomes(console, outcomes, language, name_only=True)
    if any(o.status == "refused" for o in outcomes):
        raise SystemExit(say("refused"))

    with transaction(factory) as session:
        by_date = {date: unit_totals(session, DEMO_YEAR, date) for date, _ in CHECKPOINTS}
    final = by_date[CHECKPOINTS[-1][0]]
    budget = sum(t.budget for t in final)
    quarters = []
    for date, target in CHECKPOINTS:
        paid = sum(t.paid for t in by_date[date])
        quarters.append({"date": date.isoformat(), "paid": f"{paid:.2f}",
                         "execution_rate": f"{rate(paid, budget):.2f}", "target_rate": f"{target:.2f}",
                         "met": rate(paid, budget) >= target})
    units = [{"code": t.unit_code, "name": t.unit_name, "budget": f"{t.budget:.2f}", "paid": f"{t.paid:.2f}",
              "execution_rate": None if rate(t.paid, t.budget) is None else f"{rate(t.paid, t.budget):.2f}"}
             for t in final]
    result = {"year": DEMO_YEAR, "budget": f"{budget:.2f}", "quarters": quarters, "units": units,
              "files": [o.to_json(language) for o in outcomes]}
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return result

    table = Table(title=say("title", year=DEMO_YEAR, budget=f"{to_wan(budget):,}"))
    for header in ("date", "paid", "rate", "target"):
        table.add_column(say(header), justify="right")
    table.add_column("")
    for q in quarters:
        paid = to_wan(sum(t.paid for t in by_date[dt.date.fromisoformat(q["date"])]))
        table.add_row(q["date"], f"{paid:,}", f"{q['execution_rate']}%", f"{target_text(q['target_rate'])}%",
                      f"[green]{say('met')}[/]" if q["met"] else f"[red]{say('missed')}[/]")
    console.print(table)
    units_table = Table(title=say("units", date=CHECKPOINTS[-1][0].isoformat()))
    for header in ("unit", "budget", "paid", "rate"):
        units_table.add_column(say(header), justify="left" if header == "unit" else "right")
    for t, u in zip(final, units):
        units_table.add_row(f"{t.unit_code} {t.unit_name}", f"{to_wan(t.budget):,}", f"{to_wan(t.paid):,}",
                            f"{u['execution_rate']}%")
    console.print(units_table)
    return result
