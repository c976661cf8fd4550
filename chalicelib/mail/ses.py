"""Amazon SES (its v2 API) for deployed stages: one SendEmail per message, from the stage's
address (`MAIL_FROM`), which the stage's policy alone lets the function send from."""

from __future__ import annotations

from typing import Any

from chalicelib.mail.message import Message


class Ses:
    def __init__(self, from_address: str, region: str) -> None:
        self.from_address = from_address
        self.region = region
        self._client: Any = None

    def send(self, message: Message) -> None:
        self.client().send_email(
            FromEmailAddress=self.from_address,
            Destination={"ToAddresses": [message.to]},
            Content={
                "Simple": {
                    "Subject": {"Data": message.subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": message.text, "Charset": "UTF-8"}},
                }
            },
        )

    def client(self) -> Any:
        # Made at the first message, not at start: most requests send none, and a cold start pays
        # for every client it makes.
        if self._client is None:
            import botocore.session

            self._client = botocore.session.get_session().create_client("sesv2", region_name=self.region)
        return self._client
