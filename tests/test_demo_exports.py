"""The demo exports, read back from the files as a user's spreadsheet would (no importer)."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import chinese_calendar
import openpyxl
import pandas as pd
import pytest

from jobs.demo.exports import write_demo_exports

BOM = b"\xef\xbb\xbf"
QUARTER_ENDS = {  # 表 6-1, in yuan
    dt.date(2023, 3, 31): Decimal("2696400.00"),
    dt.date(2023, 6, 30): Decimal("5336600.00"),
    dt.date(2023, 9, 30): Decimal("9733700.00"),
    dt.date(2023, 12, 31): Decimal("14367200.00"),
}
QUOTA_DAYS = (dt.date(2023, 1, 3), dt.date(2023, 3, 31), dt.date(2023, 6, 30), dt.date(2023, 9, 30),
              dt.date(2023, 12, 31))
YEAR_END = QUOTA_DAYS[-1]


# --- reading the files back -------------------------------------------------------------------


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    write_demo_exports(folder)
    return folder


def amount(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def cell_amount(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal("0.01"))


def yuan_sum(cells: pd.Series) -> Decimal:
    return sum(cells.map(cell_amount), Decimal("0"))


def parse_day(text: str) -> dt.date:
    for pattern in ("%Y-%m-%d", "%Y/%m/%d"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            pass
    raise ValueError(text)


def read_sheet(path: Path) -> pd.DataFrame:
    return pd.read_excel(path, header=None, dtype=object, engine="openpyxl")


def quota_path(folder: Path, day: dt.date) -> Path:
    return folder / f"{day.isoformat()}_指标明细.xlsx"


def quota_lines(folder: Path, day: dt.date = YEAR_END) -> pd.DataFrame:
    """A quota export's data rows, columns named by the lower header row where it has one."""
    grid = read_sheet(quota_path(folder, day))
    top, sub = grid.iloc[2], grid.iloc[3]
    grid.columns = [s if isinstance(s, str) else t for t, s in zip(top, sub)]
    body = grid.iloc[4:].reset_index(drop=True)
    return body


def quota_body(folder: Path, day: dt.date = YEAR_END) -> pd.DataFrame:
    body = quota_lines(folder, day)
    return body[body["指标明细号"] != "合计"]


def in_force(folder: Path, day: dt.date) -> dict[str, Decimal]:
    """指标明细号 -> 调整后预算数 of the quota export dated ``day``."""
    lines = quota_body(folder, day)
    return dict(zip(lines["指标明细号"], lines["调整后预算数"].map(cell_amount)))


def payment_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("2023-W*_支付明细.csv"))


def week_of(path: Path) -> int:
    return int(path.name[6:8])


def read_payment_export(path: Path) -> tuple[list[str], pd.DataFrame, pd.Series]:
    """(the two title lines, the payment rows, the 合计 row)."""
    encoding = "gbk" if week_of(path) % 2 else "utf-8-sig"
    text = path.read_bytes().decode(encoding)
    titles = text.splitlines()[:2]
    table = pd.read_csv(io.StringIO(text), skiprows=2, dtype=str, keep_default_na=False)
    is_total = table["支付申请号"] == "合计"
    return titles, table[~is_total], table[is_total].iloc[0]


def unique_payments(folder: Path) -> pd.DataFrame:
    tables = [read_payment_export(path)[1] for path in payment_files(folder)]
    every_row = pd.concat(tables, ignore_index=True)
    unique = every_row.drop_duplicates()
    assert unique["支付申请号"].is_unique, "a repeated 支付申请号 carries different values"
    return unique.assign(day=unique["支付日期"].map(parse_day), yuan=unique["支付金额"].map(amount))


def adjustments(folder: Path) -> pd.DataFrame:
    table = pd.read_csv(folder / "2023_指标调整.csv", encoding="utf-8", dtype=str,
                        keep_default_na=False)
    return table.assign(day=table["调整日期"].map(parse_day), yuan=table["调整金额"].map(amount))


