"""Names from files come out as text everywhere they are shown: the HTML report (no live
<script>, no event handler), Slack (no <!channel>, <@U…> or <link> injected through a name, & < >
escaped), the Excel export (no formula: cells starting with =, +, -, @, tab or CR are strings),
the chart (no mathtext) and the terminal (no escape sequences in a refusal report).

The hostile names go in through the real importer: a quota export and a payment export whose
department, units and projects are named by tests/hostile_files.HOSTILE_NAMES.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from html.parser import HTMLParser

import openpyxl
import pytest
from sqlalchemy import update

from alerts.notify import AlertItem, Message, Recipient
from alerts.render import escape_mrkdwn, render_blocks
from alerts.routing import Directory, Person
from alerts.slack import SlackNotifier
from db.engine import transaction
from db.models import Department, Project, Unit
from jobs.clock import BEIJING
from jobs.deliver import deliver
from jobs.evaluate import AlertConfig, evaluate
from jobs.execution import ExecutionSettings, curve, status
from jobs.ingest import ingest_file
from jobs.ingest.report import outcome_lines
from jobs.reports.chart import render_chart
from jobs.reports.excel import write_status_xlsx
from jobs.reports.html import render_report
from tests.helpers import ingest_rows, payment, payment_rows, quota_export, quota_line, write_csv
from tests.hostile_files import HOSTILE_NAMES as N
from tests.reliability import record

ENGINE = ExecutionSettings()
AS_OF = dt.date(2023, 6, 1)
DEPARTMENT = f"901 - {N['channel']}"
UNITS = {  # code → name, as the export writes them
    "901001": N["script"], "901002": N["mention"], "901003": N["hyperlink"], "901004": N["link"],
    "901005": N["amp"], "901006": N["cmd"],
}
PROJECTS = {"901001230001": N["img"], "901002230001": N["plus"], "901003230001": N["minus"]}
TAB, CR = "\tTAB 开头的名称", "\rCR 开头的名称"  # a file cannot bring these (cells are trimmed): set in the database
MATH = r"科协$\undefinedcommand{x}$ 与 $x^2$ 经费"
CHECKED: dict[str, int] = {}  # output → names checked, for the summary row


@pytest.fixture
def hostile(factory, tmp_path):
    """A department of six units named by hostile strings, three projects, no payment since
    January: every unit is behind its schedule on 1 June."""
    lines = [quota_line(f"ZB{code}", f"{code} - {name}", "1000000.00", department=DEPARTMENT) for code, name in
             UNITS.items()]
    lines += [quota_line(f"ZP{code}", f"{code[:6]} - {UNITS[code[:6]]}", "500000.00", department=DEPARTMENT,
                         project=f"{code} - {name}") for code, name in PROJECTS.items()]
    ingest_rows(factory, tmp_path / "quota.csv", quota_export(dt.date(2023, 1, 3), *lines), now=at(AS_OF))
    payments = [payment(f"ZF{code}", "2023-01-10", "1000.00", unit=f"{code} - {name}", quota=f"ZB{code}")
                for code, name in UNITS.items()]
    ingest_rows(factory, tmp_path / "payments.csv", payment_rows(*payments), now=at(AS_OF), as_of=AS_OF)
    with transaction(factory) as session:  # as the importer stored them: text, exactly
        assert {u.code: u.name for u in session.query(Unit)} == UNITS
        assert {p.code: p.name for p in session.query(Project)} == PROJECTS
        assert session.query(Department).one().name == N["channel"]
    return factory


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=BEIJING)


# ---------------------------------------------------------------------------- HTML


class Page(HTMLParser):
    """Every element and attribute of a page, and the text of each table cell."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.cells: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += attrs
        if tag == "td":
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self.cells.append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def test_names_from_files_are_text_in_the_html_report(hostile):
    report = status(hostile, year=2023, as_of=AS_OF, settings=ENGINE)
    for unit in (None, "901001"):
        page_text = render_report(report, curve(hostile, year=2023, as_of=AS_OF, settings=ENGINE, unit_code=unit), "zh")
        page = Page()
        page.feed(page_text)
        assert "script" not in page.tags
        assert [t for t in page.tags if t == "img"] == ["img"]  # the chart, nothing else
        assert not [name for name, _ in page.attributes if name.lower().startswith("on")]
        assert "<script" not in page_text and "<img src=x" not in page_text and "<!channel>" not in page_text
        names = [*UNITS.values(), *PROJECTS.values(), N["channel"]]
        assert set(names) <= set(page.cells), "each name shown, as the text it was"
    CHECKED["html"] = len(names)


# ---------------------------------------------------------------------------- Slack

MRKDWN_ENTITY = re.compile(r"&(?!amp;|lt;|gt;)")


def mrkdwn_texts(blocks: list[dict]) -> list[str]:
    texts = []
    for block in blocks:
        if block.get("type") == "section":
            texts.append(block["text"]["text"])
        for element in block.get("elements", []):
            texts.append(element["text"])
    return texts


def assert_inert(text: str) -> None:
    """No Slack control sequence: every <, > and & of a name arrives escaped."""
    assert "<" not in text and ">" not in text, text
    assert not MRKDWN_ENTITY.search(text), text


