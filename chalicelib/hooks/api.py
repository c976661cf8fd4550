"""The part of the API the team's functions resolve: computed fields and custom operations, with
the SDL that `extend type` declared in the schema.

A custom operation that answers records of a model answers only those the caller may read (the
others are null, or left out of a list), as every generated field does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ariadne import MutationType, ObjectType, QueryType
from graphql import GraphQLResolveInfo, get_named_type

from chalicelib.access.context import request
from chalicelib.access.permissions import visible
from chalicelib.hooks.caller import Caller
from chalicelib.hooks.declare import Declared
from chalicelib.hooks.installed import Installed
from chalicelib.schema.extensions import OPERATION_ROOTS


class Extension(Protocol):
    @property
    def sdl(self) -> str: ...

    def bindables(self) -> list[Any]: ...


class HooksApi:
    def __init__(self, installed: Installed) -> None:
        self.installed = installed

    @property
    def sdl(self) -> str:
        return self.installed.registry.extensions.sdl

    def bindables(self) -> list[Any]:
        types: dict[str, ObjectType] = {}
        for (type_name, field), declared in self.installed.fields.items():
            if type_name in OPERATION_ROOTS:
                root = types.setdefault(type_name, QueryType() if type_name == "Query" else MutationType())
                root.set_field(field, self._operation(declared))
            else:
                types.setdefault(type_name, ObjectType(type_name)).set_field(field, self._computed(declared))
        return list(types.values())

    def _computed(self, declared: Declared) -> Callable[..., Any]:
        installed = self.installed

        def resolve(record: dict[str, Any], info: GraphQLResolveInfo, **arguments: Any) -> Any:
            return declared.function(record, Caller(request(info), installed), **arguments)

        return resolve

    def _operation(self, declared: Declared) -> Callable[..., Any]:
        installed = self.installed

        def resolve(_obj: Any, info: GraphQLResolveInfo, **arguments: Any) -> Any:
            context = request(info)
            result = declared.function(Caller(context, installed), **arguments)
            model = installed.registry.models.get(get_named_type(info.return_type).name)
            if model is None or result is None:
                return result
            if isinstance(result, list):
                return [r for r in result if visible(context, model, r) is not None]
            return visible(context, model, result)

        return resolve


class Joined:
    """Several extensions of the API as one (the session API's and the hooks')."""

    def __init__(self, *extensions: Extension | None) -> None:
        self.parts = [e for e in extensions if e is not None]

    @property
    def sdl(self) -> str:
        return "".join(part.sdl for part in self.parts)

    def bindables(self) -> list[Any]:
        return [b for part in self.parts for b in part.bindables()]
