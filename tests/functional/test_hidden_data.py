"""A record the caller may not read does not exist for it anywhere: every answer is computed as if
the caller's unreadable records did not exist, so it never differs with hidden data. Each query
is asked in two worlds that differ only in what the caller may not read (another user's note,
an admin-only vault, and their links), at two depths; the answers must be the same.

Writes authorize every record they touch: a record another caller may not update is neither
unlinked, moved away from, nor linked by import."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib.errors import PERMISSION_DENIED
from tests.conftest import Api
from tests.functional.helpers import Login, admin, call, sign_up

CREATE_LABEL = 'mutation { createLabel(input: {data: {name: "public"}}) { data { id } } }'
CREATE_LABEL_WITH = "mutation ($data: LabelCreateInput!) { createLabel(input: {data: $data}) { data { id } } }"
CREATE_NOTE = """
mutation ($data: NoteCreateInput!) { createNote(input: {data: $data}) { data { id } } }
"""
CREATE_VAULT = "mutation ($code: String!) { createVault(input: {data: {code: $code}}) { data { id } } }"
UPDATE_NOTE = """
mutation ($id: ID!, $data: NoteUpdateInput!) { updateNote(input: {where: {id: $id}, data: $data}) { data { id } } }
"""
UPDATE_LABEL = """
mutation ($id: ID!, $data: LabelUpdateInput!) { updateLabel(input: {where: {id: $id}, data: $data}) { data { id } } }
"""
IMPORT = "mutation ($data: [JSON]!) { importData(data: $data) { data missingData } }"
LABEL_NOTES = "query ($id: ID!) { label(id: $id) { notes { id } } }"
NOTE_STATE = "query ($id: ID!) { note(id: $id) { slug labels { id } vault { id } author { id } } }"

# What the callers ask: relation filters one hop (to the owner-only notes) and two hops (on to the
# admin-only vaults), inside and/or/not, `exists`, counts, relation fields, conditions and bulk writes.
QUERIES = {
    "match one hop": '{ labels(where: {notes: {match: {slug: ["a-secret"]}}}) { id } }',
    "range one hop": "{ labels(where: {notes: {range: {score: [50, 100]}}}) { id } }",
    "match two hops": '{ labels(where: {notes: {vault: {match: {code: ["V-1"]}}}}) { id } }',
    "exists two hops": "{ labels(where: {notes: {exists: {vault: true}}}) { id } }",
    "or": '{ labels(where: {or: [{notes: {match: {slug: ["a-secret"]}}}, {match: {name: ["none"]}}]}) { id } }',
    "not": '{ labels(where: {not: {notes: {match: {slug: ["a-secret"]}}}}) { id } }',
    "and": '{ labels(where: {and: [{notes: {exists: {slug: true}}}, {match: {name: ["public"]}}]}) { id } }',
    "exists": "{ labels(where: {exists: {notes: true}}) { id } }",
    "not exists": "{ labels(where: {exists: {notes: false}}) { id } }",
    "count": '{ labelsConnection(where: {notes: {match: {slug: ["a-secret"]}}}) { aggregate { count } } }',
    "count all": "{ labelsConnection { aggregate { count } edges { node { id } } } }",
    "relation field": "{ labels { id notes { id slug score } } }",
    "relation field filtered": '{ labels { notes(where: {vault: {match: {code: ["V-1"]}}}) { id } } }',
    "my notes": "{ notes(orderBy: {score: DESC}) { id slug vault { id } labels { id } } }",
    "my notes through vault": "{ notes(where: {exists: {vault: true}}) { id } }",
    "my notes by vault code": '{ notes(where: {vault: {match: {code: ["V-1"]}}}) { id } }',
    "my notes count": "{ notesConnection(where: {labels: {exists: {notes: true}}}) { aggregate { count } } }",
    "node": "query ($ada: ID!) { node(id: $ada) { id } }",
    "lookup": "query ($ada: ID!) { notes(id: [$ada]) { id } }",
    "condition": """mutation ($label: ID!) { updateLabel(input: {where: {id: $label}, data: {name: "public"},
        conditions: {notes: {match: {slug: ["a-secret"]}}}}) { data { id } unalteredData { id } } }""",
    "condition two hops": """mutation ($label: ID!) { updateLabel(input: {where: {id: $label}, data: {name: "public"},
        conditions: {not: {notes: {vault: {match: {code: ["V-1"]}}}}}}) { data { id } unalteredData { id } } }""",
    "updateMany": """mutation { updateManyLabels(input: {where: {notes: {match: {slug: ["a-secret"]}}},
        data: {name: "public"}}) { count complete } }""",
    "notes updateMany": """mutation { updateManyNotes(input: {where: {match: {slug: ["a-secret"]}},
        data: {score: 1}}) { count complete } }""",
    "vaults updateMany": """mutation { updateManyVaults(input: {where: {match: {code: ["V-1"]}},
        data: {code: "V-1"}}) { count complete } }""",
    "export notes": '{ exportData(types: ["Note"]) }',
    "export vaults": '{ exportData(types: ["Vault"]) }',
    "deleteMany": """mutation { deleteManyLabels(input: {where: {notes: {vault: {match: {code: ["V-1"]}}}}}) {
        count complete } }""",
}


@dataclass
class World:
    api: Api
    ada: Login
    bob: Login
    label: str
    ada_note: str
    bob_note: str
    vault: str

    def variables(self, query: str) -> dict[str, Any]:
        wanted = {"$ada": ("ada", self.ada_note), "$label": ("label", self.label)}
        return {name: value for token, (name, value) in wanted.items() if token in query}


def build(api: Api) -> World:
    """Ada's secret note and Bob's note on one public label; an admin-only vault behind both notes."""
    ada, bob = sign_up(api, "ada@example.com"), sign_up(api, "bob@example.com")
    label = admin(api, CREATE_LABEL)["createLabel"]["data"]["id"]
    vault = admin(api, CREATE_VAULT, {"code": "V-1"})["createVault"]["data"]["id"]
    notes = []
    for author, slug, score in ((ada, "a-secret", 77), (bob, "bobs", 10)):
        data = {
            "slug": slug,
            "score": score,
            "author": {"connect": {"id": author.user_id}},
            "labels": {"connect": [{"id": label}]},
            "vault": {"connect": {"id": vault}},
        }
        notes.append(admin(api, CREATE_NOTE, {"data": data})["createNote"]["data"]["id"])
    return World(api, ada, bob, label, notes[0], notes[1], vault)


def hide_differently(world: World) -> None:
    """Change only what Bob and anonymous callers may not read: Ada's note, the vault, their links."""
    api = world.api
    admin(api, UPDATE_NOTE, {"id": world.ada_note, "data": {"slug": "other", "score": 3}})
    admin(api, UPDATE_NOTE, {"id": world.ada_note, "data": {"vault": {"disconnect": True}}})
    admin(api, UPDATE_NOTE, {"id": world.bob_note, "data": {"vault": {"disconnect": True}}})
    admin(api, "mutation ($id: ID!) { deleteVault(input: {where: {id: $id}}) { data { id } } }", {"id": world.vault})
    admin(api, CREATE_VAULT, {"code": "V-2"})
    extra = {"slug": "a-secret", "score": 99, "author": {"connect": {"id": world.ada.user_id}}}
    admin(api, CREATE_NOTE, {"data": {**extra, "labels": {"connect": [{"id": world.label}]}}})