# --- the quota export -------------------------------------------------------------------------


def file_day(path: Path) -> dt.date:
    """The last day a file shows: a quota export's date, a weekly export's Sunday."""
    if path.name.endswith("_指标明细.xlsx"):
        return dt.date.fromisoformat(path.name[:10])
    return dt.date.fromisocalendar(2023, week_of(path), 7)


def test_the_files_come_in_import_order_by_the_day_they_show(tmp_path):
    paths = write_demo_exports(tmp_path)
    names = [path.name for path in paths]
    assert sorted(names) == sorted([*(f"{day.isoformat()}_指标明细.xlsx" for day in QUOTA_DAYS),
                                    *(f"2023-W{week:02d}_支付明细.csv" for week in range(1, 53)),
                                    "2023_指标调整.csv"])
    assert {path.name for path in tmp_path.iterdir()} == set(names)
    assert names[-1] == "2023_指标调整.csv"
    days = [file_day(path) for path in paths[:-1]]
    assert days == sorted(days)
    # each quota export comes before the weekly export of the week it falls in
    assert names[:2] == ["2023-01-03_指标明细.xlsx", "2023-W01_支付明细.csv"]
    for day in QUOTA_DAYS:
        week = day.isocalendar().week
        assert names.index(f"{day.isoformat()}_指标明细.xlsx") + 1 == \
            names.index(f"2023-W{week:02d}_支付明细.csv")


@pytest.mark.parametrize("day", QUOTA_DAYS, ids=str)
def test_each_quota_export_has_title_rows_with_its_date_and_a_two_row_merged_header(folder, day):
    sheet = openpyxl.load_workbook(quota_path(folder, day)).active
    assert sheet["A1"].value == "单位指标额度查询导出明细表"
    assert sheet["A2"].value == \
        f"预算年度：2023年    截至2023年{day.month}月{day.day}日    金额单位：元"
    merged = {str(cells) for cells in sheet.merged_cells.ranges}
    assert {"A1:O1", "A2:O2", "A3:A4", "E3:F3", "M3:O3"} <= merged
    assert [sheet["E4"].value, sheet["F4"].value] == ["单位编码", "单位名称"]
    assert [c.value for c in sheet["M4":"O4"][0]] == ["年初预算数", "调整数", "调整后预算数"]
    assert sheet.cell(sheet.max_row, 1).value == "合计"


@pytest.mark.parametrize("day", QUOTA_DAYS, ids=str)
def test_each_quota_export_adds_up_line_by_line_and_in_its_totals_row(folder, day):
    body = quota_lines(folder, day)
    lines, totals = body[body["指标明细号"] != "合计"], body[body["指标明细号"] == "合计"]
    assert len(totals) == 1 and body.index[-1] == totals.index[0]
    assert lines["指标明细号"].is_unique
    for _, line in lines.iterrows():
        assert cell_amount(line["年初预算数"]) + cell_amount(line["调整数"]) == \
            cell_amount(line["调整后预算数"]), line["指标明细号"]
    for column in ("年初预算数", "调整数", "调整后预算数"):
        assert cell_amount(totals.iloc[0][column]) == yuan_sum(lines[column]), column


@pytest.mark.parametrize("day", QUOTA_DAYS, ids=str)
def test_each_quota_export_shows_the_adjustments_made_by_its_date(folder, day):
    lines = quota_body(folder, day)
    made = adjustments(folder).query("day <= @day").groupby("指标明细号")["yuan"] \
        .agg(lambda s: sum(s, Decimal("0")))
    shown = dict(zip(lines["指标明细号"], lines["调整数"].map(cell_amount)))
    assert {line: change for line, change in shown.items() if change} == made.to_dict()
    # a line created mid-year (no 年初预算数) is listed once its creating adjustment is made
    created = lines[lines["年初预算数"].map(cell_amount) == 0]
    assert set(created["指标明细号"]) <= set(made.index)


