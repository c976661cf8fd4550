"""Deployment artefacts from the schema: the tables' CloudFormation, the IAM policy, the package."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from chalicelib.explorer import LIBRARIES
from chalicelib.gateway.handlers import ENDPOINT_VARIABLE
from chalicelib.gateway.routes import STREAM_FUNCTION, WEBSOCKET_FUNCTIONS
from chalicelib.routes import APP_NAME, CLEANUP_FUNCTION
from chalicelib.schema import load_schema_file
from chalicelib.settings import Settings
from chalicelib.stages import stage_environment
from chalicelib.store.attributes import index_name, link_index_name
from chalicelib.store.tables import Tables
from tests.conftest import CITIES_SCHEMA, ROOT
from tooling.deploy.policy import ACTIONS, STREAM_ACTIONS, stage_policy
from tooling.deploy.tables import template

STAGES = ("dev", "prod")
ROUTES = ("Connect", "Message", "Disconnect")
CFN_LINT = Path(sys.executable).parent / "cfn-lint"
CHALICE = Path(sys.executable).parent / "chalice"


def _stage(stage: str, schema: Path = ROOT / "schema.graphql") -> tuple[Settings, Tables]:
    settings = Settings.from_environ({**stage_environment(stage), "SCHEMA": str(schema)})
    return settings, Tables(load_schema_file(settings.schema_path), settings.store)


def _module_names(path: Path) -> set[str]:
    """The names a module assigns, at any depth of its top-level statements."""
    return {
        target.id
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _lint(*paths: Path) -> None:
    result = subprocess.run([str(CFN_LINT), *map(str, paths)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("stage", STAGES)
def test_the_committed_policy_is_the_one_the_schema_gives(stage: str) -> None:
    settings, tables = _stage(stage)
    committed = json.loads((ROOT / ".chalice" / f"policy-{stage}.json").read_text())
    assert committed == stage_policy(settings, tables), "run `make deploy-files`"
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    assert config["autogen_policy"] is False
    assert config["stages"][stage]["iam_policy_file"] == f"policy-{stage}.json"


@pytest.mark.parametrize("schema", [ROOT / "schema.graphql", CITIES_SCHEMA], ids=["default", "cities"])
@pytest.mark.parametrize("stage", STAGES)
def test_the_policy_grants_only_this_stages_tables_and_indexes(stage: str, schema: Path) -> None:
    settings, tables = _stage(stage, schema)
    document = stage_policy(settings, tables)
    prefix = settings.store.table_prefix
    names = [cls.Meta.table_name for cls in tables.all_classes()]
    allowed = {f"arn:aws:dynamodb:*:*:table/{n}" for n in names}
    allowed |= {
        f"arn:aws:dynamodb:*:*:table/{tables.model_class(m.name).Meta.table_name}/index/{index_name(f)}"
        for m in tables.registry
        for f in m.indexed_fields()
    }
    # Every index the tables declare: the link indexes of pointers, the edges' backward index.
    allowed |= {
        f"arn:aws:dynamodb:*:*:table/{tables.model_class(m.name).Meta.table_name}/index/{link_index_name(f)}"
        for m in tables.registry
        for f in m.pointers()
        if f.relation is not None and f.relation.indexed
    }
    allowed.add(f"arn:aws:dynamodb:*:*:table/{prefix}relation-edges/index/backward")
    allowed.add(f"arn:aws:dynamodb:*:*:table/{prefix}subscriptions/index/by-connection")
    if schema == CITIES_SCHEMA:
        assert f"arn:aws:dynamodb:*:*:table/{prefix}User/index/address-link" in allowed
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        actions = statement["Action"]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        assert all("*" not in action for action in actions), actions
        assert "*" not in resources
        if statement["Sid"] == "Tables":
            assert actions == ACTIONS
            assert set(resources) == allowed
            assert all(f"table/{prefix}" in r for r in resources)
        elif statement["Sid"] == "Streams":
            # Exactly the models' tables' streams: the session's and the state tables have none.
            assert actions == STREAM_ACTIONS
            models = [tables.model_class(m.name).Meta.table_name for m in tables.registry.crud_models()]
            assert sorted(resources) == sorted(f"arn:aws:dynamodb:*:*:table/{n}/stream/*" for n in models)
        elif statement["Sid"] == "Logs":
            assert resources == [
                f"arn:aws:logs:*:*:log-group:/aws/lambda/{APP_NAME}-{stage}:*",
                f"arn:aws:logs:*:*:log-group:/aws/lambda/{APP_NAME}-{stage}-{CLEANUP_FUNCTION}:*",
                *(f"arn:aws:logs:*:*:log-group:/aws/lambda/{APP_NAME}-{stage}-{f}:*" for f in WEBSOCKET_FUNCTIONS),
                f"arn:aws:logs:*:*:log-group:/aws/lambda/{APP_NAME}-{stage}-{STREAM_FUNCTION}:*",
            ]
        elif statement["Sid"] == "ApiKeys":
            assert resources == [f"arn:aws:ssm:*:*:parameter/shoreline/{stage}/api-key-digests"]
        elif statement["Sid"] == "AccountMail":
            # Sending only, and only from the stage's own address.
            assert actions == ["ses:SendEmail"]
            assert statement["Condition"] == {"StringEquals": {"ses:FromAddress": settings.mail_from}}
            assert settings.mail_from
        else:
            assert statement["Sid"] == "CursorSecret"
            assert resources == [f"arn:aws:ssm:*:*:parameter/shoreline/{stage}/cursor-secret"]


def _resources(stage: str) -> dict[str, Any]:
    settings, tables = _stage(stage)
    resources: dict[str, Any] = template(tables, protect=settings.stage == "prod")["Resources"]
    return resources


def test_the_tables_template_has_every_table_with_its_indexes_and_expiry() -> None:
    resources = _resources("prod")
    tables = {r["Properties"]["TableName"]: r for r in resources.values()}
    assert set(tables) == {
        "shoreline-prod-User",
        "shoreline-prod-Session",
        "shoreline-prod-ShopifyShop",
        "shoreline-prod-unique-guards",
        "shoreline-prod-relation-edges",
        "shoreline-prod-pending-cleanups",
        "shoreline-prod-counters",
        "shoreline-prod-login-throttle",
        "shoreline-prod-subscription-connections",
        "shoreline-prod-subscriptions",
        "shoreline-prod-stream-checkpoints",
        "shoreline-prod-schema-state",
    }
    for table in tables.values():
        properties = table["Properties"]
        assert properties["BillingMode"] == "PAY_PER_REQUEST"
        assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert properties["DeletionProtectionEnabled"] is True
        assert table["DeletionPolicy"] == "Retain"
    user = tables["shoreline-prod-User"]["Properties"]
    assert {i["IndexName"] for i in user["GlobalSecondaryIndexes"]} == {"email-index", "username-index"}
    expiring = {name for name, t in tables.items() if "TimeToLiveSpecification" in t["Properties"]}
    assert expiring == {
        "shoreline-prod-Session",
        "shoreline-prod-login-throttle",
        "shoreline-prod-subscription-connections",
        "shoreline-prod-subscriptions",
        "shoreline-prod-stream-checkpoints",
    }
    streamed = {name for name, t in tables.items() if "StreamSpecification" in t["Properties"]}
    assert streamed == {"shoreline-prod-User", "shoreline-prod-ShopifyShop"}
    assert tables["shoreline-prod-User"]["Properties"]["StreamSpecification"] == {
        "StreamViewType": "NEW_AND_OLD_IMAGES"
    }
    assert all(not r["Properties"]["DeletionProtectionEnabled"] for r in _resources("dev").values())


@pytest.mark.parametrize("stage", STAGES)
def test_the_tables_template_passes_cfn_lint(stage: str, tmp_path: Path) -> None:
    settings, tables = _stage(stage)
    path = tmp_path / "tables.json"
    path.write_text(json.dumps(template(tables, protect=settings.stage == "prod")))
    _lint(path)


@pytest.mark.slow
def test_chalice_package_merges_the_tables_and_passes_cfn_lint(tmp_path: Path) -> None:
    """What `make package` runs, offline (no AWS call), for a schema of its own (`SCHEMA`): the
    result checked by cfn-lint, its functions named as the policy's log groups expect, and the
    schema it serves the one its tables and policy came from."""
    project = tmp_path / "project"
    shutil.copytree(
        ROOT,
        project,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "build", "deployments", "__pycache__", ".sdl-cache", "node_modules"
        ),
    )
    env = {
        **os.environ,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "none",
        "AWS_SECRET_ACCESS_KEY": "none",
        "SCHEMA": str(CITIES_SCHEMA),
    }
    merged, out = tmp_path / "template.json", tmp_path / "out"
    steps = [
        [sys.executable, "-m", "chalicelib", "policy", "--stage", "prod", "--out", ".chalice/policy-prod.json"],
        [sys.executable, "-m", "chalicelib", "package-files", "--stage", "prod", "--out", str(merged)],
        [str(CHALICE), "package", "--stage", "prod", "--merge-template", str(merged), str(out)],
    ]
    for step in steps:
        result = subprocess.run(step, cwd=project, env=env, capture_output=True, text=True, check=False, timeout=600)
        assert result.returncode == 0, result.stdout + result.stderr
    sam = json.loads((out / "sam.json").read_text())
    assert {"CityTable", "UserTable", "GuardTable", "EdgeTable", "CleanupTable", "APIHandler"} <= set(sam["Resources"])
    handler = sam["Resources"]["APIHandler"]["Properties"]
    assert handler["Timeout"] <= 29
    # The scheduled cleanup: the same least-privilege policy, and a handler app.py exports.
    cleanup = sam["Resources"][CLEANUP_FUNCTION.capitalize()]["Properties"]
    assert cleanup["Events"][f"{CLEANUP_FUNCTION.capitalize()}Event"]["Type"] == "Schedule"
    assert cleanup["Timeout"] <= 29

    def role_policies(function: dict[str, Any]) -> list[Any]:
        policies = sam["Resources"][function["Role"]["Fn::GetAtt"][0]]["Properties"]["Policies"]
        return [p["PolicyDocument"] for p in policies]

    committed = json.loads((project / ".chalice" / "policy-prod.json").read_text())
    assert role_policies(cleanup) == role_policies(handler) == [committed]
    # Each function writes to the log group its policy allows.
    (logs,) = [s["Resource"] for s in committed["Statement"] if s["Sid"] == "Logs"]
    for function in (handler, cleanup):
        assert f"arn:aws:logs:*:*:log-group:/aws/lambda/{function['FunctionName']}:*" in logs
    assert {handler["FunctionName"], cleanup["FunctionName"]} == {"shoreline-prod", "shoreline-prod-cleanup"}
    module, name = cleanup["Handler"].split(".")
    assert module == "app"
    assert name in _module_names(ROOT / "app.py")
    _check_subscriptions(sam, committed)
    _lint(out / "sam.json")
    package = zipfile.ZipFile(out / "deployment.zip")
    unzipped = sum(info.file_size for info in package.infolist())
    zipped = (out / "deployment.zip").stat().st_size
    # Lambda's limits: 50 MB zipped for a direct upload, 250 MB unzipped.
    assert zipped < 25 * 2**20
    assert unzipped < 100 * 2**20
    # What requests need and nothing else: no command line, local server, deploy generators or
    # migrations (tooling/), no GraphiQL libraries (a deployed page loads them from npm's mirror).
    names = package.namelist()
    assert "app.py" in names
    assert "chalicelib/explorer/static/explorer.js" in names
    assert not [n for n in names if n.startswith("tooling/")]
    assert not [n for n in names if Path(n).name in {lib.name for lib in LIBRARIES}]
    ours = sum(i.file_size for i in package.infolist() if i.filename.startswith("chalicelib/"))
    assert ours < 2**20, ours
    # Both functions serve the schema the tables came from, which the package carries.
    for function in (handler, cleanup):
        served = function["Environment"]["Variables"]["SCHEMA"]
        assert package.read(served) == CITIES_SCHEMA.read_bytes()


def _check_subscriptions(sam: dict[str, Any], committed: dict[str, Any]) -> None:
    """The deployed subscriptions in a packaged template (of the cities schema): the WebSocket API
    and its routes, a stream mapping per model table, the functions named as their log groups,
    posting granted on this API's connections only, and the endpoint in the outputs."""
    resources = sam["Resources"]
    api = resources["WebsocketAPI"]
    assert (api["Type"], api["Properties"]["ProtocolType"]) == ("AWS::ApiGatewayV2::Api", "WEBSOCKET")
    routes = {r["Properties"]["RouteKey"] for r in resources.values() if r["Type"] == "AWS::ApiGatewayV2::Route"}
    assert routes == {"$connect", "$default", "$disconnect"}
    # Every function: its handler exported by app.py, its name one whose log group the policy grants.
    (logs,) = [s["Resource"] for s in committed["Statement"] if s["Sid"] == "Logs"]
    functions = {k: r["Properties"] for k, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}
    assert set(functions) == {"APIHandler", "Cleanup", "StreamDelivery", *(f"Websocket{r}" for r in ROUTES)}
    names = {f["FunctionName"] for f in functions.values()}
    assert {f"arn:aws:logs:*:*:log-group:/aws/lambda/{n}:*" for n in names} == set(logs)
    exported = _module_names(ROOT / "app.py")
    for function in functions.values():
        if function is not functions["APIHandler"]:
            assert function["Handler"].split(".")[1] in exported
    # A mapping from each model table's stream (and no other) to the stream handler.
    streamed = {k for k, r in resources.items() if "StreamSpecification" in r.get("Properties", {})}
    assert streamed == {"CityTable", "UserTable"}
    mappings = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Lambda::EventSourceMapping"]
    assert sorted(m["EventSourceArn"]["Fn::GetAtt"][0] for m in mappings) == sorted(streamed)
    assert all(m["EventSourceArn"]["Fn::GetAtt"][1] == "StreamArn" for m in mappings)
    assert all(m["FunctionName"] == {"Ref": "StreamDelivery"} for m in mappings)
    (streams,) = [s for s in committed["Statement"] if s["Sid"] == "Streams"]
    tables = {resources[t]["Properties"]["TableName"] for t in streamed}
    assert set(streams["Resource"]) == {f"arn:aws:dynamodb:*:*:table/{t}/stream/*" for t in tables}
    # The stream handler reaches this API's connections; only the functions that post may.
    endpoint = functions["StreamDelivery"]["Environment"]["Variables"][ENDPOINT_VARIABLE]["Fn::Sub"]
    assert endpoint.startswith("https://${WebsocketAPI}.execute-api.")
    grant = resources["WebsocketConnectionsPolicy"]["Properties"]
    assert grant["Roles"] == [{"Ref": "WebsocketMessageRole"}, {"Ref": "StreamDeliveryRole"}]
    (statement,) = grant["PolicyDocument"]["Statement"]
    assert statement["Action"] == ["execute-api:ManageConnections"]
    assert all(
        ":${WebsocketAPI}/api/" in r["Fn::Sub"] and r["Fn::Sub"].endswith("/@connections/*")
        for r in statement["Resource"]
    )
    assert sam["Outputs"]["SubscriptionsURL"]["Value"]["Fn::Sub"] == endpoint.replace("https://", "wss://")
    # The explorer subscribes on that endpoint.
    explorer = functions["APIHandler"]["Environment"]["Variables"]["GRAPHIQL_SUBSCRIPTIONS_URL"]
    assert explorer == sam["Outputs"]["SubscriptionsURL"]["Value"]
