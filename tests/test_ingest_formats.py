"""Every input variation of the issue, with real files written by the tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from db.engine import transaction
from db.models import Adjustment, Department, Payment, QuotaLine, QuotaSnapshot, Unit
from db.queries import unit_totals
from jobs.ingest import ingest_file
from tests.helpers import (
    ingest_rows,
    payment,
    payment_rows,
    quota_export,
    quota_line,
    snapshot,
    write_csv,
    write_xls,
    write_xlsx,
)

QUOTA_TOP = ["指标明细号", "主管部门", "预算单位", None, "功能分类", "经济分类", "项目", "指标金额", None, None, "备注"]
QUOTA_BOTTOM = [None, None, "单位编码", "单位名称", None, None, None, "年初预算数", "调整数", "调整后预算数", None]
QUOTA_MERGES = ["A3:A4", "B3:B4", "C3:D3", "E3:E4", "F3:F4", "G3:G4", "H3:J3", "K3:K4"]


def quota_rows(unit_row: str = "预算年度：2023年    金额单位：元", lines=None, total=True):
    lines = lines or [
        ["ZB001", "158 - 乌鲁木齐市科学技术协会", "158001", "乌鲁木齐市科学技术协会", "2060701 - 机构运行",
         "30201 - 办公费", None, 372600.0, 36100.0, 408700.0, "随便写的备注"],
        ["ZB002", "158 - 乌鲁木齐市科学技术协会", "158003", "乌鲁木齐市科学技术馆", "2060704 - 科技馆站",
         "30299 - 其他商品和服务支出", "158003230001 - 场馆运行", 1255100.0, -330400.0, 924700.0, None],
    ]
    rows = [["单位指标额度查询导出明细表"], [unit_row], QUOTA_TOP, QUOTA_BOTTOM, *lines]
    if total:
        rows.append(["合计", None, None, None, None, None, None,
                     sum(l[7] for l in lines), sum(l[8] for l in lines), sum(l[9] for l in lines), None])
    return rows


def lines_of(factory):
    with transaction(factory) as session:
        return {q.quota_no: q for q in session.scalars(select(QuotaLine))}


def payments_of(factory):
    with transaction(factory) as session:
        return {p.payment_no: p for p in session.scalars(select(Payment))}


def paid_by_unit(factory, as_of=dt.date(2023, 12, 31)):
    with transaction(factory) as session:
        return {t.unit_code: t.paid for t in unit_totals(session, 2023, as_of)}


def test_a_quota_xlsx_with_title_rows_a_two_row_merged_header_and_a_totals_row_is_ingested(tmp_path, factory, now):
    path = write_xlsx(tmp_path / "指标.xlsx", quota_rows(), QUOTA_MERGES)
    outcome = ingest_file(factory, path, now=now)
    assert (outcome.status, outcome.kind, outcome.rows, outcome.budget_year) == ("ingested", "quota", 2, 2023)
    lines = lines_of(factory)
    assert lines["ZB001"].initial == Decimal("372600.00")
    assert lines["ZB001"].adjustment == Decimal("36100.00")
    assert lines["ZB001"].current == Decimal("408700.00")
    assert (lines["ZB002"].functional_class, lines["ZB002"].economic_class) == ("2060704", "30299")
    assert lines["ZB001"].expense_type == "basic" and lines["ZB002"].expense_type == "project"


def test_the_department_to_unit_hierarchy_comes_from_the_export(tmp_path, factory, now):
    ingest_file(factory, write_xlsx(tmp_path / "q.xlsx", quota_rows(), QUOTA_MERGES), now=now)
    with transaction(factory) as session:
        department = session.scalar(select(Department))
        units = {u.code: (u.name, u.department_id) for u in session.scalars(select(Unit))}
    assert (department.code, department.name) == ("158", "乌鲁木齐市科学技术协会")
    assert units == {"158001": ("乌鲁木齐市科学技术协会", department.id),
                     "158003": ("乌鲁木齐市科学技术馆", department.id)}


def test_amounts_in_wan_yuan_are_converted_to_yuan(tmp_path, factory, now):
    lines = [["ZB001", None, "158001", "科协", "2060701", "30201", None, 37.26, 3.61, 40.87, None]]
    path = write_xlsx(tmp_path / "q.xlsx", quota_rows("2023年度 单位：万元", lines), QUOTA_MERGES)
    outcome = ingest_file(factory, path, now=now)
    assert outcome.status == "ingested", outcome.problems
    assert lines_of(factory)["ZB001"].current == Decimal("408700.00")


def test_an_xls_file_is_read_like_an_xlsx(tmp_path, factory, now):
    rows = [["支付明细"], ["支付申请号", "支付日期", "预算单位", "支付金额"],
            ["P1", "2023-03-01", "158001 - 科协", 1000.5], ["P2", 45016, "158001 - 科协", 99]]
    outcome = ingest_file(factory, write_xls(tmp_path / "pay.xls", rows), now=now)
    assert outcome.status == "ingested", outcome.problems
    got = payments_of(factory)
    assert got["P1"].amount == Decimal("1000.50")
    assert got["P2"].pay_date == dt.date(2023, 3, 31)  # Excel serial 45016


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_a_csv_payment_export_reads_the_same_in_every_encoding(tmp_path, factory, now, encoding):
    rows = payment_rows(payment("P1", "2023-03-01", "1,000.50"), payment("P2", "2023/3/2", "200"),
                        total="1,200.50")
    outcome = ingest_file(factory, write_csv(tmp_path / "pay.csv", rows, encoding), now=now)
    assert (outcome.status, outcome.kind, outcome.rows) == ("ingested", "payments", 2)
    assert paid_by_unit(factory) == {"158001": Decimal("1200.50")}


def test_amount_notations_thousands_fullwidth_and_negatives_are_exact(tmp_path, factory, now):
    amounts = {"P1": ("1,234.56", "1234.56"), "P2": ("１，２３４．５６", "1234.56"), "P3": ("-100", "-100.00"),
               "P4": ("－100.5", "-100.50"), "P5": ("(1,234.00)", "-1234.00"), "P6": ("0.1", "0.10")}
    rows = payment_rows(*(payment(no, "2023-03-01", text) for no, (text, _) in amounts.items()))
    assert ingest_file(factory, write_csv(tmp_path / "p.csv", rows), now=now).status == "ingested"
    got = payments_of(factory)
    assert {no: got[no].amount for no in amounts} == {no: Decimal(v) for no, (_, v) in amounts.items()}


def test_every_date_notation_is_understood(tmp_path, factory, now):
    dates = {"P1": "2023-03-31", "P2": "2023/3/31", "P3": "20230331", "P4": "2023年3月31日", "P5": "45016"}
    rows = payment_rows(*(payment(no, text, "1") for no, text in dates.items()))
    assert ingest_file(factory, write_csv(tmp_path / "p.csv", rows), now=now).status == "ingested"
    assert {p.pay_date for p in payments_of(factory).values()} == {dt.date(2023, 3, 31)}


def test_excel_date_cells_and_numeric_ids_keep_their_meaning(tmp_path, factory, now):
    rows = [["支付申请号", "支付日期", "预算单位", "支付金额"],
            [2023000123, dt.datetime(2023, 3, 31), "158001 - 科协", 12.3]]
    assert ingest_file(factory, write_xlsx(tmp_path / "p.xlsx", rows), now=now).status == "ingested"
    got = payments_of(factory)
    assert got["2023000123"].pay_date == dt.date(2023, 3, 31)
    assert got["2023000123"].amount == Decimal("12.30")


def test_separate_code_and_name_columns_work_like_combined_cells(tmp_path, factory, now):
    rows = [["支付申请号", "支付日期", "单位编码", "单位名称", "功能分类编码", "经济分类编码", "项目编码", "项目名称",
             "支付金额"],
            ["P1", "2023-03-01", "158002", "乌鲁木齐市科普服务中心", "2060702", "30201", "XM1", "科普经费", "5"]]
    assert ingest_file(factory, write_csv(tmp_path / "p.csv", rows), now=now).status == "ingested"
    with transaction(factory) as session:
        unit = session.scalar(select(Unit))
        pay = session.scalar(select(Payment))
    assert (unit.code, unit.name) == ("158002", "乌鲁木齐市科普服务中心")
    assert (pay.functional_class, pay.economic_class) == ("2060702", "30201")


def test_returned_and_voided_payments_do_not_count_and_negative_rows_reverse(tmp_path, factory, now):
    rows = payment_rows(payment("P1", "2023-03-01", "1000"), payment("P2", "2023-03-02", "500", status="已退回"),
                        payment("P3", "2023-03-03", "300", status="已作废"), payment("R1", "2023-03-04", "-200"))
    assert ingest_file(factory, write_csv(tmp_path / "p.csv", rows), now=now).status == "ingested"
    assert paid_by_unit(factory) == {"158001": Decimal("800.00")}
    assert paid_by_unit(factory, dt.date(2023, 3, 3)) == {"158001": Decimal("1000.00")}


def test_reimporting_the_same_file_reports_unchanged_and_changes_nothing(tmp_path, engine, factory, now):
    path = write_csv(tmp_path / "p.csv", payment_rows(payment("P1", "2023-03-01", "1")), "gb18030")
    assert ingest_file(factory, path, now=now).status == "ingested"
    before = snapshot(engine)
    again = ingest_file(factory, path, now=now + dt.timedelta(days=1))
    assert (again.status, again.kind, again.rows) == ("unchanged", "payments", 1)
    assert snapshot(engine) == before


def test_reimporting_overlapping_q1_h1_and_full_year_exports_counts_no_payment_twice(tmp_path, factory, now):
    q1 = [payment("P1", "2023-01-10", "100"), payment("P2", "2023-03-20", "200")]
    h1 = [*q1, payment("P3", "2023-05-05", "300")]
    year = [*h1, payment("P4", "2023-11-11", "400"), payment("P5", "2023-12-29", "500")]
    outcomes = [ingest_file(factory, write_csv(tmp_path / f"{name}.csv", payment_rows(*rows)), now=now)
                for name, rows in (("q1", q1), ("h1", h1), ("year", year))]
    assert [(o.inserted, o.unchanged) for o in outcomes] == [(2, 0), (1, 2), (2, 3)]
    assert len(payments_of(factory)) == 5
    assert paid_by_unit(factory) == {"158001": Decimal("1500.00")}
    assert paid_by_unit(factory, dt.date(2023, 6, 30)) == {"158001": Decimal("600.00")}


def test_a_payment_returned_in_a_later_export_stops_counting(tmp_path, factory, now):
    ingest_file(factory, write_csv(tmp_path / "a.csv", payment_rows(payment("P1", "2023-03-01", "100"))), now=now)
    later = payment_rows(payment("P1", "2023-03-01", "100", status="已退回"), payment("P2", "2023-04-01", "7"))
    outcome = ingest_file(factory, write_csv(tmp_path / "b.csv", later), now=now)
    assert (outcome.inserted, outcome.updated) == (1, 1)
    assert paid_by_unit(factory) == {"158001": Decimal("7.00")}


def test_a_later_quota_export_updates_the_current_budget_and_keeps_the_earlier_one(tmp_path, factory, now):
    first = write_xlsx(tmp_path / "q1.xlsx", quota_rows("截至2023年3月31日 金额单位：元"), QUOTA_MERGES)
    lines = quota_rows("截至2023年6月30日 金额单位：元")[4:6]
    lines[0] = [*lines[0][:8], 136100.0, 508700.0, None]
    second = write_xlsx(tmp_path / "q2.xlsx", quota_rows("截至2023年6月30日 金额单位：元", lines), QUOTA_MERGES)
    assert ingest_file(factory, first, now=now).status == "ingested"
    outcome = ingest_file(factory, second, now=now)
    assert (outcome.status, outcome.updated, outcome.unchanged) == ("ingested", 1, 1)
    assert lines_of(factory)["ZB001"].current == Decimal("508700.00")
    with transaction(factory) as session:
        history = sorted((s.observed_on, s.current) for s in session.scalars(select(QuotaSnapshot))
                         if s.quota_line_id == lines_of(factory)["ZB001"].id)
    assert history == [(dt.date(2023, 3, 31), Decimal("408700.00")), (dt.date(2023, 6, 30), Decimal("508700.00"))]


def test_an_older_quota_export_imported_late_does_not_overwrite_a_newer_budget(tmp_path, factory, now):
    newer = quota_rows("截至2023年6月30日 金额单位：元")
    newer[4] = [*newer[4][:8], 136100.0, 508700.0, None]
    newer[-1] = ["合计", None, None, None, None, None, None, 1627700.0, -194300.0, 1433400.0, None]
    assert ingest_file(factory, write_xlsx(tmp_path / "new.xlsx", newer, QUOTA_MERGES), now=now).status == "ingested"
    old = write_xlsx(tmp_path / "old.xlsx", quota_rows("截至2023年3月31日 金额单位：元"), QUOTA_MERGES)
    assert ingest_file(factory, old, now=now).status == "ingested"
    assert lines_of(factory)["ZB001"].current == Decimal("508700.00")


def test_user_synonyms_from_the_config_name_unknown_headers(tmp_path, factory, now):
    rows = [["交易流水号", "支付日期", "预算单位", "支付金额"], ["T1", "2023-03-01", "158001 - 科协", "9"]]
    path = write_csv(tmp_path / "p.csv", rows)
    assert ingest_file(factory, path, now=now).status == "refused"
    outcome = ingest_file(factory, path, now=now, synonyms={"payment_no": ("交易流水号",)})
    assert outcome.status == "ingested"
    assert set(payments_of(factory)) == {"T1"}


def test_an_adjustment_export_is_recognised_and_keeps_its_exempt_category(tmp_path, factory, now):
    rows = [["指标调整明细"],
            ["调整单号", "调整日期", "指标明细号", "预算单位", "调整类型", "调整金额", "调整原因", "豁免类别"],
            ["TZ1", "2023-05-10", "ZB001", "158001 - 科协", "追加", "36,100.00", "实编薪资调整", ""],
            ["TZ2", "2023-06-10", "ZB002", "158003 - 科技馆", "追减", "-330,400.00", "项目调减", "上级交办"]]
    ingest_rows(factory, tmp_path / "q.csv", quota_export(  # the lines adjusted must be known
        dt.date(2023, 1, 3), quota_line("ZB001", "158001 - 科协", "100000.00"),
        quota_line("ZB002", "158003 - 科技馆", "400000.00")), now=now)
    outcome = ingest_file(factory, write_csv(tmp_path / "adj.csv", rows), now=now, year=2023)
    assert (outcome.status, outcome.kind) == ("ingested", "adjustments")
    with transaction(factory) as session:
        got = {a.adjustment_no: (a.adjustment_type, a.amount, a.exempt_category)
               for a in session.scalars(select(Adjustment))}
    assert got == {"TZ1": ("add", Decimal("36100.00"), None),
                   "TZ2": ("cut", Decimal("-330400.00"), "higher_level")}


def test_extra_columns_and_blank_lines_are_ignored(tmp_path, factory, now):
    rows = [["支付申请号", "无关列", "支付日期", "预算单位", "支付金额", "另一列"],
            ["P1", "x", "2023-03-01", "158001 - 科协", "5", "y"], [],
            ["P2", "", "2023-03-02", "158001 - 科协", "6", ""]]
    outcome = ingest_file(factory, write_csv(tmp_path / "p.csv", rows), now=now)
    assert (outcome.status, outcome.rows) == ("ingested", 2)


def test_a_payment_that_names_only_its_quota_line_belongs_to_that_lines_unit(tmp_path, factory, now):
    ingest_file(factory, write_xlsx(tmp_path / "q.xlsx", quota_rows(), QUOTA_MERGES), now=now)
    rows = [["支付申请号", "支付日期", "指标明细号", "支付金额"], ["P1", "2023-03-01", "ZB002", "5"]]
    assert ingest_file(factory, write_csv(tmp_path / "p.csv", rows), now=now).status == "ingested"
    assert paid_by_unit(factory)["158003"] == Decimal("5.00")


def test_an_older_payment_export_imported_late_does_not_undo_a_newer_one(tmp_path, factory, now):
    newer = payment_rows(payment("P1", "2023-03-01", "100", status="已退回"), payment("P2", "2023-03-20", "7"))
    older = payment_rows(payment("P1", "2023-03-01", "100"))
    assert ingest_file(factory, write_csv(tmp_path / "2023-03-31_支付.csv", newer), now=now).status == "ingested"
    outcome = ingest_file(factory, write_csv(tmp_path / "2023-03-05_支付.csv", older), now=now)
    assert (outcome.status, outcome.updated, outcome.unchanged) == ("ingested", 0, 1)
    assert payments_of(factory)["P1"].status == "returned"
    assert paid_by_unit(factory) == {"158001": Decimal("7.00")}


def test_the_date_in_a_file_name_dates_an_export_whose_title_has_none(tmp_path, factory, now):
    later = quota_rows()
    later[4] = [*later[4][:8], 136100.0, 508700.0, None]
    later[-1] = ["合计", None, None, None, None, None, None, 1627700.0, -194300.0, 1433400.0, None]
    assert ingest_file(factory, write_xlsx(tmp_path / "2023-06-30_指标.xlsx", later, QUOTA_MERGES),
                       now=now).status == "ingested"
    early = write_xlsx(tmp_path / "2023-01-03_指标.xlsx", quota_rows(), QUOTA_MERGES)
    assert ingest_file(factory, early, now=now).status == "ingested"
    assert lines_of(factory)["ZB001"].current == Decimal("508700.00")


def test_a_tab_separated_unicode_text_export_from_excel_is_read(tmp_path, factory, now):
    rows = payment_rows(payment("P1", "2023-03-01", "1,000.50"))
    text = "\r\n".join("\t".join(str(c) for c in row) for row in rows)
    path = tmp_path / "unicode.txt"
    path.write_bytes(text.encode("utf-16"))  # Excel's "Unicode 文本": UTF-16 with a BOM, tabs
    outcome = ingest_file(factory, path, now=now)
    assert (outcome.status, outcome.rows) == ("ingested", 1), outcome.problems
    assert paid_by_unit(factory) == {"158001": Decimal("1000.50")}


def test_a_workbook_whose_first_sheet_is_a_cover_page_is_read_from_the_sheet_with_the_header(tmp_path, factory, now):
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.title = "封面"
    workbook.active.append(["2023 年支付明细"])
    sheet = workbook.create_sheet("明细")
    for row in payment_rows(payment("P1", "2023-03-01", "5")):
        sheet.append(list(row))
    workbook.save(tmp_path / "book.xlsx")
    outcome = ingest_file(factory, tmp_path / "book.xlsx", now=now)
    assert (outcome.status, outcome.rows) == ("ingested", 1), outcome.problems


@pytest.mark.parametrize("label", ["合计", "合　计", "总 计", " 合计："])
def test_a_totals_row_is_recognised_however_its_label_is_spaced(tmp_path, factory, now, label):
    rows = payment_rows(payment("P1", "2023-03-01", "1,000.50"), payment("P2", "2023-03-02", "200"))
    rows.append([label, "", "", "", "", "", "1,200.50", ""])
    outcome = ingest_file(factory, write_csv(tmp_path / "p.csv", rows, "gb18030"), now=now)
    assert (outcome.status, outcome.rows) == ("ingested", 2), outcome.problems
