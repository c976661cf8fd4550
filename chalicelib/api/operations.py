"""What a request asks, in a few words for the request log: its operation's type and root fields.

Names only, from the parsed document: never arguments, whose literals may hold passwords.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import DocumentNode, FieldNode, OperationDefinitionNode, get_operation_ast

# A log line names at most this many root fields (a generated client may select dozens).
MAX_FIELDS = 20


@dataclass(frozen=True)
class Operation:
    type: str  # "query", "mutation" or "subscription"
    root_fields: tuple[str, ...]


def selected(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    """The operation a request runs: the one named, or the only one; None when that is ambiguous."""
    return get_operation_ast(document, name)


def describe(operation: OperationDefinitionNode) -> Operation:
    # Root fields as written; those inside fragments at the root are named by the fragment's spread.
    fields = [
        selection.name.value if isinstance(selection, FieldNode) else "..."
        for selection in operation.selection_set.selections
    ]
    return Operation(operation.operation.value, tuple(dict.fromkeys(fields))[:MAX_FIELDS])
