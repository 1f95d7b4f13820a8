"""``budget-monitor run`` (the daemon) and ``budget-monitor health`` (is it doing its job?)."""

from __future__ import annotations

import datetime as dt
import json
import os

import click

from db.alert_store import count_unsent, delivery_trouble
from db.dimensions import departmentless_units
from db.engine import transaction
from db.exceptions import StorageError
from db.figures import latest_payment_export
from db.job_runs import last_beat
from jobs.cli.base import CliError, Context
from jobs.directory import chat_configured, directory_warnings
from jobs.unmatched import unmatched_line
from monitor.calendar import source_name
from monitor.i18n import render

HEARTBEATS_MISSED = 4  # this many heartbeat intervals without one: the scheduler is not running
STUCK_ATTEMPTS = 3  # a message still unsent after this many tries means delivery is failing

TEXT = {
    "scheduler": {"zh": "调度器", "en": "scheduler"},
    "imports": {"zh": "支付数据导入", "en": "payment imports"},
    "delivery": {"zh": "消息发送", "en": "delivery"},
    "directory": {"zh": "通知对象", "en": "people directory"},
    "inbox": {"zh": "收件箱", "en": "inbox"},
    "refused": {"zh": "{name} 被拒收，仍在 refused/ 中（{when}；问题见旁边的说明文件），修正后重新放入收件箱",
                "en": "{name} was refused and is still in refused/ ({when}; its problems in the report beside "
                      "it); fix it and drop it into the inbox again"},
    "beat_ok": {"zh": "运行中（最近心跳 {at}）", "en": "running (last heartbeat {at})"},
    "beat_old": {"zh": "未运行：最近心跳 {at}", "en": "not running: last heartbeat {at}"},
    "beat_none": {"zh": "未运行：从未有心跳（budget-monitor run 是否已启动？）",
                  "en": "not running: no heartbeat ever (is budget-monitor run started?)"},
    "import_ok": {"zh": "最新支付导出 {date}", "en": "latest payment export {date}"},
    "import_old": {"zh": "过旧：最新支付导出 {date}，已 {days} 个工作日（上限 {limit}）",
                   "en": "stale: latest payment export {date}, {days} working days old (limit {limit})"},
    "import_none": {"zh": "{year} 年尚无支付数据导入", "en": "no payment export imported for {year}"},
    "no_department": {"zh": "{count} 个预算单位没有主管部门（{units}）：其部门级预警只到控制台、不进入部门评分；"
                            "请在配置 [ingest.unit_departments] 中写明（或 [ingest] department_from_unit_code），"
                            "再次导入其指标文件",
                      "en": "{count} budget unit(s) have no department ({units}): their department alerts reach only "
                            "the console and no department's score counts them; name it in the config's "
                            "[ingest.unit_departments] (or [ingest] department_from_unit_code) and import their "
                            "quota export again"},
    "delivery_ok": {"zh": "正常（待发送 {pending}）", "en": "fine ({pending} waiting)"},
    "delivery_failed": {"zh": "{count} 条消息无法送达：改正收件人或频道后用 budget-monitor alerts resend --all "
                              "重发，或用 budget-monitor alerts dismiss 编号 --reason 原因 放弃"
                              "（budget-monitor alerts 查看）",
                        "en": "{count} messages undeliverable: fix the recipient or channel, then "
                              "budget-monitor alerts resend --all, or budget-monitor alerts dismiss ID --reason WHY "
                              "(see budget-monitor alerts)"},
    "delivery_stuck": {"zh": "{count} 条消息重试 {attempts} 次以上仍未发出",
                       "en": "{count} messages still unsent after {attempts}+ tries"},
    "calendar": {"zh": "节假日日历", "en": "holiday calendar"},
    "calendar_ok": {"zh": "{years} 年已知（{source}）", "en": "{years} known ({source})"},
    "calendar_unsettled": {"zh": "{year} 年的节假日安排（国务院通知）尚未配置，工作日暂按 {source} 计算"
                                 "（公布后在配置 [calendar] 中列出并加上 complete_years = [{year}]）",
                           "en": "{year}'s holiday arrangement (the State Council's notice) is not configured: "
                                 "working days counted on the {source} for now (list it under [calendar] with "
                                 "complete_years = [{year}] once published)"},
    "unhealthy": {"zh": "不健康", "en": "unhealthy"},
    "replay_sqlite": {"zh": "回放需要 SQLite 数据库（在它的副本上运行）；PostgreSQL 请先导出到 SQLite",
                      "en": "replay needs a SQLite database (it runs on a copy); "
                            "copy a PostgreSQL one to SQLite first"},
    "replay_order": {"zh": "--to 不能早于 --from", "en": "--to must not be before --from"},
    "need_day": {"zh": "需要日期，如 2023-01-01", "en": "a date such as 2023-01-01 is needed"},
    "replayed": {"zh": "回放 {days} 天：评估 {evaluations} 次，发出 {messages} 条消息（在副本上，原数据库未改动）",
                 "en": "replayed {days} days: {evaluations} evaluations, {messages} messages (on a copy; "
                       "the database is unchanged)"},
}


