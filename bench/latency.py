"""Time from an export landing in the inbox to its alert at Slack, through the real daemon.

    .venv/bin/python bench/latency.py            # 5 runs, SQLite
    .venv/bin/python bench/latency.py --runs 9

Each run starts `budget-monitor run` as a subprocess on a fresh SQLite database and inbox, with
the tests' fake Slack server on 127.0.0.1, waits until it leads, then moves a finished quota and
payment export into the inbox and measures until chat.postMessage reaches the fake server. The
daemon's path: a file-system event (watchfiles, 0.5 s debounce), the settle time that tells a
finished file from one still being written (2 s), the import, the evaluation, the delivery.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def one_run(folder: Path) -> float:
    from db.engine import sqlite_url
    from tests.fake_slack import FakeSlack
    from tests.test_daemon_e2e import Daemon, config_file, drop_exports

    slack = FakeSlack().start()
    inbox = folder / "inbox"
    inbox.mkdir()
    daemon = Daemon(sqlite_url(folder / "monitor.sqlite"), config_file(folder, inbox), slack.base_url)
    try:
        daemon.wait_for('"leader:')
        wait = threading.Event()
        start = time.perf_counter()
        drop_exports(inbox, folder)
        while not slack.posted():
            if time.perf_counter() - start > 60:
                raise SystemExit("no alert within 60 s")
            wait.wait(0.02)
        return time.perf_counter() - start
    finally:
        daemon.stop()
        slack.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    seconds = []
    for n in range(args.runs):
        with tempfile.TemporaryDirectory() as folder:
            seconds.append(one_run(Path(folder)))
        print(f"run {n + 1}: {seconds[-1]:.2f} s", flush=True)
    print(f"inbox → Slack: median {statistics.median(seconds):.2f} s, min {min(seconds):.2f} s, "
          f"max {max(seconds):.2f} s over {len(seconds)} runs (goal: under 5 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
