"""The embedded server's dispatcher answers as moto's for every host, listing moto's package once per host."""

from __future__ import annotations

import pytest
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

from tooling.local import moto_dispatch
from tooling.local.moto_dispatch import Dispatcher

HOSTS = [
    None,
    "moto_api",
    "dynamodb",
    "dynamodb.us-east-1.amazonaws.com",
    "streams.dynamodb.us-east-1.amazonaws.com",
    "s3.eu-west-1.amazonaws.com",
    "bucket.s3.amazonaws.com",
    "localhost",
    "nothing.example.com",
]


def test_each_host_names_the_service_moto_s_dispatcher_finds(capsys: pytest.CaptureFixture[str]) -> None:
    own = DomainDispatcherApplication(create_backend_app)
    dispatcher = Dispatcher()
    for host in HOSTS:
        assert dispatcher.get_backend_for_host(host) == own.get_backend_for_host(host), host


def test_moto_s_package_is_listed_once_per_host(monkeypatch: pytest.MonkeyPatch) -> None:
    listed: list[str] = []
    original = moto_dispatch.backends.list_of_moto_modules

    def counted() -> list[str]:
        listed.append("listed")
        return list(original())

    monkeypatch.setattr(moto_dispatch.backends, "list_of_moto_modules", counted)
    dispatcher = Dispatcher()
    for _ in range(3):
        assert dispatcher.get_backend_for_host("dynamodb.us-east-1.amazonaws.com") == "dynamodb"
    assert len(listed) == 1
