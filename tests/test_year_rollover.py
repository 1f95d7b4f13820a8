"""The year closes when the calendar turns (issue 15): 1 December 2026 → 31 January 2027 replayed
day by day through the daemon's real jobs (inbox, evaluation, countdown, digest, delivery), with
both years' exports dropped on the day a payment system produces them — the last 2026 payments
(28–31 December) only in the export of 4 January 2027.

An invented department: unit 901001 ends 2026 above 95% only through its last four days' payments
(so the 27 December export would call it missed), unit 901002 ends below. Expected: no verdict on
31 December before the 4 January export; then the year's result and score told once per person;
every 2026 alert closed by the close date (31 January); 2027 evaluated on its own; nothing sent on
1 January 2027 (元旦)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from sqlalchemy import select

from alerts.console import ConsoleNotifier
from db.engine import transaction
from db.models import AlertState, Evaluation, OutboxMessage
from jobs.config.settings import load_settings
from jobs.daemon.replay import replay
from jobs.scheduled import Runtime
from tests.helpers import PAYMENT_HEADER, payment, quota_export, quota_line, write_csv
from tests.reliability import record

DEPT = "901 - 市测试局"
A, B = "901001 - 市测试局本级", "901002 - 市测试中心"
CONFIG = """
[alerts]
[[people]]
name = "测试局局长"
role = "department_leader"
departments = ["901"]
[[people]]
name = "本级负责人"
role = "unit_leader"
units = ["901001"]
[[people]]
name = "中心主任"
role = "unit_leader"
units = ["901002"]
[[people]]
name = "本级财务"
role = "finance_staff"
units = ["901001", "901002"]
"""


def _quota(path: Path, day: dt.date, year: int, a: str, b: str) -> Path:
    return write_csv(path, quota_export(day, quota_line(f"ZB{year}01", A, a, year=year, department=DEPT),
                                        quota_line(f"ZB{year}02", B, b, year=year, department=DEPT)))


def _payments(path: Path, through: dt.date, rows) -> Path:
    """A payment export whose title says which day it reaches (截至…), as the payment system writes it."""
    title = [f"支付明细导出表    截至{through.year}年{through.month}月{through.day}日"]
    return write_csv(path, [title, ["金额单位：元"], PAYMENT_HEADER, *rows], encoding="gb18030")


def _paid(no: str, day: dt.date, yuan: int, unit: str, year: int):
    return payment(no, day.isoformat(), f"{yuan:,}.00", unit=unit, quota=f"ZB{year}{unit[4:6]}")


def exports(folder: Path) -> dict[dt.date, list[Path]]:
    """The files, by the day each is dropped into the inbox."""
    folder.mkdir()
    d = dt.date
    history = []  # 2026 to 29 November: A on pace (25/50/75% met), B behind all year
    for month, a, b in ((2, 260_000, 150_000), (5, 260_000, 150_000), (8, 260_000, 150_000), (11, 80_000, 150_000)):
        history += [_paid(f"H{month}A", d(2026, month, 10), a, A, 2026),
                    _paid(f"H{month}B", d(2026, month, 10), b, B, 2026)]
    drops = {d(2026, 11, 30): [
        _quota(folder / "2026-01-05_指标明细.csv", d(2026, 1, 5), 2026, "1000000.00", "1000000.00"),
        _payments(folder / "2026-11-29_支付明细.csv", d(2026, 11, 29), history)]}
    weekly = {d(2026, 12, 6): [_paid("D1A", d(2026, 12, 3), 30_000, A, 2026)],
              d(2026, 12, 13): [_paid("D2B", d(2026, 12, 9), 50_000, B, 2026)],
              d(2026, 12, 20): [_paid("D3A", d(2026, 12, 16), 20_000, A, 2026)],
              d(2026, 12, 27): [_paid("D4B", d(2026, 12, 22), 50_000, B, 2026)]}
    for day, rows in weekly.items():
        drops[day] = [_payments(folder / f"{day}_支付明细.csv", day, rows)]
    # the year's last payments (A: 91% → 97%), in the export the payment system produces on 4 January
    last = [_paid("D5A", d(2026, 12, 29), 50_000, A, 2026), _paid("D6A", d(2026, 12, 31), 10_000, A, 2026),
            _paid("D7B", d(2026, 12, 30), 20_000, B, 2026)]
    drops[d(2027, 1, 4)] = [_quota(folder / "2026-12-31_指标明细.csv", d(2026, 12, 31), 2026, "1000000.00",
                                   "1000000.00"),
                            _payments(folder / "2026年末支付明细.csv", d(2026, 12, 31), last)]
    drops[d(2027, 1, 5)] = [_quota(folder / "2027-01-05_指标明细.csv", d(2027, 1, 5), 2027, "1200000.00",
                                   "800000.00")]
    for n, day in enumerate((d(2027, 1, 10), d(2027, 1, 17), d(2027, 1, 24), d(2027, 1, 31)), 1):
        drops[day] = [_payments(folder / f"{day}_支付明细.csv", day,
                                [_paid(f"N{n}A", day - dt.timedelta(days=4), 25_000, A, 2027)])]
    return drops


def test_the_year_closes_across_new_year_with_its_result_told_once(factory, tmp_path):
    config = tmp_path / "budget-monitor.toml"
    config.write_text(CONFIG + f'\n[daemon]\ninbox = "{tmp_path / "inbox"}"\n', encoding="utf-8")
    settings = load_settings(str(config), database="sqlite://", language="zh")
    printed = io.StringIO()
    runtime = Runtime(settings, factory, {"console": ConsoleNotifier(printed)},
                      clock=lambda: dt.datetime(2026, 11, 30, tzinfo=settings.daemon.zone))
    refused = []
    runtime.on_imported = lambda report: refused.extend(report.refused)
    report = replay(runtime, dt.date(2026, 11, 30), dt.date(2027, 1, 31), drops=exports(tmp_path / "exports"))
    assert refused == [] and report.imported == 13

    with transaction(factory) as session:
        sent = [m for m in session.scalars(select(OutboxMessage).order_by(OutboxMessage.sent_at)) if m.status == "sent"]
        states = session.scalars(select(AlertState)).all()
        evaluations = session.scalars(select(Evaluation)).all()
    zone = settings.daemon.zone
    # SQLite gives back the naive local time it stored, PostgreSQL an aware one
    day_of = {m.id: (m.sent_at if m.sent_at.tzinfo is None else m.sent_at.astimezone(zone)).date() for m in sent}
    told = [(day_of[m.id], m.recipient_name, item) for m in sent for item in m.items]
    late_2026 = [m.id for m in sent if m.budget_year == 2026 and day_of[m.id] > dt.date(2027, 1, 6)]

    assert not [m for m in sent if day_of[m.id] == dt.date(2027, 1, 1)], "a message on 元旦"
    early = [(day, item["key"]) for day, _, item in told if item["key"].endswith("2026-12-31")
             and item["rule"] in ("checkpoint_missed", "year_end") and day < dt.date(2027, 1, 4)]
    assert early == [], "the year-end verdict ran ahead of the data"
    # the last day of the forecasts is not good news, nor a new "behind the schedule": the verdict comes
    handover = [(day, item["rule"], item["event"]) for day, _, item in told
                if dt.date(2026, 12, 29) <= day < dt.date(2027, 1, 4)]
    assert handover == []

    year_end: dict[tuple[str, str], list] = {}
    for day, person, item in told:
        if item["rule"] == "year_end":
            year_end.setdefault((person, item["code"]), []).append((day, item["facts"]))
    unit_leaders = {("本级负责人", "901001"), ("中心主任", "901002"), ("本级财务", "901001"), ("本级财务", "901002")}
    assert unit_leaders | {("测试局局长", "901")} <= set(year_end)
    assert all(len(v) == 1 for v in year_end.values()), "the year's result told more than once"
    ((day_a, a),) = year_end[("本级负责人", "901001")]
    ((day_b, b),) = year_end[("中心主任", "901002")]
    # a missed year is told when its export is imported; a met one at the next morning's slot
    assert (day_a, day_b) == (dt.date(2027, 1, 5), dt.date(2027, 1, 4))
    assert (a["verdict"], a["rate"]) == ("met", "97.00") and (b["verdict"], b["rate"]) == ("missed", "72.00")
    assert "score" in a and "provisional" not in a

    last_of_2026 = max(e.as_of for e in evaluations if e.detail.get("year") == 2026)
    assert last_of_2026 <= dt.date(2027, 1, 31)
    left_open = [s.key for s in states if s.budget_year == 2026 and s.status != "closed"]
    assert left_open == [], "2026 alerts left open after its close date"
    assert any(e.detail.get("year") == 2027 for e in evaluations)
    assert all("2026" not in s.period for s in states if s.budget_year == 2027)
    assert late_2026 == [], "2026 kept talking after its result was told"
    closed = sum(1 for s in states if s.budget_year == 2026)
    record("verdicts", "1 Dec 2026 → 31 Jan 2027 replayed through the daemon's jobs; the last 2026 payments only in "
           "the export of 4 January (the 27 December one says 91% for a unit that ended at 97%)",
           f"the year's result told once to each of {len(year_end)} person-entity pairs, on 4–5 January, none "
           f"before; nothing said 29 December – 3 January; 0 messages on 1 January; all {closed} alerts of 2026 "
           "closed by 31 January; 2027 evaluated on its own")


def test_in_january_the_evaluate_command_shows_the_past_years_result_dated_by_its_data(database_url, tmp_path):
    from click.testing import CliRunner

    from jobs.cli.app import cli

    files = exports(tmp_path / "exports")
    paths = [str(p) for day in sorted(files) if day <= dt.date(2027, 1, 4) for p in files[day]]
    config = tmp_path / "bm.toml"
    config.write_text('[alerts]\nquiet_hours = false\nquiet_on_rest_days = false\nslot = false\n' + CONFIG.replace(
        "[alerts]\n", ""), encoding="utf-8")
    base = ["--db", database_url, "--config", str(config)]
    ingested = CliRunner().invoke(cli, [*base, "ingest", *paths], env={}, catch_exceptions=False)
    assert ingested.exit_code == 0, ingested.output
    dry = CliRunner().invoke(cli, [*base, "evaluate", "--as-of", "2027-01-05", "--dry-run"], env={},
                             catch_exceptions=False)
    assert dry.exit_code == 0, dry.output
    assert "2026 年度结果：未达标" in dry.output and "数据截至 2026年12月31日" in dry.output
    assert "数据截至 2027年1月5日" not in dry.output, "a dry run's footer is the data's date, as the real one"
    real = CliRunner().invoke(cli, [*base, "evaluate", "--as-of", "2027-01-05"], env={}, catch_exceptions=False)
    assert real.exit_code == 0, real.output
    summary = [line for line in real.output.splitlines() if "评估 2027-01-05" in line]
    assert summary[0].startswith("2026 年") and "0 条消息" not in summary[0], summary
