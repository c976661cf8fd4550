"""The authorization matrix, generated from a schema: every model x operation x role, with what
each caller may do worked out here from the schema's `@access`, independently of the server's
own check. An operation counts as allowed when it had its effect (the record read, listed,
changed, deleted or written), whatever it answered; every case must be allowed exactly when the
schema allows it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib.schema.registry import Model
from tests.conftest import ADMIN, Api
from tests.functional.helpers import Login, admin, call, sign_up

ROLES = ("unauthenticated", "owner", "other", "admin")
# The roles each test caller has.
CALLER_ROLES = {"unauthenticated": {"unauthenticated"}, "owner": {"signed-in"}, "other": {"signed-in"}}
# A plain scalar field of each model, written by every write of the matrix.
FIELD = {"User": "name", "Shop": "name", "Label": "name", "Note": "slug", "Vault": "code", "Memo": "text"}
MODELS = tuple(FIELD)


def expected(model: Model, action: str, role: str) -> bool:
    """What the schema's `@access` allows `role` to do to a record of `model` that the owner owns."""
    if role == "admin":
        return True
    granted = set(getattr(model.access, action))
    if CALLER_ROLES[role] & granted:
        return True
    if "owner" not in granted or role == "unauthenticated":
        return False
    # Creating is allowed to any signed-in user when owners may create (the record becomes theirs).
    return action == "create" or (role == "owner" and model.access.owner_field is not None)


@dataclass
class Case:
    api: Api
    model: Model
    record_id: str
    owner: Login | None
    bob: Login

    def auth(self, role: str) -> str | None:
        if role == "owner":
            return self.owner.auth if self.owner is not None else None
        return {"unauthenticated": None, "other": self.bob.auth, "admin": ADMIN["Authorization"]}[role]

    def stored(self) -> dict[str, Any] | None:
        field = FIELD[self.model.name]
        found: dict[str, Any] | None = admin(
            self.api,
            f"query ($id: ID!) {{ node(id: $id) {{ id ... on {self.model.name} {{ {field} }} }} }}",
            {"id": self.record_id},
        )["node"]
        return found


def new_case(api: Api, model: Model, bob: Login, serial: int) -> Case:
    """A fresh record of `model` made by system-admin, and who owns it (a user owns itself)."""
    field = FIELD[model.name]
    if model.name == "User":
        user = sign_up(api, f"owner{serial}@example.com")
        return Case(api, model, user.user_id, user, bob)
    owner = sign_up(api, f"owner{serial}@example.com")
    data: dict[str, Any] = {field: "original"}
    if model.access.owner_field is not None:
        data[model.access.owner_field] = {"connect": {"id": owner.user_id}}
    created = admin(
        api,
        f"mutation ($data: {model.name}CreateInput!) "
        f"{{ create{model.name}(input: {{data: $data}}) {{ data {{ id }} }} }}",
        {"data": data},
    )
    return Case(api, model, created[f"create{model.name}"]["data"]["id"], owner, bob)


def _ids(items: list[dict[str, Any] | None] | None) -> set[str]:
    return {item["id"] for item in items or [] if item is not None}


def _read(case: Case, role: str) -> bool:
    reply = call(
        case.api,
        f"query ($id: ID!) {{ {case.model.single_field}(id: $id) {{ id }} }}",
        {"id": case.record_id},
        case.auth(role),
    )
    return (reply.body.get("data") or {}).get(case.model.single_field) is not None


def _list(case: Case, role: str) -> bool:
    reply = call(case.api, f"{{ {case.model.list_field} {{ id }} }}", None, case.auth(role))
    return case.record_id in _ids((reply.body.get("data") or {}).get(case.model.list_field))


def _count(case: Case, role: str) -> bool:
    name = f"{case.model.list_field}Connection"
    reply = call(case.api, f"{{ {name} {{ edges {{ node {{ id }} }} aggregate {{ count }} }} }}", None, case.auth(role))
    connection = (reply.body.get("data") or {}).get(name)
    if connection is None:
        return False
    listed = case.record_id in _ids([edge["node"] for edge in connection["edges"]])
    assert connection["aggregate"]["count"] == len(connection["edges"])
    return listed


def _node(case: Case, role: str) -> bool:
    reply = call(case.api, "query ($id: ID!) { node(id: $id) { id } }", {"id": case.record_id}, case.auth(role))
    return (reply.body.get("data") or {}).get("node") is not None


