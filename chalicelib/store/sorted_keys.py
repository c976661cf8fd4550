"""The keys of a type-level `@index(fields: [...], sortBy: "...")` (see `SortedIndex`).

Each such index is a global secondary index of the model's table on two shadow attributes:

- its hash: the canonical equality key of the record's `fields` values (`index_key` of each; a
  JSON list of them for several fields), or without `fields` the shard `s<n>`, n a hash of the id.
  A record with a null in `fields` has no hash and is not in the index (equality never matches it).
- its range: the `sortBy` value in a string encoding whose byte order is the value's order
  (numbers and Booleans as order-preserving hex, strings as themselves with two low code points
  escaped), a terminator, then the id, so that ties fall in id order. A null `sortBy` is written
  explicitly, as `NULL_PREFIX` and the id, after every value: forward, a Query reads the values,
  then the nulls; backward, it reads the values (`range < NULL_PREFIX`), then the nulls.

Both are written by every write that sets a field they depend on (store/records.py), and the
record is then refused if a key is past DynamoDB's key limits (KeyTooLarge), as for `@index`.
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

from chalicelib.schema.registry import Field, Model, SortedIndex
from chalicelib.store.attributes import INTERNAL_PREFIX, index_key

# The shadow attributes of an ordered index: its hash, its range.
HASH_PREFIX = f"{INTERNAL_PREFIX}sh_"
RANGE_PREFIX = f"{INTERNAL_PREFIX}sr_"
VALUE_PREFIX = "v"
NULL_PREFIX = "w"
# Ends the encoded value: below every code point an escaped value holds, so a value sorts before
# any value it is a prefix of, and equal values fall in id order.
TERMINATOR = "\x01\x01"


def index_name(model: Model, index: SortedIndex) -> str:
    """The GSI's name: `sorted-<sortBy>` or `sorted-<field>.<field>-<sortBy>`, by store names."""
    parts = [model.fields[name].store_name for name in index.fields]
    prefix = ".".join(parts) + "-" if parts else ""
    return f"sorted-{prefix}{model.fields[index.sort_by].store_name}"


def hash_attribute(model: Model, index: SortedIndex) -> str:
    return f"{HASH_PREFIX}{index_name(model, index)}"


def range_attribute(model: Model, index: SortedIndex) -> str:
    return f"{RANGE_PREFIX}{index_name(model, index)}"


def shard(index: SortedIndex, record_id: str) -> str:
    return f"s{zlib.crc32(record_id.encode()) % index.shards}"


def shards(index: SortedIndex) -> list[str]:
    return [f"s{n}" for n in range(index.shards)]


def hash_key(model: Model, index: SortedIndex, record: dict[str, Any]) -> str | None:
    """The partition of `record` (its fields' values, as a dict), None if it is not in the index."""
    if not index.fields:
        return shard(index, record["id"])
    return equality_key(model, index.fields, [record.get(name) for name in index.fields])


def equality_key(model: Model, fields: tuple[str, ...], values: list[Any]) -> str | None:
    """The hash of the records whose `fields` hold `values`, in order (None if one is null)."""
    if any(value is None for value in values):
        return None
    keys = [index_key(model.fields[name], value) for name, value in zip(fields, values, strict=True)]
    return keys[0] if len(keys) == 1 else json.dumps(keys, separators=(",", ":"))


def range_key(model: Model, index: SortedIndex, value: Any, record_id: str) -> str:
    if value is None:
        return NULL_PREFIX + record_id
    return value_prefix(model.fields[index.sort_by], value) + record_id


def value_prefix(field: Field, value: Any) -> str:
    """Every range key of records whose sortBy is `value` starts with this, and no other does."""
    return VALUE_PREFIX + _escape(_text(field, value)) + TERMINATOR


def _text(field: Field, value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if field.type_name in ("Int", "Float") and not isinstance(value, str):
        return _number(float(value))
    return str(value)


def _number(number: float) -> str:
    """16 hex digits whose order is the numbers' order: the IEEE 754 bits, the sign bit flipped
    for positives and every bit for negatives."""
    number = number + 0.0  # -0.0 and 0.0 are one value
    (bits,) = struct.unpack(">Q", struct.pack(">d", number))
    bits = bits ^ 0xFFFFFFFFFFFFFFFF if bits >> 63 else bits | 1 << 63
    return f"{bits:016x}"


def _escape(text: str) -> str:
    return text.replace("\x01", "\x01\x03").replace("\x00", "\x01\x02")