def answers(world: World, auth: str | None) -> dict[str, Any]:
    return {name: call(world.api, query, world.variables(query), auth).body for name, query in QUERIES.items()}


@pytest.mark.parametrize("caller", ["bob", "anonymous"])
def test_no_answer_differs_with_hidden_data(trust: Api, caller: str) -> None:
    world = build(trust)
    auth = world.bob.auth if caller == "bob" else None
    before = answers(world, auth)
    hide_differently(world)
    after = answers(world, auth)
    differing = [name for name in QUERIES if before[name] != after[name]]
    assert differing == [], {name: (before[name], after[name]) for name in differing}
    # What Bob sees of the label is his own note alone.
    if caller == "bob":
        assert before["relation field"]["data"]["labels"] == [
            {"id": world.label, "notes": [{"id": world.bob_note, "slug": "bobs", "score": 10}]}
        ]
        assert before["match one hop"]["data"]["labels"] == []
        assert before["exists two hops"]["data"]["labels"] == []
        assert before["count"]["data"]["labelsConnection"]["aggregate"]["count"] == 0
    # The label outlived the bulk delete: nothing it matched was visible.
    assert admin(trust, LABEL_NOTES, {"id": world.label})["label"] is not None


def test_the_owner_sees_through_its_own_records_only(trust: Api) -> None:
    world = build(trust)
    ada = world.ada.auth
    mine = call(trust, QUERIES["match one hop"], None, ada).data["labels"]
    assert mine == [{"id": world.label}]
    # The vault is system-admin's: Ada's filter through it finds nothing, and her note shows no vault.
    assert call(trust, QUERIES["match two hops"], None, ada).data["labels"] == []
    assert call(trust, NOTE_STATE, {"id": world.ada_note}, ada).data["note"]["vault"] is None
    assert call(trust, QUERIES["my notes through vault"], None, ada).data["notes"] == []


