"""The CSV reader and validator under hypothesis: arbitrary bytes, and payment exports that are
nearly right (cells swapped for hostile text, rows cut or lengthened, another separator, line end
or encoding, bytes inserted or the file truncated). Whatever comes in, the result is a parsed
export or the project's Refused with its problems listed — never any other exception.

Derandomized and without an example database, so CI runs the same examples every time; the
example counts keep the module well under 30 seconds.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobs.ingest import ingest_file
from jobs.ingest.problems import MESSAGES, Refused
from jobs.ingest.reader import read_grids
from jobs.ingest.validate import ParsedExport, parse_export
from jobs.ingest.values import MAX_FEN
from tests.helpers import PAYMENT_HEADER
from tests.reliability import record

BYTES_EXAMPLES = 600
NEAR_VALID_EXAMPLES = 400
INGEST_EXAMPLES = 60
VALID_EXAMPLES = 150
FUZZ = settings(derandomize=True, database=None, deadline=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
SEEN: dict[str, dict[str, int]] = {}  # test → outcome → examples, for the summary rows


def parse(data: bytes, name: str = "fuzz.csv") -> ParsedExport | Refused:
    """What ingest_file does before storing: the first sheet with a header, validated."""
    try:
        first: Refused | None = None
        for grid in read_grids(Path(name), data):
            try:
                return parse_export(grid)
            except Refused as refused:
                if [p.code for p in refused.problems] != ["no_header"]:
                    raise
                first = first or refused
        assert first is not None
        raise first
    except Refused as refused:
        return refused


def check(result: ParsedExport | Refused, name: str = "fuzz.csv") -> str:
    if isinstance(result, Refused):
        assert result.problems, "a refusal names at least one problem"
        for item in result.problems:
            assert item.code in MESSAGES
            for language in ("zh", "en"):
                line = item.describe(name, language)
                assert line.startswith(name) and len(line) > len(name) + 2
        return "refused"
    assert isinstance(result, ParsedExport)
    assert len(result.records) > 0 and 2000 <= result.budget_year <= 2100
    for column in ("amount", "initial", "adjustment", "current"):
        if column in result.records:
            assert all(v is None or (isinstance(v, int) and abs(v) < MAX_FEN) for v in result.records[column])
    return "parsed"


def seen(test: str, outcome: str) -> None:
    counts = SEEN.setdefault(test, {})
    counts[outcome] = counts.get(outcome, 0) + 1


# ---------------------------------------------------------------------------- arbitrary bytes

ENCODED_TEXT = st.tuples(st.text(max_size=300), st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"])).map(
    lambda pair: pair[0].encode(pair[1], errors="replace"))
PIECES = st.sampled_from([b",", b"\r\n", b"\n", b"\r", b'"', b"\x00", b"\xef\xbb\xbf", b"\xff\xfe", b"PK\x03\x04",
                          "支付申请号,支付日期,支付金额,预算单位".encode("gb18030"),
                          "支付申请号,支付日期,支付金额,预算单位".encode(), b"%PDF", b"<html>", b"=1+1", b"\t"])
ANY_BYTES = st.one_of(st.binary(max_size=2048), ENCODED_TEXT,
                      st.lists(st.one_of(PIECES, st.binary(max_size=16)), max_size=40).map(b"".join))


@settings(FUZZ, max_examples=BYTES_EXAMPLES)
@given(data=ANY_BYTES, suffix=st.sampled_from([".csv", ".txt", ".xlsx", ".xls"]))
def test_arbitrary_bytes_are_parsed_or_refused_never_an_other_exception(data, suffix):
    name = f"fuzz{suffix}"
    seen("bytes", check(parse(data, name), name))


# ---------------------------------------------------------------------------- near-valid exports

UNITS = ["158001 - 乌鲁木齐市科学技术协会", "158002 - 乌鲁木齐市科普中心", "158001", "【158003】科技馆"]
HOSTILE = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x3000), max_size=12),
    st.sampled_from(["", " ", '"', '""', ",", "\r\n", "\n", "\x00", "\ufeff", "\u200b", "\u2028", "\x1b[31m",
                     "=HYPERLINK(\"http://x\",\"点击\")", "@cmd", "+1+1", "-2+3", "NaN", "inf", "-0", "(0.00)",
                     "1e400", "9" * 40, "1,2,3", "合计", "合　计", "小计", "9999-12-31", "1900-01-00",
                     "2023-02-30", "20230230", "44927", "2958466", "<script>alert(1)</script>", "<!channel>",
                     "支付申请号", "已支付", "１２３.４５", "（1,234.00）", "¥1,000.00元", "－5"]),
)


def cell(valid, hostile: bool):
    return st.one_of(valid, valid, valid, valid, valid, HOSTILE) if hostile else valid


FIELDS = {
    "支付申请号": st.from_regex(r"ZF\d{3,6}", fullmatch=True),
    "支付日期": st.dates(dt.date(2023, 1, 1), dt.date(2023, 12, 31)).flatmap(
        lambda d: st.sampled_from([d.isoformat(), f"{d.year}/{d.month}/{d.day}", d.strftime("%Y%m%d"),
                                   f"{d.year}年{d.month}月{d.day}日", str((d - dt.date(1899, 12, 30)).days)])),
    "预算单位": st.sampled_from(UNITS),
    "指标明细号": st.sampled_from(["ZB001", "ZB002", ""]),
    "功能分类": st.sampled_from(["2060701 - 机构运行", "2060701", "206", ""]),
    "经济分类": st.sampled_from(["30201 - 办公费", "30201", ""]),
    "支付金额": st.decimals(min_value=-10**6, max_value=10**9, places=2, allow_nan=False).map(
        lambda d: st_amount(d)),
    "支付状态": st.sampled_from(["已支付", "已退回", "已作废", "待支付", ""]),
}


def st_amount(value) -> str:
    return f"{value:,.2f}" if abs(value) >= 1000 and int(value) % 2 else f"{value:.2f}"


@st.composite
def near_valid_csv(draw) -> bytes:
    """A payment export; a third of them valid as they come, the others with hostile cells, a
    changed header, ragged rows or mutated bytes."""
    hostile = draw(st.integers(0, 2)) > 0
    header = list(PAYMENT_HEADER)
    if hostile and draw(st.booleans()):  # a column dropped, repeated or renamed
        change = draw(st.sampled_from(["drop", "repeat", "rename", "shuffle"]))
        position = draw(st.integers(0, len(header) - 1))
        if change == "drop":
            header.pop(position)
        elif change == "repeat":
            header.append(header[position])
        elif change == "rename":
            header[position] = draw(HOSTILE)
        else:
            header = draw(st.permutations(header))
    rows = [header]
    if draw(st.booleans()):
        rows[:0] = [["2023年支付明细导出表"],
                    [draw(st.sampled_from(["金额单位：元", "单位：万元", "截至2023年3月31日"]))]]
    for _ in range(draw(st.integers(0 if hostile else 1, 8))):
        row = [draw(cell(FIELDS[name], hostile)) if name in FIELDS else draw(HOSTILE) for name in header]
        if hostile and draw(st.integers(0, 9)) == 0:
            row = row[: draw(st.integers(0, len(row)))] + draw(st.lists(HOSTILE, max_size=3))
        rows.append(row)
    if draw(st.booleans()):
        rows.append(["合计", *[""] * (len(header) - 2), draw(cell(FIELDS["支付金额"], True))])
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=draw(st.sampled_from([",", ",", "\t", ";"])),
                        lineterminator=draw(st.sampled_from(["\r\n", "\n", "\r"])),
                        quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])))
    writer.writerows(rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "gb18030", "utf-16"]))
    data = buffer.getvalue().encode(encoding, errors="replace")
    mutation = draw(st.integers(0, 5)) if hostile else 5
    if mutation == 0 and data:  # cut short
        data = data[: draw(st.integers(0, len(data)))]
    elif mutation == 1:  # bytes slipped in
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.one_of(PIECES, st.binary(min_size=1, max_size=8))) + data[at:]
    return data


@settings(FUZZ, max_examples=NEAR_VALID_EXAMPLES)
@given(data=near_valid_csv())
def test_near_valid_exports_are_parsed_or_refused_never_an_other_exception(data):
    seen("near-valid", check(parse(data)))


FREE_TEXT = st.lists(st.one_of(
    st.characters(blacklist_categories=("Cs", "Cc")),
    st.sampled_from(["\t", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\r", "\n", "\r\n",
                     '"', ",", ";", "\ufeff", "\u200b", "合计", "<script>", "=", "@", "+", "-"])),
    max_size=16).map("".join)


@st.composite
def valid_export(draw) -> tuple[bytes, list[tuple[str, str, str]]]:
    """A valid payment export whose title and free-text columns (收款人, 用途) hold anything a
    person could type; the payments it holds."""
    header = [*PAYMENT_HEADER, "收款人", "用途"]
    count = draw(st.integers(1, 6))
    numbers = [f"ZF{n:04}" for n in draw(st.lists(st.integers(0, 9999), min_size=count, max_size=count, unique=True))]
    rows, expected = [[draw(FREE_TEXT)], ["金额单位：元"], header], []
    for number in numbers:
        payee, purpose = draw(FREE_TEXT.filter(lambda t: t.count("\x0b") + t.count("\x0c") + t.count("\x1c") < 3)), \
            draw(FREE_TEXT)
        rows.append([number, "2023-03-01", UNITS[0], "ZB001", "2060701", "30201", "1.00", "已支付", payee, purpose])
        expected.append((number, payee, purpose))
    buffer = io.StringIO()
    end = draw(st.sampled_from(["\r\n", "\n", "\r"]))
    # QUOTE_MINIMAL quotes a cell holding a character of the line end only: "\n" in a cell of a
    # CR-only file would go out bare and end the row. Every cell quoted keeps it one row.
    csv.writer(buffer, lineterminator=end, quoting=csv.QUOTE_MINIMAL if end == "\r\n" else csv.QUOTE_ALL
               ).writerows(rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
    return buffer.getvalue().encode(encoding), expected


@settings(FUZZ, max_examples=VALID_EXAMPLES)
@given(export=valid_export())
def test_a_valid_export_keeps_every_row_and_its_text_whatever_the_free_text(export):
    from jobs.ingest.values import normalize_text

    data, expected = export
    result = parse(data)
    if isinstance(result, Refused):  # only a text that is not text may be refused: control characters
        assert [p.code for p in result.problems] == ["not_text"], [p.describe("f.csv", "en") for p in result.problems]
        seen("valid", "refused")
        return
    records = result.records.set_index("payment_no")
    assert sorted(records.index) == sorted(number for number, _, _ in expected)  # no row lost, none made up
    for number, payee, purpose in expected:
        assert records.at[number, "payee"] == (normalize_text(payee) or None)
        assert records.at[number, "purpose"] == (normalize_text(purpose) or None)
    seen("valid", "parsed")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@settings(FUZZ, max_examples=INGEST_EXAMPLES)
@given(data=near_valid_csv())
def test_near_valid_exports_through_the_importer_end_as_an_outcome(data, factory, now, tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.csv"
    path.write_bytes(data)
    outcome = ingest_file(factory, path, now=now)
    assert outcome.status in ("ingested", "unchanged", "refused")
    assert (outcome.status == "refused") == bool(outcome.problems)
    seen("ingest", outcome.status)


# pytest runs a module's tests in order: these come after the fuzzers they sum up.
def _summary(test: str, minimum: int) -> dict[str, int]:
    counts = SEEN.get(test, {})
    if sum(counts.values()) < minimum:
        pytest.skip(f"the {test} fuzzer did not run here (a -k selection, or it failed)")
    return counts


def test_the_fuzzers_held():
    _summary("bytes", BYTES_EXAMPLES // 2)
    _summary("near-valid", NEAR_VALID_EXAMPLES // 2)
    _summary("valid", VALID_EXAMPLES // 2)
    near = SEEN["near-valid"]
    assert near.get("parsed", 0) > 0 and near.get("refused", 0) > 0  # both sides were reached
    assert SEEN["valid"].get("parsed", 0) > VALID_EXAMPLES // 2
    record("fuzz",
           f"hypothesis (derandomized): {BYTES_EXAMPLES} arbitrary byte strings named .csv, .txt, .xlsx or .xls, "
           f"{NEAR_VALID_EXAMPLES} near-valid payment exports (hostile cells, columns dropped, repeated or "
           "renamed, ragged rows, another separator, line end or encoding, the file cut short or bytes slipped in), "
           f"and {VALID_EXAMPLES} valid exports whose title and free-text cells hold anything (line separators, "
           "quotes, BOMs, zero-width spaces, markup) in UTF-8, GBK or UTF-16 with LF, CRLF or CR line ends",
           "every one read as a parsed export or refused with its problems listed (code, message in Chinese and "
           "English), no other exception, amounts always whole fen under the trillion-yuan bound; every valid "
           "export kept each of its rows and stored its free text as the text itself (refused only when control "
           "characters made it binary)")


def test_the_importer_fuzzer_held():
    _summary("ingest", INGEST_EXAMPLES // 2)
    record("fuzz",
           f"hypothesis (derandomized): {INGEST_EXAMPLES} near-valid payment exports through the whole importer "
           "into one SQLite database",
           "each ended as ingested, unchanged or refused (with its problems); the importer never raised")