def test_the_quota_exports_grow_from_the_year_start_budget_to_the_year_end_budget(folder):
    totals = {}
    for day in QUOTA_DAYS:
        body = quota_lines(folder, day)
        row = body[body["指标明细号"] == "合计"].iloc[0]
        totals[day] = tuple(cell_amount(row[c]) for c in ("年初预算数", "调整数", "调整后预算数"))
    assert totals[QUOTA_DAYS[0]] == (Decimal("15305000.00"), Decimal("0.00"), Decimal("15305000.00"))
    assert totals[YEAR_END] == (Decimal("15305000.00"), Decimal("-295300.00"), Decimal("15009700.00"))
    assert {initial for initial, _, _ in totals.values()} == {Decimal("15305000.00")}
    listed = [list(quota_body(folder, day)["指标明细号"]) for day in QUOTA_DAYS]
    assert [len(ids) for ids in listed] == [44, 44, 46, 49, 50]
    for earlier, later in zip(listed, listed[1:]):
        assert [line for line in later if line in earlier] == earlier  # same order, only additions
    initial = {day: dict(zip(quota_body(folder, day)["指标明细号"],
                             quota_body(folder, day)["年初预算数"].map(cell_amount)))
               for day in QUOTA_DAYS}
    assert all(initial[day][line] == initial[YEAR_END][line]
               for day in QUOTA_DAYS for line in initial[day])


def test_the_adjusted_budgets_sum_to_1500_97_wan_yuan(folder):
    body = quota_lines(folder)
    lines, totals = body[body["指标明细号"] != "合计"], body[body["指标明细号"] == "合计"].iloc[0]
    adjusted = yuan_sum(lines["调整后预算数"])
    assert adjusted == Decimal("15009700.00")
    assert cell_amount(totals["调整后预算数"]) == adjusted
    by_type = lines.groupby("支出类型")["调整后预算数"].agg(yuan_sum)
    assert by_type.to_dict() == {"基本支出": Decimal("9400300.00"), "项目支出": Decimal("5609400.00")}
    initial = lines.groupby("支出类型")["年初预算数"].agg(yuan_sum)
    assert initial.to_dict() == {"基本支出": Decimal("8304600.00"), "项目支出": Decimal("7000400.00")}


def test_only_the_official_car_line_is_marked_as_three_public_expenses(folder):
    marked = quota_body(folder).query("三公经费 == '是'")
    assert list(marked["经济分类"]) == ["30231 - 公务用车运行维护费"]
    assert cell_amount(marked["调整后预算数"].iloc[0]) == Decimal("89400.00")


# --- the payment exports ----------------------------------------------------------------------


def test_odd_weeks_are_gbk_and_even_weeks_are_utf8_with_bom(folder):
    for path in payment_files(folder):
        data = path.read_bytes()
        if week_of(path) % 2:
            assert not data.startswith(BOM)
            assert data.decode("gbk").startswith("支付明细导出表")
            with pytest.raises(UnicodeDecodeError):
                data.decode("utf-8")
        else:
            assert data.startswith(BOM)
            assert data.decode("utf-8-sig").startswith("支付明细导出表")


def test_every_payment_export_has_its_titles_header_and_a_matching_totals_row(folder):
    for path in payment_files(folder):
        titles, rows, totals = read_payment_export(path)
        assert titles == ["支付明细导出表", "金额单位：元"]
        assert list(rows.columns) == ["支付申请号", "支付日期", "预算单位", "指标明细号", "功能分类",
                                      "经济分类", "项目", "收款人", "用途", "支付金额", "支付状态",
                                      "结算方式"]
        assert amount(totals["支付金额"]) == sum(rows["支付金额"].map(amount), Decimal("0"))
        assert set(rows["支付状态"]) <= {"已支付", "已退回"}


