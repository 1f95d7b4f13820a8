"""A small fake of the Slack Web API on 127.0.0.1, for tests with the real slack_sdk client.

slack_sdk ships no mock server (docs/PITFALLS.md), so this one answers the methods the transport uses
and records every request. Point a client at ``server.base_url``; files.getUploadURLExternal hands
out an upload URL on this same server.

    server.fail_next("chat.postMessage", "429", retry_after=7)   # then "500", "timeout", "error:<code>"
    server.down(); server.up()                                     # connection refused, then back
    server.posted()                                                # the chat.postMessage bodies
    server.max_text = 4000           # a longer chat.postMessage ``text`` is refused: msg_too_long

Use the ``fake_slack`` fixture (``from tests.fake_slack import fake_slack`` in a test module or
conftest.py): it clears the proxy variables slack_sdk would otherwise route 127.0.0.1 through,
and releases any "timeout" answer still waiting when the test ends.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest

PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")
FAILURE_KINDS = ("429", "500", "timeout")  # or "error:<code>"
TIMEOUT_CAP = 30.0  # seconds a "timeout" answer waits at most if nobody releases it


@dataclass(frozen=True)
class Received:
    method: str  # the Web API method ("chat.postMessage"), or "upload" for a file's bytes
    body: dict  # the JSON or form fields
    headers: dict[str, str]
    data: bytes = b""  # the raw body


@dataclass
class _Failure:
    method: str
    kind: str
    times: int
    retry_after: float | None = None


@dataclass
class FakeSlack:
    users: dict[str, str] = field(default_factory=dict)  # e-mail → user ID, for users.lookupByEmail
    channels: dict[str, str] = field(default_factory=dict)  # "#name" → channel ID
    port: int = 0
    max_text: int = 40_000  # Slack refuses a longer ``text`` with msg_too_long (it documents truncation at 40,000)

    def __post_init__(self):
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._failures: list[_Failure] = []
        self._release = threading.Event()
        self._serial = 0
        self._server: ThreadingHTTPServer | None = None

    # --- life cycle

    def start(self) -> FakeSlack:
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _Handler)
        self._server.fake = self  # type: ignore[attr-defined]
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def close(self) -> None:
        self._release.set()  # let any "timeout" answer finish
        self.down()

    def down(self) -> None:
        """Stop listening: connections to the port are refused until ``up()``."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def up(self) -> None:
        """Listen again on the same port."""
        if self._server is None:
            self.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    # --- scripting and inspection

    def fail_next(self, method: str, kind: str, times: int = 1, retry_after: float | None = None) -> None:
        """The next ``times`` calls of ``method`` fail: "429" (with Retry-After), "500", "timeout"
        (no answer until the test ends) or "error:<code>" (HTTP 200, ok=false)."""
        if kind not in FAILURE_KINDS and not kind.startswith("error:"):
            raise ValueError(f"unknown failure kind {kind!r}")
        with self._lock:
            self._failures.append(_Failure(method, kind, times, retry_after))

    def received(self, method: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self._received if method is None or r.method == method]

    def methods(self) -> list[str]:
        return [r.method for r in self.received()]

    def posted(self) -> list[dict]:
        return [r.body for r in self.received("chat.postMessage")]

    # --- answering

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlsplit(handler.path)
        raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        if url.path.startswith("/upload/"):
            method, body = "upload", {"file_id": url.path.removeprefix("/upload/")}
        else:
            method = url.path.removeprefix("/api/")
            body = dict(parse_qsl(url.query)) | _parse(handler.headers.get("Content-Type", ""), raw)
        with self._lock:
            self._received.append(Received(method, body, dict(handler.headers.items()), raw))
            failure = self._take_failure(method)
        if failure is None:
            status, answer = self._answer(method, body, raw)
            _reply(handler, status, answer)
        elif failure.kind == "429":
            _reply(handler, 429, {"ok": False, "error": "ratelimited"},
                   {"Retry-After": f"{failure.retry_after if failure.retry_after is not None else 1:g}"})
        elif failure.kind == "500":
            _reply(handler, 500, "upstream connect error", content_type="text/plain")
        elif failure.kind == "timeout":
            self._release.wait(TIMEOUT_CAP)  # the client gives up first; then there is no one to answer
        else:
            _reply(handler, 200, {"ok": False, "error": failure.kind.removeprefix("error:")})

    def _take_failure(self, method: str) -> _Failure | None:
        for failure in self._failures:
            if failure.method == method:
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.remove(failure)
                return failure
        return None

    def _next(self) -> int:
        with self._lock:
            self._serial += 1
            return self._serial

    def _answer(self, method: str, body: dict, raw: bytes) -> tuple[int, dict | str]:
        if method == "auth.test":
            return 200, {"ok": True, "user_id": "UBOT", "team_id": "T1", "url": "https://fake.slack.com/"}
        if method == "conversations.open":
            users = body.get("users", "")
            if not users:
                return 200, {"ok": False, "error": "users_not_found"}
            return 200, {"ok": True, "channel": {"id": f"D{users.split(',')[0]}"}}
        if method == "users.lookupByEmail":
            user = self.users.get(body.get("email", ""))
            if user is None:
                return 200, {"ok": False, "error": "users_not_found"}
            return 200, {"ok": True, "user": {"id": user, "profile": {"email": body["email"]}}}
        if method == "chat.postMessage":
            if len(body.get("text", "")) > self.max_text:
                return 200, {"ok": False, "error": "msg_too_long"}
            channel = body.get("channel", "")
            if channel.startswith("#"):
                channel = self.channels.get(channel, "C" + channel[1:].upper())
            return 200, {"ok": True, "channel": channel, "ts": f"1700000000.{self._next():06d}",
                         "message": {"text": body.get("text", "")}}
        if method == "files.getUploadURLExternal":
            file_id = f"F{self._next():04d}"
            return 200, {"ok": True, "file_id": file_id, "upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}"}
        if method == "upload":
            return 200, f"OK - {len(raw)}"
        if method == "files.completeUploadExternal":
            files = json.loads(body.get("files", "[]"))
            return 200, {"ok": True, "files": [{"id": f["id"], "title": f.get("title", "")} for f in files]}
        return 404, {"ok": False, "error": "unknown_method"}


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeSlack/1.0"

    def do_POST(self):
        self.server.fake._handle(self)  # type: ignore[attr-defined]

    do_GET = do_POST

    def log_message(self, format, *args):  # keep test output quiet
        pass


def _parse(content_type: str, raw: bytes) -> dict:
    if not raw:
        return {}
    if content_type.startswith("application/json"):
        return json.loads(raw)
    if content_type.startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    return {}


def _reply(handler: BaseHTTPRequestHandler, status: int, answer: dict | str, headers: dict[str, str] | None = None,
           content_type: str = "") -> None:
    body = answer.encode("utf-8") if isinstance(answer, str) else json.dumps(answer).encode("utf-8")
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type or ("text/plain; charset=utf-8" if isinstance(answer, str)
                                                             else "application/json; charset=utf-8"))
        handler.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the client gave up


@pytest.fixture
def fake_slack(monkeypatch):
    """A running FakeSlack; stopped, and its waiting answers released, when the test ends."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    server = FakeSlack().start()
    try:
        yield server
    finally:
        server.close()
