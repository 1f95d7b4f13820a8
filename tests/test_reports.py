"""The chart, the HTML report and the Excel export, made from the demo's real database."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import sqlite3
import warnings
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from sqlalchemy import update

from db.engine import make_engine, session_factory, sqlite_url, transaction
from db.models import Project, Unit
from jobs.cli.app import cli
from jobs.demo.run import run_demo
from jobs.execution import ExecutionSettings, curve, status
from jobs.reports.chart import headline, render_chart
from jobs.reports.excel import COLUMNS, write_status_xlsx
from jobs.reports.fonts import find_cjk_font
from jobs.reports.html import render_report
from monitor.assess import rank
from tests.conftest import NOW

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SCRIPT_NAME = "<script>alert('x')</script>科普服务中心"
FORMULA_NAME = '=HYPERLINK("http://example.com","点此")'


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    """The demo's database of 2023, built once for the module (the demo takes a few seconds)."""
    folder = tmp_path_factory.mktemp("demo")
    run_demo(folder, as_json=True, now=NOW)
    return folder / "demo.sqlite"


def copy_of(demo_db: Path, target: Path) -> Path:
    """A copy to change (SQLite's backup API: the demo's engine may still hold a WAL file)."""
    with sqlite3.connect(demo_db) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    return target


def factory_for(path: Path):
    return session_factory(make_engine(sqlite_url(path)))


def engine_settings() -> ExecutionSettings:
    return ExecutionSettings()  # the evaluation's default rules, whatever config file is around


@pytest.fixture(scope="module")
def hostile_db(demo_db, tmp_path_factory) -> Path:
    """The demo with names as people's files may carry them: a script tag, a formula."""
    path = copy_of(demo_db, tmp_path_factory.mktemp("hostile") / "hostile.sqlite")
    with transaction(factory_for(path)) as session:
        session.execute(update(Unit).where(Unit.code == "158002").values(name=SCRIPT_NAME))
        session.execute(update(Project).where(Project.code == "158001230001").values(name=FORMULA_NAME))
    return path


def invoke(*args):
    return CliRunner().invoke(cli, list(args), env={}, catch_exceptions=False)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


# ---------------------------------------------------------------- chart


def test_the_chart_command_writes_a_png_labelled_in_chinese_with_the_installed_cjk_font(demo_db, tmp_path):
    output = tmp_path / "chart.png"
    run = invoke("--db", str(demo_db), "chart", "--year", "2023", "--as-of", "2023-09-30", "-o", str(output), "--json")
    assert run.exit_code == 0, run.output
    result = json.loads(run.stdout)
    assert result["path"] == str(output)
    width, height = png_size(output.read_bytes())
    assert width >= 1000 and height >= 600
    assert output.stat().st_size > 20_000
    font = find_cjk_font()
    if font is None:  # a machine without a CJK font: English labels and a warning, never boxes
        assert (result["language"], result["font"]) == ("en", None)
        assert "fonts-wqy-microhei" in result["warning"]
    else:
        assert (result["language"], result["font"], result["warning"]) == ("zh", font.name, None)


def test_the_chart_command_prints_the_path_it_wrote(demo_db, tmp_path):
    output = tmp_path / "unit.png"
    run = invoke("--db", str(demo_db), "chart", "--as-of", "2023-04-12", "--unit", "158002", "-o", str(output))
    assert run.exit_code == 0, run.output
    assert run.stdout.strip() == str(output)
    png_size(output.read_bytes())


def test_the_chart_title_says_whether_the_checkpoint_of_the_day_was_met(demo_db):
    factory, settings = factory_for(demo_db), engine_settings()
    year_end = curve(factory, year=2023, as_of=dt.date(2023, 12, 31), settings=settings)
    assert headline(year_end, "zh")[0] == "截至 2023-12-31 执行 95.72%，考核进度 95%，达标"
    assert headline(year_end, "en")[0] == "As of 2023-12-31: 95.72% paid, checkpoint 95%, met"
    first_quarter = curve(factory, year=2023, as_of=dt.date(2023, 3, 31), settings=settings)
    assert headline(first_quarter, "zh")[0].endswith("考核进度 25%，未达标")
    between = curve(factory, year=2023, as_of=dt.date(2023, 5, 15), settings=settings)
    assert re.fullmatch(r"截至 2023-05-15 执行 \d+\.\d\d%，距 6月30日 考核进度 50% 还差 [\d,]+\.\d\d 万元",
                        headline(between, "zh")[0])


