"""The stage's sender: `MAIL_SENDER=ses` (deployed stages) or `outbox` (`make run`, tests)."""

from __future__ import annotations

from pathlib import Path

from chalicelib.mail.message import Sender
from chalicelib.mail.outbox import Outbox
from chalicelib.mail.ses import Ses

LOCAL_FROM = "shoreline@localhost"


class MailSettingsError(ValueError):
    pass


def sender_for(kind: str, from_address: str | None, region: str, outbox: Path) -> Sender:
    if kind == "ses":
        if not from_address:
            raise MailSettingsError("MAIL_SENDER=ses needs MAIL_FROM, an address SES has verified")
        return Ses(from_address, region)
    if kind == "outbox":
        return Outbox(outbox, from_address or LOCAL_FROM)
    raise MailSettingsError(f"MAIL_SENDER must be ses or outbox, not {kind!r}")
