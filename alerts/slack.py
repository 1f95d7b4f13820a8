"""The Slack transport: one message to a user (direct message), an e-mail address or a channel.

Building the payload is ``alerts.render``'s job; this module resolves the target, sends, and
says by the error it raises whether a retry can help (``alerts.notify``):

    SlackApiError, HTTP 429               → TransientError("ratelimited", retry_after=Retry-After)
    SlackApiError, HTTP 5xx               → TransientError
    ok=false, a transient code            → TransientError (internal_error, fatal_error, …)
    ok=false, a credential code           → AuthError      (invalid_auth, token_revoked, missing_scope, …)
    ok=false, msg_too_long / msg_blocks_too_long → TooLongError (the outbox splits the message)
    ok=false, anything else               → PermanentError (channel_not_found, users_not_found, …)
    no connection, timeout, broken reply  → TransientError

A message with several items that would not fit one post (``fits``: every item its own section
within 50 blocks, the blocks' text within ``MAX_BLOCKS_TEXT_CHARS``, the fallback text within
``MAX_TEXT_CHARS``) is not posted cut or summed up: ``send`` raises TooLongError before posting,
and the delivery job sends it in parts that fit (jobs/deliver.py).

The client is built with ``retry_handlers=[]``. slack_sdk's own retries would sleep the
delivery thread for the whole Retry-After (docs/PITFALLS.md: the rate-limit handler sleeps the caller),
and its default connection-error retry re-sends a chat.postMessage whose reply was lost, which
posts it twice; neither attempt would be recorded. The outbox retries instead, with backoff,
honouring ``retry_after``, and records every attempt.

A chart is uploaded after the message is posted (files_upload_v2: files.getUploadURLExternal,
the upload, files.completeUploadExternal into the channel ID chat.postMessage answered with).
If that fails the message is still delivered: raising would make the outbox post it again, so
the failure is logged and noted in the returned reference instead.
"""

from __future__ import annotations

import http.client
import logging
import urllib.error
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from alerts.notify import (
    AuthError,
    DeliveryError,
    Message,
    PermanentError,
    Recipient,
    Sent,
    TooLongError,
    TransientError,
)
from alerts.render import blocks_hold, escape_mrkdwn, render_blocks, render_chart_title, render_text

ENV_TOKEN = "BUDGET_MONITOR_SLACK_TOKEN"
ENV_BASE_URL = "BUDGET_MONITOR_SLACK_BASE_URL"
ENV_TOKEN_FILE = "BUDGET_MONITOR_SLACK_TOKEN_FILE"  # a file holding the token (systemd credentials, Docker secrets)
SLACK_KINDS = frozenset({"slack_user", "slack_email", "slack_channel"})

# https://api.slack.com/methods/chat.postMessage#errors and the common errors of every method.
AUTH_ERRORS = frozenset({"invalid_auth", "not_authed", "invalid_token", "account_inactive", "token_revoked",
                         "token_expired", "no_permission", "missing_scope", "not_allowed_token_type"})
TRANSIENT_ERRORS = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable",
                              "request_timeout"})
NETWORK_ERRORS = (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException)
MAX_TEXT_CHARS = 39_000  # chat.postMessage truncates ``text`` at 40,000 characters
# The blocks' text together: Slack refuses more with msg_blocks_too_long, at about 13,000 characters
# although no limit is documented (slackapi/bolt-js#2509); kept well under.
MAX_BLOCKS_TEXT_CHARS = 12_000
TOO_LONG_ERRORS = frozenset({"msg_too_long", "msg_blocks_too_long"})

log = logging.getLogger(__name__)


class EmailCache(Protocol):
    """Where Slack user IDs found by e-mail are kept, so each address is looked up once. The
    delivery job may pass one backed by the database to keep them across runs."""

    def get(self, email: str) -> str | None: ...

    def put(self, email: str, user_id: str) -> None: ...


class MemoryEmailCache:
    """An EmailCache for the life of the process."""

    def __init__(self, known: Mapping[str, str] | None = None):
        self._ids = dict(known or {})

    def get(self, email: str) -> str | None:
        return self._ids.get(email)

    def put(self, email: str, user_id: str) -> None:
        self._ids[email] = user_id


