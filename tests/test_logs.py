"""The daemon's log: JSON lines off a terminal, text on one, Beijing time, and no secret ever —
not in a message, its arguments, an ``extra`` field or a traceback."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging

import pytest

from jobs.daemon.logs import RedactingHandler, setup_logging

TOKEN = "xoxb-1234-5678-secret-token"
PASSWORD = 'p@ss"wörd/1'  # needs escaping in JSON, a repr and a URL


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def root_logger():
    """Leave the root logger as it was found (pytest's own handlers included)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


def lines(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def records(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in lines(stream)]


def test_off_a_terminal_each_record_is_one_json_object_with_beijing_time_and_its_extra_fields():
    stream = io.StringIO()
    setup_logging(stream=stream)
    logging.getLogger("jobs.daemon.run").info("leader: %s", "host:1", extra={"unit": "158001", "amount": 12})
    (entry,) = records(stream)
    assert list(entry)[:4] == ["time", "level", "logger", "message"]
    assert entry["level"] == "INFO" and entry["logger"] == "jobs.daemon.run" and entry["message"] == "leader: host:1"
    assert entry["unit"] == "158001" and entry["amount"] == 12
    assert dt.datetime.fromisoformat(entry["time"]).utcoffset() == dt.timedelta(hours=8)
    assert "exc_info" not in entry


def test_an_exception_is_logged_as_its_traceback_text_in_the_same_json_line():
    stream = io.StringIO()
    setup_logging(stream=stream)
    try:
        raise ValueError("quota line ZB001 has no budget")
    except ValueError:
        logging.getLogger("jobs.scheduled").exception("evaluation failed")
    (entry,) = records(stream)
    assert entry["level"] == "ERROR" and entry["message"] == "evaluation failed"
    assert entry["exc_info"].startswith("Traceback (most recent call last):")
    assert entry["exc_info"].endswith("ValueError: quota line ZB001 has no budget")


def test_chinese_stays_readable_in_json_lines():
    stream = io.StringIO()
    setup_logging(stream=stream)
    logging.getLogger("jobs.ingest.inbox").warning("已拒绝 %s", "2_支付.csv")
    assert "已拒绝 2_支付.csv" in stream.getvalue()


def test_on_a_terminal_records_are_readable_text_unless_json_is_asked_for():
    terminal = Terminal()
    setup_logging(stream=terminal)
    logging.getLogger("jobs.daemon.run").info("stopped")
    (line,) = lines(terminal)
    stamp, rest = line.split(" ", 1)
    assert rest == "INFO jobs.daemon.run: stopped"
    assert dt.datetime.fromisoformat(stamp).utcoffset() == dt.timedelta(hours=8)

    forced = Terminal()
    setup_logging(stream=forced, json_lines=True)
    logging.getLogger("jobs.daemon.run").info("stopped")
    assert records(forced)[0]["message"] == "stopped"

    piped = io.StringIO()
    setup_logging(stream=piped, json_lines=False)
    logging.getLogger("jobs.daemon.run").info("stopped")
    assert lines(piped)[0].endswith("INFO jobs.daemon.run: stopped")


def test_calling_setup_twice_installs_one_handler_and_the_later_settings_win():
    first, second = io.StringIO(), io.StringIO()
    setup_logging(stream=first)
    setup_logging(stream=second, level="WARNING", secrets=[TOKEN])
    assert len([h for h in logging.getLogger().handlers if isinstance(h, RedactingHandler)]) == 1
    log = logging.getLogger("jobs.deliver")
    log.info("not shown at WARNING")
    log.warning("token %s refused", TOKEN)
    assert first.getvalue() == ""
    assert [entry["message"] for entry in records(second)] == ["token *** refused"]


@pytest.mark.parametrize("json_lines", [True, False])
def test_a_secret_never_reaches_the_log_in_a_message_its_arguments_extra_fields_or_a_traceback(json_lines):
    stream = io.StringIO()
    setup_logging(stream=stream, json_lines=json_lines, secrets=[TOKEN, PASSWORD, ""])
    log = logging.getLogger("jobs.deliver")
    log.info(f"message with {TOKEN} in it")
    log.info("arguments: %s and %r", TOKEN, PASSWORD)
    log.info("extra field", extra={"headers": {"Authorization": f"Bearer {TOKEN}"}})
    log.info("url %s", "postgresql+psycopg://bm:p%40ss%22w%C3%B6rd%2F1@db/budget")
    try:
        raise ConnectionError(f"refused: token={TOKEN} password={PASSWORD!r}")
    except ConnectionError:
        log.exception("delivery failed")
    output = stream.getvalue()
    for masked in ("message with *** in it", "arguments: *** and '***'", "bm:***@db", "token=*** password='***'"):
        assert masked in output, masked
    for leak in (TOKEN, PASSWORD, "5678-secret", "p@ss", "p%40ss", "ss\\\"w"):
        assert leak not in output, leak
    if json_lines:
        assert len(records(stream)) == 5, "still one valid JSON object a line"
        assert records(stream)[2]["headers"] == {"Authorization": "Bearer ***"}


def test_a_record_that_cannot_be_formatted_is_reported_without_its_secret_arguments(monkeypatch, capsys):
    stream = io.StringIO()
    handler = setup_logging(stream=stream, secrets=[TOKEN])
    monkeypatch.setattr(logging, "raiseExceptions", True)
    # A logger of its own: pytest's capturing handler on the root raises on this record.
    log = logging.getLogger("jobs.deliver.alone")
    monkeypatch.setattr(log, "propagate", False)
    monkeypatch.setattr(log, "handlers", [handler])
    log.info("one placeholder %s", TOKEN, "one argument too many")
    assert "logging error in jobs.deliver.alone" in stream.getvalue()
    assert "TypeError: not all arguments converted" in stream.getvalue()
    assert TOKEN not in stream.getvalue()
    assert TOKEN not in capsys.readouterr().err, "logging's own report (raw arguments included) is not printed"
