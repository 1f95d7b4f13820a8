"""Acknowledgements and silences (issue 15, case 11), on the demo data, on SQLite and PostgreSQL:
an ack given while an evaluation runs is kept; a wildcard silence never swallows a missed
checkpoint or a first red; `alerts unsilence` undoes a silence; `--until` is bounded and judged,
like the evaluation judges it, on the evaluation's date rather than the wall clock."""

from __future__ import annotations

import datetime as dt
import json
import threading

from click.testing import CliRunner
from sqlalchemy import select, text

from db.alert_store import acknowledge
from db.engine import transaction
from db.models import AlertState
from jobs.evaluate import evaluate
from tests.test_alert_delivery import ALERTS, ENGINE, at, demo, demo_folder, posts_to, run, slack  # noqa: F401

KEY = "behind_checkpoint:unit:158001:2023-03-31"


def _cli():
    from jobs.cli.app import cli

    return cli


def _blocked_on_a_lock(factory) -> bool:
    """Whether some session waits for a lock (PostgreSQL only; SQLite's writer lock is not visible)."""
    with transaction(factory) as session:
        if session.get_bind().dialect.name != "postgresql":
            return False
        return bool(session.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted")))


def test_an_ack_given_while_an_evaluation_runs_is_not_written_over_by_it(demo, slack, monkeypatch):
    import jobs.evaluate as evaluation

    run(demo, slack, "2023-03-01")
    real_load = evaluation.load_states
    acked = threading.Event()
    errors: list[BaseException] = []

    def ack() -> None:
        try:
            with transaction(demo) as session:
                assert acknowledge(session, KEY, dt.date(2023, 4, 15), "4月10日支付") is not None
        except BaseException as exc:  # noqa: BLE001 — reported by the assertion below
            errors.append(exc)
        finally:
            acked.set()

    thread = threading.Thread(target=ack)

    def load_then_ack(session, year):
        """The ack arrives after the evaluation read the states, before it writes them back."""
        states = real_load(session, year)
        thread.start()
        deadline = dt.datetime.now() + dt.timedelta(seconds=20)
        while not acked.is_set() and not _blocked_on_a_lock(demo) and dt.datetime.now() < deadline:
            acked.wait(0.01)  # until the ack is committed, or it waits for this evaluation
        return states

    monkeypatch.setattr(evaluation, "load_states", load_then_ack)
    evaluate(demo, execution=ENGINE, alerts=ALERTS, now=at("2023-03-02"))
    thread.join()
    assert errors == []
    with transaction(demo) as session:
        row = session.scalar(select(AlertState).where(AlertState.key == KEY))
        assert (row.ack_until, row.ack_reason) == (dt.date(2023, 4, 15), "4月10日支付")
        assert row.last_seen_on == dt.date(2023, 3, 2), "and the evaluation's own write is there too"
