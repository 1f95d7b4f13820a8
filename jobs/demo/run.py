"""``budget-monitor demo``: the 2023 exports of 乌鲁木齐市科学技术协会 through the real importer,
then the engine: cumulative execution at each checkpoint against the full-year budget, and the
evaluation's scores.

The figures printed are computed from the imported data by the same code as ``status`` and
``score``, never copied from the seed.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

from rich.console import Console
from rich.table import Table

from db.engine import make_engine, session_factory, sqlite_url
from db.migrate import upgrade
from jobs.cli.execution_json import scores_json
from jobs.clock import beijing_now
from jobs.demo import seed2023
from jobs.demo.exports import week_span, write_demo_exports
from jobs.demo.targets import write_progress, write_targets
from jobs.execution import ExecutionSettings, scores, status
from jobs.ingest import FileOutcome, ingest_paths
from jobs.ingest.report import print_outcomes
from monitor.i18n import render
from monitor.money import D, rate, to_wan, two

DEMO_YEAR = seed2023.YEAR

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
    "next": {"zh": "接下来可以试：", "en": "try next:"},
    "replayed": {"zh": "回放 {days} 天：导入 {imported} 个导出文件，评估 {evaluations} 次，发出 {messages} 条消息",
                 "en": "replayed {days} days: {imported} exports imported, {evaluations} evaluations, "
                       "{messages} messages sent"},
}


CONFIG_NAME = "budget-monitor.toml"


DEMO_PEOPLE = (  # invented leaders, reached on the console: the demo has no Slack
    ("科协主任（部门负责人）", "department_leader", "departments", "158"),
    ("科协机关负责人", "unit_leader", "units", "158001"),
    ("科协党政办（财务）", "finance_staff", "units", "158001"),
    ("科普服务中心主任", "unit_leader", "units", "158002"),
    ("科技馆馆长", "unit_leader", "units", "158003"),
    # the 项目负责人 of the 2024 target tables (seed 000_…): their targets' alerts reach them
    ("穆兰娟", "project_leader", "projects", ("158001230001", "158001230002")),
    ("武文彤", "project_leader", "projects", ("158001230003",)),
)


def demo_config_text(inbox: Path | None = None) -> str:
    """The demo's config file: the evaluation's default rules, with the one input the demo's
    exports cannot carry — last year's 三公 budget (表 1-11), in 万元 — its inbox, and the leaders
    who hear the alerts; the alert defaults as a new installation has them."""
    people = "".join(f'\n[[people]]\nname = "{name}"\nrole = "{role}"\n'
                     f"{kind} = {json.dumps(_codes(codes), ensure_ascii=False)}\n"
                     for name, role, kind, codes in DEMO_PEOPLE)
    daemon = f"\n[daemon]\ninbox = {json.dumps(str(inbox))}\n" if inbox is not None else ""
    return (f"# budget-monitor demo settings (written by `budget-monitor demo`)\n"
            f"[evaluation.years.{DEMO_YEAR}]\n"
            f"previous_three_public_budget = {seed2023.PREVIOUS_THREE_PUBLIC_BUDGET}   # 上年三公经费预算, 万元\n"
            f"\n[alerts]   # the defaults: one message a person a working day at 09:07, 3 a week at most\n"
            f"{daemon}{people}")


def _codes(codes: str | tuple[str, ...]) -> list[str]:
    return [codes] if isinstance(codes, str) else list(codes)


def write_demo_config(folder: Path, inbox: Path | None = None) -> Path:
    path = folder / CONFIG_NAME
    path.write_text(demo_config_text(inbox), encoding="utf-8")
    return path


def drop_day(path: Path, year: int = DEMO_YEAR) -> dt.date:
    """The day the payment system would have produced an export: its date, or its week's end."""
    name = path.name
    if match := re.match(r"(\d{4})-W(\d{2})", name):
        return week_span(int(match[1]), int(match[2]))[1]
    if match := re.match(r"(\d{4}-\d{2}-\d{2})", name):
        return dt.date.fromisoformat(match[1])
    return dt.date(year, 1, 3)  # the year's adjustments: dated inside, imported at the start


def demo_settings() -> ExecutionSettings:
    """The engine settings of the demo's config file, read the way every command reads one."""
    import tempfile

    from jobs.config.settings import load_settings

    with tempfile.TemporaryDirectory() as folder:
        return load_settings(str(write_demo_config(Path(folder))), database="sqlite://").execution


