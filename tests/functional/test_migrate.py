"""`python -m chalicelib migrate [--apply]` on live data: records written under one schema, brought
to the next, then served by it, and `check` clean afterwards."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chalicelib import schema_state as state
from chalicelib.schema import load_schema_file
from chalicelib.store.tables import StoreConfig, Tables
from tests.conftest import Api
from tests.functional.helpers import create_mutation, update_mutation
from tooling.cli import main
from tooling.local.dynamodb import LocalDynamoDB
from tooling.migrations.apply import apply
from tooling.migrations.links import MOST
from tooling.migrations.plan import plan
from tooling.migrations.structure import carry_out, compare

PREFIX = "test-"  # make_api's

CITY = "type City @model { id: ID! name: String population: Int }"
CREATE_CITY = create_mutation("City")
UPDATE_CITY = update_mutation("City")


@dataclass
class Stage:
    """One stage (make_api's tables) and the CLI's environment pointed at it."""

    make_api: Callable[..., Api]
    folder: Path
    monkeypatch: pytest.MonkeyPatch
    dynamodb: LocalDynamoDB
    capsys: pytest.CaptureFixture[str]
    versions: int = 0

    def schema(self, sdl: str) -> Path:
        """Write `sdl` to a new file and point the CLI's SCHEMA at it."""
        self.versions += 1
        path = self.folder / f"v{self.versions}.graphql"
        path.write_text(sdl)
        self.monkeypatch.setenv("SCHEMA", str(path))
        return path

    def api(self, path: Path) -> Api:
        return self.make_api(path)

    def migrate(self, *args: str) -> tuple[int, str]:
        """Run the CLI; its exit status and what it printed."""
        self.capsys.readouterr()
        status = main(["migrate", *args])
        captured = self.capsys.readouterr()
        return status, captured.out + captured.err

    def check(self) -> str:
        self.capsys.readouterr()
        status = main(["check"])
        out = self.capsys.readouterr().out
        assert status == 0, out
        return out

    def tables(self, path: Path) -> Tables:
        return Tables(load_schema_file(path), StoreConfig.at_endpoint(PREFIX, "us-east-1", self.dynamodb.url))

    def start(self, sdl: str) -> Api:
        """The stage at `sdl`, migrated (its tables, the schema recorded), and its API."""
        path = self.schema(sdl)
        api = self.api(path)
        status, out = self.migrate("--apply")
        assert status == 0, out
        return api

    def to(self, sdl: str) -> Api:
        """The stage brought to `sdl` by `migrate --apply`, and the API of that schema."""
        path = self.schema(sdl)
        status, out = self.migrate("--apply")
        assert status == 0, out
        self.check()
        again, out = self.migrate("--apply")
        assert (again, out.splitlines()[-1]) == (0, "Nothing to do."), out
        return self.api(path)


@pytest.fixture
def stage(
    make_api: Callable[..., Api],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    dynamodb: LocalDynamoDB,
    capsys: pytest.CaptureFixture[str],
) -> Stage:
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamodb.url)
    monkeypatch.setenv("TABLE_PREFIX", PREFIX)
    monkeypatch.delenv("STAGE", raising=False)
    return Stage(make_api, tmp_path, monkeypatch, dynamodb, capsys)


def create(api: Api, model: str, **data: Any) -> str:
    record_id: str = api.data(create_mutation(model), {"data": data})[f"create{model}"]["data"]["id"]
    return record_id


def raw_item(api: Api, model: str, record_id: str) -> dict[str, Any]:
    table = api.service.tables.model_class(model).Meta.table_name
    item: dict[str, Any] = api.service.store.client.get_item(
        TableName=table, Key={"id": {"S": record_id}}, ConsistentRead=True
    )["Item"]
    return item


# The plan.


def test_a_stage_at_its_schema_has_nothing_to_do(stage: Stage) -> None:
    stage.start(CITY)
    status, out = stage.migrate()
    assert status == 0
    assert out.endswith("Nothing to do.\n")
    assert "is at schema" in out


def test_the_plan_writes_nothing(stage: Stage) -> None:
    api = stage.start(CITY)
    for name in ("A", "B"):
        create(api, "City", name=name)
    before = state.read(api.service.tables)
    stage.schema(
        CITY.replace("name: String", "name: String @unique").replace("@model", '@model @index(sortBy: "name")')
    )
    status, out = stage.migrate()
    assert status == 0, out
    assert "add index name-index to test-City" in out
    assert "add index sorted-name to test-City" in out
    assert "backfill City (2 records, 2 to write, 2 guards to write): index keys, unique guards of name" in out
    assert "compute counters of City from their records" in out
    assert out.endswith("Nothing written: run again with --apply to carry it out.\n")
    assert state.read(api.service.tables) == before
    described = api.service.store.client.describe_table(TableName="test-City")["Table"]
    assert not described.get("GlobalSecondaryIndexes")
    assert not list(api.service.tables.guard.scan())


