"""moto's JSON answers, with DynamoDB attribute values written directly, and errors built once.

moto writes an answer by walking the operation's output shape, and looks up every member of every
structure on the way through a chain of alias providers. An attribute value is such a structure,
of ten members of which one is set, so a Scan of 1,000 items of four attributes spent about 0.3 ms
an item on this alone. Here an attribute value whose walk is sure to copy it as it is (a dict of one
of S, N, SS, NS, NULL, BOOL, M, L, holding a string, strings, a bool, or such values) is copied
directly, and an item's attribute values are each written so without moto's dispatch by shape;
anything else (binary values, which are base64-encoded, or a value of another form) goes
through moto's walk as before, which is also the only path where the serializer is not the plain
JSON one, its value picker not moto's default, or the shape not the AttributeValue of the pinned
service model.

Before it is written, an answer's values are read into plain dicts by dynamo_to_dict, which tests
each value against five types and imports DynamoType at every call: a DynamoType, dict, list,
string, number, bool or None is read here directly, as it would be there.

Every error of a JSON service (a failed condition, or the missing attribute moto's ADD looks up
and catches) rendered an XML body with xmltodict, which its own constructor then replaced with
JSON: `_json_error` sets the same attributes to the same values, without the XML.

The patch relies on moto's code as it is in the pinned version: `PINNED` names what moto_patch
checks before applying it.
"""

from __future__ import annotations

import json
from typing import Any

import moto.core.serialize as serialize
import moto.dynamodb.responses as dynamodb_responses
from moto.core.exceptions import JsonRESTError, _RESTError
from moto.core.serialize import (
    BaseJSONSerializer,
    ClassPrefixAlias,
    ExplicitAlias,
    JSONSerializer,
    ModelAlias,
    NoAlias,
    ShapeNameAlias,
    ShapePrefixAlias,
    XFormedAttributePicker,
)
from moto.core.utils import _get_value_for_key, get_value
from moto.dynamodb.models.dynamo_type import DynamoType, LimitedSizeDict
from moto.dynamodb.models.utilities import dynamo_to_dict

from tooling.local.replaced import Places, Replaced

_structure = BaseJSONSerializer._serialize_type_structure
_map = BaseJSONSerializer._serialize_type_map
_json_error_init = JsonRESTError.__init__

# What the patch relies on, with the SHA-256 of its source in the pinned moto: the serializer and
# the value picker (all of moto.core.serialize), and how the picker reads a key of a dict.
PINNED: tuple[tuple[Any, str], ...] = (
    (serialize, "bb79b5b1196894de9617b956382692f9ff007f0d0b41be46ba6636599bb6ac42"),
    (get_value, "9b06b87ce416131ecb2924b3d067f2f4950e8ca3a06e5ce3a03d17ca2f0bd3dc"),
    (_get_value_for_key, "563aa7bc75bd5bb00e8ec1a83d50632f117017699b52161e0467c029b50c10f8"),
    # The constructors a JSON error runs.
    (_json_error_init, "c4d537e5b3334543d7f1b35f15648582b1e711343d37631b8a821a3d1b0ed8c8"),
    (_RESTError.__init__, "ee3198e8672e579c5703a848995926643a3fca2da451519652063e5e2a6d30d9"),
    # What an answer's values are read through before they are written, and an item's attributes.
    (dynamo_to_dict, "80f600124c13ddcb132c02448abeefffd2b43b353c7fcedaa2fa7ca67b3107c4"),
    (LimitedSizeDict, "c956079ac9554f8b8099aacd30689b0be79fbb20a665a225e3dc0ca79baca2d0"),
)

_ALIASES = [ExplicitAlias, ShapeNameAlias, NoAlias, ShapePrefixAlias, ClassPrefixAlias, ModelAlias]
# The members of an AttributeValue, each as (type, element or key, value) of its shape; no shape
# on the way with a serialized name of its own.
_ATTRIBUTE_VALUE = (
    ("S", "string", None, None),
    ("N", "string", None, None),
    ("B", "blob", None, None),
    ("SS", "list", "string", None),
    ("NS", "list", "string", None),
    ("BS", "list", "blob", None),
    ("M", "map", "string", "AttributeValue"),
    ("L", "list", "AttributeValue", None),
    ("NULL", "boolean", None, None),
    ("BOOL", "boolean", None, None),
)
_STRINGS = frozenset({"S", "N"})
_STRING_SETS = frozenset({"SS", "NS"})
_BOOLS = frozenset({"NULL", "BOOL"})
# Each AttributeValue shape met, by id, with whether it is the one `_ATTRIBUTE_VALUE` describes.
_shapes: dict[int, tuple[Any, bool]] = {}


def _replaced() -> Places:
    """What is replaced: where, and by what in the patch and in moto."""
    return (
        (BaseJSONSerializer, "_serialize_type_structure", _serialize_type_structure, _structure),
        (BaseJSONSerializer, "_serialize_type_map", _serialize_type_map, _map),
        (JsonRESTError, "__init__", _json_error, _json_error_init),
        (dynamodb_responses, "dynamo_to_dict", _to_dict, dynamo_to_dict),
    )


