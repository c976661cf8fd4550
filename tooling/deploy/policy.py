"""The Lambdas' least-privilege IAM policy (one role: the API, the scheduled cleanup, the WebSocket
API's functions and the stream handler): only the DynamoDB actions the code calls, only on this
stage's tables and their indexes; reading the models' tables' streams (what the stream handler's
event source mappings do with the function's role); their own log groups; the parameters holding
the API keys and the cursor secret.

Posting to WebSocket connections is granted on this stage's WebSocket API only, whose id exists
once CloudFormation makes it: that grant is a policy of the packaged template
(`manage_connections`, attached to the same role by tooling/deploy/package.py), not of the
policy file."""

from __future__ import annotations

from typing import Any

from chalicelib.routes import APP_NAME, FUNCTIONS
from chalicelib.settings import Settings
from chalicelib.store.tables import Tables
from tooling.deploy.tables import streamed

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


# What an event source mapping of a DynamoDB Stream calls with the function's role.
STREAM_ACTIONS = [
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
]
# The Management API's calls: a message to a connection, and closing one.
CONNECTION_ACTIONS = ["POST", "DELETE"]


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


def stream_arns(tables: Tables) -> list[str]:
    """Every stream of the models' tables (a table's stream ARN ends in its creation's label)."""
    return [f"{table_arn(cls.Meta.table_name)}/stream/*" for cls in streamed(tables)]


def manage_connections(websocket_api: str, api_stage: str) -> dict[str, Any]:
    """Posting to and closing the connections of the WebSocket API whose logical id in the
    template is `websocket_api`, on its stage `api_stage` (a CloudFormation policy document)."""
    arn = "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${%s}/%s/%s/@connections/*"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Connections",
                "Effect": "Allow",
                "Action": ["execute-api:ManageConnections"],
                "Resource": [{"Fn::Sub": arn % (websocket_api, api_stage, method)} for method in CONNECTION_ACTIONS],
            }
        ],
    }


def function_names(app_name: str, stage: str, functions: list[str]) -> list[str]:
    """The Lambda functions of a stage: Chalice names the API's `<app>-<stage>` and each other
    function `<app>-<stage>-<function>`."""
    return [f"{app_name}-{stage}", *(f"{app_name}-{stage}-{name}" for name in functions)]


def stage_policy(settings: Settings, tables: Tables) -> dict[str, Any]:
    """The policy of the app's functions for a stage, as its settings name its parameters and sender."""
    parameters = settings.api_key_parameter, settings.cursor_secret_parameter
    bucket = settings.bucket if tables.registry.has_files else None
    return policy(tables, APP_NAME, settings.stage, *parameters, FUNCTIONS, settings.ses_from, bucket)


def policy(
    tables: Tables,
    app_name: str,
    stage: str,
    api_key_parameter: str | None,
    cursor_secret_parameter: str | None,
    functions: list[str],
    mail_from: str | None = None,
    bucket: str | None = None,
) -> dict[str, Any]:
    """`functions`: the names of the app's functions beyond the API handler; `mail_from`: the
    address the stage sends its account email from through SES, if it does; `bucket`: the bucket
    of its file fields, if the schema has any."""
    resources = [table_arn(cls.Meta.table_name) for cls in tables.all_classes()] + index_arns(tables)
    groups = [f"arn:aws:logs:*:*:log-group:/aws/lambda/{name}:*" for name in function_names(app_name, stage, functions)]
    statements: list[dict[str, Any]] = [
        {"Sid": "Tables", "Effect": "Allow", "Action": ACTIONS, "Resource": resources},
        {"Sid": "Streams", "Effect": "Allow", "Action": STREAM_ACTIONS, "Resource": stream_arns(tables)},
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
    if mail_from:
        statements.append(send_mail(mail_from))
    if bucket:
        statements += file_objects(bucket)
    return {"Version": "2012-10-17", "Statement": statements}


# What the file fields do with their objects (chalicelib/files/objects.py), and so all their
# presigned URLs can do, being signed by this role: post an upload, download a file, and, after a
# write, copy an upload to its file's key (GetObject and PutObject) and delete what is let go.
FILE_ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]


def file_objects(bucket: str) -> list[dict[str, Any]]:
    """The objects of the stage's bucket, and of the bucket itself only ListBucket: without it, S3
    answers 403 for an object that is not there, and the file fields must tell a missing object
    (an upload never posted, a move done already) from a refusal. No settings of the bucket."""
    return [
        {"Sid": "Files", "Effect": "Allow", "Action": FILE_ACTIONS, "Resource": f"arn:aws:s3:::{bucket}/*"},
        {"Sid": "FilesMissing", "Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": f"arn:aws:s3:::{bucket}"},
    ]


def send_mail(mail_from: str) -> dict[str, Any]:
    """SES's SendEmail from the stage's address only. SES authorises a message against the
    identities it involves (the sender's address or domain, and in the sandbox the recipient's),
    so the resource is any identity, and the condition holds the sender to `mail_from`."""
    return {
        "Sid": "AccountMail",
        "Effect": "Allow",
        "Action": ["ses:SendEmail"],
        "Resource": "arn:aws:ses:*:*:identity/*",
        "Condition": {"StringEquals": {"ses:FromAddress": mail_from}},
    }
