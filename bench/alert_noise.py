"""Alert noise: how much the demo year's messages ask of each person, and whether the notices
that must survive any noise cut reach them, and when.

    .venv/bin/python bench/alert_noise.py              # the whole 2023 replay: about 45 s here
    .venv/bin/python bench/alert_noise.py --json       # everything as one JSON document
    .venv/bin/python bench/alert_noise.py --lang en    # the demo's messages in English

Replays 2023 exactly as ``budget-monitor demo`` does (``jobs.demo.run.run_demo`` with
``replay=True``: the demo exports and config in a temporary folder, the daemon's real jobs on a
simulated clock), then reads every delivered message from the replay's database — the outbox
rows with status ``sent`` (recipient, items as JSON, ``sent_at``), checked against the
``delivery_attempts`` rows and the replay's own count. Per person (recipient): messages in the
year; per ISO week, median and max over every ISO week holding a day of the year (2022-W52 is
1 January alone), weeks without a message counted as 0; days with a message and the most on one
day (by ``sent_at``; the demo has no quiet hours, so weekends count); items per message; the share
of items by rule and by event (a digest line counted as "digest"); and the share of messages whose
every item is "nothing new" (defined below). Then the must-keep notices with the day each first
reached its person ("never" when it did not), and a summary line. Nothing is asserted: exit code
1 only when the outbox does not account for every message the replay sent.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import statistics
import sys
import tempfile
import time
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # first, so that bench/alerts.py does not shadow the alerts package
    sys.path.insert(0, str(ROOT))

# "Nothing new": an item is nothing new for a person when it is a `repeat` (or a digest line,
# whose key is taken without its week) of a key that person was told before with the same
# severity, and each of these facts moved less than its threshold since the last time that
# person was told that key. A fact absent both times has not moved; present only once, it has.
RATE_POINTS = 1.0  # rate, projected_rate: percent points
GAP_SHARE = 0.01  # gap (yuan): a share of the previous gap
POINT_FACTS = ("rate", "projected_rate")
SHARE_FACTS = ("gap",)
EXACT_FACTS = ("countdown",)  # a countdown reminder's working days left: a new countdown point is news
DIGEST_RULES = ("digest", "digest_targets")
REMINDER_EVENTS = ("repeat", "open")  # "open": an alert still open, a line of the weekly brief
RISK_RULES = ("behind_checkpoint", "checkpoint_missed")  # "checkpoint risk", for the department leader


def replay_demo(language: str) -> tuple[list[dict], dict, list[str]]:
    """The demo's replay in a temporary folder: (sent messages oldest first, the replay's
    counts, problems found when checking the outbox against the other sources)."""
    from sqlalchemy import func, select

    from db.engine import make_engine, session_factory, sqlite_url, transaction
    from db.models import DeliveryAttempt, OutboxMessage
    from jobs.demo.run import run_demo

    with tempfile.TemporaryDirectory(prefix="alert-noise-") as folder:
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):  # --json mode: the demo prints its JSON only
            result = run_demo(Path(folder), language=language, as_json=True, replay=True)
        counts = dict(result["replay"], seconds=round(time.perf_counter() - start, 1))
        engine = make_engine(sqlite_url(Path(folder) / "demo.sqlite"))
        with transaction(session_factory(engine)) as session:
            rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.sent_at, OutboxMessage.id)).all()
            attempts = session.scalar(select(func.count()).select_from(DeliveryAttempt)
                                      .where(DeliveryAttempt.outcome == "sent"))
            messages = [{"id": r.id, "person": r.recipient_name or r.recipient_address, "sent": r.sent_at,
                         "items": r.items} for r in rows if r.status == "sent"]
            end = dt.date(result["year"], 12, 31)
            later = [r for r in rows if r.status == "pending" and r.next_attempt_at.date() > end]
            unsent = Counter(r.status for r in rows if r.status != "sent" and r not in later)
        engine.dispose()
    counts["waiting_after_the_year"] = len(later)  # due at a slot after 31 December: not a loss
    problems = [f"{n} outbox message(s) {status}" for status, n in unsent.items()]
    if not len(messages) == attempts == counts["messages"]:
        problems.append(f"sent: {len(messages)} outbox rows, {attempts} attempts, replay says {counts['messages']}")
    return messages, counts, problems


def _number(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _moved(before: dict, after: dict) -> bool:
    if any(before.get(name) != after.get(name) for name in EXACT_FACTS):
        return True
    for name in POINT_FACTS + SHARE_FACTS:
        old, new = before.get(name), after.get(name)
        if old is None and new is None:
            continue
        a, b = _number(old), _number(new)
        if a is None or b is None:
            if old != new:
                return True
            continue
        limit = RATE_POINTS if name in POINT_FACTS else GAP_SHARE * abs(a)
        if abs(b - a) >= limit and a != b:
            return True
    return False


def identity(item: dict) -> str:
    return item["key"].rsplit(":", 1)[0] if item["rule"] in DIGEST_RULES else item["key"]


def mark_nothing_new(messages: list[dict]) -> None:
    """Set item["nothing_new"] on every item and message["nothing_new"] on every message."""
    told: dict[tuple[str, str], dict] = {}  # (person, identity) -> the item last told
    for message in messages:
        for item in message["items"]:
            slot = (message["person"], identity(item))
            last = told.get(slot)
            reminder = item["event"] in REMINDER_EVENTS or item["rule"] in DIGEST_RULES
            item["nothing_new"] = (reminder and last is not None and last["severity"] == item["severity"]
                                   and not _moved(last["facts"], item["facts"]))
            told[slot] = item
        message["nothing_new"] = all(i["nothing_new"] for i in message["items"])


def _shares(counter: Counter) -> dict[str, float]:
    total = sum(counter.values()) or 1
    return {k: round(100 * v / total, 1) for k, v in counter.most_common()}


def person_figures(messages: list[dict], year: int) -> dict:
    weeks = sorted({(dt.date(year, 1, 1) + dt.timedelta(d)).isocalendar()[:2]
                    for d in range((dt.date(year, 12, 31) - dt.date(year, 1, 1)).days + 1)})
    by_person: dict[str, list[dict]] = defaultdict(list)
    for m in messages:
        by_person[m["person"]].append(m)
    figures = {}
    for person, own in by_person.items():
        per_week = Counter(m["sent"].date().isocalendar()[:2] for m in own)
        per_day = Counter(m["sent"].date() for m in own)
        items = [i for m in own for i in m["items"]]
        figures[person] = {
            "messages": len(own), "week_median": statistics.median(per_week[w] for w in weeks),
            "week_max": max(per_week.values()), "days": len(per_day), "day_max": max(per_day.values()),
            "items_per_message": round(len(items) / len(own), 2),
            "nothing_new_share": round(100 * sum(m["nothing_new"] for m in own) / len(own), 1),
            "nothing_new_items_share": round(100 * sum(i["nothing_new"] for i in items) / len(items), 1),
            "rules": _shares(Counter(i["rule"] for i in items)),
            "events": _shares(Counter("digest" if i["rule"] in DIGEST_RULES else i["event"] for i in items)),
        }
    return figures


def must_keep(messages: list[dict]) -> list[dict]:
    """(person, notice, date) of the notices no noise cut may lose; date None: never reached."""
    from jobs.demo import seed2023
    from jobs.demo.run import DEMO_PEOPLE, _codes, demo_settings

    unit = seed2023.HQ.code  # 科协机关: the association's own unit (本级)
    first_checkpoint = demo_settings().rule_book.checkpoint_dates(seed2023.YEAR)[0].isoformat()
    q1_key = f"behind_checkpoint:unit:{unit}:{first_checkpoint}"
    unit_people = [n for n, role, _, codes in DEMO_PEOPLE if role in ("unit_leader", "finance_staff")
                   and unit in _codes(codes)]
    leaders = [n for n, role, _, _ in DEMO_PEOPLE if role == "department_leader"]
    found: dict[tuple[str, str], str | None] = {}
    for person in unit_people:
        for what in ("first", "first yellow", "first orange", "countdown 7", "countdown 3"):
            found[(person, f"{what} {q1_key}")] = None
    for person in leaders:
        for u in seed2023.UNITS:
            found[(person, f"first checkpoint risk of unit {u.code}")] = None
    for m in messages:
        day, person = m["sent"].date().isoformat(), m["person"]
        for i in m["items"]:
            whats = ("first", f"first {i['severity']}", f"countdown {i['facts'].get('countdown', '')}")
            wanted = [f"{what} {q1_key}" for what in whats if i["key"] == q1_key]
            if person in leaders and i["rule"] in RISK_RULES and i["level"] == "unit":
                wanted.append(f"first checkpoint risk of unit {i['code']}")
            wanted = [n for n in wanted if (person, n) in found]  # only for the people listed above
            if i["rule"] == "checkpoint_missed":
                wanted.append(i["key"])  # every missed checkpoint, the day it first reached this person
            elif i["severity"] == "red":
                wanted.append(f"first red {i['key']}")
            for notice in wanted:
                if found.get((person, notice)) is None:
                    found[(person, notice)] = day
    return [{"person": p, "notice": n, "date": d} for (p, n), d in found.items()]


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _row(cells, widths, left: int = 1) -> str:
    """The first ``left`` cells left-aligned, the others right-aligned, by display width (CJK: 2)."""
    padded = [(str(c), " " * max(0, w - _width(str(c)))) for c, w in zip(cells, widths)]
    return "  ".join(c + pad if k < left else pad + c for k, (c, pad) in enumerate(padded)).rstrip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print everything as one JSON document")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="the language of the demo's messages")
    args = parser.parse_args()
    from jobs.demo.run import DEMO_PEOPLE, DEMO_YEAR

    messages, replay, problems = replay_demo(args.lang)
    mark_nothing_new(messages)
    people = person_figures(messages, DEMO_YEAR)
    order = [n for n, *_ in DEMO_PEOPLE if n in people] + sorted(set(people) - {n for n, *_ in DEMO_PEOPLE})
    notices = sorted(must_keep(messages), key=lambda r: (order.index(r["person"]) if r["person"] in order
                                                         else len(order), r["date"] or "9999", r["notice"]))
    top = {"messages_per_year": max(p["messages"] for p in people.values()),
           "messages_per_week": max(p["week_max"] for p in people.values()),
           "messages_per_day": max(p["day_max"] for p in people.values()),
           "days_with_a_message": max(p["days"] for p in people.values()),
           "nothing_new_share": round(100 * sum(m["nothing_new"] for m in messages) / len(messages), 1)}
    summary = (f"{DEMO_YEAR} demo replay: {len(messages)} messages to {len(people)} people; per person at most "
               f"{top['messages_per_year']} messages a year, on at most {top['days_with_a_message']} days, "
               f"{top['messages_per_week']} in one ISO week and {top['messages_per_day']} in one day; "
               f"{top['nothing_new_share']}% of all messages carry nothing new for their reader; "
               f"{sum(r['date'] is None for r in notices)} must-keep notice(s) never arrived.")
    if args.json:
        print(json.dumps({"replay": replay, "problems": problems, "people": {n: people[n] for n in order},
                          "must_keep": notices, "headline": top, "summary": summary,
                          "thresholds": {"rate_points": RATE_POINTS, "gap_share": GAP_SHARE}},
                         ensure_ascii=False, indent=2))
        return 1 if problems else 0
    print(f"replayed {replay['days']} days in {replay['seconds']} s: {replay['imported']} exports, "
          f"{replay['evaluations']} evaluations, {replay['messages']} messages sent, "
          f"{replay['waiting_after_the_year']} waiting for a slot after 31 December")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    name_width = max(_width(n) for n in order)
    heads = ("person", "msgs", "wk med", "wk max", "days", "day max", "items/msg", "nothing new %")
    widths = (name_width, 5, 6, 6, 5, 7, 9, 13)
    print("\n" + _row(heads, widths))
    for n in order:
        p = people[n]
        print(_row((n, p["messages"], p["week_median"], p["week_max"], p["days"], p["day_max"],
                    p["items_per_message"], p["nothing_new_share"]), widths))
    print("\nshare of items by event (%; digest = a digest line) and by rule (%):")
    for n in order:
        p = people[n]
        print(f"  {n}: " + ", ".join(f"{k} {v}" for k, v in p["events"].items()))
        print("    " + ", ".join(f"{k} {v}" for k, v in p["rules"].items()))
        print(f"    nothing-new items: {p['nothing_new_items_share']}%")
    print("\nmust-keep notices (date reached; never = not received):")
    widths = (name_width, max(len(r["notice"]) for r in notices), 10)
    print("  " + _row(("person", "notice", "date"), widths, left=3))
    for r in notices:
        print("  " + _row((r["person"], r["notice"], r["date"] or "never"), widths, left=3))
    print("\n" + summary)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
