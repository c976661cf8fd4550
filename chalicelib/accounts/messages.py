"""The emails of the account lifecycle: a reset link, a verification link."""

from __future__ import annotations

from urllib.parse import quote

from chalicelib.mail.message import Message


def _link(base: str | None, path: str, token: str) -> str:
    # Without a base URL (the app's own pages) the message carries the token alone.
    return f"{base.rstrip('/')}/{path}?token={quote(token)}" if base else token


def reset_password(to: str, token: str, base_url: str | None, minutes: int) -> Message:
    text = (
        "Someone asked to reset the password of this account. If it was you, open the link below "
        f"within {minutes} minutes; it works once.\n\n{_link(base_url, 'reset-password', token)}\n\n"
        f"Reset token: {token}\n\nIf it was not you, ignore this message: your password stays as it is.\n"
    )
    return Message(to, "Reset your password", text)


def verify_email(to: str, token: str, base_url: str | None, minutes: int) -> Message:
    text = (
        f"Confirm that this address is yours: open the link below within {minutes} minutes.\n\n"
        f"{_link(base_url, 'verify-email', token)}\n\nVerification token: {token}\n"
    )
    return Message(to, "Verify your email address", text)
