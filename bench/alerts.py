"""Benchmark of the alert evaluation and delivery on the generated province of bench/status.py.

    .venv/bin/python bench/status.py --only duckdb     # once: generates the province (5,000 units)
    .venv/bin/python bench/alerts.py                   # then this: prints a table
    .venv/bin/python bench/alerts.py --small           # on bench/status.py --small's province

Works on a copy of the province's SQLite file with one department leader per department (200)
and one unit leader per unit (5,000), all reached over Slack: the real slack_sdk WebClient
talking to the fake Slack server of the tests on 127.0.0.1. Timed: the first evaluation (every
alert new), the same evaluation again (nothing to tell), the next day's, and the delivery of
each evaluation's outbox. Peak RSS is the whole process's.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="use bench/out/status-500-100000")
    parser.add_argument("--as-of", default="2023-06-15", help="the first evaluation's date (default 2023-06-15)")
    args = parser.parse_args()
    source = ROOT / "bench" / "out" / ("status-500-100000" if args.small else "status") / "data" / "province.sqlite"
    if not source.exists():
        print(f"no province at {source}: run bench/status.py{' --small' if args.small else ''} first", file=sys.stderr)
        return 2

    from alerts.slack import SlackNotifier
    from db.engine import make_engine, session_factory, sqlite_url
    from db.migrate import upgrade
    from jobs.clock import BEIJING
    from jobs.deliver import deliver
    from jobs.evaluate import AlertConfig, evaluate
    from jobs.execution import ExecutionSettings
    from tests.fake_slack import FakeSlack

    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "province.sqlite"
        with contextlib.closing(sqlite3.connect(source)) as src, contextlib.closing(sqlite3.connect(target)) as dst:
            src.backup(dst)
        engine = make_engine(sqlite_url(target))
        upgrade(engine)
        factory = session_factory(engine)
        from bench.scale import leaders

        directory, _ = leaders(factory)
        config = AlertConfig(directory=directory, quiet_hours=None, quiet_on_rest_days=False, charts=False)
        slack = FakeSlack().start()
        notifiers = {"slack": SlackNotifier("xoxb-bench", base_url=slack.base_url, timeout=10)}
        first = dt.date.fromisoformat(args.as_of)
        rows = []
        for label, day, hour in (("first evaluation (all new)", first, 9), ("same day again", first, 15),
                                 ("next day", first + dt.timedelta(days=1), 9)):
            now = dt.datetime.combine(day, dt.time(hour), tzinfo=BEIJING)
            t0 = time.perf_counter()
            result = evaluate(factory, execution=ExecutionSettings(), alerts=config, now=now)
            t1 = time.perf_counter()
            report = deliver(factory, notifiers, now=now)
            t2 = time.perf_counter()
            rows.append((label, day, t1 - t0, len(result.findings), len(result.events), len(result.messages),
                         t2 - t1, report.sent))
        slack.close()
        engine.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    roles = [p.role for p in directory.people]
    print(f"province: {roles.count('department_leader'):,} department leaders, "
          f"{roles.count('unit_leader'):,} unit leaders ({source})")
    print(f"{'step':30} {'as_of':>10} {'evaluate s':>11} {'findings':>9} {'events':>7} {'messages':>9} "
          f"{'deliver s':>10} {'sent':>6} {'msg/s':>7}")
    for label, day, seconds, found, events, messages, sending, sent in rows:
        rate = f"{sent / sending:,.0f}" if sent else "—"
        print(f"{label:30} {day.isoformat():>10} {seconds:11.2f} {found:9,} {events:7,} {messages:9,} "
              f"{sending:10.2f} {sent:6,} {rate:>7}")
    print(f"peak RSS {peak:,.0f} MB (whole process); Slack: the tests' fake server on 127.0.0.1, real WebClient")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