def run_demo(folder: Path, *, language: str = "zh", database: str | None = None,
             as_json: bool = False, now: dt.datetime | None = None, replay: bool = False) -> dict:
    """The demo. ``replay``: instead of importing every export at once, replay 2023 day by day
    through the inbox with the daemon's jobs on a simulated clock, printing each message the
    leaders would have received (jobs/daemon/replay.py)."""
    def say(code: str, **params) -> str:
        return render(TEXT, code, language, params)

    console = Console(highlight=False, quiet=as_json)
    folder.mkdir(parents=True, exist_ok=True)
    db_file = None
    if database is None:
        db_file = folder / "demo.sqlite"
        for stale in (db_file, Path(f"{db_file}-wal"), Path(f"{db_file}-shm")):
            stale.unlink(missing_ok=True)  # the demo always starts from an empty database
        database = sqlite_url(db_file)
    console.print(say("writing", folder=folder / "exports"), markup=False)
    paths = write_demo_exports(folder / "exports")
    paths += [write_targets(folder / "exports"), *write_progress(folder / "exports")]  # after the quota lines
    inbox = folder / "inbox"
    shutil.rmtree(inbox, ignore_errors=True)
    config = write_demo_config(folder, inbox)
    engine = make_engine(database)
    upgrade(engine)
    factory = session_factory(engine)
    console.print(say("database", url=engine.url.render_as_string(hide_password=True)), markup=False)
    replayed = None
    if replay:
        outcomes, replayed = _replay(config, factory, paths, language, console, as_json)
    else:
        outcomes = ingest_paths(factory, paths, now=now or beijing_now())
        print_outcomes(console, outcomes, language, name_only=True)
    if any(o.status == "refused" for o in outcomes):
        raise SystemExit(say("refused"))

    settings = demo_settings()
    year_end = dt.date(DEMO_YEAR, 12, 31)
    cards = scores(factory, year=DEMO_YEAR, as_of=year_end, settings=settings)
    department = next(c for c in cards if c.level == "department")
    quarters = _quarters(department, settings.rule_book.rules_for(DEMO_YEAR, department.code).checkpoints[-1])
    report = status(factory, year=DEMO_YEAR, as_of=year_end, settings=settings)
    units = [{"code": s.entity.code, "name": s.entity.name, "budget": two(s.entity.budget),
              "paid": two(s.entity.paid), "execution_rate": two(s.entity.execution_rate)}
             for s in report.statuses if s.entity.level == "unit"]
    result = {"year": DEMO_YEAR, "budget": quarters["budget"], "quarters": quarters["rows"], "units": units,
              "scores": scores_json(cards), "files": [o.to_json(language) for o in outcomes]}
    if replayed is not None:
        result["replay"] = {"days": replayed.days, "imported": replayed.imported,
                            "evaluations": replayed.evaluations, "messages": replayed.messages_sent}
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return result

    table = Table(title=say("title", year=DEMO_YEAR, budget=f"{to_wan(D(result['budget'])):,}"))
    for header in ("date", "paid", "rate", "target"):
        table.add_column(say(header), justify="right")
    table.add_column("")
    for q in result["quarters"]:
        table.add_row(q["date"], f"{to_wan(D(q['paid'])):,}", f"{q['execution_rate']}%",
                      f"{q['target_rate'].removesuffix('.00')}%",
                      f"[green]{say('met')}[/]" if q["met"] else f"[red]{say('missed')}[/]")
    console.print(table)
    units_table = Table(title=say("units", date=year_end.isoformat()))
    for header in ("unit", "budget", "paid", "rate"):
        units_table.add_column(say(header), justify="left" if header == "unit" else "right")
    for u in units:
        budget, paid = u["budget"], u["paid"]
        assert budget is not None and paid is not None  # two() of an entity's amounts, never None
        units_table.add_row(f"{u['code']} {u['name']}", f"{to_wan(D(budget)):,}", f"{to_wan(D(paid)):,}",
                            f"{u['execution_rate']}%")
    console.print(units_table)
    from jobs.cli.score import print_score_card

    print_score_card(console, language, department)
    if db_file is not None:
        console.print(say("next"), markup=False)
        for command in (f"status --as-of {DEMO_YEAR}-03-15", f"score --year {DEMO_YEAR}",
                        f"chart --year {DEMO_YEAR} -o chart.png", f"evaluate --as-of {DEMO_YEAR}-03-01 --dry-run"):
            console.print(f"  budget-monitor --db {db_file} --config {config} {command}", markup=False,
                          soft_wrap=True)
    return result


def _quarters(card, year_end_checkpoint) -> dict:
    """The checkpoint rows of 表 6-1 from the department's score inputs: payment progress at the
    quarter ends and the execution rate at year end, each against the full-year budget."""
    progress = {i.name: i.value for i in card.indicators[0].inputs}
    execution = {i.name: i.value for i in card.indicators[1].inputs}
    budget = progress["budget"]
    rows = []
    for name, value in progress.items():
        if name.endswith(".paid"):
            day = name.removesuffix(".paid")
            rows.append({"date": day, "paid": two(value), "execution_rate": two(progress[f"{day}.rate"]),
                         "target_rate": two(progress[f"{day}.target_rate"]), "met": progress[f"{day}.met"]})
    final_rate = rate(execution["paid"], budget)
    rows.append({"date": year_end_checkpoint.date.isoformat(), "paid": two(execution["paid"]),
                 "execution_rate": two(final_rate), "target_rate": two(year_end_checkpoint.target_rate),
                 "met": final_rate >= year_end_checkpoint.target_rate})
    return {"budget": two(budget), "rows": rows}


def _replay(config: Path, factory, paths: list[Path], language: str, console: Console, as_json: bool):
    """2023 day by day: each export dropped into the inbox the day it was produced, the real jobs
    on a simulated clock, every message printed as its recipient would read it."""
    import io

    from alerts.console import ConsoleNotifier
    from jobs.config.settings import load_settings
    from jobs.daemon.replay import replay
    from jobs.scheduled import Runtime

    settings = load_settings(str(config), database="sqlite://", language=language)
    stream = io.StringIO() if as_json else None
    runtime = Runtime(settings, factory, {"console": ConsoleNotifier(stream)}, clock=beijing_now)
    drops: dict[dt.date, list[Path]] = {}
    for path in paths:
        drops.setdefault(drop_day(path), []).append(path)
    outcomes: list[FileOutcome] = []

    def imported(report) -> None:
        outcomes.extend(o for _, _, o in (*report.ingested, *report.unchanged, *report.refused))

    runtime.on_imported = imported
    report = replay(runtime, dt.date(DEMO_YEAR, 1, 1), dt.date(DEMO_YEAR, 12, 31), drops=drops)
    console.print(render(TEXT, "replayed", language, {"days": report.days, "imported": report.imported,
                                                      "evaluations": report.evaluations,
                                                      "messages": report.messages_sent}), markup=False)
    return outcomes, report