@pytest.mark.skipif(find_cjk_font() is None, reason="no CJK font installed (.ci/run installs fonts-wqy-microhei)")
def test_with_a_cjk_font_every_chinese_glyph_of_the_chart_is_drawn(demo_db, tmp_path):
    figures = curve(factory_for(demo_db), year=2023, as_of=dt.date(2023, 9, 30), settings=engine_settings())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font(s)" for every box
        result = render_chart(figures, tmp_path / "zh.png", "zh")
    assert (result.language, result.warning) == ("zh", None)


def test_without_a_cjk_font_the_chart_falls_back_to_english_and_draws_no_empty_boxes(demo_db, tmp_path):
    figures = curve(factory_for(demo_db), year=2023, as_of=dt.date(2023, 6, 30), settings=engine_settings())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = render_chart(figures, tmp_path / "en.png", "zh", find_font=lambda: None)
    assert (result.language, result.font) == ("en", None)
    assert result.warning.startswith("未找到中文字体")
    png_size((tmp_path / "en.png").read_bytes())


def test_a_chart_to_a_folder_that_does_not_exist_is_an_error_in_words(demo_db, tmp_path):
    run = invoke("--db", str(demo_db), "chart", "--as-of", "2023-09-30", "-o", str(tmp_path / "no" / "c.png"))
    assert run.exit_code == 1
    assert run.output.startswith("错误：无法写入"), run.output
    assert "Traceback" not in run.output


def test_a_unit_or_year_without_data_is_an_error_in_words(demo_db, tmp_path):
    run = invoke("--db", str(demo_db), "--lang", "en", "chart", "--as-of", "2023-09-30", "--unit", "999",
                 "-o", str(tmp_path / "c.png"))
    assert (run.exit_code, run.output.strip()) == (1, "error: the database has no quota lines or payments of unit "
                                                       "999 in 2023")
    run = invoke("--db", str(demo_db), "report", "--year", "2021", "-o", str(tmp_path / "r.html"))
    assert (run.exit_code, run.output.strip()) == (1, "错误：数据库中没有 2021 年的指标或支付数据")
    assert not (tmp_path / "c.png").exists() and not (tmp_path / "r.html").exists()


# ---------------------------------------------------------------- HTML report


class PageParser(HTMLParser):
    """Checks that every element is closed in order and collects the table and the image."""

    VOID = {"meta", "img", "br", "link"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.rows: list[list[str]] = []
        self.row_classes: list[str] = []
        self.images: list[str] = []
        self.scripts = 0
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if tag == "img":
            self.images.append(attrs["src"])
        if tag == "tr" and "tbody" in self.stack:
            self.rows.append([])
            self.row_classes.append(attrs.get("class", ""))
        if tag == "td":
            self._cell = []
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1:]}>"
        self.stack.pop()
        if tag == "td":
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def parse(page: str) -> PageParser:
    assert page.startswith("<!DOCTYPE html>")
    parser = PageParser()
    parser.feed(page)
    parser.close()
    assert parser.stack == []
    return parser


def test_the_report_is_one_html_page_with_the_embedded_chart_and_the_ranked_table(demo_db, tmp_path):
    output = tmp_path / "report.html"
    run = invoke("--db", str(demo_db), "report", "--year", "2023", "--as-of", "2023-09-15", "-o", str(output))
    assert run.exit_code == 0, run.output
    assert run.stdout.strip() == str(output)
    page = parse(output.read_text(encoding="utf-8"))
    [image] = page.images
    assert image.startswith("data:image/png;base64,")
    png_size(base64.b64decode(image.removeprefix("data:image/png;base64,")))
    report = status(factory_for(demo_db), year=2023, as_of=dt.date(2023, 9, 15), settings=engine_settings())
    ranked = rank([s for s in report.statuses if s.entity.level in ("department", "unit", "project")])
    assert [row[1] for row in page.rows] == [s.entity.code for s in ranked]
    department = next(row for row in page.rows if row[1] == "158")
    assert department[:3] == ["部门", "158", "乌鲁木齐市科学技术协会"]
    assert department[7:9] == ["2023-09-30", "75%"]
    assert re.fullmatch(r"[\d,]+\.\d\d", department[3]) and department[5].endswith("%")
    behind = [s.behind > 0 for s in ranked]
    assert ["behind" in c.split() for c in page.row_classes] == behind
    assert any(behind) and not all(behind)