def say(language: str, code: str, **params) -> str:
    return render(TEXT, code, language, params)


@click.command()
@click.pass_obj
def run(obj: Context) -> None:
    """Run the daemon: import what lands in the inbox, evaluate at 09:00 on working days and after
    each import, send each person at most one message a working day at 09:07 (3 a week, the weekly
    brief included; a missed checkpoint or a first red may go between), remind 7 and 3 working days
    before each checkpoint, send everyone the weekly brief (08:30, the week's first working day).
    Stops on SIGTERM.

    后台服务：监视收件箱自动导入；工作日 09:00 及每次导入后评估；每人每个工作日最多一条消息
    （09:07 发出，每周最多 3 条，含周报；考核节点未达标、首次红色预警可随时发出）；考核节点前
    7 个和 3 个工作日提醒；每周第一个工作日向每个人发送周报。
    """
    from alerts.slack import slack_token
    from db.engine import url_password
    from jobs.daemon.logs import setup_logging
    from jobs.daemon.run import run_daemon
    from jobs.scheduled import runtime_for

    settings = obj.settings

    try:
        token = slack_token(os.environ)
    except ValueError as exc:
        raise CliError(str(exc), obj.language, 2) from exc
    setup_logging(secrets=[s for s in (token, url_password(settings.database_url)) if s])
    try:
        runtime = runtime_for(settings)
    except (StorageError, ValueError) as exc:
        raise CliError(str(exc), obj.language, 2) from exc
    raise SystemExit(run_daemon(settings.source, runtime))


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_obj
def health(obj: Context, as_json: bool) -> None:
    """Exit 0 when the daemon runs, payment data is fresh and deliveries go out; else 1.

    健康检查：调度器是否运行、支付数据是否及时导入、消息是否发送成功；有问题时退出码为 1。
    """
    language, settings = obj.language, obj.settings
    now = dt.datetime.now(settings.daemon.zone)
    try:
        with transaction(obj.factory()) as session:
            beat = last_beat(session)
            latest = latest_payment_export(session, now.year)
            failed, stuck = delivery_trouble(session, attempts=STUCK_ATTEMPTS)
            pending = count_unsent(session)
            warnings = directory_warnings(session, settings.alerts, chat=chat_configured(os.environ), language=language)
            lacking = departmentless_units(session)
        unmatched, _ = unmatched_line(obj.factory(), now.year, now.date(), language)
    except StorageError as exc:
        raise CliError(str(exc), language, 2) from exc
    checks = {}
    if beat is None:
        checks["scheduler"] = (False, say(language, "beat_none"))
    else:
        beat = beat if beat.tzinfo else beat.replace(tzinfo=settings.daemon.zone)
        fresh = now - beat <= dt.timedelta(seconds=settings.daemon.heartbeat_seconds * HEARTBEATS_MISSED)
        checks["scheduler"] = (fresh, say(language, "beat_ok" if fresh else "beat_old",
                                          at=beat.isoformat(timespec="seconds")))
    limit = settings.alerts.rules.stale_working_days
    if latest is None:
        checks["imports"] = (False, say(language, "import_none", year=now.year))
    else:
        days = settings.execution.calendar.working_days(latest, now.date())
        checks["imports"] = (days < limit, say(language, "import_ok" if days < limit else "import_old",
                                              date=latest, days=days, limit=limit))
    trouble = ([say(language, "delivery_failed", count=failed)] if failed else []) + \
        ([say(language, "delivery_stuck", count=stuck, attempts=STUCK_ATTEMPTS)] if stuck else [])
    checks["delivery"] = (not trouble, ("；" if language == "zh" else "; ").join(trouble)
                          or say(language, "delivery_ok", pending=pending))
    healthy = all(ok for ok, _ in checks.values())
    # The calendar warns without failing the check: the counts go on, on the best estimate there is.
    calendar = settings.execution.calendar
    unsettled = calendar.unsettled(now.date())
    sep = "；" if language == "zh" else "; "
    warning = sep.join(say(language, "calendar_unsettled", year=y, source=source_name(s, language))
                       for y, s in unsettled)
    known = say(language, "calendar_ok", years=now.year, source=source_name(calendar.source(now.year), language))
    # Warnings (routing mistakes): shown, in --json too, but the exit code stays that of the checks.
    warned = [("directory", line) for line in warnings]
    if lacking:
        warned.append(("departments", say(language, "no_department", count=len(lacking),
                                          units="、".join(lacking[:5]) + ("…" if len(lacking) > 5 else ""))))
    if unmatched:  # payments no quota export explains, until it is imported
        warned.append(("unmatched", unmatched))
    if settings.daemon.inbox is not None:  # refused files stay listed until they leave refused/
        from jobs.ingest.inbox import still_refused

        warned += [("inbox", say(language, "refused", name=path.name,
                                 when=when.astimezone(settings.daemon.zone).strftime("%Y-%m-%d %H:%M")
                                 if when else "?"))
                   for path, when in still_refused(settings.daemon.inbox)]
    if as_json:
        listed: dict[str, dict] = {k: {"ok": ok, "detail": d} for k, (ok, d) in checks.items()}
        listed["calendar"] = {"ok": True, "warning": bool(unsettled), "detail": warning or known,
                              "unsettled": [{"year": y, "source": s} for y, s in unsettled]}
        document = {"healthy": healthy, "checks": listed, "warnings": [{"check": k, "detail": d} for k, d in warned]}
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        separator = "：" if language == "zh" else ": "
        for key, (ok, detail) in checks.items():
            click.echo(f"{'✓' if ok else '✗'} {say(language, key)}{separator}{detail}")
        click.echo(f"{'!' if unsettled else '✓'} {say(language, 'calendar')}{separator}{warning or known}")
        for key, detail in warned:
            click.echo(f"⚠ {say(language, key)}{separator}{detail}")
    if not healthy:
        raise SystemExit(1)


