"""The query the explorer opens with, chosen from the schema it serves, so that it is valid on any
schema: the current session where there is a session API, else a page of the first model's list,
else `__typename`, which every schema answers."""

from __future__ import annotations

from graphql import (
    GraphQLField,
    GraphQLList,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
    is_non_null_type,
)
from graphql.pyutils import Undefined

SESSION_FIELD = "currentSession"
SESSION_QUERY = "query {\n  currentSession {\n    id\n    state\n  }\n}\n"
TYPENAME_QUERY = "query {\n  __typename\n}\n"
PAGE_SIZE = 10
# Enough of a record to recognise it; the docs pane lists the rest.
MAX_LEAVES = 4

SESSION_HINT = (
    "# Without credentials the server starts a session; signUp / logInViaEmail log it in.\n"
    "# The page keeps the token each answer sets (x-set-authorization) in the Headers pane as\n"
    '# {"Authorization": "Session <token>"}; an API key goes there as {"Authorization": "Bearer <key>"}.\n\n'
)
KEY_HINT = '# Put credentials in the Headers pane, e.g. {"Authorization": "Bearer <API key>"}.\n\n'


def default_query(schema: GraphQLSchema) -> str:
    query_type = schema.query_type
    if query_type is None:
        return TYPENAME_QUERY
    if SESSION_FIELD in query_type.fields:
        return SESSION_HINT + SESSION_QUERY
    for name, field in query_type.fields.items():
        listed = _listed_object(field)
        if listed is not None and _without_required_args(field):
            return KEY_HINT + _list_query(name, field, listed)
    return KEY_HINT + TYPENAME_QUERY


def _listed_object(field: GraphQLField) -> GraphQLObjectType | None:
    """The object type of a list field (`cities: [City]!`), else None."""
    if not isinstance(get_nullable_type(field.type), GraphQLList):
        return None
    named = get_named_type(field.type)
    return named if isinstance(named, GraphQLObjectType) else None


def _without_required_args(field: GraphQLField) -> bool:
    return not any(is_non_null_type(arg.type) and arg.default_value is Undefined for arg in field.args.values())


def _list_query(name: str, field: GraphQLField, listed: GraphQLObjectType) -> str:
    leaves = [
        leaf
        for leaf, value in listed.fields.items()
        if is_leaf_type(get_named_type(value.type)) and _without_required_args(value)
    ][:MAX_LEAVES]
    arguments = f"(first: {PAGE_SIZE})" if "first" in field.args else ""
    selection = "".join(f"    {leaf}\n" for leaf in leaves or ["__typename"])
    return f"query {{\n  {name}{arguments} {{\n{selection}  }}\n}}\n"
