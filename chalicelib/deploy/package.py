"""What `chalice package` needs beside the app, written by `python -m chalicelib package-files`:
the template merged into Chalice's (`--merge-template`), and the schema the package carries.

Chalice's SAM template leaves the functions' names to CloudFormation, which makes them up
(`<stack>-APIHandler-<random>`), while the policy grants the log groups of the names Chalice
gives when it deploys itself (`<app>-<stage>`, `<app>-<stage>-<function>`): the merged template
names them so. It also points every function's `SCHEMA` at the copy of the schema the tables and
the policy were generated from, packaged beside the code, so that the deployed API serves the
schema its tables came from, whatever `SCHEMA` the package was made with.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from chalicelib.deploy.policy import function_names
from chalicelib.deploy.tables import template as tables_template
from chalicelib.store.tables import Tables

# Where the package carries the schema, relative to the project root (the Lambda's working directory).
PACKAGED_SCHEMA = Path("chalicelib") / "package-schema.graphql"
# Chalice's logical id of the API handler; another function's is its name, capitalised.
API_HANDLER = "APIHandler"


def template(tables: Tables, app_name: str, stage: str, functions: list[str], *, protect: bool) -> dict[str, Any]:
    """The tables, and the functions' names and schema, to merge into Chalice's template."""
    merged = tables_template(tables, protect=protect)
    ids = [API_HANDLER, *(name.capitalize() for name in functions)]
    for logical_id, name in zip(ids, function_names(app_name, stage, functions), strict=True):
        merged["Resources"][logical_id] = {
            "Properties": {"FunctionName": name, "Environment": {"Variables": {"SCHEMA": str(PACKAGED_SCHEMA)}}}
        }
    return merged


def copy_schema(schema: Path, root: Path) -> Path:
    """Put the stage's schema where the package carries it."""
    target = root / PACKAGED_SCHEMA
    shutil.copyfile(schema, target)
    return target