class SlackNotifier:
    name = "slack"
    kinds = SLACK_KINDS

    def __init__(self, token: str, base_url: str | None = None, timeout: float = 10.0,
                 lookup: EmailCache | None = None):
        if base_url is not None and not base_url.startswith(("http://", "https://")):
            raise ValueError(f"the Slack base URL must start with http:// or https://, not {base_url!r}")
        self.base_url = base_url or WebClient.BASE_URL
        self.timeout = timeout
        self._emails = lookup if lookup is not None else MemoryEmailCache()
        self._client = WebClient(token=token, base_url=self.base_url, timeout=timeout,  # type: ignore[arg-type]
                                 retry_handlers=[])  # the outbox retries: see the module docstring

    def __repr__(self) -> str:  # never the token
        return f"SlackNotifier(base_url={self.base_url!r}, timeout={self.timeout!r})"

    def fits(self, message: Message) -> bool:
        """Whether the message goes in one post with every item shown (no "…and N more", no cut)."""
        if not blocks_hold(message):
            return False
        text = sum(len(b["text"]["text"]) for b in render_blocks(message) if "text" in b)
        return text <= MAX_BLOCKS_TEXT_CHARS and len(escape_mrkdwn(render_text(message))) <= MAX_TEXT_CHARS

    def send(self, message: Message) -> Sent:
        if len(message.items) > 1 and not self.fits(message):
            raise TooLongError(f"message {message.id}: {len(message.items)} items do not fit one Slack post",
                               code="msg_too_long")
        channel = self._channel(message.recipient)
        posted = _call("chat.postMessage", self._client.chat_postMessage, channel=channel,
                       text=_fallback_text(message), blocks=render_blocks(message))
        channel_id, ts = posted.get("channel", channel), posted.get("ts", "")
        reference = f"{channel_id}:{ts}"
        if message.chart is not None:
            problem = self._attach_chart(message, channel_id)
            if problem:
                reference += f" (chart not attached: {problem})"
        return Sent(reference)

    def _channel(self, recipient: Recipient) -> str:
        """The channel ID or name to post in: a DM with the user, or the channel as given."""
        if recipient.kind == "slack_channel":
            return recipient.address
        if recipient.kind == "slack_user":
            user = recipient.address
        elif recipient.kind == "slack_email":
            user = self._user_by_email(recipient.address)
        else:
            raise PermanentError(f"Slack cannot deliver to a {recipient.kind!r} recipient",
                                 code="unsupported_recipient")
        opened = _call("conversations.open", self._client.conversations_open, users=user)
        return opened["channel"]["id"]

    def _user_by_email(self, address: str) -> str:
        email = address.strip().lower()
        user = self._emails.get(email)
        if user is None:
            found = _call("users.lookupByEmail", self._client.users_lookupByEmail, email=email)
            user = found["user"]["id"]
            self._emails.put(email, user)
        return user

    def _attach_chart(self, message: Message, channel_id: str) -> str:
        """Upload the chart into the channel; "" when done, else what went wrong."""
        chart = message.chart
        if chart is None:  # the caller attaches only a message that has one
            raise ValueError(f"message {message.id} has no chart to attach")
        try:
            _call("files.upload_v2", self._client.files_upload_v2, channel=channel_id, file=str(chart),
                  filename=chart.name, title=render_chart_title(message))
        except DeliveryError as error:
            problem = error.code or type(error).__name__
        except (SlackRequestError, OSError) as error:  # the upload step itself, or the file unreadable
            problem = type(error).__name__
        else:
            return ""
        log.warning("message %s: chart %s not attached in %s (%s); the message itself was posted",
                    message.id, chart.name, channel_id, problem)
        return problem


def slack_token(environ: Mapping[str, str]) -> str:
    """The token from BUDGET_MONITOR_SLACK_TOKEN, or read from the file BUDGET_MONITOR_SLACK_TOKEN_FILE
    names; "" when neither is set."""
    token = environ.get(ENV_TOKEN, "").strip()
    if not token and environ.get(ENV_TOKEN_FILE):
        try:
            token = open(environ[ENV_TOKEN_FILE], encoding="utf-8").read().strip()
        except OSError as exc:
            raise ValueError(f"{ENV_TOKEN_FILE}: cannot read {environ[ENV_TOKEN_FILE]}: {exc.strerror or exc}") from exc
    return token


def slack_notifier_from_env(environ: Mapping[str, str], timeout: float = 10.0,
                            lookup: EmailCache | None = None) -> SlackNotifier | None:
    """A SlackNotifier when BUDGET_MONITOR_SLACK_TOKEN is set, else None (no Slack delivery)."""
    token = slack_token(environ)
    if not token:
        return None
    base_url = environ.get(ENV_BASE_URL, "").strip() or None
    if base_url is not None and not base_url.startswith(("http://", "https://")):
        raise ValueError(f"{ENV_BASE_URL} must start with http:// or https://, not {base_url!r}")
    return SlackNotifier(token, base_url=base_url, timeout=timeout, lookup=lookup)


def _fallback_text(message: Message) -> str:
    """chat.postMessage's ``text``: shown in notifications, parsed as mrkdwn, so escaped too."""
    text = escape_mrkdwn(render_text(message))
    return text if len(text) <= MAX_TEXT_CHARS else text[:MAX_TEXT_CHARS - 1] + "…"


def _call(method: str, function: Callable, **arguments):
    """One Web API call; every failure comes out as a DeliveryError subclass."""
    try:
        return function(**arguments)
    except SlackApiError as error:
        raise _api_error(method, error) from error
    except NETWORK_ERRORS as error:
        raise TransientError(f"Slack {method}: no answer ({type(error).__name__}: {error})", code="network") from error


def _api_error(method: str, error: SlackApiError) -> DeliveryError:
    response = error.response
    status = response.status_code
    data = response.data if isinstance(response.data, dict) else {}
    code = data.get("error") if isinstance(data.get("error"), str) and data["error"].isidentifier() else ""
    if status == 429:
        retry_after = _retry_after(response.headers)
        return TransientError(f"Slack {method}: rate limited, retry after {retry_after} s", code="ratelimited",
                              retry_after=retry_after)
    if status >= 500:
        return TransientError(f"Slack {method}: server error HTTP {status}", code=code or f"http_{status}")
    if code in AUTH_ERRORS:
        return AuthError(f"Slack {method}: the token was refused ({code})", code=code)
    if code in TOO_LONG_ERRORS:
        return TooLongError(f"Slack {method}: {code}", code=code)
    if code in TRANSIENT_ERRORS:
        return TransientError(f"Slack {method}: {code}", code=code, retry_after=_retry_after(response.headers))
    return PermanentError(f"Slack {method}: {code or f'HTTP {status}'}", code=code or f"http_{status}")


def _retry_after(headers: Mapping[str, Any] | None) -> float | None:
    """Seconds from the Retry-After header (Slack sends whole seconds); None when absent."""
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after":
            try:
                return float(value[0] if isinstance(value, list) else value)
            except (TypeError, ValueError):
                return None
    return None
