"""Who a row belongs to, and what a later export may change (issue 16, cases 7, 11, 12, 15c), through
the real importer on real files, on SQLite and PostgreSQL.

- A department named only in a title row, by the config or by the unit code is the units'
  department; with none, the import says so and names the config line to add.
- A payment no quota export explains is taken, listed as unmatched, and no phantom unit with no
  budget appears in the figures until its quota export arrives.
- A column a later export lacks keeps the stored values; an older export imported late never
  undoes a newer one, for any field; a line moved to another unit and two names for one unit
  code are said; 更新 counts only the rows where a stored value changed.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D

from sqlalchemy import select

from db.engine import transaction
from db.models import Department, Payment, Project, QuotaLine, Unit
from jobs.execution import ExecutionSettings, status
from jobs.ingest.report import outcome_lines
from tests.conftest import NOW
from tests.helpers import ingest_rows, payment, payment_rows, quota_export, quota_line

DEFAULT = ExecutionSettings()
A = "901001 - 市测试局本级"
B = "901002 - 市测试中心"
JAN3, JUN30, DEC31 = dt.date(2023, 1, 3), dt.date(2023, 6, 30), dt.date(2023, 12, 31)
WATER_HEADER = ["指标明细号", "预算年度", "预算单位", "功能分类", "经济分类", "年初预算数", "调整数", "调整后预算数"]


def water_quota(title_rows, *units: str, first: int = 1) -> list[list]:
    """A quota export of 乌鲁木齐市水务局 with no 主管部门 column: one line per unit."""
    lines = [[f"ZB{n}", 2023, unit, "2130101 - 行政运行", "30201 - 办公费", "100000.00", "0.00", "100000.00"]
             for n, unit in enumerate(units, first)]
    return [*title_rows, WATER_HEADER, *lines]


def codes(outcome) -> list[str]:
    return [n.code for n in getattr(outcome, "notes", ())]


def departments_of(factory) -> dict[str, str | None]:
    with transaction(factory) as session:
        return {u: d for u, d in session.execute(select(Unit.code, Department.code)
                                                 .outerjoin(Department, Department.id == Unit.department_id))}


def entity(report, level: str, code: str):
    return next(s for s in report.statuses if s.entity.level == level and s.entity.code == code)


# --- case 7: the department of a file with no 主管部门 column ---------------------------------

def test_a_department_named_only_in_the_title_row_is_its_units_department(factory, tmp_path):
    rows = water_quota([["单位指标额度查询导出明细表"], ["主管部门：312 乌鲁木齐市水务局    金额单位：元"]],
                       "312001 - 乌鲁木齐市水务局本级", "312002 - 乌鲁木齐市水利工程管理处")
    outcome = ingest_rows(factory, tmp_path / "q.csv", rows, now=NOW)
    assert departments_of(factory) == {"312001": "312", "312002": "312"}
    with transaction(factory) as session:
        assert session.scalar(select(Department.name).where(Department.code == "312")) == "乌鲁木齐市水务局"
    assert codes(outcome) == ["department_from_title"]
    assert "取自标题行" in "\n".join(outcome_lines(outcome)) and "312 乌鲁木齐市水务局" in outcome_lines(outcome)[1]
    report = status(factory, year=2023, as_of=JUN30, settings=DEFAULT)
    assert {s.entity.code for s in report.statuses if s.entity.level == "department"} == {"312"}


def test_the_title_row_may_say_it_several_ways():
    from jobs.ingest.departments import from_title

    assert from_title([["主管部门：312 乌鲁木齐市水务局"]]) == ("312", "乌鲁木齐市水务局")
    assert from_title([["部门：[312]乌鲁木齐市水务局", "", "单位：元"]]) == ("312", "乌鲁木齐市水务局")
    assert from_title([["主管部门名称：乌鲁木齐市水务局"]]) == (None, "乌鲁木齐市水务局")
    assert from_title([["预算单位：312001 乌鲁木齐市水务局本级"]]) is None


def test_the_config_gives_a_units_department_and_the_outcome_says_so(factory, tmp_path):
    from jobs.ingest.departments import DepartmentRules

    rows = water_quota([["单位指标额度查询导出明细表"]], "312001 - 乌鲁木齐市水务局本级")
    rules = DepartmentRules(units={"312001": "312"}, names={"312": "乌鲁木齐市水务局"})
    outcome = ingest_rows(factory, tmp_path / "q.csv", rows, now=NOW, departments=rules)
    assert departments_of(factory) == {"312001": "312"}
    assert codes(outcome) == ["department_from_config"]


def test_the_unit_code_prefix_names_a_known_department_only(factory, tmp_path):
    from jobs.ingest.departments import DepartmentRules

    ingest_rows(factory, tmp_path / "q0.csv", quota_export(JAN3, quota_line("ZB0", A, "1000.00")), now=NOW)  # 901
    rows = water_quota([["单位指标额度查询导出明细表"]], "901009 - 市测试所", "777001 - 不知哪个部门")
    outcome = ingest_rows(factory, tmp_path / "q.csv", rows, now=NOW, departments=DepartmentRules(prefix=3))
    assert departments_of(factory) == {"901001": "901", "901009": "901", "777001": None}
    assert codes(outcome) == ["department_from_prefix", "department_unknown"]


def test_a_unit_with_no_known_department_is_said_at_import_with_the_config_line_to_add(factory, tmp_path):
    from jobs.ingest.departments import DepartmentRules

    rows = water_quota([["单位指标额度查询导出明细表"]], "312001 - 乌鲁木齐市水务局本级", "312002 - 水利工程管理处")
    path = tmp_path / "q.csv"
    outcome = ingest_rows(factory, path, rows, now=NOW)
    assert codes(outcome) == ["department_unknown"]
    told = "\n".join(outcome_lines(outcome))
    assert "警告：2 个预算单位没有主管部门（312001、312002）" in told
    assert '[ingest.unit_departments] "312001"' in told and "department_from_unit_code" in told
    assert "warning: 2 budget unit(s) have no department" in "\n".join(outcome_lines(outcome, "en"))
    # The config line added, the same file imported again (unchanged) places the units.
    from jobs.ingest import ingest_file

    again = ingest_file(factory, path, now=NOW, departments=DepartmentRules(units={"312001": "312", "312002": "312"},
                                                                           names={"312": "乌鲁木齐市水务局"}))
    assert again.status == "unchanged" and codes(again) == ["department_linked"]
    assert departments_of(factory) == {"312001": "312", "312002": "312"}


# --- case 11: payments no quota export explains -----------------------------------------------

def test_a_payment_of_a_unit_no_quota_export_has_is_listed_not_a_phantom_unit(factory, tmp_path):
    from db.unmatched import unmatched_payments

    ingest_rows(factory, tmp_path / "q.csv", quota_export(JAN3, quota_line("ZB1", A, "600000.00")), now=NOW)
    outcome = ingest_rows(factory, tmp_path / "p.csv", payment_rows(
        payment("P1", "2023-02-10", "60,000.00", unit=A, quota="ZB1"),
        payment("P2", "2023-02-11", "7,000.00", unit="901777 - 市幽灵单位", quota="ZB777"),
        payment("P3", "2023-02-12", "3,000.00", unit=A, quota="ZB-NEW")), now=NOW)
    assert codes(outcome) == ["department_unknown", "unmatched_payments"]
    told = outcome_lines(outcome)[-1]
    assert "2 笔支付（10,000.00 元）" in told and "P2（指标 ZB777，单位 901777）" in told and "第 5 行" in told
    report = status(factory, year=2023, as_of=JUN30, settings=DEFAULT)
    assert "901777" not in {s.entity.code for s in report.statuses}, "no unit with no budget, overspent"
    assert entity(report, "unit", "901001").entity.paid == D("63000.00")  # its own unknown line still counts
    with transaction(factory) as session:
        unmatched = unmatched_payments(session, 2023, JUN30)
    assert (unmatched.payments, unmatched.amount) == (2, D("10000.00"))
    assert [(u.code, u.payments, u.amount, u.budgeted) for u in unmatched.units] == [
        ("901001", 1, D("3000.00"), True), ("901777", 1, D("7000.00"), False)]
    # The quota export that explains them arrives: nothing unmatched, the unit has its budget.
    ingest_rows(factory, tmp_path / "q2.csv", quota_export(
        dt.date(2023, 3, 1), quota_line("ZB1", A, "600000.00"), quota_line("ZB-NEW", A, "5000.00"),
        quota_line("ZB777", "901777 - 市幽灵单位", "9000.00")), now=NOW)
    with transaction(factory) as session:
        assert unmatched_payments(session, 2023, JUN30).payments == 0
    ghost = entity(status(factory, year=2023, as_of=JUN30, settings=DEFAULT), "unit", "901777").entity
    assert (ghost.budget, ghost.paid) == (D("9000.00"), D("7000.00"))


# --- case 12: what a later (or an older) export may change --------------------------------------

PAYEE_HEADER = ["支付申请号", "支付日期", "预算单位", "指标明细号", "支付金额", "收款人", "摘要"]


def test_columns_a_later_export_lacks_keep_what_an_earlier_one_said(factory, tmp_path):
    ingest_rows(factory, tmp_path / "q.csv", quota_export(
        JAN3, quota_line("ZB1", B, "300000.00", project="901002230001 - 检测能力建设",
                         economic="30217 - 公务接待费", three_public=True)), now=NOW)
    ingest_rows(factory, tmp_path / "p.csv",
                [PAYEE_HEADER, ["P1", "2023-02-10", B, "ZB1", "1000.00", "某公司", "接待"]], now=NOW)
    # A year-end quota export with only the line, its unit and amounts; a payment export without 收款人.
    year_end = [["指标明细导出"], ["截至2023年12月31日"],
                ["指标明细号", "预算单位", "年初预算数", "调整数", "调整后预算数"],
                ["ZB1", B, "300000.00", "0.00", "300000.00"]]
    quota_outcome = ingest_rows(factory, tmp_path / "q-end.csv", year_end, now=NOW)
    payment_outcome = ingest_rows(factory, tmp_path / "p-end.csv", [
        ["支付申请号", "支付日期", "预算单位", "指标明细号", "支付金额"], ["P1", "2023-02-10", B, "ZB1", "1000.00"]],
        now=NOW)
    with transaction(factory) as session:
        line = session.scalars(select(QuotaLine)).one()
        paid = session.scalars(select(Payment)).one()
        assert (line.economic_class, line.functional_class, line.three_public, line.expense_type) == (
            "30217", "2010101", True, "project")
        assert line.project_id is not None
        assert (paid.payee, paid.purpose) == ("某公司", "接待")
    # case 15c: nothing changed, nothing reported as updated
    assert (quota_outcome.updated, quota_outcome.unchanged) == (0, 1)
    assert (payment_outcome.updated, payment_outcome.unchanged) == (0, 1)


def test_an_older_export_imported_late_never_undoes_a_newer_one(factory, tmp_path):
    ingest_rows(factory, tmp_path / "q-jun.csv", quota_export(
        JUN30, quota_line("ZB1", "901001 - 市测试局(新名)", "600000.00", functional="2010102 - 一般行政管理事务",
                          project="P01 - 新项目名")), now=NOW)
    ingest_rows(factory, tmp_path / "p-jun.csv", [
        ["支付明细导出"], ["截至2023年6月30日"], PAYEE_HEADER,
        ["P1", "2023-02-10", "901001 - 市测试局(新名)", "ZB1", "1000.00", "新收款人", "新摘要"]], now=NOW)
    older_quota = ingest_rows(factory, tmp_path / "q-jan.csv", quota_export(
        JAN3, quota_line("ZB1", "901001 - 市测试局（旧名）", "600000.00", functional="2010101 - 行政运行",
                         project="P01 - 旧项目名")), now=NOW)
    ingest_rows(factory, tmp_path / "p-mar.csv", [
        ["支付明细导出"], ["截至2023年3月31日"], PAYEE_HEADER,
        ["P1", "2023-02-10", "901001 - 市测试局（旧名）", "ZB1", "1000.00", "旧收款人", "旧摘要"]], now=NOW)
    with transaction(factory) as session:
        assert session.scalar(select(Unit.name).where(Unit.code == "901001")) == "市测试局(新名)"
        assert session.scalar(select(Project.name).where(Project.code == "P01")) == "新项目名"
        line = session.scalars(select(QuotaLine)).one()
        assert (line.functional_class, line.functional_name) == ("2010102", "一般行政管理事务")
        paid = session.scalars(select(Payment)).one()
        assert (paid.payee, paid.purpose) == ("新收款人", "新摘要")
    assert older_quota.updated == 0


def test_a_line_moved_to_another_unit_is_said_naming_the_line_and_both_units(factory, tmp_path):
    ingest_rows(factory, tmp_path / "q.csv", quota_export(JAN3, quota_line("ZB1", A, "600000.00"),
                                                          quota_line("ZB2", B, "100000.00")), now=NOW)
    ingest_rows(factory, tmp_path / "p.csv",
                payment_rows(payment("P1", "2023-02-10", "60,000.00", unit=A, quota="ZB1")), now=NOW)
    outcome = ingest_rows(factory, tmp_path / "q2.csv", quota_export(
        dt.date(2023, 3, 1), quota_line("ZB1", B, "600000.00"), quota_line("ZB2", B, "100000.00")), now=NOW)
    assert codes(outcome) == ["line_moved"]
    told = outcome_lines(outcome)[-1]
    assert "指标 ZB1（2023 年）原属 901001 市测试局本级，此文件改为 901002 市测试中心" in told
    assert "1 笔支付（60,000.00 元）" in told and "第4行" in told
    assert outcome.updated == 1


def test_a_paid_payment_whose_amount_a_later_export_changes_is_said(factory, tmp_path):
    """Found by the new-user trial: a one-row file raising a paid voucher by 100.00 said only
    "更新 1". A correction is taken, but named, with the old and new amounts."""
    ingest_rows(factory, tmp_path / "q.csv", quota_export(JAN3, quota_line("ZB1", A, "600000.00")), now=NOW)
    ingest_rows(factory, tmp_path / "p.csv", payment_rows(
        payment("P1", "2023-02-10", "11,594.03", unit=A, quota="ZB1"),
        payment("P2", "2023-02-11", "500.00", unit=A, quota="ZB1", status="待支付")), now=NOW)
    outcome = ingest_rows(factory, tmp_path / "p2.csv", payment_rows(
        payment("P1", "2023-02-10", "11,694.03", unit=A, quota="ZB1"),
        payment("P2", "2023-02-11", "400.00", unit=A, quota="ZB1", status="待支付")), now=NOW)
    assert codes(outcome) == ["paid_amount_changed"]  # not the pending one: it counts nowhere yet
    told = outcome_lines(outcome)[-1]
    assert "1 笔已支付凭证的金额与此前导入的不同" in told and "P1 11,594.03 → 11,694.03" in told
    assert "合计变动 100.00 元" in told
    assert outcome.updated == 2
    again = ingest_rows(factory, tmp_path / "p3.csv", payment_rows(
        payment("P1", "2023-02-10", "11,694.03", unit=A, quota="ZB1"),
        payment("P2", "2023-02-11", "400.00", unit=A, quota="ZB1", status="已支付")), now=NOW)
    assert codes(again) == []  # paid at last: its first paid amount, nothing changed


def test_two_names_for_one_unit_code_in_one_export_are_said(factory, tmp_path):
    outcome = ingest_rows(factory, tmp_path / "q.csv", quota_export(
        JAN3, quota_line("ZB1", A, "600000.00"), quota_line("ZB2", "901001 - 市测试局机关", "1000.00"),
        quota_line("ZB3", A, "1000.00")), now=NOW)
    assert codes(outcome) == ["unit_two_names"]
    told = outcome_lines(outcome)[-1]
    assert "901001" in told and "“市测试局本级”（第 4, 6 行）" in told and "“市测试局机关”（第 5 行）" in told


def test_a_year_end_export_that_changes_no_figure_reports_no_update(factory, tmp_path):
    """Case 15c: a year-end export without 项目 / 支出类型 / 三公经费 columns said "更新 1201"."""
    first = quota_export(JAN3, quota_line("ZB1", B, "300000.00", project="901002230001 - 检测能力建设"),
                         quota_line("ZB2", A, "100000.00", economic="30217 - 公务接待费", three_public=True))
    ingest_rows(factory, tmp_path / "q.csv", first, now=NOW)
    kept = [i for i, name in enumerate(first[2]) if name not in ("项目", "支出类型", "三公经费")]
    year_end = [first[0], ["预算年度：2023年    截至2023年12月31日    金额单位：元"],
                *([row[i] for i in kept] for row in first[2:])]
    outcome = ingest_rows(factory, tmp_path / "q-end.csv", year_end, now=NOW)
    assert (outcome.inserted, outcome.updated, outcome.unchanged) == (0, 0, 2)
    assert "新增 0，更新 0，未变 2" in outcome_lines(outcome)[0]


# --- the commands a finance officer runs ---------------------------------------------------------

def _invoke(*args):
    from click.testing import CliRunner

    from jobs.cli.app import cli

    return CliRunner().invoke(cli, list(args), env={}, catch_exceptions=False)


def test_ingest_status_and_health_say_the_department_and_the_unmatched_payments(tmp_path, database_url):
    from tests.helpers import write_csv

    config = tmp_path / "budget-monitor.toml"
    config.write_text('[ingest]\ndepartment_from_unit_code = 3\n[ingest.departments]\n"312" = "乌鲁木齐市水务局"\n',
                      encoding="utf-8")
    config.chmod(0o600)
    quota = write_csv(tmp_path / "q.csv", water_quota([["单位指标额度查询导出明细表"], ["截至2023年1月3日"]],
                                                      "312001 - 乌鲁木齐市水务局本级"))
    pay = write_csv(tmp_path / "p.csv", payment_rows(
        payment("P1", "2023-02-10", "6,000.00", unit="312001 - 乌鲁木齐市水务局本级", quota="ZB1"),
        payment("P2", "2023-02-11", "7,000.00", unit="312009 - 新设单位", quota="ZB9")))
    run = _invoke("--db", database_url, "--config", str(config), "ingest", str(quota), str(pay))
    assert run.exit_code == 0, run.output
    assert "按单位编码前几位确定" in run.output and "312 乌鲁木齐市水务局" in run.output
    assert "警告：1 笔支付（7,000.00 元）" in run.output and "P2（指标 ZB9，单位 312009）" in run.output
    shown = _invoke("--db", database_url, "--config", str(config), "status", "--as-of", "2023-06-30")
    assert shown.exit_code == 0, shown.output
    assert "未匹配指标的支付 1 笔 7,000.00 元" in shown.output and "312009 新设单位" in shown.output
    assert "未计入执行" in shown.output
    document = json.loads(_invoke("--db", database_url, "--config", str(config), "status", "--as-of", "2023-06-30",
                                  "--json").output)
    assert document["unmatched_payments"]["count"] == 1
    assert {e["code"] for e in document["entities"] if e["level"] == "unit"} == {"312001"}, "no phantom unit"
    assert {e["department"] for e in document["entities"]} == {"312"}
    import time_machine

    with time_machine.travel(dt.datetime(2023, 6, 30, 10, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False):
        health = json.loads(_invoke("--db", database_url, "--config", str(config), "health", "--json").output)
    warnings = {w["check"]: w["detail"] for w in health["warnings"]}
    assert "未匹配指标的支付 1 笔 7,000.00 元" in warnings["unmatched"]
    assert "departments" not in warnings  # 312009 placed by its code's prefix, 312 being known


def test_health_names_the_units_without_a_department(tmp_path, database_url):
    from tests.helpers import write_csv

    quota = write_csv(tmp_path / "q.csv", water_quota([["单位指标额度查询导出明细表"]], "312001 - 水务局本级"))
    assert _invoke("--db", database_url, "ingest", str(quota)).exit_code == 0
    health = json.loads(_invoke("--db", database_url, "health", "--json").output)
    warnings = {w["check"]: w["detail"] for w in health["warnings"]}
    assert warnings["departments"].startswith("1 个预算单位没有主管部门（312001）")
    shown = _invoke("--db", database_url, "status", "--as-of", "2023-06-30")
    assert "注意：单位 312001 没有主管部门（部门显示为 ?）" in shown.output


def test_a_title_row_naming_a_known_department_without_its_code_places_the_units(factory, tmp_path):
    ingest_rows(factory, tmp_path / "q0.csv", quota_export(JAN3, quota_line("ZB0", A, "1000.00")), now=NOW)  # 901
    rows = water_quota([["主管部门名称：市测试局"]], "901009 - 市测试所")
    outcome = ingest_rows(factory, tmp_path / "q.csv", rows, now=NOW)
    assert departments_of(factory)["901009"] == "901"
    assert codes(outcome) == ["department_from_title"]
    unknown = ingest_rows(factory, tmp_path / "q2.csv", water_quota([["主管部门名称：不知名局"]], "555001 - 某所",
                                                                                first=5), now=NOW)
    assert codes(unknown) == ["department_unknown"] and departments_of(factory)["555001"] is None


def test_the_finance_staff_of_a_unit_no_quota_export_has_hear_of_its_payments_until_it_arrives(tmp_path, factory,
                                                                                             database_url):
    """Not a red "overspent" on a unit at budget 0: the no_budget notice on each line, to its
    finance staff, resolved by the quota export that explains the payments."""
    from jobs.config.settings import load_settings
    from jobs.evaluate import evaluate

    config = tmp_path / "budget-monitor.toml"
    config.write_text('[[people]]\nname = "幽灵财务"\nrole = "finance_staff"\nunits = ["901777"]\n'
                      '[[people]]\nname = "部门负责人"\nrole = "department_leader"\ndepartments = ["901"]\n',
                      encoding="utf-8")
    settings = load_settings(str(config), database=database_url, environ={})
    ingest_rows(factory, tmp_path / "q.csv", quota_export(JAN3, quota_line("ZB1", A, "600000.00")), now=NOW)
    ingest_rows(factory, tmp_path / "p.csv", payment_rows(
        payment("P1", "2023-02-10", "200,000.00", unit=A, quota="ZB1"),
        payment("P2", "2023-02-11", "7,000.00", unit="901777 - 市幽灵单位", quota="ZB777")), now=NOW)
    moment = dt.datetime(2023, 2, 27, 9, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    result = evaluate(factory, execution=settings.execution, alerts=settings.alerts, now=moment)
    assert not [f for f in result.findings if f.code == "901777" or f.rule == "overspent"]
    [notice] = [f for f in result.findings if f.rule == "no_budget"]
    assert (notice.level, notice.code, notice.facts["paid"], notice.routing["unit"]) == (
        "quota_line", "ZB777", "7000.00", "901777")
    told = {p.draft.recipient.name for p in result.messages if any(i.rule == "no_budget" for i in p.draft.items)}
    assert told == {"幽灵财务"}
    ingest_rows(factory, tmp_path / "q2.csv", quota_export(dt.date(2023, 2, 28), quota_line("ZB1", A, "600000.00"),
                                                           quota_line("ZB777", "901777 - 市幽灵单位", "9000.00")),
                now=NOW)
    later = evaluate(factory, execution=settings.execution, alerts=settings.alerts, now=moment + dt.timedelta(days=1))
    assert not [f for f in later.findings if f.rule == "no_budget"]


def test_the_department_settings_are_checked_when_the_config_is_read(tmp_path):
    import pytest

    from jobs.config.settings import load_settings
    from jobs.exceptions import ConfigError

    config = tmp_path / "budget-monitor.toml"
    config.write_text('[ingest]\ndepartment_from_unit_code = 3\n[ingest.unit_departments]\n"312001" = "312"\n',
                      encoding="utf-8")
    rules = load_settings(str(config), environ={}).departments
    assert (rules.prefix, dict(rules.units), rules.of_unit("312001"), rules.of_unit("158001")) == (
        3, {"312001": "312"}, ("312", "config"), ("158", "prefix"))
    config.write_text('[ingest]\ndepartment_from_unit_code = "three"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="department_from_unit_code"):
        load_settings(str(config), environ={})
