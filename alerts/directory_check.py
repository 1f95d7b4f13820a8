"""The people directory checked against what the database knows (issue 15, case 9: routing
mistakes are not silent). Pure: the codes come in as arguments (jobs/directory.py reads them).

What is named, one line each, in ``health``, ``evaluate`` and at the daemon's start:

- a code in ``[[people]]`` or ``[[channels]]`` that matches no department, unit or project of the
  database (a typo such as ``158O01``), with the nearest known code when one is close; left out
  for a kind of which the database knows nothing yet (nothing imported);
- codes a role never reads (a unit leader's ``departments``), and a leader who lists nothing;
- a person with neither ``slack_user`` nor ``email`` while a chat platform is configured: their
  messages fail (jobs/deliver.py, ``no_address``) instead of going to the console as "sent";
- every unit with no finance staff of its own, and who has its finance staff's alerts instead
  (the department's finance staff, else its leader; alerts/routing.responsible).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from alerts.routing import Directory
from monitor.i18n import render

KINDS = ("department", "unit", "project")
READ = {"department_leader": {"department"}, "unit_leader": {"unit"}, "project_leader": {"project"},
        "finance_staff": {"department", "unit"}}  # what responsible() looks each role up by
UNITS_NAMED = 5  # units named in one line, then counted

TEXT = {
    "kind.department": {"zh": "部门", "en": "department"},
    "kind.unit": {"zh": "单位", "en": "unit"},
    "kind.project": {"zh": "项目", "en": "project"},
    "unknown": {"zh": "通知对象“{who}”的{kind}代码 {code} 与数据库中任何{kind}都不匹配，相关预警不会发给他{hint}",
                "en": "“{who}”: {kind} code {code} matches no {kind} in the database; its alerts will not reach "
                      "them{hint}"},
    "hint": {"zh": "（是否应为 {code} {name}？）", "en": " (did you mean {code} {name}?)"},
    "unread": {"zh": "通知对象“{who}”（{role}）列出的{kind}不会被读取：请改用 {wanted}",
               "en": "“{who}” ({role}): the {kind} codes listed are never read for this role; list {wanted}"},
    "nothing": {"zh": "通知对象“{who}”（{role}）没有列出任何{wanted}，不会收到预警",
                "en": "“{who}” ({role}) lists no {wanted}: they receive nothing"},
    "no_address": {"zh": "通知对象“{who}”没有 slack_user 或 email：已配置 Slack，发给他的消息将标记为发送失败",
                   "en": "“{who}” has no slack_user or email while Slack is configured: messages to them fail"},
    "no_finance": {"zh": "{units} 没有本单位的财务人员：其财务类预警（指标、单位预警）发给 {instead}",
                   "en": "{units} have no finance staff of their own: their finance alerts (quota lines, unit "
                         "alerts) go to {instead}"},
    "more": {"zh": "等 {count} 个单位", "en": "and {count} more units"},
    "instead.department": {"zh": "部门财务 {names}", "en": "the department's finance staff {names}"},
    "instead.leader": {"zh": "单位负责人 {names}", "en": "the unit leader {names}"},
    "instead.nobody": {"zh": "部门负责人、频道或控制台", "en": "the department leader, a channel or the console"},
    "channel": {"zh": "频道 {who}", "en": "channel {who}"},
}


def say(language: str, text: str, **params) -> str:
    return render(TEXT, text, language, params)


def check_directory(directory: Directory, known: Mapping[str, Mapping[str, str]], *, chat: bool,
                    language: str) -> list[str]:
    """The routing mistakes of ``directory`` against ``known`` (kind → code → name; a unit's name
    is "name<TAB>department code", db/lookups.known_codes), as lines in ``language``."""
    lines: list[str] = []
    listed = [(p.name, p.role, {"department": p.departments, "unit": p.units, "project": p.projects})
              for p in directory.people]
    listed += [(say(language, "channel", who=c.channel), "", {"department": c.departments, "unit": frozenset(),
                                                             "project": frozenset()}) for c in directory.channels]
    for who, role, codes in listed:
        for kind in KINDS:
            names = known.get(kind, {})
            for code in sorted(codes[kind]):
                if names and code not in names:
                    close = difflib.get_close_matches(code, list(names), n=1, cutoff=0.8)
                    hint = say(language, "hint", code=close[0], name=names[close[0]].split("\t")[0]) if close else ""
                    lines.append(say(language, "unknown", who=who, kind=say(language, f"kind.{kind}"), code=code,
                                     hint=hint))
        if role:
            wanted = "、".join(say(language, f"kind.{k}") for k in KINDS if k in READ[role])
            for kind in KINDS:
                if codes[kind] and kind not in READ[role]:
                    lines.append(say(language, "unread", who=who, role=role, kind=say(language, f"kind.{kind}"),
                                     wanted=wanted))
            if role in ("department_leader", "unit_leader") and not any(codes.values()):
                lines.append(say(language, "nothing", who=who, role=role, wanted=wanted))
    if chat:
        lines += [say(language, "no_address", who=p.name) for p in directory.people if not (p.slack_user or p.email)]
    if directory.people:
        lines += _units_without_finance(directory, known.get("unit", {}), language)
    return lines


def _units_without_finance(directory: Directory, units: Mapping[str, str], language: str) -> list[str]:
    by_instead: dict[str, list[str]] = {}
    for code, text in sorted(units.items()):
        if directory.who("finance_staff", "unit", code):
            continue
        name, _, department = text.partition("\t")
        stand_in = directory.who("finance_staff", "department", department or None)
        leader = directory.who("unit_leader", "unit", code)
        if stand_in:
            instead = say(language, "instead.department", names="、".join(p.name for p in stand_in))
        elif leader:
            instead = say(language, "instead.leader", names="、".join(p.name for p in leader))
        else:
            instead = say(language, "instead.nobody")
        by_instead.setdefault(instead, []).append(f"{code} {name}".strip())
    lines = []
    for instead, named in by_instead.items():
        shown = "、".join(named[:UNITS_NAMED])
        if len(named) > UNITS_NAMED:
            shown += " " + say(language, "more", count=len(named) - UNITS_NAMED)
        lines.append(say(language, "no_finance", units=shown, instead=instead))
    return lines
