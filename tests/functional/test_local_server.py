"""`python -m chalicelib serve`, as `make run` starts it: a real process, real HTTP, clean shutdown."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelib.explorer import LIBRARIES
from tests.conftest import ROOT
from tooling.local.dynamodb import LocalDynamoDB
from tooling.local.server import GRAPHIQL

KEY = "local-test-key"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(extra_env: dict[str, str]) -> tuple[subprocess.Popen[str], int, list[str]]:
    port = _free_port()
    env = {**os.environ, "PORT": str(port), "SCHEMA": "examples/cities.graphql", "ADMIN_API_KEY": KEY}
    env.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
    env.update(extra_env)
    process = subprocess.Popen(
        [sys.executable, "-m", "chalicelib", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if "ready at" in line:
            assert f"http://127.0.0.1:{port}/graphql" in line
            return process, port, lines
    pytest.fail("the server exited before it was ready:\n" + "".join(lines))


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()


@pytest.fixture
def server() -> Iterator[tuple[subprocess.Popen[str], int]]:
    process, port, lines = _start({})
    assert any("Embedded DynamoDB" in line for line in lines)
    yield process, port
    _stop(process)


@pytest.mark.slow
def test_create_city_and_read_it_back_over_http(server: tuple[subprocess.Popen[str], int]) -> None:
    process, port = server
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

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

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2)


@pytest.mark.slow
def test_ctrl_c_stops_the_server(server: tuple[subprocess.Popen[str], int]) -> None:
    process, _ = server
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 0


@pytest.mark.slow
def test_another_dynamodb_endpoint_is_used_instead_of_the_embedded_one(dynamodb: LocalDynamoDB) -> None:
    dynamodb.reset()
    process, _, lines = _start({"AWS_ENDPOINT_URL_DYNAMODB": dynamodb.url, "TABLE_PREFIX": "served-"})
    try:
        assert not any("Embedded DynamoDB" in line for line in lines)
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
    finally:
        _stop(process)


@pytest.mark.slow
def test_a_generated_key_is_printed_when_none_is_set() -> None:
    process, _, lines = _start({"ADMIN_API_KEY": ""})
    try:
        assert any("Generated API key (role system-admin): shk_" in line for line in lines)
    finally:
        _stop(process)


def _cli(*args: str, announcement: Path) -> subprocess.CompletedProcess[str]:
    """The command line as a developer without AWS credentials runs it beside `make run`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "TABLE_PREFIX"}
    env.update(
        LOCAL_SERVER_FILE=str(announcement),
        SCHEMA="examples/cities.graphql",
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
    process, port, _ = _start({"LOCAL_SERVER_FILE": str(announcement)})
    try:
        assert json.loads(announcement.read_text())["pid"] == process.pid
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        body = json.dumps({"query": 'mutation { createCity(input: {data: {name: "Here"}}) { data { id } } }'})
        connection.request(
            "POST", "/graphql", body, {"Content-Type": "application/json", "Authorization": f"Bearer {KEY}"}
        )
        assert "errors" not in json.loads(connection.getresponse().read())
        exported = tmp_path / "export.jsonl"
        served: list[tuple[str, ...]] = [("export", str(exported)), ("check",), ("check", "--local")]
        for args in served:
            result = _cli(*args, announcement=announcement)
            assert result.returncode == 0, result.stderr
            assert "Traceback" not in result.stderr
        assert [json.loads(line)["name"] for line in exported.read_text().splitlines()] == ["Here"]
        refused = _cli("check", "--local", "--stage", "dev", announcement=announcement)
        assert (refused.returncode, refused.stderr.count("\n")) == (1, 1)
    finally:
        _stop(process)
    # Once it has stopped: --local says so; a stage without credentials says why, in one line each.
    stopped: list[tuple[str, ...]] = [("check", "--local"), ("check", "--stage", "dev")]
    for args in stopped:
        result = _cli(*args, announcement=announcement)
        assert result.returncode == 1
        assert result.stderr.count("\n") == 1, result.stderr
        assert result.stderr.startswith("python -m chalicelib check: ")
