"""`python -m chalicelib export | import`: streaming JSON Lines, exact round trips, resumable imports."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from chalicelib.api import ids
from chalicelib.errors import INVALID_INPUT
from chalicelib.files.layout import file_key
from chalicelib.files.objects import Objects
from chalicelib.files.settings import FileSettings
from chalicelib.service import Service
from chalicelib.store.records import RecordStore
from chalicelib.store.tables import StoreConfig
from tests.conftest import ADMIN, CITIES_SCHEMA, Api, make_settings
from tests.functional.helpers import call, sign_up
from tests.functional.test_files import ALBUM, MAX_BYTES, PHOTO, PNG, new_photo, objects, uploaded
from tooling import transfer
from tooling.cli import main
from tooling.local.buckets import create_bucket
from tooling.local.dynamodb import LocalDynamoDB

CITIES = 20
NOW = "2026-01-02T03:04:05.000Z"


@pytest.fixture
def source(make_api: Callable[..., Api]) -> Api:
    api = make_api(CITIES_SCHEMA)
    for i in range(CITIES):
        users = [{"email": f"u{i}-{j}@x.com", "displayname": f"u{i}-{j}"} for j in range(2)]
        api.data(
            "mutation ($d: CityCreateInput!) { createCity(input: {data: $d}) { data { id } } }",
            {"d": {"name": f"c{i}", "neighborhoods": ["a", None], "population": i, "user": {"create": users}}},
        )
    return api


def _stage(monkeypatch: pytest.MonkeyPatch, dynamodb: LocalDynamoDB, prefix: str, schema: Path = CITIES_SCHEMA) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamodb.url)
    monkeypatch.setenv("TABLE_PREFIX", prefix)
    monkeypatch.setenv("SCHEMA", str(schema))


def _empty_stage(dynamodb: LocalDynamoDB, schema: Path, **overrides: Any) -> Service:
    """A stage of its own (prefix `copy<n>-`), its tables made and empty."""
    prefix = f"copy{uuid.uuid4().hex[:8]}-"
    store = StoreConfig.at_endpoint(prefix, "us-east-1", dynamodb.url)
    service = Service(make_settings(dynamodb, schema, store=store, **overrides))
    service.tables.create_all()
    return service


@pytest.fixture
def target(dynamodb: LocalDynamoDB, monkeypatch: pytest.MonkeyPatch) -> Service:
    """An empty stage, and the environment pointing the CLI at it."""
    service = _empty_stage(dynamodb, CITIES_SCHEMA)
    monkeypatch.setenv("TARGET_PREFIX", service.settings.store.table_prefix)
    return service


def _lines(path: Path) -> list[dict[str, Any]]:
    return sorted((json.loads(line) for line in path.read_text().splitlines()), key=lambda r: r["id"])


def test_export_then_import_into_an_empty_stage_round_trips_exactly(
    source: Api, target: Service, dynamodb: LocalDynamoDB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exported, again = tmp_path / "export.jsonl", tmp_path / "again.jsonl"
    _stage(monkeypatch, dynamodb, "test-")
    assert main(["export", str(exported)]) == 0
    records = _lines(exported)
    assert len(records) == CITIES * 3
    assert {r["__typename"] for r in records} == {"City", "User"}
    _stage(monkeypatch, dynamodb, os.environ["TARGET_PREFIX"])
    assert main(["import", str(exported)]) == 0
    assert main(["export", str(again)]) == 0
    assert _lines(again) == records
    assert not (tmp_path / "export.jsonl.progress").exists()
    # The guards came along: the restored stage still refuses a taken email.
    result = target.handle(
        {"query": 'mutation { createUser(input: {data: {email: "u0-0@x.com"}}) { data { id } } }'},
        {"Authorization": "Bearer test-admin-key"},
    )
    assert result.body["errors"][0]["extensions"]["code"] == "GGT_INVALID_RECORD"


def test_import_refuses_a_stage_that_is_not_empty(
    source: Api,
    dynamodb: LocalDynamoDB,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    exported = tmp_path / "export.jsonl"
    _stage(monkeypatch, dynamodb, "test-")
    main(["export", str(exported)])
    assert main(["import", str(exported)]) == 1
    assert "is not empty" in capsys.readouterr().err


def test_an_interrupted_import_resumes_where_it_stopped(
    source: Api, target: Service, dynamodb: LocalDynamoDB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exported, again = tmp_path / "export.jsonl", tmp_path / "again.jsonl"
    _stage(monkeypatch, dynamodb, "test-")
    main(["export", str(exported)])
    _stage(monkeypatch, dynamodb, os.environ["TARGET_PREFIX"])
    real = RecordStore.restore
    calls = {"n": 0}

    def failing(self: RecordStore, model: Any, records: list[Any]) -> None:
        calls["n"] += 1
        if calls["n"] > 2:
            raise OSError("connection lost")
        real(self, model, records)

    monkeypatch.setattr(RecordStore, "restore", failing)
    assert main(["import", str(exported)]) == 1
    done = int((tmp_path / "export.jsonl.progress").read_text())
    assert 0 < done < CITIES * 3
    monkeypatch.setattr(RecordStore, "restore", real)
    assert main(["import", str(exported)]) == 1  # without --resume it refuses to start over
    assert main(["import", str(exported), "--resume"]) == 0
    assert main(["export", str(again)]) == 0
    assert _lines(again) == _lines(exported)


@pytest.mark.parametrize(
    ("second", "message"),
    [
        ('{"__typename": "Nope", "id": "y"}', "line 2: no model named Nope"),
        ("[" * 100_000, "line 2: not JSON"),
        (
            '{"__edge": "City.user", "source": "x", "target": "y"}',
            "line 2: no relation stored as edges under 'City.user'",
        ),
        ('{"__edge": "City.user", "source": "x"}', "line 2: an edge has __edge, source and target, and nothing else"),
    ],
    ids=["unknown model", "nested too deep to decode", "unknown edge key", "edge without a target"],
)
def test_a_malformed_line_is_reported_with_its_number(
    target: Service,
    dynamodb: LocalDynamoDB,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    second: str,
    message: str,
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"__typename": "City", "id": "x", "name": "a"}\n' + second + "\n")
    _stage(monkeypatch, dynamodb, os.environ["TARGET_PREFIX"])
    assert main(["import", str(bad)]) == 1
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            {"population": 10**40},
            "line 2: City.population: 10000000000000000000000000000000000000000 is not a 32-bit Int",
        ),
        ({"neighborhoods": "notalist"}, "line 2: City.neighborhoods: 'notalist' is not a list"),
        ({"user": "someone"}, "line 2: City.user: 'someone' is not a list"),
        ({"founded": 1900}, "line 2: City.founded: Date must be a string"),
        ({"name": None}, "line 2: City.name is required"),
    ],
)
def test_a_value_of_the_wrong_type_is_reported_with_its_line_and_field(
    target: Service,
    dynamodb: LocalDynamoDB,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    bad: dict[str, Any],
    message: str,
) -> None:
    lines = [{"__typename": "City", "id": ids.new_id("City"), "name": "a"} for _ in range(2)]
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(lines[0]) + "\n" + json.dumps({**lines[1], **bad}) + "\n")
    _stage(monkeypatch, dynamodb, os.environ["TARGET_PREFIX"])
    assert main(["import", str(path)]) == 1
    assert message in capsys.readouterr().err
    assert RecordStore(target.tables).get(target.registry.model("City"), lines[0]["id"]) is None


def test_a_record_past_the_item_limit_is_reported_with_its_line(
    target: Service,
    dynamodb: LocalDynamoDB,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    large_id = ids.new_id("City")
    large = {"__typename": "City", "id": large_id, "name": "b", "neighborhoods": ["x" * 1000] * 450}
    bad = tmp_path / "large.jsonl"
    bad.write_text(json.dumps({"__typename": "City", "id": ids.new_id("City"), "name": "a"}) + "\n" + json.dumps(large))
    _stage(monkeypatch, dynamodb, os.environ["TARGET_PREFIX"])
    assert main(["import", str(bad)]) == 1
    assert "line 2: this write would make a City record larger (" in capsys.readouterr().err
    assert RecordStore(target.tables).get(target.registry.model("City"), large_id) is None


def test_export_of_some_types_and_unknown_stages(
    source: Api,
    dynamodb: LocalDynamoDB,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    exported = tmp_path / "cities.jsonl"
    _stage(monkeypatch, dynamodb, "test-")
    assert main(["export", str(exported), "--types", "City"]) == 0
    assert {r["__typename"] for r in _lines(exported)} == {"City"}
    assert main(["export", str(exported), "--stage", "nowhere"]) == 1
    assert "no stage 'nowhere'" in capsys.readouterr().err


@pytest.mark.slow
def test_ten_thousand_records_round_trip_exactly(
    make_api: Callable[..., Api], dynamodb: LocalDynamoDB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema = tmp_path / "items.graphql"
    schema.write_text("type Item { id: ID! n: Int tag: String @unique }\n")
    api = make_api(schema)
    model = api.service.registry.model("Item")
    for start in range(0, 10_000, 1000):
        batch = [{"id": ids.new_id("Item"), "n": i, "tag": f"t{i}"} for i in range(start, start + 1000)]
        api.service.store.restore(model, batch)
    copy = Service(
        make_settings(dynamodb, schema, store=StoreConfig.at_endpoint("big-copy-", "us-east-1", dynamodb.url))
    )
    copy.tables.create_all()
    exported, again = tmp_path / "export.jsonl", tmp_path / "again.jsonl"
    _stage(monkeypatch, dynamodb, "test-", schema)
    assert main(["export", str(exported)]) == 0
    monkeypatch.setenv("TABLE_PREFIX", "big-copy-")
    assert main(["import", str(exported)]) == 0
    assert main(["export", str(again)]) == 0
    assert len(exported.read_text().splitlines()) == 10_000
    assert sorted(exported.read_text().splitlines()) == sorted(again.read_text().splitlines())
    guards = {g.key for g in copy.tables.guard.scan()}
    assert len(guards) == 10_000


LINKED = """
type City { id: ID! name: String! users: [User] tags: [Tag] }
type User { id: ID! name: String home: City friends: [User] }
type Tag { id: ID! label: String cities: [City] }
"""


def test_edges_round_trip_as_lines_of_their_own(
    make_api: Callable[..., Api], dynamodb: LocalDynamoDB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema = tmp_path / "linked.graphql"
    schema.write_text(LINKED)
    api = make_api(schema)
    city = api.data(
        "mutation ($d: CityCreateInput!) { createCity(input: {data: $d}) { data { id users { id } tags { id } } } }",
        {"d": {"name": "c", "users": {"create": [{"name": "a"}, {"name": "b"}]}, "tags": {"create": [{"label": "t"}]}}},
    )["createCity"]["data"]
    ann, bob = (u["id"] for u in city["users"])
    api.data(
        "mutation ($id: ID!, $f: ID!) { updateUser(input: {where: {id: $id}, data: {friends: {connect: [{id: $f}]}}}) "
        "{ data { id } } }",
        {"id": ann, "f": bob},
    )
    copy = _empty_stage(dynamodb, schema)
    exported, again = tmp_path / "export.jsonl", tmp_path / "again.jsonl"
    _stage(monkeypatch, dynamodb, "test-", schema)
    assert main(["export", str(exported)]) == 0
    lines = [json.loads(line) for line in exported.read_text().splitlines()]
    assert sorted((e["__edge"], e["source"], e["target"]) for e in lines if "__edge" in e) == sorted(
        [("City.tags", city["id"], city["tags"][0]["id"]), ("User.friends", min(ann, bob), max(ann, bob))]
    )
    # The city's users are not on its line: their own lines point at it.
    assert all(set(line) <= {"__typename", "id", "name", "label", "home"} for line in lines if "__typename" in line)
    monkeypatch.setenv("TABLE_PREFIX", copy.settings.store.table_prefix)
    assert main(["import", str(exported)]) == 0
    assert main(["export", str(again)]) == 0
    assert sorted(again.read_text().splitlines()) == sorted(exported.read_text().splitlines())
    # The children are in the copy's index again, and the edges read both ways.
    reply = copy.handle(
        {"query": "query ($id: ID!) { city(id: $id) { users { id } tags { id cities { id } } } }", "variables": city},
        {"Authorization": "Bearer test-admin-key"},
    )
    assert reply.body["data"]["city"] == {
        "users": [{"id": i} for i in sorted((ann, bob))],
        "tags": [{"id": city["tags"][0]["id"], "cities": [{"id": city["id"]}]}],
    }
    # Only edges between the models exported go along.
    assert main(["export", str(exported), "--types", "User"]) == 0
    edge_lines = [json.loads(line) for line in exported.read_text().splitlines() if "__edge" in line]
    assert [e["__edge"] for e in edge_lines] == ["User.friends"]


def test_a_record_line_listing_many_to_many_ids_restores_them_as_edges(
    make_api: Callable[..., Api], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dynamodb: LocalDynamoDB
) -> None:
    schema = tmp_path / "linked.graphql"
    schema.write_text(LINKED)
    api = make_api(schema)
    city, tag = ids.new_id("City"), ids.new_id("Tag")
    path = tmp_path / "old.jsonl"
    path.write_text(
        json.dumps({"__typename": "City", "id": city, "name": "c", "tags": [tag]})
        + "\n"
        + json.dumps({"__typename": "Tag", "id": tag, "cities": [city]})
        + "\n"
    )
    _stage(monkeypatch, dynamodb, "test-", schema)
    assert main(["import", str(path)]) == 0
    assert {(e.source_id, e.target_id) for e in api.service.tables.edge.scan()} == {(city, tag)}
    assert api.data("query ($id: ID!) { tag(id: $id) { cities { id } } }", {"id": tag})["tag"]["cities"] == [
        {"id": city}
    ]


@pytest.fixture
def album(make_api: Callable[..., Api], dynamodb: LocalDynamoDB, monkeypatch: pytest.MonkeyPatch) -> Api:
    """The album with one photo whose file is in the bucket, and the CLI pointed at it, S3 included."""
    api = make_api(ALBUM, files=FileSettings(endpoint_url=dynamodb.url, max_bytes=MAX_BYTES))
    create_bucket(objects(api))
    alice = sign_up(api, "alice@example.com")
    new_photo(api, alice, uploaded(api, alice))
    _stage(monkeypatch, dynamodb, "test-", ALBUM)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", dynamodb.url)
    return api


@pytest.fixture
def album_copy(dynamodb: LocalDynamoDB) -> Service:
    """An empty stage of the album, its bucket made and empty."""
    service = _empty_stage(dynamodb, ALBUM, files=FileSettings(endpoint_url=dynamodb.url))
    assert service.files is not None
    create_bucket(service.files.objects)
    return service


def _photo_lines(path: Path) -> list[dict[str, Any]]:
    return [line for line in _lines(path) if line.get("__typename") == "Photo"]


def _copy_files(source: Api, target: Service, keys: list[str]) -> None:
    """What `aws s3 sync` of the source bucket's `files/` does for these keys."""
    client, bucket = objects(source).client, objects(source).bucket
    for key in keys:
        client.copy_object(Bucket=bucket_of(target), Key=key, CopySource={"Bucket": bucket, "Key": key})


