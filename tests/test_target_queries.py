"""``load_targets``: each stored target with its progress up to a date and, for a target in money,
what its project (or its unit) spent by then — summed in SQL, counted as the engine counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from db.engine import transaction
from db.models import Payment, Project, QuotaLine, Unit
from db.target_queries import ProgressReport, load_targets
from jobs.ingest import ingest_file
from tests.target_helpers import (  # noqa: F401  (fixtures)
    ELDER_CODE,
    PAYMENTS,
    UNIT_TARGETS,
    gbk_csv,
    progress_file,
    quota,
    targets_file,
)

D = Decimal
JUNE = dt.date(2024, 6, 30)


@pytest.fixture
def facts(factory, now, tmp_path, progress_file):
    """Targets of a project and of the unit as a whole, progress, and the year's payments."""
    for name, rows in (("整体.csv", UNIT_TARGETS), ("支付.csv", PAYMENTS)):
        outcome = ingest_file(factory, gbk_csv(tmp_path / name, rows), now=now)
        assert outcome.status == "ingested", outcome.problems

    def at(as_of: dt.date, unit_ids=None):
        with transaction(factory) as session:
            return {f.name: f for f in load_targets(session, 2024, as_of, unit_ids)}

    return at


def counted_by_hand(factory, project_code: str | None, economic_prefix: str | None, as_of: dt.date) -> Decimal:
    """The same figure from the payment rows one by one, with the importer's rule of what counts:
    paid rows, and negative (reversal) rows marked 已退回; owned by the quota line when it is known."""
    with transaction(factory) as session:
        lines = {q.quota_no: q for q in session.scalars(select(QuotaLine).where(QuotaLine.budget_year == 2024))}
        projects = {p.id: p.code for p in session.scalars(select(Project))}
        payments = list(session.scalars(select(Payment).where(Payment.budget_year == 2024)))
    total = D("0.00")
    for p in payments:
        counts = p.status == "paid" or (p.status == "returned" and p.amount < 0)
        line = lines.get(p.quota_no)
        project = projects.get(line.project_id) if line else None
        economic = line.economic_class if line else None
        if not counts or p.pay_date > as_of:
            continue
        if project_code is not None and project != project_code:
            continue
        if economic_prefix is not None and not (economic or "").startswith(economic_prefix):
            continue
        total += p.amount
    return total


def test_a_cost_target_spends_its_projects_counted_payments_of_its_economic_class(facts, factory):
    june = facts(JUNE)
    assert june["聘请人员劳务费"].spent == D("19000.00") == counted_by_hand(factory, ELDER_CODE, "30226", JUNE)
    assert june["科普培训支出及差旅费成本"].spent == D("7000.00") == counted_by_hand(factory, ELDER_CODE, "30211", JUNE)
    july = facts(dt.date(2024, 7, 31))
    assert july["聘请人员劳务费"].spent == D("28000.00") == counted_by_hand(factory, ELDER_CODE, "30226",
                                                                          dt.date(2024, 7, 31))


def test_a_money_target_without_a_class_spends_its_whole_project_and_a_unit_target_its_whole_unit(facts, factory):
    june = facts(JUNE)
    assert june["各种科普活动服务费"].spent == D("20000.00") == counted_by_hand(factory, "158001240001", None, JUNE)
    # The unit's own payments: its lines' and the one against no known quota line (300.00).
    assert june["单位整体支出"].spent == D("46800.00") == counted_by_hand(factory, None, None, JUNE)


def test_targets_not_in_money_have_no_spent_amount_and_money_targets_with_nothing_paid_have_zero(facts):
    june = facts(dt.date(2024, 1, 31))
    assert june["开展科普讲座科技培训场次"].spent is None
    assert june["群众满意度(%)"].spent is None
    assert june["聘请人员劳务费"].spent == D("0")


def test_only_the_progress_reports_up_to_the_date_are_returned_oldest_first(facts):
    march = facts(dt.date(2024, 3, 31))["开展科普讲座科技培训场次"]
    assert march.reports == (ProgressReport(dt.date(2024, 3, 31), D("8"), "一季度讲座", "file"),)
    june = facts(JUNE)["开展科普讲座科技培训场次"]
    assert [(r.reported_on, r.actual) for r in june.reports] == [(dt.date(2024, 3, 31), D("8")), (JUNE, D("17"))]
    assert june.latest == ProgressReport(JUNE, D("17"), None, "file")


