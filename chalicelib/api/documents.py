"""Parsed and validated documents, cached by query string: clients send the same few queries over and
over, and without a cache each request parses its query and validates it (depth and cost rules included).

`Documents.parse` and `Documents.validate` are Ariadne's `query_parser` and `query_validator` hooks.
The validation cache is keyed by the query string *and* the rules in force (GET adds `QueriesOnly`,
turning introspection off adds Ariadne's rule), so one document can be valid on POST and refused on
GET. Both caches are bounded LRUs; `functools.lru_cache` is thread-safe, as the threaded local
server needs. Syntax errors are not cached: they are raised, and `lru_cache` keeps only results.
At most `CACHE_SIZE` query strings of at most `Settings.max_body_bytes` each are kept.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema, TypeInfo, parse, validate
from graphql.validation import ASTValidationRule

CACHE_SIZE = 256

Rules = tuple[type[ASTValidationRule], ...]


class Documents:
    """The documents of one schema (a `Service` has one)."""

    def __init__(self, schema: GraphQLSchema, size: int = CACHE_SIZE) -> None:
        self.schema = schema
        self._parse = lru_cache(maxsize=size)(self._parse_uncached)
        self._validate = lru_cache(maxsize=size)(self._validate_uncached)

    def parse(self, _context: Any, data: dict[str, Any]) -> DocumentNode:
        """Ariadne's `query_parser`: called with the context and the request's data."""
        return self._parse(data["query"])

    def validate(
        self,
        schema: GraphQLSchema,
        document_ast: DocumentNode,
        rules: Collection[type[ASTValidationRule]] | None = None,
        max_errors: int | None = None,
        type_info: TypeInfo | None = None,  # noqa: ARG002 (Ariadne's signature; graphql-core 3.3 has no use for it)
    ) -> list[GraphQLError]:
        """Ariadne's `query_validator`. The errors come back as a new list: callers may extend it."""
        source = document_ast.loc.source.body if document_ast.loc else None
        if schema is not self.schema or source is None:
            return validate(schema, document_ast, rules, max_errors)  # not a document of ours
        return list(self._validate(source, tuple(rules) if rules is not None else None, max_errors))

    def _parse_uncached(self, query: str) -> DocumentNode:
        return parse(query)

    def _validate_uncached(self, query: str, rules: Rules | None, max_errors: int | None) -> tuple[GraphQLError, ...]:
        # The same string parses to the same (cached) document; when that one has been evicted,
        # a fresh parse of the same string is an equal document.
        return tuple(validate(self.schema, self._parse(query), rules, max_errors))
