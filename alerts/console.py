"""The console transport: prints each message, for a first run, a demo, or a recipient with no
chat account yet. Takes every recipient kind, so nothing is ever undeliverable to it."""

from __future__ import annotations

import sys
from typing import TextIO

from alerts.notify import Message, Sent
from alerts.render import render_text

RECIPIENT_KINDS = frozenset({"slack_user", "slack_email", "slack_channel", "console"})


class ConsoleNotifier:
    name = "console"
    kinds = RECIPIENT_KINDS

    def __init__(self, stream: TextIO | None = None):
        self._stream = stream  # None: sys.stdout at the time of sending (so captured output sees it)

    def send(self, message: Message) -> Sent:
        stream = self._stream if self._stream is not None else sys.stdout
        recipient = message.recipient
        lines = [f"→ {recipient.name or recipient.address}", render_text(message)]
        if message.chart is not None:
            lines.append(f"📎 {message.chart}")
        stream.write("\n".join(lines) + "\n\n")
        stream.flush()
        return Sent("console")
