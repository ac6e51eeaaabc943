"""An e-mail backend that records every message handed to it in a file (``bench/crash.py``).

    EMAIL_BACKEND=bench.mailrecord.RecordingEmailBackend CRASH_MAIL_LOG=/path/to/mail.log

One line per message, appended with ``O_APPEND`` right when the message is handed over (the
moment an SMTP server would have it): the SHA-256 of its recipients, subject and body. Lines
written by a process survive its ``kill -9`` (they are in the page cache), so the crash test
can count, across processes and restarts, how often each message reached the backend.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend


class RecordingEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[Any]) -> int:
        path = os.environ["CRASH_MAIL_LOG"]
        lines = []
        for message in email_messages:
            raw = "\x1f".join([",".join(message.to), message.subject, message.body])
            lines.append(hashlib.sha256(raw.encode()).hexdigest() + "\n")
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, "".join(lines).encode())
        finally:
            os.close(fd)
        return len(lines)