# Writes: every record touched is authorized as an update of that record.


def _denied_and_unchanged(world: World, reply_body: dict[str, Any], before: Any) -> None:
    codes = [error["extensions"]["code"] for error in reply_body.get("errors") or []]
    assert codes, reply_body
    assert codes[0] in (PERMISSION_DENIED, "GGT_RECORD_NOT_FOUND"), reply_body
    assert state(world) == before


def state(world: World) -> Any:
    notes = [admin(world.api, NOTE_STATE, {"id": i})["note"] for i in (world.ada_note, world.bob_note)]
    return notes, admin(world.api, LABEL_NOTES, {"id": world.label})["label"]


def test_another_user_cannot_unlink_your_note_from_a_label(trust: Api) -> None:
    world = build(trust)
    before = state(world)
    data = {"notes": {"disconnect": [{"id": world.ada_note}]}}
    reply = call(trust, UPDATE_LABEL, {"id": world.label, "data": data}, world.bob.auth)
    _denied_and_unchanged(world, reply.body, before)
    # Bob may unlink his own.
    data = {"notes": {"disconnect": [{"id": world.bob_note}]}}
    assert call(trust, UPDATE_LABEL, {"id": world.label, "data": data}, world.bob.auth).body.get("errors") is None


def test_an_owner_cannot_detach_or_replace_an_admin_only_record(trust: Api) -> None:
    world = build(trust)
    before = state(world)
    other_vault = admin(trust, CREATE_VAULT, {"code": "V-9"})["createVault"]["data"]["id"]
    for data in ({"vault": {"disconnect": True}}, {"vault": {"connect": {"id": other_vault}}}):
        reply = call(trust, UPDATE_NOTE, {"id": world.ada_note, "data": data}, world.ada.auth)
        _denied_and_unchanged(world, reply.body, before)


def test_a_delete_that_would_unlink_records_the_caller_may_not_update_is_refused(trust: Api) -> None:
    world = build(trust)
    before = state(world)
    reply = call(
        trust,
        "mutation ($id: ID!) { deleteLabel(input: {where: {id: $id}}) { data { id } } }",
        {"id": world.label},
        world.bob.auth,
    )
    _denied_and_unchanged(world, reply.body, before)
    # A label linked to Bob's notes alone is Bob's to delete.
    admin(trust, UPDATE_LABEL, {"id": world.label, "data": {"notes": {"disconnect": [{"id": world.ada_note}]}}})
    reply = call(
        trust,
        "mutation ($id: ID!) { deleteLabel(input: {where: {id: $id}}) { data { id } } }",
        {"id": world.label},
        world.bob.auth,
    )
    assert reply.body.get("errors") is None, reply.body


def test_import_links_only_records_the_caller_may_update(trust: Api) -> None:
    world = build(trust)
    before = state(world)
    # Ada's note does not exist for Bob: the import links nothing to it, and says it is missing.
    items = [{"__typename": "Label", "name": "imported", "notes": [world.ada_note]}]
    reply = call(trust, IMPORT, {"data": items}, world.bob.auth)
    assert reply.data["importData"]["missingData"] == [{"__typename": "Note", "id": world.ada_note}]
    assert state(world) == before
    # Bob's own note he links.
    items = [{"__typename": "Label", "name": "imported", "notes": [world.bob_note]}]
    reply = call(trust, IMPORT, {"data": items}, world.bob.auth)
    assert reply.body.get("errors") is None, reply.body
    linked = admin(trust, NOTE_STATE, {"id": world.bob_note})["note"]["labels"]
    assert len(linked) == 2


