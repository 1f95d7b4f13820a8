"""Files of one batch are imported in the order their data depends on, whatever their names:
quota exports, then adjustments and payments, then target tables, then progress reports
(jobs/ingest/batch.py). Real files in a real inbox and a real database on both backends."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from click.testing import CliRunner

from db.engine import transaction
from db.unmatched import unmatched_payments
from jobs.cli.app import cli
from jobs.ingest import ingest_paths
from jobs.ingest.inbox import process_inbox
from tests.helpers import (
    adjustment,
    adjustment_rows,
    payment,
    payment_rows,
    quota_export,
    quota_line,
    write_csv,
    write_xlsx,
)
from tests.target_helpers import GOOD_PROGRESS, MERGES, QUOTA, gbk_csv, stored_progress, target_table

CLOCK = 1_700_000_000.0
SETTLED = CLOCK - 60
UNIT = "158001 - 乌鲁木齐市科学技术协会"
QUOTA_2023 = quota_export(dt.date(2023, 3, 31), quota_line("ZB001", UNIT, "100000.00"),
                          quota_line("ZB002", UNIT, "50000.00"))
ADJUSTMENTS = adjustment_rows(adjustment("TZ001", "2023-03-15", "ZB001", "追减", "-5000.00", reason="压减"),
                              adjustment("TZ002", "2023-03-20", "ZB002", "追加", "2000.00", reason="追加"))
PAYMENTS = payment_rows(payment("ZF001", "2023-03-01", "100.00", unit=UNIT, quota="ZB001"),
                        payment("ZF002", "2023-03-02", "200.00", unit=UNIT, quota="ZB002"))


def settle(path: Path, mtime: float = SETTLED) -> Path:
    os.utime(path, (mtime, mtime))
    return path


def names(moved) -> list[str]:
    return [name for name, _, _ in moved]


def test_the_inbox_takes_an_adjustment_named_before_its_quota_export_and_tells_no_one(factory, tmp_path, now):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    adjustments = settle(write_xlsx(inbox / "2023-03-15_调整单.xlsx", ADJUSTMENTS))
    quota = settle(write_xlsx(inbox / "2023-03-31_指标明细.xlsx", QUOTA_2023))
    assert sorted([quota.name, adjustments.name]) == [adjustments.name, quota.name]  # by name, adjustments first
    told = []

    report = process_inbox(factory, inbox, now=now, clock=lambda: CLOCK, tell=lambda o, where: told.append(o))

    assert names(report.ingested) == [quota.name, adjustments.name], [o.problems for *_, o in report.refused]
    assert [o.kind for *_, o in report.ingested] == ["quota", "adjustments"]
    assert report.refused == [] and told == []
    assert sorted(p.name for p in (inbox / "refused").iterdir()) == []


def test_an_adjustment_waits_while_another_export_is_still_being_written(factory, tmp_path, now):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    adjustments = settle(write_xlsx(inbox / "2023-03-15_调整单.xlsx", ADJUSTMENTS))
    quota = settle(write_xlsx(inbox / "2023-03-31_指标明细.xlsx", QUOTA_2023), mtime=CLOCK - 1)  # still copying
    told = []

    first = process_inbox(factory, inbox, now=now, clock=lambda: CLOCK, tell=lambda o, where: told.append(o))

    assert first.waiting == [adjustments.name, quota.name] and not (first.ingested or first.refused)
    assert adjustments.exists() and told == []
    later = process_inbox(factory, inbox, now=now, clock=lambda: CLOCK + 2, tell=lambda o, where: told.append(o))
    assert names(later.ingested) == [quota.name, adjustments.name] and later.waiting == [] and told == []


def test_an_adjustment_without_its_quota_export_says_to_import_that_first(factory, tmp_path, now):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    settle(write_xlsx(inbox / "调整单.xlsx", ADJUSTMENTS))

    report = process_inbox(factory, inbox, now=now, clock=lambda: CLOCK)

    (outcome,) = [o for *_, o in report.refused]
    assert [p.code for p in outcome.problems] == ["adjustment_unknown_year"]
    message = outcome.problems[0].message("zh")
    assert "先导入指标明细导出，再导入本调整单" in message and "一起放入收件箱" in message
    assert "put that year's quota export in the inbox together" in outcome.problems[0].message("en")


def test_ingest_with_the_files_in_the_wrong_order_takes_both(database_url, tmp_path):
    adjustments = write_csv(tmp_path / "调整单.csv", ADJUSTMENTS)
    quota = write_xlsx(tmp_path / "指标明细.xlsx", QUOTA_2023)

    run = CliRunner().invoke(cli, ["--db", database_url, "ingest", str(adjustments), str(quota), "--json"],
                             env={}, catch_exceptions=False)

    assert run.exit_code == 0, run.output
    files = json.loads(run.output)["files"]
    assert [(Path(f["path"]).name, f["kind"], f["status"]) for f in files] == [  # listed as given
        ("调整单.csv", "adjustments", "ingested"), ("指标明细.xlsx", "quota", "ingested")]


def test_a_progress_report_and_its_target_table_in_one_batch(factory, tmp_path, now):
    progress = gbk_csv(tmp_path / "完成情况.csv", GOOD_PROGRESS)
    targets = write_xlsx(tmp_path / "绩效目标表.xlsx", target_table(), MERGES)
    quota = gbk_csv(tmp_path / "指标.csv", QUOTA)

    outcomes = ingest_paths(factory, [progress, targets, quota], now=now)

    assert [(o.path.name, o.kind, o.status) for o in outcomes] == [
        ("完成情况.csv", "progress", "ingested"), ("绩效目标表.xlsx", "targets", "ingested"),
        ("指标.csv", "quota", "ingested")], [o.problems for o in outcomes]
    assert outcomes[0].inserted == 4 and len(stored_progress(factory)) == 4
    assert outcomes[2].import_id < outcomes[1].import_id < outcomes[0].import_id  # the import's order


def test_payments_and_their_quota_export_in_one_inbox_pass_leave_no_payment_unmatched(factory, tmp_path, now):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    payments = settle(write_csv(inbox / "2023-03-31_支付明细.csv", PAYMENTS))
    quota = settle(write_xlsx(inbox / "指标明细.xlsx", QUOTA_2023))

    report = process_inbox(factory, inbox, now=now, clock=lambda: CLOCK)

    assert names(report.ingested) == [quota.name, payments.name]
    paid = report.ingested[1][2]
    assert paid.kind == "payments" and [n.code for n in paid.notes] == []
    with transaction(factory) as session:
        assert unmatched_payments(session, 2023).payments == 0


def test_a_file_of_no_known_kind_keeps_its_place_and_is_refused_as_before(factory, tmp_path, now):
    adjustments = write_csv(tmp_path / "a_调整单.csv", ADJUSTMENTS)
    unknown = write_csv(tmp_path / "b_说明.csv", [["说明"], ["这不是导出文件"]])
    quota = write_csv(tmp_path / "c_指标明细.csv", QUOTA_2023)

    outcomes = ingest_paths(factory, [adjustments, unknown, quota], now=now)

    assert [(o.path.name, o.status) for o in outcomes] == [
        (adjustments.name, "ingested"), (unknown.name, "refused"), (quota.name, "ingested")]
    assert [p.code for p in outcomes[1].problems] == ["no_header"]
    assert outcomes[2].import_id < outcomes[0].import_id


def test_files_of_one_kind_keep_their_order(factory, tmp_path, now):
    march = write_csv(tmp_path / "2023-03-31_指标.csv", QUOTA_2023)
    june = write_csv(tmp_path / "2023-06-30_指标.csv", quota_export(
        dt.date(2023, 6, 30), quota_line("ZB001", UNIT, "100000.00", "-5000.00"),
        quota_line("ZB002", UNIT, "50000.00")))
    pay = write_csv(tmp_path / "0_支付.csv", PAYMENTS)

    seen = []
    outcomes = ingest_paths(factory, [pay, march, june], now=now,
                            progress=lambda path, phase, done, total: seen.append(path.name))

    assert list(dict.fromkeys(seen)) == [march.name, june.name, pay.name]  # the import's order
    assert [o.path.name for o in outcomes] == [pay.name, march.name, june.name]  # listed as given
    assert all(o.status == "ingested" for o in outcomes), [o.problems for o in outcomes]
