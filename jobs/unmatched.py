"""Payments no quota export explains (db/unmatched.py), as ``status`` and ``health`` say them
until the quota export that explains them is imported; and the units ``status`` shows under no
department."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from db.engine import SessionFactory, transaction
from db.unmatched import Unmatched, unmatched_payments
from monitor.i18n import render

SHOWN = 5

TEXT = {
    "head": {"zh": "未匹配指标的支付 {count} 笔 {amount} 元（{year} 年，截至 {as_of}）：{units}{lines}。"
                   "导入说明它们的指标文件后即会匹配",
             "en": "payments matching no quota line: {count}, {amount} yuan ({year}, up to {as_of}): {units}{lines}. "
                   "They match once the quota export that explains them is imported"},
    "unit.budgeted": {"zh": "{unit} {count} 笔 {amount} 元（指标明细号不在已导入的指标中，已计入该单位）",
                      "en": "{unit} {count}, {amount} yuan (on quota lines not imported; counted for the unit)"},
    "unit.phantom": {"zh": "{unit} {count} 笔 {amount} 元（该单位没有任何已导入的指标，未计入执行）",
                     "en": "{unit} {count}, {amount} yuan (the unit has no quota line imported; not counted)"},
    "nobody": {"zh": "未注明单位", "en": "no unit"},
    "lines": {"zh": "；指标明细号 {numbers}", "en": "; quota lines {numbers}"},
    "more": {"zh": "等 {count} 个单位", "en": "and {count} more units"},
    "no_department": {"zh": "注意：单位 {units} 没有主管部门（部门显示为 ?）：其部门级预警无人接收、不进入部门评分；"
                            "请在配置 [ingest.unit_departments] 中写明（或 [ingest] department_from_unit_code）后"
                            "再次导入其指标文件",
                      "en": "note: the units {units} have no department (shown as ?): department alerts about them "
                            "reach nobody and no department's score counts them; name it in the config's "
                            "[ingest.unit_departments] (or [ingest] department_from_unit_code) and import their quota "
                            "export again"},
}


def say(language: str, code: str, **params) -> str:
    return render(TEXT, code, language, params)


def describe(unmatched: Unmatched, as_of: dt.date, language: str) -> str | None:
    """One line; None when every payment matches."""
    if not unmatched.payments:
        return None
    sep = "；" if language == "zh" else "; "
    units = [say(language, "unit.budgeted" if u.budgeted else "unit.phantom",
                 unit=f"{u.code} {u.name}" if u.code else say(language, "nobody"),
                 count=u.payments, amount=f"{u.amount:,}") for u in unmatched.units[:SHOWN]]
    if len(unmatched.units) > SHOWN:
        units.append(say(language, "more", count=len(unmatched.units) - SHOWN))
    lines = say(language, "lines", numbers="、".join(unmatched.quota_nos)) if unmatched.quota_nos else ""
    return say(language, "head", count=unmatched.payments, amount=f"{unmatched.amount:,}", year=unmatched.year,
               as_of=as_of.isoformat(), units=sep.join(units), lines=lines)


def no_department_line(units: list[str], language: str) -> str | None:
    """What ``status`` says of the units shown under department "?" (none: None)."""
    if not units:
        return None
    units = sorted(units)
    return say(language, "no_department", units="、".join(units[:SHOWN]) + ("…" if len(units) > SHOWN else ""))


def unmatched_line(factory: SessionFactory, year: int, as_of: dt.date, language: str,
                   unit_code: str | None = None) -> tuple[str | None, Unmatched]:
    """The line ``status`` and ``health`` print (of one unit when given) and the figures."""
    with transaction(factory) as session:
        unmatched = unmatched_payments(session, year, as_of)
    if unit_code is not None:
        units = tuple(u for u in unmatched.units if u.code == unit_code)
        unmatched = Unmatched(year, sum(u.payments for u in units), sum((u.amount for u in units), Decimal(0)),
                              units, ())
    return describe(unmatched, as_of, language), unmatched