# Changes on live data.


def test_a_unique_with_duplicates_is_refused_then_applied_once_they_are_fixed(stage: Stage) -> None:
    old = stage.start(CITY)
    first, second = create(old, "City", name="Dup"), create(old, "City", name="Dup")
    create(old, "City", name="Other")
    stage.schema(CITY.replace("name: String", "name: String @unique"))
    for args in ((), ("--apply",)):
        status, out = stage.migrate(*args)
        assert status == 1, out
        assert "Blocked:" in out
        (line,) = [line for line in out.splitlines() if "@unique, but" in line]
        assert line.startswith("  City.name: @unique, but 'Dup' is held by City ")
        assert first in line
        assert second in line
        assert out.endswith("Nothing written: fix these records (or the schema), then run again.\n")
    assert not list(old.service.tables.guard.scan())
    old.data(UPDATE_CITY, {"id": second, "data": {"name": "Fixed"}})
    new = stage.to(CITY.replace("name: String", "name: String @unique"))
    assert new.data('{ city(name: "Dup") { id } }')["city"] == {"id": first}
    assert new.data('{ city(name: "Fixed") { id } }')["city"] == {"id": second}
    taken = new.query('mutation { createCity(input: {data: {name: "Other"}}) { data { id } } }')
    assert taken["errors"][0]["extensions"]["code"] == "GGT_INVALID_RECORD"


def test_an_index_added_to_a_field_serves_reads_by_it(stage: Stage) -> None:
    old = stage.start(CITY)
    ids = [create(old, "City", name=n) for n in ("A", "B", "A")]
    new = stage.to(CITY.replace("name: String", "name: String @index"))
    with new.calls() as calls:
        found = new.data('{ cities(where: {match: {name: ["A"]}}) { id } }')["cities"]
    assert sorted(c["id"] for c in found) == sorted([ids[0], ids[2]])
    assert calls.counts["Query"] == 1
    assert "Scan" not in calls.counts


SORTED = """
type User @model { id: ID! name: String posts: [Post] }
type Post @model { id: ID! title: String score: Int author: User }
"""
SORTED_V2 = SORTED.replace(
    "type Post @model", 'type Post @model @index(sortBy: "score") @index(fields: ["author"], sortBy: "score")'
)


def test_an_ordered_index_added_serves_pages_and_counts(stage: Stage) -> None:
    old = stage.start(SORTED)
    ann, bob = create(old, "User", name="ann"), create(old, "User", name="bob")
    for score, author in ((3, ann), (1, bob), (2, ann), (5, None), (4, ann)):
        create(
            old, "Post", title=f"p{score}", score=score, **({"author": {"connect": {"id": author}}} if author else {})
        )
    new = stage.to(SORTED_V2)
    with new.calls() as calls:
        page = new.data("{ posts(orderBy: {score: DESC}, first: 2) { score } }")["posts"]
    assert page == [{"score": 5}, {"score": 4}]
    assert "Scan" not in calls.counts
    count = "query ($w: PostWhereInput) { postsConnection(where: $w) { aggregate { count } } }"
    for where, expected in (
        ({}, 5),
        ({"author": {"match": {"id": [ann]}}}, 3),
        ({"author": {"match": {"id": [bob]}}}, 1),
    ):
        with new.calls() as calls:
            assert new.data(count, {"w": where})["postsConnection"]["aggregate"]["count"] == expected
        assert set(calls.counts) == {"BatchGetItem"}, calls.counts
    # The counters go on from there with every write.
    create(new, "Post", title="p6", score=6, author={"connect": {"id": bob}})
    assert new.data(count, {"w": {}})["postsConnection"]["aggregate"]["count"] == 6
    stage.check()


