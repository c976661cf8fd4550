"""The Lambda's least-privilege IAM policy: only the DynamoDB actions the code calls, only on this
stage's tables and their indexes; its own log group; its own API-key parameter."""

from __future__ import annotations

from typing import Any

from chalicelib.store.attributes import index_name
from chalicelib.store.tables import Tables

# Every DynamoDB operation the store makes (TransactWriteItems is authorised item by item).
ACTIONS = [
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:UpdateItem",
]


def table_arn(name: str) -> str:
    return f"arn:aws:dynamodb:*:*:table/{name}"


def policy(tables: Tables, app_name: str, stage: str, api_key_parameter: str | None) -> dict[str, Any]:
    resources = []
    for cls in tables.all_classes():
        resources.append(table_arn(cls.Meta.table_name))
    for model in tables.registry:
        name = tables.model_class(model.name).Meta.table_name
        resources += [f"{table_arn(name)}/index/{index_name(f)}" for f in model.indexed_fields()]
    statements: list[dict[str, Any]] = [
        {"Sid": "Tables", "Effect": "Allow", "Action": ACTIONS, "Resource": resources},
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"arn:aws:logs:*:*:log-group:/aws/lambda/{app_name}-{stage}:*",
        },
    ]
    if api_key_parameter:
        statements.append(
            {
                "Sid": "ApiKeys",
                "Effect": "Allow",
                "Action": ["ssm:GetParameter"],
                "Resource": f"arn:aws:ssm:*:*:parameter{api_key_parameter}",
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}
