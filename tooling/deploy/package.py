"""What `chalice package` needs beside the app, written by `python -m chalicelib package-files`:
the template merged into Chalice's (`--merge-template`), and the schema the package carries.

Chalice's SAM template leaves the functions' names to CloudFormation, which makes them up
(`<stack>-APIHandler-<random>`), while the policy grants the log groups of the names Chalice
gives when it deploys itself (`<app>-<stage>`, `<app>-<stage>-<function>`): the merged template
names them so. It also points every function's `SCHEMA` at the copy of the schema the tables and
the policy were generated from, packaged beside the code, so that the deployed API serves the
schema its tables came from, whatever `SCHEMA` the package was made with.

For the subscriptions it adds what Chalice cannot declare before the tables exist: an event
source mapping from each model table's stream to the stream handler, the handler's endpoint of
the WebSocket API's connections (`WEBSOCKET_ENDPOINT`), the grant to post to those connections
(policy.py `manage_connections`), and an output naming the subscriptions' endpoint.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalice.utils import to_cfn_resource_name

from chalicelib.gateway.handlers import ENDPOINT_VARIABLE
from chalicelib.hooks.module import copy_hooks
from chalicelib.store.tables import Tables
from tooling.deploy.bucket import BUCKET, bucket
from tooling.deploy.policy import function_names, manage_connections
from tooling.deploy.tables import logical_id, streamed
from tooling.deploy.tables import template as tables_template

# Where the package carries the schema, relative to the project root (the Lambda's working directory).
PACKAGED_SCHEMA = Path("chalicelib") / "package-schema.graphql"
# Chalice's logical ids: of the API handler and of the WebSocket API (another function's is its
# name in CamelCase, `to_cfn_resource_name`, and its role's that of `<name>_role`).
API_HANDLER = "APIHandler"
EXPLORER_VARIABLE = "GRAPHIQL_SUBSCRIPTIONS_URL"
WEBSOCKET_API = "WebsocketAPI"
# The functions that post to connections: the WebSocket API's messages' and the stream handler's.
POSTING = ["websocket_message"]
CONNECTIONS_POLICY = "WebsocketConnectionsPolicy"
SUBSCRIPTIONS_OUTPUT = "SubscriptionsURL"
# The stream handler's batches: small enough to deliver well inside its timeout, retried a
# little (an event is worth less the later it comes), a failing batch halved to find the record
# at fault rather than holding its shard.
STREAM_BATCH = {
    "StartingPosition": "LATEST",
    "BatchSize": 100,
    "MaximumBatchingWindowInSeconds": 0,
    "MaximumRetryAttempts": 3,
    "BisectBatchOnFunctionError": True,
}


def template(
    tables: Tables,
    app_name: str,
    stage: str,
    functions: list[str],
    *,
    protect: bool,
    api_stage: str = "api",
    stream_function: str | None = None,
    files: FilesBucket | None = None,
) -> dict[str, Any]:
    """The tables, and the functions' names and schema, to merge into Chalice's template; with
    `stream_function` (one of `functions`), the subscriptions' stream mappings and connections,
    on the WebSocket API's stage `api_stage`; with `files`, the bucket of the file fields."""
    merged = tables_template(tables, protect=protect)
    resources = merged["Resources"]
    if files is not None:
        resources[BUCKET] = bucket(files.name, list(files.origins), protect=protect)
    ids = [API_HANDLER, *map(to_cfn_resource_name, functions)]
    for function, name in zip(ids, function_names(app_name, stage, functions), strict=True):
        resources[function] = {
            "Properties": {"FunctionName": name, "Environment": {"Variables": {"SCHEMA": str(PACKAGED_SCHEMA)}}}
        }
    if stream_function is not None:
        _subscriptions(merged, tables, stream_function, api_stage)
    return merged


@dataclass(frozen=True)
class FilesBucket:
    """The stage's bucket (settings.py `Settings.bucket`) and the origins whose pages post to it."""

    name: str
    origins: tuple[str, ...]


def _subscriptions(merged: dict[str, Any], tables: Tables, stream_function: str, api_stage: str) -> None:
    resources = merged["Resources"]
    handler = to_cfn_resource_name(stream_function)
    host = "${" + WEBSOCKET_API + "}.execute-api.${AWS::Region}.${AWS::URLSuffix}/" + api_stage
    resources[handler]["Properties"]["Environment"]["Variables"][ENDPOINT_VARIABLE] = {"Fn::Sub": f"https://{host}"}
    # The explorer (where a stage serves it) subscribes on this endpoint, not on the page's own host.
    resources[API_HANDLER]["Properties"]["Environment"]["Variables"][EXPLORER_VARIABLE] = {"Fn::Sub": f"wss://{host}"}
    resources[CONNECTIONS_POLICY] = {
        "Type": "AWS::IAM::Policy",
        "Properties": {
            "PolicyName": "WebsocketConnections",
            "PolicyDocument": manage_connections(WEBSOCKET_API, api_stage),
            "Roles": [{"Ref": to_cfn_resource_name(f"{name}_role")} for name in [*POSTING, stream_function]],
        },
    }
    for cls in streamed(tables):
        table = logical_id(cls)
        resources[f"{table}Stream"] = {
            "Type": "AWS::Lambda::EventSourceMapping",
            # The first batches post to connections: not before the role may.
            "DependsOn": [CONNECTIONS_POLICY],
            "Properties": {
                "FunctionName": {"Ref": handler},
                "EventSourceArn": {"Fn::GetAtt": [table, "StreamArn"]},
                **STREAM_BATCH,
            },
        }
    merged["Outputs"] = {
        SUBSCRIPTIONS_OUTPUT: {
            "Description": "Subscriptions: the GraphQL over WebSocket protocol (graphql-transport-ws)",
            "Value": {"Fn::Sub": f"wss://{host}"},
        }
    }


def copy_schema(schema: Path, root: Path) -> Path:
    """Put the stage's schema where the package carries it."""
    target = root / PACKAGED_SCHEMA
    shutil.copyfile(schema, target)
    # The hooks travel with it, found beside it as beside the original (chalicelib/hooks/module.py).
    copy_hooks(schema, target)
    return target