def test_amounts_carry_thousand_separators_and_whole_fen(folder):
    payments = unique_payments(folder)
    assert payments["支付金额"].str.fullmatch(r"-?\d{1,3}(,\d{3})*\.\d{2}").all()
    assert (payments["支付金额"].str.contains(",")).any()


def test_dates_come_in_both_dash_and_slash_forms(folder):
    texts = unique_payments(folder)["支付日期"]
    assert texts.str.fullmatch(r"2023-\d{2}-\d{2}").any()
    assert texts.str.fullmatch(r"2023/\d{1,2}/\d{1,2}").any()


def test_each_week_holds_its_own_payments_and_every_fourth_week_the_quarter_so_far(folder):
    payments = unique_payments(folder)
    repeated = Counter()
    for path in payment_files(folder):
        week = week_of(path)
        monday = dt.date.fromisocalendar(2023, week, 1)
        quarter_start = dt.date(2023, (monday.month - 1) // 3 * 3 + 1, 1)
        start = quarter_start if week % 4 == 0 else monday
        in_span = payments["day"].between(start, monday + dt.timedelta(days=6))
        ids = list(read_payment_export(path)[1]["支付申请号"])
        assert sorted(ids) == sorted(payments.loc[in_span, "支付申请号"]), path.name
        repeated.update(ids)
    assert sum(count > 1 for count in repeated.values()) > 100


def test_cumulative_net_payments_at_quarter_ends_match_table_6_1(folder):
    payments = unique_payments(folder)
    for end, expected in QUARTER_ENDS.items():
        assert sum(payments.loc[payments["day"] <= end, "yuan"], Decimal("0")) == expected, end


def test_no_quota_line_is_paid_more_than_its_adjusted_budget(folder):
    budgets = dict(zip(quota_body(folder)["指标明细号"],
                       quota_body(folder)["调整后预算数"].map(cell_amount)))
    paid = unique_payments(folder).groupby("指标明细号")["yuan"].agg(lambda s: sum(s, Decimal("0")))
    assert set(paid.index) <= set(budgets)
    assert {line: total for line, total in paid.items() if total > budgets[line]} == {}


@pytest.mark.parametrize("day", QUOTA_DAYS, ids=str)
def test_the_budget_in_force_in_each_quota_export_covers_the_payments_made_by_its_date(folder, day):
    payments = unique_payments(folder)
    paid = payments[payments["day"] <= day].groupby("指标明细号")["yuan"] \
        .agg(lambda s: sum(s, Decimal("0")))
    budgets = in_force(folder, day)
    assert set(paid.index) <= set(budgets)
    assert {line: total for line, total in paid.items() if total > budgets[line]} == {}


def test_no_line_is_paid_before_it_exists_in_the_payment_system(folder):
    """A line appears when its 指标 is issued: a year-start line is in the 01-03 export; a line
    created mid-year is paid only after its creating adjustment and is listed in the quota
    export that closes the period of the payment."""
    year_start = set(quota_body(folder, QUOTA_DAYS[0])["指标明细号"])
    created_on = adjustments(folder).groupby("指标明细号")["day"].min()
    listed = {day: set(in_force(folder, day)) for day in QUOTA_DAYS}
    mid_year = set()
    for _, payment in unique_payments(folder).iterrows():
        line, day = payment["指标明细号"], payment["day"]
        if line not in year_start:
            mid_year.add(line)
            assert created_on[line] < day, payment["支付申请号"]
        closing = min(d for d in QUOTA_DAYS if d >= day)
        assert line in listed[closing], payment["支付申请号"]
    assert len(mid_year) == 5  # 办公设备购置, 物业管理费 and three projects created mid-year


def test_no_payment_exceeds_the_budget_its_line_had_on_that_day(folder):
    initial = dict(zip(quota_body(folder)["指标明细号"],
                       quota_body(folder)["年初预算数"].map(cell_amount)))
    changes = adjustments(folder)
    paid: dict[str, Decimal] = defaultdict(Decimal)
    for _, payment in unique_payments(folder).sort_values(["day", "支付申请号"]).iterrows():
        line = payment["指标明细号"]
        paid[line] += payment["yuan"]
        made = changes[(changes["指标明细号"] == line) & (changes["day"] <= payment["day"])]
        assert paid[line] <= initial[line] + sum(made["yuan"], Decimal("0")), payment["支付申请号"]


def test_payments_fall_on_chinese_working_days(folder):
    assert all(chinese_calendar.is_workday(day) for day in unique_payments(folder)["day"])


def test_salaries_contributions_and_pensions_are_paid_once_a_month(folder):
    payments = unique_payments(folder)
    monthly = payments[payments["经济分类"].str.match(r"301\d\d|30302")]
    per_line = monthly.groupby("指标明细号")["day"].apply(lambda days: sorted(d.month for d in days))
    assert len(per_line) == 19
    assert all(months == list(range(1, 13)) for months in per_line)


def test_one_payment_is_returned_by_a_later_negative_row(folder):
    payments = unique_payments(folder).set_index("支付申请号")
    returned = payments[payments["支付状态"] == "已退回"]
    assert len(returned) == 1
    reversal = returned.iloc[0]
    original = payments.loc[reversal["用途"].removeprefix("退回: ")]
    assert reversal["yuan"] == -original["yuan"] < 0
    assert dt.timedelta(weeks=2) <= reversal["day"] - original["day"] <= dt.timedelta(weeks=6)
    assert reversal["指标明细号"] == original["指标明细号"]


# --- the adjustments --------------------------------------------------------------------------


def test_each_changed_quota_line_has_one_adjustment_of_the_same_amount(folder):
    lines = quota_body(folder)
    changed = {row["指标明细号"]: cell_amount(row["调整数"])
               for _, row in lines.iterrows() if cell_amount(row["调整数"]) != 0}
    table = adjustments(folder)
    assert list(table.columns[:7]) == ["调整单号", "调整日期", "指标明细号", "调整类型", "调整金额",
                                       "调整原因", "豁免类别"]
    assert table["指标明细号"].is_unique and table["调整单号"].is_unique
    assert dict(zip(table["指标明细号"], table["yuan"])) == changed
    assert all(table["day"].map(lambda day: day.year == 2023))


def test_adjustment_types_follow_their_sign_and_transfers_net_to_zero(folder):
    table = adjustments(folder)
    assert (table.loc[table["调整类型"] == "追加", "yuan"] > 0).all()
    assert (table.loc[table["调整类型"] == "追减", "yuan"] < 0).all()
    assert sum(table.loc[table["调整类型"] == "调剂", "yuan"], Decimal("0")) == 0
    assert set(table["豁免类别"]) == {"", "上级交办"}
    assert (table["豁免类别"] == "上级交办").sum() == 2


def test_the_adjustment_file_is_utf8_without_bom(folder):
    data = (folder / "2023_指标调整.csv").read_bytes()
    assert not data.startswith(BOM)
    assert data.decode("utf-8").startswith("调整单号,调整日期,指标明细号")


# --- determinism ------------------------------------------------------------------------------


def test_two_runs_write_byte_identical_csv_files(tmp_path):
    first = write_demo_exports(tmp_path / "first")
    second = write_demo_exports(tmp_path / "second")
    csvs = [(a, b) for a, b in zip(first, second) if a.suffix == ".csv"]
    assert len(csvs) == 53
    assert all(a.read_bytes() == b.read_bytes() for a, b in csvs)


def test_two_runs_write_the_same_quota_cells(tmp_path):
    first = write_demo_exports(tmp_path / "first")
    second = write_demo_exports(tmp_path / "second")
    xlsx = [(a, b) for a, b in zip(first, second) if a.suffix == ".xlsx"]
    assert len(xlsx) == 5
    for a, b in xlsx:
        pd.testing.assert_frame_equal(read_sheet(a), read_sheet(b))
