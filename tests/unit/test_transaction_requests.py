"""store/transaction.py builds TransactWriteItems itself: the request PynamoDB's TransactWrite sends,
updates sharing their actions and condition built once, each with its own key (range key too)."""

from __future__ import annotations

from typing import Any

from pynamodb.expressions.update import Action
from pynamodb.models import Model as PynamoModel
from pynamodb.transactions import TransactWrite

from chalicelib.store.tables import EdgeBase, GuardBase
from chalicelib.store.transaction import Label, Transaction


def on_table(base: type[PynamoModel], name: str) -> Any:
    """`base` bound to table `name`, as store/tables.py binds it."""
    return type(base.__name__, (base,), {"Meta": type("Meta", (), {"table_name": name, "region": "us-east-1"})})


# Edges have a range key; a condition check names its item by hash key alone.
Edge, Guard = on_table(EdgeBase, "edges"), on_table(GuardBase, "guards")


class Sent:
    """A connection that keeps what it is asked to send."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    def transact_write_items(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        return {}


def test_the_request_is_the_one_pynamodb_sends_each_update_with_its_own_key() -> None:
    shared_actions: list[Action] = [Edge.target.set("x"), Edge.source_id.set("y")]
    own_actions: list[Action] = [Edge.source_id.remove()]
    shared_condition = Edge.source.exists()
    sent = Sent()
    transaction = Transaction(sent)  # type: ignore[arg-type]
    label = Label("Edge")
    ends = [("s1", "a"), ("s1", "b"), ("s2", "a")]
    for source, target in ends:
        transaction.update(Edge(source, target), f"{source}/{target}", shared_actions, shared_condition, label)
    transaction.update(Edge("s3", "c"), "s3/c", own_actions, None, label)
    transaction.put(Guard("g1", owner="u"), "g1", Guard.key.does_not_exist(), label)
    transaction.delete(Edge("s4", "d"), "s4/d", None, label)
    transaction.check(Guard("g2"), "g2", Guard.owner == "u", label)
    transaction.commit()

    pynamodb = Sent()
    with TransactWrite(connection=pynamodb) as write:
        for source, target in ends:
            write.update(Edge(source, target), shared_actions, condition=shared_condition, add_version_condition=False)
        write.update(Edge("s3", "c"), own_actions, add_version_condition=False)
        write.save(Guard("g1", owner="u"), condition=Guard.key.does_not_exist())
        write.delete(Edge("s4", "d"), add_version_condition=False)
        write.condition_check(Guard, "g2", condition=Guard.owner == "u")

    (ours,), (theirs,) = sent.requests, pynamodb.requests
    assert ours.pop("client_request_token")
    kinds = ("condition_check_items", "delete_items", "put_items", "update_items")
    assert {kind: ours[kind] for kind in kinds} == {kind: theirs[kind] for kind in kinds}
    keys = [update["Key"] for update in ours["update_items"]]
    assert keys[:3] == [{"source": {"S": s}, "target_id": {"S": t}} for s, t in ends]
