"""Index and stream changes are waited for: DynamoDB reports a new index CREATING (backfilling
itself), or a table UPDATING, for a while, which moto never does, so its answers are stubbed here."""

from __future__ import annotations

from typing import Any, cast

import boto3
from botocore.stub import Stubber

from chalicelib.store.tables import Tables
from tooling.migrations.structure import POLL_SECONDS, STREAM, TableStep, carry_out, wait


def _described(index_status: str | None, *, backfilling: bool = False, table: str = "ACTIVE") -> dict[str, Any]:
    indexes = []
    if index_status is not None:
        index: dict[str, Any] = {"IndexName": "name-index", "IndexStatus": index_status}
        if backfilling:
            index["Backfilling"] = True
        indexes.append(index)
    return {"Table": {"TableName": "t-City", "TableStatus": table, "GlobalSecondaryIndexes": indexes}}


def _client(*answers: dict[str, Any]) -> tuple[Any, Stubber]:
    client = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="none", aws_secret_access_key="none")
    stubber = Stubber(client)
    for answer in answers:
        stubber.add_response("describe_table", answer, {"TableName": "t-City"})
    stubber.activate()
    return client, stubber


def test_a_new_index_is_waited_for_until_active_with_progress() -> None:
    client, stubber = _client(
        _described("CREATING", backfilling=True, table="UPDATING"),
        _described("CREATING", backfilling=True, table="UPDATING"),
        _described("ACTIVE", table="UPDATING"),
        _described("ACTIVE"),
    )
    said: list[str] = []
    slept: list[float] = []
    wait(client, "t-City", "name-index", said.append, slept.append)
    stubber.assert_no_pending_responses()
    assert slept == [POLL_SECONDS] * 3
    assert len(said) == 3
    assert said[0].startswith("  index name-index of t-City: CREATING, backfilling (")
    assert said[2].startswith("  index name-index of t-City: ACTIVE (")


def test_a_deleted_index_is_waited_for_until_gone() -> None:
    client, stubber = _client(_described("DELETING", table="UPDATING"), _described(None))
    said: list[str] = []
    wait(client, "t-City", "name-index", said.append, lambda _: None, gone=True)
    stubber.assert_no_pending_responses()
    assert [line.split(" (")[0] for line in said] == ["  index name-index of t-City: DELETING"]


def test_a_table_is_waited_for_until_active() -> None:
    client, stubber = _client(_described(None, table="CREATING"), _described(None))
    said: list[str] = []
    wait(client, "t-City", None, said.append, lambda _: None)
    stubber.assert_no_pending_responses()
    assert [line.split(" (")[0] for line in said] == ["  t-City: CREATING"]


def test_a_stream_turned_on_is_waited_for_and_one_of_another_view_is_turned_off_first() -> None:
    old_view = {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    wanted = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    client, stubber = _client(_described(None))  # ACTIVE: the change may start
    described = _described(None)
    described["Table"]["StreamSpecification"] = old_view
    stubber.add_response("describe_table", described, {"TableName": "t-City"})
    off = {"TableName": "t-City", "StreamSpecification": {"StreamEnabled": False}}
    stubber.add_response("update_table", {}, off)
    for status in ("UPDATING", "ACTIVE"):
        stubber.add_response("describe_table", _described(None, table=status), {"TableName": "t-City"})
    stubber.add_response("update_table", {}, {"TableName": "t-City", "StreamSpecification": wanted})
    for status in ("UPDATING", "UPDATING", "ACTIVE"):
        stubber.add_response("describe_table", _described(None, table=status), {"TableName": "t-City"})
    said: list[str] = []
    step = TableStep(STREAM, "t-City", definition=wanted)
    carry_out(cast(Tables, _Tables(client)), step, said.append, lambda _: None)
    stubber.assert_no_pending_responses()
    assert [line.split(" (")[0] for line in said] == ["  t-City: UPDATING"] * 3


class _Tables:
    """What `carry_out` uses of the store's tables: their client."""

    def __init__(self, client: Any) -> None:
        self.connection = type("Connection", (), {"client": client})()