def bucket_of(service: Service) -> str:
    assert service.files is not None
    return service.files.objects.bucket


def test_a_record_with_a_file_is_restored_where_the_bucket_holds_the_file(
    album: Api, album_copy: Service, dynamodb: LocalDynamoDB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exported, again = tmp_path / "export.jsonl", tmp_path / "again.jsonl"
    assert main(["export", str(exported)]) == 0
    (photo,) = _photo_lines(exported)
    assert set(photo["image"]) == {"key", "fileName", "mimeType", "byteSize"}
    _copy_files(album, album_copy, [photo["image"]["key"]])
    monkeypatch.setenv("TABLE_PREFIX", album_copy.settings.store.table_prefix)
    assert main(["import", str(exported)]) == 0
    assert main(["export", str(again)]) == 0
    assert _lines(again) == _lines(exported)
    read = album_copy.handle({"query": PHOTO, "variables": {"id": photo["id"]}}, ADMIN).body["data"]["photo"]
    assert read["image"]["fileName"] == photo["image"]["fileName"]
    assert bucket_of(album_copy) in read["image"]["url"]
    assert requests.get(read["image"]["url"], timeout=30).content == PNG


@pytest.mark.parametrize(
    ("present", "found"),
    [
        (None, "is not in the bucket {bucket}"),
        ((b"other size", "image/png"), "is 10 bytes in the bucket {bucket}, not {size}"),
        # Served inline as the line's image/png says, the bucket's text/html would run as a page.
        ((PNG, "text/html"), "is of type text/html in the bucket {bucket}, not image/png"),
    ],
    ids=["object missing", "object of another size", "object of another type"],
)
def test_a_file_whose_object_is_not_in_the_bucket_as_the_line_says_is_refused(
    album: Api,
    album_copy: Service,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    present: tuple[bytes, str] | None,
    found: str,
) -> None:
    exported = tmp_path / "export.jsonl"
    assert main(["export", str(exported)]) == 0
    (photo,) = _photo_lines(exported)
    key, bucket = photo["image"]["key"], bucket_of(album_copy)
    if present is not None:
        body, mime_type = present
        objects(album).client.put_object(Bucket=bucket, Key=key, Body=body, ContentType=mime_type)
    monkeypatch.setenv("TABLE_PREFIX", album_copy.settings.store.table_prefix)
    assert main(["import", str(exported)]) == 1
    number = exported.read_text().splitlines().index(json.dumps(photo, sort_keys=True)) + 1
    found = found.format(bucket=bucket, size=len(PNG))
    assert (
        f"line {number}: Photo.image: {key} {found}: copy the exported stage's files/ into" in capsys.readouterr().err
    )
    # Nothing of the batch was written: the lines before the photo's neither.
    for line in _lines(exported):
        assert album_copy.store.get(album_copy.registry.model(line["__typename"]), line["id"]) is None


def test_a_file_value_of_another_shape_is_refused_with_its_line(
    album_copy: Service,
    dynamodb: LocalDynamoDB,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    image = {"key": "uploads/abc", "fileName": "a.png", "mimeType": "image/png", "byteSize": 1}
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"__typename": "Photo", "id": ids.new_id("Photo"), "image": image}) + "\n")
    _stage(monkeypatch, dynamodb, album_copy.settings.store.table_prefix, ALBUM)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", dynamodb.url)
    assert main(["import", str(path)]) == 1
    assert "line 1: Photo.image: key 'uploads/abc' is not a file's key (files/<name>)" in capsys.readouterr().err