def _update(case: Case, role: str) -> bool:
    field = FIELD[case.model.name]
    query = (
        f"mutation ($id: ID!) {{ update{case.model.name}"
        f'(input: {{where: {{id: $id}}, data: {{{field}: "changed"}}}}) {{ data {{ id }} }} }}'
    )
    call(case.api, query, {"id": case.record_id}, case.auth(role))
    return (case.stored() or {}).get(field) == "changed"


def _update_many(case: Case, role: str) -> bool:
    field = FIELD[case.model.name]
    name = f"updateMany{case.model.plural[:1].upper()}{case.model.plural[1:]}"
    query = (
        f"mutation ($id: ID!) {{ {name}"
        f'(input: {{where: {{match: {{id: [$id]}}}}, data: {{{field}: "changed"}}}}) {{ count }} }}'
    )
    call(case.api, query, {"id": case.record_id}, case.auth(role))
    return (case.stored() or {}).get(field) == "changed"


def _delete(case: Case, role: str) -> bool:
    query = f"mutation ($id: ID!) {{ delete{case.model.name}(input: {{where: {{id: $id}}}}) {{ clientMutationId }} }}"
    call(case.api, query, {"id": case.record_id}, case.auth(role))
    return case.stored() is None


def _delete_many(case: Case, role: str) -> bool:
    name = f"deleteMany{case.model.plural[:1].upper()}{case.model.plural[1:]}"
    query = f"mutation ($id: ID!) {{ {name}(input: {{where: {{match: {{id: [$id]}}}}}}) {{ count }} }}"
    call(case.api, query, {"id": case.record_id}, case.auth(role))
    return case.stored() is None


def _create(case: Case, role: str) -> bool:
    field = FIELD[case.model.name]
    data: dict[str, Any] = {field: "made"}
    if case.model.name == "User":
        data["email"] = f"made-{role}@example.com"
    query = (
        f"mutation ($data: {case.model.name}CreateInput!) "
        f"{{ create{case.model.name}(input: {{data: $data}}) {{ clientMutationId }} }}"
    )
    return "errors" not in call(case.api, query, {"data": data}, case.auth(role)).body


def _export(case: Case, role: str) -> bool:
    reply = call(
        case.api,
        "query ($types: [String]) { exportData(types: $types) }",
        {"types": [case.model.name]},
        case.auth(role),
    )
    return case.record_id in _ids((reply.body.get("data") or {}).get("exportData"))


def _import(case: Case, role: str) -> bool:
    item: dict[str, Any] = {"__typename": case.model.name, FIELD[case.model.name]: "imported"}
    if case.model.name == "User":
        item["email"] = f"imported-{role}@example.com"
    reply = call(
        case.api, "mutation ($data: [JSON]!) { importData(data: $data) { data } }", {"data": [item]}, case.auth(role)
    )
    return "errors" not in reply.body


@dataclass(frozen=True)
class Operation:
    name: str
    run: Callable[[Case, str], bool]
    # Which of `@access`'s actions the operation needs: all of them.
    actions: tuple[str, ...]
    # Whether it changes or removes the record, so the next operation needs a fresh one.
    destructive: bool = False


OPERATIONS = (
    Operation("single", _read, ("read",)),
    Operation("list", _list, ("read",)),
    Operation("connection", _count, ("read",)),
    Operation("node", _node, ("read",)),
    Operation("create", _create, ("create",)),
    Operation("export", _export, ("bulk", "read")),
    Operation("import", _import, ("bulk", "create")),
    Operation("update", _update, ("update",), destructive=True),
    Operation("updateMany", _update_many, ("bulk", "update"), destructive=True),
    Operation("delete", _delete, ("delete",), destructive=True),
    Operation("deleteMany", _delete_many, ("bulk", "delete"), destructive=True),
)


@pytest.mark.parametrize("model_name", MODELS)
def test_every_operation_is_allowed_exactly_as_the_schema_says(trust: Api, model_name: str) -> None:
    model = trust.service.registry.model(model_name)
    bob = sign_up(trust, "bob@example.com")
    serial = 0
    unexpected: list[str] = []
    for role in ROLES:
        case = new_case(trust, model, bob, serial := serial + 1)
        for operation in OPERATIONS:
            if operation.destructive:
                case = new_case(trust, model, bob, serial := serial + 1)
            wanted = all(expected(model, action, role) for action in operation.actions)
            got = operation.run(case, role)
            if got != wanted:
                unexpected.append(f"{model_name}.{operation.name} as {role}: {'allowed' if got else 'denied'}")
    assert unexpected == [], unexpected
