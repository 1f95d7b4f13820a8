"""``budget-monitor evaluate`` and ``budget-monitor alerts [ack|silence|unsilence|resend|dismiss]``:
a thin layer over jobs/evaluate.py and jobs/deliver.py, run exactly as the daemon runs them."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys

import click
from rich.console import Console
from rich.table import Table

from alerts.notify import Message
from alerts.render import render_text
from db.alert_store import (
    acknowledge,
    add_silence,
    alert_listing,
    count_unsent,
    end_silences,
    last_evaluation_date,
    matching_keys,
    message_status,
)
from db.alert_store import dismiss as dismiss_message
from db.engine import transaction
from db.exceptions import StorageError
from jobs.cli.base import CliError, Context, as_of_option
from jobs.clock import beijing_now
from jobs.deliver import DeliveryReport, deliver_outbox, notifiers_from_env, resend_failed
from jobs.directory import chat_configured, directory_warnings
from jobs.evaluate import evaluate_and_deliver, evaluate_open_years
from jobs.exceptions import EvaluationConflict
from monitor.i18n import render

TEXT = {
    "summary": {"zh": "评估 {as_of}：发现 {findings} 项问题，{events} 个提醒事件，{messages} 条消息{muted}",
                "en": "evaluation of {as_of}: {findings} findings, {events} events, {messages} messages{muted}"},
    "summary_year": {"zh": "{year} 年，评估 {as_of}：发现 {findings} 项问题，{events} 个提醒事件，"
                           "{messages} 条消息{muted}",
                     "en": "{year}, evaluation of {as_of}: {findings} findings, {events} events, {messages} "
                           "messages{muted}"},
    "muted": {"zh": "（支付数据过旧，进度类提醒暂停）", "en": " (payment data stale: pacing alerts paused)"},
    "unrouted": {"zh": "注意：{count} 个事件没有负责人可发（配置 [[people]]）",
                 "en": "note: {count} events had nobody to go to (configure [[people]])"},
    "warning": {"zh": "注意：{line}", "en": "note: {line}"},
    "delivery": {"zh": "发送：成功 {sent}，待重试 {deferred}，失败 {failed}",
                 "en": "delivery: {sent} sent, {deferred} to retry, {failed} failed"},
    "waiting": {"zh": "{count} 条消息等待发送时间（每人每个工作日一条，09:07），最早 {due} 由后台服务"
                      "（budget-monitor run）发出；budget-monitor alerts 可查看",
                "en": "{count} messages wait for their slot (one a person a working day, 09:07); the daemon "
                      "(budget-monitor run) sends them from {due}; see budget-monitor alerts"},
    "failed": {"zh": "{count} 条消息无法送达（收件人或频道有误），见 budget-monitor alerts；"
                     "改正后用 budget-monitor alerts resend --all 重发",
               "en": "{count} messages cannot be delivered (wrong recipient or channel); see budget-monitor alerts; "
                     "once fixed, budget-monitor alerts resend --all"},
    "stopped": {"zh": "发送已停止：{reason}", "en": "delivery stopped: {reason}"},
    "dry_run": {"zh": "（试运行：未写入数据库，未发送）", "en": "(dry run: nothing written, nothing sent)"},
    "due": {"zh": "（{due} 发送）", "en": "(due {due})"},
    "no_slack": {"zh": "未设置 BUDGET_MONITOR_SLACK_TOKEN：消息输出到控制台",
                 "en": "BUDGET_MONITOR_SLACK_TOKEN is not set: messages go to the console"},
    "bad_slack": {"zh": "Slack 设置有误：{reason}", "en": "Slack setting is wrong: {reason}"},
    "firing": {"zh": "当前提醒", "en": "alerts"},
    "problems": {"zh": "待发送与发送失败的消息", "en": "messages waiting or failed"},
    "silences": {"zh": "生效中的静默", "en": "active silences"},
    "name": {"zh": "名称", "en": "name"}, "next": {"zh": "下次尝试", "en": "next attempt"},
    "pattern": {"zh": "匹配", "en": "pattern"}, "until": {"zh": "至（含）", "en": "until (inclusive)"},
    "reason": {"zh": "原因", "en": "reason"},
    "severity.red": {"zh": "红", "en": "red"}, "severity.orange": {"zh": "橙", "en": "orange"},
    "severity.yellow": {"zh": "黄", "en": "yellow"}, "severity.blue": {"zh": "蓝", "en": "blue"},
    "status.firing": {"zh": "预警中", "en": "firing"}, "status.resolved": {"zh": "已恢复", "en": "resolved"},
    "status.closed": {"zh": "已结束", "en": "closed"},
    "outbox.pending": {"zh": "待发送", "en": "waiting"}, "outbox.sending": {"zh": "发送中", "en": "sending"},
    "outbox.failed": {"zh": "失败", "en": "failed"},
    "no_match": {"zh": "注意：目前没有提醒匹配 {pattern}"
                       "（标识形如 rule:level:code:period，用 budget-monitor alerts 查看）",
                 "en": "note: no alert matches {pattern} now "
                       "(keys look like rule:level:code:period; see budget-monitor alerts)"},
    "past": {"zh": "--until {until} 早于评估日期 {as_of}（最近一次评估所判断的日期），不会起作用",
             "en": "--until {until} is before the evaluation date {as_of} (the date the latest evaluation judged); "
                   "it would do nothing"},
    "too_far": {"zh": "--until {until} 太远：最多到评估日期 {as_of} 之后 {days} 天（{latest}）；到期后可再设",
                "en": "--until {until} is too far: at most {days} days after the evaluation date {as_of} ({latest}); "
                      "set it again when it ends"},
    "wildcard": {"zh": "注意：通配的静默不会压住考核节点未达标等结论和首次红色预警；要压住请写明规则，"
                       "如 checkpoint_missed:unit:158001:*",
                 "en": "note: a wildcard silence lets checkpoint verdicts and first reds through; name the rule "
                       "to hold them, e.g. checkpoint_missed:unit:158001:*"},
    "unsilenced": {"zh": "已取消静默 {pattern}（{count} 条）", "en": "unsilenced {pattern} ({count})"},
    "no_silence": {"zh": "没有匹配 {pattern} 的静默（写法须与设置时相同；budget-monitor alerts 查看）",
                   "en": "no silence with pattern {pattern} (give it as it was set; see budget-monitor alerts)"},
    "pending_total": {"zh": "另有 {count} 条消息等待重试或发送时间（budget-monitor alerts 查看）",
                      "en": "{count} more messages wait for a retry or their slot (see budget-monitor alerts)"},
    "none": {"zh": "没有提醒", "en": "no alerts"},
    "key": {"zh": "标识", "en": "key"}, "severity": {"zh": "级别", "en": "severity"},
    "status": {"zh": "状态", "en": "status"}, "since": {"zh": "开始", "en": "since"},
    "told": {"zh": "最近通知", "en": "last told"}, "ack": {"zh": "确认至", "en": "acknowledged until"},
    "to": {"zh": "收件人", "en": "to"}, "error": {"zh": "错误", "en": "error"},
    "no_key": {"zh": "没有标识为 {key} 的提醒（用 budget-monitor alerts 查看）",
               "en": "no alert with key {key} (see budget-monitor alerts)"},
    "acked": {"zh": "已确认 {key}，{until} 前不再提醒：{reason}", "en": "acknowledged {key} until {until}: {reason}"},
    "silenced": {"zh": "已静默 {pattern}，至 {until}（含当日）：{reason}",
                 "en": "silenced {pattern} until {until} (inclusive): {reason}"},
    "need_date": {"zh": "--until 需要日期，如 2023-04-15", "en": "--until needs a date such as 2023-04-15"},
    "id": {"zh": "编号", "en": "id"},
    "resent": {"zh": "已重发 #{id} → {to}{moved}", "en": "resent #{id} → {to}{moved}"},
    "moved": {"zh": "（按现在的配置改了地址）", "en": " (to the address the config now gives)"},
    "resent_total": {"zh": "{count} 条消息回到待发送队列，后台服务（budget-monitor run）一分钟内发出",
                     "en": "{count} messages are back in the outbox; the daemon (budget-monitor run) sends them "
                           "within a minute"},
    "nothing_failed": {"zh": "没有发送失败的消息", "en": "no message failed"},
    "not_failed": {"zh": "#{id} 不是发送失败的消息（{status}），未重发",
                   "en": "#{id} is not a failed message ({status}); not resent"},
    "not_dismissed": {"zh": "#{id} 不是发送失败的消息（{status}），未放弃",
                      "en": "#{id} is not a failed message ({status}); not dismissed"},
    "unknown": {"zh": "不存在", "en": "no such message"},
    "resend_what": {"zh": "请给出消息编号，或用 --all 重发全部失败消息（budget-monitor alerts 查看编号）",
                    "en": "give message ids, or --all for every failed message (see budget-monitor alerts)"},
    "dismissed": {"zh": "已放弃 #{id}（不再重发）：{reason}", "en": "dismissed #{id} (never resent): {reason}"},
    "outbox.sent": {"zh": "已发送", "en": "sent"}, "outbox.dismissed": {"zh": "已放弃", "en": "dismissed"},
    "outbox.cancelled": {"zh": "已取消", "en": "cancelled"},
}


def say(language: str, code: str, **params) -> str:
    return render(TEXT, code, language, params)


def notifiers(obj: Context, factory, *, quiet: bool, stream=None) -> dict:
    """Slack when a token is set (console for what Slack cannot take), else the console."""
    try:
        found = notifiers_from_env(factory, os.environ, beijing_now, console_stream=stream)
    except ValueError as exc:
        raise CliError(say(obj.language, "bad_slack", reason=exc), obj.language) from exc
    if "slack" not in found and not quiet:
        click.echo(say(obj.language, "no_slack"), err=True)
    return found


@click.command()
@click.option("--as-of", "as_of", metavar="DATE", callback=as_of_option,
              help="Evaluate the figures of this date (default: today, Beijing time). 评估日期。")
@click.option("--dry-run", is_flag=True, help="Show what would be sent; write and send nothing. 试运行。")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document (messages go to stderr).")
@click.pass_obj
def evaluate(obj: Context, as_of: dt.date | None, dry_run: bool, as_json: bool) -> None:
    """Run one alert evaluation and deliver what is due, exactly as the daemon does.

    运行一次预警评估（与后台服务相同）：落后于考核节点或序时进度、节点未达标、长期无支付、
    超支、调整率过高、数据过旧。每人每个工作日最多一条消息，09:07 发出（[alerts] slot），
    当天其余发现合并到下一条；每周最多 3 条（含周一的周报）；只有考核节点未达标和首次红色
    预警可在两次发送之间发出。没有新内容不发；恢复正常时发"已恢复"。等待中的消息由
    budget-monitor run（后台服务）按时发出，budget-monitor alerts 可查看。

    Each person gets at most one message a working day, at 09:07 ([alerts] slot), with everything
    found for them since; at most 3 a week including the weekly brief; only a missed checkpoint or
    a first red goes between slots. Waiting messages are sent by `budget-monitor run` when due.
    """
    factory = obj.factory()
    now = beijing_now()
    settings = obj.settings
    report = DeliveryReport()
    try:
        if dry_run:
            results = evaluate_open_years(factory, execution=settings.execution, alerts=settings.alerts, now=now,
                                          as_of=as_of, dry_run=True)
        else:
            chosen = notifiers(obj, factory, quiet=as_json, stream=sys.stderr if as_json else None)
            results, report = evaluate_and_deliver(
                factory, execution=settings.execution, alerts=settings.alerts, now=now, as_of=as_of,
                deliver=lambda when: deliver_outbox(factory, chosen, now=when, execution=settings.execution,
                                                    charts=settings.alerts.charts))
    except (EvaluationConflict, StorageError) as exc:
        raise CliError(str(exc), obj.language) from exc
    language = obj.language
    with transaction(factory) as session:
        warnings = directory_warnings(session, settings.alerts, chat=chat_configured(os.environ),
                                      language=language)
    if dry_run:  # each message as it would be sent: its footer the date its year's data reaches
        for plan, year, data_as_of in ((p, r.year, r.data_as_of) for r in results for p in r.messages):
            message = Message(0, plan.draft.recipient, plan.draft.language, data_as_of or now.date(), year,
                              plan.draft.items)
            click.echo(f"→ {plan.draft.recipient.name or plan.draft.recipient.address}"
                       + (f" {say(language, 'due', due=plan.due.isoformat(timespec='minutes'))}"
                          if plan.due > now else ""), err=as_json)
            click.echo(render_text(message) + "\n", err=as_json)
    result = results[-1]
    if as_json:
        document = _result_json(result, report, dry_run)
        document["years"] = [_result_json(r, report, dry_run) for r in results]
        document["warnings"] = warnings
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    for each in results:  # the past year too while it is open (its late exports, its result)
        click.echo(say(language, "summary" if len(results) == 1 else "summary_year", year=each.year,
                       as_of=each.as_of, findings=len(each.findings), events=len(each.events),
                       messages=len(each.messages), muted=say(language, "muted") if each.muted else ""))
        if each.unrouted:
            click.echo(say(language, "unrouted", count=each.unrouted))
    for line in warnings:  # routing mistakes (alerts/directory_check.py)
        click.echo(say(language, "warning", line=line))
    if dry_run:
        click.echo(say(language, "dry_run"))
        return
    click.echo(say(language, "delivery", sent=report.sent, deferred=report.deferred, failed=report.failed))
    waiting = [p.due for r in results for p in r.messages if p.due > now]
    if waiting:
        click.echo(say(language, "waiting", count=len(waiting), due=min(waiting).strftime("%Y-%m-%d %H:%M")))
    with transaction(factory) as session:
        pending = count_unsent(session)
    if pending > len(waiting):
        click.echo(say(language, "pending_total", count=pending - len(waiting)))
    for error in report.errors:
        click.echo(f"  {error}", err=True)
    if report.stopped:
        raise CliError(say(language, "stopped", reason=report.stopped), language)
    if report.failed:
        raise CliError(say(language, "failed", count=report.failed), language)


def _result_json(result, report: DeliveryReport, dry_run: bool) -> dict:
    from db.alert_store import item_json

    return {"as_of": result.as_of.isoformat(), "year": result.year, "dry_run": dry_run, "muted": result.muted,
            "findings": len(result.findings), "unrouted": result.unrouted,
            "events": [item_json(e.item) | {"escalated": e.escalated} for e in result.events],
            "messages": [{"to": {"kind": p.draft.recipient.kind, "address": p.draft.recipient.address,
                                 "name": p.draft.recipient.name},
                          "language": p.draft.language, "due": p.due.isoformat(), "chart": p.chart,
                          "items": [i.key for i in p.draft.items]} for p in result.messages],
            "delivery": {"sent": report.sent, "deferred": report.deferred, "failed": report.failed,
                         "errors": report.errors, "stopped": report.stopped}}


def _date_option(ctx, param, value):
    """--until: a date in any notation the importer reads; the error names --until."""
    from jobs.ingest.values import CellError, parse_date

    try:
        return parse_date(value)
    except (CellError, TypeError) as exc:
        raise click.BadParameter(say(ctx.find_object(Context).language, "need_date")) from exc


@click.group(invoke_without_command=True)
@click.option("--all", "show_all", is_flag=True, help="Also resolved and closed alerts.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_context
def alerts(ctx: click.Context, show_all: bool, as_json: bool) -> None:
    """List alert state and delivery errors; `ack`, `silence`, `unsilence`, `resend`, `dismiss` below.

    列出当前提醒及发送失败；子命令 ack（确认并暂停到某日）、silence（静默一类提醒）、
    unsilence（取消静默）、resend（重发失败的消息）、dismiss（放弃一条失败的消息并说明原因）。
    """
    if ctx.invoked_subcommand is not None:
        return
    obj: Context = ctx.obj
    try:
        states, unsent, silences = _listing(obj, show_all)
    except StorageError as exc:
        raise CliError(str(exc), obj.language) from exc
    failures = [m for m in unsent if m["error"]]
    if as_json:
        click.echo(json.dumps({"alerts": states, "delivery_failures": failures, "waiting": unsent,
                               "silences": silences}, ensure_ascii=False, indent=2))
        return
    _print_alerts(obj.language, states, unsent, silences)


MAX_MUTE_DAYS = 92  # an ack or a silence lasts at most a quarter after the evaluation date: then set it again


def _evaluation_date(session) -> dt.date:
    """What acks and silences are judged against, as the evaluation judges them: the date the
    latest evaluation judged (an `evaluate --as-of` of 2023 included), else today."""
    return last_evaluation_date(session) or beijing_now().date()


def _check_until(language: str, until: dt.date, as_of: dt.date) -> None:
    if until < as_of:
        raise CliError(say(language, "past", until=until, as_of=as_of), language, 2)
    latest = as_of + dt.timedelta(days=MAX_MUTE_DAYS)
    if until > latest:
        raise CliError(say(language, "too_far", until=until, as_of=as_of, days=MAX_MUTE_DAYS, latest=latest),
                       language, 2)


def _listing(obj: Context, show_all: bool) -> tuple[list[dict], list[dict], list[dict]]:
    with transaction(obj.factory()) as session:
        return alert_listing(session, show_all=show_all, today=_evaluation_date(session))


def _print_alerts(language: str, states: list[dict], unsent: list[dict], silences: list[dict]) -> None:
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
    if not states:
        console.print(say(language, "none"))
    else:
        table = Table(title=say(language, "firing"))
        for header in ("key", "name", "severity", "status", "since", "told", "ack"):
            table.add_column(say(language, header))
        for s in states:
            table.add_row(s["key"], s["name"], say(language, f"severity.{s['severity']}"),
                          say(language, f"status.{s['status']}"), s["fired_on"], s["last_notified_on"] or "—",
                          f"{s['ack_until']} {s['ack_reason'] or ''}" if s["ack_until"] else "")
        console.print(table)
    if unsent:
        table = Table(title=say(language, "problems"), title_style="bold red")
        for header in ("id", "to", "status", "next", "error"):
            table.add_column(say(language, header))
        for f in unsent:
            table.add_row(str(f["id"]), f["to"], f"{say(language, 'outbox.' + f['status'])} ×{f['attempts']}",
                          f["next_attempt_at"] or "", f["error"] or "")
        console.print(table)
    if silences:
        table = Table(title=say(language, "silences"))
        for header in ("pattern", "until", "reason"):
            table.add_column(say(language, header))
        for x in silences:
            table.add_row(x["pattern"], x["until"], x["reason"])
        console.print(table)


@alerts.command()
@click.argument("key")
@click.option("--until", required=True, metavar="DATE", callback=_date_option,
              help="Snooze until this date, e.g. the expected payment date. 预计支付日期。")
@click.option("--reason", required=True, help="Why (shown in the alert list). 原因。")
@click.pass_obj
def ack(obj: Context, key: str, until: dt.date, reason: str) -> None:
    """Acknowledge one alert: no reminders until DATE (a red upgrade still comes through).

    确认一条提醒：在 --until 日期前不再提醒（升级为红色时仍会通知）。
    """
    with transaction(obj.factory()) as session:
        _check_until(obj.language, until, _evaluation_date(session))
        if acknowledge(session, key, until, reason) is None:
            raise CliError(say(obj.language, "no_key", key=key), obj.language)
    click.echo(say(obj.language, "acked", key=key, until=until, reason=reason))


@alerts.command()
@click.argument("pattern")
@click.option("--until", required=True, metavar="DATE", callback=_date_option, help="Silence until this date.")
@click.option("--reason", required=True, help="Why (shown in the alert list). 原因。")
@click.pass_obj
def silence(obj: Context, pattern: str, until: dt.date, reason: str) -> None:
    """Silence every alert whose key matches PATTERN (shell-style, e.g. 'stalled:*:158001*') until
    DATE (inclusive; at most 92 days after the date the latest evaluation judged). A pattern that
    does not name the rule ('*', '*:unit:158001:*') lets checkpoint verdicts and first reds through.
    `unsilence PATTERN` ends it.

    静默匹配的提醒（如 'stalled:*'），到期自动恢复；最长为评估日期后 92 天。通配规则的静默不压住
    考核节点结论和首次红色预警。用 unsilence 取消。
    """
    language = obj.language
    with transaction(obj.factory()) as session:
        _check_until(language, until, _evaluation_date(session))
        add_silence(session, pattern, until, reason, beijing_now())
        matched = matching_keys(session, pattern)
    click.echo(say(language, "silenced", pattern=pattern, until=until, reason=reason))
    if not matched:
        click.echo(say(language, "no_match", pattern=pattern), err=True)
    if any(mark in pattern.split(":", 1)[0] for mark in "*?["):  # the rule is not named
        click.echo(say(language, "wildcard"), err=True)


@alerts.command()
@click.argument("pattern")
@click.pass_obj
def unsilence(obj: Context, pattern: str) -> None:
    """End the silences set with exactly PATTERN (as `alerts` lists it).

    取消静默（匹配写法须与设置时相同）。
    """
    with transaction(obj.factory()) as session:
        count = end_silences(session, pattern)
    if not count:
        raise CliError(say(obj.language, "no_silence", pattern=pattern), obj.language)
    click.echo(say(obj.language, "unsilenced", pattern=pattern, count=count))


@alerts.command()
@click.argument("ids", nargs=-1, type=int, metavar="[ID]...")
@click.option("--all", "every", is_flag=True, help="Every message that failed for good. 全部失败的消息。")
@click.pass_obj
def resend(obj: Context, ids: tuple[int, ...], every: bool) -> None:
    """Put messages that failed for good (wrong channel or user, bot not in the channel) back in
    the outbox, after the address is fixed. Each goes to the address the config now gives its
    person; the daemon sends it within a minute. Resending twice sends once.

    重发发送失败的消息（先改正配置中的收件人或频道，或把机器人加入频道）；编号见 budget-monitor alerts。
    """
    language = obj.language
    if not ids and not every:
        raise CliError(say(language, "resend_what"), language, 2)
    done, refused = resend_failed(obj.factory(), obj.settings.alerts.directory, now=beijing_now(),
                                  ids=None if every else list(ids))
    for r in done:
        click.echo(say(language, "resent", id=r.message_id, to=r.to, moved=say(language, "moved") if r.readdressed
                       else ""))
    for message_id, status in sorted(refused.items()):
        click.echo(say(language, "not_failed", id=message_id, status=_status_word(language, status)), err=True)
    if done:
        click.echo(say(language, "resent_total", count=len(done)))
    elif every:
        click.echo(say(language, "nothing_failed"))
    if refused:
        raise SystemExit(1)


@alerts.command()
@click.argument("message_id", type=int, metavar="ID")
@click.option("--reason", required=True, help="Why it need not reach its recipient (kept). 原因。")
@click.pass_obj
def dismiss(obj: Context, message_id: int, reason: str) -> None:
    """Set aside one message that failed for good, with the reason (it is never resent, and
    `health` stops counting it).

    放弃一条发送失败的消息（如收件人已离职），需说明原因；之后 health 不再报告它。
    """
    language = obj.language
    with transaction(obj.factory()) as session:
        if not dismiss_message(session, message_id, reason=reason, now=beijing_now()):
            status = message_status(session, message_id)
            raise CliError(say(language, "not_dismissed", id=message_id, status=_status_word(language, status)),
                           language)
    click.echo(say(language, "dismissed", id=message_id, reason=reason))


def _status_word(language: str, status: str | None) -> str:
    return say(language, f"outbox.{status}") if status is not None else say(language, "unknown")