def test_two_records_naming_one_file_are_refused(
    album: Api, album_copy: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Deleting one would delete the object the other still names: the second line is refused."""
    exported = tmp_path / "export.jsonl"
    assert main(["export", str(exported)]) == 0
    (photo,) = _photo_lines(exported)
    _copy_files(album, album_copy, [photo["image"]["key"]])
    twin = {**photo, "id": ids.new_id("Photo")}
    exported.write_text(exported.read_text() + json.dumps(twin, sort_keys=True) + "\n")
    monkeypatch.setenv("TABLE_PREFIX", album_copy.settings.store.table_prefix)
    assert main(["import", str(exported)]) == 1
    lines = exported.read_text().splitlines()
    first = lines.index(json.dumps(photo, sort_keys=True)) + 1
    message = f"line {len(lines)}: Photo.image: {photo['image']['key']} is the file of line {first} already"
    assert message in capsys.readouterr().err
    assert album_copy.store.get(album_copy.registry.model("Photo"), twin["id"]) is None


def test_an_interrupted_import_of_files_resumes_checking_only_the_lines_left(
    album_copy: Service, dynamodb: LocalDynamoDB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert album_copy.files is not None
    bucket = album_copy.files.objects
    photos: list[dict[str, Any]] = []
    for i in range(transfer.BATCH + 5):
        key = file_key(f"photo{i}")
        bucket.client.put_object(Bucket=bucket.bucket, Key=key, Body=PNG, ContentType="image/png")
        image = {"key": key, "fileName": f"{i}.png", "mimeType": "image/png", "byteSize": len(PNG)}
        photos.append({"__typename": "Photo", "id": ids.new_id("Photo"), "image": image, "createdAt": NOW})
    path = tmp_path / "photos.jsonl"
    path.write_text("".join(json.dumps(photo) + "\n" for photo in photos))
    _stage(monkeypatch, dynamodb, album_copy.settings.store.table_prefix, ALBUM)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", dynamodb.url)
    real_restore, real_head = RecordStore.restore, Objects.head
    heads: list[str] = []

    def failing(self: RecordStore, model: Any, records: list[Any]) -> None:
        if len(records) < transfer.BATCH:
            raise OSError("connection lost")
        real_restore(self, model, records)

    def head(self: Objects, key: str) -> Any:
        heads.append(key)
        return real_head(self, key)

    monkeypatch.setattr(RecordStore, "restore", failing)
    monkeypatch.setattr(Objects, "head", head)
    assert main(["import", str(path)]) == 1
    assert int((tmp_path / "photos.jsonl.progress").read_text()) == transfer.BATCH
    monkeypatch.setattr(RecordStore, "restore", real_restore)
    heads.clear()
    assert main(["import", str(path), "--resume"]) == 0
    assert heads == [p["image"]["key"] for p in photos[transfer.BATCH :]]
    model = album_copy.registry.model("Photo")
    assert [(album_copy.store.get(model, p["id"]) or {}).get("image") for p in photos] == [p["image"] for p in photos]


def test_import_data_still_refuses_a_file_value_as_an_export_holds_it(album: Api, tmp_path: Path) -> None:
    exported = tmp_path / "export.jsonl"
    assert main(["export", str(exported)]) == 0
    (photo,) = _photo_lines(exported)
    imported = 'mutation ($data: [JSON]!) { importData(data: $data, defaultTypename: "Photo") { data } }'
    reply = call(album, imported, {"data": [{"title": "copy", "image": photo["image"]}]}, ADMIN["Authorization"])
    (error,) = reply.body["errors"]
    assert error["extensions"]["code"] == INVALID_INPUT
    assert error["message"] == (
        "importData: data[0]: Photo.image: a file is attached by a create or update with its upload token, not imported"
    )