def test_connecting_needs_the_right_to_update_what_is_connected(trust: Api) -> None:
    world = build(trust)
    before = state(world)
    # Bob links Ada's note to a new label of his: that changes Ada's note.
    data = {"name": "bob's", "notes": {"connect": [{"id": world.ada_note}]}}
    reply = call(trust, CREATE_LABEL_WITH, {"data": data}, world.bob.auth)
    _denied_and_unchanged(world, reply.body, before)


def test_export_and_import_payloads_hold_no_hidden_link(trust: Api) -> None:
    world = build(trust)
    exported = call(trust, '{ exportData(types: ["Label"]) }', None, world.bob.auth).data["exportData"]
    assert exported == [{"__typename": "Label", "id": world.label, "name": "public", "notes": [world.bob_note]}]
    items = [{"__typename": "Label", "id": world.label, "name": "public"}]
    merged = call(
        trust,
        "mutation ($data: [JSON]!) { importData(data: $data, merge: true) { data } }",
        {"data": items},
        world.bob.auth,
    ).data["importData"]["data"]
    assert merged == [{"__typename": "Label", "id": world.label, "name": "public", "notes": [world.bob_note]}]


def test_nested_writes_two_deep_authorize_what_they_touch(trust: Api) -> None:
    world = build(trust)
    before = state(world)
    other_vault = admin(trust, CREATE_VAULT, {"code": "V-9"})["createVault"]["data"]["id"]
    deep_update = {"notes": {"update": [{"where": {"id": world.bob_note}, "data": {"vault": {"disconnect": True}}}]}}
    deep_move = {
        "notes": {"update": [{"where": {"id": world.bob_note}, "data": {"vault": {"connect": {"id": other_vault}}}}]}
    }
    # Through the label, to Bob's own note, on to the admin-only vault: the vault is not Bob's to change.
    for data in (deep_update, deep_move):
        reply = call(trust, UPDATE_LABEL, {"id": world.label, "data": data}, world.bob.auth)
        _denied_and_unchanged(world, reply.body, before)
    # Nor is a new note, created two deep under a new label, to be linked to the vault.
    deep_create: dict[str, Any] = {
        "name": "n",
        "notes": {"create": [{"slug": "new", "vault": {"connect": {"id": other_vault}}}]},
    }
    created = call(trust, CREATE_LABEL_WITH, {"data": deep_create}, world.bob.auth)
    _denied_and_unchanged(world, created.body, before)
    labels = admin(trust, "{ labels { name } }")["labels"]
    assert labels == [{"name": "public"}]
    # A deep update of Bob's own note's own fields is his to make.
    mine = {"notes": {"update": [{"where": {"id": world.bob_note}, "data": {"slug": "bobs2"}}]}}
    assert call(trust, UPDATE_LABEL, {"id": world.label, "data": mine}, world.bob.auth).body.get("errors") is None
    # Ada's note is not Bob's to reach, at any depth.
    hers = {"notes": {"update": [{"where": {"id": world.ada_note}, "data": {"slug": "taken"}}]}}
    after = state(world)
    _denied_and_unchanged(
        world, call(trust, UPDATE_LABEL, {"id": world.label, "data": hers}, world.bob.auth).body, after
    )


def test_a_merge_with_failing_conditions_does_not_show_a_hidden_record(trust: Api) -> None:
    world = build(trust)
    items = [{"__typename": "Note", "id": world.ada_note}]
    conditions = [{"id": [world.ada_note], "conditions": {"match": {"slug": ["nope"]}}}]
    query = """mutation ($data: [JSON]!, $c: [ConditionsInput!]) {
      importData(data: $data, merge: true, conditions: $c) { data unalteredData }
    }"""
    reply = call(trust, query, {"data": items, "c": conditions}, world.bob.auth)
    # Ada's note does not exist for Bob: nothing to hold back, and nothing of hers shown.
    assert reply.data["importData"]["unalteredData"] == []
    assert "a-secret" not in json.dumps(reply.body)
    assert admin(trust, NOTE_STATE, {"id": world.ada_note})["note"]["slug"] == "a-secret"