def test_an_ordered_index_removed_goes_after_the_switch_with_its_counters(stage: Stage) -> None:
    old = stage.start(SORTED_V2)
    ann = create(old, "User", name="ann")
    post = create(old, "Post", title="p", score=1, author={"connect": {"id": ann}})
    assert list(old.service.tables.counter.scan())
    stage.schema(SORTED)
    _, out = stage.migrate()
    steps = [line.split(". ", 1)[1] for line in out.splitlines() if line.startswith("  ") and ". " in line]
    assert steps[0].startswith("record schema ")
    assert steps[1:] == [
        "remove counters the schema does not keep",
        "delete index sorted-score of test-Post",
        "delete index sorted-author-score of test-Post",
    ]
    new = stage.to(SORTED)
    assert not list(new.service.tables.counter.scan())
    described = new.service.store.client.describe_table(TableName="test-Post")["Table"]
    assert [i["IndexName"] for i in described["GlobalSecondaryIndexes"]] == ["author-link"]
    # Its keys stay in the items, inert without their index: the old schema's server read through
    # it until the switch.
    assert [name for name in raw_item(new, "Post", post) if name.startswith("_s")]


def test_an_interrupted_contract_is_finished_by_the_next_run(stage: Stage) -> None:
    old = stage.start(CITY.replace("name: String", "name: String @unique"))
    create(old, "City", name="A")
    path = stage.schema(CITY)
    tables = stage.tables(path)

    def crash(**_: Any) -> None:
        raise KeyboardInterrupt

    tables.connection.client.meta.events.register("provide-client-params.dynamodb.DeleteItem", crash)
    with pytest.raises(KeyboardInterrupt):
        apply(tables, plan(tables, "stage", path.name), say=lambda _: None)
    # Switched: the new schema's server may start; the guard of the field no longer unique is left.
    state.require_current(tables, stage.api(path).service.settings)
    _, out = stage.migrate()
    assert "remove unique guards of fields no longer unique" in out
    assert "record schema" not in out
    stage.to(CITY)
    assert not list(old.service.tables.guard.scan())


def test_a_model_added_gets_its_table(stage: Stage) -> None:
    old = stage.start(CITY)
    city = create(old, "City", name="A")
    stage.schema(CITY + "\ntype Country @model { id: ID! code: String @unique }")
    status, out = stage.migrate()
    assert status == 0
    assert "create table test-Country" in out
    assert "backfill" not in out
    new = stage.to(CITY + "\ntype Country @model { id: ID! code: String @unique }")
    create(new, "Country", code="FR")
    assert new.data('{ country(code: "FR") { code } }')["country"] == {"code": "FR"}
    assert new.data("query ($id: ID!) { city(id: $id) { name } }", {"id": city})["city"] == {"name": "A"}


def test_a_model_removed_keeps_its_records(stage: Stage) -> None:
    both = CITY + "\ntype Country @model { id: ID! code: String @unique }"
    old = stage.start(both)
    create(old, "Country", code="FR")
    create(old, "City", name="A")
    stage.schema(CITY)
    status, out = stage.migrate()
    assert status == 0
    assert "Kept: table test-Country of Country, no longer in the schema (about 1 records)" in out
    stage.to(CITY)
    kept = old.service.store.client.scan(TableName="test-Country")["Items"]
    assert [item["code"] for item in kept] == [{"S": "FR"}]
    # Its unique guards went with it: no unique field names them.
    assert not list(old.service.tables.guard.scan())


def test_a_required_field_with_a_default_is_filled_in(stage: Stage) -> None:
    old = stage.start(CITY)
    ids = [create(old, "City", name=n) for n in ("A", "B")]
    with_default = CITY.replace("population: Int", 'population: Int country: String! @default(value: "FR") @index')
    stage.schema(with_default)
    _status, out = stage.migrate()
    assert "backfill City (about 2 records): index keys, defaults of country" in out
    new = stage.to(with_default)
    found = new.data('{ cities(where: {match: {country: ["FR"]}}) { id country } }')["cities"]
    assert sorted(c["id"] for c in found) == sorted(ids)
    assert raw_item(new, "City", ids[0])["_v"] == {"N": "2"}  # a field changed: a version bumped


def test_a_required_field_without_a_default_is_refused_naming_the_records(stage: Stage) -> None:
    old = stage.start(CITY)
    lacking = create(old, "City", name="A")
    create(old, "City", name="B", population=3)
    stage.schema(CITY.replace("population: Int", "population: Int!"))
    status, out = stage.migrate("--apply")
    assert status == 1
    assert f"City.population is required, and City {lacking} has none" in out
    assert out.count("is required") == 1


