"""The account lifecycle's settings (`RESET_TOKEN_SECONDS`, `VERIFY_TOKEN_SECONDS`, `ACCOUNT_LINK_URL`,
`ACCOUNT_ANSWER_SECONDS`, `ACCOUNT_MAIL_LIMIT`, `ACCOUNT_MAIL_WINDOW_SECONDS`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AccountSettings:
    """How long tokens work; the app's pages the links open (`<url>/reset-password?token=...`,
    `<url>/verify-email?token=...`; the token alone without one); the answer time's floor; how
    many messages one address may be sent per window (0: no limit)."""

    reset_seconds: int = 3600
    verify_seconds: int = 24 * 3600
    link_url: str | None = None
    answer_seconds: float = 0.5
    mail_limit: int = 5
    mail_window_seconds: int = 3600