_REPLACED = Replaced(_replaced)
install = _REPLACED.install
moto_s_own = _REPLACED.moto_s_own


def _to_dict(obj: Any) -> Any:
    """dynamo_to_dict, which a DynamoDB answer's values are read through, taking its branches for
    a DynamoType (but a binary one), a dict, a list or a string, number, bool or None without its
    tests of other types at each value; anything else goes to moto's."""
    form = type(obj)
    if form is DynamoType and obj.type not in _BINARY:
        return {obj.type: _to_dict(obj.value)}
    if form is dict or form is LimitedSizeDict:  # an item's attributes are the latter
        return {name: _to_dict(member) for name, member in obj.items()}
    if form is list:
        return [_to_dict(member) for member in obj]
    if form is str or form is bool or form is int or obj is None:
        return obj
    return dynamo_to_dict(obj)


_BINARY = frozenset({"B", "BS"})


def _json_error(error: JsonRESTError, error_type: str, message: str, _: str = "", **__: Any) -> None:
    """JsonRESTError.__init__, which runs _RESTError.__init__ (the next class's, then an XML body)
    before it sets its JSON body: the same attributes, less the XML body it replaces."""
    super(_RESTError, error).__init__()
    error.error_type = error_type
    error.message = message
    error.description = json.dumps({"__type": error.error_type, "message": error.message})
    error.content_type = "application/json"


def _serialize_type_structure(
    serializer: BaseJSONSerializer, serialized: Any, value: Any, shape: Any, key: str
) -> None:
    if (
        shape.name == "AttributeValue"
        and _direct(serializer, shape)
        and _written_plain(serializer, serialized, value, shape, key)
    ):
        return
    _structure(serializer, serialized, value, shape, key)


def _serialize_type_map(serializer: BaseJSONSerializer, serialized: Any, value: Any, shape: Any, key: str) -> None:
    """moto's map of attribute values (an item), each plain value written directly rather than
    through moto's dispatch to the structure above, in the same order, under the same names."""
    values = shape.value
    if values.name != "AttributeValue" or not _direct(serializer, values):
        _map(serializer, serialized, value, shape, key)
        return
    written: dict[str, Any] = serializer.MAP_TYPE()
    serializer._default_serialize(serialized, written, shape, key)
    for name, member in value.items():
        if not _written_plain(serializer, written, member, values, name):
            serializer._serialize(written, member, values, name)


def _written_plain(serializer: BaseJSONSerializer, serialized: Any, value: Any, shape: Any, key: str) -> bool:
    """Whether `value`, an attribute value under `key`, was plain and so written as moto's walk ends:
    the structure copied as it is under its key."""
    copied = _plain(value) if key else None
    if copied is None:
        return False
    serializer._default_serialize(serialized, copied, shape, key)
    return True


def _direct(serializer: BaseJSONSerializer, shape: Any) -> bool:
    """Whether moto's walk of an AttributeValue is sure to copy a plain one as it is: the plain JSON
    serializer, moto's own value picker without transformations, and the pinned shape."""
    picker = serializer._value_picker
    if type(serializer) is not JSONSerializer or type(picker) is not XFormedAttributePicker:
        return False
    if picker.response_transformers or picker.alias_providers != _ALIASES:
        return False
    known = _shapes.get(id(shape))
    if known is None or known[0] is not shape:
        known = _shapes[id(shape)] = (shape, _described(shape) == _ATTRIBUTE_VALUE)
    return known[1]


def _described(shape: Any) -> tuple[tuple[str, str, str | None, str | None], ...] | None:
    if shape.serialization.get("name") is not None:
        return None
    described = []
    for name, member in shape.members.items():
        inner = [getattr(member, part, None) for part in ("member", "key", "value")]
        if any(s is not None and s.serialization.get("name") is not None for s in (member, *inner)):
            return None
        element = inner[0] or inner[1]
        described.append(
            (
                name,
                member.type_name,
                None if element is None else _kind(element),
                None if inner[2] is None else _kind(inner[2]),
            )
        )
    return tuple(described)


def _kind(shape: Any) -> str:
    return "AttributeValue" if shape.name == "AttributeValue" else shape.type_name


def _plain(value: Any) -> dict[str, Any] | None:
    """`value` as moto's walk writes it, if it is a plain attribute value; else None."""
    if type(value) is not dict or len(value) != 1:
        return None
    ((kind, inner),) = value.items()
    form = type(inner)
    if kind in _STRINGS:
        return {kind: inner} if form is str else None
    if kind in _STRING_SETS:
        return {kind: list(inner)} if form is list and all(type(member) is str for member in inner) else None
    if kind in _BOOLS:
        return {kind: inner} if form is bool else None
    if kind == "M" and form is dict:
        entries = {}
        for name, member in inner.items():
            copied = _plain(member)
            if copied is None:
                return None
            entries[name] = copied
        return {kind: entries}
    if kind == "L" and form is list:
        members = []
        for member in inner:
            copied = _plain(member)
            if copied is None:
                return None
            members.append(copied)
        return {kind: members}
    return None