def test_a_type_change_converts_the_values_that_convert_and_refuses_the_others(stage: Stage) -> None:
    before = CITY.replace("population: Int", "population: Float code: String")
    after = CITY.replace("population: Int", "population: Int code: Int @index")
    old = stage.start(before)
    kept = create(old, "City", name="A", population=2.0, code="12")
    bad = create(old, "City", name="B", population=1.5, code="x1")
    stage.schema(after)
    status, out = stage.migrate()
    assert status == 1
    assert f"City.code: City {bad} holds 'x1', which does not convert to Int" in out
    assert f"City.population: City {bad} holds '1.5', which does not convert to Int" in out
    assert kept not in out
    old.data(UPDATE_CITY, {"id": bad, "data": {"code": "7", "population": 1.0}})
    new = stage.to(after)
    found = new.data("{ cities(where: {match: {code: [12]}}) { id population code } }")["cities"]
    assert found == [{"id": kept, "population": 2, "code": 12}]
    assert raw_item(new, "City", kept)["code"] == {"N": "12"}


# Running it.


def _written(params: dict[str, Any], table: str) -> list[str]:
    """The records of `table` a TransactWriteItems updates."""
    return [
        action["Update"]["Key"]["id"]["S"]
        for action in params["TransactItems"]
        if "Update" in action and action["Update"]["TableName"] == table
    ]


def test_an_interrupted_apply_resumes_where_it_stopped(stage: Stage, monkeypatch: pytest.MonkeyPatch) -> None:
    old = stage.start(SORTED)
    ann = create(old, "User", name="ann")
    posts = [create(old, "Post", title=f"p{n}", score=n, author={"connect": {"id": ann}}) for n in range(7)]
    monkeypatch.setattr("tooling.migrations.backfill.PAGE", 3)
    path = stage.schema(SORTED_V2)
    tables = stage.tables(path)
    events = tables.connection.client.meta.events
    written: list[str] = []

    def crash(params: dict[str, Any], **_: Any) -> None:
        # The second page's transaction never reaches DynamoDB: the process dies first.
        if written:
            raise KeyboardInterrupt
        written.extend(_written(params, "test-Post"))

    events.register("provide-client-params.dynamodb.TransactWriteItems", crash)
    with pytest.raises(KeyboardInterrupt):
        apply(tables, plan(tables, "stage", path.name), say=lambda _: None)
    events.unregister("provide-client-params.dynamodb.TransactWriteItems", crash)
    assert len(written) == 3
    stored = state.read(tables)
    assert stored is not None
    assert stored.progress is not None
    assert stored.progress["cursors"]["backfill Post"] is not None  # after the first page
    assert stored.fingerprint == state.stored_fingerprint(old.service.tables)  # still the old schema's
    _, out = stage.migrate()
    assert "backfill Post (about 7 records): index keys (resumes where it stopped)" in out
    resumed: list[str] = []
    events.register(
        "provide-client-params.dynamodb.TransactWriteItems",
        lambda params, **_: resumed.extend(_written(params, "test-Post")),
    )
    apply(tables, plan(tables, "stage", path.name), say=lambda _: None)
    # The first page is not read again; the other 4 posts are written now.
    assert len(resumed) == 4
    assert sorted(written + resumed) == sorted(posts)
    stage.check()
    assert "Nothing to do." in stage.migrate()[1]


def test_a_write_during_the_backfill_is_not_lost(stage: Stage) -> None:
    old = stage.start(CITY)
    city = create(old, "City", name="before")
    path = stage.schema(CITY.replace("name: String", "name: String @index"))
    tables = stage.tables(path)
    raced: list[bool] = []

    def concurrent_write(**_: Any) -> None:
        # Between the backfill's read of the record and its write, a mutation changes the record.
        if not raced:
            raced.append(True)
            old.data(UPDATE_CITY, {"id": city, "data": {"name": "during", "population": 7}})

    tables.connection.client.meta.events.register("provide-client-params.dynamodb.TransactWriteItems", concurrent_write)
    assert apply(tables, plan(tables, "stage", path.name), say=lambda _: None)
    assert raced
    item = raw_item(old, "City", city)
    assert item["name"] == {"S": "during"}
    assert item["population"] == {"N": "7"}
    assert item["_ix_name"] == {"S": "=during"}
    stage.check()


def test_a_stage_without_a_recorded_schema_is_verified_whole(stage: Stage) -> None:
    """Tables made before migrations existed (or by CloudFormation): nothing is known of what they
    hold, so every record is checked and brought to the schema."""
    sdl = CITY.replace("name: String", "name: String @unique").replace("@model", '@model @index(sortBy: "name")')
    api = stage.api(stage.schema(sdl))
    ids = [create(api, "City", name=n) for n in ("A", "B")]
    status, out = stage.migrate()
    assert status == 0
    assert "records no schema" in out
    assert "backfill City (2 records, 0 to write, 0 guards to write)" in out
    status, out = stage.migrate("--apply")
    assert status == 0, out
    assert state.stored_fingerprint(api.service.tables) is not None
    assert api.data('{ city(name: "B") { id } }')["city"] == {"id": ids[1]}
    stage.check()


