"""Genie's own argument shapes and wording, where Shoreline used to differ: ordering by Boolean
fields, and not-found errors that say "not found" in words Genie's clients match."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chalicelib.errors import RECORD_NOT_FOUND
from tests.conftest import Api

TASKS = """
type Task { id: ID! title: String done: Boolean owner: Person }
type Person { id: ID! name: String @unique tasks: [Task] }
"""
CREATE = """
mutation ($title: String!, $done: Boolean) {
  createTask(input: {data: {title: $title, done: $done}}) { data { id } }
}
"""
MISSING = "VGFzazowMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMA"


@pytest.fixture
def tasks(make_api: Callable[..., Api], tmp_path: Path) -> Api:
    schema = tmp_path / "tasks.graphql"
    schema.write_text(TASKS)
    api = make_api(schema)
    for title, done in (("a", True), ("b", False), ("c", None), ("d", True), ("e", False)):
        api.data(CREATE, {"title": title, "done": done})
    return api


@pytest.mark.parametrize(
    ("direction", "titles"),
    [("ASC", ["b", "e", "a", "d", "c"]), ("DESC", ["a", "d", "b", "e", "c"])],
)
def test_boolean_fields_order_false_before_true_and_nulls_last(tasks: Api, direction: str, titles: list[str]) -> None:
    query = f"{{ tasks(orderBy: {{done: {direction}, title: ASC}}) {{ title done }} }}"
    assert [task["title"] for task in tasks.data(query)["tasks"]] == titles


def test_a_page_ordered_by_a_boolean_resumes_at_its_cursor(tasks: Api) -> None:
    query = """query ($first: Int, $after: String) {
      tasksConnection(orderBy: {done: ASC}, first: $first, after: $after) {
        edges { node { title } } pageInfo { endCursor }
      }
    }"""
    first = tasks.data(query, {"first": 2})["tasksConnection"]
    rest = tasks.data(query, {"first": 10, "after": first["pageInfo"]["endCursor"]})["tasksConnection"]
    seen = [edge["node"]["title"] for edge in first["edges"] + rest["edges"]]
    # Ties are broken by id, which is random: within false and within true any order is right.
    assert set(seen[:2]) == {"b", "e"}
    assert set(seen[2:4]) == {"a", "d"}
    assert seen[4] == "c"


@pytest.mark.parametrize(
    "operation",
    [
        f'mutation {{ updateTask(input: {{where: {{id: "{MISSING}"}}, data: {{title: "x"}}}}) {{ data {{ id }} }} }}',
        f'mutation {{ deleteTask(input: {{where: {{id: "{MISSING}"}}}}) {{ data {{ id }} }} }}',
        'mutation { updatePerson(input: {where: {name: "nobody"}, data: {name: "x"}}) { data { id } } }',
        'mutation { createPerson(input: {data: {name: "p", tasks: {connect: [{id: "'
        + MISSING
        + '"}]}}}) { data { id } } }',
    ],
    ids=["update", "delete", "update by unique", "connect"],
)
def test_a_missing_record_is_not_found_in_words_genie_clients_match(tasks: Api, operation: str) -> None:
    errors = tasks.query(operation)["errors"]
    assert errors[0]["extensions"]["code"] == RECORD_NOT_FOUND
    assert "not found" in errors[0]["message"]


# importData: Genie's list of conditions, relation filters in them, and linked records read in batches.

IMPORT = """
mutation ($data: [JSON]!, $conditions: [ConditionsInput!]) {
  importData(data: $data, merge: true, conditions: $conditions) { data unalteredData missingData }
}
"""
PERSON = "mutation ($name: String!) { createPerson(input: {data: {name: $name}}) { data { id } } }"
OWNED_TASK = """
mutation ($title: String!, $done: Boolean, $owner: ID!) {
  createTask(input: {data: {title: $title, done: $done, owner: {connect: {id: $owner}}}}) { data { id } }
}
"""


def _titles(lines: list[dict[str, Any]]) -> list[Any]:
    return sorted(line["title"] for line in lines)


def test_import_conditions_take_genies_list_and_filter_through_relations(tasks: Api) -> None:
    ann = tasks.data(PERSON, {"name": "ann"})["createPerson"]["data"]["id"]
    bob = tasks.data(PERSON, {"name": "bob"})["createPerson"]["data"]["id"]
    ids = {}
    for title, done, owner in (("t1", True, ann), ("t2", False, ann), ("t3", True, bob)):
        ids[title] = tasks.data(OWNED_TASK, {"title": title, "done": done, "owner": owner})["createTask"]["data"]["id"]
    data = [{"__typename": "Task", "id": ids[t], "title": f"{t}!"} for t in ("t1", "t2", "t3")]
    conditions = [
        {"id": [ids["t1"], ids["t2"]], "conditions": {"match": {"done": [True]}}},
        {"id": [ids["t1"], ids["t3"]], "conditions": {"owner": {"match": {"name": ["ann"]}}}},
    ]
    result = tasks.data(IMPORT, {"data": data, "conditions": conditions})["importData"]
    # t1 meets both; t2 is not done; t3 is not ann's.
    assert _titles(result["data"]) == ["t1!"]
    assert _titles(result["unalteredData"]) == ["t2", "t3"]
    # One object stands for a list of one, as GraphQL coerces it.
    single = {"id": [ids["t2"]], "conditions": {"match": {"done": [False]}}}
    again = tasks.data(IMPORT, {"data": data[1:2], "conditions": single})["importData"]
    assert _titles(again["data"]) == ["t2!"]


def test_import_reads_the_records_it_links_once_each_in_batches(tasks: Api) -> None:
    people = [tasks.data(PERSON, {"name": n})["createPerson"]["data"]["id"] for n in ("a", "b", "c")]
    data = [{"__typename": "Task", "title": f"t{i}", "owner": people[i % 3]} for i in range(40)]
    with tasks.calls() as calls:
        result = tasks.data(IMPORT, {"data": data})["importData"]
    assert len(result["data"]) == 40
    assert result["missingData"] == []
    assert calls.counts["GetItem"] == 0
    # The linked people read once before the write, and once after it for the payload's links.
    assert calls.counts["BatchGetItem"] == 2
    assert calls.counts["TransactWriteItems"] == 1
    listed = tasks.data("{ people { name tasks { title } } }")["people"]
    assert sorted(len(person["tasks"]) for person in listed) == [13, 13, 14]
