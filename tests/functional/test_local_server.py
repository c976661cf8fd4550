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
from typing import Any

import pytest

from tests.conftest import ROOT

KEY = "local-test-key"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server() -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = _free_port()
    env = {**os.environ, "PORT": str(port), "SCHEMA": "examples/cities.graphql", "ADMIN_API_KEY": KEY}
    env.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "chalicelib", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if "ready at" in line:
            assert f"http://127.0.0.1:{port}/graphql" in line
            break
    else:
        pytest.fail("the server exited before it was ready")
    yield process, port
    if process.poll() is None:
        process.kill()
        process.wait()


@pytest.mark.slow
def test_create_city_and_read_it_back_over_http(server: tuple[subprocess.Popen[str], int]) -> None:
    process, port = server
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

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
    connection.close()

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2)


@pytest.mark.slow
def test_ctrl_c_stops_the_server(server: tuple[subprocess.Popen[str], int]) -> None:
    process, _ = server
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=10) == 0