@click.command()
@click.option("--from", "start", required=True, metavar="DATE", callback=lambda c, p, v: _day(c, v),
              help="First day to replay, e.g. 2023-01-01. 起始日期。")
@click.option("--to", "end", required=True, metavar="DATE", callback=lambda c, p, v: _day(c, v),
              help="Last day to replay (inclusive). 结束日期。")
@click.pass_obj
def replay(obj: Context, start: dt.date, end: dt.date) -> None:
    """What would the monitor have told us? Replay the daemon's jobs day by day over the data in
    the database, on a copy of it (the database itself is not changed), printing every message.

    回放：在数据库的副本上按日运行后台服务的各项任务，打印当时会发出的每条预警（不改动原数据库）。
    """
    import tempfile
    from pathlib import Path

    from alerts.console import ConsoleNotifier
    from db.engine import make_engine, session_factory, sqlite_file, sqlite_url
    from db.migrate import upgrade
    from jobs.daemon.replay import copy_sqlite
    from jobs.daemon.replay import replay as run_replay
    from jobs.scheduled import Runtime

    language, settings = obj.language, obj.settings
    database = sqlite_file(settings.database_url)
    if database is None:
        raise CliError(say(language, "replay_sqlite"), language, 2)
    if end < start:
        raise CliError(say(language, "replay_order"), language, 2)
    obj.factory()  # the schema is current before the copy
    with tempfile.TemporaryDirectory(prefix="budget-monitor-replay-") as folder:
        copy = copy_sqlite(Path(database), Path(folder) / "replay.sqlite")
        engine = make_engine(sqlite_url(copy))
        upgrade(engine)
        runtime = Runtime(settings, session_factory(engine), {"console": ConsoleNotifier()},
                          clock=lambda: dt.datetime.now(settings.daemon.zone))
        report = run_replay(runtime, start, end)
        engine.dispose()
    click.echo(say(language, "replayed", days=report.days, evaluations=report.evaluations,
                   messages=report.messages_sent))


def _day(ctx, value):
    from jobs.ingest.values import CellError, parse_date

    try:
        return parse_date(value)
    except (CellError, TypeError) as exc:
        raise click.BadParameter(say(ctx.find_object(Context).language, "need_day")) from exc
