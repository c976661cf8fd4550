"""`python -m chalicelib serve`, as `make run` starts it: a real process, real HTTP, clean shutdown."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
import requests

from chalicelib.api import ids
from chalicelib.explorer import LIBRARIES
from tests.conftest import CITIES_SCHEMA, ROOT
from tooling.local.dynamodb import LocalDynamoDB
from tooling.local.process import Served, serving, stop
from tooling.local.server import GRAPHIQL

KEY = "local-test-key"


def _serving(**env: str) -> AbstractContextManager[Served]:
    return serving({"SCHEMA": "examples/cities.graphql", "ADMIN_API_KEY": KEY, **env})


def _post(served: Served, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=60)
    body = json.dumps({"query": query, "variables": variables or {}})
    connection.request("POST", "/graphql", body, {"Content-Type": "application/json", "Authorization": f"Bearer {KEY}"})
    result: dict[str, Any] = json.loads(connection.getresponse().read())
    connection.close()
    return result


def _data(served: Served, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """The data of a GraphQL request to `served` that must succeed."""
    result = _post(served, query, variables)
    assert "errors" not in result, result
    data: dict[str, Any] = result["data"]
    return data


@pytest.fixture
def server() -> Iterator[Served]:
    with _serving() as served:
        assert any("Embedded DynamoDB" in line for line in served.output)
        assert f"{served.url}/graphql" in served.output[-1]
        yield served


@pytest.mark.slow
def test_create_city_and_read_it_back_over_http(server: Served) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)

    def post(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = json.dumps({"query": query, "variables": variables or {}})
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {KEY}"}
        connection.request("POST", "/graphql", body, headers)  # one kept-alive connection throughout
        response = connection.getresponse()
        assert response.status == 200
        result: dict[str, Any] = json.loads(response.read())
        assert "errors" not in result, result
        return result["data"]

    created = post('mutation { createCity(input: {data: {name: "NY"}}) { data { id name } } }')
    city_id = created["createCity"]["data"]["id"]
    assert post("query ($id: ID!) { city(id: $id) { id name } }", {"id": city_id}) == {
        "city": {"id": city_id, "name": "NY"}
    }
    node = post("query ($id: ID!) { node(id: $id) { __typename id } }", {"id": city_id})
    assert node == {"node": {"__typename": "City", "id": city_id}}
    # GraphiQL's libraries, which the Lambda package leaves out, come from the local server.
    for library in LIBRARIES:
        connection.request("GET", f"/graphql/assets/{library.name}")
        response = connection.getresponse()
        assert response.status == 200
        assert response.read() == (GRAPHIQL / library.name).read_bytes()
    connection.close()

    assert stop(server.process) == 0
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", server.port), timeout=2)


@pytest.mark.slow
def test_ctrl_c_stops_the_server(server: Served) -> None:
    assert stop(server.process, signal.SIGINT) == 0


@pytest.mark.slow
def test_another_dynamodb_endpoint_is_used_instead_of_the_embedded_one(dynamodb: LocalDynamoDB) -> None:
    dynamodb.reset()
    with _serving(AWS_ENDPOINT_URL_DYNAMODB=dynamodb.url, TABLE_PREFIX="served-") as served:
        assert not any("Embedded DynamoDB" in line for line in served.output)
        tables = boto3.client("dynamodb", endpoint_url=dynamodb.url, region_name="us-east-1").list_tables()
        assert set(tables["TableNames"]) == {
            "served-City",
            "served-User",
            "served-unique-guards",
            "served-relation-edges",
            "served-pending-cleanups",
            "served-counters",
            "served-login-throttle",
            "served-subscription-connections",
            "served-subscriptions",
            "served-stream-checkpoints",
            "served-schema-state",
        }


@pytest.mark.slow
def test_a_generated_key_is_printed_when_none_is_set() -> None:
    with _serving(ADMIN_API_KEY="") as served:
        assert any("Generated API key (role system-admin): shk_" in line for line in served.output)


def _cli(*args: str, announcement: Path, schema: str = "examples/cities.graphql") -> subprocess.CompletedProcess[str]:
    """The command line as a developer without AWS credentials runs it beside `make run`."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in ("TABLE_PREFIX", "FILES_BUCKET")
    }
    env.update(
        LOCAL_SERVER_FILE=str(announcement),
        SCHEMA=schema,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
    )
    return subprocess.run(
        [sys.executable, "-m", "chalicelib", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow
def test_the_command_line_finds_the_local_server_and_says_its_errors_in_one_line(tmp_path: Path) -> None:
    announcement = tmp_path / "server.json"
    with _serving(LOCAL_SERVER_FILE=str(announcement)) as served:
        assert json.loads(announcement.read_text())["pid"] == served.process.pid
        _data(served, 'mutation { createCity(input: {data: {name: "Here"}}) { data { id } } }')
        exported = tmp_path / "export.jsonl"
        commands: list[tuple[str, ...]] = [("export", str(exported)), ("check",), ("check", "--local")]
        for args in commands:
            result = _cli(*args, announcement=announcement)
            assert result.returncode == 0, result.stderr
            assert "Traceback" not in result.stderr
        assert [json.loads(line)["name"] for line in exported.read_text().splitlines()] == ["Here"]
        refused = _cli("check", "--local", "--stage", "dev", announcement=announcement)
        assert (refused.returncode, refused.stderr.count("\n")) == (1, 1)
    # Once it has stopped: --local says so; a stage without credentials says why, in one line each.
    stopped: list[tuple[str, ...]] = [("check", "--local"), ("check", "--stage", "dev")]
    for args in stopped:
        result = _cli(*args, announcement=announcement)
        assert result.returncode == 1
        assert result.stderr.count("\n") == 1, result.stderr
        assert result.stderr.startswith("python -m chalicelib check: ")


CITIES = "query { cities { name population } }"
CREATE_USER = 'mutation { createUser(input: {data: {email: "a@example.com"}}) { data { id } } }'


def _create_city(served: Served, name: str, population: int = 0) -> None:
    _data(
        served,
        "mutation ($n: String!, $p: Int) { createCity(input: {data: {name: $n, population: $p}}) { data { id } } }",
        {"n": name, "p": population},
    )


@pytest.mark.slow
def test_the_local_data_is_kept_across_a_restart_and_fresh_starts_empty(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    with _serving(LOCAL_DATA_DIR=data) as served:
        _create_city(served, "Kept", 3)
        _data(served, CREATE_USER)
        # Stopped as `make run` is (SIGTERM): the last writes go to disk on the way out.
        assert stop(served.process) == 0
    with _serving(LOCAL_DATA_DIR=data) as served:
        assert _data(served, CITIES) == {"cities": [{"name": "Kept", "population": 3}]}
        # What the API keeps beside the records comes back too: the unique guard, the counters.
        refused = _post(served, CREATE_USER)["errors"][0]
        assert refused["extensions"]["code"] == "GGT_INVALID_RECORD"
        assert "must be unique" in refused["message"]
        counted = _data(served, "query { usersConnection { aggregate { count } } }")
        assert counted == {"usersConnection": {"aggregate": {"count": 1}}}
    fresh = {"SCHEMA": "examples/cities.graphql", "ADMIN_API_KEY": KEY, "LOCAL_DATA_DIR": data}
    with serving(fresh, ["--fresh"]) as served:
        assert _data(served, CITIES) == {"cities": []}
        _data(served, CREATE_USER)


@pytest.mark.slow
def test_a_crash_loses_only_the_writes_not_yet_flushed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with _serving(LOCAL_DATA_DIR=str(data)) as served:
        _create_city(served, "Flushed")
        # Written behind, within about a second: once it is in the file, a crash cannot lose it.
        journal = data / "journal.jsonl"
        while '"Flushed"' not in journal.read_text():
            assert served.process.poll() is None
            time.sleep(0.1)
        served.process.kill()
    with _serving(LOCAL_DATA_DIR=str(data)) as served:
        assert _data(served, CITIES) == {"cities": [{"name": "Flushed", "population": 0}]}


@pytest.mark.slow
def test_kept_data_is_migrated_when_the_schema_changed_between_runs(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    with _serving(LOCAL_DATA_DIR=data) as served:
        for name, population in (("Small", 1), ("Big", 9)):
            _create_city(served, name, population)
    changed = tmp_path / "changed.graphql"
    changed.write_text(CITIES_SCHEMA.read_text().replace("population: Int", "population: Int @index"))
    with _serving(LOCAL_DATA_DIR=data, SCHEMA=str(changed)) as served:
        # The new index was made and filled from the kept records: it orders them.
        ordered = _data(served, "query { cities(orderBy: {population: DESC}) { name } }")
        assert ordered == {"cities": [{"name": "Big"}, {"name": "Small"}]}


@pytest.mark.slow
def test_the_example_seed_is_loaded_into_empty_data_once(tmp_path: Path) -> None:
    settings = {"SCHEMA": "schema.graphql", "ADMIN_API_KEY": KEY, "LOCAL_DATA_DIR": str(tmp_path / "data")}
    users = "query { users(orderBy: {email: ASC}) { username } }"
    with serving(settings, ["--seed", "examples/seed.jsonl"]) as served:
        assert _data(served, users) == {"users": [{"username": "ada"}, {"username": "grace"}]}
        # Its users sign in with the password the README gives.
        login = (
            "mutation ($e: LogInViaEmailEmailInput, $p: String) { logInViaEmail(email: $e, password: $p) { success } }"
        )
        signed_in = _data(served, login, {"e": "ada@example.com", "p": "shoreline-demo"})
        assert signed_in == {"logInViaEmail": {"success": True}}
        _data(served, 'mutation { updateUser(input: {where: {username: "ada"}, data: {name: "Ada"}}) { data { id } } }')
    with serving(settings, ["--seed", "examples/seed.jsonl"]) as served:
        assert any("not loaded" in line for line in served.output)
        assert _data(served, 'query { user(where: {username: "ada"}) { name } }') == {"user": {"name": "Ada"}}
        assert len(_data(served, users)["users"]) == 2


UPLOAD = 'mutation { createFileUpload(model: "Photo", field: "image", mimeType: "image/png") { url fields token } }'
PHOTO_URL = "query ($id: ID!) { photo(id: $id) { image { url mimeType byteSize } } }"
PNG = b"\x89PNG\r\n\x1a\n" + b"kept pixels" * 8


def _photo(served: Served) -> str:
    """A photo whose image went up as a client's would: an upload target, a presigned POST to the
    embedded S3, a record created with the token (which moves the upload to its file's key)."""
    target = _data(served, UPLOAD)["createFileUpload"]
    posted = requests.post(target["url"], data=target["fields"], files={"file": ("p.png", PNG)}, timeout=30)
    assert posted.status_code in (200, 201, 204), posted.text
    data = {"title": "kept", "image": {"directUploadToken": target["token"], "fileName": "p.png"}}
    created = _data(
        served, "mutation ($d: PhotoCreateInput!) { createPhoto(input: {data: $d}) { data { id } } }", {"d": data}
    )
    photo_id: str = created["createPhoto"]["data"]["id"]
    return photo_id


def _s3(served: Served) -> Any:
    """A client of the server's embedded S3 (the endpoint it prints)."""
    url = next(line.split(" at ")[1].strip() for line in served.output if line.startswith("Embedded DynamoDB"))
    return boto3.client(
        "s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="local", aws_secret_access_key="local"
    )


@pytest.mark.slow
def test_uploaded_files_are_kept_across_a_restart_and_fresh_forgets_them(tmp_path: Path) -> None:
    data = tmp_path / "data"
    album = {"LOCAL_DATA_DIR": str(data), "SCHEMA": "examples/album.graphql"}
    with _serving(**album) as served:
        photo_id = _photo(served)
        image = _data(served, PHOTO_URL, {"id": photo_id})["photo"]["image"]
        bucket, key = urlsplit(image["url"]).path.lstrip("/").split("/", 1)
        before = _s3(served).head_object(Bucket=bucket, Key=key)
        assert stop(served.process) == 0
    with _serving(**album) as served:
        assert any("1 files kept" in line for line in served.output)
        image = _data(served, PHOTO_URL, {"id": photo_id})["photo"]["image"]
        assert (image["mimeType"], image["byteSize"]) == ("image/png", len(PNG))
        downloaded = requests.get(image["url"], timeout=30)
        assert (downloaded.status_code, downloaded.content) == (200, PNG)
        assert downloaded.headers["Content-Type"] == "image/png"
        after = _s3(served).head_object(Bucket=bucket, Key=key)
        assert [after[name] for name in ("ETag", "ContentLength", "LastModified")] == [
            before[name] for name in ("ETag", "ContentLength", "LastModified")
        ]
        # The upload moved: only the file's key is kept.
        assert [entry["Key"] for entry in _s3(served).list_objects_v2(Bucket=bucket)["Contents"]] == [key]
    with serving({**album, "ADMIN_API_KEY": KEY}, ["--fresh"]) as served:
        assert _data(served, "query { photos { id } }") == {"photos": []}
        assert "Contents" not in _s3(served).list_objects_v2(Bucket=bucket)
    assert not (data / "objects").exists()


@pytest.mark.slow
def test_the_command_line_imports_files_into_the_local_server_s_bucket(tmp_path: Path) -> None:
    announcement, lines = tmp_path / "server.json", tmp_path / "photos.jsonl"
    album = {"LOCAL_SERVER_FILE": str(announcement), "SCHEMA": "examples/album.graphql", "FILES_BUCKET": "local-album"}
    with _serving(**album) as served:
        key = "files/restored"
        _s3(served).put_object(Bucket="local-album", Key=key, Body=PNG, ContentType="image/png")
        image = {"key": key, "fileName": "p.png", "mimeType": "image/png", "byteSize": len(PNG)}
        photo = {
            "__typename": "Photo",
            "id": ids.new_id("Photo"),
            "image": image,
            "createdAt": "2026-01-02T03:04:05.000Z",
        }
        lines.write_text(json.dumps(photo) + "\n")
        result = _cli("import", str(lines), announcement=announcement, schema="examples/album.graphql")
        assert result.returncode == 0, result.stderr
        image = _data(served, PHOTO_URL, {"id": photo["id"]})["photo"]["image"]
        assert requests.get(image["url"], timeout=30).content == PNG
