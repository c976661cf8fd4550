"""The Lambdas' least-privilege IAM policy (one role: the API and the scheduled cleanup): only the
DynamoDB actions the code calls, only on this stage's tables and their indexes; their own log
groups; the parameters holding the API keys and the cursor secret."""

from __future__ import annotations

from typing import Any

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


def index_arns(tables: Tables) -> list[str]:
    """Every secondary index of every table, as the tables declare them (so also the link indexes of
    pointers and the edge table's backward index)."""
    return [
        f"{table_arn(cls.Meta.table_name)}/index/{index['index_name']}"
        for cls in tables.all_classes()
        for index in cls._get_schema()["global_secondary_indexes"]
    ]


def function_names(app_name: str, stage: str, functions: list[str]) -> list[str]:
    """The Lambda functions of a stage: Chalice names the API's `<app>-<stage>` and each other
    function `<app>-<stage>-<function>`."""
    return [f"{app_name}-{stage}", *(f"{app_name}-{stage}-{name}" for name in functions)]


def policy(
    tables: Tables,
    app_name: str,
    stage: str,
    api_key_parameter: str | None,
    cursor_secret_parameter: str | None,
    functions: list[str],
) -> dict[str, Any]:
    """`functions`: the names of the app's functions beyond the API handler (scheduled ones)."""
    resources = [table_arn(cls.Meta.table_name) for cls in tables.all_classes()] + index_arns(tables)
    groups = [f"arn:aws:logs:*:*:log-group:/aws/lambda/{name}:*" for name in function_names(app_name, stage, functions)]
    statements: list[dict[str, Any]] = [
        {"Sid": "Tables", "Effect": "Allow", "Action": ACTIONS, "Resource": resources},
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": groups,
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
    if cursor_secret_parameter:
        statements.append(
            {
                "Sid": "CursorSecret",
                "Effect": "Allow",
                "Action": ["ssm:GetParameter"],
                "Resource": f"arn:aws:ssm:*:*:parameter{cursor_secret_parameter}",
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}
