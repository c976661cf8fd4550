"""The schema language: `schema.graphql` parsed into a registry of models."""

from chalicelib.schema.loader import SchemaError, load_schema, load_schema_file
from chalicelib.schema.registry import Field, FieldKind, Model, Registry

__all__ = [
    "Field",
    "FieldKind",
    "Model",
    "Registry",
    "SchemaError",
    "load_schema",
    "load_schema_file",
]