def test_a_target_comes_back_with_every_stored_field_as_plain_values(facts):
    target = facts(JUNE)["开展科普讲座科技培训场次"]
    assert (target.budget_year, target.unit_code, target.unit_name, target.project_code, target.project_name) == (
        2024, "158001", "乌鲁木齐市科学技术协会", ELDER_CODE, "老年科技工作者协会活动经费")
    assert (target.level1, target.level2, target.target_text, target.operator, target.value, target.measure,
            target.weight, target.leader, target.due_on, target.window_start, target.economic_class) == (
        "产出指标", "数量指标", ">=35 场次", ">=", D("35"), "场次", D("20"), "武文彤", dt.date(2024, 12, 31),
        None, None)
    assert target.milestones == ((dt.date(2024, 3, 31), D("9")), (JUNE, D("18")), (dt.date(2024, 9, 30), D("27")),
                                 (dt.date(2024, 12, 31), D("35")))
    whole = facts(JUNE)["成立科普基地"]
    assert (whole.project_code, whole.window_start, whole.due_on) == (None, dt.date(2024, 3, 1), dt.date(2024, 11, 30))


def test_targets_can_be_limited_to_some_units(facts, factory):
    with transaction(factory) as session:
        unit_id = session.scalar(select(Unit.id).where(Unit.code == "158001"))
    assert len(facts(JUNE, [unit_id])) == 10
    assert facts(JUNE, [unit_id + 1000]) == {}


# --- money targets without an economic class: measured from payments only when alone ------------

SCIENCE_CAPS = [  # 科普经费's cost caps partition its budget (61.85 + 15 + 30 = 106.85 万元); no 经济分类
    ["单位整体绩效目标表（2024年）"],
    ["预算单位", "项目", "一级指标", "二级指标", "三级指标", "指标值"],
    ["158001 - 乌鲁木齐市科学技术协会", "158001240001 - 科普经费", "成本指标", "经济成本指标", "科技工作者慰问成本",
     "<=15万元"],
    ["158001 - 乌鲁木齐市科学技术协会", "158001240001 - 科普经费", "成本指标", "经济成本指标", "融媒体宣传服务费",
     "<=30万元"],
]


def test_several_money_targets_of_a_project_without_a_class_need_reports_instead_of_the_whole_project(
        facts, factory, now, tmp_path):
    before = facts(JUNE)
    assert before["各种科普活动服务费"].spent == D("20000.00")  # alone: the project's payments
    assert ingest_file(factory, gbk_csv(tmp_path / "科普经费.csv", SCIENCE_CAPS), now=now).status == "ingested"

    june = facts(JUNE)

    for name in ("各种科普活动服务费", "科技工作者慰问成本", "融媒体宣传服务费"):
        assert (june[name].spent, june[name].needs_report) == (None, True), name
    # a class, or alone for its owner: still measured from payments
    assert (june["聘请人员劳务费"].spent, june["聘请人员劳务费"].needs_report) == (D("19000.00"), False)
    assert (june["单位整体支出"].spent, june["单位整体支出"].needs_report) == (D("46800.00"), False)
    assert june["开展科普讲座科技培训场次"].needs_report is False  # not money


def test_a_second_unit_wide_money_target_without_a_class_makes_both_need_reports(facts, factory, now, tmp_path):
    second = [UNIT_TARGETS[0], UNIT_TARGETS[1],
              ["158001 - 乌鲁木齐市科学技术协会", "", "成本指标", "经济成本指标", "公用经费", "<=20万元",
               "", "", "", ""]]
    assert ingest_file(factory, gbk_csv(tmp_path / "整体2.csv", second), now=now).status == "ingested"
    june = facts(JUNE)
    assert (june["单位整体支出"].spent, june["公用经费"].spent) == (None, None)
    assert june["单位整体支出"].needs_report and june["公用经费"].needs_report
    assert june["各种科普活动服务费"].spent == D("20000.00")  # a project's target is not the unit's


def test_a_target_needing_a_report_is_evaluated_from_its_reports(facts, factory, now, tmp_path):
    from jobs.targets_eval import target_of
    from monitor.targets import Report, evaluate_target

    assert ingest_file(factory, gbk_csv(tmp_path / "科普经费.csv", SCIENCE_CAPS), now=now).status == "ingested"
    fees = facts(JUNE)["科技工作者慰问成本"]
    target = target_of(fees)
    assert not target.measured_from_payments
    assert evaluate_target(target, [], JUNE, spent=fees.spent).status == "no_data"  # not 20,000 of 150,000
    status = evaluate_target(target, [Report(JUNE, D("14"))], JUNE, spent=fees.spent)
    assert (status.actual, status.status) == (D("14"), "cap_near")