def test_names_from_files_reach_slack_escaped_and_mention_nobody(hostile, fake_slack):
    people = (Person("部门领导", "department_leader", slack_user="UDEP", departments=frozenset({"901"})),
              *(Person(f"{code} 领导", "unit_leader", slack_user=f"U{code}", units=frozenset({code}))
                for code in UNITS))
    alerts = AlertConfig(directory=Directory(people, fallback=None), quiet_hours=None, quiet_on_rest_days=False)
    result = evaluate(hostile, execution=ENGINE, alerts=alerts, now=at(AS_OF))
    assert result.messages
    notifier = SlackNotifier("xoxb-escape-test", base_url=fake_slack.base_url, timeout=2.0)
    deliver(hostile, {"slack": notifier}, now=at(AS_OF) + dt.timedelta(minutes=10))  # a first run: at the slot
    posted = fake_slack.posted()
    assert len(posted) == len(result.messages)
    shown = set()
    for body in posted:
        assert_inert(body["text"])
        assert "link_names" not in body  # plain "@channel" text would otherwise notify
        blocks = body["blocks"] if isinstance(body["blocks"], list) else json.loads(body["blocks"])
        for text in mrkdwn_texts(blocks):
            assert_inert(text)
        shown |= {name for name in UNITS.values() if escape_mrkdwn(name) in body["text"]}
        assert "&lt;!channel&gt;" in body["text"] or body["channel"] != "DUDEP"
    assert shown == set(UNITS.values()), "each unit's alert names it, escaped"
    CHECKED["slack"] = len(posted)


def test_every_block_of_a_message_escapes_a_hostile_name_whatever_the_rule():
    items = tuple(AlertItem(key=f"{rule}:unit:901001:2023", rule=rule, event="fire", severity="red", level="unit",
                            code="901001",
                            name=N["mention"] + N["channel"] + N["link"] + N["amp"], period="2023", facts={})
                  for rule in ("behind_checkpoint", "checkpoint_missed", "stalled", "overspent", "no_such_rule"))
    message = Message(1, Recipient("slack_user", "U1"), "zh", AS_OF, 2023, items)
    for text in mrkdwn_texts(render_blocks(message)):
        assert_inert(text)


# ---------------------------------------------------------------------------- Excel

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def test_names_from_files_are_strings_never_formulas_in_the_excel_export(hostile, tmp_path):
    with transaction(hostile) as session:  # names from elsewhere (an older import, an edit) that start with tab, CR
        session.execute(update(Unit).where(Unit.code == "901005").values(name=TAB))
        session.execute(update(Department).where(Department.code == "901").values(name=CR))
    report = status(hostile, year=2023, as_of=AS_OF, settings=ENGINE)
    path = write_status_xlsx(report, tmp_path / "status.xlsx")
    with zipfile.ZipFile(path) as archive:  # what Excel reads: no formula anywhere in the sheet
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    sheet = openpyxl.load_workbook(path).worksheets[0]
    names = {}
    for row in sheet.iter_rows(min_row=2):
        names[row[2].value] = row[3]
    dangerous = {**UNITS, **PROJECTS, "901005": TAB, "901": CR}
    checked = 0
    for code, name in dangerous.items():
        if not name.startswith(FORMULA_STARTS):
            continue
        cell = names[code]
        # XML reads a CR in text as a line feed (openpyxl writes it raw): still text, not a formula.
        assert (cell.value, cell.data_type) == (name.replace("\r", "\n"), "s"), (code, cell.value, cell.data_type)
        assert cell.quotePrefix, f"{code}: editing the cell in Excel must keep it text"
        checked += 1
    assert checked == 6  # =HYPERLINK, @cmd, +1+1, -2+3, tab, CR
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    CHECKED["excel"] = checked


# ---------------------------------------------------------------------------- chart, terminal


def test_a_name_with_dollar_signs_is_drawn_as_text_not_as_mathtext(hostile, tmp_path):
    with transaction(hostile) as session:
        session.execute(update(Unit).where(Unit.code == "901001").values(name=MATH))
    figures = curve(hostile, year=2023, as_of=AS_OF, settings=ENGINE, unit_code="901001")
    assert figures.name == MATH
    render_chart(figures, tmp_path / "chart.png", "zh")  # mathtext would raise on \undefinedcommand
    assert (tmp_path / "chart.png").read_bytes()[:4] == b"\x89PNG"
    page = render_report(status(hostile, year=2023, as_of=AS_OF, settings=ENGINE), figures, "zh")
    assert "data:image/png;base64," in page


def test_a_refusal_report_shows_control_characters_instead_of_sending_them_to_the_terminal(factory, now, tmp_path):
    rows = payment_rows(payment("ZF001", "2023-03-01", "\x1b[2J\x1b]0;owned\x07100"))
    outcome = ingest_file(factory, write_csv(tmp_path / "esc.csv", rows), now=now)
    assert outcome.status == "refused"
    for language in ("zh", "en"):
        text = "\n".join(outcome_lines(outcome, language))
        assert "\x1b" not in text and "\x07" not in text
        assert "\\x1b[2J" in text  # shown, so that the person sees what the file holds
    CHECKED["terminal"] = 1


def test_the_escaping_held():
    if len(CHECKED) < 4:
        pytest.skip("the escaping tests above did not all run")
    record("escaping",
           f"{len(N)} hostile names brought in by real export files (<script>, an <img onerror>, <!channel>, "
           "<@U…>, a <link|…>, &, =HYPERLINK(…), @cmd, +1+1, -2+3), plus names starting with a tab or CR and a "
           "name with $…$ mathtext",
           f"HTML report: {CHECKED['html']} names shown as text, no script, no event handler; Slack: "
           f"{CHECKED['slack']} messages with every <, > and & escaped, no mention, no link_names; Excel: "
           f"{CHECKED['excel']} formula-like names written as strings with the quote prefix, no <f> in the sheet; "
           "the chart draws $…$ as text; a refusal report shows control characters as \\x1b")
