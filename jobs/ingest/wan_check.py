"""万元 read as yuan: a payment export in 万元 whose 单位：万元 row is missing.

With six decimals every amount is finer than a fen in yuan and the file is refused for it
(``sub_fen`` on every row: the hint says why, see ``wan_hint``). With two decimals (1.23 for
12,300.00 yuan) nothing in a cell says so; but the rows name their quota lines, and a re-export
names payments already stored. A row looks like 万元 read as yuan when

- its 支付申请号 is stored with an amount about 10,000 times the new one (within the rounding of
  the new figure's last digit), or, for a payment not stored yet,
- its amount is at most 1/10,000 of its quota line's stored budget.

The file is refused when at least ``MIN_ROWS`` rows, and more than ``SHARE`` of its rows with an
amount, look so: one payment corrected to any amount, or a file with a few bank fees, is taken.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction

import pandas as pd
from sqlalchemy.orm import Session, sessionmaker

from db import lookups
from db.engine import transaction
from jobs.ingest.problems import problem
from jobs.ingest.records import Context
from jobs.ingest.values import CellError, parse_fen
from monitor.money import from_fen, to_fen

MIN_ROWS = 3
SHARE = Fraction(3, 4)
SAMPLE = 1000  # rows looked at first; a file that is not suspect costs no more than that
WAN = 10_000


class StoredAmounts:
    """Reads the stored amounts of payments and budgets of lines (one short read transaction)."""

    def __init__(self, factory: sessionmaker[Session]):
        self.factory = factory

    def __call__(self, year: int, payment_nos: list[str], quota_nos: list[str]
                 ) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
        with transaction(self.factory) as session:
            return lookups.payment_amounts(session, year, payment_nos), lookups.line_budgets(session, year, quota_nos)


Reader = Callable[[int, list[str], list[str]], tuple[dict[str, Decimal], dict[str, Decimal]]]


def check_wan(context: Context, records: pd.DataFrame, budget_year: int, catalog) -> pd.DataFrame:
    """Refuse a payment export whose amounts look like 万元 read as yuan. ``catalog.stored_amounts``
    (a ``StoredAmounts``) reads the database; without it the check is left out."""
    read: Reader | None = getattr(catalog, "stored_amounts", None)
    if read is None or "amount" not in records or context.scales.get("amount", 100) != 100:
        return records  # no database, or the file says its unit
    amounts = records["amount"]
    rows = records[amounts.notna() & (amounts != 0)]
    if len(rows) < MIN_ROWS:
        return records
    years = (rows["budget_year"].where(rows["budget_year"].notna(), budget_year)
             if "budget_year" in rows else pd.Series(budget_year, index=rows.index))
    step = max(1, len(rows) // SAMPLE)
    reasons = _reasons(rows.iloc[::step], years.iloc[::step], read)
    if not _suspect(reasons, len(rows.iloc[::step])):
        return records
    if step > 1:  # the sample is suspect: every row is looked at, and listed
        reasons = _reasons(rows, years, read)
        if not _suspect(reasons, len(rows)):
            return records
    column = context.names.get("amount")
    context.log.add(problem("wan_suspected", column=column, count=len(reasons), rows=len(rows)))
    for row, (zh, en) in sorted(reasons.items()):
        context.log.add(problem("wan_suspected_row", row=int(row), column=column, value=_cell(context, row),
                                reason=zh, reason_en=en))
    return records


def _suspect(reasons: dict, rows: int) -> bool:
    return len(reasons) >= MIN_ROWS and len(reasons) > SHARE * rows


def _reasons(rows: pd.DataFrame, years: pd.Series, read: Reader) -> dict[int, tuple[str, str]]:
    """row → why its amount looks like 万元 read as yuan (zh, en), for the rows that do."""
    found: dict[int, tuple[str, str]] = {}
    for year in sorted({int(y) for y in years}):
        part = rows[years == year]
        payment_nos = sorted({str(n) for n in part["payment_no"].dropna()}) if "payment_no" in part else []
        quota_nos = sorted({str(n) for n in part["quota_no"].dropna()}) if "quota_no" in part else []
        stored, budgets = read(year, payment_nos, quota_nos)
        for row, record in part.iterrows():
            amount = int(record["amount"])
            before = stored.get(record.get("payment_no"))
            if before is not None:
                if before != 0 and _about_wan(amount, to_fen(before)):
                    shown = f"{from_fen(to_fen(before)):,}"
                    found[row] = (f"同一支付申请号已存金额 {shown} 元，约为此数的 1 万倍",
                                  f"the same 支付申请号 is stored with {shown} yuan, about 10,000 times this")
                continue
            budget = budgets.get(record.get("quota_no"))
            if budget is not None and budget > 0 and abs(amount) * WAN <= to_fen(budget):
                shown = f"{from_fen(to_fen(budget)):,}"
                found[row] = (f"不足其指标 {record['quota_no']} 预算 {shown} 元的万分之一",
                              f"under 1/10,000 of the budget of its quota line {record['quota_no']} ({shown} yuan)")
    return found


def _about_wan(amount: int, stored: int) -> bool:
    """Whether ``stored`` fen is ``amount`` 万 fen within the rounding of ``amount``'s last digit
    (1.23 万元 stands for 12,250.00 to 12,350.00 yuan)."""
    unit = 100 if amount % 100 == 0 else 10 if amount % 10 == 0 else 1
    return abs(amount * WAN - stored) * 2 <= unit * WAN


def _cell(context: Context, row) -> str | None:
    cells = context.cells.get("amount")
    return None if cells is None or row not in cells.index else str(cells[row])


def wan_hint(context: Context) -> None:
    """When every amount of a yuan column is finer than a fen but exact in 万元 (six decimals on
    every row), say on each ``sub_fen`` problem that the file is likely in 万元 without its unit
    row."""
    for field_name in context.amount_fields:
        cells = context.cells.get(field_name)
        if cells is None or context.scales.get(field_name, 100) != 100:
            continue
        texts = [t for t in cells.unique().tolist() if str(t).strip()]
        if not texts or not all(_wan_only(str(t)) for t in texts):
            continue
        column = context.names[field_name]
        context.log.problems[:] = [
            problem(p.code, row=p.row, column=p.column, value=p.value,
                    **{**p.params, "hint": _HINT[0], "hint_en": _HINT[1]})
            if p.code == "sub_fen" and p.column == column else p for p in context.log.problems]


_HINT = ("：每一行都是如此，文件疑为万元而缺少“单位：万元”行；请在标题下加一行“单位：万元”，或按元重新导出",
         ": so is every row: the file is likely in 万元 (10,000 yuan) without its 单位：万元 row; add that row "
         "under the title, or export in yuan")


def _wan_only(text: str) -> bool:
    """Finer than a fen read as yuan, exact read as 万元."""
    try:
        parse_fen(text, 100)
    except CellError as exc:
        if exc.code != "sub_fen":
            return False
        try:
            parse_fen(text, 1_000_000)
        except CellError:
            return False
        return True
    return False