def test_a_finished_migration_leaves_the_layout_and_no_progress(stage: Stage) -> None:
    api = stage.start(CITY)
    stage.to(CITY.replace("name: String", "name: String @index"))
    stored = state.read(api.service.tables)
    assert stored is not None
    assert stored.progress is None
    assert stored.layout is not None
    assert stored.layout["models"]["City"]["fields"]["name"] == {
        "type": "String",
        "kind": "scalar",
        "list": False,
        "indexed": True,
    }


def test_tables_create_brings_a_new_stage_to_the_schema(stage: Stage) -> None:
    path = stage.schema(CITY)
    stage.capsys.readouterr()
    assert main(["tables", "create"]) == 0
    out = stage.capsys.readouterr().out
    assert "create table test-City" in out
    assert "tables of stage local ready" in out
    tables = stage.tables(path)
    assert state.stored_fingerprint(tables) is not None
    state.require_current(tables, stage.api(path).service.settings)


def test_data_only_leaves_tables_and_indexes_to_the_stack(stage: Stage) -> None:
    """CloudFormation owns the tables: `--data-only` creates and deletes none, and waits for them."""
    old = stage.start(CITY.replace("population: Int", "population: Int @index"))
    city = create(old, "City", name="A", population=3)
    path = stage.schema(CITY.replace("name: String", "name: String @index"))
    status, out = stage.migrate("--apply", "--data-only")
    assert status == 1
    assert "add index name-index to test-City: not there yet (update the stack first)" in out
    # The stack update adds the index, and deletes none (the old one stays until a later update).
    tables = stage.tables(path)
    (added,) = [step for step in compare(tables).steps if step.index == "name-index"]
    carry_out(tables, added, lambda _: None)
    status, out = stage.migrate("--apply", "--data-only")
    assert status == 0, out
    assert "Kept: population-index of test-City, no longer declared (the stack's to delete)" in out
    described = old.service.store.client.describe_table(TableName="test-City")["Table"]
    assert {i["IndexName"] for i in described["GlobalSecondaryIndexes"]} == {"name-index", "population-index"}
    assert raw_item(old, "City", city)["_ix_name"] == {"S": "=A"}
    assert raw_item(old, "City", city)["_ix_population"] == {"S": "=3"}  # inert once the stack deletes its index
    stage.check()


TAGGED = """
type City @model { id: ID! name: String tags: [Tag] }
type Tag @model { id: ID! label: String @unique cities: [City] }
"""


def test_a_model_removed_keeps_its_links_and_check_counts_them_apart(stage: Stage) -> None:
    old = stage.start(TAGGED)
    tag = create(old, "Tag", label="old")
    create(old, "City", name="A", tags={"connect": [{"id": tag}]})
    stage.schema(CITY)
    _, out = stage.migrate()
    assert "Kept: table test-Tag of Tag, no longer in the schema (about 1 records)" in out
    assert "Kept: links of relation City.tags, which the schema no longer has" in out
    new = stage.to(CITY)
    assert len(list(new.service.tables.edge.scan())) == 1
    assert "1 links of relations the schema no longer has are kept" in stage.check()
    stored = state.read(new.service.tables)
    assert stored is not None
    assert stored.retired == {"City.tags"}
    # Brought back, the relation is the schema's again.
    stage.to(TAGGED)
    stored = state.read(new.service.tables)
    assert stored is not None
    assert stored.retired == frozenset()


def test_a_field_renamed_keeping_its_stored_name_needs_nothing(stage: Stage) -> None:
    old = stage.start(CITY)
    city = create(old, "City", name="A")
    renamed = CITY.replace("name: String", 'title: String @storeName(value: "name")')
    path = stage.schema(renamed)
    status, out = stage.migrate()
    assert (status, out.splitlines()[-1]) == (0, "Nothing to do.")
    new = stage.api(path)
    assert new.data("query ($id: ID!) { city(id: $id) { title } }", {"id": city})["city"] == {"title": "A"}


def test_a_relation_added_gets_the_index_of_its_list(stage: Stage) -> None:
    two = CITY + "\ntype Person @model { id: ID! name: String }"
    old = stage.start(two)
    city = create(old, "City", name="A")
    linked = two.replace("name: String }", "name: String city: City }").replace(
        "population: Int", "population: Int people: [Person]"
    )
    new = stage.to(linked)
    person = create(new, "Person", name="p", city={"connect": {"id": city}})
    found = new.data("query ($id: ID!) { city(id: $id) { people { id } } }", {"id": city})["city"]
    assert found == {"people": [{"id": person}]}
    described = new.service.store.client.describe_table(TableName="test-Person")["Table"]
    assert [i["IndexName"] for i in described["GlobalSecondaryIndexes"]] == ["city-link"]


