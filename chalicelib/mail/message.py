"""One email: plain text, to one address."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    text: str


class Sender(Protocol):
    """What delivers a message. A failure raises; the caller decides what the user is told."""

    def send(self, message: Message) -> None: ...
