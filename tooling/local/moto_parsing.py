"""moto's parsing of a JSON request, compiled once per operation.

moto parses each request by walking the operation's input shape: each node is dispatched by name to
a method of its parser (`_parse_{type}`), and each structure looks up every one of its members in the
value, although an AttributeValue has ten of which one is set: a TransactWriteItems of 100 updates
(34 KB) took 3.5 to 5 ms of CPU, 0.4 ms of it reading the JSON. Here the input shape of an operation
of a JSON service is compiled, once, into plain functions that do node for node what moto's JSON
parser's methods do: a structure takes its members present (not null) in member order, a list or
map its elements, a blob is decoded and a timestamp or number converted by moto's own functions,
anything else is kept as it is (1.5 ms for the same TransactWriteItems).

A value those functions cannot take (one that makes them raise) is parsed by moto's parser, which
then raises, or answers, as it would have; so is every request of another protocol, and of an
operation whose shape holds a type moto's JSON parser does not handle as described above.

The patch relies on moto's code as it is in the pinned version: `PINNED` names what moto_patch
checks before applying it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import moto.core.parse as parse
from moto.core.model import OperationModel, Shape
from moto.core.parse import BaseJSONParser, JSONParser, RequestParser, default_blob_parser, default_timestamp_parser
from moto.core.request import Request, determine_request_protocol
from moto.core.responses import BaseResponse
from moto.core.utils import get_service_model

from tooling.local.replaced import Places, Replaced

_parse_parameters = BaseResponse.parse_parameters

# What the patch relies on, with the SHA-256 of its source in the pinned moto: the parsers (all of
# moto.core.parse), and the method whose parse it replaces for JSON requests.
PINNED: tuple[tuple[Any, str], ...] = (
    (parse, "bd24f09e316e4af9fb484c499c49a1e1e3f1a428174951d94fe96117fb807a7b"),
    (_parse_parameters, "fd3d04c9194814f4f8dd755aa8eedae7155fbef66a1421cb934be8ce8f2c7b59"),
)

# A compiled parse of a value of one shape; None where moto keeps the value as it is.
Parse = Callable[[Any], Any] | None

# What moto's JSON parser does to a scalar of each type, by the method it dispatches the type to.
_SCALARS: dict[Any, Callable[[Any], Any]] = {
    BaseJSONParser._parse_blob: default_blob_parser,
    BaseJSONParser._parse_timestamp: default_timestamp_parser,
    # moto's methods also pass its UNDEFINED through, which a JSON body never holds.
    BaseJSONParser._parse_float: float,
    BaseJSONParser._parse_integer: int,
}


def _replaced() -> Places:
    return ((BaseResponse, "parse_parameters", _parsed_parameters, _parse_parameters),)


_REPLACED = Replaced(_replaced)
install = _REPLACED.install
moto_s_own = _REPLACED.moto_s_own


def _parsed_parameters(handler: BaseResponse, request: Request) -> None:
    # The same look-ups as moto's, in the same order (each may raise as moto's does).
    service_model = get_service_model(handler.boto3_service_name)
    operation_model = service_model.operation_model(handler._get_action())
    protocol = determine_request_protocol(service_model, request.content_type)
    if protocol == "json" and handler.PROTOCOL_PARSER_MAP_TYPE is dict:
        parsed = compiled(operation_model)
        if parsed is not None:
            try:
                handler.params = parsed(request.data)
            except Exception:
                # moto's parser meets the same value, and raises (or answers) as it would have.
                _parse_parameters(handler, request)
            return
    _parse_parameters(handler, request)


@functools.cache
def compiled(operation: OperationModel) -> Callable[[bytes], Any] | None:
    """The parse of a JSON body of the operation, as moto's JSONParser's; None where its input
    shape holds a type this module does not compile."""
    shape = operation.input_shape
    if shape is None:
        return lambda _body: {}
    try:
        value = _Compiler().of(shape)
    except _NotCompiled:
        return None
    # moto's reading of the body as JSON, as it is.
    read = JSONParser(operation)._parse_body_as_json
    if value is None:
        return read
    return lambda body: value(read(body))


class _NotCompiled(Exception):
    """A shape whose parse is left to moto's parser."""


class _Compiler:
    def __init__(self) -> None:
        # Each structure compiled (or being compiled, for recursive shapes), by name: a shape's
        # name stands for one definition in a service model.
        self._structures: dict[str, Parse] = {}
        # The lists and maps being compiled: one met again inside itself is left to moto.
        self._open: set[str] = set()

    def of(self, shape: Shape) -> Parse:
        handler = getattr(JSONParser, f"_parse_{shape.type_name}", RequestParser._default_handle)
        if handler is BaseJSONParser._parse_structure:
            return self._structure(shape)
        if handler in (RequestParser._parse_list, RequestParser._parse_map):
            if shape.name in self._open:
                raise _NotCompiled(shape.name)
            self._open.add(shape.name)
            compiled = self._list(shape) if handler is RequestParser._parse_list else self._map(shape)
            self._open.discard(shape.name)
            return compiled
        if handler is RequestParser._default_handle:
            return None
        if handler in _SCALARS:
            return _SCALARS[handler]
        raise _NotCompiled(shape.type_name)

    def _structure(self, shape: Any) -> Parse:
        if shape.is_document_type:
            return None
        if shape.name in self._structures:
            return self._structures[shape.name]
        # Filled once the structure is registered, so that a member may be the structure itself.
        members: list[tuple[str, str, Parse]] = []
        by_key: dict[str, tuple[str, Parse]] = {}
        one_member_a_key = False

        def structure(value: Any) -> Any:
            if value is None:
                return None
            if type(value) is dict and len(value) == 1 and one_member_a_key:
                # One key (as an AttributeValue has): the one member it may be, if any.
                for key, raw in value.items():
                    found = by_key.get(key)
                    if found is None or raw is None:
                        return {}
                    name, parse_member = found
                    return {name: raw if parse_member is None else parse_member(raw)}
            parsed = {}
            get = value.get
            for name, key, parse_member in members:
                raw = get(key)
                if raw is not None:
                    parsed[name] = raw if parse_member is None else parse_member(raw)
            return parsed

        self._structures[shape.name] = structure
        for name, member in shape.members.items():
            key = member.serialization.get("name", name)
            members.append((name, key, self.of(member)))
            by_key.setdefault(key, (name, members[-1][2]))
        one_member_a_key = len(by_key) == len(members)
        return structure

    def _list(self, shape: Any) -> Parse:
        element = self.of(shape.member)
        if element is None:
            return list
        return lambda node: [element(item) for item in node]

    def _map(self, shape: Any) -> Parse:
        key, value = self.of(shape.key) or _same, self.of(shape.value) or _same
        if key is _same and value is _same:
            return lambda node: dict(node.items())
        if key is _same:
            return lambda node: {k: value(v) for k, v in node.items()}
        return lambda node: {key(k): value(v) for k, v in node.items()}


def _same(value: Any) -> Any:
    return value