def test_a_table_made_without_a_stream_gets_one(stage: Stage) -> None:
    """A model table made before subscriptions were has no stream: the plan turns it on."""
    client = stage.tables(stage.schema(CITY)).connection.client
    client.create_table(
        TableName="test-City",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    status, out = stage.migrate()
    assert status == 0, out
    assert "turn on the stream of test-City (NEW_AND_OLD_IMAGES)" in out
    api = stage.to(CITY)
    stream = client.describe_table(TableName="test-City")["Table"]["StreamSpecification"]
    assert stream == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    create(api, "City", name="A")


# A relation changed between to-one and to-many: its links carried over.

TO_ONE = 'type User @model @index(fields: ["city"], sortBy: "name") { id: ID! name: String city: City }\n' + CITY
TO_MANY = TO_ONE.replace(' @index(fields: ["city"], sortBy: "name")', "").replace("city: City", "city: [City]")
UPDATE_USER = update_mutation("User")


def cities_of(api: Api, user: str) -> Any:
    return api.data("query ($id: ID!) { user(id: $id) { city { id } } }", {"id": user})["user"]["city"]


def test_a_to_one_turned_into_a_list_and_back_carries_its_links(stage: Stage) -> None:
    old = stage.start(TO_ONE)
    paris, rome, gone = (create(old, "City", name=n) for n in ("Paris", "Rome", "Gone"))
    ann = create(old, "User", name="ann", city={"connect": {"id": paris}})
    bob = create(old, "User", name="bob", city={"connect": {"id": rome}})
    create(old, "User", name="cy")
    dan = create(old, "User", name="dan", city={"connect": {"id": gone}})
    old.data("mutation ($id: ID!) { deleteCity(input: {where: {id: $id}}) { data { id } } }", {"id": gone})
    stage.schema(TO_MANY)
    status, out = stage.migrate()
    assert status == 0, out
    assert "backfill User (4 records, 2 to write, 0 guards to write): links of User.city (was a to-one) as edges" in out
    assert "delete index sorted-city-name of test-User" in out
    many = stage.to(TO_MANY)
    assert cities_of(many, ann) == [{"id": paris}]
    assert cities_of(many, dan) == []  # a link to a record deleted is not carried over
    edges = many.service.store.client.scan(TableName="test-relation-edges")["Items"]
    assert len(edges) == 2
    # Under the list, ann gets a second city and bob loses his: back to a to-one, ann blocks.
    many.data(UPDATE_USER, {"id": ann, "data": {"city": {"connect": [{"id": rome}]}}})
    many.data(UPDATE_USER, {"id": bob, "data": {"city": {"disconnect": [{"id": rome}]}}})
    stage.schema(TO_ONE)
    status, out = stage.migrate()
    assert status == 1, out
    blocked = f"User.city: a to-one now, and User {ann} has 2 links ("
    assert blocked in out
    assert paris in out.split(blocked)[1]
    many.data(UPDATE_USER, {"id": ann, "data": {"city": {"disconnect": [{"id": rome}]}}})
    one = stage.to(TO_ONE)
    assert one.data("query ($id: ID!) { user(id: $id) { city { id } } }", {"id": ann})["user"] == {
        "city": {"id": paris}
    }
    # bob's pointer of the first schema, left in his item under the list, went with his link.
    assert "city" not in raw_item(one, "User", bob)
    assert one.data("query ($id: ID!) { user(id: $id) { city { id } } }", {"id": bob})["user"] == {"city": None}
    assert not one.service.store.client.scan(TableName="test-relation-edges")["Items"]
    count = "query ($w: UserWhereInput) { usersConnection(where: $w) { aggregate { count } } }"
    assert one.data(count, {"w": {"city": {"match": {"id": [paris]}}}})["usersConnection"]["aggregate"]["count"] == 1


def test_a_list_turned_into_a_to_one_finds_its_link_past_links_to_deleted_records(stage: Stage) -> None:
    """The links of a one-way list to records deleted stay stored (reads skip them): a page of
    them first is no reason to carry over no link, nor to miss a second live one."""
    old = stage.start(TO_MANY)
    cities = sorted(create(old, "City", name=f"c{n}") for n in range(MOST + 1))
    *gone, live = cities  # in id order, the order the edges are read in
    ann = create(old, "User", name="ann", city={"connect": [{"id": c} for c in cities]})
    bob = create(old, "User", name="bob", city={"connect": [{"id": c} for c in gone[:-1]]})
    for city in gone[:-1]:
        old.data("mutation ($id: ID!) { deleteCity(input: {where: {id: $id}}) { data { id } } }", {"id": city})
    stage.schema(TO_ONE)
    status, out = stage.migrate()
    assert status == 1, out
    assert f"User.city: a to-one now, and User {ann} has 2 links ({gone[-1]}, {live})" in out
    old.data(UPDATE_USER, {"id": ann, "data": {"city": {"disconnect": [{"id": gone[-1]}]}}})
    one = stage.to(TO_ONE)
    assert one.data("query ($id: ID!) { user(id: $id) { city { id } } }", {"id": ann})["user"] == {"city": {"id": live}}
    assert one.data("query ($id: ID!) { user(id: $id) { city { id } } }", {"id": bob})["user"] == {"city": None}


ONE_TO_MANY = (
    "type User @model { id: ID! name: String posts: [Post] } type Post @model { id: ID! title: String author: User }"
)
MANY_TO_MANY = ONE_TO_MANY.replace("author: User", "author: [User]")
ONE_TO_ONE = ONE_TO_MANY.replace("posts: [Post]", "posts: Post")


def test_a_one_to_many_turned_into_a_many_to_many_and_back_carries_its_links(stage: Stage) -> None:
    old = stage.start(ONE_TO_MANY)
    ann, bob = create(old, "User", name="ann"), create(old, "User", name="bob")
    first, second = (create(old, "Post", title=t, author={"connect": {"id": ann}}) for t in ("a", "b"))
    stage.schema(MANY_TO_MANY)
    _, out = stage.migrate()
    # The links are the posts' pointers, carried over once, from the posts.
    assert (
        "backfill Post (2 records, 2 to write, 0 guards to write): links of User.posts (was a one-to-many) as edges"
        in out
    )
    assert "backfill User" not in out
    many = stage.to(MANY_TO_MANY)
    posts = many.data("query ($id: ID!) { user(id: $id) { posts { id } } }", {"id": ann})["user"]["posts"]
    assert sorted(p["id"] for p in posts) == sorted([first, second])
    many.data(update_mutation("Post"), {"id": first, "data": {"author": {"connect": [{"id": bob}]}}})
    stage.schema(ONE_TO_MANY)
    status, out = stage.migrate()
    assert status == 1
    assert f"Post.author: a to-one now, and Post {first} has 2 links" in out
    many.data(update_mutation("Post"), {"id": first, "data": {"author": {"disconnect": [{"id": ann}]}}})
    back = stage.to(ONE_TO_MANY)
    assert back.data("query ($id: ID!) { user(id: $id) { posts { id } } }", {"id": bob})["user"] == {
        "posts": [{"id": first}]
    }
    assert not back.service.store.client.scan(TableName="test-relation-edges")["Items"]


def test_a_one_to_many_turned_into_a_one_to_one_needs_one_child_a_parent(stage: Stage) -> None:
    old = stage.start(ONE_TO_MANY)
    ann, bob = create(old, "User", name="ann"), create(old, "User", name="bob")
    first, second = (create(old, "Post", title=t, author={"connect": {"id": ann}}) for t in ("a", "b"))
    create(old, "Post", title="c", author={"connect": {"id": bob}})
    stage.schema(ONE_TO_ONE)
    status, out = stage.migrate()
    assert status == 1
    assert f"User.posts: a to-one now, and User {ann} has 2 links" in out
    old.data(update_mutation("Post"), {"id": second, "data": {"author": {"disconnect": True}}})
    one = stage.to(ONE_TO_ONE)  # `check`: each partner points back
    assert one.data("query ($id: ID!) { user(id: $id) { posts { id } } }", {"id": ann})["user"] == {
        "posts": {"id": first}
    }
    described = one.service.store.client.describe_table(TableName="test-Post")["Table"]
    assert not described.get("GlobalSecondaryIndexes")  # the children's index went after the switch


def test_a_link_changed_while_it_is_carried_over_is_carried_as_it_is_now(stage: Stage) -> None:
    old = stage.start(TO_ONE)
    paris, rome = create(old, "City", name="Paris"), create(old, "City", name="Rome")
    ann = create(old, "User", name="ann", city={"connect": {"id": paris}})
    path = stage.schema(TO_MANY)
    tables = stage.tables(path)
    raced: list[bool] = []

    def concurrent_write(**_: Any) -> None:
        # Between the backfill's read of ann and its write, the old version moves her to Rome.
        if not raced:
            raced.append(True)
            old.data(UPDATE_USER, {"id": ann, "data": {"city": {"connect": {"id": rome}}}})

    tables.connection.client.meta.events.register("provide-client-params.dynamodb.TransactWriteItems", concurrent_write)
    assert apply(tables, plan(tables, "stage", path.name), say=lambda _: None)
    assert raced
    assert cities_of(stage.api(path), ann) == [{"id": rome}]
    stage.check()


# Removed data, dropped when asked.


def test_drop_deletes_what_a_removed_model_and_relation_kept(stage: Stage) -> None:
    old = stage.start(TAGGED)
    tag = create(old, "Tag", label="old")
    city = create(old, "City", name="A", tags={"connect": [{"id": tag}]})
    gone = create(old, "Tag", label="gone")
    old.data("mutation ($id: ID!) { deleteTag(input: {where: {id: $id}}) { data { id } } }", {"id": gone})
    _, out = stage.migrate()
    assert "Nothing to do." in out
    stage.schema(CITY)
    _, out = stage.migrate()
    assert "Kept data stays: `python -m chalicelib migrate --apply --drop` deletes it." in out
    new = stage.to(CITY)
    # Switched, the stage still lists what it keeps, and how to drop it.
    status, out = stage.migrate()
    assert (status, out.splitlines()[-1]) == (0, "Nothing to do."), out
    assert "Kept: table test-Tag of Tag, no longer in the schema (about 1 records)" in out
    status, out = stage.migrate("--drop")
    assert status == 0, out
    assert (
        "delete table test-Tag of Tag, no longer in the schema (about 1 records), and its records' pending cleanups"
        in out
    )
    assert "delete the links of relation City.tags, which the schema no longer has" in out
    assert stage.tables(stage.schema(CITY)).edge.count() == 1  # the plan wrote nothing
    status, out = stage.migrate("--apply", "--drop")
    assert status == 0, out
    client = new.service.store.client
    assert "test-Tag" not in client.list_tables()["TableNames"]
    assert not client.scan(TableName="test-relation-edges")["Items"]
    assert not client.scan(TableName="test-pending-cleanups")["Items"]
    stored = state.read(new.service.tables)
    assert stored is not None
    assert (stored.retired, stored.removed) == (frozenset(), {})
    assert "kept" not in stage.check()
    assert stage.migrate("--drop")[1].splitlines()[-1] == "Nothing to do."
    assert new.data("query ($id: ID!) { city(id: $id) { name } }", {"id": city})["city"] == {"name": "A"}


def test_drop_in_production_needs_yes(stage: Stage) -> None:
    stage.start(CITY + "\ntype Country @model { id: ID! code: String }")
    stage.monkeypatch.setenv("STAGE", "prod")
    stage.monkeypatch.setenv("CURSOR_SECRET", "x" * 32)
    stage.schema(CITY)
    status, out = stage.migrate("--apply", "--drop")
    assert status == 1
    assert "  2. delete table test-Country of Country" in out
    assert out.endswith("Nothing written: --drop deletes data of stage prod for good; add --yes to confirm the plan.\n")
    assert stage.migrate()[1].count("record schema") == 1  # nothing was written
    status, out = stage.migrate("--apply", "--drop", "--yes")
    assert status == 0, out
    assert "deleted table test-Country of Country, and 0 pending cleanups" in out


def test_an_interrupted_deletion_of_old_edges_is_finished_by_the_next_run(stage: Stage) -> None:
    old = stage.start(TO_MANY)
    paris = create(old, "City", name="Paris")
    ann = create(old, "User", name="ann", city={"connect": [{"id": paris}]})
    path = stage.schema(TO_ONE)
    tables = stage.tables(path)

    def crash(params: dict[str, Any], **_: Any) -> None:
        if "test-relation-edges" in params["RequestItems"]:
            raise KeyboardInterrupt

    tables.connection.client.meta.events.register("provide-client-params.dynamodb.BatchWriteItem", crash)
    with pytest.raises(KeyboardInterrupt):
        apply(tables, plan(tables, "stage", path.name), say=lambda _: None)
    _, out = stage.migrate()
    assert "record schema" not in out  # switched already: the new version serves ann's pointer
    assert "delete the edges of User.city, its links stored another way now" in out
    new = stage.to(TO_ONE)
    assert new.data("query ($id: ID!) { user(id: $id) { city { id } } }", {"id": ann})["user"] == {
        "city": {"id": paris}
    }
    assert not new.service.store.client.scan(TableName="test-relation-edges")["Items"]
