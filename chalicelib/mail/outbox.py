"""The local outbox of `make run` and the tests: each message printed, and kept as a file a
developer can open (`<outbox>/<time>-<recipient>.eml`, RFC 5322 text that any mail client reads).

Nothing leaves the machine: the links in these messages carry real tokens, which is what a
developer needs to try the flows by hand.
"""

from __future__ import annotations

import itertools
import sys
import threading
import time
from email import message_from_string, policy
from email.message import EmailMessage
from pathlib import Path

from chalicelib.mail.message import Message

_sequence = itertools.count()
_lock = threading.Lock()


class Outbox:
    def __init__(self, folder: Path, from_address: str, echo: bool = True) -> None:
        self.folder = folder
        self.from_address = from_address
        self.echo = echo

    def send(self, message: Message) -> None:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = self.from_address, message.to, message.subject
        mail.set_content(message.text)
        text = mail.as_string()
        # Names sort in the order messages were sent, in one process and across restarts.
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        with _lock:
            name = f"{stamp}-{time.time_ns() % 10**9:09d}-{next(_sequence):06d}-{_safe(message.to)}.eml"
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / name).write_text(text, encoding="utf-8")
        if self.echo:
            print(f"--- mail kept in {self.folder / name}\n{text}---", file=sys.stderr, flush=True)

    def messages_to(self, address: str) -> list[Message]:
        """Every message kept for `address`, oldest first."""
        found = []
        for path in sorted(self.folder.glob(f"*-{_safe(address)}.eml")):
            mail = message_from_string(path.read_text(encoding="utf-8"), policy=policy.default)
            body = mail.get_body(("plain",))
            text = body.get_content() if body is not None else ""
            found.append(Message(str(mail["To"]), str(mail["Subject"]), str(text)))
        return found


def _safe(address: str) -> str:
    return "".join(c if c.isalnum() or c in "@.-_+" else "_" for c in address.lower())
