"""The cleanup job: a deletion leaves its links for later; `check` tells them apart from broken
ones; `python -m chalicelib cleanup` (and its scheduled run) removes them, resumably."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pynamodb.expressions.operand import Path as Attribute

from chalicelib.api import ids
from chalicelib.store import cleanup, edges
from chalicelib.store.cleanup import Budget, Report
from tests.conftest import Api
from tests.functional.helpers import run_cleanup
from tooling.cli import main
from tooling.consistency import Pending, Problem, audit, check

SCHEMA = """
type City { id: ID! name: String! users: [User] tags: [Tag] }
type User { id: ID! name: String home: City friends: [User] }
type Tag { id: ID! label: String cities: [City] }
"""
CREATE = """
mutation ($d: CityCreateInput!) {
  createCity(input: {data: $d}) { data { id users { id } tags { id } } }
}
"""
USER = "query ($id: ID!) { user(id: $id) { id home { id } friends { id } } }"
TAG = "query ($id: ID!) { tag(id: $id) { id cities { id } } }"
CHILDREN = 3


@pytest.fixture
def api(make_api: Callable[..., Api], tmp_path: Path) -> Api:
    schema = tmp_path / "links.graphql"
    schema.write_text(SCHEMA)
    return make_api(schema)


def _city(api: Api, name: str, users: int = 0, tags: int = 0) -> dict[str, Any]:
    data = {
        "name": name,
        "users": {"create": [{"name": f"{name}-u{i}"} for i in range(users)]},
        "tags": {"create": [{"label": f"{name}-t{i}"} for i in range(tags)]},
    }
    city: dict[str, Any] = api.data(CREATE, {"d": data})["createCity"]["data"]
    return city


def _delete(api: Api, model: str, record_id: str) -> None:
    api.data(
        f"mutation ($id: ID!) {{ delete{model}(input: {{where: {{id: $id}}}}) {{ data {{ id }} }} }}", {"id": record_id}
    )


def _connect(api: Api, user_id: str, field: str, connect: Any) -> None:
    api.data(
        "mutation ($id: ID!, $d: UserUpdateInput!) { updateUser(input: {where: {id: $id}, data: $d}) { data { id } } }",
        {"id": user_id, "d": {field: {"connect": connect}}},
    )


def _run(api: Api, **budget: Any) -> Report:
    return cleanup.run(api.service.tables, Budget(**budget), min_age=0)


def _item(api: Api, model: str, record_id: str) -> dict[str, Any]:
    values: dict[str, Any] = api.service.tables.model_class(model).get(record_id).attribute_values
    return values


def _edges(api: Api) -> set[tuple[str, str]]:
    return {(e.source_id, e.target_id) for e in api.service.tables.edge.scan()}


def _pending_items(api: Api) -> list[str]:
    return [item.key for item in api.service.tables.cleanup.scan()]


def _use_stage(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = api.service.settings
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", settings.store.endpoint_url or "")
    monkeypatch.setenv("TABLE_PREFIX", settings.store.table_prefix)
    monkeypatch.setenv("SCHEMA", str(settings.schema_path))


def test_a_deleted_parent_is_pending_until_the_cleanup_unsets_its_children_and_edges(
    api: Api, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    doomed = _city(api, "doomed", users=CHILDREN, tags=2)
    kept = _city(api, "kept", users=1, tags=1)
    children = [u["id"] for u in doomed["users"]]
    _delete(api, "City", doomed["id"])

    # The children still point at the deleted city, the edges to its tags are still there.
    assert all(_item(api, "User", c)["f_home"] == doomed["id"] for c in children)
    assert {s for s, _ in _edges(api)} == {doomed["id"], kept["id"]}
    # Reads skip them all the same.
    for child in children:
        assert api.data(USER, {"id": child})["user"]["home"] is None
    assert api.data(TAG, {"id": doomed["tags"][0]["id"]})["tag"]["cities"] == []

    findings = list(audit(api.service.store))
    assert findings, "the links left behind are found"
    assert all(isinstance(f, Pending) and f.deleted_id == doomed["id"] for f in findings)
    assert len(findings) == CHILDREN + 2
    assert list(check(api.service.store)) == []
    _use_stage(api, monkeypatch)
    assert main(["check"]) == 0
    assert f"1 deleted records await the cleanup job, leaving {CHILDREN + 2} links" in capsys.readouterr().out

    versions = {c: _item(api, "User", c)["version_"] for c in children}
    assert main(["cleanup", "--min-age", "0"]) == 0
    assert f"1 deleted records cleaned up: {CHILDREN} child links unset, 2 edges removed" in capsys.readouterr().out
    for child in children:
        item = _item(api, "User", child)
        assert "f_home" not in item
        assert item["version_"] == versions[child] + 1
        assert api.data(USER, {"id": child})["user"]["home"] is None
    assert _edges(api) == {(kept["id"], kept["tags"][0]["id"])}
    assert _pending_items(api) == []
    assert list(audit(api.service.store)) == []
    assert main(["check"]) == 0
    assert "await the cleanup job" not in capsys.readouterr().out
    # The other city lost nothing.
    assert [
        u["id"]
        for u in api.data("query ($id: ID!) { city(id: $id) { users { id } } }", {"id": kept["id"]})["city"]["users"]
    ] == [kept["users"][0]["id"]]

    # A second run finds nothing to do.
    assert _run(api) == Report()


def test_edges_go_in_both_directions(api: Api) -> None:
    city = _city(api, "c", tags=2)
    tag = city["tags"][0]["id"]
    ann, bob, cat = (_city(api, n, users=1)["users"][0]["id"] for n in ("a", "b", "c2"))
    _connect(api, ann, "friends", [{"id": bob}, {"id": cat}])
    _connect(api, bob, "friends", [{"id": cat}])
    # The tag is the target of its edge (stored from City.tags); a friend may be either end.
    _delete(api, "Tag", tag)
    _delete(api, "User", cat)
    assert len(_pending_items(api)) == 2
    report = _run(api)
    assert (report.cleaned, report.edges, report.unset) == (2, 3, 0)
    assert _edges(api) == {(city["id"], city["tags"][1]["id"]), tuple(sorted((ann, bob)))}
    assert [f["id"] for f in api.data(USER, {"id": ann})["user"]["friends"]] == [bob]
    assert list(audit(api.service.store)) == []


def test_a_run_out_of_budget_resumes_where_it_stopped(api: Api) -> None:
    doomed = _city(api, "doomed", users=CHILDREN, tags=2)
    other = _city(api, "other", users=2)
    _delete(api, "City", doomed["id"])
    _delete(api, "City", other["id"])
    runs = []
    while True:
        report = _run(api, writes=1)
        runs.append(report)
        if report.finished:
            break
        assert len(runs) < 20
    # One write a run: 5 children, 2 edges, 2 pending items, and a last run that finds the rest done.
    assert len(runs) >= CHILDREN + 2 + 2 + 2
    assert sum(r.unset for r in runs) == CHILDREN + 2
    assert sum(r.edges for r in runs) == 2
    assert sum(r.cleaned for r in runs) == 2
    assert _pending_items(api) == []
    assert _edges(api) == set()
    assert list(audit(api.service.store)) == []


def test_a_time_budget_stops_a_run(api: Api) -> None:
    doomed = _city(api, "doomed", users=1)
    _delete(api, "City", doomed["id"])
    assert _run(api, seconds=0) == Report(finished=False)
    assert _run(api, seconds=60).cleaned == 1


def test_a_child_linked_to_another_parent_keeps_it(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    doomed = _city(api, "doomed", users=CHILDREN)
    home = _city(api, "home")
    early, late, *_ = (u["id"] for u in doomed["users"])
    _delete(api, "City", doomed["id"])
    # One moves before the cleanup runs, another between the job's read and its write.
    _connect(api, early, "home", {"id": home["id"]})
    unset = cleanup._unset

    def moved_meanwhile(store: Any, model: Any, pointer: Any, child: dict[str, Any], record_id: str) -> bool:
        if child["id"] == late:
            _connect(api, late, "home", {"id": home["id"]})
        return unset(store, model, pointer, child, record_id)

    monkeypatch.setattr(cleanup, "_unset", moved_meanwhile)
    report = _run(api)
    assert (report.cleaned, report.unset, report.kept) == (1, CHILDREN - 2, 1)
    for child in (early, late):
        assert api.data(USER, {"id": child})["user"]["home"] == {"id": home["id"]}
    assert list(audit(api.service.store)) == []


def test_a_record_that_exists_again_keeps_its_links(api: Api) -> None:
    city = _city(api, "c", users=1)
    record = api.service.store.get(api.service.registry.model("City"), city["id"])
    assert record is not None
    _delete(api, "City", city["id"])
    api.service.store.restore(api.service.registry.model("City"), [record])
    report = _run(api)
    assert (report.restored, report.cleaned, report.unset) == (1, 0, 0)
    assert api.data(USER, {"id": city["users"][0]["id"]})["user"]["home"] == {"id": city["id"]}
    assert _pending_items(api) == []


def test_a_recent_deletion_waits_for_the_indexes_to_settle(api: Api) -> None:
    city = _city(api, "c", users=1)
    _delete(api, "City", city["id"])
    report = cleanup.run(api.service.tables, Budget())
    assert (report.waiting, report.cleaned) == (1, 0)
    assert len(_pending_items(api)) == 1


def test_links_to_a_missing_record_without_a_pending_cleanup_are_broken(
    api: Api, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    city = _city(api, "c", users=1, tags=1)
    user = city["users"][0]["id"]
    ghost_city, ghost_tag = ids.new_id("City"), ids.new_id("Tag")
    tables = api.service.tables
    tables.model_class("User").get(user).update(actions=[Attribute("home").set({"S": ghost_city})])
    edges.write(tables, [edges.stored(tables, "City.tags", city["id"], ghost_tag)], linked=True)
    problems = list(check(api.service.store))
    assert sorted((p.kind, p.record_id) for p in problems) == sorted([("relation", user), ("relation", ghost_tag)])
    assert all(isinstance(p, Problem) for p in problems)
    _use_stage(api, monkeypatch)
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert f"relation: User {user}: home -> {ghost_city}, which does not exist" in out
    assert "2 inconsistencies found" in out


def test_the_scheduled_function_runs_one_pass(api: Api) -> None:
    city = _city(api, "c", users=2)
    _delete(api, "City", city["id"])
    (key,) = _pending_items(api)
    # Old enough for the scheduled run, which waits for the indexes to settle.
    tables = api.service.tables
    tables.cleanup(key=key, deleted=1).save()
    result = run_cleanup(api)
    assert (result["cleaned"], result["unset"], result["finished"]) == (1, 2, True)
    assert _pending_items(api) == []