def test_the_report_speaks_english_with_lang_en(demo_db, tmp_path):
    output = tmp_path / "report.html"
    run = invoke("--db", str(demo_db), "--lang", "en", "report", "--as-of", "2023-09-15", "--unit", "158001",
                 "-o", str(output))
    assert run.exit_code == 0, run.output
    text = output.read_text(encoding="utf-8")
    assert '<html lang="en">' in text and "<th>next checkpoint</th>" in text
    assert {row[1] for row in parse(text).rows} >= {"158001", "158001230001"}


def test_a_unit_name_with_a_script_tag_is_escaped_in_the_report(hostile_db):
    factory, settings, as_of = factory_for(hostile_db), engine_settings(), dt.date(2023, 9, 15)
    report = status(factory, year=2023, as_of=as_of, settings=settings)
    figures = curve(factory, year=2023, as_of=as_of, settings=settings, unit_code="158002")
    text = render_report(report, figures, "zh")
    assert "<script" not in text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;科普服务中心" in text
    page = parse(text)
    assert page.scripts == 0
    assert [SCRIPT_NAME] == [row[2] for row in page.rows if row[1] == "158002"]


# ---------------------------------------------------------------- Excel


def test_the_xlsx_has_a_frozen_filtered_header_numbers_as_numbers_and_formula_names_as_text(hostile_db, tmp_path):
    report = status(factory_for(hostile_db), year=2023, as_of=dt.date(2023, 9, 15), settings=engine_settings())
    path = write_status_xlsx(report, tmp_path / "status.xlsx")
    sheet = openpyxl.load_workbook(path).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    assert header[:8] == ["层级", "单位编码", "编码", "名称", "预算（元）", "已支付（元）", "执行率（%）",
                          "序时进度（%）"]
    assert len(header) == len(COLUMNS)
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:Q{len(report.statuses) + 1}"
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == len(report.statuses)  # every level, quota lines included
    assert {row[0].value for row in rows} == {"部门", "单位", "项目", "指标"}
    assert [row[2].value for row in rows] == [s.entity.code for s in rank(report.statuses)]
    department = next(row for row in rows if row[2].value == "158")
    budget, paid, rate = department[4], department[5], department[6]
    entity = next(s.entity for s in report.statuses if s.entity.level == "department")
    assert isinstance(budget.value, (int, float)) and budget.number_format == "#,##0.00"
    assert round(budget.value, 2) == float(entity.budget) and round(paid.value, 2) == float(entity.paid)
    assert isinstance(rate.value, float) and rate.number_format == "0.00"
    assert rate.value == float(entity.execution_rate)
    assert isinstance(department[8].value, dt.datetime) and department[11].data_type == "n"
    formula = next(row for row in rows if row[2].value == "158001230001")
    assert (formula[3].value, formula[3].data_type) == (FORMULA_NAME, "s")
    assert all(cell.data_type != "f" for row in rows for cell in row)


def test_the_xlsx_header_is_english_with_lang_en(demo_db, tmp_path):
    report = status(factory_for(demo_db), year=2023, as_of=dt.date(2023, 3, 31), settings=engine_settings())
    workbook = openpyxl.load_workbook(write_status_xlsx(report, tmp_path / "s.xlsx", language="en"))
    assert [c.value for c in workbook.worksheets[0][1]][:4] == ["level", "unit code", "code", "name"]
    assert workbook.sheetnames == ["status", "about"]


def test_a_year_without_budget_or_payments_and_one_paid_beyond_its_budget_still_draw(tmp_path):
    from decimal import Decimal

    from jobs.execution import ExecutionCurve
    from monitor.calendar import WorkCalendar
    from monitor.rulebook import RuleBook

    rules = RuleBook().rules_for(2023)
    empty = ExecutionCurve(2023, dt.date(2023, 1, 1), "某单位", Decimal("0"), (), rules.checkpoints, "months",
                           WorkCalendar())
    assert headline(empty, "zh")[0] == "截至 2023-01-01 没有预算数"
    render_chart(empty, tmp_path / "empty.png")
    over = ExecutionCurve(2023, dt.date(2023, 12, 20), "某单位", Decimal("100.00"),
                          ((dt.date(2023, 2, 1), Decimal("-5.00")), (dt.date(2023, 6, 1), Decimal("130.00"))),
                          rules.checkpoints, "calendar", WorkCalendar())
    assert headline(over, "en")[0] == "As of 2023-12-20: 130% paid, 95% due Dec 31 already reached"
    render_chart(over, tmp_path / "over.png", "en")
    for name in ("empty.png", "over.png"):
        png_size((tmp_path / name).read_bytes())
