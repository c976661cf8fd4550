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

from chalicelib.deploy.policy import ACTIONS, policy
from chalicelib.deploy.tables import template
from chalicelib.routes import APP_NAME, CLEANUP_FUNCTION
from chalicelib.schema import load_schema_file
from chalicelib.settings import Settings
from chalicelib.stages import stage_environment
from chalicelib.store.attributes import index_name, link_index_name
from chalicelib.store.tables import Tables
from tests.conftest import CITIES_SCHEMA, ROOT

STAGES = ("dev", "prod")
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
    expected = policy(
        tables, APP_NAME, stage, settings.api_key_parameter, settings.cursor_secret_parameter, [CLEANUP_FUNCTION]
    )
    assert committed == expected, "run `make deploy-files`"
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    assert config["autogen_policy"] is False
    assert config["stages"][stage]["iam_policy_file"] == f"policy-{stage}.json"


@pytest.mark.parametrize("schema", [ROOT / "schema.graphql", CITIES_SCHEMA], ids=["default", "cities"])
@pytest.mark.parametrize("stage", STAGES)
def test_the_policy_grants_only_this_stages_tables_and_indexes(stage: str, schema: Path) -> None:
    settings, tables = _stage(stage, schema)
    document = policy(
        tables, APP_NAME, stage, settings.api_key_parameter, settings.cursor_secret_parameter, [CLEANUP_FUNCTION]
    )
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
        elif statement["Sid"] == "Logs":
            assert resources == [
                f"arn:aws:logs:*:*:log-group:/aws/lambda/{APP_NAME}-{stage}:*",
                f"arn:aws:logs:*:*:log-group:/aws/lambda/{APP_NAME}-{stage}-{CLEANUP_FUNCTION}:*",
            ]
        elif statement["Sid"] == "ApiKeys":
            assert resources == [f"arn:aws:ssm:*:*:parameter/shoreline/{stage}/api-key-digests"]
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
    assert expiring == {"shoreline-prod-Session", "shoreline-prod-login-throttle"}
    assert all(not r["Properties"]["DeletionProtectionEnabled"] for r in _resources("dev").values())


@pytest.mark.parametrize("stage", STAGES)
def test_the_tables_template_passes_cfn_lint(stage: str, tmp_path: Path) -> None:
    settings, tables = _stage(stage)
    path = tmp_path / "tables.json"
    path.write_text(json.dumps(template(tables, protect=settings.stage == "prod")))
    _lint(path)


@pytest.mark.slow
def test_chalice_package_merges_the_tables_and_passes_cfn_lint(tmp_path: Path) -> None:
    """`chalice package --merge-template`, offline (no AWS call), the result checked by cfn-lint."""
    project = tmp_path / "project"
    shutil.copytree(
        ROOT, project, ignore=shutil.ignore_patterns(".venv", ".git", "build", "deployments", "__pycache__")
    )
    _, tables = _stage("prod")
    merged = tmp_path / "tables.json"
    merged.write_text(json.dumps(template(tables, protect=True)))
    out = tmp_path / "out"
    env = {
        **os.environ,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "none",
        "AWS_SECRET_ACCESS_KEY": "none",
    }
    result = subprocess.run(
        [str(CHALICE), "package", "--stage", "prod", "--merge-template", str(merged), str(out)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sam = json.loads((out / "sam.json").read_text())
    assert {
        "UserTable",
        "SessionTable",
        "GuardTable",
        "EdgeTable",
        "CleanupTable",
        "ThrottleTable",
        "APIHandler",
    } <= set(sam["Resources"])
    handler = sam["Resources"]["APIHandler"]["Properties"]
    assert handler["Timeout"] <= 29
    # The scheduled cleanup: the same least-privilege policy, and a handler app.py exports.
    cleanup = sam["Resources"][CLEANUP_FUNCTION.capitalize()]["Properties"]
    assert cleanup["Events"][f"{CLEANUP_FUNCTION.capitalize()}Event"]["Type"] == "Schedule"
    assert cleanup["Timeout"] <= 29

    def role_policies(function: dict[str, Any]) -> list[Any]:
        policies = sam["Resources"][function["Role"]["Fn::GetAtt"][0]]["Properties"]["Policies"]
        return [p["PolicyDocument"] for p in policies]

    committed = json.loads((ROOT / ".chalice" / "policy-prod.json").read_text())
    assert role_policies(cleanup) == role_policies(handler) == [committed]
    module, name = cleanup["Handler"].split(".")
    assert module == "app"
    assert name in _module_names(ROOT / "app.py")
    _lint(out / "sam.json")
    package = zipfile.ZipFile(out / "deployment.zip")
    unzipped = sum(info.file_size for info in package.infolist())
    zipped = (out / "deployment.zip").stat().st_size
    # Lambda's limits: 50 MB zipped for a direct upload, 250 MB unzipped.
    assert zipped < 25 * 2**20
    assert unzipped < 100 * 2**20
    assert package.read("chalicelib/schema.graphql") == (ROOT / "schema.graphql").read_bytes()
