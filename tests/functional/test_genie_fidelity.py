"""Genie's own argument shapes and wording, where Shoreline used to differ: ordering by Boolean
fields, and not-found errors that say "not found" in words Genie's clients match."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

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
